//! Particle filter (sequential importance resampling) with KLD-adaptive sampling.
//!
//! The posterior `p(x_k | z_1..k)` is represented by particles `x^i` (fixed-size
//! [`SVector<f64, N>`]) and normalised weights `w^i`:
//!
//! - **predict** draws `x^i ~ p(x_k | x^i_{k-1})`: through a closure `(particle, rng) -> particle`
//!   ([`ParticleFilter::predict_with`]) or a [`MotionModel`](crate::models::MotionModel) with
//!   additive Gaussian noise `x' = f(x, dt) + w`, `w ~ N(0, Q(x, dt))`
//!   ([`ParticleFilter::predict`]); `Q` may be singular.
//! - **update** multiplies each weight by the likelihood `p(z | x^i)`: through a closure returning
//!   `ln p(z | x)` ([`ParticleFilter::update_with`]) or a
//!   [`MeasurementModel`](crate::models::MeasurementModel) with Gaussian noise,
//!   `ln N(z - h(x); 0, R(x))`, angle components of the residual wrapped
//!   ([`ParticleFilter::update`]). Weights are kept in log space and renormalised after every
//!   update by subtracting the largest log-weight before exponentiating, so likelihoods far below
//!   `f64` range (`ln p = -1e4`) do not underflow to an all-zero set.
//! - **resample** replaces the set with `n` draws ([`ResamplingScheme`]), either always
//!   ([`ParticleFilter::resample`]) or when the effective sample size
//!   `ESS = 1 / sum (w^i)^2` falls below a fraction of the particle count
//!   ([`ParticleFilter::resample_if_needed`]), or with a KLD-adaptive count ([`KldSampling`],
//!   [`ParticleFilter::resample_kld`], [`ParticleFilter::predict_kld`]).
//! - **estimate**: weighted mean (angle components averaged on the circle) and weighted
//!   covariance `sum w^i (x^i - m)(x^i - m)^T` (angle components of `x^i - m` wrapped).
//!
//! Conventions: radians; angle components (declared with
//! [`ParticleFilter::with_angle_components`], or by the motion model) are kept in `[-pi, pi)`.
//! Every random draw uses the caller's RNG (`rand::Rng`), so a seed fixes the run.
//!
//! Memory: the filter owns its buffers (particles, a second particle buffer, weights and
//! log-weights with a spare, cumulative weights, the KLD bin set) and reuses them; at a fixed
//! particle count a step performs no heap allocation. A step costs `O(n)` (`O(n log m)` for `n`
//! KLD draws from `m` particles). Single-threaded.
//!
//! Failed steps (non-finite input, a non-definite covariance, every likelihood zero) return an
//! [`EstimationError`] and leave the filter exactly as it was.
//!
//! ```
//! use kestrel::estimation::particle::ParticleFilter;
//! use nalgebra::{Matrix1, Vector1};
//! use rand::{rngs::SmallRng, SeedableRng};
//! use rand_distr::{Distribution, StandardNormal};
//!
//! // Scalar random walk x' = x + N(0, 1) observed as z = x + N(0, 1); prior N(0, 1).
//! let mut rng = SmallRng::seed_from_u64(1);
//! let (m0, p0) = (Vector1::new(0.0), Matrix1::new(1.0));
//! let mut pf = ParticleFilter::from_gaussian(&m0, &p0, 4000, &mut rng).unwrap();
//! pf.predict_with(&mut rng, |x, rng| {
//!     let w: f64 = StandardNormal.sample(rng);
//!     x.add_scalar(w)
//! })
//! .unwrap();
//! pf.update_with(|x| -0.5 * (2.0 - x[0]).powi(2)).unwrap(); // z = 2
//! // Kalman: prior variance 2, gain 2/3, posterior mean 4/3 and variance 2/3.
//! assert!((pf.mean()[0] - 4.0 / 3.0).abs() < 0.1);
//! assert!((pf.covariance()[(0, 0)] - 2.0 / 3.0).abs() < 0.1);
//! pf.resample_if_needed(&mut rng).unwrap();
//! ```

use nalgebra::{SMatrix, SVector};
use rand::Rng;

use crate::estimation::EstimationError;
use crate::geometry::wrap_angle;
use crate::models::weighted_mean;

mod gaussian;
pub mod kld;
mod predict;
pub mod resampling;
mod update;

pub use kld::{kld_bound, KldSampling};
pub use resampling::{
    effective_sample_size, multinomial_resample, residual_resample, stratified_resample,
    systematic_resample, systematic_resample_with_offset, ResamplingScheme,
};

