//! Grid A* and Dijkstra against brute-force shortest paths, path validity, reuse across
//! queries, bad input, and A* on petgraph graphs.

use std::f64::consts::SQRT_2;

use kestrel::mapping::{
    BinaryGrid, Bounds, Cell, CostMap, GridGeometry, GridMap, InflationParams, OccupancyGrid,
    OccupancyParams, INSCRIBED,
};
use kestrel::planning::{
    graph_astar, Connectivity, GridAstar, GridDijkstra, GridJps, GridPath, PlanningError,
};
use nalgebra::{Point2, Vector2};
use petgraph::graph::{NodeIndex, UnGraph};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Allowed moves from `(x, y)` with their costs, written out independently of the library.
fn moves(map: &BinaryGrid, x: usize, y: usize, eight: bool) -> Vec<(usize, usize, f64)> {
    let (w, h) = (map.width() as i64, map.height() as i64);
    let free = |x: i64, y: i64| {
        x >= 0 && y >= 0 && x < w && y < h && !map.is_blocked(x as usize, y as usize)
    };
    let mut out = Vec::new();
    for dy in -1i64..=1 {
        for dx in -1i64..=1 {
            if (dx, dy) == (0, 0) || (!eight && dx != 0 && dy != 0) {
                continue;
            }
            let (nx, ny) = (x as i64 + dx, y as i64 + dy);
            if !free(nx, ny) {
                continue;
            }
            if dx != 0
                && dy != 0
                && !(free(x as i64 + dx, y as i64) && free(x as i64, y as i64 + dy))
            {
                continue;
            }
            out.push((
                nx as usize,
                ny as usize,
                if dx != 0 && dy != 0 { SQRT_2 } else { 1.0 },
            ));
        }
    }
    out
}

/// Single-source shortest paths by repeated relaxation until nothing changes (Bellman-Ford).
fn brute_force(map: &BinaryGrid, source: (usize, usize), eight: bool) -> Vec<f64> {
    let w = map.width();
    let mut d = vec![f64::INFINITY; w * map.height()];
    d[source.1 * w + source.0] = 0.0;
    loop {
        let mut changed = false;
        for y in 0..map.height() {
            for x in 0..w {
                let dv = d[y * w + x];
                if !dv.is_finite() {
                    continue;
                }
                for (nx, ny, c) in moves(map, x, y, eight) {
                    if dv + c < d[ny * w + nx] - 1e-12 {
                        d[ny * w + nx] = dv + c;
                        changed = true;
                    }
                }
            }
        }
        if !changed {
            return d;
        }
    }
}

fn assert_valid_path(map: &BinaryGrid, path: &GridPath, start: Cell, goal: Cell, eight: bool) {
    assert_eq!(path.cells.first(), Some(&start));
    assert_eq!(path.cells.last(), Some(&goal));
    let mut cost = 0.0;
    for pair in path.cells.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let step = moves(map, a.x as usize, a.y as usize, eight)
            .into_iter()
            .find(|&(x, y, _)| (x as i32, y as i32) == (b.x, b.y))
            .unwrap_or_else(|| panic!("illegal move {a:?} -> {b:?}"));
        cost += step.2;
    }
    assert!((cost - path.cost).abs() < 1e-9, "{cost} vs {}", path.cost);
}

fn random_map(rng: &mut StdRng, w: usize, h: usize, density: f64) -> BinaryGrid {
    BinaryGrid::from_vec(
        w,
        h,
        (0..w * h).map(|_| rng.random::<f64>() < density).collect(),
    )
    .unwrap()
}

