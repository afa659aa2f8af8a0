//! A learned emulator of a discrete-time system: an MLP that predicts the state change, with
//! the control [`Dynamics`] trait (step and tape-derived vector-Jacobian product).

use std::path::Path;

use dfdx::optim::{Adam, Optimizer};
use dfdx::prelude::*;
use nalgebra::SVector;
use rand::Rng;

use super::error::{first_non_finite, LearningError};
use super::features::{Batch, FeatureTensors, PeriodicFeatures};
use super::io::{Reader, Writer};
use super::mlp::{build, export, import, EmulatorNet};
use crate::control::Dynamics;

/// Transitions `(x[t], u[t], x[t+1])` of a system, the emulator's training data.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Transitions<const N: usize, const M: usize> {
    /// States `x[t]`.
    pub states: Vec<SVector<f64, N>>,
    /// Actions `u[t]`.
    pub actions: Vec<SVector<f64, M>>,
    /// Next states `x[t+1]` (angles unwrapped: `x[t+1] - x[t]` is the change).
    pub next: Vec<SVector<f64, N>>,
}

impl<const N: usize, const M: usize> Transitions<N, M> {
    /// Appends one transition.
    pub fn push(&mut self, x: SVector<f64, N>, u: SVector<f64, M>, next: SVector<f64, N>) {
        self.states.push(x);
        self.actions.push(u);
        self.next.push(next);
    }

    /// The number of transitions.
    pub fn len(&self) -> usize {
        self.states.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// Checks equal lengths, at least one transition and finite values.
    ///
    /// # Errors
    /// [`LearningError::LengthMismatch`], [`LearningError::NonFinite`] (naming the transition).
    pub fn validate(&self) -> Result<(), LearningError> {
        for (what, found) in [
            ("actions", self.actions.len()),
            ("next states", self.next.len()),
        ] {
            if found != self.states.len() {
                return Err(LearningError::LengthMismatch {
                    what,
                    expected: self.states.len(),
                    found,
                });
            }
        }
        if self.is_empty() {
            return Err(LearningError::LengthMismatch {
                what: "transitions",
                expected: 1,
                found: 0,
            });
        }
        for t in 0..self.len() {
            let bad = first_non_finite(
                self.states[t]
                    .iter()
                    .chain(self.actions[t].iter())
                    .chain(self.next[t].iter()),
            );
            if bad.is_some() {
                return Err(LearningError::NonFinite {
                    what: "transition",
                    index: t,
                });
            }
        }
        Ok(())
    }
}

/// Settings of [`MlpDynamics::fit`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitConfig {
    /// Adam steps (default 4000).
    pub iterations: usize,
    /// Transitions per minibatch (default 256).
    pub batch_size: usize,
    /// Adam learning rate (default 3e-3), decayed by cosine to 5 % over the run.
    pub learning_rate: f64,
}

impl Default for FitConfig {
    fn default() -> Self {
        Self {
            iterations: 4000,
            batch_size: 256,
            learning_rate: 3e-3,
        }
    }
}

impl FitConfig {
    /// Checks the settings.
    ///
    /// # Errors
    /// [`LearningError::InvalidParameter`] for zero iterations or batch size or a learning
    /// rate that is not finite and positive.
    pub(crate) fn validate(&self) -> Result<(), LearningError> {
        if self.iterations == 0 || self.batch_size == 0 {
            return Err(LearningError::InvalidParameter {
                name: "iterations / batch_size",
                reason: "must be at least 1".into(),
            });
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(LearningError::InvalidParameter {
                name: "learning_rate",
                reason: format!("must be finite and > 0, got {}", self.learning_rate),
            });
        }
        Ok(())
    }
}

/// A minibatch loss on its tape.
pub(crate) type TapedLoss = Tensor<Rank0, f32, Cpu, OwnedTape<f32, Cpu>>;

