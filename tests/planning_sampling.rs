//! Sampling planners (RRT, RRT*, PRM/PRM*), their collision checks and kd-tree, checked against
//! closed-form results, brute force and an independent grid search.

use std::f64::consts::PI;

use kestrel::geometry::{Aabb, Circle};
use kestrel::planning::sampling::*;
use nalgebra::{Point2, Vector2};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

type V2 = Vector2<f64>;

fn p(x: f64, y: f64) -> Point2<f64> {
    Point2::new(x, y)
}

fn v(x: f64, y: f64) -> V2 {
    Vector2::new(x, y)
}

fn square(lo: f64, hi: f64) -> Bounds<2> {
    Bounds::new(v(lo, lo), v(hi, hi)).unwrap()
}

/// The benchmark scene shared with the benches and the OMPL comparison script.
fn anchor_scene() -> (Problem<2>, GeometricScene) {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/planning_sampling/anchor_scene.json"
    ))
    .unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let pair = |x: &serde_json::Value| v(x[0].as_f64().unwrap(), x[1].as_f64().unwrap());
    let bounds = Bounds::new(
        pair(&json["bounds"]["lower"]),
        pair(&json["bounds"]["upper"]),
    )
    .unwrap();
    let problem = Problem::new(bounds, pair(&json["start"]), pair(&json["goal"])).unwrap();
    let mut scene = GeometricScene::new();
    for c in json["circles"].as_array().unwrap() {
        let centre = pair(&c["center"]);
        scene
            .add_circle(Circle::new(p(centre.x, centre.y), c["radius"].as_f64().unwrap()).unwrap());
    }
    (problem, scene)
}

/// Independent validity check of a path: points every 1 mm along each segment.
fn path_is_free(path: &[V2], scene: &GeometricScene) -> bool {
    path.windows(2).all(|w| {
        let n = ((w[1] - w[0]).norm() / 1e-3).ceil().max(1.0) as usize;
        (0..=n).all(|i| scene.is_state_valid(&(w[0] + (w[1] - w[0]) * (i as f64 / n as f64))))
    })
}

/// Closed-form shortest path around one disc (centre c, radius r) from s to g when the segment
/// s g crosses the disc: two tangent segments plus the shorter arc between the tangent points.
/// L = sqrt(|s-c|^2 - r^2) + sqrt(|g-c|^2 - r^2) + r (angle(s-c, g-c) - acos(r/|s-c|) - acos(r/|g-c|)).
fn around_disc(s: V2, g: V2, c: V2, r: f64) -> f64 {
    let (ds, dg) = ((s - c).norm(), (g - c).norm());
    let angle = ((s - c).dot(&(g - c)) / (ds * dg)).clamp(-1.0, 1.0).acos();
    (ds * ds - r * r).sqrt()
        + (dg * dg - r * r).sqrt()
        + r * (angle - (r / ds).acos() - (r / dg).acos())
}

// ---------------------------------------------------------------------------------------------
// RRT* converges toward a closed-form optimum.

#[test]
fn around_disc_formula_checks() {
    // Start and goal diametrically opposite at distance 2r from the centre: tangents of length
    // sqrt(3) r each, arc of pi - 2 pi/3 = pi/3.
    let l = around_disc(v(1.0, 5.0), v(9.0, 5.0), v(5.0, 5.0), 2.0);
    assert!((l - (2.0 * 12f64.sqrt() + 2.0 * PI / 3.0)).abs() < 1e-12);
    // Start and goal on the circle, a quarter apart: the arc itself.
    let q = around_disc(v(2.0, 0.0), v(0.0, 2.0), v(0.0, 0.0), 2.0);
    assert!((q - PI).abs() < 1e-12);
}

