//! IMM modes: a filter with its own motion and measurement models, seen through an embedding.

use nalgebra::{SMatrix, SVector};

use super::Embedding;
use crate::estimation::{
    EstimationError, ExtendedKalmanFilter, Innovation, KalmanFilter, UnscentedFunctions,
    UnscentedKalmanFilter,
};
use crate::models::measurement::LinearMeasurement;
use crate::models::motion::LinearMotion;
use crate::models::{MeasurementJacobian, MeasurementModel, MotionJacobian, MotionModel};

/// A filter that can serve as an IMM mode: it holds an estimate of its own `N`-dimensional
/// state, predicts over `dt` and updates with an `M`-dimensional measurement, reporting the
/// innovation (whose `log_likelihood` weighs the mode).
///
/// [`Mode`] implements it for the [`KalmanFilter`], [`ExtendedKalmanFilter`] and
/// [`UnscentedKalmanFilter`] with their models; implement it for other filters.
pub trait ModeFilter<const N: usize, const M: usize> {
    /// The state mean.
    fn state(&self) -> &SVector<f64, N>;
    /// The state covariance.
    fn covariance(&self) -> &SMatrix<f64, N, N>;
    /// Replaces the estimate (IMM mixing). Must leave the filter unchanged on error.
    fn set_estimate(
        &mut self,
        x: SVector<f64, N>,
        p: SMatrix<f64, N, N>,
    ) -> Result<(), EstimationError>;
    /// Predicts over `dt` seconds. Must leave the filter unchanged on error.
    fn predict(&mut self, dt: f64) -> Result<(), EstimationError>;
    /// Updates with `z` and returns the innovation. Must leave the filter unchanged on error.
    fn update(&mut self, z: &SVector<f64, M>) -> Result<Innovation<M>, EstimationError>;
}

/// A filter bundled with the motion and measurement models of one IMM mode.
///
/// ```
/// use nalgebra::{Matrix4, Vector2, Vector4};
/// use kestrel::estimation::{KalmanFilter, Mode, ModeFilter};
/// use kestrel::models::{measurement::PositionMeasurement, motion::ConstantVelocity};
/// let mut cv = Mode::new(
///     KalmanFilter::new(Vector4::zeros(), Matrix4::identity()).unwrap(),
///     ConstantVelocity::new(0.1).unwrap(),
///     PositionMeasurement::<4>::new(ConstantVelocity::POSITION, 1.0).unwrap(),
/// );
/// cv.predict(1.0).unwrap();
/// let innovation = cv.update(&Vector2::new(0.5, -0.5)).unwrap();
/// assert!(innovation.log_likelihood < 0.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Mode<F, Mo, Me> {
    /// The filter holding the mode's estimate.
    pub filter: F,
    /// The mode's motion model.
    pub motion: Mo,
    /// The mode's measurement model (the same sensor seen from this mode's state layout).
    pub measurement: Me,
}

impl<F, Mo, Me> Mode<F, Mo, Me> {
    /// Bundles a filter and its models.
    pub fn new(filter: F, motion: Mo, measurement: Me) -> Self {
        Self {
            filter,
            motion,
            measurement,
        }
    }
}

impl<const N: usize, const M: usize, Mo, Me> ModeFilter<N, M> for Mode<KalmanFilter<N>, Mo, Me>
where
    Mo: LinearMotion<N>,
    Me: LinearMeasurement<N, M>,
{
    fn state(&self) -> &SVector<f64, N> {
        self.filter.state()
    }
    fn covariance(&self) -> &SMatrix<f64, N, N> {
        self.filter.covariance()
    }
    fn set_estimate(
        &mut self,
        x: SVector<f64, N>,
        p: SMatrix<f64, N, N>,
    ) -> Result<(), EstimationError> {
        self.filter.set_estimate(x, p)
    }
    fn predict(&mut self, dt: f64) -> Result<(), EstimationError> {
        self.filter.predict(&self.motion, dt)
    }
    fn update(&mut self, z: &SVector<f64, M>) -> Result<Innovation<M>, EstimationError> {
        self.filter.update(&self.measurement, z)
    }
}

impl<const N: usize, const M: usize, Mo, Me> ModeFilter<N, M>
    for Mode<ExtendedKalmanFilter<N>, Mo, Me>
