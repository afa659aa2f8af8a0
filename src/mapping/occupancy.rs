//! Log-odds occupancy grid with range-scan insertion by ray casting.

use nalgebra::{Point2, Vector2};

use super::grid::{Cell, GridGeometry, GridMap};
use super::raycast::{clip_to_box, supercover_cells};
use super::MappingError;

/// Sensor model and thresholds of an [`OccupancyGrid`], as probabilities.
///
/// A hit adds `logit(prob_hit)` to a cell's log-odds, a miss adds `logit(prob_miss)`, where
/// `logit(p) = ln(p / (1 - p))`; the result is clamped to
/// `[logit(clamp_min), logit(clamp_max)]`. A cell is occupied when its log-odds is at least
/// `logit(occupancy_threshold)`, free when below, unknown when never updated.
/// The defaults are OctoMap's: hit 0.7, miss 0.4, clamp [0.1192, 0.971], threshold 0.5.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OccupancyParams {
    /// Probability that a cell is occupied given a beam ended in it, in (0.5, 1).
    pub prob_hit: f64,
    /// Probability that a cell is occupied given a beam crossed it, in (0, 0.5).
    pub prob_miss: f64,
    /// Lower clamping probability, in (0, clamp_max).
    pub clamp_min: f64,
    /// Upper clamping probability, in (clamp_min, 1).
    pub clamp_max: f64,
    /// Probability at and above which a known cell is occupied, in (0, 1).
    pub occupancy_threshold: f64,
}

impl Default for OccupancyParams {
    fn default() -> Self {
        OccupancyParams {
            prob_hit: 0.7,
            prob_miss: 0.4,
            clamp_min: 0.1192,
            clamp_max: 0.971,
            occupancy_threshold: 0.5,
        }
    }
}

/// `ln(p / (1 - p))`.
#[inline]
pub fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// `1 / (1 + exp(-l))`, the inverse of [`logit`].
#[inline]
pub fn logistic(l: f64) -> f64 {
    1.0 / (1.0 + (-l).exp())
}

impl OccupancyParams {
    fn validate(&self) -> Result<(), MappingError> {
        let check = |name: &'static str, v: f64, lo: f64, hi: f64| {
            if v.is_finite() && v > lo && v < hi {
                Ok(())
            } else {
                Err(MappingError::invalid(
                    name,
                    format!("{v} is not in ({lo}, {hi})"),
                ))
            }
        };
        check("prob_hit", self.prob_hit, 0.5, 1.0)?;
        check("prob_miss", self.prob_miss, 0.0, 0.5)?;
        check("clamp_min", self.clamp_min, 0.0, 1.0)?;
        check("clamp_max", self.clamp_max, self.clamp_min, 1.0)?;
        check("occupancy_threshold", self.occupancy_threshold, 0.0, 1.0)
    }
}

/// Whether a grid's extent is fixed or grows to contain what is inserted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bounds {
    /// Beams are clipped to the grid; hits outside it are dropped.
    Fixed,
    /// The grid grows (by whole cells, so existing cells keep their world position) to contain
    /// every inserted beam, up to `max_cells` cells in total.
    Growable {
        /// Largest number of cells the grid may grow to.
        max_cells: usize,
    },
}

/// The state of a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CellState {
    /// Never updated, or outside the grid.
    Unknown,
    /// Known, with probability below the occupancy threshold.
    Free,
    /// Known, with probability at or above the occupancy threshold.
    Occupied,
}

/// Log-odds stored for a cell never updated. Clamped values are always finite, so this never
/// collides with a real value and is never returned to the user.
pub(super) const UNKNOWN: f32 = f32::NEG_INFINITY;

