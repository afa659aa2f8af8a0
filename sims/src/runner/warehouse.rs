//! `warehouse`: occupancy-grid mapping with a simulated lidar. A robot drives known poses along
//! the aisles of a warehouse (walls, racks, pallets); each scan is inserted into a log-odds
//! occupancy grid by ray casting, and the grid is scored cell by cell against the ground truth.
//!
//! Metrics (algorithm `occupancy_grid`), over the cells of the map:
//! - `cell_accuracy`: correctly classified known cells / known cells;
//! - `occupied_precision`: truly occupied / cells classified occupied;
//! - `occupied_recall`: occupied cells classified occupied / truly occupied known cells;
//! - `surface_recall`: the same over obstacle cells bordering observed free space (what a lidar
//!   can see);
//! - `free_observed_fraction`: truly free cells known / truly free cells;
//! - `known_fraction`: known cells / all cells.

use super::{RunContext, ScenarioKind};
use crate::report::Report;
use crate::scenario::{Checks, Header, ScenarioError, Source};
use crate::worlds::lidar::Lidar;
use crate::worlds::warehouse::{route_poses, Warehouse, WarehouseParams};
use kestrel::mapping::{
    BinaryGrid, Bounds, CellState, GridMap, LaserScan, OccupancyGrid, OccupancyParams,
};
use kestrel::viz;
use nalgebra::{Isometry2, Point2};
use rerun::blueprint::{Blueprint, Horizontal, Spatial2DView, TimeSeriesView, Vertical};
use serde::Deserialize;
use std::time::Instant;

/// The scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarehouseScenario {
    /// Header.
    pub scenario: Header,
    /// The warehouse layout.
    #[serde(default)]
    pub warehouse: WarehouseConfig,
    /// The lidar.
    #[serde(default)]
    pub lidar: LidarConfig,
    /// The robot's route.
    #[serde(default)]
    pub robot: RobotConfig,
    /// The occupancy grid.
    #[serde(default)]
    pub map: MapConfig,
    /// What is drawn.
    #[serde(default)]
    pub viz: VizConfig,
}

/// `[warehouse]`: interior `[0, size_x] x [0, size_y]` m, walls outside it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WarehouseConfig {
    /// Interior size, m. Default `[30, 20]`.
    pub size_m: [f64; 2],
    /// Wall thickness, m. Default 0.3.
    pub wall_thickness_m: f64,
    /// Racks `[per row, rows]`. Default `[3, 3]`.
    pub rack_grid: [usize; 2],
    /// Rack footprint `[length (x), depth (y)]`, m. Default `[6, 1.2]`.
    pub rack_size_m: [f64; 2],
    /// Lower-left corner of the first rack, m. Default `[4, 4]`.
    pub rack_origin_m: [f64; 2],
    /// Spacing of the racks' corners `[x, y]`, m. Default `[8, 4.5]`.
    pub rack_pitch_m: [f64; 2],
    /// Pallets placed at random (seeded) off the route. Default 8.
    pub pallets: usize,
    /// Pallet side, m. Default 1.2.
    pub pallet_size_m: f64,
    /// Least distance from a pallet to the route, m. Default 1.0.
    pub pallet_clearance_m: f64,
}

impl Default for WarehouseConfig {
    fn default() -> Self {
        Self {
            size_m: [30.0, 20.0],
            wall_thickness_m: 0.3,
            rack_grid: [3, 3],
            rack_size_m: [6.0, 1.2],
            rack_origin_m: [4.0, 4.0],
            rack_pitch_m: [8.0, 4.5],
            pallets: 8,
            pallet_size_m: 1.2,
            pallet_clearance_m: 1.0,
        }
    }
}

impl WarehouseConfig {
    /// The world's parameters with corners snapped to `snap_m`.
    pub fn params(&self, snap_m: f64) -> WarehouseParams {
        WarehouseParams {
            size_m: self.size_m,
            wall_thickness_m: self.wall_thickness_m,
            rack_grid: self.rack_grid,
            rack_size_m: self.rack_size_m,
            rack_origin_m: self.rack_origin_m,
            rack_pitch_m: self.rack_pitch_m,
            pallets: self.pallets,
            pallet_size_m: self.pallet_size_m,
            pallet_clearance_m: self.pallet_clearance_m,
            snap_m,
        }
    }

