//! The multi-object tracker: roles wired together, scan by scan.
//!
//! A [`Tracker`] owns its tracks and five swappable roles, in the spirit of Stone Soup:
//!
//! | role | trait | provided |
//! |---|---|---|
//! | filter (per track) | [`TrackFilter`] | [`KalmanTrack`](super::KalmanTrack), [`ExtendedTrack`](super::ExtendedTrack), [`UnscentedTrack`](super::UnscentedTrack), [`ImmTrack`](super::ImmTrack) |
//! | gater | [`Gating`] | chi-square gate with a kd-tree pre-gate |
//! | associator | [`Associator`] | [`Gnn`](super::Gnn), [`Jpda`](super::Jpda) (JIPDA with [`ExistenceLogic`](super::ExistenceLogic)), [`AnyAssociator`](super::AnyAssociator) |
//! | track logic | [`TrackLogic`] | [`HistoryLogic`](super::HistoryLogic), [`ScoreLogic`](super::ScoreLogic), [`ExistenceLogic`](super::ExistenceLogic), [`AnyTrackLogic`](super::AnyTrackLogic) |
//! | initiator | [`Initiator`] | [`SinglePointInitiator`](super::SinglePointInitiator), [`TwoPointInitiator`](super::TwoPointInitiator), [`NoInitiation`](super::NoInitiation) |
//!
//! # One scan ([`Tracker::step`])
//! 1. **Detections.** Non-finite detections are rejected and listed in the report (the error
//!    names the detection's index); bit-identical duplicates are kept once (the first) and the
//!    others listed. An empty scan is valid (every track is missed).
//! 2. **Predict** every track over `dt` (and its logic: existence decay).
//! 3. **Gate**: each track's `zhat` and `S`; detections within the chi-square gate
//!    ([`Gating`], kd-tree pre-gate, so a burst of thousands of clutter points costs a range query
//!    per track); `ln N(z; zhat, S)` of every gated pair; clusters of tracks sharing detections.
//! 4. **Associate** (GNN: one assignment per cluster; JPDA: marginal probabilities per cluster,
//!    exact up to a size cap, k-best beyond).
//! 5. **Update** each track (hard update with its detection, or the weighted PDA update), smooth
//!    its extent, feed its logic; confirmed and deleted tracks are reported.
//! 6. **Initiate** tracks from the detections no track claimed: a detection is unclaimed when its
//!    total association probability over all tracks is at most `initiation_threshold` (default
//!    0: for GNN the unassigned detections, for JPDA the detections outside every gate).
//!    New tracks get fresh ids, never reused.
//!
//! A track whose filter fails to predict is deleted (reason [`DeletionReason::FilterFailure`]);
//! a failed update leaves the track predicted and counts as a miss; both are reported. Tracks
//! are kept in order of creation (ascending id) and every output is in that order or in
//! detection order: nothing depends on hash-map iteration.
//!
//! # Cost
//! Per scan `O(T + D log D)` plus the gating range queries, the association (linear in the
//! gated pairs for well-separated objects) and the filter steps. Buffers are reused: after the
//! first scans of a given size, a scan allocates only for new tracks, for the kd-tree that
//! [`Gating`] rebuilds per scan, and in the k-best fallback of JPDA.

mod report;
mod step;

pub use report::{DeletedTrack, DeletionReason, ScanReport};

use nalgebra::{SMatrix, SVector, Vector2};

use super::association::{AssociationOutput, Associator};
use super::initiation::{Initiated, Initiator};
use super::track::{Track, TrackId};
use super::track_filter::{MeasurementPrediction, TrackFilter};
use super::track_logic::{TrackLogic, TrackStatus};
use super::{ExtentSmoother, GatedPair, Gating, TrackClusters, TrackingError};