#[test]
fn rrt_star_cost_decreases_toward_the_closed_form_optimum() {
    let bounds = square(0.0, 10.0);
    let (s, g, c, r) = (v(1.0, 3.0), v(9.0, 6.0), v(5.0, 4.6), 2.0);
    let optimum = around_disc(s, g, c, r);
    let mut scene = GeometricScene::new();
    scene.add_circle(Circle::new(p(c.x, c.y), r).unwrap());
    assert!(!scene.is_motion_valid(&s, &g));
    let problem = Problem::new(bounds, s, g).unwrap();
    let params = RrtStarParams {
        range: Some(1.0),
        termination: Termination::iterations(12_000),
        ..Default::default()
    };
    let checkpoints = [750u64, 3000, 12_000];
    let seeds = 6;
    let mut mean = [0.0; 3];
    for seed in 0..seeds {
        let mut rng = StdRng::seed_from_u64(seed);
        let result = rrt_star(&problem, &scene, &params, &mut rng, &mut NoObserver).unwrap();
        let path = result.path.as_ref().expect("RRT* must solve this scene");
        assert!(path_is_free(path, &scene));
        assert!((path_length(path) - result.cost).abs() < 1e-9);
        // No collision-free polyline beats the geodesic.
        assert!(result.cost >= optimum - 1e-9, "{} < {optimum}", result.cost);
        for (k, &it) in checkpoints.iter().enumerate() {
            let cost = result.cost_at_iteration(it);
            assert!(cost >= optimum - 1e-9);
            mean[k] += cost / seeds as f64;
        }
        // The history is non-increasing and ends at the returned cost (up to summation order).
        assert!(result
            .cost_history
            .windows(2)
            .all(|w| w[1].cost < w[0].cost));
        assert!((result.cost_history.last().unwrap().cost - result.cost).abs() < 1e-9);
    }
    eprintln!("optimum {optimum:.5}, mean cost at {checkpoints:?}: {mean:?}");
    assert!(mean[0] > mean[1] && mean[1] > mean[2], "{mean:?}");
    assert!(
        mean[2] < optimum * 1.01,
        "mean after 12k iterations {} vs optimum {optimum}",
        mean[2]
    );
}

/// The k-nearest rule and informed sampling on the closed-form scene: every path is valid and
/// no shorter than the geodesic, and both beat the uniform radius rule after 3000 iterations.
#[test]
fn k_nearest_and_informed_rrt_star_get_closer_to_the_optimum() {
    let (s, g, c, r) = (v(1.0, 3.0), v(9.0, 6.0), v(5.0, 4.6), 2.0);
    let optimum = around_disc(s, g, c, r);
    let mut scene = GeometricScene::new();
    scene.add_circle(Circle::new(p(c.x, c.y), r).unwrap());
    let problem = Problem::new(square(0.0, 10.0), s, g).unwrap();
    let variants = [
        (RrtStarNeighbours::Radius, false),
        (RrtStarNeighbours::KNearest, false),
        (RrtStarNeighbours::Radius, true),
    ];
    let mut mean = [0.0; 3];
    for (k, (neighbours, informed_sampling)) in variants.into_iter().enumerate() {
        let params = RrtStarParams {
            range: Some(1.0),
            neighbours,
            informed_sampling,
            termination: Termination::iterations(3000),
            ..Default::default()
        };
        for seed in 0..6 {
            let mut rng = StdRng::seed_from_u64(seed);
            let result = rrt_star(&problem, &scene, &params, &mut rng, &mut NoObserver).unwrap();
            let path = result.path.unwrap();
            assert!(path_is_free(&path, &scene));
            assert!(result.cost >= optimum - 1e-9);
            mean[k] += result.cost / 6.0;
        }
    }
    eprintln!(
        "optimum {optimum:.5}, mean after 3000 iterations (radius, k-nearest, informed): {mean:?}"
    );
    assert!(mean[1] < mean[0] && mean[2] < mean[0], "{mean:?}");
    assert!(mean[2] < optimum * 1.005, "{} vs {optimum}", mean[2]);
}

