//! KLD-adaptive particle counts (Fox, "Adapting the sample size in particle filters through
//! KLD-sampling", IJRR 2003).
//!
//! Draw particles one at a time and count the histogram bins of the state space they occupy,
//! `k`. With probability `1 - delta`, the Kullback-Leibler divergence between the sample-based
//! histogram and the true one stays below `epsilon` once the count reaches
//!
//! ```text
//! n(k) = (k - 1) / (2 epsilon) * (1 - 2 / (9 (k - 1)) + sqrt(2 / (9 (k - 1))) z)^3
//! ```
//!
//! (the Wilson-Hilferty approximation of the chi-square quantile `chi^2_{k-1, 1-delta} / (2 eps)`),
//! with `z = z_{1-delta}` the upper standard-normal quantile. Sampling stops at
//! `max(n_min, n(k))`, and at `n_max` in any case. A set spread over the map (global localisation)
//! occupies many bins and keeps many particles; a converged one occupies few and shrinks.
//!
//! Two uses on [`ParticleFilter`]:
//! - [`ParticleFilter::predict_kld`] / [`ParticleFilter::predict_kld_with`]: Fox's algorithm. Each
//!   draw picks a particle by weight, moves it through the motion model, and bins the *predicted*
//!   particle; the new set has equal weights and awaits the measurement update.
//! - [`ParticleFilter::resample_kld`]: KLD-resampling (Li, Sun & Sattar, 2013): after the update,
//!   draw from the weighted set and bin the *drawn* particles, so the count follows the spread of
//!   the posterior.
//!
//! Both draw independently by weight (multinomial; the count is not known in advance, so the
//! stratified schemes do not apply): `O(n log m)` for `n` draws from `m` particles, plus one hash
//! set insertion per draw. Bins are `floor(x_j / b_j)` for bin sizes `b`; a component with an
//! infinite bin size is not binned.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use nalgebra::SVector;
use rand::Rng;
use statrs::distribution::{ContinuousCDF, Normal};

use super::predict::state_independent_noise;
use super::{sample_motion, wrap_components, ParticleFilter};
use crate::estimation::particle::gaussian::NoiseSqrtCache;
use crate::estimation::EstimationError;
use crate::models::MotionModel;

/// Fox's KLD bound `n(k)` for `k` occupied bins, error bound `epsilon` and normal quantile `z`
/// (see the [module documentation](self)), rounded up. `k <= 1` gives 0 (one bin needs no more
/// than the minimum count).
///
/// Check values: `k = 2, 10, 100` with `epsilon = 0.05`, `z = 3` give 106, 273 and 1467.
///
/// # Errors
/// [`EstimationError::InvalidParameter`] for `epsilon <= 0` or a non-finite `epsilon` or `z`.
///
/// ```
/// use kestrel::estimation::particle::kld_bound;
/// assert_eq!(kld_bound(2, 0.05, 3.0).unwrap(), 106);
/// assert_eq!(kld_bound(100, 0.05, 3.0).unwrap(), 1467);
/// assert!(kld_bound(10, 0.0, 3.0).is_err());
/// ```
pub fn kld_bound(k: usize, epsilon: f64, z: f64) -> Result<usize, EstimationError> {
    check_epsilon(epsilon)?;
    if !z.is_finite() {
        return Err(EstimationError::InvalidParameter {
            name: "z",
            reason: format!("the normal quantile must be finite, got {z}"),
        });
    }
    Ok(bound(k, epsilon, z))
}

fn check_epsilon(epsilon: f64) -> Result<(), EstimationError> {
    if epsilon > 0.0 && epsilon.is_finite() {
        Ok(())
    } else {
        Err(EstimationError::InvalidParameter {
            name: "epsilon",
            reason: format!("the KL error bound must be positive and finite, got {epsilon}"),
        })
    }
}

#[inline]
fn bound(k: usize, epsilon: f64, z: f64) -> usize {
    if k <= 1 {
        return 0;
    }
    let dof = (k - 1) as f64;
    let a = 2.0 / (9.0 * dof);
    let cube = (1.0 - a + a.sqrt() * z).max(0.0).powi(3);
    // `as` saturates for huge values; the caller caps at n_max anyway.
    (dof / (2.0 * epsilon) * cube).ceil() as usize
}

