//! The tracks of a multi-object [`Tracker`](crate::tracking::Tracker): positions labelled with
//! their ids, confirmed and tentative apart; gates as ellipses; extents as boxes; and trails of
//! recent positions coloured by track id, so an identity swap shows as a change of colour.
//!
//! Conventions: positions in the world frame (metres), taken from the state at the tracker's
//! position indices; a gate `{z : (z - zhat)^T S^-1 (z - zhat) <= g}` is drawn as the ellipse of
//! `sqrt(g)` standard deviations of `S` after the caller's conversion to the world frame (the
//! identity for a position sensor, a linearisation for range-bearing). Every helper logs its
//! entity even when it is empty, so tracks that are gone do not linger in the viewer.
//!
//! Entity layout used by the `kestrel` runners, under `world/<tracker>/`:
//! `tracks/confirmed`, `tracks/tentative`, `gates`, `extents`, `trails`.

use std::collections::{BTreeMap, VecDeque};

use nalgebra::{Matrix2, Vector2};
use rerun::{LineStrips2D, Points2D, Radius, RecordingStream, RecordingStreamResult};

use super::covariance_outline;
use crate::tracking::{Extent, MeasurementPrediction, Track, TrackFilter};

/// Grey of tentative tracks.
pub const TENTATIVE_COLOR: [u8; 4] = [150, 150, 150, 160];

/// The label of a track: `#<id>`.
///
/// ```
/// assert_eq!(kestrel::viz::track_label(12), "#12");
/// ```
pub fn track_label(id: u64) -> String {
    format!("#{id}")
}

/// The closed outline (five points, the first repeated) of an extent centred at `center`, or
/// `None` if the extent or the centre is not finite.
///
/// ```
/// use nalgebra::Vector2;
/// use kestrel::tracking::Extent;
/// let e = Extent { half_extents: Vector2::new(2.0, 1.0), angle: 0.0 };
/// let outline = kestrel::viz::extent_outline(&Vector2::new(10.0, 0.0), &e).unwrap();
/// assert_eq!(outline[0], [12.0, 1.0]);
/// assert_eq!(outline[2], [8.0, -1.0]);
/// assert_eq!(outline[0], outline[4]);
/// ```
pub fn extent_outline(center: &Vector2<f64>, extent: &Extent) -> Option<[[f32; 2]; 5]> {
    if !extent.is_valid() || !center.iter().all(|v| v.is_finite()) {
        return None;
    }
    let c = extent.corners(center);
    let p = |v: &Vector2<f64>| [v.x as f32, v.y as f32];
    Some([p(&c[0]), p(&c[1]), p(&c[2]), p(&c[3]), p(&c[0])])
}

/// Logs the tracks' positions: confirmed ones at `{path}/confirmed` in `color` with their
/// labels, tentative ones at `{path}/tentative` in grey without labels.
pub fn log_tracks<F, S, const N: usize, const M: usize>(
    rec: &RecordingStream,
    path: &str,
    tracks: &[Track<F, S, M>],
    position_indices: [usize; 2],
    color: [u8; 4],
) -> RecordingStreamResult<()>
where
    F: TrackFilter<N, M>,
{
    let mut confirmed = Vec::new();
    let mut labels = Vec::new();
    let mut tentative = Vec::new();
    for t in tracks {
        let Some(p) = t.position(position_indices) else {
            continue;
        };
        if !p.iter().all(|v| v.is_finite()) {
            continue;
        }
        if t.is_confirmed() {
            confirmed.push([p.x as f32, p.y as f32]);
            labels.push(track_label(t.id().0));
        } else {
            tentative.push([p.x as f32, p.y as f32]);
        }
    }
    rec.log(
        format!("{path}/confirmed"),
        &Points2D::new(confirmed)
            .with_labels(labels)
            .with_colors([color])
            .with_radii([Radius::new_ui_points(5.0)]),
    )?;
    rec.log(
        format!("{path}/tentative"),
        &Points2D::new(tentative)
            .with_colors([TENTATIVE_COLOR])
            .with_radii([Radius::new_ui_points(3.0)]),
    )
}

