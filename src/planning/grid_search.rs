//! The engine shared by grid A* and grid Dijkstra: a snapshot of the map with a blocked
//! border, connected-component labels, and per-cell search state reused across queries.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

use crate::mapping::{Cell, GridMap};

use super::PlanningError;

const SQRT_2: f64 = std::f64::consts::SQRT_2;

/// Moves a grid planner may make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Connectivity {
    /// Up, down, left, right; each move costs 1.
    Four,
    /// Also the diagonals, costing `sqrt 2`; a diagonal move needs both cells it passes
    /// between free (no corner cutting), as in the Moving AI benchmarks.
    #[default]
    Eight,
}

/// Counters of one search.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SearchStats {
    /// Cells taken off the open list and expanded.
    pub expansions: usize,
    /// Entries pushed onto the open list.
    pub pushes: usize,
    /// Wall-clock time of the query.
    pub elapsed: Duration,
}

/// A path found on a grid.
#[derive(Debug, Clone, PartialEq)]
pub struct GridPath {
    /// Cells from start to goal, both included; consecutive cells are neighbours.
    pub cells: Vec<Cell>,
    /// Path length in cells (straight moves 1, diagonal moves `sqrt 2`); multiply by the
    /// resolution for metres.
    pub cost: f64,
    /// Search counters.
    pub stats: SearchStats,
    /// Expanded cells in expansion order, when recording was switched on (else empty).
    pub expanded: Vec<Cell>,
}

/// Per-cell search state. `mark` below `2q` means "not seen in query q", `2q` "open",
/// `2q + 1` "closed".
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Node {
    pub(super) g: f64,
    pub(super) parent: u32,
    pub(super) mark: u32,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Entry {
    pub(super) f: f64,
    /// Only breaks ties in `f` (towards deeper nodes); never used as a cost.
    pub(super) g: f32,
    pub(super) index: u32,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    /// Max-heap order: smallest `f` first, then largest `g` (deeper nodes first on ties).
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .f
            .total_cmp(&self.f)
            .then(self.g.total_cmp(&other.g))
            .then(other.index.cmp(&self.index))
    }
}

/// Heuristic used by the engine, in cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Heuristic {
    Zero,
    /// Octile distance (8-connected) or Manhattan distance (4-connected). Only the unit tests
    /// of `GridAstar` use it now (as the binary-heap reference for its radix-heap search).
    #[cfg_attr(not(test), allow(dead_code))]
    Distance,
}

/// Moves `(dx, dy)`: the four straight moves first, then the diagonals.
pub(super) const MOVES: [(isize, isize); 8] = [
    (1, 0),
    (-1, 0),
    (0, 1),
    (0, -1),
    (1, 1),
    (-1, 1),
    (1, -1),
    (-1, -1),
];

/// Largest number of padded cells (indices are `u32`).
const MAX_CELLS: usize = (u32::MAX - 1) as usize;

#[derive(Debug, Clone)]
pub(crate) struct SearchGrid {
    pub(super) width: usize,
    pub(super) height: usize,
    /// Padded width: one blocked cell of border on every side.
    pub(super) pw: usize,
    pub(super) free: Vec<bool>,
    /// Per padded cell, bit `k` set when move `MOVES[k]` is allowed from it (target free and,
    /// for diagonals, no corner cut). Bits 0..4 are the straight moves.
    pub(super) masks: Vec<u8>,
    pub(super) labels: Vec<u32>,
    pub(super) labels_dirty: bool,
    pub(super) nodes: Vec<Node>,
    pub(super) query: u32,
    pub(super) heap: BinaryHeap<Entry>,
    pub(super) stack: Vec<u32>,
    pub(super) connectivity: Connectivity,
    pub(super) record_expanded: bool,
    pub(super) last_stats: SearchStats,
}

