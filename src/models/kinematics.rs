//! Continuous-time vehicle kinematics shared by estimation and control, and their RK4
//! discretisation.
//!
//! A [`ContinuousDynamics`] gives the rate `x' = f(x, u)` and its Jacobians
//! `A = df/dx`, `B = df/du`. Two systems are provided, both in a world frame with x forward /
//! east, y left / north, angles counter-clockwise from +x in radians, SI units:
//!
//! - [`UnicycleKinematics`]: state `[x, y, theta]`, input `[v, omega]` (speed m/s, yaw rate rad/s):
//!   `x' = v cos theta, y' = v sin theta, theta' = omega`.
//! - [`BicycleKinematics`]: state `[x, y, psi, v]` (rear-axle position, heading, speed), input
//!   `[a, delta]` (acceleration m/s^2, front steering angle rad), wheelbase `L`:
//!   `x' = v cos psi, y' = v sin psi, psi' = v tan(delta) / L, v' = a`.
//!
//! One classical Runge-Kutta step of length `h` (the input held constant over the step):
//!
//! ```text
//! k1 = f(x, u), k2 = f(x + h/2 k1, u), k3 = f(x + h/2 k2, u), k4 = f(x + h k3, u)
//! x+ = x + h/6 (k1 + 2 k2 + 2 k3 + k4)
//! ```
//!
//! [`rk4_step`] computes it, [`rk4_jacobians`] its exact Jacobians `F = dx+/dx`, `G = dx+/du`
//! (forward-mode chain rule through the four stages), and [`rk4_vjp`] the vector-Jacobian
//! products `F^T lambda`, `G^T lambda` (reverse mode, cheaper than forming `F` and `G`), which the
//! control module's adjoint uses.
//!
//! [`Unicycle`] and [`KinematicBicycle`] wrap these rates as discrete-time
//! [`MotionModel`] + [`MotionJacobian`] for the filters, with the control input held in the
//! model value and process noise `Q = G M G^T + Qc dt` from input noise `M` and an optional
//! additive white-noise density `Qc`.

use super::error::{covariance_status, CovarianceStatus};
use super::{ModelError, MotionJacobian, MotionModel};
use crate::geometry::wrap_angle;
use nalgebra::{Matrix2, Matrix3, Matrix4, SMatrix, SVector, Vector2, Vector3, Vector4};

/// A continuous-time system `x' = f(x, u)` with state size `N` and input size `M`.
pub trait ContinuousDynamics<const N: usize, const M: usize> {
    /// The rate `f(x, u)`.
    fn rate(&self, x: &SVector<f64, N>, u: &SVector<f64, M>) -> SVector<f64, N>;
    /// The Jacobians `(A, B) = (df/dx, df/du)` at `(x, u)`.
    fn rate_jacobians(
        &self,
        x: &SVector<f64, N>,
        u: &SVector<f64, M>,
    ) -> (SMatrix<f64, N, N>, SMatrix<f64, N, M>);
    /// The rate together with the vector-Jacobian products `(f, A^T g, B^T g)`.
    ///
    /// The default forms `A` and `B`; systems may override it with something cheaper.
    fn rate_vjp(
        &self,
        x: &SVector<f64, N>,
        u: &SVector<f64, M>,
        g: &SVector<f64, N>,
    ) -> (SVector<f64, N>, SVector<f64, N>, SVector<f64, M>) {
        let (a, b) = self.rate_jacobians(x, u);
        (self.rate(x, u), a.tr_mul(g), b.tr_mul(g))
    }
}

/// The unicycle: state `[x, y, theta]`, input `[v, omega]`,
/// `x' = v cos theta, y' = v sin theta, theta' = omega`.
///
/// ```
/// use nalgebra::{Vector2, Vector3};
/// use kestrel::models::kinematics::{ContinuousDynamics, UnicycleKinematics};
/// let r = UnicycleKinematics.rate(&Vector3::new(0.0, 0.0, std::f64::consts::FRAC_PI_2),
///                                 &Vector2::new(2.0, 0.5));
/// assert!(r.x.abs() < 1e-12 && (r.y - 2.0).abs() < 1e-12 && (r.z - 0.5).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct UnicycleKinematics;

