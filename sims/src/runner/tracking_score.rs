//! Scoring a multi-object tracker against the truth, scan by scan, with the library's metrics.
//!
//! Per scan, the confirmed tracks are compared with the targets present:
//! - GOSPA (cut-off `c`, order `p`, `alpha = 2`) with its localisation, missed and false parts,
//!   and OSPA (same `c`, `p`). GOSPA is evaluated on the connected groups of truths and estimates
//!   closer than `c` (pairs at `c` or more cost exactly a miss plus a false target, so the optimum
//!   splits over the groups; hundreds of well-separated targets then cost many small assignments
//!   instead of one large one). OSPA follows from the same optimum:
//!   `OSPA^p max(m, n) = GOSPA^p - c^p (m + n) / 2 + c^p max(m, n)`.
//! - CLEAR MOT ([`ClearMot`]) with the matching threshold: MOTA, MOTP, IDF1, identity switches
//!   ("swaps") and fragmentations ("track breaks").
//!
//! Over the run: the position RMSE of the truths matched (GOSPA assignment, closer than the
//! threshold); false tracks (confirmed tracks never matched to a truth); the confirmation
//! latency of each target (scans from its first scan to the first scan a confirmed track
//! matches it) and the deletion latency of the track following a target that disappears (scans
//! from the target's last scan to the scan its track is deleted).

use std::collections::{BTreeMap, BTreeSet};

use kestrel::tracking::metrics::{ClearMot, Gospa};
use nalgebra::Vector2;

use super::tracking_engine::TrackView;
use crate::report::Report;
use crate::worlds::targets::TruthPoint;

/// GOSPA, OSPA and MOT settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreSettings {
    /// GOSPA / OSPA cut-off `c`, m.
    pub cutoff_m: f64,
    /// GOSPA / OSPA order `p`.
    pub order: f64,
    /// Largest distance at which a track may stand for a target (MOT, latencies, RMSE), m.
    pub match_threshold_m: f64,
    /// Scans at the start left out of the per-scan averages (latencies count from scan 1).
    pub burn_in_scans: usize,
}

/// One scan's figures, for plotting.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ScanScore {
    /// GOSPA distance.
    pub gospa: f64,
    /// OSPA distance.
    pub ospa: f64,
    /// Confirmed tracks.
    pub confirmed: usize,
}

/// GOSPA of one scan, split over groups of points closer than the cut-off.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct GospaParts {
    /// `(localisation + missed + false)^(1/p)`.
    pub distance: f64,
    /// Sum of `d^p` over assigned pairs.
    pub localisation: f64,
    /// `c^p / 2` per missed truth.
    pub missed: f64,
    /// `c^p / 2` per false estimate.
    pub false_targets: f64,
}

