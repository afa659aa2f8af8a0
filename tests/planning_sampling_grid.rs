//! Sampling planners on grids: the grid checker against exact box / polygon checks of the same
//! cells, and RRT* / PRM on an occupancy grid.

use kestrel::geometry::Polygon;
use kestrel::mapping::{BinaryGrid, Cell, GridGeometry, OccupancyGrid, OccupancyParams};
use kestrel::planning::sampling::*;
use nalgebra::{Point2, Vector2};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

type V2 = Vector2<f64>;

fn random_grid(rng: &mut StdRng, w: usize, h: usize, fill: f64) -> BinaryGrid {
    let blocked: Vec<bool> = (0..w * h).map(|_| rng.random::<f64>() < fill).collect();
    BinaryGrid::from_vec(w, h, blocked).unwrap()
}

/// Each blocked cell as a closed polygon with its four world corners.
fn cells_as_polygons(map: &BinaryGrid, g: &GridGeometry, grow: f64) -> GeometricScene {
    let mut scene = GeometricScene::new();
    for y in 0..g.height() {
        for x in 0..g.width() {
            if map.as_slice()[y * g.width() + x] {
                let (x, y) = (x as f64, y as f64);
                let corners = [
                    (x - grow, y - grow),
                    (x + 1.0 + grow, y - grow),
                    (x + 1.0 + grow, y + 1.0 + grow),
                    (x - grow, y + 1.0 + grow),
                ];
                let verts = corners
                    .iter()
                    .map(|&(a, b)| g.grid_to_world(&Vector2::new(a, b)))
                    .collect();
                scene.add_polygon(Polygon::new(verts).unwrap());
            }
        }
    }
    scene
}

/// Random segments inside the grid: the supercover grid check agrees with exact segment-polygon
/// tests against the blocked cells, on an axis-aligned and on a rotated, offset grid. Cases
/// within 1e-9 of touching a cell (where rounding decides) are skipped: the verdict must agree
/// for the cells shrunk and grown by 1e-9.
#[test]
fn grid_checker_matches_exact_cell_polygons() {
    let mut rng = StdRng::seed_from_u64(17);
    for (yaw, origin) in [(0.0, V2::new(-1.0, 2.0)), (0.3, V2::new(4.0, -3.0))] {
        let (w, h, res) = (20, 15, 0.5);
        let geometry = GridGeometry::new(w, h, res, origin, yaw).unwrap();
        let map = random_grid(&mut rng, w, h, 0.08);
        let shrunk = cells_as_polygons(&map, &geometry, -1e-9);
        let grown = cells_as_polygons(&map, &geometry, 1e-9);
        let checker = GridChecker::new(map.clone(), geometry.clone()).unwrap();
        let (mut compared, mut free) = (0, 0);
        for _ in 0..20_000 {
            // Endpoints strictly inside the grid, in grid coordinates, mapped to the world.
            let ga = V2::new(
                rng.random_range(0.01..w as f64 - 0.01),
                rng.random_range(0.01..h as f64 - 0.01),
            );
            let gb = V2::new(
                rng.random_range(0.01..w as f64 - 0.01),
                rng.random_range(0.01..h as f64 - 0.01),
            );
            let gb = ga + (gb - ga) * rng.random_range(0.0..0.4);
            let (a, b) = (
                geometry.grid_to_world(&ga).coords,
                geometry.grid_to_world(&gb).coords,
            );
            let exact_free = shrunk.is_motion_valid(&a, &b);
            if exact_free != grown.is_motion_valid(&a, &b) {
                continue;
            }
            compared += 1;
            free += exact_free as usize;
            assert_eq!(
                checker.is_motion_valid(&a, &b),
                exact_free,
                "yaw {yaw}: {ga} -> {gb}"
            );
            assert_eq!(checker.is_state_valid(&a), shrunk.is_state_valid(&a));
        }
        assert!(
            compared > 19_000 && free > 3000 && compared - free > 3000,
            "{compared} {free}"
        );
    }
}

#[test]
fn grid_checker_hand_worked_cases() {
    // 10 x 10 cells of 1 m at the origin; cell (5, 5) = [5, 6] x [5, 6] is blocked.
    let mut map = BinaryGrid::new(10, 10).unwrap();
    map.set_blocked(5, 5, true);
    let geometry = GridGeometry::new(10, 10, 1.0, Vector2::zeros(), 0.0).unwrap();
    let c = GridChecker::new(map, geometry).unwrap();
    let v = V2::new;
    assert!(!c.is_motion_valid(&v(0.5, 0.5), &v(9.5, 9.5))); // through the cell
    assert!(c.is_motion_valid(&v(0.5, 4.9), &v(9.5, 4.9))); // below it
    assert!(!c.is_motion_valid(&v(0.5, 5.0), &v(9.5, 5.0))); // along its lower edge
    assert!(!c.is_motion_valid(&v(4.0, 7.0), &v(6.0, 5.0))); // through its corner (5, 6)
    assert!(c.is_motion_valid(&v(4.0, 7.0), &v(5.0, 9.0)));
    // Outside the grid is not free; non-finite states are invalid.
    assert!(!c.is_state_valid(&v(-0.1, 3.0)));
    assert!(!c.is_motion_valid(&v(0.5, 0.5), &v(10.5, 0.5)));
    assert!(!c.is_state_valid(&v(f64::NAN, 3.0)));
    // A map and geometry of different sizes are refused.
    let small = GridGeometry::new(9, 10, 1.0, Vector2::zeros(), 0.0).unwrap();
    assert!(matches!(
        GridChecker::new(BinaryGrid::new(10, 10).unwrap(), small),
        Err(SamplingError::InvalidParameter { .. })
    ));
}

