//! `mpc_obstacle`: a car-like robot must reach a goal that lies behind a round obstacle.
//!
//! Every controller is the library's [`ShootingMpc`] over the kinematic bicycle with the same
//! cost (goal tracking, effort, rate, obstacle penalty); they differ in their horizon. A one-step
//! greedy controller (horizon 1) only sees the immediate cost decrease: it heads straight for the
//! goal, meets the obstacle penalty too late to brake (or at all) and stalls against it. A
//! horizon MPC sees the whole manoeuvre, steers around the obstacle and stops at the goal.
//!
//! Per controller the report holds `reached_goal` (0/1: within the goal tolerance at rest),
//! `final_distance_m`, `min_clearance_m` (smallest distance between the robot's disc and an
//! obstacle over the run; negative means collision), `steps` (control steps until the goal was
//! reached, else the step limit), `closed_loop_cost` (the stage cost `l(x_k, u_k, u_{k-1})` of
//! the executed states and commands, summed), `path_length_m` and the optimiser's iterations
//! (median, max, solves stopped by the iteration limit); the solve times per step (median, p95,
//! mean, max, in ms) are timings.

use super::mpc_settings::{
    check_limits, check_name, default_max_iterations, default_memory, default_method, SolveStats,
    SolverConfig, StartConfig,
};
use super::{RunContext, ScenarioKind};
use crate::report::Report;
use crate::scenario::{Checks, Header, ScenarioError, Source};
use crate::worlds::vehicle::BicycleWorld;
use anyhow::Context;
use kestrel::control::{
    BicycleDynamics, CircleObstacles, ControlEffort, ControlRate, CostTerm, ShootingMpc,
    StageGradient, StateTracking,
};
use kestrel::geometry::Circle;
use kestrel::viz::{self, Footprint};
use nalgebra::{Point2, Vector2, Vector4};
use rerun::blueprint::Blueprint;
use serde::Deserialize;

/// The scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MpcObstacleScenario {
    /// Header.
    pub scenario: Header,
    /// The robot (kinematic bicycle with a round collision footprint).
    pub vehicle: VehicleConfig,
    /// Where the robot starts.
    pub start: StartConfig,
    /// Where it must go.
    pub goal: GoalConfig,
    /// Round obstacles (`[[obstacles]]`, at least one).
    pub obstacles: Vec<ObstacleConfig>,
    /// The cost every controller minimises.
    #[serde(default)]
    pub cost: CostConfig,
    /// The controllers compared (`[[controllers]]`), each run from the same start.
    pub controllers: Vec<ControllerConfig>,
    /// Run length.
    pub run: RunConfig,
}

/// `[vehicle]`: a kinematic bicycle (rear-axle reference point) whose collision shape is a disc
/// about the reference point.
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
    /// Radius of the collision disc, m.
    pub radius_m: f64,
    /// Actuator noise standard deviations `[acceleration m/s^2, steering rad]` (default none).
    #[serde(default)]
    pub action_noise_std: [f64; 2],
}

/// `[goal]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoalConfig {
    /// Goal position of the rear axle, m.
    pub position_m: [f64; 2],
    /// Reached when closer than this, m (default 0.5) ...
    #[serde(default = "default_tolerance")]
    pub tolerance_m: f64,
    /// ... and slower than this, m/s (default 0.3).
    #[serde(default = "default_speed_tolerance")]
    pub speed_tolerance_m_s: f64,
}

fn default_tolerance() -> f64 {
    0.5
}
fn default_speed_tolerance() -> f64 {
    0.3
}

/// `[[obstacles]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObstacleConfig {
    /// Centre, m.
    pub center_m: [f64; 2],
    /// Radius, m.
    pub radius_m: f64,
}

