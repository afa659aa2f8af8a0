//! Learned models and controllers on dfdx (feature `learning`): an MLP emulator of a
//! discrete-time system, an MLP feedback policy, and policy training by back-propagation
//! through time through the frozen emulator, with a curriculum.
//!
//! The pieces, in the order a training pipeline uses them:
//!
//! - [`PeriodicFeatures`]: network inputs `(g(A x + b) - mu) / sigma`, angles through `sin`
//!   (`cos theta = sin(theta + pi/2)`), standardised on the training data.
//! - [`Transitions`] and [`MlpDynamics`]: an emulator `x[t+1] = x[t] + D(f(x), u)` fitted to
//!   transitions by Adam on the normalised change ([`FitConfig`]); it implements
//!   [`Dynamics`](crate::control::Dynamics) (the vector-Jacobian product comes from dfdx's
//!   tape), so [`ShootingMpc`](crate::control::ShootingMpc) plans through it unchanged.
//! - [`MlpPolicy`]: `u = limit tanh(net(f(x)))`.
//! - [`EpisodeObjective`]: terminal squares and stage hinges on features of the state, with an
//!   episode-end condition.
//! - [`PolicyTrainer`] ([`BpttConfig`], [`BpttStep`]): one BPTT step of the policy through the
//!   frozen emulator, gradient clipping, Adam.
//! - [`train_curriculum`] with [`Lesson`]s of [`StartDistribution`]s and a
//!   [`CurriculumObserver`].
//! - Weights files: safetensors with the model kind and sizes in the metadata; loading checks
//!   every tensor's name, shape, element type and finiteness ([`LearningError`] names the file
//!   and the tensor).
//!
//! Networks run in f32 on dfdx's CPU back end; states and actions cross the API as f64
//! nalgebra vectors. Everything random takes a seed or the caller's RNG.

mod bptt;
mod curriculum;
mod emulator;
mod error;
mod features;
mod io;
mod mlp;
mod objective;
mod policy;

pub use bptt::{BpttConfig, BpttStep, PolicyTrainer};
pub use curriculum::{train_curriculum, CurriculumObserver, Lesson, StartDistribution};
pub use emulator::{FitConfig, MlpDynamics, PredictionError, Transitions};
pub use error::{LearningError, ShapeMismatch};
pub use features::PeriodicFeatures;
pub use mlp::{EmulatorNet, PolicyNet};
pub use objective::EpisodeObjective;
pub use policy::MlpPolicy;
