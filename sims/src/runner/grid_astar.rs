//! `grid_astar`: grid A*, Dijkstra and jump point search answer the same queries on one map,
//! either a Moving AI benchmark map (a path relative to `$KESTREL_DATASETS`) or a warehouse map
//! (built by driving a `warehouse` scenario's route with its lidar, or its ground truth),
//! optionally inflated by the robot's radius. The recording animates each planner's expanded
//! cells and draws its path.
//!
//! Report rows are `<query>/<planner>` (`astar`, `dijkstra`, `jps`) with `found`, `expansions`,
//! the path length (`length_m` on warehouse maps, `length` in cells on Moving AI maps) and, for
//! Moving AI queries taken from the `.scen` file, `error_vs_published`; `<query>/agreement`
//! with `length_spread` (largest minus smallest length); and `all_queries` with
//! `lengths_agree` (1 when every planner found the same length, within 1e-9 relative, or all
//! found no path), `queries_solved` and `queries`. Wall-clock times are timings (`time_ms`).

use super::warehouse::WarehouseScenario;
use super::{RunContext, ScenarioKind};
use crate::report::Report;
use crate::scenario::{Checks, Header, ScenarioError, Source};
use kestrel::mapping::{Cell, GridGeometry, GridMap, MovingAiMap};
use kestrel::planning::{Connectivity, GridAstar, GridDijkstra, GridJps, GridPath};
use kestrel::viz;
use rerun::blueprint::{Blueprint, Horizontal, Spatial2DView, TimeSeriesView, Vertical};
use serde::Deserialize;
use std::path::Path;
use std::time::Instant;

/// The scenario file, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GridAstarConfig {
    /// Header.
    pub scenario: Header,
    /// Where the map comes from.
    pub map: MapSourceConfig,
    /// The queries, answered in order by every planner.
    pub queries: Vec<QueryConfig>,
    /// The animation.
    #[serde(default)]
    pub viz: GridVizConfig,
}

/// `[map]`: exactly one of `movingai` and `warehouse`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapSourceConfig {
    /// A Moving AI `.map` file, relative to `$KESTREL_DATASETS` (or absolute). Cells are
    /// `(column, row)` with row 0 the first map line; moves cost 1 and `sqrt 2`.
    pub movingai: Option<String>,
    /// A `warehouse` scenario file, relative to this file: its map is built (same seed) by
    /// driving its route with its lidar. Start and goal are world points in metres.
    pub warehouse: Option<String>,
    /// Warehouse only: plan on the ground truth instead of the built map. Default false.
    #[serde(default)]
    pub use_truth: bool,
    /// Warehouse only: treat never-observed cells as free. Default false (blocked).
    #[serde(default)]
    pub unknown_is_free: bool,
    /// Block cells within this distance of an obstacle (nav2's inscribed radius), in map
    /// units (metres for the warehouse, cells for Moving AI). Default 0.
    #[serde(default)]
    pub robot_radius: f64,
}

/// `[[queries]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryConfig {
    /// Name used in metric names (`<name>.length`).
    pub name: String,
    /// Start `[x, y]`: a cell for Moving AI maps, metres for the warehouse.
    pub start: Option<[f64; 2]>,
    /// Goal, as `start`.
    pub goal: Option<[f64; 2]>,
    /// Moving AI only, instead of `start`/`goal`: query number `k` (from 0) of the map's
    /// `.scen` file, whose published optimal length is then checked.
    pub scen_index: Option<usize>,
}

/// `[viz]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GridVizConfig {
    /// Frames of the expansion animation per query (the slowest planner takes them all).
    /// Default 30.
    pub frames_per_query: usize,
}

impl Default for GridVizConfig {
    fn default() -> Self {
        Self {
            frames_per_query: 30,
        }
    }
}

/// A query resolved to cells.
#[derive(Debug, Clone)]
pub struct Query {
    /// Its name.
    pub name: String,
    /// Start cell.
    pub start: Cell,
    /// Goal cell.
    pub goal: Cell,
    /// The published optimal length (Moving AI `.scen` queries), in cells.
    pub published: Option<f64>,
    index: usize,
}

