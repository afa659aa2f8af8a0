//! Ground-truth simulators and sensor models, all seeded.
pub mod landmarks;
pub mod lidar;
pub mod maneuvering;
pub mod pendulum;
pub mod truck;
pub mod vehicle;
pub mod warehouse;
