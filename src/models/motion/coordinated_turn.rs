//! Coordinated turn with unknown turn rate.

use nalgebra::{SMatrix, SVector};

use super::noise::{velocity_noise_block, ProcessNoise};
use crate::models::error::{check_non_negative, ModelError};
use crate::models::{MotionJacobian, MotionModel};

type Vector5 = SVector<f64, 5>;
type Matrix5 = SMatrix<f64, 5, 5>;

/// Below this `|omega dt|` the trigonometric ratios are evaluated by their Taylor series.
const SERIES_RATIO: f64 = 1e-4;
/// Below this `|omega dt|` the turn-rate derivatives are evaluated by their Taylor series.
const SERIES_DERIVATIVE: f64 = 1e-2;

/// Coordinated turn (constant speed and turn rate) with the turn rate in the state.
///
/// State `[x, vx, y, vy, omega]`: metres, metres per second, and the turn rate `omega` in rad/s,
/// positive counter-clockwise (x east, y north). With `a = omega dt`:
///
/// ```text
/// x'  = x + sin(a)/omega vx - (1 - cos a)/omega vy
/// vx' = cos(a) vx - sin(a) vy
/// y'  = y + (1 - cos a)/omega vx + sin(a)/omega vy
/// vy' = sin(a) vx + cos(a) vy
/// omega' = omega
/// ```
///
/// (Bar-Shalom, Li and Kirubarajan 2001, section 11.7). At `omega = 0` this is exactly the
/// constant-velocity transition, and `f` and its Jacobian `F` are continuous there: for
/// `|a| < 1e-4` the ratios `sin(a)/omega`, `(1 - cos a)/omega` use their Taylor series, and for
/// `|a| < 1e-2` so do their derivatives with respect to omega (the last column of `F`), so no
/// cancellation or division by zero occurs near straight-line motion.
///
/// Process noise: white acceleration on each axis as in
/// [`ConstantVelocity`](super::ConstantVelocity) (intensity `q_linear`, discretisation
/// [`ProcessNoise`]) and a random walk on the turn rate: variance `q_turn dt` for
/// [`ProcessNoise::ContinuousWhite`] (PSD in rad^2/s^3) or `q_turn dt^2` for
/// [`ProcessNoise::PiecewiseConstant`] (variance of the turn-rate derivative in rad^2/s^4).
///
/// ```
/// use nalgebra::SVector;
/// use kestrel::models::{motion::CoordinatedTurn, MotionModel};
/// let ct = CoordinatedTurn::new(0.1, 0.01).unwrap();
/// // a quarter turn at 1 rad/s from heading east at 1 m/s ends heading north, 1 m east and north
/// let w = std::f64::consts::FRAC_PI_2;
/// let x = ct.transition(&SVector::<f64, 5>::from([0.0, 1.0, 0.0, 0.0, 1.0]), w);
/// let expected = [1.0, 0.0, 1.0, 1.0, 1.0];
/// assert!(x.iter().zip(expected).all(|(a, b)| (a - b).abs() < 1e-12));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoordinatedTurn {
    q_linear: f64,
    q_turn: f64,
    noise: ProcessNoise,
}

impl CoordinatedTurn {
    /// Indices of the position components `[x, y]` in the state.
    pub const POSITION: [usize; 2] = [0, 2];
    /// Indices of the velocity components `[vx, vy]`.
    pub const VELOCITY: [usize; 2] = [1, 3];
    /// Index of the turn rate.
    pub const TURN_RATE: usize = 4;

    /// Continuous white noise: acceleration PSD `q_linear` (m^2/s^3) on both axes and turn-rate
    /// PSD `q_turn` (rad^2/s^3).
    ///
    /// # Errors
    /// [`ModelError`] if an intensity is negative or not finite.
    pub fn new(q_linear: f64, q_turn: f64) -> Result<Self, ModelError> {
        Self::with_noise(q_linear, q_turn, ProcessNoise::ContinuousWhite)
    }

    /// Chosen discretisation (see the type docs for the units of the intensities).
    ///
    /// # Errors
    /// [`ModelError`] if an intensity is negative or not finite.
    pub fn with_noise(q_linear: f64, q_turn: f64, noise: ProcessNoise) -> Result<Self, ModelError> {
        Ok(Self {
            q_linear: check_non_negative("q_linear", q_linear)?,
            q_turn: check_non_negative("q_turn", q_turn)?,
            noise,
        })
    }

