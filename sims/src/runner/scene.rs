//! Planar scenes for the sampling-planner scenarios (`rrt_star`, `prm`): a sampling box with
//! circles and boxes, read from a JSON file (the anchor scene's format) and/or written inline,
//! checked with errors that name the field, and drawn in Rerun.

use crate::scenario::{ScenarioError, Source};
use kestrel::geometry::{Aabb, Circle};
use kestrel::planning::sampling::{Bounds, GeometricScene, ValidityChecker};
use kestrel::viz;
use nalgebra::{Point2, Vector2};
use serde::Deserialize;
use std::path::Path;

/// `[scene]`: obstacles from a JSON file and/or written inline; inline values add to (obstacles)
/// or replace (bounds, start, goal) the file's.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SceneConfig {
    /// A JSON scene relative to this scenario file, as the anchor scene:
    /// `{"bounds": {"lower": [x, y], "upper": [x, y]}, "start": [x, y], "goal": [x, y],
    /// "circles": [{"center": [x, y], "radius": r}], "boxes": [{"min": [x, y], "max": [x, y]}]}`.
    pub file: Option<String>,
    /// Lower corner of the sampling box, m.
    pub lower: Option<[f64; 2]>,
    /// Upper corner of the sampling box, m.
    pub upper: Option<[f64; 2]>,
    /// Start, m (single-query scenarios).
    pub start: Option<[f64; 2]>,
    /// Goal, m (single-query scenarios).
    pub goal: Option<[f64; 2]>,
    /// Circular obstacles.
    #[serde(default)]
    pub circles: Vec<CircleConfig>,
    /// Box obstacles.
    #[serde(default)]
    pub boxes: Vec<BoxConfig>,
}

/// `[[scene.circles]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CircleConfig {
    /// Centre, m.
    pub center: [f64; 2],
    /// Radius, m.
    pub radius: f64,
}

/// `[[scene.boxes]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoxConfig {
    /// Lower-left corner, m.
    pub min: [f64; 2],
    /// Upper-right corner, m.
    pub max: [f64; 2],
}

#[derive(Debug, Deserialize)]
struct SceneFile {
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    bounds: BoundsFile,
    start: Option<[f64; 2]>,
    goal: Option<[f64; 2]>,
    #[serde(default)]
    circles: Vec<CircleConfig>,
    #[serde(default)]
    boxes: Vec<BoxConfig>,
}

#[derive(Debug, Deserialize)]
struct BoundsFile {
    lower: [f64; 2],
    upper: [f64; 2],
}

/// A resolved scene.
#[derive(Debug, Clone)]
pub struct Scene {
    /// The sampling box.
    pub bounds: Bounds<2>,
    /// The collision checker.
    pub checker: GeometricScene,
    /// Start, if given.
    pub start: Option<Vector2<f64>>,
    /// Goal, if given.
    pub goal: Option<Vector2<f64>>,
}

