//! Track confirmation and deletion: M-of-N history logic, sequential log-likelihood-ratio score
//! logic and existence-probability (IPDA / JIPDA) logic.
//!
//! A track is born **tentative** from an unassociated detection; the logic decides, scan by scan,
//! when it becomes **confirmed** and when it is **deleted**. Each logic is a small value holding
//! its parameters; the per-track memory is its [`TrackLogic::State`]. The tracker feeds it one
//! [`ScanEvidence`] per scan:
//!
//! - hard association (GNN): `association_probability` is 1 (a detection was assigned, its
//!   `ln N(z; zhat, S)` is the single entry of `log_likelihoods`) or 0 (missed, no entry);
//! - soft association (JPDA): `association_probability = 1 - beta_0`, the probability that one of
//!   the gated detections is the track's, and `log_likelihoods` holds `ln N(z_j; zhat, S)` of every
//!   gated detection; a JIPDA associator also fills `existence`.
//!
//! | logic | confirm | delete |
//! |---|---|---|
//! | [`HistoryLogic`] (default 2 of 3, 6 of 6) | `M_c` hits in the last `N_c` scans | confirmed: `M_d` misses in the last `N_d`; tentative: more than `N_c - M_c` misses in the last `N_c` (it can no longer be confirmed in that window) |
//! | [`ScoreLogic`] (MATLAB `trackScoreLogic`) | score `>= 20` | `score - max score < -5` |
//! | [`ExistenceLogic`] (IPDA / JIPDA) | existence `>= 0.9` | existence `< 0.1` |
//!
//! [`AnyTrackLogic`] picks one of the three at run time (for scenario files).

use super::TrackingError;

/// Where a track stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TrackStatus {
    /// Not yet enough evidence that the track is a real object (it may be clutter).
    Tentative,
    /// A confirmed object.
    Confirmed,
    /// Deleted this scan (reported once, then the track is dropped).
    Deleted,
}

impl TrackStatus {
    /// The status name used in reports: `"tentative"`, `"confirmed"`, `"deleted"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Tentative => "tentative",
            Self::Confirmed => "confirmed",
            Self::Deleted => "deleted",
        }
    }
}

/// What one scan says about one track. See the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScanEvidence<'a> {
    /// Probability that the track was detected this scan: 1 or 0 for hard association,
    /// `1 - beta_0` for JPDA.
    pub association_probability: f64,
    /// The part of `association_probability` carried by detections of which this track is the
    /// most probable origin among all tracks (equal to `association_probability` for hard
    /// association). [`HistoryLogic`] counts soft hits on it, so that a tentative track sharing a
    /// detection with a better-placed track does not count that detection as its own.
    pub dominant_probability: f64,
    /// `ln N(z; zhat, S)` of the assigned detection (hard) or of every gated detection (soft).
    pub log_likelihoods: &'a [f64],
    /// Whether the association was soft (JPDA).
    pub soft: bool,
    /// Posterior existence probability computed by a JIPDA associator, if any.
    pub existence: Option<f64>,
}

impl<'a> ScanEvidence<'a> {
    /// Evidence of a missed scan under hard association.
    pub const MISSED: ScanEvidence<'static> = ScanEvidence {
        association_probability: 0.0,
        dominant_probability: 0.0,
        log_likelihoods: &[],
        soft: false,
        existence: None,
    };

    /// Evidence of a hard assignment of a detection with `ln N(z; zhat, S)` given (one entry).
    pub fn hit(log_likelihood: &'a [f64]) -> Self {
        ScanEvidence {
            association_probability: 1.0,
            dominant_probability: 1.0,
            log_likelihoods: log_likelihood,
            soft: false,
            existence: None,
        }
    }

    /// Evidence of a soft (JPDA) association.
    pub fn soft(
        association_probability: f64,
        dominant_probability: f64,
        log_likelihoods: &'a [f64],
        existence: Option<f64>,
    ) -> Self {
        ScanEvidence {
            association_probability,
            dominant_probability,
            log_likelihoods,
            soft: true,
            existence,
        }
    }
}

