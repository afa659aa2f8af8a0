//! The arithmetic of a Kalman step shared by the linear and extended filters: validation, the
//! prediction `F P F^T + Q` and the Joseph-form update, each writing the filter's estimate only
//! when the whole step succeeded.
//!
//! How the steps validate, cheaply: a step computes its result and checks that the result is
//! finite (a NaN or infinity in any input reaches it: `F` through `F x` or the diagonal of
//! `F P F^T`, `Q` and `R` through the lower triangles of `P` and `S`, `H` through `S`, whose
//! Cholesky factorisation rejects a non-finite entry), plus the `O(N^2)` comparisons of
//! [`noise_shape_ok`] (which also catch a non-finite strict upper triangle of `Q` or `R`, the part
//! the symmetric products do not read). Only when something fails does a cold path re-check the
//! inputs in order, to name the first bad one exactly as input-first checks would.

use nalgebra::{SMatrix, SVector};

use super::innovation::SmallCholesky;
use super::small_linalg::{is_finite, joseph, mul, noise_shape_ok, project, sym_sandwich, sym_sum};
use super::{EstimationError, Innovation};
use crate::models::error::{covariance_status, CovarianceStatus};
use crate::models::normalize;

/// `ln(2 pi)`.
const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// Rejects a negative or non-finite time step.
#[inline]
pub(crate) fn check_dt(dt: f64) -> Result<(), EstimationError> {
    // (two plain comparisons: `is_finite` compiles to integer bit tests)
    if (0.0..=f64::MAX).contains(&dt) {
        Ok(())
    } else {
        Err(bad_dt(dt))
    }
}

#[cold]
#[inline(never)]
fn bad_dt(dt: f64) -> EstimationError {
    if !dt.is_finite() {
        EstimationError::NonFinite {
            what: "time step dt",
        }
    } else {
        EstimationError::InvalidParameter {
            name: "dt",
            reason: format!("the time step must be >= 0, got {dt}"),
        }
    }
}

/// Rejects a matrix or vector with a NaN or infinite entry.
#[inline]
pub(crate) fn check_finite_matrix<const R: usize, const C: usize>(
    m: &SMatrix<f64, R, C>,
    what: &'static str,
) -> Result<(), EstimationError> {
    if is_finite(m) {
        Ok(())
    } else {
        Err(EstimationError::NonFinite { what })
    }
}

/// Full check of a noise covariance: finite, symmetric to `1e-9` of its largest diagonal entry,
/// non-negative diagonal. (The positive semi-definiteness test is done once when models and
/// filters are built; a bad `S` is caught by its Cholesky factorisation.) The steps run the
/// cheaper [`noise_shape_ok`] and call this only to name what went wrong.
pub(crate) fn check_noise<const D: usize>(
    m: &SMatrix<f64, D, D>,
    what: &'static str,
) -> Result<(), EstimationError> {
    check_finite_matrix(m, what)?;
    if noise_shape_ok(m) {
        Ok(())
    } else {
        Err(EstimationError::NotPositiveDefinite { what })
    }
}

/// Full check of an estimate: finite mean, finite symmetric positive semi-definite covariance.
pub(crate) fn check_estimate<const N: usize>(
    x: &SVector<f64, N>,
    p: &SMatrix<f64, N, N>,
) -> Result<(), EstimationError> {
    check_finite_matrix(x, "state x")?;
    match covariance_status(p) {
        CovarianceStatus::Ok => Ok(()),
        CovarianceStatus::NonFinite => Err(EstimationError::NonFinite {
            what: "state covariance P",
        }),
        _ => Err(EstimationError::NotPositiveDefinite {
            what: "state covariance P",
        }),
    }
}

/// `(M + M^T) / 2`.
#[inline]
pub(crate) fn symmetrized<const D: usize>(mut m: SMatrix<f64, D, D>) -> SMatrix<f64, D, D> {
    for i in 0..D {
        for j in 0..i {
            let v = 0.5 * (m[(i, j)] + m[(j, i)]);
            m[(i, j)] = v;
            m[(j, i)] = v;
        }
    }
    m
}

/// The prediction shared by the linear and extended filters: given the propagated mean `x_pred`
/// and `F P F^T` (its lower triangle is read), sets `x <- x_pred` (angles wrapped) and
/// `P <- F P F^T + Q` (exactly symmetric) after checking `Q` and the result; on error nothing is
/// written.
#[inline(always)]
pub(crate) fn propagate_moments<const N: usize>(
    x_pred: &SVector<f64, N>,
    fpf: &SMatrix<f64, N, N>,
    q: &SMatrix<f64, N, N>,
    x: &mut SVector<f64, N>,
    p: &mut SMatrix<f64, N, N>,
    angles: &[bool; N],
) -> Result<(), EstimationError> {
    let q_ok = noise_shape_ok(q);
    let p_new = sym_sum(fpf, q);
    if !(q_ok && is_finite(x_pred) && is_finite(&p_new)) {
        return Err(prediction_error(x_pred, q));
    }
    *x = *x_pred;
    normalize(x, angles);
    *p = p_new;
    Ok(())
}

/// [`propagate_moments`] with a dense `F` (`P` must be symmetric, as the filters keep it).
#[inline(always)]
pub(crate) fn propagate<const N: usize>(
    x_pred: &SVector<f64, N>,
    f: &SMatrix<f64, N, N>,
    q: &SMatrix<f64, N, N>,
    x: &mut SVector<f64, N>,
    p: &mut SMatrix<f64, N, N>,
    angles: &[bool; N],
) -> Result<(), EstimationError> {
    let fpf = sym_sandwich(f, p);
    propagate_moments(x_pred, &fpf, q, x, p, angles)
}