    /// Semantic checks; `prefix` is the section name (`"warehouse"`).
    pub fn check(&self, c: &mut Checks, prefix: &str) {
        let f = |name: &str| format!("{prefix}.{name}");
        for v in self.size_m {
            c.positive(v, &f("size_m"));
        }
        c.positive(self.wall_thickness_m, &f("wall_thickness_m"));
        for v in self.rack_size_m.iter().chain(&self.rack_pitch_m) {
            c.positive(*v, &f("rack_size_m / rack_pitch_m"));
        }
        for v in self.rack_origin_m {
            c.non_negative(v, &f("rack_origin_m"));
        }
        let [cols, rows] = self.rack_grid;
        c.require(
            cols <= 100 && rows <= 100,
            &f("rack_grid"),
            "at most 100 x 100 racks",
        );
        let end_x = self.rack_origin_m[0]
            + cols.saturating_sub(1) as f64 * self.rack_pitch_m[0]
            + self.rack_size_m[0];
        let end_y = self.rack_origin_m[1]
            + rows.saturating_sub(1) as f64 * self.rack_pitch_m[1]
            + self.rack_size_m[1];
        c.require(
            (cols == 0 || rows == 0) || (end_x < self.size_m[0] && end_y < self.size_m[1]),
            &f("rack_grid"),
            "racks must end inside the interior (check rack_origin_m, rack_pitch_m, size_m)",
        );
        c.require(
            self.rack_pitch_m[0] > self.rack_size_m[0]
                && self.rack_pitch_m[1] > self.rack_size_m[1],
            &f("rack_pitch_m"),
            "must exceed rack_size_m on both axes (racks would overlap)",
        );
        c.require(self.pallets <= 1000, &f("pallets"), "at most 1000");
        c.positive(self.pallet_size_m, &f("pallet_size_m"))
            .non_negative(self.pallet_clearance_m, &f("pallet_clearance_m"));
    }
}

/// `[lidar]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LidarConfig {
    /// Beams per scan. Default 360.
    pub beams: usize,
    /// Field of view, degrees, in (0, 360]. Default 360.
    pub fov_deg: f64,
    /// Maximum range, m. Default 12.
    pub max_range_m: f64,
    /// Minimum range, m. Default 0.1.
    pub min_range_m: f64,
    /// Range noise standard deviation, m. Default 0.02.
    pub range_std_m: f64,
    /// Probability that a beam returns nothing. Default 0.01.
    pub dropout_probability: f64,
}

impl Default for LidarConfig {
    fn default() -> Self {
        Self {
            beams: 360,
            fov_deg: 360.0,
            max_range_m: 12.0,
            min_range_m: 0.1,
            range_std_m: 0.02,
            dropout_probability: 0.01,
        }
    }
}

impl LidarConfig {
    /// The sensor model.
    pub fn lidar(&self) -> Lidar {
        Lidar {
            beams: self.beams,
            fov_rad: self.fov_deg.to_radians(),
            min_range_m: self.min_range_m,
            max_range_m: self.max_range_m,
            range_std_m: self.range_std_m,
            dropout_probability: self.dropout_probability,
        }
    }

    /// Semantic checks.
    pub fn check(&self, c: &mut Checks, prefix: &str) {
        let f = |name: &str| format!("{prefix}.{name}");
        c.require(
            (2..=100_000).contains(&self.beams),
            &f("beams"),
            "must lie in 2..=100000",
        );
        c.require(
            self.fov_deg.is_finite() && self.fov_deg > 0.0 && self.fov_deg <= 360.0,
            &f("fov_deg"),
            "must lie in (0, 360]",
        );
        c.positive(self.max_range_m, &f("max_range_m"))
            .non_negative(self.min_range_m, &f("min_range_m"))
            .require(
                self.min_range_m < self.max_range_m,
                &f("min_range_m"),
                "must be below max_range_m",
            )
            .non_negative(self.range_std_m, &f("range_std_m"))
            .within(
                self.dropout_probability,
                0.0,
                1.0,
                &f("dropout_probability"),
            );
    }
}

/// `[robot]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RobotConfig {
    /// Waypoints `[[x, y], ...]`, m; default: a serpentine through every aisle.
    pub route_m: Option<Vec<[f64; 2]>>,
    /// Driving speed, m/s. Default 1.0.
    pub speed_m_s: f64,
    /// Time between scans, s. Default 0.2.
    pub scan_period_s: f64,
    /// Least distance between the route and the walls and racks, m. Default 0.3.
    pub clearance_m: f64,
}