/// A multi-object tracker over `N`-dimensional states and `M`-dimensional detections. See the
/// [module docs](self).
///
/// ```
/// use nalgebra::{Vector2};
/// use kestrel::estimation::KalmanFilter;
/// use kestrel::models::{measurement::PositionMeasurement, motion::ConstantVelocity};
/// use kestrel::tracking::{
///     Gating, Gnn, GnnCost, HistoryLogic, KalmanTrack, SinglePointInitiator, StateLayout, Tracker,
/// };
///
/// let cv = ConstantVelocity::new(0.5).unwrap();
/// let sensor = PositionMeasurement::<4>::new(ConstantVelocity::POSITION, 0.5).unwrap();
/// let layout = StateLayout::new(ConstantVelocity::POSITION, ConstantVelocity::VELOCITY, 0.0).unwrap();
/// let initiator = SinglePointInitiator::new(sensor, layout, 5.0, Box::new(move |x, p| {
///     Ok(KalmanTrack::new(KalmanFilter::new(x, p)?, cv, sensor))
/// })).unwrap();
/// let mut tracker = Tracker::new(
///     Gating::<2>::from_probability(0.999).unwrap(),
///     Gnn::new(GnnCost::Mahalanobis, 4.0).unwrap(),
///     HistoryLogic::default(),
///     initiator,
///     ConstantVelocity::POSITION,
/// ).unwrap();
/// // two objects moving at 1 m/s along x, and a NaN detection that is rejected
/// for k in 0..4 {
///     let t = k as f64;
///     let z = [Vector2::new(t, 0.0), Vector2::new(t, 50.0), Vector2::new(f64::NAN, 0.0)];
///     let report = tracker.step(1.0, &z).unwrap();
///     assert_eq!(report.rejected.len(), 1);
/// }
/// let confirmed: Vec<u64> = tracker.confirmed().map(|t| t.id().0).collect();
/// assert_eq!(confirmed, vec![0, 1]);
/// let p = tracker.tracks()[1].position(tracker.position_indices()).unwrap();
/// assert!((p - Vector2::new(3.0, 50.0)).norm() < 0.5);
/// ```
#[derive(Debug)]
pub struct Tracker<F, A, L, I, const N: usize, const M: usize>
where
    L: TrackLogic,
{
    gating: Gating<M>,
    gate_angles: Option<[bool; M]>,
    associator: A,
    logic: L,
    initiator: I,
    position_indices: [usize; 2],
    extent_smoother: Option<ExtentSmoother>,
    initiation_threshold: f64,
    tracks: Vec<Track<F, L::State, M>>,
    next_id: u64,
    scan: u64,
    report: ScanReport,
    // per-scan buffers
    dets: Vec<SVector<f64, M>>,
    det_index: Vec<usize>,
    det_extent: Vec<Option<super::Extent>>,
    order: Vec<usize>,
    duplicate: Vec<bool>,
    rows: Vec<usize>,
    zhat: Vec<SVector<f64, M>>,
    covs: Vec<SMatrix<f64, M, M>>,
    gates: Vec<MeasurementPrediction<M>>,
    ln_det: Vec<f64>,
    existence: Vec<f64>,
    pairs: Vec<GatedPair>,
    log_likelihoods: Vec<f64>,
    track_pairs: Vec<usize>,
    clusters: TrackClusters,
    output: AssociationOutput,
    cand_z: Vec<SVector<f64, M>>,
    cand_w: Vec<f64>,
    cand_ll: Vec<f64>,
    claimed: Vec<f64>,
    unclaimed: Vec<usize>,
    initiated: Initiated<F>,
}

