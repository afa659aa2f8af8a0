//! The truck backer-upper: the committed controller docks from at least 95.4 % of 500 random
//! starts of the evaluation region (fixed seed; the issue asks for 95 %: the failures are
//! listed by category, and the docking search tells the avoidable ones from the starts that
//! cannot dock; with the start lookahead through the emulator it docks 95.6 %) and from at
//! least 92.8 % of 1000 other starts (93.4 % with the lookahead), the lookahead distillation
//! is reproducible, the committed emulator is accurate on held-out rollouts of the
//! true kinematics and predicts the controller's closed-loop outcomes, a short training run lowers the loss and is reproducible, the warm start's
//! searches and fit are reproducible, the square-up and docking searches tell trapped rigs from
//! free ones, and bad weights files are reported with their path.

use std::path::{Path, PathBuf};

use kestrel::learning::StartDistribution;
use kestrel::learning::{BpttConfig, LearningError, PolicyTrainer};
use kestrel_sims::runner::{load, RunContext};
use kestrel_sims::train::truck::{
    emulator_accuracy, failed_starts, lessons, new_controller, run_controller,
    run_controller_in_emulator, train_emulator, warm_start, TrainConfig,
};
use kestrel_sims::train::truck_models::{
    default_weights_dir, objective, TruckController, TruckEmulator, CONTROLLER_FILE, EMULATOR_FILE,
};
use kestrel_sims::worlds::truck::{
    random_rollouts, DockingPlan, Outcome, SquareUp, StartRegion, TruckWorld,
};
use nalgebra::Vector4;
use rand::rngs::StdRng;
use rand::SeedableRng;
use rayon::prelude::*;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn committed_controller_docks_from_95_percent_of_500_starts() {
    let loaded = load(&repo().join("scenarios/learning/truck_backer_upper.toml")).unwrap();
    let report = loaded
        .scenario
        .run(&RunContext::headless(loaded.header.seed))
        .unwrap();
    let m = |alg: &str, name: &str| {
        report
            .get(alg, name)
            .unwrap_or_else(|| panic!("{alg}/{name}"))
    };
    let alg = "learned/evaluation_region";
    assert_eq!(m(alg, "episodes"), 500.0);
    let success = m(alg, "success_rate");
    // achieved by the committed weights: 95.4 % (477 of 500; the goal is 95 %). Before the
    // lookahead distillation the curriculum's controller docked 93.6 % (468).
    assert!(
        success >= 0.954,
        "success {success}: {:?}",
        report.metrics[alg]
    );
    // some starts cannot dock at all (the trailer cannot turn square before a side wall);
    // on the others the rate is at least as high
    let trapped = m(alg, "starts_cannot_square_up");
    assert!((1.0..=25.0).contains(&trapped), "{trapped}");
    let free = "learned/evaluation_region_can_square_up";
    assert_eq!(m(free, "episodes"), 500.0 - trapped);
    assert!(m(free, "success_rate") >= success);
    // every episode has exactly one outcome
    for a in [
        "learned/evaluation_region",
        "learned/evaluation_region_can_square_up",
        "learned/course_distribution",
        "mpc_true_kinematics/evaluation_region",
        "mpc_learned_emulator/evaluation_region",
    ] {
        let total: f64 = [
            "docked",
            "jackknifed",
            "left_arena",
            "missed_dock",
            "timed_out",
        ]
        .iter()
        .map(|k| m(a, k))
        .sum();
        assert_eq!(total, m(a, "episodes"), "{a}");
    }
    assert_eq!(m(alg, "docked"), (success * 500.0).round());
    // the docking search from every failed start: each failure is avoidable (the search
    // docks), impossible (exhausted) or undecided; the starts that cannot square up are never
    // docked by it; learned or search dock well above the goal, so the 95 % asked is reachable
    let search = "search_from_learned_failures";
    assert_eq!(m(search, "episodes"), 500.0 - m(alg, "docked"));
    assert_eq!(
        m(search, "docked") + m(search, "exhausted") + m(search, "out_of_budget"),
        m(search, "episodes")
    );
    assert!(m(search, "exhausted") + m(search, "out_of_budget") >= trapped);
    assert!(m(search, "learned_or_search_success_rate") >= 0.95);
    // the start lookahead through the emulator: measured 478 of 500 (95.6 %), 1 start nudged
    // and rescued, none lost (on the curriculum's controller before the distillation: 10
    // nudged, 10 rescued, 468 -> 478)
    let la = "learned_lookahead/evaluation_region";
    assert_eq!(m(la, "episodes"), 500.0);
    assert!(m(la, "success_rate") >= 0.956, "{:?}", report.metrics[la]);
    assert_eq!(
        m(la, "docked"),
        m(alg, "docked") + m("learned_lookahead", "rescued") - m("learned_lookahead", "lost")
    );
    assert!(m("learned_lookahead", "rescued") <= m("learned_lookahead", "nudged_starts"));
    assert_eq!(m("learned_lookahead", "lost"), 0.0);
    // docked episodes end on the dock: the mean errors at the wall are within the tolerances
    assert!(m(alg, "mean_position_error") < 0.5 && m(alg, "mean_angle_error_deg") < 10.0);
    // the same seed gives the same report
    let again = loaded
        .scenario
        .run(&RunContext::headless(loaded.header.seed))
        .unwrap();
    assert_eq!(report.metrics, again.metrics);
}