use gaussian::NoiseFactor;
use kld::BinSet;
use predict::sample_motion;

/// A particle filter over `N`-dimensional states. See the [module documentation](self).
#[derive(Debug, Clone)]
pub struct ParticleFilter<const N: usize> {
    particles: Vec<SVector<f64, N>>,
    /// Normalised weights (sum 1).
    weights: Vec<f64>,
    /// `ln` of the normalised weights (`-inf` for a zero weight).
    log_weights: Vec<f64>,
    ess: f64,
    angles: [bool; N],
    scheme: ResamplingScheme,
    ess_fraction: f64,
    // Reused buffers.
    spare_particles: Vec<SVector<f64, N>>,
    spare_log_weights: Vec<f64>,
    cumulative: Vec<f64>,
    bins: BinSet<N>,
}

impl<const N: usize> ParticleFilter<N> {
    /// A filter over the given particles with equal weights, systematic resampling and an ESS
    /// threshold of 0.5.
    ///
    /// # Errors
    /// [`EstimationError::InvalidParameter`] for an empty set, [`EstimationError::NonFinite`] for
    /// a particle with a NaN or infinite component.
    ///
    /// ```
    /// use kestrel::estimation::particle::ParticleFilter;
    /// use nalgebra::Vector2;
    /// let pf = ParticleFilter::new(vec![Vector2::new(0.0, 0.0), Vector2::new(2.0, 4.0)]).unwrap();
    /// assert_eq!(pf.weights(), &[0.5, 0.5]);
    /// assert_eq!(pf.mean(), Vector2::new(1.0, 2.0));
    /// ```
    pub fn new(particles: Vec<SVector<f64, N>>) -> Result<Self, EstimationError> {
        let n = particles.len();
        Self::from_weighted(particles, vec![1.0; n])
    }

    /// A filter over weighted particles; the weights (non-negative, finite, positive sum) are
    /// normalised.
    ///
    /// # Errors
    /// As [`ParticleFilter::new`], plus [`EstimationError::DimensionMismatch`] when the lengths
    /// differ, [`EstimationError::NonFinite`] / [`EstimationError::InvalidParameter`] for a
    /// non-finite or negative weight and [`EstimationError::DegenerateWeights`] when all are zero.
    pub fn from_weighted(
        particles: Vec<SVector<f64, N>>,
        weights: Vec<f64>,
    ) -> Result<Self, EstimationError> {
        if particles.is_empty() {
            return Err(EstimationError::InvalidParameter {
                name: "particles",
                reason: "a particle filter needs at least one particle".into(),
            });
        }
        if weights.len() != particles.len() {
            return Err(EstimationError::DimensionMismatch {
                what: "weights",
                expected: particles.len(),
                found: weights.len(),
            });
        }
        if !particles.iter().all(|p| p.iter().all(|v| v.is_finite())) {
            return Err(EstimationError::NonFinite { what: "particles" });
        }
        let mut log_weights = Vec::with_capacity(weights.len());
        for (i, &w) in weights.iter().enumerate() {
            if !w.is_finite() {
                return Err(EstimationError::NonFinite { what: "weights" });
            }
            if w < 0.0 {
                return Err(EstimationError::InvalidParameter {
                    name: "weights",
                    reason: format!("weight {i} is negative ({w})"),
                });
            }
            log_weights.push(w.ln());
        }
        let n = particles.len();
        let mut filter = Self {
            particles,
            weights,
            log_weights: vec![0.0; n],
            ess: n as f64,
            angles: [false; N],
            scheme: ResamplingScheme::default(),
            ess_fraction: 0.5,
            spare_particles: Vec::with_capacity(n),
            spare_log_weights: log_weights,
            cumulative: Vec::with_capacity(n),
            bins: BinSet::default(),
        };
        let max = filter
            .spare_log_weights
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        filter.commit_log_weights(max)?;
        Ok(filter)
    }

    /// `n` particles drawn from `N(mean, covariance)` (`covariance` may be singular), equal
    /// weights.
    ///
    /// # Errors
    /// [`EstimationError::InvalidParameter`] for `n = 0`; [`EstimationError::NonFinite`];
    /// [`EstimationError::NotPositiveDefinite`] when the covariance is not symmetric positive
    /// semi-definite.
    pub fn from_gaussian<R: Rng + ?Sized>(
        mean: &SVector<f64, N>,
        covariance: &SMatrix<f64, N, N>,
        n: usize,
        rng: &mut R,
    ) -> Result<Self, EstimationError> {
        check_count(n)?;
        if !mean.iter().chain(covariance.iter()).all(|v| v.is_finite()) {
            return Err(EstimationError::NonFinite {
                what: "initial mean or covariance",
            });
        }
        let noise = NoiseFactor::new(covariance, "initial covariance")?;
        let particles = (0..n).map(|_| mean + noise.draw(rng)).collect();
        Self::new(particles)
    }

