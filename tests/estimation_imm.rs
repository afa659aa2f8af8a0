//! IMM estimator: agreement with FilterPy 2.0.0's IMMEstimator (fixtures from
//! tools/reference/filterpy_ukf_imm.py), modes of different state sizes against the same-size
//! IMM and hand-computed mixing, CV/CT/CA on a manoeuvring target, and bad input.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use kestrel::estimation::{
    embed, BoxedMode, Embedding, EstimationError, ExtendedKalmanFilter, ImmEstimator, Innovation,
    KalmanFilter, MixingFill, Mode, ModeFilter, SigmaPoints, UnscentedKalmanFilter,
};
use kestrel::models::measurement::{LinearGaussianMeasurement, PositionMeasurement};
use kestrel::models::motion::{
    ConstantAcceleration, ConstantVelocity, CoordinatedTurn, LinearMotion,
};
use kestrel::models::{MotionJacobian, MotionModel};
use nalgebra::{DMatrix, SMatrix, SVector, Vector2};
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
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

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn dmatrix(v: &Value) -> DMatrix<f64> {
    let rows: Vec<Vec<f64>> = v.as_array().unwrap().iter().map(floats).collect();
    DMatrix::from_fn(rows.len(), rows[0].len(), |i, j| rows[i][j])
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

fn assert_close<const R: usize, const C: usize>(
    a: &SMatrix<f64, R, C>,
    b: &SMatrix<f64, R, C>,
    tol: f64,
    what: &str,
) {
    for (x, y) in a.iter().zip(b.iter()) {
        assert!(
            close(*x, *y, tol),
            "{what}: {x} vs {y}\nkestrel {a}\nreference {b}"
        );
    }
}

fn assert_slice_close(a: &[f64], b: &[f64], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert!(close(*x, *y, tol), "{what}: {a:?} vs {b:?}");
    }
}

/// `x <- F x` with a fixed `F` and `Q` (the fixtures' KalmanFilter F and Q).
#[derive(Clone, Copy)]
struct Fixed<const N: usize> {
    f: SMatrix<f64, N, N>,
    q: SMatrix<f64, N, N>,
}

impl<const N: usize> MotionModel<N> for Fixed<N> {
    fn transition(&self, x: &SVector<f64, N>, _: f64) -> SVector<f64, N> {
        self.f * x
    }
    fn process_noise(&self, _: &SVector<f64, N>, _: f64) -> SMatrix<f64, N, N> {
        self.q
    }
}
impl<const N: usize> MotionJacobian<N> for Fixed<N> {
    fn jacobian(&self, _: &SVector<f64, N>, _: f64) -> SMatrix<f64, N, N> {
        self.f
    }
}
impl<const N: usize> LinearMotion<N> for Fixed<N> {
    fn transition_matrix(&self, _: f64) -> SMatrix<f64, N, N> {
        self.f
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Kalman,
    Unscented,
}

/// The fixture's IMM with every mode an identity embedding of a filter of kind `kind`.
fn fixture_imm<const N: usize>(fx: &Value, kind: Kind) -> ImmEstimator<N, 2> {
    let sensor =
        LinearGaussianMeasurement::<N, 2>::new(matrix(&fx["h"]), matrix(&fx["r"])).unwrap();
    let modes: Vec<BoxedMode<N, 2>> = fx["modes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let motion = Fixed::<N> {
                f: matrix(&m["f"]),
                q: matrix(&m["q"]),
            };
            let (x0, p0) = (vector::<N>(&m["x0"]), matrix::<N, N>(&m["p0"]));
            let identity = Embedding::<N, N>::identity().unwrap();
            match kind {
                Kind::Kalman => embed(
                    Mode::new(KalmanFilter::new(x0, p0).unwrap(), motion, sensor),
                    identity,
                ),
                Kind::Unscented => {
                    let points = SigmaPoints::merwe(0.5, 2.0, 0.0).unwrap();
                    let ukf = UnscentedKalmanFilter::new(x0, p0, points).unwrap();
                    embed(Mode::new(ukf, motion, sensor), identity)
                }
            }
        })
        .collect();
    ImmEstimator::new(modes, &dmatrix(&fx["transition"]), &floats(&fx["mu0"])).unwrap()
}

