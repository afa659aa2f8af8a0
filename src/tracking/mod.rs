//! Multi-object tracking building blocks: assignment, k-best assignments, gating, clustering,
//! extended-object extraction and performance metrics.
//!
//! These are the parts of a tracker that do not depend on a particular filter:
//!
//! - [`LinearAssignment`]: optimal rectangular assignment (SciPy-identical, ties included), with
//!   forbidden pairs and a finite "unassigned" cost (GNN);
//! - [`KBestAssignments`]: Murty's k-best assignments in order of cost (JPDA on large clusters);
//! - [`chi_square_gate`] and [`Gating`]: Mahalanobis chi-square gates with a kd-tree pre-gate;
//! - [`TrackClusters`]: tracks that share gated detections, grouped by union-find (JPDA);
//! - [`Dbscan`]: density clustering of point detections into extended-object detections;
//! - [`metrics`]: OSPA, GOSPA and CLEAR MOT (MOTA, MOTP, IDF1, switches, fragmentations).
//!
//! and the trackers built from them ([`Tracker`]): per-track filters ([`TrackFilter`]: KF, EKF,
//! UKF, IMM), association ([`Gnn`], [`Jpda`] with JIPDA), track logic ([`HistoryLogic`],
//! [`ScoreLogic`], [`ExistenceLogic`]), initiation ([`SinglePointInitiator`],
//! [`TwoPointInitiator`]) and extended objects ([`Extent`], [`cluster_detections`]).
//!
//! Conventions: costs are `f64`, `+inf` marks a forbidden pair, NaN is always an error.
//! Distances are Euclidean in the units of the inputs. Results are deterministic: no hash-map
//! order leaks into any output. Errors are [`TrackingError`].

mod assignment;
mod clustering;
mod dbscan;
mod error;
mod gating;
mod murty;

// The tracker's roles: public modules so that their documentation (the algorithms, the
// conventions, the Stone Soup mapping) is reachable; their items are re-exported below.
pub mod association;
pub mod extended;
pub mod gnn;
pub mod initiation;
pub mod jpda;
pub mod track;
pub mod track_filter;
pub mod track_logic;
pub mod tracker;

pub mod metrics;

pub use assignment::{Assignment, LinearAssignment, PartialAssignment};
pub use clustering::{Cluster, TrackClusters};
pub use dbscan::{Dbscan, ExtendedDetection, OrientedBox2};
pub use error::TrackingError;
pub use gating::{chi_square_gate, GatedPair, Gating};
pub use murty::{KBestAssignments, RankedAssignment};

pub use association::{AnyAssociator, AssociationInput, AssociationOutput, Associator};
pub use extended::{cluster_detections, wrap_half, Extent, ExtentSmoother};
pub use gnn::{Gnn, GnnCost};
pub use initiation::{
    AnyInitiator, DetectionPosition, FilterBuilder, Initiated, Initiator, NoInitiation,
    SinglePointInitiator, StateLayout, TwoPointInitiator,
};
pub use jpda::Jpda;
pub use track::{Track, TrackId};
pub use track_filter::{
    ExtendedTrack, ImmTrack, KalmanTrack, MeasurementPrediction, ModelTrack, TrackFilter,
    UnscentedTrack,
};
pub use track_logic::{
    AnyLogicState, AnyTrackLogic, ExistenceLogic, HistoryLogic, ScanEvidence, ScoreLogic,
    TrackHistory, TrackLogic, TrackScore, TrackStatus,
};
pub use tracker::{DeletedTrack, DeletionReason, ScanReport, Tracker};
