//! A car-like vehicle for the control scenarios: the kinematic bicycle with actuator limits and
//! optional Gaussian actuator noise.
//!
//! State `[x, y, psi, v]` (rear-axle position in m, heading in rad counter-clockwise from +x,
//! speed in m/s), action `[a, delta]` (acceleration in m/s^2, front steering angle in rad),
//! wheelbase `L`:
//!
//! ```text
//! x' = v cos psi,  y' = v sin psi,  psi' = v tan(delta) / L,  v' = a
//! ```
//!
//! The world integrates one classical RK4 step of `dt` per control period with the action held
//! (the library's [`BicycleDynamics`], the same model the MPC plans with: with zero actuator noise
//! the plant is exactly the prediction model, as in the CasADi benchmark of
//! tools/reference/casadi_lane_tracking.py). The commanded action is clamped to the actuator
//! limits; with noise, `u + w`, `w ~ N(0, diag(std^2))` drawn from the caller's RNG, is clamped
//! again, so the vehicle never exceeds its limits.

use anyhow::{ensure, Context};
use kestrel::control::{BicycleDynamics, Dynamics};
use nalgebra::{Vector2, Vector3, Vector4};
use rand::Rng;
use rand_distr::StandardNormal;

/// The simulated vehicle.
#[derive(Debug, Clone)]
pub struct BicycleWorld {
    dynamics: BicycleDynamics,
    state: Vector4<f64>,
    lower: Vector2<f64>,
    upper: Vector2<f64>,
    noise_std: Vector2<f64>,
}

impl BicycleWorld {
    /// A vehicle with wheelbase `wheelbase_m` stepped every `dt_s` seconds from `initial`, with
    /// actuator limits `lower <= u <= upper` and actuator noise standard deviations `noise_std`
    /// (`[m/s^2, rad]`, zero for none).
    ///
    /// # Errors
    /// A non-positive wheelbase or step, a non-finite initial state, limits with lower above
    /// upper, or a negative or non-finite noise level.
    pub fn new(
        wheelbase_m: f64,
        dt_s: f64,
        initial: Vector4<f64>,
        lower: Vector2<f64>,
        upper: Vector2<f64>,
        noise_std: Vector2<f64>,
    ) -> anyhow::Result<Self> {
        let dynamics = BicycleDynamics::bicycle(wheelbase_m, dt_s).context("vehicle model")?;
        ensure!(
            initial.iter().all(|v| v.is_finite()),
            "initial state {initial} is not finite"
        );
        for i in 0..2 {
            ensure!(
                lower[i].is_finite() && upper[i].is_finite() && lower[i] <= upper[i],
                "actuator limit {i}: [{}, {}] is not a finite interval",
                lower[i],
                upper[i]
            );
            ensure!(
                noise_std[i].is_finite() && noise_std[i] >= 0.0,
                "actuator noise {i}: {} is not a finite number >= 0",
                noise_std[i]
            );
        }
        Ok(Self {
            dynamics,
            state: initial,
            lower,
            upper,
            noise_std,
        })
    }

    /// The true state `[x, y, psi, v]`.
    pub fn state(&self) -> &Vector4<f64> {
        &self.state
    }

    /// The pose `[x, y, psi]` of the rear axle.
    pub fn pose(&self) -> Vector3<f64> {
        self.state.fixed_rows::<3>(0).into_owned()
    }

    /// The position `[x, y]` of the rear axle.
    pub fn position(&self) -> Vector2<f64> {
        self.state.fixed_rows::<2>(0).into_owned()
    }

    /// Applies `command` for one period and returns the action the vehicle actually received
    /// (clamped to the limits, plus noise when configured). A non-finite command is rejected
    /// and the state is left unchanged.
    ///
    /// # Errors
    /// A non-finite command, or a state that became non-finite.
    pub fn step<R: Rng + ?Sized>(
        &mut self,
        command: &Vector2<f64>,
        rng: &mut R,
    ) -> anyhow::Result<Vector2<f64>> {
        ensure!(
            command.iter().all(|v| v.is_finite()),
            "command {command} is not finite"
        );
        let mut applied =
            command.zip_zip_map(&self.lower, &self.upper, |u, lo, hi| u.clamp(lo, hi));
        if self.noise_std != Vector2::zeros() {
            for i in 0..2 {
                let w: f64 = rng.sample(StandardNormal);
                applied[i] =
                    (applied[i] + self.noise_std[i] * w).clamp(self.lower[i], self.upper[i]);
            }
        }
        let next = self.dynamics.step(&self.state, &applied);
        ensure!(
            next.iter().all(|v| v.is_finite()),
            "the vehicle state became non-finite"
        );
        self.state = next;
        Ok(applied)
    }
}