/// A 2-D occupancy grid in log-odds (Moravec & Elfes; Thrun, Burgard & Fox, ch. 9), updated by
/// ray casting as OctoMap does.
///
/// Insertion of a scan (or point set) from a sensor origin: the cell where a beam ends gets one
/// hit, every cell the beam crosses before it (from the origin's cell on) gets one miss, and a
/// beam longer than the maximum range is cut there and clears without a hit (its last cell is
/// left alone). Within one insertion each cell is updated at most once, and a hit wins over a
/// miss (OctoMap's `insertPointCloud`). Updates: `l <- clamp(l + logit(p_hit or p_miss))`.
///
/// Cost: O(cells crossed) per beam, no allocation per scan (buffers are reused) except when a
/// growable grid grows. Memory: 8 bytes per cell.
///
/// ```
/// use kestrel::mapping::{Bounds, CellState, GridGeometry, OccupancyGrid, OccupancyParams};
/// use nalgebra::{Point2, Vector2};
/// let geometry = GridGeometry::new(10, 10, 0.1, Vector2::zeros(), 0.0)?;
/// let mut grid = OccupancyGrid::new(geometry, OccupancyParams::default(), Bounds::Fixed)?;
/// grid.insert_points(&Point2::new(0.05, 0.05), &[Point2::new(0.55, 0.05)], f64::INFINITY)?;
/// assert_eq!(grid.state_at(&Point2::new(0.55, 0.05)), CellState::Occupied);
/// assert_eq!(grid.state_at(&Point2::new(0.25, 0.05)), CellState::Free);
/// assert_eq!(grid.state_at(&Point2::new(0.25, 0.55)), CellState::Unknown);
/// let p = grid.probability_at(&Point2::new(0.55, 0.05)).unwrap();
/// assert!((p - 0.7).abs() < 1e-6);
/// # Ok::<(), kestrel::mapping::MappingError>(())
/// ```
#[derive(Debug, Clone)]
pub struct OccupancyGrid {
    pub(super) geometry: GridGeometry,
    pub(super) log_odds: Vec<f32>,
    pub(super) stamps: Vec<u32>,
    pub(super) scan_id: u32,
    pub(super) params: OccupancyParams,
    pub(super) l_hit: f32,
    pub(super) l_miss: f32,
    pub(super) l_min: f32,
    pub(super) l_max: f32,
    pub(super) l_occupied: f32,
    pub(super) bounds: Bounds,
    pub(super) beams: Vec<(Vector2<f64>, bool)>,
}

impl OccupancyGrid {
    /// An all-unknown grid.
    ///
    /// # Errors
    /// [`MappingError::InvalidParameter`] for parameters outside their ranges (see
    /// [`OccupancyParams`]) or a growable grid already larger than its limit.
    pub fn new(
        geometry: GridGeometry,
        params: OccupancyParams,
        bounds: Bounds,
    ) -> Result<Self, MappingError> {
        params.validate()?;
        if let Bounds::Growable { max_cells } = bounds {
            if geometry.len() > max_cells {
                return Err(MappingError::invalid(
                    "max_cells",
                    format!(
                        "the initial grid has {} cells, above {max_cells}",
                        geometry.len()
                    ),
                ));
            }
        }
        let n = geometry.len();
        Ok(OccupancyGrid {
            geometry,
            log_odds: vec![UNKNOWN; n],
            stamps: vec![0; n],
            scan_id: 0,
            l_hit: logit(params.prob_hit) as f32,
            l_miss: logit(params.prob_miss) as f32,
            l_min: logit(params.clamp_min) as f32,
            l_max: logit(params.clamp_max) as f32,
            l_occupied: logit(params.occupancy_threshold) as f32,
            params,
            bounds,
            beams: Vec::new(),
        })
    }

    /// The grid's placement (changes when a growable grid grows).
    pub fn geometry(&self) -> &GridGeometry {
        &self.geometry
    }

    /// The sensor model.
    pub fn params(&self) -> &OccupancyParams {
        &self.params
    }

    /// Log-odds of a cell, `None` when unknown or outside the grid.
    #[inline]
    pub fn log_odds(&self, cell: Cell) -> Option<f64> {
        let v = self.log_odds[self.geometry.index(cell)?];
        (v != UNKNOWN).then_some(f64::from(v))
    }

    /// Occupancy probability of a cell, `None` when unknown or outside the grid.
    #[inline]
    pub fn probability(&self, cell: Cell) -> Option<f64> {
        self.log_odds(cell).map(logistic)
    }

