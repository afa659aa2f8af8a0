//! A unicycle must pass a round obstacle that sits on the straight line to its goal. A one-step
//! greedy controller (horizon 1, same costs) drives up to the obstacle and stalls there; the
//! horizon MPC plans around it and reaches the goal without touching it.

use kestrel::control::{
    CircleObstacles, ControlEffort, Dynamics, MpcConfig, ShootingMpc, StateTracking,
    UnicycleDynamics,
};
use kestrel::geometry::Circle;
use nalgebra::{Point2, Vector2, Vector3};

const GOAL: Vector2<f64> = Vector2::new(6.0, 0.0);
const CENTER: Vector2<f64> = Vector2::new(3.0, 0.15);
const RADIUS: f64 = 1.0;
const ROBOT_RADIUS: f64 = 0.3;

struct Run {
    final_distance_to_goal: f64,
    min_clearance: f64,
    max_abs_y: f64,
}

fn drive(horizon: usize, steps: usize) -> Run {
    let car = UnicycleDynamics::unicycle(0.1).unwrap();
    let config = MpcConfig::new(horizon, Vector2::new(0.0, -1.5), Vector2::new(1.5, 1.5));
    let mut mpc = ShootingMpc::new(car, config).unwrap();
    let mut goal = StateTracking::new(
        Vector3::new(1.0, 1.0, 0.0),
        Vector3::new(10.0, 10.0, 0.0),
        horizon,
    )
    .unwrap();
    goal.reference_mut().fill(Vector3::new(GOAL.x, GOAL.y, 0.0));
    let obstacle = Circle::new(Point2::from(CENTER), RADIUS).unwrap();
    let cost = (
        goal,
        ControlEffort::new(Vector2::new(0.01, 0.01)).unwrap(),
        CircleObstacles::new(vec![obstacle], ROBOT_RADIUS + 0.1, 1000.0, [0, 1]).unwrap(),
    );
    let mut x = Vector3::zeros();
    let mut min_clearance = f64::INFINITY;
    let mut max_abs_y = 0.0f64;
    for _ in 0..steps {
        let u = mpc.control(&x, &cost).unwrap();
        x = car.step(&x, &u);
        let clearance = (x.xy() - CENTER).norm() - RADIUS - ROBOT_RADIUS;
        min_clearance = min_clearance.min(clearance);
        max_abs_y = max_abs_y.max(x.y.abs());
    }
    Run {
        final_distance_to_goal: (x.xy() - GOAL).norm(),
        min_clearance,
        max_abs_y,
    }
}

#[test]
fn greedy_stalls_while_horizon_mpc_goes_around() {
    let greedy = drive(1, 200);
    let mpc = drive(40, 200);
    println!(
        "greedy: distance to goal {:.3} m, min clearance {:.3} m, max |y| {:.3} m",
        greedy.final_distance_to_goal, greedy.min_clearance, greedy.max_abs_y
    );
    println!(
        "mpc:    distance to goal {:.3} m, min clearance {:.3} m, max |y| {:.3} m",
        mpc.final_distance_to_goal, mpc.min_clearance, mpc.max_abs_y
    );
    // Greedy: stuck in front of the obstacle, the goal still beyond it.
    assert!(greedy.final_distance_to_goal > 3.0);
    // Horizon MPC: around the obstacle (a detour of more than the obstacle's half-width plus the
    // robot's radius) and at the goal, never touching the obstacle.
    assert!(mpc.max_abs_y > RADIUS + ROBOT_RADIUS - CENTER.y.abs());
    assert!(mpc.min_clearance > 0.0);
    assert!(mpc.final_distance_to_goal < 0.1);
}