/// A confirmation / deletion rule. Implementations are small parameter values; the per-track
/// memory is [`TrackLogic::State`].
pub trait TrackLogic {
    /// Per-track memory (history bits, score, existence probability).
    type State: Clone + std::fmt::Debug + PartialEq;

    /// The memory of a track just initiated from one detection (a hit) and its first status
    /// (tentative, or confirmed at once if the rule allows it).
    fn initiate(&self) -> (Self::State, TrackStatus);

    /// Called once per scan before association (existence decay for [`ExistenceLogic`]).
    fn predict(&self, _state: &mut Self::State) {}

    /// The probability that the track exists, used by JIPDA to weigh joint events (1 for logics
    /// that do not model existence, which makes JIPDA plain JPDA).
    fn existence(&self, _state: &Self::State) -> f64 {
        1.0
    }

    /// Records one scan and returns the new status. A confirmed track never goes back to
    /// tentative; `Deleted` is final.
    fn update(
        &self,
        state: &mut Self::State,
        status: TrackStatus,
        evidence: &ScanEvidence<'_>,
    ) -> TrackStatus;

    /// A number that summarises the state for display: hits in the confirmation window
    /// (history), the score (score logic), the existence probability (existence logic).
    fn quality(&self, state: &Self::State) -> f64;
}

fn invalid(name: &'static str, reason: String) -> TrackingError {
    TrackingError::InvalidParameter { name, reason }
}

fn check_probability(name: &'static str, p: f64, open_top: bool) -> Result<f64, TrackingError> {
    let ok = p > 0.0 && (p < 1.0 || (!open_top && p == 1.0));
    if ok {
        Ok(p)
    } else {
        let range = if open_top { "(0, 1)" } else { "(0, 1]" };
        Err(invalid(name, format!("must be in {range}, got {p}")))
    }
}

/// M-of-N history logic (MATLAB `trackHistoryLogic`; Blackman and Popoli 1999, sec. 3.2).
///
/// The state is the hit/miss history of the last scans (most recent first, at most 64). The
/// initiating detection counts as the first hit. With confirmation `(M_c, N_c)` and deletion
/// `(M_d, N_d)`:
///
/// - a tentative track is confirmed when its last `N_c` scans hold at least `M_c` hits;
/// - a tentative track is deleted as soon as its last `N_c` scans (fewer for a young track) hold
///   more than `N_c - M_c` misses: with the default 2 of 3, a track born on a false alarm and
///   missed twice is gone after its third scan;
/// - a confirmed track is deleted when its last `N_d` scans hold at least `M_d` misses.
///
/// Under soft association a scan counts as a hit when the association probability carried by
/// detections of which the track is the most probable origin
/// ([`ScanEvidence::dominant_probability`]) is at least `hit_threshold` (default 0.2, as
/// MATLAB's `trackerJPDA` `HitMissThreshold`). Without that restriction, tentative tracks born
/// next to a confirmed one would collect hits from its detections and be confirmed as
/// duplicates of it.
///
/// ```
/// use kestrel::tracking::{HistoryLogic, ScanEvidence, TrackLogic, TrackStatus};
/// let logic = HistoryLogic::default(); // confirm 2 of 3, delete after 6 misses of 6
/// let hit = ScanEvidence::hit(&[-2.0]);
/// let (mut h, status) = logic.initiate();
/// assert_eq!(status, TrackStatus::Tentative);
/// assert_eq!(logic.update(&mut h, status, &ScanEvidence::MISSED), TrackStatus::Tentative);
/// assert_eq!(logic.update(&mut h, status, &hit), TrackStatus::Confirmed); // H M H: 2 of 3
/// let mut s = TrackStatus::Confirmed;
/// for _ in 0..5 { s = logic.update(&mut h, s, &ScanEvidence::MISSED); }
/// assert_eq!(s, TrackStatus::Confirmed);
/// assert_eq!(logic.update(&mut h, s, &ScanEvidence::MISSED), TrackStatus::Deleted);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistoryLogic {
    confirm: (u32, u32),
    delete: (u32, u32),
    hit_threshold: f64,
}

