//! Collision checking against grids: any [`GridMap`] (occupancy-grid views, cost-map views,
//! Moving AI maps, binary grids) placed in the world by a [`GridGeometry`].

use nalgebra::Point2;

use super::collision::ValidityChecker;
use super::error::{invalid, SamplingError};
use super::space::State;
use crate::mapping::{supercover_cells, GridGeometry, GridMap};

/// A grid as an obstacle map for the sampling planners (2-D, world coordinates in metres).
///
/// A state is valid iff its cell (see [`GridGeometry::world_to_cell`]: a point on a cell edge
/// belongs to the cell above / to the right) is inside the grid and not blocked. A motion is
/// valid iff every cell its segment touches is inside and not blocked, using the conservative
/// supercover traversal ([`supercover_cells`]): a segment through a cell corner also tests both
/// side cells, and a segment along a grid line tests the cells on both sides. So a blocked cell
/// acts as a closed square obstacle, the same as an [`Aabb`](crate::geometry::Aabb) over it.
///
/// Cost: O(1) per state, O(cells crossed) per motion, no allocation.
///
/// For an [`OccupancyGrid`](crate::mapping::OccupancyGrid) use
/// `GridChecker::new(grid.blocked_view(unknown_is_free), grid.geometry().clone())`.
///
/// ```
/// use kestrel::mapping::{BinaryGrid, GridGeometry};
/// use kestrel::planning::sampling::{GridChecker, ValidityChecker};
/// use nalgebra::Vector2;
/// // 4 x 3 cells of 0.5 m; cell (1, 1) (x in [0.5, 1], y in [0.5, 1]) is blocked.
/// let map = BinaryGrid::from_rows(&["....", ".#..", "...."])?;
/// let geometry = GridGeometry::new(4, 3, 0.5, Vector2::zeros(), 0.0)?;
/// let checker = GridChecker::new(map, geometry).unwrap();
/// assert!(!checker.is_state_valid(&Vector2::new(0.7, 0.7)));
/// assert!(!checker.is_motion_valid(&Vector2::new(0.1, 0.1), &Vector2::new(1.9, 1.4)));
/// assert!(checker.is_motion_valid(&Vector2::new(0.1, 0.1), &Vector2::new(1.9, 0.4)));
/// # Ok::<(), kestrel::mapping::MappingError>(())
/// ```
#[derive(Debug, Clone)]
pub struct GridChecker<M> {
    map: M,
    geometry: GridGeometry,
}

impl<M: GridMap> GridChecker<M> {
    /// A checker for `map` placed by `geometry`.
    ///
    /// # Errors
    /// [`SamplingError::InvalidParameter`] when the map and the geometry disagree on the size.
    pub fn new(map: M, geometry: GridGeometry) -> Result<Self, SamplingError> {
        if map.width() != geometry.width() || map.height() != geometry.height() {
            return Err(invalid(
                "geometry",
                format!(
                    "map is {} x {} cells, geometry {} x {}",
                    map.width(),
                    map.height(),
                    geometry.width(),
                    geometry.height()
                ),
            ));
        }
        Ok(Self { map, geometry })
    }

    /// The map.
    pub fn map(&self) -> &M {
        &self.map
    }

    /// The world placement of the map.
    pub fn geometry(&self) -> &GridGeometry {
        &self.geometry
    }

    #[inline]
    fn cell_free(&self, x: i32, y: i32) -> bool {
        x >= 0
            && y >= 0
            && (x as usize) < self.map.width()
            && (y as usize) < self.map.height()
            && !self.map.is_blocked(x as usize, y as usize)
    }
}

impl<M: GridMap> ValidityChecker<2> for GridChecker<M> {
    #[inline]
    fn is_state_valid(&self, q: &State<2>) -> bool {
        if !(q.x.is_finite() && q.y.is_finite()) {
            return false;
        }
        let c = self.geometry.world_to_cell(&Point2::new(q.x, q.y));
        self.cell_free(c.x, c.y)
    }

    fn is_motion_valid(&self, a: &State<2>, b: &State<2>) -> bool {
        if !self.is_state_valid(a) || !self.is_state_valid(b) {
            return false;
        }
        let ga = self.geometry.world_to_grid(&Point2::new(a.x, a.y));
        let gb = self.geometry.world_to_grid(&Point2::new(b.x, b.y));
        supercover_cells(ga, gb, |c| self.cell_free(c.x, c.y))
    }
}
