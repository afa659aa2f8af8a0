//! Monte Carlo consistency of the linear Kalman filter (Bar-Shalom, Li and Kirubarajan 2001,
//! section 5.4): on a linear-Gaussian problem whose truth is drawn from the filter's own model,
//! the normalised estimation error squared (NEES) and the normalised innovation squared (NIS),
//! averaged over N runs at each step, must fall inside the two-sided 95 % chi-square intervals
//!
//! ```text
//! NEES: [chi2_{0.025}(N n), chi2_{0.975}(N n)] / N,   NIS: [chi2_{0.025}(N m), chi2_{0.975}(N m)] / N
//! ```
//!
//! The quantiles come from statrs and are cross-checked against scipy.stats.chi2.ppf
//! (tests/fixtures/estimation/kalman_chi2.json, written by tools/reference/filterpy_kalman.py).
//! A mistuned filter (process noise 20 times too small) must fail the same check.

use kestrel::estimation::KalmanFilter;
use kestrel::models::measurement::PositionMeasurement;
use kestrel::models::motion::{ConstantVelocity, LinearMotion};
use kestrel::models::{MeasurementModel, MotionModel};
use nalgebra::{Matrix4, SVector, Vector2, Vector4};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use statrs::distribution::{ChiSquared, ContinuousCDF};

const RUNS: usize = 200;
const STEPS: usize = 50;
const DT: f64 = 1.0;
const Q_TRUE: f64 = 0.5;
const SIGMA: f64 = 2.0;

fn chi2_ppf(p: f64, df: f64) -> f64 {
    ChiSquared::new(df).unwrap().inverse_cdf(p)
}

#[test]
fn statrs_chi_square_quantiles_agree_with_scipy() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/estimation/kalman_chi2.json"
    ))
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let rows = v["chi2_ppf"].as_array().unwrap();
    assert!(rows.len() >= 40);
    for row in rows {
        let (df, p, x) = (
            row["df"].as_f64().unwrap(),
            row["p"].as_f64().unwrap(),
            row["x"].as_f64().unwrap(),
        );
        let got = chi2_ppf(p, df);
        assert!(
            (got - x).abs() <= 1e-9 * x,
            "chi2.ppf({p}, {df}): statrs {got}, scipy {x}"
        );
    }
    // and the gate values quoted in the shared conventions
    assert!((chi2_ppf(0.95, 2.0) - 5.9915).abs() < 1e-4);
    assert!((chi2_ppf(0.99, 3.0) - 11.3449).abs() < 1e-4);
}

struct Averages {
    nees: Vec<f64>,
    nis: Vec<f64>,
}

/// Runs `RUNS` independent trials; the truth follows the CV model with `Q_TRUE`, the filter uses
/// `q_filter`. Returns the per-step averages of NEES (after the update) and NIS.
fn monte_carlo(q_filter: f64, seed: u64) -> Averages {
    let truth_model = ConstantVelocity::new(Q_TRUE).unwrap();
    let filter_model = ConstantVelocity::new(q_filter).unwrap();
    let gps = PositionMeasurement::<4>::new(ConstantVelocity::POSITION, SIGMA).unwrap();
    let f = truth_model.transition_matrix(DT);
    let q_chol = truth_model
        .process_noise(&Vector4::zeros(), DT)
        .cholesky()
        .unwrap()
        .l();
    let x0_mean = Vector4::new(0.0, 10.0, 0.0, 5.0);
    let p0 = Matrix4::from_diagonal(&Vector4::new(25.0, 4.0, 25.0, 4.0));
    let p0_chol = p0.cholesky().unwrap().l();
    let r_sd = gps.noise_covariance(&Vector4::zeros())[(0, 0)].sqrt();

    let mut rng = StdRng::seed_from_u64(seed);
    let normal4 = |rng: &mut StdRng| SVector::<f64, 4>::from_fn(|_, _| rng.sample(StandardNormal));
    let mut avg = Averages {
        nees: vec![0.0; STEPS],
        nis: vec![0.0; STEPS],
    };
    for _ in 0..RUNS {
        let mut truth = x0_mean + p0_chol * normal4(&mut rng);
        let mut kf = KalmanFilter::new(x0_mean, p0).unwrap();
        for k in 0..STEPS {
            truth = f * truth + q_chol * normal4(&mut rng);
            let noise = Vector2::new(rng.sample(StandardNormal), rng.sample(StandardNormal)) * r_sd;
            let z = gps.measure(&truth) + noise;
            kf.predict(&filter_model, DT).unwrap();
            let innovation = kf.update(&gps, &z).unwrap();
            let e = truth - kf.state();
            let nees = e.dot(&kf.covariance().cholesky().unwrap().solve(&e));
            avg.nees[k] += nees / RUNS as f64;
            avg.nis[k] += innovation.nis / RUNS as f64;
        }
    }
    avg
}

/// The two-sided 95 % interval of a mean of `RUNS` chi-square(dim) variables.
fn bounds(dim: usize) -> (f64, f64) {
    let df = (RUNS * dim) as f64;
    (
        chi2_ppf(0.025, df) / RUNS as f64,
        chi2_ppf(0.975, df) / RUNS as f64,
    )
}

fn fraction_inside(values: &[f64], (lo, hi): (f64, f64)) -> f64 {
    values.iter().filter(|&&v| v >= lo && v <= hi).count() as f64 / values.len() as f64
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

#[test]
fn kalman_filter_is_consistent_nees_and_nis() {
    let avg = monte_carlo(Q_TRUE, 42);
    let (nees_b, nis_b) = (bounds(4), bounds(2));
    // statrs: chi2_{0.025}(800) = 723.5 and chi2_{0.975}(800) = 880.3 (scipy agrees, see above).
    assert!(
        (nees_b.0 - 3.6175).abs() < 1e-3 && (nees_b.1 - 4.4014).abs() < 1e-3,
        "{nees_b:?}"
    );
    let (in_nees, in_nis) = (
        fraction_inside(&avg.nees, nees_b),
        fraction_inside(&avg.nis, nis_b),
    );
    println!(
        "mean NEES {:.3} (95% per-step bounds {:.3}..{:.3}, {:.0}% of steps inside); \
         mean NIS {:.3} (bounds {:.3}..{:.3}, {:.0}% inside)",
        mean(&avg.nees),
        nees_b.0,
        nees_b.1,
        100.0 * in_nees,
        mean(&avg.nis),
        nis_b.0,
        nis_b.1,
        100.0 * in_nis
    );
    // About 95 % of the per-step averages must fall inside; allow sampling variation.
    assert!(
        in_nees >= 0.9,
        "NEES inside the 95% bounds at only {in_nees}"
    );
    assert!(in_nis >= 0.9, "NIS inside the 95% bounds at only {in_nis}");
    // The grand means sit well inside the per-step intervals.
    assert!(mean(&avg.nees) > nees_b.0 && mean(&avg.nees) < nees_b.1);
    assert!(mean(&avg.nis) > nis_b.0 && mean(&avg.nis) < nis_b.1);
}

#[test]
fn mistuned_filter_fails_the_consistency_check() {
    // Process noise 20 times too small: the filter is overconfident, NEES and NIS too large.
    let avg = monte_carlo(Q_TRUE / 20.0, 42);
    let (nees_b, nis_b) = (bounds(4), bounds(2));
    assert!(fraction_inside(&avg.nees, nees_b) < 0.5);
    assert!(fraction_inside(&avg.nis, nis_b) < 0.5);
    assert!(mean(&avg.nees) > nees_b.1 && mean(&avg.nis) > nis_b.1);
}
