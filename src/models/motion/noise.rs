//! Discretised process noise for kinematic (polynomial) motion models.
//!
//! Two discretisations are in common use and they differ, so every kinematic model says which one
//! it uses through [`ProcessNoise`]:
//!
//! - **Continuous white noise** (the default): the highest derivative is driven by continuous
//!   white noise of power spectral density `q`, integrated exactly over `dt`
//!   (Bar-Shalom, Li and Kirubarajan 2001, sections 6.2.2 and 6.2.3; FilterPy's
//!   `Q_continuous_white_noise`; Stone Soup's `ConstantVelocity`). For position-velocity,
//!   `q [[dt^3/3, dt^2/2], [dt^2/2, dt]]`, with `q` in m^2/s^3. It is positive definite for
//!   `dt > 0` and consistent across sampling rates (two steps of `dt` equal one of `2 dt`).
//! - **Piecewise constant** ("discrete white noise"): the highest derivative is constant over
//!   each step and uncorrelated between steps, with variance `var`
//!   (Bar-Shalom et al. sections 6.3.2 and 6.3.3; FilterPy's `Q_discrete_white_noise`). For
//!   position-velocity, `var G G^T` with `G = [dt^2/2, dt]^T`, that is
//!   `var [[dt^4/4, dt^3/2], [dt^3/2, dt^2]]`, with `var` in m^2/s^4. It has rank one per axis.

use nalgebra::{Matrix2, Matrix3};

/// Which discretisation of process noise a kinematic model uses (see [`velocity_noise_block`] and
/// [`acceleration_noise_block`] for the matrices, and the [`motion`](super) module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProcessNoise {
    /// Continuous white noise on the highest derivative, integrated exactly over `dt`
    /// (FilterPy `Q_continuous_white_noise`). The intensity is a power spectral density.
    #[default]
    ContinuousWhite,
    /// Highest derivative piecewise constant over each step (FilterPy `Q_discrete_white_noise`).
    /// The intensity is the variance of that derivative.
    PiecewiseConstant,
}

/// Position-velocity noise block for one axis, `[[q_pp, q_pv], [q_pv, q_vv]]`.
///
/// - continuous white acceleration, PSD `q`: `q [[dt^3/3, dt^2/2], [dt^2/2, dt]]`;
/// - piecewise-constant acceleration, variance `q`: `q [[dt^4/4, dt^3/2], [dt^3/2, dt^2]]`.
///
/// ```
/// use kestrel::models::motion::{velocity_noise_block, ProcessNoise};
/// let c = velocity_noise_block(ProcessNoise::ContinuousWhite, 2.0, 3.0);
/// assert!((c[(0, 0)] - 3.0 * 8.0 / 3.0).abs() < 1e-12 && (c[(0, 1)] - 6.0).abs() < 1e-12);
/// let d = velocity_noise_block(ProcessNoise::PiecewiseConstant, 2.0, 3.0);
/// assert!((d[(0, 0)] - 12.0).abs() < 1e-12 && (d[(1, 1)] - 12.0).abs() < 1e-12);
/// ```
#[inline]
pub fn velocity_noise_block(kind: ProcessNoise, dt: f64, q: f64) -> Matrix2<f64> {
    let dt2 = dt * dt;
    let dt3 = dt2 * dt;
    match kind {
        ProcessNoise::ContinuousWhite => Matrix2::new(dt3 / 3.0, dt2 / 2.0, dt2 / 2.0, dt) * q,
        ProcessNoise::PiecewiseConstant => {
            let dt4 = dt2 * dt2;
            Matrix2::new(dt4 / 4.0, dt3 / 2.0, dt3 / 2.0, dt2) * q
        }
    }
}

/// Position-velocity-acceleration noise block for one axis.
///
/// - continuous white jerk (Wiener-process acceleration), PSD `q` in m^2/s^5:
///   `q [[dt^5/20, dt^4/8, dt^3/6], [dt^4/8, dt^3/3, dt^2/2], [dt^3/6, dt^2/2, dt]]`;
/// - piecewise-constant acceleration increment (FilterPy `Q_discrete_white_noise(dim=3)`),
///   variance `q`: `q [[dt^4/4, dt^3/2, dt^2/2], [dt^3/2, dt^2, dt], [dt^2/2, dt, 1]]`.
///
/// ```
/// use kestrel::models::motion::{acceleration_noise_block, ProcessNoise};
/// let c = acceleration_noise_block(ProcessNoise::ContinuousWhite, 1.0, 1.0);
/// assert!((c[(0, 0)] - 0.05).abs() < 1e-15 && (c[(2, 2)] - 1.0).abs() < 1e-15);
/// let d = acceleration_noise_block(ProcessNoise::PiecewiseConstant, 2.0, 1.0);
/// assert!((d[(0, 2)] - 2.0).abs() < 1e-15 && (d[(2, 2)] - 1.0).abs() < 1e-15);
/// ```
#[inline]
pub fn acceleration_noise_block(kind: ProcessNoise, dt: f64, q: f64) -> Matrix3<f64> {
    let dt2 = dt * dt;
    let dt3 = dt2 * dt;
    let dt4 = dt2 * dt2;
    match kind {
        ProcessNoise::ContinuousWhite => {
            let dt5 = dt4 * dt;
            Matrix3::new(
                dt5 / 20.0,
                dt4 / 8.0,
                dt3 / 6.0,
                dt4 / 8.0,
                dt3 / 3.0,
                dt2 / 2.0,
                dt3 / 6.0,
                dt2 / 2.0,
                dt,
            ) * q
        }
        ProcessNoise::PiecewiseConstant => {
            Matrix3::new(
                dt4 / 4.0,
                dt3 / 2.0,
                dt2 / 2.0,
                dt3 / 2.0,
                dt2,
                dt,
                dt2 / 2.0,
                dt,
                1.0,
            ) * q
        }
    }
}
