//! A planar scanning lidar: evenly spaced beams, exact ray casting against the world, Gaussian
//! range noise, dropouts, and a maximum range.
//!
//! Beam `i` points at `angle_min + i * angle_increment` radians in the sensor frame
//! (counter-clockwise from the sensor's x axis), as `sensor_msgs/LaserScan`. A full circle
//! (`fov = 2 pi`) has `angle_increment = 2 pi / beams` (no beam twice); a partial fan spans
//! `[-fov/2, fov/2]` with `angle_increment = fov / (beams - 1)`. Ranges follow REP 117: a beam that
//! hits nothing within `max_range_m` reads `+inf` ("nothing there", which clears the beam in a
//! map); a dropout (no echo although something is there) reads `NaN` (invalid, skipped).

use nalgebra::{Isometry2, Point2, Vector2};
use rand::Rng;
use rand_distr::StandardNormal;

/// Something a beam can hit.
pub trait RayCaster {
    /// Distance along the unit `direction` from `origin` to the first obstacle, if it is at most
    /// `max_range` away (0 when `origin` is inside an obstacle).
    fn cast(&self, origin: &Point2<f64>, direction: &Vector2<f64>, max_range: f64) -> Option<f64>;
}

/// The sensor's parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lidar {
    /// Number of beams per scan (>= 2).
    pub beams: usize,
    /// Field of view, radians, in (0, 2 pi].
    pub fov_rad: f64,
    /// Shortest range reported, metres.
    pub min_range_m: f64,
    /// Longest range reported, metres.
    pub max_range_m: f64,
    /// Standard deviation of the Gaussian range noise, metres.
    pub range_std_m: f64,
    /// Probability that a beam returns no echo (`NaN`).
    pub dropout_probability: f64,
}

impl Lidar {
    /// Whether the beams cover the full circle.
    fn full_circle(&self) -> bool {
        self.fov_rad >= std::f64::consts::TAU - 1e-9
    }

    /// Angle of the first beam in the sensor frame, radians.
    pub fn angle_min(&self) -> f64 {
        if self.full_circle() {
            -std::f64::consts::PI
        } else {
            -0.5 * self.fov_rad
        }
    }

    /// Angle between consecutive beams, radians.
    pub fn angle_increment(&self) -> f64 {
        if self.full_circle() {
            self.fov_rad / self.beams as f64
        } else {
            self.fov_rad / (self.beams.max(2) - 1) as f64
        }
    }

    /// One scan from the sensor `pose` (world frame) into `ranges` (resized to `beams`).
    /// Draws one normal and one uniform number per beam from `rng`, hit or not, so the random
    /// stream does not depend on the world.
    pub fn scan(
        &self,
        world: &impl RayCaster,
        pose: &Isometry2<f64>,
        rng: &mut impl Rng,
        ranges: &mut Vec<f64>,
    ) {
        ranges.clear();
        let origin = Point2::from(pose.translation.vector);
        let theta = pose.rotation.angle();
        let (a0, da) = (self.angle_min(), self.angle_increment());
        for i in 0..self.beams {
            let angle = theta + a0 + i as f64 * da;
            let direction = Vector2::new(angle.cos(), angle.sin());
            let noise: f64 = rng.sample(StandardNormal);
            let dropout = rng.random::<f64>() < self.dropout_probability;
            let range = match world.cast(&origin, &direction, self.max_range_m) {
                _ if dropout => f64::NAN,
                Some(d) => d + self.range_std_m * noise,
                None => f64::INFINITY,
            };
            ranges.push(if range >= self.max_range_m {
                f64::INFINITY
            } else {
                range
            });
        }
    }

    /// The world point where beam `i` of a scan taken at `pose` ends (`None` for `+inf`).
    pub fn endpoint(&self, pose: &Isometry2<f64>, i: usize, range: f64) -> Option<Point2<f64>> {
        if !range.is_finite() {
            return None;
        }
        let angle = pose.rotation.angle() + self.angle_min() + i as f64 * self.angle_increment();
        Some(Point2::from(pose.translation.vector) + Vector2::new(angle.cos(), angle.sin()) * range)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    /// A wall along `x = 5`.
    struct Wall;
    impl RayCaster for Wall {
        fn cast(&self, o: &Point2<f64>, d: &Vector2<f64>, max: f64) -> Option<f64> {
            (d.x > 0.0).then(|| (5.0 - o.x) / d.x).filter(|&t| t <= max)
        }
    }

    #[test]
    fn noiseless_ranges_follow_the_geometry() {
        let lidar = Lidar {
            beams: 3,
            fov_rad: std::f64::consts::FRAC_PI_2,
            min_range_m: 0.0,
            max_range_m: 10.0,
            range_std_m: 0.0,
            dropout_probability: 0.0,
        };
        let mut rng = StdRng::seed_from_u64(1);
        let mut ranges = Vec::new();
        lidar.scan(
            &Wall,
            &Isometry2::new(Vector2::new(1.0, 0.0), 0.0),
            &mut rng,
            &mut ranges,
        );
        // Beams at -45, 0 and 45 degrees: 4 / cos(45 deg), 4, 4 / cos(45 deg).
        let slant = 4.0 * std::f64::consts::SQRT_2;
        assert!((ranges[0] - slant).abs() < 1e-12 && (ranges[1] - 4.0).abs() < 1e-12);
        assert!((ranges[2] - slant).abs() < 1e-12);
        let end = lidar.endpoint(&Isometry2::new(Vector2::new(1.0, 0.0), 0.0), 2, ranges[2]);
        assert!((end.unwrap() - Point2::new(5.0, 4.0)).norm() < 1e-12);
        // Facing away: nothing within range.
        let pose = Isometry2::new(Vector2::new(1.0, 0.0), std::f64::consts::PI);
        lidar.scan(&Wall, &pose, &mut rng, &mut ranges);
        assert!(ranges.iter().all(|r| r.is_infinite()));
        // A full circle has no duplicate beam at +-pi.
        let full = Lidar {
            beams: 4,
            fov_rad: std::f64::consts::TAU,
            ..lidar
        };
        assert!((full.angle_increment() - std::f64::consts::FRAC_PI_2).abs() < 1e-15);
    }
}
