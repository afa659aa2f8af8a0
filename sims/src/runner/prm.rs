//! `prm`: a probabilistic roadmap (PRM* by default) built once over a scene of obstacles and
//! queried several times. The recording grows the roadmap in batches, then draws each query's
//! roadmap path and its shortcut version.
//!
//! Report rows: one per query (`<name>`) with `solved`, `length`, `shortcut_length`,
//! `straight_line` and `length_over_straight`; row `prm` with `milestones`, `edges`,
//! `queries_solved`, `queries`. An unreachable goal gives `solved = 0` (no search is run when
//! the start and goal connect to different roadmap components). Times are timings.

use super::scene::{Scene, SceneConfig};
use super::{RunContext, ScenarioKind};
use crate::report::Report;
use crate::scenario::{Checks, Header, ScenarioError, Source};
use kestrel::planning::sampling::{
    path_length, shortcut_greedy, NoObserver, Prm, PrmConnection, PrmParams,
};
use kestrel::viz;
use nalgebra::Vector2;
use rerun::blueprint::{Blueprint, Spatial2DView};
use serde::Deserialize;
use std::time::Instant;

/// The scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrmConfig {
    /// Header.
    pub scenario: Header,
    /// The obstacles and the sampling box (start and goal come from the queries).
    pub scene: SceneConfig,
    /// The roadmap.
    #[serde(default)]
    pub prm: RoadmapConfig,
    /// The queries, answered on the same roadmap.
    pub queries: Vec<PointQuery>,
    /// The recording.
    #[serde(default)]
    pub viz: RoadmapVizConfig,
}

/// `[prm]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoadmapConfig {
    /// Samples drawn (collision-free ones become milestones). Default 2000.
    pub samples: usize,
    /// `"star_radius"` (PRM*, default), `"star_k_nearest"`, `"k_nearest"` or `"radius"`.
    pub connection: String,
    /// `k` for `"k_nearest"`. Default 10 (OMPL's PRM).
    pub k: usize,
    /// Radius for `"radius"`, m. Default 1.0.
    pub radius: f64,
    /// Factor on the PRM* constant for the `star_*` rules. Default 1.1.
    pub rewire_factor: f64,
}

impl Default for RoadmapConfig {
    fn default() -> Self {
        Self {
            samples: 2000,
            connection: "star_radius".to_string(),
            k: 10,
            radius: 1.0,
            rewire_factor: 1.1,
        }
    }
}

/// `[[queries]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointQuery {
    /// Name (the report row).
    pub name: String,
    /// Start, m.
    pub start: [f64; 2],
    /// Goal, m.
    pub goal: [f64; 2],
}

/// `[viz]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoadmapVizConfig {
    /// Batches the roadmap is grown (and drawn) in. Default 20.
    pub frames: usize,
}

impl Default for RoadmapVizConfig {
    fn default() -> Self {
        Self { frames: 20 }
    }
}

/// The scenario, loaded and checked.
#[derive(Debug, Clone)]
pub struct PrmScenario {
    config: PrmConfig,
    scene: Scene,
    connection: PrmConnection,
}

impl ScenarioKind for PrmScenario {
    const KIND: &'static str = "prm";

    fn load(source: &Source) -> Result<Self, ScenarioError> {
        let config: PrmConfig = source.parse()?;
        let p = &config.prm;
        let connection = match p.connection.as_str() {
            "star_radius" => PrmConnection::StarRadius { rewire_factor: p.rewire_factor },
            "star_k_nearest" => PrmConnection::StarKNearest { rewire_factor: p.rewire_factor },
            "k_nearest" => PrmConnection::KNearest(p.k),
            "radius" => PrmConnection::Radius(p.radius),
            other => {
                return Err(source.invalid(
                    "prm.connection",
                    format!("is {other:?}; expected \"star_radius\", \"star_k_nearest\", \"k_nearest\" or \"radius\""),
                ))
            }
        };
        let mut c = Checks::new(source);
        c.require(
            (1..=1_000_000).contains(&p.samples),
            "prm.samples",
            "must lie in 1..=1000000",
        )
        .require((1..=1000).contains(&p.k), "prm.k", "must lie in 1..=1000")
        .positive(p.radius, "prm.radius")
        .require(
            p.rewire_factor.is_finite() && p.rewire_factor > 1.0,
            "prm.rewire_factor",
            "must be > 1",
        )
        .require(
            !config.queries.is_empty(),
            "queries",
            "needs at least one query",
        )
        .require(
            (1..=1000).contains(&config.viz.frames),
            "viz.frames",
            "must lie in 1..=1000",
        )
        .require(
            config.scene.start.is_none() && config.scene.goal.is_none(),
            "scene.start",
            "is not used by `prm`: give start and goal in each [[queries]]",
        );
        for (i, q) in config.queries.iter().enumerate() {
            c.require(
                !q.name.is_empty() && config.queries[..i].iter().all(|o| o.name != q.name),
                &format!("queries.{i}.name"),
                "must be non-empty and unique",
            );
        }
        c.finish()?;
        let scene = config.scene.resolve(source, "scene")?;
        for (i, q) in config.queries.iter().enumerate() {
            scene.check_point(
                source,
                &format!("queries.{i}.start"),
                &Vector2::from(q.start),
            )?;
            scene.check_point(source, &format!("queries.{i}.goal"), &Vector2::from(q.goal))?;
        }
        // The planner's own parameter checks (e.g. the PRM* bound), named as fields.
        Prm::<2>::new(
            scene.bounds,
            PrmParams {
                connection,
                free_volume: None,
            },
        )
        .map_err(|e| source.invalid("prm.connection", e.to_string()))?;
        Ok(Self {
            config,
            scene,
            connection,
        })
    }

