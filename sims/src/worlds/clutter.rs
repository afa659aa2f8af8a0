//! Point-detection sensors with missed detections and Poisson clutter.
//!
//! Each scan, every target present is detected with probability `P_D`; a detection is its true
//! measurement plus Gaussian noise:
//!
//! - [`SensorKind::Position`]: `z = [x, y] + v`, `v ~ N(0, sigma^2 I)` (m);
//! - [`SensorKind::RangeBearing`]: `z = [|p - s|, atan2(p_y - s_y, p_x - s_x)] + v` with
//!   independent range (m) and bearing (rad) noise, the bearing wrapped to `[-pi, pi)`.
//!
//! False alarms: a Poisson number (mean `mean_per_scan`) of points uniform over the clutter
//! region, which is a rectangle in the sensor's own measurement space (x-y for the position
//! sensor, range-bearing for the radar), so the clutter density a tracker assumes,
//! `lambda = mean_per_scan / volume`, is exactly the simulated one. The detections of a scan are
//! shuffled: their order says nothing about their origin.

use nalgebra::Vector2;
use rand::Rng;
use rand_distr::{Distribution, Poisson, StandardNormal};

use super::targets::TruthPoint;

/// What the sensor measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SensorKind {
    /// Cartesian position `[x, y]`, m.
    Position,
    /// `[range (m), bearing (rad)]` from the sensor's position.
    RangeBearing,
}

/// A point-detection sensor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PointSensor {
    /// Measurement type.
    pub kind: SensorKind,
    /// Sensor position, m (the range-bearing origin).
    pub position: Vector2<f64>,
    /// Standard deviations of the two measurement components (m, or m and rad).
    pub noise_std: [f64; 2],
    /// Probability of detecting a present target in a scan.
    pub detection_probability: f64,
}

/// Poisson clutter uniform over a rectangle of the measurement space.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Clutter {
    /// Mean number of false alarms per scan.
    pub mean_per_scan: f64,
    /// `[lo, hi]` of the first measurement component (x, or range).
    pub first: [f64; 2],
    /// `[lo, hi]` of the second measurement component (y, or bearing in rad).
    pub second: [f64; 2],
}

impl Clutter {
    /// Volume of the clutter region in measurement units (m^2, or m rad).
    pub fn volume(&self) -> f64 {
        (self.first[1] - self.first[0]) * (self.second[1] - self.second[0])
    }

    /// False alarms per unit measurement volume per scan (the JPDA's `lambda`).
    pub fn density(&self) -> f64 {
        self.mean_per_scan / self.volume()
    }
}

/// One scan of detections.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scan {
    /// Measurements in the sensor's measurement space.
    pub detections: Vec<Vector2<f64>>,
    /// The truth id each detection came from (`None`: clutter).
    pub origin: Vec<Option<u64>>,
}

impl PointSensor {
    /// The noise-free measurement of a target at `p`.
    pub fn measure_exact(&self, p: &Vector2<f64>) -> Vector2<f64> {
        match self.kind {
            SensorKind::Position => *p,
            SensorKind::RangeBearing => {
                let d = p - self.position;
                Vector2::new(d.norm(), d.y.atan2(d.x))
            }
        }
    }

    /// The Cartesian point a measurement points at.
    pub fn to_cartesian(&self, z: &Vector2<f64>) -> Vector2<f64> {
        match self.kind {
            SensorKind::Position => *z,
            SensorKind::RangeBearing => self.position + z[0] * Vector2::new(z[1].cos(), z[1].sin()),
        }
    }

    /// One scan of the targets `truth` with clutter, drawn from `rng`.
    pub fn observe(&self, truth: &[TruthPoint], clutter: &Clutter, rng: &mut impl Rng) -> Scan {
        let mut scan = Scan::default();
        for target in truth {
            if !rng.random_bool(self.detection_probability) {
                continue;
            }
            let mut z = self.measure_exact(&target.position());
            for (c, sd) in z.iter_mut().zip(self.noise_std) {
                *c += sd * rng.sample::<f64, _>(StandardNormal);
            }
            if self.kind == SensorKind::RangeBearing {
                z[1] = kestrel::geometry::wrap_angle(z[1]);
            }
            scan.detections.push(z);
            scan.origin.push(Some(target.id));
        }
        let n = match Poisson::new(clutter.mean_per_scan) {
            Ok(p) => p.sample(rng) as usize,
            Err(_) => 0, // a zero mean: no clutter
        };
        for _ in 0..n {
            let a = rng.random_range(clutter.first[0]..clutter.first[1]);
            let b = rng.random_range(clutter.second[0]..clutter.second[1]);
            scan.detections.push(Vector2::new(a, b));
            scan.origin.push(None);
        }
        for i in (1..scan.detections.len()).rev() {
            let j = rng.random_range(0..=i);
            scan.detections.swap(i, j);
            scan.origin.swap(i, j);
        }
        scan
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::Vector4;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn target(id: u64, x: f64, y: f64) -> TruthPoint {
        TruthPoint {
            id,
            state: Vector4::new(x, 0.0, y, 0.0),
            turn_rate: 0.0,
        }
    }

    #[test]
    fn detection_rate_and_clutter_count_match_their_parameters() {
        let sensor = PointSensor {
            kind: SensorKind::Position,
            position: Vector2::zeros(),
            noise_std: [0.5, 0.5],
            detection_probability: 0.8,
        };
        let clutter = Clutter {
            mean_per_scan: 5.0,
            first: [0.0, 100.0],
            second: [0.0, 50.0],
        };
        assert_eq!(clutter.density(), 5.0 / 5000.0);
        let mut rng = StdRng::seed_from_u64(2);
        let (mut hits, mut false_alarms) = (0usize, 0usize);
        let scans = 4000;
        for _ in 0..scans {
            let s = sensor.observe(&[target(0, 10.0, 10.0)], &clutter, &mut rng);
            hits += s.origin.iter().filter(|o| o.is_some()).count();
            false_alarms += s.origin.iter().filter(|o| o.is_none()).count();
            for (z, o) in s.detections.iter().zip(&s.origin) {
                if o.is_none() {
                    assert!((0.0..100.0).contains(&z.x) && (0.0..50.0).contains(&z.y));
                }
            }
        }
        // binomial sd of the rate: sqrt(0.8 * 0.2 / 4000) = 0.0063; Poisson sd of the mean: 0.035
        assert!((hits as f64 / scans as f64 - 0.8).abs() < 0.025);
        assert!((false_alarms as f64 / scans as f64 - 5.0).abs() < 0.15);
    }

    #[test]
    fn range_bearing_round_trip() {
        let sensor = PointSensor {
            kind: SensorKind::RangeBearing,
            position: Vector2::new(1.0, 1.0),
            noise_std: [1.0, 0.01],
            detection_probability: 1.0,
        };
        let p = Vector2::new(-3.0, 4.0);
        let z = sensor.measure_exact(&p);
        assert!((z[0] - 4.0f64.hypot(3.0)).abs() < 1e-12);
        assert!((sensor.to_cartesian(&z) - p).norm() < 1e-12);
    }
}
