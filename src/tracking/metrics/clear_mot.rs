//! CLEAR MOT (Bernardin and Stiefelhagen 2008, "Evaluating multiple object tracking
//! performance: the CLEAR MOT metrics", EURASIP JIVP) and the identity metrics IDF1 / IDP / IDR
//! (Ristani et al. 2016), with the event conventions of py-motmetrics.

use std::collections::BTreeMap;

use nalgebra::SVector;

use super::check_points;
use crate::tracking::{LinearAssignment, TrackingError};

/// The events of one scan.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ScanMot {
    /// Ground-truth objects present.
    pub n_truth: usize,
    /// Tracker hypotheses present.
    pub n_hypotheses: usize,
    /// Truth-hypothesis correspondences that keep (or start) an identity.
    pub matches: usize,
    /// Correspondences that change a truth's hypothesis (identity switches, IDSW).
    pub switches: usize,
    /// Truths without a hypothesis (false negatives, FN).
    pub misses: usize,
    /// Hypotheses without a truth (false positives, FP).
    pub false_positives: usize,
    /// Truths tracked again after having been lost (track breaks closed this scan).
    pub fragmentations: usize,
    /// Sum of the distances of all correspondences (matches and switches).
    pub distance_sum: f64,
}

impl ScanMot {
    /// `1 - (FN + FP + IDSW) / GT` for this scan; `None` when no truth is present.
    pub fn mota(&self) -> Option<f64> {
        (self.n_truth > 0).then(|| {
            1.0 - (self.misses + self.false_positives + self.switches) as f64 / self.n_truth as f64
        })
    }

    /// Mean distance of this scan's correspondences; `None` when there are none.
    pub fn motp(&self) -> Option<f64> {
        let n = self.matches + self.switches;
        (n > 0).then(|| self.distance_sum / n as f64)
    }
}

/// Totals and scores of a whole run.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MotSummary {
    /// Scans processed.
    pub n_frames: usize,
    /// Sum over scans of truths present (GT).
    pub n_truth: usize,
    /// Sum over scans of hypotheses present.
    pub n_hypotheses: usize,
    /// Correspondences that kept an identity.
    pub matches: usize,
    /// Identity switches (IDSW, "track switches").
    pub switches: usize,
    /// False negatives (FN).
    pub misses: usize,
    /// False positives (FP).
    pub false_positives: usize,
    /// Fragmentations ("track breaks"): times a truth went from tracked to untracked and was
    /// tracked again later.
    pub fragmentations: usize,
    /// `1 - (FN + FP + IDSW) / GT` (`NaN`-free: 0 truths gives `None`).
    pub mota: Option<f64>,
    /// Mean distance of all correspondences (distance units); `None` without any.
    pub motp: Option<f64>,
    /// Identity true positives: scans in which a truth is within the threshold of the
    /// hypothesis its identity is globally mapped to (optimal one-to-one map over the run).
    pub idtp: usize,
    /// Identity false positives `n_hypotheses - idtp`.
    pub idfp: usize,
    /// Identity false negatives `n_truth - idtp`.
    pub idfn: usize,
    /// `2 IDTP / (GT + hypotheses)`; `None` when both are 0.
    pub idf1: Option<f64>,
    /// `IDTP / (IDTP + IDFP)`.
    pub idp: Option<f64>,
    /// `IDTP / (IDTP + IDFN)`.
    pub idr: Option<f64>,
    /// Truths tracked in at least 80 % of the scans they are present in.
    pub mostly_tracked: usize,
    /// Truths tracked in 20 % to 80 % of their scans.
    pub partially_tracked: usize,
    /// Truths tracked in less than 20 % of their scans.
    pub mostly_lost: usize,
}

#[derive(Debug, Clone, Copy, Default)]
struct TruthState {
    /// Hypothesis this truth was last matched to (kept while the truth is absent).
    hypothesis: Option<u64>,
    frames: usize,
    tracked: usize,
    prev_tracked: bool,
    open_gap: bool,
}