impl Default for RobotConfig {
    fn default() -> Self {
        Self {
            route_m: None,
            speed_m_s: 1.0,
            scan_period_s: 0.2,
            clearance_m: 0.3,
        }
    }
}

/// `[map]`: the log-odds grid (OctoMap's sensor model by default).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MapConfig {
    /// Cell side, m (obstacle corners are snapped to it). Default 0.1.
    pub resolution_m: f64,
    /// Occupancy probability after a hit. Default 0.7.
    pub prob_hit: f64,
    /// Occupancy probability after a miss. Default 0.4.
    pub prob_miss: f64,
    /// Clamping range of the probability. Default `[0.1192, 0.971]`.
    pub clamp: [f64; 2],
}

impl Default for MapConfig {
    fn default() -> Self {
        let d = OccupancyParams::default();
        Self {
            resolution_m: 0.1,
            prob_hit: d.prob_hit,
            prob_miss: d.prob_miss,
            clamp: [d.clamp_min, d.clamp_max],
        }
    }
}

/// `[viz]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VizConfig {
    /// Log the grid (and the score plots) every this many scans. Default 5.
    pub grid_every_scans: usize,
    /// Draw every this many beams of the current scan. Default 4.
    pub beam_stride: usize,
}

impl Default for VizConfig {
    fn default() -> Self {
        Self {
            grid_every_scans: 5,
            beam_stride: 4,
        }
    }
}

/// A map built by driving the route, with its ground truth.
pub struct BuiltMap {
    /// The warehouse.
    pub warehouse: Warehouse,
    /// The occupancy grid after the last scan.
    pub grid: OccupancyGrid,
    /// The ground truth on the grid's cells.
    pub truth: BinaryGrid,
    /// The route driven.
    pub route: Vec<Point2<f64>>,
}

/// Cell-by-cell comparison of a grid with the truth.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MapScore {
    /// Known cells classified correctly / known cells.
    pub cell_accuracy: f64,
    /// Cells classified occupied that are occupied / cells classified occupied.
    pub occupied_precision: f64,
    /// Occupied known cells classified occupied / occupied known cells.
    pub occupied_recall: f64,
    /// The recall over obstacle cells 4-adjacent to a known free cell.
    pub surface_recall: f64,
    /// Free cells known / free cells.
    pub free_observed_fraction: f64,
    /// Known cells / all cells.
    pub known_fraction: f64,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Scores `grid` against `truth` (same cells).
pub fn score_map(grid: &OccupancyGrid, truth: &BinaryGrid) -> MapScore {
    let (w, h) = (truth.width(), truth.height());
    let state = |x: usize, y: usize| grid.state(kestrel::mapping::Cell::new(x as i32, y as i32));
    let (mut known, mut correct, mut tp, mut fp, mut fn_) = (0, 0, 0, 0, 0);
    let (mut free, mut free_known, mut surface, mut surface_tp) = (0, 0, 0, 0);
    for y in 0..h {
        for x in 0..w {
            let occupied = truth.is_blocked(x, y);
            let s = state(x, y);
            if !occupied {
                free += 1;
            }
            if s != CellState::Unknown {
                known += 1;
                if !occupied {
                    free_known += 1;
                }
            }
            match (s, occupied) {
                (CellState::Occupied, true) => {
                    correct += 1;
                    tp += 1;
                }
                (CellState::Occupied, false) => fp += 1,
                (CellState::Free, false) => correct += 1,
                (CellState::Free, true) => fn_ += 1,
                (CellState::Unknown, _) => {}
            }
            if occupied {
                let seen_free = |nx: usize, ny: usize| {
                    !truth.is_blocked(nx, ny) && state(nx, ny) != CellState::Unknown
                };
                let border = (x > 0 && seen_free(x - 1, y))
                    || (x + 1 < w && seen_free(x + 1, y))
                    || (y > 0 && seen_free(x, y - 1))
                    || (y + 1 < h && seen_free(x, y + 1));
                if border {
                    surface += 1;
                    if s == CellState::Occupied {
                        surface_tp += 1;
                    }
                }
            }
        }
    }
    MapScore {
        cell_accuracy: ratio(correct, known),
        occupied_precision: ratio(tp, tp + fp),
        occupied_recall: ratio(tp, tp + fn_),
        surface_recall: ratio(surface_tp, surface),
        free_observed_fraction: ratio(free_known, free),
        known_fraction: ratio(known, w * h),
    }
}

