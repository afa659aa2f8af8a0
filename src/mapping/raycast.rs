//! Grid traversal of a segment: the cells a beam crosses (Amanatides & Woo, 1987) and the
//! conservative "supercover" used for collision checks.
//!
//! Both work in continuous grid coordinates (cells, see
//! [`GridGeometry::world_to_grid`](super::GridGeometry::world_to_grid)); a point lies in cell
//! `(floor(x), floor(y))`.

use nalgebra::Vector2;

use super::grid::{floor_to_i32, Cell};

/// The cells crossed by the segment from `a` to `b` (grid coordinates), in order, from the
/// cell of `a` to the cell of `b` inclusive (Amanatides & Woo's voxel traversal).
///
/// Consecutive cells share an edge, so the sequence has
/// `|bx - ax| + |by - ay| + 1` cells (cell coordinates). Where the segment passes exactly through
/// a cell corner, the step along x is taken first. A segment lying on a grid line visits the
/// cells above / to the right of it (the floor convention). Work is O(number of cells).
///
/// Coordinates must lie inside the `i32` range; clip long segments to the grid first.
///
/// ```
/// use kestrel::mapping::{Cell, RayCells};
/// use nalgebra::Vector2;
/// // From the middle of cell (2, 0) leftwards and up to cell (0, 1).
/// let cells: Vec<Cell> = RayCells::new(Vector2::new(2.5, 0.5), Vector2::new(0.2, 1.4)).collect();
/// assert_eq!(cells, [Cell::new(2, 0), Cell::new(1, 0), Cell::new(1, 1), Cell::new(0, 1)]);
/// ```
#[derive(Debug, Clone)]
pub struct RayCells {
    cell: Cell,
    step_x: i32,
    step_y: i32,
    left_x: u32,
    left_y: u32,
    t_max_x: f64,
    t_max_y: f64,
    t_delta_x: f64,
    t_delta_y: f64,
    done: bool,
}

impl RayCells {
    /// The traversal from `a` to `b`. Non-finite input gives an empty traversal.
    pub fn new(a: Vector2<f64>, b: Vector2<f64>) -> Self {
        let finite = a.x.is_finite() && a.y.is_finite() && b.x.is_finite() && b.y.is_finite();
        let c0 = Cell::new(floor_to_i32(a.x), floor_to_i32(a.y));
        let c1 = Cell::new(floor_to_i32(b.x), floor_to_i32(b.y));
        let (step_x, left_x, t_max_x, t_delta_x) = axis(a.x, b.x, c0.x, c1.x);
        let (step_y, left_y, t_max_y, t_delta_y) = axis(a.y, b.y, c0.y, c1.y);
        RayCells {
            cell: c0,
            step_x,
            step_y,
            left_x,
            left_y,
            t_max_x,
            t_max_y,
            t_delta_x,
            t_delta_y,
            done: !finite,
        }
    }

    /// Cells still to come, including the current one.
    #[inline]
    pub fn remaining(&self) -> usize {
        if self.done {
            0
        } else {
            self.left_x as usize + self.left_y as usize + 1
        }
    }
}

/// Per-axis set-up: step direction, steps to take, parameter of the first boundary crossing,
/// parameter spacing of boundaries (the segment runs for t in [0, 1]).
#[inline]
fn axis(a: f64, b: f64, c0: i32, c1: i32) -> (i32, u32, f64, f64) {
    let d = b - a;
    let steps = (i64::from(c1) - i64::from(c0))
        .unsigned_abs()
        .min(u64::from(u32::MAX)) as u32;
    if c1 > c0 {
        ((1), steps, (f64::from(c0) + 1.0 - a) / d, 1.0 / d)
    } else if c1 < c0 {
        (-1, steps, (a - f64::from(c0)) / -d, -1.0 / d)
    } else {
        (0, 0, f64::INFINITY, f64::INFINITY)
    }
}

impl Iterator for RayCells {
    type Item = Cell;

    #[inline]
    fn next(&mut self) -> Option<Cell> {
        if self.done {
            return None;
        }
        let out = self.cell;
        let step_x = if self.left_x == 0 {
            if self.left_y == 0 {
                self.done = true;
                return Some(out);
            }
            false
        } else {
            self.left_y == 0 || self.t_max_x <= self.t_max_y
        };
        if step_x {
            self.cell.x += self.step_x;
            self.t_max_x += self.t_delta_x;
            self.left_x -= 1;
        } else {
            self.cell.y += self.step_y;
            self.t_max_y += self.t_delta_y;
            self.left_y -= 1;
        }
        Some(out)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.remaining();
        (n, Some(n))
    }
}

