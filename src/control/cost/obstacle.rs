//! Smooth obstacle penalties on the signed distance to circles or to a distance field.

use nalgebra::{SVector, Vector2};

use super::{check_non_negative, check_position, position_of, CostTerm, StageGradient};
use crate::control::error::{first_non_finite, ControlError};
use crate::geometry::Circle;

/// The penalty `w max(0, m - d)^2` and its derivative with respect to `d`.
#[inline]
fn hinge(weight: f64, margin: f64, d: f64) -> (f64, f64) {
    let v = margin - d;
    if v > 0.0 {
        (weight * v * v, -2.0 * weight * v)
    } else {
        (0.0, 0.0)
    }
}

/// Penalty on the distance to a set of circles:
/// `l = w sum_i max(0, m - d_i)^2`, `d_i = |p - c_i| - r_i` (negative inside),
/// applied at every stage and at the end of the horizon.
///
/// `p = (x[position[0]], x[position[1]])` is the robot's position in the state. The penalty is
/// continuously differentiable (zero with zero slope at `d = m`); its gradient is
/// `-2 w (m - d_i) (p - c_i) / |p - c_i|` (taken as zero exactly at a centre, where it is
/// undefined). To keep a robot of radius `rho` out of a circle with clearance `c`, use
/// `m = rho + c`. Cost: `O(number of circles)` per stage.
///
/// ```
/// use nalgebra::{Point2, Vector2, Vector3};
/// use kestrel::control::{CircleObstacles, CostTerm, StageGradient};
/// use kestrel::geometry::Circle;
/// let obstacles = CircleObstacles::new(vec![Circle::new(Point2::new(2.0, 0.0), 1.0).unwrap()],
///                                      0.5, 100.0, [0, 1]).unwrap();
/// let mut g = StageGradient::<3, 2>::zeros();
/// // 0.25 m from the boundary: penalty 100 (0.5 - 0.25)^2, pushing away from the centre (-x).
/// let c = obstacles.stage(1, &Vector3::new(0.75, 0.0, 0.0), &Vector2::zeros(), &Vector2::zeros(), &mut g);
/// assert!((c - 6.25).abs() < 1e-12 && (g.x[0] - 50.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CircleObstacles {
    circles: Vec<Circle>,
    margin: f64,
    weight: f64,
    position: [usize; 2],
}

impl CircleObstacles {
    /// Circles with penalty margin `m` (m) and weight `w`, reading the position from state
    /// components `position`.
    ///
    /// # Errors
    /// [`ControlError::InvalidParameter`] for a negative or non-finite margin or weight, or
    /// invalid position indices (checked against the state size when used).
    pub fn new(
        circles: Vec<Circle>,
        margin: f64,
        weight: f64,
        position: [usize; 2],
    ) -> Result<Self, ControlError> {
        check_non_negative("margin", margin)?;
        check_non_negative("weight", weight)?;
        Ok(Self {
            circles,
            margin,
            weight,
            position,
        })
    }

    /// The circles.
    pub fn circles(&self) -> &[Circle] {
        &self.circles
    }

    /// Replaces the circles (for example moving obstacles re-predicted at each step).
    pub fn set_circles(&mut self, circles: Vec<Circle>) {
        self.circles = circles;
    }

    #[inline]
    fn penalty<const N: usize>(&self, x: &SVector<f64, N>, grad_x: &mut SVector<f64, N>) -> f64 {
        let Some(p) = position_of(x, self.position) else {
            return 0.0; // indices outside the state: reported by `check` before any solve
        };
        let mut cost = 0.0;
        for circle in &self.circles {
            let diff = p - circle.center().coords;
            let dist = diff.norm();
            let (c, dc) = hinge(self.weight, self.margin, dist - circle.radius());
            if c > 0.0 {
                cost += c;
                if dist > 0.0 {
                    let g = diff * (dc / dist);
                    grad_x[self.position[0]] += g.x;
                    grad_x[self.position[1]] += g.y;
                }
            }
        }
        cost
    }
}

impl<const N: usize, const M: usize> CostTerm<N, M> for CircleObstacles {
    #[inline]
    fn stage(
        &self,
        _t: usize,
        x: &SVector<f64, N>,
        _u: &SVector<f64, M>,
        _u_prev: &SVector<f64, M>,
        grad: &mut StageGradient<N, M>,
    ) -> f64 {
        self.penalty(x, &mut grad.x)
    }

