//! Particle filter speed: one full step (predict through the constant-velocity model with
//! additive Gaussian noise, update with a range-bearing or a position measurement, systematic
//! resampling) at 1k / 10k / 100k particles for a 4-state target; the parts of a step, each
//! resampling scheme and KLD resampling at 10k particles. The models are the library's own:
//! `models::motion::ConstantVelocity`, `models::measurement::{RangeBearing, PositionMeasurement}`.
//!
//! Each group is measured twice: in wall-clock time (criterion's default; group names as above)
//! and in CPU time of the benchmark thread (the same names with `_cpu`), which does not count time
//! spent waiting for a core: on a machine shared with other work the CPU-time figures are the
//! stable ones. tools/compare/particle_numpy.py times NumPy the same two ways.
//!
//! `CARGO_TARGET_DIR=... cargo bench -p kestrel --no-default-features --bench particle`

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::Measurement;
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use kestrel::estimation::particle::{KldSampling, ParticleFilter, ResamplingScheme};
use kestrel::models::measurement::{PositionMeasurement, RangeBearing};
use kestrel::models::motion::ConstantVelocity;
use kestrel::models::{MeasurementModel, MotionModel};
use nalgebra::{Matrix4, Vector2, Vector4};
use rand::rngs::SmallRng;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

#[path = "support/thread_cpu_time.rs"]
mod thread_cpu_time;
use thread_cpu_time::ThreadCpuTime;

/// State [px, vx, py, vy] (the library's constant-velocity layout).
const POSITION: [usize; 2] = [0, 2];
const DT: f64 = 0.1;

/// A filter, the models and a simulated target that moves on at every step.
struct Scenario {
    pf: ParticleFilter<4>,
    motion: ConstantVelocity,
    radar: RangeBearing<4>,
    gps: PositionMeasurement<4>,
    truth: Vector4<f64>,
    rng: SmallRng,
}

impl Scenario {
    fn new(n: usize, scheme: ResamplingScheme) -> Self {
        let mut rng = SmallRng::seed_from_u64(42);
        let truth = Vector4::new(50.0, 1.0, 20.0, 0.5);
        let p0 = Matrix4::from_diagonal(&Vector4::new(4.0, 0.25, 4.0, 0.25));
        let pf = ParticleFilter::from_gaussian(&truth, &p0, n, &mut rng)
            .unwrap()
            .with_resampling(scheme);
        Self {
            pf,
            motion: ConstantVelocity::new(0.1).unwrap(),
            radar: RangeBearing::new(POSITION, Vector2::zeros(), 0.5, 0.01).unwrap(),
            gps: PositionMeasurement::new(POSITION, 0.5).unwrap(),
            truth,
            rng,
        }
    }

    /// Moves the target on and returns a noisy measurement of it through `sensor`.
    fn measure<S: MeasurementModel<4, 2>>(&mut self, sensor: &S) -> Vector2<f64> {
        self.truth = self.motion.transition(&self.truth, DT);
        let r = sensor.noise_covariance(&self.truth);
        let e = Vector2::<f64>::new(
            StandardNormal.sample(&mut self.rng),
            StandardNormal.sample(&mut self.rng),
        );
        sensor.measure(&self.truth) + Vector2::new(r[(0, 0)].sqrt() * e.x, r[(1, 1)].sqrt() * e.y)
    }

    /// predict, update with a range-bearing measurement, resample.
    fn step_radar(&mut self) {
        let radar = self.radar;
        let z = self.measure(&radar);
        self.pf.predict(&self.motion, DT, &mut self.rng).unwrap();
        self.pf.update(&self.radar, &z).unwrap();
        self.pf.resample(&mut self.rng).unwrap();
    }

    /// predict, update with a position measurement, resample.
    fn step_gps(&mut self) {
        let gps = self.gps;
        let z = self.measure(&gps);
        self.pf.predict(&self.motion, DT, &mut self.rng).unwrap();
        self.pf.update(&self.gps, &z).unwrap();
        self.pf.resample(&mut self.rng).unwrap();
    }

    fn position_error(&self) -> f64 {
        let m = self.pf.mean();
        (Vector2::new(m[0], m[2]) - Vector2::new(self.truth[0], self.truth[2])).norm()
    }
}

