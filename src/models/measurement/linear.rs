//! A general linear-Gaussian measurement `z = H x + v`.

use nalgebra::{SMatrix, SVector};

use super::LinearMeasurement;
use crate::models::error::{check_covariance, ModelError};
use crate::models::{MeasurementJacobian, MeasurementModel};

/// The measurement `z = H x + v`, `v ~ N(0, R)`, with a constant `M x N` matrix `H`.
///
/// Use it for sensors that see a linear combination of the state (FilterPy's `kf.H`, `kf.R`).
/// Which components of `z` are angles can be declared with [`with_angles`](Self::with_angles).
///
/// ```
/// use nalgebra::{Matrix1, RowVector2, Vector1, Vector2};
/// use kestrel::models::{measurement::LinearGaussianMeasurement, MeasurementModel};
/// let m = LinearGaussianMeasurement::new(RowVector2::new(1.0, -1.0), Matrix1::new(0.1)).unwrap();
/// assert_eq!(m.measure(&Vector2::new(3.0, 1.0)), Vector1::new(2.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinearGaussianMeasurement<const N: usize, const M: usize> {
    h: SMatrix<f64, M, N>,
    r: SMatrix<f64, M, M>,
    angles: [bool; M],
}

impl<const N: usize, const M: usize> LinearGaussianMeasurement<N, M> {
    /// The model with measurement matrix `H` and noise covariance `R`.
    ///
    /// # Errors
    /// [`ModelError`] if `H` is not finite or `R` is not a finite symmetric positive
    /// semi-definite matrix.
    pub fn new(h: SMatrix<f64, M, N>, r: SMatrix<f64, M, M>) -> Result<Self, ModelError> {
        if !h.iter().all(|v| v.is_finite()) {
            return Err(ModelError::NonFinite { name: "H" });
        }
        check_covariance("R", &r)?;
        Ok(Self {
            h,
            r,
            angles: [false; M],
        })
    }

    /// Declares which measurement components are angles (their residuals are wrapped).
    pub fn with_angles(mut self, angles: [bool; M]) -> Self {
        self.angles = angles;
        self
    }
}

impl<const N: usize, const M: usize> MeasurementModel<N, M> for LinearGaussianMeasurement<N, M> {
    /// `R` is a constant.
    #[inline]
    fn noise_covariance_is_state_independent(&self) -> bool {
        true
    }

    #[inline]
    fn measure(&self, x: &SVector<f64, N>) -> SVector<f64, M> {
        self.h * x
    }

    #[inline]
    fn noise_covariance(&self, _x: &SVector<f64, N>) -> SMatrix<f64, M, M> {
        self.r
    }

    fn angle_components(&self) -> [bool; M] {
        self.angles
    }
}

impl<const N: usize, const M: usize> MeasurementJacobian<N, M> for LinearGaussianMeasurement<N, M> {
    #[inline]
    fn jacobian(&self, _x: &SVector<f64, N>) -> SMatrix<f64, M, N> {
        self.h
    }
}

impl<const N: usize, const M: usize> LinearMeasurement<N, M> for LinearGaussianMeasurement<N, M> {
    #[inline]
    fn measurement_matrix(&self) -> SMatrix<f64, M, N> {
        self.h
    }
}
