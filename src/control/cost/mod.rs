//! Horizon costs as composable terms.
//!
//! The shooting MPC minimises, over the actions `u[0..H]`,
//!
//! ```text
//! J = sum_{t=0}^{H-1} l_t(x[t], u[t], u[t-1]) + l_H(x[H]),   x[t+1] = f(x[t], u[t]),
//! ```
//!
//! with `x[0]` the measured state and `u[-1]` the action applied at the previous control step.
//! A [`CostTerm`] supplies `l_t` ([`stage`](CostTerm::stage)) and `l_H`
//! ([`terminal`](CostTerm::terminal)) with their gradients. Terms compose: a tuple of terms
//! (up to eight), a `Vec` of terms (for example `Vec<Box<dyn CostTerm<N, M>>>` built at run
//! time) and references are terms whose cost is the sum.
//!
//! Provided terms:
//! - [`StateTracking`]: `(x - r_t)^T W (x - r_t)` with a per-stage reference, angle wrap, and
//!   separate terminal weights;
//! - [`ControlEffort`]: `(u - u_ref)^T R (u - u_ref)`;
//! - [`ControlRate`]: `(u[t] - u[t-1])^T S (u[t] - u[t-1])`;
//! - [`CircleObstacles`] and [`ObstaclePenalty`]: smooth penalties `w max(0, m - d)^2` on the
//!   signed distance `d` to circles ([`Circle`](crate::geometry::Circle)) or to any
//!   [`DistanceField`] (a closure or a [`DistanceGrid`]);
//! - [`LaneKeeping`]: `w_c e^2 + w_b max(0, |e| - h)^2` on the lateral offset `e` from a
//!   [`Lane`] (a [`StraightLane`] or a closure).

use nalgebra::SVector;

use super::error::ControlError;

mod effort;
mod lane;
mod obstacle;
mod tracking;

pub use effort::{ControlEffort, ControlRate};
pub use lane::{Lane, LaneKeeping, StraightLane};
pub use obstacle::{CircleObstacles, DistanceField, DistanceGrid, ObstaclePenalty};
pub use tracking::StateTracking;

/// Gradients of one stage's cost, accumulated by the terms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StageGradient<const N: usize, const M: usize> {
    /// `dl/dx[t]`.
    pub x: SVector<f64, N>,
    /// `dl/du[t]`.
    pub u: SVector<f64, M>,
    /// `dl/du[t-1]` (the previous action: the applied one at `t = 0`).
    pub u_prev: SVector<f64, M>,
}

impl<const N: usize, const M: usize> StageGradient<N, M> {
    /// All-zero gradients.
    pub fn zeros() -> Self {
        Self {
            x: SVector::zeros(),
            u: SVector::zeros(),
            u_prev: SVector::zeros(),
        }
    }
}

impl<const N: usize, const M: usize> Default for StageGradient<N, M> {
    fn default() -> Self {
        Self::zeros()
    }
}

/// One term of the horizon cost. Implementations *add* their gradients to the given buffers.
///
/// ```
/// use nalgebra::{Vector1, Vector2};
/// use kestrel::control::{CostTerm, StageGradient};
/// /// Keep the velocity (state component 1) at or below 2.
/// struct SpeedLimit;
/// impl CostTerm<2, 1> for SpeedLimit {
///     fn stage(&self, _t: usize, x: &Vector2<f64>, _u: &Vector1<f64>, _u_prev: &Vector1<f64>,
///              grad: &mut StageGradient<2, 1>) -> f64 {
///         let excess = (x[1] - 2.0).max(0.0);
///         grad.x[1] += 2.0 * excess;
///         excess * excess
///     }
/// }
/// let mut g = StageGradient::zeros();
/// let c = SpeedLimit.stage(0, &Vector2::new(0.0, 3.0), &Vector1::zeros(), &Vector1::zeros(), &mut g);
/// assert_eq!((c, g.x[1]), (1.0, 2.0));
/// ```
pub trait CostTerm<const N: usize, const M: usize> {
    /// The cost `l_t(x, u, u_prev)` of stage `t` (`0 <= t < H`); adds its gradients to `grad`.
    fn stage(
        &self,
        t: usize,
        x: &SVector<f64, N>,
        u: &SVector<f64, M>,
        u_prev: &SVector<f64, M>,
        grad: &mut StageGradient<N, M>,
    ) -> f64;

    /// The terminal cost `l_H(x)`; adds its gradient to `grad_x`. Zero by default.
    fn terminal(&self, x: &SVector<f64, N>, grad_x: &mut SVector<f64, N>) -> f64 {
        let _ = (x, grad_x);
        0.0
    }

    /// Checks that the term can serve a horizon of `horizon` steps (reference lengths, finite
    /// references). The MPC calls it before every solve. Accepts by default.
    ///
    /// # Errors
    /// The term's [`ControlError`].
    fn check(&self, horizon: usize) -> Result<(), ControlError> {
        let _ = horizon;
        Ok(())
    }
}