impl ContinuousDynamics<3, 2> for UnicycleKinematics {
    #[inline]
    fn rate(&self, x: &Vector3<f64>, u: &Vector2<f64>) -> Vector3<f64> {
        let (s, c) = x[2].sin_cos();
        Vector3::new(u[0] * c, u[0] * s, u[1])
    }

    #[inline]
    fn rate_jacobians(
        &self,
        x: &Vector3<f64>,
        u: &Vector2<f64>,
    ) -> (Matrix3<f64>, SMatrix<f64, 3, 2>) {
        let (s, c) = x[2].sin_cos();
        let v = u[0];
        let a = Matrix3::new(0.0, 0.0, -v * s, 0.0, 0.0, v * c, 0.0, 0.0, 0.0);
        let b = SMatrix::<f64, 3, 2>::new(c, 0.0, s, 0.0, 0.0, 1.0);
        (a, b)
    }

    #[inline]
    fn rate_vjp(
        &self,
        x: &Vector3<f64>,
        u: &Vector2<f64>,
        g: &Vector3<f64>,
    ) -> (Vector3<f64>, Vector3<f64>, Vector2<f64>) {
        let (s, c) = x[2].sin_cos();
        let v = u[0];
        (
            Vector3::new(v * c, v * s, u[1]),
            Vector3::new(0.0, 0.0, v * (c * g[1] - s * g[0])),
            Vector2::new(c * g[0] + s * g[1], g[2]),
        )
    }
}

/// The kinematic bicycle about the rear axle: state `[x, y, psi, v]`, input `[a, delta]`,
/// `x' = v cos psi, y' = v sin psi, psi' = v tan(delta) / L, v' = a`.
///
/// Valid for `|delta| < pi/2` (keep the steering bounded well inside it).
///
/// ```
/// use nalgebra::{Vector2, Vector4};
/// use kestrel::models::kinematics::{BicycleKinematics, ContinuousDynamics};
/// let bike = BicycleKinematics::new(2.5).unwrap();
/// let r = bike.rate(&Vector4::new(0.0, 0.0, 0.0, 5.0), &Vector2::new(1.0, 0.1));
/// assert!((r[2] - 5.0 * 0.1f64.tan() / 2.5).abs() < 1e-12 && (r[3] - 1.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BicycleKinematics {
    wheelbase: f64,
}

impl BicycleKinematics {
    /// A bicycle with wheelbase `L` (m).
    ///
    /// # Errors
    /// [`ModelError::InvalidParameter`] unless `L` is finite and positive.
    pub fn new(wheelbase: f64) -> Result<Self, ModelError> {
        if !(wheelbase.is_finite() && wheelbase > 0.0) {
            return Err(ModelError::InvalidParameter {
                name: "wheelbase",
                reason: format!("must be finite and positive, got {wheelbase}"),
            });
        }
        Ok(Self { wheelbase })
    }

    /// The wheelbase `L` (m).
    pub fn wheelbase(&self) -> f64 {
        self.wheelbase
    }
}

impl ContinuousDynamics<4, 2> for BicycleKinematics {
    #[inline]
    fn rate(&self, x: &Vector4<f64>, u: &Vector2<f64>) -> Vector4<f64> {
        let (s, c) = x[2].sin_cos();
        let v = x[3];
        Vector4::new(v * c, v * s, v * u[1].tan() / self.wheelbase, u[0])
    }

    #[inline]
    fn rate_jacobians(
        &self,
        x: &Vector4<f64>,
        u: &Vector2<f64>,
    ) -> (Matrix4<f64>, SMatrix<f64, 4, 2>) {
        let (s, c) = x[2].sin_cos();
        let v = x[3];
        let tan = u[1].tan();
        let sec2 = 1.0 + tan * tan;
        let l = self.wheelbase;
        #[rustfmt::skip]
        let a = Matrix4::new(
            0.0, 0.0, -v * s, c,
            0.0, 0.0, v * c, s,
            0.0, 0.0, 0.0, tan / l,
            0.0, 0.0, 0.0, 0.0,
        );
        #[rustfmt::skip]
        let b = SMatrix::<f64, 4, 2>::new(
            0.0, 0.0,
            0.0, 0.0,
            0.0, v * sec2 / l,
            1.0, 0.0,
        );
        (a, b)
    }

