//! `lane_tracking`: the sine-lane MPC benchmark of anchors.md ("MPC"), side by side with
//! CasADi + IPOPT (tools/reference/casadi_lane_tracking.py, whose docstring pins the details).
//!
//! A kinematic bicycle (wheelbase 2.5 m, one RK4 step of 0.1 s per control period, |a| <= 3,
//! |delta| <= 0.5) tracks the lane `y = 3 sin(2 pi x / 40)` at 6 m/s, starting 1 m to the left of
//! it at 3 m/s, for 150 closed-loop steps with the library's [`ShootingMpc`] (horizon 20, warm
//! start from the shifted plan). The reference is time-indexed: at closed-loop step `j`, stage
//! `k` of the horizon tracks `r_{j+k}` with `x_r = v_ref dt (j + k)`, `y_r` on the lane,
//! `psi_r = atan(dy/dx)` and `v_r = v_ref`. Stage cost
//! `10 |p - p_r|^2 + (psi - psi_r)^2 + (v - v_r)^2 + 0.1 a^2 + delta^2 + 10 (delta - delta_prev)^2`
//! (the first rate term against the previously applied steering), terminal weights 10x.
//!
//! The report holds `closed_loop_cost` (the stage cost of each executed state and command,
//! summed: IPOPT's figure is 429.2797), `mean_position_error_m` and `max_position_error_m`
//! (distance from the reference point over the steps at or after `run.settle_time_s`), the
//! optimiser's iterations, and the solve times per step as timings (median, p95, mean, max).

use super::mpc_settings::{
    check_limits, default_max_iterations, default_memory, default_method, SolveStats, SolverConfig,
    StartConfig,
};
use super::{RunContext, ScenarioKind};
use crate::report::Report;
use crate::scenario::{Checks, Header, ScenarioError, Source};
use crate::worlds::vehicle::BicycleWorld;
use kestrel::control::{
    BicycleDynamics, ControlEffort, ControlRate, CostTerm, ShootingMpc, StageGradient,
    StateTracking,
};
use kestrel::viz::{self, Footprint};
use nalgebra::{Vector2, Vector4};
use rerun::blueprint::Blueprint;
use serde::Deserialize;

/// The scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LaneTrackingScenario {
    /// Header.
    pub scenario: Header,
    /// The car.
    pub vehicle: VehicleConfig,
    /// The lane and the reference speed.
    pub lane: LaneConfig,
    /// The initial state.
    pub start: StartConfig,
    /// The controller.
    pub mpc: MpcSection,
    /// The cost (defaults: the benchmark's weights).
    #[serde(default)]
    pub cost: CostConfig,
    /// Run length and scoring.
    pub run: RunConfig,
}

/// `[vehicle]`: a kinematic bicycle (rear-axle reference point) drawn as a rectangle.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VehicleConfig {
    /// Wheelbase `L`, m.
    pub wheelbase_m: f64,
    /// Control period (one RK4 step of the model), s.
    pub dt_s: f64,
    /// Acceleration limits `[lower, upper]`, m/s^2.
    pub acceleration_limits_m_s2: [f64; 2],
    /// Steering-angle limits `[lower, upper]`, rad.
    pub steering_limits_rad: [f64; 2],
    /// Actuator noise standard deviations `[acceleration m/s^2, steering rad]` (default none,
    /// as in the benchmark).
    #[serde(default)]
    pub action_noise_std: [f64; 2],
    /// Body length for drawing, m (default 4.5).
    #[serde(default = "default_length")]
    pub length_m: f64,
    /// Body width for drawing, m (default 1.8).
    #[serde(default = "default_width")]
    pub width_m: f64,
    /// Distance from the rear of the body to the rear axle, m (default 1.0).
    #[serde(default = "default_overhang")]
    pub rear_overhang_m: f64,
}

fn default_length() -> f64 {
    4.5
}
fn default_width() -> f64 {
    1.8
}
fn default_overhang() -> f64 {
    1.0
}

