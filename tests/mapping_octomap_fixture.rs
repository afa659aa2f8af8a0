//! Scan insertion agrees with OctoMap's `insertPointCloud` cell by cell.
//!
//! Fixture: tests/fixtures/mapping/octomap_scans.json, produced by
//! tools/reference/mapping/octomap_scans.py (octomap-python 1.10.0.0): four planar scans, two
//! with a maximum range, inserted with OctoMap's default sensor model; the log-odds of every
//! known voxel of the scan plane.

use kestrel::mapping::{Bounds, Cell, GridGeometry, OccupancyGrid, OccupancyParams};
use nalgebra::{Point2, Vector2};
use serde_json::Value;

#[test]
fn insertion_matches_octomap() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/mapping/octomap_scans.json"
    ))
    .unwrap();
    let fx: Value = serde_json::from_str(&text).unwrap();
    let res = fx["resolution"].as_f64().unwrap();
    let params = OccupancyParams {
        prob_hit: fx["prob_hit"].as_f64().unwrap(),
        prob_miss: fx["prob_miss"].as_f64().unwrap(),
        clamp_min: fx["clamp_min"].as_f64().unwrap(),
        clamp_max: fx["clamp_max"].as_f64().unwrap(),
        occupancy_threshold: 0.5,
    };
    // Cells -40..40 on both axes: the grid's corner is at (-5, -5) m.
    let n = (10.0 / res).round() as usize;
    let offset = (n / 2) as i32;
    let geometry = GridGeometry::new(n, n, res, Vector2::new(-5.0, -5.0), 0.0).unwrap();
    let mut grid = OccupancyGrid::new(geometry, params, Bounds::Fixed).unwrap();
    for scan in fx["scans"].as_array().unwrap() {
        let o = scan["origin"].as_array().unwrap();
        let origin = Point2::new(o[0].as_f64().unwrap(), o[1].as_f64().unwrap());
        let points: Vec<Point2<f64>> = scan["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| Point2::new(p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
            .collect();
        let max_range = scan["max_range"].as_f64().unwrap();
        let max_range = if max_range < 0.0 {
            f64::INFINITY
        } else {
            max_range
        };
        grid.insert_points(&origin, &points, max_range).unwrap();
    }
    let mut expected = std::collections::HashMap::new();
    for c in fx["cells"].as_array().unwrap() {
        let key = (c[0].as_i64().unwrap() as i32, c[1].as_i64().unwrap() as i32);
        expected.insert(key, c[2].as_f64().unwrap());
    }
    assert!(expected.len() > 1000);
    let mut known = 0;
    for iy in -offset..offset {
        for ix in -offset..offset {
            let ours = grid.log_odds(Cell::new(ix + offset, iy + offset));
            match (ours, expected.get(&(ix, iy))) {
                (None, None) => {}
                (Some(a), Some(&b)) => {
                    known += 1;
                    assert!(
                        (a - b).abs() < 1e-5,
                        "cell ({ix}, {iy}): kestrel {a}, OctoMap {b}"
                    );
                }
                (a, b) => panic!("cell ({ix}, {iy}): kestrel {a:?}, OctoMap {b:?}"),
            }
        }
    }
    assert_eq!(known, expected.len());
}
