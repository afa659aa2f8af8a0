//! The unscented Kalman filter (UKF) with additive process and measurement noise.
//!
//! # Algorithm
//! With sigma points `chi_i` of the current estimate `(x, P)` and weights `Wm`, `Wc`
//! (see [`SigmaPoints`]):
//!
//! **Predict** (motion `f`, process noise `Q`):
//! ```text
//! y_i  = f(chi_i, dt)
//! x-   = mean(y, Wm)                         (circular for angle components)
//! P-   = sum_i Wc_i r_i r_i^T + Q,  r_i = residual(y_i, x-)
//! ```
//! then new sigma points are drawn from `(x-, P-)`, as FilterPy does, so that the update sees
//! the process noise.
//!
//! **Update** (measurement `h`, noise `R`, measurement `z`):
//! ```text
//! z_i  = h(chi_i)
//! zhat = mean(z, Wm)
//! S    = sum_i Wc_i e_i e_i^T + R,           e_i = residual_z(z_i, zhat)
//! Pxz  = sum_i Wc_i residual_x(chi_i, x-) e_i^T
//! K    = Pxz S^-1
//! y    = residual_z(z, zhat)
//! x+   = add(x-, K y)
//! P+   = P- - K S K^T                        (then symmetrised)
//! ```
//! This is the filter of Wan and Van der Merwe (2000) as implemented by FilterPy's
//! `UnscentedKalmanFilter`; with the same sigma points, models and functions the two agree to
//! rounding (the integration tests check 1e-9 on a range-bearing radar problem).
//!
//! # Conventions
//! - `Q(x, dt)` and `R(x)` are evaluated at the estimate before the step (the prior mean for
//!   the update).
//! - Angle components are handled by [`UnscentedFunctions`]: by default ([`AngleWrap`]) angles
//!   are averaged on the circle, residuals are wrapped to `[-pi, pi)` and points are wrapped after
//!   additions. State angles are those set with [`UnscentedKalmanFilter::with_angles`] plus those
//!   any motion model passed to `predict` declares (once declared, a component stays an angle).
//!   Measurement angles come from the measurement model's `angle_components`.
//! - Users who need more than angle wrapping implement [`UnscentedFunctions`] (mean, residual,
//!   add) for the state ([`UnscentedKalmanFilter::with_functions`]) and for a measurement
//!   ([`UnscentedKalmanFilter::update_with`]).
//!
//! # Robustness
//! The filter always holds the sigma points of its current estimate: a step computes the new
//! estimate and its sigma points (one Cholesky factorisation) before committing anything, so a
//! rejected step (non-finite input, failed factorisation of `S` or of the new `P`) returns an
//! error and leaves the filter exactly as it was.
//!
//! # Cost
//! Predict: `2n+1` transitions, one `n x n` Cholesky, `O(n^3)` flops. Update: `2n+1`
//! measurement evaluations, one `m x m` and one `n x n` Cholesky, `O(n^3 + n^2 m + m^3)`.
//! No heap allocation: the sigma-point buffers are allocated at construction (the measurement
//! buffer holds measurements of dimension up to `n`; a larger measurement grows it once, or call
//! [`UnscentedKalmanFilter::reserve_measurement_dim`] beforehand).

use nalgebra::{Const, Dyn, SMatrix, SVector};

use super::sigma_points::{
    all_finite, cholesky_lower, solve_lower, solve_lower_transpose, SigmaPoints, SigmaView,
};
use super::{EstimationError, Innovation};
use crate::models::{MeasurementModel, MotionModel};

