//! Whole trackers on simulated scans: bad input (empty scans, non-finite and duplicate
//! detections, bad `dt`), a clutter burst of thousands of points, determinism, extended objects
//! from DBSCAN, an IMM (CV + CT) track through a turn, UKF tracks from a range-bearing radar,
//! and the score and existence (JIPDA) logics confirming targets and dropping clutter.

use kestrel::estimation::{
    embed, Embedding, ExtendedKalmanFilter, ImmEstimator, KalmanFilter, Mode, SigmaPoints,
    UnscentedKalmanFilter,
};
use kestrel::models::measurement::{PositionMeasurement, RangeBearing};
use kestrel::models::motion::{ConstantVelocity, CoordinatedTurn};
use kestrel::tracking::metrics::Gospa;
use kestrel::tracking::{
    cluster_detections, Associator, Dbscan, ExistenceLogic, ExtentSmoother, Gating, Gnn, GnnCost,
    HistoryLogic, ImmTrack, Initiator, Jpda, KalmanTrack, ScoreLogic, SinglePointInitiator,
    StateLayout, TrackLogic, Tracker, TrackingError, UnscentedTrack,
};
use nalgebra::{DMatrix, SMatrix, SVector, Vector2, Vector4};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

type Kf = KalmanTrack<4, ConstantVelocity, PositionMeasurement<4>>;
type KfInit = SinglePointInitiator<Kf, PositionMeasurement<4>, 4>;

fn kf_initiator(q: f64, sigma: f64, velocity_sd: f64) -> KfInit {
    let cv = ConstantVelocity::new(q).unwrap();
    let sensor = PositionMeasurement::<4>::new(ConstantVelocity::POSITION, sigma).unwrap();
    let layout =
        StateLayout::new(ConstantVelocity::POSITION, ConstantVelocity::VELOCITY, 0.0).unwrap();
    SinglePointInitiator::new(
        sensor,
        layout,
        velocity_sd,
        Box::new(move |x, p| Ok(KalmanTrack::new(KalmanFilter::new(x, p)?, cv, sensor))),
    )
    .unwrap()
}

fn tracker<A: Associator, L: TrackLogic>(
    associator: A,
    logic: L,
    initiator: KfInit,
) -> Tracker<Kf, A, L, KfInit, 4, 2> {
    let gating = Gating::<2>::from_probability(0.999).unwrap();
    Tracker::new(
        gating,
        associator,
        logic,
        initiator,
        ConstantVelocity::POSITION,
    )
    .unwrap()
}

/// Targets moving at constant velocity; detections with probability `pd`, Gaussian noise, and
/// `clutter` uniform false alarms in `area = (x0, x1, y0, y1)`.
struct Sim {
    rng: StdRng,
    targets: Vec<Vector4<f64>>,
    sigma: f64,
    pd: f64,
    clutter: usize,
    area: (f64, f64, f64, f64),
}

impl Sim {
    fn step(&mut self, dt: f64) -> Vec<Vector2<f64>> {
        let noise = Normal::new(0.0, self.sigma).unwrap();
        let mut z = Vec::new();
        for x in &mut self.targets {
            x[0] += x[1] * dt;
            x[2] += x[3] * dt;
            if self.rng.random_bool(self.pd) {
                z.push(Vector2::new(
                    x[0] + noise.sample(&mut self.rng),
                    x[2] + noise.sample(&mut self.rng),
                ));
            }
        }
        let (x0, x1, y0, y1) = self.area;
        for _ in 0..self.clutter {
            z.push(Vector2::new(
                self.rng.random_range(x0..x1),
                self.rng.random_range(y0..y1),
            ));
        }
        z
    }

    fn truth(&self) -> Vec<Vector2<f64>> {
        self.targets
            .iter()
            .map(|x| Vector2::new(x[0], x[2]))
            .collect()
    }
}

fn grid_targets(n: usize, spacing: f64) -> Vec<Vector4<f64>> {
    (0..n)
        .map(|i| {
            let (a, b) = ((i % 4) as f64, (i / 4) as f64);
            Vector4::new(a * spacing, 1.0 + 0.2 * a, b * spacing, -0.5 + 0.3 * b)
        })
        .collect()
}

