//! Batch filtering: run a filter over a whole sequence and keep every prior and posterior
//! (what the RTS smoother and offline analysis need).

use nalgebra::{SMatrix, SVector};
use thiserror::Error;

use super::{EstimationError, ExtendedKalmanFilter, Innovation, KalmanFilter};
use crate::models::measurement::LinearMeasurement;
use crate::models::motion::LinearMotion;
use crate::models::{MeasurementJacobian, MotionJacobian};

/// One step of a filtered sequence: predict over `dt` to the prior, then (if there was a
/// measurement) update to the posterior.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FilterStep<const N: usize, const M: usize> {
    /// The time step `dt` (s) of the prediction into this step.
    pub dt: f64,
    /// Predicted mean `x^-[k]`.
    pub prior_mean: SVector<f64, N>,
    /// Predicted covariance `P^-[k] = F P[k-1] F^T + Q`.
    pub prior_covariance: SMatrix<f64, N, N>,
    /// Updated mean `x[k]` (the prior when there was no measurement).
    pub posterior_mean: SVector<f64, N>,
    /// Updated covariance `P[k]` (the prior's when there was no measurement).
    pub posterior_covariance: SMatrix<f64, N, N>,
    /// The transition matrix (or motion Jacobian) `F` that took `x[k-1]` to `x^-[k]`.
    pub transition: SMatrix<f64, N, N>,
    /// The innovation of the update, `None` when the step had no measurement.
    pub innovation: Option<Innovation<M>>,
}

/// A filtered sequence, input to [`rts_smooth`](super::rts_smooth).
#[derive(Debug, Clone, PartialEq)]
pub struct FilterRun<const N: usize, const M: usize> {
    /// One entry per input step, in order.
    pub steps: Vec<FilterStep<N, M>>,
    /// The filter's state angle mask (the smoother wraps differences of these components).
    pub angles: [bool; N],
}

impl<const N: usize, const M: usize> FilterRun<N, M> {
    /// The posterior means, one per step.
    pub fn posterior_means(&self) -> Vec<SVector<f64, N>> {
        self.steps.iter().map(|s| s.posterior_mean).collect()
    }

    /// The posterior covariances, one per step.
    pub fn posterior_covariances(&self) -> Vec<SMatrix<f64, N, N>> {
        self.steps.iter().map(|s| s.posterior_covariance).collect()
    }
}

/// A batch run stopped at a step that the filter rejected.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("batch filtering failed at step {step}: {source}")]
pub struct BatchError<const N: usize, const M: usize> {
    /// Index of the rejected step in the input.
    pub step: usize,
    /// Why the filter rejected it.
    #[source]
    pub source: EstimationError,
    /// The steps completed before it (the filter holds the last of them).
    pub completed: FilterRun<N, M>,
}

impl<const N: usize> KalmanFilter<N> {
    /// Runs predict (and update, when a measurement is given) for each `(dt, z)` in `steps` and
    /// returns every prior and posterior (FilterPy's `batch_filter`, with a per-step `dt` and
    /// `None` for a missing measurement). The filter ends holding the last posterior.
    ///
    /// # Errors
    /// [`BatchError`] naming the first rejected step, with the steps completed before it.
    ///
    /// ```
    /// use nalgebra::{Matrix4, Vector2, Vector4};
    /// use kestrel::estimation::KalmanFilter;
    /// use kestrel::models::{measurement::PositionMeasurement, motion::ConstantVelocity};
    /// let cv = ConstantVelocity::new(0.01).unwrap();
    /// let gps = PositionMeasurement::<4>::new(ConstantVelocity::POSITION, 0.5).unwrap();
    /// let mut kf = KalmanFilter::new(Vector4::zeros(), Matrix4::identity()).unwrap();
    /// let zs = [Some(Vector2::new(1.0, 0.0)), None, Some(Vector2::new(3.0, 0.0))];
    /// let run = kf.batch_filter(&cv, &gps, zs.iter().map(|z| (1.0, *z))).unwrap();
    /// assert_eq!(run.steps.len(), 3);
    /// assert!(run.steps[1].innovation.is_none());
    /// assert_eq!(run.steps[1].posterior_mean, run.steps[1].prior_mean);
    /// ```
    pub fn batch_filter<Mo, Me, const M: usize>(
        &mut self,
        motion: &Mo,
        measurement: &Me,
        steps: impl IntoIterator<Item = (f64, Option<SVector<f64, M>>)>,
    ) -> Result<FilterRun<N, M>, BatchError<N, M>>
    where
        Mo: LinearMotion<N>,
        Me: LinearMeasurement<N, M>,
    {
        let mut run = FilterRun {
            steps: Vec::new(),
            angles: *self.angles(),
        };
        for (k, (dt, z)) in steps.into_iter().enumerate() {
            let result = (|| {
                self.predict(motion, dt)?;
                let transition = motion.transition_matrix(dt);
                let (prior_mean, prior_covariance) = (*self.state(), *self.covariance());
                let innovation = match z {
                    Some(z) => Some(self.update(measurement, &z)?),
                    None => None,
                };
                Ok(FilterStep {
                    dt,
                    prior_mean,
                    prior_covariance,
                    posterior_mean: *self.state(),
                    posterior_covariance: *self.covariance(),
                    transition,
                    innovation,
                })
            })();
            match result {
                Ok(step) => run.steps.push(step),
                Err(source) => {
                    return Err(BatchError {
                        step: k,
                        source,
                        completed: run,
                    })
                }
            }
        }
        Ok(run)
    }
}

impl<const N: usize> ExtendedKalmanFilter<N> {
    /// Runs predict (and update, when a measurement is given) for each `(dt, z)` in `steps` and
    /// returns every prior and posterior, with the motion Jacobian of each prediction (for the
    /// extended RTS smoother). The filter ends holding the last posterior.
    ///
    /// # Errors
    /// [`BatchError`] naming the first rejected step, with the steps completed before it.
    pub fn batch_filter<Mo, Me, const M: usize>(
        &mut self,
        motion: &Mo,
        measurement: &Me,
        steps: impl IntoIterator<Item = (f64, Option<SVector<f64, M>>)>,
    ) -> Result<FilterRun<N, M>, BatchError<N, M>>
    where
        Mo: MotionJacobian<N>,
        Me: MeasurementJacobian<N, M>,
    {
        let mut run = FilterRun {
            steps: Vec::new(),
            angles: *self.angles(),
        };
        for (k, (dt, z)) in steps.into_iter().enumerate() {
            let result = (|| {
                let transition = self.predict_linearized(motion, dt)?;
                let (prior_mean, prior_covariance) = (*self.state(), *self.covariance());
                let innovation = match z {
                    Some(z) => Some(self.update(measurement, &z)?),
                    None => None,
                };
                Ok(FilterStep {
                    dt,
                    prior_mean,
                    prior_covariance,
                    posterior_mean: *self.state(),
                    posterior_covariance: *self.covariance(),
                    transition,
                    innovation,
                })
            })();
            match result {
                Ok(step) => run.steps.push(step),
                Err(source) => {
                    return Err(BatchError {
                        step: k,
                        source,
                        completed: run,
                    })
                }
            }
        }
        Ok(run)
    }
}