#[test]
fn astar_jps_and_dijkstra_are_optimal_on_random_grids() {
    let mut rng = StdRng::seed_from_u64(3);
    for case in 0..80 {
        let (w, h) = (rng.random_range(2..24), rng.random_range(2..24));
        let map = random_map(&mut rng, w, h, [0.0, 0.15, 0.3, 0.45][case % 4]);
        for connectivity in [Connectivity::Eight, Connectivity::Four] {
            let eight = connectivity == Connectivity::Eight;
            let mut astar = GridAstar::new(&map, connectivity).unwrap();
            let mut dijkstra = GridDijkstra::new(&map, connectivity).unwrap();
            let mut jps = GridJps::new(&map).unwrap();
            let free: Vec<(usize, usize)> = (0..h)
                .flat_map(|y| (0..w).map(move |x| (x, y)))
                .filter(|&(x, y)| !map.is_blocked(x, y))
                .collect();
            if free.is_empty() {
                continue;
            }
            for _ in 0..4 {
                let s = free[rng.random_range(0..free.len())];
                let truth = brute_force(&map, s, eight);
                let start = Cell::new(s.0 as i32, s.1 as i32);
                let mut field = Vec::new();
                dijkstra.cost_field(start, &mut field).unwrap();
                for (i, (&a, &b)) in field.iter().zip(&truth).enumerate() {
                    assert!(
                        a == b || (a - b).abs() < 1e-9,
                        "case {case} cell {i}: {a} vs {b}"
                    );
                }
                for _ in 0..6 {
                    let g = free[rng.random_range(0..free.len())];
                    let goal = Cell::new(g.0 as i32, g.1 as i32);
                    let expected = truth[g.1 * w + g.0];
                    let a = astar.plan(start, goal).unwrap();
                    let d = dijkstra.plan(start, goal).unwrap();
                    let j = jps.plan(start, goal).unwrap();
                    if eight {
                        assert_eq!(j.is_some(), expected.is_finite(), "case {case}");
                        if let Some(j) = j {
                            assert!(
                                (j.cost - expected).abs() < 1e-9,
                                "case {case}: JPS {} vs {expected}",
                                j.cost
                            );
                            assert_valid_path(&map, &j, start, goal, true);
                        }
                    }
                    match (a, d) {
                        (None, None) => assert!(expected.is_infinite()),
                        (Some(a), Some(d)) => {
                            assert!(
                                (a.cost - expected).abs() < 1e-9,
                                "case {case}: {} vs {expected}",
                                a.cost
                            );
                            assert!((d.cost - expected).abs() < 1e-9);
                            assert_valid_path(&map, &a, start, goal, eight);
                            assert_valid_path(&map, &d, start, goal, eight);
                            assert!(a.stats.expansions <= d.stats.expansions);
                        }
                        (a, d) => panic!("case {case}: A* {a:?} vs Dijkstra {d:?}"),
                    }
                }
            }
        }
    }
}

#[test]
fn hand_worked_corner_cutting_and_four_connectivity() {
    // Two blocked cells touching at a corner: the diagonal between them is not allowed.
    let map = BinaryGrid::from_rows(&[".#", "#."]).unwrap();
    let mut astar = GridAstar::new(&map, Connectivity::Eight).unwrap();
    assert!(astar
        .plan(Cell::new(0, 0), Cell::new(1, 1))
        .unwrap()
        .is_none());
    // Open 5 x 5: 4 diagonals, or 8 straight moves with 4-connectivity.
    let open = BinaryGrid::new(5, 5).unwrap();
    let mut astar = GridAstar::new(&open, Connectivity::Eight).unwrap();
    let p = astar
        .plan(Cell::new(0, 0), Cell::new(4, 4))
        .unwrap()
        .unwrap();
    assert!((p.cost - 4.0 * SQRT_2).abs() < 1e-12);
    assert_eq!(p.cells.len(), 5);
    // With ties going to larger g, the straight diagonal is found with no side expansions.
    assert_eq!(p.stats.expansions, 5);
    astar.set_connectivity(Connectivity::Four);
    let p = astar
        .plan(Cell::new(0, 0), Cell::new(4, 4))
        .unwrap()
        .unwrap();
    assert_eq!(p.cost, 8.0);
    // (0, 0) -> (3, 1): one diagonal and two straight moves.
    astar.set_connectivity(Connectivity::Eight);
    let p = astar
        .plan(Cell::new(0, 0), Cell::new(3, 1))
        .unwrap()
        .unwrap();
    assert!((p.cost - (2.0 + SQRT_2)).abs() < 1e-12);
    // Start equals goal.
    let p = astar
        .plan(Cell::new(2, 2), Cell::new(2, 2))
        .unwrap()
        .unwrap();
    assert_eq!((p.cells.len(), p.cost), (1, 0.0));
}

#[test]
fn reused_planner_equals_fresh_planner() {
    let mut rng = StdRng::seed_from_u64(5);
    let map = random_map(&mut rng, 60, 40, 0.3);
    let mut reused = GridAstar::new(&map, Connectivity::Eight).unwrap();
    let mut answered = 0;
    for _ in 0..300 {
        let s = Cell::new(rng.random_range(0..60), rng.random_range(0..40));
        let g = Cell::new(rng.random_range(0..60), rng.random_range(0..40));
        let mut fresh = GridAstar::new(&map, Connectivity::Eight).unwrap();
        let a = reused.plan(s, g);
        let b = fresh.plan(s, g);
        match (a, b) {
            (Ok(Some(a)), Ok(Some(b))) => {
                assert_eq!(a.cells, b.cells);
                assert_eq!(a.cost, b.cost);
                assert_eq!(a.stats.expansions, b.stats.expansions);
                answered += 1;
            }
            (Ok(None), Ok(None)) => {}
            (Err(a), Err(b)) => assert_eq!(a, b),
            (a, b) => panic!("{a:?} vs {b:?}"),
        }
    }
    assert!(answered > 50);
}

