//! Direct measurement of the planar position.

use nalgebra::{Matrix2, SMatrix, SVector, Vector2};

use super::{check_indices, LinearMeasurement};
use crate::models::error::{check_covariance, check_positive, ModelError};
use crate::models::{MeasurementJacobian, MeasurementModel};

/// Measures the position `z = [x, y] + v`, `v ~ N(0, R)`, of a state of dimension `N`.
///
/// `h(x) = H x` where `H` has a single 1 in each row, at the state indices given at construction
/// (for example `ConstantVelocity::POSITION == [0, 2]`). Units are those of the state (metres).
///
/// ```
/// use nalgebra::{Vector2, Vector4};
/// use kestrel::models::{measurement::PositionMeasurement, motion::ConstantVelocity, MeasurementModel};
/// let m = PositionMeasurement::<4>::new(ConstantVelocity::POSITION, 0.5).unwrap();
/// assert_eq!(m.measure(&Vector4::new(1.0, 2.0, 3.0, 4.0)), Vector2::new(1.0, 3.0));
/// assert_eq!(m.noise_covariance(&Vector4::zeros())[(1, 1)], 0.25);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PositionMeasurement<const N: usize> {
    indices: [usize; 2],
    r: Matrix2<f64>,
}

impl<const N: usize> PositionMeasurement<N> {
    /// Isotropic noise with standard deviation `sigma` (metres) on each axis.
    ///
    /// # Errors
    /// [`ModelError`] if an index is `>= N` or `sigma` is not finite and positive.
    pub fn new(position_indices: [usize; 2], sigma: f64) -> Result<Self, ModelError> {
        let s = check_positive("sigma", sigma)?;
        Self::with_covariance(position_indices, Matrix2::from_diagonal_element(s * s))
    }

    /// A full 2 x 2 noise covariance `R` (m^2).
    ///
    /// # Errors
    /// [`ModelError`] if an index is `>= N` or `R` is not a finite symmetric positive
    /// semi-definite matrix.
    pub fn with_covariance(
        position_indices: [usize; 2],
        r: Matrix2<f64>,
    ) -> Result<Self, ModelError> {
        check_indices("position_indices", &position_indices, N)?;
        check_covariance("R", &r)?;
        Ok(Self {
            indices: position_indices,
            r,
        })
    }

    /// The state indices of `[x, y]`.
    pub fn position_indices(&self) -> [usize; 2] {
        self.indices
    }
}

impl<const N: usize> MeasurementModel<N, 2> for PositionMeasurement<N> {
    /// `R` is a constant.
    #[inline]
    fn noise_covariance_is_state_independent(&self) -> bool {
        true
    }

    #[inline]
    fn measure(&self, x: &SVector<f64, N>) -> Vector2<f64> {
        Vector2::new(x[self.indices[0]], x[self.indices[1]])
    }

    #[inline]
    fn noise_covariance(&self, _x: &SVector<f64, N>) -> Matrix2<f64> {
        self.r
    }
}

impl<const N: usize> MeasurementJacobian<N, 2> for PositionMeasurement<N> {
    #[inline]
    fn jacobian(&self, _x: &SVector<f64, N>) -> SMatrix<f64, 2, N> {
        self.measurement_matrix()
    }
}

impl<const N: usize> LinearMeasurement<N, 2> for PositionMeasurement<N> {
    #[inline]
    fn measurement_matrix(&self) -> SMatrix<f64, 2, N> {
        let mut h = SMatrix::<f64, 2, N>::zeros();
        h[(0, self.indices[0])] = 1.0;
        h[(1, self.indices[1])] = 1.0;
        h
    }

    /// `(H x, P H^T, H P H^T)` by selection: the entries of `x` and the columns and entries of
    /// `P` at the position indices (the provided method's result, without arithmetic).
    #[inline]
    fn measurement_moments(
        &self,
        x: &SVector<f64, N>,
        p: &SMatrix<f64, N, N>,
    ) -> (Vector2<f64>, SMatrix<f64, N, 2>, Matrix2<f64>) {
        let [a, b] = self.indices;
        let mut pht = SMatrix::<f64, N, 2>::zeros();
        pht.set_column(0, &p.column(a));
        pht.set_column(1, &p.column(b));
        let (paa, pba, pbb) = (p[(a, a)], p[(b, a)], p[(b, b)]);
        (
            Vector2::new(x[a], x[b]),
            pht,
            Matrix2::new(paa, pba, pba, pbb),
        )
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix6, Vector6};

    use super::*;
    use crate::estimation::small_linalg::{mul, project};

    #[test]
    fn moments_by_selection_equal_the_dense_products() {
        let a = Matrix6::from_fn(|i, j| (1.0 + 5.0 * i as f64 + 2.0 * j as f64).sin());
        let p = a * a.transpose();
        let x = Vector6::from_fn(|i, _| i as f64 - 2.5);
        for indices in [[0, 3], [3, 0], [1, 1], [5, 2]] {
            let m = PositionMeasurement::<6>::new(indices, 0.5).unwrap();
            let h = m.measurement_matrix();
            let (z, pht, hph) = m.measurement_moments(&x, &p);
            let (dense_pht, dense_hph) = project(&h, &p);
            assert_eq!((z, pht, hph), (mul(&h, &x), dense_pht, dense_hph));
            assert_eq!(z, m.measure(&x));
            assert_eq!(hph, h * p * h.transpose());
            assert_eq!(pht, p * h.transpose());
        }
    }
}