    #[inline]
    fn rate_vjp(
        &self,
        x: &Vector4<f64>,
        u: &Vector2<f64>,
        g: &Vector4<f64>,
    ) -> (Vector4<f64>, Vector4<f64>, Vector2<f64>) {
        let (s, c) = x[2].sin_cos();
        let v = x[3];
        let tan = u[1].tan();
        let inv_l = 1.0 / self.wheelbase;
        (
            Vector4::new(v * c, v * s, v * tan * inv_l, u[0]),
            Vector4::new(
                0.0,
                0.0,
                v * (c * g[1] - s * g[0]),
                c * g[0] + s * g[1] + tan * inv_l * g[2],
            ),
            Vector2::new(g[3], v * (1.0 + tan * tan) * inv_l * g[2]),
        )
    }
}

/// One classical RK4 step of length `dt` with the input held constant.
///
/// Cost: four rate evaluations.
///
/// ```
/// use nalgebra::{Vector2, Vector3};
/// use kestrel::models::kinematics::{rk4_step, UnicycleKinematics};
/// // Driving straight along +x at 2 m/s for 0.5 s.
/// let x = rk4_step(&UnicycleKinematics, &Vector3::zeros(), &Vector2::new(2.0, 0.0), 0.5);
/// assert!((x.x - 1.0).abs() < 1e-12 && x.y.abs() < 1e-12);
/// ```
#[inline]
pub fn rk4_step<S, const N: usize, const M: usize>(
    system: &S,
    x: &SVector<f64, N>,
    u: &SVector<f64, M>,
    dt: f64,
) -> SVector<f64, N>
where
    S: ContinuousDynamics<N, M> + ?Sized,
{
    let h2 = 0.5 * dt;
    let k1 = system.rate(x, u);
    let k2 = system.rate(&(x + k1 * h2), u);
    let k3 = system.rate(&(x + k2 * h2), u);
    let k4 = system.rate(&(x + k3 * dt), u);
    x + (k1 + (k2 + k3) * 2.0 + k4) * (dt / 6.0)
}

/// The exact Jacobians `(F, G) = (dx+/dx, dx+/du)` of [`rk4_step`].
///
/// Forward-mode chain rule through the stages: with `z1 = x`, `z2 = x + h/2 k1`,
/// `z3 = x + h/2 k2`, `z4 = x + h k3` and `A_i, B_i` the rate Jacobians at `(z_i, u)`,
/// `dk_i/dx = A_i dz_i/dx`, `dk_i/du = A_i dz_i/du + B_i`, and
/// `F = I + h/6 (dk1/dx + 2 dk2/dx + 2 dk3/dx + dk4/dx)` (likewise `G`). Cost: four rate and
/// Jacobian evaluations plus `O(N^2 (N + M))` products.
///
/// ```
/// use nalgebra::{Vector2, Vector3};
/// use kestrel::models::kinematics::{rk4_jacobians, UnicycleKinematics};
/// let (f, g) = rk4_jacobians(&UnicycleKinematics, &Vector3::zeros(), &Vector2::new(1.0, 0.0), 0.1);
/// // Heading error moves y by v dt; speed moves x by dt.
/// assert!((f[(1, 2)] - 0.1).abs() < 1e-12 && (g[(0, 0)] - 0.1).abs() < 1e-12);
/// ```
pub fn rk4_jacobians<S, const N: usize, const M: usize>(
    system: &S,
    x: &SVector<f64, N>,
    u: &SVector<f64, M>,
    dt: f64,
) -> (SMatrix<f64, N, N>, SMatrix<f64, N, M>)
where
    S: ContinuousDynamics<N, M> + ?Sized,
{
    let h2 = 0.5 * dt;
    let eye = SMatrix::<f64, N, N>::identity();
    let k1 = system.rate(x, u);
    let (a1, b1) = system.rate_jacobians(x, u);
    let (k1x, k1u) = (a1, b1);
    let z2 = x + k1 * h2;
    let k2 = system.rate(&z2, u);
    let (a2, b2) = system.rate_jacobians(&z2, u);
    let k2x = a2 * (eye + k1x * h2);
    let k2u = a2 * k1u * h2 + b2;
    let z3 = x + k2 * h2;
    let k3 = system.rate(&z3, u);
    let (a3, b3) = system.rate_jacobians(&z3, u);
    let k3x = a3 * (eye + k2x * h2);
    let k3u = a3 * k2u * h2 + b3;
    let z4 = x + k3 * dt;
    let (a4, b4) = system.rate_jacobians(&z4, u);
    let k4x = a4 * (eye + k3x * dt);
    let k4u = a4 * k3u * dt + b4;
    let f = eye + (k1x + (k2x + k3x) * 2.0 + k4x) * (dt / 6.0);
    let g = (k1u + (k2u + k3u) * 2.0 + k4u) * (dt / 6.0);
    (f, g)
}

