//! The prediction step of the particle filter: every particle through a motion closure or a
//! motion model with additive Gaussian noise.

use nalgebra::SVector;
use rand::Rng;

use super::gaussian::{NoiseFactor, NoiseSqrtCache};
use super::{wrap_components, ParticleFilter};
use crate::estimation::EstimationError;
use crate::models::MotionModel;

impl<const N: usize> ParticleFilter<N> {
    /// Propagates every particle through `motion(particle, rng)`, which returns the new particle
    /// (draw the process noise inside it from `rng`). Weights are unchanged; angle components are
    /// wrapped afterwards.
    ///
    /// # Errors
    /// [`EstimationError::NonFinite`] when the closure returns a non-finite particle; the filter
    /// is then unchanged.
    pub fn predict_with<R, F>(&mut self, rng: &mut R, mut motion: F) -> Result<(), EstimationError>
    where
        R: Rng + ?Sized,
        F: FnMut(&SVector<f64, N>, &mut R) -> SVector<f64, N>,
    {
        self.spare_particles.clear();
        for p in &self.particles {
            let mut x = motion(p, rng);
            if !x.iter().all(|v| v.is_finite()) {
                return Err(EstimationError::NonFinite {
                    what: "predicted particle",
                });
            }
            wrap_components(&mut x, &self.angles);
            self.spare_particles.push(x);
        }
        std::mem::swap(&mut self.particles, &mut self.spare_particles);
        Ok(())
    }

    /// Propagates every particle through a motion model with additive Gaussian noise:
    /// `x' = f(x, dt) + w`, `w ~ N(0, Q(x, dt))`. `Q` may be singular (a semi-definite square root
    /// is used). When the model declares its `Q` independent of the state
    /// ([`process_noise_is_state_independent`](MotionModel::process_noise_is_state_independent),
    /// as the library's kinematic models do), `Q` is evaluated and factorised once per step;
    /// otherwise it is evaluated for every particle and refactored when it changes from one
    /// particle to the next. Both give the same particles for the same draws. Angle components of
    /// the model and of the filter are wrapped.
    ///
    /// Cost: `O(n)`: one transition and `rank(Q)` standard normal draws per particle.
    ///
    /// # Errors
    /// [`EstimationError::NonFinite`] for a non-finite `dt`, `Q` or predicted state;
    /// [`EstimationError::NotPositiveDefinite`] when `Q` is not positive semi-definite. The filter
    /// is then unchanged.
    pub fn predict<M, R>(&mut self, model: &M, dt: f64, rng: &mut R) -> Result<(), EstimationError>
    where
        M: MotionModel<N> + ?Sized,
        R: Rng + ?Sized,
    {
        if !dt.is_finite() {
            return Err(EstimationError::NonFinite { what: "dt" });
        }
        let angles = self.motion_angles(model);
        self.spare_particles.clear();
        if let Some(noise) = state_independent_noise(model, &self.particles, dt)? {
            // Blocks of particles: their normal draws first (one tight loop), then their
            // transitions. No per-particle branch on errors: a NaN or infinity in any predicted
            // particle makes the running sum of `x - x` NaN (checked once, after the pass; the
            // filter's own particles are untouched until then).
            const BLOCK: usize = 64;
            let mut normals = [[0.0; N]; BLOCK];
            let mut finite = SVector::<f64, N>::zeros();
            let wrap = angles.iter().any(|&a| a);
            for block in self.particles.chunks(BLOCK) {
                let normals = &mut normals[..block.len()];
                noise.fill_normals(normals, rng);
                #[allow(clippy::eq_op)] // `x - x` is the point
                self.spare_particles
                    .extend(block.iter().zip(normals.iter()).map(|(p, e)| {
                        let mut x = model.transition(p, dt) + noise.apply(e);
                        finite += x - x;
                        if wrap {
                            wrap_components(&mut x, &angles);
                        }
                        x
                    }));
            }
            if finite != SVector::<f64, N>::zeros() {
                return Err(EstimationError::NonFinite {
                    what: "predicted particle",
                });
            }
        } else {
            let mut noise = NoiseSqrtCache::new();
            for p in &self.particles {
                let x = sample_motion(model, p, dt, &angles, &mut noise, rng)?;
                self.spare_particles.push(x);
            }
        }
        std::mem::swap(&mut self.particles, &mut self.spare_particles);
        Ok(())
    }

