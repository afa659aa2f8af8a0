//! RRT*: the asymptotically optimal RRT with choose-parent and rewiring in a shrinking ball
//! (Karaman and Frazzoli 2011).

use rand::Rng;

use super::collision::ValidityChecker;
use super::error::{invalid, SamplingError};
use super::informed::InformedSampler;
use super::nearest::NearestIndex;
use super::outcome::{
    path_length, PlanResult, PlannerEvent, PlannerObserver, SearchGraph, Termination,
};
use super::run::{resolve_range_and_bias, trace_path, tree_edges, RunState};
use super::space::{connection_radius, rrt_star_gamma, steer, unit_ball_volume, Problem, State};

const NONE: u32 = u32::MAX;

/// Which vertices RRT* considers as parents and rewires (Karaman and Frazzoli 2011).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RrtStarNeighbours {
    /// All vertices within `r(n) = min(gamma (ln n / n)^(1/d), eta)`,
    /// `gamma = rewire_factor * gamma*_RRT` (see [`rrt_star_gamma`]).
    #[default]
    Radius,
    /// The `k(n) = ceil(rewire_factor * e (1 + 1/d) ln n)` nearest vertices, at any distance
    /// (`k*_RRT = e (1 + 1/d)`; this is OMPL's default `RRTstar` rule). It adapts to sparse
    /// regions (near walls and corners, where start and goal often are) and allows long edges.
    KNearest,
}

/// Parameters of [`rrt_star`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RrtStarParams {
    /// Maximum extension length `eta` (also the cap of the rewiring radius). `None`: a fifth of
    /// the bounds diagonal (OMPL's default).
    pub range: Option<f64>,
    /// Probability of sampling the goal (OMPL's default 0.05).
    pub goal_bias: f64,
    /// `gamma = rewire_factor * gamma*_RRT`; must be > 1 for asymptotic optimality
    /// (OMPL's default 1.1).
    pub rewire_factor: f64,
    /// The neighbour rule.
    pub neighbours: RrtStarNeighbours,
    /// The measure `mu(X_free)` of the free space used in `gamma*_RRT`. `None`: the volume of the
    /// bounds, an upper bound of `mu(X_free)`, so `gamma` stays above the threshold (this is what
    /// OMPL does).
    pub free_volume: Option<f64>,
    /// Informed sampling (Gammell et al. 2014): once a solution of cost `c` exists, draw the
    /// non-goal samples uniformly from the prolate hyperspheroid
    /// `{x : |x - start| + |x - goal| <= c + goal_tolerance}` (clipped to the bounds), the only
    /// states that can improve the solution. Off by default, as in OMPL's `RRTstar`.
    pub informed_sampling: bool,
    /// When to stop. RRT* keeps improving until a budget or the cost threshold stops it.
    pub termination: Termination,
}

impl Default for RrtStarParams {
    /// Range from the bounds, goal bias 0.05, rewire factor 1.1, radius rule, free volume from
    /// the bounds, uniform sampling, 10 000 iterations.
    fn default() -> Self {
        Self {
            range: None,
            goal_bias: 0.05,
            rewire_factor: 1.1,
            neighbours: RrtStarNeighbours::Radius,
            free_volume: None,
            informed_sampling: false,
            termination: Termination::iterations(10_000),
        }
    }
}

/// Vertex storage of the RRT* tree: states, parents, costs-to-come and intrusive child lists
/// (first child / next sibling), so rewiring never allocates.
struct Tree<const D: usize> {
    states: Vec<State<D>>,
    parents: Vec<u32>,
    costs: Vec<f64>,
    first_child: Vec<u32>,
    next_sibling: Vec<u32>,
    is_goal: Vec<bool>,
}

impl<const D: usize> Tree<D> {
    fn with_capacity(n: usize) -> Self {
        Self {
            states: Vec::with_capacity(n),
            parents: Vec::with_capacity(n),
            costs: Vec::with_capacity(n),
            first_child: Vec::with_capacity(n),
            next_sibling: Vec::with_capacity(n),
            is_goal: Vec::with_capacity(n),
        }
    }

