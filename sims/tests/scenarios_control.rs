//! Control scenarios (scenarios/control/): each file loads, runs headless with its seed and
//! shows what the issue promises; bad files are rejected with the field and the line.
//!
//! - obstacle.toml: the one-step greedy controller does not reach the goal (it stalls in front
//!   of the obstacle after touching it), the horizon MPC reaches it without collision.
//! - lane_tracking.toml: the closed-loop cost is within 1 % of CasADi + IPOPT's on the same
//!   benchmark (tests/fixtures/control/lane_tracking_ipopt.json, written by
//!   tools/reference/casadi_lane_tracking.py; anchors.md quotes 429.27), and so is the mean
//!   position error after 2 s.

use kestrel_sims::report::Report;
use kestrel_sims::runner::{self, RunContext};
use kestrel_sims::worlds::vehicle::BicycleWorld;
use nalgebra::{Vector2, Vector3, Vector4};
use rand::SeedableRng;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn scenario(name: &str) -> PathBuf {
    repo().join("scenarios/control").join(name)
}

fn run_file(path: &Path, seed: Option<u64>) -> Report {
    let loaded = runner::load(path).unwrap_or_else(|e| panic!("{e}"));
    let seed = seed.unwrap_or(loaded.header.seed);
    loaded
        .scenario
        .run(&RunContext::headless(seed))
        .unwrap_or_else(|e| panic!("{e:#}"))
}

fn metric(report: &Report, alg: &str, name: &str) -> f64 {
    report
        .get(alg, name)
        .unwrap_or_else(|| panic!("metric {alg}/{name} missing from {:?}", report.metrics))
}

fn ipopt_fixture() -> serde_json::Value {
    let text =
        std::fs::read_to_string(repo().join("tests/fixtures/control/lane_tracking_ipopt.json"))
            .expect("IPOPT fixture");
    serde_json::from_str(&text).expect("fixture JSON")
}

/// Writes `text` to a fresh file in the temp directory and returns its path.
fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("kestrel-scenarios-control-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The scenario text with the first line starting with `key =` replaced by `replacement`, and
/// the 1-based number of that line.
fn edit(text: &str, key: &str, replacement: &str) -> (String, usize) {
    // `key` is a key name, or the start of a line when it holds `=` already.
    let pattern = if key.contains('=') {
        key.to_string()
    } else {
        format!("{key} =")
    };
    let mut line_no = 0;
    let lines: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if line_no == 0 && l.trim_start().starts_with(&pattern) {
                line_no = i + 1;
                replacement.to_string()
            } else {
                l.to_string()
            }
        })
        .collect();
    assert!(line_no > 0, "no line `{key} =`");
    (lines.join("\n") + "\n", line_no)
}

#[test]
fn obstacle_greedy_fails_and_horizon_mpc_goes_around() {
    let report = run_file(&scenario("obstacle.toml"), None);
    let (goal_x, obstacle_x, obstacle_r) = (30.0, 15.0, 3.0);
    for alg in ["greedy", "mpc"] {
        println!(
            "{alg}: reached {} final distance {:.3} m, min clearance {:.3} m, steps {}, cost {:.1}, median iterations {}",
            metric(&report, alg, "reached_goal"),
            metric(&report, alg, "final_distance_m"),
            metric(&report, alg, "min_clearance_m"),
            metric(&report, alg, "steps"),
            metric(&report, alg, "closed_loop_cost"),
            metric(&report, alg, "iterations_median"),
        );
    }
    // Greedy: never reaches the goal; it ends farther from it than the obstacle's far edge is
    // (stuck on the near side), after its disc has touched the obstacle.
    assert_eq!(metric(&report, "greedy", "reached_goal"), 0.0);
    assert!(metric(&report, "greedy", "final_distance_m") > goal_x - (obstacle_x + obstacle_r));
    assert!(metric(&report, "greedy", "min_clearance_m") < 0.0);
    assert_eq!(metric(&report, "greedy", "steps"), 300.0);
    // Horizon MPC: at the goal and at rest within the run, never touching the obstacle, on a
    // path longer than the straight line (it went around).
    assert_eq!(metric(&report, "mpc", "reached_goal"), 1.0);
    assert!(metric(&report, "mpc", "final_distance_m") < 0.5);
    assert!(metric(&report, "mpc", "min_clearance_m") > 0.0);
    assert!(metric(&report, "mpc", "steps") < 300.0);
    assert!(metric(&report, "mpc", "path_length_m") > goal_x);
    assert!(
        metric(&report, "mpc", "closed_loop_cost") < metric(&report, "greedy", "closed_loop_cost")
    );
    // Solve times are timings, not metrics.
    assert!(report.timings["mpc"]["solve_ms_median"] > 0.0);
    assert!(report.get("mpc", "solve_ms_median").is_none());
}