fn check_against_filterpy<const N: usize>(fx: &Value, mut imm: ImmEstimator<N, 2>, tol: f64) {
    let r = imm.mode_count();
    let steps = fx["steps"].as_array().unwrap();
    assert!(steps.len() >= 50);
    let mut switched = false;
    for (k, s) in steps.iter().enumerate() {
        imm.predict(1.0).unwrap();
        let omega = dmatrix(&s["omega"]);
        for i in 0..r {
            for j in 0..r {
                assert!(
                    close(imm.mixing_probability(i, j), omega[(i, j)], tol),
                    "w {k}"
                );
            }
        }
        assert_slice_close(imm.mode_probabilities(), &floats(&s["cbar"]), tol, "cbar");
        for j in 0..r {
            let (x0, p0) = imm.mixed_estimate(j);
            assert_close(
                x0,
                &vector::<N>(&s["mixed_x"][j]),
                tol,
                &format!("x0 {k} {j}"),
            );
            assert_close(p0, &matrix::<N, N>(&s["mixed_p"][j]), tol, "P0");
            let (xj, _) = imm.modes()[j].lifted();
            assert_close(&xj, &vector::<N>(&s["pred_x"][j]), tol, "x- mode");
        }
        let (x, p) = imm.estimate();
        assert_close(
            &x,
            &vector::<N>(&s["prior_x_cbar"]),
            tol,
            "x- (cbar weights)",
        );
        assert_close(
            &p,
            &matrix::<N, N>(&s["prior_p_cbar"]),
            tol,
            "P- (cbar weights)",
        );

        let ll = imm.update(&vector::<2>(&s["z"])).unwrap();
        let lls = floats(&s["log_likelihood"]);
        assert_slice_close(imm.log_likelihoods(), &lls, tol, "mode log-likelihoods");
        // ln sum_j cbar_j N_j, from FilterPy's numbers
        let cbar = floats(&s["cbar"]);
        let mixture: f64 = cbar.iter().zip(&lls).map(|(c, l)| c * l.exp()).sum();
        assert!(close(ll, mixture.ln(), tol), "{ll} vs {}", mixture.ln());
        let mu = floats(&s["mu"]);
        assert_slice_close(imm.mode_probabilities(), &mu, tol, &format!("mu {k}"));
        switched |= mu.iter().skip(1).any(|m| *m > 0.5);
        let (x, p) = imm.estimate();
        assert_close(&x, &vector::<N>(&s["x"]), tol, &format!("x+ {k}"));
        assert_close(&p, &matrix::<N, N>(&s["p"]), tol, "P+");
        for j in 0..r {
            let (xj, pj) = imm.modes()[j].lifted();
            assert_close(&xj, &vector::<N>(&s["post_x"][j]), tol, "x+ mode");
            assert_close(&pj, &matrix::<N, N>(&s["post_p"][j]), tol, "P+ mode");
        }
    }
    assert!(
        switched,
        "the scenario should make another mode dominant at some point"
    );
}

#[test]
fn two_kalman_modes_match_filterpy() {
    let fx = fixture("imm_cv2.json");
    check_against_filterpy(&fx, fixture_imm::<4>(&fx, Kind::Kalman), 1e-9);
}

#[test]
fn three_kalman_modes_match_filterpy() {
    let fx = fixture("imm_ca3.json");
    check_against_filterpy(&fx, fixture_imm::<6>(&fx, Kind::Kalman), 1e-9);
}

/// The unscented transform is exact on linear models, so an IMM of UKF modes is the same IMM.
#[test]
fn unscented_modes_match_filterpy_kalman_modes() {
    let fx = fixture("imm_cv2.json");
    check_against_filterpy(&fx, fixture_imm::<4>(&fx, Kind::Unscented), 1e-9);
}