fn gospa_of<F, A: Associator, L: TrackLogic, I: Initiator<F, 2>>(
    t: &Tracker<F, A, L, I, 4, 2>,
    truth: &[Vector2<f64>],
) -> (f64, usize, usize)
where
    F: kestrel::tracking::TrackFilter<4, 2>,
{
    let mut est = Vec::new();
    t.positions(true, &mut est);
    let g = Gospa::new(5.0, 2.0).unwrap().compute(truth, &est).unwrap();
    (g.distance, g.n_missed, g.n_false)
}

#[test]
fn bad_input_is_reported_and_the_scan_goes_on() {
    let jpda = Jpda::new(0.9, 0.999, 1e-4).unwrap();
    let mut t = tracker(jpda, HistoryLogic::default(), kf_initiator(0.1, 0.5, 2.0));
    let r = t.step(1.0, &[]).unwrap();
    assert_eq!((r.valid_detections, r.tracks), (0, 0));
    let z = [
        Vector2::new(0.0, 0.0),
        Vector2::new(f64::NAN, 1.0),
        Vector2::new(3.0, f64::INFINITY),
        Vector2::new(0.0, 0.0),
        Vector2::new(5.0, 5.0),
    ];
    let r = t.step(1.0, &z).unwrap();
    assert_eq!(
        r.rejected,
        [
            TrackingError::NonFinite {
                what: "detection",
                index: 1
            },
            TrackingError::NonFinite {
                what: "detection",
                index: 2
            }
        ]
    );
    assert_eq!(r.rejected[0].to_string(), "detection [1] is not finite");
    assert_eq!(r.duplicates, [(3, 0)]);
    assert_eq!((r.valid_detections, r.initiated.len()), (2, 2));
    // the second track was made by detection 4
    assert_eq!(t.tracks()[1].associations(), [(4, 1.0)]);
    // a bad dt is an error and changes nothing
    let before: Vec<Vector4<f64>> = t.tracks().iter().map(|x| x.state()).collect();
    for dt in [-1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            t.step(dt, &z),
            Err(TrackingError::InvalidParameter { name: "dt", .. })
        ));
    }
    assert!(matches!(
        t.step_with_extents(1.0, &z, &[]),
        Err(TrackingError::DimensionMismatch { .. })
    ));
    assert_eq!(t.scan(), 2);
    let after: Vec<Vector4<f64>> = t.tracks().iter().map(|x| x.state()).collect();
    assert_eq!(before, after);
    // empty scans: both tentative tracks are missed twice and deleted
    t.step(1.0, &[]).unwrap();
    let r = t.step(1.0, &[]).unwrap();
    assert_eq!(r.deleted.len(), 2);
    assert!(t.tracks().is_empty());
}

/// For each truth, the id of the nearest confirmed track within `radius`.
fn owners<F, A: Associator, L: TrackLogic, I: Initiator<F, 2>>(
    t: &Tracker<F, A, L, I, 4, 2>,
    truth: &[Vector2<f64>],
    radius: f64,
) -> Vec<Option<u64>>
where
    F: kestrel::tracking::TrackFilter<4, 2>,
{
    truth
        .iter()
        .map(|x| {
            t.confirmed()
                .map(|tr| {
                    (
                        tr.id().0,
                        (tr.position(t.position_indices()).unwrap() - x).norm(),
                    )
                })
                .filter(|(_, d)| *d < radius)
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(id, _)| id)
        })
        .collect()
}

