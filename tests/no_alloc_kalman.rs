//! Proves that fixed-size Kalman and extended Kalman predict/update steps never touch the heap:
//! a counting global allocator records every allocation made by this thread while a step runs.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;

use kestrel::estimation::{ExtendedKalmanFilter, KalmanFilter};
use kestrel::models::measurement::{PositionMeasurement, RangeBearing};
use kestrel::models::motion::{
    ConstantAcceleration, ConstantVelocity, CoordinatedTurn, LinearMotion,
};
use kestrel::models::numerical::NumericalJacobian;
use kestrel::models::{MeasurementJacobian, MeasurementModel, MotionModel};
use nalgebra::{Matrix4, SMatrix, SVector, Vector2, Vector4};

struct Counting;

thread_local! {
    static ACTIVE: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

fn note() {
    let _ = ACTIVE.try_with(|active| {
        if active.get() {
            COUNT.with(|c| c.set(c.get() + 1));
        }
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Number of heap allocations made by this thread while `f` runs.
fn allocations(f: impl FnOnce()) -> usize {
    COUNT.with(|c| c.set(0));
    ACTIVE.with(|a| a.set(true));
    f();
    ACTIVE.with(|a| a.set(false));
    COUNT.with(|c| c.get())
}

#[test]
fn the_counter_sees_allocations() {
    assert!(allocations(|| drop(black_box(vec![1.0f64; 16]))) >= 1);
    assert_eq!(
        allocations(|| {
            black_box([1.0f64; 16]);
        }),
        0
    );
}

#[test]
fn kalman_filter_steps_do_not_allocate() {
    let cv = ConstantVelocity::new(0.5).unwrap();
    let gps = PositionMeasurement::<4>::new(ConstantVelocity::POSITION, 1.0).unwrap();
    let mut kf = KalmanFilter::new(Vector4::zeros(), Matrix4::identity() * 10.0).unwrap();
    let (f, q) = (
        cv.transition_matrix(0.1),
        cv.process_noise(&Vector4::zeros(), 0.1),
    );
    let h = gps.jacobian(&Vector4::zeros());
    let r = gps.noise_covariance(&Vector4::zeros());
    let n = allocations(|| {
        for k in 0..1000 {
            let z = Vector2::new(k as f64 * 0.1, 1.0);
            kf.predict(&cv, 0.1).unwrap();
            black_box(kf.update(&gps, &z).unwrap());
            kf.predict_with(&f, &q).unwrap();
            black_box(kf.update_with(&z, &h, &r).unwrap());
            black_box(kf.innovation(&gps, &z).unwrap());
            // a rejected update (NaN measurement) does not allocate either
            assert!(kf.update(&gps, &Vector2::new(f64::NAN, 0.0)).is_err());
        }
    });
    assert_eq!(n, 0, "{n} heap allocations in 1000 KF steps");

    let ca = ConstantAcceleration::new(0.1).unwrap();
    let gps6 = PositionMeasurement::<6>::new(ConstantAcceleration::POSITION, 1.0).unwrap();
    let mut kf6 = KalmanFilter::new(SVector::<f64, 6>::zeros(), SMatrix::identity()).unwrap();
    let n = allocations(|| {
        for k in 0..1000 {
            kf6.predict(&ca, 0.1).unwrap();
            black_box(
                kf6.update(&gps6, &Vector2::new(k as f64, -(k as f64)))
                    .unwrap(),
            );
        }
    });
    assert_eq!(
        n, 0,
        "{n} heap allocations in 1000 constant-acceleration KF steps"
    );
}

#[test]
fn extended_kalman_filter_steps_do_not_allocate() {
    let ct = CoordinatedTurn::new(0.5, 1e-3).unwrap();
    let radar =
        RangeBearing::<5>::new(CoordinatedTurn::POSITION, Vector2::zeros(), 1.0, 0.01).unwrap();
    let x0 = SVector::<f64, 5>::from([100.0, 0.0, 0.0, 10.0, 0.05]);
    let mut truth = x0;
    let mut ekf = ExtendedKalmanFilter::new(x0, SMatrix::<f64, 5, 5>::identity()).unwrap();
    let (nct, nradar) = (NumericalJacobian(ct), NumericalJacobian(radar));
    let n = allocations(|| {
        for _ in 0..500 {
            truth = ct.transition(&truth, 0.5);
            let z = radar.measure(&truth);
            ekf.predict(&ct, 0.5).unwrap();
            black_box(ekf.update(&radar, &z).unwrap());
            ekf.predict(&nct, 0.0).unwrap();
            black_box(ekf.innovation(&nradar, &z).unwrap());
        }
    });
    assert_eq!(n, 0, "{n} heap allocations in 500 EKF steps");
}
