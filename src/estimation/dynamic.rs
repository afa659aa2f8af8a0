//! A Kalman filter whose dimensions are known only at run time (`DVector` / `DMatrix`).

use nalgebra::{DMatrix, DVector};

use super::EstimationError;
use crate::models::error::{covariance_status, CovarianceStatus};

/// `ln(2 pi)`.
const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// The innovation of a [`DynamicKalmanFilter`] update (see [`Innovation`](super::Innovation)).
#[derive(Debug, Clone, PartialEq)]
pub struct DynamicInnovation {
    /// `y = z - H x`, with the components marked in the update's angle mask wrapped.
    pub residual: DVector<f64>,
    /// `S = H P H^T + R`.
    pub covariance: DMatrix<f64>,
    /// `y^T S^-1 y`.
    pub nis: f64,
    /// `ln N(y; 0, S)`.
    pub log_likelihood: f64,
}

/// A linear Kalman filter with runtime-sized state, for users whose dimensions come from files or
/// configuration. Same equations, Joseph-form update and guarantees as
/// [`KalmanFilter`](super::KalmanFilter), with raw matrices only (FilterPy style):
/// [`predict`](Self::predict) (`F`, `Q`), [`predict_with_control`](Self::predict_with_control)
/// (`F`, `Q`, `B`, `u`) and [`update`](Self::update) (`z`, `H`, `R`).
///
/// # Errors
/// Every input's shape is checked against the state dimension `n` and the measurement dimension
/// `m = z.len()`: a wrong shape is [`EstimationError::DimensionMismatch`] naming the matrix and
/// the expected and found row or column count. Non-finite inputs, noise matrices that are not
/// symmetric with a non-negative diagonal, and an `S` that is not positive definite are rejected
/// as in the fixed-size filter. **A rejected step leaves the filter unchanged.**
///
/// # Cost
/// `O(n^3 + n^2 m + m^3)` per step; unlike the fixed-size filters it allocates temporaries.
///
/// ```
/// use nalgebra::{dmatrix, dvector};
/// use kestrel::estimation::{DynamicKalmanFilter, EstimationError};
/// let mut kf = DynamicKalmanFilter::new(dvector![0.0, 0.0], dmatrix![1.0, 0.0; 0.0, 1.0]).unwrap();
/// kf.predict(&dmatrix![1.0, 1.0; 0.0, 1.0], &dmatrix![0.0, 0.0; 0.0, 0.0]).unwrap();
/// let inn = kf.update(&dvector![1.0], &dmatrix![1.0, 0.0], &dmatrix![1.0]).unwrap();
/// // P^- = [[2, 1], [1, 1]], S = 3, K = [2/3, 1/3]
/// assert!((inn.covariance[(0, 0)] - 3.0).abs() < 1e-15);
/// assert!((kf.state()[0] - 2.0 / 3.0).abs() < 1e-15 && (kf.state()[1] - 1.0 / 3.0).abs() < 1e-15);
/// // a 3-column H does not fit a 2-state filter
/// let err = kf.update(&dvector![1.0], &dmatrix![1.0, 0.0, 0.0], &dmatrix![1.0]).unwrap_err();
/// assert!(matches!(err, EstimationError::DimensionMismatch { expected: 2, found: 3, .. }));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DynamicKalmanFilter {
    x: DVector<f64>,
    p: DMatrix<f64>,
    angles: Vec<bool>,
}

fn dims(what: &'static str, expected: usize, found: usize) -> Result<(), EstimationError> {
    if expected == found {
        Ok(())
    } else {
        Err(EstimationError::DimensionMismatch {
            what,
            expected,
            found,
        })
    }
}

fn finite<R: nalgebra::Dim, C: nalgebra::Dim, S: nalgebra::RawStorage<f64, R, C>>(
    m: &nalgebra::Matrix<f64, R, C, S>,
    what: &'static str,
) -> Result<(), EstimationError> {
    if m.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(EstimationError::NonFinite { what })
    }
}

