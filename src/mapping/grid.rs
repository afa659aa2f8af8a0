//! Cells, the world <-> cell transform shared by every grid, and the "is blocked" view that
//! grid planners search.

use nalgebra::{Point2, Vector2};

use super::MappingError;

/// Largest width or height of a grid, in cells (keeps every cell index inside `i32`).
pub const MAX_GRID_SIDE: usize = 1 << 30;

/// Integer cell coordinates: `x` is the column, `y` the row.
///
/// Signed, so that cells outside a grid (to the left of or below it) can be named; a grid
/// reports whether a cell is inside with [`GridGeometry::contains`]. Occupancy grids count rows
/// upwards from the lower-left corner (ROS convention); Moving AI maps count rows downwards from
/// the first line of the file. Planners do not care: they only ask "is `(x, y)` blocked".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Cell {
    /// Column.
    pub x: i32,
    /// Row.
    pub y: i32,
}

impl Cell {
    /// The cell `(x, y)`.
    #[inline]
    pub const fn new(x: i32, y: i32) -> Self {
        Cell { x, y }
    }
}

impl From<(i32, i32)> for Cell {
    fn from((x, y): (i32, i32)) -> Self {
        Cell { x, y }
    }
}

/// The placement of a `width x height` grid in the world: cell size and the pose of its
/// lower-left corner.
///
/// Frames: the grid frame has its origin at the lower-left corner of cell `(0, 0)`, its x axis
/// along the rows and its y axis along the columns, and is rotated by `yaw` (radians,
/// counter-clockwise) relative to the world frame. A world point `p` has continuous grid
/// coordinates `g = R(-yaw) (p - origin) / resolution` (in cells) and lies in cell
/// `(floor(g.x), floor(g.y))`. A point exactly on a cell edge belongs to the cell above / to
/// the right of it. Cell `(i, j)` has its centre at `origin + R(yaw) ((i + 1/2), (j + 1/2)) r`.
///
/// This is the ROS `nav_msgs/MapMetaData` convention (origin = pose of the lower-left corner
/// of the first cell).
///
/// ```
/// use kestrel::mapping::{Cell, GridGeometry};
/// use nalgebra::{Point2, Vector2};
/// let g = GridGeometry::new(10, 5, 0.5, Vector2::new(-1.0, 2.0), 0.0)?;
/// assert_eq!(g.world_to_cell(&Point2::new(0.3, 2.6)), Cell::new(2, 1));
/// let c = g.cell_center(Cell::new(2, 1));
/// assert!((c.x - 0.25).abs() < 1e-12 && (c.y - 2.75).abs() < 1e-12);
/// # Ok::<(), kestrel::mapping::MappingError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GridGeometry {
    width: usize,
    height: usize,
    resolution: f64,
    origin: Vector2<f64>,
    yaw: f64,
    cos_yaw: f64,
    sin_yaw: f64,
}

impl GridGeometry {
    /// A grid of `width x height` cells of side `resolution` metres whose lower-left corner is
    /// at `origin` (world frame, metres), rotated by `yaw` radians.
    ///
    /// # Errors
    /// [`MappingError::InvalidParameter`] for a non-positive or non-finite resolution, a
    /// non-finite origin or yaw, or a side above [`MAX_GRID_SIDE`] (or a cell count that
    /// overflows `usize`). Zero width or height is allowed (an empty grid).
    pub fn new(
        width: usize,
        height: usize,
        resolution: f64,
        origin: Vector2<f64>,
        yaw: f64,
    ) -> Result<Self, MappingError> {
        if !(resolution.is_finite() && resolution > 0.0) {
            return Err(MappingError::invalid(
                "resolution",
                format!("must be finite and > 0, got {resolution}"),
            ));
        }
        if !(origin.x.is_finite() && origin.y.is_finite() && yaw.is_finite()) {
            return Err(MappingError::NonFinite {
                what: "grid origin",
            });
        }
        if width > MAX_GRID_SIDE || height > MAX_GRID_SIDE || width.checked_mul(height).is_none() {
            return Err(MappingError::invalid(
                "width/height",
                format!("{width} x {height} exceeds the largest grid ({MAX_GRID_SIDE} per side)"),
            ));
        }
        Ok(GridGeometry {
            width,
            height,
            resolution,
            origin,
            yaw,
            cos_yaw: yaw.cos(),
            sin_yaw: yaw.sin(),
        })
    }

    /// Number of columns.
    #[inline]
    pub fn width(&self) -> usize {
        self.width
    }
    /// Number of rows.
    #[inline]
    pub fn height(&self) -> usize {
        self.height
    }
    /// Number of cells, `width * height`.
    #[inline]
    pub fn len(&self) -> usize {
        self.width * self.height
    }
    /// True when the grid has no cells.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Cell side in metres.
    #[inline]
    pub fn resolution(&self) -> f64 {
        self.resolution
    }
    /// World position of the lower-left corner of cell `(0, 0)`, metres.
    #[inline]
    pub fn origin(&self) -> Vector2<f64> {
        self.origin
    }
    /// Rotation of the grid frame relative to the world frame, radians (counter-clockwise).
    #[inline]
    pub fn yaw(&self) -> f64 {
        self.yaw
    }

