//! Extended objects (cars, bicycles, pedestrians) seen by an elevated multi-beam lidar.
//!
//! Each object is a box of length `l` (along its heading), width `w` and height `h`, standing on
//! the ground (`z = 0`), centred on its track `[x, vx, y, vy]` (see [`super::targets`]) and facing
//! along its velocity. The lidar stands at `(s_x, s_y)` at height `H` (an infrastructure lidar on
//! a mast) and fires one ray per azimuth step and elevation channel (elevations below the
//! horizon). A ray returns the first surface it meets: an object's side or top (exact
//! ray-box intersection, slab method in the box frame), or the ground. Ground returns are removed
//! (as a ground-segmentation step would); object returns get Gaussian range noise along the ray
//! and may drop out. Because the sensor looks down, returns from the tops and the visible sides
//! spread over each object's footprint, so the bird's-eye point cloud of an object shows its size.
//! Optional clutter: points uniform in a rectangle (bushes, poles, birds), at random heights.

use nalgebra::{Vector2, Vector3};
use rand::Rng;
use rand_distr::StandardNormal;
use serde::Deserialize;

/// What kind of road user an object is (`car`, `bicycle`, `pedestrian` in scenario files).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectClass {
    /// A passenger car.
    Car,
    /// A bicycle with its rider.
    Bicycle,
    /// A pedestrian.
    Pedestrian,
}

impl ObjectClass {
    /// Every class, in report order.
    pub const ALL: [Self; 3] = [Self::Car, Self::Bicycle, Self::Pedestrian];

    /// The name used in scenario files and reports.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Car => "car",
            Self::Bicycle => "bicycle",
            Self::Pedestrian => "pedestrian",
        }
    }

    /// Typical `[length, width, height]`, m.
    pub fn default_size(&self) -> [f64; 3] {
        match self {
            Self::Car => [4.5, 1.8, 1.5],
            Self::Bicycle => [1.8, 0.6, 1.7],
            Self::Pedestrian => [0.5, 0.5, 1.75],
        }
    }
}

/// The box of one object in one scan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ObjectBox {
    /// Identity of the object.
    pub id: u64,
    /// Centre of the footprint, m.
    pub center: Vector2<f64>,
    /// Heading of the length axis, rad.
    pub heading: f64,
    /// `[length, width, height]`, m.
    pub size: [f64; 3],
}

impl ObjectBox {
    /// Distance along the ray `origin + t dir` (unit `dir`) to the box's surface, if hit.
    pub fn intersect(&self, origin: &Vector3<f64>, dir: &Vector3<f64>) -> Option<f64> {
        let (s, c) = self.heading.sin_cos();
        let rel = Vector2::new(origin.x - self.center.x, origin.y - self.center.y);
        // into the box frame (x along the heading)
        let o = [c * rel.x + s * rel.y, -s * rel.x + c * rel.y, origin.z];
        let d = [c * dir.x + s * dir.y, -s * dir.x + c * dir.y, dir.z];
        let lo = [-0.5 * self.size[0], -0.5 * self.size[1], 0.0];
        let hi = [0.5 * self.size[0], 0.5 * self.size[1], self.size[2]];
        let (mut t0, mut t1) = (0.0f64, f64::INFINITY);
        for a in 0..3 {
            if d[a].abs() < 1e-12 {
                if o[a] < lo[a] || o[a] > hi[a] {
                    return None;
                }
                continue;
            }
            let (ta, tb) = ((lo[a] - o[a]) / d[a], (hi[a] - o[a]) / d[a]);
            t0 = t0.max(ta.min(tb));
            t1 = t1.min(ta.max(tb));
            if t0 > t1 {
                return None;
            }
        }
        Some(t0)
    }
}

/// The elevated multi-beam lidar.
#[derive(Debug, Clone, PartialEq)]
pub struct ElevatedLidar {
    /// Position on the ground plane, m.
    pub position: Vector2<f64>,
    /// Mounting height, m.
    pub height_m: f64,
    /// Azimuth step, rad (full circle).
    pub azimuth_step_rad: f64,
    /// Elevation of each channel, rad (negative: below the horizon).
    pub elevations_rad: Vec<f64>,
    /// Longest range reported, m.
    pub max_range_m: f64,
    /// Standard deviation of the range noise, m.
    pub range_std_m: f64,
    /// Probability that a return is lost.
    pub dropout_probability: f64,
}

/// One lidar scan after ground removal.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PointCloud {
    /// Returns in the world frame, m.
    pub points: Vec<Vector3<f64>>,
    /// The object each return came from (`None`: clutter).
    pub origin: Vec<Option<u64>>,
}

impl ElevatedLidar {
    /// Number of azimuth steps of a full turn.
    pub fn azimuth_count(&self) -> usize {
        (std::f64::consts::TAU / self.azimuth_step_rad)
            .round()
            .max(1.0) as usize
    }

