//! The k best assignments in order of cost: Murty's partitioning (Murty 1968, "An algorithm for
//! ranking all the assignments in order of increasing cost", Operations Research 16(3)).
//!
//! Starting from the optimal assignment, the remaining solution space is split into disjoint
//! subproblems: for a solution with free rows `r_1..r_q` (in row order), subproblem `t` forces
//! the pairs of `r_1..r_{t-1}` and forbids the pair of `r_t`. Each subproblem is solved with the
//! [`LinearAssignment`] solver on the rows and columns left free by its forced pairs, and the
//! best pending subproblem is expanded next (a priority queue). Every assignment appears exactly
//! once, so the first `k` popped are the `k` best.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::assignment::check_costs;
use super::{LinearAssignment, TrackingError};

/// One assignment in a ranked list.
#[derive(Debug, Clone, PartialEq)]
pub struct RankedAssignment {
    /// For each row of the cost matrix, its column or `None` when unassigned.
    pub row_to_col: Vec<Option<usize>>,
    /// Total cost (assigned pairs plus unassigned costs, as in [`LinearAssignment`]).
    pub cost: f64,
}

/// Murty's k-best assignment solver with reusable buffers.
///
/// Two problem forms, as for [`LinearAssignment`]:
/// - [`KBestAssignments::solve`]: complete assignments of the smaller side (all rows of a wide
///   matrix, all columns of a tall one);
/// - [`KBestAssignments::solve_with_unassigned`]: every row and column may stay unassigned at
///   its own finite cost (the JPDA / GNN form: a track may be missed, a detection may be
///   clutter). Each distinct row-to-column map (with `None` for unassigned) is one hypothesis.
///
/// Results come in non-decreasing order of cost; equal costs keep the order in which their
/// subproblems were created (deterministic). Fewer than `k` are returned when fewer exist.
///
/// # Errors
/// As [`LinearAssignment::solve`] / [`LinearAssignment::solve_with_unassigned`], except that an
/// infeasible problem returns an empty list. `k = 0` returns an empty list.
///
/// # Complexity
/// Each returned solution spawns at most `q` subproblems, each an assignment on at most
/// `q x max(n, m)` entries: `O(k q^3 max(n, m))` time in the worst case (`q = min(n, m)`, or
/// `n` with unassigned costs), plus one stored solution per pending subproblem.
///
/// # Example
/// ```
/// use kestrel::tracking::KBestAssignments;
/// let costs = [1.0, 2.0,
///              2.0, 4.0];
/// let mut murty = KBestAssignments::new();
/// let best = murty.solve(&costs, 2, 2, 5).unwrap();
/// assert_eq!(best.len(), 2); // a 2x2 matrix has exactly two complete assignments
/// assert_eq!(best[0].row_to_col, vec![Some(1), Some(0)]);
/// assert_eq!((best[0].cost, best[1].cost), (4.0, 5.0));
/// ```
#[derive(Debug, Clone, Default)]
pub struct KBestAssignments {
    solver: LinearAssignment,
    /// The problem as a wide matrix (rows <= columns), row-major.
    wide: Vec<f64>,
    /// Scratch for the reduced subproblem matrix.
    reduced: Vec<f64>,
    free_rows: Vec<usize>,
    free_cols: Vec<usize>,
    col_used: Vec<bool>,
    heap: BinaryHeap<Node>,
}

/// How a solution on the wide matrix maps back to the caller's rows.
#[derive(Clone, Copy)]
enum Form<'a> {
    /// Wide rows are the caller's rows.
    Rows,
    /// Wide rows are the caller's columns (tall input, transposed).
    Transposed,
    /// Wide matrix is `[C - 1 b^T | diag(a)]`; columns `>= m` mean "unassigned".
    Unassigned {
        costs: &'a [f64],
        row_unassigned: &'a [f64],
        col_unassigned: &'a [f64],
    },
}

#[derive(Debug, Clone)]
struct Node {
    /// Sum of wide-matrix entries of the solution (the order key).
    key: f64,
    seq: u64,
    /// Column of each wide row.
    solution: Vec<usize>,
    /// `forced[r]`: row `r` is fixed to its column in `solution`.
    forced: Vec<bool>,
    /// Forbidden `(row, col)` pairs of this subproblem.
    excluded: Vec<(usize, usize)>,
}

impl PartialEq for Node {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Node {}
impl PartialOrd for Node {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Node {
    // BinaryHeap is a max-heap: the smallest key (then the oldest) must compare greatest.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .key
            .total_cmp(&self.key)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

impl KBestAssignments {
    /// A solver with empty buffers.
    pub fn new() -> Self {
        Self::default()
    }

