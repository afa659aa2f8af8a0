//! `tracking`: point targets in clutter, seen by a position or range-bearing sensor, tracked by
//! several multi-object trackers whose roles are named in the file (see [`tracking_roles`]).
//! Every tracker gets the same detections; each is scored against the truth (GOSPA with its
//! parts, OSPA, MOTA, MOTP, IDF1, identity switches, track breaks, false tracks, confirmation and
//! deletion latencies: [`tracking_score`]) and timed (ms per scan, a timing, not a metric).
//!
//! The world: targets listed one by one (`[[world.targets]]`, with births, deaths and turns)
//! and/or a grid formation (`[world.formation]`, MATLAB's 900-target demo), nearly constant
//! velocity truth (`world.process_noise`), a sensor with detection probability, and Poisson
//! clutter uniform in the sensor's measurement space.
//!
//! Recording: the truth (targets labelled `T<id>`, their paths), the detections with clutter
//! marked apart, and for each tracker its confirmed tracks labelled `#<id>`, tentative tracks in
//! grey, gates as ellipses, trails coloured by track id (a swap shows as a change of colour), and
//! the GOSPA and track-count time series. `[recording]` thins it for large runs.
//!
//! [`tracking_roles`]: super::tracking_roles
//! [`tracking_score`]: super::tracking_score

use super::tracking_build::{check_trackers, WorldFacts};
use super::tracking_engine::{DrawOptions, TrackView};
use super::tracking_roles::TrackerConfig;
use super::tracking_score::Scorer;
use super::tracking_world::{
    ClutterConfig, RecordingConfig, ScoringConfig, SensorConfig, WorldConfig,
};
use super::{RunContext, ScenarioKind};
use crate::report::Report;
use crate::scenario::{Checks, Header, ScenarioError, Source};
use crate::worlds::clutter::{PointSensor, Scan, SensorKind};
use crate::worlds::targets::Truth;
use kestrel::viz;
use rerun::blueprint::{
    Blueprint, Grid, Horizontal, Spatial2DView, TextDocumentView, TimeSeriesView, Vertical,
};
use serde::Deserialize;

/// The scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackingScenario {
    /// Header.
    pub scenario: Header,
    /// Targets and time.
    pub world: WorldConfig,
    /// The sensor.
    pub sensor: SensorConfig,
    /// False alarms.
    #[serde(default)]
    pub clutter: ClutterConfig,
    /// The trackers compared.
    pub trackers: Vec<TrackerConfig>,
    /// Metric settings.
    #[serde(default)]
    pub scoring: ScoringConfig,
    /// What the recording holds.
    #[serde(default)]
    pub recording: RecordingConfig,
}

impl ScenarioKind for TrackingScenario {
    const KIND: &'static str = "tracking";

    fn load(source: &Source) -> Result<Self, ScenarioError> {
        let s: Self = super::tracking_roles::parse_naming_field(source)?;
        let mut c = Checks::new(source);
        s.world.check(&mut c);
        s.sensor.check(&mut c);
        s.clutter.check(&mut c, s.sensor.kind());
        check_trackers(&mut c, &s.trackers, s.sensor.kind());
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
                Spatial2DView::new(t.name.clone())
                    .with_origin("/")
                    .with_contents([
                        "/world".to_string(),
                        "/world/truth/**".to_string(),
                        "/world/measurements/**".to_string(),
                        "/world/sensor".to_string(),
                        format!("/world/{}/**", t.name),
                    ])
                    .into()
            })
            .collect();
        // a scene much wider than tall (a corridor) stacks the tracker views
        let wide = match (self.clutter.x_m, self.clutter.y_m) {
            (Some(x), Some(y)) => (x[1] - x[0]) > 3.0 * (y[1] - y[0]),
            _ => false,
        };
        let columns = if wide {
            1
        } else if views.len() > 2 {
            2
        } else {
            views.len().max(1) as u32
        };
        Some(super::layout(
            Horizontal::new([
                Grid::new(views).with_grid_columns(columns).into(),
                Vertical::new([
                    TextDocumentView::new("legend").with_origin("legend").into(),
                    TimeSeriesView::new("GOSPA (m)")
                        .with_origin("plots/gospa")
                        .into(),
                    TimeSeriesView::new("confirmed tracks")
                        .with_origin("plots/confirmed_tracks")
                        .into(),
                ])
                .with_row_shares([1.0, 2.0, 2.0])
                .into(),
            ])
            .with_column_shares([2.0, 1.0]),
        ))
    }
}

