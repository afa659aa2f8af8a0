//! Gaussian helpers: Mahalanobis distance and covariance ellipses.

use nalgebra::{Matrix2, SMatrix, SVector, Vector2};

/// Squared Mahalanobis distance `d^2 = y^T S^-1 y`, computed through a Cholesky factor.
///
/// Returns `None` when `S` is not positive definite.
///
/// ```
/// use nalgebra::{Matrix2, Vector2};
/// use kestrel::geometry::mahalanobis_squared;
/// let d2 = mahalanobis_squared(&Vector2::new(2.0, 0.0), &Matrix2::new(4.0, 0.0, 0.0, 1.0)).unwrap();
/// assert!((d2 - 1.0).abs() < 1e-12);
/// ```
pub fn mahalanobis_squared<const D: usize>(
    y: &SVector<f64, D>,
    s: &SMatrix<f64, D, D>,
) -> Option<f64> {
    let chol = s.cholesky()?;
    let w = chol.l().solve_lower_triangular(y)?;
    Some(w.norm_squared())
}

/// An ellipse `{p : (p - c)^T P^-1 (p - c) = k^2}` described by its semi-axes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CovarianceEllipse {
    /// Centre of the ellipse.
    pub center: Vector2<f64>,
    /// Semi-axis lengths, major first: `k sqrt(lambda_max)`, `k sqrt(lambda_min)`.
    pub semi_axes: Vector2<f64>,
    /// Angle of the major axis from the x axis, radians.
    pub angle: f64,
}

impl CovarianceEllipse {
    /// Points on the ellipse outline (closed: the first point is repeated at the end).
    pub fn outline(&self, segments: usize) -> Vec<[f32; 2]> {
        let (s, c) = self.angle.sin_cos();
        (0..=segments)
            .map(|i| {
                let t = std::f64::consts::TAU * i as f64 / segments as f64;
                let (a, b) = (self.semi_axes.x * t.cos(), self.semi_axes.y * t.sin());
                [
                    (self.center.x + c * a - s * b) as f32,
                    (self.center.y + s * a + c * b) as f32,
                ]
            })
            .collect()
    }
}

/// The `n_sigma` ellipse of a 2-D Gaussian with mean `center` and covariance `cov`.
///
/// Semi-axes are `n_sigma sqrt(lambda_i)` for the eigenvalues of the (symmetrised) covariance.
/// Returns `None` for non-finite input or a negative eigenvalue.
///
/// ```
/// use nalgebra::{Matrix2, Vector2};
/// use kestrel::geometry::covariance_ellipse;
/// let e = covariance_ellipse(Vector2::zeros(), &Matrix2::new(4.0, 0.0, 0.0, 1.0), 2.0).unwrap();
/// assert!((e.semi_axes.x - 4.0).abs() < 1e-12 && (e.semi_axes.y - 2.0).abs() < 1e-12);
/// ```
pub fn covariance_ellipse(
    center: Vector2<f64>,
    cov: &Matrix2<f64>,
    n_sigma: f64,
) -> Option<CovarianceEllipse> {
    if !cov.iter().all(|v| v.is_finite()) || !center.iter().all(|v| v.is_finite()) {
        return None;
    }
    let (a, b, c) = (cov[(0, 0)], 0.5 * (cov[(0, 1)] + cov[(1, 0)]), cov[(1, 1)]);
    let mean = 0.5 * (a + c);
    let r = (0.25 * (a - c) * (a - c) + b * b).sqrt();
    let (l1, l2) = (mean + r, mean - r);
    if l2 < -1e-12 * l1.abs().max(1.0) {
        return None;
    }
    let angle = 0.5 * (2.0 * b).atan2(a - c);
    Some(CovarianceEllipse {
        center,
        semi_axes: Vector2::new(n_sigma * l1.max(0.0).sqrt(), n_sigma * l2.max(0.0).sqrt()),
        angle,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_ellipse_axes() {
        // covariance R diag(9, 1) R^T with R a 30 degree rotation
        let t = 30f64.to_radians();
        let r = Matrix2::new(t.cos(), -t.sin(), t.sin(), t.cos());
        let cov = r * Matrix2::new(9.0, 0.0, 0.0, 1.0) * r.transpose();
        let e = covariance_ellipse(Vector2::new(1.0, 2.0), &cov, 1.0).unwrap();
        assert!((e.semi_axes.x - 3.0).abs() < 1e-12);
        assert!((e.semi_axes.y - 1.0).abs() < 1e-12);
        assert!((e.angle - t).abs() < 1e-12);
    }
}
