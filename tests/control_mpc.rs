//! The shooting MPC against closed-form optima (box-clamped separable problem, finite-horizon
//! LQR by the Riccati recursion), its receding-horizon bookkeeping, and its typed errors.

use kestrel::control::{
    CircleObstacles, ControlEffort, ControlError, ControlRate, CostTerm, Dynamics, MpcConfig,
    QuasiNewton, ShootingMpc, StageGradient, StateTracking, Termination, UnicycleDynamics,
};
use nalgebra::{Matrix1x2, Matrix2, Matrix2x1, Vector1, Vector2, Vector3};

/// Double integrator, dt = 0.2: position and velocity, action acceleration.
#[derive(Clone, Copy)]
struct DoubleIntegrator;

const DT: f64 = 0.2;

impl DoubleIntegrator {
    fn a() -> Matrix2<f64> {
        Matrix2::new(1.0, DT, 0.0, 1.0)
    }
    fn b() -> Matrix2x1<f64> {
        Matrix2x1::new(0.5 * DT * DT, DT)
    }
}

impl Dynamics<2, 1> for DoubleIntegrator {
    fn step(&self, x: &Vector2<f64>, u: &Vector1<f64>) -> Vector2<f64> {
        Self::a() * x + Self::b() * u
    }
    fn vjp(
        &self,
        _x: &Vector2<f64>,
        _u: &Vector1<f64>,
        l: &Vector2<f64>,
    ) -> (Vector2<f64>, Vector1<f64>) {
        (Self::a().transpose() * l, Self::b().transpose() * l)
    }
}

#[test]
fn box_constrained_separable_problem_gives_clamped_targets() {
    // J = sum_t (u - c)^T diag(1, 4) (u - c): the optimum is clamp(c) componentwise.
    let car = UnicycleDynamics::unicycle(0.1).unwrap();
    let config = MpcConfig::new(8, Vector2::new(-1.0, -0.5), Vector2::new(1.0, 0.5));
    for method in [QuasiNewton::Bfgs, QuasiNewton::Lbfgs { memory: 5 }] {
        let mut mpc = ShootingMpc::new(car, MpcConfig { method, ..config }).unwrap();
        let effort = ControlEffort::new(Vector2::new(1.0, 4.0))
            .unwrap()
            .with_nominal(Vector2::new(2.5, -0.2))
            .unwrap();
        let sol = mpc.solve(&Vector3::zeros(), &effort).unwrap();
        for u in &sol.actions {
            assert!(
                (u - Vector2::new(1.0, -0.2)).amax() < 1e-9,
                "{method:?}: {u}"
            );
        }
        // 8 stages of (1 - 2.5)^2 on the clamped component.
        assert!((sol.cost - 8.0 * 2.25).abs() < 1e-12);
        assert_eq!(sol.termination, Termination::Converged);
        assert!(sol.projected_gradient <= 1e-6);
    }
}

#[test]
fn unconstrained_quadratic_matches_finite_horizon_lqr() {
    // Stage cost x^T Q x + u^T R u (t = 0..H-1), terminal x^T Qf x; the Riccati recursion
    // P_H = Qf, K_t = (R + B^T P B)^-1 B^T P A, P_t = Q + A^T P (A - B K_t) gives the optimal
    // cost x0^T P_0 x0 and the optimal actions u_t = -K_t x_t.
    let horizon = 25;
    let q = Vector2::new(1.0, 0.1);
    let qf = Vector2::new(50.0, 5.0);
    let r = 0.05;
    let (a, b) = (DoubleIntegrator::a(), DoubleIntegrator::b());
    let mut p = Matrix2::from_diagonal(&qf);
    let mut gains = vec![Matrix1x2::zeros(); horizon];
    for t in (0..horizon).rev() {
        let k =
            (b.transpose() * p * b).add_scalar(r).try_inverse().unwrap() * b.transpose() * p * a;
        p = Matrix2::from_diagonal(&q) + a.transpose() * p * (a - b * k);
        gains[t] = k;
    }
    let x0 = Vector2::new(3.0, -1.0);
    let optimal_cost = (x0.transpose() * p * x0)[0];
    let mut x = x0;
    let mut optimal_actions = Vec::new();
    for k in &gains {
        let u = -(k * x);
        optimal_actions.push(u);
        x = a * x + b * u;
    }

    let inf = f64::INFINITY;
    for method in [QuasiNewton::Bfgs, QuasiNewton::Lbfgs { memory: 10 }] {
        let mut config = MpcConfig::new(horizon, Vector1::new(-inf), Vector1::new(inf));
        config.method = method;
        config.gradient_tolerance = 1e-9;
        config.cost_tolerance = 0.0;
        config.max_iterations = 1000;
        let mut mpc = ShootingMpc::new(DoubleIntegrator, config).unwrap();
        let cost = (
            StateTracking::new(q, qf, horizon).unwrap(),
            ControlEffort::new(Vector1::new(r)).unwrap(),
        );
        let sol = mpc.solve(&x0, &cost).unwrap();
        assert!(
            (sol.cost - optimal_cost).abs() <= 1e-8 * optimal_cost,
            "{method:?}: {} vs Riccati {optimal_cost} ({:?})",
            sol.cost,
            sol.termination
        );
        for (t, (u, v)) in sol.actions.iter().zip(&optimal_actions).enumerate() {
            assert!((u - v).amax() < 1e-5, "{method:?} action {t}: {u} vs {v}");
        }
        assert!((sol.states[horizon] - x).amax() < 1e-5);
    }
}

