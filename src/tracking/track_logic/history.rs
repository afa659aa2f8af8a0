//! M-of-N history logic.

use super::{check_probability, invalid, ScanEvidence, TrackLogic, TrackStatus};
use crate::tracking::TrackingError;

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
