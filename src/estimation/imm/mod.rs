//! The interacting multiple model (IMM) estimator, with modes of different state sizes.
//!
//! # Algorithm (Blom and Bar-Shalom 1988; Bar-Shalom, Li and Kirubarajan 2001)
//! `r` modes with estimates `(x_j, P_j)` and probabilities `mu_j`; a row-stochastic transition
//! matrix `T[i][j] = P(mode i -> mode j)` (rows sum to 1).
//!
//! **Predict** over `dt`:
//! ```text
//! cbar_j     = sum_i T[i][j] mu_i                      predicted mode probabilities
//! w_ij       = T[i][j] mu_i / cbar_j                   mixing probabilities (w_ij = d_ij if cbar_j = 0)
//! x0_j       = sum_i w_ij x_i                          mixed initial conditions
//! P0_j       = sum_i w_ij (P_i + (x_i - x0_j)(x_i - x0_j)^T)
//! (x_j, P_j) = predict of mode j from (x0_j, P0_j);    mu_j <- cbar_j
//! ```
//! **Update** with `z`: each mode updates and reports `l_j = ln N(y_j; 0, S_j)`; then
//! `mu_j <- cbar_j exp(l_j) / sum_i cbar_i exp(l_i)`, computed in log space (no underflow), and
//! the returned log-likelihood of `z` is `ln sum_j cbar_j exp(l_j)`.
//!
//! **Estimate**: `x = sum_j mu_j x_j`, `P = sum_j mu_j (P_j + (x_j - x)(x_j - x)^T)`.
//!
//! # Modes of different state sizes
//! Mixing and combining happen in a **common state** of dimension `C`. Each mode declares an
//! [`Embedding`]: where its components sit in the common state and the mean and variance it
//! gives to the components it lacks (by default mean 0, variance 0: a constant-velocity mode
//! asserts a turn rate and accelerations of exactly zero). The filled components are
//! uncorrelated with the rest. With a common state `[x, vx, y, vy, omega, ax, ay]`:
//!
//! | mode | state | indices into the common state | filled |
//! |---|---|---|---|
//! | constant velocity | `[x, vx, y, vy]` | `[0, 1, 2, 3]` | `omega`, `ax`, `ay` |
//! | coordinated turn | `[x, vx, y, vy, omega]` | `[0, 1, 2, 3, 4]` | `ax`, `ay` |
//! | constant acceleration | `[x, vx, ax, y, vy, ay]` | `[0, 1, 5, 2, 3, 6]` | `omega` |
//!
//! When mixing into mode `j`, a source mode `i` that lacks a component `k` of mode `j`
//! contributes, by [`MixingFill`]:
//! - [`MixingFill::Constant`] (default): its fill `(m_k, v_k)`. With CV's `omega` filled by
//!   `(0, 0)`, the turn mode's mixed turn rate is `w_CT,CT omega_CT`, pulled towards zero by
//!   the weight of CV, with the spread of the two in its variance. The same values are used for
//!   the combined [`ImmEstimator::estimate`].
//! - [`MixingFill::TargetEstimate`]: the target mode's own estimate of those components (mean,
//!   covariance block, uncorrelated with the source's components), so a mode that lacks
//!   `omega` does not move the turn mode's `omega` (one of the choices discussed by Granstrom,
//!   Willett and Bar-Shalom (2015) for IMMs with unequal state dimensions). The combined
//!   estimate still uses the fills.
//!
//! With every embedding the identity (`N == C`), the estimator is the textbook IMM and agrees
//! with FilterPy's `IMMEstimator` (tests: 1e-9 on fixtures). Differences from FilterPy:
//! after `predict`, [`ImmEstimator::mode_probabilities`] are `cbar` and [`ImmEstimator::estimate`]
//! weighs by `cbar` (FilterPy's `x_prior` weighs the predicted modes by the previous posterior
//! `mu`); likelihoods combine in log space (FilterPy floors each likelihood at the smallest
//! double); an `update` without a preceding `predict` uses the current probabilities, not
//! `mu^T T`.
//!
//! Angles in the common state (for example a heading) are declared with
//! [`ImmEstimator::with_angles`]: they are averaged on the circle and their spreads wrapped.
//!
//! # Errors and cost
//! A step that any mode rejects (or in which every mode has zero probability or likelihood) is
//! undone for all modes and returns the error: the estimator is unchanged. `predict` costs
//! `O(r^2 C^2)` for mixing plus the modes' predicts; `update` the modes' updates plus `O(r)`.
//! Buffers are allocated at construction: neither step allocates.

