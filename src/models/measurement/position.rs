//! Direct measurement of the planar position.

use nalgebra::{Matrix2, SMatrix, SVector, Vector2};

use super::{check_indices, LinearMeasurement};
use crate::models::error::{check_covariance, check_positive, ModelError};
use crate::models::{MeasurementJacobian, MeasurementModel};

/// Measures the position `z = [x, y] + v`, `v ~ N(0, R)`, of a state of dimension `N`.
///
/// `h(x) = H x` where `H` has a single 1 in each row, at the state indices given at construction
/// (for example `ConstantVelocity::POSITION == [0, 2]`). Units are those of the state (metres).
///
/// ```
/// use nalgebra::{Vector2, Vector4};
/// use kestrel::models::{measurement::PositionMeasurement, motion::ConstantVelocity, MeasurementModel};
/// let m = PositionMeasurement::<4>::new(ConstantVelocity::POSITION, 0.5).unwrap();
/// assert_eq!(m.measure(&Vector4::new(1.0, 2.0, 3.0, 4.0)), Vector2::new(1.0, 3.0));
/// assert_eq!(m.noise_covariance(&Vector4::zeros())[(1, 1)], 0.25);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PositionMeasurement<const N: usize> {
    indices: [usize; 2],
    r: Matrix2<f64>,
}

impl<const N: usize> PositionMeasurement<N> {
    /// Isotropic noise with standard deviation `sigma` (metres) on each axis.
    ///
    /// # Errors
    /// [`ModelError`] if an index is `>= N` or `sigma` is not finite and positive.
    pub fn new(position_indices: [usize; 2], sigma: f64) -> Result<Self, ModelError> {
        let s = check_positive("sigma", sigma)?;
        Self::with_covariance(position_indices, Matrix2::from_diagonal_element(s * s))
    }

    /// A full 2 x 2 noise covariance `R` (m^2).
    ///
    /// # Errors
    /// [`ModelError`] if an index is `>= N` or `R` is not a finite symmetric positive
    /// semi-definite matrix.
    pub fn with_covariance(
        position_indices: [usize; 2],
        r: Matrix2<f64>,
    ) -> Result<Self, ModelError> {
        check_indices("position_indices", &position_indices, N)?;
        check_covariance("R", &r)?;
        Ok(Self {
            indices: position_indices,
            r,
        })
    }

    /// The state indices of `[x, y]`.
    pub fn position_indices(&self) -> [usize; 2] {
        self.indices
    }
}

impl<const N: usize> MeasurementModel<N, 2> for PositionMeasurement<N> {
    #[inline]
    fn measure(&self, x: &SVector<f64, N>) -> Vector2<f64> {
        Vector2::new(x[self.indices[0]], x[self.indices[1]])
    }

    #[inline]
    fn noise_covariance(&self, _x: &SVector<f64, N>) -> Matrix2<f64> {
        self.r
    }
}

impl<const N: usize> MeasurementJacobian<N, 2> for PositionMeasurement<N> {
    #[inline]
    fn jacobian(&self, _x: &SVector<f64, N>) -> SMatrix<f64, 2, N> {
        self.measurement_matrix()
    }
}

impl<const N: usize> LinearMeasurement<N, 2> for PositionMeasurement<N> {
    #[inline]
    fn measurement_matrix(&self) -> SMatrix<f64, 2, N> {
        let mut h = SMatrix::<f64, 2, N>::zeros();
        h[(0, self.indices[0])] = 1.0;
        h[(1, self.indices[1])] = 1.0;
        h
    }
}
