//! Ground-truth simulators and sensor models, all seeded.
pub mod pendulum;
pub mod maneuvering;
pub mod landmarks;