#[test]
fn committed_emulator_is_accurate_on_heldout_rollouts() {
    let emulator = TruckEmulator::load(&default_weights_dir().join(EMULATOR_FILE)).unwrap();
    let world = TruckWorld::course();
    // a seed the training never used
    let mut rng = StdRng::seed_from_u64(424242);
    let heldout = random_rollouts(&world, &StartRegion::Course, 200, 100, 0.05, &mut rng);
    let a = emulator_accuracy(&emulator, &heldout).unwrap();
    // one step moves the hitch by 0.1 and the angles by up to 0.1 rad
    for (k, rmse) in a.one_step_rmse.iter().enumerate() {
        assert!(*rmse < 2e-3, "state {k}: one-step RMSE {rmse}");
    }
    // after 50 open-loop steps (5 length units of travel) the hitch is within 0.1
    assert!(a.windows_50 > 100);
    assert!(a.mean_position_error_50 < 0.1, "{a:?}");
    assert!(a.mean_trailer_angle_error_deg_50 < 2.0, "{a:?}");
}

/// The first `count` evaluation-region starts drawn with seed 99 (independent of the
/// scenario's), with the committed controller.
fn other_starts(count: usize) -> (TruckWorld, TruckController, Vec<Vector4<f64>>) {
    let controller = TruckController::load(&default_weights_dir().join(CONTROLLER_FILE)).unwrap();
    let world = TruckWorld::course();
    let mut rng = StdRng::seed_from_u64(99);
    let region = StartRegion::evaluation();
    let starts = (0..count)
        .map(|_| region.sample(&world, &mut rng))
        .collect();
    (world, controller, starts)
}

/// 1000 of [`other_starts`] and the committed controller's episodes from them.
fn thousand_other_starts() -> (
    TruckWorld,
    Vec<Vector4<f64>>,
    Vec<kestrel_sims::worlds::truck::Episode>,
) {
    let (world, controller, starts) = other_starts(1000);
    let episodes = run_controller(&world, &controller, &starts, 1500, false).unwrap();
    (world, starts, episodes)
}

#[test]
fn committed_controller_docks_from_92_percent_of_1000_other_starts() {
    // The scenario's 500 starts are one sample; 1000 others give the rate with half the
    // sampling error. Measured: 928 docked, 69 left the arena, 1 missed the dock, 2
    // jack-knifed (before the lookahead distillation: 904 docked, 69 left, 27 missed; the
    // controller trained with the side-wall penalty from 9 instead of 9.5 docked 887).
    let (world, starts, episodes) = thousand_other_starts();
    let count = |o: Outcome| episodes.iter().filter(|e| e.outcome == o).count();
    let docked = count(Outcome::Docked);
    assert!(docked >= 928, "{docked} of 1000");
    assert!(count(Outcome::JackKnifed) <= 2);
    assert!(count(Outcome::MissedDock) <= 1);
    // 28 of these starts provably cannot dock: the trailer cannot turn square before a side
    // wall (so no controller docks more than 97.2 % of them)
    let trapped: Vec<usize> = (0..starts.len())
        .filter(|&i| world.can_square_up(&starts[i], 20_000) == SquareUp::Impossible)
        .collect();
    assert_eq!(trapped.len(), 28);
    assert!(trapped
        .iter()
        .all(|&i| episodes[i].outcome != Outcome::Docked));
}

