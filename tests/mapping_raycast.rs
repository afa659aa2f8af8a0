//! Ray casting into occupancy grids against hand-worked cases.
//!
//! Grids here have 1 m cells with the origin at (0, 0), so world coordinates are grid
//! coordinates and each expected cell list can be checked on squared paper: a point lies in
//! cell (floor(x), floor(y)).

use kestrel::mapping::{
    logit, Bounds, Cell, CellState, GridGeometry, LaserScan, MappingError, OccupancyGrid,
    OccupancyParams, RayCells,
};
use nalgebra::{Isometry2, Point2, Vector2};

fn grid(w: usize, h: usize) -> OccupancyGrid {
    let g = GridGeometry::new(w, h, 1.0, Vector2::zeros(), 0.0).unwrap();
    OccupancyGrid::new(g, OccupancyParams::default(), Bounds::Fixed).unwrap()
}

fn l_hit() -> f64 {
    (0.7f64 / 0.3).ln()
}
fn l_miss() -> f64 {
    (0.4f64 / 0.6).ln()
}

/// Asserts the exact set of known cells: `misses` hold one miss, `hits` one hit.
fn assert_cells(grid: &OccupancyGrid, misses: &[(i32, i32)], hits: &[(i32, i32)]) {
    let g = grid.geometry();
    for y in 0..g.height() as i32 {
        for x in 0..g.width() as i32 {
            let got = grid.log_odds(Cell::new(x, y));
            let expected = if hits.contains(&(x, y)) {
                Some(l_hit())
            } else if misses.contains(&(x, y)) {
                Some(l_miss())
            } else {
                None
            };
            match (got, expected) {
                (None, None) => {}
                (Some(a), Some(b)) => assert!((a - b).abs() < 1e-6, "cell ({x}, {y}): {a} vs {b}"),
                _ => panic!("cell ({x}, {y}): got {got:?}, expected {expected:?}"),
            }
        }
    }
}

fn beam(grid: &mut OccupancyGrid, from: (f64, f64), to: (f64, f64), max_range: f64) {
    grid.insert_points(
        &Point2::new(from.0, from.1),
        &[Point2::new(to.0, to.1)],
        max_range,
    )
    .unwrap();
}

#[test]
fn log_odds_constants_are_octomaps() {
    // OctoMap's defaults: logit(0.7) = 0.8473, logit(0.4) = -0.4055.
    assert!((logit(0.7) - 0.847_297_860_387_203_8).abs() < 1e-15);
    assert!((logit(0.4) + 0.405_465_108_108_164_4).abs() < 1e-15);
}

#[test]
fn positive_direction_along_a_row() {
    let mut g = grid(10, 10);
    beam(&mut g, (0.5, 0.5), (3.5, 0.5), f64::INFINITY);
    assert_cells(&g, &[(0, 0), (1, 0), (2, 0)], &[(3, 0)]);
    assert_eq!(g.state(Cell::new(3, 0)), CellState::Occupied);
    assert_eq!(g.state(Cell::new(1, 0)), CellState::Free);
    assert_eq!(g.state(Cell::new(4, 0)), CellState::Unknown);
}

#[test]
fn negative_direction_in_both_axes() {
    // x = 5.5 - 3.3 t, y = 5.5 - 1.8 t crosses x = 5 at t = 0.152, y = 5 at t = 0.278,
    // x = 4 at t = 0.455, x = 3 at t = 0.758, y = 4 at t = 0.833.
    let mut g = grid(10, 10);
    beam(&mut g, (5.5, 5.5), (2.2, 3.7), f64::INFINITY);
    assert_cells(&g, &[(5, 5), (4, 5), (4, 4), (3, 4), (2, 4)], &[(2, 3)]);
}

#[test]
fn negative_direction_matches_traversal_order() {
    let cells: Vec<Cell> = RayCells::new(Vector2::new(5.5, 5.5), Vector2::new(2.2, 3.7)).collect();
    let expected = [(5, 5), (4, 5), (4, 4), (3, 4), (2, 4), (2, 3)].map(|(x, y)| Cell::new(x, y));
    assert_eq!(cells, expected);
}