/// The fixture's two CV modes, the second carried as a 5-state filter `[x, vx, y, vy, e]` with
/// a decoupled random-walk component `e` that the sensor does not see.
fn mixed_size_imm(fx: &Value, fill: MixingFill) -> ImmEstimator<5, 2> {
    let extra = &fx["extra"];
    let (e0, v0, q_e) = (
        extra["e0"].as_f64().unwrap(),
        extra["v0"].as_f64().unwrap(),
        extra["q"].as_f64().unwrap(),
    );
    let (fill_mean, fill_var) = (
        extra["fill_mean"].as_f64().unwrap(),
        extra["fill_var"].as_f64().unwrap(),
    );
    let h4: SMatrix<f64, 2, 4> = matrix(&fx["h"]);
    let r2: SMatrix<f64, 2, 2> = matrix(&fx["r"]);
    let m0 = &fx["modes"][0];
    let m1 = &fx["modes"][1];
    let small = Mode::new(
        KalmanFilter::new(vector::<4>(&m0["x0"]), matrix(&m0["p0"])).unwrap(),
        Fixed::<4> {
            f: matrix(&m0["f"]),
            q: matrix(&m0["q"]),
        },
        LinearGaussianMeasurement::<4, 2>::new(h4, r2).unwrap(),
    );
    let grow = |m: SMatrix<f64, 4, 4>, corner: f64| {
        let mut g = SMatrix::<f64, 5, 5>::zeros();
        g.fixed_view_mut::<4, 4>(0, 0).copy_from(&m);
        g[(4, 4)] = corner;
        g
    };
    let x1 = vector::<4>(&m1["x0"]);
    let mut h5 = SMatrix::<f64, 2, 5>::zeros();
    h5.fixed_view_mut::<2, 4>(0, 0).copy_from(&h4);
    let large = Mode::new(
        KalmanFilter::new(
            SVector::<f64, 5>::from_fn(|i, _| if i < 4 { x1[i] } else { e0 }),
            grow(matrix(&m1["p0"]), v0),
        )
        .unwrap(),
        Fixed::<5> {
            f: grow(matrix(&m1["f"]), 1.0),
            q: grow(matrix(&m1["q"]), q_e),
        },
        LinearGaussianMeasurement::<5, 2>::new(h5, r2).unwrap(),
    );
    ImmEstimator::new(
        vec![
            embed(
                small,
                Embedding::<4, 5>::new([0, 1, 2, 3])
                    .unwrap()
                    .with_fill(4, fill_mean, fill_var)
                    .unwrap(),
            ),
            embed(large, Embedding::<5, 5>::identity().unwrap()),
        ],
        &dmatrix(&fx["transition"]),
        &floats(&fx["mu0"]),
    )
    .unwrap()
    .with_mixing_fill(fill)
}

