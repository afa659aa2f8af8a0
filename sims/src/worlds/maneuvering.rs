//! A target flying straight legs and coordinated turns, and a range-bearing radar.
//!
//! Truth state `[x, vx, y, vy]` (m, m/s). During a segment with turn rate `omega` the velocity
//! rotates at `omega` (a coordinated turn at constant speed); `omega = 0` is a straight leg. The
//! motion is integrated in closed form, so the truth has no discretisation error.

use nalgebra::{Vector2, Vector4};
use rand::Rng;
use rand_distr::StandardNormal;

/// One leg of the flight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    /// Duration, s.
    pub duration_s: f64,
    /// Turn rate, rad/s (positive turns left, counter-clockwise).
    pub turn_rate: f64,
}

/// Exact constant-turn propagation of `[x, vx, y, vy]` over `dt` at turn rate `omega`.
pub fn propagate(x: &Vector4<f64>, omega: f64, dt: f64) -> Vector4<f64> {
    let (px, vx, py, vy) = (x[0], x[1], x[2], x[3]);
    if omega.abs() < 1e-12 {
        return Vector4::new(px + vx * dt, vx, py + vy * dt, vy);
    }
    let (s, c) = (omega * dt).sin_cos();
    Vector4::new(
        px + (vx * s - vy * (1.0 - c)) / omega,
        vx * c - vy * s,
        py + (vx * (1.0 - c) + vy * s) / omega,
        vx * s + vy * c,
    )
}

/// The true trajectory sampled every `dt`, with the turn rate in force at each sample.
/// Sample 0 is the initial state; segment boundaries need not fall on samples.
pub fn trajectory(
    initial: Vector4<f64>,
    segments: &[Segment],
    dt: f64,
) -> Vec<(Vector4<f64>, f64)> {
    let total: f64 = segments.iter().map(|s| s.duration_s).sum();
    let steps = (total / dt).round() as usize;
    let mut out = Vec::with_capacity(steps + 1);
    let mut state = initial;
    let rate_at = |t: f64| {
        let mut end = 0.0;
        for s in segments {
            end += s.duration_s;
            if t < end - 1e-9 {
                return s.turn_rate;
            }
        }
        segments.last().map_or(0.0, |s| s.turn_rate)
    };
    out.push((state, rate_at(0.0)));
    for k in 0..steps {
        // integrate piecewise across any segment boundary inside the step
        let (mut t, t_end) = (k as f64 * dt, (k + 1) as f64 * dt);
        while t < t_end - 1e-12 {
            let mut boundary = 0.0;
            let mut next = t_end;
            for s in segments {
                boundary += s.duration_s;
                if boundary > t + 1e-12 {
                    next = next.min(boundary);
                    break;
                }
            }
            state = propagate(&state, rate_at(t), next - t);
            t = next;
        }
        out.push((state, rate_at(t_end - 0.5 * dt)));
    }
    out
}

/// A radar measuring range and bearing (`atan2(dy, dx)`, radians) from its position.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Radar {
    /// Sensor position, m.
    pub position: Vector2<f64>,
    /// Range noise standard deviation, m.
    pub range_std_m: f64,
    /// Bearing noise standard deviation, rad.
    pub bearing_std: f64,
}

impl Radar {
    /// A noisy measurement `[range, bearing]` of a target at `target` (bearing wrapped).
    pub fn measure(&self, target: &Vector2<f64>, rng: &mut impl Rng) -> Vector2<f64> {
        let d = target - self.position;
        let r: f64 = rng.sample(StandardNormal);
        let b: f64 = rng.sample(StandardNormal);
        Vector2::new(
            d.norm() + self.range_std_m * r,
            kestrel::geometry::wrap_angle(d.y.atan2(d.x) + self.bearing_std * b),
        )
    }

    /// The Cartesian point of a `[range, bearing]` measurement.
    pub fn to_cartesian(&self, z: &Vector2<f64>) -> Vector2<f64> {
        self.position + z[0] * Vector2::new(z[1].cos(), z[1].sin())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_circle_returns_to_start() {
        let omega = 0.1;
        let period = std::f64::consts::TAU / omega;
        let x0 = Vector4::new(10.0, 50.0, -3.0, 20.0);
        let x = propagate(&x0, omega, period);
        assert!((x - x0).norm() < 1e-9, "{x}");
        // the radius of the circle is v / omega
        let half = propagate(&x0, omega, period / 2.0);
        let diameter = ((half[0] - x0[0]).powi(2) + (half[2] - x0[2]).powi(2)).sqrt();
        assert!((diameter - 2.0 * (50f64.hypot(20.0)) / omega).abs() < 1e-9);
    }

    #[test]
    fn trajectory_splits_steps_at_segment_boundaries() {
        let segs = [
            Segment {
                duration_s: 1.5,
                turn_rate: 0.0,
            },
            Segment {
                duration_s: 2.5,
                turn_rate: 0.2,
            },
        ];
        let x0 = Vector4::new(0.0, 10.0, 0.0, 0.0);
        let traj = trajectory(x0, &segs, 1.0);
        assert_eq!(traj.len(), 5);
        let expected = propagate(&propagate(&x0, 0.0, 1.5), 0.2, 2.5);
        assert!((traj[4].0 - expected).norm() < 1e-9);
        assert_eq!(traj[1].1, 0.0);
        assert_eq!(traj[3].1, 0.2);
    }
}