#[test]
fn beams_along_cell_edges_use_the_cell_above_or_right() {
    // Horizontal beam on the line y = 2 (edge between rows 1 and 2): row 2.
    let mut g = grid(10, 10);
    beam(&mut g, (0.5, 2.0), (4.5, 2.0), f64::INFINITY);
    assert_cells(&g, &[(0, 2), (1, 2), (2, 2), (3, 2)], &[(4, 2)]);
    // Vertical beam downwards on the line x = 3: column 3.
    let mut g = grid(10, 10);
    beam(&mut g, (3.0, 6.5), (3.0, 2.5), f64::INFINITY);
    assert_cells(&g, &[(3, 6), (3, 5), (3, 4), (3, 3)], &[(3, 2)]);
    // Leftwards on y = 7: the row above the line.
    let mut g = grid(10, 10);
    beam(&mut g, (8.5, 7.0), (5.5, 7.0), f64::INFINITY);
    assert_cells(&g, &[(8, 7), (7, 7), (6, 7)], &[(5, 7)]);
}

#[test]
fn diagonal_through_cell_corners_steps_x_first() {
    // (0.5, 0.5) -> (3.5, 3.5) passes exactly through the corners (1, 1) and (2, 2), (3, 3):
    // each tie is broken by stepping in x, then in y.
    let mut g = grid(10, 10);
    beam(&mut g, (0.5, 0.5), (3.5, 3.5), f64::INFINITY);
    assert_cells(
        &g,
        &[(0, 0), (1, 0), (1, 1), (2, 1), (2, 2), (3, 2)],
        &[(3, 3)],
    );
}

#[test]
fn max_range_beam_only_clears_up_to_the_cut() {
    // A 8 m beam with a 3 m maximum range is cut at (3.5, 0.5): cells 0..=2 get misses, the
    // cut cell (3, 0) and everything beyond stay unknown, and nothing gets a hit.
    let mut g = grid(10, 10);
    beam(&mut g, (0.5, 0.5), (8.5, 0.5), 3.0);
    assert_cells(&g, &[(0, 0), (1, 0), (2, 0)], &[]);
}

#[test]
fn laser_scan_with_rotated_pose_and_special_ranges() {
    let mut g = grid(12, 12);
    // Sensor at (5.5, 5.5) facing +y; beams at 0, pi/2, pi, -pi/2 in the sensor frame.
    let pose = Isometry2::new(Vector2::new(5.5, 5.5), std::f64::consts::FRAC_PI_2);
    let ranges = [2.0, f64::INFINITY, f64::NAN, 0.01];
    let scan = LaserScan {
        angle_min: 0.0,
        angle_increment: std::f64::consts::FRAC_PI_2,
        range_min: 0.1,
        range_max: 3.0,
        ranges: &ranges,
    };
    let stats = g.insert_scan(&pose, &scan).unwrap();
    assert_eq!(
        (stats.hit_beams, stats.max_range_beams, stats.skipped_beams),
        (1, 1, 2)
    );
    // Beam 0 points along world +y and ends at (5.5, 7.5): misses (5,5), (5,6); hit (5,7).
    // Beam 1 points along world -x: no return, cleared for 3 m to (2.5, 5.5): misses
    // (4,5), (3,5); the origin cell was already missed in this scan (counted once).
    assert_cells(&g, &[(5, 5), (5, 6), (4, 5), (3, 5)], &[(5, 7)]);
    assert_eq!((stats.cells_hit, stats.cells_missed), (1, 4));
}