    /// The `k` cheapest complete assignments of the row-major `nrows x ncols` matrix `costs`
    /// (`+inf` entries are forbidden pairs).
    pub fn solve(
        &mut self,
        costs: &[f64],
        nrows: usize,
        ncols: usize,
        k: usize,
    ) -> Result<Vec<RankedAssignment>, TrackingError> {
        check_costs(costs, nrows, ncols)?;
        if nrows == 0 || ncols == 0 {
            return Ok(if k > 0 {
                vec![RankedAssignment {
                    row_to_col: vec![None; nrows],
                    cost: 0.0,
                }]
            } else {
                Vec::new()
            });
        }
        let mut wide = std::mem::take(&mut self.wide);
        wide.clear();
        let (nr, nc, form) = if nrows <= ncols {
            wide.extend_from_slice(costs);
            (nrows, ncols, Form::Rows)
        } else {
            wide.resize(nrows * ncols, 0.0);
            for i in 0..nrows {
                for j in 0..ncols {
                    wide[j * nrows + i] = costs[i * ncols + j];
                }
            }
            (ncols, nrows, Form::Transposed)
        };
        let out = self.rank(&wide, nr, nc, k, nrows, form);
        self.wide = wide;
        out
    }

    /// The `k` cheapest assignments when row `i` may stay unassigned at cost
    /// `row_unassigned[i]` and column `j` at cost `col_unassigned[j]` (all finite).
    ///
    /// ```
    /// use kestrel::tracking::KBestAssignments;
    /// // one track, one detection: assign (cost 1) or miss the track and call the detection
    /// // clutter (cost 2 + 3)
    /// let mut murty = KBestAssignments::new();
    /// let h = murty.solve_with_unassigned(&[1.0], 1, 1, &[2.0], &[3.0], 10).unwrap();
    /// assert_eq!(h.len(), 2);
    /// assert_eq!((h[0].row_to_col[0], h[0].cost), (Some(0), 1.0));
    /// assert_eq!((h[1].row_to_col[0], h[1].cost), (None, 5.0));
    /// ```
    pub fn solve_with_unassigned(
        &mut self,
        costs: &[f64],
        nrows: usize,
        ncols: usize,
        row_unassigned: &[f64],
        col_unassigned: &[f64],
        k: usize,
    ) -> Result<Vec<RankedAssignment>, TrackingError> {
        check_costs(costs, nrows, ncols)?;
        for (c, n, what) in [
            (row_unassigned, nrows, "row unassigned cost"),
            (col_unassigned, ncols, "column unassigned cost"),
        ] {
            if c.len() != n {
                return Err(TrackingError::DimensionMismatch {
                    what,
                    expected: n,
                    found: c.len(),
                });
            }
            if let Some(index) = c.iter().position(|x| !x.is_finite()) {
                return Err(TrackingError::NonFinite { what, index });
            }
        }
        let form = Form::Unassigned {
            costs,
            row_unassigned,
            col_unassigned,
        };
        if nrows == 0 {
            return Ok(if k > 0 {
                vec![RankedAssignment {
                    row_to_col: Vec::new(),
                    cost: col_unassigned.iter().sum(),
                }]
            } else {
                Vec::new()
            });
        }
        let width = ncols + nrows;
        let mut wide = std::mem::take(&mut self.wide);
        wide.clear();
        wide.resize(nrows * width, f64::INFINITY);
        for i in 0..nrows {
            for j in 0..ncols {
                wide[i * width + j] = costs[i * ncols + j] - col_unassigned[j];
            }
            wide[i * width + ncols + i] = row_unassigned[i];
        }
        let out = self.rank(&wide, nrows, width, k, nrows, form);
        self.wide = wide;
        out
    }