/// Where the map comes from, resolved at load time.
#[derive(Debug, Clone)]
enum MapSource {
    MovingAi(MovingAiMap),
    Warehouse(Box<WarehouseScenario>),
}

/// The scenario, loaded and checked.
#[derive(Debug, Clone)]
pub struct GridAstarScenario {
    config: GridAstarConfig,
    source: Source,
    map: MapSource,
    queries: Vec<Query>,
}

const PLANNERS: [&str; 3] = ["astar", "dijkstra", "jps"];

mod map;
use map::{datasets_path, PlanningMap};

impl ScenarioKind for GridAstarScenario {
    const KIND: &'static str = "grid_astar";

    fn load(source: &Source) -> Result<Self, ScenarioError> {
        let config: GridAstarConfig = source.parse()?;
        let mut c = Checks::new(source);
        let m = &config.map;
        c.require(
            m.movingai.is_some() != m.warehouse.is_some(),
            "map",
            "needs exactly one of `movingai` and `warehouse`",
        )
        .non_negative(m.robot_radius, "map.robot_radius")
        .require(
            !config.queries.is_empty(),
            "queries",
            "needs at least one query",
        )
        .require(
            (1..=1000).contains(&config.viz.frames_per_query),
            "viz.frames_per_query",
            "must lie in 1..=1000",
        );
        for (i, q) in config.queries.iter().enumerate() {
            let ok_name = !q.name.is_empty()
                && q.name
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-');
            c.require(
                ok_name,
                &format!("queries.{i}.name"),
                "must be non-empty: letters, digits, '_' or '-'",
            );
            c.require(
                config.queries[..i].iter().all(|o| o.name != q.name),
                &format!("queries.{i}.name"),
                "is used twice",
            );
            c.require(
                q.scen_index.is_some() != (q.start.is_some() && q.goal.is_some())
                    && (q.scen_index.is_none() || (q.start.is_none() && q.goal.is_none())),
                &format!("queries.{i}"),
                "needs either `start` and `goal`, or `scen_index`",
            );
            for (what, v) in [("start", q.start), ("goal", q.goal)] {
                if let Some(v) = v {
                    c.require(
                        v.iter().all(|x| x.is_finite()),
                        &format!("queries.{i}.{what}"),
                        "must be finite",
                    );
                }
            }
        }
        c.finish()?;
        let map = if let Some(rel) = &m.movingai {
            let path = datasets_path(rel).map_err(|e| source.invalid("map.movingai", e))?;
            let map = MovingAiMap::load(&path)
                .map_err(|e| source.invalid("map.movingai", format!("cannot be used: {e}")))?;
            c.require(
                !m.use_truth && !m.unknown_is_free,
                "map.use_truth",
                "applies to warehouse maps only",
            );
            MapSource::MovingAi(map)
        } else {
            let rel = m.warehouse.as_deref().unwrap_or_default();
            let dir = source.path.parent().unwrap_or(Path::new("."));
            let path = dir.join(rel);
            let inner =
                Source::read(&path).map_err(|e| source.invalid("map.warehouse", e.to_string()))?;
            let header = inner.header()?;
            if header.kind != WarehouseScenario::KIND {
                return Err(source.invalid(
                    "map.warehouse",
                    format!("names a `{}` scenario, not a `warehouse` one", header.kind),
                ));
            }
            MapSource::Warehouse(Box::new(WarehouseScenario::load(&inner)?))
        };
        c.finish()?;
        let mut s = GridAstarScenario {
            config,
            source: source.clone(),
            map,
            queries: Vec::new(),
        };
        s.queries = s.resolve_queries()?;
        Ok(s)
    }

    fn run(&self, ctx: &RunContext) -> anyhow::Result<Report> {
        self.run_once(ctx)
    }

    fn blueprint(&self) -> Option<Blueprint> {
        let view = |alg: &str, title: &str| {
            Spatial2DView::new(title)
                .with_origin("/")
                .with_contents([
                    "/world/map/**".to_string(),
                    "/world/queries/**".to_string(),
                    format!("/world/{alg}/**"),
                ])
                .into()
        };
        Some(super::layout(
            Vertical::new([
                Horizontal::new([
                    view("astar", "A* (octile heuristic)"),
                    view("dijkstra", "Dijkstra"),
                    view("jps", "jump point search"),
                ])
                .into(),
                TimeSeriesView::new("cells expanded so far in the current query")
                    .with_origin("plots/expansions")
                    .into(),
            ])
            .with_row_shares([3.0, 1.0]),
        ))
    }
}