#[cold]
#[inline(never)]
fn prediction_error<const N: usize>(
    x: &SVector<f64, N>,
    q: &SMatrix<f64, N, N>,
) -> EstimationError {
    check_noise(q, "process noise Q")
        .and(check_finite_matrix(x, "predicted state"))
        .err()
        .unwrap_or(EstimationError::NonFinite {
            what: "predicted covariance",
        })
}

/// The covariance projections an update needs: `P H^T` and `H P H^T` (lower triangle read).
pub(crate) struct Projection<const N: usize, const M: usize> {
    pub(crate) pht: SMatrix<f64, N, M>,
    pub(crate) hph: SMatrix<f64, M, M>,
}

impl<const N: usize, const M: usize> Projection<N, M> {
    /// Through a dense `H` (`P` symmetric).
    #[inline(always)]
    pub(crate) fn dense(h: &SMatrix<f64, M, N>, p: &SMatrix<f64, N, N>) -> Self {
        let (pht, hph) = project(h, p);
        Self { pht, hph }
    }
}

/// `S = H P H^T + R` (exactly symmetric) with its Cholesky factor, and the innovation. `h`
/// gives `H` to the error path only.
#[inline(always)]
fn innovation_parts<const N: usize, const M: usize>(
    y: &SVector<f64, M>,
    projection: &Projection<N, M>,
    r: &SMatrix<f64, M, M>,
    h: impl FnOnce() -> SMatrix<f64, M, N>,
) -> Result<(SmallCholesky<M>, Innovation<M>), EstimationError> {
    let inputs_ok = noise_shape_ok(r) && is_finite(y);
    let s = sym_sum(&projection.hph, r);
    let chol = match SmallCholesky::new(&s) {
        Some(chol) if inputs_ok => chol,
        _ => return Err(innovation_error(y, &h(), r)),
    };
    // NIS = |L^-1 y|^2, ln det S = 2 sum ln L_ii. A finite log-likelihood also tells that the
    // factorisation had no infinite pivot (see `SmallCholesky::new`).
    let mut w = *y;
    chol.solve_lower(&mut w);
    let nis = w.norm_squared();
    let log_likelihood = -0.5 * (nis + M as f64 * LN_2PI + chol.ln_determinant());
    if !(f64::MIN..=f64::MAX).contains(&log_likelihood) {
        return Err(innovation_error(y, &h(), r));
    }
    let innovation = Innovation {
        residual: *y,
        covariance: s,
        nis,
        log_likelihood,
    };
    Ok((chol, innovation))
}

#[cold]
#[inline(never)]
fn innovation_error<const N: usize, const M: usize>(
    y: &SVector<f64, M>,
    h: &SMatrix<f64, M, N>,
    r: &SMatrix<f64, M, M>,
) -> EstimationError {
    check_finite_matrix(y, "innovation residual")
        .and(check_finite_matrix(h, "measurement matrix H"))
        .and(check_noise(r, "measurement noise R"))
        .err()
        .unwrap_or(EstimationError::NotPositiveDefinite {
            what: "innovation covariance S",
        })
}

/// The innovation of an update without performing it.
pub(crate) fn innovation_only<const N: usize, const M: usize>(
    y: &SVector<f64, M>,
    projection: &Projection<N, M>,
    r: &SMatrix<f64, M, M>,
    h: impl FnOnce() -> SMatrix<f64, M, N>,
) -> Result<Innovation<M>, EstimationError> {
    innovation_parts(y, projection, r, h).map(|(_, innovation)| innovation)
}

/// The Joseph-form update shared by the linear and extended filters: with the residual `y`,
/// sets `x <- x + K y` (angles wrapped) and `P <- (I - K H) P (I - K H)^T + K R K^T` (see
/// [`joseph`] for the arrangement) and returns the innovation; on error nothing is written.
/// `h` gives `H` to the error path only.
#[inline(always)]
pub(crate) fn joseph_update<const N: usize, const M: usize>(
    y: &SVector<f64, M>,
    projection: &Projection<N, M>,
    r: &SMatrix<f64, M, M>,
    h: impl FnOnce() -> SMatrix<f64, M, N>,
    x: &mut SVector<f64, N>,
    p: &mut SMatrix<f64, N, N>,
    angles: &[bool; N],
) -> Result<Innovation<M>, EstimationError> {
    let (chol, innovation) = innovation_parts(y, projection, r, h)?;
    // K = P H^T S^-1
    let mut k = projection.pht;
    chol.solve_right(&mut k);
    let x_new = *x + mul(&k, y);
    let p_new = joseph(p, &k, &projection.pht, &innovation.covariance);
    if !(is_finite(&x_new) && is_finite(&p_new)) {
        return Err(update_error(&x_new));
    }
    *x = x_new;
    normalize(x, angles);
    *p = p_new;
    Ok(innovation)
}

#[cold]
#[inline(never)]
fn update_error<const N: usize>(x_new: &SVector<f64, N>) -> EstimationError {
    check_finite_matrix(x_new, "updated state")
        .err()
        .unwrap_or(EstimationError::NonFinite {
            what: "updated covariance",
        })
}
