//! `[[trackers]]`: multi-object trackers assembled from roles named in a scenario file.
//!
//! ```toml
//! [[trackers]]
//! name = "jpda"                 # names the tracker in reports and recordings
//! associator = "jpda"           # gnn | jpda
//! filter = "kf"                 # kf | ekf | ukf | imm
//! logic = "history"             # history | score | existence        (default history)
//! initiator = "single_point"    # single_point | two_point | none    (default single_point)
//! process_noise = 0.05          # CV acceleration density, m^2/s^3   (default 1)
//! history = { confirm = [2, 3], delete = [6, 6] }
//! ```
//!
//! Role parameters go in inline tables named after the role (`gnn`, `jpda`, `history`, `score`,
//! `existence`, `imm`, `ukf`); a table for a role the tracker does not use is an error, as is an
//! unknown role name (serde lists the known ones). The detection probability and the clutter
//! density default to the simulated sensor's (a tracker tuned to the truth); set
//! `detection_probability` / `clutter_density` to mistune it on purpose.
//!
//! Filters: `kf` (constant velocity, linear Kalman; position sensors only), `ekf` and `ukf`
//! (constant velocity with the sensor's model, so range-bearing too) over `[x, vx, y, vy]`, and
//! `imm` over `[x, vx, y, vy, omega]`: a constant-velocity mode (4 states, embedded) and a
//! coordinated-turn EKF mode (5 states).

use serde::Deserialize;

/// `associator`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssociatorName {
    /// Global nearest neighbour.
    Gnn,
    /// Joint probabilistic data association (JIPDA with `logic = "existence"`).
    Jpda,
}

/// `filter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FilterName {
    /// Linear Kalman filter, constant velocity.
    Kf,
    /// Extended Kalman filter, constant velocity.
    Ekf,
    /// Unscented Kalman filter, constant velocity.
    Ukf,
    /// IMM of constant velocity and coordinated turn.
    Imm,
}

/// `logic`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogicName {
    /// M-of-N history.
    #[default]
    History,
    /// Log-likelihood-ratio score.
    Score,
    /// Existence probability (IPDA / JIPDA).
    Existence,
}

/// `initiator`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InitiatorName {
    /// One detection makes a track (velocity prior `initial_speed_std_m_s`).
    #[default]
    SinglePoint,
    /// Two detections in consecutive scans make a track (`max_speed_m_s`).
    TwoPoint,
    /// No initiation (for trackers seeded with `seed_tracks`).
    None,
}

/// `gnn.cost`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GnnCostName {
    /// `d` (Stone Soup's Mahalanobis measure).
    #[default]
    Mahalanobis,
    /// `d^2`.
    SquaredMahalanobis,
    /// `d^2 + ln det S`.
    NormalizedDistance,
    /// `-ln N(z; zhat, S)`.
    NegativeLogLikelihood,
}

/// `gnn = { ... }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GnnConfig {
    /// Pair cost (default `mahalanobis`).
    #[serde(default)]
    pub cost: GnnCostName,
    /// Cost of leaving a track unassigned, in the units of the cost (default 4).
    #[serde(default = "default_missed_cost")]
    pub missed_cost: f64,
}

impl Default for GnnConfig {
    fn default() -> Self {
        Self {
            cost: GnnCostName::default(),
            missed_cost: default_missed_cost(),
        }
    }
}

/// `jpda = { ... }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JpdaConfig {
    /// Most probable joint events kept for clusters too large to solve exactly (default 100).
    #[serde(default = "default_k_best")]
    pub k_best: usize,
    /// Total association probability at or below which a detection may start a track
    /// (default 0: only detections outside every gate).
    #[serde(default)]
    pub initiation_threshold: f64,
}

impl Default for JpdaConfig {
    fn default() -> Self {
        Self {
            k_best: default_k_best(),
            initiation_threshold: 0.0,
        }
    }
}

/// `history = { ... }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryConfig {
    /// Confirm after `M` hits in `N` scans (default `[2, 3]`).
    #[serde(default = "default_confirm")]
    pub confirm: [u32; 2],
    /// Delete a confirmed track after `M` misses in `N` scans (default `[6, 6]`).
    #[serde(default = "default_delete")]
    pub delete: [u32; 2],
}

impl Default for HistoryConfig {
    fn default() -> Self {
        Self {
            confirm: default_confirm(),
            delete: default_delete(),
        }
    }
}

