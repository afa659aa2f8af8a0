//! The JPDA and GNN trackers against Stone Soup 1.9.1 (fixtures from
//! tools/reference/stonesoup_trackers.py): marginal association probabilities of exact JPDA,
//! GNN assignments, and the posterior states, on single scans and on 25-scan crossing-target
//! sequences. Tolerance 1e-9.
//!
//! Configuration mapping (see the script's docstring): Stone Soup's PDAHypothesiser(PD, PG,
//! clutter_spatial_density = lambda) + JPDA  <->  Jpda::new(PD, PG, lambda) with
//! Gating::from_probability(PG); DistanceHypothesiser(Mahalanobis, missed_distance = m) +
//! GNNWith2DAssignment  <->  Gnn::new(GnnCost::Mahalanobis, m) with Gating::new(m^2).

use kestrel::estimation::KalmanFilter;
use kestrel::models::measurement::PositionMeasurement;
use kestrel::models::motion::ConstantVelocity;
use kestrel::tracking::{
    Associator, Gating, Gnn, GnnCost, HistoryLogic, Jpda, KalmanTrack, NoInitiation, Tracker,
};
use nalgebra::{Matrix2, Matrix4, Vector2, Vector4};
use serde_json::Value;

type Kf = KalmanTrack<4, ConstantVelocity, PositionMeasurement<4>>;

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/tracking/trackers_stonesoup.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

fn matrix2(v: &Value) -> Matrix2<f64> {
    Matrix2::from_fn(|i, j| f(&v[i][j]))
}

fn matrix4(v: &Value) -> Matrix4<f64> {
    Matrix4::from_fn(|i, j| f(&v[i][j]))
}

fn vector4(v: &Value) -> Vector4<f64> {
    Vector4::from_fn(|i, _| f(&v[i]))
}

fn points(v: &Value) -> Vec<Vector2<f64>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| Vector2::new(f(&p[0]), f(&p[1])))
        .collect()
}

/// A tracker of Kalman CV tracks seeded with the fixture's priors; no initiation, no deletion.
fn tracker<A: Associator>(
    params: &Value,
    priors: &Value,
    gating: Gating<2>,
    associator: A,
) -> Tracker<Kf, A, HistoryLogic, NoInitiation, 4, 2> {
    let cv = ConstantVelocity::new(f(&params["q"])).unwrap();
    let sensor = PositionMeasurement::<4>::with_covariance(
        ConstantVelocity::POSITION,
        matrix2(&params["r"]),
    )
    .unwrap();
    // never deletes within a test: 64 misses needed
    let logic = HistoryLogic::new((1, 1), (64, 64)).unwrap();
    let mut tracker = Tracker::new(
        gating,
        associator,
        logic,
        NoInitiation,
        ConstantVelocity::POSITION,
    )
    .unwrap();
    for prior in priors.as_array().unwrap() {
        let kf = KalmanFilter::new(vector4(&prior["x"]), matrix4(&prior["p"])).unwrap();
        tracker.insert_track(KalmanTrack::new(kf, cv, sensor), true);
    }
    tracker
}

fn jpda(params: &Value, priors: &Value) -> Tracker<Kf, Jpda, HistoryLogic, NoInitiation, 4, 2> {
    let (pd, pg) = (f(&params["pd"]), f(&params["pg"]));
    let gating = Gating::<2>::from_probability(pg).unwrap();
    let jpda = Jpda::new(pd, pg, f(&params["clutter_density"])).unwrap();
    tracker(params, priors, gating, jpda)
}