/// CLEAR MOT and identity metrics accumulated scan by scan.
///
/// Each scan gives the ground-truth objects and the tracker's hypotheses as (id, position)
/// lists. A truth and a hypothesis *may correspond* when their Euclidean distance is at most
/// the matching threshold `tau` (distance units, inclusive). Per scan, as py-motmetrics does:
/// 1. a truth keeps the hypothesis it was last matched to (in any earlier scan) if that
///    hypothesis is present and may correspond;
/// 2. the remaining truths and hypotheses are matched by an optimal assignment that first
///    maximises the number of correspondences, then minimises their total distance; a
///    correspondence whose truth was last matched to another hypothesis is an identity switch;
/// 3. unmatched truths are misses (FN), unmatched hypotheses false positives (FP).
///
/// MOTA `= 1 - sum(FN + FP + IDSW) / sum(GT)`, MOTP = mean distance of the correspondences (the
/// CLEAR MOT paper's distance form; py-motmetrics fed Euclidean distances gives the same), IDF1
/// `= 2 IDTP / (GT + hypotheses)` with IDTP from the optimal one-to-one map between truth and
/// hypothesis identities over the whole run, counting scans where the two may correspond.
/// A fragmentation (track break) counts each time a truth is tracked again after being
/// missed, within its tracked span.
///
/// # Errors
/// [`TrackingError::DimensionMismatch`] if ids and positions differ in length;
/// [`TrackingError::NonFinite`] for a non-finite position; [`TrackingError::InvalidParameter`]
/// for a repeated id within a scan or a threshold that is not finite and positive.
///
/// # Complexity
/// Per scan `O(G H)` distances and an assignment on the unmatched part; memory grows with the
/// number of distinct identities and corresponding (truth, hypothesis) identity pairs.
///
/// # Example
/// ```
/// use nalgebra::Vector2;
/// use kestrel::tracking::metrics::ClearMot;
/// let mut mot = ClearMot::new(1.0).unwrap();
/// let truth = [Vector2::new(0.0, 0.0), Vector2::new(10.0, 0.0)];
/// // scan 0: both tracked; scan 1: the tracks swap identities
/// mot.update(&[1, 2], &truth, &[7, 8], &[Vector2::new(0.5, 0.0), Vector2::new(10.0, 0.5)]).unwrap();
/// let s = mot.update(&[1, 2], &truth, &[8, 7], &[Vector2::new(0.0, 0.0), Vector2::new(10.0, 0.0)]).unwrap();
/// assert_eq!(s.switches, 2);
/// let sum = mot.summary();
/// assert_eq!(sum.mota, Some(0.5)); // 1 - 2 / 4
/// assert_eq!(sum.motp, Some(0.25)); // (0.5 + 0.5 + 0 + 0) / 4
/// assert_eq!(sum.idf1, Some(0.5)); // IDTP = 2 of 4 truths and 4 hypotheses
/// ```
#[derive(Debug, Clone)]
pub struct ClearMot {
    threshold: f64,
    truths: BTreeMap<u64, TruthState>,
    /// Scans in which each (truth id, hypothesis id) pair may correspond.
    pair_counts: BTreeMap<(u64, u64), usize>,
    hyp_ids: BTreeMap<u64, usize>,
    totals: MotSummary,
    solver: LinearAssignment,
    dist: Vec<f64>,
    costs: Vec<f64>,
    truth_matched: Vec<bool>,
    hyp_matched: Vec<bool>,
}

impl ClearMot {
    /// An accumulator with matching threshold `tau` (distance units, finite and positive).
    pub fn new(threshold: f64) -> Result<Self, TrackingError> {
        if !(threshold.is_finite() && threshold > 0.0) {
            return Err(TrackingError::InvalidParameter {
                name: "matching threshold",
                reason: format!("must be finite and positive, got {threshold}"),
            });
        }
        Ok(Self {
            threshold,
            truths: BTreeMap::new(),
            pair_counts: BTreeMap::new(),
            hyp_ids: BTreeMap::new(),
            totals: MotSummary::default(),
            solver: LinearAssignment::new(),
            dist: Vec::new(),
            costs: Vec::new(),
            truth_matched: Vec::new(),
            hyp_matched: Vec::new(),
        })
    }