/// The vector-Jacobian products `(F^T lambda, G^T lambda)` of [`rk4_step`] (reverse mode).
///
/// With `gk1 = gk4 = h/6 lambda` and `gk2 = gk3 = h/3 lambda` the output adjoints of the
/// stages, the sweep goes backwards: `gz4 = A4^T gk4`, `gk3 += h gz4`; `gz3 = A3^T gk3`,
/// `gk2 += h/2 gz3`; `gz2 = A2^T gk2`, `gk1 += h/2 gz2`; `gz1 = A1^T gk1`; then
/// `F^T lambda = lambda + gz1 + gz2 + gz3 + gz4` and `G^T lambda = sum_i B_i^T gk_i`.
/// Cost: the forward stages again plus four rate vector-Jacobian products.
///
/// ```
/// use nalgebra::{Vector2, Vector3};
/// use kestrel::models::kinematics::{rk4_jacobians, rk4_vjp, UnicycleKinematics};
/// let (x, u, l) = (Vector3::new(1.0, 2.0, 0.3), Vector2::new(1.5, -0.4), Vector3::new(0.2, -1.0, 0.5));
/// let (f, g) = rk4_jacobians(&UnicycleKinematics, &x, &u, 0.1);
/// let (lx, lu) = rk4_vjp(&UnicycleKinematics, &x, &u, 0.1, &l);
/// assert!((lx - f.transpose() * l).norm() < 1e-12 && (lu - g.transpose() * l).norm() < 1e-12);
/// ```
pub fn rk4_vjp<S, const N: usize, const M: usize>(
    system: &S,
    x: &SVector<f64, N>,
    u: &SVector<f64, M>,
    dt: f64,
    lambda: &SVector<f64, N>,
) -> (SVector<f64, N>, SVector<f64, M>)
where
    S: ContinuousDynamics<N, M> + ?Sized,
{
    let h2 = 0.5 * dt;
    // Forward stages (the points z_i are needed by the reverse sweep).
    let k1 = system.rate(x, u);
    let z2 = x + k1 * h2;
    let k2 = system.rate(&z2, u);
    let z3 = x + k2 * h2;
    let k3 = system.rate(&z3, u);
    let z4 = x + k3 * dt;
    // Reverse sweep.
    let gk4 = lambda * (dt / 6.0);
    let (_, gz4, gu4) = system.rate_vjp(&z4, u, &gk4);
    let gk3 = lambda * (dt / 3.0) + gz4 * dt;
    let (_, gz3, gu3) = system.rate_vjp(&z3, u, &gk3);
    let gk2 = lambda * (dt / 3.0) + gz3 * h2;
    let (_, gz2, gu2) = system.rate_vjp(&z2, u, &gk2);
    let gk1 = lambda * (dt / 6.0) + gz2 * h2;
    let (_, gz1, gu1) = system.rate_vjp(x, u, &gk1);
    (lambda + gz1 + gz2 + gz3 + gz4, gu1 + gu2 + gu3 + gu4)
}

/// Checks that a covariance is finite, symmetric and positive semi-definite.
fn check_psd<const D: usize>(m: &SMatrix<f64, D, D>, name: &'static str) -> Result<(), ModelError> {
    match covariance_status(m) {
        CovarianceStatus::Ok => Ok(()),
        CovarianceStatus::NonFinite => Err(ModelError::NonFinite { name }),
        _ => Err(ModelError::NotPositiveSemiDefinite { name }),
    }
}

