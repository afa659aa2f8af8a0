//! Cost-map inflation against the nav2 inflation formula, written out independently here:
//! cost = 254 at an obstacle, 253 within the inscribed radius, else
//! floor(252 exp(-k (d - r_inscribed))) for cells within ceil(r_inflation / resolution) cells.

use kestrel::mapping::{
    inflation_cost, BinaryGrid, Cell, CostMap, GridGeometry, GridMap, InflationParams,
    OccupancyGrid, OccupancyParams, INSCRIBED, LETHAL, NO_INFORMATION,
};
use nalgebra::Vector2;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn params(inscribed: f64, inflation: f64, k: f64) -> InflationParams {
    InflationParams {
        inscribed_radius: inscribed,
        inflation_radius: inflation,
        cost_scaling_factor: k,
        inflate_unknown: false,
    }
}

#[test]
fn nav2_check_value() {
    // 252 exp(-3.5 (0.6506 - 0.2775)) = 68.28 -> 68.
    assert_eq!(inflation_cost(0.6506, &params(0.2775, 1.0, 3.5)), 68);
    assert_eq!(inflation_cost(0.0, &params(0.2775, 1.0, 3.5)), LETHAL);
    assert_eq!(inflation_cost(0.2775, &params(0.2775, 1.0, 3.5)), INSCRIBED);
    assert_eq!(inflation_cost(0.2776, &params(0.2775, 1.0, 3.5)), 251);
}

#[test]
fn every_cell_matches_the_formula_with_brute_force_distances() {
    let mut rng = StdRng::seed_from_u64(11);
    for case in 0..10 {
        let (w, h) = (rng.random_range(5..40), rng.random_range(5..40));
        let blocked = (0..w * h).map(|_| rng.random::<f64>() < 0.03).collect();
        let map = BinaryGrid::from_vec(w, h, blocked).unwrap();
        let res = [0.05, 0.1, 0.025][case % 3];
        let p = params(0.2775, 0.6 + 0.05 * case as f64, 3.5);
        let geometry = GridGeometry::new(w, h, res, Vector2::new(-1.0, 0.5), 0.0).unwrap();
        let costs = CostMap::from_obstacles(geometry, &map, &p).unwrap();
        let cell_radius = (p.inflation_radius / res).ceil();
        for y in 0..h {
            for x in 0..w {
                let mut d_cells = f64::INFINITY;
                for oy in 0..h {
                    for ox in 0..w {
                        if map.is_blocked(ox, oy) {
                            let dx = x as f64 - ox as f64;
                            let dy = y as f64 - oy as f64;
                            d_cells = d_cells.min((dx * dx + dy * dy).sqrt());
                        }
                    }
                }
                let d = d_cells * res;
                let expected = if d_cells > cell_radius {
                    0
                } else if d_cells == 0.0 {
                    254
                } else if d <= p.inscribed_radius {
                    253
                } else {
                    (252.0 * (-3.5 * (d - p.inscribed_radius)).exp()).floor() as u8
                };
                let got = costs.cost(Cell::new(x as i32, y as i32)).unwrap();
                assert_eq!(got, expected, "case {case} cell ({x}, {y}) at {d} m");
            }
        }
    }
}

#[test]
fn unknown_cells_merge_like_nav2() {
    // Row of 8 cells, 0.1 m: obstacle at 0, free 1..=3, unknown 4..=7.
    let geometry = GridGeometry::new(8, 1, 0.1, Vector2::zeros(), 0.0).unwrap();
    let values = vec![100i8, 0, 0, 0, -1, -1, -1, -1];
    let grid =
        OccupancyGrid::from_ros_values(geometry.clone(), &values, OccupancyParams::default())
            .unwrap();
    let p = params(0.45, 0.65, 5.0);
    let costs = CostMap::from_occupancy(&grid, &p).unwrap();
    // Unknown cells stay unknown unless the inflated cost reaches INSCRIBED (cell 4 at 0.4 m).
    assert_eq!(costs.as_slice(), &[254, 253, 253, 253, 253, 255, 255, 255]);
    let p = InflationParams {
        inflate_unknown: true,
        ..p
    };
    let costs = CostMap::from_occupancy(&grid, &p).unwrap();
    // floor(252 exp(-5 (0.5 - 0.45))) = floor(196.3) = 196, at 0.6 m floor(119.03) = 119, at
    // 0.7 m (7 cells <= ceil(0.65 / 0.1) = 7) floor(72.2) = 72.
    assert_eq!(costs.as_slice(), &[254, 253, 253, 253, 253, 196, 119, 72]);
    // A planner view: blocked at INSCRIBED and above, unknown blocked unless allowed.
    let view = costs.blocked_view(INSCRIBED, false);
    assert!(view.is_blocked(4, 0) && !view.is_blocked(5, 0) && !view.is_blocked(7, 0));
    let costs = CostMap::from_occupancy(
        &grid,
        &InflationParams {
            inflate_unknown: false,
            ..p
        },
    )
    .unwrap();
    assert_eq!(costs.cost(Cell::new(7, 0)), Some(NO_INFORMATION));
    assert!(costs.blocked_view(INSCRIBED, false).is_blocked(7, 0));
    assert!(!costs.blocked_view(INSCRIBED, true).is_blocked(7, 0));
    // Bad parameters are typed errors.
    assert!(CostMap::from_occupancy(&grid, &params(0.5, 0.4, 1.0)).is_err());
    assert!(CostMap::from_occupancy(&grid, &params(0.1, 0.4, 0.0)).is_err());
    assert!(CostMap::from_occupancy(&grid, &params(f64::NAN, 0.4, 1.0)).is_err());
    let small = BinaryGrid::new(3, 3).unwrap();
    assert!(CostMap::from_obstacles(geometry, &small, &params(0.1, 0.2, 1.0)).is_err());
}