/// The supervised training loop of [`MlpDynamics::fit`] and
/// [`MlpPolicy::fit_actions`](super::MlpPolicy::fit_actions): `config.iterations` Adam steps
/// on the network `net(model)`, the learning rate decayed by cosine from
/// `config.learning_rate` to 5 % of it; `loss(model, gradients)` draws a minibatch
/// and returns its loss traced into `gradients`. `observer(iteration, loss)` sees every step.
/// Returns the mean loss of the last 5 % of the steps.
///
/// # Errors
/// [`FitConfig::validate`]'s; `loss`'s; [`LearningError::Diverged`] for a non-finite loss.
pub(crate) fn fit_adam<T, Net: TensorCollection<f32, Cpu>>(
    model: &mut T,
    net: fn(&mut T) -> &mut Net,
    config: &FitConfig,
    mut loss: impl FnMut(&T, Gradients<f32, Cpu>) -> Result<TapedLoss, LearningError>,
    mut observer: impl FnMut(usize, f64),
) -> Result<f64, LearningError> {
    config.validate()?;
    let mut opt = Adam::new(
        &*net(model),
        AdamConfig {
            lr: config.learning_rate,
            ..Default::default()
        },
    );
    let mut grads = Some(
        net(model)
            .try_alloc_grads()
            .map_err(LearningError::device)?,
    );
    let tail = (config.iterations / 20).max(1);
    let mut tail_sum = 0.0;
    for iteration in 0..config.iterations {
        let progress = iteration as f64 / config.iterations as f64;
        opt.cfg.lr = config.learning_rate
            * (0.05 + 0.95 * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()));
        let g = grads
            .take()
            .ok_or(LearningError::Device("gradients".into()))?;
        let l = loss(model, g)?;
        let value = f64::from(l.array());
        if !value.is_finite() {
            return Err(LearningError::Diverged {
                what: "loss",
                iteration,
            });
        }
        let mut g = l.try_backward().map_err(LearningError::device)?;
        opt.update(net(model), &g)
            .map_err(|e| LearningError::Device(format!("{e:?}")))?;
        net(model)
            .try_zero_grads(&mut g)
            .map_err(LearningError::device)?;
        grads = Some(g);
        observer(iteration, value);
        if iteration + tail >= config.iterations {
            tail_sum += value;
        }
    }
    Ok(tail_sum / tail as f64)
}

/// Per-step statistics of the normalised prediction error on a data set
/// ([`MlpDynamics::evaluate`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PredictionError {
    /// Mean over transitions of the squared normalised error `|(d_hat - d) / sigma_d|^2 / N`
    /// (the training loss).
    pub normalized_mse: f64,
    /// Root mean square error of each state component of `x[t+1]`, in state units.
    pub rmse: Vec<f64>,
}

/// Constant tensors of the emulator's input and output scaling.
#[derive(Debug, Clone)]
struct Scaling<const N: usize, const M: usize> {
    action_weight: Tensor<Rank1<M>, f32, Cpu>,
    action_shift: Tensor<Rank1<M>, f32, Cpu>,
    delta_std: Tensor<Rank1<N>, f32, Cpu>,
    delta_mean: Tensor<Rank1<N>, f32, Cpu>,
}