/// `[cost]`: stage cost
/// `w_p |p - g|^2 + w_v v^2 + w_a a^2 + w_d delta^2 + w_ra (a - a_prev)^2
///  + w_rd (delta - delta_prev)^2 + w_o sum_i max(0, m - d_i)^2`,
/// terminal cost `terminal_factor (w_p |p - g|^2 + w_v v^2) + w_o sum_i max(0, m - d_i)^2`, with
/// `g` the goal, `d_i` the distance from the rear axle to obstacle `i`'s boundary and
/// `m = vehicle.radius_m + obstacle_clearance_m`. Heading is free.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostConfig {
    /// `w_p` (default 1).
    #[serde(default = "one")]
    pub position: f64,
    /// `w_v`: speed, pulling towards rest (default 0.5).
    #[serde(default = "half")]
    pub speed: f64,
    /// Terminal weights = this times the stage weights (default 10).
    #[serde(default = "ten")]
    pub terminal_factor: f64,
    /// `w_a` (default 0.1).
    #[serde(default = "tenth")]
    pub acceleration: f64,
    /// `w_d` (default 1).
    #[serde(default = "one")]
    pub steering: f64,
    /// `w_ra` (default 0.1).
    #[serde(default = "tenth")]
    pub acceleration_rate: f64,
    /// `w_rd` (default 10).
    #[serde(default = "ten")]
    pub steering_rate: f64,
    /// `w_o` (default 1000).
    #[serde(default = "thousand")]
    pub obstacle_weight: f64,
    /// Extra distance kept beyond the robot's radius, m (default 0.5).
    #[serde(default = "half")]
    pub obstacle_clearance_m: f64,
}

fn one() -> f64 {
    1.0
}
fn half() -> f64 {
    0.5
}
fn ten() -> f64 {
    10.0
}
fn tenth() -> f64 {
    0.1
}
fn thousand() -> f64 {
    1000.0
}

impl Default for CostConfig {
    fn default() -> Self {
        Self {
            position: 1.0,
            speed: 0.5,
            terminal_factor: 10.0,
            acceleration: 0.1,
            steering: 1.0,
            acceleration_rate: 0.1,
            steering_rate: 10.0,
            obstacle_weight: 1000.0,
            obstacle_clearance_m: 0.5,
        }
    }
}

/// `[[controllers]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControllerConfig {
    /// Name (letters, digits, `_`): the algorithm name in the report and entity paths.
    pub name: String,
    /// Horizon, steps (1 = greedy).
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

impl ControllerConfig {
    /// The optimiser settings.
    pub fn solver(&self) -> SolverConfig {
        SolverConfig {
            max_iterations: self.max_iterations,
            method: self.method.clone(),
            lbfgs_memory: self.lbfgs_memory,
        }
    }
}

/// `[run]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// Control steps before a controller that has not reached the goal is stopped.
    pub max_steps: usize,
}

/// The cost every controller of this scenario minimises.
type Cost = (
    StateTracking<4>,
    ControlEffort<2>,
    ControlRate<2>,
    CircleObstacles,
);

/// Time series plotted for each controller: (entity name, plot title).
const PLOTS: [(&str, &str); 8] = [
    ("distance_to_goal", "distance to goal (m)"),
    ("clearance", "clearance (m, < 0 = collision)"),
    ("stage_cost", "stage cost"),
    ("speed", "speed (m/s)"),
    ("acceleration", "acceleration (m/s²)"),
    ("steering", "steering (rad)"),
    ("solve_time_ms", "solve time (ms)"),
    ("iterations", "optimiser iterations"),
];

const OBSTACLE_COLOR: [u8; 4] = [170, 60, 60, 255];
const GOAL_COLOR: [u8; 4] = [0, 200, 90, 255];

impl ScenarioKind for MpcObstacleScenario {
    const KIND: &'static str = "mpc_obstacle";

