//! Exact Euclidean distance transform (Felzenszwalb & Huttenlocher, "Distance Transforms of
//! Sampled Functions", Theory of Computing 8, 2012) and a distance field for planners and MPC.

use nalgebra::{Point2, Vector2};

use super::grid::{Cell, GridGeometry, GridMap};
use super::occupancy::{CellState, OccupancyGrid};
use super::MappingError;

/// Stand-in for "no obstacle" inside the transform: finite, so the parabola intersections
/// never compute `inf - inf`, and far above any real squared distance (< 2^62 for grids of at
/// most 2^30 cells a side).
const FAR: f64 = 1e30;

/// Reusable buffers for the exact squared Euclidean distance transform of a binary grid.
///
/// For every cell `p`, `D(p) = min over obstacle cells q of |p - q|^2`, in cells squared,
/// measured between cell centres (so obstacle cells have 0 and a free cell beside an obstacle
/// has 1). Computed by two passes of the 1-D lower-envelope-of-parabolas transform (columns,
/// then rows): O(width * height) time, exact (integer-valued results), no allocation once the
/// buffers have grown to the largest side seen.
///
/// ```
/// use kestrel::mapping::{BinaryGrid, DistanceTransform};
/// let grid = BinaryGrid::from_rows(&["#....", ".....", "....."])?;
/// let mut dt = DistanceTransform::new();
/// let mut d2 = Vec::new();
/// dt.squared_distances(&grid, &mut d2);
/// assert_eq!(d2[2 * 5 + 4], 4.0 * 4.0 + 2.0 * 2.0); // cell (4, 2) to cell (0, 0)
/// # Ok::<(), kestrel::mapping::MappingError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct DistanceTransform {
    f: Vec<f64>,
    d: Vec<f64>,
    v: Vec<usize>,
    z: Vec<f64>,
}

impl DistanceTransform {
    /// Empty buffers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes the squared distance (cells squared) from every cell of `map` to the nearest
    /// blocked cell into `out` (row-major, resized to `width * height`). Cells of a grid without
    /// any blocked cell get `f64::INFINITY`.
    pub fn squared_distances(&mut self, map: &impl GridMap, out: &mut Vec<f64>) {
        let (w, h) = (map.width(), map.height());
        out.clear();
        out.resize(w * h, FAR);
        for y in 0..h {
            for x in 0..w {
                if map.is_blocked(x, y) {
                    out[y * w + x] = 0.0;
                }
            }
        }
        self.transform_in_place(w, h, out);
    }

    /// The transform of a sampled function given in `values` (row-major `width x height`,
    /// 0 at obstacles and [`f64::INFINITY`] elsewhere, or any non-negative costs), in place:
    /// `values[p] <- min_q (|p - q|^2 + values[q])`.
    ///
    /// # Errors
    /// [`MappingError::DimensionMismatch`] when `values.len() != width * height`;
    /// [`MappingError::NonFinite`] for a NaN or negative entry.
    pub fn transform(
        &mut self,
        width: usize,
        height: usize,
        values: &mut [f64],
    ) -> Result<(), MappingError> {
        if Some(values.len()) != width.checked_mul(height) {
            return Err(MappingError::DimensionMismatch {
                what: "distance transform input",
                expected: width.saturating_mul(height),
                found: values.len(),
            });
        }
        if values.iter().any(|v| v.is_nan() || *v < 0.0) {
            return Err(MappingError::NonFinite {
                what: "distance transform input (NaN or negative)",
            });
        }
        values.iter_mut().for_each(|v| *v = v.min(FAR));
        self.transform_in_place(width, height, values);
        Ok(())
    }

    fn transform_in_place(&mut self, w: usize, h: usize, g: &mut [f64]) {
        let n = w.max(h);
        self.f.resize(n, 0.0);
        self.d.resize(n, 0.0);
        self.v.resize(n, 0);
        self.z.resize(n + 1, 0.0);
        // Columns.
        for x in 0..w {
            for y in 0..h {
                self.f[y] = g[y * w + x];
            }
            self.pass(h);
            for y in 0..h {
                g[y * w + x] = self.d[y];
            }
        }
        // Rows.
        for y in 0..h {
            self.f[..w].copy_from_slice(&g[y * w..(y + 1) * w]);
            self.pass(w);
            g[y * w..(y + 1) * w].copy_from_slice(&self.d[..w]);
        }
        for v in g.iter_mut() {
            if *v >= FAR * 0.5 {
                *v = f64::INFINITY;
            }
        }
    }

