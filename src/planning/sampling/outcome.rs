//! What the sampling planners return and report while they run: termination conditions,
//! results with statistics and cost history, the search graph for drawing, and the observer hook.

use std::time::Duration;

use super::error::{invalid, SamplingError};
use super::space::State;

/// When a planner stops. At least one of `max_iterations` and `max_duration` must be set, so
/// an unreachable goal always ends in a clean "no path" answer.
///
/// The planner stops at the first of: the iteration budget, the wall-time budget, the first
/// solution (if `stop_on_first_solution`), or a solution of cost `<= cost_threshold`.
/// Results are bit-for-bit reproducible for a given seed when only iteration-based conditions
/// can fire; a time budget makes the number of iterations depend on the machine.
///
/// ```
/// use kestrel::planning::sampling::Termination;
/// use std::time::Duration;
/// let t = Termination::iterations(10_000).with_duration(Duration::from_millis(50)).with_cost_threshold(13.0);
/// assert!(t.validate().is_ok());
/// assert!(Termination::default().validate().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Termination {
    /// Stop after this many iterations (samples drawn).
    pub max_iterations: Option<u64>,
    /// Stop after this much wall time.
    pub max_duration: Option<Duration>,
    /// Stop as soon as any solution is found.
    pub stop_on_first_solution: bool,
    /// Stop as soon as the best solution costs at most this much.
    pub cost_threshold: Option<f64>,
}

impl Termination {
    /// Stop after `n` iterations.
    pub fn iterations(n: u64) -> Self {
        Self {
            max_iterations: Some(n),
            ..Self::default()
        }
    }

    /// Stop after `duration` of wall time.
    pub fn duration(duration: Duration) -> Self {
        Self {
            max_duration: Some(duration),
            ..Self::default()
        }
    }

    /// Adds an iteration budget.
    pub fn with_iterations(mut self, n: u64) -> Self {
        self.max_iterations = Some(n);
        self
    }

    /// Adds a wall-time budget.
    pub fn with_duration(mut self, duration: Duration) -> Self {
        self.max_duration = Some(duration);
        self
    }

    /// Also stop at the first solution.
    pub fn with_first_solution(mut self) -> Self {
        self.stop_on_first_solution = true;
        self
    }

    /// Also stop once a solution costs at most `cost`.
    pub fn with_cost_threshold(mut self, cost: f64) -> Self {
        self.cost_threshold = Some(cost);
        self
    }

    /// Checks that a budget is set and the threshold is a number.
    ///
    /// # Errors
    /// [`SamplingError::InvalidParameter`] naming `termination`.
    pub fn validate(&self) -> Result<(), SamplingError> {
        if self.max_iterations.is_none() && self.max_duration.is_none() {
            return Err(invalid(
                "termination",
                "set max_iterations or max_duration so that an unreachable goal terminates",
            ));
        }
        if let Some(c) = self.cost_threshold {
            if c.is_nan() {
                return Err(invalid("termination.cost_threshold", "is NaN"));
            }
        }
        Ok(())
    }
}

/// Why a planner stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerminationReason {
    /// The iteration budget ran out.
    Iterations,
    /// The wall-time budget ran out.
    Duration,
    /// A first solution was found and `stop_on_first_solution` was set.
    FirstSolution,
    /// The best solution reached the cost threshold.
    CostThreshold,
    /// A roadmap query's graph search ran to completion (PRM queries have no budget).
    SearchCompleted,
}

/// Counters of one planner run.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PlanStats {
    /// Iterations (samples drawn).
    pub iterations: u64,
    /// Vertices in the tree or roadmap at the end (start included).
    pub vertices: usize,
    /// Wall time spent.
    pub elapsed: Duration,
    /// Iteration at which the first solution was found.
    pub first_solution_iteration: Option<u64>,
    /// Wall time at which the first solution was found.
    pub first_solution_time: Option<Duration>,
    /// Calls to the motion-validity check.
    pub motion_checks: u64,
    /// Successful rewirings (RRT* only).
    pub rewires: u64,
}

/// The best cost after an improvement: one entry per improvement, in order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CostSample {
    /// The iteration at which the improvement happened (1-based).
    pub iteration: u64,
    /// Wall time since the start of the run.
    pub elapsed: Duration,
    /// The new best cost.
    pub cost: f64,
}

