//! Angles in radians.

use std::f64::consts::{PI, TAU};

/// Wraps an angle to the half-open interval `[-pi, pi)`.
///
/// ```
/// use kestrel::geometry::wrap_angle;
/// let a = wrap_angle(3.0 * std::f64::consts::PI / 2.0);
/// assert!((a + std::f64::consts::FRAC_PI_2).abs() < 1e-12);
/// ```
#[inline]
pub fn wrap_angle(angle: f64) -> f64 {
    let a = (angle + PI).rem_euclid(TAU) - PI;
    // rem_euclid can return TAU itself for tiny negative inputs because of rounding.
    if a >= PI {
        a - TAU
    } else {
        a
    }
}

/// The signed smallest difference `a - b`, wrapped to `[-pi, pi)`.
///
/// ```
/// use kestrel::geometry::angle_diff;
/// let d = angle_diff(0.1, 2.0 * std::f64::consts::PI - 0.1);
/// assert!((d - 0.2).abs() < 1e-12);
/// ```
#[inline]
pub fn angle_diff(a: f64, b: f64) -> f64 {
    wrap_angle(a - b)
}

/// Weighted circular mean `atan2(sum w_i sin a_i, sum w_i cos a_i)`.
///
/// A plain mean of 359 deg and 1 deg gives 180 deg; the circular mean gives 0.
/// Weights may be negative (unscented transforms); the result is wrapped to `[-pi, pi)`.
///
/// ```
/// use kestrel::geometry::circular_mean;
/// let m = circular_mean([359f64.to_radians(), 1f64.to_radians()].into_iter().zip([0.5, 0.5]));
/// assert!(m.abs() < 1e-12);
/// ```
pub fn circular_mean(angles_and_weights: impl IntoIterator<Item = (f64, f64)>) -> f64 {
    let (s, c) = angles_and_weights
        .into_iter()
        .fold((0.0, 0.0), |(s, c), (a, w)| {
            (s + w * a.sin(), c + w * a.cos())
        });
    wrap_angle(s.atan2(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_is_in_range_and_preserves_direction() {
        for k in -2000..2000 {
            let a = k as f64 * 0.0137;
            let w = wrap_angle(a);
            assert!((-PI..PI).contains(&w), "{a} -> {w}");
            assert!((w.sin() - a.sin()).abs() < 1e-9 && (w.cos() - a.cos()).abs() < 1e-9);
        }
        assert_eq!(wrap_angle(PI), -PI);
    }
}
