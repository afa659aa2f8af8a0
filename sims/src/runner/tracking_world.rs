//! The world of the `tracking` scenarios: `[world]` (targets, formation, time), `[sensor]`,
//! `[clutter]`, `[scoring]` and `[recording]`, with their checks (every error names its field).

use super::tracking_score::ScoreSettings;
use crate::scenario::Checks;
use crate::worlds::clutter::{Clutter, PointSensor, SensorKind};
use crate::worlds::targets::{Formation, Maneuver, TargetSpec, Truth};
use nalgebra::{Vector2, Vector4};
use serde::Deserialize;

/// `[world]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorldConfig {
    /// Scan period, s.
    pub period_s: f64,
    /// Length of the run, s (scans at `period_s, 2 period_s, ...`).
    pub duration_s: f64,
    /// Truth acceleration noise density, m^2/s^3 (default 0: exact turns and straight lines).
    #[serde(default)]
    pub process_noise: f64,
    /// Targets listed one by one.
    #[serde(default)]
    pub targets: Vec<TargetConfig>,
    /// A grid of targets.
    pub formation: Option<FormationConfig>,
}

/// `[[world.targets]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetConfig {
    /// Position at birth, m.
    pub position_m: [f64; 2],
    /// Velocity at birth, m/s.
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

/// A turn: `{ start_s, duration_s, rate_deg_s }` (positive turns left).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TurnConfig {
    /// Start, s.
    pub start_s: f64,
    /// Duration, s.
    pub duration_s: f64,
    /// Turn rate, deg/s.
    pub rate_deg_s: f64,
}

/// `[world.formation]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormationConfig {
    /// Cells along x and y.
    pub cells: [usize; 2],
    /// Cell spacing, m.
    pub spacing_m: f64,
    /// Corner of the first cell, m (default the origin).
    #[serde(default)]
    pub origin_m: [f64; 2],
    /// Target offsets within a cell, m.
    pub offsets_m: Vec<[f64; 2]>,
    /// Speed, m/s.
    pub speed_m_s: f64,
    /// Heading increment between cells, deg.
    pub heading_step_deg: f64,
}

/// `sensor.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SensorKindName {
    /// Cartesian position.
    Position,
    /// Range and bearing.
    RangeBearing,
}

/// `[sensor]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensorConfig {
    /// `position` or `range_bearing`.
    pub kind: SensorKindName,
    /// Probability of detecting a target in a scan.
    pub detection_probability: f64,
    /// Position noise standard deviation per axis, m (position sensor).
    pub position_std_m: Option<f64>,
    /// Range noise standard deviation, m (range-bearing).
    pub range_std_m: Option<f64>,
    /// Bearing noise standard deviation, deg (range-bearing).
    pub bearing_std_deg: Option<f64>,
    /// Sensor position, m (default the origin).
    #[serde(default)]
    pub position_m: [f64; 2],
}

/// `[clutter]`: Poisson false alarms uniform over a rectangle of the measurement space.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClutterConfig {
    /// Mean false alarms per scan (default 0).
    #[serde(default)]
    pub mean_per_scan: f64,
    /// x interval, m (position sensor; default: the truth's extent plus 20 m).
    pub x_m: Option<[f64; 2]>,
    /// y interval, m (position sensor; default as `x_m`).
    pub y_m: Option<[f64; 2]>,
    /// Range interval, m (range-bearing; default: the truth's ranges plus 10 %).
    pub range_m: Option<[f64; 2]>,
    /// Bearing interval, deg (range-bearing; default: the truth's bearings plus 2 deg).
    pub bearing_deg: Option<[f64; 2]>,
}

/// `[scoring]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoringConfig {
    /// GOSPA / OSPA cut-off, m (default 10).
    #[serde(default = "default_cutoff")]
    pub gospa_cutoff_m: f64,
    /// GOSPA / OSPA order (default 1).
    #[serde(default = "default_order")]
    pub gospa_order: f64,
    /// Distance within which a track may stand for a target, m (default 5).
    #[serde(default = "default_threshold")]
    pub match_threshold_m: f64,
    /// Scans left out of the averages (default 0).
    #[serde(default)]
    pub burn_in_scans: usize,
}

impl Default for ScoringConfig {
    fn default() -> Self {
        Self {
            gospa_cutoff_m: default_cutoff(),
            gospa_order: default_order(),
            match_threshold_m: default_threshold(),
            burn_in_scans: 0,
        }
    }
}

fn default_cutoff() -> f64 {
    10.0
}
fn default_order() -> f64 {
    1.0
}
fn default_threshold() -> f64 {
    5.0
}

/// `[recording]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordingConfig {
    /// Log every k-th scan (default 1).
    #[serde(default = "default_every")]
    pub every_scans: usize,
    /// Draw gates (default true).
    #[serde(default = "yes")]
    pub gates: bool,
    /// Draw trails (default true).
    #[serde(default = "yes")]
    pub trails: bool,
    /// Draw the detections (default true).
    #[serde(default = "yes")]
    pub detections: bool,
}

