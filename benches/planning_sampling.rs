//! Criterion benches of the sampling planners on the anchor scene (box [0,10]^2, 5 circles,
//! start (0.5,0.5), goal (9.5,9.5); tests/fixtures/planning_sampling/anchor_scene.json):
//! RRT to the first path, RRT* for a fixed number of iterations, PRM* roadmap construction, and
//! kiddo's interleaved insert + nearest query at 100k points.
//!
//! `cargo bench -p kestrel --no-default-features --bench planning_sampling`

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use kestrel::geometry::Circle;
use kestrel::planning::sampling::*;
use nalgebra::{Point2, Vector2};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

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

fn planners(c: &mut Criterion) {
    let (problem, scene) = anchor_scene();
    let mut group = c.benchmark_group("planning_sampling");
    group.sample_size(30);

    let mut seed = 0u64;
    group.bench_function("rrt_first_path", |b| {
        b.iter(|| {
            seed += 1;
            let mut rng = StdRng::seed_from_u64(seed);
            let r = rrt(
                &problem,
                &scene,
                &RrtParams::default(),
                &mut rng,
                &mut NoObserver,
            )
            .expect("rrt");
            black_box(r.cost)
        })
    });

    for iterations in [1_000u64, 10_000] {
        let params = RrtStarParams {
            termination: Termination::iterations(iterations),
            ..Default::default()
        };
        group.bench_function(format!("rrt_star_{iterations}_iterations"), |b| {
            b.iter(|| {
                seed += 1;
                let mut rng = StdRng::seed_from_u64(seed);
                let r =
                    rrt_star(&problem, &scene, &params, &mut rng, &mut NoObserver).expect("rrt*");
                black_box(r.cost)
            })
        });
    }

    for samples in [1_000usize, 5_000] {
        group.bench_function(format!("prm_star_construction_{samples}_samples"), |b| {
            b.iter(|| {
                seed += 1;
                let mut rng = StdRng::seed_from_u64(seed);
                let mut prm = Prm::new(*problem.bounds(), PrmParams::default()).expect("prm");
                prm.grow(&scene, samples, &mut rng, &mut NoObserver)
                    .expect("grow");
                black_box(prm.edges())
            })
        });
    }
    group.finish();
}

/// anchors.md: kiddo 6.3 at 0.43 us per interleaved insert + nearest query at 100k points.
/// One iteration = 1000 (insert, nearest) pairs; a fresh tree of 100k random points in [0,1]^2
/// is built (untimed) every 20 iterations, so the tree holds 100k..120k points while timed.
/// The per-pair time is the reported time / 1000.
fn kd_tree(c: &mut Criterion) {
    let mut group = c.benchmark_group("nearest_index");
    group.sample_size(20);
    let mut rng = StdRng::seed_from_u64(2);
    let pairs: Vec<(Vector2<f64>, Vector2<f64>)> = (0..20_000)
        .map(|_| {
            (
                Vector2::new(rng.random::<f64>(), rng.random::<f64>()),
                Vector2::new(rng.random::<f64>(), rng.random::<f64>()),
            )
        })
        .collect();
    group.bench_function("insert_plus_nearest_x1000_at_100k", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut index = random_index(100_000, 1);
            for it in 0..iters {
                let chunk = (it % 20) as usize;
                if chunk == 0 && it > 0 {
                    index = random_index(100_000, 1);
                }
                let started = Instant::now();
                for (insert, query) in &pairs[chunk * 1000..(chunk + 1) * 1000] {
                    index.insert(insert).expect("insert");
                    black_box(index.nearest(query));
                }
                total += started.elapsed();
            }
            total
        })
    });
    group.finish();
}

/// An index of `n` uniform random points in [0,1]^2.
fn random_index(n: usize, seed: u64) -> NearestIndex<2> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut index = NearestIndex::<2>::new();
    for _ in 0..n {
        index
            .insert(&Vector2::new(rng.random::<f64>(), rng.random::<f64>()))
            .expect("insert");
    }
    index
}

criterion_group!(benches, planners, kd_tree);
criterion_main!(benches);
