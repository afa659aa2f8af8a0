//! Dijkstra's algorithm on a grid (Dijkstra, 1959): shortest paths and cost-to-go fields.

use crate::mapping::{Cell, GridMap};

use super::grid_search::{Connectivity, GridPath, Heuristic, SearchGrid, SearchStats};
use super::PlanningError;

/// Grid Dijkstra: uniform-cost search over the same moves and storage as
/// [`GridAstar`](super::GridAstar) (1 straight, `sqrt 2` diagonal, no corner cutting), without a
/// heuristic. Besides single queries it computes the whole cost-to-go field from a cell, which
/// planners and MPC use as a navigation function.
///
/// Each query costs O(n log n) for the `n` cells it settles; arrays are reused across queries
/// (a generation counter replaces clearing) and unreachable goals are answered from
/// connected-component labels without searching.
///
/// ```
/// use kestrel::mapping::{BinaryGrid, Cell};
/// use kestrel::planning::{Connectivity, GridDijkstra};
/// let map = BinaryGrid::from_rows(&["...", ".#.", "..."])?;
/// let mut dijkstra = GridDijkstra::new(&map, Connectivity::Four)?;
/// let mut field = Vec::new();
/// dijkstra.cost_field(Cell::new(0, 0), &mut field)?;
/// assert_eq!(field[2 * 3 + 2], 4.0); // opposite corner, 4 straight moves
/// assert!(field[1 * 3 + 1].is_infinite()); // the blocked centre
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct GridDijkstra {
    grid: SearchGrid,
}

impl GridDijkstra {
    /// A planner for a snapshot of `map`.
    ///
    /// # Errors
    /// [`PlanningError::EmptyMap`] for a map without cells; [`PlanningError::MapTooLarge`]
    /// beyond `u32` indices.
    pub fn new(map: &impl GridMap, connectivity: Connectivity) -> Result<Self, PlanningError> {
        Ok(GridDijkstra {
            grid: SearchGrid::new(map, connectivity)?,
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

    /// Whether results of [`plan`](Self::plan) list the expanded cells (off by default).
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
        self.grid.plan(start, goal, Heuristic::Zero)
    }

    /// The shortest-path length (cells) from `source` to every cell, row-major, into `out`
    /// (resized to `width * height`); `f64::INFINITY` for blocked and unreachable cells.
    /// Moves are symmetric, so this is also the cost-to-go to `source`.
    ///
    /// # Errors
    /// [`PlanningError::StartOutOfBounds`] or [`PlanningError::StartBlocked`] for `source`.
    pub fn cost_field(
        &mut self,
        source: Cell,
        out: &mut Vec<f64>,
    ) -> Result<SearchStats, PlanningError> {
        self.grid.cost_field(source, out)
    }
}
