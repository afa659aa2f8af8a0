//! The explicit embedding of a mode's state into the IMM's common state.

use nalgebra::{SMatrix, SVector};

use crate::estimation::EstimationError;

/// Where the `N` components of a mode's state sit in the IMM's common state of dimension `C`,
/// and what the mode is taken to say about the components it does not carry.
///
/// `indices[a]` is the common-state index of mode component `a`. A common component `k` that the
/// mode does not carry (for example the turn rate `omega` of a constant-velocity mode) is *filled*
/// with a mean `m_k` and a variance `v_k`, uncorrelated with everything else: by default
/// `m_k = 0`, `v_k = 0` (constant velocity asserts a turn rate of exactly zero, constant
/// acceleration-free motion asserts zero acceleration); [`Embedding::with_fill`] sets other
/// values.
///
/// - **Lift** (mode -> common): `x~[indices[a]] = x[a]`, `x~[k] = m_k` for absent `k`;
///   `P~[indices[a], indices[b]] = P[a, b]`, `P~[k, k] = v_k`, all other entries 0.
/// - **Project** (common -> mode): `x[a] = x~[indices[a]]`, `P[a, b] = P~[indices[a], indices[b]]`.
///
/// `project(lift(x, P)) == (x, P)` exactly.
///
/// ```
/// use nalgebra::{Matrix4, Vector4};
/// use kestrel::estimation::Embedding;
/// // common state [x, vx, y, vy, omega, ax, ay]; a CV mode [x, vx, y, vy]
/// let cv = Embedding::<4, 7>::new([0, 1, 2, 3]).unwrap().with_fill(4, 0.0, 1e-4).unwrap();
/// let (x, p) = cv.lift(&Vector4::new(1.0, 2.0, 3.0, 4.0), &Matrix4::identity());
/// assert_eq!((x[4], p[(4, 4)], p[(5, 5)]), (0.0, 1e-4, 0.0));
/// let (back, _) = cv.project(&x, &p);
/// assert_eq!(back, Vector4::new(1.0, 2.0, 3.0, 4.0));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Embedding<const N: usize, const C: usize> {
    indices: [usize; N],
    present: [bool; C],
    fill_mean: SVector<f64, C>,
    fill_variance: SVector<f64, C>,
}

impl<const N: usize, const C: usize> Embedding<N, C> {
    /// Mode component `a` goes to common component `indices[a]`; absent components are filled
    /// with mean 0 and variance 0.
    ///
    /// # Errors
    /// [`EstimationError::InvalidParameter`] when an index is `>= C` or repeated, or `N == 0`.
    pub fn new(indices: [usize; N]) -> Result<Self, EstimationError> {
        if N == 0 {
            return Err(invalid(
                "the mode state must have at least one component".into(),
            ));
        }
        let mut present = [false; C];
        for (a, &k) in indices.iter().enumerate() {
            if k >= C {
                return Err(invalid(format!(
                    "mode component {a} maps to {k}, outside the common state of dimension {C}"
                )));
            }
            if present[k] {
                return Err(invalid(format!(
                    "common component {k} is the target of two mode components"
                )));
            }
            present[k] = true;
        }
        Ok(Self {
            indices,
            present,
            fill_mean: SVector::zeros(),
            fill_variance: SVector::zeros(),
        })
    }

    /// The identity embedding of a mode whose state is the common state (`N == C`).
    ///
    /// # Errors
    /// [`EstimationError::DimensionMismatch`] when `N != C`.
    pub fn identity() -> Result<Self, EstimationError> {
        if N != C {
            return Err(EstimationError::DimensionMismatch {
                what: "identity embedding (mode state vs common state)",
                expected: C,
                found: N,
            });
        }
        Self::new(std::array::from_fn(|a| a))
    }

