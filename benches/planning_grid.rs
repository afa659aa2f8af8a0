//! Grid planners on the Moving AI benchmarks, side by side with the `pathfinding` crate's A*
//! (hash-map node storage) on the same queries with the same move rules (octile costs, no
//! corner cutting). Skipped with a notice when `KESTREL_DATASETS` is not set.
//!
//! Run: `KESTREL_DATASETS=/path cargo bench -p kestrel --no-default-features --bench planning_grid`
//!
//! Each benchmark iteration answers the whole query set: every 400th query of
//! maze512-32-9 (21 queries spread over all buckets) or all 160 arena queries. Before timing,
//! every query's path length is checked to be identical across the planners and the published
//! optimum.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

use criterion::{Criterion, Throughput};
use kestrel::mapping::{load_scenarios, Cell, GridMap, MovingAiMap, MovingAiQuery};
use kestrel::planning::{Connectivity, GridAstar, GridJps};

/// `pathfinding` needs integer costs: straight 10^9, diagonal round(sqrt(2) 10^9).
const STRAIGHT: u64 = 1_000_000_000;
const DIAGONAL: u64 = 1_414_213_562;

fn pathfinding_astar(map: &MovingAiMap, q: &MovingAiQuery) -> f64 {
    let (w, h) = (map.width() as i32, map.height() as i32);
    let free = |x: i32, y: i32| {
        x >= 0 && y >= 0 && x < w && y < h && !map.is_blocked(x as usize, y as usize)
    };
    let goal = (q.goal.0 as i32, q.goal.1 as i32);
    let (path, _) = pathfinding::prelude::astar(
        &(q.start.0 as i32, q.start.1 as i32),
        |&(x, y)| {
            let mut next = Vec::with_capacity(8);
            for (dx, dy) in [
                (1, 0),
                (-1, 0),
                (0, 1),
                (0, -1),
                (1, 1),
                (-1, 1),
                (1, -1),
                (-1, -1),
            ] {
                if !free(x + dx, y + dy) {
                    continue;
                }
                if dx != 0 && dy != 0 {
                    if free(x + dx, y) && free(x, y + dy) {
                        next.push(((x + dx, y + dy), DIAGONAL));
                    }
                } else {
                    next.push(((x + dx, y + dy), STRAIGHT));
                }
            }
            next
        },
        |&(x, y)| {
            let dx = (x - goal.0).unsigned_abs() as u64;
            let dy = (y - goal.1).unsigned_abs() as u64;
            (dx.max(dy) - dx.min(dy)) * STRAIGHT + dx.min(dy) * DIAGONAL
        },
        |&p| p == goal,
    )
    .expect("benchmark queries are solvable");
    // The length of the returned path, recomputed in floating point from its moves.
    path.windows(2)
        .map(|m| {
            if m[0].0 != m[1].0 && m[0].1 != m[1].1 {
                std::f64::consts::SQRT_2
            } else {
                1.0
            }
        })
        .sum()
}

fn cell(p: (usize, usize)) -> Cell {
    Cell::new(p.0 as i32, p.1 as i32)
}

fn bench_map(c: &mut Criterion, dir: &Path, name: &str, every: usize) {
    let map = MovingAiMap::load(dir.join(format!("{name}.map"))).unwrap();
    let queries: Vec<MovingAiQuery> = load_scenarios(dir.join(format!("{name}.map.scen")))
        .unwrap()
        .into_iter()
        .step_by(every)
        .collect();
    let mut astar = GridAstar::new(&map, Connectivity::Eight).unwrap();
    let mut jps = GridJps::new(&map).unwrap();

    // Identical lengths, and one timed pass of each in this sitting for the ratio.
    let (mut t_pf, mut t_astar, mut t_jps) = (0.0, 0.0, 0.0);
    for q in &queries {
        let t = Instant::now();
        let pf = pathfinding_astar(&map, q);
        t_pf += t.elapsed().as_secs_f64();
        let t = Instant::now();
        let a = astar
            .plan(cell(q.start), cell(q.goal))
            .unwrap()
            .unwrap()
            .cost;
        t_astar += t.elapsed().as_secs_f64();
        let t = Instant::now();
        let j = jps.plan(cell(q.start), cell(q.goal)).unwrap().unwrap().cost;
        t_jps += t.elapsed().as_secs_f64();
        for (who, len) in [("pathfinding", pf), ("GridAstar", a), ("GridJps", j)] {
            assert!(
                (len - q.optimal_length).abs() < 1e-4,
                "{name}: {who} {len} vs {}",
                q.optimal_length
            );
        }
        assert!((pf - a).abs() < 1e-9 && (a - j).abs() < 1e-9);
    }
    let n = queries.len() as f64;
    println!(
        "{name}: {} queries, identical optimal lengths; one pass: pathfinding {:.3} ms/query, \
         GridAstar {:.3} ms/query ({:.1}x), GridJps {:.3} ms/query ({:.1}x)",
        queries.len(),
        1e3 * t_pf / n,
        1e3 * t_astar / n,
        t_pf / t_astar,
        1e3 * t_jps / n,
        t_pf / t_jps
    );

    let mut group = c.benchmark_group(format!("grid_planning/{name}"));
    group.throughput(Throughput::Elements(queries.len() as u64));
    group.sample_size(10);
    group.bench_function("kestrel_jps", |b| {
        b.iter(|| {
            for q in &queries {
                black_box(jps.plan(cell(q.start), cell(q.goal)).unwrap());
            }
        })
    });
    group.bench_function("kestrel_astar", |b| {
        b.iter(|| {
            for q in &queries {
                black_box(astar.plan(cell(q.start), cell(q.goal)).unwrap());
            }
        })
    });
    group.bench_function("pathfinding_astar", |b| {
        b.iter(|| {
            for q in &queries {
                black_box(pathfinding_astar(&map, q));
            }
        })
    });
    group.finish();
}

fn main() {
    let Some(root) = std::env::var_os("KESTREL_DATASETS") else {
        eprintln!("notice: KESTREL_DATASETS is not set; skipping the grid planning benchmarks");
        return;
    };
    let dir = PathBuf::from(root).join("movingai");
    let mut c = Criterion::default().configure_from_args();
    bench_map(&mut c, &dir, "arena", 1);
    bench_map(&mut c, &dir, "maze512-32-9", 400);
    c.final_summary();
}