impl ScenarioKind for WarehouseScenario {
    const KIND: &'static str = "warehouse";

    fn load(source: &Source) -> Result<Self, ScenarioError> {
        let s: Self = source.parse()?;
        s.check(source)?;
        Ok(s)
    }

    fn run(&self, ctx: &RunContext) -> anyhow::Result<Report> {
        let started = Instant::now();
        let (built, scans, insert_s, beams) = self.build(ctx, true)?;
        let score = score_map(&built.grid, &built.truth);
        let mut report = Report::default();
        let alg = "occupancy_grid";
        report
            .metric(alg, "cell_accuracy", score.cell_accuracy)
            .metric(alg, "occupied_precision", score.occupied_precision)
            .metric(alg, "occupied_recall", score.occupied_recall)
            .metric(alg, "surface_recall", score.surface_recall)
            .metric(alg, "free_observed_fraction", score.free_observed_fraction)
            .metric(alg, "known_fraction", score.known_fraction)
            .metric(alg, "scans", scans as f64)
            .metric("world", "pallets", built.warehouse.pallets().len() as f64);
        report
            .timing(
                alg,
                "insert_us_per_scan",
                1e6 * insert_s / scans.max(1) as f64,
            )
            .timing(alg, "beams_per_s", beams as f64 / insert_s.max(1e-12))
            .timing(alg, "run_s", started.elapsed().as_secs_f64());
        Ok(report)
    }

    fn blueprint(&self) -> Option<Blueprint> {
        Some(super::layout(
            Horizontal::new([
                Spatial2DView::new("warehouse: occupancy grid, truth outlines, robot, scan")
                    .with_origin("/")
                    .with_contents(["/world/**"])
                    .into(),
                Vertical::new([
                    TimeSeriesView::new("map quality (fraction)")
                        .with_origin("plots/map_quality")
                        .into(),
                    TimeSeriesView::new("coverage (fraction)")
                        .with_origin("plots/coverage")
                        .into(),
                ])
                .into(),
            ])
            .with_column_shares([2.0, 1.0]),
        ))
    }
}

impl WarehouseScenario {
    /// All semantic checks (used by `load` and by scenarios that embed this one).
    pub fn check(&self, source: &Source) -> Result<(), ScenarioError> {
        let mut c = Checks::new(source);
        self.warehouse.check(&mut c, "warehouse");
        self.lidar.check(&mut c, "lidar");
        c.positive(self.robot.speed_m_s, "robot.speed_m_s")
            .positive(self.robot.scan_period_s, "robot.scan_period_s")
            .non_negative(self.robot.clearance_m, "robot.clearance_m")
            .positive(self.map.resolution_m, "map.resolution_m")
            .within(self.map.prob_hit, 0.5001, 0.9999, "map.prob_hit")
            .within(self.map.prob_miss, 0.0001, 0.4999, "map.prob_miss")
            .require(
                self.map.clamp[0] > 0.0
                    && self.map.clamp[0] < self.map.clamp[1]
                    && self.map.clamp[1] < 1.0,
                "map.clamp",
                "must satisfy 0 < clamp[0] < clamp[1] < 1",
            )
            .require(
                self.viz.grid_every_scans >= 1,
                "viz.grid_every_scans",
                "must be >= 1",
            )
            .require(self.viz.beam_stride >= 1, "viz.beam_stride", "must be >= 1");
        c.finish()?;
        let cells = (self.warehouse.size_m[0] / self.map.resolution_m)
            * (self.warehouse.size_m[1] / self.map.resolution_m);
        c.require(
            cells <= 2.5e7,
            "map.resolution_m",
            "gives more than 25 million cells",
        );
        let route = self.route();
        let [w, h] = self.warehouse.size_m;
        c.require(
            route.len() >= 2,
            "robot.route_m",
            "needs at least 2 waypoints",
        );
        for (i, p) in route.iter().enumerate() {
            c.require(
                p.x.is_finite() && p.y.is_finite() && p.x > 0.0 && p.y > 0.0 && p.x < w && p.y < h,
                "robot.route_m",
                &format!("waypoint {i} ({}, {}) is not inside the interior", p.x, p.y),
            );
        }
        c.finish()?;
        let length: f64 = route.windows(2).map(|s| (s[1] - s[0]).norm()).sum();
        let scans = length / (self.robot.speed_m_s * self.robot.scan_period_s);
        c.require(
            scans <= 1e5,
            "robot.speed_m_s",
            "the route needs more than 100000 scans",
        );
        // The route must keep its clearance from walls and racks (pallets are placed around it).
        let bare = Warehouse::generate(
            &WarehouseParams {
                pallets: 0,
                ..self.warehouse.params(self.map.resolution_m)
            },
            &route,
            &mut <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(0),
        );
        for (i, seg) in route.windows(2).enumerate() {
            c.require(
                bare.segment_clear(&seg[0], &seg[1], self.robot.clearance_m),
                "robot.route_m",
                &format!(
                    "leg {i} ({:.2}, {:.2}) -> ({:.2}, {:.2}) passes within clearance_m of a wall or rack",
                    seg[0].x, seg[0].y, seg[1].x, seg[1].y
                ),
            );
        }
        c.finish()
    }