impl TrackingScenario {
    fn run_once(&self, ctx: &RunContext) -> anyhow::Result<Report> {
        let rec = &ctx.rec;
        let dt = self.world.period_s;
        let n_scans = self.world.n_scans();
        let specs = self.world.target_specs();
        let truth = Truth::simulate(
            &specs,
            dt,
            n_scans,
            self.world.process_noise,
            &mut ctx.rng(0),
        )?;
        let sensor = self.sensor.sensor();
        let clutter = self.clutter.clutter(&sensor, &truth);
        let mut sensor_rng = ctx.rng(1);
        let scans: Vec<Scan> = truth
            .scans
            .iter()
            .map(|t| sensor.observe(t, &clutter, &mut sensor_rng))
            .collect();
        let lifetimes = truth.lifetimes(specs.len());
        let facts = WorldFacts {
            sensor,
            clutter_density: clutter.density().max(1e-12),
        };
        let logging = rec.is_enabled();
        let every = self.recording.every_scans;
        let logged = |k: usize| logging && (k.is_multiple_of(every) || k == 1 || k == n_scans);
        if logging {
            self.log_world(ctx, &truth, &scans, &sensor, &logged)?;
        }
        let mut report = Report::default();
        let detections: f64 = scans.iter().map(|s| s.detections.len() as f64).sum();
        let false_alarms: f64 = scans
            .iter()
            .map(|s| s.origin.iter().filter(|o| o.is_none()).count() as f64)
            .sum();
        report
            .metric("world", "targets", specs.len() as f64)
            .metric("world", "detections_per_scan", detections / n_scans as f64)
            .metric(
                "world",
                "false_alarms_per_scan",
                false_alarms / n_scans as f64,
            )
            .metric("world", "clutter_density", clutter.density());
        let settings = self.scoring.settings();
        let draw = DrawOptions {
            gates: self.recording.gates,
            trails: self.recording.trails,
            extents: false,
        };
        let bar = ctx.progress((n_scans * self.trackers.len()) as u64, "scans");
        let mut views: Vec<TrackView> = Vec::new();
        for (a, cfg) in self.trackers.iter().enumerate() {
            let name = &cfg.name;
            let mut tracker = cfg.build(&facts)?;
            // seeded trackers start on the targets present at time 0
            let at_start: Vec<_> = specs
                .iter()
                .filter(|t| t.birth_s <= 0.0)
                .map(|t| t.initial)
                .collect();
            tracker.seed(&at_start)?;
            let mut scorer = Scorer::new(settings)?;
            let mut times_ms = Vec::with_capacity(n_scans);
            let (mut largest_cluster, mut approximated, mut rejected) = (0usize, 0usize, 0usize);
            for (i, scan) in scans.iter().enumerate() {
                let k = i + 1;
                let start = std::time::Instant::now();
                let r = tracker.step(dt, &scan.detections, None)?;
                times_ms.push(start.elapsed().as_secs_f64() * 1e3);
                largest_cluster = largest_cluster.max(r.largest_cluster);
                approximated += r.approximated_clusters;
                rejected += r.rejected.len() + r.filter_errors.len() + r.initiation_failures.len();
                tracker.views(&mut views);
                let score = scorer.update(k, &truth.scans[i], &views)?;
                if logged(k) {
                    rec.set_time_sequence("step", k as i64);
                    rec.set_duration_secs("sim_time", k as f64 * dt);
                    tracker.log(rec, &format!("world/{name}"), viz::color(a), &draw)?;
                    viz::log_scalar(rec, &format!("plots/gospa/{name}"), score.gospa)?;
                    viz::log_scalar(
                        rec,
                        &format!("plots/confirmed_tracks/{name}"),
                        score.confirmed as f64,
                    )?;
                }
                bar.inc(1);
            }
            scorer.finish(&mut report, name, &lifetimes, n_scans);
            report
                .metric(name, "largest_cluster", largest_cluster as f64)
                .metric(name, "approximated_clusters", approximated as f64)
                .metric(name, "scan_problems", rejected as f64);
            let mean = times_ms.iter().sum::<f64>() / times_ms.len().max(1) as f64;
            times_ms.sort_by(f64::total_cmp);
            let median = times_ms.get(times_ms.len() / 2).copied().unwrap_or(0.0);
            let max = times_ms.last().copied().unwrap_or(0.0);
            report
                .timing(name, "ms_per_scan_median", median)
                .timing(name, "ms_per_scan_mean", mean)
                .timing(name, "ms_per_scan_max", max);
        }
        bar.finish_and_clear();
        Ok(report)
    }