#[test]
fn clutter_burst_of_thousands_of_points_is_handled() {
    let mut sim = Sim {
        rng: StdRng::seed_from_u64(3),
        targets: grid_targets(8, 40.0),
        sigma: 0.5,
        pd: 0.95,
        clutter: 3,
        area: (-50.0, 200.0, -50.0, 120.0),
    };
    let jpda = Jpda::new(0.95, 0.999, 1e-4).unwrap();
    let mut t = tracker(jpda, HistoryLogic::default(), kf_initiator(0.1, 0.5, 2.0));
    for _ in 0..6 {
        let z = sim.step(1.0);
        t.step(1.0, &z).unwrap();
    }
    let before = owners(&t, &sim.truth(), 2.0);
    assert!(before.iter().all(Option::is_some), "{before:?}");
    // a burst: 4000 false alarms in one scan
    sim.clutter = 4000;
    let z = sim.step(1.0);
    let start = std::time::Instant::now();
    let r = t.step(1.0, &z).unwrap().clone();
    let burst = start.elapsed();
    // the kd-tree pre-gate examines a small fraction of the tracks x 4000 pairs
    assert!(
        r.pairs_examined < r.tracks * 4000 / 20,
        "{} of {}",
        r.pairs_examined,
        r.tracks * 4000
    );
    assert!(r.initiated.len() > 3000);
    // the next scan carries thousands of tentative tracks through gating and JPDA
    sim.clutter = 3;
    let z = sim.step(1.0);
    let start = std::time::Instant::now();
    let r = t.step(1.0, &z).unwrap().clone();
    let after = start.elapsed();
    println!(
        "burst scan {burst:?}; next scan {after:?} with {} tracks, largest cluster {}, \
         {} approximated clusters",
        r.tracks, r.largest_cluster, r.approximated_clusters
    );
    assert!(r.tracks > 3000);
    for _ in 0..8 {
        let z = sim.step(1.0);
        t.step(1.0, &z).unwrap();
    }
    // the burst's tracks are gone, every target kept its track (and its id)
    assert!(t.tracks().len() < 40, "{} tracks", t.tracks().len());
    assert_eq!(owners(&t, &sim.truth(), 2.0), before);
    for track in t.tracks() {
        let x: Vector4<f64> = track.state();
        assert!(x.iter().all(|v| v.is_finite()));
    }
}

#[test]
fn same_input_same_output() {
    let run = || {
        let mut sim = Sim {
            rng: StdRng::seed_from_u64(8),
            targets: grid_targets(6, 6.0),
            sigma: 0.7,
            pd: 0.9,
            clutter: 15,
            area: (-10.0, 40.0, -10.0, 20.0),
        };
        let jpda = Jpda::new(0.9, 0.999, 0.01).unwrap();
        let mut t = tracker(jpda, HistoryLogic::default(), kf_initiator(0.2, 0.7, 2.0));
        let mut reports = Vec::new();
        let mut states = Vec::new();
        for _ in 0..15 {
            let z = sim.step(1.0);
            reports.push(t.step(1.0, &z).unwrap().clone());
            for tr in t.tracks() {
                let x: Vector4<f64> = tr.state();
                states.push((tr.id(), x.map(f64::to_bits)));
            }
        }
        (reports, states)
    };
    let (a, b) = (run(), run());
    assert!(a.0.iter().any(|r| r.largest_cluster > 1));
    assert_eq!(a, b);
}

#[test]
fn extended_objects_carry_smoothed_boxes() {
    // two rectangles: 4 m x 2 m turned by 30 degrees, and 2 m x 1 m axis aligned
    let shapes = [
        (
            Vector2::new(2.0, 1.0),
            30f64.to_radians(),
            Vector4::new(0.0, 1.0, 0.0, 0.5),
        ),
        (
            Vector2::new(1.0, 0.5),
            0.0,
            Vector4::new(30.0, -1.0, 20.0, 0.0),
        ),
    ];
    let mut rng = StdRng::seed_from_u64(21);
    let jitter = Normal::new(0.0, 0.05).unwrap();
    let gnn = Gnn::new(GnnCost::Mahalanobis, 4.0).unwrap();
    let mut t = tracker(gnn, HistoryLogic::default(), kf_initiator(0.1, 0.3, 2.0))
        .with_extent_smoothing(ExtentSmoother::new(0.3).unwrap());
    let mut db = Dbscan::<2>::new(0.8, 3).unwrap();
    let (mut centroids, mut boxes) = (Vec::new(), Vec::new());
    for k in 0..20 {
        let time = k as f64;
        let mut points = Vec::new();
        for (half, angle, motion) in &shapes {
            let centre = Vector2::new(motion[0] + motion[1] * time, motion[2] + motion[3] * time);
            let (s, c) = angle.sin_cos();
            // returns on the rectangle's outline and inside
            for i in 0..=8 {
                for j in 0..=4 {
                    let u = -half.x + 2.0 * half.x * i as f64 / 8.0;
                    let v = -half.y + 2.0 * half.y * j as f64 / 4.0;
                    let p = centre + Vector2::new(c * u - s * v, s * u + c * v);
                    points.push(p + Vector2::new(jitter.sample(&mut rng), jitter.sample(&mut rng)));
                }
            }
        }
        db.fit(&points).unwrap();
        cluster_detections(&db, &points, &mut centroids, &mut boxes);
        assert_eq!(centroids.len(), 2);
        t.step_with_extents(1.0, &centroids, &boxes).unwrap();
    }
    assert_eq!(t.confirmed().count(), 2);
    for (track, (half, angle, _)) in t.tracks().iter().zip(&shapes) {
        let e = track.extent().unwrap();
        assert!(
            (e.half_extents - half).norm() < 0.15,
            "{:?} vs {half:?}",
            e.half_extents
        );
        assert!((e.angle - angle).abs() < 0.05, "{} vs {angle}", e.angle);
        assert_eq!(e.corners(&Vector2::zeros()).len(), 4);
    }
}

