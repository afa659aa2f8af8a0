//! The innovation of a Kalman-type update: what trackers gate on and what the IMM weighs.

use nalgebra::{SMatrix, SVector};

/// The innovation of one measurement update, as returned by the filters' `update` methods.
///
/// With the predicted measurement `z_hat = h(x^-)` (or `H x^-`) and its covariance
/// `S = H P^- H^T + R`:
///
/// - `residual`: `y = z - z_hat`, angle components wrapped to `[-pi, pi)`;
/// - `covariance`: `S` (symmetrised);
/// - `nis`: the normalised innovation squared `y^T S^-1 y`, chi-square with `M` degrees of freedom
///   when the filter is consistent (the squared Mahalanobis distance used for gating);
/// - `log_likelihood`: `ln N(y; 0, S) = -(nis + M ln(2 pi) + ln det S) / 2`, as FilterPy's
///   `log_likelihood` (the IMM's mode likelihood).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Innovation<const M: usize> {
    /// `y = z - z_hat`, angle components wrapped.
    pub residual: SVector<f64, M>,
    /// `S = H P H^T + R`.
    pub covariance: SMatrix<f64, M, M>,
    /// Normalised innovation squared `y^T S^-1 y`.
    pub nis: f64,
    /// `ln N(y; 0, S)`.
    pub log_likelihood: f64,
}

impl<const M: usize> Innovation<M> {
    /// The measurement likelihood `N(y; 0, S) = exp(log_likelihood)` (may underflow to 0; prefer
    /// the log-likelihood when combining many).
    pub fn likelihood(&self) -> f64 {
        self.log_likelihood.exp()
    }

    /// The Mahalanobis distance `sqrt(nis)` (FilterPy's `mahalanobis`).
    pub fn mahalanobis(&self) -> f64 {
        self.nis.sqrt()
    }
}
