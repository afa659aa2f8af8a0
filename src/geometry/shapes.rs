//! Planar shapes for collision checking: circles, axis-aligned boxes and simple polygons.
//!
//! Every shape is a *closed* set: a point on the boundary counts as inside, and a segment that only
//! touches the boundary counts as intersecting. Collision checkers built on these therefore treat
//! grazing contact as a collision, which is the conservative choice for a planner.
//!
//! All tests are exact closed-form predicates in `f64` (no sampling along segments):
//! - circle: the squared distance from the centre to the segment is compared with `r^2`;
//! - box: Liang-Barsky clipping of the segment against the four slabs;
//! - polygon: an endpoint inside (even-odd rule) or an edge crossing (orientation predicates).
//!
//! Costs: circle and box tests are O(1); polygon tests are O(n) in the vertex count.

use nalgebra::Point2;
use thiserror::Error;

/// Why a shape could not be built.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ShapeError {
    /// A coordinate or radius is NaN or infinite.
    #[error("{what} is not finite")]
    NonFinite {
        /// Which input.
        what: &'static str,
    },
    /// A circle radius that is zero or negative.
    #[error("circle radius must be positive, got {0}")]
    NonPositiveRadius(f64),
    /// A box whose minimum corner is not below its maximum corner on some axis.
    #[error("box minimum {min:?} is not below maximum {max:?}")]
    EmptyBox {
        /// The given minimum corner.
        min: [f64; 2],
        /// The given maximum corner.
        max: [f64; 2],
    },
    /// A polygon with fewer than three vertices.
    #[error("a polygon needs at least 3 vertices, got {0}")]
    TooFewVertices(usize),
    /// A polygon whose area rounds to zero.
    #[error("polygon has zero area")]
    Degenerate,
    /// Two non-adjacent polygon edges cross, so the polygon is not simple.
    #[error("polygon edges {0} and {1} intersect: the polygon is not simple")]
    SelfIntersecting(usize, usize),
}

fn finite(p: &Point2<f64>) -> bool {
    p.x.is_finite() && p.y.is_finite()
}

/// Squared distance from point `p` to the closed segment `a b`.
///
/// The closest point is `a + t (b - a)` with `t = clamp(((p - a) . (b - a)) / |b - a|^2, 0, 1)`;
/// a degenerate segment (`a == b`) gives `|p - a|^2`.
///
/// ```
/// use kestrel::geometry::segment_point_distance_squared;
/// use nalgebra::Point2;
/// let d2 = segment_point_distance_squared(&Point2::new(0.0, 0.0), &Point2::new(4.0, 0.0), &Point2::new(1.0, 3.0));
/// assert_eq!(d2, 9.0);
/// ```
#[inline]
pub fn segment_point_distance_squared(a: &Point2<f64>, b: &Point2<f64>, p: &Point2<f64>) -> f64 {
    let ab = b - a;
    let ap = p - a;
    let len2 = ab.norm_squared();
    if len2 == 0.0 {
        return ap.norm_squared();
    }
    let t = (ap.dot(&ab) / len2).clamp(0.0, 1.0);
    (ap - ab * t).norm_squared()
}

/// Twice the signed area of the triangle `a b c`: positive when `a -> b -> c` turns left.
#[inline]
fn orient(a: &Point2<f64>, b: &Point2<f64>, c: &Point2<f64>) -> f64 {
    (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x)
}

/// `true` when `p`, known to be collinear with `a b`, lies inside the bounding box of `a b`.
#[inline]
fn on_segment_collinear(a: &Point2<f64>, b: &Point2<f64>, p: &Point2<f64>) -> bool {
    p.x >= a.x.min(b.x) && p.x <= a.x.max(b.x) && p.y >= a.y.min(b.y) && p.y <= a.y.max(b.y)
}

/// Whether the closed segments `p1 p2` and `q1 q2` share at least one point (touching counts).
///
/// Uses the four orientation signs; collinear overlaps are detected with bounding-box tests.
///
/// ```
/// use kestrel::geometry::segments_intersect;
/// use nalgebra::Point2;
/// let p = |x, y| Point2::new(x, y);
/// assert!(segments_intersect(&p(0.0, 0.0), &p(2.0, 2.0), &p(0.0, 2.0), &p(2.0, 0.0)));
/// assert!(!segments_intersect(&p(0.0, 0.0), &p(1.0, 0.0), &p(0.0, 1.0), &p(1.0, 1.0)));
/// ```
pub fn segments_intersect(
    p1: &Point2<f64>,
    p2: &Point2<f64>,
    q1: &Point2<f64>,
    q2: &Point2<f64>,
) -> bool {
    let d1 = orient(q1, q2, p1);
    let d2 = orient(q1, q2, p2);
    let d3 = orient(p1, p2, q1);
    let d4 = orient(p1, p2, q2);
    if ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0))
        && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0))
    {
        return true;
    }
    (d1 == 0.0 && on_segment_collinear(q1, q2, p1))
        || (d2 == 0.0 && on_segment_collinear(q1, q2, p2))
        || (d3 == 0.0 && on_segment_collinear(p1, p2, q1))
        || (d4 == 0.0 && on_segment_collinear(p1, p2, q2))
}