    fn rank(
        &mut self,
        wide: &[f64],
        nr: usize,
        nc: usize,
        k: usize,
        out_rows: usize,
        form: Form<'_>,
    ) -> Result<Vec<RankedAssignment>, TrackingError> {
        let mut out = Vec::new();
        self.heap.clear();
        if k == 0 {
            return Ok(out);
        }
        let mut seq = 0u64;
        let root = match self.solver.solve(wide, nr, nc) {
            Ok(a) => Node {
                key: a.cost,
                seq,
                solution: a.pairs.iter().map(|&(_, j)| j).collect(),
                forced: vec![false; nr],
                excluded: Vec::new(),
            },
            Err(TrackingError::Infeasible) => return Ok(out),
            Err(e) => return Err(e),
        };
        self.heap.push(root);
        while let Some(node) = self.heap.pop() {
            out.push(to_ranked(&node.solution, out_rows, form, wide, nc));
            if out.len() == k {
                break;
            }
            // Partition the rest of this node's space.
            let mut forced = node.forced.clone();
            let mut forced_key: f64 = (0..nr)
                .filter(|&r| forced[r])
                .map(|r| wide[r * nc + node.solution[r]])
                .sum();
            for r in 0..nr {
                if forced[r] {
                    continue;
                }
                let mut excluded = node.excluded.clone();
                excluded.push((r, node.solution[r]));
                if let Some((solution, key)) =
                    self.solve_child(wide, nr, nc, &forced, &node.solution, &excluded)?
                {
                    seq += 1;
                    self.heap.push(Node {
                        key: forced_key + key,
                        seq,
                        solution,
                        forced: forced.clone(),
                        excluded,
                    });
                }
                forced[r] = true;
                forced_key += wide[r * nc + node.solution[r]];
            }
        }
        Ok(out)
    }

    /// Solves the subproblem on the rows not forced and the columns not taken by forced rows,
    /// with the excluded pairs forbidden. Returns the full solution and the cost of its free
    /// part, or `None` if infeasible.
    fn solve_child(
        &mut self,
        wide: &[f64],
        nr: usize,
        nc: usize,
        forced: &[bool],
        parent: &[usize],
        excluded: &[(usize, usize)],
    ) -> Result<Option<(Vec<usize>, f64)>, TrackingError> {
        self.col_used.clear();
        self.col_used.resize(nc, false);
        self.free_rows.clear();
        for r in 0..nr {
            if forced[r] {
                self.col_used[parent[r]] = true;
            } else {
                self.free_rows.push(r);
            }
        }
        self.free_cols.clear();
        self.free_cols
            .extend((0..nc).filter(|&c| !self.col_used[c]));
        let (fr, fc) = (self.free_rows.len(), self.free_cols.len());
        self.reduced.clear();
        for &r in &self.free_rows {
            for &c in &self.free_cols {
                self.reduced.push(wide[r * nc + c]);
            }
        }
        for &(r, c) in excluded {
            if forced[r] || self.col_used[c] {
                continue;
            }
            // positions in the reduced matrix (both lists are sorted)
            let (Ok(ri), Ok(ci)) = (
                self.free_rows.binary_search(&r),
                self.free_cols.binary_search(&c),
            ) else {
                continue;
            };
            self.reduced[ri * fc + ci] = f64::INFINITY;
        }
        match self.solver.solve(&self.reduced, fr, fc) {
            Ok(a) => {
                let mut solution = parent.to_vec();
                for &(ri, ci) in a.pairs {
                    solution[self.free_rows[ri]] = self.free_cols[ci];
                }
                Ok(Some((solution, a.cost)))
            }
            Err(TrackingError::Infeasible) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

fn to_ranked(
    solution: &[usize],
    out_rows: usize,
    form: Form<'_>,
    wide: &[f64],
    nc: usize,
) -> RankedAssignment {
    match form {
        Form::Rows => RankedAssignment {
            row_to_col: solution.iter().map(|&c| Some(c)).collect(),
            cost: solution
                .iter()
                .enumerate()
                .map(|(r, &c)| wide[r * nc + c])
                .sum(),
        },
        Form::Transposed => {
            // wide rows are original columns; wide columns are original rows
            let mut row_to_col = vec![None; out_rows];
            for (col, &row) in solution.iter().enumerate() {
                row_to_col[row] = Some(col);
            }
            let cost = row_to_col
                .iter()
                .enumerate()
                .filter_map(|(row, c)| c.map(|col| wide[col * nc + row]))
                .sum();
            RankedAssignment { row_to_col, cost }
        }
        Form::Unassigned {
            costs,
            row_unassigned,
            col_unassigned,
        } => {
            let m = col_unassigned.len();
            let mut taken = vec![false; m];
            let mut cost = 0.0;
            let row_to_col: Vec<Option<usize>> = solution
                .iter()
                .enumerate()
                .map(|(r, &c)| {
                    if c < m {
                        taken[c] = true;
                        cost += costs[r * m + c];
                        Some(c)
                    } else {
                        cost += row_unassigned[r];
                        None
                    }
                })
                .collect();
            cost += (0..m)
                .filter(|&j| !taken[j])
                .map(|j| col_unassigned[j])
                .sum::<f64>();
            RankedAssignment { row_to_col, cost }
        }
    }
}
