//! Every analytic adjoint and the whole horizon-cost gradient against central finite
//! differences (relative agreement 1e-6 in f64), at seeded random points.

use kestrel::control::{
    horizon_cost, horizon_cost_gradient, BicycleDynamics, CircleObstacles, ControlEffort,
    ControlRate, CostTerm, DistanceGrid, Dynamics, LaneKeeping, ObstaclePenalty, StateTracking,
    StraightLane, TruckTrailer, UnicycleDynamics,
};
use kestrel::geometry::Circle;
use nalgebra::{Point2, SVector, Vector1, Vector2, Vector3, Vector4};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const REL: f64 = 1e-6;

fn random<const D: usize>(rng: &mut StdRng, lo: f64, hi: f64) -> SVector<f64, D> {
    SVector::from_fn(|_, _| rng.random_range(lo..hi))
}

fn assert_close<const D: usize>(analytic: &SVector<f64, D>, numeric: &SVector<f64, D>, what: &str) {
    let scale = analytic.amax().max(1e-12);
    let err = (analytic - numeric).amax();
    assert!(
        err <= REL * scale,
        "{what}: analytic {analytic:?} vs finite differences {numeric:?} (relative error {:e})",
        err / scale
    );
}

/// Central differences of `lambda . f(x, u)` with respect to x and u.
fn fd_vjp<D: Dynamics<N, M>, const N: usize, const M: usize>(
    d: &D,
    x: &SVector<f64, N>,
    u: &SVector<f64, M>,
    l: &SVector<f64, N>,
) -> (SVector<f64, N>, SVector<f64, M>) {
    let phi = |x: &SVector<f64, N>, u: &SVector<f64, M>| l.dot(&d.step(x, u));
    let mut gx = SVector::zeros();
    for i in 0..N {
        let h = 1e-5 * x[i].abs().max(1.0);
        let (mut xp, mut xm) = (*x, *x);
        xp[i] += h;
        xm[i] -= h;
        gx[i] = (phi(&xp, u) - phi(&xm, u)) / (2.0 * h);
    }
    let mut gu = SVector::zeros();
    for i in 0..M {
        let h = 1e-6 * u[i].abs().max(1.0);
        let (mut up, mut um) = (*u, *u);
        up[i] += h;
        um[i] -= h;
        gu[i] = (phi(x, &up) - phi(x, &um)) / (2.0 * h);
    }
    (gx, gu)
}

fn check_vjp<D: Dynamics<N, M>, const N: usize, const M: usize>(
    d: &D,
    name: &str,
    mut sample: impl FnMut(&mut StdRng) -> (SVector<f64, N>, SVector<f64, M>),
) {
    let mut rng = StdRng::seed_from_u64(20_240_301);
    for trial in 0..50 {
        let (x, u) = sample(&mut rng);
        let l = random::<N>(&mut rng, -2.0, 2.0);
        let (ax, au) = d.vjp(&x, &u, &l);
        let (nx, nu) = fd_vjp(d, &x, &u, &l);
        assert_close(&ax, &nx, &format!("{name} trial {trial}: (df/dx)^T lambda"));
        assert_close(&au, &nu, &format!("{name} trial {trial}: (df/du)^T lambda"));
    }
}

#[test]
fn unicycle_adjoint_matches_finite_differences() {
    let d = UnicycleDynamics::unicycle(0.2).unwrap();
    check_vjp(&d, "unicycle", |rng| {
        (random(rng, -3.0, 3.0), random(rng, -2.0, 2.0))
    });
}

#[test]
fn bicycle_adjoint_matches_finite_differences() {
    let d = BicycleDynamics::bicycle(2.5, 0.1).unwrap();
    check_vjp(&d, "bicycle", |rng| {
        (
            random(rng, -5.0, 5.0),
            Vector2::new(rng.random_range(-3.0..3.0), rng.random_range(-0.5..0.5)),
        )
    });
}

#[test]
fn truck_trailer_adjoint_matches_finite_differences() {
    let d = TruckTrailer::course();
    check_vjp(&d, "truck", |rng| {
        let x = Vector4::new(
            rng.random_range(0.0..40.0),
            rng.random_range(-10.0..10.0),
            rng.random_range(-3.0..3.0),
            rng.random_range(-3.0..3.0),
        );
        (x, Vector1::new(rng.random_range(-0.78..0.78)))
    });
    // The historical rig (cab 6, trailer 14, +-70 degrees, 0.2 per step) too.
    let d = TruckTrailer::new(-0.2, 6.0, 14.0, 1.0, 70f64.to_radians()).unwrap();
    check_vjp(&d, "historical truck", |rng| {
        (
            random(rng, -3.0, 3.0),
            Vector1::new(rng.random_range(-1.2..1.2)),
        )
    });
}