impl Default for RecordingConfig {
    fn default() -> Self {
        Self {
            every_scans: 1,
            gates: true,
            trails: true,
            detections: true,
        }
    }
}

fn default_every() -> usize {
    1
}
fn yes() -> bool {
    true
}

impl WorldConfig {
    /// Checks `[world]`.
    pub fn check(&self, c: &mut Checks<'_>) {
        let w = self;
        c.positive(w.period_s, "world.period_s")
            .positive(w.duration_s, "world.duration_s")
            .require(
                w.duration_s / w.period_s >= 2.0 && w.duration_s / w.period_s <= 1e5,
                "world.duration_s",
                "must span 2 to 100000 scans",
            )
            .non_negative(w.process_noise, "world.process_noise")
            .require(
                !w.targets.is_empty() || w.formation.is_some(),
                "world.targets",
                "needs targets or a formation",
            );
        for (i, t) in w.targets.iter().enumerate() {
            let f = |n: &str| format!("world.targets.{i}.{n}");
            for v in t.position_m.iter().chain(&t.velocity_m_s) {
                c.finite(*v, &f("position_m"));
            }
            check_life(
                c,
                &format!("world.targets.{i}"),
                t.birth_s,
                t.death_s,
                &t.turns,
            );
        }
        if let Some(fm) = &w.formation {
            c.require(
                fm.cells[0] * fm.cells[1] * fm.offsets_m.len() > 0,
                "world.formation.cells",
                "the formation is empty",
            )
            .positive(fm.spacing_m, "world.formation.spacing_m")
            .non_negative(fm.speed_m_s, "world.formation.speed_m_s")
            .finite(fm.heading_step_deg, "world.formation.heading_step_deg");
        }
    }

    /// Number of scans of the run.
    pub fn n_scans(&self) -> usize {
        (self.duration_s / self.period_s).round() as usize
    }

    /// The targets of the file (listed ones first, then the formation).
    pub fn target_specs(&self) -> Vec<TargetSpec> {
        let mut specs: Vec<TargetSpec> = self
            .targets
            .iter()
            .map(|t| TargetSpec {
                initial: Vector4::new(
                    t.position_m[0],
                    t.velocity_m_s[0],
                    t.position_m[1],
                    t.velocity_m_s[1],
                ),
                birth_s: t.birth_s,
                death_s: t.death_s.unwrap_or(f64::INFINITY),
                maneuvers: t
                    .turns
                    .iter()
                    .map(|m| Maneuver {
                        start_s: m.start_s,
                        duration_s: m.duration_s,
                        turn_rate: m.rate_deg_s.to_radians(),
                    })
                    .collect(),
            })
            .collect();
        if let Some(f) = &self.formation {
            specs.extend(
                Formation {
                    cells: f.cells,
                    spacing_m: f.spacing_m,
                    origin_m: Vector2::from(f.origin_m),
                    offsets_m: f.offsets_m.iter().map(|o| Vector2::from(*o)).collect(),
                    speed_m_s: f.speed_m_s,
                    heading_step_rad: f.heading_step_deg.to_radians(),
                }
                .targets(0.0),
            );
        }
        specs
    }
}

impl SensorConfig {
    /// Checks `[sensor]`.
    pub fn check(&self, c: &mut Checks<'_>) {
        let sn = self;
        c.require(
            sn.detection_probability > 0.0 && sn.detection_probability <= 1.0,
            "sensor.detection_probability",
            "must lie in (0, 1]",
        );
        match sn.kind {
            SensorKindName::Position => {
                c.require(
                    sn.position_std_m.is_some(),
                    "sensor.position_std_m",
                    "needed by a position sensor",
                )
                .positive(sn.position_std_m.unwrap_or(1.0), "sensor.position_std_m");
            }
            SensorKindName::RangeBearing => {
                c.require(
                    sn.range_std_m.is_some(),
                    "sensor.range_std_m",
                    "needed by a range-bearing sensor",
                )
                .positive(sn.range_std_m.unwrap_or(1.0), "sensor.range_std_m")
                .require(
                    sn.bearing_std_deg.is_some(),
                    "sensor.bearing_std_deg",
                    "needed by a range-bearing sensor",
                )
                .positive(sn.bearing_std_deg.unwrap_or(1.0), "sensor.bearing_std_deg");
            }
        }
    }

    /// The measurement type.
    pub fn kind(&self) -> SensorKind {
        match self.kind {
            SensorKindName::Position => SensorKind::Position,
            SensorKindName::RangeBearing => SensorKind::RangeBearing,
        }
    }

