//! The update step of the particle filter: log-likelihoods from a closure or from a Gaussian
//! measurement model, added to the log-weights, which are then renormalised.

use nalgebra::SVector;

use super::gaussian::GaussianLogLikelihood;
use super::{wrap_components, ParticleFilter};
use crate::estimation::EstimationError;
use crate::models::MeasurementModel;

/// `ln` of the smallest normal `f64` (about 2.2e-308), rounded up: relative weights below
/// `exp(UNDERFLOW_LOG)` are flushed to zero.
const UNDERFLOW_LOG: f64 = -708.0;

impl<const N: usize> ParticleFilter<N> {
    /// Multiplies each weight by `exp(log_likelihood(particle))` and renormalises.
    ///
    /// A log-likelihood of `-inf` (zero likelihood, for example a particle outside the map) is
    /// allowed; the constant part of the log-likelihood may be left out.
    ///
    /// # Errors
    /// [`EstimationError::NonFinite`] for a NaN or `+inf` log-likelihood;
    /// [`EstimationError::DegenerateWeights`] when every particle ends with zero weight. The filter
    /// keeps its previous particles and weights.
    pub fn update_with<F>(&mut self, mut log_likelihood: F) -> Result<(), EstimationError>
    where
        F: FnMut(&SVector<f64, N>) -> f64,
    {
        self.reweight(|x| {
            let l = log_likelihood(x);
            if l.is_nan() || l == f64::INFINITY {
                Err(EstimationError::NonFinite {
                    what: "log-likelihood",
                })
            } else {
                Ok(l)
            }
        })
    }

    /// Updates with a measurement model: the log-likelihood of particle `x` is
    /// `ln N(r; 0, R(x))` with the residual `r = z - h(x)`, its angle components wrapped to
    /// `[-pi, pi)`. `R` is factorised once and again only when it changes between particles.
    ///
    /// # Errors
    /// [`EstimationError::NonFinite`] for a non-finite measurement, `h(x)` or `R`;
    /// [`EstimationError::NotPositiveDefinite`] when `R` is not positive definite;
    /// [`EstimationError::DegenerateWeights`] as in [`update_with`](Self::update_with). The filter
    /// is then unchanged.
    pub fn update<Mm, const M: usize>(
        &mut self,
        model: &Mm,
        z: &SVector<f64, M>,
    ) -> Result<(), EstimationError>
    where
        Mm: MeasurementModel<N, M> + ?Sized,
    {
        if !z.iter().all(|v| v.is_finite()) {
            return Err(EstimationError::NonFinite {
                what: "measurement",
            });
        }
        let angles = model.angle_components();
        let mut density = GaussianLogLikelihood::<M>::new();
        self.reweight(|x| {
            let predicted = model.measure(x);
            if !predicted.iter().all(|v| v.is_finite()) {
                return Err(EstimationError::NonFinite {
                    what: "predicted measurement h(x)",
                });
            }
            let mut r = z - predicted;
            wrap_components(&mut r, &angles);
            density.log_density(&r, &model.noise_covariance(x))
        })
    }

    /// Adds per-particle log-likelihoods to the log-weights (into the spare buffer first, so an
    /// error leaves the filter untouched), then renormalises.
    fn reweight<F>(&mut self, mut log_likelihood: F) -> Result<(), EstimationError>
    where
        F: FnMut(&SVector<f64, N>) -> Result<f64, EstimationError>,
    {
        self.spare_log_weights.clear();
        let mut max = f64::NEG_INFINITY;
        for (p, &lw) in self.particles.iter().zip(&self.log_weights) {
            let l = lw + log_likelihood(p)?;
            max = max.max(l);
            self.spare_log_weights.push(l);
        }
        self.commit_log_weights(max)
    }

    /// Normalises the unnormalised log-weights in the spare buffer (largest `max`) and makes them
    /// current: `w^i = exp(l^i - max) / sum_j exp(l^j - max)`, so the largest term is exactly 1
    /// and nothing underflows to an all-zero set.
    pub(super) fn commit_log_weights(&mut self, max: f64) -> Result<(), EstimationError> {
        if max == f64::NEG_INFINITY {
            return Err(EstimationError::DegenerateWeights(
                "every particle has zero likelihood",
            ));
        }
        if !max.is_finite() {
            return Err(EstimationError::NonFinite {
                what: "log-weights",
            });
        }
        self.weights.clear();
        let mut sum = 0.0;
        for &l in &self.spare_log_weights {
            // Below e^-708 the result is subnormal or zero, and libm's exp takes a slow path
            // (errno, underflow handling): flush to zero instead, a relative change of at most
            // n * 1e-308 in the normalised weights. `log_weights` keeps the exact values.
            let d = l - max;
            let w = if d > UNDERFLOW_LOG { d.exp() } else { 0.0 };
            sum += w;
            self.weights.push(w);
        }
        let inv = 1.0 / sum;
        let shift = max + sum.ln();
        let mut sum_sq = 0.0;
        for (w, l) in self
            .weights
            .iter_mut()
            .zip(self.spare_log_weights.iter_mut())
        {
            *w *= inv;
            sum_sq += *w * *w;
            *l -= shift;
        }
        std::mem::swap(&mut self.log_weights, &mut self.spare_log_weights);
        self.ess = 1.0 / sum_sq;
        Ok(())
    }
}
