//! Learning benchmarks with the truck backer-upper's network sizes (sims/src/train/truck_models.rs):
//! one BPTT training step of the controller through the frozen emulator (batch 64, unroll 200:
//! the same step tools/compare/torch_truck.py times in PyTorch), the emulator's step and its
//! tape-derived vector-Jacobian product (what ShootingMpc calls), and a batched policy
//! evaluation.
//!
//! `cargo bench -p kestrel --no-default-features --features learning --bench learning`

use std::f64::consts::FRAC_PI_2;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use kestrel::control::Dynamics;
use kestrel::learning::{
    BpttConfig, EpisodeObjective, MlpDynamics, MlpPolicy, PeriodicFeatures, PolicyTrainer,
};
use nalgebra::{SMatrix, SVector, Vector1, Vector4};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const ANGLES: [[f64; 4]; 6] = [
    [0.0, 0.0, 1.0, 0.0],
    [0.0, 0.0, 1.0, 0.0],
    [0.0, 0.0, 0.0, 1.0],
    [0.0, 0.0, 0.0, 1.0],
    [0.0, 0.0, 1.0, -1.0],
    [0.0, 0.0, 1.0, -1.0],
];
const OFFSETS: [f64; 6] = [0.0, FRAC_PI_2, 0.0, FRAC_PI_2, 0.0, FRAC_PI_2];

fn emulator() -> MlpDynamics<4, 1, 6, 45> {
    let a = SMatrix::<f64, 6, 4>::from_fn(|k, i| ANGLES[k][i]);
    let f = PeriodicFeatures::new(a, SVector::from_column_slice(&OFFSETS), [true; 6]).unwrap();
    MlpDynamics::new(f, 1).unwrap()
}

fn policy() -> MlpPolicy<4, 1, 8, 25> {
    let a = SMatrix::<f64, 8, 4>::from_fn(|k, i| match k {
        0 => f64::from(u8::from(i == 0)),
        1 => f64::from(u8::from(i == 1)),
        _ => ANGLES[k - 2][i],
    });
    let mut b = [0.0; 8];
    b[2..].copy_from_slice(&OFFSETS);
    let mut periodic = [true; 8];
    periodic[0] = false;
    periodic[1] = false;
    let mut f = PeriodicFeatures::new(a, SVector::from_column_slice(&b), periodic).unwrap();
    let mut scale = SVector::<f64, 8>::repeat(1.0);
    scale[0] = 12.0;
    scale[1] = 6.0;
    f.set_standardization(SVector::zeros(), scale).unwrap();
    MlpPolicy::new(f, Vector1::new(std::f64::consts::FRAC_PI_4), 2).unwrap()
}

/// The truck objective without an episode end (every step unrolls the full length).
fn objective() -> EpisodeObjective<4, 5> {
    let a = SMatrix::<f64, 5, 4>::from_row_slice(&[
        1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0,
        1.0, -1.0,
    ]);
    let b = SVector::<f64, 5>::from_column_slice(&[0.0, 0.0, FRAC_PI_2, 0.0, FRAC_PI_2]);
    let g = PeriodicFeatures::new(a, b, [false, false, true, true, true]).unwrap();
    let row = |v: [f64; 5]| SVector::<f64, 5>::from_column_slice(&v);
    EpisodeObjective::new(g)
        .terminal(row([1.0, 0.0, -4.0, 0.0, 0.0]), 0.0, 1.0)
        .unwrap()
        .terminal(row([0.0, 1.0, 0.0, -4.0, 0.0]), 0.0, 1.0)
        .unwrap()
        .terminal(row([0.0, 0.0, 1.0, 0.0, 0.0]), 1.0, 10.0)
        .unwrap()
        .terminal(row([0.0, 0.0, 0.0, 1.0, 0.0]), 0.0, 10.0)
        .unwrap()
        .stage_hinge(row([0.0, 0.0, 0.0, 0.0, 1.0]), 0.5, 100.0)
        .unwrap()
}

fn starts(n: usize) -> Vec<Vector4<f64>> {
    let mut rng = StdRng::seed_from_u64(3);
    (0..n)
        .map(|_| {
            let theta1 = rng.random_range(-FRAC_PI_2..FRAC_PI_2);
            Vector4::new(
                rng.random_range(10.0..35.0),
                rng.random_range(-8.0..8.0),
                theta1 + rng.random_range(-0.78..0.78),
                theta1,
            )
        })
        .collect()
}

fn bptt(c: &mut Criterion) {
    let emulator = emulator();
    let mut policy = policy();
    let mut trainer = PolicyTrainer::new(&policy, BpttConfig::default()).unwrap();
    let objective = objective();
    let batch = starts(64);
    let mut group = c.benchmark_group("learning");
    group.sample_size(10);
    group.bench_function("bptt_step_batch64_unroll200", |b| {
        b.iter(|| {
            let s = trainer
                .step(&mut policy, &emulator, &objective, black_box(&batch), 200)
                .unwrap();
            assert_eq!(s.unrolled_steps, 200);
            s.loss
        })
    });
    group.finish();

    let x = Vector4::new(12.0, 3.0, 0.4, 0.2);
    let u = Vector1::new(0.1);
    let l = Vector4::new(1.0, -1.0, 0.5, 2.0);
    c.bench_function("learning/emulator_step", |b| {
        b.iter(|| emulator.step(black_box(&x), black_box(&u)))
    });
    c.bench_function("learning/emulator_vjp", |b| {
        b.iter(|| emulator.vjp(black_box(&x), black_box(&u), black_box(&l)))
    });
    let many = starts(500);
    c.bench_function("learning/policy_act_batch_500", |b| {
        b.iter(|| policy.act_batch(black_box(&many)).unwrap())
    });
}

criterion_group!(benches, bptt);
criterion_main!(benches);
