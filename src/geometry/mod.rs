//! Geometry shared by every area: angle wrapping, Gaussian helpers.

mod angle;
mod gaussian;
mod shapes;

pub use angle::{angle_diff, circular_mean, wrap_angle};
pub use gaussian::{covariance_ellipse, mahalanobis_squared, CovarianceEllipse};
pub use shapes::{
    segment_point_distance_squared, segments_intersect, Aabb, Circle, Polygon, ShapeError,
};
