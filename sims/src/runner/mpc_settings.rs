//! Settings and statistics shared by the control scenarios (`mpc_obstacle`, `lane_tracking`):
//! the start state, the optimiser settings of a
//! [`ShootingMpc`](kestrel::control::ShootingMpc), interval checks and the solve statistics
//! written to the report.

use crate::report::Report;
use crate::scenario::Checks;
use kestrel::control::{MpcConfig, MpcSolution, QuasiNewton, Termination};
use nalgebra::Vector2;
use serde::Deserialize;

/// `[start]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartConfig {
    /// Rear-axle position, m.
    pub position_m: [f64; 2],
    /// Heading, rad (default 0, along +x).
    #[serde(default)]
    pub heading_rad: f64,
    /// Speed, m/s (default 0).
    #[serde(default)]
    pub speed_m_s: f64,
}

/// Optimiser settings of a [`ShootingMpc`](kestrel::control::ShootingMpc), as scenario files
/// give them.
#[derive(Debug, Clone, PartialEq)]
pub struct SolverConfig {
    /// Iteration limit per solve.
    pub max_iterations: usize,
    /// `"bfgs"` or `"lbfgs"`.
    pub method: String,
    /// Curvature pairs of L-BFGS.
    pub lbfgs_memory: usize,
}

/// Default iteration limit per solve.
pub fn default_max_iterations() -> usize {
    200
}
/// Default quasi-Newton method.
pub fn default_method() -> String {
    "bfgs".into()
}
/// Default L-BFGS memory.
pub fn default_memory() -> usize {
    10
}

impl SolverConfig {
    /// Checks the settings; `prefix` is the dotted path of the table holding them.
    pub fn check(&self, c: &mut Checks, prefix: &str) {
        c.require(
            self.max_iterations >= 1,
            &format!("{prefix}.max_iterations"),
            "must be at least 1",
        )
        .require(
            matches!(self.method.as_str(), "bfgs" | "lbfgs"),
            &format!("{prefix}.method"),
            "must be \"bfgs\" or \"lbfgs\"",
        )
        .require(
            self.lbfgs_memory >= 1,
            &format!("{prefix}.lbfgs_memory"),
            "must be at least 1",
        );
    }

    /// The MPC configuration for `horizon` steps within `[lower, upper]`.
    pub fn mpc_config(
        &self,
        horizon: usize,
        lower: Vector2<f64>,
        upper: Vector2<f64>,
    ) -> MpcConfig<2> {
        let mut config = MpcConfig::new(horizon, lower, upper);
        config.max_iterations = self.max_iterations;
        config.method = if self.method == "lbfgs" {
            QuasiNewton::Lbfgs {
                memory: self.lbfgs_memory,
            }
        } else {
            QuasiNewton::Bfgs
        };
        config
    }
}

/// Checks an interval `[lower, upper]` of finite numbers.
pub fn check_limits(c: &mut Checks, limits: [f64; 2], field: &str) {
    c.require(
        limits.iter().all(|v| v.is_finite()) && limits[0] <= limits[1],
        field,
        &format!(
            "must be [lower, upper] with finite lower <= upper, got [{}, {}]",
            limits[0], limits[1]
        ),
    );
}

/// Checks a controller or scenario name used in entity paths.
pub fn check_name(c: &mut Checks, name: &str, field: &str) {
    c.require(
        !name.is_empty()
            && name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_'),
        field,
        "must be a non-empty name of letters, digits and _",
    );
}

/// Solve statistics of one controller over a run.
#[derive(Debug, Clone, Default)]
pub struct SolveStats {
    solve_ms: Vec<f64>,
    iterations: Vec<f64>,
    at_limit: usize,
}

impl SolveStats {
    /// Records one solve.
    pub fn record<const N: usize>(&mut self, solution: &MpcSolution<N, 2>) {
        self.solve_ms.push(solution.solve_time.as_secs_f64() * 1e3);
        self.iterations.push(solution.iterations as f64);
        if solution.termination == Termination::MaxIterations {
            self.at_limit += 1;
        }
    }

    /// Writes the iteration metrics (deterministic) and the solve-time timings (wall clock).
    pub fn write(&self, report: &mut Report, alg: &str) {
        report
            .metric(alg, "iterations_median", quantile(&self.iterations, 0.5))
            .metric(alg, "iterations_max", quantile(&self.iterations, 1.0))
            .metric(alg, "solves_at_iteration_limit", self.at_limit as f64);
        let mean = self.solve_ms.iter().sum::<f64>() / self.solve_ms.len().max(1) as f64;
        report
            .timing(alg, "solve_ms_median", quantile(&self.solve_ms, 0.5))
            .timing(alg, "solve_ms_p95", quantile(&self.solve_ms, 0.95))
            .timing(alg, "solve_ms_mean", mean)
            .timing(alg, "solve_ms_max", quantile(&self.solve_ms, 1.0));
    }
}

/// The `q` quantile (nearest rank, `0 < q <= 1`; the median of an even count is the mean of the
/// two middle values); NaN for no values.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if q == 0.5 && n.is_multiple_of(2) {
        return 0.5 * (v[n / 2 - 1] + v[n / 2]);
    }
    let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
    v[rank - 1]
}
