//! Collision checks of the sampling planners against closed-form cases and independent
//! methods, and the kd-tree neighbour index against brute force.

use std::f64::consts::PI;

use kestrel::geometry::{Aabb, Circle, Polygon};
use kestrel::planning::sampling::*;
use nalgebra::{Point2, SVector, Vector2};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

type V2 = Vector2<f64>;

fn p(x: f64, y: f64) -> Point2<f64> {
    Point2::new(x, y)
}

fn v(x: f64, y: f64) -> V2 {
    Vector2::new(x, y)
}

// ---------------------------------------------------------------------------------------------
// Collision checks against closed-form cases.

#[test]
fn segment_circle_hand_worked_cases() {
    let c = Circle::new(p(0.0, 0.0), 1.0).unwrap();
    // Tangent at (0, 1): distance exactly r, touching counts.
    assert!(c.intersects_segment(&p(-2.0, 1.0), &p(2.0, 1.0)));
    assert!(!c.intersects_segment(&p(-2.0, 1.0 + 1e-12), &p(2.0, 1.0 + 1e-12)));
    // A chord through the centre; a segment wholly inside; one stopping short of the circle.
    assert!(c.intersects_segment(&p(-2.0, 0.0), &p(2.0, 0.0)));
    assert!(c.intersects_segment(&p(-0.1, 0.1), &p(0.2, -0.3)));
    assert!(!c.intersects_segment(&p(-3.0, 0.0), &p(-1.0 - 1e-9, 0.0)));
    // The line passes through the disc but the segment ends before it (closest point = end).
    assert!(!c.intersects_segment(&p(2.0, 0.5), &p(5.0, 0.5)));
    // Distance from the centre to the line x + y = 1.5 is 1.5 / sqrt 2 = 1.0607 > 1.
    assert!(!c.intersects_segment(&p(1.5, 0.0), &p(0.0, 1.5)));
    // x + y = 1.4: 0.9899 < 1.
    assert!(c.intersects_segment(&p(1.4, 0.0), &p(0.0, 1.4)));
}

/// Random segments: the distance-based test agrees with solving |a + t d - c|^2 = r^2 for t.
#[test]
fn segment_circle_matches_quadratic_roots() {
    let mut rng = StdRng::seed_from_u64(11);
    let mut hits = 0;
    for _ in 0..20_000 {
        let c = p(rng.random_range(-2.0..2.0), rng.random_range(-2.0..2.0));
        let r = rng.random_range(0.1..2.0);
        let a = p(rng.random_range(-5.0..5.0), rng.random_range(-5.0..5.0));
        let b = p(rng.random_range(-5.0..5.0), rng.random_range(-5.0..5.0));
        let d = b - a;
        let f = a - c;
        // t^2 |d|^2 + 2 t f.d + |f|^2 - r^2 = 0; the segment meets the disc iff an endpoint is
        // inside or a root lies in [0, 1].
        let (qa, qb, qc) = (d.dot(&d), 2.0 * f.dot(&d), f.dot(&f) - r * r);
        let disc = qb * qb - 4.0 * qa * qc;
        if disc.abs() < 1e-9 || qc.abs() < 1e-9 {
            continue; // tangent or endpoint on the circle: rounding decides
        }
        let expected = qc < 0.0 || (b - c).norm_squared() < r * r || {
            disc > 0.0 && {
                let t1 = (-qb - disc.sqrt()) / (2.0 * qa);
                let t2 = (-qb + disc.sqrt()) / (2.0 * qa);
                (0.0..=1.0).contains(&t1) || (0.0..=1.0).contains(&t2)
            }
        };
        let circle = Circle::new(c, r).unwrap();
        assert_eq!(
            circle.intersects_segment(&a, &b),
            expected,
            "{a} {b} {c} {r}"
        );
        hits += expected as usize;
    }
    assert!(hits > 2000, "too few intersecting cases: {hits}");
}