/// Finite, symmetric, non-negative diagonal (the per-step check of the fixed-size filters).
fn noise(m: &DMatrix<f64>, what: &'static str) -> Result<(), EstimationError> {
    finite(m, what)?;
    let n = m.nrows();
    let scale = (0..n).map(|i| m[(i, i)]).fold(0.0f64, f64::max);
    if (0..n).any(|i| m[(i, i)] < 0.0) {
        return Err(EstimationError::NotPositiveDefinite { what });
    }
    let tol = 1e-9 * scale.max(f64::MIN_POSITIVE);
    for i in 0..n {
        for j in 0..i {
            if (m[(i, j)] - m[(j, i)]).abs() > tol {
                return Err(EstimationError::NotPositiveDefinite { what });
            }
        }
    }
    Ok(())
}

fn symmetrize(m: &mut DMatrix<f64>) {
    let n = m.nrows();
    for i in 0..n {
        for j in 0..i {
            let v = 0.5 * (m[(i, j)] + m[(j, i)]);
            m[(i, j)] = v;
            m[(j, i)] = v;
        }
    }
}

fn wrap(v: &mut DVector<f64>, angles: &[bool]) {
    for (x, &a) in v.iter_mut().zip(angles) {
        if a {
            *x = crate::geometry::wrap_angle(*x);
        }
    }
}

impl DynamicKalmanFilter {
    /// A filter with mean `x` (length `n`) and covariance `P` (`n x n`).
    ///
    /// # Errors
    /// [`EstimationError::DimensionMismatch`] if `P` is not `n x n`, [`EstimationError::NonFinite`]
    /// for NaN or infinity, [`EstimationError::NotPositiveDefinite`] if `P` is not symmetric
    /// positive semi-definite.
    pub fn new(x: DVector<f64>, p: DMatrix<f64>) -> Result<Self, EstimationError> {
        Self::check_estimate(&x, &p)?;
        let n = x.len();
        Ok(Self {
            x,
            p,
            angles: vec![false; n],
        })
    }

    fn check_estimate(x: &DVector<f64>, p: &DMatrix<f64>) -> Result<(), EstimationError> {
        let n = x.len();
        dims("rows of state covariance P", n, p.nrows())?;
        dims("columns of state covariance P", n, p.ncols())?;
        finite(x, "state x")?;
        match covariance_status(p) {
            CovarianceStatus::Ok => Ok(()),
            CovarianceStatus::NonFinite => Err(EstimationError::NonFinite {
                what: "state covariance P",
            }),
            _ => Err(EstimationError::NotPositiveDefinite {
                what: "state covariance P",
            }),
        }
    }

    /// Declares which state components are angles (wrapped after every step).
    ///
    /// # Errors
    /// [`EstimationError::DimensionMismatch`] if `angles.len() != n`.
    pub fn with_angles(mut self, angles: Vec<bool>) -> Result<Self, EstimationError> {
        dims("state angle mask", self.x.len(), angles.len())?;
        self.angles = angles;
        wrap(&mut self.x, &self.angles);
        Ok(self)
    }

    /// The state dimension `n`.
    pub fn dim(&self) -> usize {
        self.x.len()
    }

    /// The state mean.
    pub fn state(&self) -> &DVector<f64> {
        &self.x
    }

    /// The state covariance.
    pub fn covariance(&self) -> &DMatrix<f64> {
        &self.p
    }

    /// Replaces the estimate; the dimension may not change.
    ///
    /// # Errors
    /// As [`new`](Self::new), plus a mismatch with the current dimension.
    pub fn set_estimate(
        &mut self,
        x: DVector<f64>,
        p: DMatrix<f64>,
    ) -> Result<(), EstimationError> {
        dims("state x", self.x.len(), x.len())?;
        Self::check_estimate(&x, &p)?;
        self.x = x;
        wrap(&mut self.x, &self.angles);
        self.p = p;
        Ok(())
    }

    /// `x <- F x`, `P <- F P F^T + Q`.
    ///
    /// # Errors
    /// Shapes other than `n x n`, non-finite values, `Q` not symmetric with a non-negative
    /// diagonal. The filter is unchanged on error.
    pub fn predict(&mut self, f: &DMatrix<f64>, q: &DMatrix<f64>) -> Result<(), EstimationError> {
        self.check_fq(f, q)?;
        let x = f * &self.x;
        self.commit_prediction(x, f, q)
    }

