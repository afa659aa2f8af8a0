//! models::kinematics: rate Jacobians and RK4 Jacobians against finite differences, RK4 against
//! closed-form motion, and the Unicycle / KinematicBicycle motion models (noise, masks, errors).

use kestrel::models::kinematics::{
    rk4_jacobians, rk4_step, rk4_vjp, BicycleKinematics, ContinuousDynamics, KinematicBicycle,
    Unicycle, UnicycleKinematics,
};
use kestrel::models::{ModelError, MotionJacobian, MotionModel};
use nalgebra::{Matrix2, Matrix3, Matrix4, SMatrix, SVector, Vector2, Vector3, Vector4};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn random<const D: usize>(rng: &mut StdRng, lo: f64, hi: f64) -> SVector<f64, D> {
    SVector::from_fn(|_, _| rng.random_range(lo..hi))
}

/// Central-difference Jacobian of `f` at `x`.
fn fd_jacobian<const R: usize, const C: usize>(
    f: impl Fn(&SVector<f64, C>) -> SVector<f64, R>,
    x: &SVector<f64, C>,
) -> SMatrix<f64, R, C> {
    let mut j = SMatrix::<f64, R, C>::zeros();
    for i in 0..C {
        let h = 1e-6 * x[i].abs().max(1.0);
        let (mut xp, mut xm) = (*x, *x);
        xp[i] += h;
        xm[i] -= h;
        j.set_column(i, &((f(&xp) - f(&xm)) / (2.0 * h)));
    }
    j
}

fn assert_rel<const R: usize, const C: usize>(
    a: &SMatrix<f64, R, C>,
    b: &SMatrix<f64, R, C>,
    what: &str,
) {
    let scale = a.amax().max(1e-12);
    assert!((a - b).amax() <= 1e-6 * scale, "{what}:\n{a}\nvs\n{b}");
}

fn check_system<S: ContinuousDynamics<N, M>, const N: usize, const M: usize>(
    system: &S,
    sample: impl Fn(&mut StdRng) -> (SVector<f64, N>, SVector<f64, M>),
) {
    let mut rng = StdRng::seed_from_u64(5);
    for _ in 0..30 {
        let (x, u) = sample(&mut rng);
        let (a, b) = system.rate_jacobians(&x, &u);
        assert_rel(&a, &fd_jacobian(|x| system.rate(x, &u), &x), "A = df/dx");
        assert_rel(&b, &fd_jacobian(|u| system.rate(&x, u), &u), "B = df/du");
        let g = random::<N>(&mut rng, -1.0, 1.0);
        let (f, atg, btg) = system.rate_vjp(&x, &u, &g);
        assert!((f - system.rate(&x, &u)).amax() < 1e-14);
        assert!((atg - a.transpose() * g).amax() < 1e-12);
        assert!((btg - b.transpose() * g).amax() < 1e-12);
        for dt in [0.05, 0.5] {
            let (fx, gu) = rk4_jacobians(system, &x, &u, dt);
            assert_rel(
                &fx,
                &fd_jacobian(|x| rk4_step(system, x, &u, dt), &x),
                "F = dx+/dx",
            );
            assert_rel(
                &gu,
                &fd_jacobian(|u| rk4_step(system, &x, u, dt), &u),
                "G = dx+/du",
            );
            let (lx, lu) = rk4_vjp(system, &x, &u, dt, &g);
            assert!((lx - fx.transpose() * g).amax() < 1e-12 * fx.amax().max(1.0));
            assert!((lu - gu.transpose() * g).amax() < 1e-12 * gu.amax().max(1.0));
        }
    }
}

#[test]
fn unicycle_jacobians_match_finite_differences() {
    check_system(&UnicycleKinematics, |rng| {
        (random(rng, -3.0, 3.0), random(rng, -2.0, 2.0))
    });
}

#[test]
fn bicycle_jacobians_match_finite_differences() {
    let bike = BicycleKinematics::new(2.5).unwrap();
    check_system(&bike, |rng| {
        (
            random(rng, -5.0, 5.0),
            Vector2::new(rng.random_range(-3.0..3.0), rng.random_range(-0.6..0.6)),
        )
    });
}

#[test]
fn rk4_follows_the_exact_circular_arc() {
    // Constant v and omega: x = (v/w)(sin(th0 + w t) - sin th0), y = (v/w)(cos th0 - cos(th0 + w t)).
    let (v, w, th0, dt) = (2.0, 0.8, 0.3, 0.1);
    let mut x = Vector3::new(0.0, 0.0, th0);
    for _ in 0..50 {
        x = rk4_step(&UnicycleKinematics, &x, &Vector2::new(v, w), dt);
    }
    let t = 5.0;
    let exact = Vector3::new(
        v / w * ((th0 + w * t).sin() - th0.sin()),
        v / w * (th0.cos() - (th0 + w * t).cos()),
        th0 + w * t,
    );
    // Global RK4 error O(dt^4): (w dt)^4 v / w * t / 120-ish, far below 1e-7 here.
    assert!((x - exact).amax() < 1e-7, "{x} vs {exact}");
}