#[test]
fn lane_tracking_closed_loop_cost_within_one_percent_of_ipopt() {
    let report = run_file(&scenario("lane_tracking.toml"), None);
    let fixture = ipopt_fixture();
    let ipopt_cost = fixture["closed_loop_cost"].as_f64().unwrap();
    let ipopt_error = fixture["mean_position_error_after_2s"].as_f64().unwrap();
    let cost = metric(&report, "mpc", "closed_loop_cost");
    let error = metric(&report, "mpc", "mean_position_error_m");
    println!(
        "lane_tracking: cost {cost:.4} (IPOPT {ipopt_cost:.4}, {:+.4} %), mean position error after 2 s {error:.4} m \
         (IPOPT {ipopt_error:.4}), max {:.4} m, median iterations {}, median solve {:.4} ms",
        100.0 * (cost - ipopt_cost) / ipopt_cost,
        metric(&report, "mpc", "max_position_error_m"),
        metric(&report, "mpc", "iterations_median"),
        report.timings["mpc"]["solve_ms_median"],
    );
    assert!(
        (cost - ipopt_cost).abs() <= 0.01 * ipopt_cost,
        "{cost} vs IPOPT {ipopt_cost}"
    );
    assert!(
        (cost - 429.27).abs() <= 0.01 * 429.27,
        "{cost} vs the anchor 429.27"
    );
    assert!(
        (error - ipopt_error).abs() <= 0.01 * ipopt_error + 1e-4,
        "{error} vs {ipopt_error}"
    );
    // The largest error is the initial 1 m offset shrinking: after 2 s it is well below it.
    let max_error = metric(&report, "mpc", "max_position_error_m");
    assert!(max_error > error && max_error < 1.0);
    assert_eq!(metric(&report, "mpc", "steps"), 150.0);
}

#[test]
fn same_seed_same_metrics_and_noise_uses_the_seed() {
    let text = std::fs::read_to_string(scenario("lane_tracking.toml")).unwrap();
    let (noisy, _) = edit(
        &text,
        "steering_limits_rad",
        "steering_limits_rad = [-0.5, 0.5]\naction_noise_std = [0.3, 0.02]",
    );
    let path = temp_file("noisy_lane.toml", &noisy);
    let a = run_file(&path, Some(7));
    let b = run_file(&path, Some(7));
    let c = run_file(&path, Some(8));
    assert_eq!(a.metrics, b.metrics);
    assert_ne!(
        metric(&a, "mpc", "closed_loop_cost"),
        metric(&c, "mpc", "closed_loop_cost")
    );
    // Noise makes tracking worse than the noise-free benchmark, but it still tracks.
    let clean = run_file(&scenario("lane_tracking.toml"), Some(7));
    assert!(metric(&a, "mpc", "closed_loop_cost") > metric(&clean, "mpc", "closed_loop_cost"));
    assert!(metric(&a, "mpc", "mean_position_error_m") < 0.5);
}