    /// `n` particles drawn uniformly in the box `[lower, upper]` (a uniform prior over a map, as in
    /// Monte Carlo localisation), equal weights. A component with `lower == upper` is constant.
    ///
    /// # Errors
    /// [`EstimationError::InvalidParameter`] for `n = 0` or `lower > upper`;
    /// [`EstimationError::NonFinite`] for non-finite bounds.
    ///
    /// ```
    /// use kestrel::estimation::particle::ParticleFilter;
    /// use nalgebra::Vector2;
    /// use rand::{rngs::SmallRng, SeedableRng};
    /// let (lo, hi) = (Vector2::new(0.0, -1.0), Vector2::new(10.0, 1.0));
    /// let mut rng = SmallRng::seed_from_u64(2);
    /// let pf = ParticleFilter::from_uniform(&lo, &hi, 1000, &mut rng).unwrap();
    /// assert!(pf.particles().iter().all(|p| p.x >= 0.0 && p.x <= 10.0 && p.y.abs() <= 1.0));
    /// ```
    pub fn from_uniform<R: Rng + ?Sized>(
        lower: &SVector<f64, N>,
        upper: &SVector<f64, N>,
        n: usize,
        rng: &mut R,
    ) -> Result<Self, EstimationError> {
        check_count(n)?;
        if !lower.iter().chain(upper.iter()).all(|v| v.is_finite()) {
            return Err(EstimationError::NonFinite {
                what: "uniform prior bounds",
            });
        }
        if let Some(i) = (0..N).find(|&i| lower[i] > upper[i]) {
            return Err(EstimationError::InvalidParameter {
                name: "lower",
                reason: format!("component {i}: lower bound exceeds upper bound"),
            });
        }
        let span = upper - lower;
        let particles = (0..n)
            .map(|_| {
                let u = SVector::<f64, N>::from_fn(|_, _| rng.random::<f64>());
                (lower + span.component_mul(&u)).inf(upper)
            })
            .collect();
        Self::new(particles)
    }

    /// Declares which state components are angles (wrapped to `[-pi, pi)` and averaged on the
    /// circle). The particles are wrapped now.
    pub fn with_angle_components(mut self, angles: [bool; N]) -> Self {
        self.angles = angles;
        for p in &mut self.particles {
            wrap_components(p, &angles);
        }
        self
    }

    /// Chooses the resampling scheme used by [`resample`](Self::resample) and
    /// [`resample_if_needed`](Self::resample_if_needed) (default: systematic).
    pub fn with_resampling(mut self, scheme: ResamplingScheme) -> Self {
        self.scheme = scheme;
        self
    }

    /// Sets the ESS fraction below which [`resample_if_needed`](Self::resample_if_needed)
    /// resamples: resample when `ESS < fraction * n` (default 0.5; 1 resamples after any uneven
    /// update).
    ///
    /// # Errors
    /// [`EstimationError::InvalidParameter`] unless `0 < fraction <= 1`.
    pub fn with_ess_threshold(mut self, fraction: f64) -> Result<Self, EstimationError> {
        if !(fraction > 0.0 && fraction <= 1.0) {
            return Err(EstimationError::InvalidParameter {
                name: "ess_threshold",
                reason: format!("must lie in (0, 1], got {fraction}"),
            });
        }
        self.ess_fraction = fraction;
        Ok(self)
    }

    /// The number of particles.
    pub fn len(&self) -> usize {
        self.particles.len()
    }

    /// Always false: a filter holds at least one particle.
    pub fn is_empty(&self) -> bool {
        self.particles.is_empty()
    }

    /// The particles (for plotting, or for a custom estimate).
    pub fn particles(&self) -> &[SVector<f64, N>] {
        &self.particles
    }

    /// The normalised weights, in the order of [`particles`](Self::particles); they sum to 1.
    /// A weight below `1e-308` times the largest one is stored as 0 (its log-weight is exact).
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// `ln` of the normalised weights (`-inf` for a particle with zero likelihood): still
    /// informative where a weight underflows to 0.
    pub fn log_weights(&self) -> &[f64] {
        &self.log_weights
    }

    /// The angle mask in use.
    pub fn angle_components(&self) -> [bool; N] {
        self.angles
    }

    /// The resampling scheme in use.
    pub fn resampling_scheme(&self) -> ResamplingScheme {
        self.scheme
    }

