//! State estimation: Kalman, extended and unscented Kalman filters, particle filters, IMM and
//! smoothers.
//!
//! Filters are types that hold their estimate and take models by reference:
//! `filter.predict(&motion, dt)?` then `filter.update(&measurement, &z)?`. A rejected update
//! (non-finite measurement, failed factorisation) returns an [`EstimationError`] and leaves the
//! filter exactly as it was, ready for the next step.

mod batch;
mod dynamic;
mod error;
mod extended;
pub mod imm;
mod innovation;
mod kalman;
mod kalman_step;
pub mod particle;
mod rts;
mod sigma_points;
pub(crate) mod small_linalg;
mod unscented;

pub use batch::{BatchError, FilterRun, FilterStep};
pub use dynamic::{DynamicInnovation, DynamicKalmanFilter};
pub use error::EstimationError;
pub use extended::ExtendedKalmanFilter;
pub use imm::{
    embed, BoxedMode, EmbeddedMode, Embedding, ImmEstimator, ImmMode, MixingFill, Mode, ModeFilter,
};
pub use innovation::Innovation;
pub use kalman::KalmanFilter;
pub use particle::{KldSampling, ParticleFilter, ResamplingScheme};
pub use rts::{rts_smooth, rts_smoother, SmoothedStep};
pub use sigma_points::{SigmaPoints, SigmaView};
pub use unscented::{AngleWrap, UnscentedFunctions, UnscentedKalmanFilter};