/// The memory of a [`HistoryLogic`]: hit bits, most recent in bit 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TrackHistory {
    bits: u64,
    len: u32,
}

impl TrackHistory {
    /// Records a scan.
    pub fn push(&mut self, hit: bool) {
        self.bits = (self.bits << 1) | u64::from(hit);
        self.len = (self.len + 1).min(64);
    }

    /// Number of scans recorded (at most 64).
    pub fn len(&self) -> u32 {
        self.len
    }

    /// Whether nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Hits among the last `n` scans (or fewer if the track is younger).
    pub fn hits(&self, n: u32) -> u32 {
        (self.bits & window_mask(n.min(self.len))).count_ones()
    }

    /// Misses among the last `n` scans (or fewer if the track is younger).
    pub fn misses(&self, n: u32) -> u32 {
        n.min(self.len) - self.hits(n)
    }

    /// The history as booleans, most recent first.
    pub fn iter(&self) -> impl Iterator<Item = bool> + '_ {
        (0..self.len).map(|k| self.bits >> k & 1 == 1)
    }
}

fn window_mask(n: u32) -> u64 {
    if n >= 64 {
        u64::MAX
    } else {
        (1u64 << n) - 1
    }
}

impl Default for HistoryLogic {
    /// Confirm 2 of 3, delete a confirmed track after 6 misses in 6 scans, hit threshold 0.2.
    fn default() -> Self {
        Self {
            confirm: (2, 3),
            delete: (6, 6),
            hit_threshold: 0.2,
        }
    }
}

impl HistoryLogic {
    /// Confirmation after `confirm.0` hits in `confirm.1` scans, deletion of a confirmed track
    /// after `delete.0` misses in `delete.1` scans.
    ///
    /// # Errors
    /// [`TrackingError::InvalidParameter`] unless `1 <= M <= N <= 64` for both pairs.
    pub fn new(confirm: (u32, u32), delete: (u32, u32)) -> Result<Self, TrackingError> {
        for (name, (m, n)) in [
            ("confirmation (M, N)", confirm),
            ("deletion (M, N)", delete),
        ] {
            if !(1 <= m && m <= n && n <= 64) {
                return Err(invalid(
                    name,
                    format!("need 1 <= M <= N <= 64, got ({m}, {n})"),
                ));
            }
        }
        Ok(Self {
            confirm,
            delete,
            hit_threshold: 0.2,
        })
    }

    /// Sets the association probability from which a soft (JPDA) scan counts as a hit.
    ///
    /// # Errors
    /// [`TrackingError::InvalidParameter`] unless `0 < threshold <= 1`.
    pub fn with_hit_threshold(mut self, threshold: f64) -> Result<Self, TrackingError> {
        self.hit_threshold = check_probability("hit threshold", threshold, false)?;
        Ok(self)
    }

    /// `(M_c, N_c)`.
    pub fn confirmation(&self) -> (u32, u32) {
        self.confirm
    }

    /// `(M_d, N_d)`.
    pub fn deletion(&self) -> (u32, u32) {
        self.delete
    }

    fn decide(&self, h: &TrackHistory, status: TrackStatus) -> TrackStatus {
        let (mc, nc) = self.confirm;
        let (md, nd) = self.delete;
        match status {
            TrackStatus::Deleted => TrackStatus::Deleted,
            TrackStatus::Confirmed => {
                if h.misses(nd) >= md {
                    TrackStatus::Deleted
                } else {
                    TrackStatus::Confirmed
                }
            }
            TrackStatus::Tentative => {
                if h.hits(nc) >= mc {
                    TrackStatus::Confirmed
                } else if h.misses(nc) > nc - mc {
                    TrackStatus::Deleted
                } else {
                    TrackStatus::Tentative
                }
            }
        }
    }
}

impl TrackLogic for HistoryLogic {
    type State = TrackHistory;

    fn initiate(&self) -> (TrackHistory, TrackStatus) {
        let mut h = TrackHistory::default();
        h.push(true);
        let status = self.decide(&h, TrackStatus::Tentative);
        (h, status)
    }