/// A learned emulator `x[t+1] = x[t] + D(f(x[t]), u[t])` of a system with `N` states and `M`
/// actions: an MLP ([`EmulatorNet`], two `tanh` layers of `H` units) that predicts the state
/// change from `F` [`PeriodicFeatures`] of the state and the standardised action.
///
/// Normalisation: inputs `f = (g(A x + b) - mu_f) / sigma_f`, `u_n = (u - mu_u) / sigma_u`;
/// output `d = sigma_d o + mu_d` where `o` is the network output; all `mu`, `sigma` come from
/// the training data ([`fit`](Self::fit)). Predicting the change rather than the next state
/// keeps the target well scaled (steps are small against positions).
///
/// As a [`Dynamics`] it plans with [`ShootingMpc`](crate::control::ShootingMpc) unchanged:
/// `step` runs the network forward (f32) and adds the change to `x` in f64; `vjp` runs it on a
/// traced input, back-propagates `lambda . d` with dfdx's tape and returns
/// `(lambda + (dd/dx)^T lambda, (dd/du)^T lambda)`. A back-end failure (out of memory) makes
/// `step` return NaN, which the MPC reports as divergence. Cost: `O(H (F + M + H + N))`
/// multiply-adds per step plus dfdx's per-operation overhead (tens of microseconds).
///
/// ```
/// use nalgebra::{SMatrix, Vector1, Vector2};
/// use kestrel::control::Dynamics;
/// use kestrel::learning::{FitConfig, MlpDynamics, PeriodicFeatures, Transitions};
/// use rand::{rngs::StdRng, Rng, SeedableRng};
/// // Learn x' = x + 0.1 u for a 2-state system whose change does not depend on the state.
/// let features = PeriodicFeatures::new(SMatrix::<f64, 1, 2>::new(1.0, 0.0),
///                                      nalgebra::Vector1::zeros(), [false]).unwrap();
/// let mut emulator = MlpDynamics::<2, 1, 1, 8>::new(features, 1).unwrap();
/// let mut rng = StdRng::seed_from_u64(2);
/// let mut data = Transitions::default();
/// for _ in 0..500 {
///     let x = Vector2::new(rng.random_range(-1.0..1.0), 0.0);
///     let u = Vector1::new(rng.random_range(-1.0..1.0));
///     data.push(x, u, x + Vector2::new(0.1 * u[0], 0.0));
/// }
/// let config = FitConfig { iterations: 1000, batch_size: 64, learning_rate: 1e-2 };
/// emulator.fit(&data, &config, &mut rng, |_, _| {}).unwrap();
/// let next = emulator.step(&Vector2::new(0.3, 0.0), &Vector1::new(0.5));
/// assert!((next[0] - 0.35).abs() < 0.01, "{next}");
/// ```
pub struct MlpDynamics<const N: usize, const M: usize, const F: usize, const H: usize> {
    dev: Cpu,
    features: PeriodicFeatures<N, F>,
    feature_tensors: FeatureTensors<N, F>,
    action_mean: SVector<f64, M>,
    action_std: SVector<f64, M>,
    delta_mean: SVector<f64, N>,
    delta_std: SVector<f64, N>,
    scaling: Scaling<N, M>,
    net: EmulatorNet<F, M, H, N>,
}

const MODEL: &str = "kestrel.mlp_dynamics";

fn mean_std<const D: usize>(
    values: impl Iterator<Item = SVector<f64, D>> + Clone,
) -> (SVector<f64, D>, SVector<f64, D>) {
    let n = values.clone().count().max(1) as f64;
    let mean = values.clone().sum::<SVector<f64, D>>() / n;
    let var = values
        .map(|v| (v - mean).map(|e| e * e))
        .sum::<SVector<f64, D>>()
        / n;
    (
        mean,
        var.map(|v| if v.sqrt() > 1e-9 { v.sqrt() } else { 1.0 }),
    )
}

fn rank1<const D: usize>(dev: &Cpu, f: impl Fn(usize) -> f64) -> Tensor<Rank1<D>, f32, Cpu> {
    let mut v = [0f32; D];
    for (k, out) in v.iter_mut().enumerate() {
        *out = f(k) as f32;
    }
    dev.tensor(v)
}

/// A batch tensor from rows.
pub(crate) fn batch<const C: usize>(dev: &Cpu, rows: &[SVector<f64, C>]) -> Batch<C> {
    let data: Vec<f32> = rows
        .iter()
        .flat_map(|r| r.iter().map(|v| *v as f32))
        .collect();
    dev.tensor_from_vec(data, (rows.len(), Const::<C>))
}

/// Rows of a batch tensor.
pub(crate) fn rows<const C: usize, T>(t: &Batch<C, T>) -> Vec<SVector<f64, C>> {
    t.as_vec()
        .chunks_exact(C)
        .map(|c| SVector::from_iterator(c.iter().map(|v| f64::from(*v))))
        .collect()
}

