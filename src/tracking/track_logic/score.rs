//! Sequential log-likelihood-ratio track score.

use super::{check_probability, invalid, ScanEvidence, TrackLogic, TrackStatus};
use crate::tracking::TrackingError;

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
