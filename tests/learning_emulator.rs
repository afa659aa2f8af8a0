//! The learned emulator against the closed-form truck-trailer kinematics: held-out accuracy,
//! the tape-derived vector-Jacobian product against finite differences and against the
//! analytic adjoint, MPC through the emulator, weights files and bad input.

use std::f64::consts::{FRAC_PI_2, FRAC_PI_4};

use kestrel::control::{Dynamics, MpcConfig, ShootingMpc, TrailerDocking, TruckTrailer};
use kestrel::learning::{FitConfig, LearningError, MlpDynamics, PeriodicFeatures, Transitions};
use nalgebra::{SMatrix, SVector, Vector1, Vector2, Vector4};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

type Emulator = MlpDynamics<4, 1, 6, 32>;

fn features() -> PeriodicFeatures<4, 6> {
    let a = SMatrix::<f64, 6, 4>::from_row_slice(&[
        0.0, 0.0, 1.0, 0.0, //
        0.0, 0.0, 1.0, 0.0, //
        0.0, 0.0, 0.0, 1.0, //
        0.0, 0.0, 0.0, 1.0, //
        0.0, 0.0, 1.0, -1.0, //
        0.0, 0.0, 1.0, -1.0,
    ]);
    let b = SVector::<f64, 6>::from_column_slice(&[0.0, FRAC_PI_2, 0.0, FRAC_PI_2, 0.0, FRAC_PI_2]);
    PeriodicFeatures::new(a, b, [true; 6]).unwrap()
}

/// Random states and steering with the exact next state from the closed-form kinematics.
fn data(n: usize, rng: &mut StdRng) -> Transitions<4, 1> {
    let truck = TruckTrailer::course();
    let mut d = Transitions::default();
    for _ in 0..n {
        let theta1 = rng.random_range(-std::f64::consts::PI..std::f64::consts::PI);
        let x = Vector4::new(
            rng.random_range(0.0..40.0),
            rng.random_range(-10.0..10.0),
            theta1 + rng.random_range(-1.6..1.6),
            theta1,
        );
        let u = Vector1::new(rng.random_range(-FRAC_PI_4..FRAC_PI_4));
        d.push(x, u, truck.step(&x, &u));
    }
    d
}

fn trained() -> Emulator {
    let mut rng = StdRng::seed_from_u64(11);
    let train = data(20_000, &mut rng);
    let mut emulator = Emulator::new(features(), 5).unwrap();
    let config = FitConfig {
        iterations: 2500,
        batch_size: 128,
        learning_rate: 3e-3,
    };
    let mut losses = Vec::new();
    emulator
        .fit(&train, &config, &mut rng, |_, l| losses.push(l))
        .unwrap();
    // the training loss falls by orders of magnitude
    let head: f64 = losses[..50].iter().sum::<f64>() / 50.0;
    let tail: f64 = losses[losses.len() - 50..].iter().sum::<f64>() / 50.0;
    assert!(tail < 1e-2 * head, "loss {head} -> {tail}");
    emulator
}

