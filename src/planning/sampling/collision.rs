//! Collision checking for the sampling planners: the [`ValidityChecker`] trait (state validity
//! plus motion validity), an exact checker for planar geometric obstacles, and an adapter that
//! turns any state predicate into a motion check by sampling along the segment.

use nalgebra::Point2;

use super::error::{invalid, SamplingError};
use super::space::State;
use crate::geometry::{Aabb, Circle, Polygon};

/// What a sampling planner asks of the world.
///
/// Motions are straight segments in `R^D`. Contract:
/// - `is_state_valid(q)` is `true` iff `q` is collision-free;
/// - `is_motion_valid(a, b)` is `true` iff every point of the closed segment `a b` is valid
///   (exact checkers test the segment in closed form; [`FnChecker`] tests points spaced at most
///   its resolution apart, like OMPL's discrete motion validator).
///
/// Both must be symmetric and deterministic; the planners call them from one thread.
pub trait ValidityChecker<const D: usize> {
    /// Whether the state `q` is collision-free.
    fn is_state_valid(&self, q: &State<D>) -> bool;
    /// Whether the straight motion from `a` to `b` is collision-free.
    fn is_motion_valid(&self, a: &State<D>, b: &State<D>) -> bool;
}

impl<const D: usize, C: ValidityChecker<D> + ?Sized> ValidityChecker<D> for &C {
    #[inline]
    fn is_state_valid(&self, q: &State<D>) -> bool {
        (**self).is_state_valid(q)
    }
    #[inline]
    fn is_motion_valid(&self, a: &State<D>, b: &State<D>) -> bool {
        (**self).is_motion_valid(a, b)
    }
}

/// Planar obstacles (closed circles, axis-aligned boxes and simple polygons) checked exactly.
///
/// A state is valid iff it lies in no obstacle; a motion is valid iff its segment meets no
/// obstacle (grazing contact is a collision). Cost: O(circles + boxes + total polygon vertices)
/// per query, no allocation.
///
/// ```
/// use kestrel::geometry::Circle;
/// use kestrel::planning::sampling::{GeometricScene, ValidityChecker};
/// use nalgebra::{Point2, Vector2};
/// let mut scene = GeometricScene::new();
/// scene.add_circle(Circle::new(Point2::new(5.0, 5.0), 1.0).unwrap());
/// assert!(!scene.is_state_valid(&Vector2::new(5.5, 5.0)));
/// assert!(!scene.is_motion_valid(&Vector2::new(0.0, 0.0), &Vector2::new(10.0, 10.0)));
/// assert!(scene.is_motion_valid(&Vector2::new(0.0, 8.0), &Vector2::new(10.0, 8.0)));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GeometricScene {
    circles: Vec<Circle>,
    boxes: Vec<Aabb>,
    polygons: Vec<Polygon>,
}

impl GeometricScene {
    /// An empty scene (everything valid).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a circular obstacle.
    pub fn add_circle(&mut self, circle: Circle) -> &mut Self {
        self.circles.push(circle);
        self
    }

    /// Adds a box obstacle.
    pub fn add_box(&mut self, aabb: Aabb) -> &mut Self {
        self.boxes.push(aabb);
        self
    }

    /// Adds a polygonal obstacle.
    pub fn add_polygon(&mut self, polygon: Polygon) -> &mut Self {
        self.polygons.push(polygon);
        self
    }

    /// The circular obstacles.
    pub fn circles(&self) -> &[Circle] {
        &self.circles
    }

    /// The box obstacles.
    pub fn boxes(&self) -> &[Aabb] {
        &self.boxes
    }

    /// The polygonal obstacles.
    pub fn polygons(&self) -> &[Polygon] {
        &self.polygons
    }

    /// The total obstacle area, counting overlaps twice (an upper bound on the obstacle measure;
    /// `bounds.volume() - area` is then a lower bound on the free measure).
    pub fn obstacle_area(&self) -> f64 {
        let c: f64 = self
            .circles
            .iter()
            .map(|c| std::f64::consts::PI * c.radius() * c.radius())
            .sum();
        let b: f64 = self
            .boxes
            .iter()
            .map(|b| (b.max().x - b.min().x) * (b.max().y - b.min().y))
            .sum();
        let p: f64 = self.polygons.iter().map(Polygon::area).sum();
        c + b + p
    }
}