#[test]
fn rrt_star_without_obstacles_approaches_the_straight_line() {
    let problem = Problem::new(square(0.0, 1.0), v(0.1, 0.2), v(0.9, 0.7)).unwrap();
    let straight = (0.8f64.powi(2) + 0.5f64.powi(2)).sqrt();
    let params = RrtStarParams {
        termination: Termination::iterations(4000),
        ..Default::default()
    };
    let mut rng = StdRng::seed_from_u64(9);
    let result = rrt_star(
        &problem,
        &GeometricScene::new(),
        &params,
        &mut rng,
        &mut NoObserver,
    )
    .unwrap();
    assert!(result.cost >= straight - 1e-12);
    assert!(
        result.cost < straight * 1.01,
        "{} vs {straight}",
        result.cost
    );
}

// ---------------------------------------------------------------------------------------------
// Behaviour of the planners.

#[test]
fn rrt_solves_the_anchor_scene_deterministically() {
    let (problem, scene) = anchor_scene();
    assert!(!scene.is_motion_valid(problem.start(), problem.goal()));
    let straight = (problem.goal() - problem.start()).norm();
    let params = RrtParams::default();
    let run = |seed| {
        let mut rng = StdRng::seed_from_u64(seed);
        rrt(&problem, &scene, &params, &mut rng, &mut NoObserver).unwrap()
    };
    let a = run(3);
    let b = run(3);
    let c = run(4);
    assert_eq!(a.path, b.path);
    assert_eq!(a.graph, b.graph);
    assert_ne!(a.path, c.path);
    for r in [&a, &c] {
        assert_eq!(r.termination, TerminationReason::FirstSolution);
        let path = r.path.as_ref().unwrap();
        assert_eq!(path[0], *problem.start());
        assert_eq!(path.last().unwrap(), problem.goal());
        assert!(path_is_free(path, &scene));
        assert!(r.cost > straight);
        assert_eq!(r.stats.vertices, r.graph.states.len());
        assert_eq!(r.graph.edges.len(), r.graph.states.len() - 1);
        // Every segment is at most the range (a fifth of the diagonal by default).
        let range = 0.2 * 200f64.sqrt();
        assert!(path
            .windows(2)
            .all(|w| (w[1] - w[0]).norm() <= range + 1e-12));
    }
}

#[test]
fn observer_events_replay_the_final_tree() {
    for neighbours in [RrtStarNeighbours::Radius, RrtStarNeighbours::KNearest] {
        replay_tree(RrtStarParams {
            neighbours,
            informed_sampling: neighbours == RrtStarNeighbours::KNearest,
            termination: Termination::iterations(3000),
            ..Default::default()
        });
    }
}

fn replay_tree(params: RrtStarParams) {
    let (problem, scene) = anchor_scene();
    let mut parents: Vec<Option<u32>> = Vec::new();
    let mut improvements = Vec::new();
    let mut rewires = 0u64;
    let mut observer = |e: &PlannerEvent<2>| match *e {
        PlannerEvent::VertexAdded { id, parent, .. } => {
            assert_eq!(id as usize, parents.len());
            parents.push(parent);
        }
        PlannerEvent::Rewired {
            id,
            old_parent,
            new_parent,
        } => {
            assert_eq!(parents[id as usize], Some(old_parent));
            parents[id as usize] = Some(new_parent);
            rewires += 1;
        }
        PlannerEvent::SolutionImproved { cost, .. } => improvements.push(cost),
        PlannerEvent::EdgeAdded { .. } => panic!("RRT* adds no roadmap edges"),
    };
    let mut rng = StdRng::seed_from_u64(21);
    let result = rrt_star(&problem, &scene, &params, &mut rng, &mut observer).unwrap();
    assert!(result.stats.rewires > 0);
    assert_eq!(rewires, result.stats.rewires);
    assert_eq!(parents.len(), result.stats.vertices);
    let replayed: Vec<[u32; 2]> = parents
        .iter()
        .enumerate()
        .filter_map(|(c, p)| p.map(|p| [p, c as u32]))
        .collect();
    assert_eq!(replayed, result.graph.edges);
    let history: Vec<f64> = result.cost_history.iter().map(|s| s.cost).collect();
    assert_eq!(improvements, history);
}