impl<F, A, L, I, const N: usize, const M: usize> Tracker<F, A, L, I, N, M>
where
    F: TrackFilter<N, M>,
    A: Associator,
    L: TrackLogic,
    I: Initiator<F, M>,
{
    /// A tracker from its roles; `position_indices` are the state indices of `[x, y]` (for
    /// [`Tracker::positions`] and drawing).
    ///
    /// # Errors
    /// [`TrackingError::InvalidParameter`] if a position index is `>= N`.
    pub fn new(
        gating: Gating<M>,
        associator: A,
        logic: L,
        initiator: I,
        position_indices: [usize; 2],
    ) -> Result<Self, TrackingError> {
        if position_indices.iter().any(|&i| i >= N) {
            return Err(TrackingError::InvalidParameter {
                name: "position indices",
                reason: format!("{position_indices:?} out of range for a state of dimension {N}"),
            });
        }
        Ok(Self {
            gating,
            gate_angles: None,
            associator,
            logic,
            initiator,
            position_indices,
            extent_smoother: None,
            initiation_threshold: 0.0,
            tracks: Vec::new(),
            next_id: 0,
            scan: 0,
            report: ScanReport::default(),
            dets: Vec::new(),
            det_index: Vec::new(),
            det_extent: Vec::new(),
            order: Vec::new(),
            duplicate: Vec::new(),
            rows: Vec::new(),
            zhat: Vec::new(),
            covs: Vec::new(),
            gates: Vec::new(),
            ln_det: Vec::new(),
            existence: Vec::new(),
            pairs: Vec::new(),
            log_likelihoods: Vec::new(),
            track_pairs: Vec::new(),
            clusters: TrackClusters::new(),
            output: AssociationOutput::default(),
            cand_z: Vec::new(),
            cand_w: Vec::new(),
            cand_ll: Vec::new(),
            claimed: Vec::new(),
            unclaimed: Vec::new(),
            initiated: Initiated::default(),
        })
    }

    /// Smooths the extents of tracks fed with boxes ([`Tracker::step_with_extents`]) with this
    /// smoother (default gain 0.3 when boxes are given without one).
    pub fn with_extent_smoothing(mut self, smoother: ExtentSmoother) -> Self {
        self.extent_smoother = Some(smoother);
        self
    }

    /// Sets the total association probability at or below which a detection may start a track
    /// (default 0). Under JPDA, for example 0.1 lets detections that are most likely clutter for
    /// every track start new tracks.
    ///
    /// # Errors
    /// [`TrackingError::InvalidParameter`] unless `0 <= threshold < 1`.
    pub fn with_initiation_threshold(mut self, threshold: f64) -> Result<Self, TrackingError> {
        if !(0.0..1.0).contains(&threshold) {
            return Err(TrackingError::InvalidParameter {
                name: "initiation threshold",
                reason: format!("must be in [0, 1), got {threshold}"),
            });
        }
        self.initiation_threshold = threshold;
        Ok(self)
    }

    /// Inserts a track with the given filter (for example from prior knowledge) and returns its
    /// id. It starts as the logic's initial status, or confirmed if `confirmed` is set.
    pub fn insert_track(&mut self, filter: F, confirmed: bool) -> TrackId {
        let (state, status) = self.logic.initiate();
        let status = if confirmed {
            TrackStatus::Confirmed
        } else {
            status
        };
        let id = TrackId(self.next_id);
        self.next_id += 1;
        self.tracks
            .push(Track::new(id, status, filter, state, self.scan));
        id
    }

    /// All live tracks, in ascending id order.
    pub fn tracks(&self) -> &[Track<F, L::State, M>] {
        &self.tracks
    }

    /// The confirmed tracks, in ascending id order.
    pub fn confirmed(&self) -> impl Iterator<Item = &Track<F, L::State, M>> {
        self.tracks.iter().filter(|t| t.is_confirmed())
    }

    /// The track with id `id`, if alive.
    pub fn track(&self, id: TrackId) -> Option<&Track<F, L::State, M>> {
        self.tracks
            .binary_search_by_key(&id, |t| t.id)
            .ok()
            .map(|i| &self.tracks[i])
    }

    /// Writes the positions of the tracks (only the confirmed ones if `confirmed_only`) into
    /// `out` (cleared first), in ascending id order.
    pub fn positions(&self, confirmed_only: bool, out: &mut Vec<Vector2<f64>>) {
        out.clear();
        for t in &self.tracks {
            if !confirmed_only || t.is_confirmed() {
                if let Some(p) = t.position(self.position_indices) {
                    out.push(p);
                }
            }
        }
    }

    /// The state indices of `[x, y]`.
    pub fn position_indices(&self) -> [usize; 2] {
        self.position_indices
    }

    /// The squared Mahalanobis gate threshold `g` (a track's gate is `{z : d^2(z) <= g}`).
    pub fn gate_threshold(&self) -> f64 {
        self.gating.threshold()
    }

    /// Number of scans processed.
    pub fn scan(&self) -> u64 {
        self.scan
    }

    /// The report of the last scan.
    pub fn report(&self) -> &ScanReport {
        &self.report
    }

    /// The associator.
    pub fn associator(&self) -> &A {
        &self.associator
    }

    /// The track logic.
    pub fn logic(&self) -> &L {
        &self.logic
    }

    /// The initiator.
    pub fn initiator(&self) -> &I {
        &self.initiator
    }

    /// The id the next new track will get.
    pub fn next_id(&self) -> TrackId {
        TrackId(self.next_id)
    }
}