/// `[lane]`: centre line `y = amplitude sin(2 pi x / wavelength)`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LaneConfig {
    /// Amplitude, m.
    pub amplitude_m: f64,
    /// Wavelength, m.
    pub wavelength_m: f64,
    /// Reference speed along x, m/s.
    pub speed_m_s: f64,
}

/// `[mpc]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MpcSection {
    /// Horizon, steps.
    pub horizon: usize,
    /// Iteration limit per solve (default 200).
    #[serde(default = "default_max_iterations")]
    pub max_iterations: usize,
    /// `"bfgs"` (dense BFGS kept across solves, default) or `"lbfgs"`.
    #[serde(default = "default_method")]
    pub method: String,
    /// Curvature pairs of L-BFGS (default 10).
    #[serde(default = "default_memory")]
    pub lbfgs_memory: usize,
}

/// `[cost]`: stage weights (defaults: the benchmark's).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostConfig {
    /// On `|p - p_r|^2` (default 10).
    #[serde(default = "ten")]
    pub position: f64,
    /// On `(psi - psi_r)^2`, residual wrapped to [-pi, pi) (default 1).
    #[serde(default = "one")]
    pub heading: f64,
    /// On `(v - v_r)^2` (default 1).
    #[serde(default = "one")]
    pub speed: f64,
    /// On `a^2` (default 0.1).
    #[serde(default = "tenth")]
    pub acceleration: f64,
    /// On `delta^2` (default 1).
    #[serde(default = "one")]
    pub steering: f64,
    /// On `(a - a_prev)^2` (default 0).
    #[serde(default)]
    pub acceleration_rate: f64,
    /// On `(delta - delta_prev)^2` (default 10).
    #[serde(default = "ten")]
    pub steering_rate: f64,
    /// Terminal state weights = this times the stage state weights (default 10).
    #[serde(default = "ten")]
    pub terminal_factor: f64,
}

fn one() -> f64 {
    1.0
}
fn ten() -> f64 {
    10.0
}
fn tenth() -> f64 {
    0.1
}

impl Default for CostConfig {
    fn default() -> Self {
        Self {
            position: 10.0,
            heading: 1.0,
            speed: 1.0,
            acceleration: 0.1,
            steering: 1.0,
            acceleration_rate: 0.0,
            steering_rate: 10.0,
            terminal_factor: 10.0,
        }
    }
}

/// `[run]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// Closed-loop steps.
    pub steps: usize,
    /// Position errors are scored from this time on, s (default 2).
    #[serde(default = "default_settle")]
    pub settle_time_s: f64,
}

fn default_settle() -> f64 {
    2.0
}

type Cost = (StateTracking<4>, ControlEffort<2>, ControlRate<2>);

/// Time series: (entity under plots/, plot title).
const PLOTS: [(&str, &str); 8] = [
    ("position_error", "position error (m)"),
    (
        "stage_cost",
        "cost: stage (executed) and horizon (predicted)",
    ),
    ("speed", "speed (m/s)"),
    ("acceleration", "acceleration (m/s²)"),
    ("steering", "steering (rad)"),
    ("heading_error", "heading error (rad)"),
    ("solve_time_ms", "solve time (ms)"),
    ("iterations", "optimiser iterations"),
];

const ALG: &str = "mpc";
const LANE_COLOR: [u8; 4] = [200, 200, 200, 255];
const REFERENCE_COLOR: [u8; 4] = [0, 200, 90, 255];

impl ScenarioKind for LaneTrackingScenario {
    const KIND: &'static str = "lane_tracking";