/// An occupancy grid with a wall and a doorway, built from hits and misses: RRT* and PRM find
/// paths through the doorway and every path is free on the grid (checked at 1 mm spacing).
#[test]
fn planners_run_on_an_occupancy_grid() {
    let geometry = GridGeometry::new(100, 60, 0.1, Vector2::new(-2.0, -1.0), 0.0).unwrap();
    let mut grid = OccupancyGrid::new(
        geometry.clone(),
        OccupancyParams::default(),
        kestrel::mapping::Bounds::Fixed,
    )
    .unwrap();
    for y in 0..60 {
        for x in 0..100 {
            // A wall at columns 48..52 with a doorway at rows 40..46.
            let wall = (48..52).contains(&x) && !(40..46).contains(&y);
            for _ in 0..3 {
                grid.update_cell(Cell::new(x, y), wall);
            }
        }
    }
    let checker = GridChecker::new(grid.blocked_view(false), grid.geometry().clone()).unwrap();
    // Sample inside the grid (world x in [-2, 8], y in [-1, 5]).
    let bounds = Bounds::new(V2::new(-2.0, -1.0), V2::new(7.999, 4.999)).unwrap();
    let (start, goal) = (V2::new(-1.5, -0.5), V2::new(7.5, -0.5));
    let problem = Problem::new(bounds, start, goal).unwrap();
    let dense_free = |path: &[V2]| {
        path.windows(2).all(|w| {
            let n = ((w[1] - w[0]).norm() / 1e-3).ceil() as usize;
            (0..=n).all(|i| {
                let q = w[0] + (w[1] - w[0]) * (i as f64 / n as f64);
                grid.is_point_free(&Point2::new(q.x, q.y), false)
            })
        })
    };
    // The wall spans world x in [2.8, 3.2]; its doorway y in [3.0, 3.6]. A path crossing the
    // wall has dense points inside that x range, all of them in the doorway.
    let through_door = |path: &[V2]| {
        let mut inside = 0;
        for w in path.windows(2) {
            let n = ((w[1] - w[0]).norm() / 1e-3).ceil() as usize;
            for i in 0..=n {
                let q = w[0] + (w[1] - w[0]) * (i as f64 / n as f64);
                if (2.8..=3.2).contains(&q.x) {
                    inside += 1;
                    if !(3.0..=3.6).contains(&q.y) {
                        return false;
                    }
                }
            }
        }
        inside > 0
    };
    let mut rng = StdRng::seed_from_u64(6);
    let params = RrtStarParams {
        termination: Termination::iterations(6000),
        ..Default::default()
    };
    let r = rrt_star(&problem, &checker, &params, &mut rng, &mut NoObserver).unwrap();
    let path = r.path.expect("RRT* through the doorway");
    assert!(dense_free(&path) && through_door(&path));
    // Lower bound: start -> doorway corner -> goal, around the wall's end at (2.8..3.2, 3.0).
    let corner_a = V2::new(2.8, 3.0);
    let corner_b = V2::new(3.2, 3.0);
    let lower = (corner_a - start).norm() + 0.4 + (goal - corner_b).norm();
    assert!(r.cost >= lower - 1e-9, "{} < {lower}", r.cost);

    let mut prm = Prm::new(bounds, PrmParams::default()).unwrap();
    prm.grow(&checker, 3000, &mut rng, &mut NoObserver).unwrap();
    let q = prm.query(&checker, &start, &goal).unwrap();
    let path = q.path.expect("PRM* through the doorway");
    assert!(dense_free(&path), "{path:?}");
    assert!(through_door(&path), "{path:?}");
    assert!(q.cost >= lower - 1e-9);

    // Close the doorway: no path, cleanly.
    for y in 40..46 {
        for x in 48..52 {
            for _ in 0..6 {
                grid.update_cell(Cell::new(x, y), true);
            }
        }
    }
    let checker = GridChecker::new(grid.blocked_view(false), grid.geometry().clone()).unwrap();
    let r = rrt_star(&problem, &checker, &params, &mut rng, &mut NoObserver).unwrap();
    assert!(r.path.is_none());
    assert_eq!(r.termination, TerminationReason::Iterations);
    // Unknown space is an obstacle unless the view says otherwise.
    let empty = OccupancyGrid::new(
        geometry,
        OccupancyParams::default(),
        kestrel::mapping::Bounds::Fixed,
    )
    .unwrap();
    let unknown_blocked =
        GridChecker::new(empty.blocked_view(false), empty.geometry().clone()).unwrap();
    assert_eq!(
        rrt(
            &problem,
            &unknown_blocked,
            &RrtParams::default(),
            &mut rng,
            &mut NoObserver
        )
        .unwrap_err(),
        SamplingError::StartInCollision
    );
    let unknown_free =
        GridChecker::new(empty.blocked_view(true), empty.geometry().clone()).unwrap();
    let r = rrt(
        &problem,
        &unknown_free,
        &RrtParams::default(),
        &mut rng,
        &mut NoObserver,
    )
    .unwrap();
    assert!(r.solved());
}
