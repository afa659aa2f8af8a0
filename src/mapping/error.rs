use thiserror::Error;

/// Why a mapping operation was rejected. The map is left unchanged when this is returned.
#[derive(Debug, Error)]
pub enum MappingError {
    /// An input contained NaN or infinity where a finite value is required.
    #[error("{what} is not finite")]
    NonFinite {
        /// Which input (for example "sensor pose").
        what: &'static str,
    },
    /// A parameter is outside its valid range.
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// Why it is invalid.
        reason: String,
    },
    /// A runtime-sized input has the wrong length.
    #[error("{what} has length {found}, expected {expected}")]
    DimensionMismatch {
        /// Which input.
        what: &'static str,
        /// The length the map needs.
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// Growing the map to contain a point would exceed the configured cell limit.
    #[error("growing the map to {needed} cells would exceed the limit of {limit} cells")]
    GrowthLimit {
        /// Cells the grown map would need.
        needed: usize,
        /// The limit set in [`Bounds::Growable`](crate::mapping::Bounds::Growable).
        limit: usize,
    },
    /// A map or scenario file is malformed. Lines and columns count from 1; for binary image
    /// data `line` is 0 and `column` is the byte offset (from 1).
    #[error("{source_name}:{line}:{column}: {message}")]
    Parse {
        /// The file name (or a description of the input).
        source_name: String,
        /// Line of the error, from 1 (0 inside binary data).
        line: usize,
        /// Column of the error, from 1 (byte offset from 1 inside binary data).
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },
}

impl MappingError {
    pub(crate) fn parse(
        source_name: &str,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> Self {
        MappingError::Parse {
            source_name: source_name.to_string(),
            line,
            column,
            message: message.into(),
        }
    }

    pub(crate) fn invalid(name: &'static str, reason: impl Into<String>) -> Self {
        MappingError::InvalidParameter {
            name,
            reason: reason.into(),
        }
    }

    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        MappingError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}