impl SearchGrid {
    pub(crate) fn new(
        map: &impl GridMap,
        connectivity: Connectivity,
    ) -> Result<Self, PlanningError> {
        let mut s = SearchGrid {
            width: 0,
            height: 0,
            pw: 0,
            free: Vec::new(),
            masks: Vec::new(),
            labels: Vec::new(),
            labels_dirty: true,
            nodes: Vec::new(),
            query: 0,
            heap: BinaryHeap::new(),
            stack: Vec::new(),
            connectivity,
            record_expanded: false,
            last_stats: SearchStats::default(),
        };
        s.set_map(map)?;
        Ok(s)
    }

    pub(crate) fn set_map(&mut self, map: &impl GridMap) -> Result<(), PlanningError> {
        let (w, h) = (map.width(), map.height());
        if w == 0 || h == 0 {
            return Err(PlanningError::EmptyMap);
        }
        let cells = (w + 2)
            .checked_mul(h + 2)
            .filter(|&n| n <= MAX_CELLS)
            .ok_or(PlanningError::MapTooLarge {
                cells: w.saturating_mul(h),
                limit: MAX_CELLS,
            })?;
        self.width = w;
        self.height = h;
        self.pw = w + 2;
        self.free.clear();
        self.free.resize(cells, false);
        for y in 0..h {
            let row = (y + 1) * self.pw + 1;
            for x in 0..w {
                self.free[row + x] = !map.is_blocked(x, y);
            }
        }
        self.masks.clear();
        self.masks.resize(cells, 0);
        for y in 0..h {
            for x in 0..w {
                let i = (y + 1) * self.pw + x + 1;
                self.masks[i] = self.mask_of(i);
            }
        }
        self.nodes.clear();
        self.nodes.resize(cells, Node::default());
        self.query = 0;
        self.labels_dirty = true;
        Ok(())
    }

    pub(crate) fn width(&self) -> usize {
        self.width
    }
    pub(crate) fn height(&self) -> usize {
        self.height
    }
    pub(crate) fn connectivity(&self) -> Connectivity {
        self.connectivity
    }
    pub(crate) fn set_connectivity(&mut self, c: Connectivity) {
        self.connectivity = c;
    }
    pub(crate) fn set_record_expanded(&mut self, on: bool) {
        self.record_expanded = on;
    }
    pub(crate) fn last_stats(&self) -> SearchStats {
        self.last_stats
    }

    pub(crate) fn set_blocked(&mut self, cell: Cell, blocked: bool) -> bool {
        match self.padded(cell) {
            Some(i) => {
                if self.free[i] == blocked {
                    self.free[i] = !blocked;
                    self.labels_dirty = true;
                    // Moves of the 3 x 3 neighbourhood depend on this cell.
                    for dy in [-1isize, 0, 1] {
                        for dx in [-1isize, 0, 1] {
                            let n = (i as isize + dx + dy * self.pw as isize) as usize;
                            let c = self.cell_of(n);
                            if c.x >= 0
                                && c.y >= 0
                                && (c.x as usize) < self.width
                                && (c.y as usize) < self.height
                            {
                                self.masks[n] = self.mask_of(n);
                            }
                        }
                    }
                }
                true
            }
            None => false,
        }
    }

    pub(crate) fn is_blocked(&self, cell: Cell) -> Option<bool> {
        self.padded(cell).map(|i| !self.free[i])
    }

    /// The allowed-move mask of padded cell `i` (0 for a blocked cell).
    fn mask_of(&self, i: usize) -> u8 {
        if !self.free[i] {
            return 0;
        }
        let pw = self.pw as isize;
        let free = |dx: isize, dy: isize| self.free[(i as isize + dx + dy * pw) as usize];
        let mut m = 0u8;
        for (k, &(dx, dy)) in MOVES.iter().enumerate() {
            let ok = if dx != 0 && dy != 0 {
                free(dx, dy) && free(dx, 0) && free(0, dy)
            } else {
                free(dx, dy)
            };
            if ok {
                m |= 1 << k;
            }
        }
        m
    }

    #[inline]
    pub(super) fn padded(&self, cell: Cell) -> Option<usize> {
        if cell.x >= 0
            && cell.y >= 0
            && (cell.x as usize) < self.width
            && (cell.y as usize) < self.height
        {
            Some((cell.y as usize + 1) * self.pw + cell.x as usize + 1)
        } else {
            None
        }
    }

