//! Particle filter speed: one full step (predict through a constant-velocity model with
//! additive Gaussian noise, update with a range-bearing measurement, systematic resampling) at
//! 1k / 10k / 100k particles for a 4-state target; each resampling scheme and KLD resampling at
//! 10k particles.
//!
//! `CARGO_TARGET_DIR=... cargo bench -p kestrel --no-default-features --bench particle`

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kestrel::estimation::particle::{KldSampling, ParticleFilter, ResamplingScheme};
use kestrel::models::{MeasurementModel, MotionModel};
use nalgebra::{Matrix2, Matrix4, SMatrix, Vector2, Vector4};
use rand::rngs::SmallRng;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

/// State [px, py, vx, vy]; discretised white-noise acceleration (rank-2 Q).
struct ConstantVelocity {
    accel_psd: f64,
}

impl MotionModel<4> for ConstantVelocity {
    fn transition(&self, x: &Vector4<f64>, dt: f64) -> Vector4<f64> {
        Vector4::new(x[0] + dt * x[2], x[1] + dt * x[3], x[2], x[3])
    }
    fn process_noise(&self, _x: &Vector4<f64>, dt: f64) -> Matrix4<f64> {
        let g = SMatrix::<f64, 4, 2>::new(0.5 * dt * dt, 0.0, 0.0, 0.5 * dt * dt, dt, 0.0, 0.0, dt);
        g * g.transpose() * self.accel_psd
    }
}

/// Range and bearing from a sensor at the origin.
struct RangeBearing {
    covariance: Matrix2<f64>,
}

impl MeasurementModel<4, 2> for RangeBearing {
    fn measure(&self, x: &Vector4<f64>) -> Vector2<f64> {
        Vector2::new(x[0].hypot(x[1]), x[1].atan2(x[0]))
    }
    fn noise_covariance(&self, _x: &Vector4<f64>) -> Matrix2<f64> {
        self.covariance
    }
    fn angle_components(&self) -> [bool; 2] {
        [false, true]
    }
}

/// A filter, its models and a simulated target that moves on at every step.
struct Scenario {
    pf: ParticleFilter<4>,
    motion: ConstantVelocity,
    sensor: RangeBearing,
    truth: Vector4<f64>,
    rng: SmallRng,
    dt: f64,
}

impl Scenario {
    fn new(n: usize, scheme: ResamplingScheme) -> Self {
        let mut rng = SmallRng::seed_from_u64(42);
        let truth = Vector4::new(50.0, 20.0, 1.0, 0.5);
        let p0 = Matrix4::from_diagonal(&Vector4::new(4.0, 4.0, 0.25, 0.25));
        let pf = ParticleFilter::from_gaussian(&truth, &p0, n, &mut rng)
            .unwrap()
            .with_resampling(scheme);
        Self {
            pf,
            motion: ConstantVelocity { accel_psd: 0.1 },
            sensor: RangeBearing {
                covariance: Matrix2::new(0.5f64.powi(2), 0.0, 0.0, 0.01f64.powi(2)),
            },
            truth,
            rng,
            dt: 0.1,
        }
    }

    /// The next measurement of the (noise-free moving) target, with sensor noise.
    fn measurement(&mut self) -> Vector2<f64> {
        self.truth = self.motion.transition(&self.truth, self.dt);
        let e = Vector2::<f64>::new(
            StandardNormal.sample(&mut self.rng),
            StandardNormal.sample(&mut self.rng),
        );
        self.sensor.measure(&self.truth) + Vector2::new(0.5 * e.x, 0.01 * e.y)
    }

    fn step(&mut self) {
        let z = self.measurement();
        self.pf
            .predict(&self.motion, self.dt, &mut self.rng)
            .unwrap();
        self.pf.update(&self.sensor, &z).unwrap();
        self.pf.resample(&mut self.rng).unwrap();
    }
}

fn full_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("particle_step_cv4_range_bearing");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    for n in [1_000, 10_000, 100_000] {
        group.throughput(Throughput::Elements(n as u64));
        let mut scenario = Scenario::new(n, ResamplingScheme::Systematic);
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| {
                scenario.step();
                black_box(scenario.pf.particles()[0]);
            })
        });
        // The estimate that a tracker would read after each step.
        let (m, _) = scenario.pf.estimate();
        assert!(
            (m.xy() - scenario.truth.xy()).norm() < 5.0,
            "filter diverged: {m}"
        );
    }
    group.finish();
}

fn parts(c: &mut Criterion) {
    let n = 10_000;
    let mut group = c.benchmark_group("particle_parts_10k");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    let mut scenario = Scenario::new(n, ResamplingScheme::Systematic);
    group.bench_function("predict", |b| {
        b.iter(|| {
            let (motion, dt) = (&scenario.motion, scenario.dt);
            scenario.pf.predict(motion, dt, &mut scenario.rng).unwrap();
        })
    });
    let mut scenario = Scenario::new(n, ResamplingScheme::Systematic);
    let z = scenario.measurement();
    group.bench_function("update", |b| {
        b.iter(|| {
            scenario.pf.update(&scenario.sensor, &z).unwrap();
        })
    });
    group.bench_function("estimate", |b| b.iter(|| black_box(scenario.pf.estimate())));
    for scheme in ResamplingScheme::ALL {
        let mut scenario = Scenario::new(n, scheme);
        let z = scenario.measurement();
        scenario.pf.update(&scenario.sensor, &z).unwrap();
        let weighted = scenario.pf.clone();
        group.bench_function(format!("resample_{scheme:?}").to_lowercase(), |b| {
            b.iter_batched_ref(
                || weighted.clone(),
                |pf| pf.resample(&mut scenario.rng).unwrap(),
                criterion::BatchSize::LargeInput,
            )
        });
    }
    let mut scenario = Scenario::new(n, ResamplingScheme::Systematic);
    let z = scenario.measurement();
    scenario.pf.update(&scenario.sensor, &z).unwrap();
    let weighted = scenario.pf.clone();
    let kld = KldSampling::new(0.05, 0.01, Vector4::new(0.5, 0.5, 0.2, 0.2), 100, n).unwrap();
    group.bench_function("resample_kld", |b| {
        b.iter_batched_ref(
            || weighted.clone(),
            |pf| black_box(pf.resample_kld(&kld, &mut scenario.rng).unwrap()),
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, full_step, parts);
criterion_main!(benches);
