//! Unscented Kalman filter: agreement with FilterPy 2.0.0 (fixtures from
//! tools/reference/filterpy_ukf_imm.py), equivalence with the linear Kalman filter on a linear
//! problem, custom mean/residual functions, and rejection of bad input.

use std::f64::consts::PI;

use kestrel::estimation::{
    EstimationError, KalmanFilter, SigmaPoints, UnscentedFunctions, UnscentedKalmanFilter,
};
use kestrel::geometry::wrap_angle;
use kestrel::models::measurement::PositionMeasurement;
use kestrel::models::motion::ConstantVelocity;
use kestrel::models::{MeasurementModel, MotionModel};
use nalgebra::{Matrix2, Matrix4, SMatrix, SVector, Vector2, Vector4};
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/estimation/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).expect(&path)).expect("valid JSON")
}

fn vector<const D: usize>(v: &Value) -> SVector<f64, D> {
    let a = v.as_array().expect("array");
    assert_eq!(a.len(), D);
    SVector::from_iterator(a.iter().map(|x| x.as_f64().unwrap()))
}

fn matrix<const R: usize, const C: usize>(v: &Value) -> SMatrix<f64, R, C> {
    let rows = v.as_array().expect("rows");
    assert_eq!(rows.len(), R);
    SMatrix::from_fn(|i, j| rows[i][j].as_f64().unwrap())
}

/// |a - b| <= tol * max(1, |b|) entrywise.
fn assert_close<const R: usize, const C: usize>(
    a: &SMatrix<f64, R, C>,
    b: &SMatrix<f64, R, C>,
    tol: f64,
    what: &str,
) {
    for (x, y) in a.iter().zip(b.iter()) {
        assert!(
            (x - y).abs() <= tol * y.abs().max(1.0),
            "{what}: {x} vs {y}\nkestrel {a}\nreference {b}"
        );
    }
}

/// `x <- F x`, constant `Q`, as the fixtures' `fx` and `Q`.
struct Linear<const N: usize> {
    f: SMatrix<f64, N, N>,
    q: SMatrix<f64, N, N>,
}

impl<const N: usize> MotionModel<N> for Linear<N> {
    fn transition(&self, x: &SVector<f64, N>, _dt: f64) -> SVector<f64, N> {
        self.f * x
    }
    fn process_noise(&self, _: &SVector<f64, N>, _: f64) -> SMatrix<f64, N, N> {
        self.q
    }
}

/// Range and bearing (radians, `atan2(dy, dx)`) of the state's position from a fixed point.
struct RangeBearing {
    sensor: Vector2<f64>,
    indices: [usize; 2],
    r: Matrix2<f64>,
}

impl<const N: usize> MeasurementModel<N, 2> for RangeBearing {
    fn measure(&self, x: &SVector<f64, N>) -> Vector2<f64> {
        let d = Vector2::new(x[self.indices[0]], x[self.indices[1]]) - self.sensor;
        Vector2::new(d.x.hypot(d.y), d.y.atan2(d.x))
    }
    fn noise_covariance(&self, _: &SVector<f64, N>) -> Matrix2<f64> {
        self.r
    }
    fn angle_components(&self) -> [bool; 2] {
        [false, true]
    }
}

/// Unicycle `[x, y, heading, speed]` turning at a known rate (explicit Euler), heading an angle.
struct Unicycle {
    turn_rate: f64,
    q: Matrix4<f64>,
}

impl MotionModel<4> for Unicycle {
    fn transition(&self, x: &Vector4<f64>, dt: f64) -> Vector4<f64> {
        Vector4::new(
            x[0] + x[3] * x[2].cos() * dt,
            x[1] + x[3] * x[2].sin() * dt,
            wrap_angle(x[2] + self.turn_rate * dt),
            x[3],
        )
    }
    fn process_noise(&self, _: &Vector4<f64>, _: f64) -> Matrix4<f64> {
        self.q
    }
    fn angle_components(&self) -> [bool; 4] {
        [false, false, true, false]
    }
}