/// Parameters of KLD-adaptive sampling for `N`-dimensional states.
///
/// ```
/// use kestrel::estimation::particle::KldSampling;
/// use nalgebra::Vector3;
/// // (x, y, heading) bins of 0.5 m, 0.5 m, 10 degrees; 99% confidence that KL < 0.05.
/// let kld = KldSampling::new(0.05, 0.01, Vector3::new(0.5, 0.5, 10f64.to_radians()), 100, 50_000)
///     .unwrap();
/// assert!((kld.z() - 2.3263478740).abs() < 1e-9);
/// assert_eq!(kld.required_particles(1), 100); // the minimum
/// assert_eq!(kld.required_particles(1_000_000), 50_000); // the maximum
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct KldSampling<const N: usize> {
    epsilon: f64,
    z: f64,
    bin_size: SVector<f64, N>,
    min_particles: usize,
    max_particles: usize,
}

impl<const N: usize> KldSampling<N> {
    /// From the KL error bound `epsilon`, the failure probability `delta` (`z = z_{1-delta}`),
    /// bin sizes (state units; radians for angles; `inf` to leave a component unbinned) and the
    /// particle count limits.
    ///
    /// # Errors
    /// [`EstimationError::InvalidParameter`] for `epsilon <= 0`, `delta` outside `(0, 1)`, a bin
    /// size that is not positive, `min_particles = 0` or `max_particles < min_particles`.
    pub fn new(
        epsilon: f64,
        delta: f64,
        bin_size: SVector<f64, N>,
        min_particles: usize,
        max_particles: usize,
    ) -> Result<Self, EstimationError> {
        if !(delta > 0.0 && delta < 1.0) {
            return Err(EstimationError::InvalidParameter {
                name: "delta",
                reason: format!("the failure probability must lie in (0, 1), got {delta}"),
            });
        }
        let normal = Normal::new(0.0, 1.0).map_err(|e| EstimationError::InvalidParameter {
            name: "delta",
            reason: e.to_string(),
        })?;
        let z = normal.inverse_cdf(1.0 - delta);
        Self::with_quantile(epsilon, z, bin_size, min_particles, max_particles)
    }

    /// As [`new`](Self::new) with the normal quantile `z` given directly (Fox uses `z` near 3).
    ///
    /// # Errors
    /// As [`new`](Self::new), with a non-finite `z` instead of a bad `delta`.
    pub fn with_quantile(
        epsilon: f64,
        z: f64,
        bin_size: SVector<f64, N>,
        min_particles: usize,
        max_particles: usize,
    ) -> Result<Self, EstimationError> {
        kld_bound(2, epsilon, z)?;
        if let Some(i) = (0..N).find(|&i| bin_size[i].is_nan() || bin_size[i] <= 0.0) {
            return Err(EstimationError::InvalidParameter {
                name: "bin_size",
                reason: format!("component {i} must be positive, got {}", bin_size[i]),
            });
        }
        if min_particles == 0 {
            return Err(EstimationError::InvalidParameter {
                name: "min_particles",
                reason: "must be at least 1".into(),
            });
        }
        if max_particles < min_particles {
            return Err(EstimationError::InvalidParameter {
                name: "max_particles",
                reason: format!("{max_particles} is below min_particles {min_particles}"),
            });
        }
        Ok(Self {
            epsilon,
            z,
            bin_size,
            min_particles,
            max_particles,
        })
    }

    /// The KL error bound `epsilon`.
    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }

    /// The upper normal quantile `z`.
    pub fn z(&self) -> f64 {
        self.z
    }

    /// The bin sizes.
    pub fn bin_size(&self) -> &SVector<f64, N> {
        &self.bin_size
    }

    /// The minimum particle count.
    pub fn min_particles(&self) -> usize {
        self.min_particles
    }

    /// The maximum particle count.
    pub fn max_particles(&self) -> usize {
        self.max_particles
    }

    /// The count required with `k` occupied bins: `n(k)` clamped to `[n_min, n_max]`.
    pub fn required_particles(&self, k: usize) -> usize {
        bound(k, self.epsilon, self.z).clamp(self.min_particles, self.max_particles)
    }

    /// The bin of a state: `floor(x_j / b_j)` per component (saturating; 0 for `b_j = inf`).
    #[inline]
    pub fn bin_of(&self, x: &SVector<f64, N>) -> [i64; N] {
        std::array::from_fn(|j| (x[j] / self.bin_size[j]).floor() as i64)
    }
}

