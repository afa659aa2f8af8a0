//! One scan of the tracker: detections, predict, gate, associate, update, initiate.

use nalgebra::SVector;

use super::{DeletedTrack, DeletionReason, ScanReport, Tracker};
use crate::tracking::association::{AssociationInput, Associator};
use crate::tracking::initiation::Initiator;
use crate::tracking::track::{Track, TrackId};
use crate::tracking::track_filter::TrackFilter;
use crate::tracking::track_logic::{ScanEvidence, TrackLogic, TrackStatus};
use crate::tracking::{Extent, ExtentSmoother, TrackingError};

/// `M ln(2 pi)` for the Gaussian log-likelihood.
fn ln_2pi_times(m: usize) -> f64 {
    m as f64 * (2.0 * std::f64::consts::PI).ln()
}

impl<F, A, L, I, const N: usize, const M: usize> Tracker<F, A, L, I, N, M>
where
    F: TrackFilter<N, M>,
    A: Associator,
    L: TrackLogic,
    I: Initiator<F, M>,
{
    /// Processes one scan of detections taken `dt` seconds after the previous one (see the
    /// [module docs](super) for the steps) and returns its report.
    ///
    /// # Errors
    /// [`TrackingError::InvalidParameter`] for a negative or non-finite `dt`; nothing changes
    /// then. Problems with individual detections or tracks are not errors: they are listed in
    /// the report and the scan goes on with the rest.
    pub fn step(
        &mut self,
        dt: f64,
        detections: &[SVector<f64, M>],
    ) -> Result<&ScanReport, TrackingError> {
        self.step_impl(dt, detections, None)
    }

    /// As [`Tracker::step`], with one measured [`Extent`] (bounding box) per detection, for
    /// extended objects (see [`cluster_detections`](crate::tracking::cluster_detections)).
    /// Tracks keep a smoothed extent ([`Tracker::with_extent_smoothing`], default gain 0.3).
    ///
    /// # Errors
    /// As [`Tracker::step`], and [`TrackingError::DimensionMismatch`] if `extents` and
    /// `detections` differ in length. A detection with an invalid extent (non-finite or negative
    /// half extent) is used without its extent.
    pub fn step_with_extents(
        &mut self,
        dt: f64,
        detections: &[SVector<f64, M>],
        extents: &[Extent],
    ) -> Result<&ScanReport, TrackingError> {
        if extents.len() != detections.len() {
            return Err(TrackingError::DimensionMismatch {
                what: "extents",
                expected: detections.len(),
                found: extents.len(),
            });
        }
        self.step_impl(dt, detections, Some(extents))
    }

    fn step_impl(
        &mut self,
        dt: f64,
        detections: &[SVector<f64, M>],
        extents: Option<&[Extent]>,
    ) -> Result<&ScanReport, TrackingError> {
        if !(dt.is_finite() && dt >= 0.0) {
            return Err(TrackingError::InvalidParameter {
                name: "dt",
                reason: format!("the time step must be finite and >= 0, got {dt}"),
            });
        }
        self.scan += 1;
        self.report.reset(self.scan, detections.len());
        self.select_detections(detections, extents);
        self.predict_tracks(dt);
        self.gate_and_associate();
        self.update_tracks();
        self.remove_deleted();
        self.initiate(dt);
        self.report.tracks = self.tracks.len();
        self.report.confirmed_tracks = self.tracks.iter().filter(|t| t.is_confirmed()).count();
        Ok(&self.report)
    }

    /// Keeps finite, non-duplicate detections (in index order) in `self.dets`.
    fn select_detections(&mut self, detections: &[SVector<f64, M>], extents: Option<&[Extent]>) {
        let finite = |z: &SVector<f64, M>| z.iter().all(|v| v.is_finite());
        self.order.clear();
        for (i, z) in detections.iter().enumerate() {
            if finite(z) {
                self.order.push(i);
            } else {
                self.report.rejected.push(TrackingError::NonFinite {
                    what: "detection",
                    index: i,
                });
            }
        }
        // Bit-identical duplicates: sort by coordinates (then index), keep the first of each run.
        let cmp = |a: &usize, b: &usize| {
            let (za, zb) = (&detections[*a], &detections[*b]);
            za.iter()
                .zip(zb.iter())
                .map(|(x, y)| x.total_cmp(y))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.cmp(b))
        };
        self.order.sort_unstable_by(cmp);
        self.duplicate.clear();
        self.duplicate.resize(detections.len(), false);
        let mut first = 0;
        for k in 1..self.order.len() {
            let (a, b) = (self.order[first], self.order[k]);
            let same = detections[a]
                .iter()
                .zip(detections[b].iter())
                .all(|(x, y)| x.to_bits() == y.to_bits());
            if same {
                self.duplicate[b] = true;
                self.report.duplicates.push((b, a));
            } else {
                first = k;
            }
        }
        self.report.duplicates.sort_unstable();
        self.dets.clear();
        self.det_index.clear();
        self.det_extent.clear();
        for (i, z) in detections.iter().enumerate() {
            if finite(z) && !self.duplicate[i] {
                self.dets.push(*z);
                self.det_index.push(i);
                self.det_extent
                    .push(extents.map(|e| e[i]).filter(Extent::is_valid));
            }
        }
        self.report.valid_detections = self.dets.len();
    }

    fn predict_tracks(&mut self, dt: f64) {
        for t in &mut self.tracks {
            self.logic.predict(&mut t.logic);
            t.age = t.age.saturating_add(1);
            if let Err(e) = t.filter.predict(dt) {
                self.report.filter_errors.push((t.id, e));
                let was_confirmed = t.is_confirmed();
                t.status = TrackStatus::Deleted;
                self.report.deleted.push(DeletedTrack {
                    id: t.id,
                    was_confirmed,
                    age: t.age,
                    hits: t.hits,
                    reason: DeletionReason::FilterFailure,
                });
            }
        }
    }

    /// Gates every live track and runs the associator (`self.output`, rows `self.rows`).
    fn gate_and_associate(&mut self) {
        self.rows.clear();
        self.zhat.clear();
        self.covs.clear();
        self.gates.clear();
        self.ln_det.clear();
        self.existence.clear();
        for (i, t) in self.tracks.iter_mut().enumerate() {
            t.gate = None;
            if t.status == TrackStatus::Deleted {
                continue;
            }
            let prediction = t.filter.measurement_prediction().and_then(|mp| {
                let finite = mp
                    .zhat
                    .iter()
                    .chain(mp.covariance.iter())
                    .all(|v| v.is_finite());
                let chol = mp.covariance.cholesky().filter(|_| finite).ok_or(
                    crate::estimation::EstimationError::NotPositiveDefinite {
                        what: "innovation covariance S",
                    },
                )?;
                let ln_det: f64 = 2.0 * chol.l().diagonal().iter().map(|v| v.ln()).sum::<f64>();
                Ok((mp, ln_det))
            });
            match prediction {
                Ok((mp, ln_det)) => {
                    t.gate = Some(mp);
                    self.rows.push(i);
                    self.zhat.push(mp.zhat);
                    self.covs.push(mp.covariance);
                    self.gates.push(mp);
                    self.ln_det.push(ln_det);
                    self.existence.push(self.logic.existence(&t.logic));
                }
                Err(e) => self.report.filter_errors.push((t.id, e)),
            }
        }
        if let Some(first) = self.rows.first() {
            let angles = self.tracks[*first].filter.measurement_angles();
            if self.gate_angles != Some(angles) {
                self.gating = self.gating.clone().with_angle_components(angles);
                self.gate_angles = Some(angles);
            }
        }
        self.pairs.clear();
        match self.gating.gate(&self.zhat, &self.covs, &self.dets) {
            Ok(pairs) => self.pairs.extend_from_slice(pairs),
            Err(e) => self.report.association_error = Some(e),
        }
        self.report.pairs_examined = self.gating.pairs_examined();
        self.report.gated_pairs = self.pairs.len();
        let c = ln_2pi_times(M);
        self.log_likelihoods.clear();
        self.log_likelihoods.extend(
            self.pairs
                .iter()
                .map(|p| -0.5 * (p.distance_squared + c + self.ln_det[p.track])),
        );
        let n_rows = self.rows.len();
        self.track_pairs.clear();
        self.track_pairs.resize(n_rows + 1, 0);
        for p in &self.pairs {
            self.track_pairs[p.track + 1] += 1;
        }
        for r in 0..n_rows {
            self.track_pairs[r + 1] += self.track_pairs[r];
        }
        let clusters = match self.clusters.build(
            n_rows,
            self.dets.len(),
            self.pairs.iter().map(|p| (p.track, p.detection)),
        ) {
            Ok(c) => c,
            Err(e) => {
                self.report.association_error = Some(e);
                self.output.reset(n_rows, self.pairs.len(), false);
                return;
            }
        };
        self.report.clusters = clusters.len();
        let input = AssociationInput {
            n_tracks: n_rows,
            n_detections: self.dets.len(),
            pairs: &self.pairs,
            log_likelihoods: &self.log_likelihoods,
            ln_det_s: &self.ln_det,
            existence: &self.existence,
            track_pairs: &self.track_pairs,
            clusters,
        };
        if let Err(e) = self.associator.associate(&input, &mut self.output) {
            self.report.association_error = Some(e);
            let soft = self.output.soft;
            self.output.reset(n_rows, self.pairs.len(), soft);
        }
        self.report.largest_cluster = self.output.largest_cluster;
        self.report.approximated_clusters = self.output.approximated_clusters;
    }

    fn update_tracks(&mut self) {
        // the largest association probability of each detection over all tracks
        self.claimed.clear();
        self.claimed.resize(self.dets.len(), 0.0);
        for (p, &w) in self.pairs.iter().zip(&self.output.pair_weights) {
            let best = &mut self.claimed[p.detection];
            *best = best.max(w);
        }
        let smoother = self
            .extent_smoother
            .or_else(|| ExtentSmoother::new(0.3).ok());
        let soft = self.output.soft;
        let mut row = 0;
        for i in 0..self.tracks.len() {
            if self.tracks[i].status == TrackStatus::Deleted {
                continue;
            }
            let gated = self.rows.get(row) == Some(&i);
            let t = &mut self.tracks[i];
            t.associations.clear();
            self.cand_z.clear();
            self.cand_w.clear();
            self.cand_ll.clear();
            let mut missed = 1.0;
            let mut existence = None;
            let mut dominant = 0.0;
            if gated {
                let r = row;
                row += 1;
                missed = self.output.missed[r];
                existence = self.output.existence[r];
                for k in self.track_pairs[r]..self.track_pairs[r + 1] {
                    let w = self.output.pair_weights[k];
                    let d = self.pairs[k].detection;
                    if w > 0.0 && w >= self.claimed[d] {
                        dominant += w;
                    }
                    if soft || w > 0.0 {
                        self.cand_z.push(self.dets[d]);
                        self.cand_w.push(w);
                        self.cand_ll.push(self.log_likelihoods[k]);
                        t.associations.push((self.det_index[d], w));
                    }
                }
            }
            let detected = 1.0 - missed;
            let mut update_failed = false;
            if detected > 0.0 && !self.cand_z.is_empty() {
                let result = if soft {
                    t.filter.update_weighted(&self.cand_z, &self.cand_w, missed)
                } else {
                    t.filter.update(&self.cand_z[0]).map(|_| ())
                };
                if let Err(e) = result {
                    self.report.filter_errors.push((t.id, e));
                    update_failed = true;
                }
            }
            let evidence = if update_failed {
                ScanEvidence::MISSED
            } else {
                ScanEvidence {
                    association_probability: detected,
                    dominant_probability: if soft { dominant } else { detected },
                    log_likelihoods: &self.cand_ll,
                    soft,
                    existence,
                }
            };
            if !update_failed {
                if let Some(smoother) = smoother {
                    update_extent(t, &smoother, &self.det_extent, &self.det_index, detected);
                }
            }
            t.missed_probability = missed;
            t.existence = existence;
            if detected >= 0.5 && !update_failed {
                t.hits = t.hits.saturating_add(1);
                t.consecutive_misses = 0;
            } else {
                t.consecutive_misses = t.consecutive_misses.saturating_add(1);
            }
            let before = t.status;
            t.status = self.logic.update(&mut t.logic, before, &evidence);
            if before == TrackStatus::Tentative && t.status == TrackStatus::Confirmed {
                self.report.confirmed.push(t.id);
            }
            if t.status == TrackStatus::Deleted {
                self.report.deleted.push(DeletedTrack {
                    id: t.id,
                    was_confirmed: before == TrackStatus::Confirmed,
                    age: t.age,
                    hits: t.hits,
                    reason: DeletionReason::Logic,
                });
            }
        }
    }

    fn remove_deleted(&mut self) {
        self.tracks.retain(|t| t.status != TrackStatus::Deleted);
        self.report.deleted.sort_unstable_by_key(|d| d.id);
    }

    fn initiate(&mut self, dt: f64) {
        // Total association probability of each detection over all tracks.
        self.claimed.clear();
        self.claimed.resize(self.dets.len(), 0.0);
        for (p, w) in self.pairs.iter().zip(&self.output.pair_weights) {
            self.claimed[p.detection] += w;
        }
        self.unclaimed.clear();
        let threshold = self.initiation_threshold;
        self.unclaimed.extend(
            self.claimed
                .iter()
                .enumerate()
                .filter(|(_, &c)| c <= threshold)
                .map(|(d, _)| d),
        );
        self.initiated.clear();
        self.initiator
            .initiate(dt, &self.dets, &self.unclaimed, &mut self.initiated);
        for (d, e) in self.initiated.failures.drain(..) {
            let index = self.det_index.get(d).copied().unwrap_or(d);
            self.report.initiation_failures.push((index, e));
        }
        for (filter, d) in self.initiated.tracks.drain(..) {
            let (state, status) = self.logic.initiate();
            let id = TrackId(self.next_id);
            self.next_id += 1;
            let mut track = Track::new(id, status, filter, state, self.scan);
            if let Some(index) = self.det_index.get(d) {
                track.associations.push((*index, 1.0));
            }
            track.extent = self.det_extent.get(d).copied().flatten();
            self.tracks.push(track);
            self.report.initiated.push(id);
            if status == TrackStatus::Confirmed {
                self.report.confirmed.push(id);
            }
        }
    }
}

/// Smooths a track's extent with the extents of its associated detections.
fn update_extent<F, S, const M: usize>(
    t: &mut Track<F, S, M>,
    smoother: &ExtentSmoother,
    det_extent: &[Option<Extent>],
    det_index: &[usize],
    detected: f64,
) {
    if detected <= 0.0 {
        return;
    }
    // associations hold original indices; map back through det_index (ascending)
    let measured = ExtentSmoother::weighted_mean(t.associations.iter().filter_map(|&(i, w)| {
        let local = det_index.binary_search(&i).ok()?;
        det_extent[local].map(|e| (e, w))
    }));
    let Some(measured) = measured else { return };
    match t.extent.as_mut() {
        Some(e) => smoother.update(e, &measured, detected),
        None => t.extent = Some(measured),
    }
}
