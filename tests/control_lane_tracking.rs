//! The sine-lane MPC benchmark (anchors.md, "MPC") against CasADi + IPOPT.
//!
//! Fixture: tests/fixtures/control/lane_tracking_ipopt.json, written by
//! tools/reference/casadi_lane_tracking.py (multiple shooting, IPOPT), whose docstring documents
//! the choices that reproduce the anchor's closed-loop cost 429.27 (time-indexed reference at
//! 6 m/s along x, start [0, 1, 0, 3], first steering change against the previously applied
//! steering, closed-loop cost summed over the states before each action).

use kestrel::control::{
    BicycleDynamics, ControlEffort, ControlRate, Dynamics, MpcConfig, ShootingMpc, StateTracking,
};
use nalgebra::{Vector2, Vector4};
use serde_json::Value;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/control/lane_tracking_ipopt.json"
);

struct Problem {
    wheelbase: f64,
    dt: f64,
    horizon: usize,
    steps: usize,
    a_max: f64,
    delta_max: f64,
    v_ref: f64,
    amplitude: f64,
    wavelength: f64,
    x0: Vector4<f64>,
    w_state: Vector4<f64>,
    w_action: Vector2<f64>,
    w_rate: Vector2<f64>,
    terminal: f64,
}

fn f(v: &Value) -> f64 {
    v.as_f64().expect("number")
}

fn vec4(v: &Value) -> Vector4<f64> {
    Vector4::new(f(&v[0]), f(&v[1]), f(&v[2]), f(&v[3]))
}

fn vec2(v: &Value) -> Vector2<f64> {
    Vector2::new(f(&v[0]), f(&v[1]))
}

fn load() -> (Problem, Value) {
    let text = std::fs::read_to_string(FIXTURE).expect("fixture");
    let fixture: Value = serde_json::from_str(&text).expect("json");
    let p = &fixture["problem"];
    let w = &p["weights"];
    let problem = Problem {
        wheelbase: f(&p["wheelbase"]),
        dt: f(&p["dt"]),
        horizon: p["horizon"].as_u64().unwrap() as usize,
        steps: p["steps"].as_u64().unwrap() as usize,
        a_max: f(&p["a_max"]),
        delta_max: f(&p["delta_max"]),
        v_ref: f(&p["v_ref"]),
        amplitude: f(&p["lane"]["amplitude"]),
        wavelength: f(&p["lane"]["wavelength"]),
        x0: vec4(&p["x0"]),
        w_state: Vector4::new(
            f(&w["position"]),
            f(&w["position"]),
            f(&w["heading"]),
            f(&w["speed"]),
        ),
        w_action: Vector2::new(f(&w["acceleration"]), f(&w["steering"])),
        w_rate: Vector2::new(0.0, f(&w["steering_rate"])),
        terminal: f(&w["terminal_factor"]),
    };
    (problem, fixture)
}

impl Problem {
    /// The reference at absolute step `j`: x moves at v_ref, y and heading follow the lane.
    fn reference(&self, j: usize) -> Vector4<f64> {
        let x = self.v_ref * self.dt * j as f64;
        let k = std::f64::consts::TAU / self.wavelength;
        Vector4::new(
            x,
            self.amplitude * (k * x).sin(),
            (self.amplitude * k * (k * x).cos()).atan(),
            self.v_ref,
        )
    }

    fn stage_cost(
        &self,
        x: &Vector4<f64>,
        u: &Vector2<f64>,
        u_prev: &Vector2<f64>,
        j: usize,
    ) -> f64 {
        let e = x - self.reference(j);
        let du = u - u_prev;
        self.w_state.component_mul(&e).dot(&e)
            + self.w_action.component_mul(u).dot(u)
            + self.w_rate.component_mul(&du).dot(&du)
    }