#[test]
fn one_update_per_cell_per_scan_and_hits_win() {
    let mut g = grid(10, 10);
    // Beam A ends in (4, 0); beam B crosses (4, 0) on its way to (6, 0). The origin cell is
    // crossed by both.
    g.insert_points(
        &Point2::new(0.5, 0.5),
        &[Point2::new(4.5, 0.5), Point2::new(6.5, 0.5)],
        f64::INFINITY,
    )
    .unwrap();
    assert_cells(
        &g,
        &[(0, 0), (1, 0), (2, 0), (3, 0), (5, 0)],
        &[(4, 0), (6, 0)],
    );
    // A second scan adds a second miss to the origin cell.
    beam(&mut g, (0.5, 0.5), (0.5, 2.5), f64::INFINITY);
    assert!((g.log_odds(Cell::new(0, 0)).unwrap() - 2.0 * l_miss()).abs() < 1e-6);
}

#[test]
fn clamping_limits_log_odds() {
    let mut g = grid(4, 1);
    for _ in 0..20 {
        beam(&mut g, (0.5, 0.5), (3.5, 0.5), f64::INFINITY);
    }
    let hi = g.log_odds(Cell::new(3, 0)).unwrap();
    let lo = g.log_odds(Cell::new(1, 0)).unwrap();
    assert!((hi - (0.971f64 / 0.029).ln()).abs() < 1e-6, "{hi}");
    assert!((lo - (0.1192f64 / 0.8808).ln()).abs() < 1e-6, "{lo}");
    assert!((g.probability(Cell::new(3, 0)).unwrap() - 0.971).abs() < 1e-6);
}

#[test]
fn fixed_grid_clips_beams_from_outside() {
    let mut g = grid(10, 10);
    // From x = -2.5 to x = 2.5 on row 0: only cells 0 and 1 are inside before the end.
    beam(&mut g, (-2.5, 0.5), (2.5, 0.5), f64::INFINITY);
    assert_cells(&g, &[(0, 0), (1, 0)], &[(2, 0)]);
    // Ending outside: no hit recorded anywhere, the inside part is cleared.
    let mut g = grid(10, 10);
    beam(&mut g, (7.5, 0.5), (12.5, 0.5), f64::INFINITY);
    assert_cells(&g, &[(7, 0), (8, 0), (9, 0)], &[]);
}

#[test]
fn growable_grid_keeps_cells_in_place() {
    let geometry = GridGeometry::new(4, 4, 1.0, Vector2::zeros(), 0.0).unwrap();
    let mut g = OccupancyGrid::new(
        geometry,
        OccupancyParams::default(),
        Bounds::Growable { max_cells: 10_000 },
    )
    .unwrap();
    beam(&mut g, (0.5, 0.5), (2.5, 0.5), f64::INFINITY);
    beam(&mut g, (0.5, 0.5), (-6.5, -3.5), f64::INFINITY);
    beam(&mut g, (0.5, 0.5), (10.5, 0.5), f64::INFINITY);
    let geo = g.geometry().clone();
    assert!(geo.width() >= 18 && geo.height() >= 5);
    // Old cells keep their world position and value (origin cell missed by three scans).
    assert!(
        (g.log_odds(geo.world_to_cell(&Point2::new(0.5, 0.5)))
            .unwrap()
            - 3.0 * l_miss())
        .abs()
            < 1e-6
    );
    assert_eq!(g.state_at(&Point2::new(10.5, 0.5)), CellState::Occupied);
    assert_eq!(g.state_at(&Point2::new(-6.5, -3.5)), CellState::Occupied);
    // Grid corner stays on the 1 m lattice.
    let o = geo.origin();
    assert_eq!((o.x, o.y), (o.x.round(), o.y.round()));

    // Beyond the limit: a typed error and an unchanged grid.
    let before = g.to_ros_values();
    let err = g
        .insert_points(
            &Point2::new(0.5, 0.5),
            &[Point2::new(1e6, 0.5)],
            f64::INFINITY,
        )
        .unwrap_err();
    assert!(
        matches!(err, MappingError::GrowthLimit { limit: 10_000, .. }),
        "{err}"
    );
    assert_eq!(g.to_ros_values(), before);
    assert_eq!(g.geometry(), &geo);
}

