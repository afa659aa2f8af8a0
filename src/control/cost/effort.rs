//! Control effort and control rate penalties.

use nalgebra::SVector;

use super::{check_weights, CostTerm, StageGradient};
use crate::control::error::{first_non_finite, ControlError};

/// Control effort `l_t = (u - u_ref)^T diag(r) (u - u_ref)` at every stage (no terminal part).
///
/// ```
/// use nalgebra::{Vector2, Vector4};
/// use kestrel::control::{ControlEffort, CostTerm, StageGradient};
/// let effort = ControlEffort::new(Vector2::new(0.1, 1.0)).unwrap();
/// let mut g = StageGradient::<4, 2>::zeros();
/// let c = effort.stage(0, &Vector4::zeros(), &Vector2::new(2.0, 0.5), &Vector2::zeros(), &mut g);
/// assert!((c - 0.65).abs() < 1e-12 && (g.u - Vector2::new(0.4, 1.0)).norm() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ControlEffort<const M: usize> {
    weights: SVector<f64, M>,
    nominal: SVector<f64, M>,
}

impl<const M: usize> ControlEffort<M> {
    /// Effort with diagonal weights `r` about a zero action.
    ///
    /// # Errors
    /// [`ControlError::InvalidParameter`] for a negative or non-finite weight.
    pub fn new(weights: SVector<f64, M>) -> Result<Self, ControlError> {
        check_weights("effort weights", &weights)?;
        Ok(Self {
            weights,
            nominal: SVector::zeros(),
        })
    }

    /// Penalises the distance to `nominal` instead of to zero (for example a hover thrust).
    ///
    /// # Errors
    /// [`ControlError::NonFinite`] for a non-finite nominal action.
    pub fn with_nominal(mut self, nominal: SVector<f64, M>) -> Result<Self, ControlError> {
        if let Some(index) = first_non_finite(nominal.iter()) {
            return Err(ControlError::NonFinite {
                what: "nominal action",
                index,
            });
        }
        self.nominal = nominal;
        Ok(self)
    }
}

impl<const N: usize, const M: usize> CostTerm<N, M> for ControlEffort<M> {
    #[inline]
    fn stage(
        &self,
        _t: usize,
        _x: &SVector<f64, N>,
        u: &SVector<f64, M>,
        _u_prev: &SVector<f64, M>,
        grad: &mut StageGradient<N, M>,
    ) -> f64 {
        let e = u - self.nominal;
        let we = self.weights.component_mul(&e);
        grad.u += we * 2.0;
        we.dot(&e)
    }
}

/// Control rate `l_t = (u[t] - u[t-1])^T diag(s) (u[t] - u[t-1])`, where `u[-1]` is the action
/// applied at the previous control step (so the first action of the plan is also penalised
/// for jumping away from what the actuator is doing).
///
/// ```
/// use nalgebra::{Vector2, Vector4};
/// use kestrel::control::{ControlRate, CostTerm, StageGradient};
/// let rate = ControlRate::new(Vector2::new(0.0, 10.0)).unwrap();
/// let mut g = StageGradient::<4, 2>::zeros();
/// let c = rate.stage(0, &Vector4::zeros(), &Vector2::new(1.0, 0.3), &Vector2::new(0.0, 0.1), &mut g);
/// assert!((c - 0.4).abs() < 1e-12 && (g.u_prev[1] + 4.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ControlRate<const M: usize> {
    weights: SVector<f64, M>,
}

impl<const M: usize> ControlRate<M> {
    /// Rate penalty with diagonal weights `s`.
    ///
    /// # Errors
    /// [`ControlError::InvalidParameter`] for a negative or non-finite weight.
    pub fn new(weights: SVector<f64, M>) -> Result<Self, ControlError> {
        check_weights("rate weights", &weights)?;
        Ok(Self { weights })
    }
}

impl<const N: usize, const M: usize> CostTerm<N, M> for ControlRate<M> {
    #[inline]
    fn stage(
        &self,
        _t: usize,
        _x: &SVector<f64, N>,
        u: &SVector<f64, M>,
        u_prev: &SVector<f64, M>,
        grad: &mut StageGradient<N, M>,
    ) -> f64 {
        let e = u - u_prev;
        let we = self.weights.component_mul(&e);
        grad.u += we * 2.0;
        grad.u_prev -= we * 2.0;
        we.dot(&e)
    }
}
