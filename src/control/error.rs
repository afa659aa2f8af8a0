//! The control module's error type.

use thiserror::Error;

/// Why a controller could not be built or a solve was rejected.
///
/// A rejected solve leaves the controller's warm start as it was.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ControlError {
    /// The horizon must contain at least one step.
    #[error("the horizon must be at least one step")]
    ZeroHorizon,
    /// A box bound has its lower limit above its upper limit, or a limit is NaN.
    #[error("action bound {index}: lower {lower} is not <= upper {upper}")]
    InvalidBounds {
        /// The action component.
        index: usize,
        /// The lower limit given.
        lower: f64,
        /// The upper limit given.
        upper: f64,
    },
    /// An input (state, action, reference, parameter) contained NaN or infinity.
    #[error("{what} is not finite (at index {index})")]
    NonFinite {
        /// Which input.
        what: &'static str,
        /// The stage or element where the first non-finite value was found.
        index: usize,
    },
    /// A sequence has the wrong length.
    #[error("{what} has length {found}, expected {expected}")]
    LengthMismatch {
        /// Which input.
        what: &'static str,
        /// The length needed.
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
    /// The rollout or the cost became NaN or infinite at the initial guess (the dynamics or a
    /// cost term is not defined there).
    #[error("the predicted {what} is not finite at stage {stage}")]
    Diverged {
        /// "state" or "cost".
        what: &'static str,
        /// The horizon stage where it happened.
        stage: usize,
    },
}

/// Returns the index of the first non-finite entry, if any.
pub(crate) fn first_non_finite<'a>(values: impl IntoIterator<Item = &'a f64>) -> Option<usize> {
    values.into_iter().position(|v| !v.is_finite())
}