#[test]
fn emulator_accuracy_and_adjoint() {
    let emulator = trained();
    let truck = TruckTrailer::course();
    let mut rng = StdRng::seed_from_u64(99);
    let heldout = data(5000, &mut rng);
    let e = emulator.evaluate(&heldout).unwrap();
    // One step moves the hitch by 0.1 and the angles by up to 0.1 rad: the held-out errors are
    // a few percent of that at most.
    assert!(e.rmse[0] < 3e-3 && e.rmse[1] < 3e-3, "{e:?}");
    assert!(e.rmse[2] < 3e-3 && e.rmse[3] < 1e-3, "{e:?}");
    assert!(e.normalized_mse < 1e-2, "{e:?}");

    // 50 open-loop steps with a fixed steering stay close to the true kinematics
    let mut x = Vector4::new(20.0, 1.0, 0.3, 0.1);
    let mut truth = x;
    let u = Vector1::new(0.2);
    for _ in 0..50 {
        x = emulator.step(&x, &u);
        truth = truck.step(&truth, &u);
    }
    assert!((x.xy() - truth.xy()).norm() < 0.05, "{x} vs {truth}");
    assert!((x[3] - truth[3]).abs() < 0.02, "{x} vs {truth}");

    // The tape's vector-Jacobian product against central differences of `step` and against
    // the analytic adjoint of the kinematics it learned.
    for (x, u, l) in [
        (
            Vector4::new(12.0, -3.0, 0.4, 0.1),
            0.3,
            Vector4::new(1.0, -2.0, 0.5, 3.0),
        ),
        (
            Vector4::new(30.0, 5.0, 2.5, 2.9),
            -0.6,
            Vector4::new(-0.3, 0.7, 2.0, -1.0),
        ),
    ] {
        let u = Vector1::new(u);
        let (gx, gu) = emulator.vjp(&x, &u, &l);
        let h = 1e-2;
        for i in 0..4 {
            let mut e = Vector4::zeros();
            e[i] = h;
            let fd =
                l.dot(&(emulator.step(&(x + e), &u) - emulator.step(&(x - e), &u))) / (2.0 * h);
            assert!(
                (gx[i] - fd).abs() < 2e-3 * (1.0 + fd.abs()),
                "x[{i}]: {} vs {fd}",
                gx[i]
            );
        }
        let fd = l.dot(
            &(emulator.step(&x, &(u + Vector1::new(h)))
                - emulator.step(&x, &(u - Vector1::new(h)))),
        ) / (2.0 * h);
        assert!(
            (gu[0] - fd).abs() < 2e-3 * (1.0 + fd.abs()),
            "u: {} vs {fd}",
            gu[0]
        );
        // a learned model's derivatives are less accurate than its values: within 15 %
        let (ax, au) = truck.vjp(&x, &u, &l);
        assert!((gx - ax).norm() < 0.15 * ax.norm(), "{gx} vs {ax}");
        assert!((gu - au).norm() < 0.15 * au.norm(), "{gu} vs {au}");
    }

    // ShootingMpc plans through the learned emulator unchanged, and its plan's first steering
    // matches the plan through the true kinematics.
    let x0 = Vector4::new(8.0, 1.5, 0.2, 0.1);
    let cost = TrailerDocking::new(truck, Vector2::zeros(), 0.0, 1.0, 10.0).unwrap();
    let config = MpcConfig::new(30, Vector1::new(-FRAC_PI_4), Vector1::new(FRAC_PI_4));
    let mut learned = ShootingMpc::new(&emulator, config).unwrap();
    let mut exact = ShootingMpc::new(truck, config).unwrap();
    let a = learned.solve(&x0, &cost).unwrap().clone();
    let b = exact.solve(&x0, &cost).unwrap().clone();
    assert!(a.cost < a.initial_cost);
    assert!(
        (a.actions[0][0] - b.actions[0][0]).abs() < 0.05,
        "{} vs {}",
        a.actions[0][0],
        b.actions[0][0]
    );

    // Save, load: identical predictions.
    let dir =
        std::env::temp_dir().join(format!("kestrel-learning-emulator-{}", std::process::id()));
    let path = dir.join("emulator.safetensors");
    emulator.save(&path).unwrap();
    let loaded = Emulator::load(&path).unwrap();
    let s = heldout.states[..50].to_vec();
    assert_eq!(
        emulator.predict_batch(&s, &heldout.actions[..50]).unwrap(),
        loaded.predict_batch(&s, &heldout.actions[..50]).unwrap()
    );
    bad_files(&path, &dir);
    std::fs::remove_dir_all(&dir).ok();
}

/// Rewrites a safetensors file with `edit` applied to its JSON header.
fn edit_header(
    path: &std::path::Path,
    out: &std::path::Path,
    edit: impl Fn(&mut serde_json::Value),
) {
    let bytes = std::fs::read(path).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let mut header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    edit(&mut header);
    let mut text = serde_json::to_vec(&header).unwrap();
    while !text.len().is_multiple_of(8) {
        text.push(b' ');
    }
    let mut file = (text.len() as u64).to_le_bytes().to_vec();
    file.extend(text);
    file.extend(&bytes[8 + n..]);
    std::fs::write(out, file).unwrap();
}

