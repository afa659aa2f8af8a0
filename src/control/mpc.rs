//! Shooting model-predictive control: the action sequence is optimised by back-propagating the
//! horizon cost through the unrolled dynamics, with box bounds, warm start and a receding horizon.

use std::time::{Duration, Instant};

use nalgebra::SVector;

use super::cost::CostTerm;
use super::dynamics::Dynamics;
use super::error::{first_non_finite, ControlError};
use super::projected_bfgs::ProjectedBfgs;
pub use super::projected_lbfgs::Termination;
use super::projected_lbfgs::{ProjectedLbfgs, Report, Settings};
use super::shooting::{horizon_cost_gradient, rollout};

/// Clamps every component of `u` into `[lower, upper]`.
#[inline]
fn project<const M: usize>(
    u: &SVector<f64, M>,
    lower: &SVector<f64, M>,
    upper: &SVector<f64, M>,
) -> SVector<f64, M> {
    u.zip_zip_map(lower, upper, |v, lo, hi| v.clamp(lo, hi))
}

/// Settings of a [`ShootingMpc`].
///
/// ```
/// use nalgebra::Vector2;
/// use kestrel::control::MpcConfig;
/// let config = MpcConfig::new(20, Vector2::new(-3.0, -0.5), Vector2::new(3.0, 0.5));
/// assert_eq!(config.max_iterations, 200);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MpcConfig<const M: usize> {
    /// Number of steps `H` in the horizon (`>= 1`).
    pub horizon: usize,
    /// Lower bound of every action component.
    pub lower: SVector<f64, M>,
    /// Upper bound of every action component.
    pub upper: SVector<f64, M>,
    /// Iteration limit of one solve (default 200).
    pub max_iterations: usize,
    /// Stop when the projected gradient's largest component is below this (default 1e-6).
    pub gradient_tolerance: f64,
    /// Stop when a step lowers the cost by less than `cost_tolerance (1 + |J|)` (default 1e-12).
    pub cost_tolerance: f64,
    /// The quasi-Newton method (default [`QuasiNewton::Bfgs`]).
    pub method: QuasiNewton,
}

/// The quasi-Newton approximation used by the projected minimiser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuasiNewton {
    /// Dense BFGS inverse Hessian (`(H M)^2` numbers) kept from one solve to the next, so that
    /// the curvature learned at one step warm-starts the next (a horizon problem's Hessian
    /// depends on a stage's place in the horizon, not on time, so it is kept unshifted). The
    /// fastest choice for horizons up to a few hundred action components.
    Bfgs,
    /// Limited-memory BFGS with `memory` curvature pairs, restarted at every solve: `O(H M m)`
    /// memory and work per iteration, for very long horizons.
    Lbfgs {
        /// Number of curvature pairs kept (at least 1).
        memory: usize,
    },
}

/// The minimiser and its buffers.
#[derive(Debug, Clone)]
enum Optimizer<const M: usize> {
    Bfgs(Box<ProjectedBfgs<M>>),
    Lbfgs(ProjectedLbfgs<M>),
}

impl<const M: usize> Optimizer<M> {
    fn gradient_mut(&mut self) -> &mut Vec<SVector<f64, M>> {
        match self {
            Optimizer::Bfgs(o) => &mut o.gradient,
            Optimizer::Lbfgs(o) => &mut o.gradient,
        }
    }

    fn reset(&mut self) {
        if let Optimizer::Bfgs(o) = self {
            o.reset();
        }
    }

    fn minimize<F>(
        &mut self,
        u: &mut [SVector<f64, M>],
        cost: f64,
        lower: &SVector<f64, M>,
        upper: &SVector<f64, M>,
        settings: &Settings,
        eval: F,
    ) -> Report
    where
        F: FnMut(&[SVector<f64, M>], &mut [SVector<f64, M>]) -> f64,
    {
        match self {
            Optimizer::Bfgs(o) => o.minimize(u, cost, lower, upper, settings, eval),
            Optimizer::Lbfgs(o) => o.minimize(u, cost, lower, upper, settings, eval),
        }
    }
}

impl<const M: usize> MpcConfig<M> {
    /// A configuration with the default solver settings.
    pub fn new(horizon: usize, lower: SVector<f64, M>, upper: SVector<f64, M>) -> Self {
        Self {
            horizon,
            lower,
            upper,
            max_iterations: 200,
            gradient_tolerance: 1e-6,
            cost_tolerance: 1e-12,
            method: QuasiNewton::Bfgs,
        }
    }

