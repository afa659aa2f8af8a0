//! The linear Kalman filter with the Joseph-form covariance update.

use nalgebra::{SMatrix, SVector};

pub(crate) use super::kalman_step::check_finite_matrix;
use super::kalman_step::{
    check_dt, check_estimate, innovation_only, joseph_update, propagate, propagate_moments,
    symmetrized, Projection,
};
use super::small_linalg::mul;
use super::{EstimationError, Innovation};
use crate::models::measurement::LinearMeasurement;
use crate::models::motion::LinearMotion;
use crate::models::{normalize, residual};

/// A linear Kalman filter over a fixed-size state of dimension `N`.
///
/// The filter holds its estimate (mean `x`, covariance `P`) and takes models by reference:
///
/// ```text
/// predict:  x <- F x (+ B u),          P <- F P F^T + Q
/// update:   y = z - H x,   S = H P H^T + R,   K = P H^T S^-1
///           x <- x + K y,  P <- (I - K H) P (I - K H)^T + K R K^T     (Joseph form)
/// ```
///
/// The Joseph form keeps `P` symmetric positive semi-definite under rounding and for any gain
/// (as FilterPy's `KalmanFilter`). `S` is factorised by Cholesky (never inverted explicitly); `P`
/// is re-symmetrised after each step.
///
/// # Conventions
/// - Model-based steps: [`predict`](Self::predict) takes a [`LinearMotion`] model (for example
///   [`ConstantVelocity`](crate::models::motion::ConstantVelocity)) and the step `dt >= 0` in
///   seconds; [`update`](Self::update) takes a [`LinearMeasurement`] model and returns the
///   [`Innovation`]. Residual components that the measurement model declares as angles are
///   wrapped to `[-pi, pi)`; state components declared with [`with_angles`](Self::with_angles)
///   are wrapped after every step.
/// - Raw-matrix steps for FilterPy users: [`predict_with`](Self::predict_with) (`F`, `Q`),
///   [`predict_with_control`](Self::predict_with_control) (`F`, `Q`, `B`, `u`) and
///   [`update_with`](Self::update_with) (`z`, `H`, `R`), the same as FilterPy's
///   `predict(F=, Q=, B=, u=)` and `update(z, R=, H=)`.
///
/// # Errors
/// Every step validates its inputs and its result: non-finite measurements or matrices
/// ([`EstimationError::NonFinite`]), a negative or non-finite `dt`
/// ([`EstimationError::InvalidParameter`]), a noise matrix that is not symmetric with a
/// non-negative diagonal, or an innovation covariance `S` whose Cholesky factorisation fails
/// ([`EstimationError::NotPositiveDefinite`]). **A rejected step leaves the filter unchanged**, so
/// it can go on with the next measurement.
///
/// # Cost
/// `O(N^3 + N^2 M + M^3)` per step on the stack: no heap allocation. Symmetric results are
/// computed on their lower triangle only, and the Joseph form through its rank-`M` factors
/// (`O(N^2 M)`, not `O(N^3)`). With models whose `F` or `H` has known zeros the products skip them:
/// see [`LinearMotion::transition_moments`] (overridden by the kinematic models) and
/// [`LinearMeasurement::measurement_moments`] (overridden by
/// [`PositionMeasurement`](crate::models::measurement::PositionMeasurement)); the raw-matrix
/// steps multiply the dense matrices.
///
/// ```
/// use nalgebra::{Matrix4, Vector2, Vector4};
/// use kestrel::estimation::KalmanFilter;
/// use kestrel::models::{measurement::PositionMeasurement, motion::ConstantVelocity};
///
/// let cv = ConstantVelocity::new(0.1).unwrap();
/// let gps = PositionMeasurement::<4>::new(ConstantVelocity::POSITION, 1.0).unwrap();
/// let mut kf = KalmanFilter::new(Vector4::zeros(), Matrix4::identity() * 100.0).unwrap();
/// kf.predict(&cv, 1.0).unwrap();
/// let innovation = kf.update(&gps, &Vector2::new(3.0, -1.0)).unwrap();
/// assert!(innovation.nis >= 0.0);
/// // with a vague prior the position estimate moves almost all the way to the measurement
/// assert!((kf.state()[0] - 3.0).abs() < 0.05 && (kf.state()[2] + 1.0).abs() < 0.05);
/// // a NaN measurement is rejected and the estimate is kept
/// let before = kf.clone();
/// assert!(kf.update(&gps, &Vector2::new(f64::NAN, 0.0)).is_err());
/// assert_eq!(kf, before);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct KalmanFilter<const N: usize> {
    x: SVector<f64, N>,
    p: SMatrix<f64, N, N>,
    angles: [bool; N],
}

impl<const N: usize> KalmanFilter<N> {
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

    /// Declares which state components are angles: they are wrapped to `[-pi, pi)` after every
    /// step (and now).
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

    /// Replaces the estimate (for example after IMM mixing or track re-initialisation).
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

