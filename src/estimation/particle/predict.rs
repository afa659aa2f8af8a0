//! The prediction step of the particle filter: every particle through a motion closure or a
//! motion model with additive Gaussian noise.

use nalgebra::SVector;
use rand::Rng;

use super::gaussian::NoiseSqrtCache;
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
    /// is used) and is refactored only when it changes from one particle to the next. Angle
    /// components of the model and of the filter are wrapped.
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
        let mut noise = NoiseSqrtCache::new();
        self.spare_particles.clear();
        for p in &self.particles {
            let x = sample_motion(model, p, dt, &angles, &mut noise, rng)?;
            self.spare_particles.push(x);
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