    fn load(source: &Source) -> Result<Self, ScenarioError> {
        let s: Self = source.parse()?;
        let mut c = Checks::new(source);
        let v = &s.vehicle;
        c.positive(v.wheelbase_m, "vehicle.wheelbase_m")
            .positive(v.dt_s, "vehicle.dt_s");
        check_limits(
            &mut c,
            v.acceleration_limits_m_s2,
            "vehicle.acceleration_limits_m_s2",
        );
        check_limits(&mut c, v.steering_limits_rad, "vehicle.steering_limits_rad");
        c.require(
            v.steering_limits_rad
                .iter()
                .all(|d| d.abs() < std::f64::consts::FRAC_PI_2),
            "vehicle.steering_limits_rad",
            "must lie strictly within (-pi/2, pi/2)",
        );
        for value in v.action_noise_std {
            c.non_negative(value, "vehicle.action_noise_std");
        }
        c.positive(v.length_m, "vehicle.length_m")
            .positive(v.width_m, "vehicle.width_m")
            .finite(v.rear_overhang_m, "vehicle.rear_overhang_m")
            .finite(s.lane.amplitude_m, "lane.amplitude_m")
            .positive(s.lane.wavelength_m, "lane.wavelength_m")
            .finite(s.lane.speed_m_s, "lane.speed_m_s");
        for value in s.start.position_m {
            c.finite(value, "start.position_m");
        }
        c.finite(s.start.heading_rad, "start.heading_rad")
            .finite(s.start.speed_m_s, "start.speed_m_s")
            .require(
                (1..=10_000).contains(&s.mpc.horizon),
                "mpc.horizon",
                "must be between 1 and 10000 steps",
            );
        s.solver().check(&mut c, "mpc");
        let w = &s.cost;
        for (value, name) in [
            (w.position, "position"),
            (w.heading, "heading"),
            (w.speed, "speed"),
            (w.acceleration, "acceleration"),
            (w.steering, "steering"),
            (w.acceleration_rate, "acceleration_rate"),
            (w.steering_rate, "steering_rate"),
            (w.terminal_factor, "terminal_factor"),
        ] {
            c.non_negative(value, &format!("cost.{name}"));
        }
        c.require(
            (1..=1_000_000).contains(&s.run.steps),
            "run.steps",
            "must be between 1 and 10^6",
        )
        .non_negative(s.run.settle_time_s, "run.settle_time_s")
        .require(
            s.run.settle_time_s < s.run.steps as f64 * s.vehicle.dt_s,
            "run.settle_time_s",
            "must be shorter than the run (run.steps * vehicle.dt_s)",
        );
        c.finish()?;
        Ok(s)
    }