/// Loads `text` from a temp file and returns the error message.
fn load_error(name: &str, text: &str) -> String {
    match runner::load(&temp_file(name, text)) {
        Ok(_) => panic!("{name} loaded but should not have"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_scenario_files_name_the_field_and_line() {
    let lane = std::fs::read_to_string(scenario("lane_tracking.toml")).unwrap();
    let obstacle = std::fs::read_to_string(scenario("obstacle.toml")).unwrap();
    let cases: Vec<(&str, &str, &str, &str, &str)> = vec![
        // (file, base, key, replacement, field named in the error)
        (
            "lane_bounds.toml",
            &lane,
            "steering_limits_rad",
            "steering_limits_rad = [0.5, -0.5]",
            "vehicle.steering_limits_rad",
        ),
        (
            "lane_accel.toml",
            &lane,
            "acceleration_limits_m_s2",
            "acceleration_limits_m_s2 = [3.0, -3.0]",
            "vehicle.acceleration_limits_m_s2",
        ),
        (
            "lane_horizon.toml",
            &lane,
            "horizon",
            "horizon = 0",
            "mpc.horizon",
        ),
        (
            "lane_method.toml",
            &lane,
            "method",
            "method = \"newton\"",
            "mpc.method",
        ),
        ("lane_dt.toml", &lane, "dt_s", "dt_s = -0.1", "vehicle.dt_s"),
        (
            "obstacle_bounds.toml",
            &obstacle,
            "acceleration_limits_m_s2",
            "acceleration_limits_m_s2 = [2.0, -2.0]",
            "vehicle.acceleration_limits_m_s2",
        ),
        (
            "obstacle_radius.toml",
            &obstacle,
            "radius_m",
            "radius_m = 0.0",
            "vehicle.radius_m",
        ),
    ];
    for (name, base, key, replacement, field) in cases {
        let (text, line) = edit(base, key, replacement);
        let msg = load_error(name, &text);
        println!("{msg}");
        assert!(msg.contains(&format!("{name}:{line}:")), "{msg}");
        assert!(msg.contains(&format!("`{field}`")), "{msg}");
    }

    // A goal the robot's disc cannot reach (inside the obstacle grown by the robot's radius).
    let (text, line) = edit(&obstacle, "position_m = [30.0", "position_m = [15.0, 4.0]");
    let msg = load_error("obstacle_goal.toml", &text);
    assert!(
        msg.contains(&format!("obstacle_goal.toml:{line}:"))
            && msg.contains("`goal.position_m`")
            && msg.contains("unreachable"),
        "{msg}"
    );

    // The second controller's zero horizon: `controllers.1.horizon`, on its own line.
    let second = obstacle
        .rfind("horizon = 40")
        .expect("the MPC's horizon line");
    let text = format!(
        "{}horizon = 0{}",
        &obstacle[..second],
        &obstacle[second + "horizon = 40".len()..]
    );
    let line = text[..second].matches('\n').count() + 1;
    let msg = load_error("obstacle_horizon.toml", &text);
    assert!(
        msg.contains(&format!("obstacle_horizon.toml:{line}:"))
            && msg.contains("`controllers.1.horizon`"),
        "{msg}"
    );

    // Unknown keys are parse errors at their line, naming the key.
    let (text, line) = edit(&lane, "horizon", "horizn = 20");
    let msg = load_error("lane_unknown.toml", &text);
    assert!(
        msg.contains(&format!("lane_unknown.toml:{line}:")) && msg.contains("horizn"),
        "{msg}"
    );
    let (text, line) = edit(&obstacle, "obstacle_weight", "obstacle_wieght = 1000.0");
    let msg = load_error("obstacle_unknown.toml", &text);
    assert!(
        msg.contains(&format!("obstacle_unknown.toml:{line}:")) && msg.contains("obstacle_wieght"),
        "{msg}"
    );

    // A missing required key names it.
    let (text, _) = edit(&lane, "wheelbase_m", "");
    let msg = load_error("lane_missing.toml", &text);
    assert!(msg.contains("wheelbase_m"), "{msg}");
}

#[test]
fn bicycle_world_integrates_constant_acceleration_exactly_and_clamps() {
    // Straight line: v' = a, x' = v; RK4 is exact for this quadratic, x = v0 t + a t^2 / 2.
    // The command 5 m/s^2 is clamped to the 3 m/s^2 limit.
    let mut world = BicycleWorld::new(
        2.5,
        0.1,
        Vector4::new(0.0, 0.0, 0.0, 3.0),
        Vector2::new(-3.0, -0.5),
        Vector2::new(3.0, 0.5),
        Vector2::zeros(),
    )
    .unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    for _ in 0..10 {
        let applied = world.step(&Vector2::new(5.0, 0.0), &mut rng).unwrap();
        assert_eq!(applied, Vector2::new(3.0, 0.0));
    }
    let s = world.state();
    assert!(
        (s.x - (3.0 * 1.0 + 0.5 * 3.0 * 1.0)).abs() < 1e-12 && (s[3] - 6.0).abs() < 1e-12,
        "{s}"
    );
    assert!(world.step(&Vector2::new(f64::NAN, 0.0), &mut rng).is_err());
    let z = Vector2::zeros();
    assert!(BicycleWorld::new(2.5, 0.1, Vector4::zeros(), Vector2::new(1.0, 0.0), z, z).is_err());
    assert!(BicycleWorld::new(0.0, 0.1, Vector4::zeros(), z, z, z).is_err());
    assert!(BicycleWorld::new(2.5, 0.1, Vector4::zeros(), z, z, Vector2::new(-1.0, 0.0)).is_err());
}

#[test]
fn vehicle_footprints_are_drawn_where_the_vehicle_is() {
    use kestrel::viz::Footprint;
    // Heading +y: body (a, b) maps to world (x - b, y + a).
    let car = Footprint::Rectangle {
        length_m: 4.0,
        width_m: 2.0,
        rear_overhang_m: 1.0,
    };
    let outline = car
        .outline(&Vector3::new(10.0, 5.0, std::f64::consts::FRAC_PI_2))
        .unwrap();
    let expected = [
        [11.0, 4.0],
        [11.0, 8.0],
        [9.0, 8.0],
        [9.0, 4.0],
        [11.0, 4.0],
    ];
    assert_eq!(outline.len(), expected.len());
    for (p, e) in outline.iter().zip(expected) {
        assert!(
            (p[0] - e[0]).abs() < 1e-5 && (p[1] - e[1]).abs() < 1e-5,
            "{p:?} vs {e:?}"
        );
    }
    assert_eq!(car.arrow_length(), 3.0);
    let disc = Footprint::Disc { radius_m: 1.5 };
    let ring = disc.outline(&Vector3::new(1.0, -2.0, 0.3)).unwrap();
    assert_eq!(ring.first(), ring.last());
    for p in &ring {
        let r = ((p[0] as f64 - 1.0).powi(2) + (p[1] as f64 + 2.0).powi(2)).sqrt();
        assert!((r - 1.5).abs() < 1e-5);
    }
    assert!(disc.outline(&Vector3::new(f64::NAN, 0.0, 0.0)).is_none());
    assert!(Footprint::Disc { radius_m: -1.0 }
        .outline(&Vector3::zeros())
        .is_none());
}