    /// The angle mask for a motion step: the filter's and the model's.
    pub(super) fn motion_angles<M: MotionModel<N> + ?Sized>(&self, model: &M) -> [bool; N] {
        let model_angles = model.angle_components();
        std::array::from_fn(|i| self.angles[i] || model_angles[i])
    }
}

/// The square root of the model's `Q`, evaluated at the first particle, when the model declares
/// `Q` independent of the state.
pub(super) fn state_independent_noise<const N: usize, M>(
    model: &M,
    particles: &[SVector<f64, N>],
    dt: f64,
) -> Result<Option<NoiseFactor<N>>, EstimationError>
where
    M: MotionModel<N> + ?Sized,
{
    match particles.first() {
        Some(x) if model.process_noise_is_state_independent() => {
            NoiseFactor::new(&model.process_noise(x, dt), "process noise Q").map(Some)
        }
        _ => Ok(None),
    }
}

/// `f(x, dt) + w`, `w ~ N(0, Q(x, dt))`, angle components wrapped, checked finite.
#[inline]
pub(super) fn sample_motion<const N: usize, M, R>(
    model: &M,
    x: &SVector<f64, N>,
    dt: f64,
    angles: &[bool; N],
    noise: &mut NoiseSqrtCache<N>,
    rng: &mut R,
) -> Result<SVector<f64, N>, EstimationError>
where
    M: MotionModel<N> + ?Sized,
    R: Rng + ?Sized,
{
    let w = noise.sample(&model.process_noise(x, dt), "process noise Q", rng)?;
    let mut next = model.transition(x, dt) + w;
    if !next.iter().all(|v| v.is_finite()) {
        return Err(EstimationError::NonFinite {
            what: "predicted particle",
        });
    }
    wrap_components(&mut next, angles);
    Ok(next)
}

#[cfg(test)]
mod tests {
    use nalgebra::{SMatrix, SVector, Vector2, Vector4};
    use rand::{rngs::SmallRng, Rng, SeedableRng};

    use crate::estimation::particle::ParticleFilter;
    use crate::estimation::EstimationError;
    use crate::models::motion::{ConstantVelocity, CoordinatedTurn, ProcessNoise};
    use crate::models::MotionModel;

