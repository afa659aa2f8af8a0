//! The extended Kalman filter: linearise the models at the current estimate.

use nalgebra::{SMatrix, SVector};

use super::kalman_step::{
    check_dt, check_estimate, check_finite_matrix, innovation_only, joseph_update, propagate,
    symmetrized, Projection,
};
use super::{EstimationError, Innovation};
use crate::models::{normalize, residual, MeasurementJacobian, MotionJacobian};

/// An extended Kalman filter over a fixed-size state of dimension `N`.
///
/// The models supply their own Jacobians ([`MotionJacobian`], [`MeasurementJacobian`]); wrap a
/// model without one in [`NumericalJacobian`](crate::models::numerical::NumericalJacobian).
///
/// ```text
/// predict:  F = df/dx (x),  x <- f(x, dt),  P <- F P F^T + Q(x, dt)
/// update:   H = dh/dx (x),  y = z (-) h(x),  S = H P H^T + R(x),  K = P H^T S^-1
///           x <- x + K y,   P <- (I - K H) P (I - K H)^T + K R K^T     (Joseph form)
/// ```
///
/// Jacobians, `Q` and `R` are evaluated at the estimate before the step (as FilterPy's
/// `ExtendedKalmanFilter`, whose `update` evaluates `HJacobian(x)` and `Hx(x)` at the prior).
/// `(-)` is the residual with the measurement model's angle components wrapped to `[-pi, pi)`
/// (a bearing of 179 deg against a prediction of -179 deg is a 2 deg residual, not 358 deg).
/// State angle components declared with [`with_angles`](Self::with_angles) are wrapped after each
/// step.
///
/// # Errors
/// As [`KalmanFilter`](super::KalmanFilter): non-finite inputs or model outputs, a negative `dt`,
/// noise matrices that are not symmetric with a non-negative diagonal, and an innovation
/// covariance that is not positive definite are reported as [`EstimationError`]s, and **a rejected
/// step leaves the filter unchanged**.
///
/// # Cost
/// One model evaluation and one Jacobian per step plus `O(N^3 + N^2 M + M^3)` arithmetic on the
/// stack: no heap allocation.
///
/// ```
/// use nalgebra::{SMatrix, SVector, Vector2};
/// use kestrel::estimation::ExtendedKalmanFilter;
/// use kestrel::models::{measurement::RangeBearing, motion::CoordinatedTurn};
///
/// let ct = CoordinatedTurn::new(0.5, 1e-3).unwrap();
/// let radar = RangeBearing::<5>::new(CoordinatedTurn::POSITION, Vector2::zeros(), 1.0, 0.01).unwrap();
/// let x0 = SVector::<f64, 5>::from([100.0, 0.0, 0.0, 10.0, 0.0]);
/// let mut ekf = ExtendedKalmanFilter::new(x0, SMatrix::<f64, 5, 5>::identity()).unwrap();
/// ekf.predict(&ct, 1.0).unwrap();
/// assert!((ekf.state()[2] - 10.0).abs() < 1e-12);
/// let innovation = ekf.update(&radar, &Vector2::new(100.5, 0.1)).unwrap();
/// assert!(innovation.residual[1].abs() < 0.01 && innovation.nis.is_finite());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ExtendedKalmanFilter<const N: usize> {
    x: SVector<f64, N>,
    p: SMatrix<f64, N, N>,
    angles: [bool; N],
}

impl<const N: usize> ExtendedKalmanFilter<N> {
    /// A filter with initial mean `x` and covariance `P`.
    ///
    /// # Errors
    /// [`EstimationError::NonFinite`] if `x` or `P` holds NaN or infinity,
    /// [`EstimationError::NotPositiveDefinite`] if `P` is not symmetric positive semi-definite.
    pub fn new(x: SVector<f64, N>, p: SMatrix<f64, N, N>) -> Result<Self, EstimationError> {
        check_estimate(&x, &p)?;
        Ok(Self {
            x,
            p: symmetrized(p),
            angles: [false; N],
        })
    }

    /// Declares which state components are angles (for example a heading): they are wrapped to
    /// `[-pi, pi)` after every step (and now).
    pub fn with_angles(mut self, angles: [bool; N]) -> Self {
        self.angles = angles;
        normalize(&mut self.x, &self.angles);
        self
    }

    /// The state mean `x`.
    pub fn state(&self) -> &SVector<f64, N> {
        &self.x
    }

    /// The state covariance `P`.
    pub fn covariance(&self) -> &SMatrix<f64, N, N> {
        &self.p
    }

    /// The state angle mask.
    pub fn angles(&self) -> &[bool; N] {
        &self.angles
    }

    /// Replaces the estimate (for example after IMM mixing).
    ///
    /// # Errors
    /// As [`new`](Self::new); on error the filter is unchanged.
    pub fn set_estimate(
        &mut self,
        x: SVector<f64, N>,
        p: SMatrix<f64, N, N>,
    ) -> Result<(), EstimationError> {
        check_estimate(&x, &p)?;
        self.x = x;
        normalize(&mut self.x, &self.angles);
        self.p = symmetrized(p);
        Ok(())
    }

