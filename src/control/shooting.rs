//! The horizon cost of an action sequence and its gradient by the adjoint method
//! (back-propagation through the unrolled dynamics).

use nalgebra::SVector;

use super::cost::{CostTerm, StageGradient};
use super::dynamics::Dynamics;
use super::error::ControlError;

fn check_lengths<const N: usize, const M: usize>(
    actions: &[SVector<f64, M>],
    states: &[SVector<f64, N>],
) -> Result<(), ControlError> {
    if actions.is_empty() {
        return Err(ControlError::ZeroHorizon);
    }
    if states.len() != actions.len() + 1 {
        return Err(ControlError::LengthMismatch {
            what: "state buffer",
            expected: actions.len() + 1,
            found: states.len(),
        });
    }
    Ok(())
}

/// Unrolls the dynamics: `states[0] = x0`, `states[t+1] = f(states[t], actions[t])`.
///
/// # Errors
/// [`ControlError::ZeroHorizon`] for no actions, [`ControlError::LengthMismatch`] unless
/// `states.len() == actions.len() + 1`, [`ControlError::Diverged`] when a predicted state is not
/// finite (the buffer then holds the rollout up to that stage).
///
/// ```
/// use nalgebra::{Vector2, Vector3};
/// use kestrel::control::{rollout, UnicycleDynamics};
/// let car = UnicycleDynamics::unicycle(0.5).unwrap();
/// let mut states = [Vector3::zeros(); 3];
/// rollout(&car, &Vector3::zeros(), &[Vector2::new(2.0, 0.0); 2], &mut states).unwrap();
/// assert!((states[2].x - 2.0).abs() < 1e-12);
/// ```
pub fn rollout<D, const N: usize, const M: usize>(
    dynamics: &D,
    x0: &SVector<f64, N>,
    actions: &[SVector<f64, M>],
    states: &mut [SVector<f64, N>],
) -> Result<(), ControlError>
where
    D: Dynamics<N, M> + ?Sized,
{
    check_lengths(actions, states)?;
    states[0] = *x0;
    for (t, u) in actions.iter().enumerate() {
        let next = dynamics.step(&states[t], u);
        if !next.iter().all(|v| v.is_finite()) {
            return Err(ControlError::Diverged {
                what: "state",
                stage: t + 1,
            });
        }
        states[t + 1] = next;
    }
    Ok(())
}

/// The horizon cost `J = sum_{t<H} l_t(x[t], u[t], u[t-1]) + l_H(x[H])` of an action sequence
/// (forward pass only). `u_prev` is `u[-1]`, the action applied before this plan.
///
/// # Errors
/// As [`rollout`], plus [`ControlError::Diverged`] for a non-finite cost.
pub fn horizon_cost<D, C, const N: usize, const M: usize>(
    dynamics: &D,
    cost: &C,
    x0: &SVector<f64, N>,
    u_prev: &SVector<f64, M>,
    actions: &[SVector<f64, M>],
    states: &mut [SVector<f64, N>],
) -> Result<f64, ControlError>
where
    D: Dynamics<N, M> + ?Sized,
    C: CostTerm<N, M> + ?Sized,
{
    rollout(dynamics, x0, actions, states)?;
    let horizon = actions.len();
    let mut scratch = StageGradient::zeros();
    let mut grad_x = SVector::zeros();
    let mut total = cost.terminal(&states[horizon], &mut grad_x);
    // Same summation order as the adjoint pass, so both return the same number.
    for t in (0..horizon).rev() {
        let prev = if t == 0 { u_prev } else { &actions[t - 1] };
        total += cost.stage(t, &states[t], &actions[t], prev, &mut scratch);
    }
    if !total.is_finite() {
        return Err(ControlError::Diverged {
            what: "cost",
            stage: horizon,
        });
    }
    Ok(total)
}

/// The horizon cost and its gradient `dJ/du[t]` for every action, by the adjoint method.
///
/// Forward: roll out `x[t+1] = f(x[t], u[t])`. Backward (Kelley-Bryson / back-propagation
/// through time), with `lambda[t] = dJ/dx[t]`:
///
/// ```text
/// lambda[H] = dl_H/dx[H]
/// for t = H-1 .. 0:
///     (a_x, a_u) = vjp(x[t], u[t], lambda[t+1])          // (df/dx)^T lambda, (df/du)^T lambda
///     dJ/du[t]   += dl_t/du[t] + a_u
///     dJ/du[t-1] += dl_t/du[t-1]                           // rate terms, t >= 1
///     lambda[t]   = dl_t/dx[t] + a_x
/// ```
///
/// Cost: `H` steps, `H` adjoint products and `H + 1` cost-term evaluations; no allocation
/// (the caller provides `states` of length `H + 1` and `gradient` of length `H`).
///
/// # Errors
/// As [`horizon_cost`], plus [`ControlError::LengthMismatch`] unless `gradient.len() == H`.
///
/// ```
/// use nalgebra::{Vector2, Vector4};
/// use kestrel::control::{horizon_cost_gradient, BicycleDynamics, ControlEffort};
/// let car = BicycleDynamics::bicycle(2.5, 0.1).unwrap();
/// let effort = ControlEffort::new(Vector2::new(1.0, 1.0)).unwrap();
/// let actions = [Vector2::new(1.0, 0.1); 3];
/// let (mut states, mut grad) = ([Vector4::zeros(); 4], [Vector2::zeros(); 3]);
/// let j = horizon_cost_gradient(&car, &effort, &Vector4::zeros(), &Vector2::zeros(), &actions,
///                               &mut states, &mut grad).unwrap();
/// assert!((j - 3.0 * 1.01).abs() < 1e-12 && (grad[0] - Vector2::new(2.0, 0.2)).norm() < 1e-12);
/// ```
pub fn horizon_cost_gradient<D, C, const N: usize, const M: usize>(
    dynamics: &D,
    cost: &C,
    x0: &SVector<f64, N>,
    u_prev: &SVector<f64, M>,
    actions: &[SVector<f64, M>],
    states: &mut [SVector<f64, N>],
    gradient: &mut [SVector<f64, M>],
) -> Result<f64, ControlError>
where
    D: Dynamics<N, M> + ?Sized,
    C: CostTerm<N, M> + ?Sized,
{
    let horizon = actions.len();
    if gradient.len() != horizon {
        return Err(ControlError::LengthMismatch {
            what: "gradient buffer",
            expected: horizon,
            found: gradient.len(),
        });
    }
    rollout(dynamics, x0, actions, states)?;
    gradient.fill(SVector::zeros());
    let mut lambda = SVector::zeros();
    let mut total = cost.terminal(&states[horizon], &mut lambda);
    for t in (0..horizon).rev() {
        let prev = if t == 0 { u_prev } else { &actions[t - 1] };
        let mut g = StageGradient::zeros();
        total += cost.stage(t, &states[t], &actions[t], prev, &mut g);
        let (ax, au) = dynamics.vjp(&states[t], &actions[t], &lambda);
        gradient[t] += g.u + au;
        if t > 0 {
            gradient[t - 1] += g.u_prev;
        }
        lambda = g.x + ax;
    }
    if !total.is_finite() {
        return Err(ControlError::Diverged {
            what: "cost",
            stage: horizon,
        });
    }
    Ok(total)
}
