//! Every query of the Moving AI benchmark scenarios returns the published optimal length.
//!
//! Reads `$KESTREL_DATASETS/movingai/{arena,maze512-32-9}.map(.scen)` (download them with
//! `scripts/download_datasets.sh DIR`). Without `KESTREL_DATASETS` the tests fail when `CI` is
//! set and are skipped with a notice otherwise.

use std::f64::consts::SQRT_2;
use std::path::PathBuf;

use kestrel::mapping::{load_scenarios, Cell, GridMap, MovingAiMap};
use kestrel::planning::{Connectivity, GridAstar, GridDijkstra, GridJps, GridPath};

fn dataset_dir() -> Option<PathBuf> {
    match std::env::var_os("KESTREL_DATASETS") {
        Some(dir) => Some(PathBuf::from(dir).join("movingai")),
        None if std::env::var_os("CI").is_some() => {
            panic!("KESTREL_DATASETS is not set (required in CI)")
        }
        None => {
            eprintln!("notice: KESTREL_DATASETS is not set; skipping the Moving AI benchmark test");
            None
        }
    }
}

/// Checks every move of the path on the map: free cells, unit or diagonal steps, no corner
/// cutting; returns the path length recomputed from the moves.
fn checked_length(map: &MovingAiMap, path: &GridPath) -> f64 {
    let free = |c: Cell| !map.is_blocked(c.x as usize, c.y as usize);
    assert!(path.cells.iter().all(|&c| free(c)));
    path.cells
        .windows(2)
        .map(|w| {
            let (dx, dy) = (w[1].x - w[0].x, w[1].y - w[0].y);
            assert!(
                dx.abs() <= 1 && dy.abs() <= 1 && (dx, dy) != (0, 0),
                "bad move {w:?}"
            );
            if dx != 0 && dy != 0 {
                assert!(
                    free(Cell::new(w[0].x + dx, w[0].y)) && free(Cell::new(w[0].x, w[0].y + dy)),
                    "corner cut at {w:?}"
                );
                SQRT_2
            } else {
                1.0
            }
        })
        .sum()
}

/// Runs jump point search (A* with symmetry pruning) on every query, plain A* on every
/// `astar_every`-th and Dijkstra on every `dijkstra_every`-th; returns the query count.
fn run(name: &str, astar_every: usize, dijkstra_every: usize) -> Option<usize> {
    let dir = dataset_dir()?;
    let map = MovingAiMap::load(dir.join(format!("{name}.map"))).unwrap();
    let queries = load_scenarios(dir.join(format!("{name}.map.scen"))).unwrap();
    assert!(!queries.is_empty());
    let mut jps = GridJps::new(&map).unwrap();
    let mut astar = GridAstar::new(&map, Connectivity::Eight).unwrap();
    let mut dijkstra = GridDijkstra::new(&map, Connectivity::Eight).unwrap();
    for (i, q) in queries.iter().enumerate() {
        assert_eq!((q.map_width, q.map_height), (map.width(), map.height()));
        let start = Cell::new(q.start.0 as i32, q.start.1 as i32);
        let goal = Cell::new(q.goal.0 as i32, q.goal.1 as i32);
        let check = |planner: &str, path: Option<GridPath>| {
            let path = path.unwrap_or_else(|| panic!("{name} query {i}: {planner} found no path"));
            assert!(
                (path.cost - q.optimal_length).abs() < 1e-4,
                "{name} query {i}: {planner} {} vs optimal {}",
                path.cost,
                q.optimal_length
            );
            assert!((checked_length(&map, &path) - path.cost).abs() < 1e-9);
            assert_eq!((path.cells[0], *path.cells.last().unwrap()), (start, goal));
        };
        check("JPS", jps.plan(start, goal).unwrap());
        if i % astar_every == 0 {
            check("A*", astar.plan(start, goal).unwrap());
        }
        if i % dijkstra_every == 0 {
            check("Dijkstra", dijkstra.plan(start, goal).unwrap());
        }
    }
    Some(queries.len())
}

#[test]
fn arena_all_queries_jps_astar_and_dijkstra() {
    if let Some(n) = run("arena", 1, 1) {
        assert_eq!(n, 160);
    }
}

#[test]
fn maze512_all_queries_jps_with_astar_and_dijkstra_sampled() {
    // Plain A* and Dijkstra expand most of the maze (about 140k and 250k cells per long
    // query), so they run on a spread sample of 201 and 81 queries across all buckets.
    if let Some(n) = run("maze512-32-9", 40, 100) {
        assert_eq!(n, 8010);
    }
}
