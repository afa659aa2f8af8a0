//! The data-association role: from gated track-detection pairs to association weights.
//!
//! An [`Associator`] receives one scan's gated pairs (with their Mahalanobis distances and
//! Gaussian log-likelihoods) and the clusters of tracks that share detections, and writes one
//! weight per gated pair plus, per track, the probability that none of its detections is its
//! own. Hard associators ([`Gnn`]) write weights 0 or 1; soft ones
//! ([`Jpda`]) write marginal association probabilities. [`AnyAssociator`] picks one
//! at run time (for scenario files).

use super::{Cluster, GatedPair, Gnn, Jpda, TrackingError};

/// One scan as an associator sees it. Built by the tracker; all slices are indexed consistently.
#[derive(Debug, Clone, Copy)]
pub struct AssociationInput<'a> {
    /// Number of tracks.
    pub n_tracks: usize,
    /// Number of (valid) detections.
    pub n_detections: usize,
    /// Gated pairs, sorted by track then detection.
    pub pairs: &'a [GatedPair],
    /// `ln N(z; zhat, S)` of each pair (same order as `pairs`).
    pub log_likelihoods: &'a [f64],
    /// `ln det S` of each track.
    pub ln_det_s: &'a [f64],
    /// Existence probability of each track (1 unless the track logic models existence).
    pub existence: &'a [f64],
    /// `pairs[track_pairs[t]..track_pairs[t + 1]]` are the pairs of track `t` (length
    /// `n_tracks + 1`).
    pub track_pairs: &'a [usize],
    /// Tracks linked by shared gated detections (see [`TrackClusters`](super::TrackClusters)).
    pub clusters: &'a [Cluster],
}

impl AssociationInput<'_> {
    /// The index range in `pairs` of track `t`'s gated pairs.
    pub fn pairs_of(&self, t: usize) -> std::ops::Range<usize> {
        self.track_pairs[t]..self.track_pairs[t + 1]
    }

    /// Checks that the slices are consistent (lengths, pair order, track ranges).
    ///
    /// # Errors
    /// [`TrackingError::DimensionMismatch`] or [`TrackingError::InvalidParameter`].
    pub fn validate(&self) -> Result<(), TrackingError> {
        let lengths = [
            (
                "log likelihoods",
                self.pairs.len(),
                self.log_likelihoods.len(),
            ),
            ("ln det S", self.n_tracks, self.ln_det_s.len()),
            (
                "existence probabilities",
                self.n_tracks,
                self.existence.len(),
            ),
            (
                "track pair offsets",
                self.n_tracks + 1,
                self.track_pairs.len(),
            ),
        ];
        for (what, expected, found) in lengths {
            if expected != found {
                return Err(TrackingError::DimensionMismatch {
                    what,
                    expected,
                    found,
                });
            }
        }
        for t in 0..self.n_tracks {
            let range = self.pairs_of(t);
            if range.start > range.end || range.end > self.pairs.len() {
                return Err(TrackingError::InvalidParameter {
                    name: "track pair offsets",
                    reason: format!("track {t} has the range {range:?}"),
                });
            }
            if let Some(p) = self.pairs[range]
                .iter()
                .find(|p| p.track != t || p.detection >= self.n_detections)
            {
                return Err(TrackingError::InvalidParameter {
                    name: "gated pair",
                    reason: format!("({}, {}) listed under track {t}", p.track, p.detection),
                });
            }
        }
        Ok(())
    }
}

/// What an associator decided for one scan. Buffers are reused between scans.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssociationOutput {
    /// Weight of each gated pair (same order as the input pairs): the probability that the
    /// detection is the track's, given that the track exists. 0 or 1 for hard association.
    pub pair_weights: Vec<f64>,
    /// Per track: the probability that none of its gated detections is its own (given that it
    /// exists). `missed[t] + sum of track t's pair weights = 1`.
    pub missed: Vec<f64>,
    /// Per track: the posterior existence probability (JIPDA), if the associator computes one.
    pub existence: Vec<Option<f64>>,
    /// Whether the weights are soft (JPDA) rather than 0/1 assignments.
    pub soft: bool,
    /// Clusters solved with the k-best approximation instead of exactly (JPDA).
    pub approximated_clusters: usize,
    /// Number of tracks in the largest cluster.
    pub largest_cluster: usize,
}

impl AssociationOutput {
    /// Clears and sizes the buffers: every pair weight 0, every track missed.
    pub fn reset(&mut self, n_tracks: usize, n_pairs: usize, soft: bool) {
        self.pair_weights.clear();
        self.pair_weights.resize(n_pairs, 0.0);
        self.missed.clear();
        self.missed.resize(n_tracks, 1.0);
        self.existence.clear();
        self.existence.resize(n_tracks, None);
        self.soft = soft;
        self.approximated_clusters = 0;
        self.largest_cluster = 0;
    }
}

/// The association role of a tracker.
pub trait Associator {
    /// Fills `output` (see [`AssociationOutput`]) for the scan described by `input`.
    ///
    /// # Errors
    /// [`TrackingError`] for inconsistent input; the tracker then skips the scan's updates.
    fn associate(
        &mut self,
        input: &AssociationInput<'_>,
        output: &mut AssociationOutput,
    ) -> Result<(), TrackingError>;

    /// A short name for reports (`"gnn"`, `"jpda"`).
    fn name(&self) -> &'static str;
}

/// GNN or JPDA, chosen at run time.
///
/// ```
/// use kestrel::tracking::{AnyAssociator, Associator, Gnn, GnnCost, Jpda};
/// let by_name = |name: &str| match name {
///     "gnn" => AnyAssociator::Gnn(Box::new(Gnn::new(GnnCost::Mahalanobis, 3.0).unwrap())),
///     _ => AnyAssociator::Jpda(Box::new(Jpda::new(0.9, 0.99, 1e-3).unwrap())),
/// };
/// assert_eq!(by_name("jpda").name(), "jpda");
/// ```
#[derive(Debug, Clone)]
pub enum AnyAssociator {
    /// Global nearest neighbour (boxed, as both carry their solver buffers).
    Gnn(Box<Gnn>),
    /// Joint probabilistic data association.
    Jpda(Box<Jpda>),
}

impl Associator for AnyAssociator {
    fn associate(
        &mut self,
        input: &AssociationInput<'_>,
        output: &mut AssociationOutput,
    ) -> Result<(), TrackingError> {
        match self {
            Self::Gnn(a) => a.associate(input, output),
            Self::Jpda(a) => a.associate(input, output),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Self::Gnn(a) => a.name(),
            Self::Jpda(a) => a.name(),
        }
    }
}
