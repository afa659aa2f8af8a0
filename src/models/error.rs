//! Errors raised when a model is built with bad parameters.

use thiserror::Error;

/// Why a motion or measurement model could not be built.
///
/// Models validate their parameters once, at construction, so that filters can evaluate them on
/// every step without checking again.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ModelError {
    /// A parameter is NaN or infinite.
    #[error("model parameter {name} is not finite")]
    NonFinite {
        /// The parameter's name.
        name: &'static str,
    },
    /// A parameter is outside its valid range (for example a negative noise intensity).
    #[error("invalid model parameter {name}: {reason}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// Why it is invalid.
        reason: String,
    },
    /// A noise covariance is not symmetric positive semi-definite.
    #[error("{name} is not a symmetric positive semi-definite covariance")]
    NotPositiveSemiDefinite {
        /// The covariance's name.
        name: &'static str,
    },
    /// A state index does not exist in a state of dimension `dim`.
    #[error("state index {index} of {name} is out of range for a state of dimension {dim}")]
    IndexOutOfRange {
        /// Which indices.
        name: &'static str,
        /// The offending index.
        index: usize,
        /// The state dimension.
        dim: usize,
    },
}

/// Checks that `value` is finite and `>= 0`.
pub(crate) fn check_non_negative(name: &'static str, value: f64) -> Result<f64, ModelError> {
    if !value.is_finite() {
        return Err(ModelError::NonFinite { name });
    }
    if value < 0.0 {
        return Err(ModelError::InvalidParameter {
            name,
            reason: format!("must be >= 0, got {value}"),
        });
    }
    Ok(value)
}

/// Checks that `value` is finite and `> 0`.
pub(crate) fn check_positive(name: &'static str, value: f64) -> Result<f64, ModelError> {
    if !value.is_finite() {
        return Err(ModelError::NonFinite { name });
    }
    if value <= 0.0 {
        return Err(ModelError::InvalidParameter {
            name,
            reason: format!("must be > 0, got {value}"),
        });
    }
    Ok(value)
}

/// The outcome of [`covariance_status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CovarianceStatus {
    Ok,
    NonFinite,
    NotSymmetric,
    NotPositiveSemiDefinite,
}

/// Classifies a covariance matrix: finite, symmetric (to `1e-9` of its largest diagonal entry) and
/// positive semi-definite (a Cholesky factorisation of `C + delta I` succeeds, with `delta`
/// `1e-12` of the trace, so rank-deficient covariances such as FilterPy's piecewise-constant
/// process noise are accepted). Works for any storage (fixed or runtime size).
pub(crate) fn covariance_status<R, C, S>(m: &nalgebra::Matrix<f64, R, C, S>) -> CovarianceStatus
where
    R: nalgebra::Dim,
    C: nalgebra::Dim,
    S: nalgebra::RawStorage<f64, R, C>,
{
    let n = m.nrows();
    if m.ncols() != n {
        return CovarianceStatus::NotSymmetric;
    }
    if !m.iter().all(|v| v.is_finite()) {
        return CovarianceStatus::NonFinite;
    }
    let mut scale = 0.0f64;
    let mut trace = 0.0;
    for i in 0..n {
        let d = m[(i, i)];
        if d < 0.0 {
            return CovarianceStatus::NotPositiveSemiDefinite;
        }
        scale = scale.max(d);
        trace += d;
    }
    let tol = 1e-9 * scale.max(f64::MIN_POSITIVE);
    for i in 0..n {
        for j in 0..i {
            let (a, b) = (m[(i, j)], m[(j, i)]);
            if (a - b).abs() > tol {
                return CovarianceStatus::NotSymmetric;
            }
        }
    }
    // Dense LDL-free check: a Cholesky of the jittered matrix, written out so that it works for
    // any dimension without allocating for fixed sizes (the work buffer is at most 16 x 16 on
    // the stack; larger matrices fall back to a heap copy).
    let delta = 1e-12 * trace.max(f64::MIN_POSITIVE);
    const STACK: usize = 16;
    let mut stack = [0.0f64; STACK * STACK];
    let mut heap = Vec::new();
    let l: &mut [f64] = if n <= STACK {
        &mut stack[..n * n]
    } else {
        heap.resize(n * n, 0.0);
        &mut heap
    };
    for j in 0..n {
        let mut d = m[(j, j)] + delta;
        for k in 0..j {
            d -= l[j * n + k] * l[j * n + k];
        }
        if d <= 0.0 || !d.is_finite() {
            return CovarianceStatus::NotPositiveSemiDefinite;
        }
        let djj = d.sqrt();
        l[j * n + j] = djj;
        for i in (j + 1)..n {
            let mut s = 0.5 * (m[(i, j)] + m[(j, i)]);
            for k in 0..j {
                s -= l[i * n + k] * l[j * n + k];
            }
            l[i * n + j] = s / djj;
        }
    }
    CovarianceStatus::Ok
}

/// Maps a non-`Ok` [`covariance_status`] to a [`ModelError`].
pub(crate) fn check_covariance<R, C, S>(
    name: &'static str,
    m: &nalgebra::Matrix<f64, R, C, S>,
) -> Result<(), ModelError>
where
    R: nalgebra::Dim,
    C: nalgebra::Dim,
    S: nalgebra::RawStorage<f64, R, C>,
{
    match covariance_status(m) {
        CovarianceStatus::Ok => Ok(()),
        CovarianceStatus::NonFinite => Err(ModelError::NonFinite { name }),
        _ => Err(ModelError::NotPositiveSemiDefinite { name }),
    }
}