    #[inline]
    fn terminal(&self, x: &SVector<f64, N>, grad_x: &mut SVector<f64, N>) -> f64 {
        self.penalty(x, grad_x)
    }

    fn check(&self, _horizon: usize) -> Result<(), ControlError> {
        check_position::<N>(self.position)
    }
}

/// A signed distance field in the plane: distance to the nearest obstacle boundary (m, negative
/// inside obstacles) and its gradient.
///
/// Implemented for closures `Fn(&Vector2<f64>) -> (f64, Vector2<f64>)` and for [`DistanceGrid`].
pub trait DistanceField {
    /// `(d(p), grad d(p))`.
    fn distance(&self, p: &Vector2<f64>) -> (f64, Vector2<f64>);
}

impl<F> DistanceField for F
where
    F: Fn(&Vector2<f64>) -> (f64, Vector2<f64>),
{
    #[inline]
    fn distance(&self, p: &Vector2<f64>) -> (f64, Vector2<f64>) {
        self(p)
    }
}

/// A distance field sampled on a regular grid, interpolated bilinearly.
///
/// Node `(i, j)` sits at `origin + resolution (i, j)` and holds `values[j * width + i]`. The field
/// and its gradient are those of the bilinear interpolant (continuous field, gradient continuous
/// inside each cell). Outside the grid the position is clamped to the border, so the field is
/// extended as a constant along the outward normal (zero gradient across it). Cost: O(1).
///
/// ```
/// use nalgebra::Vector2;
/// use kestrel::control::{DistanceField, DistanceGrid};
/// // d(x, y) = x sampled on a 3 x 2 grid with 0.5 m spacing: bilinear interpolation is exact.
/// let grid = DistanceGrid::from_fn(Vector2::zeros(), 0.5, 3, 2, |p| p.x).unwrap();
/// let (d, g) = grid.distance(&Vector2::new(0.3, 0.2));
/// assert!((d - 0.3).abs() < 1e-12 && (g - Vector2::new(1.0, 0.0)).norm() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DistanceGrid {
    origin: Vector2<f64>,
    resolution: f64,
    width: usize,
    height: usize,
    values: Vec<f64>,
}

impl DistanceGrid {
    /// A grid of `width x height` nodes (at least 2 x 2) with spacing `resolution` (m).
    ///
    /// # Errors
    /// [`ControlError::InvalidParameter`] for a bad size or spacing, [`ControlError::LengthMismatch`]
    /// when `values.len() != width * height`, [`ControlError::NonFinite`] for a non-finite value
    /// or origin.
    pub fn new(
        origin: Vector2<f64>,
        resolution: f64,
        width: usize,
        height: usize,
        values: Vec<f64>,
    ) -> Result<Self, ControlError> {
        if !(resolution.is_finite() && resolution > 0.0) {
            return Err(ControlError::InvalidParameter {
                name: "resolution",
                reason: format!("must be finite and positive, got {resolution}"),
            });
        }
        if width < 2 || height < 2 {
            return Err(ControlError::InvalidParameter {
                name: "grid size",
                reason: format!("needs at least 2 x 2 nodes, got {width} x {height}"),
            });
        }
        if values.len() != width * height {
            return Err(ControlError::LengthMismatch {
                what: "distance grid values",
                expected: width * height,
                found: values.len(),
            });
        }
        if let Some(index) = first_non_finite(origin.iter()) {
            return Err(ControlError::NonFinite {
                what: "grid origin",
                index,
            });
        }
        if let Some(index) = first_non_finite(values.iter()) {
            return Err(ControlError::NonFinite {
                what: "distance grid values",
                index,
            });
        }
        Ok(Self {
            origin,
            resolution,
            width,
            height,
            values,
        })
    }

    /// Samples `field` at the nodes.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn from_fn(
        origin: Vector2<f64>,
        resolution: f64,
        width: usize,
        height: usize,
        field: impl Fn(&Vector2<f64>) -> f64,
    ) -> Result<Self, ControlError> {
        let mut values = Vec::with_capacity(width.saturating_mul(height));
        for j in 0..height {
            for i in 0..width {
                let p = origin + Vector2::new(i as f64, j as f64) * resolution;
                values.push(field(&p));
            }
        }
        Self::new(origin, resolution, width, height, values)
    }

    /// Locates `t` (in cells) on an axis of `n` nodes: the cell index, the fraction inside it and
    /// whether the coordinate was clamped.
    #[inline]
    fn locate(t: f64, n: usize) -> (usize, f64, bool) {
        let max = (n - 1) as f64;
        let clamped = !(0.0..=max).contains(&t);
        let t = t.clamp(0.0, max);
        let i = (t.floor() as usize).min(n - 2);
        (i, t - i as f64, clamped)
    }
}

