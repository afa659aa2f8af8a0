//! Kestrel's side of the OMPL comparison (tools/compare/ompl_rrt_star.py): on the anchor scene
//! (tests/fixtures/planning_sampling/anchor_scene.json), for 10 seeds, prints RRT's time to the
//! first path, RRT*'s time to the first path, and RRT*'s best cost after 0.1 s, 0.5 s and 1 s of
//! wall time (a fresh run per budget, as the script does), with the tree size.
//!
//! Not a criterion bench (no statistics, just the table):
//! `cargo bench -p kestrel --no-default-features --bench planning_sampling_budget`

use std::time::Duration;

use kestrel::geometry::Circle;
use kestrel::planning::sampling::*;
use nalgebra::{Point2, Vector2};
use rand::rngs::StdRng;
use rand::SeedableRng;

fn anchor_scene() -> (Problem<2>, GeometricScene) {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/planning_sampling/anchor_scene.json"
    ))
    .expect("anchor scene fixture");
    let json: serde_json::Value = serde_json::from_str(&text).expect("anchor scene JSON");
    let pair = |x: &serde_json::Value| Vector2::new(x[0].as_f64().unwrap(), x[1].as_f64().unwrap());
    let bounds = Bounds::new(
        pair(&json["bounds"]["lower"]),
        pair(&json["bounds"]["upper"]),
    )
    .expect("bounds");
    let problem = Problem::new(bounds, pair(&json["start"]), pair(&json["goal"])).expect("problem");
    let mut scene = GeometricScene::new();
    for c in json["circles"].as_array().unwrap() {
        let centre = pair(&c["center"]);
        scene.add_circle(
            Circle::new(
                Point2::new(centre.x, centre.y),
                c["radius"].as_f64().unwrap(),
            )
            .expect("circle"),
        );
    }
    (problem, scene)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if !n.is_multiple_of(2) {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument other than that skips this table when
    // it does not match "budget", so `cargo bench -- rrt_first_path` only runs criterion benches.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if !filters.is_empty()
        && !filters
            .iter()
            .any(|f| "planning_sampling_budget".contains(f.as_str()))
    {
        return;
    }
    let (problem, scene) = anchor_scene();
    let budgets = [0.1, 0.5, 1.0];
    let seeds: Vec<u64> = (0..10).collect();
    println!(
        "anchor scene, straight-line bound {:.4}",
        (problem.goal() - problem.start()).norm()
    );

    // RRT: time to the first path.
    let (mut first, mut cost) = (Vec::new(), Vec::new());
    for &seed in &seeds {
        let mut rng = StdRng::seed_from_u64(seed);
        let r = rrt(
            &problem,
            &scene,
            &RrtParams::default(),
            &mut rng,
            &mut NoObserver,
        )
        .expect("rrt");
        first.push(
            r.stats
                .first_solution_time
                .map_or(f64::NAN, |t| t.as_secs_f64() * 1e3),
        );
        cost.push(r.cost);
    }
    println!("\nKestrel RRT (goal bias 0.05, range 0.2 x diagonal)");
    println!("first path [ms] per seed: {}", fmt(&first, 3));
    println!("cost per seed:            {}", fmt(&cost, 3));
    println!(
        "median first path {:.3} ms, median cost {:.3}",
        median(first),
        median(cost)
    );

    let variants = [
        (
            "Kestrel RRT* (radius rule, the default)",
            RrtStarNeighbours::Radius,
            false,
        ),
        (
            "Kestrel RRT* (k-nearest rule, as OMPL's default)",
            RrtStarNeighbours::KNearest,
            false,
        ),
        (
            "Kestrel RRT* with informed sampling (radius rule)",
            RrtStarNeighbours::Radius,
            true,
        ),
    ];
    for (name, neighbours, informed_sampling) in variants {
        println!("\n{name}, rewire factor 1.1, goal bias 0.05, range 0.2 x diagonal");
        println!("seed | first [ms] | cost@0.1s | cost@0.5s | cost@1s | vertices@1s");
        let mut cols: Vec<Vec<f64>> = vec![Vec::new(); 5];
        for &seed in &seeds {
            let base = RrtStarParams {
                neighbours,
                informed_sampling,
                ..Default::default()
            };
            let first_params = RrtStarParams {
                termination: Termination::iterations(10_000_000).with_first_solution(),
                ..base
            };
            let mut rng = StdRng::seed_from_u64(seed);
            let f =
                rrt_star(&problem, &scene, &first_params, &mut rng, &mut NoObserver).expect("rrt*");
            let first = f
                .stats
                .first_solution_time
                .map_or(f64::NAN, |t| t.as_secs_f64() * 1e3);
            let mut row = vec![first];
            let mut vertices = 0;
            for &budget in &budgets {
                let params = RrtStarParams {
                    termination: Termination::duration(Duration::from_secs_f64(budget)),
                    ..base
                };
                let mut rng = StdRng::seed_from_u64(seed);
                let s =
                    rrt_star(&problem, &scene, &params, &mut rng, &mut NoObserver).expect("rrt*");
                row.push(s.cost);
                vertices = s.stats.vertices;
            }
            row.push(vertices as f64);
            println!(
                "{seed:4} | {:10.3} | {:9.4} | {:9.4} | {:7.4} | {:11}",
                row[0], row[1], row[2], row[3], vertices
            );
            for (k, x) in row.into_iter().enumerate() {
                cols[k].push(x);
            }
        }
        let m: Vec<f64> = cols.into_iter().map(median).collect();
        println!(
            "median | {:8.3} | {:9.4} | {:9.4} | {:7.4} | {:11.0}",
            m[0], m[1], m[2], m[3], m[4]
        );
    }
}

fn fmt(v: &[f64], digits: usize) -> String {
    v.iter()
        .map(|x| format!("{x:.digits$}"))
        .collect::<Vec<_>>()
        .join(" ")
}
