//! The per-track filter role: what a tracker needs from a state estimator.
//!
//! A tracker predicts every track, gates detections on the predicted measurement `zhat` and its
//! covariance `S`, then updates each track with its assigned detection (GNN) or with all gated
//! detections weighted by their association probabilities (JPDA). [`TrackFilter`] is that
//! contract; it is implemented for the estimation library's filters bundled with their models:
//!
//! | type | filter | motion model | measurement model |
//! |---|---|---|---|
//! | [`KalmanTrack`] | [`KalmanFilter`](crate::estimation::KalmanFilter) | [`LinearMotion`](crate::models::motion::LinearMotion) | [`LinearMeasurement`](crate::models::measurement::LinearMeasurement) |
//! | [`ExtendedTrack`] | [`ExtendedKalmanFilter`](crate::estimation::ExtendedKalmanFilter) | [`MotionJacobian`](crate::models::MotionJacobian) | [`MeasurementJacobian`](crate::models::MeasurementJacobian) |
//! | [`UnscentedTrack`] | [`UnscentedKalmanFilter`](crate::estimation::UnscentedKalmanFilter) | [`MotionModel`](crate::models::MotionModel) | [`MeasurementModel`](crate::models::MeasurementModel) |
//! | [`ImmTrack`] | [`ImmEstimator`](crate::estimation::ImmEstimator) | per mode | per mode, plus one in the common state for gating |
//!
//! # The weighted (PDA) update
//! With gain `K` (`P H^T S^-1`, or `P_xz S^-1` for the UKF), residuals `y_j = z_j (-) zhat`
//! (angles wrapped) and normalised weights `beta_0 + sum_j beta_j = 1`:
//!
//! ```text
//! ybar = sum_j beta_j y_j
//! x   <- x (+) K ybar
//! P   <- beta_0 P + (1 - beta_0) (P - K S K^T) + K (sum_j beta_j y_j y_j^T - ybar ybar^T) K^T
//! ```
//!
//! (Bar-Shalom, Daum and Huang 2009, "The probabilistic data association filter", IEEE Control
//! Systems 29(6).) The last term is the spread of the innovations. For a linear Gaussian model it
//! is exactly the moment-matched mixture of the per-detection Kalman updates (what Stone Soup's
//! JPDA tracker computes with its Gaussian-mixture reducer). The IMM uses the per-mode form of
//! [`ImmEstimator::update_weighted`](crate::estimation::ImmEstimator::update_weighted).

mod imm;
mod kalman;
mod unscented;

pub use imm::ImmTrack;
pub use kalman::{ExtendedTrack, KalmanTrack, ModelTrack};
pub use unscented::UnscentedTrack;

use nalgebra::{SMatrix, SVector};

use crate::estimation::{EstimationError, Innovation};
use crate::models::{normalize, residual};

/// The predicted measurement of a track and its innovation covariance `S = H P H^T + R`: the
/// centre and shape of its gate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeasurementPrediction<const M: usize> {
    /// `zhat = h(x)` (or the sigma-point mean).
    pub zhat: SVector<f64, M>,
    /// `S`, symmetric positive definite.
    pub covariance: SMatrix<f64, M, M>,
}

