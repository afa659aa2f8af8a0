//! Inflation of obstacles into a cost map, with the ROS 2 navigation (nav2) inflation formula.

use nalgebra::Point2;

use super::distance_transform::DistanceTransform;
use super::grid::{Cell, GridGeometry, GridMap};
use super::occupancy::{CellState, OccupancyGrid};
use super::raycast::{clip_to_box, supercover_cells};
use super::MappingError;

/// A cell with no obstacle nearby.
pub const FREE: u8 = 0;
/// A cell within the inscribed radius of an obstacle: the robot's centre there collides.
pub const INSCRIBED: u8 = 253;
/// An obstacle cell.
pub const LETHAL: u8 = 254;
/// A cell nothing is known about.
pub const NO_INFORMATION: u8 = 255;

/// Parameters of the inflation (nav2's `InflationLayer`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InflationParams {
    /// Radius of the largest circle inside the robot's footprint, metres (>= 0).
    pub inscribed_radius: f64,
    /// Distance from obstacles up to which costs are raised, metres (>= inscribed_radius).
    pub inflation_radius: f64,
    /// Exponential decay rate `k` of the cost beyond the inscribed radius, 1/metres (> 0).
    pub cost_scaling_factor: f64,
    /// Whether unknown cells take a non-zero inflated cost (nav2's `inflate_unknown`). When
    /// false an unknown cell stays unknown unless the inflated cost is at least `INSCRIBED`.
    pub inflate_unknown: bool,
}

impl InflationParams {
    fn validate(&self) -> Result<(), MappingError> {
        if !(self.inscribed_radius.is_finite() && self.inscribed_radius >= 0.0) {
            return Err(MappingError::invalid(
                "inscribed_radius",
                "must be finite and >= 0",
            ));
        }
        if !(self.inflation_radius.is_finite() && self.inflation_radius >= self.inscribed_radius) {
            return Err(MappingError::invalid(
                "inflation_radius",
                "must be finite and >= inscribed_radius",
            ));
        }
        if !(self.cost_scaling_factor.is_finite() && self.cost_scaling_factor > 0.0) {
            return Err(MappingError::invalid(
                "cost_scaling_factor",
                "must be finite and > 0",
            ));
        }
        Ok(())
    }
}

/// The nav2 inflation cost of a cell at `distance_m` metres from the nearest obstacle:
///
/// - `LETHAL` (254) at distance 0,
/// - `INSCRIBED` (253) for `0 < d <= r_inscribed`,
/// - otherwise `floor(252 exp(-k (d - r_inscribed)))` (nav2 truncates to `unsigned char`).
///
/// The caller applies the inflation radius (beyond it the cost is `FREE`).
///
/// ```
/// use kestrel::mapping::{inflation_cost, InflationParams};
/// let params = InflationParams {
///     inscribed_radius: 0.2775, inflation_radius: 1.0, cost_scaling_factor: 3.5, inflate_unknown: false,
/// };
/// assert_eq!(inflation_cost(0.6506, &params), 68);
/// assert_eq!(inflation_cost(0.0, &params), 254);
/// assert_eq!(inflation_cost(0.2, &params), 253);
/// ```
pub fn inflation_cost(distance_m: f64, params: &InflationParams) -> u8 {
    if distance_m == 0.0 {
        LETHAL
    } else if distance_m <= params.inscribed_radius {
        INSCRIBED
    } else {
        let factor = (-params.cost_scaling_factor * (distance_m - params.inscribed_radius)).exp();
        (f64::from(INSCRIBED - 1) * factor) as u8
    }
}

/// A grid of 8-bit traversal costs (nav2 / `costmap_2d` values): [`FREE`] 0 to 252 decaying
/// with distance from obstacles, [`INSCRIBED`] 253, [`LETHAL`] 254, [`NO_INFORMATION`] 255.
///
/// Built with an exact Euclidean distance transform from the lethal cells, then
/// [`inflation_cost`] of `d * resolution` for every cell whose distance `d` (cells, between
/// centres) is at most `ceil(inflation_radius / resolution)`, as nav2 does. Unknown cells
/// merge as in nav2's `updateCosts`. O(cells).
///
/// ```
/// use kestrel::mapping::{BinaryGrid, CostMap, GridGeometry, InflationParams};
/// use nalgebra::Vector2;
/// let grid = BinaryGrid::from_rows(&["#....."])?;
/// let geometry = GridGeometry::new(6, 1, 0.1, Vector2::zeros(), 0.0)?;
/// let params = InflationParams {
///     inscribed_radius: 0.1, inflation_radius: 0.35, cost_scaling_factor: 10.0, inflate_unknown: false,
/// };
/// let costs = CostMap::from_obstacles(geometry, &grid, &params)?;
/// // 254 at the obstacle, 253 one cell away, floor(252 exp(-10 * 0.1)) = 92, ..., and 0 beyond
/// // ceil(0.35 / 0.1) = 4 cells.
/// assert_eq!(costs.as_slice(), &[254, 253, 92, 34, 12, 0]);
/// # Ok::<(), kestrel::mapping::MappingError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CostMap {
    geometry: GridGeometry,
    costs: Vec<u8>,
}

