//! Gaussian pieces of the particle filter: draws from `N(0, Q)` through a square root of a
//! (semi-)definite `Q`, and the Gaussian log-likelihood of a residual. Each comes as a fixed
//! factorisation (for a model that declares its noise independent of the state: one
//! factorisation per step) and as a cache that refactors only when the covariance changes from
//! one particle to the next (for any other model).

use nalgebra::{SMatrix, SVector};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::estimation::EstimationError;

/// A lower-triangular `L` with `L L^T = A` for a symmetric positive **semi**-definite `A`.
///
/// Cholesky-Banachiewicz where a pivot within rounding of zero gives a zero column (a singular
/// process noise such as the discretised white-noise acceleration `Q` of a constant-velocity model
/// is rank-deficient, and plain Cholesky rejects it). Returns `None` when `A` is not symmetric or
/// has a clearly negative pivot (not semi-definite). `O(D^3)`.
pub(crate) fn psd_sqrt<const D: usize>(a: &SMatrix<f64, D, D>) -> Option<SMatrix<f64, D, D>> {
    let scale = (0..D).map(|i| a[(i, i)].abs()).fold(0.0, f64::max);
    let mut l = SMatrix::<f64, D, D>::zeros();
    if scale == 0.0 {
        // Only the zero matrix has a zero diagonal and is semi-definite.
        return a.iter().all(|&v| v == 0.0).then_some(l);
    }
    let tol = 64.0 * f64::EPSILON * scale * D as f64;
    for j in 0..D {
        for i in (j + 1)..D {
            if (a[(i, j)] - a[(j, i)]).abs() > 1e-9 * scale {
                return None;
            }
        }
        let mut d = a[(j, j)];
        for k in 0..j {
            d -= l[(j, k)] * l[(j, k)];
        }
        if d > tol {
            let ljj = d.sqrt();
            l[(j, j)] = ljj;
            for i in (j + 1)..D {
                let mut s = a[(i, j)];
                for k in 0..j {
                    s -= l[(i, k)] * l[(j, k)];
                }
                l[(i, j)] = s / ljj;
            }
        } else if d >= -tol {
            // Zero pivot: for a semi-definite matrix the rest of the column vanishes too.
            for i in (j + 1)..D {
                let mut s = a[(i, j)];
                for k in 0..j {
                    s -= l[(i, k)] * l[(j, k)];
                }
                if s.abs() > (tol * scale).sqrt() {
                    return None;
                }
            }
        } else {
            return None;
        }
    }
    Some(l)
}

/// Draws from `N(0, Q)` through a fixed square root `L` of `Q` (`L L^T = Q`), and which of its
/// columns are non-zero: a rank-deficient `Q` (the piecewise-constant white-noise acceleration of
/// a constant-velocity model has rank 2 in 4 states) needs only one normal draw per non-zero
/// column.
#[derive(Debug, Clone)]
pub(crate) struct NoiseFactor<const D: usize> {
    sqrt: SMatrix<f64, D, D>,
    active: [bool; D],
    full_rank: bool,
}

impl<const D: usize> NoiseFactor<D> {
    /// Factorises `q` once.
    ///
    /// # Errors
    /// [`EstimationError::NonFinite`] for a non-finite `q`,
    /// [`EstimationError::NotPositiveDefinite`] when it is not symmetric positive semi-definite.
    pub(crate) fn new(q: &SMatrix<f64, D, D>, what: &'static str) -> Result<Self, EstimationError> {
        if !q.iter().all(|v| v.is_finite()) {
            return Err(EstimationError::NonFinite { what });
        }
        let sqrt = psd_sqrt(q).ok_or(EstimationError::NotPositiveDefinite { what })?;
        let active: [bool; D] = std::array::from_fn(|j| sqrt.column(j).iter().any(|&v| v != 0.0));
        Ok(Self {
            sqrt,
            active,
            full_rank: active.iter().all(|&a| a),
        })
    }

    /// Fills `e` (the standard normal vectors of consecutive draws, `D` entries each) with
    /// `N(0, 1)` draws on the non-zero columns of `L`, in order, and zeros elsewhere. Drawing a
    /// block of vectors in one tight loop, apart from the arithmetic, keeps the generator's state
    /// in registers.
    #[inline(always)]
    pub(crate) fn fill_normals<R: Rng + ?Sized>(&self, e: &mut [[f64; D]], rng: &mut R) {
        if self.full_rank {
            for v in e.as_flattened_mut() {
                *v = StandardNormal.sample(rng);
            }
        } else {
            for e in e {
                for (v, &active) in e.iter_mut().zip(&self.active) {
                    *v = if active {
                        StandardNormal.sample(rng)
                    } else {
                        0.0
                    };
                }
            }
        }
    }

    /// `L e` for a vector from [`fill_normals`](Self::fill_normals): the lower-triangular
    /// product, `D (D + 1) / 2` multiply-adds, unrolled.
    #[inline(always)]
    pub(crate) fn apply(&self, e: &[f64; D]) -> SVector<f64, D> {
        let l = &self.sqrt.data.0;
        let mut w = [0.0; D];
        for j in 0..D {
            for i in j..D {
                w[i] += e[j] * l[j][i];
            }
        }
        SVector::from(w)
    }