    /// Static layers, the truth and the detections of every logged scan.
    fn log_world(
        &self,
        ctx: &RunContext,
        truth: &Truth,
        scans: &[Scan],
        sensor: &PointSensor,
        logged: &dyn Fn(usize) -> bool,
    ) -> anyhow::Result<()> {
        let rec = &ctx.rec;
        viz::y_up(rec, "world")?;
        let n = truth
            .scans
            .iter()
            .flatten()
            .map(|p| p.id + 1)
            .max()
            .unwrap_or(0) as usize;
        let mut paths: Vec<Vec<[f32; 2]>> = vec![Vec::new(); n];
        for p in truth.scans.iter().flatten() {
            paths[p.id as usize].push([p.position().x as f32, p.position().y as f32]);
        }
        // each target's label at its first position (labels on the moving targets would hide
        // the tracks' ids)
        let (starts, names): (Vec<[f32; 2]>, Vec<String>) = paths
            .iter()
            .enumerate()
            .filter_map(|(id, p)| Some((*p.first()?, format!("T{id}"))))
            .unzip();
        if starts.len() <= 50 {
            rec.log_static(
                "world/truth/starts",
                &rerun::Points2D::new(starts)
                    .with_labels(names)
                    .with_colors([[255, 255, 255, 120]])
                    .with_radii([rerun::Radius::new_ui_points(2.0)]),
            )?;
        }
        paths.retain(|p| p.len() > 1);
        rec.log_static(
            "world/truth/paths",
            &rerun::LineStrips2D::new(paths).with_colors([[255, 255, 255, 70]]),
        )?;
        rec.log_static(
            "legend",
            &rerun::TextDocument::from_markdown(legend(&self.trackers, sensor, &self.recording)),
        )?;
        if sensor.kind == SensorKind::RangeBearing {
            rec.log_static(
                "world/sensor",
                &rerun::Points2D::new([[sensor.position.x as f32, sensor.position.y as f32]])
                    .with_labels(["radar"])
                    .with_colors([[255, 80, 80, 255]])
                    .with_radii([rerun::Radius::new_ui_points(6.0)]),
            )?;
        }
        for (a, t) in self.trackers.iter().enumerate() {
            viz::log_series_style(
                rec,
                &format!("plots/gospa/{}", t.name),
                &t.name,
                viz::color(a),
            )?;
            viz::log_series_style(
                rec,
                &format!("plots/confirmed_tracks/{}", t.name),
                &t.name,
                viz::color(a),
            )?;
        }
        viz::log_series_style(
            rec,
            "plots/confirmed_tracks/truth",
            "targets present",
            viz::TRUTH_COLOR,
        )?;
        for (i, (present, scan)) in truth.scans.iter().zip(scans).enumerate() {
            let k = i + 1;
            if !logged(k) {
                continue;
            }
            rec.set_time_sequence("step", k as i64);
            rec.set_duration_secs("sim_time", k as f64 * truth.dt);
            let pts: Vec<[f32; 2]> = present
                .iter()
                .map(|p| [p.position().x as f32, p.position().y as f32])
                .collect();
            rec.log(
                "world/truth/targets",
                &rerun::Points2D::new(pts)
                    .with_colors([viz::TRUTH_COLOR])
                    .with_radii([rerun::Radius::new_ui_points(3.0)]),
            )?;
            viz::log_scalar(rec, "plots/confirmed_tracks/truth", present.len() as f64)?;
            if self.recording.detections {
                let (mut real, mut false_alarms) = (Vec::new(), Vec::new());
                for (z, o) in scan.detections.iter().zip(&scan.origin) {
                    let p = sensor.to_cartesian(z);
                    let p = [p.x as f32, p.y as f32];
                    if o.is_some() {
                        real.push(p)
                    } else {
                        false_alarms.push(p)
                    }
                }
                rec.log(
                    "world/measurements/targets",
                    &rerun::Points2D::new(real)
                        .with_colors([viz::MEASUREMENT_COLOR])
                        .with_radii([rerun::Radius::new_ui_points(2.5)]),
                )?;
                rec.log(
                    "world/measurements/clutter",
                    &rerun::Points2D::new(false_alarms)
                        .with_colors([[230, 90, 90, 170]])
                        .with_radii([rerun::Radius::new_ui_points(2.0)]),
                )?;
            }
        }
        Ok(())
    }
}

/// The colour legend of the recording (markdown).
fn legend(trackers: &[TrackerConfig], sensor: &PointSensor, recording: &RecordingConfig) -> String {
    let names: Vec<String> = trackers
        .iter()
        .enumerate()
        .map(|(a, t)| format!("`{}` {}", t.name, color_name(a)))
        .collect();
    let sensor = match sensor.kind {
        SensorKind::Position => "position sensor",
        SensorKind::RangeBearing => "range-bearing radar (red dot)",
    };
    let mut marks = vec!["**big dots `#<id>`** confirmed tracks, small grey dots tentative tracks"];
    if recording.gates {
        marks.push("**ellipses** the gates of the last scan");
    }
    if recording.trails {
        marks.push(
            "**trails** the last 25 positions coloured by track id (a swap shows as a colour change)",
        );
    }
    let detections = if recording.detections {
        format!("**grey dots**: detections of targets ({sensor}); **red dots**: false alarms. ")
    } else {
        String::new()
    };
    let thinned = if recording.every_scans > 1 {
        format!(" Every {}th scan is recorded.", recording.every_scans)
    } else {
        String::new()
    };
    format!(
        "**white**: true targets, their paths, `T<id>` at each start. {detections}\
         Per tracker (one view each, in its colour: {}): {}. +y up (x east, y north), metres.{thinned}",
        names.join(", "),
        marks.join(", ")
    )
}

/// The name of palette colour `i` of [`viz::color`].
pub fn color_name(i: usize) -> &'static str {
    [
        "sky blue",
        "orange",
        "green",
        "purple",
        "yellow",
        "vermillion",
        "blue",
        "light grey",
    ][i % 8]
}
