//! Kalman, extended Kalman, RTS smoother, batch and runtime-sized filters against FilterPy 2.0.0
//! (fixtures from tools/reference/filterpy_kalman.py), closed-form cases, Jacobians against
//! central differences, and the error contract (a rejected step leaves the filter unchanged).

use kestrel::estimation::{
    rts_smooth, rts_smoother, DynamicKalmanFilter, EstimationError, ExtendedKalmanFilter,
    KalmanFilter,
};
use kestrel::models::measurement::{LinearGaussianMeasurement, PositionMeasurement, RangeBearing};
use kestrel::models::motion::{
    ConstantAcceleration, ConstantVelocity, CoordinatedTurn, LinearMotion, ProcessNoise,
};
use kestrel::models::numerical::{central_difference, NumericalJacobian};
use kestrel::models::{
    MeasurementJacobian, MeasurementModel, ModelError, MotionJacobian, MotionModel,
};
use nalgebra::{DMatrix, DVector, Matrix1, Matrix2, SMatrix, SVector, Vector1, Vector2};
use serde_json::Value;

const TOL: f64 = 1e-9;

fn fixture() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/estimation/kalman_filterpy.json"
    ))
    .expect("fixture kalman_filterpy.json");
    serde_json::from_str(&text).expect("valid JSON")
}

fn vector<const D: usize>(v: &Value) -> SVector<f64, D> {
    let a = v.as_array().expect("array");
    assert_eq!(a.len(), D);
    SVector::from_fn(|i, _| a[i].as_f64().unwrap())
}

fn matrix<const R: usize, const C: usize>(v: &Value) -> SMatrix<f64, R, C> {
    let rows = v.as_array().expect("rows");
    assert_eq!(rows.len(), R);
    SMatrix::from_fn(|i, j| rows[i].as_array().unwrap()[j].as_f64().unwrap())
}

fn dmatrix(v: &Value) -> DMatrix<f64> {
    let rows = v.as_array().unwrap();
    let cols = rows[0].as_array().unwrap().len();
    DMatrix::from_fn(rows.len(), cols, |i, j| rows[i][j].as_f64().unwrap())
}

fn dvector(v: &Value) -> DVector<f64> {
    DVector::from_iterator(
        v.as_array().unwrap().len(),
        v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()),
    )
}

/// `|a - b| <= tol max(1, |b|)` element-wise.
fn assert_close<R: nalgebra::Dim, C: nalgebra::Dim, S1, S2>(
    a: &nalgebra::Matrix<f64, R, C, S1>,
    b: &nalgebra::Matrix<f64, R, C, S2>,
    tol: f64,
    what: &str,
) where
    S1: nalgebra::RawStorage<f64, R, C>,
    S2: nalgebra::RawStorage<f64, R, C>,
{
    assert_eq!(a.shape(), b.shape(), "{what}: shape");
    for (x, y) in a.iter().zip(b.iter()) {
        assert!(
            (x - y).abs() <= tol * y.abs().max(1.0),
            "{what}: {x} vs {y} (diff {:e})",
            (x - y).abs()
        );
    }
}

fn assert_scalar(a: f64, b: f64, tol: f64, what: &str) {
    assert!(
        (a - b).abs() <= tol * b.abs().max(1.0),
        "{what}: {a} vs {b}"
    );
}

fn measurement(step: &Value) -> Option<Vector2<f64>> {
    (!step["z"].is_null()).then(|| vector::<2>(&step["z"]))
}

// ---------------------------------------------------------------------------------------------
// Process noise

#[test]
fn process_noise_matches_filterpy_q_functions() {
    let f = fixture();
    let rows = f["noise"].as_array().unwrap();
    assert_eq!(rows.len(), 12);
    for row in rows {
        let (dt, q) = (row["dt"].as_f64().unwrap(), row["q"].as_f64().unwrap());
        let kind = match row["kind"].as_str().unwrap() {
            "piecewise_constant" => ProcessNoise::PiecewiseConstant,
            "continuous_white" => ProcessNoise::ContinuousWhite,
            other => panic!("unknown kind {other}"),
        };
        match row["dim"].as_u64().unwrap() {
            2 => {
                let cv = ConstantVelocity::with_noise(q, kind).unwrap();
                let got = cv.process_noise(&SVector::zeros(), dt);
                assert_close(&got, &matrix::<4, 4>(&row["Q"]), 1e-12, "CV Q");
            }
            3 => {
                let ca = ConstantAcceleration::with_noise(q, kind).unwrap();
                let got = ca.process_noise(&SVector::zeros(), dt);
                assert_close(&got, &matrix::<6, 6>(&row["Q"]), 1e-12, "CA Q");
            }
            d => panic!("dim {d}"),
        }
    }
}