fn bad_files(good: &std::path::Path, dir: &std::path::Path) {
    let missing = dir.join("nope.safetensors");
    match Emulator::load(&missing) {
        Err(LearningError::Io { path, .. }) => assert_eq!(path, missing),
        other => panic!("{:?}", other.err()),
    }
    let corrupt = dir.join("corrupt.safetensors");
    let bytes = std::fs::read(good).unwrap();
    std::fs::write(&corrupt, &bytes[..bytes.len() / 2]).unwrap();
    let e = Emulator::load(&corrupt).err().unwrap();
    assert!(matches!(e, LearningError::Corrupt { .. }), "{e}");
    assert!(e.to_string().contains("corrupt.safetensors"), "{e}");
    std::fs::write(&corrupt, b"not a weights file at all").unwrap();
    assert!(matches!(
        Emulator::load(&corrupt),
        Err(LearningError::Corrupt { .. })
    ));

    // Another network size: the metadata says so.
    let e = MlpDynamics::<4, 1, 6, 45>::load(good).err().unwrap();
    assert!(matches!(e, LearningError::WrongModel { .. }), "{e}");
    assert!(e.to_string().contains("H=32"), "{e}");

    // A tensor of the wrong shape (same byte count, transposed).
    let wrong = dir.join("wrong_shape.safetensors");
    edit_header(good, &wrong, |h| {
        let shape = &mut h["net.2.weight"]["shape"];
        *shape = serde_json::json!([32, 32]);
        h["net.0.0.0.weight"]["shape"] = serde_json::json!([6, 32]);
    });
    match Emulator::load(&wrong) {
        Err(LearningError::WrongShape(m)) => {
            assert_eq!(m.name, "net.0.0.0.weight");
            assert_eq!((m.expected, m.found), (vec![32, 6], vec![6, 32]));
        }
        other => panic!("{:?}", other.err()),
    }
    // A tensor missing.
    let gone = dir.join("missing_tensor.safetensors");
    edit_header(good, &gone, |h| {
        let v = h.as_object_mut().unwrap().remove("delta.std").unwrap();
        h.as_object_mut().unwrap().insert("delta.stx".into(), v);
    });
    match Emulator::load(&gone) {
        Err(LearningError::MissingTensor { name, .. }) => assert_eq!(name, "delta.std"),
        other => panic!("{:?}", other.err()),
    }
}

#[test]
fn bad_input_is_a_typed_error() {
    let emulator = Emulator::new(features(), 1).unwrap();
    let x = Vector4::new(1.0, f64::NAN, 0.0, 0.0);
    match emulator.predict_batch(&[Vector4::zeros(), x], &[Vector1::zeros(); 2]) {
        Err(LearningError::NonFinite { what, index }) => assert_eq!((what, index), ("state", 1)),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        emulator.predict_batch(&[Vector4::zeros()], &[Vector1::new(f64::INFINITY)]),
        Err(LearningError::NonFinite {
            what: "action",
            index: 0
        })
    ));
    assert!(matches!(
        emulator.predict_batch(&[Vector4::zeros(); 2], &[Vector1::zeros()]),
        Err(LearningError::LengthMismatch { .. })
    ));
    let mut d = Transitions::<4, 1>::default();
    d.push(Vector4::zeros(), Vector1::zeros(), Vector4::zeros());
    d.push(Vector4::zeros(), Vector1::new(f64::NAN), Vector4::zeros());
    let mut e = Emulator::new(features(), 1).unwrap();
    let mut rng = StdRng::seed_from_u64(1);
    assert!(matches!(
        e.fit(&d, &FitConfig::default(), &mut rng, |_, _| {}),
        Err(LearningError::NonFinite {
            what: "transition",
            index: 1
        })
    ));
    assert!(matches!(
        e.fit(
            &Transitions::default(),
            &FitConfig::default(),
            &mut rng,
            |_, _| {}
        ),
        Err(LearningError::LengthMismatch { .. })
    ));
    // a non-finite state through the Dynamics trait gives a non-finite prediction that the
    // MPC reports as divergence
    let truck = TruckTrailer::course();
    let cost = TrailerDocking::new(truck, Vector2::zeros(), 0.0, 1.0, 1.0).unwrap();
    let mut mpc =
        ShootingMpc::new(&e, MpcConfig::new(5, Vector1::new(-0.5), Vector1::new(0.5))).unwrap();
    assert!(mpc.solve(&x, &cost).is_err());
}