    fn run(&self, ctx: &RunContext) -> anyhow::Result<Report> {
        let v = &self.vehicle;
        let (lower, upper) = (
            Vector2::new(v.acceleration_limits_m_s2[0], v.steering_limits_rad[0]),
            Vector2::new(v.acceleration_limits_m_s2[1], v.steering_limits_rad[1]),
        );
        let start = Vector4::new(
            self.start.position_m[0],
            self.start.position_m[1],
            self.start.heading_rad,
            self.start.speed_m_s,
        );
        let mut world = BicycleWorld::new(
            v.wheelbase_m,
            v.dt_s,
            start,
            lower,
            upper,
            Vector2::from(v.action_noise_std),
        )?;
        let mut rng = ctx.rng(0);
        let horizon = self.mpc.horizon;
        let dynamics = BicycleDynamics::bicycle(v.wheelbase_m, v.dt_s)?;
        let mut mpc = ShootingMpc::new(dynamics, self.solver().mpc_config(horizon, lower, upper))?;
        let mut cost = self.cost()?;
        let footprint = Footprint::Rectangle {
            length_m: v.length_m,
            width_m: v.width_m,
            rear_overhang_m: v.rear_overhang_m,
        };
        self.log_static(ctx)?;

        let settle_step = (self.run.settle_time_s / v.dt_s).round() as usize;
        let mut stats = SolveStats::default();
        let mut scratch = StageGradient::zeros();
        let mut path = vec![world.position()];
        let mut closed_loop_cost = 0.0;
        let (mut error_sum, mut error_count, mut error_max) = (0.0, 0usize, 0.0f64);
        let bar = ctx.progress(self.run.steps as u64, "lane tracking");
        for j in 0..self.run.steps {
            for (k, r) in cost.0.reference_mut().iter_mut().enumerate() {
                *r = self.reference(j + k);
            }
            let x = *world.state();
            let r = self.reference(j);
            let position_error = (x.xy() - r.xy()).norm();
            if j >= settle_step {
                error_sum += position_error;
                error_count += 1;
                error_max = error_max.max(position_error);
            }
            let u_prev = *mpc.previous_action();
            let solution = mpc.solve(&x, &cost)?;
            stats.record(solution);
            let u = solution.actions[0];
            let stage_cost = cost.stage(0, &x, &u, &u_prev, &mut scratch);
            closed_loop_cost += stage_cost;
            if ctx.rec.is_enabled() {
                let rec = &ctx.rec;
                rec.set_time_sequence("step", j as i64);
                rec.set_duration_secs("sim_time", j as f64 * v.dt_s);
                viz::log_vehicle(
                    rec,
                    &format!("world/{ALG}/vehicle"),
                    &world.pose(),
                    &footprint,
                    viz::color(0),
                )?;
                rec.log(
                    format!("world/{ALG}/path"),
                    &viz::polyline(path.iter().copied(), viz::color(0), 1.5),
                )?;
                viz::log_plan(
                    rec,
                    &format!("world/{ALG}/plan"),
                    solution.states.iter().map(|s| s.xy()),
                    viz::color(1),
                )?;
                rec.log(
                    "world/reference/horizon",
                    &rerun::Points2D::new(
                        cost.0.reference().iter().map(|r| [r.x as f32, r.y as f32]),
                    )
                    .with_colors([[0, 200, 90, 140]])
                    .with_radii([rerun::Radius::new_ui_points(2.0)]),
                )?;
                rec.log(
                    "world/reference/target",
                    &rerun::Points2D::new([[r.x as f32, r.y as f32]])
                        .with_colors([REFERENCE_COLOR])
                        .with_radii([rerun::Radius::new_ui_points(4.0)]),
                )?;
                let heading_error = kestrel::geometry::wrap_angle(x[2] - r[2]);
                for (path, value) in [
                    ("position_error/mpc", position_error),
                    ("stage_cost/executed", stage_cost),
                    ("stage_cost/horizon", solution.cost),
                    ("speed/mpc", x[3]),
                    ("speed/reference", r[3]),
                    ("acceleration/mpc", u[0]),
                    ("steering/mpc", u[1]),
                    ("heading_error/mpc", heading_error),
                    ("solve_time_ms/mpc", solution.solve_time.as_secs_f64() * 1e3),
                    ("iterations/mpc", solution.iterations as f64),
                ] {
                    viz::log_scalar(rec, &format!("plots/{path}"), value)?;
                }
            }
            mpc.shift();
            world.step(&u, &mut rng)?;
            path.push(world.position());
            bar.inc(1);
        }
        bar.finish_and_clear();
        if ctx.rec.is_enabled() {
            let rec = &ctx.rec;
            let steps = self.run.steps;
            rec.set_time_sequence("step", steps as i64);
            rec.set_duration_secs("sim_time", steps as f64 * v.dt_s);
            viz::log_vehicle(
                rec,
                &format!("world/{ALG}/vehicle"),
                &world.pose(),
                &footprint,
                viz::color(0),
            )?;
            rec.log(
                format!("world/{ALG}/path"),
                &viz::polyline(path.iter().copied(), viz::color(0), 1.5),
            )?;
        }

        let mut report = Report::default();
        report
            .metric(ALG, "closed_loop_cost", closed_loop_cost)
            .metric(
                ALG,
                "mean_position_error_m",
                error_sum / error_count.max(1) as f64,
            )
            .metric(ALG, "max_position_error_m", error_max)
            .metric(ALG, "steps", self.run.steps as f64);
        stats.write(&mut report, ALG);
        Ok(report)
    }

