//! Joint probabilistic data association (JPDA) with existence (JIPDA): exact marginal
//! association probabilities per cluster, and a k-best (Murty) approximation for clusters too
//! large to enumerate.
//!
//! # Joint events
//! A joint event assigns each track of a cluster either one of its gated detections or nothing,
//! no detection twice. With detection probability `P_D`, gate probability `P_G`, clutter density
//! `lambda` (false detections per unit measurement volume) and existence probabilities `r_t`
//! (1 unless the track logic models existence), its weight is
//!
//! ```text
//! w(event) = prod_{(t, j) assigned} r_t P_D N(z_j; zhat_t, S_t) / lambda  x  prod_{t missed} (1 - r_t P_D P_G)
//! ```
//!
//! and the marginal `beta_tj` is the normalised sum of the weights of the events that assign
//! `j` to `t` (`beta_t0`: that miss `t`). With every `r_t = 1` this is the parametric JPDA of
//! Bar-Shalom and Fortmann (1988) as in Stone Soup's `JPDA` with its `PDAHypothesiser` (with
//! `clutter_spatial_density = lambda`, `prob_detect = P_D`, `prob_gate = P_G`, and a gate of
//! `chi2.ppf(P_G, M)`: [`Gating::from_probability`](super::Gating::from_probability)`(P_G)`).
//!
//! # Existence (JIPDA, Musicki and Evans 2004)
//! Writing the missed factor as `(1 - r) + r (1 - P_D P_G)` (the track does not exist, or exists
//! and was missed), the posterior existence of track `t` is
//! `r_t' = (1 - beta_t0) + beta_t0 r_t (1 - P_D P_G) / (1 - r_t P_D P_G)` and the weights used
//! for the state update are conditioned on existence: `beta_tj / r_t'` and
//! `beta_t0 r_t (1 - P_D P_G) / (1 - r_t P_D P_G) / r_t'`.
//!
//! # Exact marginals without enumerating events
//! Tracks are taken one after another; the state after `a` tracks is the set of detections
//! already used *that later tracks could still use*. Events that reach the same state are merged
//! (their weights add), so the forward sums `F_a(state)` and backward sums `B_a(state)` give
//! every marginal as `sum F_a(s) w_tc B_{a+1}(s + c)`. This is the hypothesis tree of Maskell,
//! Briers and Wright's "Fast mutual exclusion" (EHM, 2004): the marginals equal those of full
//! enumeration (the tests check against Stone Soup's brute force and an in-test enumeration),
//! at a cost of `O(states x choices)` instead of the number of events.
//!
//! # Bounded time: the k-best approximation
//! The size of a cluster, for this purpose, is the number of merged hypotheses its exact
//! evaluation needs: at most the product of the tracks' choice counts, and at most `2^D` for `D`
//! shared detections, so a large cluster over few detections (many tentative tracks around one
//! object) stays cheap and exact. A cluster whose merged state count exceeds `max_states` at some
//! track (default 50 000), with more than 128 detections, or with more than `max_exact_tracks`
//! tracks (default: no limit) is solved approximately: Murty's algorithm
//! ([`KBestAssignments`]) lists its `k` most probable joint events from the costs `-ln w`, and
//! the marginals are computed over those events only (MATLAB's `trackerJPDA` does the same with
//! `MaxNumEvents`). The approximation keeps the dominant events; the probability of events beyond
//! the `k`-th is dropped.
//!
//! Murty's cost per event is about `T^3 (T + D)` for `T` tracks and `D` detections, so `k` is
//! `k_best` (default 100) reduced to `max(1, murty_budget / (T^3 (T + D)))` (default budget
//! `2e8`): a clutter burst that links hundreds of tracks gets few events (down to the single best
//! one, a GNN-like hard decision) instead of stalling the tracker.

use super::association::{AssociationInput, AssociationOutput, Associator};
use super::{KBestAssignments, TrackingError};

const MISSED: u32 = u32::MAX;

/// The state after adding choice `d` to the used detections `m`: `None` if `d` is already used.
#[inline]
fn advance(m: u128, d: u32) -> Option<u128> {
    if d == MISSED {
        Some(m)
    } else if m & (1u128 << d) != 0 {
        None
    } else {
        Some(m | 1u128 << d)
    }
}