    /// The waypoints driven.
    pub fn route(&self) -> Vec<Point2<f64>> {
        match &self.robot.route_m {
            Some(r) => r.iter().map(|p| Point2::new(p[0], p[1])).collect(),
            None => self.warehouse.params(self.map.resolution_m).aisle_route(),
        }
    }

    /// Generates the warehouse (stream 1), drives the route with the lidar (stream 2), inserts
    /// every scan; logs to `ctx.rec` when `log`. Returns the map, the scan count, the seconds
    /// spent inserting and the beams inserted.
    pub fn build(
        &self,
        ctx: &RunContext,
        log: bool,
    ) -> anyhow::Result<(BuiltMap, usize, f64, usize)> {
        let res = self.map.resolution_m;
        let route = self.route();
        let warehouse = Warehouse::generate(&self.warehouse.params(res), &route, &mut ctx.rng(1));
        let geometry = warehouse.grid_geometry(res)?;
        let truth = warehouse.rasterize(&geometry)?;
        let params = OccupancyParams {
            prob_hit: self.map.prob_hit,
            prob_miss: self.map.prob_miss,
            clamp_min: self.map.clamp[0],
            clamp_max: self.map.clamp[1],
            occupancy_threshold: 0.5,
        };
        let mut grid = OccupancyGrid::new(geometry.clone(), params, Bounds::Fixed)?;
        let lidar = self.lidar.lidar();
        let poses = route_poses(&route, self.robot.speed_m_s * self.robot.scan_period_s);
        let rec = &ctx.rec;
        let log = log && rec.is_enabled();
        if log {
            self.log_static(ctx, &warehouse, &route)?;
        }
        let mut rng = ctx.rng(2);
        let mut ranges = Vec::with_capacity(lidar.beams);
        let mut classes = Vec::new();
        let (mut insert_s, mut beams) = (0.0, 0usize);
        let bar = ctx.progress(poses.len() as u64, "scans");
        for (k, pose) in poses.iter().enumerate() {
            lidar.scan(&warehouse, pose, &mut rng, &mut ranges);
            let scan = LaserScan {
                angle_min: lidar.angle_min(),
                angle_increment: lidar.angle_increment(),
                range_min: lidar.min_range_m,
                range_max: lidar.max_range_m,
                ranges: &ranges,
            };
            let t = Instant::now();
            grid.insert_scan(pose, &scan)?;
            insert_s += t.elapsed().as_secs_f64();
            beams += ranges.len();
            let last = k + 1 == poses.len();
            if log {
                rec.set_time_sequence("step", k as i64);
                rec.set_duration_secs("sim_time", k as f64 * self.robot.scan_period_s);
                self.log_scan(ctx, &lidar, pose, &ranges)?;
                if k % self.viz.grid_every_scans == 0 || last {
                    viz::log_occupancy_grid(rec, "world/map", &grid, &mut classes)?;
                    let s = score_map(&grid, &truth);
                    viz::log_scalar(rec, "plots/map_quality/cell_accuracy", s.cell_accuracy)?;
                    viz::log_scalar(
                        rec,
                        "plots/map_quality/occupied_precision",
                        s.occupied_precision,
                    )?;
                    viz::log_scalar(rec, "plots/map_quality/surface_recall", s.surface_recall)?;
                    viz::log_scalar(
                        rec,
                        "plots/coverage/free_observed",
                        s.free_observed_fraction,
                    )?;
                    viz::log_scalar(rec, "plots/coverage/known", s.known_fraction)?;
                }
            }
            bar.inc(1);
        }
        bar.finish_and_clear();
        let scans = poses.len();
        Ok((
            BuiltMap {
                warehouse,
                grid,
                truth,
                route,
            },
            scans,
            insert_s,
            beams,
        ))
    }