impl<T, const N: usize, const M: usize> CostTerm<N, M> for &T
where
    T: CostTerm<N, M> + ?Sized,
{
    #[inline]
    fn stage(
        &self,
        t: usize,
        x: &SVector<f64, N>,
        u: &SVector<f64, M>,
        u_prev: &SVector<f64, M>,
        grad: &mut StageGradient<N, M>,
    ) -> f64 {
        (**self).stage(t, x, u, u_prev, grad)
    }

    #[inline]
    fn terminal(&self, x: &SVector<f64, N>, grad_x: &mut SVector<f64, N>) -> f64 {
        (**self).terminal(x, grad_x)
    }

    fn check(&self, horizon: usize) -> Result<(), ControlError> {
        (**self).check(horizon)
    }
}

impl<T, const N: usize, const M: usize> CostTerm<N, M> for Box<T>
where
    T: CostTerm<N, M> + ?Sized,
{
    #[inline]
    fn stage(
        &self,
        t: usize,
        x: &SVector<f64, N>,
        u: &SVector<f64, M>,
        u_prev: &SVector<f64, M>,
        grad: &mut StageGradient<N, M>,
    ) -> f64 {
        (**self).stage(t, x, u, u_prev, grad)
    }

    #[inline]
    fn terminal(&self, x: &SVector<f64, N>, grad_x: &mut SVector<f64, N>) -> f64 {
        (**self).terminal(x, grad_x)
    }

    fn check(&self, horizon: usize) -> Result<(), ControlError> {
        (**self).check(horizon)
    }
}

impl<T, const N: usize, const M: usize> CostTerm<N, M> for Vec<T>
where
    T: CostTerm<N, M>,
{
    fn stage(
        &self,
        t: usize,
        x: &SVector<f64, N>,
        u: &SVector<f64, M>,
        u_prev: &SVector<f64, M>,
        grad: &mut StageGradient<N, M>,
    ) -> f64 {
        self.iter().map(|c| c.stage(t, x, u, u_prev, grad)).sum()
    }

    fn terminal(&self, x: &SVector<f64, N>, grad_x: &mut SVector<f64, N>) -> f64 {
        self.iter().map(|c| c.terminal(x, grad_x)).sum()
    }

    fn check(&self, horizon: usize) -> Result<(), ControlError> {
        self.iter().try_for_each(|c| c.check(horizon))
    }
}

macro_rules! tuple_cost {
    ($($name:ident $idx:tt),+) => {
        impl<$($name,)+ const N: usize, const M: usize> CostTerm<N, M> for ($($name,)+)
        where
            $($name: CostTerm<N, M>,)+
        {
            #[inline]
            fn stage(
                &self,
                t: usize,
                x: &SVector<f64, N>,
                u: &SVector<f64, M>,
                u_prev: &SVector<f64, M>,
                grad: &mut StageGradient<N, M>,
            ) -> f64 {
                0.0 $(+ self.$idx.stage(t, x, u, u_prev, grad))+
            }

            #[inline]
            fn terminal(&self, x: &SVector<f64, N>, grad_x: &mut SVector<f64, N>) -> f64 {
                0.0 $(+ self.$idx.terminal(x, grad_x))+
            }

            fn check(&self, horizon: usize) -> Result<(), ControlError> {
                $(self.$idx.check(horizon)?;)+
                Ok(())
            }
        }
    };
}

tuple_cost!(A 0);
tuple_cost!(A 0, B 1);
tuple_cost!(A 0, B 1, C 2);
tuple_cost!(A 0, B 1, C 2, D 3);
tuple_cost!(A 0, B 1, C 2, D 3, E 4);
tuple_cost!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple_cost!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_cost!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);

/// Checks that every entry of `weights` is finite and non-negative.
pub(crate) fn check_weights<const D: usize>(
    name: &'static str,
    weights: &SVector<f64, D>,
) -> Result<(), ControlError> {
    for (i, w) in weights.iter().enumerate() {
        if !(w.is_finite() && *w >= 0.0) {
            return Err(ControlError::InvalidParameter {
                name,
                reason: format!("entry {i} must be finite and >= 0, got {w}"),
            });
        }
    }
    Ok(())
}

/// Checks that a scalar parameter is finite and non-negative.
pub(crate) fn check_non_negative(name: &'static str, value: f64) -> Result<(), ControlError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(ControlError::InvalidParameter {
            name,
            reason: format!("must be finite and >= 0, got {value}"),
        })
    }
}

/// Checks that position indices exist in a state of size `N` and differ.
pub(crate) fn check_position<const N: usize>(position: [usize; 2]) -> Result<(), ControlError> {
    if position[0] >= N || position[1] >= N || position[0] == position[1] {
        return Err(ControlError::InvalidParameter {
            name: "position",
            reason: format!(
                "indices {position:?} must be two different components of a state of size {N}"
            ),
        });
    }
    Ok(())
}

/// The planar position `(x[i], x[j])`, or `None` when an index is outside the state.
#[inline]
pub(crate) fn position_of<const N: usize>(
    x: &SVector<f64, N>,
    [i, j]: [usize; 2],
) -> Option<nalgebra::Vector2<f64>> {
    Some(nalgebra::Vector2::new(*x.get(i)?, *x.get(j)?))
}
