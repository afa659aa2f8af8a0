//! `rrt_star`: RRT against RRT* on a planar scene of circles and boxes (by default the anchor
//! scene `tests/fixtures/planning_sampling/anchor_scene.json`: box `[0, 10]^2`, five circles,
//! start `(0.5, 0.5)`, goal `(9.5, 9.5)`). Both run on an iteration budget, so the report is
//! deterministic. The recording grows both trees side by side (RRT* rewiring as it goes), draws
//! the best path at each improvement, and plots the best cost against the tree size with the
//! straight-line lower bound.
//!
//! Report rows `rrt` and `rrt_star`: `solved`, `first_solution_iteration`,
//! `first_solution_cost`, `final_cost`, `final_over_bound` (final cost / straight-line
//! distance), `iterations`, `vertices` (and `rewires` for RRT*); row `scene`:
//! `straight_line_bound`. Wall-clock times are timings.

use super::{RunContext, ScenarioKind};
use crate::report::Report;
use crate::scenario::{Checks, Header, ScenarioError, Source};
use kestrel::geometry::{Aabb, Circle};
use kestrel::planning::sampling::{
    rrt, rrt_star, Bounds, GeometricScene, PlanResult, PlannerEvent, Problem, RrtParams,
    RrtStarNeighbours, RrtStarParams, Termination, ValidityChecker,
};
use kestrel::viz;
use nalgebra::{Point2, Vector2};
use rerun::blueprint::{Blueprint, Horizontal, Spatial2DView, TimeSeriesView, Vertical};
use serde::Deserialize;
use std::path::Path;

/// `[scene]`: obstacles from a JSON file and/or written inline; inline values add to (obstacles)
/// or replace (bounds, start, goal) the file's.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SceneConfig {
    /// A JSON scene relative to this scenario file, as the anchor scene:
    /// `{"bounds": {"lower": [x, y], "upper": [x, y]}, "start": [x, y], "goal": [x, y],
    /// "circles": [{"center": [x, y], "radius": r}], "boxes": [{"min": [x, y], "max": [x, y]}]}`.
    pub file: Option<String>,
    /// Lower corner of the sampling box, m.
    pub lower: Option<[f64; 2]>,
    /// Upper corner of the sampling box, m.
    pub upper: Option<[f64; 2]>,
    /// Start, m (single-query scenarios).
    pub start: Option<[f64; 2]>,
    /// Goal, m (single-query scenarios).
    pub goal: Option<[f64; 2]>,
    /// Circular obstacles.
    #[serde(default)]
    pub circles: Vec<CircleConfig>,
    /// Box obstacles.
    #[serde(default)]
    pub boxes: Vec<BoxConfig>,
}

/// `[[scene.circles]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CircleConfig {
    /// Centre, m.
    pub center: [f64; 2],
    /// Radius, m.
    pub radius: f64,
}

/// `[[scene.boxes]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoxConfig {
    /// Lower-left corner, m.
    pub min: [f64; 2],
    /// Upper-right corner, m.
    pub max: [f64; 2],
}

#[derive(Debug, Deserialize)]
struct SceneFile {
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    bounds: BoundsFile,
    start: Option<[f64; 2]>,
    goal: Option<[f64; 2]>,
    #[serde(default)]
    circles: Vec<CircleConfig>,
    #[serde(default)]
    boxes: Vec<BoxConfig>,
}

#[derive(Debug, Deserialize)]
struct BoundsFile {
    lower: [f64; 2],
    upper: [f64; 2],
}

/// A resolved scene.
#[derive(Debug, Clone)]
pub struct Scene {
    /// The sampling box.
    pub bounds: Bounds<2>,
    /// The collision checker.
    pub checker: GeometricScene,
    /// Start, if given.
    pub start: Option<Vector2<f64>>,
    /// Goal, if given.
    pub goal: Option<Vector2<f64>>,
}

