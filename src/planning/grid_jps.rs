//! Jump point search (Harabor & Grastien, "Online Graph Pruning for Pathfinding on Grid Maps",
//! AAAI 2011; rules for moves without corner cutting from "Improving Jump Point Search",
//! ICAPS 2014): A* on 8-connected uniform-cost grids that skips the symmetric paths.

use std::time::Instant;

use crate::mapping::{Cell, GridMap};

use super::grid_search::{Connectivity, Entry, GridPath, Node, SearchGrid, SearchStats, MOVES};
use super::PlanningError;

const SQRT_2: f64 = std::f64::consts::SQRT_2;

/// Index into `MOVES` of the move `(dx, dy)` (each in -1..=1, not both 0).
#[inline]
fn move_index(dx: isize, dy: isize) -> usize {
    match (dx, dy) {
        (1, 0) => 0,
        (-1, 0) => 1,
        (0, 1) => 2,
        (0, -1) => 3,
        (1, 1) => 4,
        (-1, 1) => 5,
        (1, -1) => 6,
        _ => 7,
    }
}

/// Grid jump point search: the same answers as [`GridAstar`](super::GridAstar) with
/// [`Connectivity::Eight`] (optimal octile paths, no corner cutting), usually with far fewer
/// expansions.
///
/// From an expanded cell, JPS follows only the moves that an optimal path arriving from its
/// parent direction can need (natural and forced neighbours) and jumps along straight lines and
/// diagonals until a cell with a forced neighbour or the goal, pushing only those jump points on
/// the open list. Without corner cutting a straight move into cell `x` forces the side cell
/// `x + s` (and the diagonal `x + d + s`) when `x - d + s` is blocked, and a diagonal move
/// forces nothing; a diagonal jump stops where a straight jump from it would stop. The octile
/// heuristic stays consistent over jumps, so the result is optimal. Paths are returned cell by
/// cell (the jumps are filled in); `expansions` counts jump points.
///
/// Storage and reuse as [`GridAstar`](super::GridAstar): a map snapshot, arrays reused through a
/// generation counter, connected-component labels for unreachable goals.
///
/// ```
/// use kestrel::mapping::{BinaryGrid, Cell};
/// use kestrel::planning::GridJps;
/// let map = BinaryGrid::from_rows(&[
///     "..........",
///     "..........",
///     "....#.....",
///     "....#.....",
/// ])?;
/// let mut jps = GridJps::new(&map)?;
/// let path = jps.plan(Cell::new(0, 3), Cell::new(9, 3))?.expect("reachable");
/// // Up and over the wall: 2 diagonals up, 5 straight, 2 diagonals down... or equivalent.
/// assert!((path.cost - (5.0 + 4.0 * std::f64::consts::SQRT_2)).abs() < 1e-12);
/// assert_eq!(path.cells.len(), 10);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct GridJps {
    grid: SearchGrid,
}

impl GridJps {
    /// A planner for a snapshot of `map` (8-connected, no corner cutting).
    ///
    /// # Errors
    /// [`PlanningError::EmptyMap`] for a map without cells; [`PlanningError::MapTooLarge`]
    /// beyond `u32` indices.
    pub fn new(map: &impl GridMap) -> Result<Self, PlanningError> {
        Ok(GridJps {
            grid: SearchGrid::new(map, Connectivity::Eight)?,
        })
    }

    /// Replaces the map snapshot, reusing the arrays when the size allows.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn set_map(&mut self, map: &impl GridMap) -> Result<(), PlanningError> {
        self.grid.set_map(map)
    }

    /// Marks one cell of the snapshot blocked or free. Returns false outside the map.
    pub fn set_blocked(&mut self, cell: Cell, blocked: bool) -> bool {
        self.grid.set_blocked(cell, blocked)
    }

    /// Whether results list the expanded jump points (off by default).
    pub fn record_expanded(&mut self, on: bool) {
        self.grid.set_record_expanded(on);
    }

    /// Counters of the last query.
    pub fn last_stats(&self) -> SearchStats {
        self.grid.last_stats()
    }

    /// A shortest path from `start` to `goal`; `Ok(None)` when the goal is unreachable.
    ///
    /// # Errors
    /// [`PlanningError::StartOutOfBounds`], [`PlanningError::GoalOutOfBounds`],
    /// [`PlanningError::StartBlocked`], [`PlanningError::GoalBlocked`].
    pub fn plan(&mut self, start: Cell, goal: Cell) -> Result<Option<GridPath>, PlanningError> {
        let g = &mut self.grid;
        let t0 = Instant::now();
        let (s, gi) = g.check_endpoints(start, Some(goal))?;
        let gi = gi.unwrap_or(s);
        if g.labels_dirty {
            g.relabel();
        }
        if g.labels[s] != g.labels[gi] {
            g.last_stats = SearchStats {
                elapsed: t0.elapsed(),
                ..SearchStats::default()
            };
            return Ok(None);
        }
        let mut expanded = Vec::new();
        if !run(g, s, gi, &mut expanded) {
            // Cannot happen for cells in one component, but never report a wrong path.
            g.last_stats.elapsed = t0.elapsed();
            return Ok(None);
        }
        // Jump points from the goal back to the start, then every cell between them.
        let mut jumps = vec![gi];
        let mut i = gi;
        while i != s {
            i = g.nodes[i].parent as usize;
            jumps.push(i);
        }
        jumps.reverse();
        let mut cells = vec![g.cell_of(s)];
        for pair in jumps.windows(2) {
            let (a, b) = (g.cell_of(pair[0]), g.cell_of(pair[1]));
            let (dx, dy) = ((b.x - a.x).signum(), (b.y - a.y).signum());
            let steps = (b.x - a.x).abs().max((b.y - a.y).abs());
            cells.extend((1..=steps).map(|k| Cell::new(a.x + k * dx, a.y + k * dy)));
        }
        g.last_stats.elapsed = t0.elapsed();
        Ok(Some(GridPath {
            cells,
            cost: g.nodes[gi].g,
            stats: g.last_stats,
            expanded,
        }))
    }
}

