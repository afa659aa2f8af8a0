//! Track management: hand-worked M-of-N history sequences, the score logic against MATLAB's
//! published `trackScoreLogic` values and hand-worked increments, existence (IPDA) updates in
//! closed form, stable track ids through a tracker's life, and two-point initiation.

use kestrel::estimation::KalmanFilter;
use kestrel::models::measurement::PositionMeasurement;
use kestrel::models::motion::ConstantVelocity;
use kestrel::tracking::{
    DeletionReason, ExistenceLogic, Gating, Gnn, GnnCost, HistoryLogic, KalmanTrack, ScanEvidence,
    ScoreLogic, SinglePointInitiator, StateLayout, TrackId, TrackLogic, TrackStatus, Tracker,
    TwoPointInitiator,
};
use nalgebra::{Vector2, Vector4};

use TrackStatus::{Confirmed, Deleted, Tentative};

const HIT: ScanEvidence<'static> = ScanEvidence {
    association_probability: 1.0,
    dominant_probability: 1.0,
    log_likelihoods: &[-3.0],
    soft: false,
    existence: None,
};

/// Statuses after initiation and after each scan of `scans` ('H' hit, 'M' miss).
fn run<L: TrackLogic>(logic: &L, scans: &str) -> Vec<TrackStatus> {
    let (mut state, mut status) = logic.initiate();
    let mut out = vec![status];
    for c in scans.chars() {
        let e = if c == 'H' { HIT } else { ScanEvidence::MISSED };
        status = logic.update(&mut state, status, &e);
        out.push(status);
    }
    out
}

#[test]
fn history_logic_two_of_three_six_of_six() {
    let l = HistoryLogic::default();
    assert_eq!((l.confirmation(), l.deletion()), ((2, 3), (6, 6)));
    // the initiating detection is the first hit
    assert_eq!(run(&l, ""), [Tentative]);
    assert_eq!(run(&l, "H"), [Tentative, Confirmed]);
    assert_eq!(run(&l, "MH"), [Tentative, Tentative, Confirmed]);
    // a tentative track that can no longer make 2 of 3 is deleted at once
    assert_eq!(run(&l, "MM"), [Tentative, Tentative, Deleted]);
    // confirmed: 5 misses are survived, the 6th in a row deletes
    let s = run(&l, "HMMMMMM");
    assert_eq!(&s[..2], [Tentative, Confirmed]);
    assert!(s[2..7].iter().all(|&x| x == Confirmed));
    assert_eq!(s[7], Deleted);
    // intermittent hits keep a confirmed track alive
    let s = run(&l, "HMMMMMHMMMMMHMMMMM");
    assert!(s[1..].iter().all(|&x| x == Confirmed));
    // once deleted, always deleted
    assert_eq!(*run(&l, "MMHHH").last().unwrap(), Deleted);
}

#[test]
fn history_logic_three_of_five() {
    let l = HistoryLogic::new((3, 5), (3, 4)).unwrap();
    assert_eq!(
        run(&l, "MHMH"),
        [Tentative, Tentative, Tentative, Tentative, Confirmed]
    );
    // H M M H M: at most 5 - 3 = 2 misses are allowed in the window, the third deletes
    assert_eq!(
        run(&l, "MMHM"),
        [Tentative, Tentative, Tentative, Tentative, Deleted]
    );
    // confirmed: 3 misses in the last 4 scans delete (not necessarily in a row)
    let s = run(&l, "HHMHMM");
    assert_eq!(s[3], Confirmed);
    assert_eq!(&s[4..], [Confirmed, Confirmed, Deleted]);
    // soft evidence: association probability against the hit threshold (0.2 by default)
    let l = HistoryLogic::default();
    let (mut h, st) = l.initiate();
    // probability 0.6 of being detected, but only 0.1 from detections it is the best track for
    let weak = ScanEvidence::soft(0.6, 0.1, &[], None);
    let fair = ScanEvidence::soft(0.25, 0.25, &[], None);
    assert_eq!(l.update(&mut h, st, &weak), Tentative);
    assert_eq!(l.update(&mut h, st, &fair), Confirmed);
    assert_eq!(h.iter().collect::<Vec<_>>(), [true, false, true]);
    // bad parameters
    assert!(HistoryLogic::new((4, 3), (6, 6)).is_err());
    assert!(HistoryLogic::new((0, 3), (6, 6)).is_err());
    assert!(HistoryLogic::new((2, 3), (6, 65)).is_err());
    assert!(HistoryLogic::default().with_hit_threshold(0.0).is_err());
}

