//! A warehouse floor: outer walls, racks in a regular grid with aisles between them, and pallets
//! scattered (seeded) where they leave the robot's route clear. Every obstacle is an axis-aligned
//! rectangle with corners on multiples of `snap_m`; [`Warehouse::grid_geometry`] places a grid
//! of that resolution so that obstacle edges run through cell centres.
//!
//! Frames: world frame, metres; the interior is `[0, size_x] x [0, size_y]`, the walls lie
//! outside it (`wall_thickness_m` thick).

use kestrel::geometry::Aabb;
use kestrel::mapping::{BinaryGrid, GridGeometry, MappingError};
use nalgebra::{Isometry2, Point2, Vector2};
use rand::Rng;

use super::lidar::RayCaster;

/// The layout parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct WarehouseParams {
    /// Interior size `[x, y]`, metres.
    pub size_m: [f64; 2],
    /// Wall thickness, metres.
    pub wall_thickness_m: f64,
    /// Racks per row and rows of racks `[columns, rows]`.
    pub rack_grid: [usize; 2],
    /// Rack footprint `[length along x, depth along y]`, metres.
    pub rack_size_m: [f64; 2],
    /// Lower-left corner of the first rack, metres.
    pub rack_origin_m: [f64; 2],
    /// Spacing of consecutive racks' corners `[along x, along y]`, metres.
    pub rack_pitch_m: [f64; 2],
    /// Number of pallets to place.
    pub pallets: usize,
    /// Side of a (square) pallet, metres.
    pub pallet_size_m: f64,
    /// Least distance between a pallet and the route, metres.
    pub pallet_clearance_m: f64,
    /// Grid every corner is rounded to, metres.
    pub snap_m: f64,
}

/// The ground truth: obstacle rectangles.
#[derive(Debug, Clone, PartialEq)]
pub struct Warehouse {
    size_m: [f64; 2],
    wall_m: f64,
    walls: Vec<Aabb>,
    racks: Vec<Aabb>,
    pallets: Vec<Aabb>,
}

fn snap(v: f64, step: f64) -> f64 {
    (v / step).round() * step
}

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Option<Aabb> {
    Aabb::new(Point2::new(x0, y0), Point2::new(x1, y1)).ok()
}

impl WarehouseParams {
    /// The racks (snapped).
    fn racks(&self) -> Vec<Aabb> {
        let s = self.snap_m;
        let mut racks = Vec::new();
        for row in 0..self.rack_grid[1] {
            for col in 0..self.rack_grid[0] {
                let x0 = snap(self.rack_origin_m[0] + col as f64 * self.rack_pitch_m[0], s);
                let y0 = snap(self.rack_origin_m[1] + row as f64 * self.rack_pitch_m[1], s);
                let x1 = snap(x0 + self.rack_size_m[0], s);
                let y1 = snap(y0 + self.rack_size_m[1], s);
                racks.extend(rect(x0, y0, x1, y1));
            }
        }
        racks
    }

    /// The default route: a serpentine along every aisle (below the first rack row, between
    /// rows, above the last), joined in the cross aisles left and right of the racks.
    pub fn aisle_route(&self) -> Vec<Point2<f64>> {
        let [w, h] = self.size_m;
        let [cols, rows] = self.rack_grid;
        let [ox, oy] = self.rack_origin_m;
        let [px, py] = self.rack_pitch_m;
        let [len, depth] = self.rack_size_m;
        let x_left = 0.5 * ox;
        let racks_end = ox + (cols.max(1) - 1) as f64 * px + len;
        let x_right = 0.5 * (racks_end + w);
        let mut ys = vec![0.5 * oy];
        for r in 0..rows {
            let top = oy + r as f64 * py + depth;
            let next = if r + 1 < rows {
                oy + (r + 1) as f64 * py
            } else {
                h
            };
            ys.push(0.5 * (top + next));
        }
        let mut route = Vec::new();
        for (k, y) in ys.into_iter().enumerate() {
            let (a, b) = if k % 2 == 0 {
                (x_left, x_right)
            } else {
                (x_right, x_left)
            };
            route.push(Point2::new(a, y));
            route.push(Point2::new(b, y));
        }
        route
    }
}