impl SceneConfig {
    /// Reads the file (if any), merges the inline values and checks everything; errors name
    /// `<prefix>.<field>`.
    pub fn resolve(&self, source: &Source, prefix: &str) -> Result<Scene, ScenarioError> {
        let f = |name: &str| format!("{prefix}.{name}");
        let mut lower = self.lower;
        let mut upper = self.upper;
        let (mut start, mut goal) = (None, None);
        let mut circles = Vec::new();
        let mut boxes = Vec::new();
        if let Some(rel) = &self.file {
            let dir = source.path.parent().unwrap_or(Path::new("."));
            let path = dir.join(rel);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                source.invalid(&f("file"), format!("cannot read {}: {e}", path.display()))
            })?;
            let file: SceneFile = serde_json::from_str(&text)
                .map_err(|e| source.invalid(&f("file"), format!("{}: {e}", path.display())))?;
            lower = lower.or(Some(file.bounds.lower));
            upper = upper.or(Some(file.bounds.upper));
            start = file.start;
            goal = file.goal;
            circles = file.circles;
            boxes = file.boxes;
        }
        start = self.start.or(start);
        goal = self.goal.or(goal);
        circles.extend(self.circles.iter().cloned());
        boxes.extend(self.boxes.iter().cloned());
        let (Some(lo), Some(hi)) = (lower, upper) else {
            return Err(source.invalid(
                &f("lower"),
                "the sampling box needs `lower` and `upper` (or a `file`)",
            ));
        };
        let bounds = Bounds::new(Vector2::from(lo), Vector2::from(hi))
            .map_err(|e| source.invalid(&f("upper"), format!("bad sampling box: {e}")))?;
        let mut checker = GeometricScene::new();
        for (i, c) in circles.iter().enumerate() {
            let circle = Circle::new(Point2::from(c.center), c.radius)
                .map_err(|e| source.invalid(&f(&format!("circles.{i}")), e.to_string()))?;
            checker.add_circle(circle);
        }
        for (i, b) in boxes.iter().enumerate() {
            let aabb = Aabb::new(Point2::from(b.min), Point2::from(b.max))
                .map_err(|e| source.invalid(&f(&format!("boxes.{i}")), e.to_string()))?;
            checker.add_box(aabb);
        }
        let scene = Scene {
            bounds,
            checker,
            start: start.map(Vector2::from),
            goal: goal.map(Vector2::from),
        };
        for (what, p) in [("start", scene.start), ("goal", scene.goal)] {
            if let Some(p) = p {
                scene.check_point(source, &f(what), &p)?;
            }
        }
        Ok(scene)
    }
}

impl Scene {
    /// A point must be finite, inside the box and collision-free; the error names `field`.
    pub fn check_point(
        &self,
        source: &Source,
        field: &str,
        p: &Vector2<f64>,
    ) -> Result<(), ScenarioError> {
        let (lo, hi) = (self.bounds.lower(), self.bounds.upper());
        if !(p.x.is_finite() && p.y.is_finite()) {
            return Err(source.invalid(field, "must be finite"));
        }
        if !self.bounds.contains(p) {
            return Err(source.invalid(
                field,
                format!(
                    "({}, {}) is outside the sampling box [{}, {}] x [{}, {}]",
                    p.x, p.y, lo.x, hi.x, lo.y, hi.y
                ),
            ));
        }
        if !self.checker.is_state_valid(p) {
            return Err(source.invalid(field, format!("({}, {}) is inside an obstacle", p.x, p.y)));
        }
        Ok(())
    }

    /// Logs the obstacles (static) under `world/scene`, with `+y` up.
    pub fn log_static(&self, rec: &rerun::RecordingStream) -> anyhow::Result<()> {
        viz::y_up(rec, "world")?;
        let outlines: Vec<Vec<[f32; 2]>> = self
            .checker
            .circles()
            .iter()
            .map(|c| {
                (0..=64)
                    .map(|k| {
                        let a = std::f64::consts::TAU * k as f64 / 64.0;
                        [
                            (c.center().x + c.radius() * a.cos()) as f32,
                            (c.center().y + c.radius() * a.sin()) as f32,
                        ]
                    })
                    .collect()
            })
            .collect();
        let color = [235, 235, 235, 255];
        rec.log_static(
            "world/scene/circles",
            &rerun::LineStrips2D::new(outlines)
                .with_colors([color])
                .with_radii([rerun::Radius::new_ui_points(1.5)]),
        )?;
        let boxes = self.checker.boxes();
        rec.log_static(
            "world/scene/boxes",
            &rerun::Boxes2D::from_mins_and_sizes(
                boxes.iter().map(|b| [b.min().x as f32, b.min().y as f32]),
                boxes.iter().map(|b| {
                    [
                        (b.max().x - b.min().x) as f32,
                        (b.max().y - b.min().y) as f32,
                    ]
                }),
            )
            .with_colors([color])
            .with_radii([rerun::Radius::new_ui_points(1.5)]),
        )?;
        let (lo, hi) = (self.bounds.lower(), self.bounds.upper());
        rec.log_static(
            "world/scene/bounds",
            &rerun::Boxes2D::from_mins_and_sizes(
                [[lo.x as f32, lo.y as f32]],
                [[(hi.x - lo.x) as f32, (hi.y - lo.y) as f32]],
            )
            .with_colors([[120, 120, 120, 255]]),
        )?;
        Ok(())
    }
}