/// Vertices and edges of a search tree or roadmap, for drawing (for example as Rerun line
/// segments). For trees each edge is `[parent, child]` and reflects the final parents (after
/// rewiring for RRT*).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchGraph<const D: usize> {
    /// Vertex states; vertex `i` is `states[i]`; vertex 0 is the start for trees.
    pub states: Vec<State<D>>,
    /// Edges as pairs of vertex indices.
    pub edges: Vec<[u32; 2]>,
}

impl<const D: usize> SearchGraph<D> {
    /// The edges as pairs of states (segment end points).
    pub fn segments(&self) -> impl Iterator<Item = (&State<D>, &State<D>)> + '_ {
        self.edges
            .iter()
            .map(|&[a, b]| (&self.states[a as usize], &self.states[b as usize]))
    }
}

/// The answer of a planner run.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanResult<const D: usize> {
    /// The best path found, start first and goal last, or `None` when none was found within
    /// the budget ("no path").
    pub path: Option<Vec<State<D>>>,
    /// Length of `path` (sum of Euclidean segment lengths), `f64::INFINITY` when there is none.
    pub cost: f64,
    /// Counters.
    pub stats: PlanStats,
    /// Why the run stopped.
    pub termination: TerminationReason,
    /// The best cost after each improvement (first solution included).
    pub cost_history: Vec<CostSample>,
    /// The final tree or roadmap.
    pub graph: SearchGraph<D>,
}

impl<const D: usize> PlanResult<D> {
    /// Whether a path was found.
    pub fn solved(&self) -> bool {
        self.path.is_some()
    }

    /// The best cost reached at wall time `t` of this run (`INFINITY` if none by then).
    pub fn cost_at_time(&self, t: Duration) -> f64 {
        self.cost_history
            .iter()
            .take_while(|s| s.elapsed <= t)
            .last()
            .map_or(f64::INFINITY, |s| s.cost)
    }

    /// The best cost reached after `iteration` iterations (`INFINITY` if none by then).
    pub fn cost_at_iteration(&self, iteration: u64) -> f64 {
        self.cost_history
            .iter()
            .take_while(|s| s.iteration <= iteration)
            .last()
            .map_or(f64::INFINITY, |s| s.cost)
    }
}

/// Sum of Euclidean segment lengths of a polyline.
///
/// ```
/// use kestrel::planning::sampling::path_length;
/// use nalgebra::Vector2;
/// let p = [Vector2::new(0.0, 0.0), Vector2::new(3.0, 4.0), Vector2::new(3.0, 5.0)];
/// assert_eq!(path_length(&p), 6.0);
/// ```
pub fn path_length<const D: usize>(path: &[State<D>]) -> f64 {
    path.windows(2).map(|w| (w[1] - w[0]).norm()).sum()
}

/// Something that happened inside a planner, reported to a [`PlannerObserver`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PlannerEvent<const D: usize> {
    /// A vertex was added; `parent` is `None` for tree roots and roadmap milestones.
    VertexAdded {
        /// The new vertex's index.
        id: u32,
        /// Its state.
        state: State<D>,
        /// Its parent in the tree, if any.
        parent: Option<u32>,
    },
    /// RRT* moved a vertex to a cheaper parent.
    Rewired {
        /// The vertex that changed parent.
        id: u32,
        /// Its previous parent.
        old_parent: u32,
        /// Its new parent.
        new_parent: u32,
    },
    /// A roadmap edge was added (PRM).
    EdgeAdded {
        /// One end.
        a: u32,
        /// The other end.
        b: u32,
    },
    /// The best solution improved (the first solution included).
    SolutionImproved {
        /// Iteration of the improvement.
        iteration: u64,
        /// Wall time since the start of the run.
        elapsed: Duration,
        /// New best cost.
        cost: f64,
    },
}

/// A hook called by the planners as they run, so a caller can stream the growing tree (for
/// example into Rerun) while the algorithm itself logs nothing.
///
/// Any `FnMut(&PlannerEvent<D>)` closure is an observer; [`NoObserver`] ignores everything.
pub trait PlannerObserver<const D: usize> {
    /// Called for each event, in order.
    fn on_event(&mut self, event: &PlannerEvent<D>);
}

impl<const D: usize, F: FnMut(&PlannerEvent<D>)> PlannerObserver<D> for F {
    #[inline]
    fn on_event(&mut self, event: &PlannerEvent<D>) {
        self(event)
    }
}

/// An observer that ignores every event (compiles to nothing).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoObserver;

impl<const D: usize> PlannerObserver<D> for NoObserver {
    #[inline]
    fn on_event(&mut self, _event: &PlannerEvent<D>) {}
}
