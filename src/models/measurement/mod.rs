//! Measurement models: position, range-bearing, and a general linear-Gaussian model.
//!
//! # Conventions
//!
//! - Models are generic over the state dimension `N` and take the indices of the planar position
//!   `[x, y]` in the state, so one model serves every motion model: pass
//!   `ConstantVelocity::POSITION` (`[0, 2]`), `CoordinatedTurn::POSITION` (`[0, 2]`) or
//!   `ConstantAcceleration::POSITION` (`[0, 3]`).
//! - Range in metres, bearing in radians measured counter-clockwise from the +x axis (east) at
//!   the sensor, in `(-pi, pi]` as returned by `atan2`. The bearing component is declared in
//!   `angle_components`, so filters wrap the residual `z - h(x)` to `[-pi, pi)`.
//! - Noise covariances are validated once, at construction (symmetric positive semi-definite).
//!
//! Linear models ([`PositionMeasurement`], [`LinearGaussianMeasurement`]) also implement
//! [`LinearMeasurement`], which the linear [`KalmanFilter`](crate::estimation::KalmanFilter)
//! requires; every model implements [`MeasurementJacobian`] for the extended filter.

use nalgebra::{SMatrix, SVector};

use super::MeasurementJacobian;
use crate::estimation::small_linalg::{mul, project};

mod linear;
mod position;
mod range_bearing;

pub use linear::LinearGaussianMeasurement;
pub use position::PositionMeasurement;
pub use range_bearing::RangeBearing;

/// A measurement model that is linear in the state: `h(x) = H x`, with a constant `H`, so that
/// `jacobian(x) == measurement_matrix()` for every `x`.
pub trait LinearMeasurement<const N: usize, const M: usize>: MeasurementJacobian<N, M> {
    /// The measurement matrix `H`.
    fn measurement_matrix(&self) -> SMatrix<f64, M, N>;

    /// The projection of a Gaussian with mean `x` and symmetric covariance `P` through
    /// `H = measurement_matrix()`: `(H x, P H^T, H P H^T)`, the predicted measurement, the
    /// state-measurement cross-covariance and the measurement covariance before noise. The
    /// [`KalmanFilter`](crate::estimation::KalmanFilter) adds `R` to the last one.
    ///
    /// Filters read only the lower triangle (`i >= j`) of `H P H^T` and mirror it.
    ///
    /// The provided method multiplies the dense matrices: `N M + N^2 M + N M (M + 1) / 2`
    /// multiply-adds. A model whose `H` selects state components may override it with the
    /// selected entries (the result must be the provided method's, up to rounding):
    /// [`PositionMeasurement`] does, with the provided method's result exactly and no
    /// arithmetic at all.
    ///
    /// ```
    /// use nalgebra::{Matrix4, Vector4};
    /// use kestrel::models::measurement::{LinearMeasurement, PositionMeasurement};
    /// let gps = PositionMeasurement::<4>::new([0, 2], 1.0).unwrap();
    /// let x = Vector4::new(1.0, 2.0, 3.0, 4.0);
    /// let p = Matrix4::from_fn(|i, j| 1.0 / (1 + i + j) as f64);
    /// let (z, pht, hph) = gps.measurement_moments(&x, &p);
    /// let h = gps.measurement_matrix();
    /// assert_eq!((z, pht, hph), (h * x, p * h.transpose(), h * p * h.transpose()));
    /// ```
    #[inline]
    #[allow(clippy::type_complexity)]
    fn measurement_moments(
        &self,
        x: &SVector<f64, N>,
        p: &SMatrix<f64, N, N>,
    ) -> (SVector<f64, M>, SMatrix<f64, N, M>, SMatrix<f64, M, M>) {
        let h = self.measurement_matrix();
        let (pht, hph) = project(&h, p);
        (mul(&h, x), pht, hph)
    }
}

/// Checks that each index is `< n`.
pub(crate) fn check_indices(
    name: &'static str,
    indices: &[usize],
    n: usize,
) -> Result<(), crate::models::ModelError> {
    match indices.iter().find(|&&i| i >= n) {
        Some(&index) => Err(crate::models::ModelError::IndexOutOfRange {
            name,
            index,
            dim: n,
        }),
        None => Ok(()),
    }
}
