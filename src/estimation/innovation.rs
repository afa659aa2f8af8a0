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

/// A Cholesky factor `S = L L^T` of a small fixed-size matrix, written out with plain loops
/// (fully unrolled for small `M`; nalgebra's generic factorisation is several times slower at
/// these sizes). Only the lower triangle of `l` is meaningful.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SmallCholesky<const M: usize> {
    l: SMatrix<f64, M, M>,
    /// `1 / L_ii` (multiplying is much cheaper than dividing in the triangular solves).
    inv_diag: SVector<f64, M>,
}

impl<const M: usize> SmallCholesky<M> {
    /// Factorises the symmetric matrix `s` (its lower triangle is read). `None` unless every
    /// pivot is strictly positive; a NaN anywhere in the lower triangle reaches a pivot and is
    /// rejected too. An infinite pivot is not rejected here (one comparison per pivot keeps the
    /// hot path short): it makes [`ln_determinant`](Self::ln_determinant) infinite, which
    /// callers must check.
    #[inline]
    pub(crate) fn new(s: &SMatrix<f64, M, M>) -> Option<Self> {
        let mut l = SMatrix::<f64, M, M>::zeros();
        let mut inv_diag = SVector::<f64, M>::zeros();
        for j in 0..M {
            let mut d = s[(j, j)];
            for k in 0..j {
                d -= l[(j, k)] * l[(j, k)];
            }
            // one comparison that NaN fails too
            #[allow(clippy::neg_cmp_op_on_partial_ord)]
            if !(d > 0.0) {
                return None;
            }
            // 1 / L_jj = L_jj / d: the square root and the division run side by side instead of
            // one after the other (the pivots are the critical path of a small update).
            let (ljj, inv_d) = (d.sqrt(), 1.0 / d);
            l[(j, j)] = ljj;
            // (a subnormal pivot overflows 1 / d: then divide)
            let inv = if inv_d <= f64::MAX {
                ljj * inv_d
            } else {
                1.0 / ljj
            };
            inv_diag[j] = inv;
            for i in (j + 1)..M {
                let mut v = s[(i, j)];
                for k in 0..j {
                    v -= l[(i, k)] * l[(j, k)];
                }
                l[(i, j)] = v * inv;
            }
        }
        Some(Self { l, inv_diag })
    }

    /// Solves `L w = b` in place for each column of `b`.
    #[inline]
    pub(crate) fn solve_lower<const C: usize>(&self, b: &mut SMatrix<f64, M, C>) {
        for c in 0..C {
            for i in 0..M {
                let mut v = b[(i, c)];
                for k in 0..i {
                    v -= self.l[(i, k)] * b[(k, c)];
                }
                b[(i, c)] = v * self.inv_diag[i];
            }
        }
    }

    /// Solves `X S = B` in place for `B` with `R` rows (`X = B S^-1`, the Kalman gain from
    /// `B = P H^T`): the transpose of the solve `S X^T = B^T`, with the same
    /// operations on each entry, but working on whole columns of `B` (contiguous, vectorised).
    #[inline]
    pub(crate) fn solve_right<const R: usize>(&self, b: &mut SMatrix<f64, R, M>) {
        let (l, inv, b) = (&self.l.data.0, &self.inv_diag, &mut b.data.0);
        // G L^T = B, column by column forwards: G[:, j] = (B[:, j] - sum_{k<j} G[:, k] L_jk) / L_jj
        for j in 0..M {
            for k in 0..j {
                let (ljk, bk) = (l[k][j], b[k]);
                for (v, w) in b[j].iter_mut().zip(bk) {
                    *v -= ljk * w;
                }
            }
            for v in b[j].iter_mut() {
                *v *= inv[j];
            }
        }
        // X L = G, backwards: X[:, j] = (G[:, j] - sum_{k>j} X[:, k] L_kj) / L_jj
        for j in (0..M).rev() {
            for k in (j + 1)..M {
                let (lkj, bk) = (l[j][k], b[k]);
                for (v, w) in b[j].iter_mut().zip(bk) {
                    *v -= lkj * w;
                }
            }
            for v in b[j].iter_mut() {
                *v *= inv[j];
            }
        }
    }

    /// `ln det S = 2 sum ln L_ii`, with one logarithm when the product of the pivots is a normal
    /// number.
    #[inline]
    pub(crate) fn ln_determinant(&self) -> f64 {
        let mut prod = 1.0;
        for i in 0..M {
            prod *= self.l[(i, i)];
        }
        if prod.is_normal() {
            2.0 * prod.ln()
        } else {
            (0..M).map(|i| 2.0 * self.l[(i, i)].ln()).sum()
        }
    }
}
