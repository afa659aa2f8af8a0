//! Gating: which detections may belong to which track.
//!
//! A detection `z` passes the gate of a track with predicted measurement `zhat` and innovation
//! covariance `S` when its squared Mahalanobis distance `d^2 = (z - zhat)^T S^-1 (z - zhat)` is
//! at most the chi-square quantile `g = F^-1_{chi2(M)}(P_G)` of the gate probability `P_G`.
//!
//! To keep large scenes from testing every track against every detection, the detections are
//! put in a kd-tree (kiddo) and each track only examines those inside the ball of radius
//! `sqrt(g * lambda_bound(S))` around `zhat`, with `lambda_bound` the Gershgorin bound on the
//! largest eigenvalue of `S`. The ellipsoid `d^2 <= g` lies inside that ball (because
//! `d^2 >= |z - zhat|^2 / lambda_max`), so the pre-gate never drops a pair the exact gate keeps.

use kiddo::{ImmutableKdTree, SquaredEuclidean};
use nalgebra::{SMatrix, SVector};
use statrs::distribution::{ChiSquared, ContinuousCDF};

use super::TrackingError;

/// The chi-square gate `g` such that `P(d^2 <= g) = probability` for a `dim`-dimensional
/// Gaussian innovation (`d^2 ~ chi2(dim)`).
///
/// Check values: dimension 2 -> 5.9915 (0.95), 9.2103 (0.99), 13.8155 (0.999);
/// dimension 3 -> 7.8147, 11.3449, 16.2662.
///
/// # Errors
/// [`TrackingError::InvalidParameter`] unless `0 < probability < 1` and `dim >= 1`.
///
/// # Example
/// ```
/// use kestrel::tracking::chi_square_gate;
/// let g = chi_square_gate(0.99, 2).unwrap();
/// assert!((g - 9.2103).abs() < 1e-4);
/// // closed form in two dimensions: g = -2 ln(1 - P)
/// assert!((g + 2.0 * (0.01f64).ln()).abs() < 1e-9);
/// ```
pub fn chi_square_gate(probability: f64, dim: usize) -> Result<f64, TrackingError> {
    if !(probability > 0.0 && probability < 1.0) {
        return Err(TrackingError::InvalidParameter {
            name: "gate probability",
            reason: format!("must be in (0, 1), got {probability}"),
        });
    }
    let dist = ChiSquared::new(dim as f64).map_err(|e| TrackingError::InvalidParameter {
        name: "dimension",
        reason: format!("{dim}: {e}"),
    })?;
    Ok(dist.inverse_cdf(probability))
}

/// A detection that passed a track's gate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GatedPair {
    /// Index of the track (into the predictions).
    pub track: usize,
    /// Index of the detection.
    pub detection: usize,
    /// Squared Mahalanobis distance `d^2` of the innovation.
    pub distance_squared: f64,
}

/// Chi-square gating of `M`-dimensional detections with a kd-tree pre-gate; buffers reused.
///
/// Each call takes the tracks' predicted measurements `zhat_t` and innovation covariances `S_t`
/// (same units as the detections) and returns the gated pairs sorted by track, then detection.
/// Components marked as angles (radians, see [`Gating::with_angle_components`]) use wrapped
/// residuals; the Euclidean pre-gate is then not valid near the wrap, so such gates examine
/// every pair.
///
/// # Errors
/// - [`TrackingError::DimensionMismatch`] if there are not as many covariances as predictions;
/// - [`TrackingError::NonFinite`] for a non-finite prediction, covariance or detection;
/// - [`TrackingError::NotPositiveDefinite`] for an `S_t` whose Cholesky factorisation fails.
///
/// # Complexity
/// Building the tree is `O(n log n)` for `n` detections; each track then costs a range query
/// plus one triangular solve (`O(M^2)`) per detection in its ball, instead of `O(n M^2)`.
/// The point and pair buffers are reused; the kd-tree itself is rebuilt (allocated) per call,
/// since kiddo's immutable tree has no in-place rebuild.
///
/// # Example
/// ```
/// use nalgebra::{Matrix2, Vector2};
/// use kestrel::tracking::Gating;
/// let mut gating = Gating::<2>::from_probability(0.99).unwrap();
/// let zhat = [Vector2::new(0.0, 0.0), Vector2::new(100.0, 0.0)];
/// let s = [Matrix2::identity(), Matrix2::identity() * 4.0];
/// let z = [Vector2::new(1.0, 1.0), Vector2::new(104.0, 0.0), Vector2::new(50.0, 0.0)];
/// let pairs = gating.gate(&zhat, &s, &z).unwrap();
/// assert_eq!(pairs.len(), 2);
/// assert_eq!((pairs[0].track, pairs[0].detection, pairs[0].distance_squared), (0, 0, 2.0));
/// assert_eq!((pairs[1].track, pairs[1].detection, pairs[1].distance_squared), (1, 1, 4.0));
/// ```
#[derive(Debug, Clone)]
pub struct Gating<const M: usize> {
    threshold: f64,
    angles: [bool; M],
    use_pregate: bool,
    points: Vec<[f64; M]>,
    pairs: Vec<GatedPair>,
    examined: usize,
}

