//! Scenario files: TOML with a `[scenario]` header whose `kind` selects a typed configuration.
//!
//! ```toml
//! [scenario]
//! kind = "pendulum"
//! description = "One line shown by `kestrel list`"
//! seed = 1
//!
//! [pendulum]        # sections owned by the scenario kind
//! length_m = 1.0
//! ```
//!
//! Loading is two-phase so that every error points at the file, the line and the field:
//! the header is read leniently to learn the kind, then the whole text is deserialised directly
//! into that kind's configuration struct (all structs use `deny_unknown_fields`, so a misspelt key
//! is an error, never silently ignored). Semantic checks (a negative standard deviation, say) run
//! after parsing and name the field; [`locate_key`] finds its line.

mod error;
mod locate;

pub use error::ScenarioError;
pub use locate::locate_key;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The `[scenario]` table every scenario file starts with.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// Which scenario type this file configures (for example `"pendulum"`).
    pub kind: String,
    /// A one-line description shown by `kestrel list`.
    pub description: String,
    /// The seed used when `--seed` is not given.
    #[serde(default)]
    pub seed: u64,
    /// The run name used for output files; defaults to the file stem.
    #[serde(default)]
    pub name: Option<String>,
}

/// Only the header, for the first, lenient pass.
#[derive(Deserialize)]
struct HeaderOnly {
    scenario: Header,
}

/// A scenario file's text and where it came from.
#[derive(Debug, Clone)]
pub struct Source {
    /// The path the text was read from.
    pub path: PathBuf,
    /// The whole file.
    pub text: String,
}

impl Source {
    /// Reads a scenario file.
    pub fn read(path: &Path) -> Result<Self, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Ok(Self {
            path: path.to_path_buf(),
            text,
        })
    }

    /// Reads the header only (used to dispatch on `kind` and by `kestrel list`).
    pub fn header(&self) -> Result<Header, ScenarioError> {
        toml::from_str::<HeaderOnly>(&self.text)
            .map(|h| h.scenario)
            .map_err(|e| self.parse_error(e))
    }

    /// Deserialises the whole file into a kind's configuration type.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, ScenarioError> {
        toml::from_str::<T>(&self.text).map_err(|e| self.parse_error(e))
    }

    /// The default run name: the header's `name`, else the file stem.
    pub fn run_name(&self, header: &Header) -> String {
        header.name.clone().unwrap_or_else(|| {
            self.path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "scenario".to_string())
        })
    }

    fn parse_error(&self, e: toml::de::Error) -> ScenarioError {
        let (line, column) = e
            .span()
            .map(|span| line_column(&self.text, span.start))
            .unwrap_or((0, 0));
        ScenarioError::Parse {
            path: self.path.clone(),
            line,
            column,
            message: e.message().to_string(),
        }
    }

    /// An error for a field that parsed but holds an invalid value; `field` is a dotted path
    /// such as `"sensor.angle_std_rad"` or `"cases.1.initial_angle_rad"`.
    pub fn invalid(&self, field: &str, reason: impl Into<String>) -> ScenarioError {
        ScenarioError::Invalid {
            path: self.path.clone(),
            line: locate_key(&self.text, field),
            field: field.to_string(),
            reason: reason.into(),
        }
    }
}

/// 1-based line and column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(offset, |i| offset - i - 1) + 1;
    (line, column)
}

/// Collects semantic checks of a configuration; each failed check names its field.
pub struct Checks<'a> {
    source: &'a Source,
    first: Option<ScenarioError>,
}

impl<'a> Checks<'a> {
    /// Starts checking the configuration read from `source`.
    pub fn new(source: &'a Source) -> Self {
        Self {
            source,
            first: None,
        }
    }

    /// Records an error for `field` unless `ok` holds.
    pub fn require(&mut self, ok: bool, field: &str, reason: &str) -> &mut Self {
        if !ok && self.first.is_none() {
            self.first = Some(self.source.invalid(field, reason));
        }
        self
    }

    /// `value` must be finite and strictly positive.
    pub fn positive(&mut self, value: f64, field: &str) -> &mut Self {
        self.require(
            value.is_finite() && value > 0.0,
            field,
            "must be a finite number > 0",
        )
    }

    /// `value` must be finite and not negative.
    pub fn non_negative(&mut self, value: f64, field: &str) -> &mut Self {
        self.require(
            value.is_finite() && value >= 0.0,
            field,
            "must be a finite number >= 0",
        )
    }

    /// `value` must be finite.
    pub fn finite(&mut self, value: f64, field: &str) -> &mut Self {
        self.require(value.is_finite(), field, "must be a finite number")
    }

    /// `value` must lie in `[lo, hi]`.
    pub fn within(&mut self, value: f64, lo: f64, hi: f64, field: &str) -> &mut Self {
        let ok = value.is_finite() && value >= lo && value <= hi;
        self.require(ok, field, &format!("must lie in [{lo}, {hi}]"))
    }

    /// The first failed check, if any.
    pub fn finish(&mut self) -> Result<(), ScenarioError> {
        match self.first.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Demo {
        scenario: Header,
        world: World,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct World {
        size_m: f64,
    }

    fn source(text: &str) -> Source {
        Source {
            path: PathBuf::from("demo.toml"),
            text: text.to_string(),
        }
    }

    #[test]
    fn unknown_key_names_line_and_field() {
        let s = source("[scenario]\nkind = \"demo\"\ndescription = \"d\"\n\n[world]\nsize_m = 1.0\nsizee_m = 2.0\n");
        assert_eq!(s.header().unwrap().kind, "demo");
        let err = s.parse::<Demo>().unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("demo.toml:7"), "{msg}");
        assert!(msg.contains("sizee_m"), "{msg}");
    }

    #[test]
    fn wrong_type_names_line() {
        let s =
            source("[scenario]\nkind = \"demo\"\ndescription = \"d\"\n[world]\nsize_m = \"big\"\n");
        let msg = s.parse::<Demo>().unwrap_err().to_string();
        assert!(msg.contains("demo.toml:5"), "{msg}");
    }

    #[test]
    fn invalid_value_is_located() {
        let s =
            source("[scenario]\nkind = \"demo\"\ndescription = \"d\"\n[world]\nsize_m = -1.0\n");
        let cfg: Demo = s.parse().unwrap();
        let err = Checks::new(&s)
            .positive(cfg.world.size_m, "world.size_m")
            .finish()
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("demo.toml:5") && msg.contains("world.size_m"),
            "{msg}"
        );
    }
}
