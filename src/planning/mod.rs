//! Path planning: grid A*, jump point search and Dijkstra over any
//! [`GridMap`](crate::mapping::GridMap), A* on petgraph graphs, and sampling planners.
//!
//! Grid planners snapshot a map ("is cell `(x, y)` blocked") once and answer many queries,
//! reusing their arrays; they return a [`GridPath`] (cells, length in cells, statistics,
//! optionally the expanded cells) or `None` when the goal is unreachable, and a
//! [`PlanningError`] for bad queries (start or goal outside the map or blocked, empty maps).
//! Convert between world points and cells with [`GridGeometry`](crate::mapping::GridGeometry).

mod dijkstra;
mod error;
mod graph_astar;
mod grid_astar;
mod grid_jps;
mod grid_search;
mod radix_heap;
pub mod sampling;

pub use dijkstra::GridDijkstra;
pub use error::PlanningError;
pub use graph_astar::{graph_astar, GraphPath};
pub use grid_astar::GridAstar;
pub use grid_jps::GridJps;
pub use grid_search::{Connectivity, GridPath, SearchStats};