    /// Adds one scan: truth ids and positions, hypothesis ids and positions.
    pub fn update<const D: usize>(
        &mut self,
        truth_ids: &[u64],
        truth: &[SVector<f64, D>],
        hyp_ids: &[u64],
        hyps: &[SVector<f64, D>],
    ) -> Result<ScanMot, TrackingError> {
        for (ids, pts, what) in [
            (truth_ids, truth, "truth positions"),
            (hyp_ids, hyps, "hypothesis positions"),
        ] {
            if ids.len() != pts.len() {
                return Err(TrackingError::DimensionMismatch {
                    what,
                    expected: ids.len(),
                    found: pts.len(),
                });
            }
        }
        check_points(truth, "truth")?;
        check_points(hyps, "hypothesis")?;
        check_unique(truth_ids, "truth ids")?;
        check_unique(hyp_ids, "hypothesis ids")?;
        let (g, h) = (truth.len(), hyps.len());
        let tau = self.threshold;
        // distances, NaN where the pair may not correspond
        self.dist.clear();
        for t in truth {
            for y in hyps {
                let d = (t - y).norm();
                self.dist.push(if d <= tau { d } else { f64::NAN });
            }
        }
        let mut scan = ScanMot {
            n_truth: g,
            n_hypotheses: h,
            ..ScanMot::default()
        };
        self.truth_matched.clear();
        self.truth_matched.resize(g, false);
        self.hyp_matched.clear();
        self.hyp_matched.resize(h, false);
        if g > 0 && h > 0 {
            // 1. keep established correspondences
            for (i, id) in truth_ids.iter().enumerate() {
                let Some(prev) = self.truths.get(id).and_then(|s| s.hypothesis) else {
                    continue;
                };
                let Some(j) = (0..h).find(|&j| !self.hyp_matched[j] && hyp_ids[j] == prev) else {
                    continue;
                };
                let d = self.dist[i * h + j];
                if !d.is_nan() {
                    self.truth_matched[i] = true;
                    self.hyp_matched[j] = true;
                    scan.matches += 1;
                    scan.distance_sum += d;
                }
            }
            // 2. optimal assignment of the rest: most correspondences first, then least distance
            let mut max_abs: f64 = 0.0;
            let mut any = false;
            for i in 0..g {
                for j in 0..h {
                    let d = self.dist[i * h + j];
                    if !d.is_nan() && !self.truth_matched[i] && !self.hyp_matched[j] {
                        max_abs = max_abs.max(d.abs());
                        any = true;
                    }
                }
            }
            if any {
                let big = 2.0 * g.min(h) as f64 * (max_abs + 1.0) + 1.0;
                self.costs.clear();
                for i in 0..g {
                    for j in 0..h {
                        let d = self.dist[i * h + j];
                        let valid = !d.is_nan() && !self.truth_matched[i] && !self.hyp_matched[j];
                        self.costs.push(if valid { d } else { big });
                    }
                }
                let sol = self.solver.solve(&self.costs, g, h)?;
                for &(i, j) in sol.pairs {
                    if self.costs[i * h + j] == big {
                        continue;
                    }
                    let d = self.dist[i * h + j];
                    let state = self.truths.entry(truth_ids[i]).or_default();
                    match state.hypothesis {
                        Some(prev) if prev != hyp_ids[j] => scan.switches += 1,
                        _ => scan.matches += 1,
                    }
                    state.hypothesis = Some(hyp_ids[j]);
                    scan.distance_sum += d;
                    self.truth_matched[i] = true;
                    self.hyp_matched[j] = true;
                }
            }
        }
        scan.misses = self.truth_matched.iter().filter(|m| !**m).count();
        scan.false_positives = self.hyp_matched.iter().filter(|m| !**m).count();
        // per-truth bookkeeping: tracked ratio and fragmentations
        for (i, &id) in truth_ids.iter().enumerate() {
            let s = self.truths.entry(id).or_default();
            s.frames += 1;
            if self.truth_matched[i] {
                s.tracked += 1;
                if s.open_gap {
                    scan.fragmentations += 1;
                    s.open_gap = false;
                }
                s.prev_tracked = true;
            } else {
                if s.prev_tracked {
                    s.open_gap = true;
                }
                s.prev_tracked = false;
            }
        }
        // identity co-occurrences (within the threshold) for IDF1
        for (i, &t) in truth_ids.iter().enumerate() {
            for (j, &y) in hyp_ids.iter().enumerate() {
                if !self.dist[i * h + j].is_nan() {
                    *self.pair_counts.entry((t, y)).or_default() += 1;
                }
            }
        }
        for &id in hyp_ids {
            *self.hyp_ids.entry(id).or_default() += 1;
        }
        let t = &mut self.totals;
        t.n_frames += 1;
        t.n_truth += g;
        t.n_hypotheses += h;
        t.matches += scan.matches;
        t.switches += scan.switches;
        t.misses += scan.misses;
        t.false_positives += scan.false_positives;
        t.fragmentations += scan.fragmentations;
        t.motp = Some(t.motp.unwrap_or(0.0) + scan.distance_sum); // running sum until summary
        Ok(scan)
    }

