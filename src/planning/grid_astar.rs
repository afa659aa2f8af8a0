//! A* on a grid (Hart, Nilsson & Raphael, 1968), with array storage reused across queries.

use crate::mapping::{Cell, GridMap};

use super::grid_search::{Connectivity, GridPath, Heuristic, SearchGrid, SearchStats};
use super::PlanningError;

/// Grid A*: shortest 4- or 8-connected paths on a [`GridMap`] snapshot.
///
/// Moves cost 1 (straight) and `sqrt 2` (diagonal, only when both cells beside it are free:
/// no corner cutting). The heuristic is the octile distance `max(dx, dy) + (sqrt 2 - 1)
/// min(dx, dy)` (Manhattan `dx + dy` for 4-connected moves): admissible and consistent, so the
/// first expansion of the goal is optimal and no cell is expanded twice. Ties in `f` go to the
/// larger `g`.
///
/// Storage: the planner copies the map once (one blocked border cell around it, so no bounds
/// checks while searching) and owns the g-cost / parent / closed arrays; a query only bumps a
/// generation counter instead of clearing them. Unreachable goals are answered in O(1) from
/// connected-component labels computed once per map. A query costs O(n log n) for the `n`
/// cells it expands and allocates only the returned path.
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
}

impl GridAstar {
    /// A planner for a snapshot of `map`.
    ///
    /// # Errors
    /// [`PlanningError::EmptyMap`] for a map without cells; [`PlanningError::MapTooLarge`]
    /// beyond `u32` indices.
    pub fn new(map: &impl GridMap, connectivity: Connectivity) -> Result<Self, PlanningError> {
        Ok(GridAstar {
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
        self.grid.plan(start, goal, Heuristic::Distance)
    }
}