/// How sigma points are averaged, differenced and moved, for state or measurement vectors of
/// dimension `D`.
///
/// `angles` is the angle mask that applies (the filter's state mask, or the measurement model's
/// `angle_components`); implementations may use it or ignore it. Every method has a default
/// that handles angles by wrapping, so an implementation overrides only what it needs.
///
/// ```
/// use nalgebra::{Const, Dyn, Vector2};
/// use kestrel::estimation::{SigmaView, UnscentedFunctions};
/// // a measurement [range, bearing in degrees]: wrap the bearing at 360 degrees
/// struct Degrees;
/// impl UnscentedFunctions<2> for Degrees {
///     fn residual(&self, a: &Vector2<f64>, b: &Vector2<f64>, _: &[bool; 2]) -> Vector2<f64> {
///         Vector2::new(a.x - b.x, (a.y - b.y + 180.0).rem_euclid(360.0) - 180.0)
///     }
/// }
/// let r = Degrees.residual(&Vector2::new(1.0, 359.0), &Vector2::new(0.5, 1.0), &[false; 2]);
/// assert!((r.y + 2.0).abs() < 1e-12);
/// ```
pub trait UnscentedFunctions<const D: usize> {
    /// Weighted mean of the points (columns of `points`); weights may be negative.
    ///
    /// Default: `sum_i w_i p_i`, and `atan2(sum_i w_i sin p_i, sum_i w_i cos p_i)` for angles.
    fn mean(
        &self,
        points: &SigmaView<'_, D>,
        weights: &[f64],
        angles: &[bool; D],
    ) -> SVector<f64, D> {
        AngleWrap::weighted_mean(points, weights, angles)
    }

    /// The difference `a - b`. Default: angle components wrapped to `[-pi, pi)`.
    fn residual(
        &self,
        a: &SVector<f64, D>,
        b: &SVector<f64, D>,
        angles: &[bool; D],
    ) -> SVector<f64, D> {
        // the common no-angle case skips the per-component wrapping entirely
        if any_angle(angles) {
            crate::models::residual(a, b, angles)
        } else {
            a - b
        }
    }

    /// The point `x` moved by `dx`. Default: `x + dx` with angle components wrapped.
    fn add(
        &self,
        x: &SVector<f64, D>,
        dx: &SVector<f64, D>,
        angles: &[bool; D],
    ) -> SVector<f64, D> {
        let mut y = x + dx;
        if any_angle(angles) {
            crate::models::normalize(&mut y, angles);
        }
        y
    }
}

/// The default [`UnscentedFunctions`]: linear arithmetic, with angle components averaged on the
/// circle and wrapped to `[-pi, pi)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AngleWrap;

impl AngleWrap {
    /// `sum_i w_i p_i`, with `atan2(sum w sin, sum w cos)` for the components marked in `angles`.
    ///
    /// The weights must sum to 1 (as the mean weights of every sigma-point set do): the linear
    /// part is evaluated as `p_0 + sum_i w_i (p_i - p_0)`, which keeps full precision with the
    /// large weights of small-`alpha` sets.
    ///
    /// ```
    /// use nalgebra::{Const, Dyn, Vector1};
    /// use kestrel::estimation::{AngleWrap, SigmaView};
    /// let pts = [3.1, -3.1];
    /// let m = AngleWrap::weighted_mean(
    ///     &SigmaView::<1>::from_slice_generic(&pts, Const::<1>, Dyn(2)), &[0.5, 0.5], &[true]);
    /// assert!((m.x.abs() - std::f64::consts::PI).abs() < 1e-12);
    /// ```
    pub fn weighted_mean<const D: usize>(
        points: &SigmaView<'_, D>,
        weights: &[f64],
        angles: &[bool; D],
    ) -> SVector<f64, D> {
        // Centred on the first point: sum_i w_i p_i = p_0 + sum_i w_i (p_i - p_0) since the
        // weights sum to 1. The differences are small, so the large weights of small-alpha
        // Merwe sets (|Wm_0| ~ 1/alpha^2) do not amplify the rounding error of |p_0| (nor
        // does the rounding of the weights' sum, which can be 1e-10 away from 1).
        let weights = &weights[..points.ncols().min(weights.len())];
        if weights.is_empty() {
            return SVector::zeros();
        }
        let first: SVector<f64, D> = points.column(0).into_owned();
        let mut mean = first;
        for (i, &w) in weights.iter().enumerate().skip(1) {
            mean += (points.column(i) - first) * w;
        }
        for (k, _) in angles.iter().enumerate().filter(|(_, &a)| a) {
            let (mut s, mut c) = (0.0, 0.0);
            for (i, &w) in weights.iter().enumerate() {
                let (sin, cos) = points[(k, i)].sin_cos();
                s += w * sin;
                c += w * cos;
            }
            mean[k] = s.atan2(c);
        }
        mean
    }
}

