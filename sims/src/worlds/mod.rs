//! Ground-truth simulators and sensor models, all seeded.
pub mod clutter;
pub mod landmarks;
pub mod lidar;
pub mod lidar_objects;
pub mod maneuvering;
pub mod pendulum;
pub mod targets;
pub mod truck;
pub mod vehicle;
pub mod warehouse;
