//! Policy training by back-propagation through time through a frozen learned emulator.

use dfdx::optim::{Adam, Optimizer};
use dfdx::prelude::*;
use nalgebra::SVector;

use super::emulator::{batch, MlpDynamics};
use super::error::{first_non_finite, LearningError};
use super::mlp::{clip_gradients, PolicyNet};
use super::objective::EpisodeObjective;
use super::policy::MlpPolicy;

/// A per-episode batch vector carrying the gradient tape.
type TapedBatch = Tensor<(usize,), f32, Cpu, OwnedTape<f32, Cpu>>;

/// Settings of a [`PolicyTrainer`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BpttConfig {
    /// Adam learning rate (default 1e-3).
    pub learning_rate: f64,
    /// Global gradient-norm clip (default 1.0).
    pub clip_norm: f64,
    /// Scale `s` of the robust per-episode loss: each episode's loss `L_i` enters the
    /// minibatch loss as `s ln(1 + L_i / s)` (about `L_i` for `L_i << s`; its gradient is
    /// scaled by `s / (s + L_i)`), so that a few hopeless episodes (losses of hundreds) do not
    /// steer the whole update away from the many near misses. `0` (the default) keeps the
    /// plain mean of `L_i`.
    pub robust_scale: f64,
}

impl Default for BpttConfig {
    fn default() -> Self {
        Self {
            learning_rate: 1e-3,
            clip_norm: 1.0,
            robust_scale: 0.0,
        }
    }
}

/// What one training step measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BpttStep {
    /// The minibatch loss that was minimised: the mean over episodes of terminal plus stage
    /// loss, each through the robust transform when [`BpttConfig::robust_scale`] is set.
    pub loss: f64,
    /// The mean terminal loss per episode (before the robust transform).
    pub terminal_loss: f64,
    /// The mean stage (hinge) loss per episode (before the robust transform).
    pub stage_loss: f64,
    /// Global gradient norm before clipping.
    pub gradient_norm: f64,
    /// Steps unrolled (the longest episode of the batch).
    pub unrolled_steps: usize,
    /// Fraction of the episodes that ended (the `done` condition) within the unroll.
    pub done_fraction: f64,
}

/// Trains an [`MlpPolicy`] by back-propagation through time (the Kelley-Bryson adjoint of the
/// unrolled closed loop) through a frozen [`MlpDynamics`] emulator.
///
/// One [`step`](Self::step) unrolls a minibatch of episodes from the given starts:
///
/// ```text
/// u[t] = pi(x[t]),   x[t+1] = x[t] + a[t] D(x[t], u[t]),   a[t] = 1 until the episode is done
/// ```
///
/// for at most `max_steps` steps (stopping when every episode is done), evaluates the
/// [`EpisodeObjective`] (terminal loss at the frozen final state, stage hinges on the alive
/// steps; mean over episodes), back-propagates through every step with dfdx's tape, clips the
/// policy gradient to a global norm and applies one Adam update to the policy only (the
/// emulator's weights are never updated). The `done` flags are computed on the forward values
/// and are constants for the gradient. Cost: `O(B T)` network evaluations forward and
/// backward for `B` episodes of `T` steps; memory `O(B T H)` for the tape.
///
/// ```
/// use nalgebra::{SMatrix, Vector1, Vector2};
/// use kestrel::learning::*;
/// use rand::{rngs::StdRng, Rng, SeedableRng};
/// // A point x' = x + 0.1 u that should reach x = 0 after 10 steps.
/// let id = PeriodicFeatures::new(SMatrix::<f64, 1, 1>::identity(), Vector1::zeros(), [false]).unwrap();
/// let mut emulator = MlpDynamics::<1, 1, 1, 8>::new(id.clone(), 1).unwrap();
/// let mut rng = StdRng::seed_from_u64(3);
/// let mut data = Transitions::default();
/// for _ in 0..400 {
///     let (x, u) = (rng.random_range(-2.0..2.0), rng.random_range(-1.0..1.0));
///     data.push(Vector1::new(x), Vector1::new(u), Vector1::new(x + 0.1 * u));
/// }
/// emulator.fit(&data, &FitConfig { iterations: 300, batch_size: 64, learning_rate: 1e-2 },
///              &mut rng, |_, _| {}).unwrap();
/// let mut policy = MlpPolicy::<1, 1, 1, 8>::new(id.clone(), Vector1::new(1.0), 2).unwrap();
/// let objective = EpisodeObjective::new(id).terminal(Vector1::new(1.0), 0.0, 1.0).unwrap();
/// let mut trainer = PolicyTrainer::new(&policy, BpttConfig { learning_rate: 1e-2, clip_norm: 1.0, robust_scale: 0.0 }).unwrap();
/// let starts: Vec<_> = (0..16).map(|i| Vector1::new(-0.8 + 0.1 * i as f64)).collect();
/// let first = trainer.step(&mut policy, &emulator, &objective, &starts, 10).unwrap();
/// let mut last = first;
/// for _ in 0..60 { last = trainer.step(&mut policy, &emulator, &objective, &starts, 10).unwrap(); }
/// assert!(last.loss < 0.2 * first.loss);
/// ```
pub struct PolicyTrainer<const N: usize, const M: usize, const P: usize, const H: usize> {
    optimizer: Adam<PolicyNet<P, H, M>, f32, Cpu>,
    grads: Option<Gradients<f32, Cpu>>,
    config: BpttConfig,
    iteration: usize,
}