#[test]
fn bad_queries_are_typed_errors_and_unreachable_goals_are_none() {
    let map = BinaryGrid::from_rows(&["..#..", "..#..", "..#.#"]).unwrap();
    let mut astar = GridAstar::new(&map, Connectivity::Eight).unwrap();
    assert_eq!(
        astar.plan(Cell::new(-1, 0), Cell::new(0, 0)),
        Err(PlanningError::StartOutOfBounds {
            cell: Cell::new(-1, 0),
            width: 5,
            height: 3
        })
    );
    assert!(matches!(
        astar.plan(Cell::new(0, 0), Cell::new(5, 0)),
        Err(PlanningError::GoalOutOfBounds { .. })
    ));
    assert_eq!(
        astar.plan(Cell::new(2, 0), Cell::new(0, 0)),
        Err(PlanningError::StartBlocked {
            cell: Cell::new(2, 0)
        })
    );
    assert_eq!(
        astar.plan(Cell::new(0, 0), Cell::new(4, 2)),
        Err(PlanningError::GoalBlocked {
            cell: Cell::new(4, 2)
        })
    );
    // The wall splits the map: answered from component labels, no expansion.
    assert!(astar
        .plan(Cell::new(0, 0), Cell::new(4, 0))
        .unwrap()
        .is_none());
    assert_eq!(astar.last_stats().expansions, 0);
    // Opening a door in the wall makes it reachable (labels recomputed).
    assert!(astar.set_blocked(Cell::new(2, 1), false));
    let p = astar
        .plan(Cell::new(0, 0), Cell::new(4, 0))
        .unwrap()
        .unwrap();
    assert!((p.cost - (2.0 + 2.0 * SQRT_2)).abs() < 1e-12);
    assert!(!astar.set_blocked(Cell::new(9, 9), true));
    // Empty maps.
    let empty = BinaryGrid::new(0, 4).unwrap();
    assert_eq!(
        GridAstar::new(&empty, Connectivity::Eight).err(),
        Some(PlanningError::EmptyMap)
    );
    assert_eq!(
        GridDijkstra::new(&empty, Connectivity::Four).err(),
        Some(PlanningError::EmptyMap)
    );
    let mut dijkstra = GridDijkstra::new(&map, Connectivity::Four).unwrap();
    assert!(matches!(
        dijkstra.cost_field(Cell::new(2, 2), &mut Vec::new()),
        Err(PlanningError::StartBlocked { .. })
    ));
}

#[test]
fn expanded_cells_are_recorded_on_request() {
    let map = BinaryGrid::from_rows(&["......", ".####.", "......"]).unwrap();
    let mut astar = GridAstar::new(&map, Connectivity::Eight).unwrap();
    let p = astar
        .plan(Cell::new(0, 1), Cell::new(5, 1))
        .unwrap()
        .unwrap();
    assert!(p.expanded.is_empty());
    astar.record_expanded(true);
    let p = astar
        .plan(Cell::new(0, 1), Cell::new(5, 1))
        .unwrap()
        .unwrap();
    assert_eq!(p.expanded.len(), p.stats.expansions);
    assert_eq!(p.expanded.first(), Some(&Cell::new(0, 1)));
    assert_eq!(p.expanded.last(), Some(&Cell::new(5, 1)));
    let mut unique = p.expanded.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), p.expanded.len(), "a cell was expanded twice");
}