impl DistanceField for DistanceGrid {
    fn distance(&self, p: &Vector2<f64>) -> (f64, Vector2<f64>) {
        let q = (p - self.origin) / self.resolution;
        let (i, tx, cx) = Self::locate(q.x, self.width);
        let (j, ty, cy) = Self::locate(q.y, self.height);
        let v = |i: usize, j: usize| self.values[j * self.width + i];
        let (v00, v10, v01, v11) = (v(i, j), v(i + 1, j), v(i, j + 1), v(i + 1, j + 1));
        let d = (1.0 - ty) * ((1.0 - tx) * v00 + tx * v10) + ty * ((1.0 - tx) * v01 + tx * v11);
        let gx = if cx {
            0.0
        } else {
            ((1.0 - ty) * (v10 - v00) + ty * (v11 - v01)) / self.resolution
        };
        let gy = if cy {
            0.0
        } else {
            ((1.0 - tx) * (v01 - v00) + tx * (v11 - v10)) / self.resolution
        };
        (d, Vector2::new(gx, gy))
    }
}

/// Penalty on a signed distance field: `l = w max(0, m - d(p))^2` at every stage and at the end
/// of the horizon, gradient `-2 w max(0, m - d(p)) grad d(p)`.
///
/// ```
/// use nalgebra::{Vector2, Vector3};
/// use kestrel::control::{CostTerm, ObstaclePenalty, StageGradient};
/// // A wall along y = 2 (free space below it): d = 2 - y.
/// let wall = |p: &Vector2<f64>| (2.0 - p.y, Vector2::new(0.0, -1.0));
/// let penalty = ObstaclePenalty::new(wall, 1.0, 10.0, [0, 1]).unwrap();
/// let mut g = StageGradient::<3, 2>::zeros();
/// let c = penalty.stage(0, &Vector3::new(0.0, 1.5, 0.0), &Vector2::zeros(), &Vector2::zeros(), &mut g);
/// assert!((c - 2.5).abs() < 1e-12 && (g.x[1] - 10.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ObstaclePenalty<F> {
    field: F,
    margin: f64,
    weight: f64,
    position: [usize; 2],
}

impl<F: DistanceField> ObstaclePenalty<F> {
    /// A penalty with margin `m` (m) and weight `w` on `field`, reading the position from state
    /// components `position`.
    ///
    /// # Errors
    /// [`ControlError::InvalidParameter`] for a negative or non-finite margin or weight.
    pub fn new(
        field: F,
        margin: f64,
        weight: f64,
        position: [usize; 2],
    ) -> Result<Self, ControlError> {
        check_non_negative("margin", margin)?;
        check_non_negative("weight", weight)?;
        Ok(Self {
            field,
            margin,
            weight,
            position,
        })
    }

    #[inline]
    fn penalty<const N: usize>(&self, x: &SVector<f64, N>, grad_x: &mut SVector<f64, N>) -> f64 {
        let Some(p) = position_of(x, self.position) else {
            return 0.0; // indices outside the state: reported by `check` before any solve
        };
        let (d, gd) = self.field.distance(&p);
        let (c, dc) = hinge(self.weight, self.margin, d);
        if c > 0.0 {
            grad_x[self.position[0]] += dc * gd.x;
            grad_x[self.position[1]] += dc * gd.y;
        }
        c
    }
}

impl<F: DistanceField, const N: usize, const M: usize> CostTerm<N, M> for ObstaclePenalty<F> {
    #[inline]
    fn stage(
        &self,
        _t: usize,
        x: &SVector<f64, N>,
        _u: &SVector<f64, M>,
        _u_prev: &SVector<f64, M>,
        grad: &mut StageGradient<N, M>,
    ) -> f64 {
        self.penalty(x, &mut grad.x)
    }

    #[inline]
    fn terminal(&self, x: &SVector<f64, N>, grad_x: &mut SVector<f64, N>) -> f64 {
        self.penalty(x, grad_x)
    }

    fn check(&self, _horizon: usize) -> Result<(), ControlError> {
        check_position::<N>(self.position)
    }
}
