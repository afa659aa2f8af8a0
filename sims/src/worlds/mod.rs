//! Ground-truth simulators and sensor models, all seeded.
pub mod landmarks;
pub mod maneuvering;
pub mod pendulum;
pub mod vehicle;
pub mod truck;
