//! Discrete-time dynamics with their adjoint (vector-Jacobian product).

use nalgebra::SVector;

use super::error::ControlError;
use crate::models::kinematics::{
    rk4_step, rk4_vjp, BicycleKinematics, ContinuousDynamics, UnicycleKinematics,
};

/// A discrete-time controlled system `x[t+1] = f(x[t], u[t])` with state size `N` and action
/// size `M`, and its adjoint.
///
/// [`vjp`](Dynamics::vjp) is the vector-Jacobian product used by back-propagation through time
/// (the Kelley-Bryson adjoint method): given `lambda[t+1] = dJ/dx[t+1]` it returns
/// `((df/dx)^T lambda[t+1], (df/du)^T lambda[t+1])`, evaluated at `(x[t], u[t])`. The shooting
/// MPC ([`ShootingMpc`](super::ShootingMpc)) needs nothing else, so the same optimiser plans
/// through analytic models ([`Rk4`], [`TruckTrailer`](super::TruckTrailer)) and learned ones.
///
/// # Learned models
/// A network with a fixed input of `N + M` and output of `N` implements this trait directly:
/// `step` runs the forward pass on `[x, u]` (converting to the network's float type and back,
/// plus any input normalisation), and `vjp` runs the forward pass on a traced input, takes the
/// scalar `lambda . f(x, u)` and back-propagates it; the input gradient split into its first `N`
/// and last `M` entries is the answer. A model that predicts the change `x[t+1] - x[t]` adds
/// `lambda` to the state part. Stochastic models fix their latent (or use its mean) inside the
/// value, so that `step` is a deterministic function that `vjp` differentiates.
///
/// # Contract
/// `step` and `vjp` must be consistent (`vjp` is the exact transpose-Jacobian product of
/// `step`), deterministic and free of side effects; non-finite outputs are reported by the MPC
/// as [`ControlError::Diverged`] rather than propagated.
///
/// ```
/// use nalgebra::{Vector1, Vector2};
/// use kestrel::control::Dynamics;
/// /// A double integrator with position and velocity, dt = 0.5.
/// struct DoubleIntegrator;
/// impl Dynamics<2, 1> for DoubleIntegrator {
///     fn step(&self, x: &Vector2<f64>, u: &Vector1<f64>) -> Vector2<f64> {
///         Vector2::new(x[0] + 0.5 * x[1] + 0.125 * u[0], x[1] + 0.5 * u[0])
///     }
///     fn vjp(&self, _x: &Vector2<f64>, _u: &Vector1<f64>, l: &Vector2<f64>) -> (Vector2<f64>, Vector1<f64>) {
///         (Vector2::new(l[0], 0.5 * l[0] + l[1]), Vector1::new(0.125 * l[0] + 0.5 * l[1]))
///     }
/// }
/// let x = DoubleIntegrator.step(&Vector2::new(0.0, 1.0), &Vector1::new(2.0));
/// assert!((x[0] - 0.75).abs() < 1e-12 && (x[1] - 2.0).abs() < 1e-12);
/// ```
pub trait Dynamics<const N: usize, const M: usize> {
    /// The next state `f(x, u)`.
    fn step(&self, x: &SVector<f64, N>, u: &SVector<f64, M>) -> SVector<f64, N>;

    /// The adjoint `((df/dx)^T lambda_next, (df/du)^T lambda_next)` at `(x, u)`.
    fn vjp(
        &self,
        x: &SVector<f64, N>,
        u: &SVector<f64, M>,
        lambda_next: &SVector<f64, N>,
    ) -> (SVector<f64, N>, SVector<f64, M>);
}

impl<D, const N: usize, const M: usize> Dynamics<N, M> for &D
where
    D: Dynamics<N, M> + ?Sized,
{
    #[inline]
    fn step(&self, x: &SVector<f64, N>, u: &SVector<f64, M>) -> SVector<f64, N> {
        (**self).step(x, u)
    }

    #[inline]
    fn vjp(
        &self,
        x: &SVector<f64, N>,
        u: &SVector<f64, M>,
        lambda_next: &SVector<f64, N>,
    ) -> (SVector<f64, N>, SVector<f64, M>) {
        (**self).vjp(x, u, lambda_next)
    }
}

/// A continuous-time system discretised with one classical RK4 step of `dt` seconds per
/// control step (the action held constant over the step).
///
/// The step and its adjoint are [`rk4_step`] and [`rk4_vjp`] of the system's rates in
/// [`crate::models::kinematics`], the same rates the filters use. Cost per step: four rate
/// evaluations; per adjoint: eight rate or rate-adjoint evaluations.
///
/// ```
/// use nalgebra::{Vector2, Vector4};
/// use kestrel::control::{BicycleDynamics, Dynamics};
/// let car = BicycleDynamics::bicycle(2.5, 0.1).unwrap();
/// let x = car.step(&Vector4::new(0.0, 0.0, 0.0, 6.0), &Vector2::new(0.0, 0.0));
/// assert!((x[0] - 0.6).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rk4<S> {
    system: S,
    dt: f64,
}

/// The unicycle `[x, y, theta]`, action `[v, omega]`, with RK4 steps.
pub type UnicycleDynamics = Rk4<UnicycleKinematics>;
/// The kinematic bicycle `[x, y, psi, v]`, action `[a, delta]`, with RK4 steps.
pub type BicycleDynamics = Rk4<BicycleKinematics>;

impl<S> Rk4<S> {
    /// Discretises `system` with steps of `dt` seconds.
    ///
    /// # Errors
    /// [`ControlError::InvalidParameter`] unless `dt` is finite and positive.
    pub fn new(system: S, dt: f64) -> Result<Self, ControlError> {
        if !(dt.is_finite() && dt > 0.0) {
            return Err(ControlError::InvalidParameter {
                name: "dt",
                reason: format!("must be finite and positive, got {dt}"),
            });
        }
        Ok(Self { system, dt })
    }

    /// The step length (s).
    pub fn dt(&self) -> f64 {
        self.dt
    }

    /// The continuous-time system.
    pub fn system(&self) -> &S {
        &self.system
    }
}

impl Rk4<UnicycleKinematics> {
    /// The unicycle with steps of `dt` seconds.
    ///
    /// # Errors
    /// As [`Rk4::new`].
    pub fn unicycle(dt: f64) -> Result<Self, ControlError> {
        Self::new(UnicycleKinematics, dt)
    }
}

impl Rk4<BicycleKinematics> {
    /// The kinematic bicycle with wheelbase `L` (m) and steps of `dt` seconds.
    ///
    /// # Errors
    /// [`ControlError::InvalidParameter`] for a non-positive wheelbase or step.
    pub fn bicycle(wheelbase: f64, dt: f64) -> Result<Self, ControlError> {
        let system =
            BicycleKinematics::new(wheelbase).map_err(|e| ControlError::InvalidParameter {
                name: "wheelbase",
                reason: e.to_string(),
            })?;
        Self::new(system, dt)
    }
}

impl<S, const N: usize, const M: usize> Dynamics<N, M> for Rk4<S>
where
    S: ContinuousDynamics<N, M>,
{
    #[inline]
    fn step(&self, x: &SVector<f64, N>, u: &SVector<f64, M>) -> SVector<f64, N> {
        rk4_step(&self.system, x, u, self.dt)
    }

    #[inline]
    fn vjp(
        &self,
        x: &SVector<f64, N>,
        u: &SVector<f64, M>,
        lambda_next: &SVector<f64, N>,
    ) -> (SVector<f64, N>, SVector<f64, M>) {
        rk4_vjp(&self.system, x, u, self.dt, lambda_next)
    }
}