    fn load(source: &Source) -> Result<Self, ScenarioError> {
        let s: Self = source.parse()?;
        let mut c = Checks::new(source);
        let v = &s.vehicle;
        c.positive(v.wheelbase_m, "vehicle.wheelbase_m")
            .positive(v.dt_s, "vehicle.dt_s")
            .positive(v.radius_m, "vehicle.radius_m");
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
        for value in s.start.position_m {
            c.finite(value, "start.position_m");
        }
        c.finite(s.start.heading_rad, "start.heading_rad")
            .finite(s.start.speed_m_s, "start.speed_m_s");
        for value in s.goal.position_m {
            c.finite(value, "goal.position_m");
        }
        c.positive(s.goal.tolerance_m, "goal.tolerance_m")
            .positive(s.goal.speed_tolerance_m_s, "goal.speed_tolerance_m_s")
            .require(
                !s.obstacles.is_empty(),
                "obstacles",
                "needs at least one [[obstacles]] entry",
            );
        for (i, o) in s.obstacles.iter().enumerate() {
            for value in o.center_m {
                c.finite(value, &format!("obstacles.{i}.center_m"));
            }
            c.positive(o.radius_m, &format!("obstacles.{i}.radius_m"));
            // The robot's disc may not overlap an obstacle at the start or at the goal (there the
            // goal could never be reached).
            let reach = o.radius_m + v.radius_m;
            let apart = |p: [f64; 2]| (p[0] - o.center_m[0]).hypot(p[1] - o.center_m[1]) > reach;
            c.require(
                apart(s.goal.position_m),
                "goal.position_m",
                &format!("puts the robot's disc inside obstacle {i}: the goal is unreachable"),
            )
            .require(
                apart(s.start.position_m),
                "start.position_m",
                &format!("puts the robot's disc inside obstacle {i}"),
            );
        }
        let w = &s.cost;
        for (value, name) in [
            (w.position, "position"),
            (w.speed, "speed"),
            (w.terminal_factor, "terminal_factor"),
            (w.acceleration, "acceleration"),
            (w.steering, "steering"),
            (w.acceleration_rate, "acceleration_rate"),
            (w.steering_rate, "steering_rate"),
            (w.obstacle_weight, "obstacle_weight"),
            (w.obstacle_clearance_m, "obstacle_clearance_m"),
        ] {
            c.non_negative(value, &format!("cost.{name}"));
        }
        c.require(
            !s.controllers.is_empty(),
            "controllers",
            "needs at least one [[controllers]] entry",
        );
        for (i, ctrl) in s.controllers.iter().enumerate() {
            check_name(&mut c, &ctrl.name, &format!("controllers.{i}.name"));
            c.require(
                s.controllers[..i].iter().all(|o| o.name != ctrl.name),
                &format!("controllers.{i}.name"),
                "repeats an earlier controller's name",
            )
            .require(
                (1..=10_000).contains(&ctrl.horizon),
                &format!("controllers.{i}.horizon"),
                "must be between 1 and 10000 steps",
            );
            ctrl.solver().check(&mut c, &format!("controllers.{i}"));
        }
        c.require(
            (1..=1_000_000).contains(&s.run.max_steps),
            "run.max_steps",
            "must be between 1 and 10^6",
        );
        c.finish()?;
        Ok(s)
    }

    fn run(&self, ctx: &RunContext) -> anyhow::Result<Report> {
        let mut report = Report::default();
        self.log_static(ctx)?;
        for (i, ctrl) in self.controllers.iter().enumerate() {
            self.run_controller(ctx, i, ctrl, &mut report)
                .with_context(|| format!("controller {}", ctrl.name))?;
        }
        Ok(report)
    }

    fn blueprint(&self) -> Option<Blueprint> {
        Some(super::world_over_plots(
            "world: obstacles, goal, vehicles, predicted horizons",
            &PLOTS,
        ))
    }
}

impl MpcObstacleScenario {
    fn circles(&self) -> anyhow::Result<Vec<Circle>> {
        self.obstacles
            .iter()
            .map(|o| {
                Circle::new(Point2::new(o.center_m[0], o.center_m[1]), o.radius_m)
                    .map_err(|e| anyhow::anyhow!("obstacle: {e}"))
            })
            .collect()
    }

    fn limits(&self) -> (Vector2<f64>, Vector2<f64>) {
        let (a, d) = (
            self.vehicle.acceleration_limits_m_s2,
            self.vehicle.steering_limits_rad,
        );
        (Vector2::new(a[0], d[0]), Vector2::new(a[1], d[1]))
    }