#[test]
fn termination_conditions() {
    let (problem, scene) = anchor_scene();
    let mut rng = StdRng::seed_from_u64(2);
    let params = RrtStarParams {
        termination: Termination::iterations(200_000).with_cost_threshold(14.5),
        ..Default::default()
    };
    let r = rrt_star(&problem, &scene, &params, &mut rng, &mut NoObserver).unwrap();
    assert_eq!(r.termination, TerminationReason::CostThreshold);
    assert!(r.cost <= 14.5 + 1e-9);
    assert!(r.stats.iterations < 200_000);

    let params = RrtStarParams {
        termination: Termination::iterations(200_000).with_first_solution(),
        ..Default::default()
    };
    let r = rrt_star(&problem, &scene, &params, &mut rng, &mut NoObserver).unwrap();
    assert_eq!(r.termination, TerminationReason::FirstSolution);
    assert_eq!(r.cost_history.len(), 1);
    assert_eq!(r.stats.first_solution_iteration, Some(r.stats.iterations));

    let params = RrtStarParams {
        termination: Termination::duration(std::time::Duration::from_millis(30)),
        ..Default::default()
    };
    let r = rrt_star(&problem, &scene, &params, &mut rng, &mut NoObserver).unwrap();
    assert_eq!(r.termination, TerminationReason::Duration);
    assert!(r.solved());
}

#[test]
fn unreachable_goal_is_a_clean_no_path() {
    // A wall across the whole space.
    let mut scene = GeometricScene::new();
    scene.add_box(Aabb::new(p(4.0, -1.0), p(5.0, 11.0)).unwrap());
    let problem = Problem::new(square(0.0, 10.0), v(1.0, 1.0), v(9.0, 9.0)).unwrap();
    let mut rng = StdRng::seed_from_u64(0);
    let params = RrtParams {
        termination: Termination::iterations(5000).with_first_solution(),
        ..Default::default()
    };
    let r = rrt(&problem, &scene, &params, &mut rng, &mut NoObserver).unwrap();
    assert!(r.path.is_none() && r.cost.is_infinite() && r.cost_history.is_empty());
    assert_eq!(r.termination, TerminationReason::Iterations);
    assert_eq!(r.stats.iterations, 5000);
    assert!(r.graph.states.iter().all(|q| q.x < 4.0));

    let params = RrtStarParams {
        termination: Termination::iterations(3000),
        ..Default::default()
    };
    let r = rrt_star(&problem, &scene, &params, &mut rng, &mut NoObserver).unwrap();
    assert!(r.path.is_none() && r.stats.first_solution_iteration.is_none());

    let mut prm = Prm::new(*problem.bounds(), PrmParams::default()).unwrap();
    prm.grow(&scene, 1500, &mut rng, &mut NoObserver).unwrap();
    let r = prm.query(&scene, problem.start(), problem.goal()).unwrap();
    assert!(r.path.is_none());
}

