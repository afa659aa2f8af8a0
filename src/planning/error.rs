use thiserror::Error;

use crate::mapping::Cell;

/// Why a planning query was rejected. "No path" is not an error: planners return `Ok(None)`.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum PlanningError {
    /// The map has no cells.
    #[error("the map is empty (width or height is 0)")]
    EmptyMap,
    /// The map has more cells than a planner can index.
    #[error("the map has {cells} cells, more than a planner can index ({limit})")]
    MapTooLarge {
        /// Cells in the map.
        cells: usize,
        /// Largest supported number of cells.
        limit: usize,
    },
    /// The start cell is outside the map.
    #[error("start cell ({}, {}) is outside the {width} x {height} map", .cell.x, .cell.y)]
    StartOutOfBounds {
        /// The start cell.
        cell: Cell,
        /// Map width.
        width: usize,
        /// Map height.
        height: usize,
    },
    /// The goal cell is outside the map.
    #[error("goal cell ({}, {}) is outside the {width} x {height} map", .cell.x, .cell.y)]
    GoalOutOfBounds {
        /// The goal cell.
        cell: Cell,
        /// Map width.
        width: usize,
        /// Map height.
        height: usize,
    },
    /// The start cell is blocked.
    #[error("start cell ({}, {}) is blocked", .cell.x, .cell.y)]
    StartBlocked {
        /// The start cell.
        cell: Cell,
    },
    /// The goal cell is blocked.
    #[error("goal cell ({}, {}) is blocked", .cell.x, .cell.y)]
    GoalBlocked {
        /// The goal cell.
        cell: Cell,
    },
    /// A node given to a graph planner is not in the graph.
    #[error("{which} node (index {index}) is not in the graph")]
    NodeNotInGraph {
        /// "start" or "goal".
        which: &'static str,
        /// The node's index.
        index: usize,
    },
    /// An edge cost or heuristic value was negative or not finite (A* needs costs >= 0).
    #[error("{what} returned {value}, but A* needs finite values >= 0")]
    InvalidCost {
        /// "edge cost" or "heuristic".
        what: &'static str,
        /// The offending value.
        value: f64,
    },
}
