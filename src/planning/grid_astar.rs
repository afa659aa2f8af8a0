//! A* on a grid (Hart, Nilsson & Raphael, 1968) with integer move costs and a radix-heap open
//! list, array storage reused across queries.

use std::f64::consts::SQRT_2;
use std::time::Instant;

use crate::mapping::{Cell, GridMap};

use super::grid_search::{Connectivity, GridPath, SearchGrid, SearchStats, MOVES};
use super::radix_heap::RadixHeap;
use super::PlanningError;

/// Fixed-point cost of a straight move (`2^30` units = one cell).
const STRAIGHT: u64 = 1 << 30;
/// Fixed-point cost of a diagonal move: `round(sqrt(2) 2^30)`, within `1.12e-11` cells of
/// `sqrt 2` per move.
const DIAGONAL: u64 = 1_518_500_250;

/// Per-cell search state of [`GridAstar`]: integer cost-to-come and a generation mark (`2q` open
/// in query `q`, `2q + 1` closed, anything lower unseen). Packed to 12 bytes: the search is
/// bound by loading these.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C, packed(4))]
struct AstarNode {
    g: u64,
    mark: u32,
}

/// Grid A*: shortest 4- or 8-connected paths on a [`GridMap`] snapshot.
///
/// Moves cost 1 (straight) and `sqrt 2` (diagonal, only when both cells beside it are free:
/// no corner cutting). The heuristic is the octile distance `max(dx, dy) + (sqrt 2 - 1)
/// min(dx, dy)` (Manhattan `dx + dy` for 4-connected moves): admissible and consistent, so the
/// first expansion of the goal is optimal and no cell is expanded twice. Among cells of equal
/// `f` the most recently generated is expanded first, which prefers deeper cells (larger `g`).
///
/// Costs are searched in fixed point (`2^30` units per cell, diagonal `round(sqrt(2) 2^30)`), so
/// `f` is an exact integer and the open list is a radix heap: pushes are appends and pops touch
/// memory sequentially, several times faster than a binary heap of floating-point keys. The
/// fixed-point diagonal is within `1.12e-11` of `sqrt 2`, so the returned path is within
/// `(b + b*) 1.12e-11` cells of the optimum (`b`, `b*` its and an optimal path's diagonal moves);
/// distinct octile lengths `a + b sqrt 2` with fewer than `10^5` diagonal moves differ by more
/// than that, so such paths are exactly optimal. The reported `cost` is the path's length in
/// floating point (its moves summed from the start).
///
/// Storage: the planner copies the map once (one blocked border cell around it, so no bounds
/// checks while searching) and owns the cost and mark arrays (12 bytes per cell; the path is
/// recovered from the costs, so no parent array); a query only bumps a generation counter instead
/// of clearing them. Unreachable goals are answered in O(1) from
/// connected-component labels computed once per map. A query costs O(n log C) for the `n` cells
/// it expands (`C` the spread of open keys) and allocates only the returned path.
///
/// ```
/// use kestrel::mapping::{BinaryGrid, Cell};
/// use kestrel::planning::{Connectivity, GridAstar};
/// let map = BinaryGrid::from_rows(&[
///     "....",
///     ".##.",
///     "....",
/// ])?;
/// let mut astar = GridAstar::new(&map, Connectivity::Eight)?;
/// let path = astar.plan(Cell::new(0, 1), Cell::new(3, 1))?.expect("reachable");
/// // Around the wall; diagonals past the wall ends would cut its corners, so all moves are
/// // straight: up, three across, down.
/// assert_eq!(path.cells.len(), 6);
/// assert_eq!(path.cost, 5.0);
/// // Start and goal in different components: answered without searching.
/// let walled = BinaryGrid::from_rows(&[".#.", ".#."])?;
/// let mut astar = GridAstar::new(&walled, Connectivity::Eight)?;
/// assert!(astar.plan(Cell::new(0, 0), Cell::new(2, 1))?.is_none());
/// assert_eq!(astar.last_stats().expansions, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct GridAstar {
    grid: SearchGrid,
    nodes: Vec<AstarNode>,
    query: u32,
    open: RadixHeap,
}

impl GridAstar {
    /// A planner for a snapshot of `map`.
    ///
    /// # Errors
    /// [`PlanningError::EmptyMap`] for a map without cells; [`PlanningError::MapTooLarge`]
    /// beyond `u32` indices.
    pub fn new(map: &impl GridMap, connectivity: Connectivity) -> Result<Self, PlanningError> {
        let mut astar = GridAstar {
            grid: SearchGrid::new(map, connectivity)?,
            nodes: Vec::new(),
            query: 0,
            open: RadixHeap::new(),
        };
        astar.reset_nodes();
        Ok(astar)
    }

