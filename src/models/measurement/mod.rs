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

use nalgebra::SMatrix;

use super::MeasurementJacobian;

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
