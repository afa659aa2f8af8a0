//! A learned feedback policy: an MLP with a `tanh` output scaled to the action limits.

use std::path::Path;

use dfdx::prelude::*;
use nalgebra::SVector;

use super::emulator::{batch, fit_adam, rows};
use super::error::{first_non_finite, LearningError};
use super::features::{Batch, FeatureTensors, PeriodicFeatures};
use super::io::{Reader, Writer};
use super::mlp::{build, export, import, PolicyNet};

/// A deterministic policy `u = limit * tanh(net(f(x)))` for `N` states and `M` actions:
/// [`PeriodicFeatures`] `f` of size `P`, a [`PolicyNet`] with two `tanh` layers of `H` units,
/// and a `tanh` output scaled component-wise to `[-limit, limit]` (so every action it returns
/// is within the actuator's range, and its gradient stays finite at the limits).
///
/// Trained by back-propagation through time with
/// [`PolicyTrainer`](super::PolicyTrainer). Cost per state: `O(H (P + H + M))`; evaluate many
/// states at once with [`act_batch`](Self::act_batch) (one forward pass).
///
/// ```
/// use nalgebra::{SMatrix, Vector1, Vector2};
/// use kestrel::learning::{MlpPolicy, PeriodicFeatures};
/// let features = PeriodicFeatures::new(SMatrix::<f64, 2, 2>::identity(), Vector2::zeros(),
///                                      [false, false]).unwrap();
/// let policy = MlpPolicy::<2, 1, 2, 16>::new(features, Vector1::new(0.5), 7).unwrap();
/// let u = policy.act(&Vector2::new(1.0, -2.0)).unwrap();
/// assert!(u[0].abs() < 0.5);
/// ```
///
/// Cloning is cheap (dfdx tensors share their buffers copy-on-write): a training loop keeps
/// its best policy so far with `best = policy.clone()`.
#[derive(Clone)]
pub struct MlpPolicy<const N: usize, const M: usize, const P: usize, const H: usize> {
    dev: Cpu,
    features: PeriodicFeatures<N, P>,
    feature_tensors: FeatureTensors<N, P>,
    limit: SVector<f64, M>,
    limit_tensor: Tensor<Rank1<M>, f32, Cpu>,
    pub(crate) net: PolicyNet<P, H, M>,
}

const MODEL: &str = "kestrel.mlp_policy";

impl<const N: usize, const M: usize, const P: usize, const H: usize> MlpPolicy<N, M, P, H> {
    /// A policy with random weights (drawn with `seed`) on standardised `features`, actions
    /// bounded by `+-limit`.
    ///
    /// # Errors
    /// [`LearningError::InvalidParameter`] unless every limit is finite and positive.
    pub fn new(
        features: PeriodicFeatures<N, P>,
        limit: SVector<f64, M>,
        seed: u64,
    ) -> Result<Self, LearningError> {
        if let Some(k) = limit.iter().position(|l| !(l.is_finite() && *l > 0.0)) {
            return Err(LearningError::InvalidParameter {
                name: "limit",
                reason: format!("entry {k} must be finite and > 0, got {}", limit[k]),
            });
        }
        let (dev, net) = build::<PolicyNet<P, H, M>>(seed)?;
        let mut v = [0f32; M];
        for (k, out) in v.iter_mut().enumerate() {
            *out = limit[k] as f32;
        }
        Ok(Self {
            feature_tensors: features.tensors(&dev),
            limit_tensor: dev.tensor(v),
            dev,
            features,
            limit,
            net,
        })
    }

    /// The input features.
    pub fn features(&self) -> &PeriodicFeatures<N, P> {
        &self.features
    }

    /// The action limits.
    pub fn limit(&self) -> &SVector<f64, M> {
        &self.limit
    }

    pub(crate) fn device(&self) -> &Cpu {
        &self.dev
    }

    /// The actions of a batch of states, on the batch's tape.
    pub(crate) fn forward<T: Tape<f32, Cpu>>(
        &self,
        x: Batch<N, T>,
    ) -> Result<Batch<M, T>, LearningError> {
        let shape = (x.shape().0, Const::<M>);
        let f = self.feature_tensors.forward(x)?;
        self.net
            .try_forward(f)
            .map_err(LearningError::device)?
            .try_mul(
                self.limit_tensor
                    .clone()
                    .try_broadcast_like(&shape)
                    .map_err(LearningError::device)?,
            )
            .map_err(LearningError::device)
    }

