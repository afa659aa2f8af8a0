//! The loss of an unrolled episode, written on features of the state so that the same
//! definition evaluates on one state (f64) and on a traced batch (dfdx).

use dfdx::prelude::*;
use nalgebra::SVector;

use super::error::{first_non_finite, LearningError};
use super::features::{Batch, PeriodicFeatures};

/// One row `(c, r, w)` of an objective: a linear read-out `c . g(x)` of the raw features.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Row<const K: usize> {
    c: SVector<f64, K>,
    r: f64,
    w: f64,
}

/// The loss of one episode `x[0..=T]` of a policy, on the raw (unstandardised) features
/// `g(x)` of a [`PeriodicFeatures`] with `K` rows:
///
/// ```text
/// L = sum_j w_j (c_j . g(x[T]) - r_j)^2                       terminal terms
///   + sum_{t < T} sum_i v_i max(0, s_i - d_i . g(x[t]))^2     stage hinges (alive steps only)
/// ```
///
/// An episode ends early, and its state is frozen, at the first step where any
/// `e_k . g(x) <= threshold_k` (the [`done_when`](Self::done_when) conditions), so `x[T]` is
/// the state when the episode ended. With features `[x, y, cos th, sin th]`, the terminal rows
/// `(1, 0, -d, 0) -> 0` and `(0, 1, 0, -d) -> 0` put a point `d` behind `(x, y)` on the origin,
/// and `(0, 0, 1, 0) -> 1`, `(0, 0, 0, 1) -> 0` penalise the heading by the squared chord
/// `2 - 2 cos th` (about `th^2`, smooth and free of the 2 pi wrap).
///
/// ```
/// use nalgebra::{SMatrix, Vector2, Vector3};
/// use kestrel::learning::{EpisodeObjective, PeriodicFeatures};
/// // State [x, th]; features [x, cos th, sin th]
/// let a = SMatrix::<f64, 3, 2>::new(1.0, 0.0, 0.0, 1.0, 0.0, 1.0);
/// let b = Vector3::new(0.0, std::f64::consts::FRAC_PI_2, 0.0);
/// let g = PeriodicFeatures::new(a, b, [false, true, true]).unwrap();
/// let objective = EpisodeObjective::new(g)
///     .terminal(Vector3::new(1.0, 0.0, 0.0), 0.0, 1.0).unwrap()
///     .terminal(Vector3::new(0.0, 1.0, 0.0), 1.0, 1.0).unwrap()
///     .terminal(Vector3::new(0.0, 0.0, 1.0), 0.0, 1.0).unwrap();
/// let l = objective.terminal_loss(&Vector2::new(0.5, 0.3));
/// assert!((l - (0.25 + 2.0 - 2.0 * 0.3f64.cos())).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct EpisodeObjective<const N: usize, const K: usize> {
    features: PeriodicFeatures<N, K>,
    terminal: Vec<Row<K>>,
    stage: Vec<Row<K>>,
    done: Vec<(SVector<f64, K>, f64)>,
}

fn check_row<const K: usize>(c: &SVector<f64, K>, r: f64, w: f64) -> Result<(), LearningError> {
    if let Some(index) = first_non_finite(c.iter().chain([r, w].iter())) {
        return Err(LearningError::NonFinite {
            what: "objective row",
            index,
        });
    }
    if w < 0.0 {
        return Err(LearningError::InvalidParameter {
            name: "weight",
            reason: format!("must be >= 0, got {w}"),
        });
    }
    Ok(())
}

/// Constant tensors of a set of rows: `C^T` (K x J), targets (J), square-root weights (J).
struct RowTensors<const K: usize> {
    ct: Tensor<(Const<K>, usize), f32, Cpu>,
    r: Tensor<(usize,), f32, Cpu>,
    sqrt_w: Tensor<(usize,), f32, Cpu>,
}

impl<const K: usize> RowTensors<K> {
    fn new(dev: &Cpu, rows: &[Row<K>]) -> Self {
        let j = rows.len();
        let mut ct = vec![0f32; K * j];
        for (jj, row) in rows.iter().enumerate() {
            for k in 0..K {
                ct[k * j + jj] = row.c[k] as f32;
            }
        }
        Self {
            ct: dev.tensor_from_vec(ct, (Const::<K>, j)),
            r: dev.tensor_from_vec(rows.iter().map(|r| r.r as f32).collect(), (j,)),
            sqrt_w: dev.tensor_from_vec(rows.iter().map(|r| r.w.sqrt() as f32).collect(), (j,)),
        }
    }
}

/// A traced value per episode of a batch.
pub(crate) type PerEpisode = Tensor<(usize,), f32, Cpu, OwnedTape<f32, Cpu>>;

/// The objective's constant tensors on one device.
pub(crate) struct ObjectiveTensors<const N: usize, const K: usize> {
    features: super::features::FeatureTensors<N, K>,
    terminal: Option<RowTensors<K>>,
    stage: Option<RowTensors<K>>,
}

impl<const N: usize, const K: usize> EpisodeObjective<N, K> {
    /// An objective on the raw features `g` (their standardisation is ignored), with no terms.
    pub fn new(features: PeriodicFeatures<N, K>) -> Self {
        let mut features = features;
        // Raw features: the loss is written in state units.
        let _ = features.set_standardization(SVector::zeros(), SVector::repeat(1.0));
        Self {
            features,
            terminal: Vec::new(),
            stage: Vec::new(),
            done: Vec::new(),
        }
    }