    fn blueprint(&self) -> Option<Blueprint> {
        Some(super::world_over_plots(
            "world: lane, reference horizon, car, MPC prediction",
            &PLOTS,
        ))
    }
}

impl LaneTrackingScenario {
    fn solver(&self) -> SolverConfig {
        SolverConfig {
            max_iterations: self.mpc.max_iterations,
            method: self.mpc.method.clone(),
            lbfgs_memory: self.mpc.lbfgs_memory,
        }
    }

    /// The lane's centre-line height and slope at `x`.
    fn lane(&self, x: f64) -> (f64, f64) {
        let k = std::f64::consts::TAU / self.lane.wavelength_m;
        let a = self.lane.amplitude_m;
        (a * (k * x).sin(), a * k * (k * x).cos())
    }

    /// The reference `[x, y, psi, v]` at absolute step `j` (time `j dt`).
    fn reference(&self, j: usize) -> Vector4<f64> {
        let x = self.lane.speed_m_s * self.vehicle.dt_s * j as f64;
        let (y, slope) = self.lane(x);
        Vector4::new(x, y, slope.atan(), self.lane.speed_m_s)
    }

    fn cost(&self) -> anyhow::Result<Cost> {
        let w = &self.cost;
        let stage = Vector4::new(w.position, w.position, w.heading, w.speed);
        Ok((
            StateTracking::new(stage, stage * w.terminal_factor, self.mpc.horizon)?
                .with_angles([false, false, true, false]),
            ControlEffort::new(Vector2::new(w.acceleration, w.steering))?,
            ControlRate::new(Vector2::new(w.acceleration_rate, w.steering_rate))?,
        ))
    }

    fn log_static(&self, ctx: &RunContext) -> anyhow::Result<()> {
        let rec = &ctx.rec;
        if !rec.is_enabled() {
            return Ok(());
        }
        viz::y_up(rec, "world")?;
        // The centre line over the stretch the run covers, sampled every 0.25 m.
        let end = self.reference(self.run.steps + self.mpc.horizon).x;
        let (x0, x1) = (
            self.start.position_m[0].min(end) - 5.0,
            self.start.position_m[0].max(end) + 5.0,
        );
        let samples = (((x1 - x0) / 0.25).ceil() as usize).clamp(2, 1_000_000);
        let centre = (0..=samples).map(|i| {
            let x = x0 + (x1 - x0) * i as f64 / samples as f64;
            Vector2::new(x, self.lane(x).0)
        });
        rec.log_static("world/lane/center", &viz::polyline(centre, LANE_COLOR, 1.0))?;
        rec.log_static(
            "world/start",
            &rerun::Points2D::new([[
                self.start.position_m[0] as f32,
                self.start.position_m[1] as f32,
            ]])
            .with_colors([viz::TRUTH_COLOR])
            .with_radii([rerun::Radius::new_ui_points(4.0)])
            .with_labels(["start"]),
        )?;
        for (path, name, color) in [
            ("position_error/mpc", "position error", viz::color(0)),
            (
                "stage_cost/executed",
                "stage cost (executed)",
                viz::color(0),
            ),
            (
                "stage_cost/horizon",
                "horizon cost J (predicted)",
                viz::color(1),
            ),
            ("speed/mpc", "speed", viz::color(0)),
            ("speed/reference", "reference speed", REFERENCE_COLOR),
            ("acceleration/mpc", "acceleration", viz::color(0)),
            ("steering/mpc", "steering", viz::color(0)),
            ("heading_error/mpc", "heading error", viz::color(0)),
            ("solve_time_ms/mpc", "solve time", viz::color(0)),
            ("iterations/mpc", "iterations", viz::color(0)),
        ] {
            viz::log_series_style(rec, &format!("plots/{path}"), name, color)?;
        }
        Ok(())
    }
}
