//! Multi-object trackers, per scan: exact JPDA on 8 crossing targets (about 42 detections per
//! scan), GNN on 50 crossing targets (about 271 detections per scan), and the full GNN tracker
//! (initiation, 2-of-3 logic) on the 900-target grid (15 x 15 cells, 4 targets per cell).
//!
//! Run: `cargo bench -p kestrel --no-default-features --bench trackers`.
//!
//! The first two scenarios replicate the Stone Soup tutorial setting of anchors.md (crossing
//! pairs in uniform clutter, CV q = 0.005, R = 0.75 I, P_D = 0.9, tracks seeded at the truth).
//! With `KESTREL_TRACKERS_EXPORT=<dir>` the binary does not run criterion: it writes the
//! scenarios (truth, detections, priors, parameters) to `<dir>/scenarios.json` and Kestrel's
//! per-scan times and estimates to `<dir>/kestrel.json`, for tools/compare/stonesoup_trackers.py,
//! which runs Stone Soup on the very same detections (and calls this binary itself).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion};
use kestrel::estimation::KalmanFilter;
use kestrel::models::measurement::PositionMeasurement;
use kestrel::models::motion::ConstantVelocity;
use kestrel::models::MotionModel;
use kestrel::tracking::{
    Associator, Gating, Gnn, GnnCost, HistoryLogic, Jpda, KalmanTrack, NoInitiation,
    SinglePointInitiator, StateLayout, Tracker,
};
use nalgebra::{Matrix2, Matrix4, Vector2, Vector4};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal, Poisson};
use serde_json::{json, Value};

/// One scenario: truth and detections per scan, and the tracker's parameters.
struct Scenario {
    name: &'static str,
    q: f64,
    r: f64,
    pd: f64,
    pg: f64,
    clutter_density: f64,
    missed_distance: f64,
    priors: Vec<Vector4<f64>>,
    prior_variance: [f64; 4],
    truth: Vec<Vec<Vector2<f64>>>,
    scans: Vec<Vec<Vector2<f64>>>,
}

/// `n_pairs` crossing pairs on a grid of `cols` columns 60 m apart: in each pair one target
/// starts at `(x0, y0)` with velocity `(1, 1)` m/s, the other at `(x0, y0 + 20)` with `(1, -1)`;
/// they cross after 10 s. CV truth with process noise `q`, detections with `P_D` and noise
/// `R = r I`, and Poisson clutter uniform over the truth's bounding box (+10 m), with a mean
/// chosen so that a scan holds `detections_per_target x n` detections on average.
fn crossing(
    name: &'static str,
    n_pairs: usize,
    cols: usize,
    steps: usize,
    detections_per_target: f64,
    seed: u64,
) -> Scenario {
    let (q, r, pd): (f64, f64, f64) = (0.005, 0.75, 0.9);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut x: Vec<Vector4<f64>> = Vec::new();
    for k in 0..n_pairs {
        let (x0, y0) = (60.0 * (k % cols) as f64, 60.0 * (k / cols) as f64);
        x.push(Vector4::new(x0, 1.0, y0, 1.0));
        x.push(Vector4::new(x0, 1.0, y0 + 20.0, -1.0));
    }
    let priors = x.clone();
    let cv = ConstantVelocity::new(q).unwrap();
    let l = cv
        .process_noise(&Vector4::zeros(), 1.0)
        .cholesky()
        .unwrap()
        .l();
    let unit = Normal::new(0.0, 1.0).unwrap();
    let noise = Normal::new(0.0, r.sqrt()).unwrap();
    let mut truth = Vec::new();
    for _ in 0..steps {
        for xi in &mut x {
            let w = Vector4::from_fn(|_, _| unit.sample(&mut rng));
            *xi = cv.transition(xi, 1.0) + l * w;
        }
        truth.push(
            x.iter()
                .map(|v| Vector2::new(v[0], v[2]))
                .collect::<Vec<_>>(),
        );
    }
    let all = truth.iter().flatten();
    let (mut lo, mut hi) = (
        Vector2::repeat(f64::INFINITY),
        Vector2::repeat(f64::NEG_INFINITY),
    );
    for p in all {
        lo = lo.inf(p);
        hi = hi.sup(p);
    }
    lo -= Vector2::repeat(10.0);
    hi += Vector2::repeat(10.0);
    let area = (hi.x - lo.x) * (hi.y - lo.y);
    let n = 2 * n_pairs;
    let clutter_mean = (detections_per_target - pd) * n as f64;
    let poisson = Poisson::new(clutter_mean).unwrap();
    let mut scans = Vec::new();
    for t in &truth {
        let mut z: Vec<Vector2<f64>> = Vec::new();
        for p in t {
            if rng.random_bool(pd) {
                z.push(p + Vector2::new(noise.sample(&mut rng), noise.sample(&mut rng)));
            }
        }
        let k: f64 = poisson.sample(&mut rng);
        for _ in 0..k as usize {
            z.push(Vector2::new(
                rng.random_range(lo.x..hi.x),
                rng.random_range(lo.y..hi.y),
            ));
        }
        // shuffle so that detection order carries no information
        for i in (1..z.len()).rev() {
            let j = rng.random_range(0..=i);
            z.swap(i, j);
        }
        scans.push(z);
    }
    Scenario {
        name,
        q,
        r,
        pd,
        pg: 0.99,
        clutter_density: clutter_mean / area,
        missed_distance: 3.0,
        priors,
        prior_variance: [1.5, 0.5, 1.5, 0.5],
        truth,
        scans,
    }
}

