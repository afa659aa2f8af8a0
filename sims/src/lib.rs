//! Simulated worlds and sensors, the scenario runner and the `kestrel` command-line program.
//!
//! Data flows one way: a scenario file ([`scenario`]) configures a simulated world
//! ([`worlds`]), whose measurements feed the `kestrel` library's algorithms inside a
//! [`runner`] module, which scores them into a [`report::Report`] and logs them to Rerun.

pub mod cli;
pub mod monte_carlo;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod sink;
pub mod train;
pub mod worlds;
