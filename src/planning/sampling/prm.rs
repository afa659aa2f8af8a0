//! PRM and PRM*: probabilistic roadmaps (Kavraki et al. 1996; Karaman and Frazzoli 2011) on a
//! petgraph undirected graph, queried with A*.

use std::time::Instant;

use petgraph::graph::{NodeIndex, UnGraph};
use petgraph::unionfind::UnionFind;
use rand::Rng;

use super::collision::ValidityChecker;
use super::error::{invalid, SamplingError};
use super::nearest::NearestIndex;
use super::outcome::{
    path_length, CostSample, PlanResult, PlanStats, PlannerEvent, PlannerObserver, SearchGraph,
    TerminationReason,
};
use super::space::{connection_radius, prm_star_gamma, unit_ball_volume, Bounds, Problem, State};

/// How a new milestone is connected to the roadmap. Every candidate edge is motion-checked;
/// all free ones are added (the roadmap may contain cycles, which keeps paths short).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PrmConnection {
    /// The `k` nearest milestones (OMPL's PRM uses 10).
    KNearest(usize),
    /// All milestones within a fixed radius.
    Radius(f64),
    /// PRM*: all milestones within `r(n) = gamma (ln n / n)^(1/d)`,
    /// `gamma = rewire_factor * gamma*_PRM` (see [`prm_star_gamma`]); `rewire_factor > 1`.
    StarRadius {
        /// Multiplier on the theoretical lower bound (> 1).
        rewire_factor: f64,
    },
    /// k-nearest PRM*: the `k(n) = ceil(rewire_factor * e (1 + 1/d) ln n)` nearest milestones;
    /// `rewire_factor >= 1`.
    StarKNearest {
        /// Multiplier on the theoretical lower bound (>= 1).
        rewire_factor: f64,
    },
}

/// Parameters of a [`Prm`] roadmap.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrmParams {
    /// The connection rule.
    pub connection: PrmConnection,
    /// `mu(X_free)` for [`PrmConnection::StarRadius`]; `None`: the bounds volume.
    pub free_volume: Option<f64>,
}

impl Default for PrmParams {
    /// PRM* with the radius rule and `rewire_factor` 1.1.
    fn default() -> Self {
        Self {
            connection: PrmConnection::StarRadius { rewire_factor: 1.1 },
            free_volume: None,
        }
    }
}

/// A probabilistic roadmap: collision-free milestones sampled uniformly in the bounds, joined by
/// collision-free straight edges weighted by their length (a petgraph `UnGraph`), with
/// connected components kept in a union-find so that "no path" is answered without a search.
///
/// Build it with [`Prm::new`], add milestones with [`Prm::grow`], answer queries with
/// [`Prm::query`] (multi-query: the roadmap is reused).
///
/// ```
/// use kestrel::geometry::Aabb;
/// use kestrel::planning::sampling::{Bounds, GeometricScene, NoObserver, Prm, PrmParams};
/// use nalgebra::{Point2, Vector2};
/// use rand::SeedableRng;
/// let mut scene = GeometricScene::new();
/// // A wall with a gap at the top.
/// scene.add_box(Aabb::new(Point2::new(4.5, 0.0), Point2::new(5.5, 8.0)).unwrap());
/// let bounds = Bounds::new(Vector2::new(0.0, 0.0), Vector2::new(10.0, 10.0)).unwrap();
/// let mut rng = rand::rngs::StdRng::seed_from_u64(3);
/// let mut prm = Prm::new(bounds, PrmParams::default()).unwrap();
/// prm.grow(&scene, 1000, &mut rng, &mut NoObserver).unwrap();
/// let result = prm.query(&scene, &Vector2::new(1.0, 1.0), &Vector2::new(9.0, 1.0)).unwrap();
/// let path = result.path.unwrap();
/// // The path must climb over the wall (y >= 8) somewhere.
/// assert!(path.iter().any(|q| q.y >= 8.0));
/// assert!(result.cost > 2.0 * ((3.5f64).powi(2) + 7.0f64.powi(2)).sqrt());
/// ```
#[derive(Debug)]
pub struct Prm<const D: usize> {
    bounds: Bounds<D>,
    params: PrmParams,
    gamma: f64,
    free_volume: f64,
    graph: UnGraph<State<D>, f64>,
    index: NearestIndex<D>,
    components: UnionFind<u32>,
    candidates: Vec<(u32, f64)>,
    samples_drawn: u64,
    motion_checks: u64,
}