/// FxHash-style multiplicative hasher for bin keys (the std SipHash costs more than the draw).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct BinHasher(u64);

impl Hasher for BinHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(word));
        }
        for &b in chunks.remainder() {
            self.write_u64(u64::from(b));
        }
    }

    #[inline]
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    #[inline]
    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// The set of occupied bins, cleared (capacity kept) for each sampling run.
pub(crate) type BinSet<const N: usize> = HashSet<[i64; N], BuildHasherDefault<BinHasher>>;

impl<const N: usize> ParticleFilter<N> {
    /// KLD-resampling: draws particles by weight, one at a time, until the count reaches
    /// `max(n_min, n(k))` for the `k` bins the drawn particles occupy (or `n_max`); the drawn set
    /// replaces the old one with equal weights. Returns the new count.
    ///
    /// # Errors
    /// None on a valid filter; a `Result` for symmetry with the other steps.
    ///
    /// ```
    /// use kestrel::estimation::particle::{KldSampling, ParticleFilter};
    /// use nalgebra::Vector1;
    /// use rand::{rngs::SmallRng, SeedableRng};
    /// let mut rng = SmallRng::seed_from_u64(4);
    /// let kld = KldSampling::with_quantile(0.05, 3.0, Vector1::new(1.0), 50, 10_000).unwrap();
    /// // All mass in one bin: the count drops to the minimum.
    /// let mut pf = ParticleFilter::new(vec![Vector1::new(0.5); 5000]).unwrap();
    /// assert_eq!(pf.resample_kld(&kld, &mut rng).unwrap(), 50);
    /// // Spread over 10 bins: at least n(10) = 273 (and more bins may be hit first).
    /// let spread = (0..5000).map(|i| Vector1::new((i % 10) as f64 + 0.5)).collect();
    /// let mut pf = ParticleFilter::new(spread).unwrap();
    /// assert_eq!(pf.resample_kld(&kld, &mut rng).unwrap(), 273);
    /// ```
    pub fn resample_kld<R: Rng + ?Sized>(
        &mut self,
        kld: &KldSampling<N>,
        rng: &mut R,
    ) -> Result<usize, EstimationError> {
        self.kld_draw(kld, rng, |x, _| Ok(*x))
    }

    /// Fox's KLD-sampling prediction: draws a particle by weight, moves it with
    /// `motion(particle, rng)`, and bins the predicted particle, until the count reaches
    /// `max(n_min, n(k))` (or `n_max`). The predicted set replaces the old one with equal weights,
    /// ready for [`update`](Self::update). Returns the new count.
    ///
    /// # Errors
    /// [`EstimationError::NonFinite`] when the closure returns a non-finite particle; the filter
    /// is then unchanged.
    pub fn predict_kld_with<R, F>(
        &mut self,
        kld: &KldSampling<N>,
        rng: &mut R,
        mut motion: F,
    ) -> Result<usize, EstimationError>
    where
        R: Rng + ?Sized,
        F: FnMut(&SVector<f64, N>, &mut R) -> SVector<f64, N>,
    {
        let angles = self.angles;
        self.kld_draw(kld, rng, |x, rng| {
            let mut next = motion(x, rng);
            if !next.iter().all(|v| v.is_finite()) {
                return Err(EstimationError::NonFinite {
                    what: "predicted particle",
                });
            }
            wrap_components(&mut next, &angles);
            Ok(next)
        })
    }