/// JPDA / JIPDA associator. See the [module docs](self).
///
/// ```
/// use kestrel::tracking::Jpda;
/// let jpda = Jpda::new(0.9, 0.99, 1e-3).unwrap();
/// assert_eq!(jpda.detection_probability(), 0.9);
/// assert!(Jpda::new(1.5, 0.99, 1e-3).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct Jpda {
    pd: f64,
    pg: f64,
    clutter_density: f64,
    max_exact_tracks: usize,
    max_states: usize,
    k_best: usize,
    murty_budget: f64,
    // per-cluster choices, flattened: choices of local track a are start[a]..start[a + 1]
    choice_start: Vec<usize>,
    choice_det: Vec<u32>,
    choice_w: Vec<f64>,
    choice_pair: Vec<usize>,
    num: Vec<f64>,
    suffix: Vec<u128>,
    level_start: Vec<usize>,
    masks: Vec<u128>,
    fwd: Vec<f64>,
    bwd: Vec<f64>,
    scratch: Vec<(u128, f64)>,
    murty: KBestAssignments,
    costs: Vec<f64>,
    row_unassigned: Vec<f64>,
    col_unassigned: Vec<f64>,
}

impl Jpda {
    /// JPDA with detection probability `pd`, gate probability `pg` and clutter density
    /// `clutter_density` (false detections per unit measurement volume per scan).
    ///
    /// # Errors
    /// [`TrackingError::InvalidParameter`] unless `0 < pd <= 1`, `0 < pg <= 1`, `pd pg < 1`
    /// and the density is finite and positive.
    pub fn new(pd: f64, pg: f64, clutter_density: f64) -> Result<Self, TrackingError> {
        for (name, p) in [("detection probability", pd), ("gate probability", pg)] {
            if !(p > 0.0 && p <= 1.0) {
                return Err(TrackingError::InvalidParameter {
                    name,
                    reason: format!("must be in (0, 1], got {p}"),
                });
            }
        }
        if pd * pg >= 1.0 {
            return Err(TrackingError::InvalidParameter {
                name: "detection probability",
                reason: "P_D P_G must be below 1 (a missed track would be impossible)".into(),
            });
        }
        if !(clutter_density.is_finite() && clutter_density > 0.0) {
            return Err(TrackingError::InvalidParameter {
                name: "clutter density",
                reason: format!("must be finite and positive, got {clutter_density}"),
            });
        }
        Ok(Self {
            pd,
            pg,
            clutter_density,
            max_exact_tracks: usize::MAX,
            max_states: 50_000,
            k_best: 100,
            murty_budget: 2e8,
            choice_start: Vec::new(),
            choice_det: Vec::new(),
            choice_w: Vec::new(),
            choice_pair: Vec::new(),
            num: Vec::new(),
            suffix: Vec::new(),
            level_start: Vec::new(),
            masks: Vec::new(),
            fwd: Vec::new(),
            bwd: Vec::new(),
            scratch: Vec::new(),
            murty: KBestAssignments::new(),
            costs: Vec::new(),
            row_unassigned: Vec::new(),
            col_unassigned: Vec::new(),
        })
    }

    /// Sets the limits of exact evaluation: clusters with more than `max_exact_tracks` tracks,
    /// or needing more than `max_states` merged states at some track, use at most the `k_best`
    /// most probable joint events instead (see the [module docs](self)).
    ///
    /// # Errors
    /// [`TrackingError::InvalidParameter`] if any limit is 0.
    pub fn with_limits(
        mut self,
        max_exact_tracks: usize,
        max_states: usize,
        k_best: usize,
    ) -> Result<Self, TrackingError> {
        if max_exact_tracks == 0 || max_states == 0 || k_best == 0 {
            return Err(TrackingError::InvalidParameter {
                name: "JPDA limits",
                reason: "max_exact_tracks, max_states and k_best must be positive".into(),
            });
        }
        self.max_exact_tracks = max_exact_tracks;
        self.max_states = max_states;
        self.k_best = k_best;
        Ok(self)
    }

    /// Sets the work budget of the k-best approximation per cluster (default `2e8`): `k` is
    /// reduced to `max(1, budget / (T^3 (T + D)))` for a cluster of `T` tracks and `D`
    /// detections.
    ///
    /// # Errors
    /// [`TrackingError::InvalidParameter`] unless the budget is finite and positive.
    pub fn with_murty_budget(mut self, budget: f64) -> Result<Self, TrackingError> {
        if !(budget.is_finite() && budget > 0.0) {
            return Err(TrackingError::InvalidParameter {
                name: "Murty budget",
                reason: format!("must be finite and positive, got {budget}"),
            });
        }
        self.murty_budget = budget;
        Ok(self)
    }

    /// The number of events the k-best approximation keeps for a cluster of `n_tracks` tracks
    /// and `n_detections` detections.
    ///
    /// ```
    /// use kestrel::tracking::Jpda;
    /// let jpda = Jpda::new(0.9, 0.99, 1e-3).unwrap();
    /// assert_eq!(jpda.events_for(8, 40), 100); // k_best
    /// assert_eq!(jpda.events_for(100, 100), 1); // 1e8 per event: one event within 2e8
    /// ```
    pub fn events_for(&self, n_tracks: usize, n_detections: usize) -> usize {
        let t = n_tracks as f64;
        let work = t * t * t * (t + n_detections as f64);
        let k = (self.murty_budget / work.max(1.0)).floor();
        (k.min(self.k_best as f64) as usize).max(1)
    }