mod embedding;
mod mode;
mod weighted;

use nalgebra::{DMatrix, SMatrix, SVector};

pub use embedding::Embedding;
pub use mode::{embed, BoxedMode, EmbeddedMode, ImmMode, Mode, ModeFilter};

use super::EstimationError;
use crate::models::residual;

/// What a source mode contributes, when mixing, for components it lacks and the target mode
/// carries. See the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MixingFill {
    /// The source's embedding fill (mean, variance).
    #[default]
    Constant,
    /// The target mode's own estimate of those components.
    TargetEstimate,
}

/// Tolerance on the sums of transition-matrix rows and of the initial probabilities.
const SUM_TOLERANCE: f64 = 1e-9;

/// The IMM estimator over a common state of dimension `C` with `M`-dimensional measurements.
///
/// ```
/// use nalgebra::{DMatrix, Matrix4, Vector2, Vector4};
/// use kestrel::estimation::{embed, Embedding, ImmEstimator, KalmanFilter, Mode};
/// use kestrel::models::{measurement::PositionMeasurement, motion::ConstantVelocity};
///
/// let gps = PositionMeasurement::<4>::new(ConstantVelocity::POSITION, 1.0).unwrap();
/// let kf = KalmanFilter::new(Vector4::zeros(), Matrix4::identity() * 10.0).unwrap();
/// let quiet = Mode::new(kf.clone(), ConstantVelocity::new(0.01).unwrap(), gps);
/// let agile = Mode::new(kf, ConstantVelocity::new(10.0).unwrap(), gps);
/// let mut imm = ImmEstimator::<4, 2>::new(
///     vec![embed(quiet, Embedding::<4, 4>::identity().unwrap()),
///          embed(agile, Embedding::<4, 4>::identity().unwrap())],
///     &DMatrix::from_row_slice(2, 2, &[0.95, 0.05, 0.05, 0.95]),
///     &[0.5, 0.5],
/// ).unwrap();
/// for k in 0..8 {
///     imm.predict(1.0).unwrap();
///     imm.update(&Vector2::new(k as f64, 0.0)).unwrap();
/// }
/// assert!(imm.mode_probabilities()[0] > 0.5); // steady: the quiet mode leads
/// imm.predict(1.0).unwrap();
/// imm.update(&Vector2::new(8.0, 6.0)).unwrap(); // a sudden side step
/// assert!(imm.mode_probabilities()[1] > 0.9); // the agile mode takes over
/// let (x, _p) = imm.estimate();
/// assert!(x[2] > 4.0);
/// // an IMM needs modes
/// assert!(ImmEstimator::<4, 2>::new(vec![], &DMatrix::zeros(0, 0), &[]).is_err());
/// ```
pub struct ImmEstimator<const C: usize, const M: usize> {
    modes: Vec<BoxedMode<C, M>>,
    /// Row-major `r x r`.
    transition: Vec<f64>,
    probabilities: Vec<f64>,
    log_likelihoods: Vec<f64>,
    /// Mixing probabilities `w_ij` (row-major) of the last predict.
    mixing: Vec<f64>,
    mixed_x: Vec<SVector<f64, C>>,
    mixed_p: Vec<SMatrix<f64, C, C>>,
    angles: [bool; C],
    fill: MixingFill,
    // scratch, so that the steps do not allocate
    lifted_x: Vec<SVector<f64, C>>,
    lifted_p: Vec<SMatrix<f64, C, C>>,
    next_x: Vec<SVector<f64, C>>,
    next_p: Vec<SMatrix<f64, C, C>>,
    next_mixing: Vec<f64>,
    next_probabilities: Vec<f64>,
    next_log_likelihoods: Vec<f64>,
}

impl<const C: usize, const M: usize> std::fmt::Debug for ImmEstimator<C, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImmEstimator")
            .field("modes", &self.modes.len())
            .field("transition", &self.transition)
            .field("probabilities", &self.probabilities)
            .field("fill", &self.fill)
            .finish_non_exhaustive()
    }
}

