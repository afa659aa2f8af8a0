//! The Rauch-Tung-Striebel fixed-interval smoother.

use nalgebra::{SMatrix, SVector};

use super::batch::FilterRun;
use super::kalman::check_finite_matrix;
use super::EstimationError;
use crate::models::{normalize, residual};

/// One smoothed estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SmoothedStep<const N: usize> {
    /// Smoothed mean `x^s[k]`.
    pub mean: SVector<f64, N>,
    /// Smoothed covariance `P^s[k]`.
    pub covariance: SMatrix<f64, N, N>,
    /// Smoother gain `C[k] = P[k] F[k+1]^T (P^-[k+1])^-1` (zero at the last step).
    pub gain: SMatrix<f64, N, N>,
}

/// One backward step; `angles` marks the state components whose differences are wrapped.
#[allow(clippy::too_many_arguments)]
#[inline]
fn backward_step<const N: usize>(
    x: &SVector<f64, N>,
    p: &SMatrix<f64, N, N>,
    f_next: &SMatrix<f64, N, N>,
    prior_mean_next: &SVector<f64, N>,
    prior_cov_next: &SMatrix<f64, N, N>,
    smoothed_mean_next: &SVector<f64, N>,
    smoothed_cov_next: &SMatrix<f64, N, N>,
    angles: &[bool; N],
) -> Result<SmoothedStep<N>, EstimationError> {
    let chol = prior_cov_next
        .cholesky()
        .ok_or(EstimationError::NotPositiveDefinite {
            what: "predicted covariance P^-[k+1]",
        })?;
    // C = P F^T (P^-)^-1  <=>  C^T = (P^-)^-1 F P (both covariances symmetric).
    let mut ct = f_next * p;
    chol.solve_mut(&mut ct);
    let c = ct.transpose();
    let mut mean = x + c * residual(smoothed_mean_next, prior_mean_next, angles);
    normalize(&mut mean, angles);
    let mut covariance = p + c * (smoothed_cov_next - prior_cov_next) * ct;
    covariance = (covariance + covariance.transpose()) * 0.5;
    check_finite_matrix(&mean, "smoothed mean")?;
    check_finite_matrix(&covariance, "smoothed covariance")?;
    Ok(SmoothedStep {
        mean,
        covariance,
        gain: c,
    })
}

/// Smooths a filtered run (from [`KalmanFilter::batch_filter`](super::KalmanFilter::batch_filter)
/// or [`ExtendedKalmanFilter::batch_filter`](super::ExtendedKalmanFilter::batch_filter)) with the
/// Rauch-Tung-Striebel recursion, backwards from the last step:
///
/// ```text
/// C[k]   = P[k] F[k+1]^T (P^-[k+1])^-1
/// x^s[k] = x[k] + C[k] (x^s[k+1] - x^-[k+1])
/// P^s[k] = P[k] + C[k] (P^s[k+1] - P^-[k+1]) C[k]^T
/// ```
///
/// with `x[k], P[k]` the filtered posteriors, `x^-[k+1], P^-[k+1]` the stored priors and `F[k+1]`
/// the transition (or motion Jacobian, for the extended smoother) of the prediction into step
/// `k+1`. Differences of the run's angle components are wrapped. This is FilterPy's
/// `rts_smoother` (which recomputes the priors from `Fs` and `Qs`; see [`rts_smoother`]).
///
/// # Errors
/// [`EstimationError::NotPositiveDefinite`] if a stored prior covariance cannot be factorised
/// (for example a zero-noise prediction of a singular covariance), [`EstimationError::NonFinite`]
/// if the result overflows.
///
/// # Cost
/// `O(K N^3)` for `K` steps; allocates only the output.
///
/// ```
/// use nalgebra::{Matrix4, Vector2, Vector4};
/// use kestrel::estimation::{rts_smooth, KalmanFilter};
/// use kestrel::models::{measurement::PositionMeasurement, motion::ConstantVelocity};
/// let cv = ConstantVelocity::new(0.01).unwrap();
/// let gps = PositionMeasurement::<4>::new(ConstantVelocity::POSITION, 0.5).unwrap();
/// let mut kf = KalmanFilter::new(Vector4::zeros(), Matrix4::identity()).unwrap();
/// let run = kf
///     .batch_filter(&cv, &gps, (0..10).map(|k| (1.0, Some(Vector2::new(k as f64, 0.0)))))
///     .unwrap();
/// let smoothed = rts_smooth(&run).unwrap();
/// // smoothing never increases the uncertainty, and the last step equals the filter's
/// assert!(smoothed[0].covariance[(0, 0)] <= run.steps[0].posterior_covariance[(0, 0)]);
/// assert_eq!(smoothed[9].mean, run.steps[9].posterior_mean);
/// ```
pub fn rts_smooth<const N: usize, const M: usize>(
    run: &FilterRun<N, M>,
) -> Result<Vec<SmoothedStep<N>>, EstimationError> {
    let steps = &run.steps;
    let Some(last) = steps.last() else {
        return Ok(Vec::new());
    };
    let mut out = vec![
        SmoothedStep {
            mean: last.posterior_mean,
            covariance: last.posterior_covariance,
            gain: SMatrix::zeros(),
        };
        steps.len()
    ];
    for k in (0..steps.len() - 1).rev() {
        let next = &steps[k + 1];
        out[k] = backward_step(
            &steps[k].posterior_mean,
            &steps[k].posterior_covariance,
            &next.transition,
            &next.prior_mean,
            &next.prior_covariance,
            &out[k + 1].mean,
            &out[k + 1].covariance,
            &run.angles,
        )?;
    }
    Ok(out)
}