#[test]
fn modes_of_different_sizes_reproduce_the_same_size_imm() {
    let fx = fixture("imm_cv2.json");
    for fill in [MixingFill::Constant, MixingFill::TargetEstimate] {
        let mut same = fixture_imm::<4>(&fx, Kind::Kalman);
        let mut mixed = mixed_size_imm(&fx, fill);
        for (k, s) in fx["steps"].as_array().unwrap().iter().enumerate() {
            same.predict(1.0).unwrap();
            mixed.predict(1.0).unwrap();
            // the extra component, mixed into the 5-state mode (hand-computed in the script)
            let (x0, p0) = mixed.mixed_estimate(1);
            match fill {
                MixingFill::Constant if k == 0 => {
                    let want = floats(&s["extra_mixed_constant"]);
                    assert!(close(x0[4], want[0], 1e-12) && close(p0[(4, 4)], want[1], 1e-12));
                }
                MixingFill::TargetEstimate => {
                    let want = floats(&s["extra_mixed_target"]);
                    assert!(
                        close(x0[4], want[0], 1e-12),
                        "{k}: {} vs {}",
                        x0[4],
                        want[0]
                    );
                    assert!(close(p0[(4, 4)], want[1], 1e-12), "{k}");
                    // and it stays uncorrelated with the rest (to rounding of sum_i w_ij = 1)
                    assert!(p0.row(4).columns(0, 4).iter().all(|v| v.abs() < 1e-12));
                }
                _ => {}
            }
            let z = vector::<2>(&s["z"]);
            let (a, b) = (same.update(&z).unwrap(), mixed.update(&z).unwrap());
            assert!(close(b, a, 1e-12));
            assert_slice_close(
                mixed.mode_probabilities(),
                same.mode_probabilities(),
                1e-12,
                "mu",
            );
            assert_slice_close(
                mixed.mode_probabilities(),
                &floats(&s["mu"]),
                1e-9,
                "FilterPy",
            );
            let (xs, ps) = same.estimate();
            let (xm, pm) = mixed.estimate();
            assert_close(&xm.fixed_rows::<4>(0).into_owned(), &xs, 1e-12, "x shared");
            assert_close(
                &pm.fixed_view::<4, 4>(0, 0).into_owned(),
                &ps,
                1e-12,
                "P shared",
            );
            for j in 0..2 {
                let (xa, pa) = same.modes()[j].lifted();
                let (xb, pb) = mixed.modes()[j].lifted();
                assert_close(&xb.fixed_rows::<4>(0).into_owned(), &xa, 1e-12, "mode x");
                assert_close(
                    &pb.fixed_view::<4, 4>(0, 0).into_owned(),
                    &pa,
                    1e-12,
                    "mode P",
                );
            }
        }
    }
}