    fn push(&mut self, state: State<D>, parent: u32, cost: f64, is_goal: bool) {
        let id = self.states.len() as u32;
        self.states.push(state);
        self.parents.push(parent);
        self.costs.push(cost);
        self.first_child.push(NONE);
        self.is_goal.push(is_goal);
        if parent == NONE {
            self.next_sibling.push(NONE);
        } else {
            self.next_sibling.push(self.first_child[parent as usize]);
            self.first_child[parent as usize] = id;
        }
    }

    /// Moves `id` under `new_parent`.
    fn reparent(&mut self, id: u32, new_parent: u32) {
        let old = self.parents[id as usize];
        let after = self.next_sibling[id as usize];
        if self.first_child[old as usize] == id {
            self.first_child[old as usize] = after;
        } else {
            let mut c = self.first_child[old as usize];
            while self.next_sibling[c as usize] != id {
                c = self.next_sibling[c as usize];
            }
            self.next_sibling[c as usize] = after;
        }
        self.next_sibling[id as usize] = self.first_child[new_parent as usize];
        self.first_child[new_parent as usize] = id;
        self.parents[id as usize] = new_parent;
    }
}

/// Motion-check status of a neighbour within one iteration.
#[derive(Clone, Copy, PartialEq)]
enum Check {
    Unknown,
    Valid,
    Invalid,
}

