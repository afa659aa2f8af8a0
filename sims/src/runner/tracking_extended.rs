//! `extended_objects`: cars, bicycles and pedestrians seen as point clouds by an elevated lidar
//! ([`lidar_objects`](crate::worlds::lidar_objects)), clustered by DBSCAN into one detection
//! per object (the centroid of its returns, tracked as a point, and the oriented box of the
//! returns, its measured extent: [`cluster_detections`]), then tracked with extents
//! ([`Tracker::step_with_extents`](kestrel::tracking::Tracker::step_with_extents), extents
//! smoothed by [`ExtentSmoother`](kestrel::tracking::ExtentSmoother) with each tracker's
//! `extent_smoothing` gain).
//!
//! The file: `[world]` (period, duration, `[[world.objects]]` with a `class` and optionally a
//! `size_m` other than the class's typical one), `[lidar]`, `[clustering]` (DBSCAN and what the
//! trackers assume of its detections), `[[trackers]]` (roles by name, as in the `tracking` kind;
//! position detections, so `kf`, `ekf`, `ukf` or `imm`), `[scoring]`, `[recording]`.
//!
//! Reported per tracker: the `tracking` kind's metrics (GOSPA with its parts, OSPA, CLEAR MOT,
//! false tracks, latencies) on the objects' box centres, and per class the extent errors
//! ([`tracking_extent_score`](super::tracking_extent_score)); under `clustering`, the same
//! extent errors of the raw DBSCAN boxes (before smoothing) and the mean counts of clusters and
//! points.
//!
//! Recording (y up): the bird's-eye point cloud coloured by cluster (noise grey), the cluster
//! boxes, the true boxes labelled with class and id, and per tracker its confirmed tracks
//! (`#<id>`) with their smoothed boxes and trails, GOSPA and extent-error time series.

use super::tracking_build::{check_trackers, WorldFacts};
use super::tracking_engine::{DrawOptions, TrackView};
use super::tracking_extent_score::{cluster_owners, greedy_match, ExtentErrors};
use super::tracking_roles::TrackerConfig;
use super::tracking_score::Scorer;
use super::tracking_world::{check_life, RecordingConfig, ScoringConfig, TurnConfig};
use super::{RunContext, ScenarioKind};
use crate::report::Report;
use crate::scenario::{Checks, Header, ScenarioError, Source};
use crate::worlds::clutter::{PointSensor, SensorKind};
use crate::worlds::lidar_objects::{ElevatedLidar, ObjectBox, ObjectClass, PointCloud};
use crate::worlds::targets::{Maneuver, TargetSpec, Truth};
use kestrel::tracking::{cluster_detections, Dbscan, Extent};
use kestrel::viz;
use nalgebra::{Vector2, Vector4};
use rerun::blueprint::{
    Blueprint, Grid, Horizontal, Spatial2DView, TextDocumentView, TimeSeriesView, Vertical,
};
use serde::Deserialize;

/// The scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtendedScenario {
    /// Header.
    pub scenario: Header,
    /// Objects and time.
    pub world: ObjectWorld,
    /// The lidar.
    pub lidar: LidarConfig,
    /// Point clustering.
    pub clustering: ClusteringConfig,
    /// The trackers compared.
    pub trackers: Vec<TrackerConfig>,
    /// Metric settings.
    #[serde(default)]
    pub scoring: ScoringConfig,
    /// What the recording holds.
    #[serde(default)]
    pub recording: RecordingConfig,
}

/// `[world]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectWorld {
    /// Scan period, s.
    pub period_s: f64,
    /// Length of the run, s.
    pub duration_s: f64,
    /// The road users.
    pub objects: Vec<ObjectConfig>,
}

/// `[[world.objects]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectConfig {
    /// `car`, `bicycle` or `pedestrian`.
    pub class: ObjectClass,
    /// `[length, width, height]`, m (default: the class's typical size: car 4.5 x 1.8 x 1.5,
    /// bicycle 1.8 x 0.6 x 1.7, pedestrian 0.5 x 0.5 x 1.75).
    pub size_m: Option<[f64; 3]>,
    /// Centre of the footprint at birth, m.
    pub position_m: [f64; 2],
    /// Velocity at birth, m/s (the box faces along it).
    pub velocity_m_s: [f64; 2],
    /// Time of appearance, s (default 0).
    #[serde(default)]
    pub birth_s: f64,
    /// Time of disappearance, s (default: stays).
    pub death_s: Option<f64>,
    /// Coordinated turns.
    #[serde(default)]
    pub turns: Vec<TurnConfig>,
}