impl CostMap {
    /// Inflates the blocked cells of `obstacles` (all other cells are known and free).
    ///
    /// # Errors
    /// [`MappingError::InvalidParameter`] for bad parameters;
    /// [`MappingError::DimensionMismatch`] when the map's size differs from the geometry's.
    pub fn from_obstacles(
        geometry: GridGeometry,
        obstacles: &impl GridMap,
        params: &InflationParams,
    ) -> Result<Self, MappingError> {
        if obstacles.width() != geometry.width() || obstacles.height() != geometry.height() {
            return Err(MappingError::DimensionMismatch {
                what: "obstacle map cells",
                expected: geometry.len(),
                found: obstacles.width() * obstacles.height(),
            });
        }
        let base = vec![FREE; geometry.len()];
        Self::inflate(geometry, base, obstacles, params)
    }

    /// Inflates the occupied cells of an occupancy grid; unknown cells start as
    /// [`NO_INFORMATION`].
    ///
    /// # Errors
    /// [`MappingError::InvalidParameter`] for bad parameters.
    pub fn from_occupancy(
        grid: &OccupancyGrid,
        params: &InflationParams,
    ) -> Result<Self, MappingError> {
        let geometry = grid.geometry().clone();
        let w = geometry.width();
        let base: Vec<u8> = (0..geometry.len())
            .map(
                |i| match grid.state(Cell::new((i % w) as i32, (i / w) as i32)) {
                    CellState::Unknown => NO_INFORMATION,
                    CellState::Free => FREE,
                    CellState::Occupied => LETHAL,
                },
            )
            .collect();
        let lethal: Vec<bool> = base.iter().map(|&c| c == LETHAL).collect();
        let obstacles = super::grid::BinaryGrid::from_vec(w, geometry.height(), lethal)?;
        Self::inflate(geometry, base, &obstacles, params)
    }

    fn inflate(
        geometry: GridGeometry,
        mut costs: Vec<u8>,
        obstacles: &impl GridMap,
        params: &InflationParams,
    ) -> Result<Self, MappingError> {
        params.validate()?;
        let mut d2 = Vec::new();
        DistanceTransform::new().squared_distances(obstacles, &mut d2);
        let r = geometry.resolution();
        let cell_radius = (params.inflation_radius / r).ceil().max(0.0);
        let cell_radius2 = cell_radius * cell_radius;
        for (c, &d2) in costs.iter_mut().zip(&d2) {
            if d2 > cell_radius2 {
                continue;
            }
            let cost = inflation_cost(d2.sqrt() * r, params);
            *c = if *c == NO_INFORMATION {
                let replace = if params.inflate_unknown {
                    cost > FREE
                } else {
                    cost >= INSCRIBED
                };
                if replace {
                    cost
                } else {
                    NO_INFORMATION
                }
            } else {
                (*c).max(cost)
            };
        }
        Ok(CostMap { geometry, costs })
    }

    /// The placement of the cost map.
    pub fn geometry(&self) -> &GridGeometry {
        &self.geometry
    }

    /// Row-major costs.
    pub fn as_slice(&self) -> &[u8] {
        &self.costs
    }

    /// Cost of a cell, `None` outside the grid.
    pub fn cost(&self, cell: Cell) -> Option<u8> {
        self.geometry.index(cell).map(|i| self.costs[i])
    }

    /// Cost of the cell containing a world point, `None` outside the grid.
    pub fn cost_at(&self, p: &Point2<f64>) -> Option<u8> {
        self.cost(self.geometry.world_to_cell(p))
    }

    /// Whether a cell's cost lets a robot centre stand there: below `threshold`, with
    /// [`NO_INFORMATION`] and cells outside the map free only if `unknown_is_free`.
    #[inline]
    fn passable(&self, cell: Cell, threshold: u8, unknown_is_free: bool) -> bool {
        match self.cost(cell) {
            None | Some(NO_INFORMATION) => unknown_is_free,
            Some(c) => c < threshold,
        }
    }

