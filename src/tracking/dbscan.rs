//! DBSCAN (Ester, Kriegel, Sander and Xu 1996) for extended objects: point detections (lidar or
//! radar returns) grouped into one detection per object, with a centroid and an extent.
//!
//! Conventions follow scikit-learn's `DBSCAN`: the `eps`-neighbourhood of a point holds every
//! point at Euclidean distance `<= eps`, the point itself included; a point is a core point when
//! its neighbourhood has at least `min_samples` points; clusters are the connected components of
//! core points (linked when within `eps`) plus the non-core points within `eps` of one of their
//! core points (border points); everything else is noise. Clusters are numbered in the order of
//! their first core point, and a border point within reach of several clusters joins the one
//! expanded first, as scikit-learn does.

use kiddo::{ImmutableKdTree, SquaredEuclidean};
use nalgebra::{Matrix2, SMatrix, SVector, Vector2};

use super::TrackingError;

/// The detection of one extended object: summary of the points of a DBSCAN cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtendedDetection<const K: usize> {
    /// Mean of the cluster's points.
    pub centroid: SVector<f64, K>,
    /// Sample covariance of the points (divided by `n - 1`; zero for a single point).
    pub covariance: SMatrix<f64, K, K>,
    /// Axis-aligned bounding box: smallest coordinates.
    pub min: SVector<f64, K>,
    /// Axis-aligned bounding box: largest coordinates.
    pub max: SVector<f64, K>,
    /// Number of points in the cluster (core and border).
    pub n_points: usize,
}

/// A rectangle in the plane with arbitrary orientation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrientedBox2 {
    /// Centre of the rectangle (not the centroid of the points).
    pub center: Vector2<f64>,
    /// Half lengths along the box's own x and y axes, `half_extents.x >= half_extents.y`.
    pub half_extents: Vector2<f64>,
    /// Angle of the box's x axis from the frame's x axis, radians in `(-pi/2, pi/2]`.
    pub angle: f64,
}

/// DBSCAN over `K`-dimensional points with a kiddo kd-tree; buffers reused between calls.
///
/// # Errors
/// [`TrackingError::InvalidParameter`] unless `eps` is finite and positive and
/// `min_samples >= 1`, or if there are more than `u32::MAX` points;
/// [`TrackingError::NonFinite`] for a point with a NaN or infinite coordinate.
///
/// # Complexity
/// One kd-tree build (`O(n log n)`) and at most two radius queries per point (one to count the
/// neighbourhood, one to expand it if the point is core); memory `O(n)`, neighbour lists are
/// never stored. Dense blobs make each query return many points, as in every DBSCAN.
/// Label and flag buffers are reused; the kd-tree is rebuilt (allocated) per call.
///
/// # Example
/// ```
/// use nalgebra::Vector2;
/// use kestrel::tracking::Dbscan;
/// let pts = [
///     Vector2::new(0.0, 0.0), Vector2::new(0.5, 0.0), Vector2::new(0.0, 0.5),
///     Vector2::new(10.0, 10.0), Vector2::new(10.4, 10.0), Vector2::new(10.0, 10.4),
///     Vector2::new(50.0, 0.0),
/// ];
/// let mut db = Dbscan::<2>::new(1.0, 3).unwrap();
/// let labels = db.fit(&pts).unwrap().to_vec();
/// assert_eq!(labels, vec![Some(0), Some(0), Some(0), Some(1), Some(1), Some(1), None]);
/// let objects = db.detections(&pts);
/// assert_eq!(objects.len(), 2);
/// assert!((objects[1].centroid - Vector2::new(10.4 / 3.0 + 20.0 / 3.0, 10.4 / 3.0 + 20.0 / 3.0)).norm() < 1e-12);
/// ```
#[derive(Debug, Clone)]
pub struct Dbscan<const K: usize> {
    eps: f64,
    min_samples: usize,
    points: Vec<[f64; K]>,
    labels: Vec<Option<usize>>,
    core: Vec<bool>,
    stack: Vec<usize>,
    n_clusters: usize,
}