#[test]
fn bad_input_gives_typed_errors() {
    let (problem, scene) = anchor_scene();
    let mut rng = StdRng::seed_from_u64(0);
    let b = *problem.bounds();
    // Start or goal in collision (inside the circle at (5, 5)).
    let in_circle = Problem::new(b, v(5.0, 5.0), v(9.5, 9.5)).unwrap();
    let e = rrt(
        &in_circle,
        &scene,
        &RrtParams::default(),
        &mut rng,
        &mut NoObserver,
    )
    .unwrap_err();
    assert_eq!(e, SamplingError::StartInCollision);
    let goal_in = Problem::new(b, v(0.5, 0.5), v(5.5, 5.5)).unwrap();
    let e = rrt_star(
        &goal_in,
        &scene,
        &RrtStarParams::default(),
        &mut rng,
        &mut NoObserver,
    )
    .unwrap_err();
    assert_eq!(e, SamplingError::GoalInCollision);
    // Outside the bounds, non-finite values.
    assert!(matches!(
        Problem::new(b, v(-0.5, 0.5), v(9.5, 9.5)),
        Err(SamplingError::OutOfBounds {
            what: "start",
            axis: 0,
            ..
        })
    ));
    assert!(matches!(
        Problem::new(b, v(0.5, 0.5), v(9.5, f64::NAN)),
        Err(SamplingError::NonFinite { what: "goal" })
    ));
    assert!(matches!(
        Bounds::new(v(0.0, f64::INFINITY), v(1.0, 1.0)),
        Err(SamplingError::NonFinite { .. })
    ));
    assert!(matches!(
        Bounds::new(v(0.0, 2.0), v(1.0, 1.0)),
        Err(SamplingError::EmptyBounds { axis: 1, .. })
    ));
    assert!(problem.with_goal_tolerance(-1.0).is_err());
    // Bad parameters.
    let invalid = |e: SamplingError, name: &str| {
        assert!(
            matches!(e, SamplingError::InvalidParameter { name: n, .. } if n == name),
            "{e}"
        )
    };
    let bad = RrtParams {
        goal_bias: 1.5,
        ..Default::default()
    };
    invalid(
        rrt(&problem, &scene, &bad, &mut rng, &mut NoObserver).unwrap_err(),
        "goal_bias",
    );
    let bad = RrtParams {
        range: Some(0.0),
        ..Default::default()
    };
    invalid(
        rrt(&problem, &scene, &bad, &mut rng, &mut NoObserver).unwrap_err(),
        "range",
    );
    let bad = RrtParams {
        range: Some(f64::NAN),
        ..Default::default()
    };
    invalid(
        rrt(&problem, &scene, &bad, &mut rng, &mut NoObserver).unwrap_err(),
        "range",
    );
    let bad = RrtParams {
        termination: Termination::default(),
        ..Default::default()
    };
    invalid(
        rrt(&problem, &scene, &bad, &mut rng, &mut NoObserver).unwrap_err(),
        "termination",
    );
    let bad = RrtStarParams {
        rewire_factor: 0.9,
        ..Default::default()
    };
    invalid(
        rrt_star(&problem, &scene, &bad, &mut rng, &mut NoObserver).unwrap_err(),
        "rewire_factor",
    );
    let bad = RrtStarParams {
        free_volume: Some(-1.0),
        ..Default::default()
    };
    invalid(
        rrt_star(&problem, &scene, &bad, &mut rng, &mut NoObserver).unwrap_err(),
        "free_volume",
    );
    let bad = PrmParams {
        connection: PrmConnection::KNearest(0),
        ..Default::default()
    };
    invalid(Prm::new(b, bad).unwrap_err(), "connection.k");
    let bad = PrmParams {
        connection: PrmConnection::Radius(-1.0),
        ..Default::default()
    };
    invalid(Prm::new(b, bad).unwrap_err(), "connection.radius");
    assert!(FnChecker::new(|_: &V2| true, 0.0).is_err());
    // Shapes.
    assert!(Circle::new(p(0.0, 0.0), -1.0).is_err());
    assert!(Aabb::new(p(0.0, 0.0), p(f64::NAN, 1.0)).is_err());
    // PRM queries validate start and goal the same way.
    let mut prm = Prm::new(b, PrmParams::default()).unwrap();
    assert_eq!(
        prm.query(&scene, &v(5.0, 5.0), &v(9.0, 9.0)).unwrap_err(),
        SamplingError::StartInCollision
    );
    assert!(matches!(
        prm.query(&scene, &v(0.5, 0.5), &v(11.0, 9.0)),
        Err(SamplingError::OutOfBounds { what: "goal", .. })
    ));
    // Shortcutting an empty or non-finite path.
    assert!(shortcut_greedy::<2, _>(&[], &scene).is_err());
    assert!(shortcut_random(&[v(f64::NAN, 0.0)], &scene, 10, &mut rng).is_err());
}

