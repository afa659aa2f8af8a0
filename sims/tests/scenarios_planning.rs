//! Mapping and planning scenarios (scenarios/mapping/, scenarios/planning/): each file loads,
//! runs headless with its seed and shows what issue 5 promises; bad files are rejected with the
//! field and the line, and unreachable goals give a clean "no path".
//!
//! - mapping/warehouse.toml: the lidar-built occupancy grid classifies at least 99 % of the cells
//!   it knows correctly (occupied precision >= 0.95, recall >= 0.90, recall on the obstacle
//!   surfaces next to observed floor >= 0.90) and observes >= 99 % of the free floor. With a
//!   noise-free lidar the occupied precision is exactly 1: every beam ends on a face, faces run
//!   through cell centres of occupied cells, and max-range beams only clear.
//! - planning/grid_astar.toml: A*, Dijkstra and jump point search find paths of equal length on
//!   the built warehouse map, no shorter than the straight line, A* expanding no more cells than
//!   Dijkstra and JPS fewer than A*.
//! - planning/grid_astar_movingai.toml: the same on maze512-32-9, each length within 1e-4 of the
//!   published optimum (needs `$KESTREL_DATASETS`; without it the test fails when `CI` is set).
//! - planning/rrt_star.toml: RRT*'s final cost is below RRT's and above the straight-line bound
//!   `9 sqrt 2`.
//! - planning/prm.toml: every query is solved, no shorter than the straight line, and the
//!   shortcut path is no longer than the roadmap path.

