//! Scoring the extents of extended objects: per class, how far the estimated box's length and
//! width (and, for cars and bicycles, its orientation) are from the true box.
//!
//! A box's length is twice its major half extent and its width twice its minor one (boxes are
//! major axis first, see [`Extent`]); the true length and width are the object's footprint.
//! The orientation error is the angle between the box's major axis and the object's heading,
//! modulo pi, in degrees (pedestrians, square, have none). Errors are averaged over every
//! (scan, estimate) pair matched to an object: confirmed tracks matched greedily by distance
//! (closest pair first, at most `match_threshold_m` apart, one track per object) for a tracker,
//! and each DBSCAN cluster matched to the object most of its points came from for the raw
//! clusters.

use std::collections::BTreeMap;

use kestrel::tracking::{wrap_half, Extent};
use nalgebra::Vector2;

use crate::report::Report;
use crate::worlds::lidar_objects::{ObjectBox, ObjectClass};

/// Sums of the extent errors of one class.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Sums {
    abs_length: f64,
    abs_width: f64,
    length: f64,
    width: f64,
    abs_angle_deg: f64,
    n: usize,
}

/// Extent errors accumulated over a run, per object class.
#[derive(Debug, Clone, Default)]
pub struct ExtentErrors {
    sums: BTreeMap<ObjectClass, Sums>,
    /// This scan's mean absolute length and width errors over every class (for plotting).
    scan: (f64, f64, usize),
}

impl ExtentErrors {
    /// Starts a new scan (for [`ExtentErrors::scan_mean`]).
    pub fn begin_scan(&mut self) {
        self.scan = (0.0, 0.0, 0);
    }

    /// Adds one estimate of the box of an object of class `class`.
    pub fn add(&mut self, class: ObjectClass, truth: &ObjectBox, estimate: &Extent) {
        if !estimate.is_valid() {
            return;
        }
        let dl = 2.0 * estimate.half_extents.x - truth.size[0];
        let dw = 2.0 * estimate.half_extents.y - truth.size[1];
        let s = self.sums.entry(class).or_default();
        s.abs_length += dl.abs();
        s.abs_width += dw.abs();
        s.length += dl;
        s.width += dw;
        s.abs_angle_deg += wrap_half(estimate.angle - truth.heading).abs().to_degrees();
        s.n += 1;
        self.scan.0 += dl.abs();
        self.scan.1 += dw.abs();
        self.scan.2 += 1;
    }

    /// Mean absolute length and width errors of the scan begun last, if it had estimates.
    pub fn scan_mean(&self) -> Option<(f64, f64)> {
        let (l, w, n) = self.scan;
        (n > 0).then(|| (l / n as f64, w / n as f64))
    }

    /// Writes `<class>_length_error_m`, `<class>_width_error_m` (mean absolute errors),
    /// `<class>_length_bias_m`, `<class>_width_bias_m` (mean signed errors: estimate minus
    /// truth), `<class>_orientation_error_deg` (not for pedestrians) and `<class>_extent_samples`
    /// for every class seen.
    pub fn finish(&self, report: &mut Report, alg: &str) {
        for (class, s) in &self.sums {
            let n = s.n.max(1) as f64;
            let c = class.as_str();
            report
                .metric(alg, &format!("{c}_length_error_m"), s.abs_length / n)
                .metric(alg, &format!("{c}_width_error_m"), s.abs_width / n)
                .metric(alg, &format!("{c}_length_bias_m"), s.length / n)
                .metric(alg, &format!("{c}_width_bias_m"), s.width / n)
                .metric(alg, &format!("{c}_extent_samples"), s.n as f64);
            if *class != ObjectClass::Pedestrian {
                report.metric(
                    alg,
                    &format!("{c}_orientation_error_deg"),
                    s.abs_angle_deg / n,
                );
            }
        }
    }
}

/// Greedy one-to-one matching of estimates to objects by distance, closest pair first, pairs at
/// most `threshold` apart; returns `(estimate, object)` index pairs.
pub fn greedy_match(
    estimates: &[Vector2<f64>],
    objects: &[Vector2<f64>],
    threshold: f64,
) -> Vec<(usize, usize)> {
    let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
    for (i, e) in estimates.iter().enumerate() {
        for (j, o) in objects.iter().enumerate() {
            let d = (e - o).norm();
            if d <= threshold {
                pairs.push((d, i, j));
            }
        }
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let (mut used_e, mut used_o) = (vec![false; estimates.len()], vec![false; objects.len()]);
    let mut out = Vec::new();
    for (_, i, j) in pairs {
        if !used_e[i] && !used_o[j] {
            used_e[i] = true;
            used_o[j] = true;
            out.push((i, j));
        }
    }
    out
}

/// The object most points of each cluster came from (`None`: mostly clutter), for clusters
/// `0..n_clusters` given each point's cluster label and origin.
pub fn cluster_owners(
    labels: &[Option<usize>],
    origins: &[Option<u64>],
    n_clusters: usize,
) -> Vec<Option<u64>> {
    let mut counts: Vec<BTreeMap<Option<u64>, usize>> = vec![BTreeMap::new(); n_clusters];
    for (l, o) in labels.iter().zip(origins) {
        if let Some(l) = l {
            *counts[*l].entry(*o).or_default() += 1;
        }
    }
    counts
        .iter()
        .map(|c| {
            c.iter()
                .max_by(|a, b| a.1.cmp(b.1).then(a.0.cmp(b.0)))
                .and_then(|(o, _)| *o)
        })
        .collect()
}