/// GOSPA by groups (see the [module docs](self)); `pairs` receives `(truth, estimate)` indices
/// of the assignment.
pub fn grouped_gospa(
    gospa: &mut Gospa,
    c: f64,
    p: f64,
    truth: &[Vector2<f64>],
    est: &[Vector2<f64>],
    pairs: &mut Vec<(usize, usize)>,
) -> anyhow::Result<GospaParts> {
    pairs.clear();
    let (m, n) = (truth.len(), est.len());
    // union-find over truths 0..m and estimates m..m+n, linked when closer than c
    let mut parent: Vec<usize> = (0..m + n).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let cell = |v: &Vector2<f64>| ((v.x / c).floor() as i64, (v.y / c).floor() as i64);
    let mut grid: BTreeMap<(i64, i64), Vec<usize>> = BTreeMap::new();
    for (j, e) in est.iter().enumerate() {
        grid.entry(cell(e)).or_default().push(j);
    }
    for (i, t) in truth.iter().enumerate() {
        let (cx, cy) = cell(t);
        for dx in -1..=1 {
            for dy in -1..=1 {
                let Some(js) = grid.get(&(cx + dx, cy + dy)) else {
                    continue;
                };
                for &j in js {
                    if (t - est[j]).norm() < c {
                        let (a, b) = (find(&mut parent, i), find(&mut parent, m + j));
                        parent[a.max(b)] = a.min(b);
                    }
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
    for i in 0..m + n {
        let root = find(&mut parent, i);
        let g = groups.entry(root).or_default();
        if i < m {
            g.0.push(i);
        } else {
            g.1.push(i - m);
        }
    }
    let half = 0.5 * c.powf(p);
    let mut parts = GospaParts::default();
    let (mut ts, mut es) = (Vec::new(), Vec::new());
    for (ti, ej) in groups.values() {
        if ti.is_empty() || ej.is_empty() {
            parts.missed += half * ti.len() as f64;
            parts.false_targets += half * ej.len() as f64;
            continue;
        }
        ts.clear();
        ts.extend(ti.iter().map(|&i| truth[i]));
        es.clear();
        es.extend(ej.iter().map(|&j| est[j]));
        let v = gospa.compute(&ts, &es)?;
        parts.localisation += v.localisation;
        parts.missed += v.missed;
        parts.false_targets += v.false_targets;
        for (a, b) in gospa.truth_to_estimate().iter().enumerate() {
            if let Some(b) = b {
                pairs.push((ti[a], ej[*b]));
            }
        }
    }
    pairs.sort_unstable();
    parts.distance = (parts.localisation + parts.missed + parts.false_targets).powf(1.0 / p);
    Ok(parts)
}

/// OSPA from the GOSPA optimum of the same `c` and `p` (see the [module docs](self)).
pub fn ospa_from_gospa(parts: &GospaParts, c: f64, p: f64, m: usize, n: usize) -> f64 {
    let big = m.max(n);
    if big == 0 {
        return 0.0;
    }
    let cp = c.powf(p);
    let total = parts.distance.powf(p) - 0.5 * cp * (m + n) as f64 + cp * big as f64;
    (total.max(0.0) / big as f64).powf(1.0 / p).min(c)
}

/// Accumulates the scores of one tracker over a run.
pub struct Scorer {
    settings: ScoreSettings,
    gospa: Gospa,
    mot: ClearMot,
    scans: usize,
    sums: [f64; 6],
    sq_err: (f64, usize),
    matched_ids: BTreeSet<u64>,
    confirmed_ids: BTreeSet<u64>,
    /// Scan in which each target was first matched by a confirmed track.
    first_match: BTreeMap<u64, usize>,
    /// Per target: the confirmed track that last matched it and the scan.
    owner: BTreeMap<u64, (u64, usize)>,
    /// Last scan each track was alive.
    last_alive: BTreeMap<u64, usize>,
    truth_pts: Vec<Vector2<f64>>,
    truth_ids: Vec<u64>,
    est_pts: Vec<Vector2<f64>>,
    est_ids: Vec<u64>,
    pairs: Vec<(usize, usize)>,
    /// Targets without a matching confirmed track in the last scan scored.
    unmatched_last: usize,
}

impl Scorer {
    /// A scorer with the given settings.
    ///
    /// # Errors
    /// If the cut-off, order or threshold is invalid.
    pub fn new(settings: ScoreSettings) -> anyhow::Result<Self> {
        Ok(Self {
            settings,
            gospa: Gospa::new(settings.cutoff_m, settings.order)?,
            mot: ClearMot::new(settings.match_threshold_m)?,
            scans: 0,
            sums: [0.0; 6],
            sq_err: (0.0, 0),
            matched_ids: BTreeSet::new(),
            confirmed_ids: BTreeSet::new(),
            first_match: BTreeMap::new(),
            owner: BTreeMap::new(),
            last_alive: BTreeMap::new(),
            truth_pts: Vec::new(),
            truth_ids: Vec::new(),
            est_pts: Vec::new(),
            est_ids: Vec::new(),
            pairs: Vec::new(),
            unmatched_last: 0,
        })
    }

    /// Scores scan `k` (1-based): the targets present and every live track.
    ///
    /// # Errors
    /// Metric errors (non-finite estimates).
    pub fn update(
        &mut self,
        k: usize,
        truth: &[TruthPoint],
        tracks: &[TrackView],
    ) -> anyhow::Result<ScanScore> {
        let s = self.settings;
        self.truth_pts.clear();
        self.truth_ids.clear();
        for t in truth {
            self.truth_pts.push(t.position());
            self.truth_ids.push(t.id);
        }
        self.est_pts.clear();
        self.est_ids.clear();
        for t in tracks {
            self.last_alive.insert(t.id, k);
            if t.confirmed {
                self.est_pts.push(t.position);
                self.est_ids.push(t.id);
                self.confirmed_ids.insert(t.id);
            }
        }
        let parts = grouped_gospa(
            &mut self.gospa,
            s.cutoff_m,
            s.order,
            &self.truth_pts,
            &self.est_pts,
            &mut self.pairs,
        )?;
        let (m, n) = (self.truth_pts.len(), self.est_pts.len());
        let ospa = ospa_from_gospa(&parts, s.cutoff_m, s.order, m, n);
        self.unmatched_last = m;
        for &(i, j) in &self.pairs {
            let d = (self.truth_pts[i] - self.est_pts[j]).norm();
            if d > s.match_threshold_m {
                continue;
            }
            self.unmatched_last -= 1;
            let (truth_id, track_id) = (self.truth_ids[i], self.est_ids[j]);
            self.matched_ids.insert(track_id);
            self.first_match.entry(truth_id).or_insert(k);
            self.owner.insert(truth_id, (track_id, k));
            if k > s.burn_in_scans {
                self.sq_err.0 += d * d;
                self.sq_err.1 += 1;
            }
        }
        if k > s.burn_in_scans {
            self.mot.update(
                &self.truth_ids,
                &self.truth_pts,
                &self.est_ids,
                &self.est_pts,
            )?;
            self.scans += 1;
            for (sum, v) in self.sums.iter_mut().zip([
                parts.distance,
                parts.localisation,
                parts.missed,
                parts.false_targets,
                ospa,
                n as f64,
            ]) {
                *sum += v;
            }
        }
        Ok(ScanScore {
            gospa: parts.distance,
            ospa,
            confirmed: n,
        })
    }

    /// Writes the run's metrics for `alg`; `lifetimes[id] = (first, last)` scans of each target
    /// and `n_scans` the length of the run (for the latencies).
    pub fn finish(
        &self,
        report: &mut Report,
        alg: &str,
        lifetimes: &[Option<(usize, usize)>],
        n_scans: usize,
    ) {
        let scans = self.scans.max(1) as f64;
        let mean = |i: usize| self.sums[i] / scans;
        let mot = self.mot.summary();
        report
            .metric(alg, "gospa_mean", mean(0))
            .metric(alg, "gospa_localisation_mean", mean(1))
            .metric(alg, "gospa_missed_mean", mean(2))
            .metric(alg, "gospa_false_mean", mean(3))
            .metric(alg, "ospa_mean", mean(4))
            .metric(alg, "confirmed_tracks_mean", mean(5))
            .metric(alg, "mota", mot.mota.unwrap_or(0.0))
            .metric(alg, "motp_m", mot.motp.unwrap_or(0.0))
            .metric(alg, "idf1", mot.idf1.unwrap_or(0.0))
            .metric(alg, "identity_switches", mot.switches as f64)
            .metric(alg, "track_breaks", mot.fragmentations as f64)
            .metric(alg, "missed_target_scans", mot.misses as f64)
            .metric(alg, "targets_lost_at_end", self.unmatched_last as f64)
            .metric(alg, "mostly_tracked", mot.mostly_tracked as f64)
            .metric(
                alg,
                "confirmed_tracks_total",
                self.confirmed_ids.len() as f64,
            )
            .metric(
                alg,
                "false_tracks",
                self.confirmed_ids.difference(&self.matched_ids).count() as f64,
            );
        let rmse = (self.sq_err.0 / self.sq_err.1.max(1) as f64).sqrt();
        report.metric(alg, "rmse_position_m", rmse);
        // latencies
        let (mut confirm, mut unconfirmed) = (Vec::new(), 0usize);
        let (mut delete, mut outlived) = (Vec::new(), 0usize);
        for (id, life) in lifetimes.iter().enumerate() {
            let Some((first, last)) = *life else { continue };
            match self.first_match.get(&(id as u64)) {
                Some(&k) => confirm.push((k - first) as f64),
                None => unconfirmed += 1,
            }
            if last >= n_scans {
                continue; // present to the end: no deletion to measure
            }
            // the track that last stood for the target, if it was still alive at its last scan
            let Some(&(track, _)) = self.owner.get(&(id as u64)) else {
                continue;
            };
            match self.last_alive.get(&track) {
                Some(&alive) if alive < last => {} // lost before the target left: a break
                Some(&alive) if alive < n_scans => delete.push((alive + 1 - last) as f64),
                _ => outlived += 1,
            }
        }
        // mean, min, median (the lower middle value), max
        let stats = |v: &mut Vec<f64>| -> [f64; 4] {
            if v.is_empty() {
                return [0.0; 4];
            }
            v.sort_by(f64::total_cmp);
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            [mean, v[0], v[(v.len() - 1) / 2], v[v.len() - 1]]
        };
        let [cm, cmin, cmed, cmax] = stats(&mut confirm);
        report
            .metric(alg, "confirmation_latency_mean_scans", cm)
            .metric(alg, "confirmation_latency_min_scans", cmin)
            .metric(alg, "confirmation_latency_median_scans", cmed)
            .metric(alg, "confirmation_latency_max_scans", cmax)
            .metric(alg, "targets_never_confirmed", unconfirmed as f64);
        if !delete.is_empty() || outlived > 0 {
            let [dm, dmin, dmed, dmax] = stats(&mut delete);
            report
                .metric(alg, "deletion_latency_mean_scans", dm)
                .metric(alg, "deletion_latency_min_scans", dmin)
                .metric(alg, "deletion_latency_median_scans", dmed)
                .metric(alg, "deletion_latency_max_scans", dmax)
                .metric(alg, "tracks_outliving_their_target", outlived as f64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kestrel::tracking::metrics::Ospa;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    #[test]
    fn grouped_gospa_and_derived_ospa_equal_the_library_on_whole_sets() {
        let mut rng = StdRng::seed_from_u64(11);
        let mut pairs = Vec::new();
        for case in 0..300 {
            let (m, n) = (rng.random_range(0..12), rng.random_range(0..12));
            let spread = if case % 2 == 0 { 30.0 } else { 200.0 };
            let mut pts = |k: usize| -> Vec<Vector2<f64>> {
                (0..k)
                    .map(|_| {
                        Vector2::new(rng.random_range(0.0..spread), rng.random_range(0.0..spread))
                    })
                    .collect()
            };
            let (truth, est) = (pts(m), pts(n));
            for (c, p) in [(10.0, 1.0), (5.0, 2.0), (20.0, 2.0)] {
                let mut g = Gospa::new(c, p).unwrap();
                let whole = g.compute(&truth, &est).unwrap();
                let parts = grouped_gospa(&mut g, c, p, &truth, &est, &mut pairs).unwrap();
                assert!((parts.distance - whole.distance).abs() < 1e-9 * (1.0 + whole.distance));
                assert!((parts.missed - whole.missed).abs() < 1e-9);
                let ospa = Ospa::new(c, p)
                    .unwrap()
                    .compute(&truth, &est)
                    .unwrap()
                    .distance;
                let derived = ospa_from_gospa(&parts, c, p, m, n);
                assert!((ospa - derived).abs() < 1e-9, "{ospa} vs {derived}");
            }
        }
    }

    #[test]
    fn conventions_check_values() {
        // conventions.md: X = {(0,0),(10,0)}, Y = {(1,0),(10,2),(50,50)}
        let x = [Vector2::new(0.0, 0.0), Vector2::new(10.0, 0.0)];
        let y = [
            Vector2::new(1.0, 0.0),
            Vector2::new(10.0, 2.0),
            Vector2::new(50.0, 50.0),
        ];
        let mut pairs = Vec::new();
        for (c, p, ospa, gospa) in [
            (5.0, 1.0, 2.6666667, 5.5),
            (5.0, 2.0, 3.16227766016838, 4.18330013267038),
            (20.0, 2.0, 11.6189500386223, 14.3178210632764),
        ] {
            let mut g = Gospa::new(c, p).unwrap();
            let parts = grouped_gospa(&mut g, c, p, &x, &y, &mut pairs).unwrap();
            assert!((parts.distance - gospa).abs() < 1e-9);
            assert!((ospa_from_gospa(&parts, c, p, 2, 3) - ospa).abs() < 1e-7);
        }
    }
}
