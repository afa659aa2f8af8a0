//! The estimation scenarios, run headless with their file's seed: the outcomes issue 2 promises.

use kestrel_sims::report::Report;
use kestrel_sims::runner::{self, RunContext};
use std::path::PathBuf;

fn scenario(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/estimation")
        .join(format!("{name}.toml"))
}

fn run(name: &str) -> Report {
    let loaded = runner::load(&scenario(name)).expect("scenario loads");
    loaded
        .scenario
        .run(&RunContext::headless(loaded.header.seed))
        .expect("scenario runs")
}

fn metric(r: &Report, alg: &str, name: &str) -> f64 {
    r.get(alg, name)
        .unwrap_or_else(|| panic!("missing metric {alg}/{name} in {:?}", r.metrics))
}

#[test]
fn pendulum_small_swing_all_filters_track_large_swing_linear_kf_fails() {
    let r = run("pendulum");
    // measurement noise is 0.05 rad: a tracking filter does better than the raw measurements
    for f in ["kf", "ekf", "ukf", "pf"] {
        let rmse = metric(&r, &format!("small/{f}"), "rmse_angle_rad");
        let nees = metric(&r, &format!("small/{f}"), "mean_nees");
        assert!(rmse < 0.035, "small/{f}: rmse {rmse}");
        // 2-dof NEES: consistent filters average about 2
        assert!((1.2..3.0).contains(&nees), "small/{f}: mean NEES {nees}");
    }
    for f in ["ekf", "ukf", "pf"] {
        let rmse = metric(&r, &format!("large/{f}"), "rmse_angle_rad");
        let nees = metric(&r, &format!("large/{f}"), "mean_nees");
        assert!(rmse < 0.035, "large/{f}: rmse {rmse}");
        assert!((1.2..3.0).contains(&nees), "large/{f}: mean NEES {nees}");
    }
    let kf_rmse = metric(&r, "large/kf", "rmse_angle_rad");
    let ekf_rmse = metric(&r, "large/ekf", "rmse_angle_rad");
    assert!(
        kf_rmse > 10.0 * ekf_rmse,
        "linear KF {kf_rmse} vs EKF {ekf_rmse}"
    );
    assert!(metric(&r, "large/kf", "mean_nees") > 100.0);
}

#[test]
fn maneuvering_target_imm_beats_single_models_through_the_turn() {
    let r = run("maneuvering_target");
    let imm_turn = metric(&r, "imm", "rmse_position_turn_m");
    for ekf in ["ekf_cv_q0.1", "ekf_cv_q20"] {
        let turn = metric(&r, ekf, "rmse_position_turn_m");
        let all = metric(&r, ekf, "rmse_position_m");
        assert!(imm_turn < turn, "{ekf}: turn rmse {turn} vs IMM {imm_turn}");
        assert!(
            metric(&r, "imm", "rmse_position_m") < all,
            "{ekf}: overall {all}"
        );
    }
    // the quiet single model lags badly in the turn; the IMM does not
    assert!(imm_turn < 0.2 * metric(&r, "ekf_cv_q0.1", "rmse_position_turn_m"));
    assert!(metric(&r, "imm", "mean_ct_probability_turn") > 0.6);
    assert!(metric(&r, "imm", "mean_ct_probability_straight") < 0.4);
}

#[test]
fn localization_converges_and_the_kld_count_shrinks() {
    let r = run("localization");
    assert_eq!(metric(&r, "pf", "converged"), 1.0);
    assert!(metric(&r, "pf", "final_position_error_m") < 0.5);
    assert!(metric(&r, "pf", "rmse_position_second_half_m") < 0.5);
    assert_eq!(metric(&r, "pf", "failed_updates"), 0.0);
    let first = metric(&r, "pf", "particles_first_step");
    let later = metric(&r, "pf", "mean_particles_second_half");
    assert!(first >= 50_000.0 && later < 1_000.0, "{first} -> {later}");
}

#[test]
fn same_scenario_and_seed_give_bit_identical_metrics() {
    let loaded = runner::load(&scenario("pendulum")).unwrap();
    let a = loaded.scenario.run(&RunContext::headless(7)).unwrap();
    let b = loaded.scenario.run(&RunContext::headless(7)).unwrap();
    let c = loaded.scenario.run(&RunContext::headless(8)).unwrap();
    assert_eq!(a.metrics, b.metrics);
    assert_ne!(a.metrics, c.metrics);
}

#[test]
fn monte_carlo_batch_is_deterministic_and_run_zero_is_the_base_seed() {
    use kestrel_sims::monte_carlo::run_batch;
    let loaded = runner::load(&scenario("maneuvering_target")).unwrap();
    let single = loaded.scenario.run(&RunContext::headless(3)).unwrap();
    let disabled = rerun::RecordingStream::disabled;
    let a = run_batch(loaded.scenario.as_ref(), 3, 4, disabled(), false).unwrap();
    let b = run_batch(loaded.scenario.as_ref(), 3, 4, disabled(), false).unwrap();
    assert_eq!(a.seeds, b.seeds);
    assert_eq!(a.seeds[0], 3);
    assert_eq!(a.reports[0].metrics, single.metrics);
    for (x, y) in a.reports.iter().zip(&b.reports) {
        assert_eq!(x.metrics, y.metrics);
    }
    let s = &a.summary["imm"]["rmse_position_m"];
    let values: Vec<f64> = a
        .reports
        .iter()
        .map(|r| r.get("imm", "rmse_position_m").unwrap())
        .collect();
    assert_eq!(s.values, values);
    let mean = values.iter().sum::<f64>() / 4.0;
    assert!((s.mean - mean).abs() < 1e-12);
}