    #[inline]
    pub(super) fn cell_of(&self, i: usize) -> Cell {
        Cell::new((i % self.pw) as i32 - 1, (i / self.pw) as i32 - 1)
    }

    /// Labels 4-connected components of free cells (8-connected moves without corner cutting
    /// connect exactly the same cells). Label 0 is "blocked".
    pub(super) fn relabel(&mut self) {
        self.labels.clear();
        self.labels.resize(self.free.len(), 0);
        let pw = self.pw;
        let mut next = 0u32;
        for seed in 0..self.free.len() {
            if !self.free[seed] || self.labels[seed] != 0 {
                continue;
            }
            next += 1;
            self.labels[seed] = next;
            self.stack.clear();
            self.stack.push(seed as u32);
            while let Some(i) = self.stack.pop() {
                let i = i as usize;
                for n in [i - 1, i + 1, i - pw, i + pw] {
                    if self.free[n] && self.labels[n] == 0 {
                        self.labels[n] = next;
                        self.stack.push(n as u32);
                    }
                }
            }
        }
        self.labels_dirty = false;
    }

    pub(super) fn check_endpoints(
        &self,
        start: Cell,
        goal: Option<Cell>,
    ) -> Result<(usize, Option<usize>), PlanningError> {
        let (w, h) = (self.width, self.height);
        let s = self.padded(start).ok_or(PlanningError::StartOutOfBounds {
            cell: start,
            width: w,
            height: h,
        })?;
        let g = match goal {
            Some(goal) => Some(self.padded(goal).ok_or(PlanningError::GoalOutOfBounds {
                cell: goal,
                width: w,
                height: h,
            })?),
            None => None,
        };
        if !self.free[s] {
            return Err(PlanningError::StartBlocked { cell: start });
        }
        if let (Some(gi), Some(goal)) = (g, goal) {
            if !self.free[gi] {
                return Err(PlanningError::GoalBlocked { cell: goal });
            }
        }
        Ok((s, g))
    }

    pub(super) fn next_query(&mut self) -> (u32, u32) {
        if self.query >= u32::MAX / 2 - 1 {
            self.nodes.iter_mut().for_each(|n| n.mark = 0);
            self.query = 0;
        }
        self.query += 1;
        (2 * self.query, 2 * self.query + 1)
    }