/// `score = { ... }` (false alarms per unit volume: the clutter density).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreConfig {
    /// New-target density per unit measurement volume (default 1e-5).
    #[serde(default = "default_new_target_density")]
    pub new_target_density: f64,
    /// Confirmation threshold (default 20).
    #[serde(default = "default_score_confirm")]
    pub confirm: f64,
    /// Deletion threshold below the maximum score (default -5).
    #[serde(default = "default_score_delete")]
    pub delete: f64,
}

impl Default for ScoreConfig {
    fn default() -> Self {
        Self {
            new_target_density: default_new_target_density(),
            confirm: default_score_confirm(),
            delete: default_score_delete(),
        }
    }
}

/// `existence = { ... }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExistenceConfig {
    /// Survival probability per scan (default 0.98).
    #[serde(default = "default_survival")]
    pub survival: f64,
    /// Existence probability of a new track (default 0.5).
    #[serde(default = "default_initial_existence")]
    pub initial: f64,
    /// Confirmation threshold (default 0.9).
    #[serde(default = "default_existence_confirm")]
    pub confirm: f64,
    /// Deletion threshold (default 0.1).
    #[serde(default = "default_existence_delete")]
    pub delete: f64,
}

impl Default for ExistenceConfig {
    fn default() -> Self {
        Self {
            survival: default_survival(),
            initial: default_initial_existence(),
            confirm: default_existence_confirm(),
            delete: default_existence_delete(),
        }
    }
}

/// `imm = { ... }`: the coordinated-turn mode and the mode switching (the CV mode uses the
/// tracker's `process_noise`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImmConfig {
    /// CT mode acceleration density, m^2/s^3 (default: the tracker's `process_noise`).
    pub ct_process_noise: Option<f64>,
    /// CT mode turn-rate density, rad^2/s^3 (default 1e-4).
    #[serde(default = "default_turn_rate_noise")]
    pub ct_turn_rate_noise: f64,
    /// Probability per scan of switching mode (default 0.05): `[[1-p, p], [p, 1-p]]`.
    #[serde(default = "default_switch")]
    pub switch_probability: f64,
    /// Prior turn-rate standard deviation of a new track, deg/s (default 5).
    #[serde(default = "default_turn_rate_std")]
    pub turn_rate_std_deg_s: f64,
}

impl Default for ImmConfig {
    fn default() -> Self {
        Self {
            ct_process_noise: None,
            ct_turn_rate_noise: default_turn_rate_noise(),
            switch_probability: default_switch(),
            turn_rate_std_deg_s: default_turn_rate_std(),
        }
    }
}

/// `ukf = { ... }`: Merwe scaled sigma points.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UkfConfig {
    /// Spread (default 0.5).
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    /// Prior knowledge of the distribution (default 2, Gaussian).
    #[serde(default = "default_beta")]
    pub beta: f64,
    /// Secondary scaling (default 0).
    #[serde(default)]
    pub kappa: f64,
}

impl Default for UkfConfig {
    fn default() -> Self {
        Self {
            alpha: default_alpha(),
            beta: default_beta(),
            kappa: 0.0,
        }
    }
}

/// One `[[trackers]]` entry. See the [module docs](self).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackerConfig {
    /// Name in reports and recordings (lower case, no spaces).
    pub name: String,
    /// Association role.
    pub associator: AssociatorName,
    /// Per-track filter.
    pub filter: FilterName,
    /// Confirmation and deletion.
    #[serde(default)]
    pub logic: LogicName,
    /// Initiation.
    #[serde(default)]
    pub initiator: InitiatorName,
    /// Gate probability `P_G` of the chi-square gate (default 0.999).
    #[serde(default = "default_gate_probability")]
    pub gate_probability: f64,
    /// Constant-velocity acceleration density, m^2/s^3 (default 1).
    #[serde(default = "default_process_noise")]
    pub process_noise: f64,
    /// Prior speed standard deviation per axis of a single-point track, m/s (default 10).
    #[serde(default = "default_initial_speed_std")]
    pub initial_speed_std_m_s: f64,
    /// Start with one confirmed track per target present at time 0, at its true state with
    /// prior standard deviations `seed_position_std_m` and `initial_speed_std_m_s` (the setting
    /// of Stone Soup's tutorials; default false).
    #[serde(default)]
    pub seed_tracks: bool,
    /// Prior position standard deviation per axis of a seeded track, m (default 1).
    #[serde(default = "default_seed_position_std")]
    pub seed_position_std_m: f64,
    /// Largest speed a two-point track may start with, m/s (default 50).
    #[serde(default = "default_max_speed")]
    pub max_speed_m_s: f64,
    /// `P_D` assumed by JPDA and the score and existence logics (default: the sensor's).
    pub detection_probability: Option<f64>,
    /// Clutter density assumed (default: the simulated one).
    pub clutter_density: Option<f64>,
    /// Extent smoothing gain for extended objects (default 0.3).
    #[serde(default = "default_extent_gain")]
    pub extent_smoothing: f64,
    /// GNN parameters.
    pub gnn: Option<GnnConfig>,
    /// JPDA parameters.
    pub jpda: Option<JpdaConfig>,
    /// History-logic parameters.
    pub history: Option<HistoryConfig>,
    /// Score-logic parameters.
    pub score: Option<ScoreConfig>,
    /// Existence-logic parameters.
    pub existence: Option<ExistenceConfig>,
    /// IMM parameters.
    pub imm: Option<ImmConfig>,
    /// UKF parameters.
    pub ukf: Option<UkfConfig>,
}