impl<const N: usize, const M: usize, const F: usize, const H: usize> MlpDynamics<N, M, F, H> {
    /// An untrained emulator on `features`, weights drawn with `seed`; the normalisation is the
    /// identity until [`fit`](Self::fit).
    ///
    /// # Errors
    /// [`LearningError::Device`] if the back end cannot allocate the network.
    pub fn new(features: PeriodicFeatures<N, F>, seed: u64) -> Result<Self, LearningError> {
        let (dev, net) = build::<EmulatorNet<F, M, H, N>>(seed)?;
        let feature_tensors = features.tensors(&dev);
        let mut emulator = Self {
            scaling: Scaling {
                action_weight: rank1(&dev, |_| 1.0),
                action_shift: rank1(&dev, |_| 0.0),
                delta_std: rank1(&dev, |_| 1.0),
                delta_mean: rank1(&dev, |_| 0.0),
            },
            dev,
            features,
            feature_tensors,
            action_mean: SVector::zeros(),
            action_std: SVector::repeat(1.0),
            delta_mean: SVector::zeros(),
            delta_std: SVector::repeat(1.0),
            net,
        };
        emulator.rebuild_constants();
        Ok(emulator)
    }

    fn rebuild_constants(&mut self) {
        let dev = &self.dev;
        self.feature_tensors = self.features.tensors(dev);
        self.scaling = Scaling {
            action_weight: rank1(dev, |k| 1.0 / self.action_std[k]),
            action_shift: rank1(dev, |k| -self.action_mean[k] / self.action_std[k]),
            delta_std: rank1(dev, |k| self.delta_std[k]),
            delta_mean: rank1(dev, |k| self.delta_mean[k]),
        };
    }

    /// The input features (with their standardisation).
    pub fn features(&self) -> &PeriodicFeatures<N, F> {
        &self.features
    }

    /// The mean and standard deviation of the state change in the training data.
    pub fn delta_statistics(&self) -> (&SVector<f64, N>, &SVector<f64, N>) {
        (&self.delta_mean, &self.delta_std)
    }

    /// The network output `o` (normalised change) for a batch, on the batch's tape.
    fn normalized_output<T: Tape<f32, Cpu>>(
        &self,
        x: Batch<N, T>,
        u: Batch<M, T>,
    ) -> Result<Batch<N, T>, LearningError> {
        let shape = (u.shape().0, Const::<M>);
        let f = self.feature_tensors.forward(x)?;
        let un = u
            .try_mul(
                self.scaling
                    .action_weight
                    .clone()
                    .try_broadcast_like(&shape)
                    .map_err(LearningError::device)?,
            )
            .map_err(LearningError::device)?
            .try_add(
                self.scaling
                    .action_shift
                    .clone()
                    .try_broadcast_like(&shape)
                    .map_err(LearningError::device)?,
            )
            .map_err(LearningError::device)?;
        self.net.try_forward((f, un)).map_err(LearningError::device)
    }

    /// The predicted change `d(x, u)` in state units for a batch, on the batch's tape.
    pub(crate) fn delta<T: Tape<f32, Cpu>>(
        &self,
        x: Batch<N, T>,
        u: Batch<M, T>,
    ) -> Result<Batch<N, T>, LearningError> {
        let shape = (x.shape().0, Const::<N>);
        self.normalized_output(x, u)?
            .try_mul(
                self.scaling
                    .delta_std
                    .clone()
                    .try_broadcast_like(&shape)
                    .map_err(LearningError::device)?,
            )
            .map_err(LearningError::device)?
            .try_add(
                self.scaling
                    .delta_mean
                    .clone()
                    .try_broadcast_like(&shape)
                    .map_err(LearningError::device)?,
            )
            .map_err(LearningError::device)
    }

    fn check_inputs(
        states: &[SVector<f64, N>],
        actions: &[SVector<f64, M>],
    ) -> Result<(), LearningError> {
        if actions.len() != states.len() {
            return Err(LearningError::LengthMismatch {
                what: "actions",
                expected: states.len(),
                found: actions.len(),
            });
        }
        if let Some(index) = states
            .iter()
            .position(|x| first_non_finite(x.iter()).is_some())
        {
            return Err(LearningError::NonFinite {
                what: "state",
                index,
            });
        }
        if let Some(index) = actions
            .iter()
            .position(|u| first_non_finite(u.iter()).is_some())
        {
            return Err(LearningError::NonFinite {
                what: "action",
                index,
            });
        }
        Ok(())
    }