    /// Predicts over `dt` seconds with a linear motion model: `x <- F x`, `P <- F P F^T + Q`
    /// (through the model's [`transition_moments`](LinearMotion::transition_moments), which
    /// skips the zero entries of a kinematic `F`).
    ///
    /// # Errors
    /// `dt` negative or not finite, or a model `Q` that is not finite and symmetric with a
    /// non-negative diagonal. The filter is unchanged on error.
    pub fn predict<Mo: LinearMotion<N>>(
        &mut self,
        model: &Mo,
        dt: f64,
    ) -> Result<(), EstimationError> {
        check_dt(dt)?;
        let q = model.process_noise(&self.x, dt);
        let (x, fpf) = model.transition_moments(&self.x, &self.p, dt);
        propagate_moments(&x, &fpf, &q, &mut self.x, &mut self.p, &self.angles)
    }

    /// Predicts with explicit matrices: `x <- F x`, `P <- F P F^T + Q` (FilterPy's
    /// `predict(F=F, Q=Q)`).
    ///
    /// # Errors
    /// Non-finite `F` or `Q`, or `Q` not symmetric with a non-negative diagonal. The filter is
    /// unchanged on error.
    pub fn predict_with(
        &mut self,
        f: &SMatrix<f64, N, N>,
        q: &SMatrix<f64, N, N>,
    ) -> Result<(), EstimationError> {
        let x = mul(f, &self.x);
        // A non-finite F shows in F x; the cold error path names it.
        propagate(&x, f, q, &mut self.x, &mut self.p, &self.angles).map_err(|e| {
            check_finite_matrix(f, "transition matrix F")
                .err()
                .unwrap_or(e)
        })
    }

    /// Predicts with a control input: `x <- F x + B u`, `P <- F P F^T + Q` (FilterPy's
    /// `predict(u, B, F, Q)`).
    ///
    /// # Errors
    /// As [`predict_with`](Self::predict_with), plus non-finite `B` or `u`.
    pub fn predict_with_control<const U: usize>(
        &mut self,
        f: &SMatrix<f64, N, N>,
        q: &SMatrix<f64, N, N>,
        b: &SMatrix<f64, N, U>,
        u: &SVector<f64, U>,
    ) -> Result<(), EstimationError> {
        let x = mul(f, &self.x) + mul(b, u);
        // A non-finite F, B or u shows in F x + B u; the cold error path names it.
        propagate(&x, f, q, &mut self.x, &mut self.p, &self.angles).map_err(|e| {
            check_finite_matrix(f, "transition matrix F")
                .and(check_finite_matrix(b, "control matrix B"))
                .and(check_finite_matrix(u, "control input u"))
                .err()
                .unwrap_or(e)
        })
    }

    /// Updates with measurement `z` of a linear measurement model and returns the innovation
    /// (the projections `H x`, `P H^T`, `H P H^T` come from the model's
    /// [`measurement_moments`](LinearMeasurement::measurement_moments), which a selection `H`
    /// answers without arithmetic).
    ///
    /// # Errors
    /// Non-finite `z` or model matrices, `R` not symmetric with a non-negative diagonal, `S` not
    /// positive definite. The filter is unchanged on error.
    pub fn update<Me, const M: usize>(
        &mut self,
        model: &Me,
        z: &SVector<f64, M>,
    ) -> Result<Innovation<M>, EstimationError>
    where
        Me: LinearMeasurement<N, M>,
    {
        check_finite_matrix(z, "measurement z")?;
        let (z_hat, pht, hph) = model.measurement_moments(&self.x, &self.p);
        let r = model.noise_covariance(&self.x);
        let y = residual(z, &z_hat, &model.angle_components());
        let projection = Projection { pht, hph };
        let h = || model.measurement_matrix();
        joseph_update(
            &y,
            &projection,
            &r,
            h,
            &mut self.x,
            &mut self.p,
            &self.angles,
        )
    }

    /// Updates with explicit matrices (FilterPy's `update(z, R=R, H=H)`): `y = z - H x`, no
    /// angle wrapping of the residual.
    ///
    /// # Errors
    /// As [`update`](Self::update). The filter is unchanged on error.
    pub fn update_with<const M: usize>(
        &mut self,
        z: &SVector<f64, M>,
        h: &SMatrix<f64, M, N>,
        r: &SMatrix<f64, M, M>,
    ) -> Result<Innovation<M>, EstimationError> {
        check_finite_matrix(z, "measurement z")?;
        let y = z - mul(h, &self.x);
        let projection = Projection::dense(h, &self.p);
        joseph_update(
            &y,
            &projection,
            r,
            || *h,
            &mut self.x,
            &mut self.p,
            &self.angles,
        )
    }

    /// The innovation that [`update`](Self::update) would produce, without changing the filter
    /// (for gating and association in trackers).
    ///
    /// # Errors
    /// As [`update`](Self::update).
    pub fn innovation<Me, const M: usize>(
        &self,
        model: &Me,
        z: &SVector<f64, M>,
    ) -> Result<Innovation<M>, EstimationError>
    where
        Me: LinearMeasurement<N, M>,
    {
        check_finite_matrix(z, "measurement z")?;
        let (z_hat, pht, hph) = model.measurement_moments(&self.x, &self.p);
        let r = model.noise_covariance(&self.x);
        let y = residual(z, &z_hat, &model.angle_components());
        innovation_only(&y, &Projection { pht, hph }, &r, || {
            model.measurement_matrix()
        })
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix2, Matrix2x4, Matrix4, Vector2, Vector4};

