use thiserror::Error;

/// Why a tracking building block (assignment, gating, clustering, metric) rejected its input.
///
/// Every function in [`crate::tracking`] validates what it is given and returns one of these
/// instead of panicking or producing NaN.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum TrackingError {
    /// A value is NaN or infinite where a finite number is required (NaN or `-inf` costs, a
    /// detection with a NaN coordinate, ...).
    #[error("{what} [{index}] is not finite")]
    NonFinite {
        /// Which input (for example "cost").
        what: &'static str,
        /// Flat index of the offending element: `row * ncols + col` for matrices, the item
        /// index for lists of points.
        index: usize,
    },
    /// A runtime-sized input has the wrong length.
    #[error("{what} has length {found}, expected {expected}")]
    DimensionMismatch {
        /// Which input.
        what: &'static str,
        /// The length required by the other arguments.
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// A parameter is outside its valid range.
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// Why it is invalid.
        reason: String,
    },
    /// No complete assignment with finite cost exists (too many forbidden pairs).
    #[error("the assignment problem is infeasible: no complete assignment has finite cost")]
    Infeasible,
    /// A covariance that must be symmetric positive definite is not.
    #[error("{what} [{index}] is not positive definite")]
    NotPositiveDefinite {
        /// Which matrix (for example "innovation covariance").
        what: &'static str,
        /// Index of the offending item (the track).
        index: usize,
    },
}
