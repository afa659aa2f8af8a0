//! RRT: the rapidly-exploring random tree (LaValle 1998) with goal bias.

use rand::Rng;

use super::collision::ValidityChecker;
use super::error::SamplingError;
use super::nearest::NearestIndex;
use super::outcome::{
    path_length, PlanResult, PlannerEvent, PlannerObserver, SearchGraph, Termination,
};
use super::run::{resolve_range_and_bias, sample_goal_biased, trace_path, tree_edges, RunState};
use super::space::{steer, Problem, State};

/// Parameters of [`rrt`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RrtParams {
    /// Maximum length `eta` of one extension. `None`: a fifth of the bounds diagonal (OMPL's
    /// default).
    pub range: Option<f64>,
    /// Probability of sampling the goal instead of a uniform state (OMPL's default 0.05).
    pub goal_bias: f64,
    /// When to stop.
    pub termination: Termination,
}

impl Default for RrtParams {
    /// Range from the bounds, goal bias 0.05, stop at the first solution or after 1e6
    /// iterations.
    fn default() -> Self {
        Self {
            range: None,
            goal_bias: 0.05,
            termination: Termination::iterations(1_000_000).with_first_solution(),
        }
    }
}

/// Plans from `problem.start()` to the goal with RRT.
///
/// Each iteration draws `x_rand` (the goal with probability `goal_bias`, else uniform in the
/// bounds), finds the nearest vertex `x_near` (kd-tree), steers to
/// `x_new = x_near + min(eta, |x_rand - x_near|) (x_rand - x_near) / |x_rand - x_near|` and adds
/// it with parent `x_near` if the motion is valid. A vertex within the goal tolerance is a
/// solution; the best one (by path length) is returned. Without `stop_on_first_solution` the
/// tree keeps growing until a budget runs out, and a later goal vertex may be cheaper.
///
/// The observer sees every added vertex and every improvement of the best cost.
///
/// # Errors
/// [`SamplingError::StartInCollision`], [`SamplingError::GoalInCollision`],
/// [`SamplingError::InvalidParameter`] (range, goal bias, termination without a budget),
/// [`SamplingError::NearestIndex`]. An unreachable goal is not an error: the result has no path.
///
/// # Complexity
/// O(log n) expected per iteration for the nearest query plus one motion check; memory O(n).
/// Allocation only grows the vertex arrays (amortised, pre-reserved from the iteration budget).
///
/// ```
/// use kestrel::geometry::Circle;
/// use kestrel::planning::sampling::{rrt, Bounds, GeometricScene, NoObserver, Problem, RrtParams};
/// use nalgebra::{Point2, Vector2};
/// use rand::SeedableRng;
/// let mut scene = GeometricScene::new();
/// scene.add_circle(Circle::new(Point2::new(5.0, 5.0), 2.0).unwrap());
/// let bounds = Bounds::new(Vector2::new(0.0, 0.0), Vector2::new(10.0, 10.0)).unwrap();
/// let problem = Problem::new(bounds, Vector2::new(1.0, 1.0), Vector2::new(9.0, 9.0)).unwrap();
/// let mut rng = rand::rngs::StdRng::seed_from_u64(7);
/// let result = rrt(&problem, &scene, &RrtParams::default(), &mut rng, &mut NoObserver).unwrap();
/// let path = result.path.unwrap();
/// assert_eq!(path[0], Vector2::new(1.0, 1.0));
/// assert_eq!(*path.last().unwrap(), Vector2::new(9.0, 9.0));
/// // Longer than the straight line, which the circle blocks.
/// assert!(result.cost > (8.0f64 * 8.0 * 2.0).sqrt());
/// ```
pub fn rrt<const D: usize, C, R, O>(
    problem: &Problem<D>,
    checker: &C,
    params: &RrtParams,
    rng: &mut R,
    observer: &mut O,
) -> Result<PlanResult<D>, SamplingError>
where
    C: ValidityChecker<D> + ?Sized,
    R: Rng + ?Sized,
    O: PlannerObserver<D> + ?Sized,
{
    let range = resolve_range_and_bias(problem, params.range, params.goal_bias)?;
    params.termination.validate()?;
    problem.check_endpoints(checker)?;

    let reserve = params
        .termination
        .max_iterations
        .map_or(1024, |n| (n as usize).saturating_add(1).min(1 << 20));
    let mut states: Vec<State<D>> = Vec::with_capacity(reserve);
    let mut parents: Vec<u32> = Vec::with_capacity(reserve);
    let mut costs: Vec<f64> = Vec::with_capacity(reserve);
    let mut index = NearestIndex::<D>::new();
    let mut run = RunState::new(params.termination);

    index.insert(problem.start())?;
    states.push(*problem.start());
    parents.push(u32::MAX);
    costs.push(0.0);
    observer.on_event(&PlannerEvent::VertexAdded {
        id: 0,
        state: *problem.start(),
        parent: None,
    });
    let mut best_vertex = None;
    if problem.is_goal(problem.start()) {
        best_vertex = Some(0);
        run.improve(0.0, observer);
    }

    let termination = loop {
        if let Some(reason) = run.next_iteration() {
            break reason;
        }
        let x_rand = sample_goal_biased(problem, params.goal_bias, rng);
        let Some((near, d2)) = index.nearest(&x_rand) else {
            continue;
        };
        if d2 == 0.0 {
            continue;
        }
        let x_near = states[near as usize];
        let x_new = steer(&x_near, &x_rand, range);
        run.stats.motion_checks += 1;
        if !checker.is_motion_valid(&x_near, &x_new) {
            continue;
        }
        let id = index.insert(&x_new)?;
        let cost = costs[near as usize] + (x_new - x_near).norm();
        states.push(x_new);
        parents.push(near);
        costs.push(cost);
        observer.on_event(&PlannerEvent::VertexAdded {
            id,
            state: x_new,
            parent: Some(near),
        });
        if problem.is_goal(&x_new) && cost < run.best_cost {
            best_vertex = Some(id);
            run.improve(cost, observer);
        }
    };

    let path = best_vertex.map(|v| trace_path(&states, &parents, v));
    let cost = path.as_deref().map_or(f64::INFINITY, path_length);
    let stats = run.finish(states.len());
    Ok(PlanResult {
        path,
        cost,
        stats,
        termination,
        cost_history: run.history,
        graph: SearchGraph {
            edges: tree_edges(&parents),
            states,
        },
    })
}