    /// `P_D`.
    pub fn detection_probability(&self) -> f64 {
        self.pd
    }

    /// `P_G`.
    pub fn gate_probability(&self) -> f64 {
        self.pg
    }

    /// `lambda`.
    pub fn clutter_density(&self) -> f64 {
        self.clutter_density
    }

    /// Fills the choice lists of a cluster: for each local track, "missed" first, then its gated
    /// detections in the cluster's local numbering, with weights scaled by the track's largest.
    fn build_choices(&mut self, input: &AssociationInput<'_>, tracks: &[usize], dets: &[usize]) {
        self.choice_start.clear();
        self.choice_det.clear();
        self.choice_w.clear();
        self.choice_pair.clear();
        let ln_pd = self.pd.ln();
        let ln_lambda = self.clutter_density.ln();
        for &t in tracks {
            self.choice_start.push(self.choice_det.len());
            let r = input.existence[t].clamp(0.0, 1.0);
            let first = self.choice_w.len();
            self.choice_det.push(MISSED);
            self.choice_w.push((1.0 - r * self.pd * self.pg).ln());
            self.choice_pair.push(usize::MAX);
            for k in input.pairs_of(t) {
                let d = input.pairs[k].detection;
                let Ok(local) = dets.binary_search(&d) else {
                    continue;
                };
                self.choice_det.push(local as u32);
                self.choice_w
                    .push(r.ln() + ln_pd + input.log_likelihoods[k] - ln_lambda);
                self.choice_pair.push(k);
            }
            let max = self.choice_w[first..]
                .iter()
                .copied()
                .fold(f64::NEG_INFINITY, f64::max);
            for w in &mut self.choice_w[first..] {
                *w = if max.is_finite() {
                    (*w - max).exp()
                } else {
                    0.0
                };
            }
        }
        self.choice_start.push(self.choice_det.len());
        self.num.clear();
        self.num.resize(self.choice_det.len(), 0.0);
    }

    /// Exact marginals (unnormalised, per choice, in `self.num`) by the merged hypothesis tree.
    /// Returns `false` if the state budget is exceeded.
    fn exact(&mut self, n_tracks: usize) -> bool {
        let bit = |d: u32| 1u128 << d;
        // suffix[a]: detections usable by tracks after a
        self.suffix.clear();
        self.suffix.resize(n_tracks, 0);
        let mut acc = 0u128;
        for a in (0..n_tracks).rev() {
            self.suffix[a] = acc;
            for c in self.choice_start[a]..self.choice_start[a + 1] {
                if self.choice_det[c] != MISSED {
                    acc |= bit(self.choice_det[c]);
                }
            }
        }
        self.masks.clear();
        self.fwd.clear();
        self.level_start.clear();
        self.level_start.push(0);
        self.masks.push(0);
        self.fwd.push(1.0);
        self.level_start.push(1);
        for a in 0..n_tracks {
            let (lo, hi) = (self.level_start[a], self.level_start[a + 1]);
            self.scratch.clear();
            for s in lo..hi {
                let (m, f) = (self.masks[s], self.fwd[s]);
                for c in self.choice_start[a]..self.choice_start[a + 1] {
                    let Some(next) = advance(m, self.choice_det[c]) else {
                        continue;
                    };
                    self.scratch
                        .push((next & self.suffix[a], f * self.choice_w[c]));
                }
                if self.scratch.len() > self.max_states {
                    return false;
                }
            }
            self.scratch.sort_unstable_by_key(|&(m, _)| m);
            let start = self.masks.len();
            let mut max = 0.0f64;
            for &(m, f) in &self.scratch {
                if self.masks.len() > start && *self.masks.last().unwrap_or(&0) == m {
                    if let Some(last) = self.fwd.last_mut() {
                        *last += f;
                        max = max.max(*last);
                    }
                } else {
                    self.masks.push(m);
                    self.fwd.push(f);
                    max = max.max(f);
                }
            }
            if max > 0.0 {
                for f in &mut self.fwd[start..] {
                    *f /= max;
                }
            }
            self.level_start.push(self.masks.len());
        }
        // Backward sums; the last level is the single empty state.
        self.bwd.clear();
        self.bwd.resize(self.masks.len(), 0.0);
        if let Some(last) = self.bwd.last_mut() {
            *last = 1.0;
        }
        for a in (0..n_tracks).rev() {
            let (lo, hi) = (self.level_start[a], self.level_start[a + 1]);
            let (nlo, nhi) = (self.level_start[a + 1], self.level_start[a + 2]);
            let mut max = 0.0f64;
            for s in lo..hi {
                let (m, f) = (self.masks[s], self.fwd[s]);
                let mut b = 0.0;
                for c in self.choice_start[a]..self.choice_start[a + 1] {
                    let Some(next) = advance(m, self.choice_det[c]) else {
                        continue;
                    };
                    let next = next & self.suffix[a];
                    let Ok(idx) = self.masks[nlo..nhi].binary_search(&next) else {
                        continue;
                    };
                    let contribution = self.choice_w[c] * self.bwd[nlo + idx];
                    b += contribution;
                    self.num[c] += f * contribution;
                }
                self.bwd[s] = b;
                max = max.max(b);
            }
            if max > 0.0 {
                for b in &mut self.bwd[lo..hi] {
                    *b /= max;
                }
            }
        }
        true
    }