/// A target flying straight, turning at 0.2 rad/s for 40 s, then straight again; CV (KF), CT
/// (EKF) and CA (KF) modes in the common state [x, vx, y, vy, omega, ax, ay].
#[test]
fn cv_ct_ca_imm_follows_a_turn() {
    let dt = 1.0;
    let sigma = 5.0;
    let mut rng = rand::rngs::StdRng::seed_from_u64(2024);
    let noise = Normal::new(0.0, sigma).unwrap();
    let (mut pos, mut vel) = (Vector2::new(0.0, 0.0), Vector2::new(20.0, 0.0));
    let mut truth = Vec::new();
    let mut zs = Vec::new();
    for k in 0..120 {
        let w: f64 = if (40..80).contains(&k) { 0.2 } else { 0.0 };
        let (s, c) = (w * dt).sin_cos();
        let v = Vector2::new(c * vel.x - s * vel.y, s * vel.x + c * vel.y);
        pos += if w == 0.0 {
            vel * dt
        } else {
            Vector2::new(
                (s * vel.x - (1.0 - c) * vel.y) / w,
                ((1.0 - c) * vel.x + s * vel.y) / w,
            )
        };
        vel = v;
        truth.push(pos);
        zs.push(pos + Vector2::new(noise.sample(&mut rng), noise.sample(&mut rng)));
    }
    let cv = ConstantVelocity::new(0.5).unwrap();
    let ct = CoordinatedTurn::new(0.5, 1e-3).unwrap();
    let ca = ConstantAcceleration::new(0.5).unwrap();
    let x0 = [zs[0].x, 20.0, zs[0].y, 0.0];
    let p_pos = sigma * sigma;
    let cv_mode = Mode::new(
        KalmanFilter::new(
            SVector::<f64, 4>::from(x0),
            SMatrix::<f64, 4, 4>::from_diagonal(&SVector::from([p_pos, 25.0, p_pos, 25.0])),
        )
        .unwrap(),
        cv,
        PositionMeasurement::<4>::new(ConstantVelocity::POSITION, sigma).unwrap(),
    );
    let ct_mode = Mode::new(
        ExtendedKalmanFilter::new(
            SVector::<f64, 5>::from([x0[0], x0[1], x0[2], x0[3], 0.0]),
            SMatrix::<f64, 5, 5>::from_diagonal(&SVector::from([p_pos, 25.0, p_pos, 25.0, 0.01])),
        )
        .unwrap(),
        ct,
        PositionMeasurement::<5>::new(CoordinatedTurn::POSITION, sigma).unwrap(),
    );
    let ca_mode = Mode::new(
        KalmanFilter::new(
            SVector::<f64, 6>::from([x0[0], x0[1], 0.0, x0[2], x0[3], 0.0]),
            SMatrix::<f64, 6, 6>::from_diagonal(&SVector::from([
                p_pos, 25.0, 1.0, p_pos, 25.0, 1.0,
            ])),
        )
        .unwrap(),
        ca,
        PositionMeasurement::<6>::new(ConstantAcceleration::POSITION, sigma).unwrap(),
    );
    let transition = DMatrix::from_row_slice(
        3,
        3,
        &[0.95, 0.025, 0.025, 0.025, 0.95, 0.025, 0.025, 0.025, 0.95],
    );
    let mut imm = ImmEstimator::<7, 2>::new(
        vec![
            embed(cv_mode.clone(), Embedding::new([0, 1, 2, 3]).unwrap()),
            embed(ct_mode, Embedding::new([0, 1, 2, 3, 4]).unwrap()),
            embed(ca_mode, Embedding::new([0, 1, 5, 2, 3, 6]).unwrap()),
        ],
        &transition,
        &[1.0 / 3.0; 3],
    )
    .unwrap();
    let mut alone = cv_mode;
    let (mut ct_turn, mut ct_straight) = (0.0, 0.0);
    let (mut se_imm, mut se_cv) = (0.0, 0.0);
    for (k, z) in zs.iter().enumerate().skip(1) {
        imm.predict(dt).unwrap();
        imm.update(z).unwrap();
        alone.predict(dt).unwrap();
        alone.update(z).unwrap();
        let mu_ct = imm.mode_probabilities()[1];
        let (x, p) = imm.estimate();
        assert!(x.iter().chain(p.iter()).all(|v| v.is_finite()));
        let eig = p.symmetric_eigenvalues();
        assert!(eig.min() >= -1e-9 * eig.max(), "P not PSD at {k}: {eig}");
        if (50..80).contains(&k) {
            ct_turn += mu_ct / 30.0;
            let t = truth[k];
            se_imm += (Vector2::new(x[0], x[2]) - t).norm_squared();
            let a = alone.state();
            se_cv += (Vector2::new(a[0], a[2]) - t).norm_squared();
            // the turn rate of the combined estimate is the CT mode's, weighted by mu_CT
            assert!(x[4] > 0.0);
        } else if k >= 10 && !(40..90).contains(&k) {
            ct_straight += mu_ct / 70.0;
        }
    }
    eprintln!(
        "mu_CT turn {ct_turn} straight {ct_straight}; squared errors IMM {se_imm} CV {se_cv}"
    );
    assert!(ct_turn > 0.5, "CT should dominate the turn: {ct_turn}");
    assert!(
        ct_turn > ct_straight + 0.2,
        "turn {ct_turn}, straight {ct_straight}"
    );
    assert!(
        se_imm < 0.5 * se_cv,
        "IMM {se_imm} vs CV alone {se_cv} during the turn"
    );
}

/// Wraps a mode and fails on demand (to check that the IMM undoes a half-done step).
struct Flaky<T> {
    inner: T,
    fail: Arc<AtomicBool>,
    zero_likelihood: Arc<AtomicBool>,
}

impl<T: ModeFilter<4, 2>> ModeFilter<4, 2> for Flaky<T> {
    fn state(&self) -> &SVector<f64, 4> {
        self.inner.state()
    }
    fn covariance(&self) -> &SMatrix<f64, 4, 4> {
        self.inner.covariance()
    }
    fn set_estimate(
        &mut self,
        x: SVector<f64, 4>,
        p: SMatrix<f64, 4, 4>,
    ) -> Result<(), EstimationError> {
        self.inner.set_estimate(x, p)
    }
    fn predict(&mut self, dt: f64) -> Result<(), EstimationError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(EstimationError::NonFinite { what: "test" });
        }
        self.inner.predict(dt)
    }
    fn update(&mut self, z: &SVector<f64, 2>) -> Result<Innovation<2>, EstimationError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(EstimationError::NotPositiveDefinite { what: "test" });
        }
        let mut innovation = self.inner.update(z)?;
        if self.zero_likelihood.load(Ordering::SeqCst) {
            innovation.log_likelihood = f64::NEG_INFINITY;
        }
        Ok(innovation)
    }
}