/// FilterPy-style RTS smoother on raw arrays: filtered means `xs[k]` and covariances `ps[k]`, with
/// `fs[k]` and `qs[k]` the transition and process noise of the prediction **into** step `k`
/// (`fs[0]`, `qs[0]` are unused), exactly as FilterPy's `rts_smoother(Xs, Ps, Fs, Qs)`. The
/// priors are recomputed as `x^-[k+1] = F[k+1] x[k]`, `P^-[k+1] = F[k+1] P[k] F[k+1]^T + Q[k+1]`
/// (so the filter must have had no control input). Returns the smoothed means and covariances.
///
/// # Errors
/// [`EstimationError::DimensionMismatch`] if the four slices differ in length, and the errors of
/// [`rts_smooth`].
///
/// ```
/// use nalgebra::{Matrix1, Vector1};
/// use kestrel::estimation::rts_smoother;
/// // a random walk observed twice: the first estimate moves toward the second
/// let xs = [Vector1::new(0.0), Vector1::new(1.0)];
/// let ps = [Matrix1::new(1.0), Matrix1::new(0.5)];
/// let fs = [Matrix1::new(1.0); 2];
/// let qs = [Matrix1::new(1.0); 2];
/// let (m, p) = rts_smoother(&xs, &ps, &fs, &qs).unwrap();
/// // C = 1/2, x^s = 0 + 0.5 (1 - 0), P^s = 1 + 0.25 (0.5 - 2)
/// assert!((m[0][0] - 0.5).abs() < 1e-15 && (p[0][(0, 0)] - 0.625).abs() < 1e-15);
/// ```
#[allow(clippy::type_complexity)]
pub fn rts_smoother<const N: usize>(
    xs: &[SVector<f64, N>],
    ps: &[SMatrix<f64, N, N>],
    fs: &[SMatrix<f64, N, N>],
    qs: &[SMatrix<f64, N, N>],
) -> Result<(Vec<SVector<f64, N>>, Vec<SMatrix<f64, N, N>>), EstimationError> {
    let n = xs.len();
    for (what, len) in [
        ("covariances", ps.len()),
        ("transitions", fs.len()),
        ("noises", qs.len()),
    ] {
        if len != n {
            return Err(EstimationError::DimensionMismatch {
                what,
                expected: n,
                found: len,
            });
        }
    }
    let mut means = xs.to_vec();
    let mut covs = ps.to_vec();
    let angles = [false; N];
    for k in (0..n.saturating_sub(1)).rev() {
        let f = &fs[k + 1];
        let prior_mean = f * xs[k];
        let mut prior_cov = f * ps[k] * f.transpose() + qs[k + 1];
        prior_cov = (prior_cov + prior_cov.transpose()) * 0.5;
        let s = backward_step(
            &xs[k],
            &ps[k],
            f,
            &prior_mean,
            &prior_cov,
            &means[k + 1],
            &covs[k + 1],
            &angles,
        )?;
        means[k] = s.mean;
        covs[k] = s.covariance;
    }
    Ok((means, covs))
}
