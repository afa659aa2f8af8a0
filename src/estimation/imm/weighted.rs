//! The IMM update with uncertain measurement origin: probabilistic data association (PDA / JPDA)
//! weights over several candidate measurements.

use nalgebra::{SMatrix, SVector};

use super::ImmEstimator;
use crate::estimation::EstimationError;
use crate::models::{normalize, residual};

impl<const C: usize, const M: usize> ImmEstimator<C, M> {
    /// Updates with candidate measurements `z_1..z_m` of association probabilities
    /// `beta_1..beta_m` and the probability `beta_0` that none is the target's (weights are
    /// normalised to sum to 1), as a JPDA or PDA tracker produces them.
    ///
    /// Each mode `j` (predicted probability `cbar_j`, estimate `(x_j, P_j)`) is updated with every
    /// candidate, giving `(x_ij, P_ij)` and the likelihood `N_ij = N(z_i; zhat_j, S_j)`. The
    /// joint weight of (candidate `i`, mode `j`) is the association probability times the
    /// posterior mode probability under that association:
    ///
    /// ```text
    /// w_0j = beta_0 cbar_j,                          (x_0j, P_0j) = (x_j, P_j)   (missed)
    /// w_ij = beta_i cbar_j N_ij / sum_k cbar_k N_ik,  i = 1..m
    /// mu_j = sum_i w_ij                               (sums to 1)
    /// x_j <- sum_i w_ij x_ij / mu_j,   P_j <- sum_i w_ij (P_ij + d_ij d_ij^T) / mu_j,  d_ij = x_ij - x_j
    /// ```
    ///
    /// This is the moment-matched collapse, in each mode, of the mixture over association
    /// hypotheses. With one candidate of weight 1 it is [`ImmEstimator::update`]; with
    /// `beta_0 = 1` nothing changes; with a single Kalman mode it is the PDA update. After the
    /// call [`ImmEstimator::log_likelihoods`] holds `ln(mu_j / cbar_j)`, the log of each mode's
    /// likelihood ratio `beta_0 + sum_i beta_i N_ij / sum_k cbar_k N_ik`. A candidate whose
    /// likelihood underflows in every mode drops out (its weight is shared by the others).
    ///
    /// # Errors
    /// [`EstimationError::DimensionMismatch`] if `weights` and `detections` differ in length;
    /// [`EstimationError::NonFinite`] / [`EstimationError::InvalidParameter`] for non-finite
    /// candidates or negative, non-finite or all-zero weights; a mode's update error; or
    /// [`EstimationError::DegenerateWeights`] when every hypothesis has zero weight. The
    /// estimator is unchanged after an error.
    ///
    /// # Cost
    /// `r m` mode updates plus `O(r m C^2)`; no allocation (the estimator's buffers are reused).
    ///
    /// ```
    /// use nalgebra::{DMatrix, Matrix4, Vector2, Vector4};
    /// use kestrel::estimation::{embed, Embedding, ImmEstimator, KalmanFilter, Mode};
    /// use kestrel::models::{measurement::PositionMeasurement, motion::ConstantVelocity};
    /// let gps = PositionMeasurement::<4>::new(ConstantVelocity::POSITION, 1.0).unwrap();
    /// let kf = KalmanFilter::new(Vector4::zeros(), Matrix4::identity()).unwrap();
    /// let modes = || vec![
    ///     embed(Mode::new(kf.clone(), ConstantVelocity::new(0.1).unwrap(), gps), Embedding::<4, 4>::identity().unwrap()),
    ///     embed(Mode::new(kf.clone(), ConstantVelocity::new(5.0).unwrap(), gps), Embedding::<4, 4>::identity().unwrap()),
    /// ];
    /// let t = DMatrix::from_row_slice(2, 2, &[0.9, 0.1, 0.1, 0.9]);
    /// let mut a = ImmEstimator::<4, 2>::new(modes(), &t, &[0.5, 0.5]).unwrap();
    /// let mut b = ImmEstimator::<4, 2>::new(modes(), &t, &[0.5, 0.5]).unwrap();
    /// a.predict(1.0).unwrap();
    /// b.predict(1.0).unwrap();
    /// let z = Vector2::new(1.0, -0.5);
    /// a.update(&z).unwrap();
    /// b.update_weighted(&[z, Vector2::new(9.0, 9.0)], &[1.0, 0.0], 0.0).unwrap();
    /// assert!((a.estimate().0 - b.estimate().0).norm() < 1e-12);
    /// assert!((a.mode_probabilities()[1] - b.mode_probabilities()[1]).abs() < 1e-12);
    /// ```
    pub fn update_weighted(
        &mut self,
        detections: &[SVector<f64, M>],
        weights: &[f64],
        missed_weight: f64,
    ) -> Result<(), EstimationError> {
        if weights.len() != detections.len() {
            return Err(EstimationError::DimensionMismatch {
                what: "association weights",
                expected: detections.len(),
                found: weights.len(),
            });
        }
        if detections.iter().any(|z| !z.iter().all(|v| v.is_finite())) {
            return Err(EstimationError::NonFinite {
                what: "candidate measurement",
            });
        }
        let total = weights.iter().sum::<f64>() + missed_weight;
        let bad = |w: f64| !(w.is_finite() && w >= 0.0);
        if bad(missed_weight) || weights.iter().any(|&w| bad(w)) || total <= 0.0 {
            return Err(EstimationError::InvalidParameter {
                name: "association weights",
                reason: "weights must be finite, non-negative and not all zero".into(),
            });
        }
        let r = self.modes.len();
        self.lift_all();
        let beta0 = missed_weight / total;
        for j in 0..r {
            let w = beta0 * self.probabilities[j];
            self.next_probabilities[j] = w;
            self.next_x[j] = SVector::zeros();
            self.next_p[j] = self.lifted_p[j] * w;
        }
        for (z, &weight) in detections.iter().zip(weights) {
            let beta = weight / total;
            if beta == 0.0 {
                continue;
            }
            // Every mode updated with z (kept in the mode until the next candidate).
            let mut max = f64::NEG_INFINITY;
            for j in 0..r {
                let step = self.modes[j]
                    .set_from_common(&self.lifted_x[j], &self.lifted_p[j])
                    .and_then(|()| self.modes[j].update(z));
                match step {
                    Ok(innovation) => {
                        let a = self.probabilities[j].ln() + innovation.log_likelihood;
                        self.next_log_likelihoods[j] = a;
                        max = max.max(a);
                    }
                    Err(e) => {
                        self.restore(r);
                        return Err(e);
                    }
                }
            }
            if !max.is_finite() {
                continue;
            }
            let norm: f64 = (0..r)
                .map(|j| (self.next_log_likelihoods[j] - max).exp())
                .sum();
            for j in 0..r {
                let w = beta * (self.next_log_likelihoods[j] - max).exp() / norm;
                if w == 0.0 {
                    continue;
                }
                let (xij, pij) = self.modes[j].lifted();
                let d = residual(&xij, &self.lifted_x[j], &self.angles);
                self.next_x[j] += d * w;
                self.next_p[j] += (pij + d * d.transpose()) * w;
                self.next_probabilities[j] += w;
            }
        }
        let total_w: f64 = self.next_probabilities.iter().sum();
        if !(total_w > 0.0 && total_w.is_finite()) {
            self.restore(r);
            return Err(EstimationError::DegenerateWeights(
                "every association hypothesis has zero weight in every IMM mode",
            ));
        }
        for j in 0..r {
            let w = self.next_probabilities[j];
            let (x, p) = if w > 0.0 {
                let m: SVector<f64, C> = self.next_x[j] / w;
                let mut x = self.lifted_x[j] + m;
                normalize(&mut x, &self.angles);
                let p: SMatrix<f64, C, C> = self.next_p[j] / w - m * m.transpose();
                (x, (p + p.transpose()) * 0.5)
            } else {
                (self.lifted_x[j], self.lifted_p[j])
            };
            if let Err(e) = self.modes[j].set_from_common(&x, &p) {
                self.restore(r);
                return Err(e);
            }
        }
        for j in 0..r {
            let mu = self.next_probabilities[j] / total_w;
            let cbar = self.probabilities[j];
            self.next_log_likelihoods[j] = if cbar > 0.0 {
                (mu / cbar).ln()
            } else {
                f64::NEG_INFINITY
            };
            self.next_probabilities[j] = mu;
        }
        std::mem::swap(&mut self.probabilities, &mut self.next_probabilities);
        std::mem::swap(&mut self.log_likelihoods, &mut self.next_log_likelihoods);
        Ok(())
    }
}