    /// One draw `w = L e` from `N(0, Q)`: [`fill_normals`](Self::fill_normals) for one vector,
    /// then [`apply`](Self::apply).
    #[inline(always)]
    pub(crate) fn draw<R: Rng + ?Sized>(&self, rng: &mut R) -> SVector<f64, D> {
        let mut e = [[0.0; D]];
        self.fill_normals(&mut e, rng);
        self.apply(&e[0])
    }
}

/// A [`NoiseFactor`] for the last covariance seen, refactored only when the covariance changes
/// (for a process noise that depends on the state, evaluated particle by particle).
#[derive(Debug, Clone)]
pub(crate) struct NoiseSqrtCache<const D: usize> {
    covariance: SMatrix<f64, D, D>,
    factor: Option<NoiseFactor<D>>,
}

impl<const D: usize> NoiseSqrtCache<D> {
    pub(crate) fn new() -> Self {
        Self {
            covariance: SMatrix::zeros(),
            factor: None,
        }
    }

    /// A draw from `N(0, q)` (see [`NoiseFactor::draw`]); `q` is refactored only when it differs
    /// from the cached matrix.
    ///
    /// # Errors
    /// As [`NoiseFactor::new`].
    #[inline]
    pub(crate) fn sample<R: Rng + ?Sized>(
        &mut self,
        q: &SMatrix<f64, D, D>,
        what: &'static str,
        rng: &mut R,
    ) -> Result<SVector<f64, D>, EstimationError> {
        match &self.factor {
            Some(factor) if *q == self.covariance => Ok(factor.draw(rng)),
            _ => {
                let factor = self.refactor(q, what)?;
                Ok(factor.draw(rng))
            }
        }
    }

    #[cold]
    fn refactor(
        &mut self,
        q: &SMatrix<f64, D, D>,
        what: &'static str,
    ) -> Result<&NoiseFactor<D>, EstimationError> {
        let factor = NoiseFactor::new(q, what)?;
        self.covariance = *q;
        Ok(self.factor.insert(factor))
    }
}

/// The Gaussian log-density `ln N(r; 0, R) = -r^T R^-1 r / 2 - ln det(2 pi R) / 2` of a fixed
/// `R`, through the inverse of its Cholesky factor (computed once).
#[derive(Debug, Clone)]
pub(crate) struct GaussianDensity<const M: usize> {
    /// `L^-1` for `R = L L^T` (lower triangular).
    inverse_factor: SMatrix<f64, M, M>,
    /// `-ln det(2 pi R) / 2`.
    log_normaliser: f64,
}

impl<const M: usize> GaussianDensity<M> {
    /// Factorises `covariance` once.
    ///
    /// # Errors
    /// [`EstimationError::NonFinite`] for a non-finite `R`,
    /// [`EstimationError::NotPositiveDefinite`] when its Cholesky factorisation fails.
    pub(crate) fn new(covariance: &SMatrix<f64, M, M>) -> Result<Self, EstimationError> {
        const WHAT: &str = "measurement noise R";
        if !covariance.iter().all(|v| v.is_finite()) {
            return Err(EstimationError::NonFinite { what: WHAT });
        }
        let chol = covariance
            .cholesky()
            .ok_or(EstimationError::NotPositiveDefinite { what: WHAT })?;
        let l = chol.l();
        let inverse = l
            .solve_lower_triangular(&SMatrix::<f64, M, M>::identity())
            .ok_or(EstimationError::NotPositiveDefinite { what: WHAT })?;
        let log_det: f64 = 2.0 * (0..M).map(|i| l[(i, i)].ln()).sum::<f64>();
        let log_normaliser = -0.5 * (log_det + M as f64 * (2.0 * std::f64::consts::PI).ln());
        if !log_normaliser.is_finite() || !inverse.iter().all(|v| v.is_finite()) {
            return Err(EstimationError::NotPositiveDefinite { what: WHAT });
        }
        Ok(Self {
            inverse_factor: inverse,
            log_normaliser,
        })
    }

    /// `ln N(r; 0, R)`: `|L^-1 r|^2` over the lower triangle of `L^-1`. `O(M^2)`.
    #[inline(always)]
    pub(crate) fn log_density(&self, r: &SVector<f64, M>) -> f64 {
        let l = &self.inverse_factor.data.0;
        let mut y = [0.0; M];
        for k in 0..M {
            for i in k..M {
                y[i] += l[k][i] * r[k];
            }
        }
        let mut sq = 0.0;
        for v in y {
            sq += v * v;
        }
        self.log_normaliser - 0.5 * sq
    }
}

/// A [`GaussianDensity`] for the last covariance seen, refactored only when the covariance
/// changes (for a measurement noise that depends on the state).
#[derive(Debug, Clone)]
pub(crate) struct GaussianLogLikelihood<const M: usize> {
    covariance: SMatrix<f64, M, M>,
    density: Option<GaussianDensity<M>>,
}