    use super::*;

    fn filter() -> KalmanFilter<4> {
        let p = Matrix4::from_fn(|i, j| if i == j { 2.0 } else { 0.25 });
        KalmanFilter::new(Vector4::new(1.0, 0.5, -2.0, 0.25), p).unwrap()
    }

    fn f() -> Matrix4<f64> {
        let mut f = Matrix4::identity();
        f[(0, 1)] = 0.5;
        f[(2, 3)] = 0.5;
        f
    }

    /// Each bad input is named as an input-first check would name it, whichever part of the
    /// matrix holds it (the steps read only lower triangles in their products), and the filter
    /// is unchanged.
    #[test]
    fn rejected_inputs_are_named_and_leave_the_filter_unchanged() {
        let (nan, inf) = (f64::NAN, f64::INFINITY);
        let q = Matrix4::identity() * 0.1;
        let with = |mut m: Matrix4<f64>, i: usize, j: usize, v: f64| {
            m[(i, j)] = v;
            m
        };
        let non_finite = |what| EstimationError::NonFinite { what };
        let not_pd = |what| EstimationError::NotPositiveDefinite { what };
        let predictions = [
            (with(f(), 1, 3, nan), q, non_finite("transition matrix F")),
            (
                with(f(), 3, 0, inf),
                with(q, 0, 0, -1.0),
                non_finite("transition matrix F"),
            ),
            (f(), with(q, 0, 3, nan), non_finite("process noise Q")),
            (f(), with(q, 3, 0, nan), non_finite("process noise Q")),
            (f(), with(q, 2, 2, inf), non_finite("process noise Q")),
            (
                f(),
                with(with(q, 1, 1, -1.0), 2, 0, nan),
                non_finite("process noise Q"),
            ),
            (f(), with(q, 1, 1, -1e-3), not_pd("process noise Q")),
            (f(), with(q, 0, 2, 1e-3), not_pd("process noise Q")),
            (
                with(f(), 0, 0, 1e200),
                q,
                non_finite("predicted covariance"),
            ),
            (
                with(with(f(), 0, 0, f64::MAX), 0, 1, f64::MAX),
                q,
                non_finite("predicted state"),
            ),
        ];
        for (k, (f, q, want)) in predictions.into_iter().enumerate() {
            let mut kf = filter();
            assert_eq!(kf.predict_with(&f, &q), Err(want), "prediction case {k}");
            assert_eq!(kf, filter());
        }
        let h = Matrix2x4::new(1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0);
        let r = Matrix2::identity();
        let z = Vector2::new(1.5, -1.0);
        let with2 = |mut m: Matrix2<f64>, i: usize, j: usize, v: f64| {
            m[(i, j)] = v;
            m
        };
        let with_h = |i: usize, j: usize, v: f64| {
            let mut m = h;
            m[(i, j)] = v;
            m
        };
        // (a non-finite H shows first in the residual z - H x, as with input-first checks)
        let updates = [
            (Vector2::new(nan, 0.0), h, r, non_finite("measurement z")),
            (z, with_h(0, 3, nan), r, non_finite("innovation residual")),
            (z, h, with2(r, 0, 1, nan), non_finite("measurement noise R")),
            (z, h, with2(r, 1, 0, inf), non_finite("measurement noise R")),
            (z, h, with2(r, 1, 1, inf), non_finite("measurement noise R")),
            (z, h, with2(r, 0, 0, -0.5), not_pd("measurement noise R")),
            (z, h, with2(r, 1, 0, 0.5), not_pd("measurement noise R")),
            (
                z,
                h,
                Matrix2::new(1.0, 50.0, 50.0, 1.0),
                not_pd("innovation covariance S"),
            ),
            (z, h * 1e160, r, not_pd("innovation covariance S")),
        ];
        for (k, (z, h, r, want)) in updates.into_iter().enumerate() {
            let mut kf = filter();
            assert_eq!(kf.update_with(&z, &h, &r), Err(want), "update case {k}");
            assert_eq!(kf, filter());
        }
        // the extended filter takes h(x) separately: a non-finite Jacobian is named as such,
        // wherever it is
        let ekf = || {
            crate::estimation::ExtendedKalmanFilter::new(*filter().state(), *filter().covariance())
                .unwrap()
        };
        for (i, j, v) in [(0, 3, nan), (1, 2, -inf), (0, 0, inf)] {
            let mut e = ekf();
            let z_hat = Vector2::new(1.0, -2.0);
            let got = e.update_with(
                &z,
                &z_hat,
                &with_h(i, j, v),
                &with2(r, 0, 1, 5.0),
                &[false; 2],
            );
            assert_eq!(got, Err(non_finite("measurement matrix H")));
            assert_eq!(e, ekf());
        }
    }
}
