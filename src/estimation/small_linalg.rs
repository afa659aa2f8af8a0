//! Products of small fixed-size matrices written as plain loops.
//!
//! For the sizes of tracking filters (2 to 9 states) nalgebra's generic product goes through a
//! strided `gemm` that the compiler does not inline; these loops have compile-time bounds, so
//! they are fully unrolled and vectorised. Column-major order (nalgebra's storage) keeps the
//! innermost loop contiguous.

use nalgebra::{ArrayStorage, SMatrix};

/// `A B`.
#[inline(always)]
pub(crate) fn mul<const R: usize, const K: usize, const C: usize>(
    a: &SMatrix<f64, R, K>,
    b: &SMatrix<f64, K, C>,
) -> SMatrix<f64, R, C> {
    // Column arrays (`data.0[column][row]`): constant bounds, no index checks in the loops.
    let (a, b) = (&a.data.0, &b.data.0);
    let mut out = [[0.0; R]; C];
    for j in 0..C {
        for k in 0..K {
            let bkj = b[j][k];
            for i in 0..R {
                out[j][i] += a[k][i] * bkj;
            }
        }
    }
    SMatrix::from_data(ArrayStorage(out))
}

/// `A B^T`.
#[inline(always)]
pub(crate) fn mul_bt<const R: usize, const K: usize, const C: usize>(
    a: &SMatrix<f64, R, K>,
    b: &SMatrix<f64, C, K>,
) -> SMatrix<f64, R, C> {
    let (a, b) = (&a.data.0, &b.data.0);
    let mut out = [[0.0; R]; C];
    for j in 0..C {
        for k in 0..K {
            let bjk = b[k][j];
            for i in 0..R {
                out[j][i] += a[k][i] * bjk;
            }
        }
    }
    SMatrix::from_data(ArrayStorage(out))
}

/// `A B A^T + Q`, symmetrised (the covariance propagation `F P F^T + Q`).
#[inline(always)]
pub(crate) fn sandwich_plus<const R: usize, const K: usize>(
    a: &SMatrix<f64, R, K>,
    b: &SMatrix<f64, K, K>,
    q: &SMatrix<f64, R, R>,
) -> SMatrix<f64, R, R> {
    let ab = mul(a, b);
    let mut out = mul_bt(&ab, a) + q;
    for i in 0..R {
        for j in 0..i {
            let v = 0.5 * (out[(i, j)] + out[(j, i)]);
            out[(i, j)] = v;
            out[(j, i)] = v;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_match_nalgebra() {
        let a = SMatrix::<f64, 3, 4>::from_fn(|i, j| (i * 4 + j) as f64 * 0.5 - 2.0);
        let b = SMatrix::<f64, 4, 2>::from_fn(|i, j| (i + 3 * j) as f64 - 1.5);
        let c = SMatrix::<f64, 2, 4>::from_fn(|i, j| (2 * i + j) as f64 * 0.25);
        assert_eq!(mul(&a, &b), a * b);
        assert_eq!(mul_bt(&a, &c), a * c.transpose());
        let p = SMatrix::<f64, 4, 4>::from_fn(|i, j| 1.0 / (1 + i + j) as f64);
        let q = SMatrix::<f64, 3, 3>::identity();
        let s = sandwich_plus(&a, &p, &q);
        assert!((s - (a * p * a.transpose() + q)).abs().max() < 1e-12);
        assert_eq!(s, s.transpose());
    }
}