/// The 900-target grid of tests/tracking_trackers_scale.rs: 15 x 15 cells 100 m apart, 4
/// targets on the corners of a 30 m square per cell, 5 m/s; `P_D = 0.95`, 40 clutter points.
fn grid900(steps: usize, seed: u64) -> Scenario {
    let mut rng = StdRng::seed_from_u64(seed);
    let noise = Normal::new(0.0, 1.0).unwrap();
    let mut x = Vec::new();
    for i in 0..15 {
        for j in 0..15 {
            let heading = 0.37 * (i * 15 + j) as f64;
            let (vx, vy) = (5.0 * heading.cos(), 5.0 * heading.sin());
            for (dx, dy) in [(0.0, 0.0), (30.0, 0.0), (0.0, 30.0), (30.0, 30.0)] {
                x.push(Vector4::new(
                    100.0 * i as f64 + dx,
                    vx,
                    100.0 * j as f64 + dy,
                    vy,
                ));
            }
        }
    }
    let (mut truth, mut scans) = (Vec::new(), Vec::new());
    for _ in 0..steps {
        let mut z = Vec::new();
        for v in &mut x {
            v[0] += v[1];
            v[2] += v[3];
            if rng.random_bool(0.95) {
                z.push(Vector2::new(
                    v[0] + noise.sample(&mut rng),
                    v[2] + noise.sample(&mut rng),
                ));
            }
        }
        for _ in 0..40 {
            z.push(Vector2::new(
                rng.random_range(-100.0..1600.0),
                rng.random_range(-100.0..1600.0),
            ));
        }
        truth.push(x.iter().map(|v| Vector2::new(v[0], v[2])).collect());
        scans.push(z);
    }
    Scenario {
        name: "gnn900_grid",
        q: 0.1,
        r: 1.0,
        pd: 0.95,
        pg: 0.999,
        clutter_density: 40.0 / (1700.0 * 1700.0),
        missed_distance: 20.0,
        priors: Vec::new(),
        prior_variance: [0.0; 4],
        truth,
        scans,
    }
}

type Kf = KalmanTrack<4, ConstantVelocity, PositionMeasurement<4>>;

/// A tracker seeded with the scenario's priors (no initiation, no deletion).
fn seeded<A: Associator>(
    s: &Scenario,
    gating: Gating<2>,
    associator: A,
) -> Tracker<Kf, A, HistoryLogic, NoInitiation, 4, 2> {
    let cv = ConstantVelocity::new(s.q).unwrap();
    let sensor = PositionMeasurement::<4>::with_covariance(
        ConstantVelocity::POSITION,
        Matrix2::identity() * s.r,
    )
    .unwrap();
    let logic = HistoryLogic::new((1, 1), (64, 64)).unwrap();
    let mut t = Tracker::new(
        gating,
        associator,
        logic,
        NoInitiation,
        ConstantVelocity::POSITION,
    )
    .unwrap();
    let p = Matrix4::from_diagonal(&Vector4::from(s.prior_variance));
    for x in &s.priors {
        t.insert_track(
            KalmanTrack::new(KalmanFilter::new(*x, p).unwrap(), cv, sensor),
            true,
        );
    }
    t
}