    /// 1-D transform of `f[..n]` into `d[..n]`: the lower envelope of the parabolas
    /// `(q - p)^2 + f(p)`.
    fn pass(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        let (f, d, v, z) = (&self.f, &mut self.d, &mut self.v, &mut self.z);
        let mut k = 0usize;
        v[0] = 0;
        z[0] = f64::NEG_INFINITY;
        z[1] = f64::INFINITY;
        for q in 1..n {
            let fq = f[q] + (q * q) as f64;
            loop {
                let p = v[k];
                let s = (fq - (f[p] + (p * p) as f64)) / (2.0 * (q - p) as f64);
                if s <= z[k] {
                    // z[0] is -inf, so k > 0 here.
                    k -= 1;
                } else {
                    k += 1;
                    v[k] = q;
                    z[k] = s;
                    z[k + 1] = f64::INFINITY;
                    break;
                }
            }
        }
        k = 0;
        for (q, dq) in d.iter_mut().enumerate().take(n) {
            while z[k + 1] < q as f64 {
                k += 1;
            }
            let p = v[k];
            let dx = q.abs_diff(p) as f64;
            *dq = dx * dx + f[p];
        }
    }
}

/// Distance (metres) from every cell centre to the nearest obstacle cell centre, with
/// bilinear interpolation between cell centres for smooth queries (MPC costs, planners).
///
/// ```
/// use kestrel::mapping::{BinaryGrid, DistanceField, GridGeometry};
/// use nalgebra::{Point2, Vector2};
/// let grid = BinaryGrid::from_rows(&["#...", "....", "...."])?;
/// let geometry = GridGeometry::new(4, 3, 0.5, Vector2::zeros(), 0.0)?;
/// let field = DistanceField::from_map(geometry, &grid)?;
/// assert_eq!(field.distance(kestrel::mapping::Cell::new(3, 0)), Some(1.5));
/// // Halfway between the centres of cells (2, 0) and (3, 0): 1.0 and 1.5 metres.
/// let d = field.distance_at(&Point2::new(1.5, 0.25)).unwrap();
/// assert!((d - 1.25).abs() < 1e-12);
/// # Ok::<(), kestrel::mapping::MappingError>(())
/// ```
#[derive(Debug, Clone)]
pub struct DistanceField {
    geometry: GridGeometry,
    distances_m: Vec<f64>,
}

impl DistanceField {
    /// The field of the blocked cells of `map` placed by `geometry`.
    ///
    /// # Errors
    /// [`MappingError::DimensionMismatch`] when the map's size differs from the geometry's.
    pub fn from_map(geometry: GridGeometry, map: &impl GridMap) -> Result<Self, MappingError> {
        if map.width() != geometry.width() || map.height() != geometry.height() {
            return Err(MappingError::DimensionMismatch {
                what: "map cells",
                expected: geometry.len(),
                found: map.width() * map.height(),
            });
        }
        let mut d = Vec::new();
        DistanceTransform::new().squared_distances(map, &mut d);
        let r = geometry.resolution();
        d.iter_mut().for_each(|v| *v = v.sqrt() * r);
        Ok(DistanceField {
            geometry,
            distances_m: d,
        })
    }