#[test]
fn imm_track_follows_a_turn() {
    // common state [x, vx, y, vy, omega]; CV mode embedded, CT mode identity
    let cv = ConstantVelocity::new(0.05).unwrap();
    let ct = CoordinatedTurn::new(0.05, 1e-3).unwrap();
    let pos4 = PositionMeasurement::<4>::new(ConstantVelocity::POSITION, 1.0).unwrap();
    let pos5 = PositionMeasurement::<5>::new(CoordinatedTurn::POSITION, 1.0).unwrap();
    let layout =
        StateLayout::<5>::new(CoordinatedTurn::POSITION, CoordinatedTurn::VELOCITY, 0.01).unwrap();
    let build = move |x: SVector<f64, 5>, p: SMatrix<f64, 5, 5>| {
        let cv_x = x.fixed_rows::<4>(0).into_owned();
        let cv_p = p.fixed_view::<4, 4>(0, 0).into_owned();
        let modes = vec![
            embed(
                Mode::new(KalmanFilter::new(cv_x, cv_p)?, cv, pos4),
                Embedding::<4, 5>::new([0, 1, 2, 3])?,
            ),
            embed(
                Mode::new(ExtendedKalmanFilter::new(x, p)?, ct, pos5),
                Embedding::<5, 5>::identity()?,
            ),
        ];
        let trans = DMatrix::from_row_slice(2, 2, &[0.95, 0.05, 0.05, 0.95]);
        Ok(ImmTrack::new(
            ImmEstimator::new(modes, &trans, &[0.5, 0.5])?,
            pos5,
        ))
    };
    let init = SinglePointInitiator::new(pos5, layout, 12.0, Box::new(build)).unwrap();
    let mut t = Tracker::new(
        Gating::<2>::from_probability(0.999).unwrap(),
        Jpda::new(0.95, 0.999, 1e-4).unwrap(),
        HistoryLogic::default(),
        init,
        CoordinatedTurn::POSITION,
    )
    .unwrap();
    let mut rng = StdRng::seed_from_u64(4);
    let noise = Normal::new(0.0, 1.0).unwrap();
    // 10 m/s east for 10 s, then a 0.2 rad/s left turn for 15 s
    let (mut x, mut y, mut heading) = (0.0f64, 0.0f64, 0.0f64);
    let mut worst = 0.0f64;
    let mut ct_probability = 0.0;
    for k in 0..25 {
        if k >= 10 {
            heading += 0.2;
        }
        x += 10.0 * heading.cos();
        y += 10.0 * heading.sin();
        let mut z = vec![Vector2::new(
            x + noise.sample(&mut rng),
            y + noise.sample(&mut rng),
        )];
        for _ in 0..3 {
            z.push(Vector2::new(
                rng.random_range(-100.0..300.0),
                rng.random_range(-100.0..300.0),
            ));
        }
        t.step(1.0, &z).unwrap();
        let track = t.confirmed().min_by_key(|tr| tr.id()).filter(|_| k >= 3);
        if let Some(track) = track {
            assert_eq!(track.id().0, 0, "the target keeps its first track");
            let p = track.position(CoordinatedTurn::POSITION).unwrap();
            worst = worst.max((p - Vector2::new(x, y)).norm());
            if k >= 20 {
                ct_probability = track.filter().imm.mode_probabilities()[1];
            }
        }
    }
    assert!(worst < 5.0, "largest position error {worst}");
    assert!(
        ct_probability > 0.6,
        "turn mode probability {ct_probability}"
    );
}