/// The scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RrtStarConfig {
    /// Header.
    pub scenario: Header,
    /// The scene; needs a start and a goal.
    pub scene: SceneConfig,
    /// RRT.
    #[serde(default = "RrtSection::default_rrt")]
    pub rrt: RrtSection,
    /// RRT*.
    #[serde(default = "RrtSection::default_rrt_star")]
    pub rrt_star: RrtSection,
    /// The recording.
    #[serde(default)]
    pub viz: TreeVizConfig,
}

/// `[rrt]` and `[rrt_star]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RrtSection {
    /// Iteration budget (samples drawn).
    pub iterations: u64,
    /// Longest extension, m; default a fifth of the box diagonal (OMPL's default).
    #[serde(default)]
    pub range: Option<f64>,
    /// Probability of sampling the goal. Default 0.05.
    #[serde(default = "default_goal_bias")]
    pub goal_bias: f64,
    /// Stop at the first solution (default: true for RRT, false for RRT*).
    pub stop_on_first_solution: Option<bool>,
    /// RRT* only: rewiring constant factor (> 1). Default 1.1.
    #[serde(default)]
    pub rewire_factor: Option<f64>,
    /// RRT* only: `"k_nearest"` (OMPL's default) or `"radius"`. Default `"k_nearest"`.
    #[serde(default)]
    pub neighbours: Option<String>,
    /// RRT* only: informed sampling once a solution exists. Default false.
    #[serde(default)]
    pub informed: Option<bool>,
}

fn default_goal_bias() -> f64 {
    0.05
}

impl RrtSection {
    fn default_rrt() -> Self {
        Self {
            iterations: 20_000,
            range: None,
            goal_bias: 0.05,
            stop_on_first_solution: Some(true),
            rewire_factor: None,
            neighbours: None,
            informed: None,
        }
    }
    fn default_rrt_star() -> Self {
        Self {
            stop_on_first_solution: Some(false),
            ..Self::default_rrt()
        }
    }
    fn termination(&self, rrt_default_stop: bool) -> Termination {
        let t = Termination::iterations(self.iterations);
        if self.stop_on_first_solution.unwrap_or(rrt_default_stop) {
            t.with_first_solution()
        } else {
            t
        }
    }
}

/// `[viz]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TreeVizConfig {
    /// Tree snapshots per planner (the tree is logged every `vertices / frames` new vertices).
    /// Default 40.
    pub frames: usize,
}

impl Default for TreeVizConfig {
    fn default() -> Self {
        Self { frames: 40 }
    }
}

/// The scenario, loaded and checked.
#[derive(Debug, Clone)]
pub struct RrtStarScenario {
    config: RrtStarConfig,
    scene: Scene,
    start: Vector2<f64>,
    goal: Vector2<f64>,
}

const PLANNERS: [&str; 2] = ["rrt", "rrt_star"];

impl ScenarioKind for RrtStarScenario {
    const KIND: &'static str = "rrt_star";

    fn load(source: &Source) -> Result<Self, ScenarioError> {
        let config: RrtStarConfig = source.parse()?;
        let mut c = Checks::new(source);
        for (name, s) in [("rrt", &config.rrt), ("rrt_star", &config.rrt_star)] {
            c.require(
                (1..=10_000_000).contains(&s.iterations),
                &format!("{name}.iterations"),
                "must lie in 1..=10000000",
            )
            .within(s.goal_bias, 0.0, 1.0, &format!("{name}.goal_bias"));
            if let Some(r) = s.range {
                c.positive(r, &format!("{name}.range"));
            }
        }
        for (field, set) in [
            ("rrt.rewire_factor", config.rrt.rewire_factor.is_some()),
            ("rrt.neighbours", config.rrt.neighbours.is_some()),
            ("rrt.informed", config.rrt.informed.is_some()),
        ] {
            c.require(!set, field, "applies to [rrt_star] only");
        }
        if let Some(f) = config.rrt_star.rewire_factor {
            c.require(
                f.is_finite() && f > 1.0,
                "rrt_star.rewire_factor",
                "must be > 1",
            );
        }
        if let Some(n) = &config.rrt_star.neighbours {
            c.require(
                n == "k_nearest" || n == "radius",
                "rrt_star.neighbours",
                "must be \"k_nearest\" or \"radius\"",
            );
        }
        c.require(
            (1..=1000).contains(&config.viz.frames),
            "viz.frames",
            "must lie in 1..=1000",
        );
        c.finish()?;
        let scene = config.scene.resolve(source, "scene")?;
        let start = scene
            .start
            .ok_or_else(|| source.invalid("scene.start", "is required"))?;
        let goal = scene
            .goal
            .ok_or_else(|| source.invalid("scene.goal", "is required"))?;
        Ok(Self {
            config,
            scene,
            start,
            goal,
        })
    }

