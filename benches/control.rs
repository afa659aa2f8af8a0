//! Control benchmarks: the sine-lane MPC benchmark of anchors.md (kinematic bicycle, L = 2.5 m,
//! RK4, dt 0.1 s, horizon 20, |a| <= 3, |delta| <= 0.5, 150-step closed loop with warm start),
//! the same problem CasADi + IPOPT solves in tools/reference/casadi_lane_tracking.py.
//!
//! Besides criterion's timings, the run prints the median solve time per closed-loop step as
//! measured by the controller itself (`MpcSolution::solve_time`), the figure to set beside the
//! Python script's "median solve time per step".
//!
//! `cargo bench -p kestrel --no-default-features --bench control`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use kestrel::control::{
    horizon_cost_gradient, BicycleDynamics, ControlEffort, ControlRate, Dynamics, MpcConfig,
    QuasiNewton, ShootingMpc, StateTracking,
};
use nalgebra::{Vector2, Vector4};

const HORIZON: usize = 20;
const STEPS: usize = 150;

type Cost = (StateTracking<4>, ControlEffort<2>, ControlRate<2>);

fn reference(j: usize) -> Vector4<f64> {
    let x = 6.0 * 0.1 * j as f64;
    let k = std::f64::consts::TAU / 40.0;
    Vector4::new(
        x,
        3.0 * (k * x).sin(),
        (3.0 * k * (k * x).cos()).atan(),
        6.0,
    )
}

fn setup() -> (ShootingMpc<BicycleDynamics, 4, 2>, Cost) {
    setup_with(QuasiNewton::Bfgs)
}

fn setup_with(method: QuasiNewton) -> (ShootingMpc<BicycleDynamics, 4, 2>, Cost) {
    let car = BicycleDynamics::bicycle(2.5, 0.1).unwrap();
    let mut config = MpcConfig::new(HORIZON, Vector2::new(-3.0, -0.5), Vector2::new(3.0, 0.5));
    config.method = method;
    let w = Vector4::new(10.0, 10.0, 1.0, 1.0);
    let cost = (
        StateTracking::new(w, w * 10.0, HORIZON)
            .unwrap()
            .with_angles([false, false, true, false]),
        ControlEffort::new(Vector2::new(0.1, 1.0)).unwrap(),
        ControlRate::new(Vector2::new(0.0, 10.0)).unwrap(),
    );
    (ShootingMpc::new(car, config).unwrap(), cost)
}

/// Runs `steps` closed-loop steps; returns the final state and the per-step solve times (us).
fn closed_loop(
    mpc: &mut ShootingMpc<BicycleDynamics, 4, 2>,
    cost: &mut Cost,
    x0: Vector4<f64>,
    first_step: usize,
    steps: usize,
) -> (Vector4<f64>, Vec<f64>) {
    let mut x = x0;
    let mut times = Vec::with_capacity(steps);
    for j in first_step..first_step + steps {
        for (k, r) in cost.0.reference_mut().iter_mut().enumerate() {
            *r = reference(j + k);
        }
        let u = mpc.control(&x, &*cost).unwrap();
        times.push(mpc.solution().solve_time.as_secs_f64() * 1e6);
        x = mpc.dynamics().step(&x, &u);
    }
    (x, times)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn lane_tracking(c: &mut Criterion) {
    let x0 = Vector4::new(0.0, 1.0, 0.0, 3.0);

    // The controller's own per-step timing over five closed loops, for each quasi-Newton method.
    for (name, method) in [
        ("dense BFGS (default)", QuasiNewton::Bfgs),
        ("L-BFGS, 10 pairs", QuasiNewton::Lbfgs { memory: 10 }),
    ] {
        let mut all = Vec::new();
        for _ in 0..5 {
            let (mut mpc, mut cost) = setup_with(method);
            all.extend(closed_loop(&mut mpc, &mut cost, x0, 0, STEPS).1);
        }
        println!(
            "lane_tracking [{name}]: median solve per closed-loop step {:.1} us over {} solves (max {:.1} us)",
            median(all.clone()),
            all.len(),
            all.iter().cloned().fold(0.0, f64::max)
        );
    }

    let mut group = c.benchmark_group("lane_tracking");
    group.sample_size(20);
    group.bench_function("closed_loop_150_steps", |b| {
        b.iter(|| {
            let (mut mpc, mut cost) = setup();
            black_box(closed_loop(&mut mpc, &mut cost, black_box(x0), 0, STEPS).0)
        })
    });
    // One warm-started solve in the middle of the run (step 75).
    let (mut mpc, mut cost) = setup();
    let (x75, _) = closed_loop(&mut mpc, &mut cost, x0, 0, 75);
    for (k, r) in cost.0.reference_mut().iter_mut().enumerate() {
        *r = reference(75 + k);
    }
    let probe = mpc.clone().solve(&x75, &cost).unwrap().clone();
    println!(
        "lane_tracking: warm solve at step 75 takes {} iterations, {} evaluations",
        probe.iterations, probe.evaluations
    );
    group.sample_size(100);
    group.bench_function("warm_solve_at_step_75", |b| {
        b.iter_batched_ref(
            || mpc.clone(),
            |m| black_box(m.solve(&x75, &cost).unwrap().cost),
            BatchSize::SmallInput,
        )
    });
    group.finish();

    // One horizon cost + adjoint gradient evaluation.
    let (mpc, cost) = setup();
    let actions = [Vector2::new(0.5, 0.1); HORIZON];
    let mut states = [Vector4::zeros(); HORIZON + 1];
    let mut grad = [Vector2::zeros(); HORIZON];
    c.bench_function("adjoint/bicycle_horizon_cost_gradient_h20", |b| {
        b.iter(|| {
            horizon_cost_gradient(
                mpc.dynamics(),
                &cost,
                black_box(&x0),
                &Vector2::zeros(),
                black_box(&actions),
                &mut states,
                &mut grad,
            )
            .unwrap()
        })
    });
}

criterion_group!(benches, lane_tracking);
criterion_main!(benches);