    /// Approximate marginals (unnormalised, in `self.num`) over the `k` best joint events.
    fn k_best_events(&mut self, n_tracks: usize, n_dets: usize) -> Result<(), TrackingError> {
        self.costs.clear();
        self.costs.resize(n_tracks * n_dets, f64::INFINITY);
        self.row_unassigned.clear();
        self.col_unassigned.clear();
        self.col_unassigned.resize(n_dets, 0.0);
        // The "missed" weight of a track can be 0 only if r = 1 and P_D P_G = 1 (rejected).
        for a in 0..n_tracks {
            let first = self.choice_start[a];
            self.row_unassigned
                .push(-self.choice_w[first].max(1e-300).ln());
            for c in first + 1..self.choice_start[a + 1] {
                let w = self.choice_w[c];
                if w > 0.0 {
                    self.costs[a * n_dets + self.choice_det[c] as usize] = -w.ln();
                }
            }
        }
        let events = self.murty.solve_with_unassigned(
            &self.costs,
            n_tracks,
            n_dets,
            &self.row_unassigned,
            &self.col_unassigned,
            self.events_for(n_tracks, n_dets),
        )?;
        let Some(best) = events.first().map(|e| e.cost) else {
            return Ok(());
        };
        for event in &events {
            let w = (best - event.cost).exp();
            for (a, col) in event.row_to_col.iter().enumerate() {
                let range = self.choice_start[a]..self.choice_start[a + 1];
                let c = match col {
                    None => range.start,
                    Some(col) => match self.choice_det[range.clone()]
                        .iter()
                        .position(|&d| d == *col as u32)
                    {
                        Some(offset) => range.start + offset,
                        None => continue,
                    },
                };
                self.num[c] += w;
            }
        }
        Ok(())
    }

    /// Writes normalised (and existence-conditioned) weights of the cluster into `output`.
    fn write(
        &self,
        input: &AssociationInput<'_>,
        tracks: &[usize],
        output: &mut AssociationOutput,
    ) {
        let q = self.pd * self.pg;
        for (a, &t) in tracks.iter().enumerate() {
            let range = self.choice_start[a]..self.choice_start[a + 1];
            let total: f64 = self.num[range.clone()].iter().sum();
            if !(total > 0.0 && total.is_finite()) {
                output.missed[t] = 1.0;
                output.existence[t] = Some(input.existence[t]);
                continue;
            }
            let r = input.existence[t].clamp(0.0, 1.0);
            let beta0 = self.num[range.start] / total;
            let exists_missed = if r >= 1.0 {
                beta0
            } else {
                beta0 * r * (1.0 - q) / (1.0 - r * q)
            };
            let posterior = (1.0 - beta0) + exists_missed;
            output.existence[t] = Some(posterior);
            if posterior <= 0.0 {
                output.missed[t] = 1.0;
                continue;
            }
            output.missed[t] = exists_missed / posterior;
            for c in range.start + 1..range.end {
                output.pair_weights[self.choice_pair[c]] = self.num[c] / total / posterior;
            }
        }
    }
}

impl Associator for Jpda {
    fn associate(
        &mut self,
        input: &AssociationInput<'_>,
        output: &mut AssociationOutput,
    ) -> Result<(), TrackingError> {
        input.validate()?;
        output.reset(input.n_tracks, input.pairs.len(), true);
        for cluster in input.clusters {
            let (tracks, dets) = (&cluster.tracks, &cluster.detections);
            output.largest_cluster = output.largest_cluster.max(tracks.len());
            self.build_choices(input, tracks, dets);
            let n = tracks.len();
            if n == 1 || dets.is_empty() {
                // Independent tracks: the marginals are the normalised choice weights.
                self.num.copy_from_slice(&self.choice_w);
            } else {
                let exact = n <= self.max_exact_tracks && dets.len() <= 128 && self.exact(n);
                if !exact {
                    self.num.iter_mut().for_each(|v| *v = 0.0);
                    self.k_best_events(n, dets.len())?;
                    output.approximated_clusters += 1;
                }
            }
            self.write(input, tracks, output);
        }
        Ok(())
    }

    fn name(&self) -> &'static str {
        "jpda"
    }
}