fn full_step<T: Measurement>(c: &mut Criterion<T>, suffix: &str) {
    for (name, radar) in [
        ("particle_step_cv4_range_bearing", true),
        ("particle_step_cv4_position", false),
    ] {
        let mut group = c.benchmark_group(format!("{name}{suffix}"));
        group
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(4));
        for n in [1_000, 10_000, 100_000] {
            group.throughput(Throughput::Elements(n as u64));
            let mut scenario = Scenario::new(n, ResamplingScheme::Systematic);
            group.bench_function(BenchmarkId::from_parameter(n), |b| {
                b.iter(|| {
                    if radar {
                        scenario.step_radar();
                    } else {
                        scenario.step_gps();
                    }
                    black_box(scenario.pf.particles()[0]);
                })
            });
            // Still tracking after thousands of steps: the bench measures a working filter. The
            // target drifts away from the sensor as the bench runs, so the bound is ten
            // measurement standard deviations at its current range.
            let error = scenario.position_error();
            let range = Vector2::new(scenario.truth[0], scenario.truth[2]).norm();
            let bound = 10.0 * (0.5 + if radar { 0.01 * range } else { 0.0 });
            assert!(
                error < bound,
                "{name}/{n}: position error {error} > {bound}"
            );
        }
        group.finish();
    }
}

fn parts<T: Measurement>(c: &mut Criterion<T>, suffix: &str) {
    let n = 10_000;
    let mut group = c.benchmark_group(format!("particle_parts_10k{suffix}"));
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    let mut s = Scenario::new(n, ResamplingScheme::Systematic);
    group.bench_function("predict", |b| {
        b.iter(|| s.pf.predict(&s.motion, DT, &mut s.rng).unwrap())
    });
    // Updates start from the equally weighted prior set each time: repeated updates of one set
    // would drive most weights below the underflow threshold, where no exp is computed, and
    // flatter the figure.
    let mut s = Scenario::new(n, ResamplingScheme::Systematic);
    let prior = s.pf.clone();
    let (radar, gps) = (s.radar, s.gps);
    let z_radar = s.measure(&radar);
    group.bench_function("update_range_bearing", |b| {
        b.iter_batched_ref(
            || prior.clone(),
            |pf| pf.update(&radar, &z_radar).unwrap(),
            BatchSize::LargeInput,
        )
    });
    let z_gps = s.measure(&gps);
    group.bench_function("update_position", |b| {
        b.iter_batched_ref(
            || prior.clone(),
            |pf| pf.update(&gps, &z_gps).unwrap(),
            BatchSize::LargeInput,
        )
    });
    s.pf.update(&radar, &z_radar).unwrap();
    group.bench_function("estimate", |b| b.iter(|| black_box(s.pf.estimate())));
    for scheme in ResamplingScheme::ALL {
        let mut s = Scenario::new(n, scheme);
        let radar = s.radar;
        let z = s.measure(&radar);
        s.pf.update(&s.radar, &z).unwrap();
        let weighted = s.pf.clone();
        let name = format!("resample_{scheme:?}").to_lowercase();
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || weighted.clone(),
                |pf| pf.resample(&mut s.rng).unwrap(),
                BatchSize::LargeInput,
            )
        });
    }
    let mut s = Scenario::new(n, ResamplingScheme::Systematic);
    let radar = s.radar;
    let z = s.measure(&radar);
    s.pf.update(&s.radar, &z).unwrap();
    let weighted = s.pf.clone();
    let kld = KldSampling::new(0.05, 0.01, Vector4::new(0.5, 0.2, 0.5, 0.2), 100, n).unwrap();
    group.bench_function("resample_kld", |b| {
        b.iter_batched_ref(
            || weighted.clone(),
            |pf| black_box(pf.resample_kld(&kld, &mut s.rng).unwrap()),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn wall(c: &mut Criterion) {
    full_step(c, "");
    parts(c, "");
}

fn cpu(c: &mut Criterion<ThreadCpuTime>) {
    full_step(c, "_cpu");
    parts(c, "_cpu");
}

criterion_group!(wall_clock, wall);
criterion_group! {
    name = cpu_time;
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = cpu
}
criterion_main!(wall_clock, cpu_time);
