//! Nearly-constant-velocity motion in the plane.

use nalgebra::{Matrix4, Vector4};

use super::kinematic_moments::block_toeplitz_moments;
use super::noise::{velocity_noise_block, ProcessNoise};
use super::LinearMotion;
use crate::models::error::{check_non_negative, ModelError};
use crate::models::{MotionJacobian, MotionModel};

/// Nearly-constant-velocity (white-noise acceleration) motion in the plane.
///
/// State `[x, vx, y, vy]` (metres, metres per second), interleaved per axis as in Stone Soup and
/// MATLAB. The transition is linear:
///
/// ```text
/// x[k+1] = F x[k] + w,  F = blockdiag(A, A),  A = [[1, dt], [0, 1]],
/// w ~ N(0, Q),          Q = blockdiag(q_x B(dt), q_y B(dt))
/// ```
///
/// where `B(dt)` is the per-axis block of [`velocity_noise_block`]: with the default
/// [`ProcessNoise::ContinuousWhite`], `B = [[dt^3/3, dt^2/2], [dt^2/2, dt]]` and `q` is the
/// acceleration power spectral density (m^2/s^3); with [`ProcessNoise::PiecewiseConstant`]
/// (FilterPy's `Q_discrete_white_noise(2, dt, var, block_size=2)`), `B = [[dt^4/4, dt^3/2],
/// [dt^3/2, dt^2]]` and `q` is the acceleration variance (m^2/s^4).
///
/// Evaluating `f`, `F` or `Q` costs O(1) and never allocates.
///
/// ```
/// use nalgebra::Vector4;
/// use kestrel::models::{motion::ConstantVelocity, MotionModel};
/// let cv = ConstantVelocity::new(0.5).unwrap();
/// let x = cv.transition(&Vector4::new(1.0, 2.0, 3.0, -1.0), 0.5);
/// assert_eq!(x, Vector4::new(2.0, 2.0, 2.5, -1.0));
/// let q = cv.process_noise(&x, 2.0);
/// assert!((q[(1, 1)] - 1.0).abs() < 1e-15 && (q[(0, 1)] - 1.0).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConstantVelocity {
    q: [f64; 2],
    noise: ProcessNoise,
}

impl ConstantVelocity {
    /// Indices of the position components `[x, y]` in the state.
    pub const POSITION: [usize; 2] = [0, 2];
    /// Indices of the velocity components `[vx, vy]` in the state.
    pub const VELOCITY: [usize; 2] = [1, 3];

    /// Continuous white-noise acceleration with power spectral density `q` (m^2/s^3) on both axes.
    ///
    /// # Errors
    /// [`ModelError`] if `q` is negative or not finite.
    pub fn new(q: f64) -> Result<Self, ModelError> {
        Self::with_noise(q, ProcessNoise::ContinuousWhite)
    }

    /// The same intensity `q` on both axes with the chosen discretisation.
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

impl MotionModel<4> for ConstantVelocity {
    /// `Q` depends on `dt` only.
    #[inline]
    fn process_noise_is_state_independent(&self) -> bool {
        true
    }

    #[inline]
    fn transition(&self, x: &Vector4<f64>, dt: f64) -> Vector4<f64> {
        Vector4::new(x[0] + dt * x[1], x[1], x[2] + dt * x[3], x[3])
    }

    #[inline]
    fn process_noise(&self, _x: &Vector4<f64>, dt: f64) -> Matrix4<f64> {
        // the per-axis block for unit intensity, scaled per axis (the same products as
        // `velocity_noise_block(kind, dt, q)`)
        let b = velocity_noise_block(self.noise, dt, 1.0);
        let (x, y) = (b * self.q[0], b * self.q[1]);
        #[rustfmt::skip]
        let q = Matrix4::new(
            x[(0, 0)], x[(0, 1)], 0.0, 0.0,
            x[(1, 0)], x[(1, 1)], 0.0, 0.0,
            0.0, 0.0, y[(0, 0)], y[(0, 1)],
            0.0, 0.0, y[(1, 0)], y[(1, 1)],
        );
        q
    }
}

impl MotionJacobian<4> for ConstantVelocity {
    #[inline]
    fn jacobian(&self, _x: &Vector4<f64>, dt: f64) -> Matrix4<f64> {
        self.transition_matrix(dt)
    }
}

impl LinearMotion<4> for ConstantVelocity {
    #[inline]
    fn transition_matrix(&self, dt: f64) -> Matrix4<f64> {
        let mut f = Matrix4::identity();
        f[(0, 1)] = dt;
        f[(2, 3)] = dt;
        f
    }

    /// `(F x, F P F^T)` without the zero terms of `F`: the provided method's result, with 16
    /// multiply-adds instead of 120.
    #[inline]
    fn transition_moments(
        &self,
        x: &Vector4<f64>,
        p: &Matrix4<f64>,
        dt: f64,
    ) -> (Vector4<f64>, Matrix4<f64>) {
        block_toeplitz_moments(x, p, [1.0, dt])
    }
}