    fn update(
        &self,
        state: &mut TrackHistory,
        status: TrackStatus,
        evidence: &ScanEvidence<'_>,
    ) -> TrackStatus {
        if status == TrackStatus::Deleted {
            return status;
        }
        let hit = if evidence.soft {
            evidence.dominant_probability >= self.hit_threshold
        } else {
            evidence.association_probability >= 0.5
        };
        state.push(hit);
        self.decide(state, status)
    }

    fn quality(&self, state: &TrackHistory) -> f64 {
        f64::from(state.hits(self.confirm.1))
    }
}

/// Sequential log-likelihood-ratio track score (Blackman and Popoli 1999, sec. 6.2), with the
/// conventions of MATLAB's `trackScoreLogic`.
///
/// With detection probability `P_D`, false-alarm probability `P_FA` per resolution cell of volume
/// `V` (so a false-alarm density `beta_FA = P_FA / V`), and new-target density `beta_NT`:
///
/// ```text
/// initiation:       L = ln(P_D beta_NT V / P_FA)
/// hit (assigned z): L += ln(P_D N(z; zhat, S) V / P_FA)
/// miss:             L += ln((1 - P_D) / (1 - P_FA))
/// soft (JPDA):      L += ln(1 - P_D P_G + sum_j P_D N(z_j; zhat, S) V / P_FA)
/// ```
///
/// The soft update is the PDA likelihood ratio of the scan (Musicki, Evans and Stankovic 1994)
/// over the gated detections, with gate probability `P_G` (default 1). A track is confirmed when
/// `L >= confirmation threshold` (default 20) and deleted when `L - max L < deletion threshold`
/// (default -5), tentative or confirmed. MATLAB's documented values (`P_D = 0.9`,
/// `P_FA = 1e-6`, `V = 1.3`, `beta_NT = 0.1`): initial score 11.6699, 9.36735 after a miss.
///
/// ```
/// use kestrel::tracking::{ScanEvidence, ScoreLogic, TrackLogic, TrackStatus};
/// let logic = ScoreLogic::new(0.9, 1e-6, 1.3, 0.1).unwrap();
/// let (mut s, status) = logic.initiate();
/// assert!((s.score - 11.6699).abs() < 1e-4);
/// assert_eq!(logic.update(&mut s, status, &ScanEvidence::MISSED), TrackStatus::Tentative);
/// assert!((s.score - 9.36735).abs() < 1e-5 && (s.max_score - 11.6699).abs() < 1e-4);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreLogic {
    pd: f64,
    pfa: f64,
    volume: f64,
    new_target_density: f64,
    gate_probability: f64,
    confirm_threshold: f64,
    delete_threshold: f64,
}

/// The memory of a [`ScoreLogic`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackScore {
    /// Current log-likelihood ratio.
    pub score: f64,
    /// Largest score so far.
    pub max_score: f64,
}