    /// `x <- F x + B u`, `P <- F P F^T + Q`.
    ///
    /// # Errors
    /// As [`predict`](Self::predict), plus `B` not `n x u.len()` or non-finite `B`, `u`.
    pub fn predict_with_control(
        &mut self,
        f: &DMatrix<f64>,
        q: &DMatrix<f64>,
        b: &DMatrix<f64>,
        u: &DVector<f64>,
    ) -> Result<(), EstimationError> {
        self.check_fq(f, q)?;
        let n = self.x.len();
        dims("rows of control matrix B", n, b.nrows())?;
        dims("columns of control matrix B", u.len(), b.ncols())?;
        finite(b, "control matrix B")?;
        finite(u, "control input u")?;
        let x = f * &self.x + b * u;
        self.commit_prediction(x, f, q)
    }

    fn check_fq(&self, f: &DMatrix<f64>, q: &DMatrix<f64>) -> Result<(), EstimationError> {
        let n = self.x.len();
        dims("rows of transition matrix F", n, f.nrows())?;
        dims("columns of transition matrix F", n, f.ncols())?;
        dims("rows of process noise Q", n, q.nrows())?;
        dims("columns of process noise Q", n, q.ncols())?;
        finite(f, "transition matrix F")?;
        noise(q, "process noise Q")
    }

    fn commit_prediction(
        &mut self,
        mut x: DVector<f64>,
        f: &DMatrix<f64>,
        q: &DMatrix<f64>,
    ) -> Result<(), EstimationError> {
        let mut p = f * &self.p * f.transpose() + q;
        symmetrize(&mut p);
        finite(&x, "predicted state")?;
        finite(&p, "predicted covariance")?;
        wrap(&mut x, &self.angles);
        self.x = x;
        self.p = p;
        Ok(())
    }

    /// Updates with `z` (length `m`), `H` (`m x n`) and `R` (`m x m`); the residual is `z - H x`.
    ///
    /// # Errors
    /// Wrong shapes, non-finite values, `R` not symmetric with a non-negative diagonal, `S` not
    /// positive definite. The filter is unchanged on error.
    pub fn update(
        &mut self,
        z: &DVector<f64>,
        h: &DMatrix<f64>,
        r: &DMatrix<f64>,
    ) -> Result<DynamicInnovation, EstimationError> {
        self.update_with_angles(z, h, r, &[])
    }

    /// As [`update`](Self::update), wrapping the residual components marked in `angles`
    /// (`angles` empty: none; otherwise its length must be `m`).
    ///
    /// # Errors
    /// As [`update`](Self::update), plus an angle mask of the wrong length.
    pub fn update_with_angles(
        &mut self,
        z: &DVector<f64>,
        h: &DMatrix<f64>,
        r: &DMatrix<f64>,
        angles: &[bool],
    ) -> Result<DynamicInnovation, EstimationError> {
        let (n, m) = (self.x.len(), z.len());
        dims("rows of measurement matrix H", m, h.nrows())?;
        dims("columns of measurement matrix H", n, h.ncols())?;
        dims("rows of measurement noise R", m, r.nrows())?;
        dims("columns of measurement noise R", m, r.ncols())?;
        if !angles.is_empty() {
            dims("measurement angle mask", m, angles.len())?;
        }
        finite(z, "measurement z")?;
        finite(h, "measurement matrix H")?;
        noise(r, "measurement noise R")?;
        let mut y = z - h * &self.x;
        wrap(&mut y, angles);
        let pht = &self.p * h.transpose();
        let mut s = h * &pht + r;
        symmetrize(&mut s);
        let not_pd = EstimationError::NotPositiveDefinite {
            what: "innovation covariance S",
        };
        let chol = s.clone().cholesky().ok_or(not_pd.clone())?;
        let w = chol.l().solve_lower_triangular(&y).ok_or(not_pd.clone())?;
        let nis = w.norm_squared();
        let log_likelihood = -0.5 * (nis + m as f64 * LN_2PI + chol.ln_determinant());
        if !log_likelihood.is_finite() {
            return Err(not_pd);
        }
        let kt = chol.solve(&pht.transpose());
        let k = kt.transpose();
        let mut x = &self.x + &k * &y;
        let ikh = DMatrix::identity(n, n) - &k * h;
        let mut p = &ikh * &self.p * ikh.transpose() + &k * r * &kt;
        symmetrize(&mut p);
        finite(&x, "updated state")?;
        finite(&p, "updated covariance")?;
        wrap(&mut x, &self.angles);
        self.x = x;
        self.p = p;
        Ok(DynamicInnovation {
            residual: y,
            covariance: s,
            nis,
            log_likelihood,
        })
    }
}
