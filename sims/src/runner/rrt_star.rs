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

use super::scene::{Scene, SceneConfig};
use super::{RunContext, ScenarioKind};
use crate::report::Report;
use crate::scenario::{Checks, Header, ScenarioError, Source};
use kestrel::planning::sampling::{
    rrt, rrt_star, PlanResult, PlannerEvent, Problem, RrtParams, RrtStarNeighbours, RrtStarParams,
    Termination,
};
use kestrel::viz;
use nalgebra::Vector2;
use rerun::blueprint::{Blueprint, Horizontal, Spatial2DView, TimeSeriesView, Vertical};
use serde::Deserialize;

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
                    if mirror.len().is_multiple_of(every) {
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
