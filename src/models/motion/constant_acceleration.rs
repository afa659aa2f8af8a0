//! Nearly-constant-acceleration motion in the plane.

use nalgebra::{Matrix3, SMatrix, SVector};

use super::kinematic_moments::block_toeplitz_moments;
use super::noise::{acceleration_noise_block, ProcessNoise};
use super::LinearMotion;
use crate::models::error::{check_non_negative, ModelError};
use crate::models::{MotionJacobian, MotionModel};

type Vector6 = SVector<f64, 6>;
type Matrix6 = SMatrix<f64, 6, 6>;

/// Nearly-constant-acceleration motion in the plane.
///
/// State `[x, vx, ax, y, vy, ay]` (m, m/s, m/s^2), interleaved per axis. The transition is linear:
///
/// ```text
/// x[k+1] = F x[k] + w,  F = blockdiag(A, A),  A = [[1, dt, dt^2/2], [0, 1, dt], [0, 0, 1]],
/// w ~ N(0, Q),          Q = blockdiag(q_x B(dt), q_y B(dt))
/// ```
///
/// with `B(dt)` from [`acceleration_noise_block`]: by default ([`ProcessNoise::ContinuousWhite`])
/// continuous white jerk of PSD `q` (m^2/s^5); with [`ProcessNoise::PiecewiseConstant`]
/// FilterPy's `Q_discrete_white_noise(3, dt, var, block_size=2)` with `q` the variance of the
/// acceleration increment per step.
///
/// ```
/// use nalgebra::SVector;
/// use kestrel::models::{motion::ConstantAcceleration, MotionModel};
/// let ca = ConstantAcceleration::new(1.0).unwrap();
/// let x = SVector::<f64, 6>::from([0.0, 1.0, 2.0, 0.0, 0.0, -2.0]);
/// let x1 = ca.transition(&x, 1.0);
/// assert_eq!(x1, SVector::<f64, 6>::from([2.0, 3.0, 2.0, -1.0, -2.0, -2.0]));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConstantAcceleration {
    q: [f64; 2],
    noise: ProcessNoise,
}

impl ConstantAcceleration {
    /// Indices of the position components `[x, y]` in the state.
    pub const POSITION: [usize; 2] = [0, 3];
    /// Indices of the velocity components `[vx, vy]`.
    pub const VELOCITY: [usize; 2] = [1, 4];
    /// Indices of the acceleration components `[ax, ay]`.
    pub const ACCELERATION: [usize; 2] = [2, 5];

    /// Continuous white jerk with power spectral density `q` (m^2/s^5) on both axes.
    ///
    /// # Errors
    /// [`ModelError`] if `q` is negative or not finite.
    pub fn new(q: f64) -> Result<Self, ModelError> {
        Self::with_noise(q, ProcessNoise::ContinuousWhite)
    }

    /// The same intensity on both axes with the chosen discretisation.
    ///
    /// # Errors
    /// [`ModelError`] if `q` is negative or not finite.
    pub fn with_noise(q: f64, noise: ProcessNoise) -> Result<Self, ModelError> {
        Self::with_axes(q, q, noise)
    }

    /// Separate intensities for the x and y axes.
    ///
    /// # Errors
    /// [`ModelError`] if an intensity is negative or not finite.
    pub fn with_axes(q_x: f64, q_y: f64, noise: ProcessNoise) -> Result<Self, ModelError> {
        Ok(Self {
            q: [
                check_non_negative("q_x", q_x)?,
                check_non_negative("q_y", q_y)?,
            ],
            noise,
        })
    }

    /// The noise intensities `[q_x, q_y]`.
    pub fn intensities(&self) -> [f64; 2] {
        self.q
    }

    /// The process-noise discretisation.
    pub fn noise_kind(&self) -> ProcessNoise {
        self.noise
    }
}

impl MotionModel<6> for ConstantAcceleration {
    /// `Q` depends on `dt` only.
    #[inline]
    fn process_noise_is_state_independent(&self) -> bool {
        true
    }

    #[inline]
    fn transition(&self, x: &Vector6, dt: f64) -> Vector6 {
        let h = 0.5 * dt * dt;
        Vector6::from([
            x[0] + dt * x[1] + h * x[2],
            x[1] + dt * x[2],
            x[2],
            x[3] + dt * x[4] + h * x[5],
            x[4] + dt * x[5],
            x[5],
        ])
    }

    #[inline]
    fn process_noise(&self, _x: &Vector6, dt: f64) -> Matrix6 {
        let mut q = Matrix6::zeros();
        let bx: Matrix3<f64> = acceleration_noise_block(self.noise, dt, self.q[0]);
        let by: Matrix3<f64> = acceleration_noise_block(self.noise, dt, self.q[1]);
        q.fixed_view_mut::<3, 3>(0, 0).copy_from(&bx);
        q.fixed_view_mut::<3, 3>(3, 3).copy_from(&by);
        q
    }
}

impl MotionJacobian<6> for ConstantAcceleration {
    #[inline]
    fn jacobian(&self, _x: &Vector6, dt: f64) -> Matrix6 {
        self.transition_matrix(dt)
    }
}

impl LinearMotion<6> for ConstantAcceleration {
    #[inline]
    fn transition_matrix(&self, dt: f64) -> Matrix6 {
        let mut f = Matrix6::identity();
        let h = 0.5 * dt * dt;
        for o in [0, 3] {
            f[(o, o + 1)] = dt;
            f[(o, o + 2)] = h;
            f[(o + 1, o + 2)] = dt;
        }
        f
    }

    /// `(F x, F P F^T)` without the zero terms of `F`: the provided method's result, with 67
    /// multiply-adds instead of 378.
    #[inline]
    fn transition_moments(&self, x: &Vector6, p: &Matrix6, dt: f64) -> (Vector6, Matrix6) {
        block_toeplitz_moments(x, p, [1.0, dt, 0.5 * dt * dt])
    }
}