fn jpda_tracker(s: &Scenario) -> Tracker<Kf, Jpda, HistoryLogic, NoInitiation, 4, 2> {
    let gating = Gating::<2>::from_probability(s.pg).unwrap();
    seeded(s, gating, Jpda::new(s.pd, s.pg, s.clutter_density).unwrap())
}

fn gnn_tracker(s: &Scenario) -> Tracker<Kf, Gnn, HistoryLogic, NoInitiation, 4, 2> {
    let gating = Gating::<2>::new(s.missed_distance * s.missed_distance).unwrap();
    seeded(
        s,
        gating,
        Gnn::new(GnnCost::Mahalanobis, s.missed_distance).unwrap(),
    )
}

type GridInit = SinglePointInitiator<Kf, PositionMeasurement<4>, 4>;

/// The full tracker of the 900-target test: single-point initiation, 2-of-3 logic, GNN with
/// the normalised distance.
fn grid_tracker(s: &Scenario) -> Tracker<Kf, Gnn, HistoryLogic, GridInit, 4, 2> {
    let cv = ConstantVelocity::new(s.q).unwrap();
    let sensor = PositionMeasurement::<4>::new(ConstantVelocity::POSITION, s.r.sqrt()).unwrap();
    let layout =
        StateLayout::new(ConstantVelocity::POSITION, ConstantVelocity::VELOCITY, 0.0).unwrap();
    let init = SinglePointInitiator::new(
        sensor,
        layout,
        5.0,
        Box::new(move |x, p| Ok(KalmanTrack::new(KalmanFilter::new(x, p)?, cv, sensor))),
    )
    .unwrap();
    Tracker::new(
        Gating::<2>::from_probability(s.pg).unwrap(),
        Gnn::new(GnnCost::NormalizedDistance, s.missed_distance).unwrap(),
        HistoryLogic::default(),
        init,
        ConstantVelocity::POSITION,
    )
    .unwrap()
}

/// Scans from index 5 on are timed for the grid (tracks established).
const GRID_WARMUP: usize = 5;

fn bench_trackers(c: &mut Criterion) {
    let mut group = c.benchmark_group("trackers");
    group.sample_size(20);
    let jpda8 = crossing("jpda8_crossing", 4, 4, 25, 5.3, 1);
    let gnn50 = crossing("gnn50_crossing", 25, 5, 25, 5.42, 2);
    let grid = grid900(15, 900);
    // Per-scan time: each iteration runs a whole scenario from its priors; the returned time is
    // divided by the number of scans.
    group.bench_function("jpda8_crossing/per_scan", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let mut t = jpda_tracker(&jpda8);
                let start = Instant::now();
                for z in &jpda8.scans {
                    black_box(t.step(1.0, z).unwrap().gated_pairs);
                }
                total += start.elapsed() / jpda8.scans.len() as u32;
            }
            total
        })
    });
    group.bench_function("gnn50_crossing/per_scan", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let mut t = gnn_tracker(&gnn50);
                let start = Instant::now();
                for z in &gnn50.scans {
                    black_box(t.step(1.0, z).unwrap().gated_pairs);
                }
                total += start.elapsed() / gnn50.scans.len() as u32;
            }
            total
        })
    });
    group.bench_function("gnn900_grid/per_scan", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let mut t = grid_tracker(&grid);
                for z in &grid.scans[..GRID_WARMUP] {
                    t.step(1.0, z).unwrap();
                }
                let timed = &grid.scans[GRID_WARMUP..];
                let start = Instant::now();
                for z in timed {
                    black_box(t.step(1.0, z).unwrap().gated_pairs);
                }
                total += start.elapsed() / timed.len() as u32;
            }
            total
        })
    });
    group.finish();
}

fn points(v: &[Vector2<f64>]) -> Value {
    Value::from(v.iter().map(|p| vec![p.x, p.y]).collect::<Vec<_>>())
}

fn scenario_json(s: &Scenario) -> Value {
    json!({
        "name": s.name, "q": s.q, "r": s.r, "pd": s.pd, "pg": s.pg,
        "clutter_density": s.clutter_density, "missed_distance": s.missed_distance,
        "priors": s.priors.iter().map(|x| x.as_slice().to_vec()).collect::<Vec<_>>(),
        "prior_variance": s.prior_variance.to_vec(),
        "truth": s.truth.iter().map(|t| points(t)).collect::<Vec<_>>(),
        "scans": s.scans.iter().map(|z| points(z)).collect::<Vec<_>>(),
    })
}

