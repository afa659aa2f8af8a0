//! Tracking performance metrics: per-scan set distances (OSPA, GOSPA) and track-level scores
//! over a run (CLEAR MOT: MOTA, MOTP, IDF1, identity switches, fragmentations).
//!
//! All distances are Euclidean, in the units of the points given (metres, usually).

mod clear_mot;
mod gospa;
mod ospa;

pub use clear_mot::{ClearMot, MotSummary, ScanMot};
pub use gospa::{Gospa, GospaValue};
pub use ospa::{Ospa, OspaValue};

use nalgebra::SVector;

use super::{LinearAssignment, TrackingError};

fn check_cutoff_order(c: f64, p: f64) -> Result<(), TrackingError> {
    if !(c.is_finite() && c > 0.0) {
        return Err(TrackingError::InvalidParameter {
            name: "c",
            reason: format!("cut-off must be finite and positive, got {c}"),
        });
    }
    if !(p.is_finite() && p >= 1.0) {
        return Err(TrackingError::InvalidParameter {
            name: "p",
            reason: format!("order must be finite and >= 1, got {p}"),
        });
    }
    Ok(())
}

fn check_points<const D: usize>(
    points: &[SVector<f64, D>],
    what: &'static str,
) -> Result<(), TrackingError> {
    match points.iter().position(|p| !p.iter().all(|v| v.is_finite())) {
        Some(index) => Err(TrackingError::NonFinite { what, index }),
        None => Ok(()),
    }
}

/// `(index in a, index in b, min(d, c)^p)`.
type AssignedPair = (usize, usize, f64);

/// The `min(d, c)^p` cost matrix and its optimal assignment, with reused buffers.
#[derive(Debug, Clone, Default)]
struct CutoffCosts {
    solver: LinearAssignment,
    costs: Vec<f64>,
    pairs: Vec<AssignedPair>,
}

impl CutoffCosts {
    /// Assigns `a` to `b` on `min(|a_i - b_j|, c)^p`; returns `(i, j, cost)` triples and the sum.
    fn solve<const D: usize>(
        &mut self,
        a: &[SVector<f64, D>],
        b: &[SVector<f64, D>],
        c: f64,
        p: f64,
    ) -> Result<(&[AssignedPair], f64), TrackingError> {
        let cp = c.powf(p);
        self.costs.clear();
        for x in a {
            for y in b {
                let d = (x - y).norm();
                self.costs.push(if d < c { d.powf(p) } else { cp });
            }
        }
        let sol = self.solver.solve(&self.costs, a.len(), b.len())?;
        self.pairs.clear();
        let n = b.len();
        for &(i, j) in sol.pairs {
            self.pairs.push((i, j, self.costs[i * n + j]));
        }
        Ok((&self.pairs, sol.cost))
    }
}