impl ValidityChecker<2> for GeometricScene {
    #[inline]
    fn is_state_valid(&self, q: &State<2>) -> bool {
        let p = Point2::new(q.x, q.y);
        !(self.circles.iter().any(|c| c.contains(&p))
            || self.boxes.iter().any(|b| b.contains(&p))
            || self.polygons.iter().any(|g| g.contains(&p)))
    }

    #[inline]
    fn is_motion_valid(&self, a: &State<2>, b: &State<2>) -> bool {
        let pa = Point2::new(a.x, a.y);
        let pb = Point2::new(b.x, b.y);
        !(self.circles.iter().any(|c| c.intersects_segment(&pa, &pb))
            || self.boxes.iter().any(|x| x.intersects_segment(&pa, &pb))
            || self.polygons.iter().any(|g| g.intersects_segment(&pa, &pb)))
    }
}

/// A checker from a state predicate: motions are checked at `ceil(|b - a| / resolution)` evenly
/// spaced points (both endpoints included), visited in bisection order (midpoint first, then
/// quarter points, ...) so that collisions in the middle of a motion are found early.
///
/// This is OMPL's discrete motion validator; choose `resolution` below the thinnest obstacle.
/// Cost: one predicate call per point; no allocation.
///
/// ```
/// use kestrel::planning::sampling::{FnChecker, ValidityChecker};
/// use nalgebra::Vector2;
/// // A wall at 4.9 <= x <= 5.1.
/// let wall = FnChecker::new(|q: &Vector2<f64>| !(4.9..=5.1).contains(&q.x), 0.1).unwrap();
/// assert!(!wall.is_motion_valid(&Vector2::new(0.0, 0.0), &Vector2::new(10.0, 0.0)));
/// assert!(wall.is_motion_valid(&Vector2::new(0.0, 0.0), &Vector2::new(4.0, 3.0)));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct FnChecker<F> {
    predicate: F,
    resolution: f64,
}

impl<F> FnChecker<F> {
    /// Wraps `predicate` (`true` = valid) with the given motion-check resolution.
    ///
    /// # Errors
    /// [`SamplingError::InvalidParameter`] unless `resolution` is finite and positive.
    pub fn new(predicate: F, resolution: f64) -> Result<Self, SamplingError> {
        if !resolution.is_finite() || resolution <= 0.0 {
            return Err(invalid(
                "resolution",
                format!("must be finite and > 0, got {resolution}"),
            ));
        }
        Ok(Self {
            predicate,
            resolution,
        })
    }

    /// The spacing of the points checked along a motion.
    pub fn resolution(&self) -> f64 {
        self.resolution
    }
}

impl<const D: usize, F: Fn(&State<D>) -> bool> ValidityChecker<D> for FnChecker<F> {
    #[inline]
    fn is_state_valid(&self, q: &State<D>) -> bool {
        (self.predicate)(q)
    }

    fn is_motion_valid(&self, a: &State<D>, b: &State<D>) -> bool {
        if !(self.predicate)(b) || !(self.predicate)(a) {
            return false;
        }
        let segments = ((b - a).norm() / self.resolution).ceil();
        if !segments.is_finite() || segments <= 1.0 {
            return segments.is_finite();
        }
        let n = segments as u64;
        // Bisection order over the interior points 1..n: stride halves each pass.
        let mut stride = n.next_power_of_two();
        while stride > 1 {
            let half = stride / 2;
            let mut i = half;
            while i < n {
                let t = i as f64 / n as f64;
                if !(self.predicate)(&(a + (b - a) * t)) {
                    return false;
                }
                i += stride;
            }
            stride = half;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::Vector2;
    use std::cell::RefCell;

    #[test]
    fn fn_checker_visits_every_interior_point_once() {
        let seen = RefCell::new(Vec::new());
        let checker = FnChecker::new(
            |q: &Vector2<f64>| {
                seen.borrow_mut().push(q.x);
                true
            },
            1.0,
        )
        .unwrap();
        assert!(checker.is_motion_valid(&Vector2::new(0.0, 0.0), &Vector2::new(6.5, 0.0)));
        let mut xs = seen.into_inner();
        // 7 segments: endpoints plus interior points at i * 6.5 / 7, i = 1..6, each once.
        assert_eq!(xs.len(), 8);
        xs.sort_by(f64::total_cmp);
        for (i, x) in xs.iter().enumerate() {
            assert!((x - i as f64 * 6.5 / 7.0).abs() < 1e-12, "{xs:?}");
        }
    }
}