    /// The simulated sensor.
    pub fn sensor(&self) -> PointSensor {
        let sn = self;
        PointSensor {
            kind: self.kind(),
            position: Vector2::from(sn.position_m),
            noise_std: match sn.kind {
                SensorKindName::Position => [sn.position_std_m.unwrap_or(1.0); 2],
                SensorKindName::RangeBearing => [
                    sn.range_std_m.unwrap_or(1.0),
                    sn.bearing_std_deg.unwrap_or(1.0).to_radians(),
                ],
            },
            detection_probability: sn.detection_probability,
        }
    }
}

impl ClutterConfig {
    /// Checks `[clutter]` for a sensor of the given kind.
    pub fn check(&self, c: &mut Checks<'_>, kind: SensorKind) {
        let cl = self;
        c.non_negative(cl.mean_per_scan, "clutter.mean_per_scan");
        for (name, iv) in [
            ("x_m", cl.x_m),
            ("y_m", cl.y_m),
            ("range_m", cl.range_m),
            ("bearing_deg", cl.bearing_deg),
        ] {
            if let Some([a, b]) = iv {
                c.require(
                    a.is_finite() && b.is_finite() && a < b,
                    &format!("clutter.{name}"),
                    "must be [low, high] with low < high",
                );
            }
        }
        let (cart, polar) = (
            cl.x_m.is_some() || cl.y_m.is_some(),
            cl.range_m.is_some() || cl.bearing_deg.is_some(),
        );
        c.require(
            !(kind == SensorKind::Position && polar),
            "clutter.range_m",
            "a position sensor's clutter region is x_m / y_m",
        )
        .require(
            !(kind == SensorKind::RangeBearing && cart),
            "clutter.x_m",
            "a range-bearing sensor's clutter region is range_m / bearing_deg",
        );
    }

    /// The clutter model: its region defaults to the extent of the truth as the sensor sees it.
    pub fn clutter(&self, sensor: &PointSensor, truth: &Truth) -> Clutter {
        let cl = self;
        let (first, second) = match sensor.kind {
            SensorKind::Position => {
                let (lo, hi) = truth
                    .bounds()
                    .unwrap_or((Vector2::zeros(), Vector2::zeros()));
                (
                    cl.x_m.unwrap_or([lo.x - 20.0, hi.x + 20.0]),
                    cl.y_m.unwrap_or([lo.y - 20.0, hi.y + 20.0]),
                )
            }
            SensorKind::RangeBearing => {
                let (mut r, mut b) = ([f64::INFINITY, 0.0f64], [f64::INFINITY, f64::NEG_INFINITY]);
                for p in truth.scans.iter().flatten() {
                    let z = sensor.measure_exact(&p.position());
                    r = [r[0].min(z[0]), r[1].max(z[0])];
                    b = [b[0].min(z[1]), b[1].max(z[1])];
                }
                let pad = 2f64.to_radians();
                (
                    cl.range_m
                        .unwrap_or([(r[0] * 0.9).max(0.0), r[1] * 1.1 + 1.0]),
                    cl.bearing_deg
                        .map(|[a, b]| [a.to_radians(), b.to_radians()])
                        .unwrap_or([b[0] - pad, b[1] + pad]),
                )
            }
        };
        Clutter {
            mean_per_scan: cl.mean_per_scan,
            first,
            second,
        }
    }
}

impl ScoringConfig {
    /// Checks `[scoring]`.
    pub fn check(&self, c: &mut Checks<'_>) {
        let sc = self;
        c.positive(sc.gospa_cutoff_m, "scoring.gospa_cutoff_m")
            .require(
                sc.gospa_order.is_finite() && sc.gospa_order >= 1.0,
                "scoring.gospa_order",
                "must be >= 1",
            )
            .positive(sc.match_threshold_m, "scoring.match_threshold_m");
    }

    /// The scorer's settings.
    pub fn settings(&self) -> ScoreSettings {
        ScoreSettings {
            cutoff_m: self.gospa_cutoff_m,
            order: self.gospa_order,
            match_threshold_m: self.match_threshold_m,
            burn_in_scans: self.burn_in_scans,
        }
    }
}

/// Checks a mover's life and turns under `prefix` (`world.targets.3`, `world.objects.0`): birth
/// at or after 0, death (if any) after birth, turns starting at or after 0 with a positive
/// duration and a finite rate.
pub fn check_life(
    c: &mut Checks<'_>,
    prefix: &str,
    birth_s: f64,
    death_s: Option<f64>,
    turns: &[TurnConfig],
) {
    c.non_negative(birth_s, &format!("{prefix}.birth_s"));
    if let Some(d) = death_s {
        c.require(
            d.is_finite() && d > birth_s,
            &format!("{prefix}.death_s"),
            "must be after birth_s",
        );
    }
    for (j, turn) in turns.iter().enumerate() {
        let g = |n: &str| format!("{prefix}.turns.{j}.{n}");
        c.non_negative(turn.start_s, &g("start_s"))
            .positive(turn.duration_s, &g("duration_s"))
            .finite(turn.rate_deg_s, &g("rate_deg_s"));
    }
}
