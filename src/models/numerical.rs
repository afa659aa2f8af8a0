//! Numerical Jacobians by central differences, and an adapter that gives any model a Jacobian.
//!
//! Use these to check hand-written Jacobians, or to run an extended Kalman filter on a model whose
//! Jacobian is tedious to derive: wrap it in [`NumericalJacobian`].

use nalgebra::{SMatrix, SVector};

use super::{residual, MeasurementJacobian, MeasurementModel, MotionJacobian, MotionModel};

/// Relative step of the central differences, `eps^(1/3)` (about `6.06e-6`), which balances the
/// `O(h^2)` truncation error against the `O(eps/h)` rounding error.
pub const CENTRAL_DIFFERENCE_STEP: f64 = 6.055454452393343e-6;

/// The Jacobian `J[i][j] = d f_i / d x_j` of `f` at `x` by central differences:
///
/// ```text
/// J[:, j] = (f(x + h_j e_j) - f(x - h_j e_j)) / (2 h_j),   h_j = 6.06e-6 max(1, |x_j|)
/// ```
///
/// Output components marked in `output_angles` are differenced with wrapping to `[-pi, pi)`, so a
/// bearing near `+-pi` gives the right slope. The error is `O(h^2)` (about 1e-10 relative for smooth
/// functions). Costs `2 N` evaluations of `f`; no heap allocation.
///
/// ```
/// use nalgebra::{Vector1, Vector2};
/// use kestrel::models::numerical::central_difference;
/// let j = central_difference(|x: &Vector2<f64>| Vector1::new(x[0] * x[0] * x[1]), &Vector2::new(2.0, 3.0), &[false]);
/// assert!((j[(0, 0)] - 12.0).abs() < 1e-8 && (j[(0, 1)] - 4.0).abs() < 1e-8);
/// ```
pub fn central_difference<const N: usize, const M: usize>(
    f: impl Fn(&SVector<f64, N>) -> SVector<f64, M>,
    x: &SVector<f64, N>,
    output_angles: &[bool; M],
) -> SMatrix<f64, M, N> {
    let mut jac = SMatrix::<f64, M, N>::zeros();
    let mut xp = *x;
    for j in 0..N {
        let h = CENTRAL_DIFFERENCE_STEP * x[j].abs().max(1.0);
        let x0 = x[j];
        xp[j] = x0 + h;
        let fp = f(&xp);
        xp[j] = x0 - h;
        let fm = f(&xp);
        xp[j] = x0;
        // The actual step (x0 + h) - (x0 - h) may differ from 2h by rounding.
        let width = (x0 + h) - (x0 - h);
        jac.set_column(j, &(residual(&fp, &fm, output_angles) / width));
    }
    jac
}

/// Gives any motion or measurement model a Jacobian computed by [`central_difference`].
///
/// `NumericalJacobian(model)` implements [`MotionModel`] + [`MotionJacobian`] when `model` is a
/// [`MotionModel`] (differences of the state are wrapped on the model's angle components), and
/// [`MeasurementModel`] + [`MeasurementJacobian`] when it is a [`MeasurementModel`] (bearing-like
/// outputs wrapped). Everything else is delegated unchanged.
///
/// ```
/// use nalgebra::{Matrix2, Vector2};
/// use kestrel::models::{numerical::NumericalJacobian, MeasurementJacobian, MeasurementModel};
///
/// struct Squared;
/// impl MeasurementModel<2, 2> for Squared {
///     fn measure(&self, x: &Vector2<f64>) -> Vector2<f64> { x.component_mul(x) }
///     fn noise_covariance(&self, _x: &Vector2<f64>) -> Matrix2<f64> { Matrix2::identity() }
/// }
/// let h = NumericalJacobian(Squared).jacobian(&Vector2::new(1.0, -2.0));
/// assert!((h - Matrix2::new(2.0, 0.0, 0.0, -4.0)).abs().max() < 1e-8);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NumericalJacobian<T>(pub T);

impl<T: MotionModel<N>, const N: usize> MotionModel<N> for NumericalJacobian<T> {
    #[inline]
    fn transition(&self, x: &SVector<f64, N>, dt: f64) -> SVector<f64, N> {
        self.0.transition(x, dt)
    }
    #[inline]
    fn process_noise(&self, x: &SVector<f64, N>, dt: f64) -> SMatrix<f64, N, N> {
        self.0.process_noise(x, dt)
    }
    fn angle_components(&self) -> [bool; N] {
        self.0.angle_components()
    }
}

impl<T: MotionModel<N>, const N: usize> MotionJacobian<N> for NumericalJacobian<T> {
    fn jacobian(&self, x: &SVector<f64, N>, dt: f64) -> SMatrix<f64, N, N> {
        central_difference(|s| self.0.transition(s, dt), x, &self.0.angle_components())
    }
}

impl<T: MeasurementModel<N, M>, const N: usize, const M: usize> MeasurementModel<N, M>
    for NumericalJacobian<T>
{
    #[inline]
    fn measure(&self, x: &SVector<f64, N>) -> SVector<f64, M> {
        self.0.measure(x)
    }
    #[inline]
    fn noise_covariance(&self, x: &SVector<f64, N>) -> SMatrix<f64, M, M> {
        self.0.noise_covariance(x)
    }
    fn angle_components(&self) -> [bool; M] {
        self.0.angle_components()
    }
}

impl<T: MeasurementModel<N, M>, const N: usize, const M: usize> MeasurementJacobian<N, M>
    for NumericalJacobian<T>
{
    fn jacobian(&self, x: &SVector<f64, N>) -> SMatrix<f64, M, N> {
        central_difference(|s| self.0.measure(s), x, &self.0.angle_components())
    }
}
