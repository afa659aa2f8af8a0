//! Grids as Rerun segmentation images placed in the world: occupancy grids, planning maps
//! (blocked / free / unknown) and overlays of cell sets such as a planner's expanded cells.
//!
//! A grid is logged as a [`rerun::SegmentationImage`] of one class byte per cell (pixel `(x, y)`
//! is cell `(x, y)`, image row `y` is grid row `y`) with a [`rerun::Transform3D`] that maps
//! pixel coordinates to the world: `p = origin + R(yaw) (u, v) resolution` (see
//! [`grid_transform`]). Pixel `(u, v)` covers `[u, u + 1] x [v, v + 1]`, so cell `(x, y)`
//! lands exactly on its world square. Colours and hover labels come from an
//! [`rerun::AnnotationContext`] logged once (static) at the same path. Occupancy grids count rows
//! upwards: log [`super::y_up`] at the root of the world entities so that the 2-D view shows `+y`
//! up; Moving AI maps count rows downwards and look right without it.
//!
//! One byte per cell keeps recordings small (a 300 x 200 grid is 60 kB per frame).
//!
//! ```
//! use kestrel::mapping::{Bounds, GridGeometry, OccupancyGrid, OccupancyParams};
//! use kestrel::viz::UNKNOWN_CELL;
//! use nalgebra::{Point2, Vector2};
//! let rec = rerun::RecordingStreamBuilder::new("example").buffered()?;
//! let geometry = GridGeometry::new(100, 80, 0.1, Vector2::new(-5.0, -4.0), 0.0)?;
//! let mut grid = OccupancyGrid::new(geometry, OccupancyParams::default(), Bounds::Fixed)?;
//! // One beam from (0.05, 0.05) to (3.05, 0.05): a hit (p = 0.7) at the end, misses (p = 0.4)
//! // on the way.
//! grid.insert_points(&Point2::new(0.05, 0.05), &[Point2::new(3.05, 0.05)], 10.0)?;
//! kestrel::viz::y_up(&rec, "world")?;
//! kestrel::viz::log_occupancy_style(&rec, "world/map")?;
//! let mut classes = Vec::new();
//! kestrel::viz::log_occupancy_grid(&rec, "world/map", &grid, &mut classes)?;
//! let class = |x: usize, y: usize| classes[y * 100 + x];
//! assert_eq!(class(80, 40), 70); // (3.05, 0.05) is cell (80, 40)
//! assert_eq!(class(60, 40), 40);
//! assert_eq!(class(60, 41), UNKNOWN_CELL);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::mapping::{Cell, GridGeometry, OccupancyGrid};
use rerun::{
    datatypes::{ChannelDatatype, Rgba32},
    AnnotationContext, RecordingStream, RecordingStreamResult, SegmentationImage, Transform3D,
};

/// Class of an unknown cell in [`occupancy_classes`] (known cells are `0..=100`, the occupancy
/// probability in percent). Not 255: the Rerun 0.36 viewer ignores the annotation of class 255
/// in `u8` segmentation images (found by screenshot).
pub const UNKNOWN_CELL: u8 = 101;

/// Classes of a planning map image (what a grid planner searches; see
/// [`planning_map_annotations`]).
pub mod planning_class {
    /// A free cell.
    pub const FREE: u8 = 0;
    /// An obstacle cell.
    pub const OBSTACLE: u8 = 1;
    /// A cell blocked by inflation (within the robot radius of an obstacle).
    pub const INFLATED: u8 = 2;
    /// A cell nothing is known about, treated as blocked.
    pub const UNKNOWN: u8 = 3;
}

/// The transform from pixel coordinates of a grid image to the world: translation to the
/// grid's origin (lower-left corner of cell `(0, 0)`), rotation by its yaw about `z`, scale by
/// the resolution.
pub fn grid_transform(geometry: &GridGeometry) -> Transform3D {
    let o = geometry.origin();
    let r = geometry.resolution() as f32;
    Transform3D::from_translation_rotation_scale(
        [o.x as f32, o.y as f32, 0.0],
        rerun::RotationAxisAngle::new(
            [0.0, 0.0, 1.0],
            rerun::Angle::from_radians(geometry.yaw() as f32),
        ),
        [r, r, 1.0],
    )
}

/// Grey level of an occupancy probability: white free, black occupied.
fn grey(p: f64) -> u8 {
    (255.0 * (1.0 - p)).round().clamp(0.0, 255.0) as u8
}

/// Colours and labels of occupancy classes: `0..=100` a grey ramp (white free, black
/// occupied), [`UNKNOWN_CELL`] slate blue.
pub fn occupancy_annotations() -> AnnotationContext {
    let labels: Vec<String> = (0..=100)
        .map(|p| format!("p(occupied) = {:.2}", f64::from(p) / 100.0))
        .collect();
    let mut classes: Vec<(u16, &str, Rgba32)> = labels
        .iter()
        .enumerate()
        .map(|(p, label)| {
            let g = grey(p as f64 / 100.0);
            (
                p as u16,
                label.as_str(),
                Rgba32::from_unmultiplied_rgba(g, g, g, 255),
            )
        })
        .collect();
    classes.push((
        u16::from(UNKNOWN_CELL),
        "unknown",
        Rgba32::from_unmultiplied_rgba(70, 82, 100, 255),
    ));
    AnnotationContext::new(classes)
}