#[test]
fn truck_trailer_step_is_the_course_update() {
    // Hand-evaluated course update from (x, y, theta0, theta1) = (10, 2, 0.3, -0.2), phi = 0.4:
    // every right-hand side uses the state before the step.
    let d = TruckTrailer::course();
    let x = Vector4::new(10.0, 2.0, 0.3, -0.2);
    let next = d.step(&x, &Vector1::new(0.4));
    let s = -0.1;
    let expected = Vector4::new(
        10.0 + s * 0.3f64.cos(),
        2.0 + s * 0.3f64.sin(),
        0.3 + s * 0.4f64.tan(),
        -0.2 + s / 4.0 * 0.5f64.sin(),
    );
    assert!((next - expected).amax() < 1e-15);
    assert!(!d.is_jackknifed(&x));
    assert!(d.is_jackknifed(&Vector4::new(0.0, 0.0, 0.2, 0.2 + 1.6)));
    // Wrapped: theta0 - theta1 = 2 pi - 0.1 is a small hitch angle, not a jack-knife.
    assert!(!d.is_jackknifed(&Vector4::new(0.0, 0.0, std::f64::consts::TAU - 0.05, 0.05)));
    let rear = d.trailer_rear(&Vector4::new(10.0, 2.0, 0.0, std::f64::consts::FRAC_PI_2));
    assert!((rear - Vector2::new(10.0, -2.0)).amax() < 1e-12);
}

/// Central differences of the horizon cost with respect to every action component.
fn check_horizon_gradient<D, C, const N: usize, const M: usize>(
    d: &D,
    cost: &C,
    x0: &SVector<f64, N>,
    u_prev: &SVector<f64, M>,
    actions: &[SVector<f64, M>],
    name: &str,
) where
    D: Dynamics<N, M>,
    C: CostTerm<N, M>,
{
    let h_len = actions.len();
    let mut states = vec![SVector::zeros(); h_len + 1];
    let mut grad = vec![SVector::zeros(); h_len];
    let j = horizon_cost_gradient(d, cost, x0, u_prev, actions, &mut states, &mut grad).unwrap();
    let j_fwd = horizon_cost(d, cost, x0, u_prev, actions, &mut states).unwrap();
    assert_eq!(
        j, j_fwd,
        "{name}: forward-only and adjoint passes disagree on the cost"
    );
    let mut perturbed = actions.to_vec();
    let scale = grad.iter().map(|g| g.amax()).fold(0.0, f64::max);
    for t in 0..h_len {
        for i in 0..M {
            let h = 1e-6 * actions[t][i].abs().max(1.0);
            perturbed[t][i] = actions[t][i] + h;
            let jp = horizon_cost(d, cost, x0, u_prev, &perturbed, &mut states).unwrap();
            perturbed[t][i] = actions[t][i] - h;
            let jm = horizon_cost(d, cost, x0, u_prev, &perturbed, &mut states).unwrap();
            perturbed[t][i] = actions[t][i];
            let fd = (jp - jm) / (2.0 * h);
            let err = (fd - grad[t][i]).abs();
            assert!(
                err <= REL * scale,
                "{name}: dJ/du[{t}][{i}] adjoint {} vs finite differences {fd} (relative {:e})",
                grad[t][i],
                err / scale
            );
        }
    }
}

