//! Conversions from library types to Rerun archetypes and small logging helpers.
//!
//! Algorithms never log; a runner (the `kestrel` program, or the user's own code) calls these
//! helpers with the results. Entity paths are lower-case hierarchies by meaning
//! (`world/truth`, `world/ekf/estimate`, `plots/rmse/ekf`); time is set by the caller
//! (`rec.set_time_sequence("step", k)`, `rec.set_duration_secs("sim_time", t)`) before logging.
//!
//! ```no_run
//! use nalgebra::{Matrix2, Vector2};
//! let rec = rerun::RecordingStreamBuilder::new("example").buffered()?;
//! rec.set_time_sequence("step", 0);
//! kestrel::viz::log_covariance_ellipse(&rec, "world/kf/covariance", &Vector2::zeros(),
//!     &Matrix2::identity(), 2.0, kestrel::viz::color(0))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod ellipse;
mod grid;
mod series;
mod tracks;
mod tree;
mod vehicle;

pub use ellipse::{covariance_outline, log_covariance_ellipse, log_covariance_ellipses};
pub use grid::{
    class_image, grid_transform, log_occupancy_grid, log_occupancy_style, occupancy_annotations,
    occupancy_classes, overlay_annotations, planning_class, planning_map_annotations, CellOverlay,
    UNKNOWN_CELL,
};
pub use series::{log_scalar, log_series_style};
pub use tracks::{
    extent_outline, log_extents, log_gates, log_tracks, track_label, TrackTrails, TENTATIVE_COLOR,
};
pub use tree::{
    graph_segments, graph_strips, grid_path_points, grid_path_strip, path_strip, TreeMirror,
};
pub use vehicle::{circle_outlines, discs, log_plan, log_vehicle, polyline, Footprint};

/// A colour (RGBA) from a fixed palette that stays readable on the viewer's dark background;
/// `index` cycles through it so each algorithm of a run gets its own colour.
pub fn color(index: usize) -> [u8; 4] {
    const PALETTE: [[u8; 4]; 8] = [
        [86, 180, 233, 255],  // sky blue
        [230, 159, 0, 255],   // orange
        [0, 158, 115, 255],   // bluish green
        [204, 121, 167, 255], // reddish purple
        [240, 228, 66, 255],  // yellow
        [213, 94, 0, 255],    // vermillion
        [0, 114, 178, 255],   // blue
        [200, 200, 200, 255], // grey
    ];
    PALETTE[index % PALETTE.len()]
}

/// White, for ground truth.
pub const TRUTH_COLOR: [u8; 4] = [255, 255, 255, 255];
/// Grey, for raw measurements.
pub const MEASUREMENT_COLOR: [u8; 4] = [160, 160, 160, 200];

/// Makes `+y` point up in the 2-D views of everything under `path`.
///
/// Rerun's 2-D views put `+y` down (image convention) and ignore `ViewCoordinates`; robot maps
/// want `+y` up (x east, y north). Logging a static mirror `diag(1, -1, 1)` at the root of the
/// world entities flips them on screen while the logged coordinates stay the true ones (hovering
/// a point shows its world coordinates).
pub fn y_up(rec: &rerun::RecordingStream, path: &str) -> rerun::RecordingStreamResult<()> {
    rec.log_static(path, &rerun::Transform3D::from_scale([1.0, -1.0, 1.0]))
}
