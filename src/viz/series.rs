//! Time series (scalars) for metric plots.

use rerun::{RecordingStream, RecordingStreamResult, Scalars, SeriesLines};

/// Logs one value of a time series at the current time of `rec`.
pub fn log_scalar(rec: &RecordingStream, path: &str, value: f64) -> RecordingStreamResult<()> {
    if value.is_finite() {
        rec.log(path, &Scalars::single(value))
    } else {
        Ok(())
    }
}

/// Names and colours a time series once (static), so plots have a legend.
pub fn log_series_style(
    rec: &RecordingStream,
    path: &str,
    name: &str,
    color: [u8; 4],
) -> RecordingStreamResult<()> {
    rec.log_static(
        path,
        &SeriesLines::new()
            .with_names([name])
            .with_colors([color])
            .with_widths([1.5]),
    )
}
