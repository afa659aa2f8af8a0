//! Sigma points for the unscented transform: Van der Merwe's scaled set and Julier's original set.
//!
//! Both sets place `2n + 1` points around a mean `x` with covariance `P`:
//!
//! ```text
//! chi_0     = x
//! chi_k     = x + sqrt(c) L e_k      (k = 1..n)
//! chi_{n+k} = x - sqrt(c) L e_k
//! ```
//!
//! where `L` is the lower Cholesky factor of `P` (`L L^T = P`), so `sqrt(c) L` is the factor of
//! `c P`. The two sets differ in the scale `c` and the weights:
//!
//! | set | `c` | `Wm_0` | `Wc_0` | `Wm_i = Wc_i` (i > 0) |
//! |---|---|---|---|---|
//! | Merwe (alpha, beta, kappa) | `n + lambda`, `lambda = alpha^2 (n + kappa) - n` | `lambda / c` | `Wm_0 + 1 - alpha^2 + beta` | `1 / (2c)` |
//! | Julier (kappa) | `n + kappa` | `kappa / c` | `Wm_0` | `1 / (2c)` |
//!
//! These are the definitions of Van der Merwe's thesis (2004) and Julier and Uhlmann (1997), the
//! same as FilterPy's `MerweScaledSigmaPoints` and `JulierSigmaPoints`. Julier's set is Merwe's
//! with `alpha = 1`, `beta = 0`. The mean weights always sum to 1; `Wm_0` may be negative (small
//! `alpha`), which is why the mean and covariance of the transformed points use signed weights.
//!
//! Sigma points are stored column by column in a flat buffer (`n` rows, `2n + 1` columns) and
//! handed to user mean functions as a [`SigmaView`]. Stable Rust cannot write `2 * N + 1` as a
//! const expression, so the weights and buffers are allocated once, when the set is built.

use nalgebra::{Const, Dyn, MatrixView, SMatrix, SVector};

use super::EstimationError;

/// Sigma points of dimension `D`, one per column (`D` rows, `2n + 1` columns, `n` the state size).
pub type SigmaView<'a, const D: usize> = MatrixView<'a, f64, Const<D>, Dyn>;

/// Weights and scale of an unscented sigma-point set for an `N`-dimensional state.
///
/// Built once (this allocates the two weight vectors); drawing points allocates nothing.
///
/// ```
/// use kestrel::estimation::SigmaPoints;
/// let s = SigmaPoints::<2>::merwe(0.5, 2.0, 1.0).unwrap();
/// // lambda = 0.25 * (2 + 1) - 2 = -1.25, c = n + lambda = 0.75
/// assert_eq!(s.len(), 5);
/// assert!((s.scale() - 0.75).abs() < 1e-15);
/// assert!((s.mean_weights()[0] - (-1.25 / 0.75)).abs() < 1e-15);
/// assert!((s.mean_weights().iter().sum::<f64>() - 1.0).abs() < 1e-14);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SigmaPoints<const N: usize> {
    scale: f64,
    wm: Vec<f64>,
    wc: Vec<f64>,
}

impl<const N: usize> SigmaPoints<N> {
    /// Van der Merwe's scaled sigma points.
    ///
    /// `alpha` (spread, `0 < alpha`, usually `1e-3..=1`), `beta` (prior knowledge of the
    /// distribution, 2 is optimal for Gaussians), `kappa` (secondary scaling, often `0` or
    /// `3 - n`).
    ///
    /// # Errors
    /// [`EstimationError::InvalidParameter`] when a parameter is not finite, `alpha <= 0`,
    /// `n + kappa <= 0` (the scale `c = alpha^2 (n + kappa)` must be positive) or `N == 0`.
    pub fn merwe(alpha: f64, beta: f64, kappa: f64) -> Result<Self, EstimationError> {
        check_dimension::<N>()?;
        for (name, v) in [("alpha", alpha), ("beta", beta), ("kappa", kappa)] {
            if !v.is_finite() {
                return Err(invalid(name, format!("must be finite, got {v}")));
            }
        }
        if alpha <= 0.0 {
            return Err(invalid("alpha", format!("must be positive, got {alpha}")));
        }
        let n = N as f64;
        if n + kappa <= 0.0 {
            return Err(invalid(
                "kappa",
                format!("n + kappa must be positive, got n = {N}, kappa = {kappa}"),
            ));
        }
        let lambda = alpha * alpha * (n + kappa) - n;
        let scale = n + lambda;
        let mut s = Self::with_scale(scale, lambda / scale);
        s.wc[0] = s.wm[0] + 1.0 - alpha * alpha + beta;
        Ok(s)
    }