#[test]
fn continuous_noise_is_consistent_across_sampling_rates() {
    // Two steps of dt must equal one step of 2 dt: F Q(dt) F^T + Q(dt) = Q(2 dt) (exact for the
    // continuous discretisation, false for the piecewise-constant one).
    let ca = ConstantAcceleration::new(0.7).unwrap();
    let (x, dt) = (SVector::<f64, 6>::zeros(), 0.3);
    let f = ca.transition_matrix(dt);
    let two = f * ca.process_noise(&x, dt) * f.transpose() + ca.process_noise(&x, dt);
    assert_close(&two, &ca.process_noise(&x, 2.0 * dt), 1e-14, "CA Q(2dt)");
    let cv = ConstantVelocity::with_noise(0.7, ProcessNoise::PiecewiseConstant).unwrap();
    let f = cv.transition_matrix(dt);
    let two = f * cv.process_noise(&SVector::zeros(), dt) * f.transpose()
        + cv.process_noise(&SVector::zeros(), dt);
    assert!(
        (two - cv.process_noise(&SVector::zeros(), 2.0 * dt))
            .abs()
            .max()
            > 1e-4
    );
}

// ---------------------------------------------------------------------------------------------
// Linear Kalman filter against FilterPy

fn check_kf_case(case: &Value, noise: ProcessNoise) {
    let dt = case["dt"].as_f64().unwrap();
    let q = case["q"].as_f64().unwrap();
    let r = matrix::<2, 2>(&case["R"]);
    let cv = ConstantVelocity::with_noise(q, noise).unwrap();
    let gps = PositionMeasurement::<4>::with_covariance(ConstantVelocity::POSITION, r).unwrap();
    assert_close(
        &cv.process_noise(&SVector::zeros(), dt),
        &matrix::<4, 4>(&case["Q"]),
        1e-14,
        "Q",
    );
    let x0 = vector::<4>(&case["x0"]);
    let p0 = matrix::<4, 4>(&case["P0"]);
    // Model-based and raw-matrix filters side by side.
    let mut kf = KalmanFilter::new(x0, p0).unwrap();
    let mut raw = KalmanFilter::new(x0, p0).unwrap();
    let (f, qm, h) = (
        matrix::<4, 4>(&case["F"]),
        matrix::<4, 4>(&case["Q"]),
        matrix::<2, 4>(&case["H"]),
    );
    let steps = case["steps"].as_array().unwrap();
    let mut updates = 0;
    for (k, step) in steps.iter().enumerate() {
        kf.predict(&cv, dt).unwrap();
        raw.predict_with(&f, &qm).unwrap();
        for filter in [&kf, &raw] {
            assert_close(
                filter.state(),
                &vector::<4>(&step["prior_x"]),
                TOL,
                "prior x",
            );
            assert_close(
                filter.covariance(),
                &matrix::<4, 4>(&step["prior_P"]),
                TOL,
                "prior P",
            );
        }
        if let Some(z) = measurement(step) {
            let a = kf.update(&gps, &z).unwrap();
            let b = raw.update_with(&z, &h, &r).unwrap();
            for inn in [a, b] {
                assert_close(&inn.residual, &vector::<2>(&step["y"]), TOL, "y");
                assert_close(&inn.covariance, &matrix::<2, 2>(&step["S"]), TOL, "S");
                let ll = step["log_likelihood"].as_f64().unwrap();
                assert_scalar(inn.log_likelihood, ll, TOL, "log-likelihood");
                assert_scalar(inn.nis, step["nis"].as_f64().unwrap(), TOL, "NIS");
            }
            updates += 1;
        }
        for filter in [&kf, &raw] {
            assert_close(
                filter.state(),
                &vector::<4>(&step["x"]),
                TOL,
                &format!("x[{k}]"),
            );
            assert_close(filter.covariance(), &matrix::<4, 4>(&step["P"]), TOL, "P");
        }
    }
    assert_eq!(steps.len(), 40);
    assert!(
        updates > 30 && updates < 40,
        "some steps have no measurement"
    );
}

#[test]
fn kalman_filter_matches_filterpy_piecewise_constant_noise() {
    check_kf_case(&fixture()["kf_cv"], ProcessNoise::PiecewiseConstant);
}

#[test]
fn kalman_filter_matches_filterpy_continuous_noise() {
    check_kf_case(
        &fixture()["kf_cv_continuous"],
        ProcessNoise::ContinuousWhite,
    );
}