impl<const K: usize> Dbscan<K> {
    /// DBSCAN with neighbourhood radius `eps` (units of the points) and `min_samples`.
    pub fn new(eps: f64, min_samples: usize) -> Result<Self, TrackingError> {
        if !(eps.is_finite() && eps > 0.0) {
            return Err(TrackingError::InvalidParameter {
                name: "eps",
                reason: format!("must be finite and positive, got {eps}"),
            });
        }
        if min_samples == 0 {
            return Err(TrackingError::InvalidParameter {
                name: "min_samples",
                reason: "must be at least 1".into(),
            });
        }
        Ok(Self {
            eps,
            min_samples,
            points: Vec::new(),
            labels: Vec::new(),
            core: Vec::new(),
            stack: Vec::new(),
            n_clusters: 0,
        })
    }

    /// Clusters `points`; returns each point's cluster (`None`: noise).
    pub fn fit(&mut self, points: &[SVector<f64, K>]) -> Result<&[Option<usize>], TrackingError> {
        if let Some(index) = points.iter().position(|p| !p.iter().all(|v| v.is_finite())) {
            return Err(TrackingError::NonFinite {
                what: "point",
                index,
            });
        }
        if u32::try_from(points.len()).is_err() {
            return Err(TrackingError::InvalidParameter {
                name: "points",
                reason: format!("{} points exceed the kd-tree's u32 item ids", points.len()),
            });
        }
        let n = points.len();
        self.labels.clear();
        self.labels.resize(n, None);
        self.core.clear();
        self.core.resize(n, false);
        self.n_clusters = 0;
        if n == 0 {
            return Ok(&self.labels);
        }
        self.points.clear();
        self.points
            .extend(points.iter().map(|p| std::array::from_fn(|k| p[k])));
        let tree = ImmutableKdTree::<f64, K>::new_from_slice(&self.points).map_err(|e| {
            TrackingError::InvalidParameter {
                name: "points",
                reason: format!("kd-tree construction failed: {e:?}"),
            }
        })?;
        let eps2 = self.eps * self.eps;
        for (i, q) in self.points.iter().enumerate() {
            let mut count = 0usize;
            tree.query(q)
                .within::<SquaredEuclidean<f64>>(eps2)
                .unsorted()
                .visit(|_| count += 1);
            self.core[i] = count >= self.min_samples;
        }
        // Expand clusters from core points in index order (depth-first, as scikit-learn).
        for i in 0..n {
            if self.labels[i].is_some() || !self.core[i] {
                continue;
            }
            let label = self.n_clusters;
            self.n_clusters += 1;
            self.stack.clear();
            self.stack.push(i);
            while let Some(p) = self.stack.pop() {
                if self.labels[p].is_some() {
                    continue;
                }
                self.labels[p] = Some(label);
                if !self.core[p] {
                    continue;
                }
                let (labels, stack) = (&self.labels, &mut self.stack);
                tree.query(&self.points[p])
                    .within::<SquaredEuclidean<f64>>(eps2)
                    .unsorted()
                    .visit(|r| {
                        let v = r.item as usize;
                        if labels[v].is_none() {
                            stack.push(v);
                        }
                    });
            }
        }
        Ok(&self.labels)
    }

    /// Labels of the last [`Dbscan::fit`].
    pub fn labels(&self) -> &[Option<usize>] {
        &self.labels
    }

    /// Core-point flags of the last [`Dbscan::fit`].
    pub fn core_points(&self) -> &[bool] {
        &self.core
    }

    /// Number of clusters found by the last [`Dbscan::fit`].
    pub fn n_clusters(&self) -> usize {
        self.n_clusters
    }