impl SceneConfig {
    /// Reads the file (if any), merges the inline values and checks everything; errors name
    /// `<prefix>.<field>`.
    pub fn resolve(&self, source: &Source, prefix: &str) -> Result<Scene, ScenarioError> {
        let f = |name: &str| format!("{prefix}.{name}");
        let mut lower = self.lower;
        let mut upper = self.upper;
        let (mut start, mut goal) = (None, None);
        let mut circles = Vec::new();
        let mut boxes = Vec::new();
        if let Some(rel) = &self.file {
            let dir = source.path.parent().unwrap_or(Path::new("."));
            let path = dir.join(rel);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                source.invalid(&f("file"), format!("cannot read {}: {e}", path.display()))
            })?;
            let file: SceneFile = serde_json::from_str(&text)
                .map_err(|e| source.invalid(&f("file"), format!("{}: {e}", path.display())))?;
            lower = lower.or(Some(file.bounds.lower));
            upper = upper.or(Some(file.bounds.upper));
            start = file.start;
            goal = file.goal;
            circles = file.circles;
            boxes = file.boxes;
        }
        start = self.start.or(start);
        goal = self.goal.or(goal);
        circles.extend(self.circles.iter().cloned());
        boxes.extend(self.boxes.iter().cloned());
        let (Some(lo), Some(hi)) = (lower, upper) else {
            return Err(source.invalid(
                &f("lower"),
                "the sampling box needs `lower` and `upper` (or a `file`)",
            ));
        };
        let bounds = Bounds::new(Vector2::from(lo), Vector2::from(hi))
            .map_err(|e| source.invalid(&f("upper"), format!("bad sampling box: {e}")))?;
        let mut checker = GeometricScene::new();
        for (i, c) in circles.iter().enumerate() {
            let circle = Circle::new(Point2::from(c.center), c.radius)
                .map_err(|e| source.invalid(&f(&format!("circles.{i}")), e.to_string()))?;
            checker.add_circle(circle);
        }
        for (i, b) in boxes.iter().enumerate() {
            let aabb = Aabb::new(Point2::from(b.min), Point2::from(b.max))
                .map_err(|e| source.invalid(&f(&format!("boxes.{i}")), e.to_string()))?;
            checker.add_box(aabb);
        }
        let scene = Scene {
            bounds,
            checker,
            start: start.map(Vector2::from),
            goal: goal.map(Vector2::from),
        };
        for (what, p) in [("start", scene.start), ("goal", scene.goal)] {
            if let Some(p) = p {
                scene.check_point(source, &f(what), &p)?;
            }
        }
        Ok(scene)
    }
}

impl Scene {
    /// A point must be finite, inside the box and collision-free; the error names `field`.
    pub fn check_point(
        &self,
        source: &Source,
        field: &str,
        p: &Vector2<f64>,
    ) -> Result<(), ScenarioError> {
        let (lo, hi) = (self.bounds.lower(), self.bounds.upper());
        if !(p.x.is_finite() && p.y.is_finite()) {
            return Err(source.invalid(field, "must be finite"));
        }
        if !self.bounds.contains(p) {
            return Err(source.invalid(
                field,
                format!(
                    "({}, {}) is outside the sampling box [{}, {}] x [{}, {}]",
                    p.x, p.y, lo.x, hi.x, lo.y, hi.y
                ),
            ));
        }
        if !self.checker.is_state_valid(p) {
            return Err(source.invalid(field, format!("({}, {}) is inside an obstacle", p.x, p.y)));
        }
        Ok(())
    }

    /// Logs the obstacles (static) under `world/scene`, with `+y` up.
    pub fn log_static(&self, rec: &rerun::RecordingStream) -> anyhow::Result<()> {
        viz::y_up(rec, "world")?;
        let outlines: Vec<Vec<[f32; 2]>> = self
            .checker
            .circles()
            .iter()
            .map(|c| {
                (0..=64)
                    .map(|k| {
                        let a = std::f64::consts::TAU * k as f64 / 64.0;
                        [
                            (c.center().x + c.radius() * a.cos()) as f32,
                            (c.center().y + c.radius() * a.sin()) as f32,
                        ]
                    })
                    .collect()
            })
            .collect();
        let color = [235, 235, 235, 255];
        rec.log_static(
            "world/scene/circles",
            &rerun::LineStrips2D::new(outlines)
                .with_colors([color])
                .with_radii([rerun::Radius::new_ui_points(1.5)]),
        )?;
        let boxes = self.checker.boxes();
        rec.log_static(
            "world/scene/boxes",
            &rerun::Boxes2D::from_mins_and_sizes(
                boxes.iter().map(|b| [b.min().x as f32, b.min().y as f32]),
                boxes.iter().map(|b| {
                    [
                        (b.max().x - b.min().x) as f32,
                        (b.max().y - b.min().y) as f32,
                    ]
                }),
            )
            .with_colors([color])
            .with_radii([rerun::Radius::new_ui_points(1.5)]),
        )?;
        let (lo, hi) = (self.bounds.lower(), self.bounds.upper());
        rec.log_static(
            "world/scene/bounds",
            &rerun::Boxes2D::from_mins_and_sizes(
                [[lo.x as f32, lo.y as f32]],
                [[(hi.x - lo.x) as f32, (hi.y - lo.y) as f32]],
            )
            .with_colors([[120, 120, 120, 255]]),
        )?;
        Ok(())
    }
}