use kestrel_sims::report::Report;
use kestrel_sims::runner::{self, RunContext};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn scenario(rel: &str) -> PathBuf {
    repo().join("scenarios").join(rel)
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

/// Writes `text` to a fresh file in the temp directory and returns its path.
fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("kestrel-scenarios-planning-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Loads `text` from a temp file and returns the error message.
fn load_error(name: &str, text: &str) -> String {
    match runner::load(&temp_file(name, text)) {
        Ok(_) => panic!("{name} loaded but should not have"),
        Err(e) => e.to_string(),
    }
}

/// Asserts that `msg` names `file:line` and `field`.
fn assert_names(msg: &str, file: &str, line: usize, field: &str) {
    assert!(
        msg.contains(&format!("{file}:{line}")) && msg.contains(field),
        "expected {file}:{line} and `{field}` in: {msg}"
    );
}

/// The 1-based line of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?}"))
        + 1
}

fn datasets() -> Option<PathBuf> {
    match std::env::var_os("KESTREL_DATASETS") {
        Some(dir) => Some(PathBuf::from(dir)),
        None if std::env::var_os("CI").is_some() => {
            panic!("KESTREL_DATASETS is not set (required in CI)")
        }
        None => {
            eprintln!("notice: KESTREL_DATASETS is not set; skipping the Moving AI scenario");
            None
        }
    }
}

#[test]
fn warehouse_map_is_accurate_and_covers_the_floor() {
    let report = run_file(&scenario("mapping/warehouse.toml"), None);
    let m = |name| metric(&report, "occupancy_grid", name);
    println!(
        "warehouse: accuracy {:.4}, precision {:.4}, recall {:.4}, surface recall {:.4}, free observed {:.4}, known {:.4}, {} scans, {} pallets",
        m("cell_accuracy"),
        m("occupied_precision"),
        m("occupied_recall"),
        m("surface_recall"),
        m("free_observed_fraction"),
        m("known_fraction"),
        m("scans"),
        metric(&report, "world", "pallets"),
    );
    assert!(m("cell_accuracy") >= 0.99);
    assert!(m("occupied_precision") >= 0.95);
    assert!(m("occupied_recall") >= 0.90);
    assert!(m("surface_recall") >= 0.90);
    assert!(m("free_observed_fraction") >= 0.99);
    // Rack interiors are never seen: some cells stay unknown.
    assert!(m("known_fraction") < 0.95);
    assert_eq!(metric(&report, "world", "pallets"), 8.0);
    // Same seed, same metrics (bit for bit); another seed moves the pallets.
    let again = run_file(&scenario("mapping/warehouse.toml"), None);
    assert_eq!(report.metrics, again.metrics);
    let other = run_file(&scenario("mapping/warehouse.toml"), Some(8));
    assert_ne!(report.metrics, other.metrics);
}

#[test]
fn warehouse_noise_free_lidar_has_perfect_precision_and_noise_lowers_it() {
    // A noise-free beam ends exactly on an obstacle face; faces run through the centres of cells
    // that overlap the obstacle (truly occupied), so no free cell is ever hit. Misses can clear an
    // occupied corner cell crossed by a grazing beam, so recall is below 1; precision is not.
    let text = std::fs::read_to_string(scenario("mapping/warehouse.toml")).unwrap();
    let clean = text
        .replace("range_std_m = 0.02", "range_std_m = 0.0")
        .replace("dropout_probability = 0.01", "dropout_probability = 0.0");
    let noisy = text.replace("range_std_m = 0.02", "range_std_m = 0.08");
    let clean = run_file(&temp_file("warehouse_clean.toml", &clean), None);
    let noisy = run_file(&temp_file("warehouse_noisy.toml", &noisy), None);
    let p = |r: &Report| metric(r, "occupancy_grid", "occupied_precision");
    let a = |r: &Report| metric(r, "occupancy_grid", "cell_accuracy");
    println!(
        "precision clean {:.4} noisy {:.4}; accuracy clean {:.4} noisy {:.4}",
        p(&clean),
        p(&noisy),
        a(&clean),
        a(&noisy)
    );
    assert_eq!(p(&clean), 1.0);
    assert!(p(&noisy) < p(&clean));
    assert!(a(&noisy) < a(&clean));
}

/// The three planners agree on every query of `report`; returns the queries' names.
fn check_grid_planners(report: &Report, unit: &str) -> Vec<String> {
    assert_eq!(metric(report, "all_queries", "lengths_agree"), 1.0);
    let queries: Vec<String> = report
        .metrics
        .keys()
        .filter_map(|k| k.strip_suffix("/astar").map(str::to_string))
        .collect();
    for q in &queries {
        let len = |alg: &str| metric(report, &format!("{q}/{alg}"), unit);
        let exp = |alg: &str| metric(report, &format!("{q}/{alg}"), "expansions");
        println!(
            "{q}: length {:.6} (A* {}, Dijkstra {}, JPS {} expansions)",
            len("astar"),
            exp("astar"),
            exp("dijkstra"),
            exp("jps")
        );
        assert!((len("astar") - len("dijkstra")).abs() < 1e-9 * len("astar").max(1.0));
        assert!((len("astar") - len("jps")).abs() < 1e-9 * len("astar").max(1.0));
        assert!(exp("astar") <= exp("dijkstra"));
        assert!(exp("jps") < exp("astar"));
    }
    queries
}

#[test]
fn grid_planners_agree_on_the_built_warehouse_map() {
    let report = run_file(&scenario("planning/grid_astar.toml"), None);
    let queries = check_grid_planners(&report, "length_m");
    assert_eq!(queries.len(), 3);
    assert_eq!(metric(&report, "all_queries", "queries_solved"), 3.0);
    // No path is shorter than the straight line between its ends (the file's queries).
    let straight = [
        ("corner_to_corner", (26.0f64).hypot(15.1)),
        ("aisle_to_aisle", (12.0f64).hypot(10.25)),
        ("back_across", (26.0f64).hypot(9.35)),
    ];
    for (q, d) in straight {
        let len = metric(&report, &format!("{q}/astar"), "length_m");
        // Cell centres are within half a cell diagonal (0.071 m) of the given points.
        assert!(len >= d - 0.15, "{q}: {len} < {d}");
    }
    // Planning on the ground truth instead: the same agreement.
    let text = std::fs::read_to_string(scenario("planning/grid_astar.toml"))
        .unwrap()
        .replace("use_truth = false", "use_truth = true")
        .replace(
            "\"../mapping/warehouse.toml\"",
            &format!("{:?}", scenario("mapping/warehouse.toml")),
        );
    let truth = run_file(&temp_file("grid_truth.toml", &text), None);
    check_grid_planners(&truth, "length_m");
    assert_eq!(metric(&truth, "all_queries", "queries_solved"), 3.0);
}

#[test]
fn grid_planners_reach_the_published_optima_on_maze512() {
    if datasets().is_none() {
        return;
    }
    let report = run_file(&scenario("planning/grid_astar_movingai.toml"), None);
    let queries = check_grid_planners(&report, "length");
    assert_eq!(queries.len(), 3);
    for q in &queries {
        for alg in ["astar", "dijkstra", "jps"] {
            let err = metric(&report, &format!("{q}/{alg}"), "error_vs_published");
            assert!(err.abs() < 1e-4, "{q}/{alg}: {err}");
        }
    }
}

#[test]
fn rrt_star_beats_rrt_and_stays_above_the_straight_line_bound() {
    let report = run_file(&scenario("planning/rrt_star.toml"), None);
    let bound = metric(&report, "scene", "straight_line_bound");
    assert!((bound - 9.0 * std::f64::consts::SQRT_2).abs() < 1e-12);
    let rrt = metric(&report, "rrt", "final_cost");
    let star = metric(&report, "rrt_star", "final_cost");
    println!(
        "rrt_star scene: RRT first path at iteration {} cost {rrt:.4}; RRT* first at {} cost {:.4}, final {star:.4} \
         after {} iterations ({} vertices, {} rewires); bound {bound:.4}",
        metric(&report, "rrt", "first_solution_iteration"),
        metric(&report, "rrt_star", "first_solution_iteration"),
        metric(&report, "rrt_star", "first_solution_cost"),
        metric(&report, "rrt_star", "iterations"),
        metric(&report, "rrt_star", "vertices"),
        metric(&report, "rrt_star", "rewires"),
    );
    assert_eq!(metric(&report, "rrt", "solved"), 1.0);
    assert_eq!(metric(&report, "rrt_star", "solved"), 1.0);
    assert!(star < rrt);
    assert!(star > bound);
    assert!(star <= metric(&report, "rrt_star", "first_solution_cost"));
    // RRT stops at its first path, RRT* spends its budget.
    assert_eq!(
        metric(&report, "rrt", "iterations"),
        metric(&report, "rrt", "first_solution_iteration")
    );
    assert_eq!(metric(&report, "rrt_star", "iterations"), 20_000.0);
    // Deterministic on an iteration budget.
    assert_eq!(
        report.metrics,
        run_file(&scenario("planning/rrt_star.toml"), None).metrics
    );
}

#[test]
fn prm_solves_every_query() {
    let report = run_file(&scenario("planning/prm.toml"), None);
    assert_eq!(metric(&report, "prm", "queries"), 4.0);
    assert_eq!(metric(&report, "prm", "queries_solved"), 4.0);
    for q in ["sw_to_ne", "nw_to_se", "within_room", "two_doors"] {
        let len = metric(&report, q, "length");
        let short = metric(&report, q, "shortcut_length");
        let straight = metric(&report, q, "straight_line");
        println!("{q}: roadmap {len:.4}, shortcut {short:.4}, straight line {straight:.4}");
        assert_eq!(metric(&report, q, "solved"), 1.0);
        assert!(short <= len + 1e-12 && short >= straight - 1e-12);
    }
    // Start and goal in one room see each other past no obstacle only if the line is free; the
    // rooms' walls force the others around: longer than the straight line.
    assert!(metric(&report, "two_doors", "length") > metric(&report, "two_doors", "straight_line"));
}

/// A 7 x 5 Moving AI map: a walled room on the right (free cells x 3..=5, y 2..=3 inside `@`).
const TINY_MAP: &str =
    "type octile\nheight 5\nwidth 7\nmap\n.......\n..@@@@@\n..@...@\n..@...@\n..@@@@@\n";

fn tiny_scenario(dir_map: &Path, queries: &str) -> String {
    format!(
        "[scenario]\nkind = \"grid_astar\"\ndescription = \"tiny\"\nseed = 1\n\n[map]\nmovingai = {:?}\n\n{queries}",
        dir_map
    )
}

#[test]
fn unreachable_grid_goal_is_a_clean_no_path() {
    let map = temp_file("tiny.map", TINY_MAP);
    let text = tiny_scenario(
        &map,
        "[[queries]]\nname = \"into_the_room\"\nstart = [0, 0]\ngoal = [4, 2]\n\n[[queries]]\nname = \"open\"\nstart = [0, 4]\ngoal = [6, 0]\n",
    );
    let report = run_file(&temp_file("tiny_unreachable.toml", &text), None);
    for alg in ["astar", "dijkstra", "jps"] {
        let row = format!("into_the_room/{alg}");
        assert_eq!(metric(&report, &row, "found"), 0.0);
        // Answered from connected components, without expanding a cell.
        assert_eq!(metric(&report, &row, "expansions"), 0.0);
        assert!(report.get(&row, "length").is_none());
        // The open query: one diagonal to (1, 3), up column 1 to the top row (the wall at
        // (2, 1) forbids cutting its corner), then along the top row: 8 + sqrt 2.
        let open = metric(&report, &format!("open/{alg}"), "length");
        assert!(
            (open - (8.0 + std::f64::consts::SQRT_2)).abs() < 1e-9,
            "{open}"
        );
    }
    assert_eq!(metric(&report, "all_queries", "lengths_agree"), 1.0);
    assert_eq!(metric(&report, "all_queries", "queries_solved"), 1.0);
}

#[test]
fn bad_planning_files_name_the_field_and_line() {
    let map = temp_file("tiny.map", TINY_MAP);
    // Start in an obstacle.
    let text = tiny_scenario(
        &map,
        "[[queries]]\nname = \"q\"\nstart = [2, 2]\ngoal = [0, 0]\n",
    );
    let msg = load_error("start_blocked.toml", &text);
    assert_names(
        &msg,
        "start_blocked.toml",
        line_of(&text, "start ="),
        "queries.0.start",
    );
    assert!(msg.contains("obstacle"), "{msg}");
    // Goal outside the map.
    let text = tiny_scenario(
        &map,
        "[[queries]]\nname = \"q\"\nstart = [0, 0]\ngoal = [7, 0]\n",
    );
    let msg = load_error("goal_outside.toml", &text);
    assert_names(
        &msg,
        "goal_outside.toml",
        line_of(&text, "goal ="),
        "queries.0.goal",
    );
    // A map path that does not exist.
    let text = tiny_scenario(
        &map.with_file_name("nope.map"),
        "[[queries]]\nname = \"q\"\nstart = [0, 0]\ngoal = [1, 0]\n",
    );
    let msg = load_error("no_map.toml", &text);
    assert_names(
        &msg,
        "no_map.toml",
        line_of(&text, "movingai ="),
        "map.movingai",
    );
    // A malformed map file: the map's own line and column in the message.
    let broken = temp_file(
        "broken.map",
        "type octile\nheight 2\nwidth 3\nmap\n...\n.x.\n",
    );
    let text = tiny_scenario(
        &broken,
        "[[queries]]\nname = \"q\"\nstart = [0, 0]\ngoal = [1, 0]\n",
    );
    let msg = load_error("broken_map.toml", &text);
    assert_names(
        &msg,
        "broken_map.toml",
        line_of(&text, "movingai ="),
        "map.movingai",
    );
    assert!(msg.contains("broken.map:6:2"), "{msg}");
    // A .scen index past the end of the file.
    let scen = scenario("planning/grid_astar_movingai.toml");
    if datasets().is_some() {
        let text = std::fs::read_to_string(&scen)
            .unwrap()
            .replace("scen_index = 8005", "scen_index = 8010");
        let msg = load_error("scen_past_end.toml", &text);
        assert_names(
            &msg,
            "scen_past_end.toml",
            line_of(&text, "scen_index = 8010"),
            "queries.2.scen_index",
        );
    }
    // Warehouse: a start inside a rack, a misspelt key.
    let warehouse = std::fs::read_to_string(scenario("planning/grid_astar.toml"))
        .unwrap()
        .replace(
            "\"../mapping/warehouse.toml\"",
            &format!("{:?}", scenario("mapping/warehouse.toml")),
        );
    let text = warehouse.replace("start = [8.0, 6.85]", "start = [7.0, 4.5]");
    let msg = load_error("start_in_rack.toml", &text);
    assert_names(
        &msg,
        "start_in_rack.toml",
        line_of(&text, "start = [7.0, 4.5]"),
        "queries.1.start",
    );
    let text = warehouse.replace("robot_radius = 0.3", "robot_radiuss = 0.3");
    let msg = load_error("misspelt.toml", &text);
    assert_names(
        &msg,
        "misspelt.toml",
        line_of(&text, "robot_radiuss"),
        "robot_radiuss",
    );
    // The warehouse route through a rack.
    let mapping = std::fs::read_to_string(scenario("mapping/warehouse.toml")).unwrap();
    let text = mapping.replace(
        "speed_m_s = 1.0",
        "route_m = [[2.0, 2.0], [7.0, 7.0]]\nspeed_m_s = 1.0",
    );
    let msg = load_error("route_through_rack.toml", &text);
    assert_names(
        &msg,
        "route_through_rack.toml",
        line_of(&text, "route_m ="),
        "robot.route_m",
    );
    // Sampling planners: start in a circle, goal outside the box, bad neighbour rule.
    let rrt = std::fs::read_to_string(scenario("planning/rrt_star.toml"))
        .unwrap()
        .replace(
            "\"../../tests/fixtures/planning_sampling/anchor_scene.json\"",
            &format!(
                "{:?}",
                repo().join("tests/fixtures/planning_sampling/anchor_scene.json")
            ),
        );
    let text = rrt.replace("[scene]\n", "[scene]\nstart = [5.0, 5.0]\n");
    let msg = load_error("rrt_start_in_circle.toml", &text);
    assert_names(
        &msg,
        "rrt_start_in_circle.toml",
        line_of(&text, "start = [5.0, 5.0]"),
        "scene.start",
    );
    let text = rrt.replace("neighbours = \"k_nearest\"", "neighbours = \"all\"");
    let msg = load_error("rrt_neighbours.toml", &text);
    assert_names(
        &msg,
        "rrt_neighbours.toml",
        line_of(&text, "neighbours ="),
        "rrt_star.neighbours",
    );
    let prm = std::fs::read_to_string(scenario("planning/prm.toml")).unwrap();
    let text = prm.replace("goal = [19.0, 1.0]", "goal = [21.0, 1.0]");
    let msg = load_error("prm_goal_outside.toml", &text);
    assert_names(
        &msg,
        "prm_goal_outside.toml",
        line_of(&text, "goal = [21.0, 1.0]"),
        "queries.1.goal",
    );
    assert!(msg.contains("outside"), "{msg}");
}

#[test]
fn prm_unreachable_goal_is_a_clean_no_path() {
    // The goal sits in a closed box of four walls.
    let prm = std::fs::read_to_string(scenario("planning/prm.toml")).unwrap();
    let walls = "[[scene.boxes]]\nmin = [16.0, 16.0]\nmax = [19.5, 16.3]\n[[scene.boxes]]\nmin = [16.0, 19.2]\nmax = [19.5, 19.5]\n\
                 [[scene.boxes]]\nmin = [16.0, 16.0]\nmax = [16.3, 19.5]\n[[scene.boxes]]\nmin = [19.2, 16.0]\nmax = [19.5, 19.5]\n";
    let text = prm
        .replace(
            "[[scene.circles]]\ncenter = [15.5, 15.0]\nradius = 1.8\n",
            walls,
        )
        .replace("goal = [19.0, 19.0]", "goal = [17.75, 17.75]");
    let report = run_file(&temp_file("prm_enclosed.toml", &text), None);
    assert_eq!(metric(&report, "sw_to_ne", "solved"), 0.0);
    assert!(report.get("sw_to_ne", "length").is_none());
    assert_eq!(metric(&report, "prm", "queries_solved"), 3.0);
}