/// Logs the gates of the last scan as ellipses at `path`: for each track with a gate (only the
/// confirmed ones if `confirmed_only`), `to_world` turns its predicted measurement into a world
/// position and covariance, drawn at `sqrt(gate_threshold)` standard deviations.
pub fn log_gates<F, S, const M: usize>(
    rec: &RecordingStream,
    path: &str,
    tracks: &[Track<F, S, M>],
    gate_threshold: f64,
    to_world: impl Fn(&MeasurementPrediction<M>) -> Option<(Vector2<f64>, Matrix2<f64>)>,
    confirmed_only: bool,
    color: [u8; 4],
) -> RecordingStreamResult<()> {
    let n_sigma = gate_threshold.max(0.0).sqrt();
    let strips: Vec<Vec<[f32; 2]>> = tracks
        .iter()
        .filter(|t| !confirmed_only || t.is_confirmed())
        .filter_map(|t| t.gate())
        .filter_map(&to_world)
        .filter_map(|(m, c)| covariance_outline(&m, &c, n_sigma))
        .collect();
    rec.log(
        path,
        &LineStrips2D::new(strips)
            .with_colors([color])
            .with_radii([Radius::new_ui_points(0.8)]),
    )
}

/// Logs the extents (boxes) of the confirmed tracks that carry one at `path`.
pub fn log_extents<F, S, const N: usize, const M: usize>(
    rec: &RecordingStream,
    path: &str,
    tracks: &[Track<F, S, M>],
    position_indices: [usize; 2],
    color: [u8; 4],
) -> RecordingStreamResult<()>
where
    F: TrackFilter<N, M>,
{
    let boxes: Vec<[[f32; 2]; 5]> = tracks
        .iter()
        .filter(|t| t.is_confirmed())
        .filter_map(|t| extent_outline(&t.position(position_indices)?, t.extent()?))
        .collect();
    rec.log(
        path,
        &LineStrips2D::new(boxes)
            .with_colors([color])
            .with_radii([Radius::new_ui_points(1.5)]),
    )
}

/// Recent positions of each confirmed track, for drawing trails coloured by track id.
///
/// ```
/// let mut trails = kestrel::viz::TrackTrails::new(3);
/// for k in 0..5 {
///     trails.push(7, [k as f32, 0.0]);
///     trails.retain_seen();
/// }
/// assert_eq!(trails.trail(7).unwrap(), vec![[2.0, 0.0], [3.0, 0.0], [4.0, 0.0]]);
/// trails.retain_seen(); // track 7 was not pushed since the last call: its trail goes
/// assert!(trails.trail(7).is_none());
/// ```
#[derive(Debug, Clone, Default)]
pub struct TrackTrails {
    length: usize,
    trails: BTreeMap<u64, (VecDeque<[f32; 2]>, bool)>,
}

impl TrackTrails {
    /// Trails of at most `length` positions (at least 2).
    pub fn new(length: usize) -> Self {
        Self {
            length: length.max(2),
            trails: BTreeMap::new(),
        }
    }

    /// Appends a position to the trail of track `id`.
    pub fn push(&mut self, id: u64, position: [f32; 2]) {
        let (trail, seen) = self.trails.entry(id).or_default();
        if trail.len() == self.length {
            trail.pop_front();
        }
        trail.push_back(position);
        *seen = true;
    }

    /// Appends the positions of the confirmed tracks and drops the trails of tracks that are
    /// no longer confirmed.
    pub fn update<F, S, const N: usize, const M: usize>(
        &mut self,
        tracks: &[Track<F, S, M>],
        position_indices: [usize; 2],
    ) where
        F: TrackFilter<N, M>,
    {
        for t in tracks.iter().filter(|t| t.is_confirmed()) {
            if let Some(p) = t.position(position_indices) {
                if p.iter().all(|v| v.is_finite()) {
                    self.push(t.id().0, [p.x as f32, p.y as f32]);
                }
            }
        }
        self.retain_seen();
    }

    /// Drops the trails not pushed to since the previous call.
    pub fn retain_seen(&mut self) {
        self.trails.retain(|_, (_, seen)| std::mem::take(seen));
    }

    /// The trail of track `id`, oldest first.
    pub fn trail(&self, id: u64) -> Option<Vec<[f32; 2]>> {
        self.trails
            .get(&id)
            .map(|(t, _)| t.iter().copied().collect())
    }

    /// Logs the trails at `path`, each in the palette colour of its track id
    /// ([`color`](super::color)`(id)`), labelled with the id.
    pub fn log(&self, rec: &RecordingStream, path: &str) -> RecordingStreamResult<()> {
        let mut strips = Vec::with_capacity(self.trails.len());
        let mut colors = Vec::with_capacity(self.trails.len());
        for (id, (trail, _)) in &self.trails {
            strips.push(trail.iter().copied().collect::<Vec<_>>());
            colors.push(super::color(*id as usize));
        }
        rec.log(
            path,
            &LineStrips2D::new(strips)
                .with_colors(colors)
                .with_radii([Radius::new_ui_points(1.5)]),
        )
    }
}