    /// The noise intensities `(q_linear, q_turn)`.
    pub fn intensities(&self) -> (f64, f64) {
        (self.q_linear, self.q_turn)
    }

    /// The process-noise discretisation.
    pub fn noise_kind(&self) -> ProcessNoise {
        self.noise
    }
}

/// `(sin(a)/omega, (1 - cos a)/omega)` with `a = omega dt`, continuous at `omega = 0`.
#[inline]
fn turn_ratios(a: f64, dt: f64) -> (f64, f64) {
    if a.abs() < SERIES_RATIO {
        let a2 = a * a;
        (dt * (1.0 - a2 / 6.0), dt * a * (0.5 - a2 / 24.0))
    } else {
        let half = 0.5 * a;
        let sh = half.sin();
        (dt * a.sin() / a, dt * 2.0 * sh * sh / a)
    }
}

/// Derivatives of the ratios with respect to omega:
/// `d/domega sin(a)/omega = dt^2 (a cos a - sin a)/a^2`,
/// `d/domega (1 - cos a)/omega = dt^2 (a sin a - (1 - cos a))/a^2`.
#[inline]
fn turn_ratio_derivatives(a: f64, dt: f64, sin_a: f64, cos_a: f64) -> (f64, f64) {
    let dt2 = dt * dt;
    if a.abs() < SERIES_DERIVATIVE {
        let a2 = a * a;
        let ds = a * (-1.0 / 3.0 + a2 * (1.0 / 30.0 + a2 * (-1.0 / 840.0 + a2 / 45360.0)));
        let dc = 0.5 + a2 * (-1.0 / 8.0 + a2 * (1.0 / 144.0 + a2 * (-1.0 / 5760.0)));
        (dt2 * ds, dt2 * dc)
    } else {
        let half = 0.5 * a;
        let one_minus_cos = 2.0 * half.sin() * half.sin();
        let a2 = a * a;
        (
            dt2 * (a * cos_a - sin_a) / a2,
            dt2 * (a * sin_a - one_minus_cos) / a2,
        )
    }
}

impl MotionModel<5> for CoordinatedTurn {
    /// `Q` depends on `dt` only.
    #[inline]
    fn process_noise_is_state_independent(&self) -> bool {
        true
    }

    #[inline]
    fn transition(&self, x: &Vector5, dt: f64) -> Vector5 {
        let (vx, vy, w) = (x[1], x[3], x[4]);
        let a = w * dt;
        let (s, c) = turn_ratios(a, dt);
        let (sin_a, cos_a) = a.sin_cos();
        Vector5::from([
            x[0] + s * vx - c * vy,
            cos_a * vx - sin_a * vy,
            x[2] + c * vx + s * vy,
            sin_a * vx + cos_a * vy,
            w,
        ])
    }

    #[inline]
    fn process_noise(&self, _x: &Vector5, dt: f64) -> Matrix5 {
        let block = velocity_noise_block(self.noise, dt, self.q_linear);
        let mut q = Matrix5::zeros();
        q.fixed_view_mut::<2, 2>(0, 0).copy_from(&block);
        q.fixed_view_mut::<2, 2>(2, 2).copy_from(&block);
        q[(4, 4)] = match self.noise {
            ProcessNoise::ContinuousWhite => self.q_turn * dt,
            ProcessNoise::PiecewiseConstant => self.q_turn * dt * dt,
        };
        q
    }
}

impl MotionJacobian<5> for CoordinatedTurn {
    #[inline]
    fn jacobian(&self, x: &Vector5, dt: f64) -> Matrix5 {
        let (vx, vy, w) = (x[1], x[3], x[4]);
        let a = w * dt;
        let (s, c) = turn_ratios(a, dt);
        let (sin_a, cos_a) = a.sin_cos();
        let (ds, dc) = turn_ratio_derivatives(a, dt, sin_a, cos_a);
        let mut f = Matrix5::identity();
        // x'
        f[(0, 1)] = s;
        f[(0, 3)] = -c;
        f[(0, 4)] = ds * vx - dc * vy;
        // vx'
        f[(1, 1)] = cos_a;
        f[(1, 3)] = -sin_a;
        f[(1, 4)] = -dt * (sin_a * vx + cos_a * vy);
        // y'
        f[(2, 1)] = c;
        f[(2, 3)] = s;
        f[(2, 4)] = dc * vx + ds * vy;
        // vy'
        f[(3, 1)] = sin_a;
        f[(3, 3)] = cos_a;
        f[(3, 4)] = dt * (cos_a * vx - sin_a * vy);
        f
    }
}