    fn run(&self, ctx: &RunContext) -> anyhow::Result<Report> {
        self.run_once(ctx)
    }

    fn blueprint(&self) -> Option<Blueprint> {
        let view = |alg: &str, title: &str| {
            Spatial2DView::new(title)
                .with_origin("/")
                .with_contents(["/world/scene/**".to_string(), format!("/world/{alg}/**")])
                .into()
        };
        Some(super::layout(
            Vertical::new([
                Horizontal::new([
                    view("rrt", "RRT (stops at its first path)"),
                    view("rrt_star", "RRT* (rewires)"),
                ])
                .into(),
                TimeSeriesView::new("best path length (m) against tree size")
                    .with_origin("plots/cost")
                    .into(),
            ])
            .with_row_shares([3.0, 1.0]),
        ))
    }
}

impl RrtStarScenario {
    fn plan(
        &self,
        k: usize,
        ctx: &RunContext,
        observer: &mut dyn FnMut(&PlannerEvent<2>),
    ) -> anyhow::Result<PlanResult<2>> {
        let problem = Problem::new(self.scene.bounds, self.start, self.goal)?;
        let mut rng = ctx.rng(k as u64 + 1);
        let mut observer = observer;
        Ok(if k == 0 {
            let s = &self.config.rrt;
            let params = RrtParams {
                range: s.range,
                goal_bias: s.goal_bias,
                termination: s.termination(true),
            };
            rrt(
                &problem,
                &self.scene.checker,
                &params,
                &mut rng,
                &mut observer,
            )?
        } else {
            let s = &self.config.rrt_star;
            let params = RrtStarParams {
                range: s.range,
                goal_bias: s.goal_bias,
                rewire_factor: s.rewire_factor.unwrap_or(1.1),
                neighbours: if s.neighbours.as_deref() == Some("radius") {
                    RrtStarNeighbours::Radius
                } else {
                    RrtStarNeighbours::KNearest
                },
                free_volume: None,
                informed_sampling: s.informed.unwrap_or(false),
                termination: s.termination(false),
            };
            rrt_star(
                &problem,
                &self.scene.checker,
                &params,
                &mut rng,
                &mut observer,
            )?
        })
    }

    fn run_once(&self, ctx: &RunContext) -> anyhow::Result<Report> {
        let bound = (self.goal - self.start).norm();
        let mut report = Report::default();
        report.metric("scene", "straight_line_bound", bound);
        let rec = &ctx.rec;
        let log = rec.is_enabled();
        if log {
            self.scene.log_static(rec)?;
            let pts = [
                [self.start.x as f32, self.start.y as f32],
                [self.goal.x as f32, self.goal.y as f32],
            ];
            rec.log_static(
                "world/scene/start_goal",
                &rerun::Points2D::new(pts)
                    .with_labels(["start", "goal"])
                    .with_colors([[90, 255, 90, 255], [255, 90, 90, 255]])
                    .with_radii([rerun::Radius::new_ui_points(6.0)])
                    .with_draw_order(35.0),
            )?;
            rec.log_static(
                "world/scene/straight_line",
                &rerun::LineStrips2D::new([pts]).with_colors([[255, 255, 255, 60]]),
            )?;
            viz::log_series_style(
                rec,
                "plots/cost/straight_line_bound",
                "straight-line bound",
                [255, 255, 255, 120],
            )?;
        }
        let mut max_vertices = 0usize;
        for (k, alg) in PLANNERS.iter().enumerate() {
            let result = self.plan(k, ctx, &mut |_| {})?;
            let s = &result.stats;
            report
                .metric(alg, "solved", if result.solved() { 1.0 } else { 0.0 })
                .metric(alg, "iterations", s.iterations as f64)
                .metric(alg, "vertices", s.vertices as f64);
            if let Some(it) = s.first_solution_iteration {
                report.metric(alg, "first_solution_iteration", it as f64);
            }
            if let Some(first) = result.cost_history.first() {
                report.metric(alg, "first_solution_cost", first.cost);
            }
            if result.solved() {
                report.metric(alg, "final_cost", result.cost).metric(
                    alg,
                    "final_over_bound",
                    result.cost / bound,
                );
            }
            if k == 1 {
                report.metric(alg, "rewires", s.rewires as f64);
            }
            report.timing(alg, "run_ms", 1e3 * s.elapsed.as_secs_f64());
            if let Some(t) = s.first_solution_time {
                report.timing(alg, "first_solution_ms", 1e3 * t.as_secs_f64());
            }
            max_vertices = max_vertices.max(s.vertices);
            if log {
                self.record(ctx, k, alg, &result)?;
            }
        }
        if log {
            for step in [0, max_vertices as i64] {
                rec.set_time_sequence("step", step);
                viz::log_scalar(rec, "plots/cost/straight_line_bound", bound)?;
            }
            // Carry each planner's final cost to the end of the plot (RRT stops early).
            for alg in PLANNERS {
                if let Some(cost) = report.get(alg, "final_cost") {
                    viz::log_scalar(rec, &format!("plots/cost/{alg}"), cost)?;
                }
            }
        }
        Ok(report)
    }