impl ObjectConfig {
    /// `[length, width, height]`, m.
    pub fn size(&self) -> [f64; 3] {
        self.size_m.unwrap_or_else(|| self.class.default_size())
    }
}

/// `[lidar]`: an elevated multi-beam lidar with evenly spaced channels.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LidarConfig {
    /// Position on the ground, m (default the origin).
    #[serde(default)]
    pub position_m: [f64; 2],
    /// Mounting height, m.
    pub height_m: f64,
    /// Azimuth step, deg.
    pub azimuth_step_deg: f64,
    /// Elevations of the first and last channel, deg (below the horizon: negative).
    pub elevation_deg: [f64; 2],
    /// Number of channels, evenly spaced between the two elevations.
    pub channels: usize,
    /// Longest range, m.
    pub max_range_m: f64,
    /// Range noise standard deviation, m.
    pub range_std_m: f64,
    /// Probability that a return is lost (default 0).
    #[serde(default)]
    pub dropout_probability: f64,
    /// Clutter returns per scan (leaves, poles, birds), uniform over `clutter_x_m` x
    /// `clutter_y_m` at heights 0.2 to 2 m (default 0).
    #[serde(default)]
    pub clutter_points_per_scan: usize,
    /// x interval of the clutter returns, m.
    #[serde(default = "default_region")]
    pub clutter_x_m: [f64; 2],
    /// y interval of the clutter returns, m.
    #[serde(default = "default_region")]
    pub clutter_y_m: [f64; 2],
}

fn default_region() -> [f64; 2] {
    [-30.0, 30.0]
}

impl LidarConfig {
    /// The simulated sensor.
    pub fn lidar(&self) -> ElevatedLidar {
        let [a, b] = self.elevation_deg;
        let n = self.channels.max(1);
        let step = if n > 1 { (b - a) / (n - 1) as f64 } else { 0.0 };
        ElevatedLidar {
            position: Vector2::from(self.position_m),
            height_m: self.height_m,
            azimuth_step_rad: self.azimuth_step_deg.to_radians(),
            elevations_rad: (0..n).map(|i| (a + step * i as f64).to_radians()).collect(),
            max_range_m: self.max_range_m,
            range_std_m: self.range_std_m,
            dropout_probability: self.dropout_probability,
        }
    }
}

/// `[clustering]`: DBSCAN on the bird's-eye `(x, y)` of the returns, and the detection model
/// the trackers assume for its clusters.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusteringConfig {
    /// Neighbourhood radius, m.
    pub eps_m: f64,
    /// Points in a neighbourhood that make a core point (the point itself included).
    pub min_samples: usize,
    /// Standard deviation per axis of a cluster's centroid about the object's centre, m (the
    /// trackers' measurement noise).
    pub centroid_std_m: f64,
    /// Probability that an object gives a cluster, assumed by the trackers.
    pub detection_probability: f64,
    /// False clusters per m^2 per scan, assumed by the trackers.
    pub clutter_density: f64,
}

impl ScenarioKind for ExtendedScenario {
    const KIND: &'static str = "extended_objects";

