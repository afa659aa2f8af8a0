//! Proves that the unscented Kalman filter's predict/update and the IMM's predict/update never
//! touch the heap once built: a counting global allocator tallies the allocations this thread
//! makes while the steps run.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;

use kestrel::estimation::{
    embed, Embedding, ImmEstimator, KalmanFilter, MixingFill, Mode, SigmaPoints,
    UnscentedKalmanFilter,
};
use kestrel::models::measurement::{PositionMeasurement, RangeBearing};
use kestrel::models::motion::{ConstantAcceleration, ConstantVelocity, CoordinatedTurn};
use kestrel::models::MeasurementModel;
use nalgebra::{DMatrix, Matrix2, Matrix3, SMatrix, SVector, Vector2, Vector3, Vector4};

struct CountingAllocator;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn record() {
    // try_with: the allocator may run while thread-locals are being torn down
    let _ = COUNTING.try_with(|on| {
        if on.get() {
            ALLOCATIONS.with(|n| n.set(n.get() + 1));
        }
    });
}

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record();
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Heap allocations made by this thread during `f`.
fn count(f: impl FnOnce()) -> u64 {
    ALLOCATIONS.with(|n| n.set(0));
    COUNTING.with(|on| on.set(true));
    f();
    COUNTING.with(|on| on.set(false));
    ALLOCATIONS.with(|n| n.get())
}

#[test]
fn the_counter_sees_allocations() {
    assert!(count(|| drop(black_box(vec![1u8; 64]))) >= 1);
    assert_eq!(
        count(|| {
            black_box([1u8; 64]);
        }),
        0
    );
}

#[test]
fn ukf_steps_do_not_allocate() {
    let cv = ConstantVelocity::new(0.5).unwrap();
    let gps = PositionMeasurement::<4>::new(ConstantVelocity::POSITION, 1.0).unwrap();
    let radar = RangeBearing::<4>::new([0, 2], Vector2::new(-50.0, 10.0), 0.5, 0.01).unwrap();
    let mut ukf = UnscentedKalmanFilter::new(
        Vector4::new(0.0, 1.0, 0.0, 1.0),
        SMatrix::<f64, 4, 4>::identity() * 4.0,
        SigmaPoints::merwe(0.3, 2.0, 0.0).unwrap(),
    )
    .unwrap();
    let n = count(|| {
        for k in 0..200 {
            let t = k as f64;
            ukf.predict(&cv, 1.0).unwrap();
            black_box(ukf.update(&gps, &Vector2::new(t, t)).unwrap());
            black_box(ukf.update(&radar, &Vector2::new(60.0 + t, 0.1)).unwrap());
            // rejected steps do not allocate either
            assert!(ukf.update(&gps, &Vector2::new(f64::NAN, 0.0)).is_err());
            assert!(ukf.predict(&cv, f64::NAN).is_err());
        }
    });
    assert_eq!(n, 0, "{n} allocations in 200 UKF steps");
}

/// A measurement larger than the state: the buffer grows once, or never after a reservation.
struct Triple;
impl MeasurementModel<2, 3> for Triple {
    fn measure(&self, x: &SVector<f64, 2>) -> Vector3<f64> {
        Vector3::new(x[0], x[1], x[0] + x[1])
    }
    fn noise_covariance(&self, _: &SVector<f64, 2>) -> Matrix3<f64> {
        Matrix3::identity()
    }
}

#[test]
fn larger_measurements_allocate_once_or_never_after_reserving() {
    let make = || {
        UnscentedKalmanFilter::new(
            Vector2::new(1.0, 2.0),
            Matrix2::identity(),
            SigmaPoints::julier(1.0).unwrap(),
        )
        .unwrap()
    };
    let z = Vector3::new(1.0, 2.0, 3.0);
    let mut lazy = make();
    assert_eq!(
        count(|| {
            black_box(lazy.update(&Triple, &z).unwrap());
        }),
        1
    );
    assert_eq!(
        count(|| {
            black_box(lazy.update(&Triple, &z).unwrap());
        }),
        0
    );
    let mut reserved = make();
    reserved.reserve_measurement_dim(3);
    assert_eq!(
        count(|| {
            black_box(reserved.update(&Triple, &z).unwrap());
        }),
        0
    );
}

#[test]
fn imm_steps_do_not_allocate() {
    let sigma = 2.0;
    let cv = Mode::new(
        KalmanFilter::new(SVector::<f64, 4>::zeros(), SMatrix::identity() * 10.0).unwrap(),
        ConstantVelocity::new(0.1).unwrap(),
        PositionMeasurement::<4>::new(ConstantVelocity::POSITION, sigma).unwrap(),
    );
    let ct = Mode::new(
        UnscentedKalmanFilter::new(
            SVector::<f64, 5>::zeros(),
            SMatrix::identity() * 10.0,
            SigmaPoints::merwe(0.5, 2.0, 0.0).unwrap(),
        )
        .unwrap(),
        CoordinatedTurn::new(0.1, 1e-3).unwrap(),
        PositionMeasurement::<5>::new(CoordinatedTurn::POSITION, sigma).unwrap(),
    );
    let ca = Mode::new(
        KalmanFilter::new(SVector::<f64, 6>::zeros(), SMatrix::identity() * 10.0).unwrap(),
        ConstantAcceleration::new(0.1).unwrap(),
        PositionMeasurement::<6>::new(ConstantAcceleration::POSITION, sigma).unwrap(),
    );
    let t = DMatrix::from_row_slice(3, 3, &[0.9, 0.05, 0.05, 0.05, 0.9, 0.05, 0.05, 0.05, 0.9]);
    let mut imm = ImmEstimator::<7, 2>::new(
        vec![
            embed(cv, Embedding::new([0, 1, 2, 3]).unwrap()),
            embed(ct, Embedding::new([0, 1, 2, 3, 4]).unwrap()),
            embed(ca, Embedding::new([0, 1, 5, 2, 3, 6]).unwrap()),
        ],
        &t,
        &[0.4, 0.3, 0.3],
    )
    .unwrap()
    .with_mixing_fill(MixingFill::TargetEstimate);
    let n = count(|| {
        for k in 0..200 {
            let t = k as f64;
            imm.predict(1.0).unwrap();
            black_box(
                imm.update(&Vector2::new(3.0 * t, (0.05 * t).sin() * 20.0))
                    .unwrap(),
            );
            black_box(imm.estimate());
            assert!(imm.update(&Vector2::new(f64::NAN, 0.0)).is_err());
        }
    });
    assert_eq!(n, 0, "{n} allocations in 200 IMM steps");
}
