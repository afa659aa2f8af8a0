use thiserror::Error;

/// Why a sampling-based planner refused a problem. "No path within the budget" is not an error:
/// it is a [`PlanResult`](super::PlanResult) whose `path` is `None`.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SamplingError {
    /// An input contained NaN or infinity.
    #[error("{what} is not finite")]
    NonFinite {
        /// Which input (for example "start").
        what: &'static str,
    },
    /// The sampling bounds are empty or inverted on some axis.
    #[error("bounds are empty on axis {axis}: lower {lower} is not below upper {upper}")]
    EmptyBounds {
        /// The first offending axis.
        axis: usize,
        /// Lower bound on that axis.
        lower: f64,
        /// Upper bound on that axis.
        upper: f64,
    },
    /// A state lies outside the sampling bounds.
    #[error(
        "{what} is outside the bounds on axis {axis} (value {value}, bounds [{lower}, {upper}])"
    )]
    OutOfBounds {
        /// Which state ("start" or "goal").
        what: &'static str,
        /// The first offending axis.
        axis: usize,
        /// The coordinate on that axis.
        value: f64,
        /// Lower bound on that axis.
        lower: f64,
        /// Upper bound on that axis.
        upper: f64,
    },
    /// The start state is in collision.
    #[error("start state is in collision")]
    StartInCollision,
    /// The goal state is in collision.
    #[error("goal state is in collision")]
    GoalInCollision,
    /// A parameter is outside its valid range.
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// Why it is invalid.
        reason: String,
    },
    /// The nearest-neighbour index refused a point (kiddo construction error).
    #[error("nearest-neighbour index: {0}")]
    NearestIndex(String),
}

pub(crate) fn invalid(name: &'static str, reason: impl Into<String>) -> SamplingError {
    SamplingError::InvalidParameter {
        name,
        reason: reason.into(),
    }
}