impl<const C: usize, const M: usize> ImmEstimator<C, M> {
    /// An IMM of `modes` (see [`embed`]) with transition matrix `transition`
    /// (`T[i][j] = P(i -> j)`, `r x r`, rows summing to 1) and initial mode probabilities.
    ///
    /// # Errors
    /// [`EstimationError::InvalidParameter`] for no modes, a non-finite or negative entry, a
    /// row or the probabilities not summing to 1 (within `1e-9`);
    /// [`EstimationError::DimensionMismatch`] when the sizes do not match the number of modes.
    pub fn new(
        modes: Vec<BoxedMode<C, M>>,
        transition: &DMatrix<f64>,
        initial_probabilities: &[f64],
    ) -> Result<Self, EstimationError> {
        let r = modes.len();
        if r == 0 {
            return Err(invalid("modes", "an IMM needs at least one mode".into()));
        }
        for (what, found) in [
            ("transition matrix rows", transition.nrows()),
            ("transition matrix columns", transition.ncols()),
            ("initial mode probabilities", initial_probabilities.len()),
        ] {
            if found != r {
                return Err(EstimationError::DimensionMismatch {
                    what,
                    expected: r,
                    found,
                });
            }
        }
        for i in 0..r {
            check_distribution(
                "transition matrix",
                &format!("row {i}"),
                transition.row(i).iter().copied(),
            )?;
        }
        check_distribution(
            "initial mode probabilities",
            "the probabilities",
            initial_probabilities.iter().copied(),
        )?;
        let zeros_x = vec![SVector::zeros(); r];
        let zeros_p = vec![SMatrix::zeros(); r];
        let mut imm = Self {
            modes,
            transition: (0..r * r).map(|k| transition[(k / r, k % r)]).collect(),
            probabilities: initial_probabilities.to_vec(),
            log_likelihoods: vec![0.0; r],
            mixing: vec![0.0; r * r],
            mixed_x: zeros_x.clone(),
            mixed_p: zeros_p.clone(),
            angles: [false; C],
            fill: MixingFill::Constant,
            lifted_x: zeros_x.clone(),
            lifted_p: zeros_p.clone(),
            next_x: zeros_x,
            next_p: zeros_p,
            next_mixing: vec![0.0; r * r],
            next_probabilities: vec![0.0; r],
            next_log_likelihoods: vec![0.0; r],
        };
        for j in 0..r {
            (imm.mixed_x[j], imm.mixed_p[j]) = imm.modes[j].lifted();
            imm.mixing[j * r + j] = 1.0;
        }
        Ok(imm)
    }

    /// Chooses how absent components are filled when mixing (default [`MixingFill::Constant`]).
    pub fn with_mixing_fill(mut self, fill: MixingFill) -> Self {
        self.fill = fill;
        self
    }

    /// Declares the common-state components that are angles (circular means, wrapped spreads).
    pub fn with_angles(mut self, angles: [bool; C]) -> Self {
        self.angles = angles;
        self
    }

    /// Number of modes `r`.
    pub fn mode_count(&self) -> usize {
        self.modes.len()
    }

    /// The modes, in the order given at construction.
    pub fn modes(&self) -> &[BoxedMode<C, M>] {
        &self.modes
    }

    /// Mode probabilities: posterior `mu` after an update, predicted `cbar` after a predict.
    pub fn mode_probabilities(&self) -> &[f64] {
        &self.probabilities
    }

    /// The modes' measurement log-likelihoods `ln N(y_j; 0, S_j)` of the last update.
    pub fn log_likelihoods(&self) -> &[f64] {
        &self.log_likelihoods
    }

    /// The transition matrix entry `T[i][j] = P(i -> j)`.
    pub fn transition(&self, i: usize, j: usize) -> f64 {
        self.transition[i * self.modes.len() + j]
    }

    /// The mixing probability `w_ij` (weight of mode `i` in the mixed initial condition of mode
    /// `j`) used by the last predict (identity before the first).
    pub fn mixing_probability(&self, i: usize, j: usize) -> f64 {
        self.mixing[i * self.modes.len() + j]
    }

