//! Unscented Kalman filter and IMM step costs (one predict + one update each).
//!
//! - `ukf_cv4_position`: UKF, Merwe points (alpha 0.1, beta 2, kappa -1), 4-state constant
//!   velocity (dt = 1 s, FilterPy's Q_discrete_white_noise(2, 1, 0.1, block_size=2)), position
//!   measurement with R = I: the problem tools/compare/filterpy_ukf_imm.py times in FilterPy.
//! - `ukf_ct5_radar`: UKF on a 5-state coordinated turn with a range-bearing radar.
//! - `imm2_kf_cv4`: IMM of two 4-state CV Kalman filters (acceleration variance 0.01 and 2.0),
//!   the FilterPy IMM problem of the comparison script.
//! - `imm3_cv4_ct5_ca6_{ekf,ukf}`: IMM of CV (KF, 4 states), CT (EKF or UKF, 5 states) and CA
//!   (KF, 6 states) in the common state [x, vx, y, vy, omega, ax, ay].
//!
//! Run: `cargo bench -p kestrel --no-default-features --bench unscented_imm`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use kestrel::estimation::{
    embed, BoxedMode, Embedding, ExtendedKalmanFilter, ImmEstimator, KalmanFilter, Mode,
    SigmaPoints, UnscentedKalmanFilter,
};
use kestrel::models::measurement::{PositionMeasurement, RangeBearing};
use kestrel::models::motion::{
    ConstantAcceleration, ConstantVelocity, CoordinatedTurn, ProcessNoise,
};
use nalgebra::{DMatrix, Matrix4, SMatrix, SVector, Vector2, Vector4};

const DT: f64 = 1.0;

/// The comparison script's cycle of 64 position measurements (a target at about (1, 0.5) m/s).
fn measurements() -> Vec<Vector2<f64>> {
    (0..64)
        .map(|k| {
            let t = k as f64;
            Vector2::new(t + 0.3 * (t * 1.7).sin(), 0.5 * t + 0.3 * (t * 2.3).cos())
        })
        .collect()
}

fn cv_piecewise(var: f64) -> ConstantVelocity {
    ConstantVelocity::with_noise(var, ProcessNoise::PiecewiseConstant).unwrap()
}

fn ukf(c: &mut Criterion) {
    let zs = measurements();
    let mut group = c.benchmark_group("unscented_imm");
    group.measurement_time(Duration::from_secs(3));

    let cv = cv_piecewise(0.1);
    let gps = PositionMeasurement::<4>::new(ConstantVelocity::POSITION, 1.0).unwrap();
    group.bench_function("ukf_cv4_position", |b| {
        let mut ukf = UnscentedKalmanFilter::new(
            Vector4::new(0.0, 1.0, 0.0, 0.5),
            Matrix4::identity() * 10.0,
            SigmaPoints::merwe(0.1, 2.0, -1.0).unwrap(),
        )
        .unwrap();
        let mut k = 0;
        b.iter(|| {
            ukf.predict(black_box(&cv), black_box(DT)).unwrap();
            let innovation = ukf.update(black_box(&gps), black_box(&zs[k & 63])).unwrap();
            k += 1;
            innovation.nis
        })
    });

    let ct = CoordinatedTurn::new(0.1, 1e-3).unwrap();
    let radar = RangeBearing::<5>::new(
        CoordinatedTurn::POSITION,
        Vector2::new(-20.0, -10.0),
        0.5,
        0.01,
    )
    .unwrap();
    let polar: Vec<Vector2<f64>> = zs
        .iter()
        .map(|z| {
            let d = z - Vector2::new(-20.0, -10.0);
            Vector2::new(d.norm(), d.y.atan2(d.x))
        })
        .collect();
    group.bench_function("ukf_ct5_radar", |b| {
        let mut ukf = UnscentedKalmanFilter::new(
            SVector::<f64, 5>::from([0.0, 1.0, 0.0, 0.5, 0.0]),
            SMatrix::<f64, 5, 5>::from_diagonal(&SVector::from([10.0, 10.0, 10.0, 10.0, 0.01])),
            SigmaPoints::merwe(0.5, 2.0, 0.0).unwrap(),
        )
        .unwrap();
        let mut k = 0;
        b.iter(|| {
            ukf.predict(black_box(&ct), black_box(DT)).unwrap();
            let innovation = ukf
                .update(black_box(&radar), black_box(&polar[k & 63]))
                .unwrap();
            k += 1;
            innovation.nis
        })
    });
    group.finish();
}

