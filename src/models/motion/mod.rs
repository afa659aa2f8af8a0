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

use nalgebra::{SMatrix, SVector};

use super::MotionJacobian;
use crate::estimation::small_linalg::{mul, sym_sandwich};

mod constant_acceleration;
mod constant_velocity;
mod coordinated_turn;
mod kinematic_moments;
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

    /// The noise-free part of a linear prediction of a Gaussian with mean `x` and symmetric
    /// covariance `P`: `(F x, F P F^T)` with `F = transition_matrix(dt)`. The
    /// [`KalmanFilter`](crate::estimation::KalmanFilter) adds `Q` to the covariance.
    ///
    /// Filters read only the lower triangle (`i >= j`) of `F P F^T` and mirror it, so the stored
    /// covariance stays exactly symmetric whatever an implementation returns above the diagonal.
    ///
    /// The provided method evaluates `F` once and multiplies the dense matrices:
    /// `N^2 + N^3 + N^2 (N + 1) / 2` multiply-adds, most of them by the zeros of a kinematic
    /// `F`. A model whose `F` has known zero and unit entries may override it with the same sums
    /// without those terms (the result must be the provided method's, up to rounding):
    /// [`ConstantVelocity`] and [`ConstantAcceleration`] do, and give the provided method's
    /// result exactly (a dropped term `0 * a` adds nothing to a finite sum) in a small fraction
    /// of the work.
    ///
    /// ```
    /// use nalgebra::{Matrix4, Vector4};
    /// use kestrel::models::motion::{ConstantVelocity, LinearMotion};
    /// let cv = ConstantVelocity::new(0.1).unwrap();
    /// let (x, p) = (Vector4::new(1.0, 2.0, 3.0, 4.0), Matrix4::identity());
    /// let (fx, fpf) = cv.transition_moments(&x, &p, 0.5);
    /// let f = cv.transition_matrix(0.5);
    /// assert_eq!(fx, f * x);
    /// assert_eq!(fpf, f * p * f.transpose());
    /// ```
    #[inline]
    fn transition_moments(
        &self,
        x: &SVector<f64, N>,
        p: &SMatrix<f64, N, N>,
        dt: f64,
    ) -> (SVector<f64, N>, SMatrix<f64, N, N>) {
        let f = self.transition_matrix(dt);
        (mul(&f, x), sym_sandwich(&f, p))
    }
}