fn gnn(params: &Value, priors: &Value) -> Tracker<Kf, Gnn, HistoryLogic, NoInitiation, 4, 2> {
    let m = f(&params["missed_distance"]);
    let gating = Gating::<2>::new(m * m).unwrap();
    tracker(
        params,
        priors,
        gating,
        Gnn::new(GnnCost::Mahalanobis, m).unwrap(),
    )
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

/// Compares every track's posterior with the fixture; returns the largest relative error.
fn check_posteriors<A: Associator>(
    tracker: &Tracker<Kf, A, HistoryLogic, NoInitiation, 4, 2>,
    expected: &Value,
    what: &str,
) -> f64 {
    let mut worst = 0.0f64;
    for (track, e) in tracker.tracks().iter().zip(expected.as_array().unwrap()) {
        let x: Vector4<f64> = track.state();
        let p: Matrix4<f64> = track.covariance();
        let (ex, ep) = (vector4(&e["posterior_x"]), matrix4(&e["posterior_p"]));
        for (a, b) in x.iter().zip(ex.iter()).chain(p.iter().zip(ep.iter())) {
            worst = worst.max((a - b).abs() / b.abs().max(1.0));
        }
        assert!(
            (x - ex).amax() <= 1e-9 * ex.amax().max(1.0)
                && (p - ep).amax() <= 1e-9 * ep.amax().max(1.0),
            "{what}, track {}: x {x:?} vs {ex:?}, P {p:?} vs {ep:?}",
            track.id()
        );
    }
    worst
}

/// Compares the JPDA marginals of every track with the fixture; returns the largest error.
fn check_marginals<A: Associator>(
    tracker: &Tracker<Kf, A, HistoryLogic, NoInitiation, 4, 2>,
    expected: &Value,
    what: &str,
) -> f64 {
    let tracks = tracker.tracks();
    let expected = expected.as_array().unwrap();
    assert_eq!(tracks.len(), expected.len());
    let mut worst = 0.0f64;
    for (track, e) in tracks.iter().zip(expected) {
        let ours: Vec<(usize, f64)> = track.associations().to_vec();
        let theirs: Vec<(usize, f64)> = e["detections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_u64().unwrap() as usize, f(&p[1])))
            .collect();
        assert_eq!(
            ours.iter().map(|p| p.0).collect::<Vec<_>>(),
            theirs.iter().map(|p| p.0).collect::<Vec<_>>(),
            "{what}, track {}: gated detections",
            track.id()
        );
        for ((_, a), (_, b)) in ours.iter().zip(&theirs) {
            worst = worst.max((a - b).abs());
            assert!(
                close(*a, *b, 1e-9),
                "{what}, track {}: {a} vs {b}",
                track.id()
            );
        }
        let missed = f(&e["missed"]);
        worst = worst.max((track.missed_probability() - missed).abs());
        assert!(
            close(track.missed_probability(), missed, 1e-9),
            "{what}, track {}: missed {} vs {missed}",
            track.id(),
            track.missed_probability()
        );
    }
    worst
}

#[test]
fn jpda_single_scans_match_stone_soup() {
    let fx = fixture();
    assert_eq!(fx["stonesoup"], "1.9.1");
    let gate = Gating::<2>::from_probability(0.99).unwrap().threshold();
    assert!((gate - f(&fx["gate_threshold_jpda"])).abs() < 1e-12);
    let (mut worst_beta, mut worst_state) = (0.0f64, 0.0f64);
    let mut largest_cluster = 0;
    for (k, case) in fx["jpda_cases"].as_array().unwrap().iter().enumerate() {
        let mut t = jpda(&case["params"], &case["priors"]);
        let report = t
            .step(f(&case["params"]["dt"]), &points(&case["detections"]))
            .unwrap();
        largest_cluster = largest_cluster.max(report.largest_cluster);
        assert_eq!(report.approximated_clusters, 0);
        worst_beta = worst_beta.max(check_marginals(&t, &case["tracks"], &format!("case {k}")));
        worst_state = worst_state.max(check_posteriors(&t, &case["tracks"], &format!("case {k}")));
    }
    // the cases exercise real joint events: clusters of several tracks
    assert!(largest_cluster >= 5, "largest cluster {largest_cluster}");
    println!("JPDA single scans: max |beta - beta_ss| {worst_beta:.2e}, max rel. state error {worst_state:.2e}");
}

#[test]
fn gnn_single_scans_match_stone_soup() {
    let fx = fixture();
    let mut worst_state = 0.0f64;
    let mut missed = 0;
    for (k, case) in fx["gnn_cases"].as_array().unwrap().iter().enumerate() {
        let mut t = gnn(&case["params"], &case["priors"]);
        t.step(f(&case["params"]["dt"]), &points(&case["detections"]))
            .unwrap();
        for (track, e) in t.tracks().iter().zip(case["tracks"].as_array().unwrap()) {
            let expected = e["detection"].as_u64().map(|d| d as usize);
            let ours = track.associations().first().map(|a| a.0);
            assert_eq!(ours, expected, "case {k}, track {}", track.id());
            missed += usize::from(expected.is_none());
        }
        worst_state = worst_state.max(check_posteriors(&t, &case["tracks"], &format!("case {k}")));
    }
    assert!(missed > 0, "the cases include unassigned tracks");
    println!("GNN single scans: max rel. state error {worst_state:.2e}");
}

#[test]
fn jpda_sequence_matches_stone_soup() {
    let fx = fixture();
    let seq = &fx["jpda_sequence"];
    let mut t = jpda(&seq["params"], &seq["priors"]);
    let (mut worst_beta, mut worst_state) = (0.0f64, 0.0f64);
    let mut shared = 0;
    for (k, scan) in seq["scans"].as_array().unwrap().iter().enumerate() {
        let report = t
            .step(f(&seq["params"]["dt"]), &points(&scan["detections"]))
            .unwrap();
        shared += usize::from(report.largest_cluster > 1);
        worst_beta = worst_beta.max(check_marginals(&t, &scan["tracks"], &format!("scan {k}")));
        worst_state = worst_state.max(check_posteriors(&t, &scan["tracks"], &format!("scan {k}")));
    }
    assert!(
        shared > 3,
        "the crossing must make tracks share detections ({shared} scans)"
    );
    println!("JPDA 25 scans: max |beta - beta_ss| {worst_beta:.2e}, max rel. state error {worst_state:.2e}");
}

#[test]
fn gnn_sequence_matches_stone_soup() {
    let fx = fixture();
    let seq = &fx["gnn_sequence"];
    let mut t = gnn(&seq["params"], &seq["priors"]);
    let mut worst_state = 0.0f64;
    for (k, scan) in seq["scans"].as_array().unwrap().iter().enumerate() {
        t.step(f(&seq["params"]["dt"]), &points(&scan["detections"]))
            .unwrap();
        for (track, e) in t.tracks().iter().zip(scan["tracks"].as_array().unwrap()) {
            let expected = e["detection"].as_u64().map(|d| d as usize);
            let ours = track.associations().first().map(|a| a.0);
            assert_eq!(ours, expected, "scan {k}, track {}", track.id());
        }
        worst_state = worst_state.max(check_posteriors(&t, &scan["tracks"], &format!("scan {k}")));
    }
    println!("GNN 25 scans: max rel. state error {worst_state:.2e}");
}