impl ExactSizeIterator for RayCells {}

/// Calls `visit` for every cell the segment from `a` to `b` touches (grid coordinates), stopping
/// early (and returning `false`) as soon as `visit` returns `false`.
///
/// A superset of [`RayCells`], for collision checks: where the segment passes exactly through a
/// cell corner, both side cells are visited as well as the diagonal one; a segment lying exactly
/// on a grid line visits the cells on both sides of it. A cell can be visited more than once.
/// Work is O(number of cells).
///
/// ```
/// use kestrel::mapping::supercover_cells;
/// use nalgebra::Vector2;
/// let mut cells = Vec::new();
/// // The diagonal from (0, 0) to (2, 2) crosses the corner (1, 1) exactly.
/// supercover_cells(Vector2::new(0.5, 0.5), Vector2::new(1.5, 1.5), |c| { cells.push((c.x, c.y)); true });
/// assert_eq!(cells, [(0, 0), (1, 0), (0, 1), (1, 1)]);
/// ```
pub fn supercover_cells(
    a: Vector2<f64>,
    b: Vector2<f64>,
    mut visit: impl FnMut(Cell) -> bool,
) -> bool {
    if !(a.x.is_finite() && a.y.is_finite() && b.x.is_finite() && b.y.is_finite()) {
        return true;
    }
    // Segments lying exactly on a grid line also touch the row (column) below (to the left).
    let on_row_line = a.y == b.y && a.y == a.y.floor();
    let on_col_line = a.x == b.x && a.x == a.x.floor();
    let mut ray = RayCells::new(a, b);
    let mut visit_all = |c: Cell| {
        visit(c)
            && (!on_row_line || visit(Cell::new(c.x, c.y - 1)))
            && (!on_col_line || visit(Cell::new(c.x - 1, c.y)))
    };
    loop {
        if ray.done {
            return true;
        }
        let c = ray.cell;
        if !visit_all(c) {
            return false;
        }
        // An exact corner crossing: touch both side cells, then move diagonally.
        if ray.left_x > 0 && ray.left_y > 0 && ray.t_max_x == ray.t_max_y {
            if !visit_all(Cell::new(c.x + ray.step_x, c.y))
                || !visit_all(Cell::new(c.x, c.y + ray.step_y))
            {
                return false;
            }
            ray.cell = Cell::new(c.x + ray.step_x, c.y + ray.step_y);
            ray.t_max_x += ray.t_delta_x;
            ray.t_max_y += ray.t_delta_y;
            ray.left_x -= 1;
            ray.left_y -= 1;
        } else {
            ray.next();
        }
    }
}

/// Clips the segment `a -> b` to the box `[0, w] x [0, h]` (Liang-Barsky). Returns the
/// parameters `(t0, t1)` of the part inside, or `None` when the segment misses the box.
pub(crate) fn clip_to_box(a: Vector2<f64>, b: Vector2<f64>, w: f64, h: f64) -> Option<(f64, f64)> {
    let d = b - a;
    let mut t0 = 0.0f64;
    let mut t1 = 1.0f64;
    for (p, q) in [(-d.x, a.x), (d.x, w - a.x), (-d.y, a.y), (d.y, h - a.y)] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
        }
    }
    (t0 <= t1).then_some((t0, t1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(a: (f64, f64), b: (f64, f64)) -> Vec<(i32, i32)> {
        RayCells::new(Vector2::new(a.0, a.1), Vector2::new(b.0, b.1))
            .map(|c| (c.x, c.y))
            .collect()
    }

    #[test]
    fn single_cell_and_axis_aligned() {
        assert_eq!(cells((0.2, 0.3), (0.9, 0.1)), [(0, 0)]);
        assert_eq!(
            cells((0.5, 0.5), (3.5, 0.5)),
            [(0, 0), (1, 0), (2, 0), (3, 0)]
        );
        assert_eq!(cells((0.5, -0.5), (0.5, -2.5)), [(0, -1), (0, -2), (0, -3)]);
    }

    #[test]
    fn clip_cases() {
        let (t0, t1) =
            clip_to_box(Vector2::new(-1.0, 0.5), Vector2::new(3.0, 0.5), 2.0, 1.0).unwrap();
        assert!((t0 - 0.25).abs() < 1e-15 && (t1 - 0.75).abs() < 1e-15);
        assert!(clip_to_box(Vector2::new(-1.0, 2.0), Vector2::new(3.0, 2.0), 2.0, 1.0).is_none());
        assert!(clip_to_box(Vector2::new(-1.0, -1.0), Vector2::new(-0.5, 3.0), 2.0, 1.0).is_none());
    }
}
