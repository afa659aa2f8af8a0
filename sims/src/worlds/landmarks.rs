//! A robot driving among known landmarks, with noisy odometry and range measurements.
//!
//! Pose `[x, y, theta]` (m, m, rad). Motion follows the unicycle with commanded forward speed `v`
//! and turn rate `omega` held over each period, integrated exactly (an arc). The robot's odometry
//! reports the commanded pair corrupted by Gaussian noise; the range sensor reports the distance to
//! every landmark within `max_range_m`, each with Gaussian noise.

use nalgebra::{Vector2, Vector3};
use rand::Rng;
use rand_distr::StandardNormal;

/// Exact unicycle arc over `dt` from `pose` with speed `v` and turn rate `omega`.
pub fn arc(pose: &Vector3<f64>, v: f64, omega: f64, dt: f64) -> Vector3<f64> {
    let theta = pose[2];
    if omega.abs() < 1e-12 {
        return Vector3::new(
            pose[0] + v * dt * theta.cos(),
            pose[1] + v * dt * theta.sin(),
            theta,
        );
    }
    let theta2 = theta + omega * dt;
    Vector3::new(
        pose[0] + v / omega * (theta2.sin() - theta.sin()),
        pose[1] - v / omega * (theta2.cos() - theta.cos()),
        kestrel::geometry::wrap_angle(theta2),
    )
}

/// One range reading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RangeReading {
    /// Index of the landmark.
    pub landmark: usize,
    /// Measured range, m.
    pub range_m: f64,
}

/// The landmark map and the range sensor.
#[derive(Debug, Clone, PartialEq)]
pub struct LandmarkWorld {
    /// Landmark positions, m.
    pub landmarks: Vec<Vector2<f64>>,
    /// Range noise standard deviation, m.
    pub range_std_m: f64,
    /// Maximum range, m.
    pub max_range_m: f64,
}

impl LandmarkWorld {
    /// Noisy ranges to every landmark within range of `pose`.
    pub fn measure(&self, pose: &Vector3<f64>, rng: &mut impl Rng, out: &mut Vec<RangeReading>) {
        out.clear();
        let p = Vector2::new(pose[0], pose[1]);
        for (i, l) in self.landmarks.iter().enumerate() {
            let d = (l - p).norm();
            if d <= self.max_range_m {
                let n: f64 = rng.sample(StandardNormal);
                out.push(RangeReading {
                    landmark: i,
                    range_m: (d + self.range_std_m * n).max(0.0),
                });
            }
        }
    }
}

/// Odometry noise: standard deviations of the reported speed and turn rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OdometryNoise {
    /// Speed noise, m/s.
    pub speed_std: f64,
    /// Turn-rate noise, rad/s.
    pub turn_rate_std: f64,
}

impl OdometryNoise {
    /// The commanded `(v, omega)` corrupted by noise.
    pub fn corrupt(&self, v: f64, omega: f64, rng: &mut impl Rng) -> (f64, f64) {
        let a: f64 = rng.sample(StandardNormal);
        let b: f64 = rng.sample(StandardNormal);
        (v + self.speed_std * a, omega + self.turn_rate_std * b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arc_closes_a_circle() {
        let p0 = Vector3::new(1.0, 2.0, 0.3);
        let omega = 0.5;
        let p = arc(&p0, 2.0, omega, std::f64::consts::TAU / omega);
        assert!((p - p0).norm() < 1e-9, "{p}");
        // quarter turn: displacement is the chord of a quarter circle of radius v/omega = 4
        let q = arc(
            &Vector3::new(0.0, 0.0, 0.0),
            2.0,
            omega,
            std::f64::consts::FRAC_PI_2 / omega,
        );
        assert!(
            (q - Vector3::new(4.0, 4.0, std::f64::consts::FRAC_PI_2)).norm() < 1e-9,
            "{q}"
        );
    }

    #[test]
    fn only_landmarks_in_range_are_seen() {
        let world = LandmarkWorld {
            landmarks: vec![Vector2::new(1.0, 0.0), Vector2::new(10.0, 0.0)],
            range_std_m: 0.0,
            max_range_m: 5.0,
        };
        let mut out = Vec::new();
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(1);
        world.measure(&Vector3::zeros(), &mut rng, &mut out);
        assert_eq!(
            out,
            vec![RangeReading {
                landmark: 0,
                range_m: 1.0
            }]
        );
    }
}