/// A closed disc `{p : |p - center| <= radius}`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Circle {
    center: Point2<f64>,
    radius: f64,
}

impl Circle {
    /// A disc with the given centre and radius (metres).
    ///
    /// # Errors
    /// [`ShapeError::NonFinite`] for NaN or infinite inputs, [`ShapeError::NonPositiveRadius`].
    ///
    /// ```
    /// use kestrel::geometry::Circle;
    /// use nalgebra::Point2;
    /// let c = Circle::new(Point2::new(1.0, 1.0), 0.5).unwrap();
    /// assert!(c.contains(&Point2::new(1.0, 1.4)));
    /// assert!(Circle::new(Point2::new(0.0, 0.0), 0.0).is_err());
    /// ```
    pub fn new(center: Point2<f64>, radius: f64) -> Result<Self, ShapeError> {
        if !finite(&center) {
            return Err(ShapeError::NonFinite {
                what: "circle center",
            });
        }
        if !radius.is_finite() {
            return Err(ShapeError::NonFinite {
                what: "circle radius",
            });
        }
        if radius <= 0.0 {
            return Err(ShapeError::NonPositiveRadius(radius));
        }
        Ok(Self { center, radius })
    }

    /// The centre.
    pub fn center(&self) -> &Point2<f64> {
        &self.center
    }

    /// The radius.
    pub fn radius(&self) -> f64 {
        self.radius
    }

    /// Whether `p` lies in the closed disc: `|p - c|^2 <= r^2`.
    #[inline]
    pub fn contains(&self, p: &Point2<f64>) -> bool {
        (p - self.center).norm_squared() <= self.radius * self.radius
    }

    /// Whether the closed segment `a b` meets the closed disc: the squared distance from the
    /// centre to the segment is at most `r^2`.
    ///
    /// ```
    /// use kestrel::geometry::Circle;
    /// use nalgebra::Point2;
    /// let c = Circle::new(Point2::new(0.0, 1.0), 1.0).unwrap();
    /// // The x axis is tangent to this circle at the origin: touching counts.
    /// assert!(c.intersects_segment(&Point2::new(-1.0, 0.0), &Point2::new(1.0, 0.0)));
    /// assert!(!c.intersects_segment(&Point2::new(-1.0, -0.01), &Point2::new(1.0, -0.01)));
    /// ```
    #[inline]
    pub fn intersects_segment(&self, a: &Point2<f64>, b: &Point2<f64>) -> bool {
        segment_point_distance_squared(a, b, &self.center) <= self.radius * self.radius
    }
}

/// A closed axis-aligned box `[min.x, max.x] x [min.y, max.y]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Aabb {
    min: Point2<f64>,
    max: Point2<f64>,
}

impl Aabb {
    /// The box with the given corners.
    ///
    /// # Errors
    /// [`ShapeError::NonFinite`], or [`ShapeError::EmptyBox`] unless `min < max` on both axes.
    ///
    /// ```
    /// use kestrel::geometry::Aabb;
    /// use nalgebra::Point2;
    /// let b = Aabb::new(Point2::new(0.0, 0.0), Point2::new(2.0, 1.0)).unwrap();
    /// assert!(b.contains(&Point2::new(2.0, 0.5)));
    /// assert!(Aabb::new(Point2::new(1.0, 0.0), Point2::new(0.0, 1.0)).is_err());
    /// ```
    pub fn new(min: Point2<f64>, max: Point2<f64>) -> Result<Self, ShapeError> {
        if !finite(&min) || !finite(&max) {
            return Err(ShapeError::NonFinite { what: "box corner" });
        }
        if min.x >= max.x || min.y >= max.y {
            return Err(ShapeError::EmptyBox {
                min: [min.x, min.y],
                max: [max.x, max.y],
            });
        }
        Ok(Self { min, max })
    }

    /// The minimum corner.
    pub fn min(&self) -> &Point2<f64> {
        &self.min
    }

    /// The maximum corner.
    pub fn max(&self) -> &Point2<f64> {
        &self.max
    }

    /// Whether `p` lies in the closed box.
    #[inline]
    pub fn contains(&self, p: &Point2<f64>) -> bool {
        p.x >= self.min.x && p.x <= self.max.x && p.y >= self.min.y && p.y <= self.max.y
    }

