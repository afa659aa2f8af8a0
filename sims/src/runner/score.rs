//! Scoring helpers shared by the runners: RMSE, NEES and NIS accumulators.

use nalgebra::{SMatrix, SVector};

/// Accumulates squared errors and normalised estimation errors of one estimator over a run.
#[derive(Debug, Clone, Default)]
pub struct ErrorStats {
    sum_sq: f64,
    count: usize,
    nees_sum: f64,
    nees_count: usize,
    nis_sum: f64,
    nis_count: usize,
}

impl ErrorStats {
    /// Adds one step's NEES `e^T P^-1 e` for the estimation error `e` (already wrapped where
    /// needed) and returns it (`None` when `P` is singular, which is then not counted).
    pub fn add_nees<const D: usize>(
        &mut self,
        error: &SVector<f64, D>,
        covariance: &SMatrix<f64, D, D>,
    ) -> Option<f64> {
        let nees = kestrel::geometry::mahalanobis_squared(error, covariance)?;
        self.nees_sum += nees;
        self.nees_count += 1;
        Some(nees)
    }

    /// Adds one step's squared error (for the RMSE).
    pub fn add_squared_error(&mut self, squared_error: f64) {
        self.sum_sq += squared_error;
        self.count += 1;
    }

    /// Adds one normalised innovation squared.
    pub fn add_nis(&mut self, nis: f64) {
        self.nis_sum += nis;
        self.nis_count += 1;
    }

    /// Root mean squared error over the squared errors added.
    pub fn rmse(&self) -> f64 {
        (self.sum_sq / self.count.max(1) as f64).sqrt()
    }

    /// Mean NEES over the steps with a valid covariance.
    pub fn mean_nees(&self) -> f64 {
        self.nees_sum / self.nees_count.max(1) as f64
    }

    /// Mean NIS.
    pub fn mean_nis(&self) -> f64 {
        self.nis_sum / self.nis_count.max(1) as f64
    }

    /// Whether any NIS was recorded.
    pub fn has_nis(&self) -> bool {
        self.nis_count > 0
    }
}