#[test]
fn score_logic_matches_matlab_documentation() {
    // MATLAB trackScoreLogic documentation: pd 0.9, pfa 1e-6, volume 1.3
    for (beta, score) in [(0.1, 11.6699), (0.3, 12.7685), (1e-5, 2.4596)] {
        let l = ScoreLogic::new(0.9, 1e-6, 1.3, beta).unwrap();
        let (s, status) = l.initiate();
        assert!((s.score - score).abs() < 5e-5, "{} vs {score}", s.score);
        assert_eq!((s.max_score, status), (s.score, Tentative));
    }
    // "Update the logic with a miss": 9.36735 (score), 11.6699 (max score)
    let l = ScoreLogic::new(0.9, 1e-6, 1.3, 0.1).unwrap();
    let (mut s, st) = l.initiate();
    l.update(&mut s, st, &ScanEvidence::MISSED);
    assert!((s.score - 9.36735).abs() < 5e-6);
    assert!((s.max_score - 11.6699).abs() < 5e-5);
}

#[test]
fn score_logic_hand_worked_sequence() {
    // init ln(0.9 * 0.1 * 1.3 / 1e-6) = 11.669929213779893
    // hit with N(z) = 0.05: + ln(0.9 * 1.3 / 1e-6 * 0.05) = 10.97678203321995 -> 22.6467 >= 20
    // miss: + ln(0.1 / (1 - 1e-6)) = -2.3025840929935457 each; 3 misses drop 6.9 > 5: deleted
    let l = ScoreLogic::new(0.9, 1e-6, 1.3, 0.1).unwrap();
    let (mut s, st) = l.initiate();
    assert!((s.score - 11.669929213779893).abs() < 1e-12);
    let ll = [0.05f64.ln()];
    let hit = ScanEvidence::hit(&ll);
    assert_eq!(l.update(&mut s, st, &hit), Confirmed);
    assert!((s.score - 22.646711246999843).abs() < 1e-12);
    let expected = [20.344127154006298, 18.041543061012753, 15.738958968019205];
    let statuses = [Confirmed, Confirmed, Deleted];
    for (e, st) in expected.iter().zip(statuses) {
        assert_eq!(l.update(&mut s, Confirmed, &ScanEvidence::MISSED), st);
        assert!((s.score - e).abs() < 1e-12, "{} vs {e}", s.score);
        assert!((s.max_score - 22.646711246999843).abs() < 1e-12);
    }
    // soft (PDA) increment: ln(1 - 0.9 + 0.9 * 1.3e6 * (0.02 + 0.001)) = 10.109285535511013
    let lls = [0.02f64.ln(), 0.001f64.ln()];
    let soft = ScanEvidence::soft(0.7, 0.7, &lls, None);
    assert!((l.increment(&soft) - 10.109285535511013).abs() < 1e-12);
    // thresholds are configurable; a deletion threshold must be negative
    assert!(l.with_thresholds(20.0, 1.0).is_err());
    assert!(ScoreLogic::new(1.0, 1e-6, 1.0, 1.0).is_err());
    let strict = l.with_thresholds(30.0, -2.0).unwrap();
    let (mut s, st) = strict.initiate();
    assert_eq!(strict.update(&mut s, st, &hit), Tentative); // 22.6 < 30
}

#[test]
fn existence_logic_closed_form() {
    // IPDA with a hit: delta = PD PG - PD N / lambda
    let (pd, pg, lambda) = (0.8, 0.95, 1e-3);
    let l = ExistenceLogic::new(pd, pg, lambda)
        .unwrap()
        .with_survival(0.9, 0.4)
        .unwrap();
    let (mut r, st) = l.initiate();
    assert_eq!((r, st), (0.4, Tentative));
    l.predict(&mut r);
    assert!((r - 0.36).abs() < 1e-15);
    let n = 0.01; // N(z; zhat, S)
    let ll = [f64::ln(n)];
    let ev = ScanEvidence::hit(&ll);
    let delta: f64 = pd * pg - pd * n / lambda; // 0.76 - 8 = -7.24
    let expected = (1.0 - delta) * 0.36 / (1.0 - delta * 0.36); // 0.8276...
    assert_eq!(l.update(&mut r, st, &ev), Tentative);
    assert!((r - expected).abs() < 1e-14);
    // a JIPDA posterior from the associator is adopted as is
    let jipda = ScanEvidence {
        existence: Some(0.95),
        soft: true,
        ..ev
    };
    assert_eq!(l.update(&mut r, Tentative, &jipda), Confirmed);
    assert_eq!(r, 0.95);
    assert!(l.with_thresholds(0.5, 0.6).is_err());
}

type Kf = KalmanTrack<4, ConstantVelocity, PositionMeasurement<4>>;

fn gnn_tracker(
    logic: HistoryLogic,
) -> Tracker<Kf, Gnn, HistoryLogic, SinglePointInitiator<Kf, PositionMeasurement<4>, 4>, 4, 2> {
    let cv = ConstantVelocity::new(0.1).unwrap();
    let sensor = PositionMeasurement::<4>::new(ConstantVelocity::POSITION, 0.3).unwrap();
    let layout =
        StateLayout::new(ConstantVelocity::POSITION, ConstantVelocity::VELOCITY, 0.0).unwrap();
    let init = SinglePointInitiator::new(
        sensor,
        layout,
        3.0,
        Box::new(move |x, p| Ok(KalmanTrack::new(KalmanFilter::new(x, p)?, cv, sensor))),
    )
    .unwrap();
    let gating = Gating::<2>::from_probability(0.999).unwrap();
    let gnn = Gnn::new(GnnCost::Mahalanobis, 5.0).unwrap();
    Tracker::new(gating, gnn, logic, init, ConstantVelocity::POSITION).unwrap()
}