    /// Julier and Uhlmann's original sigma points with spread `kappa` (`3 - n` matches the
    /// fourth moment of a Gaussian; FilterPy's default is `0`).
    ///
    /// # Errors
    /// [`EstimationError::InvalidParameter`] when `kappa` is not finite, `n + kappa <= 0` or
    /// `N == 0`.
    pub fn julier(kappa: f64) -> Result<Self, EstimationError> {
        check_dimension::<N>()?;
        if !kappa.is_finite() {
            return Err(invalid("kappa", format!("must be finite, got {kappa}")));
        }
        let scale = N as f64 + kappa;
        if scale <= 0.0 {
            return Err(invalid(
                "kappa",
                format!("n + kappa must be positive, got n = {N}, kappa = {kappa}"),
            ));
        }
        Ok(Self::with_scale(scale, kappa / scale))
    }

    fn with_scale(scale: f64, w0: f64) -> Self {
        let mut wm = vec![0.5 / scale; 2 * N + 1];
        wm[0] = w0;
        let wc = wm.clone();
        Self { scale, wm, wc }
    }

    /// Number of sigma points, `2n + 1`.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        2 * N + 1
    }

    /// The scale `c` such that the points are `x +- columns of chol(c P)`.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// Weights for the mean, `Wm` (sum to 1).
    pub fn mean_weights(&self) -> &[f64] {
        &self.wm
    }

    /// Weights for the covariance, `Wc`.
    pub fn covariance_weights(&self) -> &[f64] {
        &self.wc
    }

    /// Draws the sigma points of `(x, P)` into `out` (column-major, `N` rows, `2n + 1` columns).
    ///
    /// `add(x, d)` places each point (`x + d` with angle components wrapped, for the
    /// default functions). Only the lower triangle of `P` is read.
    ///
    /// # Errors
    /// [`EstimationError::NonFinite`] for a non-finite `x` or `P`,
    /// [`EstimationError::NotPositiveDefinite`] when the Cholesky factorisation of `c P` fails,
    /// [`EstimationError::DimensionMismatch`] when `out.len() != N (2N + 1)`.
    /// `out` is unspecified after an error.
    ///
    /// Cost: one `N x N` Cholesky factorisation and `2n + 1` calls of `add`; no allocation.
    ///
    /// ```
    /// use nalgebra::{Matrix2, Vector2};
    /// use kestrel::estimation::SigmaPoints;
    /// let s = SigmaPoints::<2>::julier(1.0).unwrap();
    /// let mut out = vec![0.0; 2 * 5];
    /// s.draw(&Vector2::new(1.0, 2.0), &Matrix2::new(4.0, 0.0, 0.0, 9.0), |x, d| x + d, &mut out)
    ///     .unwrap();
    /// // c = 3: the first point along x is 1 + sqrt(3 * 4)
    /// assert!((out[2] - (1.0 + 12f64.sqrt())).abs() < 1e-12);
    /// assert!((out[9] - (2.0 - 27f64.sqrt())).abs() < 1e-12);
    /// ```
    pub fn draw(
        &self,
        x: &SVector<f64, N>,
        p: &SMatrix<f64, N, N>,
        add: impl Fn(&SVector<f64, N>, &SVector<f64, N>) -> SVector<f64, N>,
        out: &mut [f64],
    ) -> Result<(), EstimationError> {
        if out.len() != N * (2 * N + 1) {
            return Err(EstimationError::DimensionMismatch {
                what: "sigma-point buffer length",
                expected: N * (2 * N + 1),
                found: out.len(),
            });
        }
        if !all_finite(x.as_slice()) {
            return Err(EstimationError::NonFinite {
                what: "state mean x",
            });
        }
        if !all_finite(p.as_slice()) {
            return Err(EstimationError::NonFinite {
                what: "state covariance P",
            });
        }
        self.draw_finite(x, p, add, out)
    }

    /// [`SigmaPoints::draw`] for a finite `x` and `P` and a buffer of the right length (not
    /// checked again).
    pub(crate) fn draw_finite(
        &self,
        x: &SVector<f64, N>,
        p: &SMatrix<f64, N, N>,
        add: impl Fn(&SVector<f64, N>, &SVector<f64, N>) -> SVector<f64, N>,
        out: &mut [f64],
    ) -> Result<(), EstimationError> {
        let l = cholesky_lower(&(p * self.scale)).ok_or(EstimationError::NotPositiveDefinite {
            what: "state covariance P (sigma points)",
        })?;
        out[..N].copy_from_slice(x.as_slice());
        for k in 0..N {
            let d = l.column(k).into_owned();
            let plus = add(x, &d);
            let minus = add(x, &(-d));
            out[(k + 1) * N..(k + 2) * N].copy_from_slice(plus.as_slice());
            out[(N + k + 1) * N..(N + k + 2) * N].copy_from_slice(minus.as_slice());
        }
        Ok(())
    }
}

