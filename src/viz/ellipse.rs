//! Covariance ellipses as closed line strips.

use crate::geometry::covariance_ellipse;
use nalgebra::{Matrix2, Vector2};
use rerun::{LineStrips2D, RecordingStream, RecordingStreamResult};

/// Number of segments of an ellipse outline.
const SEGMENTS: usize = 48;

/// The closed outline of the `n_sigma` ellipse of a 2-D Gaussian, or `None` when the covariance
/// is not finite or not positive semi-definite.
///
/// ```
/// use nalgebra::{Matrix2, Vector2};
/// let outline = kestrel::viz::covariance_outline(&Vector2::new(1.0, 0.0), &Matrix2::identity(), 2.0).unwrap();
/// assert!((outline[0][0] - 3.0).abs() < 1e-6 && outline[0][1].abs() < 1e-6);
/// ```
pub fn covariance_outline(
    mean: &Vector2<f64>,
    cov: &Matrix2<f64>,
    n_sigma: f64,
) -> Option<Vec<[f32; 2]>> {
    covariance_ellipse(*mean, cov, n_sigma).map(|e| e.outline(SEGMENTS))
}

/// Logs the `n_sigma` covariance ellipse of one Gaussian at `path` (nothing is logged when the
/// covariance is invalid; the path is cleared instead so a stale ellipse does not linger).
pub fn log_covariance_ellipse(
    rec: &RecordingStream,
    path: &str,
    mean: &Vector2<f64>,
    cov: &Matrix2<f64>,
    n_sigma: f64,
    color: [u8; 4],
) -> RecordingStreamResult<()> {
    log_covariance_ellipses(rec, path, std::iter::once((*mean, *cov)), n_sigma, color)
}

/// Logs the `n_sigma` covariance ellipses of several Gaussians as one entity at `path`.
pub fn log_covariance_ellipses(
    rec: &RecordingStream,
    path: &str,
    gaussians: impl IntoIterator<Item = (Vector2<f64>, Matrix2<f64>)>,
    n_sigma: f64,
    color: [u8; 4],
) -> RecordingStreamResult<()> {
    let strips: Vec<Vec<[f32; 2]>> = gaussians
        .into_iter()
        .filter_map(|(m, c)| covariance_outline(&m, &c, n_sigma))
        .collect();
    rec.log(
        path,
        &LineStrips2D::new(strips)
            .with_colors([color])
            .with_radii([rerun::Radius::new_ui_points(1.0)]),
    )
}
