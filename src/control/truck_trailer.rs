//! The truck backer-upper kinematics (Nguyen & Widrow 1990, in the NYU deep-learning course's
//! discretisation) with its analytic adjoint.

use nalgebra::{Matrix2x4, Vector1, Vector2, Vector4};

use super::dynamics::Dynamics;
use super::error::ControlError;
use crate::geometry::wrap_angle;

/// A cab pulling a trailer, state `[x, y, theta0, theta1]`, action `[phi]`.
///
/// `(x, y)` is the hitch (m), `theta0` the cab heading and `theta1` the trailer heading (rad,
/// counter-clockwise from +x), `phi` the steering angle (rad). With speed `s` (negative: backing
/// up), cab length `L`, hitch-to-trailer-rear length `d` and step `dt`, one explicit Euler step
/// as in the course code (every right-hand side uses the state *before* the step):
///
/// ```text
/// x      += s dt cos(theta0)
/// y      += s dt sin(theta0)
/// theta0 += (s / L) dt tan(phi)
/// theta1 += (s / d) dt sin(theta0 - theta1)
/// ```
///
/// The trailer rear is `(x - d cos theta1, y - d sin theta1)`; the rig is jack-knifed when the
/// wrapped `|theta0 - theta1|` exceeds 90 degrees (the course code forgets the wrap; this one
/// does not). The adjoint is the exact transpose of the step's Jacobian:
///
/// ```text
/// lambda_x = l_x,  lambda_y = l_y,
/// lambda_theta0 = l_theta0 - s dt sin(theta0) l_x + s dt cos(theta0) l_y + (s/d) dt c l_theta1,
/// lambda_theta1 = (1 - (s/d) dt c) l_theta1,   c = cos(theta0 - theta1),
/// lambda_phi = (s/L) dt (1 + tan^2 phi) l_theta0.
/// ```
///
/// ```
/// use nalgebra::{Vector1, Vector4};
/// use kestrel::control::{Dynamics, TruckTrailer};
/// let truck = TruckTrailer::course();
/// let x = truck.step(&Vector4::new(20.0, 0.0, 0.0, 0.0), &Vector1::new(0.0));
/// assert!((x[0] - 19.9).abs() < 1e-12); // backing up at 0.1 per step
/// assert!((truck.trailer_rear(&x).x - 15.9).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TruckTrailer {
    speed: f64,
    cab_length: f64,
    trailer_length: f64,
    dt: f64,
    max_steering: f64,
}

impl TruckTrailer {
    /// The NYU deep-learning course constants: `s = -0.1`, `L = 1`, `d = 4`, `dt = 1`,
    /// steering limited to +-45 degrees.
    pub fn course() -> Self {
        Self {
            speed: -0.1,
            cab_length: 1.0,
            trailer_length: 4.0,
            dt: 1.0,
            max_steering: std::f64::consts::FRAC_PI_4,
        }
    }