/// The class of every cell of `grid`, row-major from cell `(0, 0)`, into `out`: the occupancy
/// probability in percent (rounded), or [`UNKNOWN_CELL`]. O(cells).
pub fn occupancy_classes(grid: &OccupancyGrid, out: &mut Vec<u8>) {
    let g = grid.geometry();
    out.clear();
    out.reserve(g.len());
    for y in 0..g.height() {
        for x in 0..g.width() {
            out.push(match grid.probability(Cell::new(x as i32, y as i32)) {
                Some(p) => (100.0 * p).round().clamp(0.0, 100.0) as u8,
                None => UNKNOWN_CELL,
            });
        }
    }
}

/// A segmentation image of `width x height` class bytes.
pub fn class_image(width: usize, height: usize, classes: &[u8]) -> SegmentationImage {
    SegmentationImage::new(
        classes.to_vec(),
        rerun::components::ImageFormat::segmentation(
            [width as u32, height as u32],
            ChannelDatatype::U8,
        ),
    )
}

/// Logs the static colours of occupancy images at `path` (call once).
pub fn log_occupancy_style(rec: &RecordingStream, path: &str) -> RecordingStreamResult<()> {
    rec.log_static(path, &occupancy_annotations())
}

/// Logs `grid` at `path` at the current time: its placement and its classes (see
/// [`occupancy_classes`]; `scratch` is reused). Draw order -10, below points and lines.
pub fn log_occupancy_grid(
    rec: &RecordingStream,
    path: &str,
    grid: &OccupancyGrid,
    scratch: &mut Vec<u8>,
) -> RecordingStreamResult<()> {
    occupancy_classes(grid, scratch);
    let g = grid.geometry();
    rec.log(path, &grid_transform(g))?;
    rec.log(
        path,
        &class_image(g.width(), g.height(), scratch).with_draw_order(-10.0),
    )
}

/// Colours and labels of [`planning_class`] classes.
pub fn planning_map_annotations() -> AnnotationContext {
    AnnotationContext::new([
        (
            u16::from(planning_class::FREE),
            "free",
            Rgba32::from_unmultiplied_rgba(225, 225, 225, 255),
        ),
        (
            u16::from(planning_class::OBSTACLE),
            "obstacle",
            Rgba32::from_unmultiplied_rgba(25, 25, 25, 255),
        ),
        (
            u16::from(planning_class::INFLATED),
            "blocked by the robot radius",
            Rgba32::from_unmultiplied_rgba(120, 120, 135, 255),
        ),
        (
            u16::from(planning_class::UNKNOWN),
            "unknown (blocked)",
            Rgba32::from_unmultiplied_rgba(70, 82, 100, 255),
        ),
    ])
}

/// Colours of an overlay of cell sets: class 0 transparent, 1 `color` at a third of its
/// opacity ("earlier"), 2 `color` ("latest"); `label` names the set on hover.
pub fn overlay_annotations(label: &str, color: [u8; 4]) -> AnnotationContext {
    let [r, g, b, a] = color;
    let earlier = format!("{label} (earlier)");
    let latest = format!("{label} (latest)");
    AnnotationContext::new([
        (0u16, "", Rgba32::from_unmultiplied_rgba(0, 0, 0, 0)),
        (
            1u16,
            earlier.as_str(),
            Rgba32::from_unmultiplied_rgba(r, g, b, a / 3),
        ),
        (
            2u16,
            latest.as_str(),
            Rgba32::from_unmultiplied_rgba(r, g, b, a),
        ),
    ])
}

/// A `width x height` overlay of cells, one class byte each (see [`overlay_annotations`]),
/// updated incrementally: mark a batch of cells as latest, log, then age them.
#[derive(Debug, Clone)]
pub struct CellOverlay {
    width: usize,
    height: usize,
    classes: Vec<u8>,
    latest: Vec<usize>,
}

impl CellOverlay {
    /// An empty overlay.
    pub fn new(width: usize, height: usize) -> Self {
        Self {
            width,
            height,
            classes: vec![0; width * height],
            latest: Vec::new(),
        }
    }

    /// Clears every cell.
    pub fn clear(&mut self) {
        self.classes.iter_mut().for_each(|c| *c = 0);
        self.latest.clear();
    }

    /// Ages the previous batch and marks `cells` (inside the grid; others are ignored) as the
    /// latest batch.
    pub fn push_batch(&mut self, cells: &[Cell]) {
        for &i in &self.latest {
            self.classes[i] = 1;
        }
        self.latest.clear();
        for c in cells {
            if c.x >= 0 && c.y >= 0 && (c.x as usize) < self.width && (c.y as usize) < self.height {
                let i = c.y as usize * self.width + c.x as usize;
                self.classes[i] = 2;
                self.latest.push(i);
            }
        }
    }

    /// The class bytes, row-major.
    pub fn classes(&self) -> &[u8] {
        &self.classes
    }

    /// The overlay as an image (draw order -5: above maps, below points and lines).
    pub fn image(&self) -> SegmentationImage {
        class_image(self.width, self.height, &self.classes).with_draw_order(-5.0)
    }
}
