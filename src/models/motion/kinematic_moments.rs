//! The linear prediction `(F x, F P F^T)` for the kinematic models, whose `F` is block diagonal
//! with one upper-triangular Toeplitz block per axis: `[[1, dt], [0, 1]]` (constant velocity) or
//! `[[1, dt, dt^2/2], [0, 1, dt], [0, 0, 1]]` (constant acceleration).

use nalgebra::{SMatrix, SVector};

/// `(F x, F P F^T)` for `F = blockdiag(T, ..., T)` with `T` the `B x B` upper-triangular
/// Toeplitz matrix whose first row is `c` (`c[0] = 1`), `P` symmetric.
///
/// The sums are those of the dense products ([`mul`](crate::estimation::small_linalg::mul),
/// then the lower triangle of `(F P) F^T`), in the same order, without the terms whose factor of
/// `F` is zero (and without multiplying by the unit diagonal): the same result for finite
/// inputs (up to the sign of a zero), with `N^2 (B - 1) + N (N + 1) (B - 1) / 2` multiply-adds at
/// most instead of `N^3 + N^2 (N + 1) / 2`. The covariance is exactly symmetric.
#[inline(always)]
pub(super) fn block_toeplitz_moments<const N: usize, const B: usize>(
    x: &SVector<f64, N>,
    p: &SMatrix<f64, N, N>,
    c: [f64; B],
) -> (SVector<f64, N>, SMatrix<f64, N, N>) {
    // End (exclusive) of the block holding index i.
    let block_end = |i: usize| (i / B + 1) * B;
    let p = &p.data.0; // [column][row]
    let mut fx = *x;
    for i in 0..N {
        for k in (i + 1)..block_end(i) {
            fx[i] += c[k - i] * x[k];
        }
    }
    // F P, column by column: (F P)(i, j) = P(i, j) + sum_{k > i in i's block} c[k - i] P(k, j)
    let mut fp = *p;
    for j in 0..N {
        for i in 0..N {
            for k in (i + 1)..block_end(i) {
                fp[j][i] += c[k - i] * p[j][k];
            }
        }
    }
    // lower triangle of (F P) F^T: (i, j) = (F P)(i, j) + sum_{k > j in j's block} (F P)(i, k) c[k - j]
    let mut out = [[0.0; N]; N];
    for j in 0..N {
        for i in j..N {
            let mut v = fp[j][i];
            for k in (j + 1)..block_end(j) {
                v += fp[k][i] * c[k - j];
            }
            out[j][i] = v;
            out[i][j] = v;
        }
    }
    (fx, SMatrix::from_data(nalgebra::ArrayStorage(out)))
}

#[cfg(test)]
mod tests {
    use nalgebra::{SMatrix, SVector};

    use crate::estimation::small_linalg::{mul, sym_sandwich};
    use crate::models::motion::{ConstantAcceleration, ConstantVelocity, LinearMotion};

    /// A symmetric positive definite matrix with unremarkable entries of both signs.
    fn spd<const N: usize>(seed: f64) -> SMatrix<f64, N, N> {
        let a =
            SMatrix::<f64, N, N>::from_fn(|i, j| (seed + 7.0 * i as f64 + 3.0 * j as f64).sin());
        a * a.transpose() + SMatrix::identity() * 0.5
    }

    fn check<const N: usize, Mo: LinearMotion<N>>(model: &Mo) {
        for (k, dt) in [0.0, 0.1, 1.0, 2.5].into_iter().enumerate() {
            let p = spd::<N>(k as f64);
            let x = SVector::<f64, N>::from_fn(|i, _| (i as f64 * 1.3 + dt).cos() * 10.0);
            let f = model.transition_matrix(dt);
            let (fx, fpf) = model.transition_moments(&x, &p, dt);
            // the provided (dense) method's result, exactly
            assert_eq!(fx, mul(&f, &x), "dt = {dt}");
            assert_eq!(fpf, sym_sandwich(&f, &p), "dt = {dt}");
            // and nalgebra's products, to rounding
            let want = f * p * f.transpose();
            assert!((fpf - want).abs().max() <= 1e-12 * want.abs().max());
            assert!((fx - f * x).abs().max() <= 1e-12 * (f * x).abs().max());
            assert_eq!(fx, model.transition(&x, dt));
            assert_eq!(fpf, fpf.transpose());
        }
    }

    #[test]
    fn kinematic_moments_equal_the_dense_products() {
        check(&ConstantVelocity::new(0.3).unwrap());
        check(&ConstantAcceleration::new(0.3).unwrap());
    }
}