fn flaky_imm(fail: &Arc<AtomicBool>, zero: &Arc<AtomicBool>) -> ImmEstimator<4, 2> {
    let gps = PositionMeasurement::<4>::new(ConstantVelocity::POSITION, 1.0).unwrap();
    let kf = KalmanFilter::new(SVector::zeros(), SMatrix::identity() * 4.0).unwrap();
    let wrap = |q: f64| Flaky {
        inner: Mode::new(kf.clone(), ConstantVelocity::new(q).unwrap(), gps),
        fail: fail.clone(),
        zero_likelihood: zero.clone(),
    };
    let t = DMatrix::from_row_slice(2, 2, &[0.9, 0.1, 0.2, 0.8]);
    ImmEstimator::new(
        vec![
            embed(
                Mode::new(kf.clone(), ConstantVelocity::new(0.01).unwrap(), gps),
                Embedding::identity().unwrap(),
            ),
            embed(wrap(3.0), Embedding::identity().unwrap()),
        ],
        &t,
        &[0.7, 0.3],
    )
    .unwrap()
}

fn snapshot(imm: &ImmEstimator<4, 2>) -> Vec<f64> {
    let mut v = imm.mode_probabilities().to_vec();
    for m in imm.modes() {
        let (x, p) = m.lifted();
        v.extend(x.iter().chain(p.iter()));
    }
    v
}

#[test]
fn rejected_steps_leave_the_imm_unchanged_and_usable() {
    let (fail, zero) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let never = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let mut imm = flaky_imm(&fail, &zero);
    let mut reference = flaky_imm(&never.0, &never.1);
    let z = |k: usize| Vector2::new(k as f64 * 1.1, 0.3 * k as f64);
    for k in 0..12 {
        imm.predict(1.0).unwrap();
        reference.predict(1.0).unwrap();
        let before = snapshot(&imm);
        assert!(imm.update(&Vector2::new(f64::NAN, 0.0)).is_err());
        fail.store(true, Ordering::SeqCst);
        // the first mode has updated when the second fails: it must be put back
        assert_eq!(
            imm.update(&z(k)),
            Err(EstimationError::NotPositiveDefinite { what: "test" })
        );
        fail.store(false, Ordering::SeqCst);
        assert_eq!(snapshot(&imm), before, "update {k}");
        let a = imm.update(&z(k)).unwrap();
        let b = reference.update(&z(k)).unwrap();
        assert_eq!(a, b);
        assert_eq!(snapshot(&imm), snapshot(&reference));

        let before = snapshot(&imm);
        fail.store(true, Ordering::SeqCst);
        assert!(imm.predict(1.0).is_err());
        fail.store(false, Ordering::SeqCst);
        assert!(imm.predict(f64::INFINITY).is_err());
        assert_eq!(snapshot(&imm), before, "predict {k}");
    }
    // a mode with zero likelihood gets probability zero, the others share the rest
    imm.predict(1.0).unwrap();
    zero.store(true, Ordering::SeqCst);
    imm.update(&z(12)).unwrap();
    assert_eq!(imm.mode_probabilities(), &[1.0, 0.0]);
    // every mode impossible (a single mode with zero likelihood): rejected, nothing changes
    let one_mode = ImmEstimator::<4, 2>::new(
        vec![embed(
            Flaky {
                inner: Mode::new(
                    KalmanFilter::new(SVector::zeros(), SMatrix::identity()).unwrap(),
                    ConstantVelocity::new(1.0).unwrap(),
                    PositionMeasurement::<4>::new(ConstantVelocity::POSITION, 1.0).unwrap(),
                ),
                fail: Arc::new(AtomicBool::new(false)),
                zero_likelihood: Arc::new(AtomicBool::new(true)),
            },
            Embedding::identity().unwrap(),
        )],
        &DMatrix::from_element(1, 1, 1.0),
        &[1.0],
    );
    let mut one_mode = one_mode.unwrap();
    let before = snapshot(&one_mode);
    assert!(matches!(
        one_mode.update(&Vector2::new(0.0, 0.0)),
        Err(EstimationError::DegenerateWeights(_))
    ));
    assert_eq!(snapshot(&one_mode), before);
}

