//! Particle filter, resampling and KLD sampling, checked against independent numbers:
//! chi-square frequency tests of unbiasedness, hand-worked systematic indices, FilterPy's
//! systematic resampling (fixture from tools/reference/filterpy_resampling.py), Fox's KLD check
//! values, and closed-form Gaussian posteriors (Kalman filter, importance-sampling variance).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::BTreeSet;
use std::f64::consts::PI;

use kestrel::estimation::particle::{
    effective_sample_size, kld_bound, systematic_resample_with_offset, KldSampling, ParticleFilter,
    ResamplingScheme,
};
use kestrel::estimation::EstimationError;
use kestrel::geometry::wrap_angle;
use kestrel::models::{MeasurementModel, MotionModel};
use nalgebra::{
    Matrix1, Matrix2, Matrix2x4, Matrix4, SMatrix, SVector, Vector1, Vector2, Vector3, Vector4,
};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use statrs::distribution::{ChiSquared, ContinuousCDF, StudentsT};

// ---------------------------------------------------------------------------------------------
// Allocation counting (per thread, so parallel tests do not disturb each other).

struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count_allocation() {
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_allocation();
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_allocation();
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_allocation();
        System.realloc(ptr, layout, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn allocations() -> usize {
    ALLOCATIONS.with(|c| c.get())
}

// ---------------------------------------------------------------------------------------------
// Models used by the tests (state [px, py, vx, vy]).

/// Constant velocity with discretised white-noise acceleration (rank-2 Q).
struct ConstantVelocity {
    accel_psd: f64,
}

impl ConstantVelocity {
    fn f(dt: f64) -> Matrix4<f64> {
        Matrix4::new(
            1.0, 0.0, dt, 0.0, //
            0.0, 1.0, 0.0, dt, //
            0.0, 0.0, 1.0, 0.0, //
            0.0, 0.0, 0.0, 1.0,
        )
    }
    fn q(&self, dt: f64) -> Matrix4<f64> {
        let g = SMatrix::<f64, 4, 2>::new(0.5 * dt * dt, 0.0, 0.0, 0.5 * dt * dt, dt, 0.0, 0.0, dt);
        g * g.transpose() * self.accel_psd
    }
}

impl MotionModel<4> for ConstantVelocity {
    fn transition(&self, x: &Vector4<f64>, dt: f64) -> Vector4<f64> {
        Self::f(dt) * x
    }
    fn process_noise(&self, _x: &Vector4<f64>, dt: f64) -> Matrix4<f64> {
        self.q(dt)
    }
}

struct Position {
    sigma: f64,
}

impl Position {
    fn h() -> Matrix2x4<f64> {
        Matrix2x4::new(1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    }
}

impl MeasurementModel<4, 2> for Position {
    fn measure(&self, x: &Vector4<f64>) -> Vector2<f64> {
        Self::h() * x
    }
    fn noise_covariance(&self, _x: &Vector4<f64>) -> Matrix2<f64> {
        Matrix2::identity() * self.sigma * self.sigma
    }
}

/// Range and bearing from the origin (bearing is an angle).
struct RangeBearing {
    sigma_range: f64,
    sigma_bearing: f64,
}

impl MeasurementModel<4, 2> for RangeBearing {
    fn measure(&self, x: &Vector4<f64>) -> Vector2<f64> {
        Vector2::new(x[0].hypot(x[1]), x[1].atan2(x[0]))
    }
    fn noise_covariance(&self, _x: &Vector4<f64>) -> Matrix2<f64> {
        Matrix2::new(
            self.sigma_range.powi(2),
            0.0,
            0.0,
            self.sigma_bearing.powi(2),
        )
    }
    fn angle_components(&self) -> [bool; 2] {
        [false, true]
    }
}

/// A scalar observed directly, `z = x + N(0, r)`.
struct Scalar {
    variance: f64,
}

impl MeasurementModel<1, 1> for Scalar {
    fn measure(&self, x: &Vector1<f64>) -> Vector1<f64> {
        *x
    }
    fn noise_covariance(&self, _x: &Vector1<f64>) -> Matrix1<f64> {
        Matrix1::new(self.variance)
    }
}

fn normal<R: Rng>(rng: &mut R) -> f64 {
    StandardNormal.sample(rng)
}

// ---------------------------------------------------------------------------------------------
// Resampling.

/// Pearson's statistic of index counts over `trials` resamplings against `trials * n * w_i`.
/// Zero-weight indices must never be drawn. Returns (statistic, degrees of freedom).
fn chi_square_of_counts(
    weights: &[f64],
    n: usize,
    trials: usize,
    mut draw: impl FnMut(&mut Vec<usize>),
) -> (f64, f64) {
    let total: f64 = weights.iter().sum();
    let mut counts = vec![0usize; weights.len()];
    let mut out = Vec::new();
    for _ in 0..trials {
        draw(&mut out);
        assert_eq!(out.len(), n);
        for &i in &out {
            counts[i] += 1;
        }
    }
    let mut stat = 0.0;
    let mut cells = 0;
    for (&w, &c) in weights.iter().zip(&counts) {
        if w == 0.0 {
            assert_eq!(c, 0, "a zero-weight index was drawn");
            continue;
        }
        let expected = trials as f64 * n as f64 * w / total;
        stat += (c as f64 - expected).powi(2) / expected;
        cells += 1;
    }
    (stat, (cells - 1) as f64)
}

/// Critical value of the chi-square test at significance 0.001.
fn chi_square_critical(dof: f64) -> f64 {
    ChiSquared::new(dof).unwrap().inverse_cdf(0.999)
}

/// The weight vectors and draw counts the unbiasedness test uses: FilterPy's counter-example,
/// an irregular vector with a zero, and draws of a different count than the weights.
fn unbiasedness_cases() -> Vec<(Vec<f64>, usize)> {
    let irregular = vec![0.02, 0.31, 0.0, 0.07, 0.11, 0.005, 0.145, 0.2, 0.05, 0.09];
    vec![
        (vec![0.5, 0.3, 0.1, 0.1], 4),
        (irregular.clone(), 10),
        (irregular.clone(), 7),
        (irregular, 23),
    ]
}

/// Each scheme's expected count of index i is n w_i: Pearson's statistic over 20 000
/// resamplings stays below the 0.999 chi-square quantile. For the multinomial scheme the
/// statistic is chi-square distributed with K - 1 degrees of freedom; the other schemes have
/// smaller count variances, so the same critical value is conservative for them, while any bias
/// b in a count grows the statistic like trials * b^2 / (n w) (see the power check below).
#[test]
fn every_scheme_is_unbiased_by_a_chi_square_frequency_test() {
    let trials = 20_000;
    let mut rng = SmallRng::seed_from_u64(2024);
    for scheme in ResamplingScheme::ALL {
        for (weights, n) in unbiasedness_cases() {
            let (stat, dof) = chi_square_of_counts(&weights, n, trials, |out| {
                scheme.resample(&weights, n, &mut rng, out).unwrap()
            });
            let critical = chi_square_critical(dof);
            println!("{scheme:?} n={n} K-1={dof}: chi2 = {stat:.3} (critical {critical:.3})");
            assert!(
                stat < critical,
                "{scheme:?} n={n}: chi2 {stat} >= {critical}"
            );
        }
    }
}

/// FilterPy's residual design (copies subtracted from the unscaled weights), rewritten here only
/// to show that the frequency test above detects a biased resampler.
fn biased_residual(weights: &[f64], rng: &mut SmallRng, out: &mut Vec<usize>) {
    let n = weights.len();
    out.clear();
    let copies: Vec<usize> = weights
        .iter()
        .map(|w| (n as f64 * w).floor() as usize)
        .collect();
    for (i, &c) in copies.iter().enumerate() {
        out.extend(std::iter::repeat_n(i, c));
    }
    let residual: Vec<f64> = weights
        .iter()
        .zip(&copies)
        .map(|(w, &c)| w - c as f64)
        .collect();
    let sum: f64 = residual.iter().sum();
    let mut cumulative: Vec<f64> = residual
        .iter()
        .scan(0.0, |acc, r| {
            *acc += r / sum;
            Some(*acc)
        })
        .collect();
    *cumulative.last_mut().unwrap() = 1.0;
    while out.len() < n {
        let u: f64 = rng.random();
        out.push(cumulative.partition_point(|&c| c < u));
    }
}

#[test]
fn the_frequency_test_rejects_a_biased_residual_resampler() {
    let weights = [0.5, 0.3, 0.1, 0.1];
    let mut rng = SmallRng::seed_from_u64(1);
    let mut counts = [0usize; 4];
    let mut out = Vec::new();
    for _ in 0..20_000 {
        biased_residual(&weights, &mut rng, &mut out);
        for &i in &out {
            counts[i] += 1;
        }
    }
    // The published symptom: .688 / .312 / 0 / 0 of the draws.
    let total = 80_000.0;
    assert!(
        (counts[0] as f64 / total - 0.688).abs() < 0.01,
        "{counts:?}"
    );
    assert!(
        (counts[1] as f64 / total - 0.312).abs() < 0.01,
        "{counts:?}"
    );
    assert_eq!(counts[2] + counts[3], 0);
    let stat: f64 = weights
        .iter()
        .zip(&counts)
        .map(|(w, &c)| {
            let e = total * w;
            (c as f64 - e).powi(2) / e
        })
        .sum();
    assert!(stat > 100.0 * chi_square_critical(3.0), "chi2 {stat}");
}

/// Positions `(j + U) / n` against the cumulative weights, worked by hand.
#[test]
fn systematic_indices_for_given_offsets_worked_by_hand() {
    // Binary fractions, so every sum below is exact: cumulative 0.125, 0.375, 0.75, 1.
    let w = [0.125, 0.25, 0.375, 0.25];
    let mut idx = Vec::new();
    // U = 0.25: positions 0.0625, 0.3125, 0.5625, 0.8125.
    systematic_resample_with_offset(&w, 4, 0.25, &mut idx).unwrap();
    assert_eq!(idx, [0, 1, 2, 3]);
    // U = 0.75: positions 0.1875, 0.4375, 0.6875, 0.9375.
    systematic_resample_with_offset(&w, 4, 0.75, &mut idx).unwrap();
    assert_eq!(idx, [1, 2, 2, 3]);
    // n = 8, U = 0.5: positions 1/16, 3/16, ..., 15/16 -> 8 w = 1, 2, 3, 2 copies.
    systematic_resample_with_offset(&w, 8, 0.5, &mut idx).unwrap();
    assert_eq!(idx, [0, 1, 1, 2, 2, 2, 3, 3]);
    // n = 3 (not the weight count), U = 0: positions 0, 1/3, 2/3.
    systematic_resample_with_offset(&w, 3, 0.0, &mut idx).unwrap();
    assert_eq!(idx, [0, 1, 2]);
    // Boundaries: a position equal to C_i selects i + 1, and zero weights are skipped.
    // Cumulative 0.5, 0.5, 1; positions 0 and 0.5.
    systematic_resample_with_offset(&[0.5, 0.0, 0.5], 2, 0.0, &mut idx).unwrap();
    assert_eq!(idx, [0, 2]);
    // Unnormalised weights (sum 8) give the same answer as their normalised form.
    systematic_resample_with_offset(&[1.0, 2.0, 3.0, 2.0], 4, 0.75, &mut idx).unwrap();
    assert_eq!(idx, [1, 2, 2, 3]);
}

#[derive(serde::Deserialize)]
struct FilterPyCase {
    seed: u64,
    weights_bits: Vec<u64>,
    offset_bits: u64,
    indices: Vec<usize>,
}

#[derive(serde::Deserialize)]
struct FilterPyFixture {
    filterpy: String,
    cases: Vec<FilterPyCase>,
}

/// Same indices as `filterpy.monte_carlo.systematic_resample` (1.4.5) given its offset, on 32
/// random weight vectors of 1 to 1000 entries, some with zeros and very uneven weights.
#[test]
fn systematic_matches_filterpy_index_for_index() {
    let text = include_str!("fixtures/estimation/particle_systematic_filterpy.json");
    let fixture: FilterPyFixture = serde_json::from_str(text).unwrap();
    assert_eq!(fixture.filterpy, "1.4.5");
    assert_eq!(fixture.cases.len(), 32);
    let mut idx = Vec::new();
    for case in &fixture.cases {
        let w: Vec<f64> = case
            .weights_bits
            .iter()
            .map(|&b| f64::from_bits(b))
            .collect();
        let offset = f64::from_bits(case.offset_bits);
        systematic_resample_with_offset(&w, w.len(), offset, &mut idx).unwrap();
        assert_eq!(idx, case.indices, "seed {}", case.seed);
    }
}

/// Systematic counts are floor(n w) or ceil(n w); residual counts are at least floor(n w)
/// (up to rounding where n w is an integer: these decimal weights sum to 1 only approximately).
#[test]
fn systematic_and_residual_count_bounds() {
    let w = [0.02, 0.31, 0.0, 0.07, 0.11, 0.005, 0.145, 0.2, 0.05, 0.09];
    let mut rng = SmallRng::seed_from_u64(5);
    let mut idx = Vec::new();
    for n in [1, 10, 17, 100] {
        for _ in 0..500 {
            ResamplingScheme::Systematic
                .resample(&w, n, &mut rng, &mut idx)
                .unwrap();
            let mut counts = vec![0; w.len()];
            idx.iter().for_each(|&i| counts[i] += 1);
            for (i, &c) in counts.iter().enumerate() {
                let e = n as f64 * w[i];
                assert!(c as f64 >= e.floor() - 1e-9 && c as f64 <= e.ceil() + 1e-9);
            }
            ResamplingScheme::Residual
                .resample(&w, n, &mut rng, &mut idx)
                .unwrap();
            let mut counts = vec![0; w.len()];
            idx.iter().for_each(|&i| counts[i] += 1);
            for (i, &c) in counts.iter().enumerate() {
                assert!(c as f64 >= (n as f64 * w[i] - 1e-9).floor());
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// KLD sampling.

#[test]
fn kld_bound_check_values() {
    // conventions.md: k = 2, 10, 100 with epsilon 0.05 and z = 3.
    assert_eq!(kld_bound(2, 0.05, 3.0).unwrap(), 106);
    assert_eq!(kld_bound(10, 0.05, 3.0).unwrap(), 273);
    assert_eq!(kld_bound(100, 0.05, 3.0).unwrap(), 1467);
    // delta = 0.01 gives the published quantile z = 2.3263478740408408.
    let kld = KldSampling::new(0.05, 0.01, Vector1::new(1.0), 1, usize::MAX).unwrap();
    assert!((kld.z() - 2.326_347_874_040_840_8).abs() < 1e-12);
    // Wilson-Hilferty with k = 10: 9 / 0.1 * (1 - 2/81 + sqrt(2/81) z)^3, z = 2.3263...
    let a: f64 = 2.0 / 81.0;
    let expected = (90.0 * (1.0 - a + a.sqrt() * kld.z()).powi(3)).ceil() as usize;
    assert_eq!(kld.required_particles(10), expected);
    for bad in [0.0, -0.05, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            kld_bound(10, bad, 3.0),
            Err(EstimationError::InvalidParameter { .. })
        ));
    }
}

/// The number of distinct bins `floor(x_j / b_j)` the particles occupy.
fn distinct_bins<const N: usize>(kld: &KldSampling<N>, particles: &[SVector<f64, N>]) -> usize {
    let b = kld.bin_size();
    particles
        .iter()
        .map(|p| {
            (0..N)
                .map(|j| (p[j] / b[j]).floor() as i64)
                .collect::<Vec<_>>()
        })
        .collect::<BTreeSet<_>>()
        .len()
}

/// Monte Carlo localisation in miniature: a robot at an unknown pose in a 20 m x 20 m map with
/// four landmarks, range measurements only, uniform prior. Fox's KLD-sampling keeps the maximum
/// count while the set covers the map and shrinks as it converges; at every step the count is
/// exactly max(n_min, n(k)) for the k bins the new set occupies (recounted here independently).
#[test]
fn kld_count_follows_the_bound_and_shrinks_as_localisation_converges() {
    let landmarks = [
        Vector2::new(2.0, 3.0),
        Vector2::new(17.0, 4.0),
        Vector2::new(15.0, 18.0),
        Vector2::new(4.0, 16.0),
    ];
    let sigma_range = 0.3;
    let kld = KldSampling::new(
        0.05,
        0.01,
        Vector3::new(0.5, 0.5, 15f64.to_radians()),
        200,
        30_000,
    )
    .unwrap();
    let mut rng = SmallRng::seed_from_u64(77);
    let lower = Vector3::new(0.0, 0.0, -PI);
    let upper = Vector3::new(20.0, 20.0, PI);
    let mut pf = ParticleFilter::from_uniform(&lower, &upper, 30_000, &mut rng)
        .unwrap()
        .with_angle_components([false, false, true]);
    let mut truth = Vector3::new(6.0, 9.0, 0.4);
    let (speed, turn_rate, dt) = (1.0, 0.1, 1.0);
    let unicycle = |x: &Vector3<f64>, v: f64, w: f64| {
        Vector3::new(
            x[0] + v * dt * x[2].cos(),
            x[1] + v * dt * x[2].sin(),
            x[2] + w * dt,
        )
    };
    let mut counts = Vec::new();
    for _ in 0..12 {
        truth = unicycle(&truth, speed, turn_rate);
        truth[2] = wrap_angle(truth[2]);
        let n = pf
            .predict_kld_with(&kld, &mut rng, |x, rng| {
                unicycle(x, speed + 0.1 * normal(rng), turn_rate + 0.05 * normal(rng))
            })
            .unwrap();
        assert_eq!(n, pf.len());
        let k = distinct_bins(&kld, pf.particles());
        assert_eq!(n, kld.required_particles(k), "stopping rule, k = {k}");
        counts.push(n);
        let ranges: Vec<f64> = landmarks
            .iter()
            .map(|l| (truth.xy() - l).norm() + sigma_range * normal(&mut rng))
            .collect();
        pf.update_with(|x| {
            landmarks
                .iter()
                .zip(&ranges)
                .map(|(l, r)| -0.5 * (((x.xy() - l).norm() - r) / sigma_range).powi(2))
                .sum()
        })
        .unwrap();
    }
    println!("KLD counts per step: {counts:?}");
    assert_eq!(counts[0], 30_000, "a map-wide set needs the maximum");
    let last = *counts.last().unwrap();
    assert!(last < 3_000, "converged set still uses {last} particles");
    let position = pf.mean().xy();
    assert!(
        (position - truth.xy()).norm() < 0.5,
        "{position} vs {truth}"
    );
    // KLD-resampling after the update also obeys the rule exactly.
    let n = pf.resample_kld(&kld, &mut rng).unwrap();
    assert_eq!(
        n,
        kld.required_particles(distinct_bins(&kld, pf.particles()))
    );
}

// ---------------------------------------------------------------------------------------------
// The filter against closed forms.

/// One importance-sampling update of a Gaussian prior N(1, 4) with z = 3, R = 1: the posterior is
/// N(2.6, 0.8) (Kalman). The self-normalised estimate of the mean has asymptotic variance
/// sigma^2 / n with sigma^2 = E_q[(p/q)^2 (x - m1)^2] (q prior, p posterior), integrated here by
/// quadrature. Over 200 independent filters of 1000 particles, the average estimate must lie
/// within 4 standard errors of 2.6, and the spread of the estimates must pass a two-sided
/// chi-square test (0.001) against sigma^2 / n.
#[test]
fn one_update_matches_the_kalman_posterior_and_importance_sampling_variance() {
    let (m0, p0, z, r) = (1.0_f64, 4.0_f64, 3.0_f64, 1.0_f64);
    let gain = p0 / (p0 + r);
    let (m1, p1) = (m0 + gain * (z - m0), (1.0 - gain) * p0);
    let gauss =
        |x: f64, m: f64, v: f64| (-(x - m).powi(2) / (2.0 * v)).exp() / (2.0 * PI * v).sqrt();
    // Simpson's rule on [m1 - 20, m1 + 20].
    let (a, b, steps) = (m1 - 20.0, m1 + 20.0, 40_000);
    let h = (b - a) / steps as f64;
    let integrand = |x: f64| gauss(x, m1, p1).powi(2) / gauss(x, m0, p0) * (x - m1).powi(2);
    let mut sigma2 = integrand(a) + integrand(b);
    for i in 1..steps {
        sigma2 += integrand(a + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    sigma2 *= h / 3.0;

    let (n, runs) = (1000, 200);
    let model = Scalar { variance: r };
    let mut rng = SmallRng::seed_from_u64(31);
    let mut means = Vec::with_capacity(runs);
    let mut variances = Vec::with_capacity(runs);
    for _ in 0..runs {
        let mut pf =
            ParticleFilter::from_gaussian(&Vector1::new(m0), &Matrix1::new(p0), n, &mut rng)
                .unwrap();
        pf.update(&model, &Vector1::new(z)).unwrap();
        let (m, c) = pf.estimate();
        means.push(m[0]);
        variances.push(c[(0, 0)]);
    }
    let avg = means.iter().sum::<f64>() / runs as f64;
    let spread = means.iter().map(|m| (m - avg).powi(2)).sum::<f64>() / (runs - 1) as f64;
    let se = (sigma2 / n as f64 / runs as f64).sqrt();
    println!("mean {avg:.5} (Kalman {m1}), 4 se = {:.5}", 4.0 * se);
    assert!((avg - m1).abs() < 4.0 * se);
    let scaled = (runs - 1) as f64 * spread / (sigma2 / n as f64);
    let chi = ChiSquared::new((runs - 1) as f64).unwrap();
    println!(
        "spread {spread:.3e} vs sigma^2/n {:.3e}: statistic {scaled:.1} in [{:.1}, {:.1}]",
        sigma2 / n as f64,
        chi.inverse_cdf(0.0005),
        chi.inverse_cdf(0.9995)
    );
    assert!(scaled > chi.inverse_cdf(0.0005) && scaled < chi.inverse_cdf(0.9995));
    // The weighted variance estimates the posterior variance 0.8 (average over the runs).
    let avg_var = variances.iter().sum::<f64>() / runs as f64;
    assert!((avg_var - p1).abs() < 0.02, "{avg_var} vs {p1}");
}

struct Kalman {
    m: Vector4<f64>,
    p: Matrix4<f64>,
}

impl Kalman {
    fn predict(&mut self, cv: &ConstantVelocity, dt: f64) {
        let f = ConstantVelocity::f(dt);
        self.m = f * self.m;
        self.p = f * self.p * f.transpose() + cv.q(dt);
    }
    fn update(&mut self, z: &Vector2<f64>, sigma: f64) {
        let h = Position::h();
        let r = Matrix2::identity() * sigma * sigma;
        let s = h * self.p * h.transpose() + r;
        let k = self.p * h.transpose() * s.try_inverse().unwrap();
        self.m += k * (z - h * self.m);
        let i_kh = Matrix4::identity() - k * h;
        self.p = i_kh * self.p * i_kh.transpose() + k * r * k.transpose();
    }
}

/// A 4-state constant-velocity target seen in position for 20 steps: the particle mean and
/// covariance track the Kalman filter's. Over 32 independent filters of 2000 particles:
/// - the average error of every mean component at every step passes a one-sample t-test against
///   zero, and so does the average of (particle variance / Kalman variance - 1) for every
///   diagonal entry: the spreads are measured across the runs, 31 degrees of freedom, and the
///   significance 0.001 is shared over the 160 tests (Bonferroni);
/// - the Monte Carlo error of the mean (its spread across the runs) stays below a quarter of the
///   Kalman posterior standard deviation: variance below P/16, which is 125 P/n at n = 2000.
///   A bootstrap filter's variance is about P/ESS, inflated by resampling (here it peaks near
///   40 P/n); a filter that lost the target would be off by orders of magnitude.
#[test]
fn constant_velocity_target_tracks_the_kalman_filter() {
    let cv = ConstantVelocity { accel_psd: 0.5 };
    let sensor = Position { sigma: 1.0 };
    let dt = 0.5;
    let (n, runs, steps) = (2000, 32, 20);
    let m0 = Vector4::new(0.0, 0.0, 1.0, -0.5);
    let p0 = Matrix4::from_diagonal(&Vector4::new(4.0, 4.0, 1.0, 1.0));

    // One truth and one measurement sequence, shared by the Kalman filter and all runs.
    let mut rng = SmallRng::seed_from_u64(8);
    let mut truth = m0;
    let mut zs = Vec::new();
    for _ in 0..steps {
        let w = Vector2::new(normal(&mut rng), normal(&mut rng)) * cv.accel_psd.sqrt();
        truth = ConstantVelocity::f(dt) * truth
            + Vector4::new(0.5 * dt * dt * w.x, 0.5 * dt * dt * w.y, dt * w.x, dt * w.y);
        zs.push(truth.xy() + Vector2::new(normal(&mut rng), normal(&mut rng)) * sensor.sigma);
    }
    let mut kf = Kalman { m: m0, p: p0 };
    let mut kalman = Vec::new();
    for z in &zs {
        kf.predict(&cv, dt);
        kf.update(z, sensor.sigma);
        kalman.push((kf.m, kf.p));
    }

    let mut errors = vec![vec![Vector4::zeros(); runs]; steps];
    let mut cov_ratio = vec![vec![Vector4::zeros(); runs]; steps];
    for (run, seed) in (100..100 + runs as u64).enumerate() {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut pf = ParticleFilter::from_gaussian(&m0, &p0, n, &mut rng).unwrap();
        for (k, z) in zs.iter().enumerate() {
            pf.predict(&cv, dt, &mut rng).unwrap();
            pf.update(&sensor, z).unwrap();
            let (m, p) = pf.estimate();
            errors[k][run] = m - kalman[k].0;
            cov_ratio[k][run] = p.diagonal().component_div(&kalman[k].1.diagonal());
            pf.resample_if_needed(&mut rng).unwrap();
        }
    }
    let tests = (steps * 4 * 2) as f64;
    let t_critical = StudentsT::new(0.0, 1.0, (runs - 1) as f64)
        .unwrap()
        .inverse_cdf(1.0 - 0.001 / (2.0 * tests));
    // One-sample t statistic of values against zero.
    let t_statistic = |values: &[f64]| {
        let avg = values.iter().sum::<f64>() / values.len() as f64;
        let var = values.iter().map(|x| (x - avg).powi(2)).sum::<f64>() / (values.len() - 1) as f64;
        (avg / (var / values.len() as f64).sqrt(), var)
    };
    let mut worst_inflation: f64 = 0.0;
    let mut worst_t: f64 = 0.0;
    for k in 0..steps {
        let p_diag = kalman[k].1.diagonal();
        for j in 0..4 {
            let e: Vec<f64> = errors[k].iter().map(|v| v[j]).collect();
            let (t, var) = t_statistic(&e);
            worst_t = worst_t.max(t.abs());
            assert!(t.abs() < t_critical, "step {k} component {j}: mean t = {t}");
            assert!(
                var < p_diag[j] / 16.0,
                "step {k} component {j}: Monte Carlo variance {var} vs P {}",
                p_diag[j]
            );
            worst_inflation = worst_inflation.max(var / (p_diag[j] / n as f64));
            let c: Vec<f64> = cov_ratio[k].iter().map(|v| v[j] - 1.0).collect();
            let (t, _) = t_statistic(&c);
            worst_t = worst_t.max(t.abs());
            assert!(
                t.abs() < t_critical,
                "step {k} component {j}: covariance t = {t}"
            );
        }
    }
    println!(
        "worst |t| {worst_t:.2} (critical {t_critical:.2}); \
         worst variance / (P/n) {worst_inflation:.2}"
    );
}

/// Range-bearing update across the +-pi cut: the bearing residual is wrapped, so a particle
/// 0.02 rad away across the cut gets likelihood exp(-2) relative to the exact one, and a particle
/// pi away keeps a finite log-weight of about -pi^2 / (2 * 1e-4) though its weight underflows.
#[test]
fn range_bearing_update_wraps_the_bearing_and_keeps_log_weights() {
    let polar = |r: f64, b: f64| Vector4::new(r * b.cos(), r * b.sin(), 0.0, 0.0);
    let z = Vector2::new(5.0, PI - 0.01);
    let mut pf = ParticleFilter::new(vec![
        polar(5.0, PI - 0.01),
        polar(5.0, -PI + 0.01),
        polar(5.0, 0.0),
    ])
    .unwrap();
    let model = RangeBearing {
        sigma_range: 0.1,
        sigma_bearing: 0.01,
    };
    pf.update(&model, &z).unwrap();
    let norm = 1.0 + (-2.0f64).exp();
    let w = pf.weights();
    assert!((w[0] - 1.0 / norm).abs() < 1e-9, "{w:?}");
    assert!((w[1] - (-2.0f64).exp() / norm).abs() < 1e-9, "{w:?}");
    assert_eq!(w[2], 0.0);
    let expected_log = -0.5 * ((PI - 0.01) / 0.01).powi(2) - norm.ln();
    assert!((pf.log_weights()[2] - expected_log).abs() < 1e-6 * expected_log.abs());
    // ESS = 1 / sum w^2.
    let ess = 1.0 / (w[0] * w[0] + w[1] * w[1]);
    assert!((pf.effective_sample_size() - ess).abs() < 1e-12);
    assert!((effective_sample_size(w) - ess).abs() < 1e-12);
}

/// Log-likelihoods around -1e4 (every exp underflows to 0) still give the right weights:
/// w_i = exp(l_i - logsumexp(l)).
#[test]
fn weights_survive_likelihoods_far_below_f64_range() {
    let xs = [0.0, 0.01, 0.02, 0.05, 1.0];
    let particles = xs.iter().map(|&x| Vector1::new(x)).collect();
    let mut pf = ParticleFilter::new(particles).unwrap();
    let ll = |x: f64| -1e4 - 1e4 * x * x;
    assert_eq!(ll(0.0).exp(), 0.0);
    pf.update_with(|x| ll(x[0])).unwrap();
    let lse = {
        let max = xs.iter().map(|&x| ll(x)).fold(f64::NEG_INFINITY, f64::max);
        max + xs.iter().map(|&x| (ll(x) - max).exp()).sum::<f64>().ln()
    };
    for (i, &x) in xs.iter().enumerate() {
        let expected = (ll(x) - lse).exp();
        assert!((pf.weights()[i] - expected).abs() < 1e-12, "{i}");
        assert!((pf.log_weights()[i] - (ll(x) - lse)).abs() < 1e-9, "{i}");
    }
    assert!((pf.weights().iter().sum::<f64>() - 1.0).abs() < 1e-12);
}

/// Headings 179, -179, 178 and -178 degrees: the circular mean is 180 degrees (a plain mean says
/// 0) and the variance is (1 + 1 + 4 + 4) / 4 square degrees.
#[test]
fn heading_mean_and_covariance_are_circular() {
    let deg = |d: f64| d.to_radians();
    let particles = [179.0, -179.0, 178.0, -178.0]
        .iter()
        .map(|&d| Vector2::new(1.0, deg(d)))
        .collect();
    let pf = ParticleFilter::new(particles)
        .unwrap()
        .with_angle_components([false, true]);
    let (m, p) = pf.estimate();
    assert!(wrap_angle(m[1] - PI).abs() < 1e-12, "{}", m[1]);
    assert!((-PI..PI).contains(&m[1]));
    assert!((p[(1, 1)] - deg(1.0).powi(2) * 2.5).abs() < 1e-15);
    assert_eq!(p[(0, 0)], 0.0);
}

#[test]
fn ess_threshold_triggers_resampling() {
    let particles = (0..4).map(|i| Vector1::new(i as f64)).collect();
    let ll = [0.5f64.ln(), 0.3f64.ln(), 0.1f64.ln(), 0.1f64.ln()];
    let mut rng = SmallRng::seed_from_u64(3);
    // ESS = 1 / (.25 + .09 + .01 + .01) = 2.78: above 0.5 * 4, below 0.75 * 4.
    let mut pf = ParticleFilter::new(particles).unwrap();
    pf.update_with(|x| ll[x[0] as usize]).unwrap();
    assert!((pf.effective_sample_size() - 1.0 / 0.36).abs() < 1e-12);
    assert!(!pf.resample_if_needed(&mut rng).unwrap());
    assert!((pf.weights()[0] - 0.5).abs() < 1e-15);
    let mut pf = pf.with_ess_threshold(0.75).unwrap();
    assert!(pf.resample_if_needed(&mut rng).unwrap());
    assert_eq!(pf.weights(), &[0.25; 4]);
    assert_eq!(pf.effective_sample_size(), 4.0);
    // Systematic with n w = 2, 1.2, 0.4, 0.4: index 0 twice, index 1 once, one more draw.
    let kept: Vec<f64> = pf.particles().iter().map(|p| p[0]).collect();
    assert_eq!(&kept[..3], &[0.0, 0.0, 1.0]);
    for bad in [0.0, -0.5, 1.5, f64::NAN] {
        assert!(matches!(
            pf.clone().with_ess_threshold(bad),
            Err(EstimationError::InvalidParameter { .. })
        ));
    }
}

#[test]
fn resample_to_changes_the_count() {
    let mut rng = SmallRng::seed_from_u64(4);
    for scheme in ResamplingScheme::ALL {
        let mut pf = ParticleFilter::new(vec![Vector1::new(1.0), Vector1::new(2.0)])
            .unwrap()
            .with_resampling(scheme);
        pf.resample_to(10, &mut rng).unwrap();
        assert_eq!(pf.len(), 10);
        assert_eq!(pf.weights().len(), 10);
        assert!((pf.weights().iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(pf.resample_to(0, &mut rng).is_err());
        assert_eq!(pf.len(), 10);
    }
}

// ---------------------------------------------------------------------------------------------
// Bad input: typed errors, and the filter keeps its state.

fn snapshot<const N: usize>(pf: &ParticleFilter<N>) -> (Vec<SVector<f64, N>>, Vec<f64>) {
    (pf.particles().to_vec(), pf.weights().to_vec())
}

#[test]
fn rejected_steps_leave_the_filter_unchanged() {
    let mut rng = SmallRng::seed_from_u64(6);
    let m0 = Vector4::new(1.0, 2.0, 0.5, 0.5);
    let mut pf = ParticleFilter::from_gaussian(&m0, &Matrix4::identity(), 50, &mut rng).unwrap();
    pf.update_with(|x| -x[0].abs()).unwrap();
    let before = snapshot(&pf);

    // All likelihoods zero.
    assert!(matches!(
        pf.update_with(|_| f64::NEG_INFINITY),
        Err(EstimationError::DegenerateWeights(_))
    ));
    assert_eq!(snapshot(&pf), before);
    // NaN or +inf log-likelihood (even for one particle).
    let mut calls = 0;
    let r = pf.update_with(|_| {
        calls += 1;
        if calls == 30 {
            f64::NAN
        } else {
            0.0
        }
    });
    assert!(matches!(r, Err(EstimationError::NonFinite { .. })));
    assert!(matches!(
        pf.update_with(|_| f64::INFINITY),
        Err(EstimationError::NonFinite { .. })
    ));
    assert_eq!(snapshot(&pf), before);
    // Non-finite measurement; non-definite R.
    let sensor = Position { sigma: 1.0 };
    assert!(matches!(
        pf.update(&sensor, &Vector2::new(f64::NAN, 0.0)),
        Err(EstimationError::NonFinite { .. })
    ));
    assert!(matches!(
        pf.update(&Position { sigma: 0.0 }, &Vector2::new(1.0, 2.0)),
        Err(EstimationError::NotPositiveDefinite { .. })
    ));
    assert!(matches!(
        pf.update(&Position { sigma: f64::NAN }, &Vector2::new(1.0, 2.0)),
        Err(EstimationError::NonFinite { .. })
    ));
    assert_eq!(snapshot(&pf), before);
    // Motion: closure returning NaN, negative-definite Q, non-finite dt.
    let mut calls = 0;
    let r = pf.predict_with(&mut rng, |x, _| {
        calls += 1;
        if calls == 50 {
            Vector4::repeat(f64::NAN)
        } else {
            *x
        }
    });
    assert!(matches!(r, Err(EstimationError::NonFinite { .. })));
    assert!(matches!(
        pf.predict(&ConstantVelocity { accel_psd: -1.0 }, 0.1, &mut rng),
        Err(EstimationError::NotPositiveDefinite { .. })
    ));
    assert!(matches!(
        pf.predict(&ConstantVelocity { accel_psd: 1.0 }, f64::NAN, &mut rng),
        Err(EstimationError::NonFinite { .. })
    ));
    let kld = KldSampling::with_quantile(0.05, 3.0, Vector4::repeat(1.0), 10, 100).unwrap();
    assert!(matches!(
        pf.predict_kld_with(&kld, &mut rng, |_, _| Vector4::repeat(f64::INFINITY)),
        Err(EstimationError::NonFinite { .. })
    ));
    assert_eq!(snapshot(&pf), before);
    // The filter still works afterwards.
    pf.predict(&ConstantVelocity { accel_psd: 1.0 }, 0.1, &mut rng)
        .unwrap();
    pf.update(&sensor, &Vector2::new(1.0, 2.0)).unwrap();
}

#[test]
fn bad_construction_parameters_are_typed_errors() {
    let mut rng = SmallRng::seed_from_u64(0);
    let invalid = |r: Result<ParticleFilter<1>, EstimationError>| {
        matches!(r, Err(EstimationError::InvalidParameter { .. }))
    };
    assert!(invalid(ParticleFilter::new(vec![])));
    assert!(invalid(ParticleFilter::from_gaussian(
        &Vector1::new(0.0),
        &Matrix1::new(1.0),
        0,
        &mut rng
    )));
    assert!(invalid(ParticleFilter::from_uniform(
        &Vector1::new(1.0),
        &Vector1::new(0.0),
        10,
        &mut rng
    )));
    assert!(invalid(ParticleFilter::from_weighted(
        vec![Vector1::new(0.0)],
        vec![-1.0]
    )));
    assert!(matches!(
        ParticleFilter::new(vec![Vector1::new(f64::NAN)]),
        Err(EstimationError::NonFinite { .. })
    ));
    assert!(matches!(
        ParticleFilter::from_weighted(vec![Vector1::new(0.0)], vec![1.0, 2.0]),
        Err(EstimationError::DimensionMismatch {
            expected: 1,
            found: 2,
            ..
        })
    ));
    assert!(matches!(
        ParticleFilter::from_weighted(vec![Vector1::new(0.0); 2], vec![0.0, 0.0]),
        Err(EstimationError::DegenerateWeights(_))
    ));
    assert!(matches!(
        ParticleFilter::from_gaussian(&Vector1::new(0.0), &Matrix1::new(-1.0), 5, &mut rng),
        Err(EstimationError::NotPositiveDefinite { .. })
    ));
    let b = Vector1::new(1.0);
    assert!(KldSampling::new(0.0, 0.01, b, 10, 100).is_err());
    assert!(KldSampling::new(0.05, 0.01, b, 0, 100).is_err());
    assert!(KldSampling::new(0.05, 0.01, b, 10, 0).is_err());
    assert!(KldSampling::new(0.05, 1.5, b, 10, 100).is_err());
}

// ---------------------------------------------------------------------------------------------
// Buffers are reused.

/// After one warm-up step, predict + update + resample (every scheme, ESS-triggered or not) and
/// the estimate perform no heap allocation at a fixed particle count; nor does KLD sampling once
/// its buffers have grown to the maximum count.
#[test]
fn steps_do_not_allocate_at_a_fixed_particle_count() {
    let cv = ConstantVelocity { accel_psd: 0.5 };
    let sensor = RangeBearing {
        sigma_range: 0.5,
        sigma_bearing: 0.02,
    };
    let mut rng = SmallRng::seed_from_u64(12);
    let m0 = Vector4::new(10.0, 5.0, 1.0, 0.0);
    let mut pf = ParticleFilter::from_gaussian(&m0, &Matrix4::identity(), 1000, &mut rng).unwrap();
    let z = Vector2::new(11.0, 0.45);
    let kld = KldSampling::with_quantile(0.05, 3.0, Vector4::repeat(0.2), 1000, 1000).unwrap();
    // Warm-up: every buffer reaches its working size.
    pf.predict(&cv, 0.1, &mut rng).unwrap();
    pf.update(&sensor, &z).unwrap();
    pf.resample(&mut rng).unwrap();
    pf.predict_kld(&cv, 0.1, &kld, &mut rng).unwrap();
    pf.update(&sensor, &z).unwrap();
    pf.resample_kld(&kld, &mut rng).unwrap();

    for scheme in ResamplingScheme::ALL {
        let mut filter = pf.clone().with_resampling(scheme);
        // A clone's buffers start at their length, not their capacity: one step to grow them.
        filter.predict_kld(&cv, 0.1, &kld, &mut rng).unwrap();
        filter.update(&sensor, &z).unwrap();
        filter.resample(&mut rng).unwrap();
        filter.resample_kld(&kld, &mut rng).unwrap();
        let before = allocations();
        for _ in 0..5 {
            filter.predict(&cv, 0.1, &mut rng).unwrap();
            filter
                .predict_with(&mut rng, |x, rng| x + Vector4::repeat(0.01 * normal(rng)))
                .unwrap();
            filter.update(&sensor, &z).unwrap();
            filter
                .update_with(|x| -0.5 * (x[0] - 11.0).powi(2))
                .unwrap();
            let _ = filter.estimate();
            filter.resample_if_needed(&mut rng).unwrap();
            filter.resample(&mut rng).unwrap();
            filter.predict_kld(&cv, 0.1, &kld, &mut rng).unwrap();
            filter.update(&sensor, &z).unwrap();
            filter.resample_kld(&kld, &mut rng).unwrap();
        }
        assert_eq!(allocations(), before, "{scheme:?} allocated during steps");
    }
}