    /// The predicted next states of a batch (one forward pass).
    ///
    /// # Errors
    /// [`LearningError::LengthMismatch`] for different lengths, [`LearningError::NonFinite`]
    /// for a non-finite state or action (naming its index).
    pub fn predict_batch(
        &self,
        states: &[SVector<f64, N>],
        actions: &[SVector<f64, M>],
    ) -> Result<Vec<SVector<f64, N>>, LearningError> {
        Self::check_inputs(states, actions)?;
        if states.is_empty() {
            return Ok(Vec::new());
        }
        let d = self.delta(batch(&self.dev, states), batch(&self.dev, actions))?;
        Ok(rows(&d).iter().zip(states).map(|(d, x)| x + d).collect())
    }

    /// Fits the normalisation to `data`, then trains the network by Adam on the mean squared
    /// error of the normalised change over random minibatches (drawn with `rng`).
    /// `observer(iteration, loss)` sees every step's minibatch loss. Returns the mean loss of
    /// the last 5 % of the iterations.
    ///
    /// # Errors
    /// [`Transitions::validate`]'s errors; [`LearningError::InvalidParameter`] for zero
    /// iterations or batch size or a non-positive learning rate; [`LearningError::Diverged`]
    /// for a non-finite loss.
    pub fn fit<R: Rng + ?Sized>(
        &mut self,
        data: &Transitions<N, M>,
        config: &FitConfig,
        rng: &mut R,
        mut observer: impl FnMut(usize, f64),
    ) -> Result<f64, LearningError> {
        data.validate()?;
        config.validate()?;
        self.features.fit_standardization(&data.states)?;
        (self.action_mean, self.action_std) = mean_std(data.actions.iter().copied());
        let deltas = data.next.iter().zip(&data.states).map(|(n, x)| n - x);
        (self.delta_mean, self.delta_std) = mean_std(deltas);
        self.rebuild_constants();

        let (mut xs, mut us, mut ts) = (Vec::new(), Vec::new(), Vec::new());
        let loss = |model: &Self, g: Gradients<f32, Cpu>| {
            xs.clear();
            us.clear();
            ts.clear();
            for _ in 0..config.batch_size {
                let i = rng.random_range(0..data.len());
                xs.push(data.states[i]);
                us.push(data.actions[i]);
                ts.push(
                    (data.next[i] - data.states[i] - model.delta_mean)
                        .component_div(&model.delta_std),
                );
            }
            let x = batch(&model.dev, &xs).traced(g);
            let u = batch(&model.dev, &us).retaped::<OwnedTape<f32, Cpu>>();
            let out = model.normalized_output(x, u)?;
            Ok(mse_loss(out, batch(&model.dev, &ts)))
        };
        fit_adam(self, |m| &mut m.net, config, loss, &mut observer)
    }

    /// The one-step prediction error on `data` (for held-out data: the generalisation error).
    ///
    /// # Errors
    /// As [`Transitions::validate`].
    pub fn evaluate(&self, data: &Transitions<N, M>) -> Result<PredictionError, LearningError> {
        data.validate()?;
        let mut sq = SVector::<f64, N>::zeros();
        let mut normalized = 0.0;
        for start in (0..data.len()).step_by(4096) {
            let end = (start + 4096).min(data.len());
            let pred = self.predict_batch(&data.states[start..end], &data.actions[start..end])?;
            for (p, t) in pred.iter().zip(&data.next[start..end]) {
                let e = p - t;
                sq += e.map(|v| v * v);
                normalized += e.component_div(&self.delta_std).norm_squared() / N as f64;
            }
        }
        let n = data.len() as f64;
        Ok(PredictionError {
            normalized_mse: normalized / n,
            rmse: sq.iter().map(|v| (v / n).sqrt()).collect(),
        })
    }

    fn sizes() -> String {
        format!("N={N} M={M} F={F} H={H}")
    }

