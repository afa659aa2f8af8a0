//! Tracking building blocks: assignment (GNN-sized 50 x 270 and the 900-target scale),
//! Murty k-best, gating with the kd-tree pre-gate, GOSPA for 200 objects, DBSCAN on 10k points.
//!
//! Run: `cargo bench -p kestrel --no-default-features --bench tracking`.
//! Stone Soup's GOSPA for 200 objects is timed by tools/reference/stonesoup_metrics.py on the
//! same construction (run both in one sitting to quote a ratio).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use kestrel::tracking::metrics::{Gospa, Ospa};
use kestrel::tracking::{Dbscan, Gating, KBestAssignments, LinearAssignment};
use nalgebra::{Matrix2, Vector2};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};
use std::hint::black_box;

fn uniform_costs(rng: &mut StdRng, n: usize, m: usize) -> Vec<f64> {
    (0..n * m).map(|_| rng.random_range(0.0..100.0)).collect()
}

fn assignment(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(1);
    let mut group = c.benchmark_group("assignment");
    for (n, m) in [(50, 270), (900, 900)] {
        let costs = uniform_costs(&mut rng, n, m);
        let mut solver = LinearAssignment::new();
        group.bench_function(BenchmarkId::new("lsap", format!("{n}x{m}")), |b| {
            b.iter(|| black_box(solver.solve(black_box(&costs), n, m).unwrap().cost))
        });
    }
    // GNN form: 50 tracks x 270 detections, 70 % of pairs gated out, finite miss cost
    let mut costs = uniform_costs(&mut rng, 50, 270);
    for c in costs.iter_mut() {
        if rng.random_bool(0.7) {
            *c = f64::INFINITY;
        }
    }
    let (a, bcol) = (vec![60.0; 50], vec![0.0; 270]);
    let mut solver = LinearAssignment::new();
    group.bench_function("gnn_unassigned/50x270", |b| {
        b.iter(|| {
            black_box(
                solver
                    .solve_with_unassigned(black_box(&costs), 50, 270, &a, &bcol)
                    .unwrap()
                    .cost,
            )
        })
    });
    group.finish();

    let costs = uniform_costs(&mut rng, 8, 12);
    let mut murty = KBestAssignments::new();
    c.bench_function("murty/8x12_unassigned_k100", |b| {
        b.iter(|| {
            black_box(
                murty
                    .solve_with_unassigned(black_box(&costs), 8, 12, &[50.0; 8], &[10.0; 12], 100)
                    .unwrap()
                    .len(),
            )
        })
    });
}

fn gating(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(2);
    // 900 targets on a 15 x 15 km grid (4 per cell), 5000 detections: targets plus clutter
    let zhat: Vec<Vector2<f64>> = (0..900)
        .map(|k| {
            let (cell, j) = (k / 4, k % 4);
            Vector2::new(
                (cell % 15) as f64 * 1000.0 + 200.0 * j as f64,
                (cell / 15) as f64 * 1000.0 + 100.0,
            )
        })
        .collect();
    let s = vec![Matrix2::new(100.0, 20.0, 20.0, 64.0); 900];
    let mut z: Vec<Vector2<f64>> = zhat.iter().map(|p| p + Vector2::new(3.0, -4.0)).collect();
    z.extend((0..4100).map(|_| {
        Vector2::new(
            rng.random_range(0.0..15_000.0),
            rng.random_range(0.0..15_000.0),
        )
    }));
    let mut group = c.benchmark_group("gating_900x5000");
    let mut fast = Gating::<2>::from_probability(0.999).unwrap();
    group.bench_function("kd_pregate", |b| {
        b.iter(|| black_box(fast.gate(&zhat, &s, &z).unwrap().len()))
    });
    let mut slow = Gating::<2>::from_probability(0.999)
        .unwrap()
        .with_pregate(false);
    group.bench_function("exhaustive", |b| {
        b.iter(|| black_box(slow.gate(&zhat, &s, &z).unwrap().len()))
    });
    group.finish();
}

fn metrics(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(3);
    let noise = Normal::new(0.0, 5.0).unwrap();
    let truth: Vec<Vector2<f64>> = (0..200)
        .map(|_| Vector2::new(rng.random_range(0.0..1000.0), rng.random_range(0.0..1000.0)))
        .collect();
    let est: Vec<Vector2<f64>> = truth
        .iter()
        .map(|p| p + Vector2::new(noise.sample(&mut rng), noise.sample(&mut rng)))
        .collect();
    let mut gospa = Gospa::new(10.0, 2.0).unwrap();
    c.bench_function("gospa/200x200", |b| {
        b.iter(|| black_box(gospa.compute(&truth, &est).unwrap().distance))
    });
    let mut ospa = Ospa::new(10.0, 2.0).unwrap();
    c.bench_function("ospa/200x200", |b| {
        b.iter(|| black_box(ospa.compute(&truth, &est).unwrap().distance))
    });
}

fn dbscan(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(4);
    let spread = Normal::new(0.0, 0.8).unwrap();
    // 10 000 points: 40 objects of 200 returns each plus 2 000 clutter points
    let mut pts = Vec::with_capacity(10_000);
    for _ in 0..40 {
        let centre = Vector2::new(rng.random_range(0.0..500.0), rng.random_range(0.0..500.0));
        pts.extend(
            (0..200)
                .map(|_| centre + Vector2::new(spread.sample(&mut rng), spread.sample(&mut rng))),
        );
    }
    pts.extend(
        (0..2000).map(|_| Vector2::new(rng.random_range(0.0..500.0), rng.random_range(0.0..500.0))),
    );
    let mut db = Dbscan::<2>::new(0.5, 5).unwrap();
    c.bench_function("dbscan/10k", |b| {
        b.iter(|| black_box(db.fit(black_box(&pts)).unwrap().len()))
    });
}

criterion_group!(benches, assignment, gating, metrics, dbscan);
criterion_main!(benches);