#[test]
fn segment_box_and_polygon_hand_worked_cases() {
    let b = Aabb::new(p(1.0, 1.0), p(3.0, 2.0)).unwrap();
    assert!(b.intersects_segment(&p(0.0, 0.0), &p(1.0, 1.0))); // ends on the corner
    assert!(!b.intersects_segment(&p(0.0, 0.1), &p(0.9, 1.0)));
    assert!(b.intersects_segment(&p(0.0, 1.5), &p(4.0, 1.5))); // passes through
    assert!(b.intersects_segment(&p(0.0, 2.0), &p(4.0, 2.0))); // slides along the top edge
    assert!(!b.intersects_segment(&p(0.0, 2.0 + 1e-12), &p(4.0, 2.0 + 1e-12)));
    assert!(b.intersects_segment(&p(2.0, 1.5), &p(2.5, 1.6))); // wholly inside
                                                               // The diagonal y = x - 1.5 clips the corner (3, 1.5)..(2.5, 1): it enters at x = 2.5.
    assert!(b.intersects_segment(&p(0.0, -1.5), &p(4.0, 2.5)));
    assert!(!b.intersects_segment(&p(0.0, -2.1), &p(4.0, 1.9)));

    // A triangle (0,0), (4,0), (0,4): hypotenuse x + y = 4.
    let tri = Polygon::new(vec![p(0.0, 0.0), p(4.0, 0.0), p(0.0, 4.0)]).unwrap();
    assert!(tri.intersects_segment(&p(3.0, 3.0), &p(1.0, 1.0))); // crosses the hypotenuse
    assert!(tri.intersects_segment(&p(2.0, 2.0), &p(3.0, 3.0))); // touches it at (2, 2)
    assert!(!tri.intersects_segment(&p(2.1, 2.0), &p(3.0, 3.0)));
    assert!(tri.intersects_segment(&p(0.5, 0.5), &p(1.0, 0.5))); // wholly inside
    assert!(tri.intersects_segment(&p(-1.0, 0.0), &p(5.0, 0.0))); // along an edge
    assert!(tri.intersects_segment(&p(-1.0, 5.0), &p(0.0, 4.0))); // ends on a vertex
    assert!(!tri.intersects_segment(&p(-1.0, 5.0), &p(-0.1, 4.0)));
}

/// Random segments against convex polygons: the edge/containment test agrees with Cyrus-Beck
/// clipping against the half-planes (an independent method).
#[test]
fn segment_convex_polygon_matches_half_plane_clipping() {
    let mut rng = StdRng::seed_from_u64(5);
    let mut hits = 0;
    for _ in 0..5000 {
        // A random convex polygon: points on a circle at sorted random angles.
        let n = rng.random_range(3..9);
        let mut angles: Vec<f64> = (0..n).map(|_| rng.random_range(0.0..2.0 * PI)).collect();
        angles.sort_by(f64::total_cmp);
        let centre = p(rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0));
        let rad = rng.random_range(0.5..2.0);
        let verts: Vec<Point2<f64>> = angles
            .iter()
            .map(|a| centre + Vector2::new(a.cos(), a.sin()) * rad)
            .collect();
        let Ok(poly) = Polygon::new(verts.clone()) else {
            continue;
        };
        if poly.area() < 1e-3 {
            continue;
        }
        let a = p(rng.random_range(-4.0..4.0), rng.random_range(-4.0..4.0));
        let b = p(rng.random_range(-4.0..4.0), rng.random_range(-4.0..4.0));
        // Cyrus-Beck: counter-clockwise polygon, inside of edge k is cross(e_k, x - v_k) >= 0.
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        let d = b - a;
        let mut margin = f64::INFINITY;
        for k in 0..n {
            let (vk, vn) = (verts[k], verts[(k + 1) % n]);
            let e = vn - vk;
            let num = e.x * (a.y - vk.y) - e.y * (a.x - vk.x); // side of a
            let den = e.x * d.y - e.y * d.x; // rate of change along the segment
            margin = margin.min(num.abs()).min((num + den).abs());
            if den == 0.0 {
                if num < 0.0 {
                    t0 = 2.0;
                }
            } else {
                let t = -num / den;
                if den > 0.0 {
                    t0 = t0.max(t);
                } else {
                    t1 = t1.min(t);
                }
            }
        }
        let expected = t0 <= t1;
        if margin < 1e-9 || (t1 - t0).abs() < 1e-9 {
            continue; // grazing: rounding decides
        }
        assert_eq!(
            poly.intersects_segment(&a, &b),
            expected,
            "{verts:?} {a} {b}"
        );
        hits += expected as usize;
    }
    assert!(hits > 500, "too few intersecting cases: {hits}");
}