    /// The mixed initial condition `(x0_j, P0_j)` of mode `j` at the last predict, in the common
    /// state (components mode `j` lacks are meaningless).
    pub fn mixed_estimate(&self, j: usize) -> (&SVector<f64, C>, &SMatrix<f64, C, C>) {
        (&self.mixed_x[j], &self.mixed_p[j])
    }

    /// The combined estimate `(x, P)` in the common state, weighted by
    /// [`mode_probabilities`](Self::mode_probabilities), with absent components filled.
    /// `O(r C^2)`, no allocation.
    pub fn estimate(&self) -> (SVector<f64, C>, SMatrix<f64, C, C>) {
        let lifted = |i: usize| self.modes[i].lifted();
        let weights = |i: usize| self.probabilities[i];
        moment_match(self.modes.len(), lifted, weights, &self.angles)
    }

    /// Mixes the modes and predicts each over `dt` seconds (see the [module docs](self)).
    ///
    /// # Errors
    /// [`EstimationError::NonFinite`] for a non-finite `dt`, or the first error of a mode's
    /// `set_estimate` / `predict`; the estimator is then unchanged.
    pub fn predict(&mut self, dt: f64) -> Result<(), EstimationError> {
        if !dt.is_finite() {
            return Err(EstimationError::NonFinite {
                what: "time step dt",
            });
        }
        let r = self.modes.len();
        for j in 0..r {
            let cbar: f64 = (0..r)
                .map(|i| self.transition[i * r + j] * self.probabilities[i])
                .sum();
            self.next_probabilities[j] = cbar;
            for i in 0..r {
                self.next_mixing[i * r + j] = if cbar > 0.0 {
                    self.transition[i * r + j] * self.probabilities[i] / cbar
                } else {
                    // mode j cannot be reached: keep its own estimate
                    f64::from(u8::from(i == j))
                };
            }
        }
        self.lift_all();
        for j in 0..r {
            let (x, p) = self.mix_into(j);
            self.next_x[j] = x;
            self.next_p[j] = p;
        }
        for j in 0..r {
            let step = self.modes[j]
                .set_from_common(&self.next_x[j], &self.next_p[j])
                .and_then(|()| self.modes[j].predict(dt));
            if let Err(e) = step {
                self.restore(j + 1);
                return Err(e);
            }
        }
        std::mem::swap(&mut self.mixing, &mut self.next_mixing);
        std::mem::swap(&mut self.mixed_x, &mut self.next_x);
        std::mem::swap(&mut self.mixed_p, &mut self.next_p);
        std::mem::swap(&mut self.probabilities, &mut self.next_probabilities);
        Ok(())
    }

    /// Updates every mode with `z`, reweighs the modes by their likelihoods and returns the
    /// log-likelihood of `z`, `ln sum_j cbar_j N(y_j; 0, S_j)`.
    ///
    /// # Errors
    /// [`EstimationError::NonFinite`] for a non-finite `z`, the first error of a mode's update,
    /// or [`EstimationError::DegenerateWeights`] when every mode has zero probability or
    /// likelihood; the estimator is then unchanged.
    pub fn update(&mut self, z: &SVector<f64, M>) -> Result<f64, EstimationError> {
        if !z.iter().all(|v| v.is_finite()) {
            return Err(EstimationError::NonFinite {
                what: "measurement z",
            });
        }
        let r = self.modes.len();
        self.lift_all();
        for j in 0..r {
            match self.modes[j].update(z) {
                Ok(innovation) => self.next_log_likelihoods[j] = innovation.log_likelihood,
                Err(e) => {
                    self.restore(j);
                    return Err(e);
                }
            }
        }
        let mut max = f64::NEG_INFINITY;
        for j in 0..r {
            let a = self.probabilities[j].ln() + self.next_log_likelihoods[j];
            self.next_probabilities[j] = a;
            if a > max {
                max = a;
            }
        }
        if !max.is_finite() {
            self.restore(r);
            return Err(EstimationError::DegenerateWeights(
                "every IMM mode has zero probability or likelihood",
            ));
        }
        let mut total = 0.0;
        for a in self.next_probabilities.iter_mut() {
            *a = (*a - max).exp();
            total += *a;
        }
        for a in self.next_probabilities.iter_mut() {
            *a /= total;
        }
        std::mem::swap(&mut self.probabilities, &mut self.next_probabilities);
        std::mem::swap(&mut self.log_likelihoods, &mut self.next_log_likelihoods);
        Ok(max + total.ln())
    }