/// The lower Cholesky factor `L` (`L L^T = A`, zeros above the diagonal) of a small symmetric
/// matrix, reading its lower triangle; `None` unless every pivot is positive and finite.
///
/// The Cholesky-Banachiewicz recurrence written out for fixed sizes: for the 2 x 2 to 7 x 7
/// matrices of filters it is several times faster than nalgebra's general factorisation.
#[inline]
pub(crate) fn cholesky_lower<const D: usize>(a: &SMatrix<f64, D, D>) -> Option<SMatrix<f64, D, D>> {
    let mut l = SMatrix::<f64, D, D>::zeros();
    for j in 0..D {
        let mut pivot = a[(j, j)];
        for k in 0..j {
            pivot -= l[(j, k)] * l[(j, k)];
        }
        // also rejects NaN
        if pivot.is_nan() || pivot <= 0.0 || pivot == f64::INFINITY {
            return None;
        }
        let ljj = pivot.sqrt();
        l[(j, j)] = ljj;
        for i in j + 1..D {
            let mut v = a[(i, j)];
            for k in 0..j {
                v -= l[(i, k)] * l[(j, k)];
            }
            l[(i, j)] = v / ljj;
        }
    }
    Some(l)
}

/// Solves `L Y = B` for `Y` (forward substitution), `L` lower triangular with a non-zero diagonal.
#[inline]
pub(crate) fn solve_lower<const D: usize, const C: usize>(
    l: &SMatrix<f64, D, D>,
    b: &SMatrix<f64, D, C>,
) -> SMatrix<f64, D, C> {
    let mut y = *b;
    for c in 0..C {
        for i in 0..D {
            let mut v = y[(i, c)];
            for k in 0..i {
                v -= l[(i, k)] * y[(k, c)];
            }
            y[(i, c)] = v / l[(i, i)];
        }
    }
    y
}

/// Solves `L^T X = Y` for `X` (back substitution), `L` lower triangular with a non-zero diagonal.
#[inline]
pub(crate) fn solve_lower_transpose<const D: usize, const C: usize>(
    l: &SMatrix<f64, D, D>,
    y: &SMatrix<f64, D, C>,
) -> SMatrix<f64, D, C> {
    let mut x = *y;
    for c in 0..C {
        for i in (0..D).rev() {
            let mut v = x[(i, c)];
            for k in i + 1..D {
                v -= l[(k, i)] * x[(k, c)];
            }
            x[(i, c)] = v / l[(i, i)];
        }
    }
    x
}

/// Whether every value is finite (no NaN, no infinity). Branch-free over the exponent bits, so
/// it vectorises; the filters call it on every input and intermediate.
#[inline]
pub(crate) fn all_finite(values: &[f64]) -> bool {
    // an exponent of all ones (0x7ff) marks infinity and NaN: (0x7ff + 1) >> 11 == 1
    values.iter().fold(0u64, |bad, v| {
        bad | ((((v.to_bits() >> 52) & 0x7ff) + 1) >> 11)
    }) == 0
}

fn check_dimension<const N: usize>() -> Result<(), EstimationError> {
    if N == 0 {
        return Err(invalid(
            "N",
            "the state dimension must be at least 1".into(),
        ));
    }
    Ok(())
}

