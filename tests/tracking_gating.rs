//! Chi-square gates (published quantiles and the 2-D closed form), the kd-tree pre-gate against
//! exhaustive gating, and JPDA clusters against a breadth-first search.

use kestrel::tracking::{chi_square_gate, Gating, TrackClusters, TrackingError};
use nalgebra::{Matrix2, Matrix3, Vector2, Vector3};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[test]
fn chi_square_quantiles() {
    for (p, d2, d3) in [
        (0.95, 5.9915, 7.8147),
        (0.99, 9.2103, 11.3449),
        (0.999, 13.8155, 16.2662),
    ] {
        let g2 = chi_square_gate(p, 2).unwrap();
        let g3 = chi_square_gate(p, 3).unwrap();
        assert!((g2 - d2).abs() < 5e-5, "{p}: {g2}");
        assert!((g3 - d3).abs() < 5e-5, "{p}: {g3}");
        // 2 degrees of freedom: F(g) = 1 - exp(-g/2)
        assert!((g2 + 2.0 * (1.0 - p).ln()).abs() < 1e-9);
    }
    // 1 degree of freedom: the 0.95 quantile is 1.959964^2
    assert!((chi_square_gate(0.95, 1).unwrap() - 1.959963984540054f64.powi(2)).abs() < 1e-8);
    for p in [0.0, 1.0, -0.1, f64::NAN] {
        assert!(matches!(
            chi_square_gate(p, 2),
            Err(TrackingError::InvalidParameter { .. })
        ));
    }
    assert!(chi_square_gate(0.9, 0).is_err());
}

fn random_cov2(rng: &mut StdRng) -> Matrix2<f64> {
    let t: f64 = rng.random_range(0.0..std::f64::consts::PI);
    let r = Matrix2::new(t.cos(), -t.sin(), t.sin(), t.cos());
    let d = Matrix2::new(
        rng.random_range(0.2..25.0),
        0.0,
        0.0,
        rng.random_range(0.01..4.0),
    );
    r * d * r.transpose()
}

#[test]
fn pregate_keeps_exactly_the_exhaustive_pairs() {
    let mut rng = StdRng::seed_from_u64(3);
    for scene in 0..20 {
        let n_tracks = rng.random_range(0..60);
        let n_det = rng.random_range(0..400);
        let size = [50.0, 200.0, 1000.0][scene % 3];
        let zhat: Vec<Vector2<f64>> = (0..n_tracks)
            .map(|_| Vector2::new(rng.random_range(0.0..size), rng.random_range(0.0..size)))
            .collect();
        let s: Vec<Matrix2<f64>> = (0..n_tracks).map(|_| random_cov2(&mut rng)).collect();
        let z: Vec<Vector2<f64>> = (0..n_det)
            .map(|_| Vector2::new(rng.random_range(0.0..size), rng.random_range(0.0..size)))
            .collect();
        let mut fast = Gating::<2>::from_probability(0.999).unwrap();
        let mut slow = Gating::<2>::from_probability(0.999)
            .unwrap()
            .with_pregate(false);
        let a = fast.gate(&zhat, &s, &z).unwrap().to_vec();
        let b = slow.gate(&zhat, &s, &z).unwrap().to_vec();
        assert_eq!(a, b, "scene {scene}");
        assert_eq!(slow.pairs_examined(), n_tracks * n_det);
        // every pair really is inside the gate, computed independently
        for p in &a {
            let d2 = kestrel::geometry::mahalanobis_squared(
                &(z[p.detection] - zhat[p.track]),
                &s[p.track],
            )
            .unwrap();
            assert!((d2 - p.distance_squared).abs() < 1e-9 * d2.max(1.0));
            assert!(d2 <= fast.threshold());
        }
    }
}

#[test]
fn three_dimensional_gate_matches_exhaustive() {
    let mut rng = StdRng::seed_from_u64(5);
    let zhat: Vec<Vector3<f64>> = (0..40)
        .map(|_| Vector3::from_fn(|_, _| rng.random_range(0.0..100.0)))
        .collect();
    let s: Vec<Matrix3<f64>> = (0..40)
        .map(|_| {
            let a = Matrix3::from_fn(|_, _| rng.random_range(-2.0..2.0));
            a * a.transpose() + Matrix3::identity() * 0.1
        })
        .collect();
    let z: Vec<Vector3<f64>> = (0..2000)
        .map(|_| Vector3::from_fn(|_, _| rng.random_range(0.0..100.0)))
        .collect();
    let mut fast = Gating::<3>::from_probability(0.99).unwrap();
    let mut slow = Gating::<3>::from_probability(0.99)
        .unwrap()
        .with_pregate(false);
    let a = fast.gate(&zhat, &s, &z).unwrap().to_vec();
    assert_eq!(a, slow.gate(&zhat, &s, &z).unwrap());
    assert!(!a.is_empty());
    assert!(
        fast.pairs_examined() < 40 * 2000 / 10,
        "{}",
        fast.pairs_examined()
    );
}

