//! The truck backer-upper through the shooting MPC: the docking cost's gradient against finite
//! differences, and one plan that backs the trailer onto the dock from a few metres out.

use kestrel::control::{
    horizon_cost, horizon_cost_gradient, ControlRate, Dynamics, MpcConfig, ShootingMpc,
    TrailerDocking, TruckTrailer,
};
use nalgebra::{Vector1, Vector2, Vector4};

#[test]
fn docking_cost_gradient_matches_finite_differences() {
    let truck = TruckTrailer::course();
    let dock = TrailerDocking::new(truck, Vector2::zeros(), 0.0, 1.0, 20.0)
        .unwrap()
        .with_jackknife_guard(50.0, 0.3)
        .unwrap();
    let cost = (dock, ControlRate::new(Vector1::new(0.5)).unwrap());
    let horizon = 40;
    // Steering that swings the hitch angle past the 0.3 rad guard.
    let actions: Vec<Vector1<f64>> = (0..horizon)
        .map(|t| Vector1::new(0.7 * (t as f64 / 6.0).sin()))
        .collect();
    let x0 = Vector4::new(10.0, 2.0, 0.25, -0.1);
    let mut states = vec![Vector4::zeros(); horizon + 1];
    let mut grad = vec![Vector1::zeros(); horizon];
    let u_prev = Vector1::new(0.1);
    horizon_cost_gradient(
        &truck,
        &cost,
        &x0,
        &u_prev,
        &actions,
        &mut states,
        &mut grad,
    )
    .unwrap();
    assert!(
        states.iter().any(|x| truck.hitch_angle(x).abs() > 0.3),
        "the jack-knife guard is active"
    );
    let scale = grad.iter().map(|g| g.amax()).fold(0.0, f64::max);
    let mut perturbed = actions.clone();
    for t in 0..horizon {
        let h = 1e-6;
        perturbed[t][0] = actions[t][0] + h;
        let jp = horizon_cost(&truck, &cost, &x0, &u_prev, &perturbed, &mut states).unwrap();
        perturbed[t][0] = actions[t][0] - h;
        let jm = horizon_cost(&truck, &cost, &x0, &u_prev, &perturbed, &mut states).unwrap();
        perturbed[t][0] = actions[t][0];
        let fd = (jp - jm) / (2.0 * h);
        assert!(
            (fd - grad[t][0]).abs() <= 1e-6 * scale,
            "t = {t}: {} vs {fd}",
            grad[t][0]
        );
    }
}

#[test]
fn one_plan_backs_the_trailer_onto_the_dock() {
    let truck = TruckTrailer::course();
    // Trailer rear at (10, 1), cab and trailer aligned with +x (backing towards the wall).
    let x0 = Vector4::new(14.0, 1.0, 0.0, 0.0);
    // 101 steps of 0.1 cover the 10.05 m to the dock with a little curvature to spare.
    let horizon = 101;
    let max = truck.max_steering();
    let mut config = MpcConfig::new(horizon, Vector1::new(-max), Vector1::new(max));
    config.max_iterations = 2000;
    let mut mpc = ShootingMpc::new(truck, config).unwrap();
    let cost = (
        TrailerDocking::new(truck, Vector2::zeros(), 0.0, 10.0, 100.0).unwrap(),
        ControlRate::new(Vector1::new(1.0)).unwrap(),
    );
    let plan = mpc.solve(&x0, &cost).unwrap().clone();
    // Replay the plan on the plant.
    let mut x = x0;
    for u in &plan.actions {
        assert!(u[0].abs() <= max);
        x = truck.step(&x, u);
        assert!(!truck.is_jackknifed(&x));
    }
    let rear = truck.trailer_rear(&x);
    println!(
        "docked: rear {rear:?}, trailer angle {:.2} deg, {} iterations, {:?}",
        x[3].to_degrees(),
        plan.iterations,
        plan.solve_time
    );
    assert!((x - plan.states[horizon]).amax() < 1e-12);
    assert!(rear.norm() < 0.1, "rear {rear:?} misses the dock");
    assert!(x[3].abs() < 1f64.to_radians(), "trailer angle {}", x[3]);
}