    /// Continuous grid coordinates (in cells, not metres) of a world point.
    #[inline]
    pub fn world_to_grid(&self, p: &Point2<f64>) -> Vector2<f64> {
        let d = p.coords - self.origin;
        let inv = 1.0 / self.resolution;
        Vector2::new(
            (self.cos_yaw * d.x + self.sin_yaw * d.y) * inv,
            (-self.sin_yaw * d.x + self.cos_yaw * d.y) * inv,
        )
    }

    /// World point of continuous grid coordinates `g` (cells).
    #[inline]
    pub fn grid_to_world(&self, g: &Vector2<f64>) -> Point2<f64> {
        let gx = g.x * self.resolution;
        let gy = g.y * self.resolution;
        Point2::new(
            self.origin.x + self.cos_yaw * gx - self.sin_yaw * gy,
            self.origin.y + self.sin_yaw * gx + self.cos_yaw * gy,
        )
    }

    /// The cell containing a world point (possibly outside the grid; non-finite points map to
    /// `i32::MIN` coordinates, which are never inside).
    #[inline]
    pub fn world_to_cell(&self, p: &Point2<f64>) -> Cell {
        let g = self.world_to_grid(p);
        Cell::new(floor_to_i32(g.x), floor_to_i32(g.y))
    }

    /// The world position of a cell's centre.
    #[inline]
    pub fn cell_center(&self, cell: Cell) -> Point2<f64> {
        self.grid_to_world(&Vector2::new(
            f64::from(cell.x) + 0.5,
            f64::from(cell.y) + 0.5,
        ))
    }

    /// True when the cell is inside the grid.
    #[inline]
    pub fn contains(&self, cell: Cell) -> bool {
        cell.x >= 0
            && cell.y >= 0
            && (cell.x as usize) < self.width
            && (cell.y as usize) < self.height
    }

    /// Row-major index `y * width + x` of a cell, or `None` outside the grid.
    #[inline]
    pub fn index(&self, cell: Cell) -> Option<usize> {
        if self.contains(cell) {
            Some(cell.y as usize * self.width + cell.x as usize)
        } else {
            None
        }
    }

    /// The cell of a row-major index (no bounds check beyond the arithmetic).
    #[inline]
    pub fn cell_of_index(&self, index: usize) -> Cell {
        Cell::new((index % self.width) as i32, (index / self.width) as i32)
    }

    /// The same placement with the grid extended by `left`, `bottom` cells before and to a new
    /// size, keeping every existing cell at the same world position.
    pub(crate) fn extended(
        &self,
        left: usize,
        bottom: usize,
        width: usize,
        height: usize,
    ) -> Result<Self, MappingError> {
        let corner = self.grid_to_world(&Vector2::new(-(left as f64), -(bottom as f64)));
        GridGeometry::new(width, height, self.resolution, corner.coords, self.yaw)
    }
}

/// `floor(v)` as `i32`, saturating; NaN maps to `i32::MIN`.
#[inline]
pub(crate) fn floor_to_i32(v: f64) -> i32 {
    if v.is_nan() {
        i32::MIN
    } else {
        // `as` saturates for out-of-range floats.
        v.floor() as i32
    }
}

/// A read-only "is this cell blocked" view of a grid: what grid planners search.
///
/// Implemented by [`MovingAiMap`](super::MovingAiMap), [`BinaryGrid`], and by the views
/// [`OccupancyGrid::blocked_view`](super::OccupancyGrid::blocked_view) and
/// [`CostMap::blocked_view`](super::CostMap::blocked_view). Cells are `(x, y)` with
/// `0 <= x < width`, `0 <= y < height`; planners never ask about other cells.
pub trait GridMap {
    /// Number of columns.
    fn width(&self) -> usize;
    /// Number of rows.
    fn height(&self) -> usize;
    /// True when a robot may not stand in cell `(x, y)`.
    fn is_blocked(&self, x: usize, y: usize) -> bool;
}

impl<T: GridMap + ?Sized> GridMap for &T {
    fn width(&self) -> usize {
        (**self).width()
    }
    fn height(&self) -> usize {
        (**self).height()
    }
    fn is_blocked(&self, x: usize, y: usize) -> bool {
        (**self).is_blocked(x, y)
    }
}

/// A plain grid of blocked / free cells, row-major (`index = y * width + x`).
///
/// ```
/// use kestrel::mapping::{BinaryGrid, GridMap};
/// let g = BinaryGrid::from_rows(&["..#", "..."])?;
/// assert!(g.is_blocked(2, 0) && !g.is_blocked(2, 1));
/// # Ok::<(), kestrel::mapping::MappingError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinaryGrid {
    width: usize,
    height: usize,
    blocked: Vec<bool>,
}

