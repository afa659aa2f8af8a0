//! Lane keeping: stay near a lane's centre line and inside its edges.

use nalgebra::{SVector, Vector2};

use super::{check_non_negative, check_position, position_of, CostTerm, StageGradient};
use crate::control::error::{first_non_finite, ControlError};

/// A lane's centre line, seen through the signed lateral offset of a point from it.
///
/// `offset(p)` returns `(e, grad e)`: `e > 0` to the left of the direction of travel (m).
/// Implemented for [`StraightLane`] and for closures `Fn(&Vector2<f64>) -> (f64, Vector2<f64>)`
/// (for a curved lane, the offset from the nearest centre-line point, or an approximation such as
/// `y - f(x)` for a lane `y = f(x)` of small slope).
pub trait Lane {
    /// `(e(p), grad e(p))`.
    fn offset(&self, p: &Vector2<f64>) -> (f64, Vector2<f64>);
}

impl<F> Lane for F
where
    F: Fn(&Vector2<f64>) -> (f64, Vector2<f64>),
{
    #[inline]
    fn offset(&self, p: &Vector2<f64>) -> (f64, Vector2<f64>) {
        self(p)
    }
}

/// A straight lane through `origin` with heading `heading` (rad): `e = n . (p - origin)` with
/// the left normal `n = (-sin heading, cos heading)`.
///
/// ```
/// use nalgebra::Vector2;
/// use kestrel::control::{Lane, StraightLane};
/// let lane = StraightLane::new(Vector2::new(0.0, 1.0), 0.0).unwrap(); // along +x at y = 1
/// let (e, g) = lane.offset(&Vector2::new(5.0, 1.5));
/// assert!((e - 0.5).abs() < 1e-12 && (g - Vector2::new(0.0, 1.0)).norm() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StraightLane {
    origin: Vector2<f64>,
    normal: Vector2<f64>,
}

impl StraightLane {
    /// The lane through `origin` heading `heading` (rad, counter-clockwise from +x).
    ///
    /// # Errors
    /// [`ControlError::NonFinite`] for a non-finite origin or heading.
    pub fn new(origin: Vector2<f64>, heading: f64) -> Result<Self, ControlError> {
        if let Some(index) = first_non_finite(origin.iter().chain(std::iter::once(&heading))) {
            return Err(ControlError::NonFinite {
                what: "lane origin and heading",
                index,
            });
        }
        let (s, c) = heading.sin_cos();
        Ok(Self {
            origin,
            normal: Vector2::new(-s, c),
        })
    }
}

impl Lane for StraightLane {
    #[inline]
    fn offset(&self, p: &Vector2<f64>) -> (f64, Vector2<f64>) {
        (self.normal.dot(&(p - self.origin)), self.normal)
    }
}

/// Lane keeping: `l = w_c e^2 + w_b max(0, |e| - h)^2` with `e` the lateral offset of the
/// position from the lane centre and `h` the half-width the robot may use (lane half-width minus
/// the robot's half-width). Applied at every stage and at the end of the horizon.
///
/// ```
/// use nalgebra::{Vector2, Vector4};
/// use kestrel::control::{CostTerm, LaneKeeping, StageGradient, StraightLane};
/// let lane = StraightLane::new(Vector2::zeros(), 0.0).unwrap();
/// let keep = LaneKeeping::new(lane, 1.0, 1.5, 100.0, [0, 1]).unwrap();
/// let mut g = StageGradient::<4, 2>::zeros();
/// let c = keep.stage(0, &Vector4::new(3.0, 2.0, 0.0, 5.0), &Vector2::zeros(), &Vector2::zeros(), &mut g);
/// assert!((c - (4.0 + 100.0 * 0.25)).abs() < 1e-12 && (g.x[1] - (4.0 + 100.0)).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LaneKeeping<L> {
    lane: L,
    center_weight: f64,
    half_width: f64,
    boundary_weight: f64,
    position: [usize; 2],
}

impl<L: Lane> LaneKeeping<L> {
    /// Lane keeping on `lane` with centring weight `w_c`, usable half-width `h` (m) and edge
    /// weight `w_b`, reading the position from state components `position`.
    ///
    /// # Errors
    /// [`ControlError::InvalidParameter`] for a negative or non-finite weight or half-width.
    pub fn new(
        lane: L,
        center_weight: f64,
        half_width: f64,
        boundary_weight: f64,
        position: [usize; 2],
    ) -> Result<Self, ControlError> {
        check_non_negative("center_weight", center_weight)?;
        check_non_negative("half_width", half_width)?;
        check_non_negative("boundary_weight", boundary_weight)?;
        Ok(Self {
            lane,
            center_weight,
            half_width,
            boundary_weight,
            position,
        })
    }

    #[inline]
    fn penalty<const N: usize>(&self, x: &SVector<f64, N>, grad_x: &mut SVector<f64, N>) -> f64 {
        let Some(p) = position_of(x, self.position) else {
            return 0.0; // indices outside the state: reported by `check` before any solve
        };
        let (e, ge) = self.lane.offset(&p);
        let mut cost = self.center_weight * e * e;
        let mut de = 2.0 * self.center_weight * e;
        let over = e.abs() - self.half_width;
        if over > 0.0 {
            cost += self.boundary_weight * over * over;
            de += 2.0 * self.boundary_weight * over * e.signum();
        }
        grad_x[self.position[0]] += de * ge.x;
        grad_x[self.position[1]] += de * ge.y;
        cost
    }
}

impl<L: Lane, const N: usize, const M: usize> CostTerm<N, M> for LaneKeeping<L> {
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