#[test]
fn ukf_tracks_from_a_range_bearing_radar() {
    let cv = ConstantVelocity::new(0.1).unwrap();
    let radar =
        RangeBearing::<4>::new(ConstantVelocity::POSITION, Vector2::zeros(), 1.0, 0.003).unwrap();
    let layout =
        StateLayout::new(ConstantVelocity::POSITION, ConstantVelocity::VELOCITY, 0.0).unwrap();
    let init = SinglePointInitiator::new(
        radar,
        layout,
        10.0,
        Box::new(move |x, p| {
            let points = SigmaPoints::merwe(0.5, 2.0, -1.0)?;
            Ok(UnscentedTrack::new(
                UnscentedKalmanFilter::new(x, p, points)?,
                cv,
                radar,
            ))
        }),
    )
    .unwrap();
    let mut t = Tracker::new(
        Gating::<2>::from_probability(0.999).unwrap(),
        Gnn::new(GnnCost::Mahalanobis, 4.0).unwrap(),
        HistoryLogic::default(),
        init,
        ConstantVelocity::POSITION,
    )
    .unwrap();
    let mut rng = StdRng::seed_from_u64(9);
    let (nr, nb) = (
        Normal::new(0.0, 1.0).unwrap(),
        Normal::new(0.0, 0.003).unwrap(),
    );
    // three targets, one of them crossing the -x axis (bearing wrap at +-pi)
    let mut targets: [Vector4<f64>; 3] = [
        Vector4::new(300.0, -5.0, 100.0, 0.0),
        Vector4::new(-400.0, 0.0, 20.0, -4.0),
        Vector4::new(100.0, 3.0, -350.0, 3.0),
    ];
    for _ in 0..15 {
        let mut z = Vec::new();
        for x in &mut targets {
            x[0] += x[1];
            x[2] += x[3];
            let (r, b) = (x[0].hypot(x[2]), x[2].atan2(x[0]));
            let b = kestrel::geometry::wrap_angle(b + nb.sample(&mut rng));
            z.push(Vector2::new(r + nr.sample(&mut rng), b));
        }
        t.step(1.0, &z).unwrap();
    }
    assert_eq!(t.confirmed().count(), 3);
    for (track, x) in t.tracks().iter().zip(&targets) {
        let p = track.position(ConstantVelocity::POSITION).unwrap();
        assert!(
            (p - Vector2::new(x[0], x[2])).norm() < 3.0,
            "{p:?} vs {x:?}"
        );
    }
}

fn clutter_run<A: Associator, L: TrackLogic>(
    associator: A,
    logic: L,
    seed: u64,
) -> Tracker<Kf, A, L, KfInit, 4, 2> {
    let mut sim = Sim {
        rng: StdRng::seed_from_u64(seed),
        targets: grid_targets(5, 30.0),
        sigma: 0.5,
        pd: 0.9,
        clutter: 20,
        area: (-30.0, 150.0, -30.0, 80.0),
    };
    let mut t = tracker(associator, logic, kf_initiator(0.1, 0.5, 2.0));
    for _ in 0..25 {
        let z = sim.step(1.0);
        t.step(1.0, &z).unwrap();
    }
    let (_, missed, false_tracks) = gospa_of(&t, &sim.truth());
    assert_eq!((missed, false_tracks), (0, 0));
    t
}

#[test]
fn score_logic_confirms_targets_and_drops_clutter() {
    // 20 false alarms in 180 x 110 m^2 per scan: beta_FA = 1e-3 per m^2 (P_FA = 1e-3, V = 1)
    let logic = ScoreLogic::new(0.9, 1e-3, 1.0, 1e-4).unwrap();
    let t = clutter_run(Gnn::new(GnnCost::Mahalanobis, 4.0).unwrap(), logic, 5);
    assert_eq!(t.confirmed().count(), 5);
    for track in t.confirmed() {
        assert!(track.logic_state().score > 20.0);
    }
}

#[test]
fn jipda_existence_confirms_targets_and_drops_clutter() {
    let lambda = 20.0 / (180.0 * 110.0);
    let logic = ExistenceLogic::new(0.9, 0.999, lambda)
        .unwrap()
        .with_survival(0.98, 0.1)
        .unwrap()
        .with_thresholds(0.95, 0.02)
        .unwrap();
    let t = clutter_run(Jpda::new(0.9, 0.999, lambda).unwrap(), logic, 6);
    assert_eq!(t.confirmed().count(), 5);
    for track in t.confirmed() {
        assert!(track.existence().unwrap() > 0.5);
    }
    // and GNN with the same logic uses the IPDA update
    let t = clutter_run(Gnn::new(GnnCost::Mahalanobis, 4.0).unwrap(), logic, 7);
    assert_eq!(t.confirmed().count(), 5);
}