    fn validate(&self) -> Result<(), ControlError> {
        if self.horizon == 0 {
            return Err(ControlError::ZeroHorizon);
        }
        for index in 0..M {
            let (lower, upper) = (self.lower[index], self.upper[index]);
            // Infinite bounds are allowed; NaN and lower > upper are not.
            if lower.is_nan()
                || upper.is_nan()
                || lower > upper
                || lower == f64::INFINITY
                || upper == f64::NEG_INFINITY
            {
                return Err(ControlError::InvalidBounds {
                    index,
                    lower,
                    upper,
                });
            }
        }
        if self.method == (QuasiNewton::Lbfgs { memory: 0 }) {
            return Err(ControlError::InvalidParameter {
                name: "memory",
                reason: "L-BFGS must keep at least one curvature pair".into(),
            });
        }
        for (name, v) in [
            ("gradient_tolerance", self.gradient_tolerance),
            ("cost_tolerance", self.cost_tolerance),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(ControlError::InvalidParameter {
                    name,
                    reason: format!("must be finite and >= 0, got {v}"),
                });
            }
        }
        Ok(())
    }
}

/// The result of one MPC solve.
#[derive(Debug, Clone, PartialEq)]
pub struct MpcSolution<const N: usize, const M: usize> {
    /// The predicted states `x[0] .. x[H]` under the optimised actions (`x[0]` is the measured
    /// state).
    pub states: Vec<SVector<f64, N>>,
    /// The optimised actions `u[0] .. u[H-1]`; `u[0]` is the one to apply.
    pub actions: Vec<SVector<f64, M>>,
    /// The horizon cost `J` of the plan.
    pub cost: f64,
    /// The horizon cost of the warm start the solve began from.
    pub initial_cost: f64,
    /// Optimiser iterations.
    pub iterations: usize,
    /// Cost-and-gradient evaluations (forward rollout plus adjoint sweep each).
    pub evaluations: usize,
    /// Largest component of the projected gradient at the plan (first-order optimality).
    pub projected_gradient: f64,
    /// Why the optimiser stopped.
    pub termination: Termination,
    /// Wall-clock time of the solve.
    pub solve_time: Duration,
}

/// Gradient-based shooting MPC over any [`Dynamics`] (analytic or learned).
///
/// Each [`solve`](Self::solve) minimises the horizon cost
/// `J(u) = sum_{t<H} l_t(x[t], u[t], u[t-1]) + l_H(x[H])` (see [`CostTerm`]) over the actions
/// `u[0..H]` in the box `lower <= u[t] <= upper`, where `x[0]` is the measured state,
/// `x[t+1] = f(x[t], u[t])` and `u[-1]` is the previously applied action. The gradient comes from
/// the adjoint sweep ([`horizon_cost_gradient`]); the minimiser is a projected quasi-Newton
/// method (binding bounds removed from the quasi-Newton step, Armijo backtracking along the
/// projection arc) with a dense BFGS inverse Hessian kept from solve to solve
/// ([`QuasiNewton::Bfgs`], default) or limited-memory BFGS ([`QuasiNewton::Lbfgs`]).
///
/// Receding horizon: [`control`](Self::control) solves, returns `u[0]` and [`shift`](Self::shift)s
/// the plan one step (`u[t] <- u[t+1]`, last action repeated) as the warm start of the next
/// solve, remembering `u[0]` as the previous action. All buffers are allocated once, in
/// [`new`](Self::new); a solve allocates nothing. Cost per iteration: one rollout and one adjoint
/// sweep (about `3 H` model evaluations for RK4 models) plus `O((H M)^2)` for the dense BFGS
/// (`O(H M m)` for L-BFGS with `m` pairs). On the sine-lane benchmark of anchors.md (bicycle,
/// `H = 20`) a warm-started solve takes a median of 5 iterations.
///
/// # Errors
/// See [`new`](Self::new) and [`solve`](Self::solve); a solve never panics on user data.
///
/// ```
/// use nalgebra::{Vector2, Vector3};
/// use kestrel::control::{ControlEffort, MpcConfig, ShootingMpc, StateTracking, UnicycleDynamics};
/// let car = UnicycleDynamics::unicycle(0.1).unwrap();
/// let config = MpcConfig::new(10, Vector2::new(-1.0, -1.0), Vector2::new(1.0, 1.0));
/// let mut mpc = ShootingMpc::new(car, config).unwrap();
/// let mut goal = StateTracking::new(Vector3::new(1.0, 1.0, 0.0), Vector3::new(10.0, 10.0, 0.0), 10).unwrap();
/// goal.reference_mut().fill(Vector3::new(2.0, 0.0, 0.0));
/// let cost = (goal, ControlEffort::new(Vector2::new(0.01, 0.01)).unwrap());
/// let mut x = Vector3::zeros();
/// for _ in 0..30 {
///     let u = mpc.control(&x, &cost).unwrap();
///     x = kestrel::control::Dynamics::step(mpc.dynamics(), &x, &u);
/// }
/// assert!((x.x - 2.0).abs() < 0.05 && x.y.abs() < 0.05);
/// ```
#[derive(Debug, Clone)]
pub struct ShootingMpc<D, const N: usize, const M: usize> {
    dynamics: D,
    config: MpcConfig<M>,
    previous_action: SVector<f64, M>,
    plan: Vec<SVector<f64, M>>,
    optimizer: Optimizer<M>,
    scratch_states: Vec<SVector<f64, N>>,
    solution: MpcSolution<N, M>,
}