impl Warehouse {
    /// Builds the warehouse; pallets are drawn uniformly (snapped) from `rng` and rejected when
    /// they overlap another obstacle (with one snap step of gap) or come within
    /// `pallet_clearance_m` of `route`; fewer than asked are placed when room runs out.
    pub fn generate(params: &WarehouseParams, route: &[Point2<f64>], rng: &mut impl Rng) -> Self {
        let [w, h] = params.size_m;
        let s = params.snap_m;
        let t = snap(params.wall_thickness_m, s).max(s);
        let walls: Vec<Aabb> = [
            rect(-t, -t, w + t, 0.0),
            rect(-t, h, w + t, h + t),
            rect(-t, 0.0, 0.0, h),
            rect(w, 0.0, w + t, h),
        ]
        .into_iter()
        .flatten()
        .collect();
        let racks = params.racks();
        let mut pallets: Vec<Aabb> = Vec::new();
        let side = snap(params.pallet_size_m, s).max(s);
        let clearance = params.pallet_clearance_m;
        let mut attempts = 0;
        while pallets.len() < params.pallets && attempts < 200 * params.pallets.max(1) {
            attempts += 1;
            // At least one snap step off the walls.
            let x0 = snap(s + rng.random::<f64>() * (w - side - 2.0 * s), s);
            let y0 = snap(s + rng.random::<f64>() * (h - side - 2.0 * s), s);
            let Some(p) = rect(x0, y0, x0 + side, y0 + side) else {
                continue;
            };
            let grown =
                |b: &Aabb, d: f64| rect(b.min().x - d, b.min().y - d, b.max().x + d, b.max().y + d);
            let Some(gap) = grown(&p, s) else { continue };
            let overlaps = racks.iter().chain(&pallets).any(|o| {
                gap.min().x < o.max().x
                    && o.min().x < gap.max().x
                    && gap.min().y < o.max().y
                    && o.min().y < gap.max().y
            });
            let near_route = grown(&p, clearance).is_some_and(|g| {
                route
                    .windows(2)
                    .any(|seg| g.intersects_segment(&seg[0], &seg[1]))
                    || route.iter().any(|q| g.contains(q))
            });
            if !overlaps && !near_route {
                pallets.push(p);
            }
        }
        Warehouse {
            size_m: [w, h],
            wall_m: t,
            walls,
            racks,
            pallets,
        }
    }

    /// Every obstacle: walls, racks, pallets.
    pub fn obstacles(&self) -> impl Iterator<Item = &Aabb> {
        self.walls.iter().chain(&self.racks).chain(&self.pallets)
    }

    /// The racks.
    pub fn racks(&self) -> &[Aabb] {
        &self.racks
    }

    /// The pallets placed.
    pub fn pallets(&self) -> &[Aabb] {
        &self.pallets
    }

    /// The walls.
    pub fn walls(&self) -> &[Aabb] {
        &self.walls
    }

    /// Whether `p` lies in an obstacle (closed rectangles).
    pub fn is_occupied(&self, p: &Point2<f64>) -> bool {
        self.obstacles().any(|o| o.contains(p))
    }

    /// Whether the segment `a b` stays at least `clearance` away from every obstacle.
    pub fn segment_clear(&self, a: &Point2<f64>, b: &Point2<f64>, clearance: f64) -> bool {
        self.obstacles().all(|o| {
            rect(
                o.min().x - clearance,
                o.min().y - clearance,
                o.max().x + clearance,
                o.max().y + clearance,
            )
            .is_none_or(|g| !g.intersects_segment(a, b))
        })
    }