    /// Fills the absent common component `k` with mean `mean` and variance `variance`.
    ///
    /// # Errors
    /// [`EstimationError::InvalidParameter`] when `k >= C`, the mode carries `k`, `mean` is not
    /// finite, or `variance` is negative or not finite.
    pub fn with_fill(
        mut self,
        k: usize,
        mean: f64,
        variance: f64,
    ) -> Result<Self, EstimationError> {
        if k >= C {
            return Err(invalid(format!(
                "fill component {k} is outside the common state"
            )));
        }
        if self.present[k] {
            return Err(invalid(format!(
                "common component {k} is carried by the mode, it cannot be filled"
            )));
        }
        if !mean.is_finite() || !variance.is_finite() || variance < 0.0 {
            return Err(invalid(format!(
                "fill of component {k} needs a finite mean and a finite variance >= 0, got \
                 {mean} and {variance}"
            )));
        }
        self.fill_mean[k] = mean;
        self.fill_variance[k] = variance;
        Ok(self)
    }

    /// The common-state index of each mode component.
    pub fn indices(&self) -> &[usize; N] {
        &self.indices
    }

    /// Which common components the mode carries.
    pub fn present(&self) -> &[bool; C] {
        &self.present
    }

    /// The fill mean of each common component (meaningful for absent components only).
    pub fn fill_mean(&self) -> &SVector<f64, C> {
        &self.fill_mean
    }

    /// The fill variance of each common component (meaningful for absent components only).
    pub fn fill_variance(&self) -> &SVector<f64, C> {
        &self.fill_variance
    }

    /// The mode estimate `(x, P)` as a common-state estimate (see the type docs). `O(C^2)`.
    pub fn lift(
        &self,
        x: &SVector<f64, N>,
        p: &SMatrix<f64, N, N>,
    ) -> (SVector<f64, C>, SMatrix<f64, C, C>) {
        let mut xc = self.fill_mean;
        let mut pc = SMatrix::<f64, C, C>::from_diagonal(&self.fill_variance);
        for (a, &i) in self.indices.iter().enumerate() {
            xc[i] = x[a];
            for (b, &j) in self.indices.iter().enumerate() {
                pc[(i, j)] = p[(a, b)];
            }
        }
        (xc, pc)
    }

    /// The mode's components of a common-state estimate. `O(N^2)`.
    pub fn project(
        &self,
        x: &SVector<f64, C>,
        p: &SMatrix<f64, C, C>,
    ) -> (SVector<f64, N>, SMatrix<f64, N, N>) {
        let xm = SVector::<f64, N>::from_fn(|a, _| x[self.indices[a]]);
        let pm = SMatrix::<f64, N, N>::from_fn(|a, b| p[(self.indices[a], self.indices[b])]);
        (xm, pm)
    }
}

fn invalid(reason: String) -> EstimationError {
    EstimationError::InvalidParameter {
        name: "embedding",
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::{Matrix6, Vector6};

    #[test]
    fn constant_acceleration_layout_round_trips() {
        // [x, vx, ax, y, vy, ay] into [x, vx, y, vy, omega, ax, ay]
        let ca = Embedding::<6, 7>::new([0, 1, 5, 2, 3, 6]).unwrap();
        let x = Vector6::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0);
        let p = Matrix6::from_fn(|i, j| 1.0 / (1 + i + j) as f64);
        let (xc, pc) = ca.lift(&x, &p);
        assert_eq!(xc.as_slice(), &[1.0, 2.0, 4.0, 5.0, 0.0, 3.0, 6.0]);
        assert_eq!(pc[(5, 0)], p[(2, 0)]);
        assert_eq!(pc[(6, 2)], p[(5, 3)]);
        assert_eq!(
            pc.row(4)
                .iter()
                .chain(pc.column(4).iter())
                .map(|v| v.abs())
                .sum::<f64>(),
            0.0
        );
        assert_eq!(ca.project(&xc, &pc), (x, p));
    }

    #[test]
    fn invalid_embeddings_are_errors() {
        assert!(Embedding::<2, 3>::new([0, 3]).is_err());
        assert!(Embedding::<2, 3>::new([1, 1]).is_err());
        assert!(Embedding::<2, 3>::identity().is_err());
        let e = Embedding::<2, 3>::new([0, 2]).unwrap();
        assert!(e.clone().with_fill(0, 0.0, 1.0).is_err());
        assert!(e.clone().with_fill(1, f64::NAN, 1.0).is_err());
        assert!(e.clone().with_fill(1, 0.0, -1.0).is_err());
        assert!(e.clone().with_fill(5, 0.0, 1.0).is_err());
        assert!(e.with_fill(1, 0.5, 2.0).is_ok());
    }
}
