use std::path::PathBuf;
use thiserror::Error;

/// A scenario file that cannot be used. Every variant names the file; parse and value errors
/// name the line and the field too.
#[derive(Debug, Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{}: cannot read: {message}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's message.
        message: String,
    },
    /// The TOML is malformed, a key is unknown or a value has the wrong type.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line (0 when unknown).
        line: usize,
        /// 1-based column (0 when unknown).
        column: usize,
        /// What is wrong, as the parser says it (names the field).
        message: String,
    },
    /// A field parsed but its value is not allowed.
    #[error("{}:{}: field `{field}` {reason}", path.display(), line.map_or("?".to_string(), |l| l.to_string()))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line of the field, when it could be found.
        line: Option<usize>,
        /// Dotted path of the field.
        field: String,
        /// Why the value is not allowed.
        reason: String,
    },
    /// The `kind` in the header is not a known scenario type.
    #[error("{}: unknown scenario kind `{kind}` (known kinds: {known})", path.display())]
    UnknownKind {
        /// The file.
        path: PathBuf,
        /// The kind given.
        kind: String,
        /// The kinds this program knows, comma separated.
        known: String,
    },
}
