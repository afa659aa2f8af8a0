//! Bookkeeping shared by the tree planners: budgets, the best cost and its history, counters.

use std::time::Instant;

use rand::Rng;

use super::outcome::{
    CostSample, PlanStats, PlannerEvent, PlannerObserver, Termination, TerminationReason,
};
use super::space::{Problem, State};

pub(crate) struct RunState {
    started: Instant,
    termination: Termination,
    pub(crate) iterations: u64,
    pub(crate) best_cost: f64,
    pub(crate) history: Vec<CostSample>,
    pub(crate) stats: PlanStats,
}

impl RunState {
    pub(crate) fn new(termination: Termination) -> Self {
        Self {
            started: Instant::now(),
            termination,
            iterations: 0,
            best_cost: f64::INFINITY,
            history: Vec::new(),
            stats: PlanStats::default(),
        }
    }

    /// Checks the budgets before an iteration; on `None` the iteration counter is advanced.
    #[inline]
    pub(crate) fn next_iteration(&mut self) -> Option<TerminationReason> {
        if let Some(stop) = self.solution_stop() {
            return Some(stop);
        }
        if let Some(n) = self.termination.max_iterations {
            if self.iterations >= n {
                return Some(TerminationReason::Iterations);
            }
        }
        if let Some(d) = self.termination.max_duration {
            if self.started.elapsed() >= d {
                return Some(TerminationReason::Duration);
            }
        }
        self.iterations += 1;
        None
    }

    fn solution_stop(&self) -> Option<TerminationReason> {
        if !self.best_cost.is_finite() {
            return None;
        }
        if let Some(c) = self.termination.cost_threshold {
            if self.best_cost <= c {
                return Some(TerminationReason::CostThreshold);
            }
        }
        if self.termination.stop_on_first_solution {
            return Some(TerminationReason::FirstSolution);
        }
        None
    }

    /// Records a new best cost (no-op unless strictly better).
    #[inline]
    pub(crate) fn improve<const D: usize, O: PlannerObserver<D> + ?Sized>(
        &mut self,
        cost: f64,
        observer: &mut O,
    ) {
        if cost >= self.best_cost {
            return;
        }
        let elapsed = self.started.elapsed();
        if !self.best_cost.is_finite() {
            self.stats.first_solution_iteration = Some(self.iterations);
            self.stats.first_solution_time = Some(elapsed);
        }
        self.best_cost = cost;
        self.history.push(CostSample {
            iteration: self.iterations,
            elapsed,
            cost,
        });
        observer.on_event(&PlannerEvent::SolutionImproved {
            iteration: self.iterations,
            elapsed,
            cost,
        });
    }

    pub(crate) fn finish(&mut self, vertices: usize) -> PlanStats {
        self.stats.iterations = self.iterations;
        self.stats.vertices = vertices;
        self.stats.elapsed = self.started.elapsed();
        self.stats
    }
}

/// A uniform sample of the bounds, or the goal itself with probability `goal_bias`.
#[inline]
pub(crate) fn sample_goal_biased<const D: usize, R: Rng + ?Sized>(
    problem: &Problem<D>,
    goal_bias: f64,
    rng: &mut R,
) -> State<D> {
    let u: f64 = rng.random();
    if u < goal_bias {
        *problem.goal()
    } else {
        problem.bounds().sample(rng)
    }
}

/// Follows parent links from `vertex` to the root (parent `u32::MAX`) and returns the states
/// root first.
pub(crate) fn trace_path<const D: usize>(
    states: &[State<D>],
    parents: &[u32],
    vertex: u32,
) -> Vec<State<D>> {
    let mut path = Vec::new();
    let mut v = vertex;
    loop {
        path.push(states[v as usize]);
        let p = parents[v as usize];
        if p == u32::MAX {
            break;
        }
        v = p;
    }
    path.reverse();
    path
}

/// The tree's edges `[parent, child]` in child order.
pub(crate) fn tree_edges(parents: &[u32]) -> Vec<[u32; 2]> {
    parents
        .iter()
        .enumerate()
        .filter(|(_, &p)| p != u32::MAX)
        .map(|(c, &p)| [p, c as u32])
        .collect()
}

/// Checks a range parameter (or derives OMPL's default, a fifth of the bounds diagonal) and a
/// goal bias.
pub(crate) fn resolve_range_and_bias<const D: usize>(
    problem: &Problem<D>,
    range: Option<f64>,
    goal_bias: f64,
) -> Result<f64, super::SamplingError> {
    use super::error::invalid;
    let range = range.unwrap_or(0.2 * problem.bounds().diagonal());
    if !range.is_finite() || range <= 0.0 {
        return Err(invalid(
            "range",
            format!("must be finite and > 0, got {range}"),
        ));
    }
    if !(0.0..=1.0).contains(&goal_bias) {
        return Err(invalid(
            "goal_bias",
            format!("must be in [0, 1], got {goal_bias}"),
        ));
    }
    Ok(range)
}