#[test]
fn plans_on_occupancy_grids_and_cost_maps() {
    // A 4 m x 2 m room at 0.1 m with a wall at x = 2 m (cells 20) from y = 0 to 1.5 m.
    let geometry = GridGeometry::new(40, 20, 0.1, Vector2::zeros(), 0.0).unwrap();
    let mut grid = OccupancyGrid::new(geometry, OccupancyParams::default(), Bounds::Fixed).unwrap();
    for y in 0..20 {
        for x in 0..40 {
            let occupied = x == 20 && y < 15;
            grid.update_cell(Cell::new(x, y), occupied);
        }
    }
    let start = grid.geometry().world_to_cell(&Point2::new(0.55, 0.55));
    let goal = grid.geometry().world_to_cell(&Point2::new(3.55, 0.55));
    let mut astar = GridAstar::new(&grid.blocked_view(false), Connectivity::Eight).unwrap();
    let direct = astar.plan(start, goal).unwrap().unwrap();
    assert!(
        direct.cells.iter().any(|c| c.y >= 15),
        "path must pass above the wall"
    );
    // Inflated for a robot of radius 0.25 m, the gap above the wall is still passable, and the
    // path keeps more than 0.25 m from every wall cell.
    let params = InflationParams {
        inscribed_radius: 0.25,
        inflation_radius: 0.5,
        cost_scaling_factor: 5.0,
        inflate_unknown: false,
    };
    let costs = CostMap::from_occupancy(&grid, &params).unwrap();
    astar
        .set_map(&costs.blocked_view(INSCRIBED, false))
        .unwrap();
    let safe = astar.plan(start, goal).unwrap().unwrap();
    assert!(safe.cost > direct.cost);
    for c in &safe.cells {
        // Cells within 2.5 cells (0.25 m) of a wall cell are INSCRIBED, hence blocked.
        let d2 = (0..15)
            .map(|wy| (c.x - 20).pow(2) + (c.y - wy).pow(2))
            .min()
            .unwrap();
        assert!(f64::from(d2).sqrt() > 2.5, "{c:?} too close to the wall");
    }
    // A robot wider than the gap: no path.
    let wide = InflationParams {
        inscribed_radius: 0.6,
        inflation_radius: 0.8,
        ..params
    };
    let costs = CostMap::from_occupancy(&grid, &wide).unwrap();
    astar
        .set_map(&costs.blocked_view(INSCRIBED, false))
        .unwrap();
    assert!(astar.plan(start, goal).unwrap().is_none());
}

#[test]
fn graph_astar_agrees_with_grid_astar() {
    let mut rng = StdRng::seed_from_u64(9);
    let map = random_map(&mut rng, 30, 30, 0.25);
    let mut graph = UnGraph::<(usize, usize), f64>::new_undirected();
    let nodes: Vec<NodeIndex> = (0..900).map(|i| graph.add_node((i % 30, i / 30))).collect();
    for y in 0..30 {
        for x in 0..30 {
            if map.is_blocked(x, y) {
                continue;
            }
            for (nx, ny, c) in moves(&map, x, y, true) {
                if (ny, nx) > (y, x) {
                    graph.add_edge(nodes[y * 30 + x], nodes[ny * 30 + nx], c);
                }
            }
        }
    }
    let mut astar = GridAstar::new(&map, Connectivity::Eight).unwrap();
    let mut compared = 0;
    for _ in 0..50 {
        let s = rng.random_range(0..900);
        let g = rng.random_range(0..900);
        let (gx, gy) = ((g % 30) as f64, (g / 30) as f64);
        let octile = |n: NodeIndex| {
            let (x, y) = graph[n];
            let (dx, dy) = ((x as f64 - gx).abs(), (y as f64 - gy).abs());
            dx.max(dy) + (SQRT_2 - 1.0) * dx.min(dy)
        };
        let via_graph = graph_astar(&graph, nodes[s], nodes[g], |e| *e.weight(), octile).unwrap();
        let via_grid = astar.plan(
            Cell::new((s % 30) as i32, (s / 30) as i32),
            Cell::new((g % 30) as i32, (g / 30) as i32),
        );
        match (via_graph, via_grid) {
            (Some(a), Ok(Some(b))) => {
                assert!((a.cost - b.cost).abs() < 1e-9);
                compared += 1;
            }
            (None, Ok(None)) | (None, Err(_)) => {}
            (a, b) => panic!("{a:?} vs {b:?}"),
        }
    }
    assert!(compared > 10);
    // Bad input.
    let n = nodes[0];
    assert!(matches!(
        graph_astar(&graph, n, NodeIndex::new(5000), |e| *e.weight(), |_| 0.0),
        Err(PlanningError::NodeNotInGraph {
            which: "goal",
            index: 5000
        })
    ));
    let mut tiny = UnGraph::<(), f64>::new_undirected();
    let (a, b) = (tiny.add_node(()), tiny.add_node(()));
    tiny.add_edge(a, b, -1.0);
    assert!(matches!(
        graph_astar(&tiny, a, b, |e| *e.weight(), |_| 0.0),
        Err(PlanningError::InvalidCost {
            what: "edge cost",
            ..
        })
    ));
    assert!(matches!(
        graph_astar(&tiny, a, b, |_| 1.0, |_| f64::NAN),
        Err(PlanningError::InvalidCost {
            what: "heuristic",
            ..
        })
    ));
}