where
    Mo: MotionJacobian<N>,
    Me: MeasurementJacobian<N, M>,
{
    fn state(&self) -> &SVector<f64, N> {
        self.filter.state()
    }
    fn covariance(&self) -> &SMatrix<f64, N, N> {
        self.filter.covariance()
    }
    fn set_estimate(
        &mut self,
        x: SVector<f64, N>,
        p: SMatrix<f64, N, N>,
    ) -> Result<(), EstimationError> {
        self.filter.set_estimate(x, p)
    }
    fn predict(&mut self, dt: f64) -> Result<(), EstimationError> {
        self.filter.predict(&self.motion, dt)
    }
    fn update(&mut self, z: &SVector<f64, M>) -> Result<Innovation<M>, EstimationError> {
        self.filter.update(&self.measurement, z)
    }
}

impl<const N: usize, const M: usize, F, Mo, Me> ModeFilter<N, M>
    for Mode<UnscentedKalmanFilter<N, F>, Mo, Me>
where
    F: UnscentedFunctions<N>,
    Mo: MotionModel<N>,
    Me: MeasurementModel<N, M>,
{
    fn state(&self) -> &SVector<f64, N> {
        self.filter.state()
    }
    fn covariance(&self) -> &SMatrix<f64, N, N> {
        self.filter.covariance()
    }
    fn set_estimate(
        &mut self,
        x: SVector<f64, N>,
        p: SMatrix<f64, N, N>,
    ) -> Result<(), EstimationError> {
        self.filter.set_estimate(x, p)
    }
    fn predict(&mut self, dt: f64) -> Result<(), EstimationError> {
        self.filter.predict(&self.motion, dt)
    }
    fn update(&mut self, z: &SVector<f64, M>) -> Result<Innovation<M>, EstimationError> {
        self.filter.update(&self.measurement, z)
    }
}

/// One mode of an [`ImmEstimator`](super::ImmEstimator) as the estimator sees it: through the
/// common state of dimension `C`. Built by [`embed`]; object safe, so modes of different state
/// sizes and filter types live in one estimator.
pub trait ImmMode<const C: usize, const M: usize> {
    /// Which common components the mode carries.
    fn present(&self) -> &[bool; C];
    /// The mode's estimate lifted into the common state (absent components filled).
    fn lifted(&self) -> (SVector<f64, C>, SMatrix<f64, C, C>);
    /// Sets the mode's estimate to the projection of a common-state estimate.
    fn set_from_common(
        &mut self,
        x: &SVector<f64, C>,
        p: &SMatrix<f64, C, C>,
    ) -> Result<(), EstimationError>;
    /// Predicts the mode over `dt` seconds.
    fn predict(&mut self, dt: f64) -> Result<(), EstimationError>;
    /// Updates the mode with `z`.
    fn update(&mut self, z: &SVector<f64, M>) -> Result<Innovation<M>, EstimationError>;
}

/// A [`ModeFilter`] of state size `N` with its [`Embedding`] into the common state.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddedMode<T, const N: usize, const C: usize> {
    /// The mode's filter and models.
    pub mode: T,
    /// How the mode's state sits in the common state.
    pub embedding: Embedding<N, C>,
}

impl<T, const N: usize, const C: usize, const M: usize> ImmMode<C, M> for EmbeddedMode<T, N, C>
where
    T: ModeFilter<N, M>,
{
    fn present(&self) -> &[bool; C] {
        self.embedding.present()
    }
    fn lifted(&self) -> (SVector<f64, C>, SMatrix<f64, C, C>) {
        self.embedding
            .lift(self.mode.state(), self.mode.covariance())
    }
    fn set_from_common(
        &mut self,
        x: &SVector<f64, C>,
        p: &SMatrix<f64, C, C>,
    ) -> Result<(), EstimationError> {
        let (x, p) = self.embedding.project(x, p);
        self.mode.set_estimate(x, p)
    }
    fn predict(&mut self, dt: f64) -> Result<(), EstimationError> {
        self.mode.predict(dt)
    }
    fn update(&mut self, z: &SVector<f64, M>) -> Result<Innovation<M>, EstimationError> {
        self.mode.update(z)
    }
}

/// A boxed IMM mode, as [`ImmEstimator::new`](super::ImmEstimator::new) takes them.
pub type BoxedMode<const C: usize, const M: usize> = Box<dyn ImmMode<C, M> + Send>;

/// Boxes a mode with its embedding for [`ImmEstimator::new`](super::ImmEstimator::new).
pub fn embed<T, const N: usize, const C: usize, const M: usize>(
    mode: T,
    embedding: Embedding<N, C>,
) -> BoxedMode<C, M>
where
    T: ModeFilter<N, M> + Send + 'static,
{
    Box::new(EmbeddedMode { mode, embedding })
}