    /// True when the cell containing world point `p` costs less than `threshold` (unknown cells
    /// and points outside the map count as free only if `unknown_is_free`). O(1).
    pub fn is_point_free(&self, p: &Point2<f64>, threshold: u8, unknown_is_free: bool) -> bool {
        p.x.is_finite()
            && p.y.is_finite()
            && self.passable(self.geometry.world_to_cell(p), threshold, unknown_is_free)
    }

    /// True when every cell the world segment `p -> q` touches (conservative
    /// [`supercover_cells`](super::supercover_cells) traversal) costs less than `threshold`;
    /// unknown cells and cells outside the map count as free only if `unknown_is_free`.
    /// Stops at the first blocking cell; O(cells touched), no allocation. Non-finite points give
    /// `false`.
    ///
    /// ```
    /// use kestrel::mapping::{BinaryGrid, CostMap, GridGeometry, InflationParams, INSCRIBED};
    /// use nalgebra::{Point2, Vector2};
    /// let grid = BinaryGrid::from_rows(&["......", "..#...", "......"])?;
    /// let geometry = GridGeometry::new(6, 3, 1.0, Vector2::zeros(), 0.0)?;
    /// let params = InflationParams {
    ///     inscribed_radius: 1.0, inflation_radius: 2.0, cost_scaling_factor: 1.0, inflate_unknown: false,
    /// };
    /// let costs = CostMap::from_obstacles(geometry, &grid, &params)?;
    /// // Row 1 passes through the obstacle; cells beside it are within the inscribed radius.
    /// assert!(!costs.segment_free(&Point2::new(0.5, 1.5), &Point2::new(5.5, 1.5), INSCRIBED, false));
    /// assert!(!costs.segment_free(&Point2::new(0.5, 0.5), &Point2::new(5.5, 0.5), INSCRIBED, false));
    /// assert!(costs.segment_free(&Point2::new(4.5, 0.5), &Point2::new(5.5, 2.5), INSCRIBED, false));
    /// # Ok::<(), kestrel::mapping::MappingError>(())
    /// ```
    pub fn segment_free(
        &self,
        p: &Point2<f64>,
        q: &Point2<f64>,
        threshold: u8,
        unknown_is_free: bool,
    ) -> bool {
        if !(p.x.is_finite() && p.y.is_finite() && q.x.is_finite() && q.y.is_finite()) {
            return false;
        }
        let a = self.geometry.world_to_grid(p);
        let b = self.geometry.world_to_grid(q);
        let (w, h) = (self.geometry.width() as f64, self.geometry.height() as f64);
        let inside = |v: &nalgebra::Vector2<f64>| v.x >= 0.0 && v.y >= 0.0 && v.x < w && v.y < h;
        if !(inside(&a) && inside(&b)) {
            if !unknown_is_free {
                return false;
            }
            return match clip_to_box(a, b, w, h) {
                None => true,
                Some((t0, t1)) => {
                    let d = b - a;
                    supercover_cells(a + d * t0, a + d * t1, |c| {
                        self.passable(c, threshold, unknown_is_free)
                    })
                }
            };
        }
        supercover_cells(a, b, |c| self.passable(c, threshold, unknown_is_free))
    }

    /// A view for planners: a cell is blocked when its cost is at least `threshold`
    /// (use [`INSCRIBED`] for a circular robot), with [`NO_INFORMATION`] cells blocked unless
    /// `unknown_is_free`.
    pub fn blocked_view(&self, threshold: u8, unknown_is_free: bool) -> CostMapView<'_> {
        CostMapView {
            map: self,
            threshold,
            unknown_is_free,
        }
    }
}

/// A [`CostMap`] seen as a [`GridMap`] (see [`CostMap::blocked_view`]).
#[derive(Debug, Clone, Copy)]
pub struct CostMapView<'a> {
    map: &'a CostMap,
    threshold: u8,
    unknown_is_free: bool,
}

impl GridMap for CostMapView<'_> {
    fn width(&self) -> usize {
        self.map.geometry.width()
    }
    fn height(&self) -> usize {
        self.map.geometry.height()
    }
    #[inline]
    fn is_blocked(&self, x: usize, y: usize) -> bool {
        let c = self.map.costs[y * self.map.geometry.width() + x];
        if c == NO_INFORMATION {
            !self.unknown_is_free
        } else {
            c >= self.threshold
        }
    }
}