impl ScoreLogic {
    /// Score logic with detection probability `pd`, false-alarm probability `pfa` per cell of
    /// volume `volume` (units of the measurement space, e.g. m^2) and new-target density
    /// `new_target_density` (per unit volume); thresholds 20 and -5.
    ///
    /// # Errors
    /// [`TrackingError::InvalidParameter`] unless `0 < pd < 1`, `0 < pfa < 1`, and the volume and
    /// density are finite and positive.
    pub fn new(
        pd: f64,
        pfa: f64,
        volume: f64,
        new_target_density: f64,
    ) -> Result<Self, TrackingError> {
        check_probability("detection probability", pd, true)?;
        check_probability("false alarm probability", pfa, true)?;
        for (name, v) in [
            ("volume", volume),
            ("new target density", new_target_density),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(invalid(
                    name,
                    format!("must be finite and positive, got {v}"),
                ));
            }
        }
        Ok(Self {
            pd,
            pfa,
            volume,
            new_target_density,
            gate_probability: 1.0,
            confirm_threshold: 20.0,
            delete_threshold: -5.0,
        })
    }

    /// Sets the confirmation threshold (finite) and the deletion threshold (finite, negative).
    ///
    /// # Errors
    /// [`TrackingError::InvalidParameter`] otherwise.
    pub fn with_thresholds(mut self, confirm: f64, delete: f64) -> Result<Self, TrackingError> {
        if !confirm.is_finite() {
            return Err(invalid("confirmation threshold", format!("{confirm}")));
        }
        if !(delete.is_finite() && delete < 0.0) {
            return Err(invalid(
                "deletion threshold",
                format!("must be finite and negative, got {delete}"),
            ));
        }
        self.confirm_threshold = confirm;
        self.delete_threshold = delete;
        Ok(self)
    }

    /// Sets the gate probability `P_G` of the soft update (default 1).
    ///
    /// # Errors
    /// [`TrackingError::InvalidParameter`] unless `0 < pg <= 1`.
    pub fn with_gate_probability(mut self, pg: f64) -> Result<Self, TrackingError> {
        self.gate_probability = check_probability("gate probability", pg, false)?;
        Ok(self)
    }

    /// `ln(P_D V / P_FA)`, the score gained by a hit besides `ln N(z; zhat, S)`.
    fn hit_offset(&self) -> f64 {
        (self.pd * self.volume / self.pfa).ln()
    }

    /// The score increment of one scan.
    pub fn increment(&self, evidence: &ScanEvidence<'_>) -> f64 {
        if evidence.soft {
            let offset = self.hit_offset();
            let sum: f64 = evidence
                .log_likelihoods
                .iter()
                .map(|ll| (ll + offset).exp())
                .sum();
            (1.0 - self.pd * self.gate_probability + sum).ln()
        } else if evidence.association_probability >= 0.5 && !evidence.log_likelihoods.is_empty() {
            self.hit_offset() + evidence.log_likelihoods[0]
        } else {
            ((1.0 - self.pd) / (1.0 - self.pfa)).ln()
        }
    }

    fn decide(&self, s: &TrackScore, status: TrackStatus) -> TrackStatus {
        if status == TrackStatus::Deleted || s.score - s.max_score < self.delete_threshold {
            TrackStatus::Deleted
        } else if status == TrackStatus::Confirmed || s.score >= self.confirm_threshold {
            TrackStatus::Confirmed
        } else {
            TrackStatus::Tentative
        }
    }
}

impl TrackLogic for ScoreLogic {
    type State = TrackScore;

    fn initiate(&self) -> (TrackScore, TrackStatus) {
        let score = (self.pd * self.new_target_density * self.volume / self.pfa).ln();
        let s = TrackScore {
            score,
            max_score: score,
        };
        let status = self.decide(&s, TrackStatus::Tentative);
        (s, status)
    }

    fn update(
        &self,
        state: &mut TrackScore,
        status: TrackStatus,
        evidence: &ScanEvidence<'_>,
    ) -> TrackStatus {
        if status == TrackStatus::Deleted {
            return status;
        }
        let delta = self.increment(evidence);
        // A non-finite increment (every likelihood underflowed in a soft update) counts as the
        // least informative finite value: a miss.
        state.score += if delta.is_finite() {
            delta
        } else {
            ((1.0 - self.pd) / (1.0 - self.pfa)).ln()
        };
        state.max_score = state.max_score.max(state.score);
        self.decide(state, status)
    }

    fn quality(&self, state: &TrackScore) -> f64 {
        state.score
    }
}

