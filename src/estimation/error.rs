use thiserror::Error;

/// Why an estimation step was rejected. The filter is left unchanged when this is returned.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum EstimationError {
    /// An input contained NaN or infinity.
    #[error("{what} is not finite")]
    NonFinite {
        /// Which input (for example "measurement").
        what: &'static str,
    },
    /// A matrix that must be symmetric positive definite is not (its Cholesky factorisation failed).
    #[error("{what} is not positive definite")]
    NotPositiveDefinite {
        /// Which matrix (for example "innovation covariance S").
        what: &'static str,
    },
    /// A runtime-sized input has the wrong dimension.
    #[error("{what} has dimension {found}, expected {expected}")]
    DimensionMismatch {
        /// Which input.
        what: &'static str,
        /// The dimension the filter needs.
        expected: usize,
        /// The dimension given.
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
    /// All particle weights or mode probabilities vanished (every hypothesis has zero likelihood).
    #[error("degenerate weights: {0}")]
    DegenerateWeights(&'static str),
}