fn check_batch_and_rts(case: &Value, noise: ProcessNoise) {
    let dt = case["dt"].as_f64().unwrap();
    let cv = ConstantVelocity::with_noise(case["q"].as_f64().unwrap(), noise).unwrap();
    let gps =
        PositionMeasurement::<4>::with_covariance(ConstantVelocity::POSITION, matrix(&case["R"]))
            .unwrap();
    let mut kf = KalmanFilter::new(vector(&case["x0"]), matrix(&case["P0"])).unwrap();
    let steps = case["steps"].as_array().unwrap();
    let run = kf
        .batch_filter(&cv, &gps, steps.iter().map(|s| (dt, measurement(s))))
        .unwrap();
    assert_eq!(run.steps.len(), steps.len());
    for (got, want) in run.steps.iter().zip(steps) {
        assert_close(
            &got.prior_mean,
            &vector::<4>(&want["prior_x"]),
            TOL,
            "batch prior",
        );
        assert_close(
            &got.posterior_mean,
            &vector::<4>(&want["x"]),
            TOL,
            "batch x",
        );
        assert_close(
            &got.posterior_covariance,
            &matrix::<4, 4>(&want["P"]),
            TOL,
            "batch P",
        );
        assert_eq!(got.innovation.is_some(), !want["z"].is_null());
    }
    let smoothed = rts_smooth(&run).unwrap();
    let reference = case["smoothed"].as_array().unwrap();
    for (k, (got, want)) in smoothed.iter().zip(reference).enumerate() {
        assert_close(
            &got.mean,
            &vector::<4>(&want["x"]),
            TOL,
            &format!("smoothed x[{k}]"),
        );
        assert_close(
            &got.covariance,
            &matrix::<4, 4>(&want["P"]),
            TOL,
            "smoothed P",
        );
        assert_close(
            &got.gain,
            &matrix::<4, 4>(&want["gain"]),
            TOL,
            "smoother gain",
        );
    }
    // The FilterPy-shaped raw smoother gives the same answer.
    let n = steps.len();
    let (f, q) = (matrix::<4, 4>(&case["F"]), matrix::<4, 4>(&case["Q"]));
    let (xs, ps) = rts_smoother(
        &run.posterior_means(),
        &run.posterior_covariances(),
        &vec![f; n],
        &vec![q; n],
    )
    .unwrap();
    for (k, want) in reference.iter().enumerate() {
        assert_close(&xs[k], &vector::<4>(&want["x"]), TOL, "raw smoothed x");
        assert_close(&ps[k], &matrix::<4, 4>(&want["P"]), TOL, "raw smoothed P");
    }
    // Smoothing reduces the position variance of an early step well below the filter's.
    assert!(smoothed[5].covariance[(0, 0)] < 0.9 * run.steps[5].posterior_covariance[(0, 0)]);
}

#[test]
fn batch_filter_and_rts_smoother_match_filterpy() {
    let f = fixture();
    check_batch_and_rts(&f["kf_cv"], ProcessNoise::PiecewiseConstant);
    check_batch_and_rts(&f["kf_cv_continuous"], ProcessNoise::ContinuousWhite);
}

#[test]
fn control_input_matches_filterpy() {
    let case = &fixture()["kf_control"];
    let (f, q, b) = (
        matrix::<2, 2>(&case["F"]),
        matrix::<2, 2>(&case["Q"]),
        matrix::<2, 1>(&case["B"]),
    );
    let (h, r) = (matrix::<1, 2>(&case["H"]), matrix::<1, 1>(&case["R"]));
    let mut kf = KalmanFilter::new(vector(&case["x0"]), matrix(&case["P0"])).unwrap();
    for step in case["steps"].as_array().unwrap() {
        kf.predict_with_control(&f, &q, &b, &vector::<1>(&step["u"]))
            .unwrap();
        let inn = kf.update_with(&vector::<1>(&step["z"]), &h, &r).unwrap();
        assert_close(kf.state(), &vector::<2>(&step["x"]), TOL, "x");
        assert_close(kf.covariance(), &matrix::<2, 2>(&step["P"]), TOL, "P");
        let ll = step["log_likelihood"].as_f64().unwrap();
        assert_scalar(inn.log_likelihood, ll, TOL, "log-likelihood");
    }
}

#[test]
fn dynamic_filter_matches_filterpy() {
    let case = &fixture()["kf_cv"];
    let (f, q, h, r) = (
        dmatrix(&case["F"]),
        dmatrix(&case["Q"]),
        dmatrix(&case["H"]),
        dmatrix(&case["R"]),
    );
    let mut kf = DynamicKalmanFilter::new(dvector(&case["x0"]), dmatrix(&case["P0"])).unwrap();
    for step in case["steps"].as_array().unwrap() {
        kf.predict(&f, &q).unwrap();
        if !step["z"].is_null() {
            let inn = kf.update(&dvector(&step["z"]), &h, &r).unwrap();
            assert_close(&inn.covariance, &dmatrix(&step["S"]), TOL, "S");
            let ll = step["log_likelihood"].as_f64().unwrap();
            assert_scalar(inn.log_likelihood, ll, TOL, "log-likelihood");
            assert_scalar(inn.nis, step["nis"].as_f64().unwrap(), TOL, "NIS");
        }
        assert_close(kf.state(), &dvector(&step["x"]), TOL, "x");
        assert_close(kf.covariance(), &dmatrix(&step["P"]), TOL, "P");
    }
}

