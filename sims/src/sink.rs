//! Where a run's Rerun recording goes.

use anyhow::Context;
use rerun::{RecordingStream, RecordingStreamBuilder};
use std::path::PathBuf;

/// The destination of a recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sink {
    /// Write an `.rrd` file (the default: no viewer needed).
    Save(PathBuf),
    /// Start a Rerun viewer (`rerun` on PATH) and stream to it.
    Spawn,
    /// Stream to a running viewer at this gRPC URL.
    Connect(String),
    /// Record nothing.
    Disabled,
}

/// The default viewer URL of `rerun`.
pub const DEFAULT_CONNECT_URL: &str = "rerun+http://127.0.0.1:9876/proxy";

impl Sink {
    /// Opens a recording stream. `recording_id` makes the recording's identity reproducible.
    pub fn open(
        &self,
        application_id: &str,
        recording_id: &str,
    ) -> anyhow::Result<RecordingStream> {
        let app = rerun::ApplicationId::try_new(application_id)
            .map_err(|e| anyhow::anyhow!("invalid application id {application_id:?}: {e}"))?;
        let builder = RecordingStreamBuilder::new(app).recording_id(recording_id.to_string());
        Ok(match self {
            Sink::Save(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("cannot create {}", dir.display()))?;
                }
                builder
                    .save(path)
                    .with_context(|| format!("cannot write {}", path.display()))?
            }
            Sink::Spawn => builder.spawn().context(
                "cannot spawn the Rerun viewer (is `rerun` on PATH? pip install rerun-sdk==0.36.3)",
            )?,
            Sink::Connect(url) => builder
                .connect_grpc_opts(url.clone())
                .with_context(|| format!("cannot connect to a Rerun viewer at {url}"))?,
            Sink::Disabled => RecordingStream::disabled(),
        })
    }
}
