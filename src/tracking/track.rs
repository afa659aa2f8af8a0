//! A track: identity, status, filter, logic memory and what the last scan said about it.

use nalgebra::{SMatrix, SVector, Vector2};

use super::track_filter::{MeasurementPrediction, TrackFilter};
use super::{Extent, TrackStatus};

/// A track identifier. Identifiers are handed out in increasing order by a tracker and never
/// reused, so a deleted track's id never comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrackId(pub u64);

impl std::fmt::Display for TrackId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// One track of a [`Tracker`](super::Tracker).
///
/// Everything a runner needs to draw it is public through accessors: id and status, the
/// estimate, the last gate (`zhat`, `S`; the tracker's gate threshold gives its size), the
/// detections it was associated with and their weights, the extent of an extended object, and
/// the logic's quality figure (hits, score or existence probability).
#[derive(Debug, Clone)]
pub struct Track<F, S, const M: usize> {
    pub(crate) id: TrackId,
    pub(crate) status: TrackStatus,
    pub(crate) filter: F,
    pub(crate) logic: S,
    pub(crate) born_scan: u64,
    pub(crate) age: u32,
    pub(crate) hits: u32,
    pub(crate) consecutive_misses: u32,
    pub(crate) gate: Option<MeasurementPrediction<M>>,
    pub(crate) associations: Vec<(usize, f64)>,
    pub(crate) missed_probability: f64,
    pub(crate) existence: Option<f64>,
    pub(crate) extent: Option<Extent>,
}

impl<F, S, const M: usize> Track<F, S, M> {
    pub(crate) fn new(id: TrackId, status: TrackStatus, filter: F, logic: S, scan: u64) -> Self {
        Self {
            id,
            status,
            filter,
            logic,
            born_scan: scan,
            age: 1,
            hits: 1,
            consecutive_misses: 0,
            gate: None,
            associations: Vec::new(),
            missed_probability: 0.0,
            existence: None,
            extent: None,
        }
    }

    /// The track's identifier.
    pub fn id(&self) -> TrackId {
        self.id
    }

    /// Tentative or confirmed (a deleted track leaves the tracker).
    pub fn status(&self) -> TrackStatus {
        self.status
    }

    /// Whether the track is confirmed.
    pub fn is_confirmed(&self) -> bool {
        self.status == TrackStatus::Confirmed
    }

    /// The track's filter.
    pub fn filter(&self) -> &F {
        &self.filter
    }

    /// The track logic's memory (history, score or existence).
    pub fn logic_state(&self) -> &S {
        &self.logic
    }

    /// Index of the scan in which the track was born (the first scan is 1).
    pub fn born_scan(&self) -> u64 {
        self.born_scan
    }

    /// Number of scans the track has lived through, its birth scan included.
    pub fn age(&self) -> u32 {
        self.age
    }

    /// Number of scans in which it was detected (the initiating detection included); under
    /// JPDA a scan counts when the association probability is at least 0.5.
    pub fn hits(&self) -> u32 {
        self.hits
    }

    /// Scans since its last detection.
    pub fn consecutive_misses(&self) -> u32 {
        self.consecutive_misses
    }

    /// The predicted measurement and innovation covariance of the last scan (the gate), if the
    /// track took part in it.
    pub fn gate(&self) -> Option<&MeasurementPrediction<M>> {
        self.gate.as_ref()
    }

    /// The detections (indices into the last scan's detection slice) associated in the last
    /// scan with their weights: the assigned one with weight 1 (GNN), or every gated one with its
    /// association probability (JPDA).
    pub fn associations(&self) -> &[(usize, f64)] {
        &self.associations
    }

    /// The probability that none of the last scan's detections was this track's (1 or 0 for
    /// GNN).
    pub fn missed_probability(&self) -> f64 {
        self.missed_probability
    }

    /// The posterior existence probability computed by a JIPDA associator in the last scan.
    pub fn existence(&self) -> Option<f64> {
        self.existence
    }

    /// The smoothed extent of an extended object, if the track was fed boxes.
    pub fn extent(&self) -> Option<&Extent> {
        self.extent.as_ref()
    }
}

impl<F, S, const M: usize> Track<F, S, M> {
    /// The state mean.
    pub fn state<const N: usize>(&self) -> SVector<f64, N>
    where
        F: TrackFilter<N, M>,
    {
        self.filter.state()
    }

    /// The state covariance.
    pub fn covariance<const N: usize>(&self) -> SMatrix<f64, N, N>
    where
        F: TrackFilter<N, M>,
    {
        self.filter.covariance()
    }

    /// The planar position `[x[i0], x[i1]]` for position indices `[i0, i1]` (`None` if an
    /// index is out of range).
    pub fn position<const N: usize>(&self, indices: [usize; 2]) -> Option<Vector2<f64>>
    where
        F: TrackFilter<N, M>,
    {
        let x = self.filter.state();
        Some(Vector2::new(*x.get(indices[0])?, *x.get(indices[1])?))
    }
}