impl GridAstarScenario {
    /// The resolved queries.
    pub fn queries(&self) -> &[Query] {
        &self.queries
    }

    fn run_once(&self, ctx: &RunContext) -> anyhow::Result<Report> {
        let map = self.planning_map(ctx)?;
        let cells = self.cells_on(&map)?;
        let mut astar = GridAstar::new(&map, Connectivity::Eight)?;
        let mut dijkstra = GridDijkstra::new(&map, Connectivity::Eight)?;
        let mut jps = GridJps::new(&map)?;
        let rec = &ctx.rec;
        let log = rec.is_enabled();
        if log {
            self.log_static(ctx, &map, &cells)?;
        }
        let mut report = Report::default();
        let mut all_agree = true;
        let mut solved = 0usize;
        let mut step = 0i64;
        let unit_name = if map.y_up { "length_m" } else { "length" };
        for (q, &(start, goal)) in self.queries.iter().zip(&cells) {
            // Timed runs without recording, then recorded runs for the animation.
            let mut results: Vec<Option<GridPath>> = Vec::new();
            for (k, alg) in PLANNERS.iter().enumerate() {
                let t = Instant::now();
                let path = match k {
                    0 => astar.plan(start, goal)?,
                    1 => dijkstra.plan(start, goal)?,
                    _ => jps.plan(start, goal)?,
                };
                let row = format!("{}/{alg}", q.name);
                report.timing(&row, "time_ms", 1e3 * t.elapsed().as_secs_f64());
                let expansions = match k {
                    0 => astar.last_stats().expansions,
                    1 => dijkstra.last_stats().expansions,
                    _ => jps.last_stats().expansions,
                };
                let found = if path.is_some() { 1.0 } else { 0.0 };
                report
                    .metric(&row, "found", found)
                    .metric(&row, "expansions", expansions as f64);
                if let Some(p) = &path {
                    report.metric(&row, unit_name, p.cost * map.unit);
                    if let Some(opt) = q.published {
                        report.metric(&row, "error_vs_published", p.cost - opt);
                    }
                }
                results.push(path);
            }
            let costs: Vec<Option<f64>> =
                results.iter().map(|r| r.as_ref().map(|p| p.cost)).collect();
            let agree = match costs[0] {
                Some(c0) => costs
                    .iter()
                    .all(|c| c.is_some_and(|c| (c - c0).abs() <= 1e-9 * c0.max(1.0))),
                None => costs.iter().all(Option::is_none),
            };
            all_agree &= agree;
            if costs[0].is_some() {
                solved += 1;
            }
            let found: Vec<f64> = costs.iter().flatten().copied().collect();
            let lo = found.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = found.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let spread = if found.is_empty() { 0.0 } else { hi - lo };
            report.metric(
                &format!("{}/agreement", q.name),
                "length_spread",
                spread * map.unit,
            );
            if log {
                step = self.animate(
                    ctx,
                    &map,
                    q,
                    start,
                    goal,
                    step,
                    &mut astar,
                    &mut dijkstra,
                    &mut jps,
                )?;
            }
        }
        report
            .metric(
                "all_queries",
                "lengths_agree",
                if all_agree { 1.0 } else { 0.0 },
            )
            .metric("all_queries", "queries_solved", solved as f64)
            .metric("all_queries", "queries", self.queries.len() as f64);
        Ok(report)
    }