    /// Replaces the map snapshot, reusing the arrays when the size allows.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn set_map(&mut self, map: &impl GridMap) -> Result<(), PlanningError> {
        self.grid.set_map(map)?;
        self.reset_nodes();
        Ok(())
    }

    /// Sizes this planner's node array to the padded map (the shared engine's floating-point
    /// nodes are not used by A* and are released).
    fn reset_nodes(&mut self) {
        let cells = self.grid.free.len();
        self.grid.nodes = Vec::new();
        self.nodes.clear();
        self.nodes.resize(cells, AstarNode::default());
        self.query = 0;
    }

    /// Marks one cell of the snapshot blocked or free (component labels are recomputed lazily
    /// at the next query). Returns false for a cell outside the map.
    pub fn set_blocked(&mut self, cell: Cell, blocked: bool) -> bool {
        self.grid.set_blocked(cell, blocked)
    }

    /// Whether a cell of the snapshot is blocked, `None` outside the map.
    pub fn is_blocked(&self, cell: Cell) -> Option<bool> {
        self.grid.is_blocked(cell)
    }

    /// Map width and height.
    pub fn size(&self) -> (usize, usize) {
        (self.grid.width(), self.grid.height())
    }

    /// The move set.
    pub fn connectivity(&self) -> Connectivity {
        self.grid.connectivity()
    }

    /// Changes the move set for later queries.
    pub fn set_connectivity(&mut self, connectivity: Connectivity) {
        self.grid.set_connectivity(connectivity);
    }

    /// Whether results list the expanded cells (off by default; costs one push per expansion).
    pub fn record_expanded(&mut self, on: bool) {
        self.grid.set_record_expanded(on);
    }

    /// Counters of the last query (also for queries that found no path).
    pub fn last_stats(&self) -> SearchStats {
        self.grid.last_stats()
    }

    /// A shortest path from `start` to `goal`; `Ok(None)` when the goal is unreachable.
    ///
    /// # Errors
    /// [`PlanningError::StartOutOfBounds`], [`PlanningError::GoalOutOfBounds`],
    /// [`PlanningError::StartBlocked`], [`PlanningError::GoalBlocked`].
    pub fn plan(&mut self, start: Cell, goal: Cell) -> Result<Option<GridPath>, PlanningError> {
        let t0 = Instant::now();
        let (s, g) = self.grid.check_endpoints(start, Some(goal))?;
        let g = g.unwrap_or(s);
        if self.grid.labels_dirty {
            self.grid.relabel();
        }
        if self.grid.labels[s] != self.grid.labels[g] {
            self.grid.last_stats = SearchStats {
                elapsed: t0.elapsed(),
                ..SearchStats::default()
            };
            return Ok(None);
        }
        let mut expanded = Vec::new();
        let found = self.search(s, g, &mut expanded);
        if !found {
            // Cannot happen for cells in one component, but never report a wrong path.
            self.grid.last_stats.elapsed = t0.elapsed();
            return Ok(None);
        }
        let mut cells = Vec::new();
        let mut i = g;
        loop {
            cells.push(self.grid.cell_of(i));
            if i == s {
                break;
            }
            i = self.predecessor(i);
        }
        cells.reverse();
        let cost = cells
            .windows(2)
            .map(|w| {
                if w[0].x != w[1].x && w[0].y != w[1].y {
                    SQRT_2
                } else {
                    1.0
                }
            })
            .fold(0.0, |acc, step| acc + step);
        self.grid.last_stats.elapsed = t0.elapsed();
        Ok(Some(GridPath {
            cells,
            cost,
            stats: self.grid.last_stats,
            expanded,
        }))
    }

    /// A neighbour from which padded cell `i` was reached at its cost: one whose cost-to-come
    /// (seen in this query) plus the move cost equals `i`'s, exact in integer costs. The search
    /// needs no parent array: the cell that set `i`'s cost is such a neighbour.
    fn predecessor(&self, i: usize) -> usize {
        let pw = self.grid.pw as isize;
        let seen = 2 * self.query;
        let gi = self.nodes[i].g;
        let move_bits: u8 = if self.grid.connectivity() == Connectivity::Eight {
            0xFF
        } else {
            0x0F
        };
        let mut bits = self.grid.masks[i] & move_bits;
        while bits != 0 {
            let k = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let (dx, dy) = MOVES[k];
            let n = (i as isize + dx + dy * pw) as usize;
            let node = self.nodes[n];
            let cost = if k < 4 { STRAIGHT } else { DIAGONAL };
            if node.mark >= seen && node.g + cost == gi {
                return n;
            }
        }
        unreachable!("a reached cell always has a predecessor")
    }

    /// The generation marks of a new query (resetting all marks before they would overflow).
    fn next_query(&mut self) -> (u32, u32) {
        if self.query >= u32::MAX / 2 - 1 {
            self.nodes.iter_mut().for_each(|n| n.mark = 0);
            self.query = 0;
        }
        self.query += 1;
        (2 * self.query, 2 * self.query + 1)
    }

    /// Searches from padded cell `s` to padded cell `goal`; returns whether the goal was reached.
    fn search(&mut self, s: usize, goal: usize, expanded: &mut Vec<Cell>) -> bool {
        let (open, closed) = self.next_query();
        let grid = &self.grid;
        let pw = grid.pw;
        let eight = grid.connectivity() == Connectivity::Eight;
        let move_bits: u8 = if eight { 0xFF } else { 0x0F };
        let mut offsets = [0isize; 8];
        for (o, &(dx, dy)) in offsets.iter_mut().zip(&MOVES) {
            *o = dx + dy * pw as isize;
        }
        let (gx, gy) = ((goal % pw) as i64, (goal / pw) as i64);
        // Octile (8-connected) or Manhattan (4-connected) distance in fixed point from the
        // padded coordinates (x, y).
        let h = |x: i64, y: i64| -> u64 {
            let dx = (x - gx).unsigned_abs();
            let dy = (y - gy).unsigned_abs();
            if eight {
                let (lo, hi) = if dx < dy { (dx, dy) } else { (dy, dx) };
                (hi - lo) * STRAIGHT + lo * DIAGONAL
            } else {
                (dx + dy) * STRAIGHT
            }
        };
        let nodes = &mut self.nodes;
        let heap = &mut self.open;
        heap.clear();
        nodes[s] = AstarNode { g: 0, mark: open };
        heap.push(
            h((s % pw) as i64, (s / pw) as i64),
            s as u32,
            (s / pw) as u32,
        );
        let mut stats = SearchStats {
            pushes: 1,
            ..SearchStats::default()
        };
        let mut found = false;
        while let Some(entry) = heap.pop() {
            let i = entry.value as usize;
            // With a consistent heuristic an improved entry always pops before the stale one
            // it replaced, so "already closed" is the only staleness test needed.
            if nodes[i].mark == closed {
                continue;
            }
            nodes[i].mark = closed;
            stats.expansions += 1;
            if grid.record_expanded {
                expanded.push(grid.cell_of(i));
            }
            if i == goal {
                found = true;
                break;
            }
            let g = nodes[i].g;
            // The row travels with the entry, so no division per expansion.
            let y = i64::from(entry.aux);
            let x = i as i64 - y * pw as i64;
            let mut bits = grid.masks[i] & move_bits;
            while bits != 0 {
                let k = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let n = (i as isize + offsets[k]) as usize;
                let nn = &mut nodes[n];
                if nn.mark == closed {
                    continue;
                }
                let ng = g + if k < 4 { STRAIGHT } else { DIAGONAL };
                if nn.mark != open || ng < nn.g {
                    *nn = AstarNode { g: ng, mark: open };
                    let (dx, dy) = MOVES[k];
                    let ny = y + dy as i64;
                    heap.push(ng + h(x + dx as i64, ny), n as u32, ny as u32);
                    stats.pushes += 1;
                }
            }
        }
        self.grid.last_stats = stats;
        found
    }
}