    /// Scans the objects; `clutter` adds that many points (mean, Poisson-free: exactly `n`)
    /// uniform over `region = (min, max)` at heights in `[0.2, 2]` m.
    pub fn scan(
        &self,
        objects: &[ObjectBox],
        clutter: (usize, Vector2<f64>, Vector2<f64>),
        rng: &mut impl Rng,
    ) -> PointCloud {
        let mut cloud = PointCloud::default();
        let origin = Vector3::new(self.position.x, self.position.y, self.height_m);
        let n_az = self.azimuth_count();
        let step = std::f64::consts::TAU / n_az as f64;
        // the azimuth sector each object covers, so only rays near objects are cast
        for az in 0..n_az {
            let a = -std::f64::consts::PI + az as f64 * step;
            let (sa, ca) = a.sin_cos();
            let near: Vec<&ObjectBox> = objects
                .iter()
                .filter(|b| {
                    let d = b.center - self.position;
                    let r = 0.5 * b.size[0].hypot(b.size[1]);
                    let dist = d.norm();
                    if dist <= r {
                        return true;
                    }
                    let half = (r / dist).asin();
                    kestrel::geometry::wrap_angle(d.y.atan2(d.x) - a).abs() <= half + step
                })
                .collect();
            if near.is_empty() {
                continue;
            }
            for &el in &self.elevations_rad {
                let (se, ce) = el.sin_cos();
                let dir = Vector3::new(ce * ca, ce * sa, se);
                let ground = if se < 0.0 {
                    -self.height_m / se
                } else {
                    f64::INFINITY
                };
                let mut best: Option<(f64, u64)> = None;
                for b in &near {
                    if let Some(t) = b.intersect(&origin, &dir) {
                        if t < ground && best.is_none_or(|(bt, _)| t < bt) {
                            best = Some((t, b.id));
                        }
                    }
                }
                let Some((t, id)) = best else { continue };
                if t > self.max_range_m || rng.random_bool(self.dropout_probability) {
                    continue;
                }
                let t = t + self.range_std_m * rng.sample::<f64, _>(StandardNormal);
                cloud.points.push(origin + dir * t);
                cloud.origin.push(Some(id));
            }
        }
        let (n, lo, hi) = clutter;
        for _ in 0..n {
            cloud.points.push(Vector3::new(
                rng.random_range(lo.x..hi.x),
                rng.random_range(lo.y..hi.y),
                rng.random_range(0.2..2.0),
            ));
            cloud.origin.push(None);
        }
        cloud
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn ray_box_intersection_in_closed_form() {
        let b = ObjectBox {
            id: 0,
            center: Vector2::new(10.0, 0.0),
            heading: 0.3,
            size: [4.0, 2.0, 1.5],
        };
        // a horizontal ray at 1 m height along +x through the centre crosses the short end
        // (the line meets |x'| = 2 at 2 / cos 0.3 from the centre, before |y'| = 1 at 1 / sin 0.3)
        let o = Vector3::new(0.0, 0.0, 1.0);
        let t = b.intersect(&o, &Vector3::new(1.0, 0.0, 0.0)).unwrap();
        let expected = 10.0 - 2.0 / 0.3f64.cos();
        assert!((t - expected).abs() < 1e-12, "{t} vs {expected}");
        // straight down from 5 m above the centre: the top at 1.5 m
        let t = b
            .intersect(&Vector3::new(10.0, 0.0, 5.0), &Vector3::new(0.0, 0.0, -1.0))
            .unwrap();
        assert!((t - 3.5).abs() < 1e-12);
        // above the box, going up: no hit
        assert!(b
            .intersect(&Vector3::new(10.0, 0.0, 5.0), &Vector3::new(0.0, 0.0, 1.0))
            .is_none());
    }

    #[test]
    fn returns_lie_on_the_object_and_cover_its_footprint() {
        let lidar = ElevatedLidar {
            position: Vector2::zeros(),
            height_m: 6.0,
            azimuth_step_rad: 0.4f64.to_radians(),
            elevations_rad: (0..48)
                .map(|i| (-4.0 - 0.75 * i as f64).to_radians())
                .collect(),
            max_range_m: 80.0,
            range_std_m: 0.0,
            dropout_probability: 0.0,
        };
        let car = ObjectBox {
            id: 7,
            center: Vector2::new(15.0, 5.0),
            heading: 0.5,
            size: [4.5, 1.8, 1.5],
        };
        let cloud = lidar.scan(
            &[car],
            (0, Vector2::zeros(), Vector2::zeros()),
            &mut StdRng::seed_from_u64(0),
        );
        assert!(cloud.points.len() > 50, "{} returns", cloud.points.len());
        let (s, c) = 0.5f64.sin_cos();
        let (mut lo, mut hi) = (
            Vector2::repeat(f64::INFINITY),
            Vector2::repeat(f64::NEG_INFINITY),
        );
        for (p, o) in cloud.points.iter().zip(&cloud.origin) {
            assert_eq!(*o, Some(7));
            let r = Vector2::new(p.x - 15.0, p.y - 5.0);
            let local = Vector2::new(c * r.x + s * r.y, -s * r.x + c * r.y);
            assert!(local.x.abs() <= 2.25 + 1e-9 && local.y.abs() <= 0.9 + 1e-9);
            assert!(p.z >= -1e-9 && p.z <= 1.5 + 1e-9);
            lo = lo.inf(&local);
            hi = hi.sup(&local);
        }
        // the bird's-eye extent of the returns is most of the true footprint
        assert!(hi.x - lo.x > 3.8 && hi.y - lo.y > 1.4, "{lo} {hi}");
    }
}