#[test]
fn rk4_is_exact_for_straight_constant_acceleration() {
    let bike = BicycleKinematics::new(2.5).unwrap();
    let x = rk4_step(
        &bike,
        &Vector4::new(1.0, 2.0, std::f64::consts::FRAC_PI_4, 3.0),
        &Vector2::new(-1.5, 0.0),
        0.7,
    );
    let s = 3.0 * 0.7 - 0.5 * 1.5 * 0.49;
    let r = std::f64::consts::FRAC_1_SQRT_2;
    let expected = Vector4::new(
        1.0 + s * r,
        2.0 + s * r,
        std::f64::consts::FRAC_PI_4,
        3.0 - 1.5 * 0.7,
    );
    assert!((x - expected).amax() < 1e-14);
}

#[test]
fn unicycle_motion_model_noise_and_mask() {
    // Heading 0, omega 0: G = dx+/du = [[dt, 0], [0, v dt^2 / 2], [0, dt]] (exact: RK4 is
    // Simpson's rule here), so Q = G M G^T + Qc dt in closed form.
    let (v, dt, sv2, sw2) = (3.0, 0.5, 0.04, 0.01);
    let qc = Matrix3::from_diagonal(&Vector3::new(0.1, 0.2, 0.3));
    let m = Unicycle::new(v, 0.0)
        .unwrap()
        .with_input_noise(Matrix2::new(sv2, 0.0, 0.0, sw2))
        .unwrap()
        .with_noise_density(qc)
        .unwrap();
    let x = Vector3::new(1.0, -1.0, 0.0);
    let g = SMatrix::<f64, 3, 2>::new(dt, 0.0, 0.0, v * dt * dt / 2.0, 0.0, dt);
    let expected = g * Matrix2::new(sv2, 0.0, 0.0, sw2) * g.transpose() + qc * dt;
    assert!((m.process_noise(&x, dt) - expected).amax() < 1e-14);
    assert_eq!(m.angle_components(), [false, false, true]);
    // F from the closed form: d x+/d theta = -v dt sin 0 = 0, d y+/d theta = v dt.
    let f = m.jacobian(&x, dt);
    assert!((f - Matrix3::new(1.0, 0.0, 0.0, 0.0, 1.0, v * dt, 0.0, 0.0, 1.0)).amax() < 1e-14);
    // The transition wraps the heading.
    let mut turning = m;
    turning.set_input(0.0, 2.0).unwrap();
    let next = turning.transition(&Vector3::new(0.0, 0.0, 3.0), 0.5);
    assert!((next.z - (4.0 - std::f64::consts::TAU)).abs() < 1e-12);
}

#[test]
fn bicycle_motion_model_matches_rk4_and_its_jacobian() {
    let m = KinematicBicycle::new(2.5, 0.5, 0.2)
        .unwrap()
        .with_input_noise(Matrix2::new(0.25, 0.0, 0.0, 0.0025))
        .unwrap();
    let x = Vector4::new(3.0, 1.0, 0.4, 5.0);
    let bike = BicycleKinematics::new(2.5).unwrap();
    assert!(
        (m.transition(&x, 0.1) - rk4_step(&bike, &x, &Vector2::new(0.5, 0.2), 0.1)).amax() < 1e-15
    );
    let fd = fd_jacobian(|x| rk4_step(&bike, x, &Vector2::new(0.5, 0.2), 0.1), &x);
    assert_rel(&m.jacobian(&x, 0.1), &fd, "bicycle F");
    let q = m.process_noise(&x, 0.1);
    assert!((q - q.transpose()).amax() < 1e-15 && q.cholesky().is_none()); // rank 2 of 4
    assert!(q.symmetric_eigenvalues().iter().all(|&l| l > -1e-15));
    assert_eq!(m.angle_components(), [false, false, true, false]);
    // No noise configured: Q = 0.
    let quiet = KinematicBicycle::new(2.5, 0.0, 0.0).unwrap();
    assert_eq!(quiet.process_noise(&x, 0.1), Matrix4::zeros());
}

#[test]
fn bad_parameters_are_typed_errors() {
    assert!(matches!(
        BicycleKinematics::new(0.0),
        Err(ModelError::InvalidParameter { .. })
    ));
    assert!(matches!(
        BicycleKinematics::new(f64::NAN),
        Err(ModelError::InvalidParameter { .. })
    ));
    assert!(matches!(
        Unicycle::new(f64::INFINITY, 0.0),
        Err(ModelError::NonFinite { .. })
    ));
    assert!(matches!(
        KinematicBicycle::new(2.5, 0.0, 1.6),
        Err(ModelError::InvalidParameter { .. })
    ));
    assert!(matches!(
        KinematicBicycle::new(2.5, f64::NAN, 0.0),
        Err(ModelError::NonFinite { .. })
    ));
    let not_psd = Matrix2::new(1.0, 2.0, 2.0, 1.0);
    assert!(matches!(
        Unicycle::new(1.0, 0.0).unwrap().with_input_noise(not_psd),
        Err(ModelError::NotPositiveSemiDefinite { .. })
    ));
    assert!(matches!(
        KinematicBicycle::new(2.5, 0.0, 0.0)
            .unwrap()
            .with_noise_density(Matrix4::repeat(f64::NAN)),
        Err(ModelError::NonFinite { .. })
    ));
    // A rejected input leaves the model unchanged.
    let mut m = Unicycle::new(1.0, 0.5).unwrap();
    assert!(m.set_input(f64::NAN, 0.0).is_err());
    assert_eq!(m.input(), Vector2::new(1.0, 0.5));
}