    fn load(source: &Source) -> Result<Self, ScenarioError> {
        let s: Self = super::tracking_roles::parse_naming_field(source)?;
        let mut c = Checks::new(source);
        let w = &s.world;
        c.positive(w.period_s, "world.period_s")
            .positive(w.duration_s, "world.duration_s")
            .require(
                w.duration_s / w.period_s >= 2.0 && w.duration_s / w.period_s <= 1e5,
                "world.duration_s",
                "must span 2 to 100000 scans",
            )
            .require(
                !w.objects.is_empty(),
                "world.objects",
                "needs at least one object",
            );
        for (i, o) in w.objects.iter().enumerate() {
            let f = |n: &str| format!("world.objects.{i}.{n}");
            for v in o.position_m {
                c.finite(v, &f("position_m"));
            }
            for v in o.velocity_m_s {
                c.finite(v, &f("velocity_m_s"));
            }
            c.require(
                o.velocity_m_s[0].hypot(o.velocity_m_s[1]) > 0.05,
                &f("velocity_m_s"),
                "objects must move (their boxes face along the velocity)",
            );
            if let Some(size) = o.size_m {
                for v in size {
                    c.positive(v, &f("size_m"));
                }
            }
            check_life(
                &mut c,
                &format!("world.objects.{i}"),
                o.birth_s,
                o.death_s,
                &o.turns,
            );
        }
        let l = &s.lidar;
        c.finite(l.position_m[0], "lidar.position_m")
            .finite(l.position_m[1], "lidar.position_m")
            .positive(l.height_m, "lidar.height_m")
            .within(l.azimuth_step_deg, 0.01, 10.0, "lidar.azimuth_step_deg")
            .require(
                l.elevation_deg
                    .iter()
                    .all(|e| e.is_finite() && *e < 0.0 && *e > -90.0),
                "lidar.elevation_deg",
                "elevations must lie in (-90, 0) deg (below the horizon)",
            )
            .require(
                (1..=1024).contains(&l.channels),
                "lidar.channels",
                "must be 1 to 1024",
            )
            .positive(l.max_range_m, "lidar.max_range_m")
            .non_negative(l.range_std_m, "lidar.range_std_m")
            .require(
                l.dropout_probability >= 0.0 && l.dropout_probability < 1.0,
                "lidar.dropout_probability",
                "must lie in [0, 1)",
            )
            .require(
                l.clutter_x_m[0] < l.clutter_x_m[1] && l.clutter_x_m.iter().all(|v| v.is_finite()),
                "lidar.clutter_x_m",
                "needs a finite [lo, hi] with lo < hi",
            )
            .require(
                l.clutter_y_m[0] < l.clutter_y_m[1] && l.clutter_y_m.iter().all(|v| v.is_finite()),
                "lidar.clutter_y_m",
                "needs a finite [lo, hi] with lo < hi",
            );
        let k = &s.clustering;
        c.positive(k.eps_m, "clustering.eps_m")
            .require(
                k.min_samples >= 1,
                "clustering.min_samples",
                "must be at least 1",
            )
            .positive(k.centroid_std_m, "clustering.centroid_std_m")
            .require(
                k.detection_probability > 0.0 && k.detection_probability < 1.0,
                "clustering.detection_probability",
                "must lie in (0, 1)",
            )
            .positive(k.clutter_density, "clustering.clutter_density");
        check_trackers(&mut c, &s.trackers, SensorKind::Position);
        s.scoring.check(&mut c);
        c.require(
            s.recording.every_scans >= 1,
            "recording.every_scans",
            "must be at least 1",
        );
        c.finish()?;
        Ok(s)
    }

    fn run(&self, ctx: &RunContext) -> anyhow::Result<Report> {
        self.run_once(ctx)
    }

    fn blueprint(&self) -> Option<Blueprint> {
        let views: Vec<_> = self
            .trackers
            .iter()
            .map(|t| {
                Spatial2DView::new(format!("{}: lidar returns by cluster, tracks", t.name))
                    .with_origin("/")
                    .with_contents([
                        "/world".to_string(),
                        "/world/lidar/**".to_string(),
                        "/world/clusters/**".to_string(),
                        "/world/truth/**".to_string(),
                        format!("/world/{}/**", t.name),
                    ])
                    .into()
            })
            .collect();
        let columns = views.len().clamp(1, 2) as u32;
        Some(super::layout(
            Horizontal::new([
                Grid::new(views).with_grid_columns(columns).into(),
                Vertical::new([
                    TextDocumentView::new("legend").with_origin("legend").into(),
                    TimeSeriesView::new("GOSPA (m)")
                        .with_origin("plots/gospa")
                        .into(),
                    TimeSeriesView::new("length error (m)")
                        .with_origin("plots/length_error")
                        .into(),
                    TimeSeriesView::new("width error (m)")
                        .with_origin("plots/width_error")
                        .into(),
                ])
                .with_row_shares([1.3, 1.0, 1.0, 1.0])
                .into(),
            ])
            .with_column_shares([3.0, 1.0]),
        ))
    }
}

/// One scan of the world: the boxes present, the point cloud, its clusters.
pub struct ObjectScan {
    /// The objects present.
    pub boxes: Vec<ObjectBox>,
    /// The lidar returns.
    pub cloud: PointCloud,
    /// DBSCAN label of each return (`None`: noise).
    pub labels: Vec<Option<usize>>,
    /// One detection per cluster: the centroid of its returns.
    pub centroids: Vec<Vector2<f64>>,
    /// The measured box of each cluster.
    pub extents: Vec<Extent>,
    /// Oriented cluster boxes (centre, extent), for drawing.
    pub cluster_boxes: Vec<(Vector2<f64>, Extent)>,
}

