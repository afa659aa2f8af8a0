//! Occupancy-grid mapping: log-odds grids updated by ray casting, inflation to cost maps, exact
//! Euclidean distance transforms, and map files (ROS `map_server`, Moving AI).
//!
//! Every grid is placed in the world by a [`GridGeometry`] (resolution, origin of the lower-left
//! corner, yaw). Planners in [`crate::planning`] search any [`GridMap`] ("is cell `(x, y)`
//! blocked"), which occupancy grids, cost maps and Moving AI maps all provide.
//!
//! Conventions: metres and radians; cell `(x, y)` is column `x`, row `y`; occupancy grids count
//! rows upwards from the lower-left corner (ROS), Moving AI maps downwards from the first row of
//! the file.

mod distance_transform;
mod error;
mod grid;
mod inflation;
mod movingai;
mod occupancy;
mod pgm;
mod raycast;
mod ros_map;
mod scan_insertion;

pub use distance_transform::{DistanceField, DistanceTransform};
pub use error::MappingError;
pub use grid::{BinaryGrid, Cell, GridGeometry, GridMap, MAX_GRID_SIDE};
pub use inflation::{
    inflation_cost, CostMap, CostMapView, InflationParams, FREE, INSCRIBED, LETHAL, NO_INFORMATION,
};
pub use movingai::{load_scenarios, parse_scenarios, MovingAiMap, MovingAiQuery};
pub use occupancy::{
    logistic, logit, Bounds, CellState, OccupancyGrid, OccupancyParams, OccupancyView,
};
pub use pgm::GrayImage;
pub use raycast::{supercover_cells, RayCells};
pub use ros_map::{MapMode, RosMap};
pub use scan_insertion::{InsertStats, LaserScan};
