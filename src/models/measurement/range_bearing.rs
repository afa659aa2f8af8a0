//! Range and bearing from a sensor at a known position (a 2-D radar).

use nalgebra::{Matrix2, SMatrix, SVector, Vector2};

use super::check_indices;
use crate::models::error::{check_covariance, check_positive, ModelError};
use crate::models::{MeasurementJacobian, MeasurementModel};

/// Range and bearing of the target's position from a sensor at `sensor = [sx, sy]`.
///
/// With `dx = x - sx`, `dy = y - sy` and `r = sqrt(dx^2 + dy^2)`:
///
/// ```text
/// h(x) = [r, atan2(dy, dx)]
/// H    = [[ dx/r,    dy/r   ],     (columns at the x and y state indices,
///         [-dy/r^2,  dx/r^2 ]]      zero elsewhere)
/// ```
///
/// Range in metres, bearing in radians counter-clockwise from +x, in `(-pi, pi]`. The bearing is
/// an angle component, so filters wrap its residual to `[-pi, pi)`. At the sensor itself
/// (`r = 0`) the bearing is undefined: `h` returns bearing 0 and the Jacobian is zero (the
/// measurement then carries no information about the state instead of producing NaN).
///
/// ```
/// use nalgebra::{Vector2, Vector4};
/// use kestrel::models::{measurement::RangeBearing, motion::ConstantVelocity, MeasurementModel};
/// let radar = RangeBearing::<4>::new(ConstantVelocity::POSITION, Vector2::new(1.0, 1.0), 0.1, 0.01)
///     .unwrap();
/// let z = radar.measure(&Vector4::new(4.0, 0.0, 5.0, 0.0));
/// assert!((z[0] - 5.0).abs() < 1e-12 && (z[1] - (4.0f64).atan2(3.0)).abs() < 1e-12);
/// assert_eq!(radar.angle_components(), [false, true]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RangeBearing<const N: usize> {
    indices: [usize; 2],
    sensor: Vector2<f64>,
    r: Matrix2<f64>,
}

impl<const N: usize> RangeBearing<N> {
    /// Independent range and bearing noise with standard deviations `sigma_range` (m) and
    /// `sigma_bearing` (rad).
    ///
    /// # Errors
    /// [`ModelError`] if an index is `>= N`, the sensor position is not finite, or a standard
    /// deviation is not finite and positive.
    pub fn new(
        position_indices: [usize; 2],
        sensor: Vector2<f64>,
        sigma_range: f64,
        sigma_bearing: f64,
    ) -> Result<Self, ModelError> {
        let sr = check_positive("sigma_range", sigma_range)?;
        let sb = check_positive("sigma_bearing", sigma_bearing)?;
        Self::with_covariance(
            position_indices,
            sensor,
            Matrix2::new(sr * sr, 0.0, 0.0, sb * sb),
        )
    }

    /// A full noise covariance `R` over `[range, bearing]` (m^2, m rad, rad^2).
    ///
    /// # Errors
    /// [`ModelError`] if an index is `>= N`, the sensor position is not finite, or `R` is not a
    /// finite symmetric positive semi-definite matrix.
    pub fn with_covariance(
        position_indices: [usize; 2],
        sensor: Vector2<f64>,
        r: Matrix2<f64>,
    ) -> Result<Self, ModelError> {
        check_indices("position_indices", &position_indices, N)?;
        if !sensor.iter().all(|v| v.is_finite()) {
            return Err(ModelError::NonFinite { name: "sensor" });
        }
        check_covariance("R", &r)?;
        Ok(Self {
            indices: position_indices,
            sensor,
            r,
        })
    }

    /// The sensor position `[sx, sy]`.
    pub fn sensor(&self) -> Vector2<f64> {
        self.sensor
    }

    /// The state indices of `[x, y]`.
    pub fn position_indices(&self) -> [usize; 2] {
        self.indices
    }

    /// Converts a measurement `[r, bearing]` to the Cartesian position it points at.
    pub fn to_cartesian(&self, z: &Vector2<f64>) -> Vector2<f64> {
        let (s, c) = z[1].sin_cos();
        self.sensor + Vector2::new(z[0] * c, z[0] * s)
    }
}

impl<const N: usize> MeasurementModel<N, 2> for RangeBearing<N> {
    /// `R` is a constant.
    #[inline]
    fn noise_covariance_is_state_independent(&self) -> bool {
        true
    }

    #[inline]
    fn measure(&self, x: &SVector<f64, N>) -> Vector2<f64> {
        let dx = x[self.indices[0]] - self.sensor.x;
        let dy = x[self.indices[1]] - self.sensor.y;
        Vector2::new(range(dx, dy), libm::atan2(dy, dx))
    }

    #[inline]
    fn noise_covariance(&self, _x: &SVector<f64, N>) -> Matrix2<f64> {
        self.r
    }

    fn angle_components(&self) -> [bool; 2] {
        [false, true]
    }
}

impl<const N: usize> MeasurementJacobian<N, 2> for RangeBearing<N> {
    #[inline]
    fn jacobian(&self, x: &SVector<f64, N>) -> SMatrix<f64, 2, N> {
        let dx = x[self.indices[0]] - self.sensor.x;
        let dy = x[self.indices[1]] - self.sensor.y;
        let r2 = dx * dx + dy * dy;
        let mut h = SMatrix::<f64, 2, N>::zeros();
        if r2 > 0.0 && r2.is_finite() {
            let r = r2.sqrt();
            h[(0, self.indices[0])] = dx / r;
            h[(0, self.indices[1])] = dy / r;
            h[(1, self.indices[0])] = -dy / r2;
            h[(1, self.indices[1])] = dx / r2;
        }
        h
    }
}

/// `sqrt(dx^2 + dy^2)`: the plain formula where its squares neither overflow nor lose precision to
/// underflow (a few instructions, within an ulp or so of `hypot`), `hypot` elsewhere.
#[inline]
fn range(dx: f64, dy: f64) -> f64 {
    let r2 = dx * dx + dy * dy;
    if (1e-290..=1e290).contains(&r2) {
        r2.sqrt()
    } else {
        dx.hypot(dy)
    }
}
