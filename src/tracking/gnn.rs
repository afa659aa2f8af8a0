//! Global nearest neighbour (GNN) association: the single best assignment of detections to
//! tracks, with a finite price for leaving a track unassigned.

use super::association::{AssociationInput, AssociationOutput, Associator};
use super::{LinearAssignment, TrackingError};

/// The cost of assigning a detection to a track, from the squared Mahalanobis distance
/// `d^2 = y^T S^-1 y` of the innovation `y` with covariance `S`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GnnCost {
    /// `d` (Stone Soup's `Mahalanobis` measure).
    #[default]
    Mahalanobis,
    /// `d^2`.
    SquaredMahalanobis,
    /// `d^2 + ln det S` (MATLAB's normalised distance: penalises tracks with large gates).
    NormalizedDistance,
    /// `-ln N(z; zhat, S) = (d^2 + ln det S + M ln 2 pi) / 2`.
    NegativeLogLikelihood,
}

impl GnnCost {
    /// The cost of a pair with squared distance `d2`, `ln det S` and log-likelihood `ll`.
    #[inline]
    pub fn cost(&self, d2: f64, ln_det_s: f64, ll: f64) -> f64 {
        match self {
            Self::Mahalanobis => d2.sqrt(),
            Self::SquaredMahalanobis => d2,
            Self::NormalizedDistance => d2 + ln_det_s,
            Self::NegativeLogLikelihood => -ll,
        }
    }

    /// The name used in scenario files: `"mahalanobis"`, `"squared_mahalanobis"`,
    /// `"normalized_distance"`, `"negative_log_likelihood"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Mahalanobis => "mahalanobis",
            Self::SquaredMahalanobis => "squared_mahalanobis",
            Self::NormalizedDistance => "normalized_distance",
            Self::NegativeLogLikelihood => "negative_log_likelihood",
        }
    }
}

/// Global nearest neighbour association.
///
/// Among the gated pairs, finds the assignment (each track at most one detection, each detection
/// at most one track) minimising
///
/// ```text
/// sum over assigned pairs of cost(t, j)  +  missed_cost x (number of unassigned tracks)
/// ```
///
/// with `cost` from [`GnnCost`]. A finite `missed_cost` keeps the problem feasible whatever the
/// gates (more tracks than detections, a track with nothing in its gate) and means a pair is
/// only worth assigning when its cost is below it. Ungated pairs are forbidden.
///
/// The problem splits exactly over the clusters of tracks that share gated detections, so each
/// cluster is solved on its own with [`LinearAssignment::solve_with_unassigned`] (a single-track
/// cluster takes its cheapest detection if that beats `missed_cost`). The optimum is that of the
/// whole problem; only the choice between exactly tied optima can differ from a global solve.
///
/// # Matching Stone Soup
/// Stone Soup's `GNNWith2DAssignment` with a `DistanceHypothesiser(measure=Mahalanobis(),
/// missed_distance=m)` solves `[D | diag(m)]` (off-diagonal `+inf`), keeping only pairs with
/// `d < m`. That is this associator with [`GnnCost::Mahalanobis`], `missed_cost = m`, and a
/// gate of squared distance `m^2` ([`Gating::new`](super::Gating::new)`(m * m)`).
///
/// # Complexity
/// Per cluster of `T` tracks and `D` detections, `O(T^2 (T + D))`; clusters are usually tiny,
/// so a scan costs about linear time in the number of gated pairs.
///
/// ```
/// use kestrel::tracking::{Gnn, GnnCost};
/// let gnn = Gnn::new(GnnCost::Mahalanobis, 3.0).unwrap();
/// assert_eq!(gnn.missed_cost(), 3.0);
/// assert!(Gnn::new(GnnCost::Mahalanobis, f64::INFINITY).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct Gnn {
    cost: GnnCost,
    missed_cost: f64,
    solver: LinearAssignment,
    costs: Vec<f64>,
    row_unassigned: Vec<f64>,
    col_unassigned: Vec<f64>,
}

impl Gnn {
    /// GNN with the given pair cost and the finite cost of leaving a track unassigned.
    ///
    /// # Errors
    /// [`TrackingError::InvalidParameter`] if `missed_cost` is not finite.
    pub fn new(cost: GnnCost, missed_cost: f64) -> Result<Self, TrackingError> {
        if !missed_cost.is_finite() {
            return Err(TrackingError::InvalidParameter {
                name: "missed cost",
                reason: format!("must be finite, got {missed_cost}"),
            });
        }
        Ok(Self {
            cost,
            missed_cost,
            solver: LinearAssignment::new(),
            costs: Vec::new(),
            row_unassigned: Vec::new(),
            col_unassigned: Vec::new(),
        })
    }

    /// The pair cost.
    pub fn cost(&self) -> GnnCost {
        self.cost
    }

    /// The cost of an unassigned track.
    pub fn missed_cost(&self) -> f64 {
        self.missed_cost
    }

    fn pair_cost(&self, input: &AssociationInput<'_>, k: usize) -> f64 {
        let p = &input.pairs[k];
        self.cost.cost(
            p.distance_squared,
            input.ln_det_s[p.track],
            input.log_likelihoods[k],
        )
    }
}

impl Associator for Gnn {
    fn associate(
        &mut self,
        input: &AssociationInput<'_>,
        output: &mut AssociationOutput,
    ) -> Result<(), TrackingError> {
        input.validate()?;
        output.reset(input.n_tracks, input.pairs.len(), false);
        for cluster in input.clusters {
            output.largest_cluster = output.largest_cluster.max(cluster.tracks.len());
            if cluster.detections.is_empty() {
                continue;
            }
            if let [t] = cluster.tracks[..] {
                // One track: its cheapest gated detection, if cheaper than missing.
                let mut best = None;
                let mut best_cost = self.missed_cost;
                for k in input.pairs_of(t) {
                    let c = self.pair_cost(input, k);
                    if c < best_cost {
                        best_cost = c;
                        best = Some(k);
                    }
                }
                if let Some(k) = best {
                    output.pair_weights[k] = 1.0;
                    output.missed[t] = 0.0;
                }
                continue;
            }
            let (nt, nd) = (cluster.tracks.len(), cluster.detections.len());
            self.costs.clear();
            self.costs.resize(nt * nd, f64::INFINITY);
            for (a, &t) in cluster.tracks.iter().enumerate() {
                for k in input.pairs_of(t) {
                    let d = input.pairs[k].detection;
                    if let Ok(col) = cluster.detections.binary_search(&d) {
                        self.costs[a * nd + col] = self.pair_cost(input, k);
                    }
                }
            }
            self.row_unassigned.clear();
            self.row_unassigned.resize(nt, self.missed_cost);
            self.col_unassigned.clear();
            self.col_unassigned.resize(nd, 0.0);
            let solution = self.solver.solve_with_unassigned(
                &self.costs,
                nt,
                nd,
                &self.row_unassigned,
                &self.col_unassigned,
            )?;
            for (a, col) in solution.row_to_col.iter().enumerate() {
                let Some(col) = *col else { continue };
                let t = cluster.tracks[a];
                let d = cluster.detections[col];
                let range = input.pairs_of(t);
                let start = range.start;
                if let Ok(offset) = input.pairs[range].binary_search_by_key(&d, |p| p.detection) {
                    output.pair_weights[start + offset] = 1.0;
                    output.missed[t] = 0.0;
                }
            }
        }
        Ok(())
    }

    fn name(&self) -> &'static str {
        "gnn"
    }
}