    /// Whether the closed segment `a b` meets the closed box (Liang-Barsky clipping).
    ///
    /// The segment is `a + t (b - a)`, `t in [0, 1]`; each slab `min_k <= a_k + t d_k <= max_k`
    /// narrows the interval of `t`, and the segment meets the box iff the interval stays non-empty.
    ///
    /// ```
    /// use kestrel::geometry::Aabb;
    /// use nalgebra::Point2;
    /// let b = Aabb::new(Point2::new(1.0, 1.0), Point2::new(2.0, 2.0)).unwrap();
    /// assert!(b.intersects_segment(&Point2::new(0.0, 0.0), &Point2::new(3.0, 3.0)));
    /// assert!(!b.intersects_segment(&Point2::new(0.0, 0.0), &Point2::new(3.0, 0.9)));
    /// ```
    pub fn intersects_segment(&self, a: &Point2<f64>, b: &Point2<f64>) -> bool {
        let mut t0 = 0.0_f64;
        let mut t1 = 1.0_f64;
        for k in 0..2 {
            let d = b[k] - a[k];
            let lo = self.min[k];
            let hi = self.max[k];
            if d == 0.0 {
                if a[k] < lo || a[k] > hi {
                    return false;
                }
            } else {
                let inv = 1.0 / d;
                let (mut ta, mut tb) = ((lo - a[k]) * inv, (hi - a[k]) * inv);
                if ta > tb {
                    std::mem::swap(&mut ta, &mut tb);
                }
                t0 = t0.max(ta);
                t1 = t1.min(tb);
                if t0 > t1 {
                    return false;
                }
            }
        }
        true
    }
}

/// A closed simple polygon (vertices in either winding order, edges must not cross).
#[derive(Debug, Clone, PartialEq)]
pub struct Polygon {
    vertices: Vec<Point2<f64>>,
    min: Point2<f64>,
    max: Point2<f64>,
}

impl Polygon {
    /// The polygon through `vertices` (the last vertex connects back to the first).
    ///
    /// Construction checks that the polygon is simple (O(n^2) edge pairs), so the even-odd
    /// containment test below is the usual notion of "inside".
    ///
    /// # Errors
    /// [`ShapeError::TooFewVertices`], [`ShapeError::NonFinite`], [`ShapeError::Degenerate`]
    /// (zero area), [`ShapeError::SelfIntersecting`].
    ///
    /// ```
    /// use kestrel::geometry::Polygon;
    /// use nalgebra::Point2;
    /// let tri = Polygon::new(vec![Point2::new(0.0, 0.0), Point2::new(2.0, 0.0), Point2::new(0.0, 2.0)]).unwrap();
    /// assert!(tri.contains(&Point2::new(0.5, 0.5)));
    /// assert!(!tri.contains(&Point2::new(1.5, 1.5)));
    /// assert_eq!(tri.area(), 2.0);
    /// ```
    pub fn new(vertices: Vec<Point2<f64>>) -> Result<Self, ShapeError> {
        let n = vertices.len();
        if n < 3 {
            return Err(ShapeError::TooFewVertices(n));
        }
        if !vertices.iter().all(finite) {
            return Err(ShapeError::NonFinite {
                what: "polygon vertex",
            });
        }
        let mut min = vertices[0];
        let mut max = vertices[0];
        for v in &vertices {
            min = min.inf(v);
            max = max.sup(v);
        }
        let poly = Self { vertices, min, max };
        // Non-adjacent edges must not meet; adjacent edges may only share their common vertex.
        for i in 0..n {
            let (a, b) = poly.edge(i);
            for j in (i + 1)..n {
                let (c, d) = poly.edge(j);
                let adjacent = j == i + 1 || (i == 0 && j == n - 1);
                if adjacent {
                    // Adjacent edges overlap beyond the shared vertex only if they fold back.
                    let shared_is_b = j == i + 1;
                    let (other_a, other_c) = if shared_is_b { (a, d) } else { (b, c) };
                    let (s, e) = if shared_is_b { (b, c) } else { (a, d) };
                    debug_assert_eq!(s, e);
                    if orient(other_a, s, other_c) == 0.0 && (other_c - s).dot(&(other_a - s)) > 0.0
                    {
                        return Err(ShapeError::SelfIntersecting(i, j));
                    }
                } else if segments_intersect(a, b, c, d) {
                    return Err(ShapeError::SelfIntersecting(i, j));
                }
            }
        }
        if poly.area() == 0.0 {
            return Err(ShapeError::Degenerate);
        }
        Ok(poly)
    }

    /// The vertices, in the order given.
    pub fn vertices(&self) -> &[Point2<f64>] {
        &self.vertices
    }

    /// Edge `i` from vertex `i` to vertex `i + 1` (wrapping).
    #[inline]
    fn edge(&self, i: usize) -> (&Point2<f64>, &Point2<f64>) {
        let j = if i + 1 == self.vertices.len() {
            0
        } else {
            i + 1
        };
        (&self.vertices[i], &self.vertices[j])
    }

