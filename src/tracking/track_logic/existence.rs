//! Existence-probability (IPDA / JIPDA) logic.

use super::{check_probability, invalid, ScanEvidence, TrackLogic, TrackStatus};
use crate::tracking::TrackingError;

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