impl BinaryGrid {
    /// A grid of `width x height` free cells.
    pub fn new(width: usize, height: usize) -> Result<Self, MappingError> {
        let n = width
            .checked_mul(height)
            .filter(|_| width <= MAX_GRID_SIDE && height <= MAX_GRID_SIDE)
            .ok_or_else(|| MappingError::invalid("width/height", "grid too large"))?;
        Ok(BinaryGrid {
            width,
            height,
            blocked: vec![false; n],
        })
    }

    /// A grid from row-major blocked flags.
    ///
    /// # Errors
    /// [`MappingError::DimensionMismatch`] when `blocked.len() != width * height`.
    pub fn from_vec(width: usize, height: usize, blocked: Vec<bool>) -> Result<Self, MappingError> {
        let expected = width
            .checked_mul(height)
            .filter(|_| width <= MAX_GRID_SIDE && height <= MAX_GRID_SIDE)
            .ok_or_else(|| MappingError::invalid("width/height", "grid too large"))?;
        if blocked.len() != expected {
            return Err(MappingError::DimensionMismatch {
                what: "blocked flags",
                expected,
                found: blocked.len(),
            });
        }
        Ok(BinaryGrid {
            width,
            height,
            blocked,
        })
    }

    /// A grid from text rows, row `y` being `rows[y]`: `#` or `@` is blocked, `.` is free.
    ///
    /// # Errors
    /// [`MappingError::Parse`] for rows of unequal length or other characters.
    pub fn from_rows(rows: &[&str]) -> Result<Self, MappingError> {
        let width = rows.first().map_or(0, |r| r.chars().count());
        let mut blocked = Vec::with_capacity(width * rows.len());
        for (y, row) in rows.iter().enumerate() {
            if row.chars().count() != width {
                return Err(MappingError::parse(
                    "rows",
                    y + 1,
                    1,
                    format!("row has {} cells, expected {width}", row.chars().count()),
                ));
            }
            for (x, c) in row.chars().enumerate() {
                blocked.push(match c {
                    '#' | '@' => true,
                    '.' => false,
                    other => {
                        return Err(MappingError::parse(
                            "rows",
                            y + 1,
                            x + 1,
                            format!("unexpected character {other:?} (expected '.', '#' or '@')"),
                        ))
                    }
                });
            }
        }
        BinaryGrid::from_vec(width, rows.len(), blocked)
    }

    /// Marks a cell blocked or free; cells outside the grid are ignored (returns false).
    pub fn set_blocked(&mut self, x: usize, y: usize, blocked: bool) -> bool {
        if x < self.width && y < self.height {
            self.blocked[y * self.width + x] = blocked;
            true
        } else {
            false
        }
    }

    /// The row-major flags.
    pub fn as_slice(&self) -> &[bool] {
        &self.blocked
    }
}

impl GridMap for BinaryGrid {
    #[inline]
    fn width(&self) -> usize {
        self.width
    }
    #[inline]
    fn height(&self) -> usize {
        self.height
    }
    #[inline]
    fn is_blocked(&self, x: usize, y: usize) -> bool {
        self.blocked[y * self.width + x]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_geometry_round_trips() {
        let g = GridGeometry::new(4, 3, 0.25, Vector2::new(1.0, -2.0), 0.7).unwrap();
        let p = Point2::new(1.3, -1.6);
        let q = g.grid_to_world(&g.world_to_grid(&p));
        assert!((p - q).norm() < 1e-12);
        // Cell (0, 0)'s centre is half a cell along both rotated axes from the origin.
        let c = g.cell_center(Cell::new(0, 0));
        let expected = Vector2::new(1.0, -2.0)
            + 0.125 * Vector2::new(0.7f64.cos() - 0.7f64.sin(), 0.7f64.sin() + 0.7f64.cos());
        assert!((c.coords - expected).norm() < 1e-12);
    }

    #[test]
    fn rejects_bad_parameters() {
        assert!(GridGeometry::new(1, 1, 0.0, Vector2::zeros(), 0.0).is_err());
        assert!(GridGeometry::new(1, 1, f64::NAN, Vector2::zeros(), 0.0).is_err());
        assert!(GridGeometry::new(1, 1, 1.0, Vector2::new(f64::INFINITY, 0.0), 0.0).is_err());
        assert!(GridGeometry::new(MAX_GRID_SIDE + 1, 1, 1.0, Vector2::zeros(), 0.0).is_err());
        assert!(BinaryGrid::from_vec(2, 2, vec![false; 3]).is_err());
        assert_eq!(
            GridGeometry::new(2, 2, 1.0, Vector2::zeros(), 0.0)
                .unwrap()
                .world_to_cell(&Point2::new(f64::NAN, 0.0))
                .x,
            i32::MIN
        );
    }
}