fn invalid(name: &'static str, reason: String) -> EstimationError {
    EstimationError::InvalidParameter { name, reason }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::{Matrix3, Vector3};

    #[test]
    fn merwe_weights_match_closed_form() {
        // n = 3, alpha = 0.1, beta = 2, kappa = 0: lambda = 0.03 - 3 = -2.97, c = 0.03
        let s = SigmaPoints::<3>::merwe(0.1, 2.0, 0.0).unwrap();
        assert!((s.scale() - 0.03).abs() < 1e-15);
        let w0 = -2.97 / 0.03;
        assert!((s.mean_weights()[0] - w0).abs() < 1e-10);
        assert!((s.covariance_weights()[0] - (w0 + 1.0 - 0.01 + 2.0)).abs() < 1e-10);
        for i in 1..7 {
            assert!((s.mean_weights()[i] - 1.0 / 0.06).abs() < 1e-10);
            assert_eq!(s.mean_weights()[i], s.covariance_weights()[i]);
        }
    }

    #[test]
    fn julier_is_merwe_with_unit_alpha_and_zero_beta() {
        let j = SigmaPoints::<3>::julier(2.0).unwrap();
        let m = SigmaPoints::<3>::merwe(1.0, 0.0, 2.0).unwrap();
        assert_eq!(j.scale(), m.scale());
        for (a, b) in j.mean_weights().iter().zip(m.mean_weights()) {
            assert!((a - b).abs() < 1e-15);
        }
        for (a, b) in j.covariance_weights().iter().zip(m.covariance_weights()) {
            assert!((a - b).abs() < 1e-15);
        }
    }

    #[test]
    fn points_reproduce_mean_and_covariance() {
        let s = SigmaPoints::<3>::merwe(0.3, 2.0, 0.5).unwrap();
        let x = Vector3::new(1.0, -2.0, 0.5);
        let p = Matrix3::new(2.0, 0.3, 0.1, 0.3, 1.0, -0.2, 0.1, -0.2, 0.5);
        let mut buf = vec![0.0; 21];
        s.draw(&x, &p, |a, d| a + d, &mut buf).unwrap();
        let pts = SigmaView::<3>::from_slice_generic(&buf, Const::<3>, Dyn(7));
        let mean = pts * nalgebra::DVector::from_column_slice(s.mean_weights());
        assert!((mean - x).norm() < 1e-12);
        let mut cov = Matrix3::zeros();
        for i in 0..7 {
            let r = pts.column(i) - x;
            cov += (r * r.transpose()) * s.covariance_weights()[i];
        }
        assert!((cov - p).norm() < 1e-12, "{cov}");
    }

    #[test]
    fn finiteness_check() {
        assert!(all_finite(&[
            0.0,
            -0.0,
            1e308,
            -1e-310,
            f64::MIN_POSITIVE,
            f64::MAX
        ]));
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -f64::NAN] {
            assert!(!all_finite(&[1.0, bad, 2.0]));
        }
        assert!(all_finite(&[]));
    }

    #[test]
    fn small_cholesky_and_solves_match_nalgebra() {
        let a = Matrix3::new(4.0, 1.2, -0.6, 1.2, 3.0, 0.4, -0.6, 0.4, 2.0);
        let l = cholesky_lower(&a).unwrap();
        assert!((l - a.cholesky().unwrap().l()).amax() < 1e-15);
        assert_eq!(l[(0, 1)], 0.0);
        let b = nalgebra::Matrix3x2::new(1.0, 2.0, -1.0, 0.5, 3.0, 0.0);
        let y = solve_lower(&l, &b);
        assert!((l * y - b).amax() < 1e-14);
        let x = solve_lower_transpose(&l, &y);
        assert!((a * x - b).amax() < 1e-14);
        assert!(
            cholesky_lower(&Matrix3::new(1.0, 2.0, 0.0, 2.0, 1.0, 0.0, 0.0, 0.0, 1.0)).is_none()
        );
        assert!(cholesky_lower(&(Matrix3::identity() * f64::NAN)).is_none());
        assert!(cholesky_lower(&(Matrix3::identity() * f64::INFINITY)).is_none());
        assert!(cholesky_lower(&Matrix3::zeros()).is_none());
    }

    #[test]
    fn bad_parameters_and_covariances_are_errors() {
        assert!(SigmaPoints::<2>::merwe(0.0, 2.0, 0.0).is_err());
        assert!(SigmaPoints::<2>::merwe(f64::NAN, 2.0, 0.0).is_err());
        assert!(SigmaPoints::<2>::merwe(1.0, 2.0, -2.0).is_err());
        assert!(SigmaPoints::<2>::julier(-2.5).is_err());
        assert!(SigmaPoints::<0>::julier(1.0).is_err());
        let s = SigmaPoints::<2>::julier(1.0).unwrap();
        let mut buf = vec![0.0; 10];
        let x = nalgebra::Vector2::zeros();
        let bad = nalgebra::Matrix2::new(1.0, 2.0, 2.0, 1.0);
        assert_eq!(
            s.draw(&x, &bad, |a, d| a + d, &mut buf),
            Err(EstimationError::NotPositiveDefinite {
                what: "state covariance P (sigma points)"
            })
        );
        let nan = nalgebra::Matrix2::new(1.0, 0.0, 0.0, f64::NAN);
        assert!(matches!(
            s.draw(&x, &nan, |a, d| a + d, &mut buf),
            Err(EstimationError::NonFinite { .. })
        ));
    }
}
