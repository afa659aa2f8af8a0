//! Path shortcutting: replace stretches of a collision-free polyline by straight segments when
//! those are collision-free. The endpoints are kept and the length never increases.

use rand::Rng;

use super::collision::ValidityChecker;
use super::error::{invalid, SamplingError};
use super::outcome::path_length;
use super::space::State;

fn check_path<const D: usize>(path: &[State<D>]) -> Result<(), SamplingError> {
    if path.is_empty() {
        return Err(invalid("path", "is empty"));
    }
    if !path.iter().all(|q| q.iter().all(|v| v.is_finite())) {
        return Err(SamplingError::NonFinite { what: "path" });
    }
    Ok(())
}

/// Greedy vertex shortcutting: from the current vertex, jump to the farthest later vertex that
/// is reachable by a free straight motion, and repeat from there.
///
/// The result keeps the first and last vertices, is a subsequence of the input, and is never
/// longer (triangle inequality). Deterministic.
///
/// # Errors
/// [`SamplingError::InvalidParameter`] for an empty path, [`SamplingError::NonFinite`].
///
/// # Complexity
/// O(n^2) motion checks in the worst case, O(n) when the path is already straight.
///
/// ```
/// use kestrel::planning::sampling::{shortcut_greedy, GeometricScene};
/// use nalgebra::Vector2;
/// let zigzag = [Vector2::new(0.0, 0.0), Vector2::new(1.0, 1.0), Vector2::new(2.0, 0.0), Vector2::new(3.0, 0.0)];
/// let short = shortcut_greedy(&zigzag, &GeometricScene::new()).unwrap();
/// assert_eq!(short, vec![Vector2::new(0.0, 0.0), Vector2::new(3.0, 0.0)]);
/// ```
pub fn shortcut_greedy<const D: usize, C: ValidityChecker<D> + ?Sized>(
    path: &[State<D>],
    checker: &C,
) -> Result<Vec<State<D>>, SamplingError> {
    check_path(path)?;
    let n = path.len();
    let mut out = Vec::with_capacity(n);
    out.push(path[0]);
    let mut i = 0;
    while i + 1 < n {
        // The next vertex is always reachable (the input's own segment), so this terminates.
        let mut j = n - 1;
        while j > i + 1 && !checker.is_motion_valid(&path[i], &path[j]) {
            j -= 1;
        }
        out.push(path[j]);
        i = j;
    }
    Ok(out)
}

/// Random shortcutting (as OMPL's `PathSimplifier::shortcutPath`): `attempts` times, pick two
/// points uniformly by arc length anywhere on the path (not only at vertices); if the straight
/// motion between them is free and shorter than the stretch it replaces, splice it in.
///
/// The result keeps the endpoints, is never longer, and each spliced segment was checked, so a
/// valid input path stays valid. Deterministic for a seeded `rng`.
///
/// # Errors
/// [`SamplingError::InvalidParameter`] for an empty path, [`SamplingError::NonFinite`].
///
/// # Complexity
/// O(attempts * n): one motion check and one splice per attempt.
///
/// ```
/// use kestrel::planning::sampling::{path_length, shortcut_random, GeometricScene};
/// use nalgebra::Vector2;
/// use rand::SeedableRng;
/// let detour = [Vector2::new(0.0, 0.0), Vector2::new(0.0, 5.0), Vector2::new(5.0, 5.0)];
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// let short = shortcut_random(&detour, &GeometricScene::new(), 50, &mut rng).unwrap();
/// assert!(path_length(&short) < 10.0 - 1.0);
/// assert_eq!(short[0], detour[0]);
/// assert_eq!(*short.last().unwrap(), detour[2]);
/// ```
pub fn shortcut_random<const D: usize, C, R>(
    path: &[State<D>],
    checker: &C,
    attempts: usize,
    rng: &mut R,
) -> Result<Vec<State<D>>, SamplingError>
where
    C: ValidityChecker<D> + ?Sized,
    R: Rng + ?Sized,
{
    check_path(path)?;
    let mut current: Vec<State<D>> = path.to_vec();
    let mut next: Vec<State<D>> = Vec::with_capacity(path.len() + 2);
    let mut cumulative: Vec<f64> = Vec::with_capacity(path.len());
    for _ in 0..attempts {
        if current.len() < 3 {
            break;
        }
        cumulative.clear();
        let mut total = 0.0;
        cumulative.push(0.0);
        for w in current.windows(2) {
            total += (w[1] - w[0]).norm();
            cumulative.push(total);
        }
        if total <= 0.0 {
            break;
        }
        let mut s1 = rng.random::<f64>() * total;
        let mut s2 = rng.random::<f64>() * total;
        if s1 > s2 {
            std::mem::swap(&mut s1, &mut s2);
        }
        // Segment k spans cumulative[k]..cumulative[k + 1].
        let seg = |s: f64| {
            let k = cumulative.partition_point(|&c| c <= s);
            k.saturating_sub(1).min(current.len() - 2)
        };
        let (i, j) = (seg(s1), seg(s2));
        if i == j {
            continue;
        }
        let at = |k: usize, s: f64| {
            let len = cumulative[k + 1] - cumulative[k];
            let t = if len > 0.0 {
                ((s - cumulative[k]) / len).clamp(0.0, 1.0)
            } else {
                0.0
            };
            current[k] + (current[k + 1] - current[k]) * t
        };
        let (p1, p2) = (at(i, s1), at(j, s2));
        let old = s2 - s1;
        let new = (p2 - p1).norm();
        if new >= old - 1e-12 * total.max(1.0) || !checker.is_motion_valid(&p1, &p2) {
            continue;
        }
        next.clear();
        next.extend_from_slice(&current[..=i]);
        if p1 != current[i] {
            next.push(p1);
        }
        if p2 != current[j + 1] {
            next.push(p2);
        }
        next.extend_from_slice(&current[j + 1..]);
        std::mem::swap(&mut current, &mut next);
    }
    debug_assert!(path_length(&current) <= path_length(path) + 1e-9);
    Ok(current)
}