/// A state estimator that a tracker can drive. See the [module docs](self).
///
/// `N` is the state dimension the tracker reports (the common state for an IMM), `M` the
/// measurement dimension. Every method must leave the filter unchanged when it returns an error.
/// The trait is object safe: `Box<dyn TrackFilter<N, M> + Send>` is itself a track filter, so a
/// runner can pick the filter by name.
///
/// ```
/// use nalgebra::{Matrix4, Vector2, Vector4};
/// use kestrel::estimation::{ExtendedKalmanFilter, KalmanFilter, SigmaPoints, UnscentedKalmanFilter};
/// use kestrel::models::{measurement::PositionMeasurement, motion::ConstantVelocity};
/// use kestrel::tracking::{ExtendedTrack, KalmanTrack, TrackFilter, UnscentedTrack};
/// let (cv, gps) = (ConstantVelocity::new(0.1).unwrap(),
///                  PositionMeasurement::<4>::new(ConstantVelocity::POSITION, 0.5).unwrap());
/// let (x, p) = (Vector4::new(0.0, 1.0, 0.0, 0.0), Matrix4::identity());
/// let by_name = |name: &str| -> Box<dyn TrackFilter<4, 2> + Send> {
///     match name {
///         "ekf" => Box::new(ExtendedTrack::new(ExtendedKalmanFilter::new(x, p).unwrap(), cv, gps)),
///         "ukf" => Box::new(UnscentedTrack::new(
///             UnscentedKalmanFilter::new(x, p, SigmaPoints::merwe(0.5, 2.0, 0.0).unwrap()).unwrap(), cv, gps)),
///         _ => Box::new(KalmanTrack::new(KalmanFilter::new(x, p).unwrap(), cv, gps)),
///     }
/// };
/// let (mut kf, mut ukf) = (by_name("kf"), by_name("ukf"));
/// for f in [&mut kf, &mut ukf] {
///     f.predict(1.0).unwrap();
///     f.update(&Vector2::new(1.2, 0.1)).unwrap();
/// }
/// assert!((kf.state() - ukf.state()).amax() < 1e-9); // a linear problem: the same estimate
/// ```
pub trait TrackFilter<const N: usize, const M: usize> {
    /// Predicts over `dt` seconds.
    fn predict(&mut self, dt: f64) -> Result<(), EstimationError>;

    /// The predicted measurement `zhat` and innovation covariance `S` of the current estimate,
    /// for gating and association likelihoods. Implementations may cache what the weighted
    /// update needs (hence `&mut self`).
    fn measurement_prediction(&mut self) -> Result<MeasurementPrediction<M>, EstimationError>;

    /// Which measurement components are angles (residuals wrapped to `[-pi, pi)`).
    fn measurement_angles(&self) -> [bool; M];

    /// Updates with one detection (hard association) and returns the innovation.
    fn update(&mut self, z: &SVector<f64, M>) -> Result<Innovation<M>, EstimationError>;

    /// Updates with candidate detections weighted by association probabilities `weights`, with
    /// `missed_weight` the probability that none is the track's (normalised to sum to 1); see
    /// the [module docs](self).
    fn update_weighted(
        &mut self,
        detections: &[SVector<f64, M>],
        weights: &[f64],
        missed_weight: f64,
    ) -> Result<(), EstimationError>;

    /// The state mean.
    fn state(&self) -> SVector<f64, N>;

    /// The state covariance.
    fn covariance(&self) -> SMatrix<f64, N, N>;
}

impl<const N: usize, const M: usize> TrackFilter<N, M> for Box<dyn TrackFilter<N, M> + Send> {
    fn predict(&mut self, dt: f64) -> Result<(), EstimationError> {
        (**self).predict(dt)
    }
    fn measurement_prediction(&mut self) -> Result<MeasurementPrediction<M>, EstimationError> {
        (**self).measurement_prediction()
    }
    fn measurement_angles(&self) -> [bool; M] {
        (**self).measurement_angles()
    }
    fn update(&mut self, z: &SVector<f64, M>) -> Result<Innovation<M>, EstimationError> {
        (**self).update(z)
    }
    fn update_weighted(
        &mut self,
        detections: &[SVector<f64, M>],
        weights: &[f64],
        missed_weight: f64,
    ) -> Result<(), EstimationError> {
        (**self).update_weighted(detections, weights, missed_weight)
    }
    fn state(&self) -> SVector<f64, N> {
        (**self).state()
    }
    fn covariance(&self) -> SMatrix<f64, N, N> {
        (**self).covariance()
    }
}