impl ExtendedScenario {
    fn specs(&self) -> Vec<TargetSpec> {
        self.world
            .objects
            .iter()
            .map(|o| TargetSpec {
                initial: Vector4::new(
                    o.position_m[0],
                    o.velocity_m_s[0],
                    o.position_m[1],
                    o.velocity_m_s[1],
                ),
                birth_s: o.birth_s,
                death_s: o.death_s.unwrap_or(f64::INFINITY),
                maneuvers: o
                    .turns
                    .iter()
                    .map(|m| Maneuver {
                        start_s: m.start_s,
                        duration_s: m.duration_s,
                        turn_rate: m.rate_deg_s.to_radians(),
                    })
                    .collect(),
            })
            .collect()
    }

    /// Simulates and clusters every scan; also returns the median ms per scan of DBSCAN and
    /// [`cluster_detections`].
    fn scans(&self, ctx: &RunContext, truth: &Truth) -> anyhow::Result<(Vec<ObjectScan>, f64)> {
        let lidar = self.lidar.lidar();
        let l = &self.lidar;
        let clutter = (
            l.clutter_points_per_scan,
            Vector2::new(l.clutter_x_m[0], l.clutter_y_m[0]),
            Vector2::new(l.clutter_x_m[1], l.clutter_y_m[1]),
        );
        let mut rng = ctx.rng(1);
        let mut dbscan = Dbscan::<2>::new(self.clustering.eps_m, self.clustering.min_samples)?;
        let draw = ctx.rec.is_enabled();
        let mut out = Vec::with_capacity(truth.scans.len());
        let mut points = Vec::new();
        let mut times_ms = Vec::with_capacity(truth.scans.len());
        for present in &truth.scans {
            let boxes: Vec<ObjectBox> = present
                .iter()
                .map(|p| ObjectBox {
                    id: p.id,
                    center: p.position(),
                    heading: p.state[3].atan2(p.state[1]),
                    size: self.world.objects[p.id as usize].size(),
                })
                .collect();
            let cloud = lidar.scan(&boxes, clutter, &mut rng);
            points.clear();
            points.extend(cloud.points.iter().map(|p| Vector2::new(p.x, p.y)));
            let start = std::time::Instant::now();
            let labels = dbscan.fit(&points)?.to_vec();
            let (mut centroids, mut extents) = (Vec::new(), Vec::new());
            cluster_detections(&dbscan, &points, &mut centroids, &mut extents);
            times_ms.push(start.elapsed().as_secs_f64() * 1e3);
            let cluster_boxes = if draw {
                dbscan
                    .oriented_boxes(&points)
                    .iter()
                    .map(|b| (b.center, Extent::from_oriented_box(b)))
                    .collect()
            } else {
                Vec::new()
            };
            out.push(ObjectScan {
                boxes,
                cloud,
                labels,
                centroids,
                extents,
                cluster_boxes,
            });
        }
        times_ms.sort_by(f64::total_cmp);
        let median = times_ms.get(times_ms.len() / 2).copied().unwrap_or(0.0);
        Ok((out, median))
    }