    /// A rig with speed `s` (per unit time, negative backs up), cab length `L`, trailer length
    /// `d`, step `dt` and steering limit `max_steering` (rad, in `(0, pi/2)`).
    ///
    /// # Errors
    /// [`ControlError::InvalidParameter`] for non-finite values, non-positive lengths or step, or
    /// a steering limit outside `(0, pi/2)`.
    pub fn new(
        speed: f64,
        cab_length: f64,
        trailer_length: f64,
        dt: f64,
        max_steering: f64,
    ) -> Result<Self, ControlError> {
        let positive = |name: &'static str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(ControlError::InvalidParameter {
                    name,
                    reason: format!("must be finite and positive, got {v}"),
                })
            }
        };
        if !speed.is_finite() {
            return Err(ControlError::InvalidParameter {
                name: "speed",
                reason: format!("must be finite, got {speed}"),
            });
        }
        positive("cab_length", cab_length)?;
        positive("trailer_length", trailer_length)?;
        positive("dt", dt)?;
        if !(max_steering > 0.0 && max_steering < std::f64::consts::FRAC_PI_2) {
            return Err(ControlError::InvalidParameter {
                name: "max_steering",
                reason: format!("must be in (0, pi/2), got {max_steering}"),
            });
        }
        Ok(Self {
            speed,
            cab_length,
            trailer_length,
            dt,
            max_steering,
        })
    }

    /// The steering limit (rad): bounds for the MPC are `[-max, max]`.
    pub fn max_steering(&self) -> f64 {
        self.max_steering
    }

    /// The speed `s`.
    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// The hitch-to-trailer-rear length `d`.
    pub fn trailer_length(&self) -> f64 {
        self.trailer_length
    }

    /// The trailer rear `(x - d cos theta1, y - d sin theta1)`.
    pub fn trailer_rear(&self, x: &Vector4<f64>) -> Vector2<f64> {
        let (s, c) = x[3].sin_cos();
        Vector2::new(
            x[0] - self.trailer_length * c,
            x[1] - self.trailer_length * s,
        )
    }

    /// The Jacobian of [`trailer_rear`](Self::trailer_rear) with respect to the state.
    pub fn trailer_rear_jacobian(&self, x: &Vector4<f64>) -> Matrix2x4<f64> {
        let (s, c) = x[3].sin_cos();
        let d = self.trailer_length;
        Matrix2x4::new(1.0, 0.0, 0.0, d * s, 0.0, 1.0, 0.0, -d * c)
    }

    /// The hitch angle `theta0 - theta1`, wrapped to `[-pi, pi)`.
    pub fn hitch_angle(&self, x: &Vector4<f64>) -> f64 {
        wrap_angle(x[2] - x[3])
    }

    /// Whether the rig is jack-knifed: wrapped `|theta0 - theta1| > pi/2`.
    pub fn is_jackknifed(&self, x: &Vector4<f64>) -> bool {
        self.hitch_angle(x).abs() > std::f64::consts::FRAC_PI_2
    }
}

impl Dynamics<4, 1> for TruckTrailer {
    #[inline]
    fn step(&self, x: &Vector4<f64>, u: &Vector1<f64>) -> Vector4<f64> {
        let sdt = self.speed * self.dt;
        let (s0, c0) = x[2].sin_cos();
        Vector4::new(
            x[0] + sdt * c0,
            x[1] + sdt * s0,
            x[2] + sdt / self.cab_length * u[0].tan(),
            x[3] + sdt / self.trailer_length * (x[2] - x[3]).sin(),
        )
    }

    #[inline]
    fn vjp(
        &self,
        x: &Vector4<f64>,
        u: &Vector1<f64>,
        l: &Vector4<f64>,
    ) -> (Vector4<f64>, Vector1<f64>) {
        let sdt = self.speed * self.dt;
        let (s0, c0) = x[2].sin_cos();
        let k = sdt / self.trailer_length * (x[2] - x[3]).cos();
        let tan = u[0].tan();
        (
            Vector4::new(
                l[0],
                l[1],
                l[2] - sdt * s0 * l[0] + sdt * c0 * l[1] + k * l[3],
                (1.0 - k) * l[3],
            ),
            Vector1::new(sdt / self.cab_length * (1.0 + tan * tan) * l[2]),
        )
    }
}

/// Docking cost for the [`TruckTrailer`]: at the end of the horizon
/// `w_p |rear(x) - dock|^2 + w_a wrap(theta1 - heading)^2` (trailer rear on the dock, trailer at
/// the dock heading), and at every stage a smooth jack-knife guard
/// `w_j max(0, |wrap(theta0 - theta1)| - limit)^2`.
///
/// The course's dock is `(0, 0)` on the wall `x = 0` with heading 0 (trailer perpendicular to
/// the wall, cab away from it). Gradients use [`TruckTrailer::trailer_rear_jacobian`].
///
/// ```
/// use nalgebra::{Vector1, Vector2, Vector4};
/// use kestrel::control::{CostTerm, TrailerDocking, TruckTrailer};
/// // Dock at the origin, trailer heading -0.1 rad wanted there.
/// let dock = TrailerDocking::new(TruckTrailer::course(), Vector2::zeros(), -0.1, 1.0, 10.0).unwrap();
/// let mut g = Vector4::zeros();
/// // Hitch at (5, 0.5), trailer heading 0: rear at (1, 0.5), cost 1.25 + 10 * 0.1^2.
/// let c = CostTerm::<4, 1>::terminal(&dock, &Vector4::new(5.0, 0.5, 0.1, 0.0), &mut g);
/// assert!((c - 1.35).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrailerDocking {
    truck: TruckTrailer,
    dock: Vector2<f64>,
    heading: f64,
    position_weight: f64,
    angle_weight: f64,
    jackknife_weight: f64,
    jackknife_limit: f64,
}