#[test]
fn bad_input_is_rejected_without_changes() {
    let mut g = grid(5, 5);
    let pts = [Point2::new(1.5, 1.5), Point2::new(f64::NAN, 0.0)];
    assert!(matches!(
        g.insert_points(&Point2::new(0.5, 0.5), &pts, f64::INFINITY),
        Err(MappingError::NonFinite { .. })
    ));
    assert!(g
        .insert_points(&Point2::new(0.5, 0.5), &pts[..1], 0.0)
        .is_err());
    assert!(g
        .insert_points(&Point2::new(0.5, f64::INFINITY), &pts[..1], 1.0)
        .is_err());
    let scan = LaserScan {
        angle_min: 0.0,
        angle_increment: 0.1,
        range_min: 0.5,
        range_max: 0.2,
        ranges: &[1.0],
    };
    assert!(g.insert_scan(&Isometry2::identity(), &scan).is_err());
    assert!(g.to_ros_values().iter().all(|&v| v == -1));
    let bad = OccupancyParams {
        prob_hit: 0.4,
        ..OccupancyParams::default()
    };
    let geo = GridGeometry::new(2, 2, 1.0, Vector2::zeros(), 0.0).unwrap();
    assert!(OccupancyGrid::new(geo.clone(), bad, Bounds::Fixed).is_err());
    let bad = OccupancyParams {
        clamp_min: 0.99,
        ..OccupancyParams::default()
    };
    assert!(OccupancyGrid::new(geo, bad, Bounds::Fixed).is_err());
}

#[test]
fn segment_and_point_queries() {
    let mut g = grid(6, 6);
    // Free row 0 from a scan, wall cell (3, 2).
    beam(&mut g, (0.5, 0.5), (5.9, 0.5), f64::INFINITY);
    g.update_cell(Cell::new(3, 2), true);
    assert!(g.is_point_free(&Point2::new(2.5, 0.5), false));
    assert!(!g.is_point_free(&Point2::new(2.5, 3.5), false));
    assert!(g.is_point_free(&Point2::new(2.5, 3.5), true));
    assert!(!g.is_point_free(&Point2::new(3.5, 2.5), true));
    assert!(g.segment_free(&Point2::new(0.5, 0.5), &Point2::new(4.5, 0.5), false));
    assert!(!g.segment_free(&Point2::new(0.5, 0.5), &Point2::new(4.5, 1.5), false)); // unknown cells
    assert!(g.segment_free(&Point2::new(0.5, 0.5), &Point2::new(4.5, 1.5), true));
    assert!(!g.segment_free(&Point2::new(0.5, 2.5), &Point2::new(5.5, 2.5), true));
    // The anti-diagonal x + y = 5, walked from (3.5, 1.5), only touches the wall cell's lower-left corner (3, 2): the
    // plain traversal skips the cell, the conservative supercover does not.
    let crossed: Vec<Cell> =
        RayCells::new(Vector2::new(3.5, 1.5), Vector2::new(2.5, 2.5)).collect();
    assert!(!crossed.contains(&Cell::new(3, 2)));
    assert!(!g.segment_free(&Point2::new(3.5, 1.5), &Point2::new(2.5, 2.5), true));
    assert!(!g.segment_free(&Point2::new(1.5, 3.5), &Point2::new(4.5, 0.5), true));
    // Along the wall cell's right edge x = 4 (it touches the cell), and along x = 5 (it does not).
    assert!(!g.segment_free(&Point2::new(4.0, 4.5), &Point2::new(4.0, 1.5), true));
    assert!(g.segment_free(&Point2::new(5.0, 4.5), &Point2::new(5.0, 1.5), true));
    assert!(!g.segment_free(&Point2::new(0.5, 0.5), &Point2::new(f64::NAN, 0.5), true));
    // Outside the grid counts as unknown.
    assert!(!g.segment_free(&Point2::new(0.5, 0.5), &Point2::new(-3.0, 0.5), false));
    assert!(g.segment_free(&Point2::new(0.5, 0.5), &Point2::new(-3.0, 0.5), true));
}