impl<const D: usize> UnscentedFunctions<D> for AngleWrap {}

/// An unscented Kalman filter for an `N`-dimensional state.
///
/// `F` supplies the state's mean, residual and addition ([`AngleWrap`] by default).
///
/// ```
/// use nalgebra::{Matrix2, SMatrix, SVector, Vector1, Vector2};
/// use kestrel::estimation::{SigmaPoints, UnscentedKalmanFilter};
/// use kestrel::models::{MeasurementModel, MotionModel};
///
/// struct Drift; // x = [position, velocity], dt in seconds
/// impl MotionModel<2> for Drift {
///     fn transition(&self, x: &SVector<f64, 2>, dt: f64) -> SVector<f64, 2> {
///         Vector2::new(x[0] + dt * x[1], x[1])
///     }
///     fn process_noise(&self, _: &SVector<f64, 2>, _: f64) -> SMatrix<f64, 2, 2> {
///         Matrix2::identity() * 1e-3
///     }
/// }
/// struct Position;
/// impl MeasurementModel<2, 1> for Position {
///     fn measure(&self, x: &SVector<f64, 2>) -> SVector<f64, 1> { Vector1::new(x[0]) }
///     fn noise_covariance(&self, _: &SVector<f64, 2>) -> SMatrix<f64, 1, 1> {
///         SMatrix::<f64, 1, 1>::new(0.01)
///     }
/// }
///
/// let points = SigmaPoints::merwe(0.1, 2.0, 0.0).unwrap();
/// let mut ukf = UnscentedKalmanFilter::new(Vector2::zeros(), Matrix2::identity(), points).unwrap();
/// ukf.predict(&Drift, 1.0).unwrap();
/// let innovation = ukf.update(&Position, &Vector1::new(1.0)).unwrap();
/// // a linear problem: the UKF is the Kalman filter, P- = [[2.001, 1], [1, 1.001]]
/// assert!((innovation.covariance[(0, 0)] - 2.011).abs() < 1e-12);
/// assert!((ukf.state()[0] - 2.001 / 2.011).abs() < 1e-12);
/// // a non-finite measurement is rejected and the filter is unchanged
/// let before = *ukf.state();
/// assert!(ukf.update(&Position, &Vector1::new(f64::NAN)).is_err());
/// assert_eq!(*ukf.state(), before);
/// ```
#[derive(Debug, Clone)]
pub struct UnscentedKalmanFilter<const N: usize, F = AngleWrap> {
    x: SVector<f64, N>,
    p: SMatrix<f64, N, N>,
    points: SigmaPoints<N>,
    functions: F,
    angles: [bool; N],
    /// Sigma points of `(x, p)`, column-major `N x (2N+1)`.
    sigmas: Vec<f64>,
    /// Propagated points during predict; the new sigma points before they are committed.
    propagated: Vec<f64>,
    next: Vec<f64>,
    /// Measurement sigma points, column-major `M x (2N+1)` (grows to the largest `M` seen).
    zbuf: Vec<f64>,
}

impl<const N: usize> UnscentedKalmanFilter<N, AngleWrap> {
    /// A filter with estimate `(x, P)` and the given sigma points.
    ///
    /// # Errors
    /// [`EstimationError::NonFinite`] for non-finite `x` or `P`,
    /// [`EstimationError::InvalidParameter`] for a non-symmetric `P`,
    /// [`EstimationError::NotPositiveDefinite`] when `P` has no Cholesky factor.
    pub fn new(
        x: SVector<f64, N>,
        p: SMatrix<f64, N, N>,
        points: SigmaPoints<N>,
    ) -> Result<Self, EstimationError> {
        let s = points.len();
        let mut f = Self {
            x,
            p,
            points,
            functions: AngleWrap,
            angles: [false; N],
            sigmas: vec![0.0; N * s],
            propagated: vec![0.0; N * s],
            next: vec![0.0; N * s],
            zbuf: vec![0.0; N * s],
        };
        f.set_estimate(x, p)?;
        Ok(f)
    }
}

