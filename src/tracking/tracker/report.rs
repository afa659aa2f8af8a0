//! What one scan of a tracker did.

use crate::estimation::EstimationError;
use crate::tracking::{TrackId, TrackingError};

/// Why a track left the tracker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeletionReason {
    /// Its track logic deleted it (too many misses, score drop, low existence).
    Logic,
    /// Its filter could not predict (the error is in [`ScanReport::filter_errors`]).
    FilterFailure,
}

/// A track deleted in this scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeletedTrack {
    /// Its id (never reused).
    pub id: TrackId,
    /// Whether it had been confirmed.
    pub was_confirmed: bool,
    /// Scans it lived through.
    pub age: u32,
    /// Scans in which it was detected.
    pub hits: u32,
    /// Why it was deleted.
    pub reason: DeletionReason,
}

/// The outcome of one [`Tracker::step`](super::Tracker::step). Its lists are reused between
/// scans; every list is in ascending order of track id or detection index.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScanReport {
    /// Index of the scan (the first is 1).
    pub scan: u64,
    /// Number of detections given.
    pub detections: usize,
    /// Number of detections used (finite, not duplicates).
    pub valid_detections: usize,
    /// Rejected detections: [`TrackingError::NonFinite`] with `what = "detection"` and the
    /// detection's index.
    pub rejected: Vec<TrackingError>,
    /// `(duplicate, first)`: detection `duplicate` is bit-identical to detection `first` and was
    /// ignored.
    pub duplicates: Vec<(usize, usize)>,
    /// Tracks started in this scan.
    pub initiated: Vec<TrackId>,
    /// Tracks confirmed in this scan.
    pub confirmed: Vec<TrackId>,
    /// Tracks deleted in this scan.
    pub deleted: Vec<DeletedTrack>,
    /// Filter errors of this scan (the track was deleted if its prediction failed, missed if its
    /// gate or update failed).
    pub filter_errors: Vec<(TrackId, EstimationError)>,
    /// Detections (indices) whose new filter could not be built.
    pub initiation_failures: Vec<(usize, EstimationError)>,
    /// An error of the gating or association step; every track was then treated as missed.
    pub association_error: Option<TrackingError>,
    /// Track-detection pairs inside the gates.
    pub gated_pairs: usize,
    /// Pairs evaluated exactly after the kd-tree pre-gate.
    pub pairs_examined: usize,
    /// Number of clusters of tracks sharing detections.
    pub clusters: usize,
    /// Tracks in the largest cluster.
    pub largest_cluster: usize,
    /// Clusters solved with the k-best approximation (JPDA).
    pub approximated_clusters: usize,
    /// Live tracks after the scan.
    pub tracks: usize,
    /// Confirmed tracks after the scan.
    pub confirmed_tracks: usize,
}

impl ScanReport {
    pub(crate) fn reset(&mut self, scan: u64, detections: usize) {
        self.scan = scan;
        self.detections = detections;
        self.valid_detections = 0;
        self.rejected.clear();
        self.duplicates.clear();
        self.initiated.clear();
        self.confirmed.clear();
        self.deleted.clear();
        self.filter_errors.clear();
        self.initiation_failures.clear();
        self.association_error = None;
        self.gated_pairs = 0;
        self.pairs_examined = 0;
        self.clusters = 0;
        self.largest_cluster = 0;
        self.approximated_clusters = 0;
        self.tracks = 0;
        self.confirmed_tracks = 0;
    }
}
