//! Insertion of range scans and point sets into an [`OccupancyGrid`] by ray casting, and the
//! growth of growable grids.

use nalgebra::{Isometry2, Point2, Vector2};

use super::grid::Cell;
use super::occupancy::{Bounds, OccupancyGrid, UNKNOWN};
use super::raycast::{clip_to_box, RayCells};
use super::MappingError;

/// A planar range scan, as `sensor_msgs/LaserScan`: beam `i` points at
/// `angle_min + i * angle_increment` radians in the sensor frame (counter-clockwise from x).
///
/// Ranges follow REP 117: `NaN`, `-inf` and values below `range_min` are skipped; `+inf` and
/// values at or above `range_max` mean "nothing within range" and clear the beam up to
/// `range_max` without a hit.
#[derive(Debug, Clone, Copy)]
pub struct LaserScan<'a> {
    /// Angle of the first beam, radians.
    pub angle_min: f64,
    /// Angle between consecutive beams, radians.
    pub angle_increment: f64,
    /// Shortest valid range, metres.
    pub range_min: f64,
    /// Longest range the sensor reports, metres.
    pub range_max: f64,
    /// Measured ranges, metres.
    pub ranges: &'a [f64],
}

/// What one insertion did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InsertStats {
    /// Beams that ended in a return (their end cell gets the hit).
    pub hit_beams: usize,
    /// Beams cut at the maximum range (they only clear).
    pub max_range_beams: usize,
    /// Beams skipped (NaN, -inf, below the minimum range).
    pub skipped_beams: usize,
    /// Distinct cells that received a hit.
    pub cells_hit: usize,
    /// Distinct cells that received a miss.
    pub cells_missed: usize,
}

impl OccupancyGrid {
    /// Inserts a range scan taken from `sensor_pose` (world frame; beams are rotated by the
    /// pose's angle). See [`LaserScan`] for how ranges are read.
    ///
    /// # Errors
    /// [`MappingError::NonFinite`] for a non-finite pose or scan angles;
    /// [`MappingError::InvalidParameter`] unless `0 <= range_min < range_max < inf`;
    /// [`MappingError::GrowthLimit`] when a growable grid would exceed its limit. The grid is
    /// unchanged on error.
    pub fn insert_scan(
        &mut self,
        sensor_pose: &Isometry2<f64>,
        scan: &LaserScan<'_>,
    ) -> Result<InsertStats, MappingError> {
        let t = sensor_pose.translation.vector;
        let theta = sensor_pose.rotation.angle();
        if !(t.x.is_finite() && t.y.is_finite() && theta.is_finite()) {
            return Err(MappingError::NonFinite {
                what: "sensor pose",
            });
        }
        if !(scan.angle_min.is_finite() && scan.angle_increment.is_finite()) {
            return Err(MappingError::NonFinite {
                what: "scan angles",
            });
        }
        if !(scan.range_min >= 0.0 && scan.range_min < scan.range_max && scan.range_max.is_finite())
        {
            return Err(MappingError::invalid(
                "range_min/range_max",
                format!(
                    "need 0 <= range_min < range_max < inf, got {} and {}",
                    scan.range_min, scan.range_max
                ),
            ));
        }
        let origin = Point2::from(t);
        let mut beams = std::mem::take(&mut self.beams);
        beams.clear();
        let mut stats = InsertStats::default();
        for (i, &r) in scan.ranges.iter().enumerate() {
            let (range, hit) = if r.is_nan() || r < scan.range_min {
                stats.skipped_beams += 1;
                continue;
            } else if r >= scan.range_max {
                (scan.range_max, false)
            } else {
                (r, true)
            };
            let angle = theta + scan.angle_min + i as f64 * scan.angle_increment;
            let end = origin + Vector2::new(angle.cos(), angle.sin()) * range;
            beams.push((end.coords, hit));
        }
        let result = self.integrate(&origin, &mut beams, stats);
        self.beams = beams;
        result
    }

    /// Inserts beams from `origin` to each of `points` (world frame). A beam longer than
    /// `max_range` (metres; `f64::INFINITY` for no limit) is cut there and only clears.
    ///
    /// # Errors
    /// [`MappingError::NonFinite`] for a non-finite origin or point;
    /// [`MappingError::InvalidParameter`] for a `max_range` that is NaN or not positive;
    /// [`MappingError::GrowthLimit`] as for [`insert_scan`](Self::insert_scan). The grid is
    /// unchanged on error.
    pub fn insert_points(
        &mut self,
        origin: &Point2<f64>,
        points: &[Point2<f64>],
        max_range: f64,
    ) -> Result<InsertStats, MappingError> {
        if !(origin.x.is_finite() && origin.y.is_finite()) {
            return Err(MappingError::NonFinite {
                what: "sensor origin",
            });
        }
        if max_range.is_nan() || max_range <= 0.0 {
            return Err(MappingError::invalid(
                "max_range",
                format!("must be > 0, got {max_range}"),
            ));
        }
        let mut beams = std::mem::take(&mut self.beams);
        beams.clear();
        let mut bad = false;
        for p in points {
            if !(p.x.is_finite() && p.y.is_finite()) {
                bad = true;
                break;
            }
            let d = p - origin;
            let len = d.norm();
            if len > max_range {
                beams.push(((origin + d * (max_range / len)).coords, false));
            } else {
                beams.push((p.coords, true));
            }
        }
        let result = if bad {
            Err(MappingError::NonFinite { what: "scan point" })
        } else {
            self.integrate(origin, &mut beams, InsertStats::default())
        };
        self.beams = beams;
        result
    }

