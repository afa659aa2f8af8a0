//! Geometry shared by every area: angle wrapping, Gaussian helpers.

mod angle;
mod gaussian;

pub use angle::{angle_diff, circular_mean, wrap_angle};
pub use gaussian::{covariance_ellipse, mahalanobis_squared, CovarianceEllipse};