#[test]
fn bicycle_horizon_gradient_with_every_term() {
    let mut rng = StdRng::seed_from_u64(11);
    let d = BicycleDynamics::bicycle(2.5, 0.1).unwrap();
    let horizon = 20;
    let w = Vector4::new(10.0, 10.0, 1.0, 1.0);
    let mut tracking = StateTracking::new(w, w * 10.0, horizon)
        .unwrap()
        .with_angles([false, false, true, false]);
    for (k, r) in tracking.reference_mut().iter_mut().enumerate() {
        let x = 0.6 * k as f64;
        *r = Vector4::new(x, 3.0 * (x / 6.4).sin(), 0.4 * (x / 6.4).cos(), 6.0);
    }
    let circles = vec![
        Circle::new(Point2::new(4.0, 1.5), 1.0).unwrap(),
        Circle::new(Point2::new(8.0, -0.5), 0.7).unwrap(),
    ];
    let cost = (
        tracking,
        ControlEffort::new(Vector2::new(0.1, 1.0)).unwrap(),
        ControlRate::new(Vector2::new(0.5, 10.0)).unwrap(),
        CircleObstacles::new(circles, 2.0, 50.0, [0, 1]).unwrap(),
        LaneKeeping::new(
            StraightLane::new(Vector2::zeros(), 0.1).unwrap(),
            0.5,
            0.8,
            20.0,
            [0, 1],
        )
        .unwrap(),
    );
    for trial in 0..5 {
        let actions: Vec<Vector2<f64>> = (0..horizon)
            .map(|_| Vector2::new(rng.random_range(-3.0..3.0), rng.random_range(-0.5..0.5)))
            .collect();
        let x0 = Vector4::new(
            0.0,
            rng.random_range(-1.0..1.0),
            rng.random_range(-0.3..0.3),
            4.0,
        );
        let u_prev = Vector2::new(0.5, rng.random_range(-0.5..0.5));
        check_horizon_gradient(
            &d,
            &cost,
            &x0,
            &u_prev,
            &actions,
            &format!("bicycle trial {trial}"),
        );
    }
}

#[test]
fn unicycle_horizon_gradient_with_distance_fields() {
    let mut rng = StdRng::seed_from_u64(12);
    let d = UnicycleDynamics::unicycle(0.1).unwrap();
    let horizon = 15;
    let mut goal = StateTracking::new(
        Vector3::new(1.0, 1.0, 0.1),
        Vector3::new(20.0, 20.0, 1.0),
        horizon,
    )
    .unwrap()
    .with_angles([false, false, true]);
    goal.reference_mut().fill(Vector3::new(3.0, 0.5, 3.0));
    // An analytic field (closure) and a sampled grid of the distance to a circle at (1.5, 0.2).
    let field = |p: &Vector2<f64>| {
        let v = p - Vector2::new(1.5, 0.2);
        let n = v.norm();
        (n - 0.5, v / n)
    };
    let grid = DistanceGrid::from_fn(Vector2::new(-2.0, -3.0), 0.25, 25, 25, |p| {
        (p - Vector2::new(1.0, -0.5)).norm() - 0.4
    })
    .unwrap();
    let cost = (
        goal,
        ControlEffort::new(Vector2::new(0.2, 0.1)).unwrap(),
        ControlRate::new(Vector2::new(1.0, 1.0)).unwrap(),
        ObstaclePenalty::new(field, 1.5, 30.0, [0, 1]).unwrap(),
        ObstaclePenalty::new(grid, 1.0, 30.0, [0, 1]).unwrap(),
    );
    for trial in 0..5 {
        let actions: Vec<Vector2<f64>> = (0..horizon)
            .map(|_| random::<2>(&mut rng, -1.5, 1.5))
            .collect();
        let x0 = Vector3::new(
            rng.random_range(-0.5..0.5),
            rng.random_range(-0.5..0.5),
            rng.random_range(-3.0..3.0),
        );
        check_horizon_gradient(
            &d,
            &cost,
            &x0,
            &Vector2::zeros(),
            &actions,
            &format!("unicycle trial {trial}"),
        );
    }
}

#[test]
fn truck_horizon_gradient() {
    let mut rng = StdRng::seed_from_u64(13);
    let d = TruckTrailer::course();
    let horizon = 60;
    let mut track = StateTracking::new(
        Vector4::new(0.1, 1.0, 0.5, 2.0),
        Vector4::new(10.0, 10.0, 1.0, 30.0),
        horizon,
    )
    .unwrap()
    .with_angles([false, false, true, true]);
    track.reference_mut().fill(Vector4::new(4.0, 0.0, 0.0, 0.0));
    let cost = (track, ControlRate::new(Vector1::new(1.0)).unwrap());
    for trial in 0..3 {
        let actions: Vec<Vector1<f64>> = (0..horizon)
            .map(|_| Vector1::new(rng.random_range(-0.7..0.7)))
            .collect();
        let x0 = Vector4::new(
            12.0,
            rng.random_range(-3.0..3.0),
            rng.random_range(-0.5..0.5),
            rng.random_range(-0.5..0.5),
        );
        check_horizon_gradient(
            &d,
            &cost,
            &x0,
            &Vector1::zeros(),
            &actions,
            &format!("truck trial {trial}"),
        );
    }
}