    fn controller(
        &self,
    ) -> (
        ShootingMpc<BicycleDynamics, 4, 2>,
        (StateTracking<4>, ControlEffort<2>, ControlRate<2>),
    ) {
        let car = BicycleDynamics::bicycle(self.wheelbase, self.dt).unwrap();
        let bound = Vector2::new(self.a_max, self.delta_max);
        let config = MpcConfig::new(self.horizon, -bound, bound);
        let tracking = StateTracking::new(self.w_state, self.w_state * self.terminal, self.horizon)
            .unwrap()
            .with_angles([false, false, true, false]);
        let cost = (
            tracking,
            ControlEffort::new(self.w_action).unwrap(),
            ControlRate::new(self.w_rate).unwrap(),
        );
        (ShootingMpc::new(car, config).unwrap(), cost)
    }
}

#[test]
fn first_plan_matches_ipopt_optimum() {
    let (p, fixture) = load();
    let plan = &fixture["first_plan"];
    let (mut mpc, mut cost) = p.controller();
    for (k, r) in cost.0.reference_mut().iter_mut().enumerate() {
        *r = p.reference(k);
    }
    let sol = mpc.solve(&p.x0, &cost).unwrap();
    let ipopt_cost = f(&plan["cost"]);
    println!(
        "first plan: kestrel J = {:.10}, IPOPT J = {ipopt_cost:.10}, {} iterations, {} evaluations, {:?}",
        sol.cost, sol.iterations, sol.evaluations, sol.solve_time
    );
    assert!(
        (sol.cost - ipopt_cost).abs() <= 1e-6 * ipopt_cost,
        "{} vs {ipopt_cost}",
        sol.cost
    );
    for (k, u) in plan["actions"].as_array().unwrap().iter().enumerate() {
        let d = (sol.actions[k] - vec2(u)).amax();
        assert!(d < 1e-3, "action {k}: {} vs {}", sol.actions[k], vec2(u));
    }
    for (k, x) in plan["states"].as_array().unwrap().iter().enumerate() {
        let d = (sol.states[k] - vec4(x)).amax();
        assert!(d < 1e-3, "state {k}");
    }
}

#[test]
fn closed_loop_cost_within_one_percent_of_ipopt() {
    let (p, fixture) = load();
    let (mut mpc, mut cost) = p.controller();
    let plant = BicycleDynamics::bicycle(p.wheelbase, p.dt).unwrap();
    let mut x = p.x0;
    let mut u_prev = Vector2::zeros();
    let mut total = 0.0;
    let mut states = vec![x];
    let mut iterations = Vec::new();
    for j in 0..p.steps {
        for (k, r) in cost.0.reference_mut().iter_mut().enumerate() {
            *r = p.reference(j + k);
        }
        let u = mpc.control(&x, &cost).unwrap();
        iterations.push(mpc.solution().iterations);
        total += p.stage_cost(&x, &u, &u_prev, j);
        x = plant.step(&x, &u);
        u_prev = u;
        states.push(x);
    }
    let ipopt = f(&fixture["closed_loop_cost"]);
    let start = (2.0 / p.dt).round() as usize;
    let errors: Vec<f64> = (start..p.steps)
        .map(|j| (states[j].fixed_rows::<2>(0) - p.reference(j).fixed_rows::<2>(0)).norm())
        .collect();
    let mean_error = errors.iter().sum::<f64>() / errors.len() as f64;
    iterations.sort_unstable();
    println!(
        "closed loop: kestrel {total:.4}, IPOPT {ipopt:.4} ({:+.4} %), mean position error after 2 s {mean_error:.4} m \
         (IPOPT {:.4}), median iterations {}",
        100.0 * (total - ipopt) / ipopt,
        f(&fixture["mean_position_error_after_2s"]),
        iterations[iterations.len() / 2]
    );
    assert!((total - ipopt).abs() <= 0.01 * ipopt, "{total} vs {ipopt}");
    // The closed-loop trajectories coincide (same optimum at every step).
    for (j, s) in fixture["states"].as_array().unwrap().iter().enumerate() {
        let d = (states[j] - vec4(s)).amax();
        assert!(d < 1e-2, "state {j}: {} vs {}", states[j], vec4(s));
    }
    let ipopt_err = f(&fixture["mean_position_error_after_2s"]);
    assert!((mean_error - ipopt_err).abs() < 0.01 * ipopt_err + 1e-4);
}