#[test]
fn start_lookahead_through_the_emulator_rescues_failures_of_1000_other_starts() {
    // Measured: 934 of the 1000 dock with the lookahead (928 without; for the curriculum's
    // controller before the distillation 928 and 904); it nudges only starts
    // the emulator predicts the controller fails from, so no dock is lost.
    use kestrel_sims::train::truck_lookahead::{nudges, run_with_lookahead, Nudge};
    let (world, controller, starts) = other_starts(1000);
    let emulator = TruckEmulator::load(&default_weights_dir().join(EMULATOR_FILE)).unwrap();
    let plain = run_controller(&world, &controller, &starts, 1500, false).unwrap();
    let (nudged, chosen) = run_with_lookahead(
        &world,
        &controller,
        &emulator,
        &starts,
        1500,
        &nudges(),
        false,
    )
    .unwrap();
    let docked = |e: &kestrel_sims::worlds::truck::Episode| e.outcome == Outcome::Docked;
    let count = nudged.iter().filter(|e| docked(e)).count();
    assert!(count >= 934, "{count} of 1000");
    for i in 0..starts.len() {
        if chosen[i] == Nudge::None {
            // unchanged steering, unchanged episode
            assert_eq!(nudged[i].outcome, plain[i].outcome);
            assert_eq!(nudged[i].steps, plain[i].steps);
        }
        assert!(!docked(&plain[i]) || docked(&nudged[i]), "start {i} lost");
    }
}

#[test]
fn lookahead_distillation_fits_the_nudged_closed_loops_reproducibly() {
    use kestrel::learning::FitConfig;
    use kestrel_sims::train::truck_lookahead::{choose_nudges, distill_lookahead, nudges, Nudge};
    let (world, controller, starts) = other_starts(400);
    let emulator = TruckEmulator::load(&default_weights_dir().join(EMULATOR_FILE)).unwrap();
    let chosen = choose_nudges(&world, &controller, &emulator, &starts, 1500, &nudges()).unwrap();
    let nudged = chosen.iter().filter(|n| **n != Nudge::None).count();
    let fit = FitConfig {
        iterations: 100,
        batch_size: 256,
        learning_rate: 1e-3,
    };
    let run = || {
        let mut policy = controller.clone();
        let mut rng = StdRng::seed_from_u64(3);
        let round = distill_lookahead(
            &world,
            &mut policy,
            &emulator,
            &starts,
            &nudges(),
            1500,
            (5, 4),
            &fit,
            &mut rng,
        )
        .unwrap();
        let probe = policy
            .act_batch(&[Vector4::new(12.0, 3.0, -0.3, 0.1)])
            .unwrap();
        (round, probe)
    };
    let (round, probe) = run();
    assert_eq!(round.starts, 400);
    // the emulator's docks: unchanged ones plus the nudges the lookahead chose (the same
    // choice as choose_nudges makes on its own)
    assert_eq!(round.docked_nudged, nudged);
    assert!(round.docked_unchanged + round.docked_nudged <= 400);
    assert!(round.docked_unchanged > 300, "{round:?}");
    assert!(round.pairs > round.docked_unchanged * 10, "{round:?}");
    assert!(
        round.fit_loss.is_finite() && round.fit_loss < 0.05,
        "{round:?}"
    );
    let (round2, probe2) = run();
    assert_eq!(round.pairs, round2.pairs);
    assert_eq!(round.fit_loss, round2.fit_loss);
    assert_eq!(probe, probe2);
}

#[test]
#[ignore = "about 40 s on 2 cores: a docking search from each of the ~100 failed starts"]
fn about_4_percent_of_the_region_cannot_dock() {
    // The docking search (budget 1e6 expansions) from every start the committed controller
    // fails among the 1000: the searches it exhausts are starts no sequence of its motion
    // primitives docks from. Measured: 72 failures, 42 exhausted, 30 docked (before the
    // lookahead distillation: 96 failures, 42 exhausted, 54 docked): at most 95.8 % of these
    // starts can dock, and the controller docks 96.9 % of the dockable ones.
    let (world, starts, episodes) = thousand_other_starts();
    let plans: Vec<DockingPlan> = failed_starts(&starts, &episodes)
        .par_iter()
        .map(|s| world.plan_docking(s, 1_000_000))
        .collect();
    let count = |f: fn(&DockingPlan) -> bool| plans.iter().filter(|p| f(p)).count();
    let found = count(|p| matches!(p, DockingPlan::Found(_)));
    let exhausted = count(|p| matches!(p, DockingPlan::Exhausted { .. }));
    assert!(exhausted >= 35, "exhausted {exhausted}, found {found}");
}