/// Runs `run` `repeats` times; returns every scan's time (ms, scans from `skip` on) and the
/// estimates of the last run.
fn time_runs(
    repeats: usize,
    skip: usize,
    mut run: impl FnMut(&mut Vec<f64>) -> Vec<Vec<Vector2<f64>>>,
) -> (Vec<f64>, Vec<Vec<Vector2<f64>>>) {
    let mut times = Vec::new();
    let mut estimates = Vec::new();
    for _ in 0..repeats {
        let mut t = Vec::new();
        estimates = run(&mut t);
        times.extend_from_slice(&t[skip..]);
    }
    (times, estimates)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let k = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[k]
}

fn export(dir: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let jpda8 = crossing("jpda8_crossing", 4, 4, 25, 5.3, 1);
    let gnn50 = crossing("gnn50_crossing", 25, 5, 25, 5.42, 2);
    let grid = grid900(15, 900);
    let scenarios =
        json!({"scenarios": [scenario_json(&jpda8), scenario_json(&gnn50), scenario_json(&grid)]});
    let path = format!("{dir}/scenarios.json");
    std::fs::write(&path, serde_json::to_string(&scenarios).unwrap()).unwrap();
    let mut results = Vec::new();
    macro_rules! seeded_run {
        ($s:expr, $make:expr) => {
            time_runs(50, 0, |times| {
                let mut t = $make(&$s);
                let mut est = Vec::new();
                for z in &$s.scans {
                    let start = Instant::now();
                    black_box(t.step(1.0, z).unwrap().gated_pairs);
                    times.push(start.elapsed().as_secs_f64() * 1e3);
                    let mut p = Vec::new();
                    t.positions(false, &mut p);
                    est.push(p);
                }
                est
            })
        };
    }
    let runs = [
        (&jpda8, seeded_run!(jpda8, jpda_tracker), 0),
        (&gnn50, seeded_run!(gnn50, gnn_tracker), 0),
        (
            &grid,
            time_runs(10, GRID_WARMUP, |times| {
                let mut t = grid_tracker(&grid);
                let mut est = Vec::new();
                for z in &grid.scans {
                    let start = Instant::now();
                    black_box(t.step(1.0, z).unwrap().gated_pairs);
                    times.push(start.elapsed().as_secs_f64() * 1e3);
                    let mut p = Vec::new();
                    t.positions(true, &mut p);
                    est.push(p);
                }
                est
            }),
            GRID_WARMUP,
        ),
    ];
    for (s, (mut times, estimates), skip) in runs {
        let scans = s.scans.len() - skip;
        let mut per_scan: Vec<f64> = (0..scans)
            .map(|k| {
                let mut v: Vec<f64> = times.iter().skip(k).step_by(scans).copied().collect();
                v.sort_by(f64::total_cmp);
                v[v.len() / 2]
            })
            .collect();
        per_scan
            .iter_mut()
            .for_each(|v| *v = (*v * 1e4).round() / 1e4);
        println!(
            "kestrel {:>15}: median ms of each scan {per_scan:?}",
            s.name
        );
        times.sort_by(f64::total_cmp);
        let (median, p95) = (percentile(&times, 0.5), percentile(&times, 0.95));
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        println!(
            "kestrel {:>15}: median {median:.4} ms, p95 {p95:.4} ms per scan ({} timed scans)",
            s.name,
            times.len()
        );
        results.push(json!({
            "name": s.name, "median_ms": median, "p95_ms": p95, "mean_ms": mean,
            "timed_from_scan": skip,
            "estimates": estimates.iter().map(|e| points(e)).collect::<Vec<_>>(),
        }));
    }
    let path = format!("{dir}/kestrel.json");
    std::fs::write(
        &path,
        serde_json::to_string(&json!({ "results": results })).unwrap(),
    )
    .unwrap();
    println!("wrote {dir}/scenarios.json and {dir}/kestrel.json");
}

criterion_group!(benches, bench_trackers);

fn main() {
    if let Ok(dir) = std::env::var("KESTREL_TRACKERS_EXPORT") {
        export(&dir);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