    /// Occupancy probability at a world point, `None` when unknown or outside the grid.
    pub fn probability_at(&self, p: &Point2<f64>) -> Option<f64> {
        self.probability(self.geometry.world_to_cell(p))
    }

    /// State of a cell ([`CellState::Unknown`] outside the grid).
    #[inline]
    pub fn state(&self, cell: Cell) -> CellState {
        match self.geometry.index(cell) {
            Some(i) => self.state_of_value(self.log_odds[i]),
            None => CellState::Unknown,
        }
    }

    #[inline]
    fn state_of_value(&self, v: f32) -> CellState {
        if v == UNKNOWN {
            CellState::Unknown
        } else if v >= self.l_occupied {
            CellState::Occupied
        } else {
            CellState::Free
        }
    }

    /// State of the cell containing a world point.
    pub fn state_at(&self, p: &Point2<f64>) -> CellState {
        self.state(self.geometry.world_to_cell(p))
    }

    /// True when the cell containing `p` is free (or unknown, if `unknown_is_free`).
    /// Points outside the grid are unknown. O(1).
    #[inline]
    pub fn is_point_free(&self, p: &Point2<f64>, unknown_is_free: bool) -> bool {
        match self.state_at(p) {
            CellState::Free => true,
            CellState::Unknown => unknown_is_free,
            CellState::Occupied => false,
        }
    }

    /// True when every cell the world segment `p -> q` touches is free (or unknown, if
    /// `unknown_is_free`), checked with the conservative [`supercover_cells`] traversal; cells
    /// outside the grid are unknown. Stops at the first blocking cell. O(cells touched), no
    /// allocation. Non-finite points give `false`.
    ///
    /// ```
    /// use kestrel::mapping::{Bounds, GridGeometry, OccupancyGrid, OccupancyParams};
    /// use nalgebra::{Point2, Vector2};
    /// let mut grid = OccupancyGrid::new(
    ///     GridGeometry::new(4, 4, 1.0, Vector2::zeros(), 0.0)?, OccupancyParams::default(), Bounds::Fixed)?;
    /// grid.update_cell(kestrel::mapping::Cell::new(2, 2), true);
    /// assert!(!grid.segment_free(&Point2::new(0.5, 0.5), &Point2::new(3.5, 3.5), true));
    /// assert!(grid.segment_free(&Point2::new(0.5, 0.5), &Point2::new(3.5, 0.5), true));
    /// # Ok::<(), kestrel::mapping::MappingError>(())
    /// ```
    pub fn segment_free(&self, p: &Point2<f64>, q: &Point2<f64>, unknown_is_free: bool) -> bool {
        if !(p.x.is_finite() && p.y.is_finite() && q.x.is_finite() && q.y.is_finite()) {
            return false;
        }
        let a = self.geometry.world_to_grid(p);
        let b = self.geometry.world_to_grid(q);
        let w = self.geometry.width() as f64;
        let h = self.geometry.height() as f64;
        let inside = |v: &Vector2<f64>| v.x >= 0.0 && v.y >= 0.0 && v.x < w && v.y < h;
        if !(inside(&a) && inside(&b)) {
            if !unknown_is_free {
                return false;
            }
            // Only the part inside the grid can block.
            match clip_to_box(a, b, w, h) {
                None => return true,
                Some((t0, t1)) => {
                    let d = b - a;
                    return supercover_cells(a + d * t0, a + d * t1, |c| {
                        self.state(c) != CellState::Occupied
                    });
                }
            }
        }
        supercover_cells(a, b, |c| match self.state(c) {
            CellState::Free => true,
            CellState::Unknown => unknown_is_free,
            CellState::Occupied => false,
        })
    }

    /// Applies one hit (`true`) or miss (`false`) to a cell; returns false outside the grid.
    pub fn update_cell(&mut self, cell: Cell, hit: bool) -> bool {
        match self.geometry.index(cell) {
            Some(i) => {
                self.apply(i, if hit { self.l_hit } else { self.l_miss });
                true
            }
            None => false,
        }
    }