#[cfg(test)]
mod tests {
    use super::super::grid_search::Heuristic;
    use super::*;
    use crate::mapping::BinaryGrid;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    /// The radix-heap search against the shared engine's binary-heap A* (floating-point keys):
    /// same lengths, same reachability, on random maps with both move sets.
    #[test]
    fn agrees_with_the_binary_heap_engine() {
        let mut rng = StdRng::seed_from_u64(11);
        let mut compared = 0;
        for case in 0..40 {
            let (w, h) = (rng.random_range(5..70), rng.random_range(5..70));
            let blocked: Vec<bool> = (0..w * h).map(|_| rng.random_bool(0.3)).collect();
            let map = BinaryGrid::from_vec(w, h, blocked).unwrap();
            for connectivity in [Connectivity::Eight, Connectivity::Four] {
                let mut astar = GridAstar::new(&map, connectivity).unwrap();
                let mut reference = SearchGrid::new(&map, connectivity).unwrap();
                for _ in 0..20 {
                    let s = Cell::new(rng.random_range(0..w as i32), rng.random_range(0..h as i32));
                    let g = Cell::new(rng.random_range(0..w as i32), rng.random_range(0..h as i32));
                    let a = astar.plan(s, g);
                    let b = reference.plan(s, g, Heuristic::Distance);
                    match (a, b) {
                        (Ok(Some(a)), Ok(Some(b))) => {
                            assert!((a.cost - b.cost).abs() < 1e-9, "case {case}: {a:?} {b:?}");
                            assert_eq!(a.cells.first(), Some(&s));
                            assert_eq!(a.cells.last(), Some(&g));
                            compared += 1;
                        }
                        (Ok(None), Ok(None)) => {}
                        (Err(a), Err(b)) => assert_eq!(a, b),
                        (a, b) => panic!("case {case}: {a:?} vs {b:?}"),
                    }
                }
            }
        }
        assert!(compared > 300, "{compared}");
    }

    #[test]
    fn fixed_point_diagonal_is_within_its_stated_error() {
        let d = DIAGONAL as f64 / STRAIGHT as f64;
        assert!((d - SQRT_2).abs() < 1.2e-11);
    }
}
