//! Motion and measurement models shared by filters, trackers, smoothers and controllers.
//!
//! A model describes one piece of the world in textbook symbols:
//!
//! - motion: `x[k+1] = f(x[k], dt) + w`, `w ~ N(0, Q(x, dt))`, Jacobian `F = df/dx`;
//! - measurement: `z = h(x) + v`, `v ~ N(0, R(x))`, Jacobian `H = dh/dx`.
//!
//! Models are small values: build a new one when a parameter such as the control input changes.
//! Components that are angles are declared through `angle_components`, so filters wrap residuals
//! and average those components on the circle.

use nalgebra::{SMatrix, SVector};

pub(crate) mod error;
pub mod kinematics;
pub mod measurement;
pub mod motion;
pub mod numerical;

pub use error::ModelError;

/// A discrete-time motion model with additive Gaussian process noise.
pub trait MotionModel<const N: usize> {
    /// The noise-free transition `f(x, dt)`.
    fn transition(&self, x: &SVector<f64, N>, dt: f64) -> SVector<f64, N>;
    /// The process-noise covariance `Q(x, dt)` added after the transition.
    fn process_noise(&self, x: &SVector<f64, N>, dt: f64) -> SMatrix<f64, N, N>;
    /// Which state components are angles (wrapped to `[-pi, pi)`). None by default.
    fn angle_components(&self) -> [bool; N] {
        [false; N]
    }

    /// Whether `process_noise(x, dt)` is the same for every state `x` (it may still depend on
    /// `dt`). `false` by default, which is always safe.
    ///
    /// A model that returns `true` lets a filter evaluate and factorise `Q` once per step instead
    /// of once per state: the [`ParticleFilter`](crate::estimation::ParticleFilter) then draws
    /// the noise of every particle from the `Q` of its first particle, through one square root.
    /// Return `true` only when it holds; the library's kinematic models
    /// ([`ConstantVelocity`](motion::ConstantVelocity),
    /// [`ConstantAcceleration`](motion::ConstantAcceleration),
    /// [`CoordinatedTurn`](motion::CoordinatedTurn)) do.
    fn process_noise_is_state_independent(&self) -> bool {
        false
    }
}

/// A motion model with its Jacobian `F = df/dx` (used by the EKF and the RTS smoother).
pub trait MotionJacobian<const N: usize>: MotionModel<N> {
    /// `F(x, dt) = df/dx` evaluated at `x`.
    fn jacobian(&self, x: &SVector<f64, N>, dt: f64) -> SMatrix<f64, N, N>;
}

/// A measurement model with additive Gaussian noise.
pub trait MeasurementModel<const N: usize, const M: usize> {
    /// The noise-free measurement `h(x)`.
    fn measure(&self, x: &SVector<f64, N>) -> SVector<f64, M>;
    /// The measurement-noise covariance `R(x)`.
    fn noise_covariance(&self, x: &SVector<f64, N>) -> SMatrix<f64, M, M>;
    /// Which measurement components are angles (bearing, for example). None by default.
    fn angle_components(&self) -> [bool; M] {
        [false; M]
    }

    /// Whether `noise_covariance(x)` is the same for every state `x`. `false` by default, which
    /// is always safe.
    ///
    /// A model that returns `true` lets a filter evaluate and factorise `R` once per update
    /// instead of once per state: the [`ParticleFilter`](crate::estimation::ParticleFilter) then
    /// weighs every particle with the `R` of its first particle, through one Cholesky factor.
    /// Return `true` only when it holds; the library's measurement models
    /// ([`PositionMeasurement`](measurement::PositionMeasurement),
    /// [`RangeBearing`](measurement::RangeBearing),
    /// [`LinearGaussianMeasurement`](measurement::LinearGaussianMeasurement)) do.
    fn noise_covariance_is_state_independent(&self) -> bool {
        false
    }
}

/// A measurement model with its Jacobian `H = dh/dx`.
pub trait MeasurementJacobian<const N: usize, const M: usize>: MeasurementModel<N, M> {
    /// `H(x) = dh/dx` evaluated at `x`.
    fn jacobian(&self, x: &SVector<f64, N>) -> SMatrix<f64, M, N>;
}

/// The residual `a - b` with the components marked in `angles` wrapped to `[-pi, pi)`.
///
/// ```
/// use nalgebra::Vector2;
/// use kestrel::models::residual;
/// let r = residual(&Vector2::new(1.0, 3.1), &Vector2::new(0.5, -3.1), &[false, true]);
/// assert!((r.x - 0.5).abs() < 1e-12 && (r.y - (6.2 - std::f64::consts::TAU)).abs() < 1e-12);
/// ```
#[inline]
pub fn residual<const D: usize>(
    a: &SVector<f64, D>,
    b: &SVector<f64, D>,
    angles: &[bool; D],
) -> SVector<f64, D> {
    let mut r = a - b;
    for (i, &is_angle) in angles.iter().enumerate() {
        if is_angle {
            r[i] = crate::geometry::wrap_angle(r[i]);
        }
    }
    r
}

/// Wraps the components marked in `angles` to `[-pi, pi)` in place.
#[inline]
pub fn normalize<const D: usize>(x: &mut SVector<f64, D>, angles: &[bool; D]) {
    for (i, &is_angle) in angles.iter().enumerate() {
        if is_angle {
            x[i] = crate::geometry::wrap_angle(x[i]);
        }
    }
}

/// Weighted mean of points, with the components marked in `angles` averaged on the circle.
///
/// Weights are used as given (they need not be positive, as in unscented transforms).
pub fn weighted_mean<'a, const D: usize>(
    points: impl IntoIterator<Item = (&'a SVector<f64, D>, f64)> + Clone,
    angles: &[bool; D],
) -> SVector<f64, D> {
    let mut mean = SVector::<f64, D>::zeros();
    let mut sin = SVector::<f64, D>::zeros();
    let mut cos = SVector::<f64, D>::zeros();
    let any_angle = angles.iter().any(|&a| a);
    for (p, w) in points {
        mean += p * w;
        if any_angle {
            for (i, &is_angle) in angles.iter().enumerate() {
                if is_angle {
                    sin[i] += w * p[i].sin();
                    cos[i] += w * p[i].cos();
                }
            }
        }
    }
    for (i, &is_angle) in angles.iter().enumerate() {
        if is_angle {
            mean[i] = sin[i].atan2(cos[i]);
        }
    }
    mean
}