    /// [`predict_kld_with`](Self::predict_kld_with) through a motion model with additive
    /// Gaussian noise, as in [`predict`](Self::predict).
    ///
    /// # Errors
    /// As [`predict`](Self::predict); the filter is then unchanged.
    pub fn predict_kld<M, R>(
        &mut self,
        model: &M,
        dt: f64,
        kld: &KldSampling<N>,
        rng: &mut R,
    ) -> Result<usize, EstimationError>
    where
        M: MotionModel<N> + ?Sized,
        R: Rng + ?Sized,
    {
        if !dt.is_finite() {
            return Err(EstimationError::NonFinite { what: "dt" });
        }
        let angles = self.motion_angles(model);
        match state_independent_noise(model, &self.particles, dt)? {
            Some(noise) => self.kld_draw(kld, rng, |x, rng| {
                let mut next = model.transition(x, dt) + noise.draw(rng);
                if !next.iter().all(|v| v.is_finite()) {
                    return Err(EstimationError::NonFinite {
                        what: "predicted particle",
                    });
                }
                wrap_components(&mut next, &angles);
                Ok(next)
            }),
            None => {
                let mut noise = NoiseSqrtCache::new();
                self.kld_draw(kld, rng, |x, rng| {
                    sample_motion(model, x, dt, &angles, &mut noise, rng)
                })
            }
        }
    }

    /// The shared KLD loop: draw by weight, map through `transform`, bin, stop at the bound.
    fn kld_draw<R, F>(
        &mut self,
        kld: &KldSampling<N>,
        rng: &mut R,
        mut transform: F,
    ) -> Result<usize, EstimationError>
    where
        R: Rng + ?Sized,
        F: FnMut(&SVector<f64, N>, &mut R) -> Result<SVector<f64, N>, EstimationError>,
    {
        self.cumulative.clear();
        let mut total = 0.0;
        let mut last_positive = 0;
        for (i, &w) in self.weights.iter().enumerate() {
            total += w;
            if w > 0.0 {
                last_positive = i;
            }
            self.cumulative.push(total);
        }
        self.bins.clear();
        self.spare_particles.clear();
        let mut required = kld.required_particles(0);
        while self.spare_particles.len() < required {
            let u = rng.random::<f64>() * total;
            // First index whose cumulative weight exceeds u: C_{i-1} <= u < C_i.
            let i = self
                .cumulative
                .partition_point(|&c| c <= u)
                .min(last_positive);
            let x = transform(&self.particles[i], rng)?;
            if self.bins.insert(kld.bin_of(&x)) {
                required = kld.required_particles(self.bins.len());
            }
            self.spare_particles.push(x);
        }
        std::mem::swap(&mut self.particles, &mut self.spare_particles);
        self.set_uniform_weights();
        Ok(self.particles.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::Vector2;

    #[test]
    fn bound_check_values_from_conventions() {
        assert_eq!(kld_bound(2, 0.05, 3.0).unwrap(), 106);
        assert_eq!(kld_bound(10, 0.05, 3.0).unwrap(), 273);
        assert_eq!(kld_bound(100, 0.05, 3.0).unwrap(), 1467);
        assert_eq!(kld_bound(1, 0.05, 3.0).unwrap(), 0);
        assert_eq!(kld_bound(0, 0.05, 3.0).unwrap(), 0);
    }

    #[test]
    fn bad_parameters_are_rejected() {
        let b = Vector2::new(1.0, 1.0);
        assert!(kld_bound(5, -0.1, 3.0).is_err());
        assert!(kld_bound(5, f64::NAN, 3.0).is_err());
        assert!(kld_bound(5, 0.05, f64::INFINITY).is_err());
        assert!(KldSampling::new(0.05, 0.0, b, 10, 100).is_err());
        assert!(KldSampling::new(0.05, 1.0, b, 10, 100).is_err());
        assert!(KldSampling::new(0.0, 0.01, b, 10, 100).is_err());
        assert!(KldSampling::new(0.05, 0.01, Vector2::new(1.0, 0.0), 10, 100).is_err());
        assert!(KldSampling::new(0.05, 0.01, Vector2::new(f64::NAN, 1.0), 10, 100).is_err());
        assert!(KldSampling::new(0.05, 0.01, b, 0, 100).is_err());
        assert!(KldSampling::new(0.05, 0.01, b, 10, 9).is_err());
        let unbinned = KldSampling::new(0.05, 0.01, Vector2::new(1.0, f64::INFINITY), 1, 2);
        assert_eq!(
            unbinned.unwrap().bin_of(&Vector2::new(-0.5, 1e300)),
            [-1, 0]
        );
    }
}