/// Unicycle motion model for filters: state `[x, y, theta]`, input `[v, omega]` held in the model.
///
/// Transition: one RK4 step of [`UnicycleKinematics`] with the stored input over `dt`, heading
/// wrapped to `[-pi, pi)`. Jacobian `F = dx+/dx` from [`rk4_jacobians`]. Process noise
/// `Q = G M G^T + Qc dt`, with `G = dx+/du`, `M` the input-noise covariance (speed and yaw-rate
/// noise held over the step) and `Qc` an additive white-noise density (per second). Both default
/// to zero. Angle mask `[false, false, true]`. `dt` is used as given (the filters reject negative
/// or non-finite steps).
///
/// ```
/// use nalgebra::{Matrix2, Vector3};
/// use kestrel::models::{kinematics::Unicycle, MotionModel};
/// let m = Unicycle::new(1.0, 0.0).unwrap()
///     .with_input_noise(Matrix2::new(0.04, 0.0, 0.0, 0.01)).unwrap();
/// let x = m.transition(&Vector3::zeros(), 2.0);
/// assert!((x.x - 2.0).abs() < 1e-12);
/// // Speed noise spreads x by sigma_v dt: variance 0.04 * 4.
/// assert!((m.process_noise(&Vector3::zeros(), 2.0)[(0, 0)] - 0.16).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unicycle {
    input: Vector2<f64>,
    input_noise: Matrix2<f64>,
    noise_density: Matrix3<f64>,
}

impl Unicycle {
    /// A unicycle driven at `speed` (m/s) and `yaw_rate` (rad/s), without process noise.
    ///
    /// # Errors
    /// [`ModelError::NonFinite`] for a non-finite input.
    pub fn new(speed: f64, yaw_rate: f64) -> Result<Self, ModelError> {
        let mut m = Self {
            input: Vector2::zeros(),
            input_noise: Matrix2::zeros(),
            noise_density: Matrix3::zeros(),
        };
        m.set_input(speed, yaw_rate)?;
        Ok(m)
    }

    /// Replaces the control input `[v, omega]`.
    ///
    /// # Errors
    /// [`ModelError::NonFinite`] for a non-finite input (the model is left unchanged).
    pub fn set_input(&mut self, speed: f64, yaw_rate: f64) -> Result<(), ModelError> {
        if !(speed.is_finite() && yaw_rate.is_finite()) {
            return Err(ModelError::NonFinite {
                name: "unicycle input",
            });
        }
        self.input = Vector2::new(speed, yaw_rate);
        Ok(())
    }

    /// Sets the covariance `M` of the input noise `[v, omega]`.
    ///
    /// # Errors
    /// [`ModelError`] unless `M` is finite, symmetric and positive semi-definite.
    pub fn with_input_noise(mut self, covariance: Matrix2<f64>) -> Result<Self, ModelError> {
        check_psd(&covariance, "input noise covariance")?;
        self.input_noise = covariance;
        Ok(self)
    }

    /// Sets the additive white-noise density `Qc` (state units squared per second).
    ///
    /// # Errors
    /// [`ModelError`] unless `Qc` is finite, symmetric and positive semi-definite.
    pub fn with_noise_density(mut self, density: Matrix3<f64>) -> Result<Self, ModelError> {
        check_psd(&density, "noise density")?;
        self.noise_density = density;
        Ok(self)
    }

    /// The stored input `[v, omega]`.
    pub fn input(&self) -> Vector2<f64> {
        self.input
    }
}

impl MotionModel<3> for Unicycle {
    fn transition(&self, x: &Vector3<f64>, dt: f64) -> Vector3<f64> {
        let mut next = rk4_step(&UnicycleKinematics, x, &self.input, dt);
        next[2] = wrap_angle(next[2]);
        next
    }

    fn process_noise(&self, x: &Vector3<f64>, dt: f64) -> Matrix3<f64> {
        let (_, g) = rk4_jacobians(&UnicycleKinematics, x, &self.input, dt);
        g * self.input_noise * g.transpose() + self.noise_density * dt
    }

    fn angle_components(&self) -> [bool; 3] {
        [false, false, true]
    }
}

impl MotionJacobian<3> for Unicycle {
    fn jacobian(&self, x: &Vector3<f64>, dt: f64) -> Matrix3<f64> {
        rk4_jacobians(&UnicycleKinematics, x, &self.input, dt).0
    }
}