    fn lift_all(&mut self) {
        for (i, mode) in self.modes.iter().enumerate() {
            (self.lifted_x[i], self.lifted_p[i]) = mode.lifted();
        }
    }

    /// Puts modes `0..count` back to the estimates saved by `lift_all`.
    fn restore(&mut self, count: usize) {
        for i in 0..count {
            let restored = self.modes[i].set_from_common(&self.lifted_x[i], &self.lifted_p[i]);
            // the saved estimate was the mode's own, so setting it again cannot fail
            debug_assert!(
                restored.is_ok(),
                "restoring an IMM mode failed: {restored:?}"
            );
        }
    }

    /// Source `i`'s estimate as seen by target `j` (absent components filled per `self.fill`).
    fn source(&self, i: usize, j: usize) -> (SVector<f64, C>, SMatrix<f64, C, C>) {
        let (mut x, mut p) = (self.lifted_x[i], self.lifted_p[i]);
        if self.fill == MixingFill::TargetEstimate && i != j {
            let (pi, pj) = (self.modes[i].present(), self.modes[j].present());
            let taken = |k: usize| !pi[k] && pj[k];
            for k in (0..C).filter(|&k| taken(k)) {
                x[k] = self.lifted_x[j][k];
                for l in (0..C).filter(|&l| taken(l)) {
                    p[(k, l)] = self.lifted_p[j][(k, l)];
                }
            }
        }
        (x, p)
    }

    /// The mixed initial condition of mode `j` from the lifted estimates and `next_mixing`.
    fn mix_into(&self, j: usize) -> (SVector<f64, C>, SMatrix<f64, C, C>) {
        let r = self.modes.len();
        let sources = |i: usize| self.source(i, j);
        let weights = |i: usize| self.next_mixing[i * r + j];
        moment_match(r, sources, weights, &self.angles)
    }
}

/// `x = sum_i w_i x_i` (circular for angles), `P = sum_i w_i (P_i + d_i d_i^T)`,
/// `d_i = x_i - x` (wrapped for angles).
fn moment_match<const C: usize>(
    count: usize,
    estimate: impl Fn(usize) -> (SVector<f64, C>, SMatrix<f64, C, C>),
    weight: impl Fn(usize) -> f64,
    angles: &[bool; C],
) -> (SVector<f64, C>, SMatrix<f64, C, C>) {
    let mut x = SVector::<f64, C>::zeros();
    let (mut sin, mut cos) = (SVector::<f64, C>::zeros(), SVector::<f64, C>::zeros());
    for i in 0..count {
        let (xi, _) = estimate(i);
        let w = weight(i);
        x.axpy(w, &xi, 1.0);
        for k in (0..C).filter(|&k| angles[k]) {
            sin[k] += w * xi[k].sin();
            cos[k] += w * xi[k].cos();
        }
    }
    for k in (0..C).filter(|&k| angles[k]) {
        x[k] = sin[k].atan2(cos[k]);
    }
    let mut p = SMatrix::<f64, C, C>::zeros();
    for i in 0..count {
        let (xi, pi) = estimate(i);
        let w = weight(i);
        let d = residual(&xi, &x, angles);
        p += (pi + d * d.transpose()) * w;
    }
    (x, (p + p.transpose()) * 0.5)
}

/// Checks finite, non-negative entries summing to 1 (within `SUM_TOLERANCE`).
fn check_distribution(
    name: &'static str,
    which: &str,
    values: impl Iterator<Item = f64> + Clone,
) -> Result<(), EstimationError> {
    for (k, v) in values.clone().enumerate() {
        if !v.is_finite() || v < 0.0 {
            return Err(invalid(
                name,
                format!("{which}, entry {k} is {v}: probabilities must be finite and >= 0"),
            ));
        }
    }
    let sum: f64 = values.sum();
    if (sum - 1.0).abs() > SUM_TOLERANCE {
        return Err(invalid(name, format!("{which} sums to {sum}, not 1")));
    }
    Ok(())
}

fn invalid(name: &'static str, reason: String) -> EstimationError {
    EstimationError::InvalidParameter { name, reason }
}