    /// Replays planner `k` with an observer that mirrors its tree and logs snapshots; the
    /// replay is checked to end with the unobserved run's cost.
    fn record(
        &self,
        ctx: &RunContext,
        k: usize,
        alg: &str,
        reference: &PlanResult<2>,
    ) -> anyhow::Result<()> {
        let rec = &ctx.rec;
        let color = viz::color(k);
        viz::log_series_style(rec, &format!("plots/cost/{alg}"), alg, color)?;
        let every = (reference.stats.vertices / self.config.viz.frames).max(1);
        let mut mirror = viz::TreeMirror::new();
        let mut goal_vertices: Vec<u32> = Vec::new();
        let mut error: Option<anyhow::Error> = None;
        let goal = self.goal;
        let tree_path = format!("world/{alg}/tree");
        let best_path = format!("world/{alg}/path");
        let log_tree = |mirror: &viz::TreeMirror| -> anyhow::Result<()> {
            rec.set_time_sequence("step", mirror.len() as i64);
            rec.log(
                tree_path.as_str(),
                &rerun::LineStrips2D::new(mirror.segments())
                    .with_colors([[color[0], color[1], color[2], 70]])
                    .with_radii([rerun::Radius::new_ui_points(0.5)]),
            )?;
            Ok(())
        };
        let result = self.plan(k, ctx, &mut |e: &PlannerEvent<2>| {
            if error.is_some() {
                return;
            }
            mirror.observe(e);
            let outcome = match *e {
                PlannerEvent::VertexAdded { id, state, .. } => {
                    if state == goal {
                        goal_vertices.push(id);
                    }
                    if mirror.len() % every == 0 {
                        log_tree(&mirror)
                    } else {
                        Ok(())
                    }
                }
                PlannerEvent::SolutionImproved { cost, .. } => {
                    rec.set_time_sequence("step", mirror.len() as i64);
                    let best = goal_vertices
                        .iter()
                        .filter_map(|&v| mirror.path_to(v))
                        .min_by(|a, b| a.1.total_cmp(&b.1));
                    viz::log_scalar(rec, &format!("plots/cost/{alg}"), cost)
                        .map_err(anyhow::Error::from)
                        .and_then(|_| match best {
                            Some((path, _)) => rec
                                .log(
                                    best_path.as_str(),
                                    &viz::path_strip(&path, color).with_draw_order(25.0),
                                )
                                .map_err(anyhow::Error::from),
                            None => Ok(()),
                        })
                }
                _ => Ok(()),
            };
            if let Err(err) = outcome {
                error = Some(err);
            }
        })?;
        if let Some(err) = error {
            return Err(err);
        }
        anyhow::ensure!(
            result.cost.to_bits() == reference.cost.to_bits(),
            "{alg}: the observed replay ended at {} instead of {}",
            result.cost,
            reference.cost
        );
        // The final tree and path.
        rec.set_time_sequence("step", result.stats.vertices as i64);
        rec.log(
            tree_path.as_str(),
            &viz::graph_strips(&result.graph, [color[0], color[1], color[2], 70]),
        )?;
        if let Some(path) = &result.path {
            rec.log(
                best_path.as_str(),
                &viz::path_strip(path, color).with_draw_order(25.0),
            )?;
        }
        Ok(())
    }
}