    /// Predicts over `dt` seconds: `F = df/dx(x)`, `x <- f(x, dt)`, `P <- F P F^T + Q(x, dt)`.
    ///
    /// # Errors
    /// `dt` negative or not finite, non-finite model outputs, `Q` not symmetric with a
    /// non-negative diagonal. The filter is unchanged on error.
    pub fn predict<Mo: MotionJacobian<N>>(
        &mut self,
        model: &Mo,
        dt: f64,
    ) -> Result<(), EstimationError> {
        self.predict_linearized(model, dt).map(|_| ())
    }

    /// As [`predict`](Self::predict), also returning the Jacobian `F` used (the extended RTS
    /// smoother needs it).
    pub(crate) fn predict_linearized<Mo: MotionJacobian<N>>(
        &mut self,
        model: &Mo,
        dt: f64,
    ) -> Result<SMatrix<f64, N, N>, EstimationError> {
        check_dt(dt)?;
        let f = model.jacobian(&self.x, dt);
        let q = model.process_noise(&self.x, dt);
        let x = model.transition(&self.x, dt);
        // A non-finite F shows in F P F^T; the cold error path names it.
        propagate(&x, &f, &q, &mut self.x, &mut self.p, &self.angles).map_err(|e| {
            check_finite_matrix(&f, "motion Jacobian F")
                .err()
                .unwrap_or(e)
        })?;
        Ok(f)
    }

    /// Predicts with an already-propagated mean `x_pred = f(x)` and the Jacobian `F` evaluated
    /// at the current estimate: `x <- x_pred`, `P <- F P F^T + Q` (FilterPy's `predict` after
    /// setting `F`, `Q` and overriding `predict_x`).
    ///
    /// # Errors
    /// Non-finite inputs, `Q` not symmetric with a non-negative diagonal. The filter is unchanged
    /// on error.
    pub fn predict_with(
        &mut self,
        x_pred: &SVector<f64, N>,
        f: &SMatrix<f64, N, N>,
        q: &SMatrix<f64, N, N>,
    ) -> Result<(), EstimationError> {
        propagate(x_pred, f, q, &mut self.x, &mut self.p, &self.angles).map_err(|e| {
            check_finite_matrix(f, "motion Jacobian F")
                .err()
                .unwrap_or(e)
        })
    }

    /// Updates with measurement `z`: `H = dh/dx(x)`, `y = z (-) h(x)`, Joseph-form update.
    ///
    /// # Errors
    /// Non-finite `z` or model outputs, `R` not symmetric with a non-negative diagonal, `S` not
    /// positive definite. The filter is unchanged on error.
    pub fn update<Me, const M: usize>(
        &mut self,
        model: &Me,
        z: &SVector<f64, M>,
    ) -> Result<Innovation<M>, EstimationError>
    where
        Me: MeasurementJacobian<N, M>,
    {
        check_finite_matrix(z, "measurement z")?;
        let h = model.jacobian(&self.x);
        let r = model.noise_covariance(&self.x);
        let z_hat = model.measure(&self.x);
        check_finite_matrix(&z_hat, "predicted measurement h(x)")?;
        let y = residual(z, &z_hat, &model.angle_components());
        self.commit_update(&y, &h, &r)
    }

    /// Updates with an explicit predicted measurement `z_hat = h(x)`, its Jacobian `H` at the
    /// current estimate and the noise `R`; `angles` marks the measurement components whose
    /// residual is wrapped (FilterPy's `update(z, HJacobian, Hx, R, residual=...)`).
    ///
    /// # Errors
    /// As [`update`](Self::update).
    pub fn update_with<const M: usize>(
        &mut self,
        z: &SVector<f64, M>,
        z_hat: &SVector<f64, M>,
        h: &SMatrix<f64, M, N>,
        r: &SMatrix<f64, M, M>,
        angles: &[bool; M],
    ) -> Result<Innovation<M>, EstimationError> {
        check_finite_matrix(z, "measurement z")?;
        check_finite_matrix(z_hat, "predicted measurement h(x)")?;
        let y = residual(z, z_hat, angles);
        self.commit_update(&y, h, r)
    }

    /// The innovation that [`update`](Self::update) would produce, without changing the filter.
    ///
    /// # Errors
    /// As [`update`](Self::update).
    pub fn innovation<Me, const M: usize>(
        &self,
        model: &Me,
        z: &SVector<f64, M>,
    ) -> Result<Innovation<M>, EstimationError>
    where
        Me: MeasurementJacobian<N, M>,
    {
        check_finite_matrix(z, "measurement z")?;
        let h = model.jacobian(&self.x);
        let r = model.noise_covariance(&self.x);
        let z_hat = model.measure(&self.x);
        check_finite_matrix(&z_hat, "predicted measurement h(x)")?;
        let y = residual(z, &z_hat, &model.angle_components());
        innovation_only(&y, &Projection::dense(&h, &self.p), &r, || h)
    }

    fn commit_update<const M: usize>(
        &mut self,
        y: &SVector<f64, M>,
        h: &SMatrix<f64, M, N>,
        r: &SMatrix<f64, M, M>,
    ) -> Result<Innovation<M>, EstimationError> {
        let projection = Projection::dense(h, &self.p);
        joseph_update(
            y,
            &projection,
            r,
            || *h,
            &mut self.x,
            &mut self.p,
            &self.angles,
        )
    }
}