    fn run_once(&self, ctx: &RunContext) -> anyhow::Result<Report> {
        let rec = &ctx.rec;
        let dt = self.world.period_s;
        let n_scans = (self.world.duration_s / dt).round() as usize;
        let specs = self.specs();
        let truth = Truth::simulate(&specs, dt, n_scans, 0.0, &mut ctx.rng(0))?;
        let (scans, dbscan_ms) = self.scans(ctx, &truth)?;
        let classes: Vec<ObjectClass> = self.world.objects.iter().map(|o| o.class).collect();
        let lifetimes = truth.lifetimes(specs.len());
        let logging = rec.is_enabled();
        let every = self.recording.every_scans;
        let logged = |k: usize| logging && (k.is_multiple_of(every) || k == 1 || k == n_scans);
        if logging {
            super::tracking_extended_log::log_world(self, ctx, &truth, &scans, &logged)?;
        }
        let mut report = Report::default();
        // the raw clusters
        let mut raw = ExtentErrors::default();
        let (mut clusters, mut points) = (0usize, 0usize);
        for s in &scans {
            clusters += s.centroids.len();
            points += s.cloud.points.len();
            let owners = cluster_owners(&s.labels, &s.cloud.origin, s.centroids.len());
            for (c, owner) in owners.iter().enumerate() {
                let Some(b) = owner.and_then(|id| s.boxes.iter().find(|b| b.id == id)) else {
                    continue;
                };
                raw.add(classes[b.id as usize], b, &s.extents[c]);
            }
        }
        raw.finish(&mut report, "clustering");
        report.timing("clustering", "ms_per_scan_median", dbscan_ms);
        let per_scan = |v: usize| v as f64 / n_scans.max(1) as f64;
        report
            .metric("clustering", "clusters_per_scan", per_scan(clusters))
            .metric("clustering", "points_per_scan", per_scan(points))
            .metric("world", "objects", specs.len() as f64);
        // the trackers
        let l = &self.lidar;
        let area = (l.clutter_x_m[1] - l.clutter_x_m[0]) * (l.clutter_y_m[1] - l.clutter_y_m[0]);
        let facts = WorldFacts {
            sensor: PointSensor {
                kind: SensorKind::Position,
                position: Vector2::from(l.position_m),
                noise_std: [self.clustering.centroid_std_m; 2],
                detection_probability: self.clustering.detection_probability,
            },
            clutter_density: self.clustering.clutter_density.max(1e-12 / area.max(1.0)),
        };
        let settings = self.scoring.settings();
        let draw = DrawOptions {
            gates: self.recording.gates,
            trails: self.recording.trails,
            extents: true,
        };
        let bar = ctx.progress((n_scans * self.trackers.len()) as u64, "scans");
        let mut views: Vec<TrackView> = Vec::new();
        for (a, cfg) in self.trackers.iter().enumerate() {
            let name = &cfg.name;
            let mut tracker = cfg.build(&facts)?;
            let at_start: Vec<_> = specs
                .iter()
                .filter(|t| t.birth_s <= 0.0)
                .map(|t| t.initial)
                .collect();
            tracker.seed(&at_start)?;
            let mut scorer = Scorer::new(settings)?;
            let mut errors = ExtentErrors::default();
            let mut times_ms = Vec::with_capacity(n_scans);
            let mut problems = 0usize;
            for (i, s) in scans.iter().enumerate() {
                let k = i + 1;
                let start = std::time::Instant::now();
                let r = tracker.step(dt, &s.centroids, Some(&s.extents))?;
                times_ms.push(start.elapsed().as_secs_f64() * 1e3);
                problems += r.rejected.len() + r.filter_errors.len() + r.initiation_failures.len();
                tracker.views(&mut views);
                let score = scorer.update(k, &truth.scans[i], &views)?;
                // extents of the confirmed tracks matched to objects
                errors.begin_scan();
                let confirmed: Vec<&TrackView> = views.iter().filter(|v| v.confirmed).collect();
                let est: Vec<Vector2<f64>> = confirmed.iter().map(|v| v.position).collect();
                let obj: Vec<Vector2<f64>> = s.boxes.iter().map(|b| b.center).collect();
                if k > settings.burn_in_scans {
                    for (e, o) in greedy_match(&est, &obj, settings.match_threshold_m) {
                        if let Some(extent) = &confirmed[e].extent {
                            let b = &s.boxes[o];
                            errors.add(classes[b.id as usize], b, extent);
                        }
                    }
                }
                if logged(k) {
                    rec.set_time_sequence("step", k as i64);
                    rec.set_duration_secs("sim_time", k as f64 * dt);
                    tracker.log(rec, &format!("world/{name}"), viz::color(a), &draw)?;
                    viz::log_scalar(rec, &format!("plots/gospa/{name}"), score.gospa)?;
                    if let Some((le, we)) = errors.scan_mean() {
                        viz::log_scalar(rec, &format!("plots/length_error/{name}"), le)?;
                        viz::log_scalar(rec, &format!("plots/width_error/{name}"), we)?;
                    }
                }
                bar.inc(1);
            }
            scorer.finish(&mut report, name, &lifetimes, n_scans);
            errors.finish(&mut report, name);
            report.metric(name, "scan_problems", problems as f64);
            let mean = times_ms.iter().sum::<f64>() / times_ms.len().max(1) as f64;
            times_ms.sort_by(f64::total_cmp);
            let median = times_ms.get(times_ms.len() / 2).copied().unwrap_or(0.0);
            report.timing(name, "ms_per_scan_median", median).timing(
                name,
                "ms_per_scan_mean",
                mean,
            );
        }
        bar.finish_and_clear();
        Ok(report)
    }
}
