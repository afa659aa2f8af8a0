//! Vehicles, driven paths, planned trajectories and circular obstacles in the plane.
//!
//! Conventions: world frame with x forward / east and y left / north, metres; a pose is
//! `[x, y, heading]` with the heading in radians counter-clockwise from +x; the pose's point is
//! the state's reference point (for the kinematic bicycle, the rear axle). Non-finite input is
//! never drawn: a vehicle with a non-finite pose clears its entity (no stale shape lingers) and
//! points with a non-finite coordinate are left out of lines.

use crate::geometry::Circle;
use nalgebra::{Vector2, Vector3};
use rerun::{
    Arrows2D, Clear, LineStrips2D, Points2D, Radius, RecordingStream, RecordingStreamResult,
};

/// Segments of a circle outline.
const CIRCLE_SEGMENTS: usize = 64;

/// The shape a vehicle is drawn with, in its body frame (x forward, y left, origin at the pose's
/// reference point).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Footprint {
    /// A rectangle `length_m` long and `width_m` wide, symmetric about the body x axis, whose
    /// rear edge lies `rear_overhang_m` behind the reference point (a car whose reference point is
    /// the rear axle: length 4.5, width 1.8, rear overhang 1.0).
    Rectangle {
        /// Length along the heading (m).
        length_m: f64,
        /// Width across the heading (m).
        width_m: f64,
        /// Distance from the rear edge to the reference point (m).
        rear_overhang_m: f64,
    },
    /// A disc of radius `radius_m` centred on the reference point (a robot's collision disc).
    Disc {
        /// Radius (m).
        radius_m: f64,
    },
}

impl Footprint {
    /// The closed outline at `pose = [x, y, heading]` in the world frame, first point repeated at
    /// the end: the rectangle's corners counter-clockwise from rear right, or a 64-gon for a
    /// disc. `None` when the pose or a dimension is not finite or a dimension is negative.
    ///
    /// Rectangle corner `(a, b)` in the body frame maps to
    /// `(x + a cos h - b sin h, y + a sin h + b cos h)`.
    ///
    /// ```
    /// use nalgebra::Vector3;
    /// use kestrel::viz::Footprint;
    /// let car = Footprint::Rectangle { length_m: 4.0, width_m: 2.0, rear_overhang_m: 1.0 };
    /// // Heading +y: the rear right corner (-1, -1) in the body frame is at (1, -1) in the world.
    /// let outline = car.outline(&Vector3::new(0.0, 0.0, std::f64::consts::FRAC_PI_2)).unwrap();
    /// assert_eq!(outline.len(), 5);
    /// assert!((outline[0][0] - 1.0).abs() < 1e-6 && (outline[0][1] + 1.0).abs() < 1e-6);
    /// assert_eq!(outline[0], outline[4]);
    /// ```
    pub fn outline(&self, pose: &Vector3<f64>) -> Option<Vec<[f32; 2]>> {
        if !self.is_valid() || !pose.iter().all(|v| v.is_finite()) {
            return None;
        }
        let (s, c) = pose.z.sin_cos();
        let to_world = |a: f64, b: f64| {
            [
                (pose.x + a * c - b * s) as f32,
                (pose.y + a * s + b * c) as f32,
            ]
        };
        Some(match *self {
            Footprint::Rectangle {
                length_m,
                width_m,
                rear_overhang_m,
            } => {
                let (rear, front, half) =
                    (-rear_overhang_m, length_m - rear_overhang_m, width_m / 2.0);
                let corners = [
                    (rear, -half),
                    (front, -half),
                    (front, half),
                    (rear, half),
                    (rear, -half),
                ];
                corners.iter().map(|&(a, b)| to_world(a, b)).collect()
            }
            Footprint::Disc { radius_m } => circle_points(pose.x, pose.y, radius_m),
        })
    }

    /// The length of the heading arrow drawn with the vehicle (m): the part of the rectangle
    /// ahead of the reference point, or 1.5 radii of a disc.
    pub fn arrow_length(&self) -> f64 {
        match *self {
            Footprint::Rectangle {
                length_m,
                rear_overhang_m,
                ..
            } => (length_m - rear_overhang_m).max(0.0),
            Footprint::Disc { radius_m } => 1.5 * radius_m,
        }
    }

    fn is_valid(&self) -> bool {
        let ok = |v: f64| v.is_finite() && v >= 0.0;
        match *self {
            Footprint::Rectangle {
                length_m,
                width_m,
                rear_overhang_m,
            } => ok(length_m) && ok(width_m) && rear_overhang_m.is_finite(),
            Footprint::Disc { radius_m } => ok(radius_m),
        }
    }
}

/// The closed 64-gon through a circle of radius `r` about `(x, y)`, first point repeated.
fn circle_points(x: f64, y: f64, r: f64) -> Vec<[f32; 2]> {
    (0..=CIRCLE_SEGMENTS)
        .map(|i| {
            let a = std::f64::consts::TAU * (i % CIRCLE_SEGMENTS) as f64 / CIRCLE_SEGMENTS as f64;
            [(x + r * a.cos()) as f32, (y + r * a.sin()) as f32]
        })
        .collect()
}

