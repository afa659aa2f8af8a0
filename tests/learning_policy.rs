//! Policy training by back-propagation through time: the loss falls and the trained policy
//! controls the exact system; the batched objective equals its closed form; behaviour cloning
//! fits a demonstrated feedback law; weights files and bad input.

use kestrel::learning::{
    train_curriculum, BpttConfig, BpttStep, CurriculumObserver, EpisodeObjective, FitConfig,
    LearningError, Lesson, MlpDynamics, MlpPolicy, PeriodicFeatures, PolicyTrainer, Transitions,
};
use nalgebra::{SMatrix, Vector1, Vector2, Vector3};
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};

/// The double integrator `p' = p + 0.1 v, v' = v + 0.1 u` (exact, closed form).
fn exact(x: &Vector2<f64>, u: f64) -> Vector2<f64> {
    Vector2::new(x[0] + 0.1 * x[1], x[1] + 0.1 * u)
}

fn identity() -> PeriodicFeatures<2, 2> {
    PeriodicFeatures::new(SMatrix::identity(), Vector2::zeros(), [false, false]).unwrap()
}

fn emulator() -> MlpDynamics<2, 1, 2, 16> {
    let mut rng = StdRng::seed_from_u64(4);
    let mut data = Transitions::default();
    for _ in 0..4000 {
        let x = Vector2::new(rng.random_range(-3.0..3.0), rng.random_range(-3.0..3.0));
        let u = rng.random_range(-1.0..1.0);
        data.push(x, Vector1::new(u), exact(&x, u));
    }
    let mut e = MlpDynamics::new(identity(), 2).unwrap();
    let config = FitConfig {
        iterations: 1500,
        batch_size: 128,
        learning_rate: 5e-3,
    };
    e.fit(&data, &config, &mut rng, |_, _| {}).unwrap();
    e
}

fn objective() -> EpisodeObjective<2, 2> {
    EpisodeObjective::new(identity())
        .terminal(Vector2::new(1.0, 0.0), 0.0, 1.0)
        .unwrap()
        .terminal(Vector2::new(0.0, 1.0), 0.0, 1.0)
        .unwrap()
}

/// Final |p| + |v| after `steps` steps of the exact system under `policy`.
fn closed_loop(policy: &MlpPolicy<2, 1, 2, 16>, x0: Vector2<f64>, steps: usize) -> f64 {
    let mut x = x0;
    for _ in 0..steps {
        x = exact(&x, policy.act(&x).unwrap()[0]);
    }
    x.norm()
}

struct Log(Vec<f64>, usize);
impl CurriculumObserver<2, 1, 2, 16> for Log {
    fn step(&mut self, _lesson: usize, _iteration: usize, step: &BpttStep) {
        self.0.push(step.loss);
        assert!(step.gradient_norm.is_finite());
    }
    fn lesson_end(
        &mut self,
        _lesson: usize,
        _policy: &MlpPolicy<2, 1, 2, 16>,
    ) -> Result<(), LearningError> {
        self.1 += 1;
        Ok(())
    }
}

#[test]
fn bptt_loss_falls_and_the_policy_controls_the_exact_system() {
    let emulator = emulator();
    let mut policy = MlpPolicy::<2, 1, 2, 16>::new(identity(), Vector1::new(1.0), 9).unwrap();
    let starts = [
        Vector2::new(1.0, 0.0),
        Vector2::new(-0.8, 0.3),
        Vector2::new(0.5, -0.5),
    ];
    let before: f64 = starts.iter().map(|s| closed_loop(&policy, *s, 40)).sum();
    let mut trainer = PolicyTrainer::new(
        &policy,
        BpttConfig {
            learning_rate: 5e-3,
            clip_norm: 1.0,
            ..Default::default()
        },
    )
    .unwrap();
    // Two lessons: small offsets, then the whole box.
    let near = |rng: &mut dyn RngCore| Vector2::new(rng.random_range(-0.3..0.3), 0.0);
    let wide = |rng: &mut dyn RngCore| {
        Vector2::new(rng.random_range(-1.0..1.0), rng.random_range(-0.5..0.5))
    };
    type Sampler = Box<dyn Fn(&mut dyn RngCore) -> Vector2<f64>>;
    let lessons: Vec<Lesson<Sampler>> = vec![
        Lesson {
            name: "near".into(),
            starts: Box::new(near),
            iterations: 60,
            batch_size: 32,
            max_steps: 40,
            learning_rate: 5e-3,
        },
        Lesson {
            name: "wide".into(),
            starts: Box::new(wide),
            iterations: 150,
            batch_size: 32,
            max_steps: 40,
            learning_rate: 5e-3,
        },
    ];
    let mut log = Log(Vec::new(), 0);
    let mut rng = StdRng::seed_from_u64(12);
    let summary = train_curriculum(
        &lessons,
        &mut trainer,
        &mut policy,
        &emulator,
        &objective(),
        &mut rng,
        &mut log,
    )
    .unwrap();
    assert_eq!(log.1, 2);
    assert_eq!(log.0.len(), 210);
    assert_eq!(trainer.iterations(), 210);
    // the loss of the wide lesson falls several-fold over its run
    let first: f64 = log.0[60..70].iter().sum::<f64>() / 10.0;
    let last: f64 = log.0[200..].iter().sum::<f64>() / 10.0;
    assert!(last < 0.2 * first, "loss {first} -> {last}");
    assert!((summary[1] - last).abs() < 0.5 * last + 1e-9 || summary[1] < first);
    // in the exact system the trained policy brings every start much closer to rest
    let after: f64 = starts.iter().map(|s| closed_loop(&policy, *s, 40)).sum();
    assert!(after < 0.25 * before, "{before} -> {after}");
    // and its actions stay inside the limit
    for s in starts {
        assert!(policy.act(&(s * 50.0)).unwrap()[0].abs() <= 1.0);
    }
}