    /// A grid placement covering the walls, with cells of `resolution` metres (the snap step)
    /// and its origin half a cell beyond the outer corner of the walls, so that every obstacle
    /// edge runs through cell centres. A cell containing a face is then half covered: it counts
    /// as occupied (see [`rasterize`](Self::rasterize)), and range noise smaller than half a cell
    /// keeps a beam's end in it. (With edges on cell boundaries half the beams would end in the
    /// free cell in front of the face.)
    pub fn grid_geometry(&self, resolution: f64) -> Result<GridGeometry, MappingError> {
        let t = self.wall_m + 0.5 * resolution;
        let w = ((self.size_m[0] + 2.0 * t) / resolution).round() as usize;
        let h = ((self.size_m[1] + 2.0 * t) / resolution).round() as usize;
        GridGeometry::new(w, h, resolution, Vector2::new(-t, -t), 0.0)
    }

    /// The ground-truth map on `geometry` (unrotated): a cell is blocked when it overlaps an
    /// obstacle with positive area (decided with a tolerance of `1e-6` cells, so cells whose
    /// centre lies on an edge, as on [`grid_geometry`](Self::grid_geometry), count as
    /// occupied whatever the rounding of their centre).
    pub fn rasterize(&self, geometry: &GridGeometry) -> Result<BinaryGrid, MappingError> {
        let (w, h) = (geometry.width(), geometry.height());
        let mut grid = BinaryGrid::new(w, h)?;
        let (o, r) = (geometry.origin(), geometry.resolution());
        let eps = 1e-6 * r;
        // Cells i whose span [o + i r, o + (i + 1) r] overlaps [lo + eps, hi - eps].
        let span = |lo: f64, hi: f64, origin: f64, n: usize| {
            let first = ((lo + eps - origin) / r).floor().max(0.0) as usize;
            let last = (((hi - eps - origin) / r).ceil().max(0.0) as usize).min(n);
            (first..last).filter(move |&i| {
                let (a, b) = (origin + i as f64 * r, origin + (i + 1) as f64 * r);
                b > lo + eps && a < hi - eps
            })
        };
        for b in self.obstacles() {
            for y in span(b.min().y, b.max().y, o.y, h) {
                for x in span(b.min().x, b.max().x, o.x, w) {
                    grid.set_blocked(x, y, true);
                }
            }
        }
        Ok(grid)
    }
}

/// Distance along the unit `d` from `o` to the closed box `b` (slab method), if any.
fn ray_box(o: &Point2<f64>, d: &Vector2<f64>, b: &Aabb) -> Option<f64> {
    let (mut t0, mut t1) = (0.0f64, f64::INFINITY);
    for axis in 0..2 {
        let (lo, hi) = (b.min()[axis], b.max()[axis]);
        if d[axis] == 0.0 {
            if o[axis] < lo || o[axis] > hi {
                return None;
            }
        } else {
            let inv = 1.0 / d[axis];
            let (a, c) = ((lo - o[axis]) * inv, (hi - o[axis]) * inv);
            t0 = t0.max(a.min(c));
            t1 = t1.min(a.max(c));
        }
    }
    (t0 <= t1).then_some(t0)
}

impl RayCaster for Warehouse {
    fn cast(&self, origin: &Point2<f64>, direction: &Vector2<f64>, max_range: f64) -> Option<f64> {
        self.obstacles()
            .filter_map(|b| ray_box(origin, direction, b))
            .fold(None, |best: Option<f64>, t| {
                Some(best.map_or(t, |b| b.min(t)))
            })
            .filter(|&t| t <= max_range)
    }
}