/// Checks the weights of a weighted update and returns their sum.
pub(crate) fn weight_total<const M: usize>(
    detections: &[SVector<f64, M>],
    weights: &[f64],
    missed_weight: f64,
) -> Result<f64, EstimationError> {
    if weights.len() != detections.len() {
        return Err(EstimationError::DimensionMismatch {
            what: "association weights",
            expected: detections.len(),
            found: weights.len(),
        });
    }
    if detections.iter().any(|z| !z.iter().all(|v| v.is_finite())) {
        return Err(EstimationError::NonFinite {
            what: "candidate measurement",
        });
    }
    let total = weights.iter().sum::<f64>() + missed_weight;
    let bad = |w: f64| !(w.is_finite() && w >= 0.0);
    if bad(missed_weight) || weights.iter().any(|&w| bad(w)) || total <= 0.0 {
        return Err(EstimationError::InvalidParameter {
            name: "association weights",
            reason: "weights must be finite, non-negative and not all zero".into(),
        });
    }
    Ok(total)
}

/// The inputs of a PDA update for a Gaussian estimate.
pub(crate) struct PdaInputs<'a, const N: usize, const M: usize> {
    pub x: &'a SVector<f64, N>,
    pub p: &'a SMatrix<f64, N, N>,
    pub x_angles: &'a [bool; N],
    pub zhat: &'a SVector<f64, M>,
    pub s: &'a SMatrix<f64, M, M>,
    /// `P H^T` (or the cross covariance `P_xz`).
    pub pxz: &'a SMatrix<f64, N, M>,
    pub z_angles: &'a [bool; M],
}

/// The PDA update of the [module docs](self). Returns the new `(x, P)`.
pub(crate) fn pda_update<const N: usize, const M: usize>(
    inputs: &PdaInputs<'_, N, M>,
    detections: &[SVector<f64, M>],
    weights: &[f64],
    missed_weight: f64,
) -> Result<(SVector<f64, N>, SMatrix<f64, N, N>), EstimationError> {
    let total = weight_total(detections, weights, missed_weight)?;
    let chol = inputs
        .s
        .cholesky()
        .ok_or(EstimationError::NotPositiveDefinite {
            what: "innovation covariance S",
        })?;
    // K = Pxz S^-1  <=>  S K^T = Pxz^T
    let k: SMatrix<f64, N, M> = chol.solve(&inputs.pxz.transpose()).transpose();
    let mut ybar = SVector::<f64, M>::zeros();
    let mut spread = SMatrix::<f64, M, M>::zeros();
    for (z, &w) in detections.iter().zip(weights) {
        let beta = w / total;
        if beta == 0.0 {
            continue;
        }
        let y = residual(z, inputs.zhat, inputs.z_angles);
        ybar += y * beta;
        spread += y * y.transpose() * beta;
    }
    spread -= ybar * ybar.transpose();
    let beta0 = missed_weight / total;
    let mut x = inputs.x + k * ybar;
    normalize(&mut x, inputs.x_angles);
    let kskt = k * inputs.s * k.transpose();
    let p = inputs.p - kskt * (1.0 - beta0) + k * spread * k.transpose();
    let p = (p + p.transpose()) * 0.5;
    if !x.iter().chain(p.iter()).all(|v| v.is_finite()) {
        return Err(EstimationError::NonFinite {
            what: "weighted update",
        });
    }
    Ok((x, p))
}

/// `S = H P H^T + R` symmetrised, with `P H^T`.
pub(crate) fn innovation_covariance<const N: usize, const M: usize>(
    p: &SMatrix<f64, N, N>,
    h: &SMatrix<f64, M, N>,
    r: &SMatrix<f64, M, M>,
) -> Result<(SMatrix<f64, M, M>, SMatrix<f64, N, M>), EstimationError> {
    let pht = p * h.transpose();
    let s = h * pht + r;
    let s = (s + s.transpose()) * 0.5;
    if !s.iter().all(|v| v.is_finite()) {
        return Err(EstimationError::NonFinite {
            what: "innovation covariance S",
        });
    }
    Ok((s, pht))
}
