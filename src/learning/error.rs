//! The learning module's error type.

use std::path::PathBuf;

use thiserror::Error;

/// Why a network could not be built, trained, run, saved or loaded.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum LearningError {
    /// A parameter is outside its valid range.
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// Why it is invalid.
        reason: String,
    },
    /// An input (state, action, sample, statistic) contained NaN or infinity.
    #[error("{what} is not finite (first bad value at index {index})")]
    NonFinite {
        /// Which input.
        what: &'static str,
        /// The sample or element where the first non-finite value was found.
        index: usize,
    },
    /// A data set or batch has the wrong size.
    #[error("{what} has {found} entries, expected {expected}")]
    LengthMismatch {
        /// Which input.
        what: &'static str,
        /// The size needed.
        expected: usize,
        /// The size given.
        found: usize,
    },
    /// Training produced a non-finite loss or gradient (learning rate too high, or the
    /// unrolled model left the region where it is defined).
    #[error("training diverged at iteration {iteration}: {what} is not finite")]
    Diverged {
        /// "loss" or "gradient".
        what: &'static str,
        /// The iteration.
        iteration: usize,
    },
    /// The weights file could not be read or written.
    #[error("{}: {message}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's message.
        message: String,
    },
    /// The weights file is not a valid safetensors file (truncated, corrupt header, bad JSON).
    #[error("{}: not a valid safetensors file: {message}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What the parser reported.
        message: String,
    },
    /// The file is a safetensors file but holds another kind of model (its metadata says so).
    #[error("{}: holds a {found:?} model, expected {expected:?}", path.display())]
    WrongModel {
        /// The file.
        path: PathBuf,
        /// The model kind wanted.
        expected: String,
        /// The model kind found in the file's metadata (empty when it has none).
        found: String,
    },
    /// A tensor is missing from the file.
    #[error("{}: tensor {name:?} is missing", path.display())]
    MissingTensor {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        name: String,
    },
    /// A tensor in the file has the wrong shape or element type for this network.
    #[error("{0}")]
    WrongShape(Box<ShapeMismatch>),
    /// A tensor in the file holds NaN or infinite values.
    #[error("{}: tensor {name:?} holds non-finite values", path.display())]
    NonFiniteWeights {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        name: String,
    },
    /// The tensor back end failed (out of memory).
    #[error("tensor back end: {0}")]
    Device(String),
}

/// The details of [`LearningError::WrongShape`].
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{}: tensor {name:?} has shape {found:?} ({dtype}), expected {expected:?} ({expected_dtype})", path.display())]
pub struct ShapeMismatch {
    /// The file.
    pub path: PathBuf,
    /// The tensor's name.
    pub name: String,
    /// The shape the network needs.
    pub expected: Vec<usize>,
    /// The shape in the file.
    pub found: Vec<usize>,
    /// The element type (or the fault) in the file.
    pub dtype: String,
    /// The element type the network needs.
    pub expected_dtype: String,
}

impl LearningError {
    pub(crate) fn device(e: impl std::fmt::Debug) -> Self {
        LearningError::Device(format!("{e:?}"))
    }
}

/// The index of the first non-finite value, if any.
pub(crate) fn first_non_finite<'a>(values: impl IntoIterator<Item = &'a f64>) -> Option<usize> {
    values.into_iter().position(|v| !v.is_finite())
}