/// Poses every `spacing` metres along a polyline, heading along the current segment (the robot
/// turns on the spot at the corners). The last waypoint is included.
pub fn route_poses(route: &[Point2<f64>], spacing: f64) -> Vec<Isometry2<f64>> {
    let mut poses = Vec::new();
    let mut carry = 0.0;
    for seg in route.windows(2) {
        let d = seg[1] - seg[0];
        let len = d.norm();
        if len == 0.0 {
            continue;
        }
        let heading = d.y.atan2(d.x);
        let mut s = carry;
        while s < len {
            poses.push(Isometry2::new((seg[0] + d * (s / len)).coords, heading));
            s += spacing;
        }
        carry = s - len;
    }
    if let (Some(last), Some(prev)) = (route.last(), poses.last().copied()) {
        poses.push(Isometry2::new(last.coords, prev.rotation.angle()));
    }
    poses
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn params() -> WarehouseParams {
        WarehouseParams {
            size_m: [20.0, 12.0],
            wall_thickness_m: 0.3,
            rack_grid: [2, 2],
            rack_size_m: [6.0, 1.0],
            rack_origin_m: [3.0, 3.0],
            rack_pitch_m: [8.0, 4.0],
            pallets: 4,
            pallet_size_m: 1.0,
            pallet_clearance_m: 0.8,
            snap_m: 0.1,
        }
    }

    #[test]
    fn rays_hit_the_nearest_face() {
        let p = params();
        let route = p.aisle_route();
        let w = Warehouse::generate(
            &WarehouseParams { pallets: 0, ..p },
            &route,
            &mut StdRng::seed_from_u64(1),
        );
        // From (1, 3.5) looking +x: the first rack's left face at x = 3.
        let d = w
            .cast(&Point2::new(1.0, 3.5), &Vector2::new(1.0, 0.0), 30.0)
            .unwrap();
        assert!((d - 2.0).abs() < 1e-12);
        // Looking -y from (1, 1): the bottom wall's inner face at y = 0.
        let d = w
            .cast(&Point2::new(1.0, 1.0), &Vector2::new(0.0, -1.0), 30.0)
            .unwrap();
        assert!((d - 1.0).abs() < 1e-12);
        assert!(w
            .cast(&Point2::new(1.0, 1.0), &Vector2::new(0.0, -1.0), 0.5)
            .is_none());
    }

    #[test]
    fn pallets_keep_clear_of_the_route_and_racks_rasterise_exactly() {
        let p = params();
        let route = p.aisle_route();
        let w = Warehouse::generate(&p, &route, &mut StdRng::seed_from_u64(3));
        assert_eq!(w.pallets().len(), 4);
        for seg in route.windows(2) {
            assert!(w.segment_clear(&seg[0], &seg[1], 0.5), "{seg:?}");
        }
        let g = w.grid_geometry(0.1).unwrap();
        let truth = w.rasterize(&g).unwrap();
        let blocked = truth.as_slice().iter().filter(|&&b| b).count();
        // Cells overlapping obstacles: a rectangle of a x b cells' worth of area covers
        // (a + 1)(b + 1) cells (edges through centres). Walls: the outer ring of the
        // 207 x 127-cell grid, 4 cells thick on each side (3 cells of wall and the half cell
        // beyond, the inner half cell); 4 racks of 60 x 10 cells; 4 pallets of 10 x 10.
        let walls = 207.0 * 127.0 - 199.0 * 119.0;
        let expected = walls + 4.0 * 61.0 * 11.0 + 4.0 * 11.0 * 11.0;
        assert!(
            (blocked as f64 - expected).abs() < 0.5,
            "{blocked} vs {expected}"
        );
    }

    #[test]
    fn poses_are_evenly_spaced_along_the_route() {
        let route = [
            Point2::new(0.0, 0.0),
            Point2::new(2.0, 0.0),
            Point2::new(2.0, 1.0),
        ];
        let poses = route_poses(&route, 0.5);
        assert_eq!(poses.len(), 7);
        assert!((poses[4].translation.vector - Vector2::new(2.0, 0.0)).norm() < 1e-12);
        assert!((poses[5].rotation.angle() - std::f64::consts::FRAC_PI_2).abs() < 1e-12);
    }
}