#[test]
fn rrt_reaches_a_goal_region_and_higher_dimensions() {
    // 3-D: a slab with a square hole; goal region of radius 0.3.
    let hole = |q: &nalgebra::Vector3<f64>| {
        !((4.5..=5.5).contains(&q.z) && !((q.x - 5.0).abs() < 1.0 && (q.y - 5.0).abs() < 1.0))
    };
    let checker = FnChecker::new(hole, 0.05).unwrap();
    let bounds = Bounds::new(nalgebra::Vector3::zeros(), nalgebra::Vector3::repeat(10.0)).unwrap();
    let start = nalgebra::Vector3::new(1.0, 1.0, 1.0);
    let goal = nalgebra::Vector3::new(9.0, 9.0, 9.0);
    let problem = Problem::new(bounds, start, goal)
        .unwrap()
        .with_goal_tolerance(0.3)
        .unwrap();
    let mut rng = StdRng::seed_from_u64(4);
    let params = RrtParams {
        goal_bias: 0.0,
        termination: Termination::iterations(200_000).with_first_solution(),
        ..Default::default()
    };
    let r = rrt(&problem, &checker, &params, &mut rng, &mut NoObserver).unwrap();
    let path = r.path.unwrap();
    assert!((path.last().unwrap() - goal).norm() <= 0.3);
    // The path crosses the slab through the hole.
    assert!(path
        .windows(2)
        .all(|w| checker.is_motion_valid(&w[0], &w[1])));
    assert!(path.iter().any(|q| q.z > 5.5) && path.iter().any(|q| q.z < 4.5));
}

#[test]
fn shortcutting_keeps_paths_valid_and_never_longer() {
    let (problem, scene) = anchor_scene();
    for seed in 0..5 {
        let mut rng = StdRng::seed_from_u64(seed);
        let r = rrt(
            &problem,
            &scene,
            &RrtParams::default(),
            &mut rng,
            &mut NoObserver,
        )
        .unwrap();
        let path = r.path.unwrap();
        let greedy = shortcut_greedy(&path, &scene).unwrap();
        let random = shortcut_random(&path, &scene, 200, &mut rng).unwrap();
        for short in [&greedy, &random] {
            assert_eq!(short[0], path[0]);
            assert_eq!(short.last(), path.last());
            assert!(path_is_free(short, &scene));
            assert!(path_length(short) <= r.cost + 1e-9);
            assert!(path_length(short) > 12.73);
        }
        assert!(path_length(&random) < r.cost);
    }
}

// ---------------------------------------------------------------------------------------------
// PRM against an independent grid search.

/// 4-connected BFS over cells of side `h` whose closed square touches no obstacle (a
/// conservative discretisation: a grid path implies a collision-free path). Start and goal
/// cells must be free.
fn grid_connected(scene: &GeometricScene, size: f64, h: f64, s: V2, g: V2) -> bool {
    let n = (size / h).round() as usize;
    let free = |i: usize, j: usize| {
        let (lo, hi) = (
            p(i as f64 * h, j as f64 * h),
            p((i + 1) as f64 * h, (j + 1) as f64 * h),
        );
        let circles_clear = scene.circles().iter().all(|c| {
            let q = p(
                c.center().x.clamp(lo.x, hi.x),
                c.center().y.clamp(lo.y, hi.y),
            );
            (q - c.center()).norm() > c.radius()
        });
        let boxes_clear = scene
            .boxes()
            .iter()
            .all(|b| hi.x < b.min().x || lo.x > b.max().x || hi.y < b.min().y || lo.y > b.max().y);
        circles_clear && boxes_clear
    };
    let cell = |q: V2| ((q.x / h) as usize, (q.y / h) as usize);
    let (start, goal) = (cell(s), cell(g));
    if !free(start.0, start.1) || !free(goal.0, goal.1) {
        return false;
    }
    let mut seen = vec![false; n * n];
    let mut queue = std::collections::VecDeque::from([start]);
    seen[start.1 * n + start.0] = true;
    while let Some((i, j)) = queue.pop_front() {
        if (i, j) == goal {
            return true;
        }
        let next = [
            (i.wrapping_sub(1), j),
            (i + 1, j),
            (i, j.wrapping_sub(1)),
            (i, j + 1),
        ];
        for (a, b) in next {
            if a < n && b < n && !seen[b * n + a] && free(a, b) {
                seen[b * n + a] = true;
                queue.push_back((a, b));
            }
        }
    }
    false
}