    /// The same model without the state-independence declaration: `Q` is evaluated per particle.
    struct PerParticle<'a, M>(&'a M);

    impl<const N: usize, M: MotionModel<N>> MotionModel<N> for PerParticle<'_, M> {
        fn transition(&self, x: &SVector<f64, N>, dt: f64) -> SVector<f64, N> {
            self.0.transition(x, dt)
        }
        fn process_noise(&self, x: &SVector<f64, N>, dt: f64) -> SMatrix<f64, N, N> {
            self.0.process_noise(x, dt)
        }
        fn angle_components(&self) -> [bool; N] {
            self.0.angle_components()
        }
    }

    fn filter<const N: usize>(n: usize, seed: u64) -> ParticleFilter<N> {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mean = SVector::<f64, N>::from_fn(|i, _| i as f64 * 0.7 - 1.0);
        let cov = SMatrix::<f64, N, N>::from_diagonal_element(0.3);
        ParticleFilter::from_gaussian(&mean, &cov, n, &mut rng).unwrap()
    }

    /// Declaring `Q` state-independent changes the cost, not the particles: the same draws in
    /// the same order, the same arithmetic, bit for bit (over block boundaries too).
    fn same_particles<const N: usize, M: MotionModel<N>>(model: &M, angles: [bool; N]) {
        assert!(model.process_noise_is_state_independent());
        for n in [1, 63, 64, 65, 1000] {
            let mut fast = filter::<N>(n, 3).with_angle_components(angles);
            let mut slow = fast.clone();
            let (mut rng_fast, mut rng_slow) =
                (SmallRng::seed_from_u64(9), SmallRng::seed_from_u64(9));
            for dt in [0.1, 0.5, 2.0] {
                fast.predict(model, dt, &mut rng_fast).unwrap();
                slow.predict(&PerParticle(model), dt, &mut rng_slow)
                    .unwrap();
                assert_eq!(fast.particles(), slow.particles(), "n = {n}, dt = {dt}");
            }
            assert_eq!(rng_fast.random::<u64>(), rng_slow.random::<u64>());
        }
    }

    #[test]
    fn state_independent_noise_gives_the_per_particle_result() {
        same_particles(&ConstantVelocity::new(0.3).unwrap(), [false; 4]);
        // rank-deficient Q: one draw per non-zero column of its square root
        let piecewise = ConstantVelocity::with_noise(0.3, ProcessNoise::PiecewiseConstant).unwrap();
        same_particles(&piecewise, [false; 4]);
        // a turning model, with a state component declared an angle by the filter
        let ct = CoordinatedTurn::new(0.3, 0.05).unwrap();
        same_particles(&ct, [false, false, false, false, true]);
    }

    #[test]
    fn kld_prediction_with_state_independent_noise_gives_the_per_particle_result() {
        use crate::estimation::particle::KldSampling;
        let cv = ConstantVelocity::new(0.3).unwrap();
        let kld = KldSampling::new(0.05, 0.01, Vector4::new(0.5, 0.2, 0.5, 0.2), 50, 3000).unwrap();
        let mut fast = filter::<4>(800, 6);
        let mut slow = fast.clone();
        let (mut rng_fast, mut rng_slow) = (SmallRng::seed_from_u64(2), SmallRng::seed_from_u64(2));
        let n = fast.predict_kld(&cv, 0.2, &kld, &mut rng_fast).unwrap();
        assert_eq!(
            n,
            slow.predict_kld(&PerParticle(&cv), 0.2, &kld, &mut rng_slow)
                .unwrap()
        );
        assert_eq!(fast.particles(), slow.particles());
    }

    #[test]
    fn a_non_finite_prediction_is_rejected_without_change() {
        struct Overflow(ConstantVelocity);
        impl MotionModel<4> for Overflow {
            fn transition(&self, x: &Vector4<f64>, dt: f64) -> Vector4<f64> {
                let mut next = self.0.transition(x, dt);
                if x[0] > 0.5 {
                    next[1] = f64::MAX * 2.0; // one particle in many
                }
                next
            }
            fn process_noise(&self, x: &Vector4<f64>, dt: f64) -> SMatrix<f64, 4, 4> {
                self.0.process_noise(x, dt)
            }
            fn process_noise_is_state_independent(&self) -> bool {
                true
            }
        }
        let mut pf = filter::<4>(500, 4);
        let before = pf.clone();
        let mut rng = SmallRng::seed_from_u64(1);
        let model = Overflow(ConstantVelocity::new(0.1).unwrap());
        assert_eq!(
            pf.predict(&model, 0.1, &mut rng),
            Err(EstimationError::NonFinite {
                what: "predicted particle"
            })
        );
        assert_eq!(pf.particles(), before.particles());
        assert_eq!(pf.weights(), before.weights());
        // a process noise that is not positive semi-definite
        struct Indefinite;
        impl MotionModel<2> for Indefinite {
            fn transition(&self, x: &Vector2<f64>, _: f64) -> Vector2<f64> {
                *x
            }
            fn process_noise(&self, _: &Vector2<f64>, _: f64) -> SMatrix<f64, 2, 2> {
                SMatrix::<f64, 2, 2>::new(1.0, 2.0, 2.0, 1.0)
            }
            fn process_noise_is_state_independent(&self) -> bool {
                true
            }
        }
        let mut pf = filter::<2>(10, 5);
        assert!(matches!(
            pf.predict(&Indefinite, 0.1, &mut rng),
            Err(EstimationError::NotPositiveDefinite { .. })
        ));
    }
}
