//! Occupancy-grid scan insertion rate (beams per second), cost-map inflation and the distance
//! transform.
//!
//! The scan set is analytic so tools/compare/octomap_insert.py can rebuild it exactly for
//! OctoMap: a 20 m x 20 m walled room with four round pillars, 100 scans of 720 beams from poses
//! on a 6 m circle, 12 m maximum range (longer beams clear without a hit), 5 cm cells.
//!
//! Run: `cargo bench -p kestrel --no-default-features --bench mapping`

use std::f64::consts::{PI, TAU};
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kestrel::mapping::{
    Bounds, CostMap, DistanceTransform, GridGeometry, InflationParams, LaserScan, OccupancyGrid,
    OccupancyParams,
};
use nalgebra::{Isometry2, Vector2};

const ROOM: f64 = 20.0;
const PILLARS: [(f64, f64, f64); 4] = [
    (5.0, 5.0, 0.8),
    (15.0, 4.0, 1.0),
    (8.0, 14.0, 1.0),
    (16.5, 16.5, 1.0),
];
const SCANS: usize = 100;
const BEAMS: usize = 720;
const MAX_RANGE: f64 = 12.0;
const RESOLUTION: f64 = 0.05;

/// Range from `(x, y)` along `angle` to the first wall or pillar.
fn true_range(x: f64, y: f64, angle: f64) -> f64 {
    let (dx, dy) = (angle.cos(), angle.sin());
    let mut r = f64::INFINITY;
    for (p, d, lo, hi) in [(x, dx, 0.0, ROOM), (y, dy, 0.0, ROOM)] {
        if d > 0.0 {
            r = r.min((hi - p) / d);
        } else if d < 0.0 {
            r = r.min((lo - p) / d);
        }
    }
    for (cx, cy, radius) in PILLARS {
        // |o + t d - c|^2 = radius^2, smallest positive t.
        let (ox, oy) = (x - cx, y - cy);
        let b = ox * dx + oy * dy;
        let c = ox * ox + oy * oy - radius * radius;
        let disc = b * b - c;
        if disc >= 0.0 {
            let t = -b - disc.sqrt();
            if t > 0.0 {
                r = r.min(t);
            }
        }
    }
    r
}

/// The scan set: poses and ranges (`f64::INFINITY` beyond the maximum range).
fn scans() -> Vec<(Isometry2<f64>, Vec<f64>)> {
    (0..SCANS)
        .map(|k| {
            let a = TAU * k as f64 / SCANS as f64;
            let (x, y, heading) = (10.0 + 6.0 * a.cos(), 10.0 + 6.0 * a.sin(), a + PI / 2.0);
            let ranges = (0..BEAMS)
                .map(|i| {
                    let r = true_range(x, y, heading - PI + TAU * i as f64 / BEAMS as f64);
                    if r > MAX_RANGE {
                        f64::INFINITY
                    } else {
                        r
                    }
                })
                .collect();
            (Isometry2::new(Vector2::new(x, y), heading), ranges)
        })
        .collect()
}

fn laser(ranges: &[f64]) -> LaserScan<'_> {
    LaserScan {
        angle_min: -PI,
        angle_increment: TAU / BEAMS as f64,
        range_min: 0.0,
        range_max: MAX_RANGE,
        ranges,
    }
}

fn fresh_grid(bounds: Bounds) -> OccupancyGrid {
    let n = (ROOM / RESOLUTION).round() as usize + 40;
    let geometry = GridGeometry::new(n, n, RESOLUTION, Vector2::new(-1.0, -1.0), 0.0).unwrap();
    OccupancyGrid::new(geometry, OccupancyParams::default(), bounds).unwrap()
}

fn bench_insertion(c: &mut Criterion) {
    let scans = scans();
    let mut group = c.benchmark_group("scan_insertion");
    group.throughput(Throughput::Elements((SCANS * BEAMS) as u64));
    group.sample_size(20);
    group.bench_function("100_scans_x_720_beams_fixed_grid", |b| {
        b.iter_batched_ref(
            || fresh_grid(Bounds::Fixed),
            |grid| {
                for (pose, ranges) in &scans {
                    black_box(grid.insert_scan(pose, &laser(ranges)).unwrap());
                }
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.bench_function("100_scans_x_720_beams_growable_from_1m", |b| {
        b.iter_batched_ref(
            || {
                let geometry =
                    GridGeometry::new(20, 20, RESOLUTION, Vector2::new(9.5, 9.5), 0.0).unwrap();
                OccupancyGrid::new(
                    geometry,
                    OccupancyParams::default(),
                    Bounds::Growable { max_cells: 1 << 24 },
                )
                .unwrap()
            },
            |grid| {
                for (pose, ranges) in &scans {
                    black_box(grid.insert_scan(pose, &laser(ranges)).unwrap());
                }
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn bench_inflation_and_distance(c: &mut Criterion) {
    let mut grid = fresh_grid(Bounds::Fixed);
    for (pose, ranges) in scans() {
        grid.insert_scan(&pose, &laser(&ranges)).unwrap();
    }
    let cells = grid.geometry().len() as u64;
    let mut group = c.benchmark_group("grid_transforms");
    group.throughput(Throughput::Elements(cells));
    group.sample_size(20);
    let params = InflationParams {
        inscribed_radius: 0.3,
        inflation_radius: 1.0,
        cost_scaling_factor: 3.0,
        inflate_unknown: false,
    };
    group.bench_function("inflate_440x440", |b| {
        b.iter(|| black_box(CostMap::from_occupancy(&grid, &params).unwrap()))
    });
    let view = grid.blocked_view(true);
    let mut dt = DistanceTransform::new();
    let mut out = Vec::new();
    group.bench_function("edt_440x440", |b| {
        b.iter(|| {
            dt.squared_distances(&view, &mut out);
            black_box(out.len())
        })
    });
    group.finish();
}

criterion_group!(benches, bench_insertion, bench_inflation_and_distance);
criterion_main!(benches);