impl<D, const N: usize, const M: usize> ShootingMpc<D, N, M>
where
    D: Dynamics<N, M>,
{
    /// A controller for `dynamics` with `config`; the warm start is the zero action projected
    /// into the bounds, the previous action likewise.
    ///
    /// # Errors
    /// [`ControlError::ZeroHorizon`], [`ControlError::InvalidBounds`] (lower above upper, NaN),
    /// [`ControlError::InvalidParameter`] for bad solver settings.
    pub fn new(dynamics: D, config: MpcConfig<M>) -> Result<Self, ControlError> {
        config.validate()?;
        let h = config.horizon;
        let zero =
            SVector::<f64, M>::zeros()
                .zip_zip_map(&config.lower, &config.upper, |v, lo, hi| v.clamp(lo, hi));
        Ok(Self {
            dynamics,
            config,
            previous_action: zero,
            plan: vec![zero; h],
            optimizer: match config.method {
                QuasiNewton::Bfgs => Optimizer::Bfgs(Box::new(ProjectedBfgs::new(h))),
                QuasiNewton::Lbfgs { memory } => Optimizer::Lbfgs(ProjectedLbfgs::new(h, memory)),
            },
            scratch_states: vec![SVector::zeros(); h + 1],
            solution: MpcSolution {
                states: vec![SVector::zeros(); h + 1],
                actions: vec![zero; h],
                cost: f64::NAN,
                initial_cost: f64::NAN,
                iterations: 0,
                evaluations: 0,
                projected_gradient: f64::NAN,
                termination: Termination::MaxIterations,
                solve_time: Duration::ZERO,
            },
        })
    }

    /// The dynamics planned through.
    pub fn dynamics(&self) -> &D {
        &self.dynamics
    }

    /// The configuration.
    pub fn config(&self) -> &MpcConfig<M> {
        &self.config
    }

    /// The current warm start (the plan the next solve begins from).
    pub fn warm_start(&self) -> &[SVector<f64, M>] {
        &self.plan
    }

    /// The action applied before the current plan (`u[-1]` of the rate terms).
    pub fn previous_action(&self) -> &SVector<f64, M> {
        &self.previous_action
    }

    /// The last solution (its cost is NaN before the first solve).
    pub fn solution(&self) -> &MpcSolution<N, M> {
        &self.solution
    }

    /// Replaces the warm start (projected into the bounds).
    ///
    /// # Errors
    /// [`ControlError::LengthMismatch`] unless `actions.len() == H`,
    /// [`ControlError::NonFinite`] for a non-finite action; the warm start is then unchanged.
    pub fn set_warm_start(&mut self, actions: &[SVector<f64, M>]) -> Result<(), ControlError> {
        if actions.len() != self.config.horizon {
            return Err(ControlError::LengthMismatch {
                what: "warm start",
                expected: self.config.horizon,
                found: actions.len(),
            });
        }
        if let Some(index) = actions
            .iter()
            .position(|u| first_non_finite(u.iter()).is_some())
        {
            return Err(ControlError::NonFinite {
                what: "warm start",
                index,
            });
        }
        let (lower, upper) = (self.config.lower, self.config.upper);
        for (p, u) in self.plan.iter_mut().zip(actions) {
            *p = project(u, &lower, &upper);
        }
        Ok(())
    }

    /// Sets the previously applied action `u[-1]` (for example the actuator's measured state).
    ///
    /// # Errors
    /// [`ControlError::NonFinite`] for a non-finite action.
    pub fn set_previous_action(&mut self, action: SVector<f64, M>) -> Result<(), ControlError> {
        if let Some(index) = first_non_finite(action.iter()) {
            return Err(ControlError::NonFinite {
                what: "previous action",
                index,
            });
        }
        self.previous_action = action;
        Ok(())
    }

    /// Changes the action bounds (the warm start is projected into them).
    ///
    /// # Errors
    /// [`ControlError::InvalidBounds`]; the bounds are then unchanged.
    pub fn set_bounds(
        &mut self,
        lower: SVector<f64, M>,
        upper: SVector<f64, M>,
    ) -> Result<(), ControlError> {
        let config = MpcConfig {
            lower,
            upper,
            ..self.config
        };
        config.validate()?;
        self.config = config;
        for p in self.plan.iter_mut() {
            *p = project(p, &lower, &upper);
        }
        Ok(())
    }

    /// Optimises the plan from the measured state `x0` and returns it. The warm start is the
    /// current plan (the shifted previous solution after [`shift`](Self::shift)).
    ///
    /// # Errors
    /// [`ControlError::NonFinite`] for a non-finite `x0`; the cost's own check
    /// ([`CostTerm::check`]: reference lengths, non-finite references);
    /// [`ControlError::Diverged`] when the rollout or cost of the warm start is not finite.
    /// On error the warm start is unchanged.
    pub fn solve<C>(
        &mut self,
        x0: &SVector<f64, N>,
        cost: &C,
    ) -> Result<&MpcSolution<N, M>, ControlError>
    where
        C: CostTerm<N, M> + ?Sized,
    {
        let start = Instant::now();
        if let Some(index) = first_non_finite(x0.iter()) {
            return Err(ControlError::NonFinite {
                what: "initial state",
                index,
            });
        }
        cost.check(self.config.horizon)?;
        let Self {
            dynamics,
            config,
            previous_action,
            plan,
            optimizer,
            scratch_states,
            solution,
        } = self;
        let initial_cost = horizon_cost_gradient(
            dynamics,
            cost,
            x0,
            previous_action,
            plan,
            scratch_states,
            optimizer.gradient_mut(),
        )?;
        if let Some(stage) = optimizer
            .gradient_mut()
            .iter()
            .position(|g| first_non_finite(g.iter()).is_some())
        {
            return Err(ControlError::Diverged {
                what: "gradient",
                stage,
            });
        }
        let settings = Settings {
            max_iterations: config.max_iterations,
            gradient_tolerance: config.gradient_tolerance,
            cost_tolerance: config.cost_tolerance,
        };
        let report = optimizer.minimize(
            plan,
            initial_cost,
            &config.lower,
            &config.upper,
            &settings,
            |u, g| {
                horizon_cost_gradient(dynamics, cost, x0, previous_action, u, scratch_states, g)
                    .unwrap_or(f64::INFINITY)
            },
        );
        // The accepted plan's rollout was finite when it was evaluated.
        rollout(dynamics, x0, plan, &mut solution.states)?;
        solution.actions.copy_from_slice(plan);
        solution.cost = report.cost;
        solution.initial_cost = initial_cost;
        solution.iterations = report.iterations;
        solution.evaluations = report.evaluations + 1;
        solution.projected_gradient = report.projected_gradient;
        solution.termination = report.termination;
        solution.solve_time = start.elapsed();
        Ok(&self.solution)
    }

    /// Forgets everything learned from earlier solves: the plan and the previous action go back
    /// to the zero action projected into the bounds, and the quasi-Newton curvature is dropped.
    pub fn reset(&mut self) {
        let zero = project(&SVector::zeros(), &self.config.lower, &self.config.upper);
        self.plan.fill(zero);
        self.previous_action = zero;
        self.optimizer.reset();
    }

    /// Moves the horizon one step: the first planned action becomes the previous action and the
    /// plan shifts left (`u[t] <- u[t+1]`, the last action repeated) as the next warm start.
    pub fn shift(&mut self) {
        self.previous_action = self.plan[0];
        self.plan.rotate_left(1);
        let h = self.plan.len();
        if h >= 2 {
            self.plan[h - 1] = self.plan[h - 2];
        }
    }

    /// Receding-horizon step: [`solve`](Self::solve) from `x0`, [`shift`](Self::shift), and return
    /// the action to apply now.
    ///
    /// # Errors
    /// As [`solve`](Self::solve); the warm start is then unchanged.
    pub fn control<C>(
        &mut self,
        x0: &SVector<f64, N>,
        cost: &C,
    ) -> Result<SVector<f64, M>, ControlError>
    where
        C: CostTerm<N, M> + ?Sized,
    {
        let u = self.solve(x0, cost)?.actions[0];
        self.shift();
        Ok(u)
    }
}
