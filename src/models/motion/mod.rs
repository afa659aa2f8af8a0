//! Motion models: constant velocity, constant acceleration and coordinated turn in the plane.
//!
//! # Conventions
//!
//! - **State layouts are interleaved per axis** (as in Stone Soup and MATLAB's tracking toolbox):
//!   constant velocity `[x, vx, y, vy]` (4), coordinated turn `[x, vx, y, vy, omega]` (5),
//!   constant acceleration `[x, vx, ax, y, vy, ay]` (6). Each model exposes the indices of its
//!   components as associated constants (`ConstantVelocity::POSITION == [0, 2]`, ...), which the
//!   measurement models take.
//! - Units: metres, seconds, radians; `omega` in rad/s, counter-clockwise positive, x east and
//!   y north. `dt` is the step in seconds (filters reject negative or non-finite `dt`).
//! - **Process noise** is either continuous white noise on the highest derivative, integrated
//!   over `dt` (the default, [`ProcessNoise::ContinuousWhite`]), or FilterPy's piecewise-constant
//!   "discrete white noise" ([`ProcessNoise::PiecewiseConstant`]); see [Process noise](self#process-noise)
//!   and [`velocity_noise_block`] / [`acceleration_noise_block`] for the matrices.
//!
//! # Process noise
//!
//! The continuous discretisation is the default because it is positive definite for `dt > 0` and
//! does not depend on the sampling rate; choose the piecewise-constant one to reproduce FilterPy
//! (`Q_discrete_white_noise(dim, dt, var, block_size=2)` with `order_by_dim=True`, which is this
//! interleaved layout).
//!
//! Linear models ([`ConstantVelocity`], [`ConstantAcceleration`]) also implement
//! [`LinearMotion`], which the linear [`KalmanFilter`](crate::estimation::KalmanFilter) requires;
//! every model implements [`MotionJacobian`] for the extended filter.

use nalgebra::SMatrix;

use super::MotionJacobian;

mod constant_acceleration;
mod constant_velocity;
mod coordinated_turn;
mod noise;

pub use constant_acceleration::ConstantAcceleration;
pub use constant_velocity::ConstantVelocity;
pub use coordinated_turn::CoordinatedTurn;
pub use noise::{acceleration_noise_block, velocity_noise_block, ProcessNoise};

/// A motion model whose transition is linear and independent of the state:
/// `f(x, dt) = F(dt) x`, so that `jacobian(x, dt) == transition_matrix(dt)` for every `x`.
///
/// The linear [`KalmanFilter`](crate::estimation::KalmanFilter) takes only such models; its
/// predicted covariance is exact rather than a linearisation.
pub trait LinearMotion<const N: usize>: MotionJacobian<N> {
    /// The transition matrix `F(dt)`.
    fn transition_matrix(&self, dt: f64) -> SMatrix<f64, N, N>;
}