#[test]
fn prm_finds_the_paths_a_grid_search_confirms() {
    let mut confirmed = 0;
    for seed in 0..12u64 {
        let mut rng = StdRng::seed_from_u64(100 + seed);
        let mut scene = GeometricScene::new();
        for _ in 0..8 {
            let c = p(rng.random_range(1.0..9.0), rng.random_range(1.0..9.0));
            scene.add_circle(Circle::new(c, rng.random_range(0.4..1.4)).unwrap());
        }
        for _ in 0..4 {
            let lo = p(rng.random_range(0.5..8.0), rng.random_range(0.5..8.0));
            let hi = lo + Vector2::new(rng.random_range(0.2..2.0), rng.random_range(0.2..2.0));
            scene.add_box(Aabb::new(lo, hi).unwrap());
        }
        let (s, g) = (v(0.3, 0.3), v(9.7, 9.7));
        if !scene.is_state_valid(&s) || !scene.is_state_valid(&g) {
            continue;
        }
        if !grid_connected(&scene, 10.0, 0.05, s, g) {
            continue;
        }
        confirmed += 1;
        for connection in [
            PrmConnection::StarRadius { rewire_factor: 1.1 },
            PrmConnection::StarKNearest { rewire_factor: 1.0 },
            PrmConnection::KNearest(10),
        ] {
            let mut prm = Prm::new(
                square(0.0, 10.0),
                PrmParams {
                    connection,
                    free_volume: None,
                },
            )
            .unwrap();
            prm.grow(&scene, 3000, &mut rng, &mut NoObserver).unwrap();
            let r = prm.query(&scene, &s, &g).unwrap();
            let path = r
                .path
                .unwrap_or_else(|| panic!("seed {seed}, {connection:?}: no path"));
            assert_eq!((path[0], *path.last().unwrap()), (s, g));
            assert!(path_is_free(&path, &scene), "seed {seed}");
            assert!(r.cost >= (g - s).norm());
            // The roadmap is unchanged by the query.
            assert_eq!(prm.milestones(), prm.search_graph().states.len());
        }
    }
    assert!(confirmed >= 6, "only {confirmed} scenes had a grid path");
}

#[test]
fn prm_star_is_near_optimal_on_the_single_disc_scene() {
    let (s, g, c, r) = (v(1.0, 3.0), v(9.0, 6.0), v(5.0, 4.6), 2.0);
    let optimum = around_disc(s, g, c, r);
    let mut scene = GeometricScene::new();
    scene.add_circle(Circle::new(p(c.x, c.y), r).unwrap());
    let mut rng = StdRng::seed_from_u64(8);
    let mut prm = Prm::new(square(0.0, 10.0), PrmParams::default()).unwrap();
    let mut edges = 0;
    let mut observer = |e: &PlannerEvent<2>| {
        if let PlannerEvent::EdgeAdded { .. } = e {
            edges += 1;
        }
    };
    prm.grow(&scene, 4000, &mut rng, &mut observer).unwrap();
    assert_eq!(edges, prm.edges());
    let result = prm.query(&scene, &s, &g).unwrap();
    assert!(result.cost >= optimum - 1e-9);
    assert!(result.cost < optimum * 1.03, "{} vs {optimum}", result.cost);
}