#[test]
fn committed_emulator_predicts_the_controllers_real_outcomes() {
    // The controller was trained through the emulator only; in closed loop the emulator and
    // the true kinematics must agree on how its episodes end (docked, missed, left the
    // arena...), or the training optimised the wrong thing. Measured: 400 of 400 agree (399
    // for the curriculum's controller before the lookahead distillation).
    let emulator = TruckEmulator::load(&default_weights_dir().join(EMULATOR_FILE)).unwrap();
    let (world, controller, starts) = other_starts(400);
    let truth = run_controller(&world, &controller, &starts, 1500, false).unwrap();
    let emulated =
        run_controller_in_emulator(&world, &controller, &emulator, &starts, 1500).unwrap();
    let agree = truth
        .iter()
        .zip(&emulated)
        .filter(|(t, e)| t.outcome == e.outcome)
        .count();
    assert!(agree >= 392, "{agree} of 400 agree");
    // and the failures are real ones, not timeouts of the emulated loop
    assert!(emulated.iter().all(|e| e.outcome != Outcome::TimedOut));
}

#[test]
fn short_training_lowers_the_loss_and_is_reproducible() {
    let config = TrainConfig {
        data_episodes: 300,
        emulator_iterations: 600,
        lessons: 12,
        lesson_iterations: 40,
        batch_size: 16,
        // plain lesson starts (no mined hard starts, no warm start): the loss of BPTT alone
        hard_fraction: 0.0,
        demo_starts: 0,
        ..Default::default()
    };
    let world = TruckWorld::course();
    let (emulator, accuracy) = train_emulator(&world, &config, |_, _| {}).unwrap();
    assert!(accuracy.train_loss < 0.05, "{accuracy:?}");
    let run = || {
        let mut policy = new_controller(&config, &world).unwrap();
        let mut trainer = PolicyTrainer::new(
            &policy,
            BpttConfig {
                learning_rate: 3e-3,
                clip_norm: 1.0,
                ..Default::default()
            },
        )
        .unwrap();
        let objective = objective(world.truck.trailer_length(), &config).unwrap();
        let first = &lessons(&world, &config, &Default::default())[0];
        let mut rng = StdRng::seed_from_u64(5);
        let mut losses = Vec::new();
        for _ in 0..first.iterations {
            let starts: Vec<Vector4<f64>> = (0..first.batch_size)
                .map(|_| first.starts.sample(&mut rng))
                .collect();
            losses.push(
                trainer
                    .step(&mut policy, &emulator, &objective, &starts, first.max_steps)
                    .unwrap()
                    .loss,
            );
        }
        (
            losses,
            policy
                .act_batch(&[Vector4::new(8.0, 1.0, 0.2, 0.1)])
                .unwrap(),
        )
    };
    let (losses, action) = run();
    let head: f64 = losses[..8].iter().sum::<f64>() / 8.0;
    let tail: f64 = losses[losses.len() - 8..].iter().sum::<f64>() / 8.0;
    assert!(tail < 0.5 * head, "loss {head} -> {tail}");
    // same seeds, same weights
    let (losses2, action2) = run();
    assert_eq!(losses, losses2);
    assert_eq!(action, action2);
}

