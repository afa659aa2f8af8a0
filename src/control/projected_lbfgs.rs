//! A projected limited-memory BFGS method for box-constrained minimisation over action
//! sequences.
//!
//! At a feasible iterate `u` with gradient `g`, the *binding* components are those at a bound
//! whose gradient points outwards (`u_i = lo_i, g_i > 0` or `u_i = hi_i, g_i < 0`); the others are
//! free. The search direction is the L-BFGS two-loop recursion applied to the gradient restricted
//! to the free components (inner products over the free components only, binding components of
//! the direction set to zero), falling back to steepest descent on the free components when that
//! is not a descent direction. The step follows the projection arc
//! `u(alpha) = P(u + alpha d)` with backtracking until the Armijo condition
//! `J(u(alpha)) <= J(u) + c1 g . (u(alpha) - u)` holds (`c1 = 1e-4`), so variables may reach and
//! leave their bounds at every iteration. Curvature pairs `(s, y)` enter the memory only when
//! `s . y > 1e-12 |y|^2`. This is the projected quasi-Newton family of Bertsekas (1982) and
//! Kim, Sra & Dhillon (2010), written here for `[SVector<f64, M>]` iterates.
//!
//! Stops when the projected gradient `|P(u - g) - u|_inf` falls below the tolerance, when an
//! accepted step decreases the cost by less than `cost_tolerance (1 + |J|)` or the full step's
//! predicted decrease `-g . d` is already below it, when the line search fails, or after the
//! iteration limit. The same rules apply to the dense variant in `projected_bfgs`.

use nalgebra::SVector;

/// Why the optimiser stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Termination {
    /// The projected gradient fell below the tolerance (a first-order point).
    Converged,
    /// The last accepted step changed the cost by less than the relative cost tolerance.
    Stalled,
    /// No step along the projection arc decreased the cost enough.
    LineSearchFailed,
    /// The iteration limit was reached.
    MaxIterations,
}

/// Settings of one minimisation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Settings {
    pub max_iterations: usize,
    pub gradient_tolerance: f64,
    pub cost_tolerance: f64,
}

/// Outcome of one minimisation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Report {
    pub cost: f64,
    pub iterations: usize,
    pub evaluations: usize,
    pub projected_gradient: f64,
    pub termination: Termination,
}

const ARMIJO: f64 = 1e-4;
const MAX_BACKTRACKS: usize = 40;

/// Reusable buffers of the projected L-BFGS method for `H` actions of size `M`.
#[derive(Debug, Clone)]
pub(crate) struct ProjectedLbfgs<const M: usize> {
    s: Vec<Vec<SVector<f64, M>>>,
    y: Vec<Vec<SVector<f64, M>>>,
    alpha: Vec<f64>,
    len: usize,
    head: usize,
    pub gradient: Vec<SVector<f64, M>>,
    trial_gradient: Vec<SVector<f64, M>>,
    direction: Vec<SVector<f64, M>>,
    trial: Vec<SVector<f64, M>>,
    free: Vec<SVector<f64, M>>,
}

#[inline]
fn dot<const M: usize>(a: &[SVector<f64, M>], b: &[SVector<f64, M>]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a.dot(b)).sum()
}

#[inline]
fn masked_dot<const M: usize>(
    a: &[SVector<f64, M>],
    b: &[SVector<f64, M>],
    mask: &[SVector<f64, M>],
) -> f64 {
    a.iter()
        .zip(b)
        .zip(mask)
        .map(|((a, b), m)| a.component_mul(b).dot(m))
        .sum()
}

impl<const M: usize> ProjectedLbfgs<M> {
    /// Buffers for `horizon` actions and `memory` curvature pairs (`memory >= 1`).
    pub fn new(horizon: usize, memory: usize) -> Self {
        let zeros = vec![SVector::zeros(); horizon];
        Self {
            s: vec![zeros.clone(); memory],
            y: vec![zeros.clone(); memory],
            alpha: vec![0.0; memory],
            len: 0,
            head: 0,
            gradient: zeros.clone(),
            trial_gradient: zeros.clone(),
            direction: zeros.clone(),
            trial: zeros.clone(),
            free: zeros,
        }
    }