    fn goal(&self) -> Vector2<f64> {
        Vector2::new(self.goal.position_m[0], self.goal.position_m[1])
    }

    /// The cost for a horizon of `horizon` steps.
    fn cost(&self, horizon: usize) -> anyhow::Result<Cost> {
        let w = &self.cost;
        let stage = Vector4::new(w.position, w.position, 0.0, w.speed);
        let mut tracking = StateTracking::new(stage, stage * w.terminal_factor, horizon)?
            .with_angles([false, false, true, false]);
        let goal = self.goal();
        tracking
            .reference_mut()
            .fill(Vector4::new(goal.x, goal.y, 0.0, 0.0));
        Ok((
            tracking,
            ControlEffort::new(Vector2::new(w.acceleration, w.steering))?,
            ControlRate::new(Vector2::new(w.acceleration_rate, w.steering_rate))?,
            CircleObstacles::new(
                self.circles()?,
                self.vehicle.radius_m + w.obstacle_clearance_m,
                w.obstacle_weight,
                [0, 1],
            )?,
        ))
    }

    /// Signed distance from the robot's disc to the nearest obstacle (negative: overlap).
    fn clearance(&self, p: &Vector2<f64>, circles: &[Circle]) -> f64 {
        circles
            .iter()
            .map(|c| (p - c.center().coords).norm() - c.radius() - self.vehicle.radius_m)
            .fold(f64::INFINITY, f64::min)
    }

    fn run_controller(
        &self,
        ctx: &RunContext,
        index: usize,
        ctrl: &ControllerConfig,
        report: &mut Report,
    ) -> anyhow::Result<()> {
        let v = &self.vehicle;
        let (lower, upper) = self.limits();
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
        let mut rng = ctx.rng(index as u64);
        let dynamics = BicycleDynamics::bicycle(v.wheelbase_m, v.dt_s)?;
        let mut mpc = ShootingMpc::new(
            dynamics,
            ctrl.solver().mpc_config(ctrl.horizon, lower, upper),
        )?;
        let cost = self.cost(ctrl.horizon)?;
        let circles = self.circles()?;
        let goal = self.goal();
        let alg = ctrl.name.as_str();
        let color = viz::color(index);
        let footprint = Footprint::Disc {
            radius_m: v.radius_m,
        };
        for (entity, _) in PLOTS {
            viz::log_series_style(&ctx.rec, &format!("plots/{entity}/{alg}"), alg, color)?;
        }

        let mut stats = SolveStats::default();
        let mut scratch = StageGradient::zeros();
        let mut path = vec![world.position()];
        let mut closed_loop_cost = 0.0;
        let mut min_clearance = self.clearance(&world.position(), &circles);
        let mut path_length = 0.0;
        let mut steps = self.run.max_steps;
        let mut reached = false;
        let bar = ctx.progress(self.run.max_steps as u64, alg);
        for k in 0..self.run.max_steps {
            let x = *world.state();
            let u_prev = *mpc.previous_action();
            let solution = mpc.solve(&x, &cost)?;
            stats.record(solution);
            let u = solution.actions[0];
            let stage_cost = cost.stage(0, &x, &u, &u_prev, &mut scratch);
            closed_loop_cost += stage_cost;
            if ctx.rec.is_enabled() {
                let rec = &ctx.rec;
                rec.set_time_sequence("step", k as i64);
                rec.set_duration_secs("sim_time", k as f64 * v.dt_s);
                viz::log_vehicle(
                    rec,
                    &format!("world/{alg}/vehicle"),
                    &world.pose(),
                    &footprint,
                    color,
                )?;
                rec.log(
                    format!("world/{alg}/path"),
                    &viz::polyline(path.iter().copied(), color, 1.5),
                )?;
                viz::log_plan(
                    rec,
                    &format!("world/{alg}/plan"),
                    solution.states.iter().map(|s| s.xy()),
                    color,
                )?;
                let values = [
                    (world.position() - goal).norm(),
                    self.clearance(&world.position(), &circles),
                    stage_cost,
                    x[3],
                    u[0],
                    u[1],
                    solution.solve_time.as_secs_f64() * 1e3,
                    solution.iterations as f64,
                ];
                for ((entity, _), value) in PLOTS.iter().zip(values) {
                    viz::log_scalar(rec, &format!("plots/{entity}/{alg}"), value)?;
                }
            }
            mpc.shift();
            world.step(&u, &mut rng)?;
            let p = world.position();
            path_length += (p - path[path.len() - 1]).norm();
            path.push(p);
            min_clearance = min_clearance.min(self.clearance(&p, &circles));
            bar.inc(1);
            if (p - goal).norm() < self.goal.tolerance_m
                && world.state()[3].abs() < self.goal.speed_tolerance_m_s
            {
                reached = true;
                steps = k + 1;
                break;
            }
        }
        bar.finish_and_clear();
        if ctx.rec.is_enabled() {
            // The final state, after the last action.
            let rec = &ctx.rec;
            rec.set_time_sequence("step", steps as i64);
            rec.set_duration_secs("sim_time", steps as f64 * v.dt_s);
            viz::log_vehicle(
                rec,
                &format!("world/{alg}/vehicle"),
                &world.pose(),
                &footprint,
                color,
            )?;
            rec.log(
                format!("world/{alg}/path"),
                &viz::polyline(path.iter().copied(), color, 1.5),
            )?;
        }

        report
            .metric(alg, "reached_goal", if reached { 1.0 } else { 0.0 })
            .metric(alg, "final_distance_m", (world.position() - goal).norm())
            .metric(alg, "min_clearance_m", min_clearance)
            .metric(alg, "steps", steps as f64)
            .metric(alg, "closed_loop_cost", closed_loop_cost)
            .metric(alg, "path_length_m", path_length);
        stats.write(report, alg);
        Ok(())
    }