    /// The scores of the run so far.
    pub fn summary(&self) -> MotSummary {
        let mut s = self.totals;
        let correspondences = s.matches + s.switches;
        s.motp = (correspondences > 0).then(|| s.motp.unwrap_or(0.0) / correspondences as f64);
        s.mota = (s.n_truth > 0)
            .then(|| 1.0 - (s.misses + s.false_positives + s.switches) as f64 / s.n_truth as f64);
        s.idtp = self.identity_true_positives();
        s.idfp = s.n_hypotheses - s.idtp;
        s.idfn = s.n_truth - s.idtp;
        let ratio = |a: usize, b: usize| (b > 0).then(|| a as f64 / b as f64);
        s.idf1 = ratio(2 * s.idtp, s.n_truth + s.n_hypotheses);
        s.idp = ratio(s.idtp, s.idtp + s.idfp);
        s.idr = ratio(s.idtp, s.idtp + s.idfn);
        for t in self.truths.values().filter(|t| t.frames > 0) {
            let r = t.tracked as f64 / t.frames as f64;
            if r >= 0.8 {
                s.mostly_tracked += 1;
            } else if r >= 0.2 {
                s.partially_tracked += 1;
            } else {
                s.mostly_lost += 1;
            }
        }
        s
    }

    /// Maximum total co-occurrence over one-to-one maps between truth and hypothesis ids.
    fn identity_true_positives(&self) -> usize {
        if self.pair_counts.is_empty() {
            return 0;
        }
        let truth_index: BTreeMap<u64, usize> = self
            .truths
            .keys()
            .enumerate()
            .map(|(i, &id)| (id, i))
            .collect();
        let hyp_index: BTreeMap<u64, usize> = self
            .hyp_ids
            .keys()
            .enumerate()
            .map(|(i, &id)| (id, i))
            .collect();
        let (n, m) = (truth_index.len(), hyp_index.len());
        let mut costs = vec![0.0; n * m];
        for (&(t, h), &c) in &self.pair_counts {
            costs[truth_index[&t] * m + hyp_index[&h]] = -(c as f64);
        }
        let mut solver = LinearAssignment::new();
        match solver.solve(&costs, n, m) {
            Ok(a) => (-a.cost).round() as usize,
            Err(_) => 0, // unreachable: every entry is finite
        }
    }
}

fn check_unique(ids: &[u64], what: &'static str) -> Result<(), TrackingError> {
    for (k, id) in ids.iter().enumerate() {
        if ids[..k].contains(id) {
            return Err(TrackingError::InvalidParameter {
                name: what,
                reason: format!("id {id} appears twice in one scan"),
            });
        }
    }
    Ok(())
}