    fn log_scan(
        &self,
        ctx: &RunContext,
        lidar: &Lidar,
        pose: &Isometry2<f64>,
        ranges: &[f64],
    ) -> anyhow::Result<()> {
        let rec = &ctx.rec;
        let o = pose.translation.vector;
        let origin = [o.x as f32, o.y as f32];
        let hits: Vec<[f32; 2]> = ranges
            .iter()
            .enumerate()
            .filter_map(|(i, &r)| lidar.endpoint(pose, i, r))
            .map(|p| [p.x as f32, p.y as f32])
            .collect();
        let beams: Vec<[[f32; 2]; 2]> = ranges
            .iter()
            .enumerate()
            .step_by(self.viz.beam_stride)
            .filter_map(|(i, &r)| lidar.endpoint(pose, i, r))
            .map(|p| [origin, [p.x as f32, p.y as f32]])
            .collect();
        rec.log(
            "world/robot/beams",
            &rerun::LineStrips2D::new(beams)
                .with_colors([[255, 80, 80, 70]])
                .with_radii([rerun::Radius::new_ui_points(0.5)])
                .with_draw_order(5.0),
        )?;
        rec.log(
            "world/measurements",
            &rerun::Points2D::new(hits)
                .with_colors([[255, 60, 60, 255]])
                .with_radii([rerun::Radius::new_ui_points(1.5)])
                .with_draw_order(6.0),
        )?;
        let heading = pose.rotation.angle();
        rec.log(
            "world/robot/pose",
            &rerun::Arrows2D::from_vectors([[
                0.8 * heading.cos() as f32,
                0.8 * heading.sin() as f32,
            ]])
            .with_origins([origin])
            .with_colors([viz::color(0)])
            .with_radii([rerun::Radius::new_ui_points(3.0)])
            .with_draw_order(7.0),
        )?;
        Ok(())
    }

    fn log_static(
        &self,
        ctx: &RunContext,
        warehouse: &Warehouse,
        route: &[Point2<f64>],
    ) -> anyhow::Result<()> {
        let rec = &ctx.rec;
        viz::y_up(rec, "world")?;
        viz::log_occupancy_style(rec, "world/map")?;
        let boxes = |b: &[kestrel::geometry::Aabb]| {
            let mins: Vec<[f32; 2]> = b
                .iter()
                .map(|o| [o.min().x as f32, o.min().y as f32])
                .collect();
            let sizes: Vec<[f32; 2]> = b
                .iter()
                .map(|o| {
                    [
                        (o.max().x - o.min().x) as f32,
                        (o.max().y - o.min().y) as f32,
                    ]
                })
                .collect();
            rerun::Boxes2D::from_mins_and_sizes(mins, sizes)
        };
        for (name, set, color) in [
            ("walls", warehouse.walls(), [120, 200, 255, 160]),
            ("racks", warehouse.racks(), [120, 200, 255, 160]),
            ("pallets", warehouse.pallets(), [255, 200, 90, 160]),
        ] {
            rec.log_static(
                format!("world/truth/{name}"),
                &boxes(set)
                    .with_colors([color])
                    .with_radii([rerun::Radius::new_ui_points(0.75)])
                    .with_draw_order(2.0),
            )?;
        }
        let line: Vec<[f32; 2]> = route.iter().map(|p| [p.x as f32, p.y as f32]).collect();
        rec.log_static(
            "world/truth/route",
            &rerun::LineStrips2D::new([line])
                .with_colors([[120, 255, 120, 120]])
                .with_radii([rerun::Radius::new_ui_points(1.0)])
                .with_draw_order(3.0),
        )?;
        let c = viz::color;
        viz::log_series_style(
            rec,
            "plots/map_quality/cell_accuracy",
            "cell accuracy",
            c(0),
        )?;
        viz::log_series_style(
            rec,
            "plots/map_quality/occupied_precision",
            "occupied precision",
            c(1),
        )?;
        viz::log_series_style(
            rec,
            "plots/map_quality/surface_recall",
            "surface recall",
            c(2),
        )?;
        viz::log_series_style(
            rec,
            "plots/coverage/free_observed",
            "free space observed",
            c(3),
        )?;
        viz::log_series_style(rec, "plots/coverage/known", "cells known", c(4))?;
        Ok(())
    }
}