    /// The action for state `x`.
    ///
    /// # Errors
    /// [`LearningError::NonFinite`] for a non-finite state.
    pub fn act(&self, x: &SVector<f64, N>) -> Result<SVector<f64, M>, LearningError> {
        Ok(self.act_batch(std::slice::from_ref(x))?[0])
    }

    /// The actions for many states in one forward pass.
    ///
    /// # Errors
    /// [`LearningError::NonFinite`] naming the first non-finite state.
    pub fn act_batch(
        &self,
        states: &[SVector<f64, N>],
    ) -> Result<Vec<SVector<f64, M>>, LearningError> {
        if let Some(index) = states
            .iter()
            .position(|x| first_non_finite(x.iter()).is_some())
        {
            return Err(LearningError::NonFinite {
                what: "state",
                index,
            });
        }
        if states.is_empty() {
            return Ok(Vec::new());
        }
        let u = self.forward(batch(&self.dev, states))?;
        Ok(rows(&u))
    }

    /// Behaviour cloning: fits the policy to demonstrated `(state, action)` pairs by Adam on
    /// the mean squared action error `|u(x) - u*|^2` (minibatches drawn with `rng`, learning
    /// rate decayed by cosine to 5 %), keeping the input standardisation. A warm start for
    /// training through time: the demonstrations put the policy in the right family of
    /// manoeuvres, back-propagation through time then tunes it. Returns the mean loss of the
    /// last twentieth of the steps; `observer(iteration, loss)` sees every step.
    ///
    /// # Errors
    /// [`LearningError::LengthMismatch`] for no pairs or unequal lengths,
    /// [`LearningError::NonFinite`] for a non-finite pair, [`LearningError::InvalidParameter`]
    /// for no steps or a bad learning rate, [`LearningError::Diverged`] for a non-finite loss.
    pub fn fit_actions<R: rand::Rng + ?Sized>(
        &mut self,
        states: &[SVector<f64, N>],
        actions: &[SVector<f64, M>],
        config: &super::FitConfig,
        rng: &mut R,
        observer: impl FnMut(usize, f64),
    ) -> Result<f64, LearningError> {
        if states.is_empty() || states.len() != actions.len() {
            return Err(LearningError::LengthMismatch {
                what: "demonstrated actions",
                expected: states.len().max(1),
                found: actions.len(),
            });
        }
        if let Some(index) = states
            .iter()
            .zip(actions)
            .position(|(x, u)| first_non_finite(x.iter().chain(u.iter())).is_some())
        {
            return Err(LearningError::NonFinite {
                what: "demonstration",
                index,
            });
        }
        let (mut xs, mut us) = (Vec::new(), Vec::new());
        let loss = |policy: &Self, g: Gradients<f32, Cpu>| {
            xs.clear();
            us.clear();
            for _ in 0..config.batch_size {
                let i = rng.random_range(0..states.len());
                xs.push(states[i]);
                us.push(actions[i]);
            }
            let u = policy.forward(batch(&policy.dev, &xs).traced(g))?;
            Ok(mse_loss(u, batch(&policy.dev, &us)))
        };
        fit_adam(self, |p| &mut p.net, config, loss, observer)
    }

    fn sizes() -> String {
        format!("N={N} M={M} P={P} H={H}")
    }

    /// Saves weights, features and limits as a safetensors file (metadata
    /// `kestrel.model = kestrel.mlp_policy`, `kestrel.sizes = N=.. M=.. P=.. H=..`).
    ///
    /// # Errors
    /// [`LearningError::Io`] when the file cannot be written.
    pub fn save(&self, path: &Path) -> Result<(), LearningError> {
        let mut w = Writer::new(MODEL, Self::sizes());
        self.features.write(&mut w, "features");
        w.f64("limit", vec![M], self.limit.as_slice());
        for (name, shape, values) in export(&self.net)? {
            w.f32(&format!("net.{name}"), shape, &values);
        }
        w.write(path)
    }

    /// Loads a policy saved by [`save`](Self::save) with the same sizes.
    ///
    /// # Errors
    /// As [`MlpDynamics::load`](super::MlpDynamics::load), plus
    /// [`LearningError::InvalidParameter`] for a non-positive limit in the file.
    pub fn load(path: &Path) -> Result<Self, LearningError> {
        let r = Reader::open(path, MODEL, &Self::sizes())?;
        let features = PeriodicFeatures::read(&r, "features")?;
        let limit = SVector::from_column_slice(&r.f64("limit", &[M])?);
        let mut policy = Self::new(features, limit, 0)?;
        import(&mut policy.net, &mut |name, shape| {
            r.f32(&format!("net.{name}"), shape)
        })?;
        Ok(policy)
    }
}