    /// Saves weights, features and normalisation as a safetensors file (metadata
    /// `kestrel.model = kestrel.mlp_dynamics`, `kestrel.sizes = N=.. M=.. F=.. H=..`).
    ///
    /// # Errors
    /// [`LearningError::Io`] when the file cannot be written.
    pub fn save(&self, path: &Path) -> Result<(), LearningError> {
        let mut w = Writer::new(MODEL, Self::sizes());
        self.features.write(&mut w, "features");
        w.f64("action.mean", vec![M], self.action_mean.as_slice());
        w.f64("action.std", vec![M], self.action_std.as_slice());
        w.f64("delta.mean", vec![N], self.delta_mean.as_slice());
        w.f64("delta.std", vec![N], self.delta_std.as_slice());
        for (name, shape, values) in export(&self.net)? {
            w.f32(&format!("net.{name}"), shape, &values);
        }
        w.write(path)
    }

    /// Loads an emulator saved by [`save`](Self::save) with the same sizes.
    ///
    /// # Errors
    /// [`LearningError::Io`] (missing file), [`LearningError::Corrupt`] (not safetensors),
    /// [`LearningError::WrongModel`] (another model kind or other sizes),
    /// [`LearningError::MissingTensor`], [`LearningError::WrongShape`],
    /// [`LearningError::NonFiniteWeights`]; each names the file.
    pub fn load(path: &Path) -> Result<Self, LearningError> {
        let r = Reader::open(path, MODEL, &Self::sizes())?;
        let features = PeriodicFeatures::read(&r, "features")?;
        let mut emulator = Self::new(features, 0)?;
        let vector = |name: &str, d: usize| r.f64(name, &[d]);
        emulator.action_mean = SVector::from_column_slice(&vector("action.mean", M)?);
        emulator.action_std = SVector::from_column_slice(&vector("action.std", M)?);
        emulator.delta_mean = SVector::from_column_slice(&vector("delta.mean", N)?);
        emulator.delta_std = SVector::from_column_slice(&vector("delta.std", N)?);
        for (name, s) in [
            ("action.std", emulator.action_std.as_slice()),
            ("delta.std", emulator.delta_std.as_slice()),
        ] {
            if s.iter().any(|v| *v <= 0.0) {
                return Err(LearningError::WrongShape(Box::new(
                    super::error::ShapeMismatch {
                        path: path.to_path_buf(),
                        name: name.to_string(),
                        expected: vec![s.len()],
                        found: vec![s.len()],
                        dtype: "non-positive entries".into(),
                        expected_dtype: "F64 > 0".into(),
                    },
                )));
            }
        }
        import(&mut emulator.net, &mut |name, shape| {
            r.f32(&format!("net.{name}"), shape)
        })?;
        emulator.rebuild_constants();
        Ok(emulator)
    }
}

impl<const N: usize, const M: usize, const F: usize, const H: usize> Dynamics<N, M>
    for MlpDynamics<N, M, F, H>
{
    fn step(&self, x: &SVector<f64, N>, u: &SVector<f64, M>) -> SVector<f64, N> {
        let d = self
            .delta(
                batch(&self.dev, std::slice::from_ref(x)),
                batch(&self.dev, std::slice::from_ref(u)),
            )
            .map(|d| rows(&d)[0])
            .unwrap_or_else(|_| SVector::repeat(f64::NAN));
        x + d
    }

    fn vjp(
        &self,
        x: &SVector<f64, N>,
        u: &SVector<f64, M>,
        lambda_next: &SVector<f64, N>,
    ) -> (SVector<f64, N>, SVector<f64, M>) {
        let xt = batch(&self.dev, std::slice::from_ref(x));
        let ut = batch(&self.dev, std::slice::from_ref(u));
        let lt = batch(&self.dev, std::slice::from_ref(lambda_next));
        let result = (|| -> Result<_, LearningError> {
            let d = self.delta(xt.leaky_trace(), ut.leaky_trace())?;
            let s = d
                .try_mul(lt)
                .map_err(LearningError::device)?
                .try_sum::<Rank0, _>()
                .map_err(LearningError::device)?;
            let grads = s.try_backward().map_err(LearningError::device)?;
            Ok((rows(&grads.get(&xt))[0], rows(&grads.get(&ut))[0]))
        })();
        match result {
            Ok((gx, gu)) => (lambda_next + gx, gu),
            Err(_) => (SVector::repeat(f64::NAN), SVector::repeat(f64::NAN)),
        }
    }
}