    /// Searches from `start` to `goal` (or, without a goal, everything reachable).
    /// Returns whether the goal was reached.
    fn run(
        &mut self,
        s: usize,
        goal: Option<usize>,
        heuristic: Heuristic,
        expanded: &mut Vec<Cell>,
    ) -> bool {
        let (open, closed) = self.next_query();
        let pw = self.pw as isize;
        let eight = self.connectivity == Connectivity::Eight;
        let move_bits: u8 = if eight { 0xFF } else { 0x0F };
        let mut offsets = [0isize; 8];
        for (o, &(dx, dy)) in offsets.iter_mut().zip(&MOVES) {
            *o = dx + dy * pw;
        }
        let (gx, gy, use_h) = match (heuristic, goal) {
            (Heuristic::Distance, Some(g)) => {
                let c = self.cell_of(g);
                (c.x, c.y, true)
            }
            _ => (0, 0, false),
        };
        // Octile (8-connected) or Manhattan (4-connected) distance to the goal, in cells.
        let h = |x: i32, y: i32| -> f64 {
            if !use_h {
                return 0.0;
            }
            let dx = f64::from((x - gx).abs());
            let dy = f64::from((y - gy).abs());
            if eight {
                dx.max(dy) + (SQRT_2 - 1.0) * dx.min(dy)
            } else {
                dx + dy
            }
        };
        self.heap.clear();
        let sc = self.cell_of(s);
        self.nodes[s] = Node {
            g: 0.0,
            parent: s as u32,
            mark: open,
        };
        self.heap.push(Entry {
            f: h(sc.x, sc.y),
            g: 0.0,
            index: s as u32,
        });
        let mut stats = SearchStats {
            pushes: 1,
            ..SearchStats::default()
        };
        let mut found = false;
        while let Some(Entry { index, .. }) = self.heap.pop() {
            let i = index as usize;
            // With a consistent heuristic an improved entry always pops before the stale one
            // it replaced, so "already closed" is the only staleness test needed.
            if self.nodes[i].mark == closed {
                continue;
            }
            self.nodes[i].mark = closed;
            let g = self.nodes[i].g;
            stats.expansions += 1;
            let cell = self.cell_of(i);
            if self.record_expanded {
                expanded.push(cell);
            }
            if Some(i) == goal {
                found = true;
                break;
            }
            let mut bits = self.masks[i] & move_bits;
            while bits != 0 {
                let k = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let n = (i as isize + offsets[k]) as usize;
                let nn = &mut self.nodes[n];
                if nn.mark == closed {
                    continue;
                }
                let ng = g + if k < 4 { 1.0 } else { SQRT_2 };
                if nn.mark != open || ng < nn.g {
                    *nn = Node {
                        g: ng,
                        parent: index,
                        mark: open,
                    };
                    let (dx, dy) = MOVES[k];
                    self.heap.push(Entry {
                        f: ng + h(cell.x + dx as i32, cell.y + dy as i32),
                        g: ng as f32,
                        index: n as u32,
                    });
                    stats.pushes += 1;
                }
            }
        }
        self.last_stats = stats;
        found
    }

    /// A shortest path from `start` to `goal`, or `None` when the goal is unreachable.
    pub(crate) fn plan(
        &mut self,
        start: Cell,
        goal: Cell,
        heuristic: Heuristic,
    ) -> Result<Option<GridPath>, PlanningError> {
        let t0 = Instant::now();
        let (s, g) = self.check_endpoints(start, Some(goal))?;
        let g = g.unwrap_or(s);
        if self.labels_dirty {
            self.relabel();
        }
        if self.labels[s] != self.labels[g] {
            self.last_stats = SearchStats {
                elapsed: t0.elapsed(),
                ..SearchStats::default()
            };
            return Ok(None);
        }
        let mut expanded = Vec::new();
        let found = self.run(s, Some(g), heuristic, &mut expanded);
        if !found {
            // Cannot happen for cells in one component, but never report a wrong path.
            self.last_stats.elapsed = t0.elapsed();
            return Ok(None);
        }
        let mut cells = Vec::new();
        let mut i = g;
        loop {
            cells.push(self.cell_of(i));
            if i == s {
                break;
            }
            i = self.nodes[i].parent as usize;
        }
        cells.reverse();
        self.last_stats.elapsed = t0.elapsed();
        Ok(Some(GridPath {
            cells,
            cost: self.nodes[g].g,
            stats: self.last_stats,
            expanded,
        }))
    }

    /// Shortest-path length from `source` to every cell (row-major, unpadded) into `out`;
    /// `f64::INFINITY` for blocked or unreachable cells.
    pub(crate) fn cost_field(
        &mut self,
        source: Cell,
        out: &mut Vec<f64>,
    ) -> Result<SearchStats, PlanningError> {
        let t0 = Instant::now();
        let (s, _) = self.check_endpoints(source, None)?;
        let mut expanded = Vec::new();
        let record = self.record_expanded;
        self.record_expanded = false;
        self.run(s, None, Heuristic::Zero, &mut expanded);
        self.record_expanded = record;
        let closed = 2 * self.query + 1;
        out.clear();
        out.reserve(self.width * self.height);
        for y in 0..self.height {
            let row = (y + 1) * self.pw + 1;
            out.extend(self.nodes[row..row + self.width].iter().map(|n| {
                if n.mark == closed {
                    n.g
                } else {
                    f64::INFINITY
                }
            }));
        }
        self.last_stats.elapsed = t0.elapsed();
        Ok(self.last_stats)
    }
}