#[test]
fn a_burst_of_clutter_is_pregated() {
    // 300 tracks spread over 10 km, 20 000 detections: a dense burst of 15 000 around one spot
    // plus uniform clutter. The exact test runs on the pairs near each track only.
    let mut rng = StdRng::seed_from_u64(8);
    let zhat: Vec<Vector2<f64>> = (0..300)
        .map(|_| {
            Vector2::new(
                rng.random_range(0.0..10_000.0),
                rng.random_range(0.0..10_000.0),
            )
        })
        .collect();
    let s = vec![Matrix2::new(25.0, 5.0, 5.0, 16.0); 300];
    let mut z: Vec<Vector2<f64>> = (0..15_000)
        .map(|_| {
            Vector2::new(
                5_000.0 + rng.random_range(-30.0..30.0),
                5_000.0 + rng.random_range(-30.0..30.0),
            )
        })
        .collect();
    z.extend((0..5_000).map(|_| {
        Vector2::new(
            rng.random_range(0.0..10_000.0),
            rng.random_range(0.0..10_000.0),
        )
    }));
    let mut fast = Gating::<2>::from_probability(0.99).unwrap();
    let a = fast.gate(&zhat, &s, &z).unwrap().to_vec();
    let examined = fast.pairs_examined();
    assert!(
        examined < 300 * 20_000 / 1000,
        "examined {examined} of 6e6 pairs"
    );
    let mut slow = Gating::<2>::from_probability(0.99)
        .unwrap()
        .with_pregate(false);
    assert_eq!(a, slow.gate(&zhat, &s, &z).unwrap());
}

#[test]
fn bad_and_empty_input() {
    let mut g = Gating::<2>::new(9.0).unwrap();
    assert!(g.gate(&[], &[], &[]).unwrap().is_empty());
    assert!(g
        .gate(&[Vector2::zeros()], &[Matrix2::identity()], &[])
        .unwrap()
        .is_empty());
    assert!(g.gate(&[], &[], &[Vector2::zeros()]).unwrap().is_empty());
    assert_eq!(
        g.gate(
            &[Vector2::zeros()],
            &[Matrix2::identity()],
            &[Vector2::zeros(), Vector2::new(f64::NAN, 0.0)]
        )
        .unwrap_err(),
        TrackingError::NonFinite {
            what: "detection",
            index: 1
        }
    );
    assert_eq!(
        g.gate(
            &[Vector2::zeros(); 2],
            &[Matrix2::identity(), Matrix2::new(1.0, 2.0, 2.0, 1.0)],
            &[Vector2::zeros()]
        )
        .unwrap_err(),
        TrackingError::NotPositiveDefinite {
            what: "innovation covariance",
            index: 1
        }
    );
    assert!(matches!(
        g.gate(
            &[Vector2::zeros(); 2],
            &[Matrix2::identity()],
            &[Vector2::zeros()]
        ),
        Err(TrackingError::DimensionMismatch { .. })
    ));
    assert!(matches!(
        g.gate(
            &[Vector2::new(f64::INFINITY, 0.0)],
            &[Matrix2::identity()],
            &[Vector2::zeros()]
        ),
        Err(TrackingError::NonFinite { .. })
    ));
    assert!(Gating::<2>::new(0.0).is_err() && Gating::<2>::new(f64::NAN).is_err());
}

/// Connected components by breadth-first search on the bipartite graph.
fn bfs_clusters(nt: usize, nd: usize, pairs: &[(usize, usize)]) -> Vec<(Vec<usize>, Vec<usize>)> {
    let mut seen_t = vec![false; nt];
    let mut seen_d = vec![false; nd];
    let mut out = Vec::new();
    for start in 0..nt {
        if seen_t[start] {
            continue;
        }
        let (mut ts, mut ds) = (vec![start], Vec::new());
        seen_t[start] = true;
        let mut queue = vec![start];
        while let Some(t) = queue.pop() {
            for &(pt, pd) in pairs.iter().filter(|p| p.0 == t) {
                let _ = pt;
                if !seen_d[pd] {
                    seen_d[pd] = true;
                    ds.push(pd);
                    for &(qt, _) in pairs.iter().filter(|p| p.1 == pd) {
                        if !seen_t[qt] {
                            seen_t[qt] = true;
                            ts.push(qt);
                            queue.push(qt);
                        }
                    }
                }
            }
        }
        ts.sort();
        ds.sort();
        out.push((ts, ds));
    }
    out
}

#[test]
fn clusters_match_breadth_first_search() {
    let mut rng = StdRng::seed_from_u64(17);
    let mut c = TrackClusters::new();
    for _ in 0..100 {
        let nt = rng.random_range(0..25);
        let nd = rng.random_range(0..40);
        let np = if nt * nd == 0 {
            0
        } else {
            rng.random_range(0..nt + nd)
        };
        let pairs: Vec<(usize, usize)> = (0..np)
            .map(|_| (rng.random_range(0..nt), rng.random_range(0..nd)))
            .collect();
        let got = c.build(nt, nd, pairs.iter().copied()).unwrap();
        let want = bfs_clusters(nt, nd, &pairs);
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            assert_eq!((&g.tracks, &g.detections), (&w.0, &w.1));
        }
        let claimed: Vec<usize> = (0..nd)
            .filter(|d| pairs.iter().any(|p| p.1 == *d))
            .collect();
        let unclaimed: Vec<usize> = (0..nd).filter(|d| !claimed.contains(d)).collect();
        assert_eq!(c.unclaimed_detections(), unclaimed.as_slice());
    }
    assert!(c.build(2, 2, [(2, 0)]).is_err());
    assert!(c.build(0, 0, []).unwrap().is_empty());
}
