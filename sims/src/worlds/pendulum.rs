//! A simple pendulum: the classic nonlinear-estimation teaching case.
//!
//! State `x = [theta, omega]` (angle from the downward vertical in radians, angular rate in rad/s):
//!
//! ```text
//! theta' = omega
//! omega' = -(g / L) sin(theta) - c omega + w(t),   w white with spectral density q
//! ```
//!
//! The world integrates the deterministic part with RK4 (`substeps` per measurement period) and adds
//! the exact discretisation of the white angular-acceleration noise over the period,
//! `Q = q [[dt^3/3, dt^2/2], [dt^2/2, dt]]`, so a filter that uses the same model is consistent.

use nalgebra::{Matrix2, Vector2};
use rand::Rng;
use rand_distr::StandardNormal;

/// Physical constants of the pendulum.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pendulum {
    /// Gravity, m/s^2.
    pub gravity: f64,
    /// Rod length, m.
    pub length_m: f64,
    /// Viscous damping c, 1/s.
    pub damping: f64,
}

impl Pendulum {
    /// The continuous-time rate `[omega, -(g/L) sin(theta) - c omega]`.
    pub fn rate(&self, x: &Vector2<f64>) -> Vector2<f64> {
        Vector2::new(
            x[1],
            -(self.gravity / self.length_m) * x[0].sin() - self.damping * x[1],
        )
    }

    /// The Jacobian of [`Self::rate`].
    pub fn rate_jacobian(&self, x: &Vector2<f64>) -> Matrix2<f64> {
        Matrix2::new(
            0.0,
            1.0,
            -(self.gravity / self.length_m) * x[0].cos(),
            -self.damping,
        )
    }

    /// One classical RK4 step of length `h`, with the exact Jacobian of the step
    /// (`d x_next / d x`, propagated through the four stages).
    pub fn rk4_step(&self, x: &Vector2<f64>, h: f64) -> (Vector2<f64>, Matrix2<f64>) {
        let i = Matrix2::identity();
        let k1 = self.rate(x);
        let j1 = self.rate_jacobian(x);
        let x2 = x + 0.5 * h * k1;
        let k2 = self.rate(&x2);
        let j2 = self.rate_jacobian(&x2) * (i + 0.5 * h * j1);
        let x3 = x + 0.5 * h * k2;
        let k3 = self.rate(&x3);
        let j3 = self.rate_jacobian(&x3) * (i + 0.5 * h * j2);
        let x4 = x + h * k3;
        let k4 = self.rate(&x4);
        let j4 = self.rate_jacobian(&x4) * (i + h * j3);
        (
            x + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4),
            i + h / 6.0 * (j1 + 2.0 * j2 + 2.0 * j3 + j4),
        )
    }

    /// Integrates over `dt` in `substeps` RK4 steps; returns the state and the Jacobian of the
    /// whole map.
    pub fn propagate(
        &self,
        x: &Vector2<f64>,
        dt: f64,
        substeps: usize,
    ) -> (Vector2<f64>, Matrix2<f64>) {
        let h = dt / substeps.max(1) as f64;
        let mut state = *x;
        let mut jac = Matrix2::identity();
        for _ in 0..substeps.max(1) {
            let (next, j) = self.rk4_step(&state, h);
            state = next;
            jac = j * jac;
        }
        (state, jac)
    }

    /// Small-angle linearisation `x' = A x` with `A = [[0, 1], [-g/L, -c]]`.
    pub fn small_angle_matrix(&self) -> Matrix2<f64> {
        Matrix2::new(0.0, 1.0, -self.gravity / self.length_m, -self.damping)
    }
}

/// Discretised white angular-acceleration noise over `dt` with spectral density `q`.
pub fn acceleration_noise(q: f64, dt: f64) -> Matrix2<f64> {
    q * Matrix2::new(dt.powi(3) / 3.0, dt.powi(2) / 2.0, dt.powi(2) / 2.0, dt)
}

/// The true pendulum, stepping at the measurement period.
#[derive(Debug, Clone)]
pub struct PendulumWorld {
    /// Physics.
    pub pendulum: Pendulum,
    /// Current true state.
    pub state: Vector2<f64>,
    /// Process-noise spectral density q, rad^2/s^3.
    pub noise_density: f64,
    /// RK4 steps per period.
    pub substeps: usize,
}

impl PendulumWorld {
    /// Advances the truth by `dt`, drawing process noise from `rng`.
    pub fn step(&mut self, dt: f64, rng: &mut impl Rng) -> Vector2<f64> {
        let (next, _) = self.pendulum.propagate(&self.state, dt, self.substeps);
        let q = acceleration_noise(self.noise_density, dt);
        // q = 0 (no process noise) has no Cholesky factor: the truth is then deterministic.
        let w = match q.cholesky() {
            Some(c) => c.l() * Vector2::new(rng.sample(StandardNormal), rng.sample(StandardNormal)),
            None => Vector2::zeros(),
        };
        self.state = next + w;
        self.state
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rk4_jacobian_matches_finite_differences() {
        let p = Pendulum {
            gravity: 9.81,
            length_m: 1.3,
            damping: 0.1,
        };
        let x = Vector2::new(2.0, -0.7);
        let (_, jac) = p.propagate(&x, 0.1, 4);
        let eps = 1e-6;
        for j in 0..2 {
            let mut xp = x;
            let mut xm = x;
            xp[j] += eps;
            xm[j] -= eps;
            let d = (p.propagate(&xp, 0.1, 4).0 - p.propagate(&xm, 0.1, 4).0) / (2.0 * eps);
            for i in 0..2 {
                assert!(
                    (d[i] - jac[(i, j)]).abs() < 1e-8,
                    "{i}{j}: {} vs {}",
                    d[i],
                    jac[(i, j)]
                );
            }
        }
    }

    #[test]
    fn small_swing_period_matches_closed_form() {
        // Small-angle period 2 pi sqrt(L/g): after one period the angle returns.
        let p = Pendulum {
            gravity: 9.81,
            length_m: 1.0,
            damping: 0.0,
        };
        let period = std::f64::consts::TAU * (1.0f64 / 9.81).sqrt();
        let n = 1000;
        let (x, _) = p.propagate(&Vector2::new(1e-3, 0.0), period, n);
        assert!((x[0] - 1e-3).abs() < 1e-9, "{x}");
    }

    #[test]
    fn energy_is_conserved_without_damping() {
        let p = Pendulum {
            gravity: 9.81,
            length_m: 1.0,
            damping: 0.0,
        };
        let energy = |x: &Vector2<f64>| 0.5 * x[1] * x[1] - 9.81 * x[0].cos();
        let x0 = Vector2::new(2.5, 0.0);
        let (x, _) = p.propagate(&x0, 10.0, 10_000);
        assert!((energy(&x) - energy(&x0)).abs() < 1e-8);
    }
}
