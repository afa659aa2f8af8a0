//! Products of small fixed-size matrices written as plain loops.
//!
//! For the sizes of tracking filters (2 to 9 states) nalgebra's generic product goes through a
//! strided `gemm` that the compiler does not inline; these loops have compile-time bounds, so
//! they are fully unrolled and vectorised. Column-major order (nalgebra's storage,
//! `data.0[column][row]`) keeps the innermost loop contiguous.
//!
//! Products whose result is symmetric (`F P F^T + Q`, the Joseph form) compute only the lower
//! triangle (`i >= j`) and mirror it, which also makes the result exactly symmetric.

// Index loops are the clearest way to write these kernels (row and column indices meet in one
// expression); the bounds are constants, so the compiler removes the index checks.
#![allow(clippy::needless_range_loop)]

use nalgebra::{ArrayStorage, SMatrix};

/// Column arrays of a fixed-size matrix (`[column][row]`).
type Cols<const R: usize, const C: usize> = [[f64; R]; C];

/// `A B`.
#[inline(always)]
pub(crate) fn mul<const R: usize, const K: usize, const C: usize>(
    a: &SMatrix<f64, R, K>,
    b: &SMatrix<f64, K, C>,
) -> SMatrix<f64, R, C> {
    SMatrix::from_data(ArrayStorage(mul_cols(&a.data.0, &b.data.0)))
}