    /// The enclosed area (shoelace formula, always non-negative).
    pub fn area(&self) -> f64 {
        let n = self.vertices.len();
        let mut twice = 0.0;
        for i in 0..n {
            let (a, b) = self.edge(i);
            twice += a.x * b.y - b.x * a.y;
        }
        0.5 * twice.abs()
    }

    /// Whether `p` lies in the closed polygon: on an edge, or inside by the even-odd rule
    /// (a horizontal ray from `p` crosses the boundary an odd number of times). O(n).
    pub fn contains(&self, p: &Point2<f64>) -> bool {
        if p.x < self.min.x || p.x > self.max.x || p.y < self.min.y || p.y > self.max.y {
            return false;
        }
        let mut inside = false;
        for i in 0..self.vertices.len() {
            let (a, b) = self.edge(i);
            if orient(a, b, p) == 0.0 && on_segment_collinear(a, b, p) {
                return true;
            }
            // Half-open rule on y so a vertex on the ray is counted once.
            if (a.y > p.y) != (b.y > p.y) {
                let x_cross = a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y);
                if p.x < x_cross {
                    inside = !inside;
                }
            }
        }
        inside
    }

    /// Whether the closed segment `a b` meets the closed polygon: an endpoint is inside, or the
    /// segment meets an edge. O(n) after an O(1) bounding-box rejection.
    ///
    /// ```
    /// use kestrel::geometry::Polygon;
    /// use nalgebra::Point2;
    /// let sq = Polygon::new(vec![
    ///     Point2::new(0.0, 0.0), Point2::new(1.0, 0.0), Point2::new(1.0, 1.0), Point2::new(0.0, 1.0),
    /// ]).unwrap();
    /// assert!(sq.intersects_segment(&Point2::new(-1.0, 0.5), &Point2::new(2.0, 0.5)));
    /// assert!(!sq.intersects_segment(&Point2::new(-1.0, 1.5), &Point2::new(2.0, 1.5)));
    /// ```
    pub fn intersects_segment(&self, a: &Point2<f64>, b: &Point2<f64>) -> bool {
        if a.x.max(b.x) < self.min.x
            || a.x.min(b.x) > self.max.x
            || a.y.max(b.y) < self.min.y
            || a.y.min(b.y) > self.max.y
        {
            return false;
        }
        if self.contains(a) {
            return true;
        }
        (0..self.vertices.len()).any(|i| {
            let (c, d) = self.edge(i);
            segments_intersect(a, b, c, d)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(x: f64, y: f64) -> Point2<f64> {
        Point2::new(x, y)
    }

    #[test]
    fn polygon_rejects_bad_input() {
        assert_eq!(
            Polygon::new(vec![p(0.0, 0.0), p(1.0, 0.0)]),
            Err(ShapeError::TooFewVertices(2))
        );
        // Collinear vertices: the closing edge folds back over the first one.
        assert_eq!(
            Polygon::new(vec![p(0.0, 0.0), p(1.0, 0.0), p(2.0, 0.0)]),
            Err(ShapeError::SelfIntersecting(0, 2))
        );
        // A bow tie: edges 0 (0,0)-(1,1) and 2 (1,0)-(0,1) cross at (0.5, 0.5).
        assert_eq!(
            Polygon::new(vec![p(0.0, 0.0), p(1.0, 1.0), p(1.0, 0.0), p(0.0, 1.0)]),
            Err(ShapeError::SelfIntersecting(0, 2))
        );
        assert!(matches!(
            Polygon::new(vec![p(0.0, 0.0), p(f64::NAN, 0.0), p(0.0, 1.0)]),
            Err(ShapeError::NonFinite { .. })
        ));
    }

    #[test]
    fn concave_polygon_containment() {
        // A "U" shape: the notch (1..2) x (1..3) is outside.
        let u = Polygon::new(vec![
            p(0.0, 0.0),
            p(3.0, 0.0),
            p(3.0, 3.0),
            p(2.0, 3.0),
            p(2.0, 1.0),
            p(1.0, 1.0),
            p(1.0, 3.0),
            p(0.0, 3.0),
        ])
        .unwrap();
        assert_eq!(u.area(), 7.0);
        assert!(u.contains(&p(0.5, 2.5)));
        assert!(u.contains(&p(2.5, 2.5)));
        assert!(!u.contains(&p(1.5, 2.0)));
        // On the notch floor.
        assert!(u.contains(&p(1.5, 1.0)));
        // A segment inside the notch stays outside; one through the floor does not.
        assert!(!u.intersects_segment(&p(1.2, 2.0), &p(1.8, 2.9)));
        assert!(u.intersects_segment(&p(1.5, 2.0), &p(1.5, 0.5)));
    }
}
