//! Control: discrete-time dynamics with adjoints, composable horizon costs and gradient-based
//! shooting model-predictive control.
//!
//! The pieces, in the order data flows through them:
//!
//! - [`Dynamics`]: `x[t+1] = f(x[t], u[t])` and its vector-Jacobian product
//!   `((df/dx)^T lambda, (df/du)^T lambda)`. Analytic models: [`UnicycleDynamics`] and
//!   [`BicycleDynamics`] (RK4 over the rates of [`crate::models::kinematics`], the same rates the
//!   filters use) and the truck backer-upper [`TruckTrailer`]. A learned network with the same
//!   state and action sizes implements the same trait (see [`Dynamics`]), so one optimiser plans
//!   through known or learned dynamics.
//! - [`CostTerm`]s, composed as tuples or vectors: [`StateTracking`] (reference and terminal),
//!   [`ControlEffort`], [`ControlRate`], [`CircleObstacles`], [`ObstaclePenalty`] on a
//!   [`DistanceField`], [`LaneKeeping`].
//! - [`horizon_cost_gradient`]: the horizon cost and its gradient by one forward rollout and one
//!   adjoint sweep (Kelley-Bryson / back-propagation through time).
//! - [`ShootingMpc`]: projected L-BFGS over the action sequence with box bounds, warm-started from
//!   the shifted previous plan, in a receding horizon; each solve returns an [`MpcSolution`] with
//!   the predicted trajectory, cost, iterations and solve time.
//!
//! Conventions: SI units, radians, angles counter-clockwise from +x; `x[0]` is the measured
//! state, `u[-1]` the action applied at the previous control step.

mod cost;
mod dynamics;
mod error;
mod mpc;
mod projected_bfgs;
mod projected_lbfgs;
mod shooting;
mod truck_trailer;

pub use cost::{
    CircleObstacles, ControlEffort, ControlRate, CostTerm, DistanceField, DistanceGrid, Lane,
    LaneKeeping, ObstaclePenalty, StageGradient, StateTracking, StraightLane,
};
pub use dynamics::{BicycleDynamics, Dynamics, Rk4, UnicycleDynamics};
pub use error::ControlError;
pub use mpc::{MpcConfig, MpcSolution, QuasiNewton, ShootingMpc, Termination};
pub use shooting::{horizon_cost, horizon_cost_gradient, rollout};
pub use truck_trailer::{TrailerDocking, TruckTrailer};
