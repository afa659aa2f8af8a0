//! Extended objects: tracks that carry a smoothed bounding box.
//!
//! Point returns of an extended object (lidar, radar) are grouped by [`Dbscan`]; each cluster
//! gives one detection (its centroid, tracked as a point) and one measured box. A track keeps an
//! [`Extent`] (half lengths along its own axes and an orientation) smoothed over time by
//! exponential smoothing:
//!
//! ```text
//! h     <- h + a (h_meas - h)                    half extents (m)
//! theta <- theta + a wrap_half(theta_meas - theta)   orientation, defined modulo pi
//! ```
//!
//! with `a = alpha` for a hard assignment and `a = alpha (1 - beta_0)` under JPDA, where the
//! measured box is then the association-weighted mean of the gated detections' boxes
//! (orientations averaged on the doubled-angle circle). `wrap_half` wraps to `[-pi/2, pi/2)`.
//! Boxes are major axis first (`half_extents.x >= half_extents.y`), as [`Dbscan::oriented_boxes`]
//! returns them.

use nalgebra::Vector2;

use super::{Dbscan, ExtendedDetection, OrientedBox2, TrackingError};

/// The size and orientation of an object: a rectangle of half lengths `half_extents` (its own
/// x and y axes, metres) turned by `angle` (radians, modulo pi) from the frame's x axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Extent {
    /// Half lengths along the box's own axes.
    pub half_extents: Vector2<f64>,
    /// Orientation of the box's x axis, radians in `[-pi/2, pi/2)`.
    pub angle: f64,
}

impl Extent {
    /// The extent of an oriented box (its centre is not part of the extent).
    pub fn from_oriented_box(b: &OrientedBox2) -> Self {
        Self {
            half_extents: b.half_extents,
            angle: wrap_half(b.angle),
        }
    }

    /// The axis-aligned extent of a cluster (`angle = 0`).
    pub fn from_axis_aligned(d: &ExtendedDetection<2>) -> Self {
        Self {
            half_extents: (d.max - d.min) * 0.5,
            angle: 0.0,
        }
    }

    /// Whether the half extents and angle are finite and the half extents non-negative.
    pub fn is_valid(&self) -> bool {
        self.angle.is_finite() && self.half_extents.iter().all(|h| h.is_finite() && *h >= 0.0)
    }

    /// The four corners of the box centred at `center`, counter-clockwise.
    pub fn corners(&self, center: &Vector2<f64>) -> [Vector2<f64>; 4] {
        let (s, c) = self.angle.sin_cos();
        let (hx, hy) = (self.half_extents.x, self.half_extents.y);
        [(hx, hy), (-hx, hy), (-hx, -hy), (hx, -hy)]
            .map(|(x, y)| center + Vector2::new(c * x - s * y, s * x + c * y))
    }
}

/// Wraps an angle to `[-pi/2, pi/2)` (orientations of boxes are defined modulo pi).
pub fn wrap_half(angle: f64) -> f64 {
    use std::f64::consts::{FRAC_PI_2, PI};
    let a = (angle + FRAC_PI_2).rem_euclid(PI) - FRAC_PI_2;
    if a >= FRAC_PI_2 {
        a - PI
    } else {
        a
    }
}

/// Exponential smoothing of track extents. See the [module docs](self).
///
/// ```
/// use nalgebra::Vector2;
/// use kestrel::tracking::{Extent, ExtentSmoother};
/// let smoother = ExtentSmoother::new(0.5).unwrap();
/// let mut e = Extent { half_extents: Vector2::new(2.0, 1.0), angle: 1.5 };
/// // a box measured at -1.3 rad is pi - 2.8 = 0.34 rad away modulo pi: half of that is added
/// smoother.update(&mut e, &Extent { half_extents: Vector2::new(4.0, 1.0), angle: -1.3 }, 1.0);
/// assert_eq!(e.half_extents, Vector2::new(3.0, 1.0));
/// assert!((e.angle - (0.1 - std::f64::consts::FRAC_PI_2)).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExtentSmoother {
    alpha: f64,
}

impl ExtentSmoother {
    /// Smoothing with gain `alpha` in `(0, 1]` (1: take each measured box as it is).
    ///
    /// # Errors
    /// [`TrackingError::InvalidParameter`] otherwise.
    pub fn new(alpha: f64) -> Result<Self, TrackingError> {
        if !(alpha > 0.0 && alpha <= 1.0) {
            return Err(TrackingError::InvalidParameter {
                name: "extent smoothing gain",
                reason: format!("must be in (0, 1], got {alpha}"),
            });
        }
        Ok(Self { alpha })
    }

    /// The gain `alpha`.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// Moves `extent` towards `measured` with gain `alpha x weight` (`weight` in `[0, 1]`, the
    /// association probability). Invalid measured extents are ignored.
    pub fn update(&self, extent: &mut Extent, measured: &Extent, weight: f64) {
        if !measured.is_valid() || weight.is_nan() || weight <= 0.0 {
            return;
        }
        let a = self.alpha * weight.min(1.0);
        extent.half_extents += (measured.half_extents - extent.half_extents) * a;
        extent.angle = wrap_half(extent.angle + a * wrap_half(measured.angle - extent.angle));
    }

    /// The association-weighted mean of several measured extents (orientations averaged on the
    /// doubled-angle circle); `None` if no weight is positive.
    pub fn weighted_mean(extents: impl IntoIterator<Item = (Extent, f64)>) -> Option<Extent> {
        let (mut h, mut s, mut c, mut total) = (Vector2::zeros(), 0.0, 0.0, 0.0);
        for (e, w) in extents {
            if w.is_nan() || w <= 0.0 || !e.is_valid() {
                continue;
            }
            h += e.half_extents * w;
            s += w * (2.0 * e.angle).sin();
            c += w * (2.0 * e.angle).cos();
            total += w;
        }
        (total > 0.0).then(|| Extent {
            half_extents: h / total,
            angle: wrap_half(0.5 * s.atan2(c)),
        })
    }
}

/// The detections of extended objects from a DBSCAN run: the centroid of each cluster (the
/// point the tracker tracks) and its oriented box, in label order. `points` must be the slice
/// given to [`Dbscan::fit`]. The output buffers are cleared first.
///
/// ```
/// use nalgebra::Vector2;
/// use kestrel::tracking::{cluster_detections, Dbscan};
/// let pts: Vec<Vector2<f64>> = (0..10).map(|i| Vector2::new(10.0 + 0.4 * i as f64, 5.0)).collect();
/// let mut db = Dbscan::<2>::new(0.5, 2).unwrap();
/// db.fit(&pts).unwrap();
/// let (mut z, mut boxes) = (Vec::new(), Vec::new());
/// cluster_detections(&db, &pts, &mut z, &mut boxes);
/// assert!((z[0] - Vector2::new(11.8, 5.0)).norm() < 1e-12);
/// assert!((boxes[0].half_extents.x - 1.8).abs() < 1e-12 && boxes[0].angle.abs() < 1e-12);
/// ```
pub fn cluster_detections(
    dbscan: &Dbscan<2>,
    points: &[Vector2<f64>],
    centroids: &mut Vec<Vector2<f64>>,
    extents: &mut Vec<Extent>,
) {
    centroids.clear();
    extents.clear();
    let detections = dbscan.detections(points);
    let boxes = dbscan.oriented_boxes(points);
    for (d, b) in detections.iter().zip(&boxes) {
        centroids.push(d.centroid);
        extents.push(Extent::from_oriented_box(b));
    }
}