impl<const D: usize> Prm<D> {
    /// An empty roadmap over `bounds`.
    ///
    /// # Errors
    /// [`SamplingError::InvalidParameter`] for `k = 0`, a non-positive or non-finite radius, a
    /// rewire factor below its bound, or a non-positive `free_volume`.
    pub fn new(bounds: Bounds<D>, params: PrmParams) -> Result<Self, SamplingError> {
        let free_volume = params.free_volume.unwrap_or(bounds.volume());
        if !free_volume.is_finite() || free_volume <= 0.0 {
            return Err(invalid(
                "free_volume",
                format!("must be finite and > 0, got {free_volume}"),
            ));
        }
        let mut gamma = 0.0;
        match params.connection {
            PrmConnection::KNearest(0) => return Err(invalid("connection.k", "must be >= 1")),
            PrmConnection::KNearest(_) => {}
            PrmConnection::Radius(r) => {
                if !r.is_finite() || r <= 0.0 {
                    return Err(invalid(
                        "connection.radius",
                        format!("must be finite and > 0, got {r}"),
                    ));
                }
            }
            PrmConnection::StarRadius { rewire_factor } => {
                if !rewire_factor.is_finite() || rewire_factor <= 1.0 {
                    return Err(invalid(
                        "connection.rewire_factor",
                        format!("must be finite and > 1, got {rewire_factor}"),
                    ));
                }
                gamma = rewire_factor * prm_star_gamma(D, free_volume);
            }
            PrmConnection::StarKNearest { rewire_factor } => {
                if !rewire_factor.is_finite() || rewire_factor < 1.0 {
                    return Err(invalid(
                        "connection.rewire_factor",
                        format!("must be finite and >= 1, got {rewire_factor}"),
                    ));
                }
            }
        }
        Ok(Self {
            bounds,
            params,
            gamma,
            free_volume,
            graph: UnGraph::default(),
            index: NearestIndex::new(),
            components: UnionFind::new(0),
            candidates: Vec::new(),
            samples_drawn: 0,
            motion_checks: 0,
        })
    }

    /// The number of milestones.
    pub fn milestones(&self) -> usize {
        self.graph.node_count()
    }

    /// The number of roadmap edges.
    pub fn edges(&self) -> usize {
        self.graph.edge_count()
    }

    /// The roadmap itself: node weights are states, edge weights are lengths.
    pub fn graph(&self) -> &UnGraph<State<D>, f64> {
        &self.graph
    }

    /// The roadmap as vertices and edges, for drawing.
    pub fn search_graph(&self) -> SearchGraph<D> {
        SearchGraph {
            states: self.graph.node_weights().copied().collect(),
            edges: self
                .graph
                .raw_edges()
                .iter()
                .map(|e| [e.source().index() as u32, e.target().index() as u32])
                .collect(),
        }
    }

    /// Whether milestones `a` and `b` are in the same connected component.
    pub fn connected(&self, a: u32, b: u32) -> bool {
        let n = self.milestones() as u32;
        a < n && b < n && self.components.equiv(a, b)
    }

    /// Fills `self.candidates` with the milestones to try for a vertex at `q`, nearest first;
    /// `n` is the roadmap size used by the PRM* rules.
    fn gather_candidates(&mut self, q: &State<D>, n: usize) {
        let d = D as f64;
        // Expected distance of the k-th neighbour under uniform density, padded: a good first
        // radius for the allocation-free k-nearest query.
        let hint = |k: usize| {
            1.25 * (k as f64 * self.free_volume / (n as f64 * unit_ball_volume(D))).powf(1.0 / d)
        };
        match self.params.connection {
            PrmConnection::KNearest(k) => {
                self.index
                    .nearest_k_into(q, k, hint(k), &mut self.candidates)
            }
            PrmConnection::StarKNearest { rewire_factor } => {
                let nf = (n.max(2)) as f64;
                let k = (rewire_factor * std::f64::consts::E * (1.0 + 1.0 / d) * nf.ln()).ceil();
                let k = (k as usize).max(1);
                self.index
                    .nearest_k_into(q, k, hint(k), &mut self.candidates);
            }
            PrmConnection::Radius(r) => self.index.within(q, r, &mut self.candidates),
            PrmConnection::StarRadius { .. } => {
                let r = connection_radius(self.gamma, n, D, f64::INFINITY);
                self.index.within(q, r, &mut self.candidates);
            }
        }
        self.candidates
            .sort_unstable_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    }

    /// Adds `q` (assumed valid) as a milestone and connects it; returns its id.
    fn add_milestone<C, O>(
        &mut self,
        q: State<D>,
        checker: &C,
        observer: &mut O,
    ) -> Result<u32, SamplingError>
    where
        C: ValidityChecker<D> + ?Sized,
        O: PlannerObserver<D> + ?Sized,
    {
        self.gather_candidates(&q, self.milestones() + 1);
        let id = self.index.insert(&q)?;
        let node = self.graph.add_node(q);
        debug_assert_eq!(node.index() as u32, id);
        let set = self.components.new_set();
        debug_assert_eq!(set, id);
        observer.on_event(&PlannerEvent::VertexAdded {
            id,
            state: q,
            parent: None,
        });
        for &(other, d2) in &self.candidates {
            let qo = self.graph[NodeIndex::new(other as usize)];
            self.motion_checks += 1;
            if checker.is_motion_valid(&qo, &q) {
                self.graph
                    .add_edge(NodeIndex::new(other as usize), node, d2.sqrt());
                self.components.union(other, id);
                observer.on_event(&PlannerEvent::EdgeAdded { a: other, b: id });
            }
        }
        Ok(id)
    }

