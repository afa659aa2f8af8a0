//! The update step of the particle filter: log-likelihoods from a closure or from a Gaussian
//! measurement model, added to the log-weights, which are then renormalised.

use nalgebra::SVector;

use super::gaussian::{GaussianDensity, GaussianLogLikelihood};
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
    /// `[-pi, pi)`. When the model declares `R` independent of the state
    /// ([`noise_covariance_is_state_independent`](MeasurementModel::noise_covariance_is_state_independent),
    /// as the library's measurement models do), `R` is evaluated and factorised once per update;
    /// otherwise it is evaluated for every particle and refactored when it changes from one
    /// particle to the next. Both give the same weights.
    ///
    /// Cost: `O(n)`: one measurement prediction, an `O(M^2)` quadratic form and one `exp` per
    /// particle.
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
        let first = self.particles.first();
        let fixed = match first {
            Some(x) if model.noise_covariance_is_state_independent() => {
                Some(GaussianDensity::new(&model.noise_covariance(x))?)
            }
            _ => None,
        };
        let Some(density) = fixed else {
            let mut density = GaussianLogLikelihood::<M>::new();
            return self.reweight(|x| {
                let predicted = model.measure(x);
                if !predicted.iter().all(|v| v.is_finite()) {
                    return Err(EstimationError::NonFinite {
                        what: "predicted measurement h(x)",
                    });
                }
                let mut r = z - predicted;
                wrap_components(&mut r, &angles);
                density.log_density(&r, &model.noise_covariance(x))
            });
        };
        // One pass, no per-particle branch on errors: a NaN or infinity in any prediction makes
        // the running sum of `h(x) - h(x)` NaN (checked once, after the pass; the new
        // log-weights go to the spare buffer, so the filter is untouched until then).
        let wrap = angles.iter().any(|&a| a);
        let mut finite = SVector::<f64, M>::zeros();
        let mut max = f64::NEG_INFINITY;
        self.spare_log_weights.clear();
        #[allow(clippy::eq_op)] // `h - h` is the point
        self.spare_log_weights
            .extend(
                self.particles
                    .iter()
                    .zip(&self.log_weights)
                    .map(|(x, &lw)| {
                        let predicted = model.measure(x);
                        finite += predicted - predicted;
                        let mut r = z - predicted;
                        if wrap {
                            wrap_components(&mut r, &angles);
                        }
                        let l = lw + density.log_density(&r);
                        max = max.max(l);
                        l
                    }),
            );
        if finite != SVector::<f64, M>::zeros() {
            return Err(EstimationError::NonFinite {
                what: "predicted measurement h(x)",
            });
        }
        self.commit_log_weights(max)
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
        self.weights.extend(self.spare_log_weights.iter().map(|&l| {
            // Below e^-708 the result is subnormal or zero, and libm's exp takes a slow path
            // (errno, underflow handling): flush to zero instead, a relative change of at most
            // n * 1e-308 in the normalised weights. `log_weights` keeps the exact values.
            let d = l - max;
            let w = if d > UNDERFLOW_LOG { d.exp() } else { 0.0 };
            sum += w;
            w
        }));
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

#[cfg(test)]
mod tests {
    use nalgebra::{SMatrix, SVector, Vector2, Vector4};
    use rand::{rngs::SmallRng, SeedableRng};

    use crate::estimation::particle::ParticleFilter;
    use crate::estimation::EstimationError;
    use crate::models::measurement::{
        LinearGaussianMeasurement, PositionMeasurement, RangeBearing,
    };
    use crate::models::MeasurementModel;

    /// The same model without the state-independence declaration: `R` is evaluated per particle.
    struct PerParticle<'a, M>(&'a M);

    impl<const N: usize, const K: usize, M: MeasurementModel<N, K>> MeasurementModel<N, K>
        for PerParticle<'_, M>
    {
        fn measure(&self, x: &SVector<f64, N>) -> SVector<f64, K> {
            self.0.measure(x)
        }
        fn noise_covariance(&self, x: &SVector<f64, N>) -> SMatrix<f64, K, K> {
            self.0.noise_covariance(x)
        }
        fn angle_components(&self) -> [bool; K] {
            self.0.angle_components()
        }
    }

    fn filter(n: usize) -> ParticleFilter<4> {
        let mut rng = SmallRng::seed_from_u64(11);
        let mean = Vector4::new(30.0, 1.0, -20.0, 0.5);
        let cov = SMatrix::<f64, 4, 4>::from_diagonal(&Vector4::new(25.0, 1.0, 25.0, 1.0));
        ParticleFilter::from_gaussian(&mean, &cov, n, &mut rng).unwrap()
    }

    /// Declaring `R` state-independent changes the cost, not the weights.
    fn same_weights<const M: usize, Mm: MeasurementModel<4, M>>(
        model: &Mm,
        zs: &[SVector<f64, M>],
    ) {
        assert!(model.noise_covariance_is_state_independent());
        let mut fast = filter(1000);
        let mut slow = fast.clone();
        for z in zs {
            fast.update(model, z).unwrap();
            slow.update(&PerParticle(model), z).unwrap();
            assert_eq!(fast.log_weights(), slow.log_weights());
            assert_eq!(fast.weights(), slow.weights());
            assert_eq!(fast.effective_sample_size(), slow.effective_sample_size());
        }
    }

    #[test]
    fn state_independent_noise_gives_the_per_particle_weights() {
        let gps = PositionMeasurement::<4>::new([0, 2], 2.0).unwrap();
        same_weights(
            &gps,
            &[Vector2::new(31.0, -19.0), Vector2::new(28.0, -22.5)],
        );
        // the sensor behind the target, so the bearings straddle +-pi (the wrap is exercised)
        let radar = RangeBearing::<4>::new([0, 2], Vector2::new(60.0, -20.0), 1.0, 0.05).unwrap();
        let zs = [Vector2::new(30.0, 3.1), Vector2::new(29.0, -3.12)];
        same_weights(&radar, &zs);
        let h = SMatrix::<f64, 2, 4>::new(1.0, 0.5, 0.0, 0.0, 0.0, 0.0, 1.0, -0.5);
        let r = SMatrix::<f64, 2, 2>::new(4.0, 1.0, 1.0, 3.0);
        let linear = LinearGaussianMeasurement::new(h, r).unwrap();
        same_weights(&linear, &[Vector2::new(30.0, -20.0)]);
    }

    #[test]
    fn a_non_finite_prediction_is_rejected_without_change() {
        struct Far;
        impl MeasurementModel<4, 1> for Far {
            fn measure(&self, x: &Vector4<f64>) -> SVector<f64, 1> {
                SVector::<f64, 1>::new(if x[0] > 35.0 { f64::INFINITY } else { x[0] })
            }
            fn noise_covariance(&self, _: &Vector4<f64>) -> SMatrix<f64, 1, 1> {
                SMatrix::<f64, 1, 1>::new(1.0)
            }
            fn noise_covariance_is_state_independent(&self) -> bool {
                true
            }
        }
        let mut pf = filter(500);
        let before = pf.clone();
        assert_eq!(
            pf.update(&Far, &SVector::<f64, 1>::new(30.0)),
            Err(EstimationError::NonFinite {
                what: "predicted measurement h(x)"
            })
        );
        assert_eq!(pf.log_weights(), before.log_weights());
        assert_eq!(pf.weights(), before.weights());
    }
}
