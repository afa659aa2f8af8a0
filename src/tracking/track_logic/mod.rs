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

mod existence;
mod history;
mod score;

pub use existence::ExistenceLogic;
pub use history::{HistoryLogic, TrackHistory};
pub use score::{ScoreLogic, TrackScore};

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

pub(crate) fn invalid(name: &'static str, reason: String) -> TrackingError {
    TrackingError::InvalidParameter { name, reason }
}

pub(crate) fn check_probability(
    name: &'static str,
    p: f64,
    open_top: bool,
) -> Result<f64, TrackingError> {
    let ok = p > 0.0 && (p < 1.0 || (!open_top && p == 1.0));
    if ok {
        Ok(p)
    } else {
        let range = if open_top { "(0, 1)" } else { "(0, 1]" };
        Err(invalid(name, format!("must be in {range}, got {p}")))
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