impl<const N: usize, F: UnscentedFunctions<N>> UnscentedKalmanFilter<N, F> {
    /// Replaces the state functions (mean, residual, add) and redraws the sigma points with them.
    ///
    /// # Errors
    /// As [`UnscentedKalmanFilter::set_estimate`] (the new `add` may produce non-finite points).
    pub fn with_functions<G: UnscentedFunctions<N>>(
        self,
        functions: G,
    ) -> Result<UnscentedKalmanFilter<N, G>, EstimationError> {
        let mut f = UnscentedKalmanFilter {
            x: self.x,
            p: self.p,
            points: self.points,
            functions,
            angles: self.angles,
            sigmas: self.sigmas,
            propagated: self.propagated,
            next: self.next,
            zbuf: self.zbuf,
        };
        f.set_estimate(f.x, f.p)?;
        Ok(f)
    }

    /// Marks the state components that are angles (radians, wrapped to `[-pi, pi)`), wraps the
    /// current estimate and redraws its sigma points.
    pub fn with_angles(mut self, angles: [bool; N]) -> Self {
        let old = std::mem::replace(&mut self.angles, angles);
        let mut x = self.x;
        crate::models::normalize(&mut x, &angles);
        // P is unchanged and already factorised once, so this only fails if a custom `add`
        // misbehaves; then the filter keeps its previous angles and points.
        if self.draw_next(&x, &self.p.clone()).is_ok() {
            self.commit(x, self.p);
        } else {
            self.angles = old;
        }
        self
    }

    /// Makes room for measurements of dimension up to `m`, so that no later update allocates.
    pub fn reserve_measurement_dim(&mut self, m: usize) {
        let len = m * self.points.len();
        if self.zbuf.len() < len {
            self.zbuf.resize(len, 0.0);
        }
    }

    /// The state mean `x`.
    pub fn state(&self) -> &SVector<f64, N> {
        &self.x
    }

    /// The state covariance `P` (symmetric positive definite).
    pub fn covariance(&self) -> &SMatrix<f64, N, N> {
        &self.p
    }

    /// The state angle mask.
    pub fn angles(&self) -> &[bool; N] {
        &self.angles
    }

    /// The sigma-point set (weights and scale).
    pub fn sigma_point_set(&self) -> &SigmaPoints<N> {
        &self.points
    }