/// Existence-probability logic: the integrated PDA (IPDA, Musicki, Evans and Stankovic 1994)
/// and, with the JPDA associator, joint IPDA (JIPDA, Musicki and Evans 2004).
///
/// The state is the probability `r` that the track is a real object. Each scan, before
/// association, `r <- P_S r` (survival probability `P_S`, default 0.98). The JPDA associator
/// weighs each track's joint events with `r` and returns the exact posterior existence, which
/// this logic adopts. Under hard association (GNN) the IPDA update is applied with this logic's
/// own `P_D`, `P_G` and clutter density `lambda`:
///
/// ```text
/// delta = P_D P_G - P_D N(z; zhat, S) / lambda   (assigned z),   delta = P_D P_G (missed)
/// r    <- (1 - delta) r / (1 - delta r)
/// ```
///
/// A new track starts at `r_0` (default 0.5); it is confirmed when `r >= 0.9` and deleted when
/// `r < 0.1` (defaults).
///
/// ```
/// use kestrel::tracking::{ExistenceLogic, ScanEvidence, TrackLogic, TrackStatus};
/// let logic = ExistenceLogic::new(0.7, 0.99, 1e-3).unwrap();
/// let (mut r, status) = logic.initiate();
/// logic.predict(&mut r);
/// assert!((r - 0.49).abs() < 1e-12);
/// // missed: delta = 0.693, r = 0.307 * 0.49 / (1 - 0.693 * 0.49) = 0.228
/// assert_eq!(logic.update(&mut r, status, &ScanEvidence::MISSED), TrackStatus::Tentative);
/// assert!((r - 0.307 * 0.49 / (1.0 - 0.693 * 0.49)).abs() < 1e-12);
/// // a second miss takes it below 0.1: deleted
/// logic.predict(&mut r);
/// assert_eq!(logic.update(&mut r, TrackStatus::Tentative, &ScanEvidence::MISSED), TrackStatus::Deleted);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExistenceLogic {
    pd: f64,
    pg: f64,
    clutter_density: f64,
    survival: f64,
    initial: f64,
    confirm_threshold: f64,
    delete_threshold: f64,
}

impl ExistenceLogic {
    /// Existence logic with detection probability `pd`, gate probability `pg` and clutter
    /// density `clutter_density` (per unit measurement volume) for hard-association updates;
    /// survival 0.98, initial existence 0.5, thresholds 0.9 and 0.1.
    ///
    /// # Errors
    /// [`TrackingError::InvalidParameter`] unless `0 < pd < 1`, `0 < pg <= 1` and the density
    /// is finite and positive.
    pub fn new(pd: f64, pg: f64, clutter_density: f64) -> Result<Self, TrackingError> {
        check_probability("detection probability", pd, true)?;
        check_probability("gate probability", pg, false)?;
        if !(clutter_density.is_finite() && clutter_density > 0.0) {
            return Err(invalid(
                "clutter density",
                format!("must be finite and positive, got {clutter_density}"),
            ));
        }
        Ok(Self {
            pd,
            pg,
            clutter_density,
            survival: 0.98,
            initial: 0.5,
            confirm_threshold: 0.9,
            delete_threshold: 0.1,
        })
    }

    /// Sets the survival probability per scan and the initial existence probability.
    ///
    /// # Errors
    /// [`TrackingError::InvalidParameter`] unless `0 < survival <= 1` and `0 < initial < 1`.
    pub fn with_survival(mut self, survival: f64, initial: f64) -> Result<Self, TrackingError> {
        self.survival = check_probability("survival probability", survival, false)?;
        self.initial = check_probability("initial existence", initial, true)?;
        Ok(self)
    }

    /// Sets the confirmation and deletion thresholds.
    ///
    /// # Errors
    /// [`TrackingError::InvalidParameter`] unless `0 < delete < confirm <= 1`.
    pub fn with_thresholds(mut self, confirm: f64, delete: f64) -> Result<Self, TrackingError> {
        if !(delete > 0.0 && delete < confirm && confirm <= 1.0) {
            return Err(invalid(
                "existence thresholds",
                format!("need 0 < delete < confirm <= 1, got delete {delete}, confirm {confirm}"),
            ));
        }
        self.confirm_threshold = confirm;
        self.delete_threshold = delete;
        Ok(self)
    }

    fn decide(&self, r: f64, status: TrackStatus) -> TrackStatus {
        if status == TrackStatus::Deleted || r < self.delete_threshold {
            TrackStatus::Deleted
        } else if status == TrackStatus::Confirmed || r >= self.confirm_threshold {
            TrackStatus::Confirmed
        } else {
            TrackStatus::Tentative
        }
    }
}

impl TrackLogic for ExistenceLogic {
    type State = f64;