fn check_against_filterpy<Mo: MotionModel<4>>(
    fx: &Value,
    mut ukf: UnscentedKalmanFilter<4>,
    motion: &Mo,
    radar: &RangeBearing,
) {
    let dt = fx["dt"].as_f64().unwrap();
    let wm = fx["wm"].as_array().unwrap();
    let wc = fx["wc"].as_array().unwrap();
    for i in 0..9 {
        let (a, b) = (
            ukf.sigma_point_set().mean_weights()[i],
            wm[i].as_f64().unwrap(),
        );
        assert!(
            (a - b).abs() <= 1e-12 * b.abs().max(1.0),
            "Wm[{i}] {a} vs {b}"
        );
        let (a, b) = (
            ukf.sigma_point_set().covariance_weights()[i],
            wc[i].as_f64().unwrap(),
        );
        assert!(
            (a - b).abs() <= 1e-12 * b.abs().max(1.0),
            "Wc[{i}] {a} vs {b}"
        );
    }
    let steps = fx["steps"].as_array().unwrap();
    assert!(steps.len() >= 40);
    for (k, s) in steps.iter().enumerate() {
        ukf.predict(motion, dt).unwrap();
        assert_close(
            ukf.state(),
            &vector::<4>(&s["x_prior"]),
            1e-9,
            &format!("x- {k}"),
        );
        assert_close(ukf.covariance(), &matrix::<4, 4>(&s["p_prior"]), 1e-9, "P-");
        let innovation = ukf.update(radar, &vector::<2>(&s["z"])).unwrap();
        assert_close(&innovation.residual, &vector::<2>(&s["y"]), 1e-9, "y");
        assert_close(&innovation.covariance, &matrix::<2, 2>(&s["s"]), 1e-9, "S");
        let ll = s["log_likelihood"].as_f64().unwrap();
        assert!(
            (innovation.log_likelihood - ll).abs() < 1e-9 * ll.abs().max(1.0),
            "ll {k}"
        );
        assert_close(ukf.state(), &vector::<4>(&s["x"]), 1e-9, &format!("x+ {k}"));
        assert_close(ukf.covariance(), &matrix::<4, 4>(&s["p"]), 1e-9, "P+");
    }
}