    /// The sigma points of the current estimate, one per column.
    pub fn sigma_points(&self) -> SigmaView<'_, N> {
        SigmaView::from_slice_generic(&self.sigmas, Const::<N>, Dyn(self.points.len()))
    }

    /// Replaces the estimate and draws its sigma points.
    ///
    /// `P` must be symmetric to `1e-9` of its largest entry; it is then symmetrised exactly.
    ///
    /// # Errors
    /// [`EstimationError::NonFinite`], [`EstimationError::InvalidParameter`] (not symmetric),
    /// [`EstimationError::NotPositiveDefinite`]; the filter is unchanged after an error.
    pub fn set_estimate(
        &mut self,
        x: SVector<f64, N>,
        p: SMatrix<f64, N, N>,
    ) -> Result<(), EstimationError> {
        if !all_finite(x.as_slice()) || !all_finite(p.as_slice()) {
            return Err(EstimationError::NonFinite {
                what: "state mean or covariance",
            });
        }
        let scale = p.amax();
        if (p - p.transpose()).amax() > 1e-9 * scale {
            return Err(EstimationError::InvalidParameter {
                name: "P",
                reason: "the state covariance is not symmetric".into(),
            });
        }
        let p = (p + p.transpose()) * 0.5;
        self.draw_next(&x, &p)?;
        self.commit(x, p);
        Ok(())
    }

    /// Predicts through a [`MotionModel`] over `dt` (seconds).
    ///
    /// # Errors
    /// [`EstimationError::NonFinite`] for a non-finite `dt`, transition or process noise;
    /// [`EstimationError::NotPositiveDefinite`] when the predicted covariance has no Cholesky
    /// factor. The filter is unchanged after an error.
    pub fn predict<Mo: MotionModel<N>>(
        &mut self,
        model: &Mo,
        dt: f64,
    ) -> Result<(), EstimationError> {
        if !dt.is_finite() {
            return Err(EstimationError::NonFinite {
                what: "time step dt",
            });
        }
        let model_angles = model.angle_components();
        let q = model.process_noise(&self.x, dt);
        let mut angles = self.angles;
        for (a, m) in angles.iter_mut().zip(model_angles) {
            *a |= m;
        }
        self.predict_impl(|x| model.transition(x, dt), &q, angles)
    }

    /// Predicts through a closure `x -> f(x)` and a process-noise covariance `Q`, as FilterPy's
    /// `fx` and `Q` (the closure captures `dt` and any control input).
    ///
    /// # Errors
    /// As [`UnscentedKalmanFilter::predict`].
    pub fn predict_with(
        &mut self,
        f: impl Fn(&SVector<f64, N>) -> SVector<f64, N>,
        q: &SMatrix<f64, N, N>,
    ) -> Result<(), EstimationError> {
        self.predict_impl(f, q, self.angles)
    }

    fn predict_impl(
        &mut self,
        f: impl Fn(&SVector<f64, N>) -> SVector<f64, N>,
        q: &SMatrix<f64, N, N>,
        angles: [bool; N],
    ) -> Result<(), EstimationError> {
        if !all_finite(q.as_slice()) {
            return Err(EstimationError::NonFinite {
                what: "process noise Q",
            });
        }
        let s = self.points.len();
        for i in 0..s {
            let chi = SVector::<f64, N>::from_column_slice(&self.sigmas[i * N..(i + 1) * N]);
            let y = f(&chi);
            if !all_finite(y.as_slice()) {
                return Err(EstimationError::NonFinite {
                    what: "propagated sigma point f(chi)",
                });
            }
            self.propagated[i * N..(i + 1) * N].copy_from_slice(y.as_slice());
        }
        let view = SigmaView::<N>::from_slice_generic(&self.propagated, Const::<N>, Dyn(s));
        let x = self
            .functions
            .mean(&view, self.points.mean_weights(), &angles);
        let mut p = *q;
        for (i, &w) in self.points.covariance_weights().iter().enumerate() {
            let chi = SVector::<f64, N>::from_column_slice(&self.propagated[i * N..(i + 1) * N]);
            let r = self.functions.residual(&chi, &x, &angles);
            p.ger(w, &r, &r, 1.0);
        }
        let p = (p + p.transpose()) * 0.5;
        if !all_finite(x.as_slice()) || !all_finite(p.as_slice()) {
            return Err(EstimationError::NonFinite {
                what: "predicted estimate",
            });
        }
        let old_angles = std::mem::replace(&mut self.angles, angles);
        if let Err(e) = self.draw_next(&x, &p) {
            self.angles = old_angles;
            return Err(match e {
                EstimationError::NotPositiveDefinite { .. } => {
                    EstimationError::NotPositiveDefinite {
                        what: "predicted covariance P",
                    }
                }
                e => e,
            });
        }
        self.commit(x, p);
        Ok(())
    }

    /// Updates with measurement `z` of a [`MeasurementModel`], handling the measurement's angle
    /// components with [`AngleWrap`].
    ///
    /// Returns the innovation (residual `y`, its covariance `S`, the NIS `y^T S^-1 y` and the
    /// Gaussian log-likelihood `log N(y; 0, S)`).
    ///
    /// # Errors
    /// [`EstimationError::NonFinite`] for a non-finite `z`, predicted measurement or `R`;
    /// [`EstimationError::NotPositiveDefinite`] when `S` or the updated `P` has no Cholesky
    /// factor. The filter is unchanged after an error.
    pub fn update<const M: usize, H: MeasurementModel<N, M>>(
        &mut self,
        model: &H,
        z: &SVector<f64, M>,
    ) -> Result<Innovation<M>, EstimationError> {
        self.update_with(model, z, &AngleWrap)
    }

    /// Updates with measurement `z`, using `g` for the measurement mean and residual.
    ///
    /// # Errors
    /// As [`UnscentedKalmanFilter::update`].
    pub fn update_with<const M: usize, H: MeasurementModel<N, M>, G: UnscentedFunctions<M>>(
        &mut self,
        model: &H,
        z: &SVector<f64, M>,
        g: &G,
    ) -> Result<Innovation<M>, EstimationError> {
        if !all_finite(z.as_slice()) {
            return Err(EstimationError::NonFinite {
                what: "measurement z",
            });
        }
        self.reserve_measurement_dim(M);
        let s = self.points.len();
        for i in 0..s {
            let chi = SVector::<f64, N>::from_column_slice(&self.sigmas[i * N..(i + 1) * N]);
            let zi = model.measure(&chi);
            if !all_finite(zi.as_slice()) {
                return Err(EstimationError::NonFinite {
                    what: "predicted measurement h(chi)",
                });
            }
            self.zbuf[i * M..(i + 1) * M].copy_from_slice(zi.as_slice());
        }
        let r = model.noise_covariance(&self.x);
        if !all_finite(r.as_slice()) {
            return Err(EstimationError::NonFinite {
                what: "measurement noise R",
            });
        }
        let z_angles = model.angle_components();
        let view = SigmaView::<M>::from_slice_generic(&self.zbuf[..M * s], Const::<M>, Dyn(s));
        let zhat = g.mean(&view, self.points.mean_weights(), &z_angles);
        let mut cov_s = r;
        let mut pxz = SMatrix::<f64, N, M>::zeros();
        for (i, &w) in self.points.covariance_weights().iter().enumerate() {
            let zi = SVector::<f64, M>::from_column_slice(&self.zbuf[i * M..(i + 1) * M]);
            let chi = SVector::<f64, N>::from_column_slice(&self.sigmas[i * N..(i + 1) * N]);
            let e = g.residual(&zi, &zhat, &z_angles);
            let dx = self.functions.residual(&chi, &self.x, &self.angles);
            cov_s.ger(w, &e, &e, 1.0);
            pxz.ger(w, &dx, &e, 1.0);
        }
        let cov_s = (cov_s + cov_s.transpose()) * 0.5;
        let l = cholesky_lower(&cov_s).ok_or(EstimationError::NotPositiveDefinite {
            what: "innovation covariance S",
        })?;
        let y = g.residual(z, &zhat, &z_angles);
        let nis = solve_lower(&l, &y).norm_squared();
        let ln_det: f64 = 2.0 * (0..M).map(|i| l[(i, i)].ln()).sum::<f64>();
        let innovation = Innovation {
            residual: y,
            covariance: cov_s,
            nis,
            log_likelihood: -0.5 * (nis + M as f64 * (2.0 * std::f64::consts::PI).ln() + ln_det),
        };
        // K = Pxz S^-1  <=>  L L^T K^T = Pxz^T
        let k = solve_lower_transpose(&l, &solve_lower(&l, &pxz.transpose())).transpose();
        let x = self
            .functions
            .add(&self.x, &(k * innovation.residual), &self.angles);
        let p = self.p - k * cov_s * k.transpose();
        let p = (p + p.transpose()) * 0.5;
        if let Err(e) = self.draw_next(&x, &p) {
            return Err(match e {
                EstimationError::NotPositiveDefinite { .. } => {
                    EstimationError::NotPositiveDefinite {
                        what: "updated covariance P",
                    }
                }
                e => e,
            });
        }
        self.commit(x, p);
        Ok(innovation)
    }

    /// Draws the sigma points of `(x, p)` into `self.next`.
    fn draw_next(
        &mut self,
        x: &SVector<f64, N>,
        p: &SMatrix<f64, N, N>,
    ) -> Result<(), EstimationError> {
        let (functions, angles) = (&self.functions, &self.angles);
        self.points
            .draw_finite(x, p, |a, d| functions.add(a, d, angles), &mut self.next)?;
        if !all_finite(&self.next) {
            return Err(EstimationError::NonFinite {
                what: "sigma points",
            });
        }
        Ok(())
    }

    /// Makes `(x, p)` and the points in `self.next` the current estimate.
    fn commit(&mut self, x: SVector<f64, N>, p: SMatrix<f64, N, N>) {
        self.x = x;
        self.p = p;
        std::mem::swap(&mut self.sigmas, &mut self.next);
    }
}

/// Whether the mask marks any component (branch-free, so it unrolls for small `D`).
#[inline(always)]
fn any_angle<const D: usize>(angles: &[bool; D]) -> bool {
    angles.iter().fold(false, |any, &a| any | a)
}
