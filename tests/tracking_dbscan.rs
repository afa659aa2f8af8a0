//! DBSCAN against scikit-learn (fixtures from tools/reference/sklearn_dbscan.py): identical core
//! points, identical core labels up to relabelling, identical noise, and each border point in a
//! cluster of one of its core neighbours.

use kestrel::tracking::{Dbscan, TrackingError};
use nalgebra::{SVector, Vector2};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;

fn run<const K: usize>(case: &Value) -> usize {
    let name = case["name"].as_str().unwrap();
    let pts: Vec<SVector<f64, K>> = case["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| SVector::from_fn(|k, _| p[k].as_f64().unwrap()))
        .collect();
    let eps = case["eps"].as_f64().unwrap();
    let ms = case["min_samples"].as_u64().unwrap() as usize;
    let want: Vec<i64> = case["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    let core: Vec<bool> = case["core"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_bool().unwrap())
        .collect();
    let mut db = Dbscan::<K>::new(eps, ms).unwrap();
    let got = db.fit(&pts).unwrap().to_vec();
    assert_eq!(db.core_points(), core.as_slice(), "{name}: core points");
    // a bijection between our labels and scikit-learn's on core points
    let n_sk = (want.iter().copied().max().unwrap_or(-1) + 1) as usize;
    assert_eq!(db.n_clusters(), n_sk, "{name}: cluster count");
    let mut map = vec![None; n_sk];
    for i in (0..pts.len()).filter(|&i| core[i]) {
        let (g, w) = (got[i].expect("core point labelled"), want[i] as usize);
        match map[g] {
            None => map[g] = Some(w),
            Some(m) => assert_eq!(m, w, "{name}: point {i}"),
        }
    }
    // with clusters numbered by first core point, the map is the identity
    assert!(
        map.iter().enumerate().all(|(g, w)| *w == Some(g)),
        "{name}: numbering"
    );
    for i in (0..pts.len()).filter(|&i| !core[i]) {
        match got[i] {
            None => assert_eq!(want[i], -1, "{name}: point {i} noise"),
            Some(g) => {
                assert!(want[i] >= 0, "{name}: point {i} should be noise");
                // its cluster holds a core point within eps
                let ok = (0..pts.len())
                    .any(|j| core[j] && got[j] == Some(g) && (pts[i] - pts[j]).norm() <= eps);
                assert!(ok, "{name}: border point {i}");
            }
        }
    }
    pts.len()
}

#[test]
fn matches_scikit_learn() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/tracking/sklearn_dbscan.json"
    ))
    .unwrap();
    let fx: Value = serde_json::from_str(&text).unwrap();
    let mut total = 0;
    for case in fx["cases"].as_array().unwrap() {
        total += match case["dim"].as_u64().unwrap() {
            2 => run::<2>(case),
            3 => run::<3>(case),
            d => panic!("dimension {d}"),
        };
    }
    assert!(total > 3000);
}

#[test]
fn extended_detections_summarise_clusters() {
    // two rectangles of points, closed-form centroid, box and covariance
    let mut pts = Vec::new();
    for i in 0..5 {
        for j in 0..3 {
            pts.push(Vector2::new(i as f64, j as f64)); // [0,4] x [0,2]
            pts.push(Vector2::new(20.0 + j as f64, 10.0 + i as f64)); // [20,22] x [10,14]
        }
    }
    pts.push(Vector2::new(100.0, 100.0));
    let mut db = Dbscan::<2>::new(1.01, 3).unwrap();
    db.fit(&pts).unwrap();
    let d = db.detections(&pts);
    assert_eq!(d.len(), 2);
    assert_eq!(db.labels()[pts.len() - 1], None);
    assert_eq!(d[0].n_points, 15);
    assert!((d[0].centroid - Vector2::new(2.0, 1.0)).norm() < 1e-12);
    assert_eq!(
        (d[0].min, d[0].max),
        (Vector2::new(0.0, 0.0), Vector2::new(4.0, 2.0))
    );
    // sample variance of 0..4 repeated 3 times: (3 * 10) / 14
    assert!((d[0].covariance[(0, 0)] - 30.0 / 14.0).abs() < 1e-12);
    assert!((d[0].covariance[(1, 1)] - 10.0 / 14.0).abs() < 1e-12);
    assert!(d[0].covariance[(0, 1)].abs() < 1e-12);
    let boxes = db.oriented_boxes(&pts);
    assert!((boxes[0].half_extents - Vector2::new(2.0, 1.0)).norm() < 1e-12);
    assert!(boxes[0].angle.abs() < 1e-12);
    // the second rectangle is long along y: box angle pi/2
    assert!((boxes[1].angle - std::f64::consts::FRAC_PI_2).abs() < 1e-12);
    assert!((boxes[1].center - Vector2::new(21.0, 12.0)).norm() < 1e-12);
    assert!((boxes[1].half_extents - Vector2::new(2.0, 1.0)).norm() < 1e-12);
}

#[test]
fn bursts_duplicates_and_bad_input() {
    // 20 000 points: a dense burst (including 2 000 identical points) and sparse clutter
    let mut rng = StdRng::seed_from_u64(21);
    let mut pts: Vec<Vector2<f64>> = vec![Vector2::new(3.0, 3.0); 2_000];
    pts.extend(
        (0..8_000).map(|_| Vector2::new(rng.random_range(0.0..10.0), rng.random_range(0.0..10.0))),
    );
    pts.extend(
        (0..10_000).map(|_| Vector2::new(rng.random_range(1e3..1e5), rng.random_range(1e3..1e5))),
    );
    let mut db = Dbscan::<2>::new(0.2, 5).unwrap();
    let labels = db.fit(&pts).unwrap();
    assert_eq!(labels[0], labels[1_999]);
    assert!(labels[0].is_some());
    // the sparse clutter (mean spacing ~1 km) is all noise
    assert!(labels[10_000..].iter().all(|l| l.is_none()));

    let mut db = Dbscan::<2>::new(1.0, 2).unwrap();
    assert!(db.fit(&[]).unwrap().is_empty());
    assert_eq!(db.n_clusters(), 0);
    assert_eq!(
        db.fit(&[Vector2::zeros(), Vector2::new(f64::NAN, 1.0)])
            .unwrap_err(),
        TrackingError::NonFinite {
            what: "point",
            index: 1
        }
    );
    assert!(Dbscan::<2>::new(0.0, 3).is_err());
    assert!(Dbscan::<2>::new(f64::INFINITY, 3).is_err());
    assert!(Dbscan::<2>::new(1.0, 0).is_err());
    // min_samples = 1: every point is core, a lone point is its own cluster
    let mut db = Dbscan::<2>::new(1.0, 1).unwrap();
    assert_eq!(
        db.fit(&[Vector2::zeros(), Vector2::new(5.0, 0.0)]).unwrap(),
        &[Some(0), Some(1)]
    );
}