/// Plans from `problem.start()` to the goal with RRT*.
///
/// Each iteration: sample `x_rand` (goal-biased; from the informed set once a solution exists
/// if `informed_sampling`), steer from the nearest vertex to `x_new` (at most `eta` away),
/// reject if that motion collides; gather the neighbours of `x_new`, by default the vertices
/// within
///
/// `r(n) = min(gamma (ln n / n)^(1/d), eta)`, `gamma = rewire_factor * gamma*_RRT`,
/// `gamma*_RRT = (2 (1 + 1/d) mu(X_free) / zeta_d)^(1/d)`
///
/// (`n` = vertices including `x_new`, `zeta_d` the unit-ball volume: see [`rrt_star_gamma`];
/// or the `k(n)` nearest, see [`RrtStarNeighbours`]);
/// choose as parent the neighbour minimising `cost(x) + |x - x_new|` among collision-free ones
/// (checked lazily in increasing cost order); then rewire: every neighbour `x` with
/// `cost(x_new) + |x_new - x| < cost(x)` and a free motion gets `x_new` as parent, and the cost
/// change is pushed down its subtree. The best goal vertex's cost is tracked through these
/// updates, so the cost history is exact.
///
/// The observer sees every added vertex, every rewiring and every improvement of the best cost.
///
/// # Errors
/// As [`rrt`](super::rrt), plus [`SamplingError::InvalidParameter`] for `rewire_factor <= 1`
/// or a non-positive `free_volume`.
///
/// # Complexity
/// O(log n) expected per iteration for the queries plus O(log n) expected neighbours, each with
/// at most one motion check; cost propagation is O(subtree size) per rewiring. No allocation per
/// iteration beyond amortised growth of the vertex arrays.
///
/// ```
/// use kestrel::geometry::Circle;
/// use kestrel::planning::sampling::{rrt_star, Bounds, GeometricScene, NoObserver, Problem, RrtStarParams, Termination};
/// use nalgebra::{Point2, Vector2};
/// use rand::SeedableRng;
/// let scene = GeometricScene::new(); // no obstacles: the optimum is the straight line
/// let bounds = Bounds::new(Vector2::new(0.0, 0.0), Vector2::new(10.0, 10.0)).unwrap();
/// let problem = Problem::new(bounds, Vector2::new(1.0, 1.0), Vector2::new(9.0, 4.0)).unwrap();
/// let params = RrtStarParams { termination: Termination::iterations(3000), ..Default::default() };
/// let mut rng = rand::rngs::StdRng::seed_from_u64(1);
/// let result = rrt_star(&problem, &scene, &params, &mut rng, &mut NoObserver).unwrap();
/// let straight = (8.0f64 * 8.0 + 3.0 * 3.0).sqrt();
/// assert!(result.cost >= straight - 1e-12 && result.cost < straight * 1.01);
/// ```
pub fn rrt_star<const D: usize, C, R, O>(
    problem: &Problem<D>,
    checker: &C,
    params: &RrtStarParams,
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
    if !params.rewire_factor.is_finite() || params.rewire_factor <= 1.0 {
        return Err(invalid(
            "rewire_factor",
            format!(
                "must be finite and > 1 (gamma > gamma*), got {}",
                params.rewire_factor
            ),
        ));
    }
    let free_volume = params.free_volume.unwrap_or(problem.bounds().volume());
    if !free_volume.is_finite() || free_volume <= 0.0 {
        return Err(invalid(
            "free_volume",
            format!("must be finite and > 0, got {free_volume}"),
        ));
    }
    problem.check_endpoints(checker)?;
    let gamma = params.rewire_factor * rrt_star_gamma(D, free_volume);
    let d = D as f64;
    let k_factor = params.rewire_factor * std::f64::consts::E * (1.0 + 1.0 / d);
    let zeta = unit_ball_volume(D);

    let reserve = params
        .termination
        .max_iterations
        .map_or(1024, |n| (n as usize).saturating_add(1).min(1 << 20));
    let mut tree = Tree::<D>::with_capacity(reserve);
    let mut index = NearestIndex::<D>::new();
    let mut run = RunState::new(params.termination);
    // Per-iteration buffers, reused.
    let mut near: Vec<(u32, f64)> = Vec::with_capacity(64);
    let mut checks: Vec<Check> = Vec::with_capacity(64);
    let mut order: Vec<(f64, u32)> = Vec::with_capacity(64);
    let mut stack: Vec<u32> = Vec::with_capacity(64);
    let informed = params
        .informed_sampling
        .then(|| InformedSampler::new(problem));

    index.insert(problem.start())?;
    let start_is_goal = problem.is_goal(problem.start());
    tree.push(*problem.start(), NONE, 0.0, start_is_goal);
    observer.on_event(&PlannerEvent::VertexAdded {
        id: 0,
        state: *problem.start(),
        parent: None,
    });
    let mut best_vertex = None;
    if start_is_goal {
        best_vertex = Some(0);
        run.improve(0.0, observer);
    }

    let termination = loop {
        if let Some(reason) = run.next_iteration() {
            break reason;
        }
        let x_rand = if rng.random::<f64>() < params.goal_bias {
            *problem.goal()
        } else if let Some(informed) = &informed {
            informed.sample(run.best_cost, problem.bounds(), rng)
        } else {
            problem.bounds().sample(rng)
        };
        let Some((nearest, d2_rand)) = index.nearest(&x_rand) else {
            continue;
        };
        if d2_rand == 0.0 {
            continue;
        }
        let x_nearest = tree.states[nearest as usize];
        let x_new = steer(&x_nearest, &x_rand, range);
        run.stats.motion_checks += 1;
        if !checker.is_motion_valid(&x_nearest, &x_new) {
            continue;
        }

        // Neighbourhood; the nearest vertex is always a candidate parent (known valid).
        let n = tree.states.len() + 1;
        match params.neighbours {
            RrtStarNeighbours::Radius => {
                let radius = connection_radius(gamma, n, D, range);
                index.within(&x_new, radius, &mut near);
            }
            RrtStarNeighbours::KNearest => {
                let k = (k_factor * (n as f64).ln()).ceil() as usize;
                // Expected distance of the k-th neighbour under uniform density, padded.
                let hint = 1.25 * (k as f64 * free_volume / (n as f64 * zeta)).powf(1.0 / d);
                index.nearest_k_into(&x_new, k.max(1), hint, &mut near);
            }
        }
        if !near.iter().any(|&(id, _)| id == nearest) {
            near.push((nearest, (x_new - x_nearest).norm_squared()));
        }
        checks.clear();
        checks.extend(near.iter().map(|&(id, _)| {
            if id == nearest {
                Check::Valid
            } else {
                Check::Unknown
            }
        }));

        // Choose the parent: cheapest cost-to-come through a collision-free motion.
        order.clear();
        order.extend(
            near.iter()
                .enumerate()
                .map(|(k, &(id, d2))| (tree.costs[id as usize] + d2.sqrt(), k as u32)),
        );
        order.sort_unstable_by(|a, b| {
            a.0.total_cmp(&b.0)
                .then(near[a.1 as usize].0.cmp(&near[b.1 as usize].0))
        });
        let mut parent_k = None;
        for &(c, k) in &order {
            let k = k as usize;
            if checks[k] == Check::Unknown {
                run.stats.motion_checks += 1;
                checks[k] = if checker.is_motion_valid(&tree.states[near[k].0 as usize], &x_new) {
                    Check::Valid
                } else {
                    Check::Invalid
                };
            }
            if checks[k] == Check::Valid {
                parent_k = Some((k, c));
                break;
            }
        }
        // The nearest vertex is in the list and valid, so a parent always exists.
        let Some((parent_k, new_cost)) = parent_k else {
            continue;
        };
        let parent = near[parent_k].0;

        let new_id = index.insert(&x_new)?;
        let new_is_goal = problem.is_goal(&x_new);
        tree.push(x_new, parent, new_cost, new_is_goal);
        observer.on_event(&PlannerEvent::VertexAdded {
            id: new_id,
            state: x_new,
            parent: Some(parent),
        });
        if new_is_goal && new_cost < run.best_cost {
            best_vertex = Some(new_id);
            run.improve(new_cost, observer);
        }

        // Rewire the neighbours through x_new where that is cheaper.
        for (k, &(id, d2)) in near.iter().enumerate() {
            if k == parent_k || d2 == 0.0 {
                continue;
            }
            let via = new_cost + d2.sqrt();
            if via >= tree.costs[id as usize] {
                continue;
            }
            if checks[k] == Check::Unknown {
                run.stats.motion_checks += 1;
                checks[k] = if checker.is_motion_valid(&x_new, &tree.states[id as usize]) {
                    Check::Valid
                } else {
                    Check::Invalid
                };
            }
            if checks[k] != Check::Valid {
                continue;
            }
            let old_parent = tree.parents[id as usize];
            tree.reparent(id, new_id);
            run.stats.rewires += 1;
            observer.on_event(&PlannerEvent::Rewired {
                id,
                old_parent,
                new_parent: new_id,
            });
            // Push the cost decrease down the subtree of `id`.
            let delta = via - tree.costs[id as usize];
            stack.clear();
            stack.push(id);
            while let Some(v) = stack.pop() {
                let c = tree.costs[v as usize] + delta;
                tree.costs[v as usize] = c;
                if tree.is_goal[v as usize] && c < run.best_cost {
                    best_vertex = Some(v);
                    run.improve(c, observer);
                }
                let mut child = tree.first_child[v as usize];
                while child != NONE {
                    stack.push(child);
                    child = tree.next_sibling[child as usize];
                }
            }
        }
    };

    let path = best_vertex.map(|v| trace_path(&tree.states, &tree.parents, v));
    let cost = path.as_deref().map_or(f64::INFINITY, path_length);
    let stats = run.finish(tree.states.len());
    Ok(PlanResult {
        path,
        cost,
        stats,
        termination,
        cost_history: run.history,
        graph: SearchGraph {
            edges: tree_edges(&tree.parents),
            states: tree.states,
        },
    })
}