#[test]
fn bad_weights_are_reported_with_their_file() {
    let dir = std::env::temp_dir().join(format!("kestrel-truck-weights-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let scenario = dir.join("truck.toml");
    let text = format!(
        "[scenario]\nkind = \"truck_backer_upper\"\ndescription = \"bad weights\"\nseed = 1\n\n\
         [controller]\nweights = {:?}\nepisodes = 10\ncourse_episodes = 0\n\n\
         [mpc]\nepisodes = 0\nemulator_episodes = 0\nhorizon = 10\n",
        dir.display().to_string()
    );
    std::fs::write(&scenario, text).unwrap();
    let run = || {
        let loaded = load(&scenario).unwrap();
        let e = loaded.scenario.run(&RunContext::headless(1)).err().unwrap();
        format!("{e:#}")
    };
    // missing
    let msg = run();
    assert!(msg.contains("controller.safetensors"), "{msg}");
    // corrupt
    std::fs::write(
        dir.join(CONTROLLER_FILE),
        b"\x10\x00\x00\x00\x00\x00\x00\x00{garbage",
    )
    .unwrap();
    let msg = run();
    assert!(
        msg.contains("not a valid safetensors file") && msg.contains("controller.safetensors"),
        "{msg}"
    );
    // the emulator's file where the controller's should be: another model
    std::fs::copy(
        default_weights_dir().join(EMULATOR_FILE),
        dir.join(CONTROLLER_FILE),
    )
    .unwrap();
    let msg = run();
    assert!(
        msg.contains("kestrel.mlp_dynamics") && msg.contains("controller.safetensors"),
        "{msg}"
    );
    std::fs::remove_dir_all(&dir).ok();

    // a non-finite state is a typed error, not a NaN steering angle
    let controller = TruckController::load(&default_weights_dir().join(CONTROLLER_FILE)).unwrap();
    assert!(matches!(
        controller.act(&Vector4::new(10.0, f64::NAN, 0.0, 0.0)),
        Err(LearningError::NonFinite { .. })
    ));
}

#[test]
fn square_up_search_separates_trapped_rigs_from_free_ones() {
    let world = TruckWorld::course();
    // already square to the wall, in the middle
    assert_eq!(
        world.can_square_up(&Vector4::new(20.0, 0.0, 0.0, 0.0), 200_000),
        SquareUp::Possible
    );
    // broadside to the wall in the middle of the arena: room to turn (the rear backs towards
    // +y with 10 units of room)
    let half_pi = std::f64::consts::FRAC_PI_2;
    assert_eq!(
        world.can_square_up(&Vector4::new(20.0, -4.0, -half_pi, -half_pi), 200_000),
        SquareUp::Possible
    );
    // the same rig with its rear 0.3 from the side wall, backing straight at it: whatever the
    // steering, the rear reaches the wall before the trailer turns by 80 degrees
    assert_eq!(
        world.can_square_up(&Vector4::new(20.0, 5.7, -half_pi, -half_pi), 200_000),
        SquareUp::Impossible
    );
    // jack-knifed or outside: impossible at once
    assert_eq!(
        world.can_square_up(&Vector4::new(20.0, 0.0, 2.0, 0.0), 200_000),
        SquareUp::Impossible
    );
}

#[test]
fn docking_search_finds_manoeuvres_that_replay_to_the_dock() {
    let world = TruckWorld::course();
    let replay = |start: Vector4<f64>, steering: &[f64]| {
        let mut x = start;
        for (k, phi) in steering.iter().enumerate() {
            x = world.step(&x, *phi);
            if let Some(o) = world.outcome(&x) {
                assert_eq!(k + 1, steering.len(), "ended early: {o:?}");
                return o;
            }
        }
        panic!("the plan does not end");
    };
    // aligned in front of the dock: about a straight run (rear 16 from the wall: 160 steps)
    let start = Vector4::new(20.0, 0.0, 0.0, 0.0);
    let DockingPlan::Found(plan) = world.plan_docking(&start, 100_000) else {
        panic!("no plan from an aligned start")
    };
    assert!((155..=175).contains(&plan.len()), "{}", plan.len());
    assert_eq!(replay(start, &plan), Outcome::Docked);
    // a start the learned controller leaves the arena from (the cab front swings over the side
    // wall as it turns for the dock): the search backs along the wall first
    let start = Vector4::new(27.4, -6.9, 0.016, 0.365);
    let DockingPlan::Found(plan) = world.plan_docking(&start, 2_000_000) else {
        panic!("no plan from a hard start")
    };
    assert_eq!(replay(start, &plan), Outcome::Docked);
    // backing straight at a side wall from 0.3 away: every branch ends at once
    let half_pi = std::f64::consts::FRAC_PI_2;
    assert!(matches!(
        world.plan_docking(&Vector4::new(20.0, 5.7, -half_pi, -half_pi), 100_000),
        DockingPlan::Exhausted { .. }
    ));
}

#[test]
fn warm_start_clones_searched_manoeuvres_reproducibly() {
    let world = TruckWorld::course();
    let config = TrainConfig {
        demo_starts: 6,
        demo_budget: 300_000,
        demo_iterations: 200,
        ..Default::default()
    };
    // near the dock, nearly aligned: every search docks
    let region = StartRegion::Facing {
        x_min: 10.0,
        x_max: 14.0,
        y_max: 2.0,
        facing_max: 0.3,
        hitch_max: 0.2,
    };
    let run = || {
        let mut policy = new_controller(&config, &world).unwrap();
        let w = warm_start(&world, &region, &config, &mut policy).unwrap();
        let u = policy
            .act_batch(&[Vector4::new(12.0, 1.0, 0.1, 0.05)])
            .unwrap();
        (w, u)
    };
    let (w, u) = run();
    assert_eq!(w.found, 6);
    // a straight run from x in [10, 14] is 60-100 steps; every step is a pair
    assert!((6 * 55..=6 * 200).contains(&w.pairs), "{}", w.pairs);
    // every 8th state is a waypoint, with the steps left counting down to the dock
    assert!(w.waypoints.len() * 8 >= w.pairs && w.waypoints.len() * 8 < w.pairs + 8 * 6);
    assert!(w.waypoints.iter().all(|(_, left)| *left >= 1));
    assert!(w.loss.is_finite() && w.loss >= 0.0);
    // the parallel searches and the fit give the same controller again
    let (w2, u2) = run();
    assert_eq!((w.pairs, w.loss), (w2.pairs, w2.loss));
    assert_eq!(u, u2);
}
