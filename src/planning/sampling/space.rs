//! The planning space: box bounds on `R^D`, the start/goal problem, and the connection radii of
//! the asymptotically optimal planners (Karaman and Frazzoli 2011).

use nalgebra::SVector;
use rand::Rng;

use super::error::{invalid, SamplingError};
use super::ValidityChecker;

/// A state of the Euclidean configuration space `R^D` (metres, or whatever unit the bounds use).
pub type State<const D: usize> = SVector<f64, D>;

/// An axis-aligned box `[lower_k, upper_k]` in `R^D`: where samples are drawn and where the
/// start and goal must lie.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds<const D: usize> {
    lower: State<D>,
    upper: State<D>,
}

impl<const D: usize> Bounds<D> {
    /// The box with the given corners.
    ///
    /// # Errors
    /// [`SamplingError::NonFinite`], [`SamplingError::EmptyBounds`] unless `lower < upper` on
    /// every axis, [`SamplingError::InvalidParameter`] for `D = 0`.
    ///
    /// ```
    /// use kestrel::planning::sampling::Bounds;
    /// use nalgebra::Vector2;
    /// let b = Bounds::new(Vector2::new(0.0, 0.0), Vector2::new(10.0, 5.0)).unwrap();
    /// assert_eq!(b.volume(), 50.0);
    /// assert!(Bounds::new(Vector2::new(0.0, 0.0), Vector2::new(0.0, 5.0)).is_err());
    /// ```
    pub fn new(lower: State<D>, upper: State<D>) -> Result<Self, SamplingError> {
        if D == 0 {
            return Err(invalid("D", "the space needs at least one dimension"));
        }
        if !lower.iter().chain(upper.iter()).all(|v| v.is_finite()) {
            return Err(SamplingError::NonFinite { what: "bounds" });
        }
        for axis in 0..D {
            if lower[axis] >= upper[axis] {
                return Err(SamplingError::EmptyBounds {
                    axis,
                    lower: lower[axis],
                    upper: upper[axis],
                });
            }
        }
        Ok(Self { lower, upper })
    }

    /// The lower corner.
    pub fn lower(&self) -> &State<D> {
        &self.lower
    }

    /// The upper corner.
    pub fn upper(&self) -> &State<D> {
        &self.upper
    }

    /// The Lebesgue measure of the box, `prod_k (upper_k - lower_k)`.
    pub fn volume(&self) -> f64 {
        (self.upper - self.lower).iter().product()
    }

    /// The length of the box diagonal, `|upper - lower|`.
    pub fn diagonal(&self) -> f64 {
        (self.upper - self.lower).norm()
    }

    /// Whether `q` lies in the closed box.
    #[inline]
    pub fn contains(&self, q: &State<D>) -> bool {
        (0..D).all(|k| q[k] >= self.lower[k] && q[k] <= self.upper[k])
    }

    /// A uniform sample from the box (one `f64` draw per axis).
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> State<D> {
        State::<D>::from_fn(|k, _| {
            let u: f64 = rng.random();
            self.lower[k] + u * (self.upper[k] - self.lower[k])
        })
    }

    pub(crate) fn check(&self, what: &'static str, q: &State<D>) -> Result<(), SamplingError> {
        if !q.iter().all(|v| v.is_finite()) {
            return Err(SamplingError::NonFinite { what });
        }
        for axis in 0..D {
            if q[axis] < self.lower[axis] || q[axis] > self.upper[axis] {
                return Err(SamplingError::OutOfBounds {
                    what,
                    axis,
                    value: q[axis],
                    lower: self.lower[axis],
                    upper: self.upper[axis],
                });
            }
        }
        Ok(())
    }
}

/// A single-query problem: bounds, start, goal and goal tolerance.
///
/// A state `q` satisfies the goal when `|q - goal| <= goal_tolerance` (default 0: the planners
/// then reach the goal exactly, because goal-biased samples are the goal itself and the steering
/// step lands on a sample within range).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Problem<const D: usize> {
    bounds: Bounds<D>,
    start: State<D>,
    goal: State<D>,
    goal_tolerance: f64,
}

impl<const D: usize> Problem<D> {
    /// A problem from `start` to `goal` inside `bounds`.
    ///
    /// # Errors
    /// [`SamplingError::NonFinite`] or [`SamplingError::OutOfBounds`] naming `"start"` or
    /// `"goal"`. Collisions are checked when a planner runs (it has the checker).
    ///
    /// ```
    /// use kestrel::planning::sampling::{Bounds, Problem, SamplingError};
    /// use nalgebra::Vector2;
    /// let b = Bounds::new(Vector2::new(0.0, 0.0), Vector2::new(1.0, 1.0)).unwrap();
    /// assert!(Problem::new(b, Vector2::new(0.1, 0.1), Vector2::new(0.9, 0.9)).is_ok());
    /// let err = Problem::new(b, Vector2::new(0.1, 0.1), Vector2::new(1.5, 0.9)).unwrap_err();
    /// assert!(matches!(err, SamplingError::OutOfBounds { what: "goal", axis: 0, .. }));
    /// ```
    pub fn new(bounds: Bounds<D>, start: State<D>, goal: State<D>) -> Result<Self, SamplingError> {
        bounds.check("start", &start)?;
        bounds.check("goal", &goal)?;
        Ok(Self {
            bounds,
            start,
            goal,
            goal_tolerance: 0.0,
        })
    }

