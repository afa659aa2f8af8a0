//! Kalman-filter step costs: one predict + update of a 4-state constant-velocity filter with a
//! position measurement (the problem timed for FilterPy by tools/compare/filterpy_kalman.py:
//! dt = 1 s, Q_discrete_white_noise(2, 1, 0.1, block_size=2), R = I), through the model API and the
//! raw-matrix API, the runtime-sized filter, and an EKF on a coordinated turn with a radar.
//!
//! Each case is measured twice: group `kalman` in wall-clock time (criterion's default) and group
//! `kalman_cpu` in CPU time of the benchmark thread (`CLOCK_THREAD_CPUTIME_ID`), which does not
//! count time spent waiting for a core. On a machine shared with other work the CPU-time figures
//! are the stable ones; tools/compare/filterpy_kalman.py times FilterPy the same two ways.

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::Measurement;
use criterion::{criterion_group, criterion_main, Criterion};
use kestrel::estimation::{DynamicKalmanFilter, ExtendedKalmanFilter, KalmanFilter};
use kestrel::models::measurement::{PositionMeasurement, RangeBearing};
use kestrel::models::motion::{ConstantVelocity, CoordinatedTurn, LinearMotion, ProcessNoise};
use kestrel::models::{MeasurementJacobian, MeasurementModel, MotionModel};
use nalgebra::{DMatrix, DVector, Matrix4, SMatrix, SVector, Vector2, Vector4};

#[path = "support/thread_cpu_time.rs"]
mod thread_cpu_time;
use thread_cpu_time::ThreadCpuTime;

const DT: f64 = 1.0;

/// A fixed cycle of measurements of a target moving at (1, 0.5) m/s.
fn measurements() -> Vec<Vector2<f64>> {
    (0..64)
        .map(|k| {
            let t = (k % 64) as f64;
            Vector2::new(t + 0.3 * (t * 1.7).sin(), 0.5 * t + 0.3 * (t * 2.3).cos())
        })
        .collect()
}

fn kalman_wall(c: &mut Criterion) {
    kalman(c, "kalman");
}

fn kalman_cpu(c: &mut Criterion<ThreadCpuTime>) {
    kalman(c, "kalman_cpu");
}

fn kalman<T: Measurement>(c: &mut Criterion<T>, group_name: &str) {
    let cv = ConstantVelocity::with_noise(0.1, ProcessNoise::PiecewiseConstant).unwrap();
    let gps = PositionMeasurement::<4>::new(ConstantVelocity::POSITION, 1.0).unwrap();
    let zs = measurements();
    let x0 = Vector4::new(0.0, 1.0, 0.0, 0.5);
    let p0 = Matrix4::identity() * 10.0;

    let mut group = c.benchmark_group(group_name);
    group.bench_function("kf_cv4_predict_update", |b| {
        let mut kf = KalmanFilter::new(x0, p0).unwrap();
        let mut k = 0;
        b.iter(|| {
            kf.predict(black_box(&cv), black_box(DT)).unwrap();
            let inn = kf.update(black_box(&gps), black_box(&zs[k & 63])).unwrap();
            k += 1;
            inn.nis
        })
    });

    let (f, q) = (cv.transition_matrix(DT), cv.process_noise(&x0, DT));
    let (h, r) = (gps.jacobian(&x0), gps.noise_covariance(&x0));
    group.bench_function("kf_cv4_predict_update_raw", |b| {
        let mut kf = KalmanFilter::new(x0, p0).unwrap();
        let mut k = 0;
        b.iter(|| {
            kf.predict_with(black_box(&f), black_box(&q)).unwrap();
            let inn = kf.update_with(black_box(&zs[k & 63]), &h, &r).unwrap();
            k += 1;
            inn.nis
        })
    });

    let (df, dq) = (
        DMatrix::from_iterator(4, 4, f.iter().copied()),
        DMatrix::from_iterator(4, 4, q.iter().copied()),
    );
    let (dh, dr) = (
        DMatrix::from_iterator(2, 4, h.iter().copied()),
        DMatrix::from_iterator(2, 2, r.iter().copied()),
    );
    let dzs: Vec<DVector<f64>> = zs
        .iter()
        .map(|z| DVector::from_column_slice(z.as_slice()))
        .collect();
    group.bench_function("dynamic_kf_cv4_predict_update", |b| {
        let mut kf = DynamicKalmanFilter::new(
            DVector::from_column_slice(x0.as_slice()),
            DMatrix::from_iterator(4, 4, p0.iter().copied()),
        )
        .unwrap();
        let mut k = 0;
        b.iter(|| {
            kf.predict(black_box(&df), black_box(&dq)).unwrap();
            let inn = kf.update(black_box(&dzs[k & 63]), &dh, &dr).unwrap();
            k += 1;
            inn.nis
        })
    });

    let ct = CoordinatedTurn::new(0.1, 1e-4).unwrap();
    let radar =
        RangeBearing::<5>::new(CoordinatedTurn::POSITION, Vector2::zeros(), 1.0, 0.01).unwrap();
    let mut truth = SVector::<f64, 5>::from([100.0, 0.0, 0.0, 10.0, 0.02]);
    let radar_zs: Vec<Vector2<f64>> = (0..64)
        .map(|_| {
            truth = ct.transition(&truth, DT);
            radar.measure(&truth)
        })
        .collect();
    group.bench_function("ekf_ct5_radar_predict_update", |b| {
        let x0 = SVector::<f64, 5>::from([100.0, 0.0, 0.0, 10.0, 0.02]);
        let mut ekf = ExtendedKalmanFilter::new(x0, SMatrix::identity()).unwrap();
        let mut k = 0;
        b.iter(|| {
            if k & 63 == 0 {
                ekf.set_estimate(x0, SMatrix::identity()).unwrap();
            }
            ekf.predict(black_box(&ct), black_box(DT)).unwrap();
            let inn = ekf
                .update(black_box(&radar), black_box(&radar_zs[k & 63]))
                .unwrap();
            k += 1;
            inn.nis
        })
    });
    group.finish();
}

criterion_group! {
    name = wall;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = kalman_wall
}
criterion_group! {
    name = cpu;
    config = Criterion::default()
        .with_measurement(ThreadCpuTime)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = kalman_cpu
}
criterion_main!(wall, cpu);