    fn run(&self, ctx: &RunContext) -> anyhow::Result<Report> {
        self.run_once(ctx)
    }

    fn blueprint(&self) -> Option<Blueprint> {
        Some(super::layout(
            Spatial2DView::new(
                "PRM: roadmap, each query's roadmap path (thin) and shortcut (thick)",
            )
            .with_origin("/")
            .with_contents(["/world/**"]),
        ))
    }
}

impl PrmScenario {
    fn run_once(&self, ctx: &RunContext) -> anyhow::Result<Report> {
        let rec = &ctx.rec;
        let log = rec.is_enabled();
        let mut rng = ctx.rng(1);
        let mut prm = Prm::<2>::new(
            self.scene.bounds,
            PrmParams {
                connection: self.connection,
                free_volume: None,
            },
        )?;
        if log {
            self.scene.log_static(rec)?;
        }
        let frames = self.config.viz.frames;
        let samples = self.config.prm.samples;
        let t = Instant::now();
        let bar = ctx.progress(frames as u64, "roadmap");
        for frame in 0..frames {
            let n = samples * (frame + 1) / frames - samples * frame / frames;
            prm.grow(&self.scene.checker, n, &mut rng, &mut NoObserver)?;
            if log {
                rec.set_time_sequence("step", frame as i64);
                rec.log(
                    "world/prm/roadmap",
                    &viz::graph_strips(&prm.search_graph(), [150, 150, 170, 60])
                        .with_draw_order(10.0),
                )?;
                let milestones: Vec<[f32; 2]> = prm
                    .graph()
                    .node_weights()
                    .map(|q| [q.x as f32, q.y as f32])
                    .collect();
                rec.log(
                    "world/prm/milestones",
                    &rerun::Points2D::new(milestones)
                        .with_colors([[200, 200, 220, 160]])
                        .with_radii([rerun::Radius::new_ui_points(1.5)])
                        .with_draw_order(12.0),
                )?;
            }
            bar.inc(1);
        }
        bar.finish_and_clear();
        let mut report = Report::default();
        report.timing("prm", "build_ms", 1e3 * t.elapsed().as_secs_f64());
        let mut solved = 0;
        for (i, q) in self.config.queries.iter().enumerate() {
            let (start, goal) = (Vector2::from(q.start), Vector2::from(q.goal));
            let t = Instant::now();
            let result = prm.query(&self.scene.checker, &start, &goal)?;
            report.timing(&q.name, "query_ms", 1e3 * t.elapsed().as_secs_f64());
            let straight = (goal - start).norm();
            report
                .metric(&q.name, "solved", if result.solved() { 1.0 } else { 0.0 })
                .metric(&q.name, "straight_line", straight);
            let color = viz::color(i + 1);
            if log {
                rec.set_time_sequence("step", (frames + i) as i64);
                rec.log_static(
                    format!("world/queries/{}", q.name),
                    &rerun::Points2D::new([
                        [start.x as f32, start.y as f32],
                        [goal.x as f32, goal.y as f32],
                    ])
                    .with_labels([format!("{} start", q.name), format!("{} goal", q.name)])
                    .with_colors([color])
                    .with_radii([rerun::Radius::new_ui_points(5.0)])
                    .with_draw_order(35.0),
                )?;
            }
            if let Some(path) = &result.path {
                solved += 1;
                let short = shortcut_greedy(path, &self.scene.checker)?;
                report
                    .metric(&q.name, "length", result.cost)
                    .metric(&q.name, "shortcut_length", path_length(&short))
                    .metric(
                        &q.name,
                        "length_over_straight",
                        result.cost / straight.max(f64::MIN_POSITIVE),
                    );
                if log {
                    let thin = [color[0], color[1], color[2], 150];
                    rec.log(
                        format!("world/paths/{}/roadmap", q.name),
                        &viz::path_strip(path, thin)
                            .with_radii([rerun::Radius::new_ui_points(1.5)])
                            .with_draw_order(25.0),
                    )?;
                    rec.log(
                        format!("world/paths/{}/shortcut", q.name),
                        &viz::path_strip(&short, color).with_draw_order(26.0),
                    )?;
                }
            } else if log {
                rec.log(
                    format!("world/paths/{}/no_path", q.name),
                    &rerun::Points2D::new([[goal.x as f32, goal.y as f32]])
                        .with_labels([format!("{}: no path", q.name)])
                        .with_colors([[255, 60, 60, 255]])
                        .with_radii([rerun::Radius::new_ui_points(7.0)])
                        .with_draw_order(36.0),
                )?;
            }
        }
        report
            .metric("prm", "milestones", prm.milestones() as f64)
            .metric("prm", "edges", prm.edges() as f64)
            .metric("prm", "queries_solved", solved as f64)
            .metric("prm", "queries", self.config.queries.len() as f64);
        Ok(report)
    }
}