fn two_cv_modes() -> Vec<BoxedMode<4, 2>> {
    let gps = PositionMeasurement::<4>::new(ConstantVelocity::POSITION, 1.0).unwrap();
    let kf = KalmanFilter::new(SVector::zeros(), SMatrix::identity()).unwrap();
    (0..2)
        .map(|_| {
            embed(
                Mode::new(kf.clone(), ConstantVelocity::new(1.0).unwrap(), gps),
                Embedding::identity().unwrap(),
            )
        })
        .collect()
}

#[test]
fn invalid_transition_matrices_and_probabilities_are_rejected() {
    let t = |v: &[f64]| DMatrix::from_row_slice(2, 2, v);
    let err = |m: DMatrix<f64>, mu: &[f64]| ImmEstimator::new(two_cv_modes(), &m, mu).unwrap_err();
    let reason = |e: EstimationError| match e {
        EstimationError::InvalidParameter { name, reason } => format!("{name}: {reason}"),
        e => panic!("unexpected {e:?}"),
    };
    assert_eq!(
        reason(err(t(&[0.9, 0.1, 0.3, 0.6]), &[0.5, 0.5])),
        "transition matrix: row 1 sums to 0.8999999999999999, not 1"
    );
    assert_eq!(
        reason(err(t(&[1.2, -0.2, 0.5, 0.5]), &[0.5, 0.5])),
        "transition matrix: row 0, entry 1 is -0.2: probabilities must be finite and >= 0"
    );
    assert!(reason(err(t(&[f64::NAN, 1.0, 0.5, 0.5]), &[0.5, 0.5])).contains("NaN"));
    assert!(reason(err(t(&[0.9, 0.1, 0.1, 0.9]), &[0.5, 0.6])).contains("sums to 1.1"));
    assert!(reason(err(t(&[0.9, 0.1, 0.1, 0.9]), &[1.5, -0.5])).contains("-0.5"));
    assert_eq!(
        err(DMatrix::from_element(3, 3, 1.0 / 3.0), &[0.5, 0.5]),
        EstimationError::DimensionMismatch {
            what: "transition matrix rows",
            expected: 2,
            found: 3
        }
    );
    assert_eq!(
        err(DMatrix::from_element(2, 3, 1.0 / 3.0), &[0.5, 0.5]),
        EstimationError::DimensionMismatch {
            what: "transition matrix columns",
            expected: 2,
            found: 3
        }
    );
    assert_eq!(
        err(t(&[0.9, 0.1, 0.1, 0.9]), &[1.0]),
        EstimationError::DimensionMismatch {
            what: "initial mode probabilities",
            expected: 2,
            found: 1
        }
    );
    assert!(ImmEstimator::new(two_cv_modes(), &t(&[0.9, 0.1, 0.1, 0.9]), &[0.5, 0.5]).is_ok());
}

/// A mode that no row leads to (a zero column) keeps its estimate and probability zero.
#[test]
fn unreachable_mode_has_zero_probability() {
    let t = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 1.0, 0.0]);
    let mut imm = ImmEstimator::new(two_cv_modes(), &t, &[0.5, 0.5]).unwrap();
    for k in 0..5 {
        imm.predict(1.0).unwrap();
        assert_eq!(imm.mode_probabilities(), &[1.0, 0.0]);
        assert_eq!(imm.mixing_probability(1, 1), 1.0);
        assert_eq!(imm.mixing_probability(0, 1), 0.0);
        imm.update(&Vector2::new(k as f64, 0.0)).unwrap();
        assert_eq!(imm.mode_probabilities(), &[1.0, 0.0]);
        let (x, p) = imm.estimate();
        assert!(x.iter().chain(p.iter()).all(|v| v.is_finite()));
    }
}
