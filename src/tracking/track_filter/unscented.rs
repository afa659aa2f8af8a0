//! The unscented Kalman filter as a track filter.

use nalgebra::{Const, Dyn, SMatrix, SVector};

use super::{pda_update, MeasurementPrediction, PdaInputs, TrackFilter};
use crate::estimation::{AngleWrap, EstimationError, Innovation, SigmaView, UnscentedKalmanFilter};
use crate::models::{residual, MeasurementModel, MotionModel};

/// An unscented Kalman filter track.
///
/// The gate uses the unscented moments of the current sigma points, exactly as the filter's own
/// update does: `zhat = sum_i Wm_i h(chi_i)` (circular mean for angle components),
/// `S = sum_i Wc_i e_i e_i^T + R`, and the weighted update uses the gain
/// `K = P_xz S^-1` with `P_xz = sum_i Wc_i (chi_i - x) e_i^T`. The sigma-point buffer is
/// allocated once, at construction.
///
/// ```
/// use nalgebra::{Matrix4, Vector2, Vector4};
/// use kestrel::estimation::{SigmaPoints, UnscentedKalmanFilter};
/// use kestrel::models::{measurement::RangeBearing, motion::ConstantVelocity};
/// use kestrel::tracking::{TrackFilter, UnscentedTrack};
/// let radar = RangeBearing::<4>::new(ConstantVelocity::POSITION, Vector2::zeros(), 0.5, 0.01).unwrap();
/// let ukf = UnscentedKalmanFilter::new(
///     Vector4::new(-100.0, 0.0, 0.1, 0.0), Matrix4::identity(), SigmaPoints::merwe(0.5, 2.0, 0.0).unwrap(),
/// ).unwrap();
/// let mut track = UnscentedTrack::new(ukf, ConstantVelocity::new(0.1).unwrap(), radar);
/// let gate = track.measurement_prediction().unwrap();
/// // the bearing of a target just across the -x axis is near pi; the mean is circular
/// assert!((gate.zhat[1].abs() - std::f64::consts::PI).abs() < 0.01);
/// track.update(&Vector2::new(100.0, -3.14)).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct UnscentedTrack<const N: usize, const M: usize, Mo, Me> {
    /// The filter holding the track's estimate.
    pub filter: UnscentedKalmanFilter<N>,
    /// The motion model used by `predict`.
    pub motion: Mo,
    /// The measurement model of the detections.
    pub measurement: Me,
    /// Measurement sigma points, column-major `M x (2N+1)`.
    zbuf: Vec<f64>,
}

impl<const N: usize, const M: usize, Mo, Me> UnscentedTrack<N, M, Mo, Me>
where
    Mo: MotionModel<N>,
    Me: MeasurementModel<N, M>,
{
    /// Bundles a UKF and its models.
    pub fn new(filter: UnscentedKalmanFilter<N>, motion: Mo, measurement: Me) -> Self {
        let mut filter = filter;
        filter.reserve_measurement_dim(M);
        let zbuf = vec![0.0; M * filter.sigma_point_set().len()];
        Self {
            filter,
            motion,
            measurement,
            zbuf,
        }
    }

    /// `(zhat, S, P_xz)` of the current sigma points.
    #[allow(clippy::type_complexity)]
    fn moments(
        &mut self,
    ) -> Result<(SVector<f64, M>, SMatrix<f64, M, M>, SMatrix<f64, N, M>), EstimationError> {
        let points = self.filter.sigma_point_set();
        let count = points.len();
        self.zbuf.resize(M * count, 0.0);
        let sigmas = self.filter.sigma_points();
        for i in 0..count {
            let chi: SVector<f64, N> = sigmas.column(i).into_owned();
            let zi = self.measurement.measure(&chi);
            if !zi.iter().all(|v| v.is_finite()) {
                return Err(EstimationError::NonFinite {
                    what: "predicted measurement h(chi)",
                });
            }
            self.zbuf[i * M..(i + 1) * M].copy_from_slice(zi.as_slice());
        }
        let angles = self.measurement.angle_components();
        let view = SigmaView::<M>::from_slice_generic(&self.zbuf, Const::<M>, Dyn(count));
        let zhat = AngleWrap::weighted_mean(&view, points.mean_weights(), &angles);
        let x = self.filter.state();
        let mut s = self.measurement.noise_covariance(x);
        let mut pxz = SMatrix::<f64, N, M>::zeros();
        for (i, &w) in points.covariance_weights().iter().enumerate() {
            let zi: SVector<f64, M> = view.column(i).into_owned();
            let chi: SVector<f64, N> = sigmas.column(i).into_owned();
            let e = residual(&zi, &zhat, &angles);
            let dx = residual(&chi, x, self.filter.angles());
            s.ger(w, &e, &e, 1.0);
            pxz.ger(w, &dx, &e, 1.0);
        }
        let s = (s + s.transpose()) * 0.5;
        if !s.iter().chain(zhat.iter()).all(|v| v.is_finite()) {
            return Err(EstimationError::NonFinite {
                what: "innovation covariance S",
            });
        }
        Ok((zhat, s, pxz))
    }
}

impl<const N: usize, const M: usize, Mo, Me> TrackFilter<N, M> for UnscentedTrack<N, M, Mo, Me>
where
    Mo: MotionModel<N>,
    Me: MeasurementModel<N, M>,
{
    fn predict(&mut self, dt: f64) -> Result<(), EstimationError> {
        self.filter.predict(&self.motion, dt)
    }

    fn measurement_prediction(&mut self) -> Result<MeasurementPrediction<M>, EstimationError> {
        let (zhat, covariance, _) = self.moments()?;
        Ok(MeasurementPrediction { zhat, covariance })
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
        let (zhat, s, pxz) = self.moments()?;
        let x = *self.filter.state();
        let p = *self.filter.covariance();
        let inputs = PdaInputs {
            x: &x,
            p: &p,
            x_angles: self.filter.angles(),
            zhat: &zhat,
            s: &s,
            pxz: &pxz,
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