#[test]
fn receding_horizon_bookkeeping() {
    let horizon = 6;
    let mut mpc = ShootingMpc::new(
        DoubleIntegrator,
        MpcConfig::new(horizon, Vector1::new(-2.0), Vector1::new(2.0)),
    )
    .unwrap();
    let mut track =
        StateTracking::new(Vector2::new(1.0, 0.0), Vector2::new(10.0, 1.0), horizon).unwrap();
    track.reference_mut().fill(Vector2::new(5.0, 0.0));
    let cost = (track, ControlRate::new(Vector1::new(0.1)).unwrap());
    let plan = mpc.solve(&Vector2::zeros(), &cost).unwrap().clone();
    assert_eq!(plan.states.len(), horizon + 1);
    assert_eq!(plan.actions.len(), horizon);
    assert!(
        plan.cost < plan.initial_cost && plan.iterations > 0 && plan.evaluations > plan.iterations
    );
    // Far from the target: the first actions saturate at the upper bound.
    assert_eq!(plan.actions[0][0], 2.0);
    assert!(plan.actions.iter().all(|u| (-2.0..=2.0).contains(&u[0])));
    // The predicted states are the rollout of the plan.
    let mut x = Vector2::zeros();
    for (t, u) in plan.actions.iter().enumerate() {
        assert!((plan.states[t] - x).amax() < 1e-15);
        x = DoubleIntegrator.step(&x, u);
    }
    mpc.shift();
    assert_eq!(*mpc.previous_action(), plan.actions[0]);
    assert_eq!(mpc.warm_start()[..horizon - 1], plan.actions[1..]);
    assert_eq!(mpc.warm_start()[horizon - 1], plan.actions[horizon - 1]);
    // control() = solve + shift.
    let x1 = DoubleIntegrator.step(&Vector2::zeros(), &plan.actions[0]);
    let u = mpc.control(&x1, &cost).unwrap();
    assert_eq!(*mpc.previous_action(), u);
    mpc.reset();
    assert!(mpc.warm_start().iter().all(|u| u[0] == 0.0));
}

/// Dynamics that blow up: x+ = x / u.
struct Divide;

impl Dynamics<1, 1> for Divide {
    fn step(&self, x: &Vector1<f64>, u: &Vector1<f64>) -> Vector1<f64> {
        Vector1::new(x[0] / u[0])
    }
    fn vjp(
        &self,
        x: &Vector1<f64>,
        u: &Vector1<f64>,
        l: &Vector1<f64>,
    ) -> (Vector1<f64>, Vector1<f64>) {
        (
            Vector1::new(l[0] / u[0]),
            Vector1::new(-l[0] * x[0] / (u[0] * u[0])),
        )
    }
}

/// A cost term that is NaN everywhere.
struct NanCost;

impl CostTerm<2, 1> for NanCost {
    fn stage(
        &self,
        _t: usize,
        _x: &Vector2<f64>,
        _u: &Vector1<f64>,
        _p: &Vector1<f64>,
        _g: &mut StageGradient<2, 1>,
    ) -> f64 {
        f64::NAN
    }
}