// ---------------------------------------------------------------------------------------------
// kd-tree against brute force.

fn kd_matches_brute_force<const D: usize>(seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut index = NearestIndex::<D>::new();
    let mut points: Vec<SVector<f64, D>> = Vec::new();
    let mut near = Vec::new();
    let mut knn = Vec::new();
    for step in 0..3000 {
        let q = SVector::<f64, D>::from_fn(|_, _| rng.random_range(-1.0..1.0));
        // Interleave queries with inserts, as RRT does.
        if step % 10 == 0 && !points.is_empty() {
            let d2: Vec<f64> = points.iter().map(|x| (x - q).norm_squared()).collect();
            let best = d2.iter().cloned().fold(f64::INFINITY, f64::min);
            // kiddo sums the squared coordinates in its own order: equal up to rounding.
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.max(1e-300);
            let (id, dist) = index.nearest(&q).unwrap();
            assert!(close(dist, best), "{dist} vs {best}");
            assert!(close(d2[id as usize], best));

            let radius = 0.3;
            index.within(&q, radius, &mut near);
            let mut got: Vec<u32> = near.iter().map(|&(i, _)| i).collect();
            got.sort_unstable();
            let want: Vec<u32> = (0..points.len() as u32)
                .filter(|&i| d2[i as usize] <= radius * radius)
                .collect();
            assert_eq!(got, want);
            for &(i, dd) in &near {
                assert!(close(dd, d2[i as usize]));
            }

            index.nearest_k(&q, 7, &mut knn);
            let mut sorted = d2.clone();
            sorted.sort_by(f64::total_cmp);
            assert_eq!(knn.len(), 7.min(sorted.len()));
            for (&(_, dd), want) in knn.iter().zip(&sorted) {
                assert!(close(dd, *want), "{dd} vs {want}");
            }
        }
        assert_eq!(index.insert(&q).unwrap() as usize, points.len());
        points.push(q);
    }
    // The allocation-free k-nearest query, from small, good and no radius hints.
    for hint in [1e-3, 0.05, f64::INFINITY] {
        for k in [1, 5, 40] {
            let q = SVector::<f64, D>::from_fn(|_, _| rng.random_range(-1.0..1.0));
            index.nearest_k_into(&q, k, hint, &mut knn);
            let mut got: Vec<f64> = knn.iter().map(|&(_, dd)| dd).collect();
            got.sort_by(f64::total_cmp);
            let mut want: Vec<f64> = points.iter().map(|x| (x - q).norm_squared()).collect();
            want.sort_by(f64::total_cmp);
            assert_eq!(got.len(), k);
            for (a, b) in got.iter().zip(&want) {
                assert!((a - b).abs() <= 1e-12 * b, "{a} vs {b}");
            }
        }
    }
    assert_eq!(index.len(), 3000);
}

#[test]
fn kd_tree_answers_equal_brute_force() {
    kd_matches_brute_force::<2>(1);
    kd_matches_brute_force::<3>(2);
    kd_matches_brute_force::<4>(3);
}

#[test]
fn kd_tree_rejects_non_finite_points() {
    let mut index = NearestIndex::<2>::new();
    assert!(matches!(
        index.insert(&v(f64::NAN, 0.0)),
        Err(SamplingError::NonFinite { .. })
    ));
    assert_eq!(index.nearest(&v(0.0, 0.0)), None);
}