#[test]
fn batched_objective_equals_its_closed_form() {
    // features [x, cos th, sin th] of the state [x, th]; a hinge keeping cos th >= 0.8
    let a = SMatrix::<f64, 3, 2>::new(1.0, 0.0, 0.0, 1.0, 0.0, 1.0);
    let b = Vector3::new(0.0, std::f64::consts::FRAC_PI_2, 0.0);
    let g = PeriodicFeatures::new(a, b, [false, true, true]).unwrap();
    let base = EpisodeObjective::new(g.clone())
        .terminal(Vector3::new(1.0, 0.0, 0.0), 0.5, 2.0)
        .unwrap()
        .terminal(Vector3::new(0.0, 1.0, 0.0), 1.0, 3.0)
        .unwrap()
        .stage_hinge(Vector3::new(0.0, 1.0, 0.0), 0.8, 5.0)
        .unwrap();
    let starts: [Vector2<f64>; 3] = [
        Vector2::new(2.0, 0.9),
        Vector2::new(-1.0, -0.2),
        Vector2::new(0.3, 2.5),
    ];
    // closed form: 2 (x - 0.5)^2 + 3 (cos th - 1)^2 and 5 max(0, 0.8 - cos th)^2
    let terminal: f64 = starts
        .iter()
        .map(|s| 2.0 * (s[0] - 0.5).powi(2) + 3.0 * (s[1].cos() - 1.0).powi(2))
        .sum::<f64>()
        / 3.0;
    let stage: f64 = starts
        .iter()
        .map(|s| 5.0 * (0.8 - s[1].cos()).max(0.0).powi(2))
        .sum::<f64>()
        / 3.0;
    for s in &starts {
        let t = 2.0 * (s[0] - 0.5).powi(2) + 3.0 * (s[1].cos() - 1.0).powi(2);
        assert!((base.terminal_loss(s) - t).abs() < 1e-12);
    }
    let mut data = Transitions::default();
    data.push(Vector2::zeros(), Vector1::zeros(), Vector2::zeros());
    data.push(
        Vector2::new(1.0, 1.0),
        Vector1::new(1.0),
        Vector2::new(1.0, 1.0),
    );
    let mut emulator = MlpDynamics::<2, 1, 3, 4>::new(g.clone(), 1).unwrap();
    emulator
        .fit(
            &data,
            &FitConfig {
                iterations: 1,
                batch_size: 2,
                learning_rate: 1e-3,
            },
            &mut StdRng::seed_from_u64(1),
            |_, _| {},
        )
        .unwrap();
    let mut policy = MlpPolicy::<2, 1, 3, 4>::new(g, Vector1::new(1.0), 1).unwrap();
    let mut trainer = PolicyTrainer::new(&policy, BpttConfig::default()).unwrap();
    // Every start is already done: nothing is unrolled and the loss is the terminal loss.
    let done = base.clone().done_when(Vector3::zeros(), 0.0).unwrap();
    let s = trainer
        .step(&mut policy, &emulator, &done, &starts, 10)
        .unwrap();
    assert_eq!(s.unrolled_steps, 0);
    assert_eq!(s.done_fraction, 1.0);
    assert!(
        (s.terminal_loss - terminal).abs() < 1e-5 * terminal,
        "{} vs {terminal}",
        s.terminal_loss
    );
    assert_eq!(s.stage_loss, 0.0);
    // One step: the stage hinge is evaluated on the starts.
    let s = trainer
        .step(&mut policy, &emulator, &base, &starts, 1)
        .unwrap();
    assert_eq!(s.unrolled_steps, 1);
    assert!(
        (s.stage_loss - stage).abs() < 1e-5 * stage,
        "{} vs {stage}",
        s.stage_loss
    );
    assert!((s.loss - s.stage_loss - s.terminal_loss).abs() < 1e-5 * s.loss);
}