// ---------------------------------------------------------------------------------------------
// Extended Kalman filter against FilterPy

fn radar_case() -> (Value, CoordinatedTurn, RangeBearing<5>) {
    let f = fixture();
    let case = f["ekf_ct_radar"].clone();
    let ct = CoordinatedTurn::new(
        case["q_linear"].as_f64().unwrap(),
        case["q_turn"].as_f64().unwrap(),
    )
    .unwrap();
    let radar = RangeBearing::<5>::new(
        CoordinatedTurn::POSITION,
        vector::<2>(&case["sensor"]),
        case["sigma_range"].as_f64().unwrap(),
        case["sigma_bearing"].as_f64().unwrap(),
    )
    .unwrap();
    (case, ct, radar)
}

#[test]
fn ekf_coordinated_turn_radar_matches_filterpy() {
    let (case, ct, radar) = radar_case();
    let dt = case["dt"].as_f64().unwrap();
    let mut ekf = ExtendedKalmanFilter::new(vector(&case["x0"]), matrix(&case["P0"])).unwrap();
    assert_eq!(
        ekf.state()[4],
        0.0,
        "the first prediction starts at omega = 0 exactly"
    );
    let steps = case["steps"].as_array().unwrap();
    let mut wrapped = 0;
    for (k, step) in steps.iter().enumerate() {
        ekf.predict(&ct, dt).unwrap();
        assert_close(
            ekf.state(),
            &vector::<5>(&step["prior_x"]),
            TOL,
            &format!("prior x[{k}]"),
        );
        assert_close(
            ekf.covariance(),
            &matrix::<5, 5>(&step["prior_P"]),
            TOL,
            "prior P",
        );
        let z = vector::<2>(&step["z"]);
        let inn = ekf.update(&radar, &z).unwrap();
        if (z[1] - radar.measure(&vector::<5>(&step["prior_x"]))[1]).abs() > std::f64::consts::PI {
            wrapped += 1;
        }
        assert_close(
            &inn.residual,
            &vector::<2>(&step["y"]),
            TOL,
            &format!("y[{k}]"),
        );
        assert_close(&inn.covariance, &matrix::<2, 2>(&step["S"]), TOL, "S");
        assert_scalar(
            inn.log_likelihood,
            step["log_likelihood"].as_f64().unwrap(),
            TOL,
            "ll",
        );
        assert_scalar(inn.nis, step["nis"].as_f64().unwrap(), TOL, "NIS");
        assert_close(
            ekf.state(),
            &vector::<5>(&step["x"]),
            TOL,
            &format!("x[{k}]"),
        );
        assert_close(ekf.covariance(), &matrix::<5, 5>(&step["P"]), TOL, "P");
    }
    assert!(
        wrapped >= 1,
        "the residual of a bearing across +-pi must be wrapped"
    );
}

#[test]
fn ekf_with_numerical_jacobians_tracks_the_analytic_one() {
    let (case, ct, radar) = radar_case();
    let dt = case["dt"].as_f64().unwrap();
    let (x0, p0) = (vector::<5>(&case["x0"]), matrix::<5, 5>(&case["P0"]));
    let mut analytic = ExtendedKalmanFilter::new(x0, p0).unwrap();
    let mut numeric = ExtendedKalmanFilter::new(x0, p0).unwrap();
    let (nct, nradar) = (NumericalJacobian(ct), NumericalJacobian(radar));
    for step in case["steps"].as_array().unwrap() {
        let z = vector::<2>(&step["z"]);
        analytic.predict(&ct, dt).unwrap();
        numeric.predict(&nct, dt).unwrap();
        analytic.update(&radar, &z).unwrap();
        numeric.update(&nradar, &z).unwrap();
    }
    assert_close(numeric.state(), analytic.state(), 1e-6, "x");
    assert_close(numeric.covariance(), analytic.covariance(), 1e-6, "P");
}

