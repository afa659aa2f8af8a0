//! The IMM estimator as a track filter.

use nalgebra::{SMatrix, SVector};

use super::{innovation_covariance, MeasurementPrediction, TrackFilter};
use crate::estimation::{EstimationError, ImmEstimator, Innovation};
use crate::models::{residual, MeasurementJacobian};

/// An IMM track: an [`ImmEstimator`] over a common state of dimension `C`, plus the sensor's
/// measurement model written in the common state, used for gating.
///
/// - Gate: the combined estimate `(x, P)` (moment-matched over the modes) is pushed through the
///   common-state model: `zhat = h(x)`, `S = H P H^T + R`, `H = dh/dx(x)`. This is the usual
///   IMM-JPDA approximation: one gate and one association likelihood per track.
/// - Hard update: [`ImmEstimator::update`] (every mode updated, mode probabilities reweighed).
/// - Weighted update: [`ImmEstimator::update_weighted`] (per-mode PDA with mode-conditioned
///   likelihoods).
/// - State and covariance: the combined estimate in the common state.
///
/// ```
/// use nalgebra::{DMatrix, Matrix4, Vector2, Vector4};
/// use kestrel::estimation::{embed, Embedding, ImmEstimator, KalmanFilter, Mode};
/// use kestrel::models::{measurement::PositionMeasurement, motion::ConstantVelocity};
/// use kestrel::tracking::{ImmTrack, TrackFilter};
/// let gps = PositionMeasurement::<4>::new(ConstantVelocity::POSITION, 1.0).unwrap();
/// let kf = KalmanFilter::new(Vector4::zeros(), Matrix4::identity()).unwrap();
/// let imm = ImmEstimator::<4, 2>::new(
///     vec![embed(Mode::new(kf.clone(), ConstantVelocity::new(0.1).unwrap(), gps), Embedding::<4, 4>::identity().unwrap()),
///          embed(Mode::new(kf, ConstantVelocity::new(5.0).unwrap(), gps), Embedding::<4, 4>::identity().unwrap())],
///     &DMatrix::from_row_slice(2, 2, &[0.95, 0.05, 0.05, 0.95]), &[0.5, 0.5]).unwrap();
/// let mut track = ImmTrack::new(imm, gps);
/// track.predict(1.0).unwrap();
/// let gate = track.measurement_prediction().unwrap();
/// assert!(gate.covariance[(0, 0)] > 2.0);
/// let innovation = track.update(&Vector2::new(0.5, 0.5)).unwrap();
/// assert!(innovation.nis > 0.0 && innovation.log_likelihood < 0.0);
/// ```
#[derive(Debug)]
pub struct ImmTrack<const C: usize, const M: usize, Me> {
    /// The estimator.
    pub imm: ImmEstimator<C, M>,
    /// The measurement model in the common state (gating only; the modes use their own).
    pub measurement: Me,
}

impl<const C: usize, const M: usize, Me: MeasurementJacobian<C, M>> ImmTrack<C, M, Me> {
    /// Bundles an IMM and the common-state measurement model.
    pub fn new(imm: ImmEstimator<C, M>, measurement: Me) -> Self {
        Self { imm, measurement }
    }
}

impl<const C: usize, const M: usize, Me> TrackFilter<C, M> for ImmTrack<C, M, Me>
where
    Me: MeasurementJacobian<C, M>,
{
    fn predict(&mut self, dt: f64) -> Result<(), EstimationError> {
        self.imm.predict(dt)
    }

    fn measurement_prediction(&mut self) -> Result<MeasurementPrediction<M>, EstimationError> {
        let (x, p) = self.imm.estimate();
        let h = self.measurement.jacobian(&x);
        let r = self.measurement.noise_covariance(&x);
        let (s, _) = innovation_covariance(&p, &h, &r)?;
        let zhat = self.measurement.measure(&x);
        if !zhat.iter().all(|v| v.is_finite()) {
            return Err(EstimationError::NonFinite {
                what: "predicted measurement h(x)",
            });
        }
        Ok(MeasurementPrediction {
            zhat,
            covariance: s,
        })
    }

    fn measurement_angles(&self) -> [bool; M] {
        self.measurement.angle_components()
    }

    /// The returned innovation is that of the combined prediction (the gate); its
    /// `log_likelihood` is the IMM's, `ln sum_j cbar_j N(y_j; 0, S_j)`.
    fn update(&mut self, z: &SVector<f64, M>) -> Result<Innovation<M>, EstimationError> {
        let gate = self.measurement_prediction()?;
        let y = residual(z, &gate.zhat, &self.measurement.angle_components());
        let chol = gate
            .covariance
            .cholesky()
            .ok_or(EstimationError::NotPositiveDefinite {
                what: "innovation covariance S",
            })?;
        let nis = y.dot(&chol.solve(&y));
        let log_likelihood = self.imm.update(z)?;
        Ok(Innovation {
            residual: y,
            covariance: gate.covariance,
            nis,
            log_likelihood,
        })
    }

    fn update_weighted(
        &mut self,
        detections: &[SVector<f64, M>],
        weights: &[f64],
        missed_weight: f64,
    ) -> Result<(), EstimationError> {
        self.imm.update_weighted(detections, weights, missed_weight)
    }

    fn state(&self) -> SVector<f64, C> {
        self.imm.estimate().0
    }

    fn covariance(&self) -> SMatrix<f64, C, C> {
        self.imm.estimate().1
    }
}