    /// One [`ExtendedDetection`] per cluster of the last [`Dbscan::fit`], in label order.
    /// `points` must be the slice given to `fit` (points beyond the labels are ignored).
    pub fn detections(&self, points: &[SVector<f64, K>]) -> Vec<ExtendedDetection<K>> {
        let mut out: Vec<ExtendedDetection<K>> = (0..self.n_clusters)
            .map(|_| ExtendedDetection {
                centroid: SVector::zeros(),
                covariance: SMatrix::zeros(),
                min: SVector::repeat(f64::INFINITY),
                max: SVector::repeat(f64::NEG_INFINITY),
                n_points: 0,
            })
            .collect();
        for (p, label) in points.iter().zip(&self.labels) {
            if let Some(l) = *label {
                let d = &mut out[l];
                d.centroid += p;
                d.n_points += 1;
                d.min = d.min.inf(p);
                d.max = d.max.sup(p);
            }
        }
        for d in &mut out {
            d.centroid /= d.n_points as f64;
        }
        for (p, label) in points.iter().zip(&self.labels) {
            if let Some(l) = *label {
                let r = p - out[l].centroid;
                out[l].covariance += r * r.transpose();
            }
        }
        for d in &mut out {
            if d.n_points > 1 {
                d.covariance /= (d.n_points - 1) as f64;
            }
        }
        out
    }
}

impl Dbscan<2> {
    /// The oriented bounding box of each cluster of the last [`Dbscan::fit`], aligned with the
    /// principal axes of the cluster's covariance (its major axis along the box's x axis).
    /// `points` must be the slice given to `fit`.
    ///
    /// ```
    /// use nalgebra::Vector2;
    /// use kestrel::tracking::Dbscan;
    /// // a 4 x 1 rectangle of points rotated by 30 degrees
    /// let (s, c) = 30f64.to_radians().sin_cos();
    /// let pts: Vec<Vector2<f64>> = (0..=8).flat_map(|i| (0..=2).map(move |j| {
    ///     let (x, y) = (i as f64 * 0.5 - 2.0, j as f64 * 0.5 - 0.5);
    ///     Vector2::new(5.0 + c * x - s * y, 1.0 + s * x + c * y)
    /// })).collect();
    /// let mut db = Dbscan::<2>::new(0.6, 2).unwrap();
    /// db.fit(&pts).unwrap();
    /// let b = db.oriented_boxes(&pts)[0];
    /// assert!((b.angle - 30f64.to_radians()).abs() < 1e-9);
    /// assert!((b.half_extents - Vector2::new(2.0, 0.5)).norm() < 1e-9);
    /// assert!((b.center - Vector2::new(5.0, 1.0)).norm() < 1e-9);
    /// ```
    pub fn oriented_boxes(&self, points: &[Vector2<f64>]) -> Vec<OrientedBox2> {
        self.detections(points)
            .iter()
            .enumerate()
            .map(|(l, d)| {
                let angle = principal_angle(&d.covariance);
                let (s, c) = angle.sin_cos();
                let mut lo = Vector2::repeat(f64::INFINITY);
                let mut hi = Vector2::repeat(f64::NEG_INFINITY);
                for (p, _) in points
                    .iter()
                    .zip(&self.labels)
                    .filter(|(_, lab)| **lab == Some(l))
                {
                    let r = p - d.centroid;
                    let local = Vector2::new(c * r.x + s * r.y, -s * r.x + c * r.y);
                    lo = lo.inf(&local);
                    hi = hi.sup(&local);
                }
                let mid = 0.5 * (lo + hi);
                OrientedBox2 {
                    center: d.centroid + Vector2::new(c * mid.x - s * mid.y, s * mid.x + c * mid.y),
                    half_extents: 0.5 * (hi - lo),
                    angle,
                }
            })
            .collect()
    }
}

/// Angle of the major principal axis of a 2x2 covariance, in `(-pi/2, pi/2]`.
fn principal_angle(cov: &Matrix2<f64>) -> f64 {
    let (a, b, c) = (cov[(0, 0)], 0.5 * (cov[(0, 1)] + cov[(1, 0)]), cov[(1, 1)]);
    let angle = 0.5 * (2.0 * b).atan2(a - c);
    if angle <= -std::f64::consts::FRAC_PI_2 {
        angle + std::f64::consts::PI
    } else {
        angle
    }
}
