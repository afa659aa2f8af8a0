//! GOSPA: the generalised optimal sub-pattern assignment metric with `alpha = 2` (Rahmathullah,
//! Garcia-Fernandez and Svensson 2017, "Generalized optimal sub-pattern assignment metric",
//! FUSION), which splits into localisation, missed-target and false-target parts.

use nalgebra::SVector;

use super::{check_cutoff_order, check_points, CutoffCosts};
use crate::tracking::TrackingError;

/// The GOSPA distance of one scan and its decomposition.
///
/// `distance^p = localisation + missed + false_targets` (the three parts are in units of
/// distance to the power `p`, as Stone Soup reports them).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GospaValue {
    /// `d_p^(c,2)(X, Y)`, in the units of the points.
    pub distance: f64,
    /// `sum d(x_i, y_j)^p` over the assigned pairs (all closer than `c`).
    pub localisation: f64,
    /// `c^p / 2` times the number of missed truths.
    pub missed: f64,
    /// `c^p / 2` times the number of false estimates.
    pub false_targets: f64,
    /// Number of truths left unassigned.
    pub n_missed: usize,
    /// Number of estimates left unassigned.
    pub n_false: usize,
}

/// GOSPA of cut-off `c`, order `p` and `alpha = 2`, with reusable buffers.
///
/// For truths `X` (`|X| = m`) and estimates `Y` (`|Y| = n`):
/// `d_p^(c,2)(X, Y) = (min over partial assignments gamma of
/// sum_{(i,j) in gamma} d(x_i, y_j)^p + (c^p / 2) (m + n - 2 |gamma|))^(1/p)`.
/// It equals the optimal assignment on the cost `min(d, c)^p`, where pairs at distance `>= c` are
/// counted as one missed and one false target. There is no `1/n` normalisation: the value grows
/// with the number of errors. Euclidean distance in the units of the points.
///
/// [`Gospa::truth_to_estimate`] gives the assignment of the last computation (the input to a
/// switching penalty or a track-level analysis).
///
/// # Errors
/// [`TrackingError::InvalidParameter`] unless `0 < c < inf` and `1 <= p < inf`;
/// [`TrackingError::NonFinite`] for a point with a non-finite coordinate (`what` is "truth" or
/// "estimate").
///
/// # Complexity
/// `O(m n D)` for the distances plus one `m x n` assignment, `O(min(m,n)^2 max(m,n))`.
///
/// # Example
/// ```
/// use nalgebra::Vector2;
/// use kestrel::tracking::metrics::Gospa;
/// let truth = [Vector2::new(0.0, 0.0), Vector2::new(10.0, 0.0)];
/// let est = [Vector2::new(1.0, 0.0), Vector2::new(10.0, 2.0), Vector2::new(50.0, 50.0)];
/// let v = Gospa::new(5.0, 1.0).unwrap().compute(&truth, &est).unwrap();
/// assert!((v.distance - 5.5).abs() < 1e-12); // 1 + 2 + 5/2 (one false target)
/// assert_eq!((v.n_missed, v.n_false), (0, 1));
/// ```
#[derive(Debug, Clone)]
pub struct Gospa {
    c: f64,
    p: f64,
    costs: CutoffCosts,
    truth_to_estimate: Vec<Option<usize>>,
}

impl Gospa {
    /// A GOSPA metric with cut-off `c` (distance units), order `p` and `alpha = 2`.
    pub fn new(c: f64, p: f64) -> Result<Self, TrackingError> {
        check_cutoff_order(c, p)?;
        Ok(Self {
            c,
            p,
            costs: CutoffCosts::default(),
            truth_to_estimate: Vec::new(),
        })
    }

    /// For each truth of the last [`Gospa::compute`], its estimate (`None`: missed).
    pub fn truth_to_estimate(&self) -> &[Option<usize>] {
        &self.truth_to_estimate
    }

    /// GOSPA between the truths `truth` and the estimates `estimates`.
    pub fn compute<const D: usize>(
        &mut self,
        truth: &[SVector<f64, D>],
        estimates: &[SVector<f64, D>],
    ) -> Result<GospaValue, TrackingError> {
        check_points(truth, "truth")?;
        check_points(estimates, "estimate")?;
        let (m, n) = (truth.len(), estimates.len());
        let cp = self.c.powf(self.p);
        self.truth_to_estimate.clear();
        self.truth_to_estimate.resize(m, None);
        let mut localisation = 0.0;
        let mut assigned = 0;
        if m > 0 && n > 0 {
            let (pairs, _) = self.costs.solve(truth, estimates, self.c, self.p)?;
            for &(i, j, cost) in pairs {
                // a pair at the cut-off is no better than a miss plus a false target
                if cost < cp {
                    localisation += cost;
                    assigned += 1;
                    self.truth_to_estimate[i] = Some(j);
                }
            }
        }
        let (n_missed, n_false) = (m - assigned, n - assigned);
        let missed = 0.5 * cp * n_missed as f64;
        let false_targets = 0.5 * cp * n_false as f64;
        Ok(GospaValue {
            distance: (localisation + missed + false_targets).powf(1.0 / self.p),
            localisation,
            missed,
            false_targets,
            n_missed,
            n_false,
        })
    }
}
