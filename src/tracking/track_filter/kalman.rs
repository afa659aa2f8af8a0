//! Kalman and extended Kalman filters as track filters.

use nalgebra::{SMatrix, SVector};

use super::{innovation_covariance, pda_update, MeasurementPrediction, PdaInputs, TrackFilter};
use crate::estimation::{EstimationError, ExtendedKalmanFilter, Innovation, KalmanFilter};
use crate::models::measurement::LinearMeasurement;
use crate::models::motion::LinearMotion;
use crate::models::{MeasurementJacobian, MotionJacobian};

/// A filter bundled with the motion and measurement models of one track.
///
/// ```
/// use nalgebra::{Matrix4, Vector2, Vector4};
/// use kestrel::estimation::KalmanFilter;
/// use kestrel::models::{measurement::PositionMeasurement, motion::ConstantVelocity};
/// use kestrel::tracking::{KalmanTrack, TrackFilter};
/// let mut track: KalmanTrack<4, _, _> = KalmanTrack::new(
///     KalmanFilter::new(Vector4::new(0.0, 1.0, 0.0, 0.0), Matrix4::identity()).unwrap(),
///     ConstantVelocity::new(0.1).unwrap(),
///     PositionMeasurement::<4>::new(ConstantVelocity::POSITION, 1.0).unwrap(),
/// );
/// track.predict(1.0).unwrap();
/// let gate = track.measurement_prediction().unwrap();
/// assert_eq!(gate.zhat, Vector2::new(1.0, 0.0));
/// // S = H P H^T + R: position variance 1 + 1 (velocity) + 0.1/3 (process noise) + 1 (R)
/// assert!((gate.covariance[(0, 0)] - (3.0 + 0.1 / 3.0)).abs() < 1e-12);
/// // a weighted update with the whole weight on "missed" leaves the prediction unchanged
/// let before = track.state();
/// track.update_weighted(&[Vector2::new(5.0, 5.0)], &[0.0], 1.0).unwrap();
/// assert_eq!(TrackFilter::<4, 2>::state(&track), before);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ModelTrack<F, Mo, Me> {
    /// The filter holding the track's estimate.
    pub filter: F,
    /// The motion model used by `predict`.
    pub motion: Mo,
    /// The measurement model of the detections.
    pub measurement: Me,
}

impl<F, Mo, Me> ModelTrack<F, Mo, Me> {
    /// Bundles a filter and its models.
    pub fn new(filter: F, motion: Mo, measurement: Me) -> Self {
        Self {
            filter,
            motion,
            measurement,
        }
    }
}

/// A linear Kalman filter track (Joseph-form hard updates).
pub type KalmanTrack<const N: usize, Mo, Me> = ModelTrack<KalmanFilter<N>, Mo, Me>;

/// An extended Kalman filter track (models linearised at the current estimate).
pub type ExtendedTrack<const N: usize, Mo, Me> = ModelTrack<ExtendedKalmanFilter<N>, Mo, Me>;

impl<const N: usize, const M: usize, Mo, Me> TrackFilter<N, M> for KalmanTrack<N, Mo, Me>
where
    Mo: LinearMotion<N>,
    Me: LinearMeasurement<N, M>,
{
    fn predict(&mut self, dt: f64) -> Result<(), EstimationError> {
        self.filter.predict(&self.motion, dt)
    }

    fn measurement_prediction(&mut self) -> Result<MeasurementPrediction<M>, EstimationError> {
        let x = self.filter.state();
        let h = self.measurement.measurement_matrix();
        let r = self.measurement.noise_covariance(x);
        let (s, _) = innovation_covariance(self.filter.covariance(), &h, &r)?;
        Ok(MeasurementPrediction {
            zhat: h * x,
            covariance: s,
        })
    }

    fn measurement_angles(&self) -> [bool; M] {
        self.measurement.angle_components()
    }

    fn update(&mut self, z: &SVector<f64, M>) -> Result<Innovation<M>, EstimationError> {
        self.filter.update(&self.measurement, z)
    }

    fn update_weighted(
        &mut self,
        detections: &[SVector<f64, M>],
        weights: &[f64],
        missed_weight: f64,
    ) -> Result<(), EstimationError> {
        let x = *self.filter.state();
        let p = *self.filter.covariance();
        let h = self.measurement.measurement_matrix();
        let r = self.measurement.noise_covariance(&x);
        let (s, pht) = innovation_covariance(&p, &h, &r)?;
        let zhat = h * x;
        let inputs = PdaInputs {
            x: &x,
            p: &p,
            x_angles: self.filter.angles(),
            zhat: &zhat,
            s: &s,
            pxz: &pht,
            z_angles: &self.measurement.angle_components(),
        };
        let (x, p) = pda_update(&inputs, detections, weights, missed_weight)?;
        self.filter.set_estimate(x, p)
    }

    fn state(&self) -> SVector<f64, N> {
        *self.filter.state()
    }

    fn covariance(&self) -> SMatrix<f64, N, N> {
        *self.filter.covariance()
    }
}

impl<const N: usize, const M: usize, Mo, Me> TrackFilter<N, M> for ExtendedTrack<N, Mo, Me>
where
    Mo: MotionJacobian<N>,
    Me: MeasurementJacobian<N, M>,
{
    fn predict(&mut self, dt: f64) -> Result<(), EstimationError> {
        self.filter.predict(&self.motion, dt)
    }

    fn measurement_prediction(&mut self) -> Result<MeasurementPrediction<M>, EstimationError> {
        let x = self.filter.state();
        let h = self.measurement.jacobian(x);
        let r = self.measurement.noise_covariance(x);
        let (s, _) = innovation_covariance(self.filter.covariance(), &h, &r)?;
        let zhat = self.measurement.measure(x);
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

    fn update(&mut self, z: &SVector<f64, M>) -> Result<Innovation<M>, EstimationError> {
        self.filter.update(&self.measurement, z)
    }

    fn update_weighted(
        &mut self,
        detections: &[SVector<f64, M>],
        weights: &[f64],
        missed_weight: f64,
    ) -> Result<(), EstimationError> {
        let x = *self.filter.state();
        let p = *self.filter.covariance();
        let h = self.measurement.jacobian(&x);
        let r = self.measurement.noise_covariance(&x);
        let (s, pht) = innovation_covariance(&p, &h, &r)?;
        let zhat = self.measurement.measure(&x);
        let inputs = PdaInputs {
            x: &x,
            p: &p,
            x_angles: self.filter.angles(),
            zhat: &zhat,
            s: &s,
            pxz: &pht,
            z_angles: &self.measurement.angle_components(),
        };
        let (x, p) = pda_update(&inputs, detections, weights, missed_weight)?;
        self.filter.set_estimate(x, p)
    }

    fn state(&self) -> SVector<f64, N> {
        *self.filter.state()
    }

    fn covariance(&self) -> SMatrix<f64, N, N> {
        *self.filter.covariance()
    }
}