    /// Replays one query with expansion recording and animates it from `step`; returns the next
    /// free step.
    #[allow(clippy::too_many_arguments)]
    fn animate(
        &self,
        ctx: &RunContext,
        map: &PlanningMap,
        q: &Query,
        start: Cell,
        goal: Cell,
        step: i64,
        astar: &mut GridAstar,
        dijkstra: &mut GridDijkstra,
        jps: &mut GridJps,
    ) -> anyhow::Result<i64> {
        let rec = &ctx.rec;
        astar.record_expanded(true);
        dijkstra.record_expanded(true);
        jps.record_expanded(true);
        let paths = [
            astar.plan(start, goal)?,
            dijkstra.plan(start, goal)?,
            jps.plan(start, goal)?,
        ];
        astar.record_expanded(false);
        dijkstra.record_expanded(false);
        jps.record_expanded(false);
        let expanded: Vec<&[Cell]> = paths
            .iter()
            .map(|p| p.as_ref().map_or(&[][..], |p| p.expanded.as_slice()))
            .collect();
        let most = expanded.iter().map(|e| e.len()).max().unwrap_or(0).max(1);
        let frames = self.config.viz.frames_per_query;
        let batch = most.div_ceil(frames);
        let (w, h) = (map.width(), map.height());
        let mut overlays: Vec<viz::CellOverlay> = PLANNERS
            .iter()
            .map(|_| viz::CellOverlay::new(w, h))
            .collect();
        // Planner k shows its expansions in batches over its own first frames (the slowest one
        // uses all of them), then one more frame in which its last batch fades.
        let own_frames: Vec<usize> = expanded
            .iter()
            .map(|e| e.len().div_ceil(batch).max(1))
            .collect();
        for frame in 0..=frames {
            rec.set_time_sequence("step", step + frame as i64);
            for (k, alg) in PLANNERS.iter().enumerate() {
                if frame > own_frames[k] {
                    continue;
                }
                let lo = (frame * batch).min(expanded[k].len());
                let hi = ((frame + 1) * batch).min(expanded[k].len());
                overlays[k].push_batch(&expanded[k][lo..hi]);
                rec.log(format!("world/{alg}/expanded"), &overlays[k].image())?;
                viz::log_scalar(rec, &format!("plots/expansions/{alg}"), hi as f64)?;
                if frame + 1 == own_frames[k] {
                    let entity = format!("world/{alg}/path/{}", q.name);
                    match &paths[k] {
                        Some(p) => rec.log(
                            entity,
                            &viz::grid_path_strip(p, &map.geometry, viz::color(k))
                                .with_draw_order(8.0),
                        )?,
                        None => rec.log(
                            entity,
                            &rerun::Points2D::new([cell_center(&map.geometry, goal)])
                                .with_labels(["no path"])
                                .with_colors([[255, 60, 60, 255]])
                                .with_radii([rerun::Radius::new_ui_points(6.0)]),
                        )?,
                    }
                }
            }
        }
        Ok(step + frames as i64 + 2)
    }

    fn log_static(
        &self,
        ctx: &RunContext,
        map: &PlanningMap,
        cells: &[(Cell, Cell)],
    ) -> anyhow::Result<()> {
        let rec = &ctx.rec;
        if map.y_up {
            viz::y_up(rec, "world")?;
        }
        rec.log_static("world/map", &viz::planning_map_annotations())?;
        rec.log_static("world/map", &viz::grid_transform(&map.geometry))?;
        rec.log_static(
            "world/map",
            &viz::class_image(map.width(), map.height(), &map.classes).with_draw_order(-10.0),
        )?;
        for (k, alg) in PLANNERS.iter().enumerate() {
            let entity = format!("world/{alg}/expanded");
            rec.log_static(
                entity.as_str(),
                &viz::overlay_annotations("expanded", viz::color(k)),
            )?;
            rec.log_static(entity.as_str(), &viz::grid_transform(&map.geometry))?;
            viz::log_series_style(rec, &format!("plots/expansions/{alg}"), alg, viz::color(k))?;
        }
        for (q, (s, g)) in self.queries.iter().zip(cells) {
            rec.log_static(
                format!("world/queries/{}", q.name),
                &rerun::Points2D::new([
                    cell_center(&map.geometry, *s),
                    cell_center(&map.geometry, *g),
                ])
                .with_labels([format!("{} start", q.name), format!("{} goal", q.name)])
                .with_colors([[90, 255, 90, 255], [255, 90, 90, 255]])
                .with_radii([rerun::Radius::new_ui_points(5.0)])
                .with_draw_order(9.0),
            )?;
        }
        Ok(())
    }
}

fn cell_center(geometry: &GridGeometry, c: Cell) -> [f32; 2] {
    let p = geometry.cell_center(c);
    [p.x as f32, p.y as f32]
}