#[inline(always)]
fn mul_cols<const R: usize, const K: usize, const C: usize>(
    a: &Cols<R, K>,
    b: &Cols<K, C>,
) -> Cols<R, C> {
    let mut out = [[0.0; R]; C];
    for j in 0..C {
        for k in 0..K {
            let bkj = b[j][k];
            for i in 0..R {
                out[j][i] += a[k][i] * bkj;
            }
        }
    }
    out
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

/// Adds the lower triangle of `A B^T` to `out` (`out[j][i] += sum_k A(i, k) B(j, k)`, `i >= j`).
#[inline(always)]
fn add_lower_abt<const N: usize, const K: usize>(
    out: &mut Cols<N, N>,
    a: &Cols<N, K>,
    b: &Cols<N, K>,
) {
    for j in 0..N {
        for k in 0..K {
            let bjk = b[k][j];
            for i in j..N {
                out[j][i] += a[k][i] * bjk;
            }
        }
    }
}

/// Copies the lower triangle onto the upper one.
#[inline(always)]
fn mirror_lower<const N: usize>(m: &mut Cols<N, N>) {
    for j in 0..N {
        for i in (j + 1)..N {
            m[i][j] = m[j][i];
        }
    }
}

/// `F P F^T` for a symmetric `P`: the lower triangle is computed (in the summation order of
/// [`mul`] then [`mul_bt`]) and mirrored, so the result is exactly symmetric.
/// `N^3 + N^2 (N + 1) / 2` multiply-adds.
#[inline(always)]
pub(crate) fn sym_sandwich<const N: usize>(
    f: &SMatrix<f64, N, N>,
    p: &SMatrix<f64, N, N>,
) -> SMatrix<f64, N, N> {
    let f = &f.data.0;
    let fp = mul_cols(f, &p.data.0);
    let mut out = [[0.0; N]; N];
    add_lower_abt(&mut out, &fp, f);
    mirror_lower(&mut out);
    SMatrix::from_data(ArrayStorage(out))
}

/// `A + Q` from the lower triangles of `A` and `Q`, mirrored (exactly symmetric).
#[inline(always)]
pub(crate) fn sym_sum<const N: usize>(
    a: &SMatrix<f64, N, N>,
    q: &SMatrix<f64, N, N>,
) -> SMatrix<f64, N, N> {
    let (a, q) = (&a.data.0, &q.data.0);
    let mut out = [[0.0; N]; N];
    for j in 0..N {
        for i in j..N {
            out[j][i] = a[j][i] + q[j][i];
        }
    }
    mirror_lower(&mut out);
    SMatrix::from_data(ArrayStorage(out))
}

/// The projection of a symmetric covariance `P` through `H`: `(P H^T, H P H^T)`, the latter
/// computed on its lower triangle and mirrored. `N^2 M + N M (M + 1) / 2` multiply-adds.
#[inline(always)]
#[allow(clippy::type_complexity)]
pub(crate) fn project<const M: usize, const N: usize>(
    h: &SMatrix<f64, M, N>,
    p: &SMatrix<f64, N, N>,
) -> (SMatrix<f64, N, M>, SMatrix<f64, M, M>) {
    let pht = mul_bt(p, h);
    let (hc, xc) = (&h.data.0, &pht.data.0);
    let mut out = [[0.0; M]; M];
    for j in 0..M {
        for k in 0..N {
            let xkj = xc[j][k];
            for i in j..M {
                out[j][i] += hc[k][i] * xkj;
            }
        }
    }
    mirror_lower(&mut out);
    (pht, SMatrix::from_data(ArrayStorage(out)))
}

/// The Joseph-form covariance update `(I - K H) P (I - K H)^T + K R K^T` for a symmetric `P`,
/// **any** gain `K`, `X = P H^T` and `S = H P H^T + R`, through its rank-`M` factors: expanding,
///
/// ```text
/// (I - K H) P (I - K H)^T + K R K^T = P - K X^T - X K^T + K S K^T = P + K V^T + V K^T,
/// V = K S / 2 - X,
/// ```
///
/// an identity that holds for every `K` (not only the optimal `K = X S^-1`, for which `V = -X / 2`
/// and the familiar `P - K S K^T` follows), so the update keeps the Joseph form's first-order
/// insensitivity to errors in the gain. Only the lower triangle is computed, then mirrored: the
/// result is exactly symmetric. `N M^2 + N (N + 1) M` multiply-adds, against `N^3` and more for
/// the product as written.
#[inline(always)]
pub(crate) fn joseph<const N: usize, const M: usize>(
    p: &SMatrix<f64, N, N>,
    k: &SMatrix<f64, N, M>,
    x: &SMatrix<f64, N, M>,
    s: &SMatrix<f64, M, M>,
) -> SMatrix<f64, N, N> {
    let (k, x, s) = (&k.data.0, &x.data.0, &s.data.0);
    // V = K S / 2 - X
    let mut v = [[0.0; N]; M];
    for c in 0..M {
        for l in 0..M {
            let slc = 0.5 * s[c][l];
            for i in 0..N {
                v[c][i] += k[l][i] * slc;
            }
        }
        for i in 0..N {
            v[c][i] -= x[c][i];
        }
    }
    let mut out = p.data.0;
    add_lower_abt(&mut out, k, &v);
    add_lower_abt(&mut out, &v, k);
    mirror_lower(&mut out);
    SMatrix::from_data(ArrayStorage(out))
}

/// Whether every entry is finite. `x - x` is `0` for a finite `x` and NaN otherwise; the sums
/// stay `0` exactly when all are finite. Two running sums over pairs of entries compile to
/// packed SSE2 arithmetic (no branches, no integer compares, which SSE2 lacks for 64 bits).
#[inline(always)]
#[allow(clippy::eq_op)] // `v - v` is the point
pub(crate) fn is_finite<const R: usize, const C: usize>(m: &SMatrix<f64, R, C>) -> bool {
    let mut acc = [0.0; 2];
    let mut pairs = m.as_slice().chunks_exact(2);
    for pair in &mut pairs {
        acc[0] += pair[0] - pair[0];
        acc[1] += pair[1] - pair[1];
    }
    for v in pairs.remainder() {
        acc[0] += v - v;
    }
    acc[0] + acc[1] == 0.0
}

/// The per-step test of a noise covariance: a non-negative diagonal and symmetry to `1e-9` of the
/// largest diagonal entry. Written so that a NaN fails it (`!(x <= tol)`); an infinite or NaN
/// entry in the lower triangle passes only if it then shows in a result, which callers check.
#[inline(always)]
pub(crate) fn noise_shape_ok<const D: usize>(m: &SMatrix<f64, D, D>) -> bool {
    let m = &m.data.0;
    let mut ok = true;
    let mut scale = 0.0f64;
    for i in 0..D {
        let d = m[i][i];
        ok &= d >= 0.0;
        scale = scale.max(d);
    }
    let tol = 1e-9 * scale.max(f64::MIN_POSITIVE);
    for j in 0..D {
        for i in (j + 1)..D {
            ok &= (m[j][i] - m[i][j]).abs() <= tol;
        }
    }
    ok
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
        let f = SMatrix::<f64, 4, 4>::from_fn(|i, j| ((i * 4 + j) as f64 * 0.37).sin());
        let p = SMatrix::<f64, 4, 4>::from_fn(|i, j| 1.0 / (1 + i + j) as f64);
        let q = SMatrix::<f64, 4, 4>::from_fn(|i, j| 0.1 / (1 + i + j) as f64);
        let s = sym_sum(&sym_sandwich(&f, &p), &q);
        assert!((s - (f * p * f.transpose() + q)).abs().max() < 1e-12);
        assert_eq!(s, s.transpose());
    }

    #[test]
    fn joseph_matches_the_textbook_product_for_any_gain() {
        let p = SMatrix::<f64, 4, 4>::from_fn(|i, j| if i == j { 2.0 } else { 0.3 });
        let h = SMatrix::<f64, 2, 4>::from_fn(|i, j| (i + 2 * j) as f64 * 0.25 - 0.5);
        let r = SMatrix::<f64, 2, 2>::new(0.5, 0.1, 0.1, 0.7);
        let (pht, hph) = project(&h, &p);
        assert!((pht - p * h.transpose()).abs().max() < 1e-15);
        let s = sym_sum(&hph, &r);
        assert!((s - (h * p * h.transpose() + r)).abs().max() < 1e-14);
        assert_eq!(s, s.transpose());
        let optimal = pht * s.try_inverse().unwrap();
        // an arbitrary gain, far from the optimal one, and the optimal one
        let arbitrary =
            SMatrix::<f64, 4, 2>::from_fn(|i, j| 0.1 * (i as f64) - 0.2 * (j as f64) + 0.05);
        for k in [arbitrary, optimal] {
            let t = SMatrix::<f64, 4, 4>::identity() - k * h;
            let want = t * p * t.transpose() + k * r * k.transpose();
            let got = joseph(&p, &k, &pht, &s);
            assert!(
                (got - want).abs().max() < 1e-14,
                "{}",
                (got - want).abs().max()
            );
            assert_eq!(got, got.transpose());
        }
    }

    #[test]
    fn finiteness_and_noise_shape() {
        let mut m = SMatrix::<f64, 3, 3>::identity();
        assert!(is_finite(&m) && noise_shape_ok(&m));
        for (i, j) in [(0, 0), (2, 2), (1, 2), (2, 1)] {
            for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
                let mut b = m;
                b[(i, j)] = bad;
                assert!(!is_finite(&b), "{i} {j} {bad}");
            }
        }
        m[(0, 2)] = f64::NAN; // upper triangle only
        assert!(!noise_shape_ok(&m));
        m[(0, 2)] = 0.0;
        m[(2, 0)] = f64::INFINITY;
        assert!(!noise_shape_ok(&m));
        m[(2, 0)] = 1e-3; // asymmetric
        assert!(is_finite(&m) && !noise_shape_ok(&m));
        m[(0, 2)] = 1e-3;
        m[(1, 1)] = -1.0; // negative variance
        assert!(!noise_shape_ok(&m));
    }
}