/// Kinematic-bicycle motion model for filters: state `[x, y, psi, v]`, input `[a, delta]` held in
/// the model, wheelbase `L`.
///
/// Transition: one RK4 step of [`BicycleKinematics`] over `dt`, heading wrapped to `[-pi, pi)`.
/// Jacobian from [`rk4_jacobians`]; process noise `Q = G M G^T + Qc dt` as for [`Unicycle`]
/// (`M` over `[a, delta]`). Angle mask `[false, false, true, false]`.
///
/// ```
/// use nalgebra::Vector4;
/// use kestrel::models::{kinematics::KinematicBicycle, MotionModel};
/// let m = KinematicBicycle::new(2.5, 1.0, 0.0).unwrap();
/// let x = m.transition(&Vector4::new(0.0, 0.0, 0.0, 2.0), 1.0);
/// // Constant acceleration along +x: s = v t + a t^2 / 2.
/// assert!((x[0] - 2.5).abs() < 1e-12 && (x[3] - 3.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KinematicBicycle {
    kinematics: BicycleKinematics,
    input: Vector2<f64>,
    input_noise: Matrix2<f64>,
    noise_density: Matrix4<f64>,
}

impl KinematicBicycle {
    /// A bicycle with wheelbase `L` (m), acceleration `a` (m/s^2) and steering `delta` (rad).
    ///
    /// # Errors
    /// [`ModelError`] for a non-positive wheelbase, a non-finite input or `|delta| >= pi/2`.
    pub fn new(wheelbase: f64, acceleration: f64, steering: f64) -> Result<Self, ModelError> {
        let mut m = Self {
            kinematics: BicycleKinematics::new(wheelbase)?,
            input: Vector2::zeros(),
            input_noise: Matrix2::zeros(),
            noise_density: Matrix4::zeros(),
        };
        m.set_input(acceleration, steering)?;
        Ok(m)
    }

    /// Replaces the control input `[a, delta]`.
    ///
    /// # Errors
    /// [`ModelError`] for a non-finite input or `|delta| >= pi/2` (model left unchanged).
    pub fn set_input(&mut self, acceleration: f64, steering: f64) -> Result<(), ModelError> {
        if !(acceleration.is_finite() && steering.is_finite()) {
            return Err(ModelError::NonFinite {
                name: "bicycle input",
            });
        }
        if steering.abs() >= std::f64::consts::FRAC_PI_2 {
            return Err(ModelError::InvalidParameter {
                name: "steering",
                reason: format!("|delta| must be below pi/2, got {steering}"),
            });
        }
        self.input = Vector2::new(acceleration, steering);
        Ok(())
    }

    /// Sets the covariance `M` of the input noise `[a, delta]`.
    ///
    /// # Errors
    /// [`ModelError`] unless `M` is finite, symmetric and positive semi-definite.
    pub fn with_input_noise(mut self, covariance: Matrix2<f64>) -> Result<Self, ModelError> {
        check_psd(&covariance, "input noise covariance")?;
        self.input_noise = covariance;
        Ok(self)
    }

    /// Sets the additive white-noise density `Qc` (state units squared per second).
    ///
    /// # Errors
    /// [`ModelError`] unless `Qc` is finite, symmetric and positive semi-definite.
    pub fn with_noise_density(mut self, density: Matrix4<f64>) -> Result<Self, ModelError> {
        check_psd(&density, "noise density")?;
        self.noise_density = density;
        Ok(self)
    }

    /// The stored input `[a, delta]`.
    pub fn input(&self) -> Vector2<f64> {
        self.input
    }

    /// The underlying continuous-time kinematics.
    pub fn kinematics(&self) -> &BicycleKinematics {
        &self.kinematics
    }
}

impl MotionModel<4> for KinematicBicycle {
    fn transition(&self, x: &Vector4<f64>, dt: f64) -> Vector4<f64> {
        let mut next = rk4_step(&self.kinematics, x, &self.input, dt);
        next[2] = wrap_angle(next[2]);
        next
    }

    fn process_noise(&self, x: &Vector4<f64>, dt: f64) -> Matrix4<f64> {
        let (_, g) = rk4_jacobians(&self.kinematics, x, &self.input, dt);
        g * self.input_noise * g.transpose() + self.noise_density * dt
    }

    fn angle_components(&self) -> [bool; 4] {
        [false, false, true, false]
    }
}

impl MotionJacobian<4> for KinematicBicycle {
    fn jacobian(&self, x: &Vector4<f64>, dt: f64) -> Matrix4<f64> {
        rk4_jacobians(&self.kinematics, x, &self.input, dt).0
    }
}