impl<const M: usize> GaussianLogLikelihood<M> {
    pub(crate) fn new() -> Self {
        Self {
            covariance: SMatrix::zeros(),
            density: None,
        }
    }

    /// `ln N(r; 0, R)`.
    ///
    /// # Errors
    /// As [`GaussianDensity::new`].
    #[inline]
    pub(crate) fn log_density(
        &mut self,
        r: &SVector<f64, M>,
        covariance: &SMatrix<f64, M, M>,
    ) -> Result<f64, EstimationError> {
        match &self.density {
            Some(density) if *covariance == self.covariance => Ok(density.log_density(r)),
            _ => Ok(self.refactor(covariance)?.log_density(r)),
        }
    }

    #[cold]
    fn refactor(
        &mut self,
        covariance: &SMatrix<f64, M, M>,
    ) -> Result<&GaussianDensity<M>, EstimationError> {
        let density = GaussianDensity::new(covariance)?;
        self.covariance = *covariance;
        Ok(self.density.insert(density))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::{Matrix2, Matrix4, Vector2};

    #[test]
    fn psd_sqrt_of_definite_and_singular_matrices() {
        let a = Matrix2::new(4.0, 2.0, 2.0, 3.0);
        let l = psd_sqrt(&a).unwrap();
        assert!((l * l.transpose() - a).abs().max() < 1e-14);
        // Discretised white-noise acceleration of a CV model, state [x, vx, y, vy]: rank 2,
        // so plain Cholesky fails on it.
        let (dt, q) = (0.1_f64, 2.0);
        let block = Matrix2::new(
            dt.powi(4) / 4.0,
            dt.powi(3) / 2.0,
            dt.powi(3) / 2.0,
            dt * dt,
        ) * q;
        let mut qm = Matrix4::zeros();
        qm.fixed_view_mut::<2, 2>(0, 0).copy_from(&block);
        qm.fixed_view_mut::<2, 2>(2, 2).copy_from(&block);
        assert!(qm.cholesky().is_none());
        let l = psd_sqrt(&qm).unwrap();
        assert!((l * l.transpose() - qm).abs().max() < 1e-15);
        assert_eq!(psd_sqrt(&Matrix4::<f64>::zeros()), Some(Matrix4::zeros()));
        assert!(psd_sqrt(&Matrix2::new(1.0, 2.0, 2.0, 1.0)).is_none()); // eigenvalue -1
        assert!(psd_sqrt(&Matrix2::new(1.0, 0.5, 0.0, 1.0)).is_none()); // not symmetric
        assert!(psd_sqrt(&Matrix2::new(0.0, 1.0, 1.0, 0.0)).is_none());
    }

    #[test]
    fn noise_draws_only_on_nonzero_columns() {
        use rand::{rngs::SmallRng, SeedableRng};
        let mut cache = NoiseSqrtCache::<2>::new();
        let mut rng = SmallRng::seed_from_u64(1);
        let mut twin = rng.clone();
        // Zero covariance: no draw at all, the generator is untouched.
        assert_eq!(
            cache.sample(&Matrix2::zeros(), "q", &mut rng).unwrap(),
            Vector2::zeros()
        );
        assert_eq!(rng.random::<u64>(), twin.random::<u64>());
        // Rank one, [[4, 2], [2, 1]] = v v^T with v = (2, 1): one draw e, the sample is e v.
        let q = Matrix2::new(4.0, 2.0, 2.0, 1.0);
        let w = cache.sample(&q, "q", &mut rng).unwrap();
        let e: f64 = StandardNormal.sample(&mut twin);
        assert!((w - Vector2::new(2.0, 1.0) * e).abs().max() < 1e-15);
        assert_eq!(rng.random::<u64>(), twin.random::<u64>());
        assert!(matches!(
            cache.sample(&Matrix2::new(1.0, 2.0, 2.0, 1.0), "q", &mut rng),
            Err(EstimationError::NotPositiveDefinite { what: "q" })
        ));
    }

    #[test]
    fn log_density_matches_closed_form() {
        let mut g = GaussianLogLikelihood::<2>::new();
        let r = Vector2::new(1.0, -2.0);
        let cov = Matrix2::new(2.0, 0.0, 0.0, 8.0);
        // -0.5 (1/2 + 4/8) - 0.5 ln((2 pi)^2 * 16)
        let expected = -0.5 - 0.5 * ((2.0 * std::f64::consts::PI).powi(2) * 16.0).ln();
        assert!((g.log_density(&r, &cov).unwrap() - expected).abs() < 1e-14);
        assert!(matches!(
            g.log_density(&r, &Matrix2::new(1.0, 2.0, 2.0, 1.0)),
            Err(EstimationError::NotPositiveDefinite { .. })
        ));
        assert!(matches!(
            g.log_density(&r, &Matrix2::new(f64::NAN, 0.0, 0.0, 1.0)),
            Err(EstimationError::NonFinite { .. })
        ));
    }
}
