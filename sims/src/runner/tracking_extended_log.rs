//! The recording of the `extended_objects` scenario (see
//! [`tracking_extended`](super::tracking_extended)): the lidar, the objects' paths with
//! `T<id> <class>` at each start, a legend, and per logged scan the true boxes, the bird's-eye
//! point cloud coloured by DBSCAN cluster (noise grey) and the cluster boxes.

use super::tracking::color_name;
use super::tracking_extended::{ExtendedScenario, ObjectScan};
use super::RunContext;
use crate::worlds::targets::Truth;
use kestrel::tracking::{wrap_half, Extent};
use kestrel::viz;
use nalgebra::Vector2;

/// Static layers, the true boxes, the point clouds and the cluster boxes of logged scans.
pub fn log_world(
    scenario: &ExtendedScenario,
    ctx: &RunContext,
    truth: &Truth,
    scans: &[ObjectScan],
    logged: &dyn Fn(usize) -> bool,
) -> anyhow::Result<()> {
    let rec = &ctx.rec;
    viz::y_up(rec, "world")?;
    let p = scenario.lidar.position_m;
    rec.log_static(
        "world/lidar/sensor",
        &rerun::Points2D::new([[p[0] as f32, p[1] as f32]])
            .with_labels(["lidar"])
            .with_colors([[255, 80, 80, 255]])
            .with_radii([rerun::Radius::new_ui_points(6.0)]),
    )?;
    for (a, t) in scenario.trackers.iter().enumerate() {
        for plot in ["gospa", "length_error", "width_error"] {
            viz::log_series_style(
                rec,
                &format!("plots/{plot}/{}", t.name),
                &t.name,
                viz::color(a),
            )?;
        }
    }
    // the paths of the objects, faint
    let mut paths: Vec<Vec<[f32; 2]>> = vec![Vec::new(); scenario.world.objects.len()];
    for p in truth.scans.iter().flatten() {
        paths[p.id as usize].push([p.position().x as f32, p.position().y as f32]);
    }
    // each object's id and class at its first position (labels on the moving boxes would hide
    // the tracks' ids)
    let (starts, names): (Vec<[f32; 2]>, Vec<String>) = paths
        .iter()
        .enumerate()
        .filter_map(|(id, p)| {
            let class = scenario.world.objects[id].class.as_str();
            Some((*p.first()?, format!("T{id} {class}")))
        })
        .unzip();
    rec.log_static(
        "world/truth/starts",
        &rerun::Points2D::new(starts)
            .with_labels(names)
            .with_colors([[255, 255, 255, 120]])
            .with_radii([rerun::Radius::new_ui_points(2.0)]),
    )?;
    paths.retain(|p| p.len() > 1);
    rec.log_static(
        "world/truth/paths",
        &rerun::LineStrips2D::new(paths).with_colors([[255, 255, 255, 50]]),
    )?;
    let trackers: Vec<String> = scenario
        .trackers
        .iter()
        .enumerate()
        .map(|(a, t)| format!("`{}` {}", t.name, color_name(a)))
        .collect();
    rec.log_static(
        "legend",
        &rerun::TextDocument::from_markdown(format!(
            "**white boxes**: true objects (paths faint, `T<id> <class>` at each start). \
             **dots**: lidar returns after ground removal, seen from above, coloured by DBSCAN \
             cluster (grey: noise); **thin boxes**: the clusters' boxes (principal axes). \
             Per tracker (one view each, in its colour: {}): **big dots `#<id>`** confirmed \
             tracks at the centroid of their returns, **thick boxes** their smoothed extents, \
             **trails** coloured by track id. +y up (x east, y north), metres; lidar at the red \
             dot.",
            trackers.join(", ")
        )),
    )?;
    // clusters take the palette after the trackers' first two colours
    let cluster_color = |c: usize| viz::color(2 + c % 5);
    let noise = [130, 130, 130, 150];
    for (i, s) in scans.iter().enumerate() {
        let k = i + 1;
        if !logged(k) {
            continue;
        }
        rec.set_time_sequence("step", k as i64);
        rec.set_duration_secs("sim_time", k as f64 * truth.dt);
        let outline = |c: &Vector2<f64>, e: &Extent| viz::extent_outline(c, e);
        let strips: Vec<_> = s
            .boxes
            .iter()
            .filter_map(|b| {
                let e = Extent {
                    half_extents: Vector2::new(0.5 * b.size[0], 0.5 * b.size[1]),
                    angle: wrap_half(b.heading),
                };
                outline(&b.center, &e)
            })
            .collect();
        rec.log(
            "world/truth/boxes",
            &rerun::LineStrips2D::new(strips)
                .with_colors([viz::TRUTH_COLOR])
                .with_radii([rerun::Radius::new_ui_points(1.0)]),
        )?;
        if scenario.recording.detections {
            let pts: Vec<[f32; 2]> = s
                .cloud
                .points
                .iter()
                .map(|p| [p.x as f32, p.y as f32])
                .collect();
            let colors: Vec<[u8; 4]> = s
                .labels
                .iter()
                .map(|l| l.map_or(noise, cluster_color))
                .collect();
            rec.log(
                "world/lidar/points",
                &rerun::Points2D::new(pts)
                    .with_colors(colors)
                    .with_radii([rerun::Radius::new_ui_points(1.5)]),
            )?;
            let boxes: Vec<_> = s
                .cluster_boxes
                .iter()
                .filter_map(|(c, e)| outline(c, e))
                .collect();
            let colors: Vec<[u8; 4]> = (0..boxes.len())
                .map(|c| {
                    let [r, g, b, _] = cluster_color(c);
                    [r, g, b, 120]
                })
                .collect();
            rec.log(
                "world/clusters",
                &rerun::LineStrips2D::new(boxes)
                    .with_colors(colors)
                    .with_radii([rerun::Radius::new_ui_points(0.8)]),
            )?;
        }
    }
    Ok(())
}
