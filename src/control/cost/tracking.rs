//! Quadratic tracking of a per-stage state reference.

use nalgebra::SVector;

use super::{check_weights, CostTerm, StageGradient};
use crate::control::error::{first_non_finite, ControlError};
use crate::geometry::wrap_angle;

/// Reference tracking: `l_t = (x - r_t)^T diag(w) (x - r_t)` at the stages and
/// `l_H = (x - r_H)^T diag(w_H) (x - r_H)` at the end of the horizon.
///
/// The reference holds `H + 1` states `r_0 .. r_H` (stage `t` of the horizon, counted from the
/// measured state); update it in place before each solve with
/// [`reference_mut`](Self::reference_mut) (no allocation) or [`set_reference`](Self::set_reference).
/// Components marked in the angle mask are compared with wrapped residuals
/// ([`residual`](crate::models::residual)), so headings of 179 and -179 degrees are 2 degrees
/// apart. The gradient is `2 diag(w) (x - r_t)`.
///
/// # Errors
/// Construction rejects negative or non-finite weights; [`check`](CostTerm::check) (run by the
/// MPC before every solve) rejects a reference shorter than `H + 1` or with a non-finite entry.
///
/// ```
/// use nalgebra::{Vector2, Vector3};
/// use kestrel::control::{CostTerm, StageGradient, StateTracking};
/// let mut track = StateTracking::new(Vector3::new(1.0, 1.0, 2.0), Vector3::repeat(10.0), 5).unwrap()
///     .with_angles([false, false, true]);
/// track.reference_mut()[1] = Vector3::new(1.0, 0.0, std::f64::consts::PI - 0.1);
/// let mut g = StageGradient::<3, 2>::zeros();
/// let x = Vector3::new(0.0, 0.0, -std::f64::consts::PI + 0.1);
/// let c = track.stage(1, &x, &Vector2::zeros(), &Vector2::zeros(), &mut g);
/// assert!((c - (1.0 + 2.0 * 0.04)).abs() < 1e-12); // heading residual 0.2 rad, not 2 pi - 0.2
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct StateTracking<const N: usize> {
    weights: SVector<f64, N>,
    terminal_weights: SVector<f64, N>,
    angles: [bool; N],
    reference: Vec<SVector<f64, N>>,
}

impl<const N: usize> StateTracking<N> {
    /// Tracking with stage weights `w` and terminal weights `w_H` (diagonals), for a horizon of
    /// `horizon` steps; the reference starts at zero.
    ///
    /// # Errors
    /// [`ControlError::InvalidParameter`] for a negative or non-finite weight,
    /// [`ControlError::ZeroHorizon`] for `horizon == 0`.
    pub fn new(
        weights: SVector<f64, N>,
        terminal_weights: SVector<f64, N>,
        horizon: usize,
    ) -> Result<Self, ControlError> {
        check_weights("weights", &weights)?;
        check_weights("terminal_weights", &terminal_weights)?;
        if horizon == 0 {
            return Err(ControlError::ZeroHorizon);
        }
        Ok(Self {
            weights,
            terminal_weights,
            angles: [false; N],
            reference: vec![SVector::zeros(); horizon + 1],
        })
    }

    /// Marks the angle components (their residuals are wrapped to `[-pi, pi)`).
    pub fn with_angles(mut self, angles: [bool; N]) -> Self {
        self.angles = angles;
        self
    }

    /// The reference `r_0 .. r_H`, to be edited in place.
    pub fn reference_mut(&mut self) -> &mut [SVector<f64, N>] {
        &mut self.reference
    }

    /// The reference `r_0 .. r_H`.
    pub fn reference(&self) -> &[SVector<f64, N>] {
        &self.reference
    }

    /// Copies a new reference (it must have `H + 1` finite states).
    ///
    /// # Errors
    /// [`ControlError::LengthMismatch`] or [`ControlError::NonFinite`]; the reference is left
    /// unchanged.
    pub fn set_reference(&mut self, reference: &[SVector<f64, N>]) -> Result<(), ControlError> {
        if reference.len() != self.reference.len() {
            return Err(ControlError::LengthMismatch {
                what: "reference",
                expected: self.reference.len(),
                found: reference.len(),
            });
        }
        if let Some(index) = reference
            .iter()
            .position(|r| first_non_finite(r.iter()).is_some())
        {
            return Err(ControlError::NonFinite {
                what: "reference",
                index,
            });
        }
        self.reference.copy_from_slice(reference);
        Ok(())
    }

    #[inline]
    fn residual(&self, x: &SVector<f64, N>, r: &SVector<f64, N>) -> SVector<f64, N> {
        let mut e = x - r;
        for (i, &a) in self.angles.iter().enumerate() {
            if a {
                e[i] = wrap_angle(e[i]);
            }
        }
        e
    }
}

impl<const N: usize, const M: usize> CostTerm<N, M> for StateTracking<N> {
    #[inline]
    fn stage(
        &self,
        t: usize,
        x: &SVector<f64, N>,
        _u: &SVector<f64, M>,
        _u_prev: &SVector<f64, M>,
        grad: &mut StageGradient<N, M>,
    ) -> f64 {
        // Stages beyond the reference (only when called outside the MPC, which checks the
        // length first) reuse its last state.
        let r = self
            .reference
            .get(t)
            .unwrap_or(&self.reference[self.reference.len() - 1]);
        let e = self.residual(x, r);
        let we = self.weights.component_mul(&e);
        grad.x += we * 2.0;
        we.dot(&e)
    }

    #[inline]
    fn terminal(&self, x: &SVector<f64, N>, grad_x: &mut SVector<f64, N>) -> f64 {
        let r = &self.reference[self.reference.len() - 1];
        let e = self.residual(x, r);
        let we = self.terminal_weights.component_mul(&e);
        *grad_x += we * 2.0;
        we.dot(&e)
    }

    fn check(&self, horizon: usize) -> Result<(), ControlError> {
        if self.reference.len() != horizon + 1 {
            return Err(ControlError::LengthMismatch {
                what: "tracking reference",
                expected: horizon + 1,
                found: self.reference.len(),
            });
        }
        if let Some(index) = self
            .reference
            .iter()
            .position(|r| first_non_finite(r.iter()).is_some())
        {
            return Err(ControlError::NonFinite {
                what: "tracking reference",
                index,
            });
        }
        Ok(())
    }
}