impl<const N: usize, const M: usize, const P: usize, const H: usize> PolicyTrainer<N, M, P, H> {
    /// A trainer (fresh Adam moments) for `policy`.
    ///
    /// # Errors
    /// [`LearningError::InvalidParameter`] for a non-positive learning rate or clip norm, or a
    /// negative or non-finite robust scale.
    pub fn new(policy: &MlpPolicy<N, M, P, H>, config: BpttConfig) -> Result<Self, LearningError> {
        if !(config.robust_scale.is_finite() && config.robust_scale >= 0.0) {
            return Err(LearningError::InvalidParameter {
                name: "robust_scale",
                reason: format!("must be finite and >= 0, got {}", config.robust_scale),
            });
        }
        for (name, v) in [
            ("learning_rate", config.learning_rate),
            ("clip_norm", config.clip_norm),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(LearningError::InvalidParameter {
                    name,
                    reason: format!("must be finite and > 0, got {v}"),
                });
            }
        }
        Ok(Self {
            optimizer: Adam::new(
                &policy.net,
                AdamConfig {
                    lr: config.learning_rate,
                    ..Default::default()
                },
            ),
            grads: Some(
                policy
                    .net
                    .try_alloc_grads()
                    .map_err(LearningError::device)?,
            ),
            config,
            iteration: 0,
        })
    }

    /// Changes the learning rate of the next steps (a schedule).
    pub fn set_learning_rate(&mut self, learning_rate: f64) {
        if learning_rate.is_finite() && learning_rate > 0.0 {
            self.optimizer.cfg.lr = learning_rate;
        }
    }

    /// The configuration.
    pub fn config(&self) -> &BpttConfig {
        &self.config
    }

    /// Steps taken so far.
    pub fn iterations(&self) -> usize {
        self.iteration
    }

    /// One training step on episodes from `starts`, each unrolled for at most `max_steps`.
    ///
    /// # Errors
    /// [`LearningError::LengthMismatch`] for no starts or `max_steps == 0`;
    /// [`LearningError::NonFinite`] for a non-finite start; [`LearningError::Diverged`] when the
    /// loss or the gradient is not finite (the policy is then left unchanged).
    pub fn step<const F: usize, const HE: usize, const K: usize>(
        &mut self,
        policy: &mut MlpPolicy<N, M, P, H>,
        emulator: &MlpDynamics<N, M, F, HE>,
        objective: &EpisodeObjective<N, K>,
        starts: &[SVector<f64, N>],
        max_steps: usize,
    ) -> Result<BpttStep, LearningError> {
        if starts.is_empty() || max_steps == 0 {
            return Err(LearningError::LengthMismatch {
                what: "starts / max_steps",
                expected: 1,
                found: 0,
            });
        }
        if let Some(index) = starts
            .iter()
            .position(|x| first_non_finite(x.iter()).is_some())
        {
            return Err(LearningError::NonFinite {
                what: "start",
                index,
            });
        }
        let dev = policy.device().clone();
        let err = LearningError::device;
        let terms = objective.tensors(&dev);
        let b = starts.len();
        let grads = match self.grads.take() {
            Some(g) => g,
            None => policy.net.try_alloc_grads().map_err(err)?,
        };
        let mut x = batch(&dev, starts).traced(grads);
        let mut stage_sum: Option<TapedBatch> = None;
        let mut done = vec![false; b];
        let mut alive = vec![1f32; b];
        let mut step_mask = vec![1f32; b * N];
        let mut unrolled = 0;
        for _ in 0..max_steps {
            let values = x.as_vec();
            for (i, row) in values.chunks_exact(N).enumerate() {
                if !done[i] {
                    let state = SVector::<f64, N>::from_iterator(row.iter().map(|v| f64::from(*v)));
                    if objective.is_done(&state) {
                        done[i] = true;
                        alive[i] = 0.0;
                        step_mask[i * N..(i + 1) * N].fill(0.0);
                    }
                }
            }
            if done.iter().all(|d| *d) {
                break;
            }
            if let Some(pen) = terms.stage(
                x.with_empty_tape(),
                dev.tensor_from_vec(alive.clone(), (b,)),
            )? {
                stage_sum = Some(match stage_sum {
                    None => pen,
                    Some(s) => s.try_add(pen).map_err(err)?,
                });
            }
            let u = policy.forward(x.with_empty_tape())?;
            let d = emulator.delta(x.with_empty_tape(), u)?;
            let masked = d
                .try_mul(dev.tensor_from_vec(step_mask.clone(), (b, Const::<N>)))
                .map_err(err)?;
            x = x.try_add(masked).map_err(err)?;
            unrolled += 1;
        }
        let values = x.as_vec();
        for (i, row) in values.chunks_exact(N).enumerate() {
            if !done[i] {
                let state = SVector::<f64, N>::from_iterator(row.iter().map(|v| f64::from(*v)));
                done[i] = objective.is_done(&state);
            }
        }
        let scale = 1.0 / b as f32;
        let terminal = terms.terminal(x)?;
        let mean = |t: &Tensor<(usize,), f32, Cpu, OwnedTape<f32, Cpu>>| {
            t.as_vec().iter().map(|v| f64::from(*v)).sum::<f64>() / b as f64
        };
        let (terminal_value, stage_value) = (
            terminal.as_ref().map_or(0.0, mean),
            stage_sum.as_ref().map_or(0.0, mean),
        );
        let per_episode = match (terminal, stage_sum) {
            (Some(t), Some(s)) => t.try_add(s).map_err(err)?,
            (Some(t), None) => t,
            (None, Some(s)) => s,
            (None, None) => {
                return Err(LearningError::InvalidParameter {
                    name: "objective",
                    reason: "has no terminal or stage terms".into(),
                })
            }
        };
        let per_episode = if self.config.robust_scale > 0.0 {
            let s = self.config.robust_scale as f32;
            per_episode
                .try_mul(1.0 / s)
                .map_err(err)?
                .try_add(1.0)
                .map_err(err)?
                .try_ln()
                .map_err(err)?
                .try_mul(s)
                .map_err(err)?
        } else {
            per_episode
        };
        let loss = per_episode
            .try_sum::<Rank0, _>()
            .map_err(err)?
            .try_mul(scale)
            .map_err(err)?;
        let loss_value = f64::from(loss.array());
        if !loss_value.is_finite() {
            self.grads = Some(policy.net.try_alloc_grads().map_err(err)?);
            return Err(LearningError::Diverged {
                what: "loss",
                iteration: self.iteration,
            });
        }
        let mut grads = loss.try_backward().map_err(err)?;
        let Some(norm) = clip_gradients(&policy.net, &mut grads, self.config.clip_norm)? else {
            policy.net.try_zero_grads(&mut grads).map_err(err)?;
            self.grads = Some(grads);
            return Err(LearningError::Diverged {
                what: "gradient",
                iteration: self.iteration,
            });
        };
        self.optimizer
            .update(&mut policy.net, &grads)
            .map_err(|e| LearningError::Device(format!("{e:?}")))?;
        policy.net.try_zero_grads(&mut grads).map_err(err)?;
        self.grads = Some(grads);
        self.iteration += 1;
        Ok(BpttStep {
            loss: loss_value,
            terminal_loss: terminal_value,
            stage_loss: stage_value,
            gradient_norm: norm,
            unrolled_steps: unrolled,
            done_fraction: done.iter().filter(|d| **d).count() as f64 / b as f64,
        })
    }
}