#[test]
fn extended_rts_on_a_linear_model_equals_the_linear_smoother() {
    let case = &fixture()["kf_cv"];
    let dt = case["dt"].as_f64().unwrap();
    let cv = ConstantVelocity::with_noise(0.2, ProcessNoise::PiecewiseConstant).unwrap();
    let gps =
        PositionMeasurement::<4>::with_covariance(ConstantVelocity::POSITION, matrix(&case["R"]))
            .unwrap();
    let (x0, p0) = (vector::<4>(&case["x0"]), matrix::<4, 4>(&case["P0"]));
    let steps: Vec<_> = case["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (dt, measurement(s)))
        .collect();
    let run_kf = KalmanFilter::new(x0, p0)
        .unwrap()
        .batch_filter(&cv, &gps, steps.clone())
        .unwrap();
    let run_ekf = ExtendedKalmanFilter::new(x0, p0)
        .unwrap()
        .batch_filter(&cv, &gps, steps)
        .unwrap();
    let (a, b) = (rts_smooth(&run_kf).unwrap(), rts_smooth(&run_ekf).unwrap());
    for (s, t) in a.iter().zip(&b) {
        assert_close(&t.mean, &s.mean, 1e-12, "mean");
        assert_close(&t.covariance, &s.covariance, 1e-12, "cov");
    }
}

// ---------------------------------------------------------------------------------------------
// Closed-form cases

#[test]
fn scalar_kalman_filter_closed_form() {
    // x ~ N(1, 4), random walk with Q = 1, z = 3 with R = 1:
    // P^- = 5, S = 6, K = 5/6, x = 1 + 5/6 * 2 = 8/3, P = (1 - K)^2 5 + K^2 1 = 5/6.
    let mut kf = KalmanFilter::new(Vector1::new(1.0), Matrix1::new(4.0)).unwrap();
    kf.predict_with(&Matrix1::new(1.0), &Matrix1::new(1.0))
        .unwrap();
    let inn = kf
        .update_with(&Vector1::new(3.0), &Matrix1::new(1.0), &Matrix1::new(1.0))
        .unwrap();
    assert!((kf.state()[0] - 8.0 / 3.0).abs() < 1e-15);
    assert!((kf.covariance()[(0, 0)] - 5.0 / 6.0).abs() < 1e-15);
    assert!((inn.nis - 4.0 / 6.0).abs() < 1e-15);
    let ll = -0.5 * (4.0 / 6.0 + (2.0 * std::f64::consts::PI).ln() + 6f64.ln());
    assert!((inn.log_likelihood - ll).abs() < 1e-15);
    assert!((inn.likelihood() - ll.exp()).abs() < 1e-15);
}

#[test]
fn state_angles_wrap_after_update() {
    // A heading state at 3.0 rad (P = 3) measured at -2.9 rad (R = 1): the residual is
    // -2.9 - 3.0 + 2 pi = 0.3832, K = 3/4, x = 3.2874 -> wrapped to 3.2874 - 2 pi.
    let heading = LinearGaussianMeasurement::new(Matrix1::new(1.0), Matrix1::new(1.0))
        .unwrap()
        .with_angles([true]);
    let mut kf = KalmanFilter::new(Vector1::new(3.0), Matrix1::new(3.0))
        .unwrap()
        .with_angles([true]);
    let inn = kf.update(&heading, &Vector1::new(-2.9)).unwrap();
    let tau = std::f64::consts::TAU;
    assert!((inn.residual[0] - (tau - 5.9)).abs() < 1e-12);
    assert!((kf.state()[0] - (3.0 + 0.75 * (tau - 5.9) - tau)).abs() < 1e-12);
}

#[test]
fn coordinated_turn_is_constant_velocity_at_zero_turn_rate() {
    let ct = CoordinatedTurn::new(0.1, 0.01).unwrap();
    let cv = ConstantVelocity::new(0.1).unwrap();
    let (dt, x4) = (0.7, SVector::<f64, 4>::from([1.0, 2.0, -3.0, 0.5]));
    let x5 = SVector::<f64, 5>::from([1.0, 2.0, -3.0, 0.5, 0.0]);
    let f5 = ct.transition(&x5, dt);
    let f4 = cv.transition(&x4, dt);
    for (i, j) in [(0, 0), (1, 1), (2, 2), (3, 3)] {
        assert_eq!(f5[i], f4[j]);
    }
    let jac = ct.jacobian(&x5, dt);
    assert_eq!(
        jac.fixed_view::<4, 4>(0, 0).into_owned(),
        cv.transition_matrix(dt)
    );
    // d x'/d omega = -dt^2/2 vy, d y'/d omega = dt^2/2 vx, d vx'/d omega = -dt vy,
    // d vy'/d omega = dt vx (the limits at omega = 0).
    assert!((jac[(0, 4)] + 0.5 * dt * dt * 0.5).abs() < 1e-15);
    assert!((jac[(2, 4)] - 0.5 * dt * dt * 2.0).abs() < 1e-15);
    assert!((jac[(1, 4)] + dt * 0.5).abs() < 1e-15);
    assert!((jac[(3, 4)] - dt * 2.0).abs() < 1e-15);
    // continuous through the series switch points
    for w in [
        1e-300,
        1e-9,
        0.99e-4 / dt,
        1.01e-4 / dt,
        0.99e-2 / dt,
        1.01e-2 / dt,
    ] {
        let x = SVector::<f64, 5>::from([1.0, 2.0, -3.0, 0.5, w]);
        let xm = SVector::<f64, 5>::from([1.0, 2.0, -3.0, 0.5, -w]);
        let (fa, fb) = (ct.transition(&x, dt), ct.transition(&xm, dt));
        // odd/even symmetry in omega is a cheap exact check: vx' + vx'(-w) = 2 cos(a) vx ...
        assert!(((fa[1] + fb[1]) - 2.0 * (w * dt).cos() * 2.0).abs() < 1e-14);
        let numeric = central_difference(|s| ct.transition(s, dt), &x, &[false; 5]);
        assert!(
            (ct.jacobian(&x, dt) - numeric).abs().max() < 1e-8,
            "omega {w}"
        );
    }
}

#[test]
fn analytic_jacobians_match_central_differences() {
    let ct = CoordinatedTurn::new(0.1, 0.01).unwrap();
    for (x, dt) in [
        ([10.0, 3.0, -4.0, 1.0, 0.3], 1.0),
        ([0.0, -5.0, 2.0, 7.0, -1.2], 0.25),
        ([1.0, 1.0, 1.0, 1.0, 4e-3], 2.0),
        ([100.0, 30.0, 50.0, -20.0, 0.0], 0.5),
    ] {
        let x = SVector::<f64, 5>::from(x);
        let numeric = central_difference(|s| ct.transition(s, dt), &x, &[false; 5]);
        let analytic = ct.jacobian(&x, dt);
        assert!((analytic - numeric).abs().max() < 1e-7 * analytic.abs().max());
    }
    let radar = RangeBearing::<4>::new([0, 2], Vector2::new(1.0, -2.0), 1.0, 0.01).unwrap();
    // include a target just across the negative x axis from the sensor (bearing near +-pi)
    for x in [
        [5.0, 0.0, 3.0, 0.0],
        [-40.0, 1.0, -2.0 + 1e-7, 0.0],
        [1.5, 0.0, -2.0, 0.0],
    ] {
        let x = SVector::<f64, 4>::from(x);
        let numeric = central_difference(|s| radar.measure(s), &x, &radar.angle_components());
        let analytic = radar.jacobian(&x);
        assert!(
            (analytic - numeric).abs().max() < 1e-7 * analytic.abs().max(),
            "{x}"
        );
    }
    // at the sensor itself the Jacobian is zero rather than NaN
    let at_sensor = radar.jacobian(&SVector::<f64, 4>::from([1.0, 0.0, -2.0, 0.0]));
    assert_eq!(at_sensor, SMatrix::<f64, 2, 4>::zeros());
}

// ---------------------------------------------------------------------------------------------
// Bad input

#[test]
fn rejected_updates_leave_the_filter_unchanged_and_usable() {
    let cv = ConstantVelocity::new(0.1).unwrap();
    let gps = PositionMeasurement::<4>::new(ConstantVelocity::POSITION, 1.0).unwrap();
    let mut kf = KalmanFilter::new(SVector::zeros(), SMatrix::identity()).unwrap();
    kf.predict(&cv, 1.0).unwrap();
    let before = kf.clone();
    let h = gps.jacobian(&SVector::zeros());
    let cases: Vec<(EstimationError, Result<_, EstimationError>)> = vec![
        (
            EstimationError::NonFinite {
                what: "measurement z",
            },
            kf.update(&gps, &Vector2::new(f64::NAN, 1.0)),
        ),
        (
            EstimationError::NonFinite {
                what: "measurement z",
            },
            kf.update(&gps, &Vector2::new(1.0, f64::INFINITY)),
        ),
        (
            EstimationError::NonFinite {
                what: "measurement noise R",
            },
            kf.update_with(
                &Vector2::new(1.0, 1.0),
                &h,
                &Matrix2::new(f64::NAN, 0.0, 0.0, 1.0),
            ),
        ),
        (
            EstimationError::NotPositiveDefinite {
                what: "measurement noise R",
            },
            kf.update_with(
                &Vector2::new(1.0, 1.0),
                &h,
                &Matrix2::new(-1.0, 0.0, 0.0, 1.0),
            ),
        ),
        (
            EstimationError::NotPositiveDefinite {
                what: "measurement noise R",
            },
            kf.update_with(
                &Vector2::new(1.0, 1.0),
                &h,
                &Matrix2::new(1.0, 0.5, 0.0, 1.0),
            ),
        ),
        (
            // R indefinite enough that S = H P H^T + R is not positive definite
            EstimationError::NotPositiveDefinite {
                what: "innovation covariance S",
            },
            kf.update_with(
                &Vector2::new(1.0, 1.0),
                &h,
                &Matrix2::new(1.0, 50.0, 50.0, 1.0),
            ),
        ),
    ];
    for (want, got) in cases {
        assert_eq!(got.unwrap_err(), want);
        assert_eq!(kf, before, "a rejected update must not change the filter");
    }
    // predictions: negative and non-finite dt, a NaN transition
    assert!(matches!(
        kf.predict(&cv, -0.1),
        Err(EstimationError::InvalidParameter { name: "dt", .. })
    ));
    assert!(kf.predict(&cv, f64::NAN).is_err());
    let mut f = cv.transition_matrix(1.0);
    f[(0, 1)] = f64::NAN;
    assert!(kf.predict_with(&f, &SMatrix::identity()).is_err());
    assert_eq!(kf, before);
    // still usable: the next good update gives exactly what a fresh copy gives
    let mut fresh = before.clone();
    let a = kf.update(&gps, &Vector2::new(0.5, -0.5)).unwrap();
    let b = fresh.update(&gps, &Vector2::new(0.5, -0.5)).unwrap();
    assert_eq!(a, b);
    assert_eq!(kf, fresh);
    // innovation() never changes the filter and agrees with update()
    let mut kf2 = kf.clone();
    let peek = kf2.innovation(&gps, &Vector2::new(2.0, 1.0)).unwrap();
    assert_eq!(kf2, kf);
    assert_eq!(kf2.update(&gps, &Vector2::new(2.0, 1.0)).unwrap(), peek);
}

#[test]
fn ekf_rejects_bad_steps_without_changing() {
    let (case, ct, radar) = radar_case();
    let mut ekf = ExtendedKalmanFilter::new(vector(&case["x0"]), matrix(&case["P0"])).unwrap();
    ekf.predict(&ct, 1.0).unwrap();
    let before = ekf.clone();
    assert!(ekf.update(&radar, &Vector2::new(f64::NAN, 0.0)).is_err());
    assert!(ekf.predict(&ct, f64::INFINITY).is_err());
    // a model whose h(x) overflows to a non-finite prediction
    struct Broken;
    impl MeasurementModel<5, 1> for Broken {
        fn measure(&self, x: &SVector<f64, 5>) -> Vector1<f64> {
            Vector1::new(x[0] / 0.0)
        }
        fn noise_covariance(&self, _x: &SVector<f64, 5>) -> Matrix1<f64> {
            Matrix1::new(1.0)
        }
    }
    impl MeasurementJacobian<5, 1> for Broken {
        fn jacobian(&self, _x: &SVector<f64, 5>) -> SMatrix<f64, 1, 5> {
            SMatrix::zeros()
        }
    }
    assert!(matches!(
        ekf.update(&Broken, &Vector1::new(0.0)),
        Err(EstimationError::NonFinite { .. })
    ));
    assert_eq!(ekf, before);
    assert!(ekf
        .update(&radar, &vector::<2>(&case["steps"][0]["z"]))
        .is_ok());
}

#[test]
fn constructors_reject_bad_covariances_and_parameters() {
    let x = SVector::<f64, 2>::zeros();
    assert_eq!(
        KalmanFilter::new(x, Matrix2::new(1.0, 2.0, 2.0, 1.0)).unwrap_err(),
        EstimationError::NotPositiveDefinite {
            what: "state covariance P"
        }
    );
    assert_eq!(
        KalmanFilter::new(x, Matrix2::new(1.0, 0.0, 0.3, 1.0)).unwrap_err(),
        EstimationError::NotPositiveDefinite {
            what: "state covariance P"
        }
    );
    assert!(matches!(
        KalmanFilter::new(Vector2::new(f64::NAN, 0.0), Matrix2::identity()),
        Err(EstimationError::NonFinite { .. })
    ));
    // rank-deficient (a perfectly known component) is a valid covariance
    assert!(ExtendedKalmanFilter::new(x, Matrix2::new(1.0, 0.0, 0.0, 0.0)).is_ok());
    let mut kf = KalmanFilter::new(x, Matrix2::identity()).unwrap();
    assert!(kf
        .set_estimate(x, Matrix2::new(-1.0, 0.0, 0.0, 1.0))
        .is_err());
    assert_eq!(kf.covariance(), &Matrix2::identity());

    assert!(matches!(
        ConstantVelocity::new(-1.0),
        Err(ModelError::InvalidParameter { name: "q_x", .. })
    ));
    assert!(matches!(
        CoordinatedTurn::new(1.0, f64::NAN),
        Err(ModelError::NonFinite { name: "q_turn" })
    ));
    assert_eq!(
        PositionMeasurement::<4>::new([0, 4], 1.0).unwrap_err(),
        ModelError::IndexOutOfRange {
            name: "position_indices",
            index: 4,
            dim: 4
        }
    );
    assert!(RangeBearing::<4>::new([0, 2], Vector2::zeros(), 0.0, 0.1).is_err());
    assert_eq!(
        RangeBearing::<4>::with_covariance(
            [0, 2],
            Vector2::zeros(),
            Matrix2::new(1.0, 3.0, 3.0, 1.0)
        )
        .unwrap_err(),
        ModelError::NotPositiveSemiDefinite { name: "R" }
    );
}

#[test]
fn dynamic_filter_reports_dimension_mismatches() {
    let mut kf = DynamicKalmanFilter::new(DVector::zeros(3), DMatrix::identity(3, 3)).unwrap();
    let before = kf.clone();
    fn err<T: std::fmt::Debug>(r: Result<T, EstimationError>) -> EstimationError {
        r.unwrap_err()
    }
    assert_eq!(
        err(DynamicKalmanFilter::new(
            DVector::zeros(3),
            DMatrix::identity(2, 2)
        )),
        EstimationError::DimensionMismatch {
            what: "rows of state covariance P",
            expected: 3,
            found: 2
        }
    );
    assert_eq!(
        err(kf.predict(&DMatrix::identity(3, 4), &DMatrix::identity(3, 3))),
        EstimationError::DimensionMismatch {
            what: "columns of transition matrix F",
            expected: 3,
            found: 4
        }
    );
    assert_eq!(
        err(kf.predict(&DMatrix::identity(3, 3), &DMatrix::identity(2, 3))),
        EstimationError::DimensionMismatch {
            what: "rows of process noise Q",
            expected: 3,
            found: 2
        }
    );
    let z = DVector::from_element(2, 1.0);
    assert_eq!(
        err(kf.update(&z, &DMatrix::zeros(3, 3), &DMatrix::identity(2, 2))),
        EstimationError::DimensionMismatch {
            what: "rows of measurement matrix H",
            expected: 2,
            found: 3
        }
    );
    assert_eq!(
        err(kf.update(&z, &DMatrix::zeros(2, 3), &DMatrix::identity(3, 3))),
        EstimationError::DimensionMismatch {
            what: "rows of measurement noise R",
            expected: 2,
            found: 3
        }
    );
    assert_eq!(
        err(kf.predict_with_control(
            &DMatrix::identity(3, 3),
            &DMatrix::identity(3, 3),
            &DMatrix::zeros(3, 2),
            &DVector::zeros(1)
        )),
        EstimationError::DimensionMismatch {
            what: "columns of control matrix B",
            expected: 1,
            found: 2
        }
    );
    assert_eq!(
        err(kf.update(
            &DVector::from_element(1, f64::NAN),
            &DMatrix::zeros(1, 3),
            &DMatrix::identity(1, 1)
        )),
        EstimationError::NonFinite {
            what: "measurement z"
        }
    );
    assert!(matches!(
        err(kf.clone().with_angles(vec![true])),
        EstimationError::DimensionMismatch { .. }
    ));
    assert_eq!(kf, before);
    // still usable
    kf.predict(&DMatrix::identity(3, 3), &DMatrix::identity(3, 3))
        .unwrap();
    let mut h = DMatrix::zeros(1, 3);
    h[(0, 0)] = 1.0;
    let inn = kf
        .update(&DVector::from_element(1, 2.0), &h, &DMatrix::identity(1, 1))
        .unwrap();
    // P^- = 2, S = 3, K = 2/3
    assert!((inn.covariance[(0, 0)] - 3.0).abs() < 1e-15);
    assert!((kf.state()[0] - 4.0 / 3.0).abs() < 1e-15);
}

#[test]
fn batch_error_names_the_failing_step() {
    let cv = ConstantVelocity::new(0.1).unwrap();
    let gps = PositionMeasurement::<4>::new(ConstantVelocity::POSITION, 1.0).unwrap();
    let mut kf = KalmanFilter::new(SVector::zeros(), SMatrix::identity()).unwrap();
    let zs = [
        Some(Vector2::new(1.0, 1.0)),
        Some(Vector2::new(2.0, 1.0)),
        Some(Vector2::new(f64::NAN, 1.0)),
        Some(Vector2::new(3.0, 1.0)),
    ];
    let err = kf
        .batch_filter(&cv, &gps, zs.iter().map(|z| (1.0, *z)))
        .unwrap_err();
    assert_eq!(err.step, 2);
    assert_eq!(err.completed.steps.len(), 2);
    assert_eq!(
        err.source,
        EstimationError::NonFinite {
            what: "measurement z"
        }
    );
    assert!(err.to_string().contains("step 2"));
}