#[test]
fn policy_files_and_bad_input() {
    let policy = MlpPolicy::<2, 1, 2, 16>::new(identity(), Vector1::new(0.7), 3).unwrap();
    let dir = std::env::temp_dir().join(format!("kestrel-learning-policy-{}", std::process::id()));
    let path = dir.join("policy.safetensors");
    policy.save(&path).unwrap();
    let loaded = MlpPolicy::<2, 1, 2, 16>::load(&path).unwrap();
    let states = [Vector2::new(0.1, 0.2), Vector2::new(-3.0, 1.0)];
    assert_eq!(
        policy.act_batch(&states).unwrap(),
        loaded.act_batch(&states).unwrap()
    );
    assert_eq!(loaded.limit()[0], 0.7);
    // wrong kind of model, wrong sizes
    assert!(matches!(
        MlpDynamics::<2, 1, 2, 16>::load(&path),
        Err(LearningError::WrongModel { .. })
    ));
    assert!(matches!(
        MlpPolicy::<2, 1, 2, 8>::load(&path),
        Err(LearningError::WrongModel { .. })
    ));
    std::fs::remove_dir_all(&dir).ok();
    // non-finite states, bad limits, bad trainer settings
    assert!(matches!(
        policy.act(&Vector2::new(f64::NAN, 0.0)),
        Err(LearningError::NonFinite {
            what: "state",
            index: 0
        })
    ));
    assert!(matches!(
        MlpPolicy::<2, 1, 2, 16>::new(identity(), Vector1::new(0.0), 1),
        Err(LearningError::InvalidParameter { name: "limit", .. })
    ));
    assert!(PolicyTrainer::new(
        &policy,
        BpttConfig {
            learning_rate: -1.0,
            clip_norm: 1.0,
            ..Default::default()
        }
    )
    .is_err());
    assert!(PolicyTrainer::new(
        &policy,
        BpttConfig {
            learning_rate: 1e-3,
            clip_norm: f64::NAN,
            ..Default::default()
        }
    )
    .is_err());
}

#[test]
fn behaviour_cloning_fits_a_demonstrated_feedback_law() {
    // demonstrations of u* = 0.7 tanh(-(p + 1.5 v)), a stabilising law the network can represent
    let law = |x: &Vector2<f64>| 0.7 * (-(x[0] + 1.5 * x[1])).tanh();
    let mut rng = StdRng::seed_from_u64(8);
    let states: Vec<Vector2<f64>> = (0..3000)
        .map(|_| Vector2::new(rng.random_range(-3.0..3.0), rng.random_range(-3.0..3.0)))
        .collect();
    let actions: Vec<Vector1<f64>> = states.iter().map(|x| Vector1::new(law(x))).collect();
    let mut policy = MlpPolicy::<2, 1, 2, 16>::new(identity(), Vector1::new(0.7), 3).unwrap();
    let config = FitConfig {
        iterations: 1500,
        batch_size: 128,
        learning_rate: 5e-3,
    };
    let mut losses = Vec::new();
    let last = policy
        .fit_actions(&states, &actions, &config, &mut rng, |_, l| losses.push(l))
        .unwrap();
    assert_eq!(losses.len(), 1500);
    assert!(
        last < 1e-3 && last < losses[0] / 50.0,
        "{} -> {last}",
        losses[0]
    );
    // held-out states: the cloned law within 0.03 of the demonstrator's
    let mut worst: f64 = 0.0;
    for _ in 0..200 {
        let x = Vector2::new(rng.random_range(-2.5..2.5), rng.random_range(-2.5..2.5));
        worst = worst.max((policy.act(&x).unwrap()[0] - law(&x)).abs());
    }
    assert!(worst < 0.03, "{worst}");
    // and in closed loop it brings the exact system to rest as the demonstrator does
    assert!(closed_loop(&policy, Vector2::new(2.0, -1.0), 300) < 0.05);
    // bad demonstrations: unequal lengths, non-finite values
    assert!(matches!(
        policy.fit_actions(&states, &actions[..10], &config, &mut rng, |_, _| {}),
        Err(LearningError::LengthMismatch { .. })
    ));
    let mut bad = actions.clone();
    bad[5] = Vector1::new(f64::NAN);
    assert!(matches!(
        policy.fit_actions(&states, &bad, &config, &mut rng, |_, _| {}),
        Err(LearningError::NonFinite {
            what: "demonstration",
            index: 5
        })
    ));
}