    fn log_static(&self, ctx: &RunContext) -> anyhow::Result<()> {
        let rec = &ctx.rec;
        if !rec.is_enabled() {
            return Ok(());
        }
        viz::y_up(rec, "world")?;
        let circles = self.circles()?;
        rec.log_static("world/obstacles", &viz::discs(&circles, OBSTACLE_COLOR))?;
        // The clearance the cost asks for: the robot's disc stays outside these rings while the
        // obstacle penalty is zero.
        rec.log_static(
            "world/obstacles/clearance",
            &viz::circle_outlines(&circles, self.cost.obstacle_clearance_m, [170, 60, 60, 160]),
        )?;
        // A faint frame around start, goal and obstacles, 3 m out, so that nothing (labels
        // included) sits on the edge of the auto-fitted view.
        let mut lo = Vector2::new(self.start.position_m[0], self.start.position_m[1]);
        let mut hi = lo;
        for (p, r) in circles
            .iter()
            .map(|c| (c.center().coords, c.radius()))
            .chain([(self.goal(), self.goal.tolerance_m)])
        {
            lo = lo.inf(&(p - Vector2::repeat(r)));
            hi = hi.sup(&(p + Vector2::repeat(r)));
        }
        let (lo, hi) = (lo - Vector2::repeat(3.0), hi + Vector2::repeat(3.0));
        rec.log_static(
            "world/frame",
            &viz::polyline(
                [
                    lo,
                    Vector2::new(hi.x, lo.y),
                    hi,
                    Vector2::new(lo.x, hi.y),
                    lo,
                ],
                [70, 70, 70, 255],
                0.5,
            ),
        )?;
        let goal = self.goal();
        rec.log_static(
            "world/goal",
            &rerun::Points2D::new([[goal.x as f32, goal.y as f32]])
                .with_colors([GOAL_COLOR])
                .with_radii([rerun::Radius::new_ui_points(5.0)])
                .with_labels(["goal"]),
        )?;
        let goal_circle = Circle::new(Point2::from(goal), self.goal.tolerance_m)
            .map_err(|e| anyhow::anyhow!("goal: {e}"))?;
        rec.log_static(
            "world/goal/tolerance",
            &viz::circle_outlines(&[goal_circle], 0.0, GOAL_COLOR),
        )?;
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
        Ok(())
    }
}