#[test]
fn bad_input_is_a_typed_error() {
    let b = Vector1::new(1.0);
    assert_eq!(
        ShootingMpc::new(DoubleIntegrator, MpcConfig::new(0, -b, b)).err(),
        Some(ControlError::ZeroHorizon)
    );
    assert_eq!(
        ShootingMpc::new(DoubleIntegrator, MpcConfig::new(5, b, -b)).err(),
        Some(ControlError::InvalidBounds {
            index: 0,
            lower: 1.0,
            upper: -1.0
        })
    );
    assert!(matches!(
        ShootingMpc::new(
            DoubleIntegrator,
            MpcConfig::new(5, Vector1::new(f64::NAN), b)
        ),
        Err(ControlError::InvalidBounds { index: 0, .. })
    ));
    let mut lbfgs = MpcConfig::new(5, -b, b);
    lbfgs.method = QuasiNewton::Lbfgs { memory: 0 };
    assert!(matches!(
        ShootingMpc::new(DoubleIntegrator, lbfgs),
        Err(ControlError::InvalidParameter { .. })
    ));
    assert_eq!(
        StateTracking::<2>::new(Vector2::repeat(1.0), Vector2::repeat(1.0), 0).err(),
        Some(ControlError::ZeroHorizon)
    );
    assert!(matches!(
        StateTracking::<2>::new(Vector2::new(1.0, -1.0), Vector2::repeat(1.0), 3),
        Err(ControlError::InvalidParameter { .. })
    ));

    let mut mpc = ShootingMpc::new(DoubleIntegrator, MpcConfig::new(5, -b, b)).unwrap();
    mpc.set_warm_start(&[Vector1::new(0.5); 5]).unwrap();
    let mut track = StateTracking::new(Vector2::repeat(1.0), Vector2::repeat(1.0), 5).unwrap();
    assert_eq!(
        mpc.solve(&Vector2::new(0.0, f64::NAN), &track).err(),
        Some(ControlError::NonFinite {
            what: "initial state",
            index: 1
        })
    );
    track.reference_mut()[3] = Vector2::new(f64::INFINITY, 0.0);
    assert_eq!(
        mpc.solve(&Vector2::zeros(), &track).err(),
        Some(ControlError::NonFinite {
            what: "tracking reference",
            index: 3
        })
    );
    let short = StateTracking::new(Vector2::repeat(1.0), Vector2::repeat(1.0), 3).unwrap();
    assert_eq!(
        mpc.solve(&Vector2::zeros(), &short).err(),
        Some(ControlError::LengthMismatch {
            what: "tracking reference",
            expected: 6,
            found: 4
        })
    );
    assert_eq!(
        mpc.solve(&Vector2::zeros(), &NanCost).err(),
        Some(ControlError::Diverged {
            what: "cost",
            stage: 5
        })
    );
    let bad_position = CircleObstacles::new(vec![], 0.5, 1.0, [0, 5]).unwrap();
    assert!(matches!(
        mpc.solve(&Vector2::zeros(), &bad_position),
        Err(ControlError::InvalidParameter {
            name: "position",
            ..
        })
    ));
    // Rejected solves leave the warm start alone.
    assert!(mpc.warm_start().iter().all(|u| u[0] == 0.5));
    assert!(matches!(
        mpc.set_warm_start(&[Vector1::new(0.5); 4]),
        Err(ControlError::LengthMismatch { .. })
    ));
    assert!(matches!(
        mpc.set_warm_start(&[Vector1::new(f64::NAN); 5]),
        Err(ControlError::NonFinite {
            what: "warm start",
            index: 0
        })
    ));
    assert!(matches!(
        mpc.set_previous_action(Vector1::new(f64::NAN)),
        Err(ControlError::NonFinite { .. })
    ));
    assert!(matches!(
        mpc.set_bounds(b, -b),
        Err(ControlError::InvalidBounds { .. })
    ));
    assert_eq!(mpc.config().lower, -b);

    // A rollout that leaves the finite numbers at the warm start.
    let mut divide = ShootingMpc::new(Divide, MpcConfig::new(3, -b, b)).unwrap();
    let effort = ControlEffort::new(Vector1::new(1.0)).unwrap();
    assert_eq!(
        divide.solve(&Vector1::new(1.0), &effort).err(),
        Some(ControlError::Diverged {
            what: "state",
            stage: 1
        })
    );
}