/// True when a straight move `d` into `n` gives `n` a forced neighbour: a free side cell whose
/// cell behind (`n - d + side`) is blocked.
#[inline]
fn forced_straight(g: &SearchGrid, n: usize, d: isize, side: isize) -> bool {
    (g.free[(n as isize + side) as usize] && !g.free[(n as isize - d + side) as usize])
        || (g.free[(n as isize - side) as usize] && !g.free[(n as isize - d - side) as usize])
}

/// Jumps straight from `i` along move `k`; returns the jump point and the number of steps.
#[inline]
fn jump_straight(
    g: &SearchGrid,
    i: usize,
    k: usize,
    d: isize,
    side: isize,
    goal: usize,
) -> Option<(usize, u32)> {
    let bit = 1u8 << k;
    let mut n = i;
    let mut steps = 0u32;
    loop {
        if g.masks[n] & bit == 0 {
            return None;
        }
        n = (n as isize + d) as usize;
        steps += 1;
        if n == goal || forced_straight(g, n, d, side) {
            return Some((n, steps));
        }
    }
}

/// The search; returns whether the goal was reached.
fn run(g: &mut SearchGrid, s: usize, goal: usize, expanded: &mut Vec<Cell>) -> bool {
    let (open, closed) = g.next_query();
    let pw = g.pw as isize;
    let offset = |k: usize| MOVES[k].0 + MOVES[k].1 * pw;
    let gc = g.cell_of(goal);
    let h = |c: Cell| -> f64 {
        let dx = f64::from((c.x - gc.x).abs());
        let dy = f64::from((c.y - gc.y).abs());
        dx.max(dy) + (SQRT_2 - 1.0) * dx.min(dy)
    };
    g.heap.clear();
    g.nodes[s] = Node {
        g: 0.0,
        parent: s as u32,
        mark: open,
    };
    g.heap.push(Entry {
        f: h(g.cell_of(s)),
        g: 0.0,
        index: s as u32,
    });
    let mut stats = SearchStats {
        pushes: 1,
        ..SearchStats::default()
    };
    let mut found = false;
    while let Some(Entry { index, .. }) = g.heap.pop() {
        let i = index as usize;
        if g.nodes[i].mark == closed {
            continue;
        }
        g.nodes[i].mark = closed;
        let gi = g.nodes[i].g;
        stats.expansions += 1;
        let cell = g.cell_of(i);
        if g.record_expanded {
            expanded.push(cell);
        }
        if i == goal {
            found = true;
            break;
        }
        // Moves worth following from here, given the direction we arrived in.
        let parent = g.nodes[i].parent as usize;
        let mask = g.masks[i];
        let dirs = if parent == i {
            mask
        } else {
            let pc = g.cell_of(parent);
            let dx = (cell.x - pc.x).signum() as isize;
            let dy = (cell.y - pc.y).signum() as isize;
            let mut m = 0u8;
            if dx != 0 && dy != 0 {
                m |= 1 << move_index(dx, 0) | 1 << move_index(0, dy) | 1 << move_index(dx, dy);
            } else {
                let (d, side) = if dx != 0 { (dx, pw) } else { (dy * pw, 1) };
                m |= 1 << move_index(dx, dy);
                // Forced neighbours on each side whose cell behind is blocked.
                for sgn in [1isize, -1] {
                    if !g.free[(i as isize - d + sgn * side) as usize] {
                        let (sx, sy) = if dx != 0 { (0, sgn) } else { (sgn, 0) };
                        m |= 1 << move_index(sx, sy) | 1 << move_index(dx + sx, dy + sy);
                    }
                }
            }
            m & mask
        };
        let mut bits = dirs;
        while bits != 0 {
            let k = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let (dx, dy) = MOVES[k];
            let d = offset(k);
            let jump = if k < 4 {
                let side = if dx != 0 { pw } else { 1 };
                jump_straight(g, i, k, d, side, goal).map(|(n, steps)| (n, f64::from(steps)))
            } else {
                // Diagonal: step until the goal or a cell from which a straight jump finds
                // something.
                let (kx, ky) = (move_index(dx, 0), move_index(0, dy));
                let (ox, oy) = (dx, dy * pw);
                let bit = 1u8 << k;
                let mut n = i;
                let mut steps = 0u32;
                loop {
                    if g.masks[n] & bit == 0 {
                        break None;
                    }
                    n = (n as isize + d) as usize;
                    steps += 1;
                    if n == goal
                        || jump_straight(g, n, kx, ox, pw, goal).is_some()
                        || jump_straight(g, n, ky, oy, 1, goal).is_some()
                    {
                        break Some((n, f64::from(steps) * SQRT_2));
                    }
                }
            };
            let Some((n, cost)) = jump else {
                continue;
            };
            let nn = &mut g.nodes[n];
            if nn.mark == closed {
                continue;
            }
            let ng = gi + cost;
            if nn.mark != open || ng < nn.g {
                *nn = Node {
                    g: ng,
                    parent: index,
                    mark: open,
                };
                let f = ng + h(g.cell_of(n));
                g.heap.push(Entry {
                    f,
                    g: ng as f32,
                    index: n as u32,
                });
                stats.pushes += 1;
            }
        }
    }
    g.last_stats = stats;
    found
}