#[test]
fn track_ids_are_stable_and_never_reused() {
    let mut t = gnn_tracker(HistoryLogic::default());
    let a = |k: f64| Vector2::new(k, 0.0); // object A moves at 1 m/s
    let ids =
        |t: &Tracker<_, _, _, _, 4, 2>| t.tracks().iter().map(|x| x.id().0).collect::<Vec<_>>();
    // scan 1: A and B (a false alarm at x = 100) start tracks 0 and 1
    let r = t.step(1.0, &[a(0.0), Vector2::new(100.0, 0.0)]).unwrap();
    assert_eq!(r.initiated, [TrackId(0), TrackId(1)]);
    // scan 2: A confirmed; B missed
    let r = t.step(1.0, &[a(1.0)]).unwrap();
    assert_eq!(r.confirmed, [TrackId(0)]);
    assert!(r.deleted.is_empty());
    // scan 3: B missed twice (H M M): deleted
    let r = t.step(1.0, &[a(2.0)]).unwrap();
    assert_eq!(r.deleted.len(), 1);
    let d = r.deleted[0];
    assert_eq!(
        (d.id, d.was_confirmed, d.age, d.hits),
        (TrackId(1), false, 3, 1)
    );
    assert_eq!(d.reason, DeletionReason::Logic);
    assert_eq!(ids(&t), [0]);
    // scan 4: a new object C gets id 2, not the freed 1
    let r = t.step(1.0, &[a(3.0), Vector2::new(-50.0, 20.0)]).unwrap();
    assert_eq!(r.initiated, [TrackId(2)]);
    assert_eq!(ids(&t), [0, 2]);
    assert_eq!(t.next_id(), TrackId(3));
    // A keeps id 0 and its estimate follows it
    let p = t
        .track(TrackId(0))
        .unwrap()
        .position(t.position_indices())
        .unwrap();
    assert!((p - a(3.0)).norm() < 0.3);
    assert_eq!(t.track(TrackId(0)).unwrap().hits(), 4);
    // six scans without detections delete the confirmed track (6 of 6); C goes first
    let mut deleted = Vec::new();
    for _ in 0..6 {
        let r = t.step(1.0, &[]).unwrap();
        deleted.extend(r.deleted.iter().map(|d| (d.id.0, d.was_confirmed)));
    }
    assert_eq!(deleted, [(2, false), (0, true)]);
    assert!(t.tracks().is_empty());
    let r = t.step(1.0, &[a(10.0)]).unwrap();
    assert_eq!(r.initiated, [TrackId(3)]);
}

#[test]
fn two_point_initiation_in_a_tracker() {
    let cv = ConstantVelocity::new(0.1).unwrap();
    let sensor = PositionMeasurement::<4>::new(ConstantVelocity::POSITION, 0.3).unwrap();
    let layout =
        StateLayout::new(ConstantVelocity::POSITION, ConstantVelocity::VELOCITY, 0.0).unwrap();
    let init = TwoPointInitiator::new(
        sensor,
        layout,
        15.0,
        Box::new(move |x, p| Ok(KalmanTrack::new(KalmanFilter::new(x, p)?, cv, sensor))),
    )
    .unwrap();
    let mut t = Tracker::new(
        Gating::<2>::from_probability(0.999).unwrap(),
        Gnn::new(GnnCost::Mahalanobis, 5.0).unwrap(),
        HistoryLogic::default(),
        init,
        ConstantVelocity::POSITION,
    )
    .unwrap();
    // scan 1: two candidates, no track
    let r = t
        .step(0.5, &[Vector2::new(0.0, 0.0), Vector2::new(50.0, 0.0)])
        .unwrap();
    assert!(r.initiated.is_empty());
    assert_eq!(t.initiator().candidates().len(), 2);
    // scan 2 (0.5 s later): one detection 4 m from the first candidate (8 m/s), one too far
    // from everything (50 + 10 m > 15 m/s x 0.5 s): one track, one new candidate
    let r = t
        .step(0.5, &[Vector2::new(60.0, 0.0), Vector2::new(4.0, 0.0)])
        .unwrap();
    assert_eq!(r.initiated, [TrackId(0)]);
    assert_eq!(t.initiator().candidates().len(), 1);
    let x: Vector4<f64> = t.tracks()[0].state();
    assert_eq!(x, Vector4::new(4.0, 8.0, 0.0, 0.0));
    // the initiating detection is listed as the track's association
    assert_eq!(t.tracks()[0].associations(), [(1, 1.0)]);
}