#[test]
fn merwe_radar_matches_filterpy() {
    let fx = fixture("ukf_radar_merwe.json");
    let (alpha, beta, kappa) = (
        fx["alpha"].as_f64().unwrap(),
        fx["beta"].as_f64().unwrap(),
        fx["kappa"].as_f64().unwrap(),
    );
    let points = SigmaPoints::<4>::merwe(alpha, beta, kappa).unwrap();
    let ukf = UnscentedKalmanFilter::new(vector(&fx["x0"]), matrix(&fx["p0"]), points).unwrap();
    let motion = Linear {
        f: matrix(&fx["f"]),
        q: matrix(&fx["q"]),
    };
    let radar = RangeBearing {
        sensor: vector(&fx["sensor"]),
        indices: [0, 2],
        r: matrix(&fx["r"]),
    };
    // the track crosses the negative x axis: bearings on both sides of +-pi
    let bearings: Vec<f64> = fx["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["z"][1].as_f64().unwrap())
        .collect();
    assert!(bearings.iter().any(|b| *b > 3.0) && bearings.iter().any(|b| *b < -3.0));
    check_against_filterpy(&fx, ukf, &motion, &radar);
}

#[test]
fn julier_unicycle_with_wrapping_heading_matches_filterpy() {
    let fx = fixture("ukf_unicycle_julier.json");
    let points = SigmaPoints::<4>::julier(fx["kappa"].as_f64().unwrap()).unwrap();
    // the heading is declared by the motion model (angle_components), not by with_angles
    let ukf = UnscentedKalmanFilter::new(vector(&fx["x0"]), matrix(&fx["p0"]), points).unwrap();
    let motion = Unicycle {
        turn_rate: fx["turn_rate"].as_f64().unwrap(),
        q: matrix(&fx["q"]),
    };
    let radar = RangeBearing {
        sensor: vector(&fx["landmark"]),
        indices: [0, 1],
        r: matrix(&fx["r"]),
    };
    check_against_filterpy(&fx, ukf, &motion, &radar);
}

/// On a linear-Gaussian problem the unscented transform is exact, so the UKF is the Kalman
/// filter (checked against Kestrel's Joseph-form KF, whose own tests compare it with FilterPy).
#[test]
fn linear_problem_equals_the_kalman_filter() {
    let cv = ConstantVelocity::new(0.7).unwrap();
    let gps = PositionMeasurement::<4>::new(ConstantVelocity::POSITION, 1.5).unwrap();
    let x0 = Vector4::new(1.0, 2.0, -3.0, 0.5);
    let p0 = Matrix4::from_diagonal(&Vector4::new(9.0, 4.0, 9.0, 4.0));
    let mut kf = KalmanFilter::new(x0, p0).unwrap();
    for points in [
        SigmaPoints::merwe(0.5, 2.0, 0.0).unwrap(),
        SigmaPoints::merwe(1e-3, 2.0, 0.0).unwrap(),
        SigmaPoints::julier(-1.0).unwrap(),
    ] {
        let mut ukf = UnscentedKalmanFilter::new(x0, p0, points).unwrap();
        kf.set_estimate(x0, p0).unwrap();
        for k in 0..50 {
            let t = k as f64 * 0.5;
            let z = Vector2::new(1.0 + 2.0 * t + (1.3 * t).sin(), -3.0 + 0.5 * t * t * 0.1);
            kf.predict(&cv, 0.5).unwrap();
            ukf.predict(&cv, 0.5).unwrap();
            let a = kf.update(&gps, &z).unwrap();
            let b = ukf.update(&gps, &z).unwrap();
            assert_close(ukf.state(), kf.state(), 1e-9, "x");
            assert_close(ukf.covariance(), kf.covariance(), 1e-9, "P");
            let close = |u: f64, v: f64| (u - v).abs() <= 1e-9 * v.abs().max(1.0);
            assert!(close(b.log_likelihood, a.log_likelihood), "{a:?} {b:?}");
            assert!(close(b.nis, a.nis), "{a:?} {b:?}");
        }
    }
}

/// Bearing in degrees, wrapped at 360 by user functions (angle masks know only radians).
struct BearingDegrees(RangeBearing);

impl MeasurementModel<4, 2> for BearingDegrees {
    fn measure(&self, x: &Vector4<f64>) -> Vector2<f64> {
        let z = MeasurementModel::<4, 2>::measure(&self.0, x);
        Vector2::new(z.x, z.y.to_degrees())
    }
    fn noise_covariance(&self, _: &Vector4<f64>) -> Matrix2<f64> {
        let d = 180.0 / PI;
        Matrix2::new(self.0.r[(0, 0)], 0.0, 0.0, self.0.r[(1, 1)] * d * d)
    }
}

struct Degrees;

impl UnscentedFunctions<2> for Degrees {
    fn mean(
        &self,
        points: &kestrel::estimation::SigmaView<'_, 2>,
        weights: &[f64],
        _: &[bool; 2],
    ) -> Vector2<f64> {
        let (mut r, mut s, mut c) = (0.0, 0.0, 0.0);
        for (i, w) in weights.iter().enumerate() {
            r += w * points[(0, i)];
            s += w * points[(1, i)].to_radians().sin();
            c += w * points[(1, i)].to_radians().cos();
        }
        Vector2::new(r, s.atan2(c).to_degrees())
    }
    fn residual(&self, a: &Vector2<f64>, b: &Vector2<f64>, _: &[bool; 2]) -> Vector2<f64> {
        Vector2::new(a.x - b.x, (a.y - b.y + 180.0).rem_euclid(360.0) - 180.0)
    }
}

#[test]
fn user_measurement_functions_are_used() {
    let fx = fixture("ukf_radar_merwe.json");
    let make = || {
        UnscentedKalmanFilter::new(
            vector(&fx["x0"]),
            matrix(&fx["p0"]),
            SigmaPoints::merwe(0.1, 2.0, -1.0).unwrap(),
        )
        .unwrap()
    };
    let (mut rad, mut deg) = (make(), make());
    let motion = Linear {
        f: matrix(&fx["f"]),
        q: matrix(&fx["q"]),
    };
    let radar = || RangeBearing {
        sensor: Vector2::zeros(),
        indices: [0, 2],
        r: matrix(&fx["r"]),
    };
    let degrees = BearingDegrees(radar());
    for s in fx["steps"].as_array().unwrap() {
        let z = vector::<2>(&s["z"]);
        rad.predict(&motion, 1.0).unwrap();
        deg.predict(&motion, 1.0).unwrap();
        rad.update(&radar(), &z).unwrap();
        let i = deg
            .update_with(&degrees, &Vector2::new(z.x, z.y.to_degrees()), &Degrees)
            .unwrap();
        assert!(i.residual.y.abs() <= 180.0);
        // the same filter in other units, so the same estimate (and FilterPy's)
        assert_close(deg.state(), rad.state(), 1e-9, "x");
        assert_close(deg.state(), &vector::<4>(&s["x"]), 1e-9, "x vs FilterPy");
    }
    // without the user functions (and with no angle mask) a measurement across the +-180 degree
    // line gives a residual of almost a full turn; with them, the short way round
    let at = |x: f64, y: f64| {
        UnscentedKalmanFilter::new(
            Vector4::new(x, 0.0, y, 0.0),
            Matrix4::identity() * 0.01,
            SigmaPoints::merwe(0.1, 2.0, -1.0).unwrap(),
        )
        .unwrap()
    };
    let z = Vector2::new(100.0, -179.5);
    let predicted = (0.9f64).atan2(-100.0).to_degrees(); // 179.48 degrees
    let plain = PlainDegrees(BearingDegrees(radar()));
    let naive = at(-100.0, 0.9).update(&plain, &z).unwrap();
    assert!(
        (naive.residual.y - (-179.5 - predicted)).abs() < 1e-3,
        "{}",
        naive.residual
    );
    let wrapped = at(-100.0, 0.9).update_with(&degrees, &z, &Degrees).unwrap();
    assert!((wrapped.residual.y - (360.0 - 179.5 - predicted)).abs() < 1e-3);
}

/// The degrees model with no angle components at all.
struct PlainDegrees(BearingDegrees);

impl MeasurementModel<4, 2> for PlainDegrees {
    fn measure(&self, x: &Vector4<f64>) -> Vector2<f64> {
        self.0.measure(x)
    }
    fn noise_covariance(&self, x: &Vector4<f64>) -> Matrix2<f64> {
        self.0.noise_covariance(x)
    }
}

fn cv_filter() -> UnscentedKalmanFilter<4> {
    UnscentedKalmanFilter::new(
        Vector4::new(0.0, 1.0, 0.0, 1.0),
        Matrix4::identity() * 2.0,
        SigmaPoints::merwe(0.5, 2.0, 0.0).unwrap(),
    )
    .unwrap()
}

/// `f` producing NaN for the selected sigma points.
struct Exploding;
impl MotionModel<4> for Exploding {
    fn transition(&self, x: &Vector4<f64>, _: f64) -> Vector4<f64> {
        Vector4::new(x[0].ln(), x[1], x[2], x[3])
    }
    fn process_noise(&self, _: &Vector4<f64>, _: f64) -> Matrix4<f64> {
        Matrix4::identity()
    }
}

/// A "process noise" that makes the predicted covariance indefinite.
struct NegativeNoise;
impl MotionModel<4> for NegativeNoise {
    fn transition(&self, x: &Vector4<f64>, _: f64) -> Vector4<f64> {
        *x
    }
    fn process_noise(&self, _: &Vector4<f64>, _: f64) -> Matrix4<f64> {
        Matrix4::identity() * -10.0
    }
}

#[test]
fn bad_input_is_rejected_and_the_filter_stays_usable() {
    let cv = ConstantVelocity::new(0.5).unwrap();
    let gps = PositionMeasurement::<4>::new(ConstantVelocity::POSITION, 1.0).unwrap();
    let bad_r = RangeBearing {
        sensor: Vector2::zeros(),
        indices: [0, 2],
        r: Matrix2::new(-50.0, 0.0, 0.0, 1e-4),
    };
    let mut ukf = cv_filter();
    let mut reference = cv_filter();
    ukf.predict(&cv, 1.0).unwrap();
    reference.predict(&cv, 1.0).unwrap();
    let sigma_before: Vec<f64> = ukf.sigma_points().iter().copied().collect();

    let rejected: Vec<Result<(), EstimationError>> = vec![
        ukf.update(&gps, &Vector2::new(f64::NAN, 1.0)).map(|_| ()),
        ukf.update(&gps, &Vector2::new(1.0, f64::INFINITY))
            .map(|_| ()),
        ukf.update(&bad_r, &Vector2::new(2.0, 0.7)).map(|_| ()),
        ukf.predict(&cv, f64::NAN),
        ukf.predict(&Exploding, 1.0),
        ukf.predict(&NegativeNoise, 1.0),
    ];
    let expected = [
        "measurement z is not finite",
        "measurement z is not finite",
        "innovation covariance S is not positive definite",
        "time step dt is not finite",
        "propagated sigma point f(chi) is not finite",
        "predicted covariance P is not positive definite",
    ];
    for (r, e) in rejected.iter().zip(expected) {
        assert_eq!(r.as_ref().unwrap_err().to_string(), e);
    }
    // untouched by the rejected steps ...
    assert_eq!(ukf.state(), reference.state());
    assert_eq!(ukf.covariance(), reference.covariance());
    assert_eq!(
        ukf.sigma_points().iter().copied().collect::<Vec<_>>(),
        sigma_before
    );
    // ... and still working: the same results as a filter that never saw them
    for k in 0..5 {
        let z = Vector2::new(1.0 + k as f64, 1.2 + k as f64);
        let a = ukf.update(&gps, &z).unwrap();
        let b = reference.update(&gps, &z).unwrap();
        assert_eq!(a, b);
        ukf.predict(&cv, 1.0).unwrap();
        reference.predict(&cv, 1.0).unwrap();
        assert_eq!(ukf.state(), reference.state());
    }
}

#[test]
fn invalid_estimates_are_rejected() {
    let points = || SigmaPoints::<2>::merwe(0.5, 2.0, 0.0).unwrap();
    let x = Vector2::new(1.0, 2.0);
    let err = |p: Matrix2<f64>| UnscentedKalmanFilter::new(x, p, points()).unwrap_err();
    assert_eq!(
        err(Matrix2::new(1.0, 2.0, 2.0, 1.0)),
        EstimationError::NotPositiveDefinite {
            what: "state covariance P (sigma points)"
        }
    );
    assert!(matches!(
        err(Matrix2::new(1.0, 0.5, 0.0, 1.0)),
        EstimationError::InvalidParameter { name: "P", .. }
    ));
    assert!(matches!(
        err(Matrix2::new(1.0, 0.0, 0.0, f64::NAN)),
        EstimationError::NonFinite { .. }
    ));
    assert!(matches!(
        UnscentedKalmanFilter::new(
            Vector2::new(f64::INFINITY, 0.0),
            Matrix2::identity(),
            points()
        ),
        Err(EstimationError::NonFinite { .. })
    ));
    let mut ukf = UnscentedKalmanFilter::new(x, Matrix2::identity(), points()).unwrap();
    assert!(ukf
        .set_estimate(x, Matrix2::new(-1.0, 0.0, 0.0, 1.0))
        .is_err());
    assert_eq!(*ukf.covariance(), Matrix2::identity());
}

/// A state angle declared with `with_angles` is averaged on the circle: two sigma-point
/// clouds straddling +-pi predict a mean near pi, not near 0.
#[test]
fn state_angles_are_averaged_on_the_circle() {
    struct Still;
    impl MotionModel<2> for Still {
        fn transition(&self, x: &Vector2<f64>, _: f64) -> Vector2<f64> {
            *x
        }
        fn process_noise(&self, _: &Vector2<f64>, _: f64) -> Matrix2<f64> {
            Matrix2::identity() * 1e-6
        }
    }
    let p = Matrix2::new(0.04, 0.0, 0.0, 1.0);
    let make = || {
        UnscentedKalmanFilter::new(
            Vector2::new(PI - 0.05, 0.0),
            p,
            SigmaPoints::merwe(1.0, 0.0, 1.0).unwrap(),
        )
        .unwrap()
    };
    let mut wrapped = make().with_angles([true, false]);
    wrapped.predict(&Still, 1.0).unwrap();
    // with wrapping the points straddle +-pi yet the mean stays at pi - 0.05 (to second order)
    assert!(
        (wrap_angle(wrapped.state()[0] - (PI - 0.05))).abs() < 2e-3,
        "{}",
        wrapped.state()
    );
    assert!((wrapped.covariance()[(0, 0)] - 0.04).abs() < 2e-3);
    // the sigma points themselves are wrapped into [-pi, pi)
    assert!(wrapped
        .sigma_points()
        .row(0)
        .iter()
        .all(|a| (-PI..PI).contains(a)));
    assert!(wrapped.sigma_points().row(0).iter().any(|a| *a < 0.0));
}

/// State functions supplied by the user (heading at index 2 wrapped whatever the mask says),
/// with a motion model that declares no angles: the same filter as FilterPy's with its
/// x_mean_fn / residual_x / state_add.
struct HeadingFunctions;

impl UnscentedFunctions<4> for HeadingFunctions {
    fn mean(
        &self,
        points: &kestrel::estimation::SigmaView<'_, 4>,
        weights: &[f64],
        _: &[bool; 4],
    ) -> Vector4<f64> {
        let mut m = Vector4::zeros();
        let (mut s, mut c) = (0.0, 0.0);
        for (i, w) in weights.iter().enumerate() {
            m += points.column(i) * *w;
            s += w * points[(2, i)].sin();
            c += w * points[(2, i)].cos();
        }
        m[2] = s.atan2(c);
        m
    }
    fn residual(&self, a: &Vector4<f64>, b: &Vector4<f64>, _: &[bool; 4]) -> Vector4<f64> {
        let mut r = a - b;
        r[2] = wrap_angle(r[2]);
        r
    }
    fn add(&self, x: &Vector4<f64>, dx: &Vector4<f64>, _: &[bool; 4]) -> Vector4<f64> {
        let mut y = x + dx;
        y[2] = wrap_angle(y[2]);
        y
    }
}

struct NoMask(Unicycle);

impl MotionModel<4> for NoMask {
    fn transition(&self, x: &Vector4<f64>, dt: f64) -> Vector4<f64> {
        self.0.transition(x, dt)
    }
    fn process_noise(&self, x: &Vector4<f64>, dt: f64) -> Matrix4<f64> {
        self.0.process_noise(x, dt)
    }
}

#[test]
fn user_state_functions_and_closure_predict_match_filterpy() {
    let fx = fixture("ukf_unicycle_julier.json");
    let kappa = fx["kappa"].as_f64().unwrap();
    let make = || {
        UnscentedKalmanFilter::new(
            vector(&fx["x0"]),
            matrix(&fx["p0"]),
            SigmaPoints::<4>::julier(kappa).unwrap(),
        )
        .unwrap()
    };
    let mut custom = make().with_functions(HeadingFunctions).unwrap();
    let mut closure = make().with_angles([false, false, true, false]);
    let unicycle = Unicycle {
        turn_rate: fx["turn_rate"].as_f64().unwrap(),
        q: matrix(&fx["q"]),
    };
    let (dt, q) = (fx["dt"].as_f64().unwrap(), matrix::<4, 4>(&fx["q"]));
    let motion = NoMask(Unicycle {
        turn_rate: unicycle.turn_rate,
        q,
    });
    let radar = RangeBearing {
        sensor: vector(&fx["landmark"]),
        indices: [0, 1],
        r: matrix(&fx["r"]),
    };
    // without any angle handling the heading's wrap-around ruins the estimate
    let mut plain = make();
    let mut worst = 0.0f64;
    for s in fx["steps"].as_array().unwrap() {
        if plain.predict(&motion, dt).is_ok() && plain.update(&radar, &vector(&s["z"])).is_ok() {
            worst = worst.max((plain.state() - vector::<4>(&s["x"])).amax());
        }
    }
    assert!(worst > 0.5, "{worst}");
    for (k, s) in fx["steps"].as_array().unwrap().iter().enumerate() {
        custom.predict(&motion, dt).unwrap();
        closure
            .predict_with(|x| unicycle.transition(x, dt), &q)
            .unwrap();
        for ukf_x in [custom.state(), closure.state()] {
            assert_close(ukf_x, &vector::<4>(&s["x_prior"]), 1e-9, &format!("x- {k}"));
        }
        let z = vector::<2>(&s["z"]);
        custom.update(&radar, &z).unwrap();
        closure.update(&radar, &z).unwrap();
        for (x, p) in [
            (custom.state(), custom.covariance()),
            (closure.state(), closure.covariance()),
        ] {
            assert_close(x, &vector::<4>(&s["x"]), 1e-9, &format!("x+ {k}"));
            assert_close(p, &matrix::<4, 4>(&s["p"]), 1e-9, "P+");
        }
    }
}