    /// Minimises `eval` over the box `[lower, upper]^H` from `u` (projected first).
    ///
    /// `eval(u, g)` returns the cost and writes its gradient into `g`; a non-finite cost marks
    /// `u` as unacceptable (the line search backs off). `cost` and `self.gradient` must hold the
    /// cost and gradient at the projected starting point.
    pub fn minimize<F>(
        &mut self,
        u: &mut [SVector<f64, M>],
        mut cost: f64,
        lower: &SVector<f64, M>,
        upper: &SVector<f64, M>,
        settings: &Settings,
        mut eval: F,
    ) -> Report
    where
        F: FnMut(&[SVector<f64, M>], &mut [SVector<f64, M>]) -> f64,
    {
        self.len = 0;
        self.head = 0;
        let memory = self.s.len();
        let mut evaluations = 0;
        let mut iterations = 0;
        let mut termination = Termination::MaxIterations;
        let mut projected_gradient = f64::INFINITY;
        while iterations < settings.max_iterations {
            // Projected gradient and the free set.
            projected_gradient = 0.0;
            for ((ui, gi), fi) in u.iter().zip(&self.gradient).zip(self.free.iter_mut()) {
                for k in 0..M {
                    let step = (ui[k] - gi[k]).clamp(lower[k], upper[k]) - ui[k];
                    projected_gradient = f64::max(projected_gradient, step.abs());
                    let binding =
                        (ui[k] <= lower[k] && gi[k] > 0.0) || (ui[k] >= upper[k] && gi[k] < 0.0);
                    fi[k] = if binding { 0.0 } else { 1.0 };
                }
            }
            if projected_gradient <= settings.gradient_tolerance {
                termination = Termination::Converged;
                break;
            }
            iterations += 1;

            // Two-loop recursion on the free components: direction = -H g_free.
            for ((d, g), f) in self
                .direction
                .iter_mut()
                .zip(&self.gradient)
                .zip(&self.free)
            {
                *d = g.component_mul(f);
            }
            let mut gamma = 0.0;
            for i in 0..self.len {
                let k = (self.head + memory - 1 - i) % memory;
                let sy = masked_dot(&self.s[k], &self.y[k], &self.free);
                if sy <= 0.0 {
                    self.alpha[k] = 0.0;
                    continue;
                }
                let a = masked_dot(&self.s[k], &self.direction, &self.free) / sy;
                self.alpha[k] = a;
                for ((d, y), f) in self.direction.iter_mut().zip(&self.y[k]).zip(&self.free) {
                    *d -= y.component_mul(f) * a;
                }
                if gamma == 0.0 {
                    let yy = masked_dot(&self.y[k], &self.y[k], &self.free);
                    if yy > 0.0 {
                        gamma = sy / yy;
                    }
                }
            }
            let first = self.len == 0 || gamma == 0.0;
            if !first {
                for d in self.direction.iter_mut() {
                    *d *= gamma;
                }
                for i in (0..self.len).rev() {
                    let k = (self.head + memory - 1 - i) % memory;
                    let sy = masked_dot(&self.s[k], &self.y[k], &self.free);
                    if sy <= 0.0 {
                        continue;
                    }
                    let b = masked_dot(&self.y[k], &self.direction, &self.free) / sy;
                    let coef = self.alpha[k] - b;
                    for ((d, s), f) in self.direction.iter_mut().zip(&self.s[k]).zip(&self.free) {
                        *d += s.component_mul(f) * coef;
                    }
                }
            }
            for (d, f) in self.direction.iter_mut().zip(&self.free) {
                *d = -d.component_mul(f);
            }
            let mut slope = dot(&self.direction, &self.gradient);
            if first || slope.is_nan() || slope >= 0.0 {
                // Steepest descent on the free components, first step scaled to move the
                // largest component by at most one unit.
                self.len = 0;
                let mut gmax = 0.0f64;
                for ((d, g), f) in self
                    .direction
                    .iter_mut()
                    .zip(&self.gradient)
                    .zip(&self.free)
                {
                    *d = -g.component_mul(f);
                    gmax = gmax.max(d.amax());
                }
                let scale = 1.0 / gmax.max(1.0);
                for d in self.direction.iter_mut() {
                    *d *= scale;
                }
                slope = dot(&self.direction, &self.gradient);
            }
            if slope.is_nan() || slope >= 0.0 {
                termination = Termination::Converged;
                break;
            }
            if -slope <= settings.cost_tolerance * (1.0 + cost.abs()) {
                // Even the full step would change the cost by less than the tolerance (at the
                // optimum, below rounding): backtracking could only waste evaluations.
                termination = Termination::Stalled;
                break;
            }

            // Backtracking along the projection arc.
            let mut alpha = 1.0;
            let mut accepted = false;
            let mut trial_cost = f64::INFINITY;
            for _ in 0..MAX_BACKTRACKS {
                for ((t, ui), d) in self.trial.iter_mut().zip(u.iter()).zip(&self.direction) {
                    *t = (ui + d * alpha).zip_zip_map(lower, upper, |v, lo, hi| v.clamp(lo, hi));
                }
                trial_cost = eval(&self.trial, &mut self.trial_gradient);
                evaluations += 1;
                let mut decrease = 0.0;
                for ((t, ui), g) in self.trial.iter().zip(u.iter()).zip(&self.gradient) {
                    decrease += (t - ui).dot(g);
                }
                let gradient_ok = self
                    .trial_gradient
                    .iter()
                    .all(|g| g.iter().all(|v| v.is_finite()));
                if trial_cost.is_finite() && gradient_ok && trial_cost <= cost + ARMIJO * decrease {
                    accepted = true;
                    break;
                }
                // Quadratic interpolation of the cost along the arc, safeguarded.
                let denom = trial_cost - cost - alpha * slope;
                let next = if trial_cost.is_finite() && denom > 0.0 {
                    -slope * alpha * alpha / (2.0 * denom)
                } else {
                    0.1 * alpha
                };
                alpha = next.clamp(0.1 * alpha, 0.5 * alpha);
            }
            if !accepted {
                termination = Termination::LineSearchFailed;
                break;
            }

            // Curvature pair and the move.
            let k = self.head;
            for (((s, y), (t, ui)), (gt, g)) in self.s[k]
                .iter_mut()
                .zip(self.y[k].iter_mut())
                .zip(self.trial.iter().zip(u.iter()))
                .zip(self.trial_gradient.iter().zip(&self.gradient))
            {
                *s = t - ui;
                *y = gt - g;
            }
            let sy = dot(&self.s[k], &self.y[k]);
            let yy = dot(&self.y[k], &self.y[k]);
            if sy > 1e-12 * yy {
                self.head = (self.head + 1) % memory;
                self.len = (self.len + 1).min(memory);
            }
            u.copy_from_slice(&self.trial);
            std::mem::swap(&mut self.gradient, &mut self.trial_gradient);
            let change = cost - trial_cost;
            cost = trial_cost;
            if change <= settings.cost_tolerance * (1.0 + cost.abs()) {
                termination = Termination::Stalled;
                break;
            }
        }
        if termination != Termination::Converged {
            projected_gradient = 0.0;
            for (ui, gi) in u.iter().zip(&self.gradient) {
                for k in 0..M {
                    let step = (ui[k] - gi[k]).clamp(lower[k], upper[k]) - ui[k];
                    projected_gradient = f64::max(projected_gradient, step.abs());
                }
            }
        }
        Report {
            cost,
            iterations,
            evaluations,
            projected_gradient,
            termination,
        }
    }
}
