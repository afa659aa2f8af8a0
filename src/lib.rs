//! # Kestrel
//!
//! A toolkit for robot state estimation, tracking, mapping, planning and learned control.
//!
//! The library holds algorithms only. Simulated worlds, the scenario runner and the `kestrel`
//! command-line program live in the `kestrel-sims` crate; data flows one way:
//! scenario file -> simulated world and sensors -> these algorithms -> metrics + Rerun recording.
//!
//! Areas:
//! - [`geometry`]: angles, Gaussians (ellipses, Mahalanobis distance), rigid transforms.
//! - [`models`]: motion and measurement models shared by filters, trackers and controllers.
//! - [`control`]: dynamics with adjoints, composable costs, gradient-based shooting MPC.
//! - [`estimation`]: Kalman, extended and unscented Kalman filters, particle filters, IMM, smoothers.
//! - [`tracking`]: assignment, k-best assignments, gating, clustering, DBSCAN, OSPA/GOSPA/CLEAR MOT.
//! - [`mapping`]: occupancy grids (log-odds, ray casting), cost maps, distance transforms, map files.
//! - [`planning`]: grid A* and Dijkstra, A* on graphs.
//! - [`learning`] (feature `learning`): dfdx emulators and policies trained by back-propagation
//!   through time.
//! - [`viz`] (feature `viz`): conversions from library types to Rerun archetypes.
#![warn(missing_docs)]

pub mod control;
pub mod estimation;
pub mod geometry;
#[cfg(feature = "learning")]
pub mod learning;
pub mod mapping;
pub mod models;
pub mod planning;
pub mod tracking;

#[cfg(feature = "viz")]
pub mod viz;

/// The examples in README.md, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