    /// Sets a cell's log-odds (clamped to the grid's range); returns `Ok(false)` outside.
    ///
    /// # Errors
    /// [`MappingError::NonFinite`] for a NaN log-odds (infinities clamp).
    pub fn set_log_odds(&mut self, cell: Cell, log_odds: f64) -> Result<bool, MappingError> {
        if log_odds.is_nan() {
            return Err(MappingError::NonFinite { what: "log-odds" });
        }
        Ok(match self.geometry.index(cell) {
            Some(i) => {
                self.log_odds[i] = (log_odds as f32).clamp(self.l_min, self.l_max);
                true
            }
            None => false,
        })
    }

    /// Forgets a cell (makes it unknown); returns false outside the grid.
    pub fn set_unknown(&mut self, cell: Cell) -> bool {
        match self.geometry.index(cell) {
            Some(i) => {
                self.log_odds[i] = UNKNOWN;
                true
            }
            None => false,
        }
    }

    #[inline]
    pub(super) fn apply(&mut self, i: usize, delta: f32) {
        let v = self.log_odds[i];
        let base = if v == UNKNOWN { 0.0 } else { v };
        self.log_odds[i] = (base + delta).clamp(self.l_min, self.l_max);
    }

    /// The grid as `nav_msgs/OccupancyGrid` data: row-major from the lower-left cell, `-1`
    /// unknown, else the probability in percent rounded to the nearest integer (0..=100).
    pub fn to_ros_values(&self) -> Vec<i8> {
        self.log_odds
            .iter()
            .map(|&v| {
                if v == UNKNOWN {
                    -1
                } else {
                    (100.0 * logistic(f64::from(v))).round() as i8
                }
            })
            .collect()
    }

    /// A grid from `nav_msgs/OccupancyGrid` data (`-1` unknown, `0..=100` percent), with
    /// probabilities turned into log-odds and clamped to the parameters' range.
    ///
    /// # Errors
    /// [`MappingError::DimensionMismatch`] when `values.len()` is not the geometry's cell
    /// count; [`MappingError::InvalidParameter`] for a value outside `-1..=100` or bad params.
    pub fn from_ros_values(
        geometry: GridGeometry,
        values: &[i8],
        params: OccupancyParams,
    ) -> Result<Self, MappingError> {
        if values.len() != geometry.len() {
            return Err(MappingError::DimensionMismatch {
                what: "occupancy values",
                expected: geometry.len(),
                found: values.len(),
            });
        }
        let mut grid = OccupancyGrid::new(geometry, params, Bounds::Fixed)?;
        for (i, &v) in values.iter().enumerate() {
            grid.log_odds[i] = match v {
                -1 => UNKNOWN,
                0..=100 => {
                    let l = logit(f64::from(v) / 100.0) as f32;
                    l.clamp(grid.l_min, grid.l_max)
                }
                _ => {
                    return Err(MappingError::invalid(
                        "occupancy values",
                        format!("value {v} at index {i} is not in -1..=100"),
                    ))
                }
            };
        }
        Ok(grid)
    }

    /// A view for planners: a cell is blocked when occupied, or unknown and not
    /// `unknown_is_free`.
    pub fn blocked_view(&self, unknown_is_free: bool) -> OccupancyView<'_> {
        OccupancyView {
            grid: self,
            unknown_is_free,
        }
    }
}

/// An [`OccupancyGrid`] seen as a [`GridMap`] (see [`OccupancyGrid::blocked_view`]).
#[derive(Debug, Clone, Copy)]
pub struct OccupancyView<'a> {
    grid: &'a OccupancyGrid,
    unknown_is_free: bool,
}

impl GridMap for OccupancyView<'_> {
    fn width(&self) -> usize {
        self.grid.geometry.width()
    }
    fn height(&self) -> usize {
        self.grid.geometry.height()
    }
    #[inline]
    fn is_blocked(&self, x: usize, y: usize) -> bool {
        match self
            .grid
            .state_of_value(self.grid.log_odds[y * self.grid.geometry.width() + x])
        {
            CellState::Free => false,
            CellState::Unknown => !self.unknown_is_free,
            CellState::Occupied => true,
        }
    }
}