    /// Casts all buffered beams (ends in world coordinates, hit flag) from `origin`.
    fn integrate(
        &mut self,
        origin: &Point2<f64>,
        beams: &mut [(Vector2<f64>, bool)],
        mut stats: InsertStats,
    ) -> Result<InsertStats, MappingError> {
        // World -> grid coordinates, then grow if needed (before touching any cell).
        let o = self.geometry.world_to_grid(origin);
        let (mut lo, mut hi) = (o, o);
        for (end, _) in beams.iter_mut() {
            *end = self.geometry.world_to_grid(&Point2::from(*end));
            lo = lo.inf(end);
            hi = hi.sup(end);
        }
        let o = if let Bounds::Growable { max_cells } = self.bounds {
            let shift = self.grow_to(lo, hi, max_cells)?;
            for (end, _) in beams.iter_mut() {
                *end += shift;
            }
            o + shift
        } else {
            o
        };

        // Stamps: 2s marks "missed in scan s", 2s + 1 "hit in scan s".
        if self.scan_id >= u32::MAX / 2 - 1 {
            self.stamps.iter_mut().for_each(|s| *s = 0);
            self.scan_id = 0;
        }
        self.scan_id += 1;
        let free_mark = 2 * self.scan_id;
        let hit_mark = free_mark + 1;

        for &(end, hit) in beams.iter() {
            if !hit {
                stats.max_range_beams += 1;
                continue;
            }
            stats.hit_beams += 1;
            let cell = Cell::new(end.x.floor() as i32, end.y.floor() as i32);
            if let Some(i) = self.geometry.index(cell) {
                if self.stamps[i] != hit_mark {
                    self.stamps[i] = hit_mark;
                    self.apply(i, self.l_hit);
                    stats.cells_hit += 1;
                }
            }
        }

        let w = self.geometry.width() as f64;
        let h = self.geometry.height() as f64;
        for &(end, _) in beams.iter() {
            let Some((t0, t1)) = clip_to_box(o, end, w, h) else {
                continue;
            };
            let d = end - o;
            let a = if t0 == 0.0 { o } else { o + d * t0 };
            let b = if t1 == 1.0 { end } else { o + d * t1 };
            let end_cell = Cell::new(end.x.floor() as i32, end.y.floor() as i32);
            for cell in RayCells::new(a, b) {
                if cell == end_cell {
                    break;
                }
                if let Some(i) = self.geometry.index(cell) {
                    if self.stamps[i] < free_mark {
                        self.stamps[i] = free_mark;
                        self.apply(i, self.l_miss);
                        stats.cells_missed += 1;
                    }
                }
            }
        }
        Ok(stats)
    }

    /// Grows the grid to contain the grid-coordinate box `[lo, hi]`; returns the shift to add to
    /// old grid coordinates.
    fn grow_to(
        &mut self,
        lo: Vector2<f64>,
        hi: Vector2<f64>,
        max_cells: usize,
    ) -> Result<Vector2<f64>, MappingError> {
        let (w, h) = (self.geometry.width() as i64, self.geometry.height() as i64);
        let (x0, y0) = (lo.x.floor() as i64, lo.y.floor() as i64);
        let (x1, y1) = (hi.x.floor() as i64, hi.y.floor() as i64);
        if x0 >= 0 && y0 >= 0 && x1 < w && y1 < h {
            return Ok(Vector2::zeros());
        }
        // Grow by at least half the current size on each side that needs it (amortised).
        let margin_x = (w / 2).max(16);
        let margin_y = (h / 2).max(16);
        let left = if x0 < 0 { -x0 + margin_x } else { 0 };
        let bottom = if y0 < 0 { -y0 + margin_y } else { 0 };
        let right = if x1 >= w { x1 - w + 1 + margin_x } else { 0 };
        let top = if y1 >= h { y1 - h + 1 + margin_y } else { 0 };
        let new_w = w + left + right;
        let new_h = h + bottom + top;
        let needed = (new_w as u128) * (new_h as u128);
        // The smallest box that fits, to report when even that is too large.
        let tight =
            ((x1.max(w - 1) - x0.min(0) + 1) as u128) * ((y1.max(h - 1) - y0.min(0) + 1) as u128);
        if tight > max_cells as u128 {
            return Err(MappingError::GrowthLimit {
                needed: tight.min(usize::MAX as u128) as usize,
                limit: max_cells,
            });
        }
        // Shrink the margins when the generous box would exceed the limit.
        let (left, bottom, new_w, new_h) = if needed > max_cells as u128 {
            let left = if x0 < 0 { -x0 } else { 0 };
            let bottom = if y0 < 0 { -y0 } else { 0 };
            (
                left,
                bottom,
                x1.max(w - 1) - x0.min(0) + 1,
                y1.max(h - 1) - y0.min(0) + 1,
            )
        } else {
            (left, bottom, new_w, new_h)
        };
        let geometry = self.geometry.extended(
            left as usize,
            bottom as usize,
            new_w as usize,
            new_h as usize,
        )?;
        let mut log_odds = vec![UNKNOWN; geometry.len()];
        let mut stamps = vec![0u32; geometry.len()];
        let (nw, ow) = (new_w as usize, w as usize);
        for y in 0..h as usize {
            let src = y * ow;
            let dst = (y + bottom as usize) * nw + left as usize;
            log_odds[dst..dst + ow].copy_from_slice(&self.log_odds[src..src + ow]);
            stamps[dst..dst + ow].copy_from_slice(&self.stamps[src..src + ow]);
        }
        self.geometry = geometry;
        self.log_odds = log_odds;
        self.stamps = stamps;
        Ok(Vector2::new(left as f64, bottom as f64))
    }
}