    fn initiate(&self) -> (f64, TrackStatus) {
        (
            self.initial,
            self.decide(self.initial, TrackStatus::Tentative),
        )
    }

    fn predict(&self, r: &mut f64) {
        *r *= self.survival;
    }

    fn existence(&self, r: &f64) -> f64 {
        *r
    }

    fn update(&self, r: &mut f64, status: TrackStatus, evidence: &ScanEvidence<'_>) -> TrackStatus {
        if status == TrackStatus::Deleted {
            return status;
        }
        let posterior = match evidence.existence {
            Some(e) => e,
            None => {
                let mut delta = self.pd * self.pg;
                if evidence.association_probability >= 0.5 {
                    if let Some(ll) = evidence.log_likelihoods.first() {
                        delta -= self.pd * ll.exp() / self.clutter_density;
                    }
                }
                (1.0 - delta) * *r / (1.0 - delta * *r)
            }
        };
        if posterior.is_finite() {
            *r = posterior.clamp(0.0, 1.0);
        }
        self.decide(*r, status)
    }

    fn quality(&self, r: &f64) -> f64 {
        *r
    }
}

/// One of the three logics, chosen at run time (for example by name in a scenario file).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AnyTrackLogic {
    /// [`HistoryLogic`].
    History(HistoryLogic),
    /// [`ScoreLogic`].
    Score(ScoreLogic),
    /// [`ExistenceLogic`].
    Existence(ExistenceLogic),
}

/// The per-track memory of an [`AnyTrackLogic`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AnyLogicState {
    /// History bits.
    History(TrackHistory),
    /// Score.
    Score(TrackScore),
    /// Existence probability.
    Existence(f64),
}

impl AnyTrackLogic {
    /// The logic's name: `"history"`, `"score"` or `"existence"`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::History(_) => "history",
            Self::Score(_) => "score",
            Self::Existence(_) => "existence",
        }
    }
}

impl TrackLogic for AnyTrackLogic {
    type State = AnyLogicState;

    fn initiate(&self) -> (AnyLogicState, TrackStatus) {
        match self {
            Self::History(l) => {
                let (s, st) = l.initiate();
                (AnyLogicState::History(s), st)
            }
            Self::Score(l) => {
                let (s, st) = l.initiate();
                (AnyLogicState::Score(s), st)
            }
            Self::Existence(l) => {
                let (s, st) = l.initiate();
                (AnyLogicState::Existence(s), st)
            }
        }
    }

    fn predict(&self, state: &mut AnyLogicState) {
        if let (Self::Existence(l), AnyLogicState::Existence(r)) = (self, state) {
            l.predict(r);
        }
    }

    fn existence(&self, state: &AnyLogicState) -> f64 {
        match state {
            AnyLogicState::Existence(r) => *r,
            _ => 1.0,
        }
    }

    fn update(
        &self,
        state: &mut AnyLogicState,
        status: TrackStatus,
        evidence: &ScanEvidence<'_>,
    ) -> TrackStatus {
        // A state made by another logic (only possible if the caller swaps logics between
        // scans) is restarted from this logic's initial state.
        let matches = matches!(
            (self, &*state),
            (Self::History(_), AnyLogicState::History(_))
                | (Self::Score(_), AnyLogicState::Score(_))
                | (Self::Existence(_), AnyLogicState::Existence(_))
        );
        if !matches {
            *state = self.initiate().0;
        }
        match (self, state) {
            (Self::History(l), AnyLogicState::History(s)) => l.update(s, status, evidence),
            (Self::Score(l), AnyLogicState::Score(s)) => l.update(s, status, evidence),
            (Self::Existence(l), AnyLogicState::Existence(s)) => l.update(s, status, evidence),
            _ => status,
        }
    }

    fn quality(&self, state: &AnyLogicState) -> f64 {
        match (self, state) {
            (Self::History(l), AnyLogicState::History(s)) => l.quality(s),
            (_, AnyLogicState::Score(s)) => s.score,
            (_, AnyLogicState::Existence(r)) => *r,
            (_, AnyLogicState::History(h)) => f64::from(h.hits(3)),
        }
    }
}