    /// The same problem with a goal ball of radius `tolerance >= 0`.
    ///
    /// # Errors
    /// [`SamplingError::InvalidParameter`] for a negative or non-finite tolerance.
    pub fn with_goal_tolerance(mut self, tolerance: f64) -> Result<Self, SamplingError> {
        if !tolerance.is_finite() || tolerance < 0.0 {
            return Err(invalid(
                "goal_tolerance",
                format!("must be finite and >= 0, got {tolerance}"),
            ));
        }
        self.goal_tolerance = tolerance;
        Ok(self)
    }

    /// The sampling bounds.
    pub fn bounds(&self) -> &Bounds<D> {
        &self.bounds
    }

    /// The start state.
    pub fn start(&self) -> &State<D> {
        &self.start
    }

    /// The goal state.
    pub fn goal(&self) -> &State<D> {
        &self.goal
    }

    /// The goal tolerance.
    pub fn goal_tolerance(&self) -> f64 {
        self.goal_tolerance
    }

    /// Whether `q` satisfies the goal.
    #[inline]
    pub fn is_goal(&self, q: &State<D>) -> bool {
        (q - self.goal).norm_squared() <= self.goal_tolerance * self.goal_tolerance
    }

    /// Checks that neither start nor goal is in collision.
    pub(crate) fn check_endpoints<C: ValidityChecker<D> + ?Sized>(
        &self,
        checker: &C,
    ) -> Result<(), SamplingError> {
        if !checker.is_state_valid(&self.start) {
            return Err(SamplingError::StartInCollision);
        }
        if !checker.is_state_valid(&self.goal) {
            return Err(SamplingError::GoalInCollision);
        }
        Ok(())
    }
}

/// Volume of the unit ball in `R^d`: `zeta_d = pi^(d/2) / Gamma(d/2 + 1)`, computed with the
/// recursion `zeta_0 = 1`, `zeta_1 = 2`, `zeta_d = (2 pi / d) zeta_(d-2)`.
///
/// ```
/// use kestrel::planning::sampling::unit_ball_volume;
/// assert!((unit_ball_volume(2) - std::f64::consts::PI).abs() < 1e-15);
/// assert!((unit_ball_volume(3) - 4.0 / 3.0 * std::f64::consts::PI).abs() < 1e-15);
/// ```
pub fn unit_ball_volume(d: usize) -> f64 {
    let (mut even, mut odd) = (1.0, 2.0);
    let mut k = 2;
    while k <= d {
        if k.is_multiple_of(2) {
            even *= 2.0 * std::f64::consts::PI / k as f64;
        } else {
            odd *= 2.0 * std::f64::consts::PI / k as f64;
        }
        k += 1;
    }
    if d.is_multiple_of(2) {
        even
    } else {
        odd
    }
}

/// The RRT* rewiring constant's lower bound (Karaman and Frazzoli 2011, Theorem 38, as used by
/// OMPL): `gamma*_RRT = (2 (1 + 1/d) mu(X_free) / zeta_d)^(1/d)`.
///
/// RRT* is asymptotically optimal for any `gamma > gamma*_RRT`; [`RrtStarParams`] uses
/// `gamma = rewire_factor * gamma*_RRT` with `rewire_factor` 1.1 by default.
///
/// [`RrtStarParams`]: super::RrtStarParams
///
/// ```
/// use kestrel::planning::sampling::rrt_star_gamma;
/// // d = 2, mu = pi: (2 * 1.5 * pi / pi)^(1/2) = sqrt(3).
/// assert!((rrt_star_gamma(2, std::f64::consts::PI) - 3f64.sqrt()).abs() < 1e-12);
/// ```
pub fn rrt_star_gamma(d: usize, free_volume: f64) -> f64 {
    let df = d as f64;
    (2.0 * (1.0 + 1.0 / df) * free_volume / unit_ball_volume(d)).powf(1.0 / df)
}

/// The PRM* connection constant's lower bound (Karaman and Frazzoli 2011, Theorem 34):
/// `gamma*_PRM = 2 (1 + 1/d)^(1/d) (mu(X_free) / zeta_d)^(1/d)`.
///
/// ```
/// use kestrel::planning::sampling::prm_star_gamma;
/// // d = 2, mu = pi: 2 * 1.5^(1/2).
/// assert!((prm_star_gamma(2, std::f64::consts::PI) - 2.0 * 1.5f64.sqrt()).abs() < 1e-12);
/// ```
pub fn prm_star_gamma(d: usize, free_volume: f64) -> f64 {
    let df = d as f64;
    2.0 * (1.0 + 1.0 / df).powf(1.0 / df) * (free_volume / unit_ball_volume(d)).powf(1.0 / df)
}

/// The shrinking connection radius `r(n) = min(gamma (ln n / n)^(1/d), eta)` for `n >= 2`
/// (`eta` for smaller `n`).
///
/// ```
/// use kestrel::planning::sampling::connection_radius;
/// let r = connection_radius(2.0, 100, 2, 10.0);
/// assert!((r - 2.0 * (100f64.ln() / 100.0).sqrt()).abs() < 1e-12);
/// assert_eq!(connection_radius(100.0, 100, 2, 1.5), 1.5);
/// ```
#[inline]
pub fn connection_radius(gamma: f64, n: usize, d: usize, eta: f64) -> f64 {
    if n < 2 {
        return eta;
    }
    let nf = n as f64;
    (gamma * (nf.ln() / nf).powf(1.0 / d as f64)).min(eta)
}

/// Moves from `from` toward `to` by at most `range`: returns `to` itself when it is within range
/// (bit-for-bit, so a goal sample is reached exactly), else `from + range (to - from) / |to - from|`.
#[inline]
pub(crate) fn steer<const D: usize>(from: &State<D>, to: &State<D>, range: f64) -> State<D> {
    let delta = to - from;
    let d = delta.norm();
    if d <= range {
        *to
    } else {
        from + delta * (range / d)
    }
}