    /// Draws `samples` uniform states; each valid one becomes a milestone connected by the
    /// connection rule. Returns the number of milestones added.
    ///
    /// # Errors
    /// [`SamplingError::NearestIndex`] if the kd-tree refuses a point.
    ///
    /// # Complexity
    /// Per sample: one state check, one neighbour query O(log n + k), and k motion checks.
    pub fn grow<C, R, O>(
        &mut self,
        checker: &C,
        samples: usize,
        rng: &mut R,
        observer: &mut O,
    ) -> Result<usize, SamplingError>
    where
        C: ValidityChecker<D> + ?Sized,
        R: Rng + ?Sized,
        O: PlannerObserver<D> + ?Sized,
    {
        let mut added = 0;
        for _ in 0..samples {
            self.samples_drawn += 1;
            let q = self.bounds.sample(rng);
            if !checker.is_state_valid(&q) {
                continue;
            }
            self.add_milestone(q, checker, observer)?;
            added += 1;
        }
        Ok(added)
    }

    /// Shortest roadmap path from `start` to `goal` (A* with the Euclidean heuristic, which is
    /// admissible and consistent for length-weighted edges).
    ///
    /// The start and goal are connected to the roadmap by the same rule as milestones (the
    /// direct motion `start -> goal` is tried first: if free, it is the optimum). They are
    /// connected only temporarily: the roadmap is unchanged afterwards. If no neighbour of the
    /// start shares a component with a neighbour of the goal, the answer is "no path" without a
    /// search.
    ///
    /// The result's `graph` is empty (use [`Prm::search_graph`]); `stats.iterations` is the
    /// total number of samples drawn so far.
    ///
    /// # Errors
    /// [`SamplingError::NonFinite`], [`SamplingError::OutOfBounds`],
    /// [`SamplingError::StartInCollision`], [`SamplingError::GoalInCollision`].
    pub fn query<C>(
        &mut self,
        checker: &C,
        start: &State<D>,
        goal: &State<D>,
    ) -> Result<PlanResult<D>, SamplingError>
    where
        C: ValidityChecker<D> + ?Sized,
    {
        let started = Instant::now();
        let problem = Problem::new(self.bounds, *start, *goal)?;
        problem.check_endpoints(checker)?;
        let motion_checks_before = self.motion_checks;
        let mut path = None;
        self.motion_checks += 1;
        if checker.is_motion_valid(start, goal) {
            path = Some(vec![*start, *goal]);
        } else {
            let n = self.milestones();
            let starts = self.connect_endpoint(start, checker);
            let goals = self.connect_endpoint(goal, checker);
            let linked = starts
                .iter()
                .any(|&(s, _)| goals.iter().any(|&(g, _)| self.components.equiv(s, g)));
            if linked {
                let s_node = self.graph.add_node(*start);
                let g_node = self.graph.add_node(*goal);
                for &(m, d) in &starts {
                    self.graph.add_edge(s_node, NodeIndex::new(m as usize), d);
                }
                for &(m, d) in &goals {
                    self.graph.add_edge(g_node, NodeIndex::new(m as usize), d);
                }
                let graph = &self.graph;
                let found = petgraph::algo::astar(
                    graph,
                    s_node,
                    |v| v == g_node,
                    |e| *e.weight(),
                    |v| (graph[v] - goal).norm(),
                );
                path = found.map(|(_, nodes)| nodes.iter().map(|&v| graph[v]).collect());
                // Remove the temporary vertices (last ones: indices of the others are kept).
                self.graph.remove_node(g_node);
                self.graph.remove_node(s_node);
            }
            debug_assert_eq!(self.milestones(), n);
        }
        let cost = path.as_deref().map_or(f64::INFINITY, path_length);
        let elapsed = started.elapsed();
        let solved = path.is_some();
        Ok(PlanResult {
            path,
            cost,
            stats: PlanStats {
                iterations: self.samples_drawn,
                vertices: self.milestones(),
                elapsed,
                first_solution_iteration: solved.then_some(self.samples_drawn),
                first_solution_time: solved.then_some(elapsed),
                motion_checks: self.motion_checks - motion_checks_before,
                rewires: 0,
            },
            termination: TerminationReason::SearchCompleted,
            cost_history: if solved {
                vec![CostSample {
                    iteration: self.samples_drawn,
                    elapsed,
                    cost,
                }]
            } else {
                Vec::new()
            },
            graph: SearchGraph::default(),
        })
    }

    /// Milestones that `q` connects to by the connection rule, with edge lengths.
    fn connect_endpoint<C: ValidityChecker<D> + ?Sized>(
        &mut self,
        q: &State<D>,
        checker: &C,
    ) -> Vec<(u32, f64)> {
        self.gather_candidates(q, self.milestones() + 1);
        let mut out = Vec::new();
        for &(m, d2) in &self.candidates {
            self.motion_checks += 1;
            if checker.is_motion_valid(&self.graph[NodeIndex::new(m as usize)], q) {
                out.push((m, d2.sqrt()));
            }
        }
        out
    }
}
