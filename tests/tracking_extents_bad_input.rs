//! Extended-object tracking with bad boxes: a detection whose extent is invalid (a NaN or
//! infinite half extent or angle, a negative half extent) is still used as a point detection,
//! its box is ignored (the track keeps its smoothed extent), and the tracker keeps going; under
//! JPDA the weighted mean of the gated boxes skips the invalid one. Expected values are closed
//! form: with gain `a` and a hard assignment, `h <- h + a (h_meas - h)` (extended.rs).

use kestrel::estimation::KalmanFilter;
use kestrel::models::measurement::PositionMeasurement;
use kestrel::models::motion::ConstantVelocity;
use kestrel::tracking::{
    Associator, Extent, ExtentSmoother, Gating, Gnn, GnnCost, HistoryLogic, Jpda, KalmanTrack,
    SinglePointInitiator, StateLayout, Tracker,
};
use nalgebra::Vector2;

type Kf = KalmanTrack<4, ConstantVelocity, PositionMeasurement<4>>;
type KfInit = SinglePointInitiator<Kf, PositionMeasurement<4>, 4>;

fn tracker<A: Associator>(associator: A) -> Tracker<Kf, A, HistoryLogic, KfInit, 4, 2> {
    let cv = ConstantVelocity::new(0.1).unwrap();
    let sensor = PositionMeasurement::<4>::new(ConstantVelocity::POSITION, 0.3).unwrap();
    let layout =
        StateLayout::new(ConstantVelocity::POSITION, ConstantVelocity::VELOCITY, 0.0).unwrap();
    let init = SinglePointInitiator::new(
        sensor,
        layout,
        1.0,
        Box::new(move |x, p| Ok(KalmanTrack::new(KalmanFilter::new(x, p)?, cv, sensor))),
    )
    .unwrap();
    Tracker::new(
        Gating::<2>::from_probability(0.999).unwrap(),
        associator,
        HistoryLogic::default(),
        init,
        ConstantVelocity::POSITION,
    )
    .unwrap()
    .with_extent_smoothing(ExtentSmoother::new(0.5).unwrap())
}

fn extent(hx: f64, hy: f64, angle: f64) -> Extent {
    Extent {
        half_extents: Vector2::new(hx, hy),
        angle,
    }
}

fn check_bad_boxes<A: Associator>(mut t: Tracker<Kf, A, HistoryLogic, KfInit, 4, 2>) {
    let z = |k: f64| [Vector2::new(0.1 * k, 0.0)];
    // scan 1 starts the track with the measured box as its extent
    t.step_with_extents(1.0, &z(0.0), &[extent(2.0, 1.0, 0.0)])
        .unwrap();
    assert_eq!(t.tracks().len(), 1);
    assert_eq!(t.tracks()[0].extent(), Some(&extent(2.0, 1.0, 0.0)));
    let bad = [
        extent(f64::NAN, 1.0, 0.0),
        extent(2.0, f64::INFINITY, 0.0),
        extent(2.0, 1.0, f64::NAN),
        extent(-1.0, 1.0, 0.0),
    ];
    for (k, b) in bad.iter().enumerate() {
        let before = t.tracks()[0].state();
        let r = t.step_with_extents(1.0, &z(1.0 + k as f64), &[*b]).unwrap();
        // the detection is valid and updates the track; only its box is ignored
        assert!(r.rejected.is_empty(), "{:?}", r.rejected);
        assert_eq!(t.tracks().len(), 1);
        assert_ne!(t.tracks()[0].state(), before);
        assert_eq!(
            t.tracks()[0].extent(),
            Some(&extent(2.0, 1.0, 0.0)),
            "{b:?}"
        );
    }
    // a valid box moves the extent half way (gain 0.5, hard or certain association)
    t.step_with_extents(1.0, &z(5.0), &[extent(3.0, 2.0, 0.0)])
        .unwrap();
    let e = t.tracks()[0].extent().unwrap();
    assert!(
        (e.half_extents - Vector2::new(2.5, 1.5)).norm() < 0.05,
        "{e:?}"
    );
    assert!(t.tracks()[0].state().iter().all(|v| v.is_finite()));
}

#[test]
fn gnn_ignores_invalid_boxes_and_keeps_tracking() {
    check_bad_boxes(tracker(Gnn::new(GnnCost::Mahalanobis, 4.0).unwrap()));
}

#[test]
fn jpda_ignores_invalid_boxes_and_keeps_tracking() {
    // tiny clutter density: the one gated detection carries nearly all the weight
    check_bad_boxes(tracker(Jpda::new(0.99, 0.999, 1e-9).unwrap()));
}