    /// The ESS fraction that triggers [`resample_if_needed`](Self::resample_if_needed).
    pub fn ess_threshold(&self) -> f64 {
        self.ess_fraction
    }

    /// Effective sample size `1 / sum (w^i)^2`, between 1 and `n`.
    pub fn effective_sample_size(&self) -> f64 {
        self.ess
    }

    /// Weighted mean `sum w^i x^i`; angle components are the circular mean
    /// `atan2(sum w sin, sum w cos)` in `[-pi, pi)`. `O(n N)`.
    pub fn mean(&self) -> SVector<f64, N> {
        let mut m = weighted_mean(
            self.particles.iter().zip(self.weights.iter().copied()),
            &self.angles,
        );
        wrap_components(&mut m, &self.angles);
        m
    }

    /// Weighted covariance `sum w^i (x^i - m)(x^i - m)^T` about [`mean`](Self::mean) (normalised
    /// by `sum w = 1`, not bias-corrected), angle components of `x^i - m` wrapped. `O(n N^2)`.
    pub fn covariance(&self) -> SMatrix<f64, N, N> {
        self.estimate().1
    }

    /// Mean and covariance together (one pass for the mean, one for the covariance).
    pub fn estimate(&self) -> (SVector<f64, N>, SMatrix<f64, N, N>) {
        let m = self.mean();
        let mut cov = SMatrix::<f64, N, N>::zeros();
        for (p, &w) in self.particles.iter().zip(&self.weights) {
            if w > 0.0 {
                let mut r = p - m;
                wrap_components(&mut r, &self.angles);
                cov.ger(w, &r, &r, 1.0);
            }
        }
        (m, cov)
    }

    /// Whether the effective sample size is below the threshold: `ESS < fraction * n`.
    pub fn needs_resampling(&self) -> bool {
        self.ess < self.ess_fraction * self.len() as f64
    }

    /// Resamples `n` particles (same count) with the filter's scheme; weights become `1/n`.
    ///
    /// # Errors
    /// Only if the weights were corrupted, which the filter prevents; kept as a `Result` because
    /// resampling validates its input.
    pub fn resample<R: Rng + ?Sized>(&mut self, rng: &mut R) -> Result<(), EstimationError> {
        self.resample_to(self.len(), rng)
    }

    /// Resamples to `n` particles (a new count) with the filter's scheme; weights become `1/n`.
    ///
    /// # Errors
    /// [`EstimationError::InvalidParameter`] for `n = 0`.
    pub fn resample_to<R: Rng + ?Sized>(
        &mut self,
        n: usize,
        rng: &mut R,
    ) -> Result<(), EstimationError> {
        self.spare_particles.clear();
        self.spare_particles.reserve(n);
        let (particles, spare) = (&self.particles, &mut self.spare_particles);
        self.scheme
            .resample_each(&self.weights, n, rng, |i| spare.push(particles[i]))?;
        std::mem::swap(&mut self.particles, &mut self.spare_particles);
        self.set_uniform_weights();
        Ok(())
    }

    /// Resamples (same count) when [`needs_resampling`](Self::needs_resampling); returns whether
    /// it did.
    ///
    /// # Errors
    /// As [`resample`](Self::resample).
    pub fn resample_if_needed<R: Rng + ?Sized>(
        &mut self,
        rng: &mut R,
    ) -> Result<bool, EstimationError> {
        if self.needs_resampling() {
            self.resample(rng)?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    fn set_uniform_weights(&mut self) {
        let n = self.particles.len();
        let w = 1.0 / n as f64;
        self.weights.clear();
        self.weights.resize(n, w);
        self.log_weights.clear();
        self.log_weights.resize(n, -(n as f64).ln());
        self.ess = n as f64;
    }
}

/// Wraps the components marked in `angles` to `[-pi, pi)`. Values already in range are left
/// exactly as they are: cheaper than the remainder in [`wrap_angle`] (a particle step wraps every
/// particle), and free of its rounding.
#[inline]
pub(crate) fn wrap_components<const D: usize>(x: &mut SVector<f64, D>, angles: &[bool; D]) {
    for (v, &is_angle) in x.iter_mut().zip(angles) {
        if is_angle && !(-std::f64::consts::PI..std::f64::consts::PI).contains(v) {
            *v = wrap_angle(*v);
        }
    }
}

fn check_count(n: usize) -> Result<(), EstimationError> {
    if n == 0 {
        Err(EstimationError::InvalidParameter {
            name: "n",
            reason: "the number of particles must be at least 1".into(),
        })
    } else {
        Ok(())
    }
}