fn imm2() -> ImmEstimator<4, 2> {
    let gps = PositionMeasurement::<4>::new(ConstantVelocity::POSITION, 1.0).unwrap();
    let kf =
        KalmanFilter::new(Vector4::new(0.0, 1.0, 0.0, 0.5), Matrix4::identity() * 10.0).unwrap();
    let modes: Vec<BoxedMode<4, 2>> = [0.01, 2.0]
        .into_iter()
        .map(|var| {
            embed(
                Mode::new(kf.clone(), cv_piecewise(var), gps),
                Embedding::identity().unwrap(),
            )
        })
        .collect();
    let t = DMatrix::from_row_slice(2, 2, &[0.97, 0.03, 0.03, 0.97]);
    ImmEstimator::new(modes, &t, &[0.5, 0.5]).unwrap()
}

fn imm3(unscented_turn: bool) -> ImmEstimator<7, 2> {
    let sigma = 1.0;
    let x5 = SVector::<f64, 5>::from([0.0, 1.0, 0.0, 0.5, 0.0]);
    let p5 = SMatrix::<f64, 5, 5>::from_diagonal(&SVector::from([10.0, 10.0, 10.0, 10.0, 0.01]));
    let ct = CoordinatedTurn::new(0.1, 1e-3).unwrap();
    let ct_gps = PositionMeasurement::<5>::new(CoordinatedTurn::POSITION, sigma).unwrap();
    let ct_embedding = Embedding::new([0, 1, 2, 3, 4]).unwrap();
    let turn = if unscented_turn {
        let points = SigmaPoints::merwe(0.5, 2.0, 0.0).unwrap();
        let filter = UnscentedKalmanFilter::new(x5, p5, points).unwrap();
        embed(Mode::new(filter, ct, ct_gps), ct_embedding)
    } else {
        let filter = ExtendedKalmanFilter::new(x5, p5).unwrap();
        embed(Mode::new(filter, ct, ct_gps), ct_embedding)
    };
    let cv = Mode::new(
        KalmanFilter::new(Vector4::new(0.0, 1.0, 0.0, 0.5), Matrix4::identity() * 10.0).unwrap(),
        ConstantVelocity::new(0.1).unwrap(),
        PositionMeasurement::<4>::new(ConstantVelocity::POSITION, sigma).unwrap(),
    );
    let ca = Mode::new(
        KalmanFilter::new(
            SVector::<f64, 6>::from([0.0, 1.0, 0.0, 0.0, 0.5, 0.0]),
            SMatrix::<f64, 6, 6>::identity() * 10.0,
        )
        .unwrap(),
        ConstantAcceleration::new(0.1).unwrap(),
        PositionMeasurement::<6>::new(ConstantAcceleration::POSITION, sigma).unwrap(),
    );
    let t = DMatrix::from_row_slice(3, 3, &[0.9, 0.05, 0.05, 0.05, 0.9, 0.05, 0.05, 0.05, 0.9]);
    ImmEstimator::new(
        vec![
            embed(cv, Embedding::new([0, 1, 2, 3]).unwrap()),
            turn,
            embed(ca, Embedding::new([0, 1, 5, 2, 3, 6]).unwrap()),
        ],
        &t,
        &[0.4, 0.3, 0.3],
    )
    .unwrap()
}

fn imm(c: &mut Criterion) {
    let zs = measurements();
    let mut group = c.benchmark_group("unscented_imm");
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("imm2_kf_cv4", |b| {
        let mut imm = imm2();
        let mut k = 0;
        b.iter(|| {
            imm.predict(black_box(DT)).unwrap();
            let ll = imm.update(black_box(&zs[k & 63])).unwrap();
            k += 1;
            ll
        })
    });
    for (name, unscented) in [
        ("imm3_cv4_ct5_ca6_ekf", false),
        ("imm3_cv4_ct5_ca6_ukf", true),
    ] {
        group.bench_function(name, |b| {
            let mut imm = imm3(unscented);
            let mut k = 0;
            b.iter(|| {
                imm.predict(black_box(DT)).unwrap();
                let ll = imm.update(black_box(&zs[k & 63])).unwrap();
                k += 1;
                ll
            })
        });
    }
    group.finish();
}

criterion_group!(benches, ukf, imm);
criterion_main!(benches);