impl TrailerDocking {
    /// Docking at `dock` with trailer heading `heading` (rad), weights `w_p` and `w_a`; the
    /// jack-knife guard defaults to weight 100 beyond 70 degrees of hitch angle.
    ///
    /// # Errors
    /// [`ControlError::NonFinite`] for a non-finite dock or heading,
    /// [`ControlError::InvalidParameter`] for a negative or non-finite weight.
    pub fn new(
        truck: TruckTrailer,
        dock: Vector2<f64>,
        heading: f64,
        position_weight: f64,
        angle_weight: f64,
    ) -> Result<Self, ControlError> {
        if let Some(index) =
            super::error::first_non_finite(dock.iter().chain(std::iter::once(&heading)))
        {
            return Err(ControlError::NonFinite {
                what: "dock pose",
                index,
            });
        }
        for (name, w) in [
            ("position_weight", position_weight),
            ("angle_weight", angle_weight),
        ] {
            if !(w.is_finite() && w >= 0.0) {
                return Err(ControlError::InvalidParameter {
                    name,
                    reason: format!("must be finite and >= 0, got {w}"),
                });
            }
        }
        Ok(Self {
            truck,
            dock,
            heading,
            position_weight,
            angle_weight,
            jackknife_weight: 100.0,
            jackknife_limit: 70f64.to_radians(),
        })
    }

    /// Sets the jack-knife guard: weight `w_j` beyond hitch angle `limit` (rad, in `(0, pi)`).
    ///
    /// # Errors
    /// [`ControlError::InvalidParameter`] for a negative weight or a limit outside `(0, pi)`.
    pub fn with_jackknife_guard(mut self, weight: f64, limit: f64) -> Result<Self, ControlError> {
        if !(weight.is_finite() && weight >= 0.0 && limit > 0.0 && limit < std::f64::consts::PI) {
            return Err(ControlError::InvalidParameter {
                name: "jackknife guard",
                reason: format!("weight {weight} must be >= 0 and limit {limit} in (0, pi)"),
            });
        }
        self.jackknife_weight = weight;
        self.jackknife_limit = limit;
        Ok(self)
    }
}

impl super::cost::CostTerm<4, 1> for TrailerDocking {
    fn stage(
        &self,
        _t: usize,
        x: &Vector4<f64>,
        _u: &Vector1<f64>,
        _u_prev: &Vector1<f64>,
        grad: &mut super::cost::StageGradient<4, 1>,
    ) -> f64 {
        let hitch = wrap_angle(x[2] - x[3]);
        let over = hitch.abs() - self.jackknife_limit;
        if over <= 0.0 {
            return 0.0;
        }
        let d = 2.0 * self.jackknife_weight * over * hitch.signum();
        grad.x[2] += d;
        grad.x[3] -= d;
        self.jackknife_weight * over * over
    }

    fn terminal(&self, x: &Vector4<f64>, grad_x: &mut Vector4<f64>) -> f64 {
        let e = self.truck.trailer_rear(x) - self.dock;
        let a = wrap_angle(x[3] - self.heading);
        *grad_x += self.truck.trailer_rear_jacobian(x).tr_mul(&e) * (2.0 * self.position_weight);
        grad_x[3] += 2.0 * self.angle_weight * a;
        self.position_weight * e.norm_squared() + self.angle_weight * a * a
    }
}