    /// Adds the terminal term `w (c . g(x[T]) - r)^2`.
    ///
    /// # Errors
    /// [`LearningError::NonFinite`] for non-finite entries, [`LearningError::InvalidParameter`]
    /// for a negative weight.
    pub fn terminal(mut self, c: SVector<f64, K>, r: f64, w: f64) -> Result<Self, LearningError> {
        check_row(&c, r, w)?;
        self.terminal.push(Row { c, r, w });
        Ok(self)
    }

    /// Adds the stage hinge `v max(0, s - d . g(x[t]))^2`, summed over the steps before the
    /// episode ends.
    ///
    /// # Errors
    /// As [`terminal`](Self::terminal).
    pub fn stage_hinge(
        mut self,
        d: SVector<f64, K>,
        s: f64,
        v: f64,
    ) -> Result<Self, LearningError> {
        check_row(&d, s, v)?;
        self.stage.push(Row { c: d, r: s, w: v });
        Ok(self)
    }

    /// Ends an episode at the first state with `e . g(x) <= threshold`. Calling it again adds
    /// another condition: the episode ends when any of them holds (reaching the goal, a
    /// jack-knife, leaving the arena, ...).
    ///
    /// # Errors
    /// [`LearningError::NonFinite`] for non-finite entries.
    pub fn done_when(mut self, e: SVector<f64, K>, threshold: f64) -> Result<Self, LearningError> {
        check_row(&e, threshold, 0.0)?;
        self.done.push((e, threshold));
        Ok(self)
    }

    /// The terminal loss of a final state.
    pub fn terminal_loss(&self, x: &SVector<f64, N>) -> f64 {
        let g = self.features.raw(x);
        self.terminal
            .iter()
            .map(|row| row.w * (row.c.dot(&g) - row.r).powi(2))
            .sum()
    }

    /// The stage loss of one state.
    pub fn stage_loss(&self, x: &SVector<f64, N>) -> f64 {
        let g = self.features.raw(x);
        self.stage
            .iter()
            .map(|row| row.w * (row.r - row.c.dot(&g)).max(0.0).powi(2))
            .sum()
    }

    /// Whether an episode ends at `x` (any of the [`done_when`](Self::done_when) conditions).
    pub fn is_done(&self, x: &SVector<f64, N>) -> bool {
        if self.done.is_empty() {
            return false;
        }
        let g = self.features.raw(x);
        self.done
            .iter()
            .any(|(e, threshold)| e.dot(&g) <= *threshold)
    }

    pub(crate) fn tensors(&self, dev: &Cpu) -> ObjectiveTensors<N, K> {
        ObjectiveTensors {
            features: self.features.tensors(dev),
            terminal: (!self.terminal.is_empty()).then(|| RowTensors::new(dev, &self.terminal)),
            stage: (!self.stage.is_empty()).then(|| RowTensors::new(dev, &self.stage)),
        }
    }
}

/// Per episode of the batch, `sum_j (w_j^(1/2) h(c_j . g - r_j))^2 mask` where `h` is the
/// identity (terminal) or `max(0, -.)` (hinge).
fn rows_loss<const N: usize, const K: usize>(
    features: &super::features::FeatureTensors<N, K>,
    rows: &RowTensors<K>,
    x: Batch<N, OwnedTape<f32, Cpu>>,
    hinge: bool,
    mask: Option<Tensor<(usize,), f32, Cpu>>,
) -> Result<PerEpisode, LearningError> {
    let dev = LearningError::device;
    let b = x.shape().0;
    let g = features.forward(x)?;
    let shape = (b, rows.r.shape().0);
    let z = g.try_matmul(rows.ct.clone()).map_err(dev)?;
    let r = rows
        .r
        .clone()
        .try_broadcast_like::<_, Axis<0>>(&shape)
        .map_err(dev)?;
    let e = if hinge {
        // max(0, r - c.g) = relu(r - c.g)
        z.try_negate()
            .map_err(dev)?
            .try_add(r)
            .map_err(dev)?
            .try_relu()
            .map_err(dev)?
    } else {
        z.try_sub(r).map_err(dev)?
    };
    let w = rows
        .sqrt_w
        .clone()
        .try_broadcast_like::<_, Axis<0>>(&shape)
        .map_err(dev)?;
    let mut e = e.try_mul(w).map_err(dev)?;
    if let Some(mask) = mask {
        e = e
            .try_mul(mask.try_broadcast_like::<_, Axis<1>>(&shape).map_err(dev)?)
            .map_err(dev)?;
    }
    e.try_square()
        .map_err(dev)?
        .try_sum::<(usize,), Axis<1>>()
        .map_err(dev)
}

impl<const N: usize, const K: usize> ObjectiveTensors<N, K> {
    /// The terminal loss of every episode (`None` when there are no terms).
    pub(crate) fn terminal(
        &self,
        x: Batch<N, OwnedTape<f32, Cpu>>,
    ) -> Result<Option<PerEpisode>, LearningError> {
        match &self.terminal {
            None => Ok(None),
            Some(rows) => rows_loss(&self.features, rows, x, false, None).map(Some),
        }
    }

    /// The stage loss of every episode (zero for the episodes that are not alive).
    pub(crate) fn stage(
        &self,
        x: Batch<N, OwnedTape<f32, Cpu>>,
        alive: Tensor<(usize,), f32, Cpu>,
    ) -> Result<Option<PerEpisode>, LearningError> {
        match &self.stage {
            None => Ok(None),
            Some(rows) => rows_loss(&self.features, rows, x, true, Some(alive)).map(Some),
        }
    }
}