fn default_missed_cost() -> f64 {
    4.0
}
fn default_k_best() -> usize {
    100
}
fn default_confirm() -> [u32; 2] {
    [2, 3]
}
fn default_delete() -> [u32; 2] {
    [6, 6]
}
fn default_new_target_density() -> f64 {
    1e-5
}
fn default_score_confirm() -> f64 {
    20.0
}
fn default_score_delete() -> f64 {
    -5.0
}
fn default_survival() -> f64 {
    0.98
}
fn default_initial_existence() -> f64 {
    0.5
}
fn default_existence_confirm() -> f64 {
    0.9
}
fn default_existence_delete() -> f64 {
    0.1
}
fn default_turn_rate_noise() -> f64 {
    1e-4
}
fn default_switch() -> f64 {
    0.05
}
fn default_turn_rate_std() -> f64 {
    5.0
}
fn default_alpha() -> f64 {
    0.5
}
fn default_beta() -> f64 {
    2.0
}
fn default_gate_probability() -> f64 {
    0.999
}
fn default_process_noise() -> f64 {
    1.0
}
fn default_initial_speed_std() -> f64 {
    10.0
}
fn default_max_speed() -> f64 {
    50.0
}
fn default_seed_position_std() -> f64 {
    1.0
}
fn default_extent_gain() -> f64 {
    0.3
}

/// Parses a scenario like [`Source::parse`](crate::scenario::Source::parse), and names the
/// field of a value the parser rejects (an unknown role name, say): the parser gives the line
/// and column and "unknown variant ..."; this adds the dotted key defined on that line, e.g.
/// "field `trackers.1.associator`: unknown variant `jpdaa`, expected `gnn` or `jpda`".
pub fn parse_naming_field<T: serde::de::DeserializeOwned>(
    source: &crate::scenario::Source,
) -> Result<T, crate::scenario::ScenarioError> {
    use crate::scenario::ScenarioError;
    source.parse().map_err(|e| match e {
        ScenarioError::Parse {
            path,
            line,
            column,
            message,
        } => {
            let message = match key_on_line(&source.text, line) {
                Some(key) if !message.contains(&format!("`{key}`")) => {
                    format!("field `{key}`: {message}")
                }
                _ => message,
            };
            ScenarioError::Parse {
                path,
                line,
                column,
                message,
            }
        }
        other => other,
    })
}

/// The dotted key (`table.key`, `array.<index>.key`) defined on 1-based `line` of TOML text, if
/// the line is a `key = value` line (a line scanner like
/// [`locate_key`](crate::scenario::locate_key): `[table]`, `[[array]]` and `key = value`).
pub fn key_on_line(text: &str, line: usize) -> Option<String> {
    let mut current: Vec<String> = Vec::new();
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for (i, raw) in text.lines().enumerate() {
        let l = raw.trim();
        if l.starts_with("[[") {
            let name = l
                .trim_start_matches("[[")
                .split("]]")
                .next()?
                .trim()
                .to_string();
            let n = counts.entry(name.clone()).or_insert(0);
            current = name.split('.').map(str::to_string).collect();
            current.push(n.to_string());
            *n += 1;
        } else if l.starts_with('[') {
            let name = l.trim_start_matches('[').split(']').next()?.trim();
            current = name.split('.').map(|s| s.trim().to_string()).collect();
        } else if i + 1 == line {
            let (k, _) = l.split_once('=')?;
            let k = k.trim().trim_matches('"');
            if k.is_empty() || k.starts_with('#') {
                return None;
            }
            let mut path = current.clone();
            path.extend(k.split('.').map(|s| s.trim().to_string()));
            return Some(path.join("."));
        }
        if i + 1 >= line {
            return None;
        }
    }
    None
}