/// Logs a vehicle at `pose = [x, y, heading]`: its outline at `{path}/footprint` and an arrow
/// along its heading from the reference point at `{path}/heading`. A non-finite pose clears
/// `path` instead.
///
/// ```no_run
/// use nalgebra::Vector3;
/// use kestrel::viz::{log_vehicle, Footprint};
/// let rec = rerun::RecordingStreamBuilder::new("example").buffered()?;
/// rec.set_time_sequence("step", 0);
/// let car = Footprint::Rectangle { length_m: 4.5, width_m: 1.8, rear_overhang_m: 1.0 };
/// log_vehicle(&rec, "world/mpc/vehicle", &Vector3::new(0.0, 1.0, 0.1), &car, kestrel::viz::color(0))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn log_vehicle(
    rec: &RecordingStream,
    path: &str,
    pose: &Vector3<f64>,
    footprint: &Footprint,
    color: [u8; 4],
) -> RecordingStreamResult<()> {
    let Some(outline) = footprint.outline(pose) else {
        return rec.log(path, &Clear::recursive());
    };
    rec.log(
        format!("{path}/footprint"),
        &LineStrips2D::new([outline])
            .with_colors([color])
            .with_radii([Radius::new_ui_points(1.5)]),
    )?;
    let length = footprint.arrow_length();
    let (s, c) = pose.z.sin_cos();
    rec.log(
        format!("{path}/heading"),
        &Arrows2D::from_vectors([[(length * c) as f32, (length * s) as f32]])
            .with_origins([[pose.x as f32, pose.y as f32]])
            .with_colors([color])
            .with_radii([Radius::new_ui_points(1.5)]),
    )
}

/// A polyline through `points` (a driven path, a lane centre line, a predicted trajectory),
/// `width` UI points wide. Points with a non-finite coordinate are left out.
///
/// ```
/// use nalgebra::Vector2;
/// let line = kestrel::viz::polyline([Vector2::new(0.0, 0.0), Vector2::new(1.0, f64::NAN)], [255; 4], 1.0);
/// # let _ = line;
/// ```
pub fn polyline(
    points: impl IntoIterator<Item = Vector2<f64>>,
    color: [u8; 4],
    width: f32,
) -> LineStrips2D {
    let strip: Vec<[f32; 2]> = points
        .into_iter()
        .filter(|p| p.x.is_finite() && p.y.is_finite())
        .map(|p| [p.x as f32, p.y as f32])
        .collect();
    LineStrips2D::new([strip])
        .with_colors([color])
        .with_radii([Radius::new_ui_points(width)])
}

/// Logs a planned (predicted) trajectory: a thin polyline at `path` and its nodes, one per
/// horizon stage, at `{path}/nodes`. Non-finite points are left out.
///
/// ```no_run
/// use nalgebra::Vector2;
/// let rec = rerun::RecordingStreamBuilder::new("example").buffered()?;
/// let plan = (0..=20).map(|k| Vector2::new(0.6 * k as f64, 0.0));
/// kestrel::viz::log_plan(&rec, "world/mpc/plan", plan, kestrel::viz::color(0))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn log_plan(
    rec: &RecordingStream,
    path: &str,
    points: impl IntoIterator<Item = Vector2<f64>>,
    color: [u8; 4],
) -> RecordingStreamResult<()> {
    let points: Vec<[f32; 2]> = points
        .into_iter()
        .filter(|p| p.x.is_finite() && p.y.is_finite())
        .map(|p| [p.x as f32, p.y as f32])
        .collect();
    rec.log(
        path,
        &LineStrips2D::new([points.clone()])
            .with_colors([color])
            .with_radii([Radius::new_ui_points(1.0)]),
    )?;
    rec.log(
        format!("{path}/nodes"),
        &Points2D::new(points)
            .with_colors([color])
            .with_radii([Radius::new_ui_points(2.5)]),
    )
}

/// Circles as filled discs (radii in scene units, so they scale with the view).
///
/// ```
/// use kestrel::geometry::Circle;
/// use nalgebra::Point2;
/// let discs = kestrel::viz::discs(&[Circle::new(Point2::new(15.0, 0.3), 3.0).unwrap()], [200, 60, 60, 255]);
/// # let _ = discs;
/// ```
pub fn discs(circles: &[Circle], color: [u8; 4]) -> Points2D {
    Points2D::new(
        circles
            .iter()
            .map(|c| [c.center().x as f32, c.center().y as f32]),
    )
    .with_radii(
        circles
            .iter()
            .map(|c| Radius::new_scene_units(c.radius() as f32)),
    )
    .with_colors([color])
}

/// The outlines of circles grown by `margin` metres (for example the clearance a controller keeps,
/// or the obstacle as seen by the centre of a disc-shaped robot: radius plus robot radius).
/// Circles whose grown radius is not positive and finite are left out.
///
/// ```
/// use kestrel::geometry::Circle;
/// use nalgebra::Point2;
/// let rings = kestrel::viz::circle_outlines(&[Circle::new(Point2::new(0.0, 0.0), 1.0).unwrap()], 0.5, [255; 4]);
/// # let _ = rings;
/// ```
pub fn circle_outlines(circles: &[Circle], margin: f64, color: [u8; 4]) -> LineStrips2D {
    LineStrips2D::new(circles.iter().filter_map(|c| {
        let r = c.radius() + margin;
        (r.is_finite() && r > 0.0).then(|| circle_points(c.center().x, c.center().y, r))
    }))
    .with_colors([color])
    .with_radii([Radius::new_ui_points(1.0)])
}