impl<const M: usize> Gating<M> {
    /// Gating with the squared-distance threshold `g` (finite, positive).
    pub fn new(threshold: f64) -> Result<Self, TrackingError> {
        if !(threshold.is_finite() && threshold > 0.0) {
            return Err(TrackingError::InvalidParameter {
                name: "gate threshold",
                reason: format!("must be finite and positive, got {threshold}"),
            });
        }
        Ok(Self {
            threshold,
            angles: [false; M],
            use_pregate: true,
            points: Vec::new(),
            pairs: Vec::new(),
            examined: 0,
        })
    }

    /// Gating with the threshold [`chi_square_gate`]`(probability, M)`.
    pub fn from_probability(probability: f64) -> Result<Self, TrackingError> {
        Self::new(chi_square_gate(probability, M)?)
    }

    /// Marks measurement components that are angles (residuals wrapped to `[-pi, pi)`).
    pub fn with_angle_components(mut self, angles: [bool; M]) -> Self {
        self.angles = angles;
        self
    }

    /// Enables or disables the kd-tree pre-gate (enabled by default). The gated pairs are the
    /// same either way; disabling it examines every track-detection pair.
    pub fn with_pregate(mut self, enabled: bool) -> Self {
        self.use_pregate = enabled;
        self
    }

    /// The squared-distance threshold `g`.
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// How many track-detection pairs the last call evaluated exactly (after the pre-gate).
    pub fn pairs_examined(&self) -> usize {
        self.examined
    }

    /// Gates `detections` against the tracks `(predicted[t], covariances[t])`.
    pub fn gate(
        &mut self,
        predicted: &[SVector<f64, M>],
        covariances: &[SMatrix<f64, M, M>],
        detections: &[SVector<f64, M>],
    ) -> Result<&[GatedPair], TrackingError> {
        if covariances.len() != predicted.len() {
            return Err(TrackingError::DimensionMismatch {
                what: "innovation covariances",
                expected: predicted.len(),
                found: covariances.len(),
            });
        }
        let finite = |v: &[f64]| v.iter().all(|x| x.is_finite());
        if let Some(index) = detections.iter().position(|z| !finite(z.as_slice())) {
            return Err(TrackingError::NonFinite {
                what: "detection",
                index,
            });
        }
        if let Some(index) = predicted.iter().position(|z| !finite(z.as_slice())) {
            return Err(TrackingError::NonFinite {
                what: "predicted measurement",
                index,
            });
        }
        if let Some(index) = covariances.iter().position(|s| !finite(s.as_slice())) {
            return Err(TrackingError::NonFinite {
                what: "innovation covariance",
                index,
            });
        }
        self.pairs.clear();
        self.examined = 0;
        let pregate = self.use_pregate
            && !self.angles.iter().any(|&a| a)
            && !detections.is_empty()
            && u32::try_from(detections.len()).is_ok();
        let tree = if pregate {
            self.points.clear();
            self.points
                .extend(detections.iter().map(|z| std::array::from_fn(|k| z[k])));
            ImmutableKdTree::<f64, M>::new_from_slice(&self.points).ok()
        } else {
            None
        };
        for (t, (zhat, s)) in predicted.iter().zip(covariances).enumerate() {
            let sym = 0.5 * (s + s.transpose());
            let l = sym
                .cholesky()
                .ok_or(TrackingError::NotPositiveDefinite {
                    what: "innovation covariance",
                    index: t,
                })?
                .l();
            let start = self.pairs.len();
            let threshold = self.threshold;
            let angles = self.angles;
            let mut examined = 0;
            let pairs = &mut self.pairs;
            let mut test = |d: usize| {
                examined += 1;
                let y = crate::models::residual(&detections[d], zhat, &angles);
                if let Some(w) = l.solve_lower_triangular(&y) {
                    let d2 = w.norm_squared();
                    if d2 <= threshold {
                        pairs.push(GatedPair {
                            track: t,
                            detection: d,
                            distance_squared: d2,
                        });
                    }
                }
            };
            match &tree {
                Some(tree) => {
                    // Gershgorin: lambda_max(S) <= max_i sum_j |S_ij|; a hair of margin
                    // keeps boundary points that rounding might push out.
                    let lambda = (0..M)
                        .map(|i| (0..M).map(|j| sym[(i, j)].abs()).sum::<f64>())
                        .fold(0.0, f64::max);
                    let radius2 = threshold * lambda * (1.0 + 1e-9);
                    let centre: [f64; M] = std::array::from_fn(|k| zhat[k]);
                    tree.query(&centre)
                        .within::<SquaredEuclidean<f64>>(radius2)
                        .unsorted()
                        .visit(|r| test(r.item as usize));
                }
                None => (0..detections.len()).for_each(&mut test),
            }
            self.examined += examined;
            self.pairs[start..].sort_unstable_by_key(|p| p.detection);
        }
        Ok(&self.pairs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::{Matrix2, Vector2};

    #[test]
    fn angle_residuals_wrap() {
        // range-bearing: a bearing of +3.1 rad is 0.083 rad from -3.1 rad
        let mut gating = Gating::<2>::new(9.0)
            .unwrap()
            .with_angle_components([false, true]);
        let s = Matrix2::new(1.0, 0.0, 0.0, 0.01);
        let pairs = gating
            .gate(
                &[Vector2::new(10.0, -3.1)],
                &[s],
                &[Vector2::new(10.0, 3.1)],
            )
            .unwrap();
        assert_eq!(pairs.len(), 1);
        let y = 6.2 - std::f64::consts::TAU;
        assert!((pairs[0].distance_squared - y * y / 0.01).abs() < 1e-9);
    }
}