    /// The field of the occupied cells of an occupancy grid (and of unknown cells too when
    /// `unknown_is_obstacle`).
    pub fn from_occupancy(grid: &OccupancyGrid, unknown_is_obstacle: bool) -> Self {
        struct View<'a>(&'a OccupancyGrid, bool);
        impl GridMap for View<'_> {
            fn width(&self) -> usize {
                self.0.geometry().width()
            }
            fn height(&self) -> usize {
                self.0.geometry().height()
            }
            fn is_blocked(&self, x: usize, y: usize) -> bool {
                match self.0.state(Cell::new(x as i32, y as i32)) {
                    CellState::Occupied => true,
                    CellState::Unknown => self.1,
                    CellState::Free => false,
                }
            }
        }
        let view = View(grid, unknown_is_obstacle);
        let mut d = Vec::new();
        DistanceTransform::new().squared_distances(&view, &mut d);
        let r = grid.geometry().resolution();
        d.iter_mut().for_each(|v| *v = v.sqrt() * r);
        DistanceField {
            geometry: grid.geometry().clone(),
            distances_m: d,
        }
    }

    /// The placement of the field.
    pub fn geometry(&self) -> &GridGeometry {
        &self.geometry
    }

    /// Row-major distances in metres (`f64::INFINITY` when the grid has no obstacle).
    pub fn as_slice(&self) -> &[f64] {
        &self.distances_m
    }

    /// Distance at a cell centre, metres; `None` outside the grid.
    pub fn distance(&self, cell: Cell) -> Option<f64> {
        self.geometry.index(cell).map(|i| self.distances_m[i])
    }

    /// Bilinearly interpolated distance at a world point and its gradient (world frame,
    /// metres per metre). Points within half a cell of the border use the border values
    /// (clamped). `None` outside the grid, for a non-finite point, or when the grid has no
    /// obstacle.
    pub fn distance_and_gradient_at(&self, p: &Point2<f64>) -> Option<(f64, Vector2<f64>)> {
        let g = self.geometry.world_to_grid(p);
        let (w, h) = (self.geometry.width(), self.geometry.height());
        if !(g.x >= 0.0 && g.y >= 0.0 && g.x <= w as f64 && g.y <= h as f64) {
            return None;
        }
        // Interpolate between cell centres at half-integer grid coordinates.
        let u = (g.x - 0.5).clamp(0.0, (w - 1) as f64);
        let v = (g.y - 0.5).clamp(0.0, (h - 1) as f64);
        let (i0, j0) = (u.floor() as usize, v.floor() as usize);
        let (i1, j1) = ((i0 + 1).min(w - 1), (j0 + 1).min(h - 1));
        let (a, b) = (u - i0 as f64, v - j0 as f64);
        let at = |i: usize, j: usize| self.distances_m[j * w + i];
        let (d00, d10, d01, d11) = (at(i0, j0), at(i1, j0), at(i0, j1), at(i1, j1));
        if !d00.is_finite() {
            return None;
        }
        let d =
            (1.0 - a) * (1.0 - b) * d00 + a * (1.0 - b) * d10 + (1.0 - a) * b * d01 + a * b * d11;
        // d/du and d/dv in metres per cell; zero along a clamped axis.
        let inv_r = 1.0 / self.geometry.resolution();
        let du = if i1 > i0 {
            ((1.0 - b) * (d10 - d00) + b * (d11 - d01)) * inv_r
        } else {
            0.0
        };
        let dv = if j1 > j0 {
            ((1.0 - a) * (d01 - d00) + a * (d11 - d10)) * inv_r
        } else {
            0.0
        };
        let (s, c) = self.geometry.yaw().sin_cos();
        Some((d, Vector2::new(c * du - s * dv, s * du + c * dv)))
    }

    /// Bilinearly interpolated distance at a world point, metres (see
    /// [`distance_and_gradient_at`](Self::distance_and_gradient_at)).
    pub fn distance_at(&self, p: &Point2<f64>) -> Option<f64> {
        self.distance_and_gradient_at(p).map(|(d, _)| d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_dimensional_cases() {
        let mut dt = DistanceTransform::new();
        let mut v = vec![
            f64::INFINITY,
            0.0,
            f64::INFINITY,
            f64::INFINITY,
            0.0,
            f64::INFINITY,
        ];
        dt.transform(6, 1, &mut v).unwrap();
        assert_eq!(v, [1.0, 0.0, 1.0, 1.0, 0.0, 1.0]);
        let mut e = vec![f64::INFINITY; 3];
        dt.transform(3, 1, &mut e).unwrap();
        assert!(e.iter().all(|x| x.is_infinite()));
        assert!(dt.transform(2, 2, &mut [0.0; 3]).is_err());
        assert!(dt.transform(1, 1, &mut [f64::NAN]).is_err());
    }
}
