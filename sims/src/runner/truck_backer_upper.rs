//! `truck_backer_upper`: evaluates a learned truck backer-upper controller (the committed
//! weights by default) in the true kinematics from many random starts, beside two baselines:
//! shooting MPC through the true kinematics and shooting MPC through the learned emulator.
//!
//! Reported per algorithm and start distribution: success rate (docked: the trailer rear
//! reaches the wall within 0.5 of the dock, trailer angle within 10 degrees, no jack-knife),
//! the count of every failure kind (jack-knife, leaves the arena, misses the dock, times out),
//! mean final position and angle errors at the wall. The evaluation region is the issue's
//! ([`StartRegion::evaluation`]: `x in [10, 35]`, `|y| <= 8`, trailer within 90 degrees of
//! facing the dock, `|theta0 - theta1| <= 45 deg`); the same box with the trailer angle read
//! absolutely (`|theta1| <= 90 deg`) and the course's full distribution (`theta0` anywhere on
//! the circle) are reported for the learned controller too. The MPC baselines run on the first starts of the same evaluation list
//! (they plan at every control step, so they cost far more), and the learned controller's
//! figures on those same starts are reported beside them. With `lookahead = true` the
//! learned controller also runs from the evaluation starts with its start lookahead through
//! the learned emulator ([`crate::train::truck_lookahead`]): how many starts it nudged, how
//! many failures that rescued and how many docks it lost.
//!
//! Recording: arena and dock (static); every evaluation path of the learned controller
//! coloured by outcome (and the rear paths of the failures the lookahead rescued); the first `logged_episodes` starts replayed one after another on the
//! `step` timeline for every algorithm (cab and trailer as boxes, the rear's path).

use std::path::PathBuf;

use anyhow::Context;
use kestrel::control::{
    ControlRate, Dynamics, MpcConfig, QuasiNewton, ShootingMpc, TrailerDocking,
};
use nalgebra::{Vector1, Vector2, Vector4};
use rerun::blueprint::{Blueprint, Horizontal, Spatial2DView, TextDocumentView, Vertical};
use rerun::RecordingStream;
use serde::Deserialize;

use super::{RunContext, ScenarioKind};
use crate::report::Report;
use crate::scenario::{Checks, Header, ScenarioError, Source};
use crate::train::truck::{episode_stats, failed_starts, run_controller, EpisodeStats};
use crate::train::truck_lookahead::{nudges, run_with_lookahead, Nudge};
use crate::train::truck_models::{
    default_weights_dir, TruckController, TruckEmulator, CONTROLLER_FILE, EMULATOR_FILE,
};
use crate::worlds::truck::{DockingPlan, Episode, Outcome, SquareUp, StartRegion, TruckWorld};

/// The scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TruckScenario {
    /// Header.
    pub scenario: Header,
    /// The learned controller's evaluation.
    pub controller: ControllerConfig,
    /// The MPC baselines.
    pub mpc: MpcBaselineConfig,
}

/// `[controller]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControllerConfig {
    /// Directory with `controller.safetensors` and `emulator.safetensors`
    /// (default: the committed `weights/truck`). A relative path is taken from the current
    /// directory.
    #[serde(default)]
    pub weights: Option<PathBuf>,
    /// Starts from the evaluation region.
    pub episodes: usize,
    /// Starts from the course's full distribution.
    pub course_episodes: usize,
    /// Step limit of an episode (default 1500: 150 length units of travel).
    #[serde(default = "default_max_steps")]
    pub max_steps: usize,
    /// Episodes replayed on the `step` timeline (every algorithm, same starts).
    #[serde(default = "default_logged")]
    pub logged_episodes: usize,
    /// Expansion budget of the docking search run from every start the controller fails
    /// ([`TruckWorld::plan_docking`]; 0 = none): it tells failures the controller could have
    /// avoided from starts that cannot dock.
    #[serde(default)]
    pub search_budget: usize,
    /// Also run the controller with the start lookahead through the learned emulator
    /// ([`crate::train::truck_lookahead`]) from the same starts.
    #[serde(default)]
    pub lookahead: bool,
}

fn default_max_steps() -> usize {
    1500
}
fn default_logged() -> usize {
    8
}

/// `[mpc]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MpcBaselineConfig {
    /// Starts (the first of the evaluation list) for MPC through the true kinematics.
    pub episodes: usize,
    /// Starts for MPC through the learned emulator (each plan costs dfdx tape passes).
    pub emulator_episodes: usize,
    /// Horizon in steps (shortened near the wall so the plan ends where the episode does).
    pub horizon: usize,
    /// Steps executed from each plan before planning again.
    #[serde(default = "default_replan")]
    pub replan_every: usize,
    /// Optimiser iterations per plan.
    #[serde(default = "default_iterations")]
    pub max_iterations: usize,
    /// Weight of the trailer-angle error at the end of the horizon (position weight 1).
    #[serde(default = "default_angle_weight")]
    pub angle_weight: f64,
    /// Weight of the steering-rate penalty.
    #[serde(default = "default_rate_weight")]
    pub steering_rate_weight: f64,
}

fn default_replan() -> usize {
    5
}
fn default_iterations() -> usize {
    30
}
fn default_angle_weight() -> f64 {
    10.0
}
fn default_rate_weight() -> f64 {
    0.1
}

/// The trailer rear's path of an episode, every 5th state, for a line strip.
fn rear_strip(world: &TruckWorld, e: &Episode) -> Vec<[f32; 2]> {
    e.path
        .iter()
        .step_by(5)
        .map(|x| {
            let r = world.rear(x);
            [r.x as f32, r.y as f32]
        })
        .collect()
}

/// Colour of an outcome.
pub fn outcome_color(o: Outcome) -> [u8; 4] {
    match o {
        Outcome::Docked => [0, 158, 115, 255],
        Outcome::JackKnifed => [213, 94, 0, 255],
        Outcome::LeftArena => [240, 228, 66, 255],
        Outcome::MissedDock => [204, 121, 167, 255],
        Outcome::TimedOut => [160, 160, 160, 255],
    }
}

/// Logs the arena, the wall and the dock under `prefix` (static).
pub fn log_static_world(
    rec: &RecordingStream,
    world: &TruckWorld,
    prefix: &str,
) -> anyhow::Result<()> {
    let [x0, x1, y0, y1] = world.arena;
    let (x0, x1, y0, y1) = (x0 as f32, x1 as f32, y0 as f32, y1 as f32);
    rec.log_static(
        format!("{prefix}/arena"),
        &rerun::LineStrips2D::new([[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]])
            .with_colors([[120, 120, 120, 255]])
            .with_radii([0.05]),
    )?;
    rec.log_static(
        format!("{prefix}/wall"),
        &rerun::LineStrips2D::new([[[x0, y0], [x0, y1]]])
            .with_colors([[220, 220, 220, 255]])
            .with_radii([0.15]),
    )?;
    let tol = world.position_tolerance as f32;
    rec.log_static(
        format!("{prefix}/dock"),
        &rerun::LineStrips2D::new([[[x0, -tol], [x0, tol]]])
            .with_colors([[0, 158, 115, 255]])
            .with_radii([0.3])
            .with_labels(["dock"]),
    )?;
    Ok(())
}

/// A rectangle outline `length x width` from `base` along heading `theta`.
fn rectangle(base: Vector2<f64>, theta: f64, length: f64, width: f64) -> Vec<[f32; 2]> {
    let (s, c) = theta.sin_cos();
    let along = Vector2::new(c, s);
    let across = Vector2::new(-s, c) * (0.5 * width);
    let far = base + along * length;
    [
        base + across,
        far + across,
        far - across,
        base - across,
        base + across,
    ]
    .iter()
    .map(|p| [p.x as f32, p.y as f32])
    .collect()
}

/// Logs the rig at `x` as two boxes (cab ahead of the hitch, trailer behind it) under `path`.
pub fn log_rig(
    rec: &RecordingStream,
    world: &TruckWorld,
    path: &str,
    x: &Vector4<f64>,
    color: [u8; 4],
) -> anyhow::Result<()> {
    let hitch = Vector2::new(x[0], x[1]);
    let cab = rectangle(hitch, x[2], world.cab_front, 1.0);
    let d = world.truck.trailer_length();
    let trailer = rectangle(world.rear(x), x[3], d, 1.0);
    rec.log(
        path,
        &rerun::LineStrips2D::new([cab, trailer])
            .with_colors([color, [color[0], color[1], color[2], 160]])
            .with_radii([0.08]),
    )?;
    Ok(())
}

/// Logs an episode's trailer-rear path (one static-in-time strip) coloured by `color`.
pub fn log_episode_path(
    rec: &RecordingStream,
    world: &TruckWorld,
    path: &str,
    episode: &Episode,
    color: [u8; 4],
) -> anyhow::Result<()> {
    let strip: Vec<[f32; 2]> = episode
        .path
        .iter()
        .map(|x| {
            let r = world.rear(x);
            [r.x as f32, r.y as f32]
        })
        .collect();
    rec.log(
        path,
        &rerun::LineStrips2D::new([strip])
            .with_colors([color])
            .with_radii([0.06])
            .with_labels([episode.outcome.name()]),
    )?;
    Ok(())
}

/// State budget of the square-up search per start.
const SQUARE_UP_BUDGET: usize = 200_000;

fn add_stats(report: &mut Report, alg: &str, s: &EpisodeStats) {
    report
        .metric(alg, "episodes", s.episodes as f64)
        .metric(alg, "success_rate", s.success_rate)
        .metric(alg, "mean_position_error", s.mean_position_error)
        .metric(alg, "mean_angle_error_deg", s.mean_angle_error_deg);
    for (name, count) in &s.outcomes {
        report.metric(alg, name, *count as f64);
    }
}

impl TruckScenario {
    fn weights_dir(&self) -> PathBuf {
        self.controller
            .weights
            .clone()
            .unwrap_or_else(default_weights_dir)
    }

    /// Runs one episode with receding-horizon MPC through `dynamics`; the plan's horizon
    /// shrinks near the wall so that its end is where the rear reaches `x = 0`.
    fn mpc_episode<D: Dynamics<4, 1>>(
        &self,
        world: &TruckWorld,
        dynamics: &D,
        start: Vector4<f64>,
    ) -> anyhow::Result<Episode> {
        let m = &self.mpc;
        let limit = world.truck.max_steering();
        let cost = (
            TrailerDocking::new(world.truck, Vector2::zeros(), 0.0, 1.0, m.angle_weight)?,
            ControlRate::new(Vector1::new(m.steering_rate_weight))?,
        );
        let make = |h: usize| {
            let mut config = MpcConfig::new(h, Vector1::new(-limit), Vector1::new(limit));
            config.max_iterations = m.max_iterations;
            config.method = QuasiNewton::Bfgs;
            ShootingMpc::new(dynamics, config)
        };
        let mut horizon = m.horizon;
        let mut mpc = make(horizon)?;
        let mut x = start;
        let mut path = vec![x];
        let mut plan: Vec<f64> = Vec::new();
        let mut outcome = None;
        let mut steps = 0;
        while steps < self.controller.max_steps {
            if plan.is_empty() {
                // steps until the rear reaches the wall if it backed straight
                let to_wall = (world.rear(&x).x / world.truck.speed().abs())
                    .ceil()
                    .max(1.0) as usize;
                if to_wall < horizon {
                    horizon = to_wall.max(5);
                    let warm: Vec<Vector1<f64>> =
                        mpc.warm_start().iter().take(horizon).copied().collect();
                    let previous = *mpc.previous_action();
                    mpc = make(horizon)?;
                    if warm.len() == horizon {
                        mpc.set_warm_start(&warm)?;
                    }
                    mpc.set_previous_action(previous)?;
                }
                let solution = mpc.solve(&x, &cost).context("MPC solve")?;
                plan = solution
                    .actions
                    .iter()
                    .take(m.replan_every.max(1))
                    .map(|u| u[0])
                    .collect();
                plan.reverse();
                for _ in 0..m.replan_every.max(1) {
                    mpc.shift();
                }
            }
            let phi = plan.pop().unwrap_or(0.0);
            x = world.step(&x, phi);
            path.push(x);
            steps += 1;
            if let Some(o) = world.outcome(&x) {
                outcome = Some(o);
                break;
            }
        }
        Ok(Episode {
            outcome: outcome.unwrap_or(Outcome::TimedOut),
            steps,
            last: x,
            position_error: world.rear(&x).y.abs(),
            angle_error: kestrel::geometry::wrap_angle(x[3]).abs(),
            path,
        })
    }
}

/// The results as a markdown table, with the colour legend of the overview.
fn results_markdown(report: &Report) -> String {
    let mut text = String::from(
        "# Results\n\n| algorithm / starts | episodes | docked | success | jack-knifed | left arena | missed dock | timed out | mean pos. err. | mean angle err. (deg) |\n|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for (alg, m) in &report.metrics {
        let g = |k: &str| m.get(k).copied().unwrap_or(f64::NAN);
        if alg == "search_from_learned_failures" {
            continue;
        }
        text.push_str(&format!(
            "| {alg} | {} | {} | {:.1} % | {} | {} | {} | {} | {:.3} | {:.2} |\n",
            g("episodes"),
            g("docked"),
            100.0 * g("success_rate"),
            g("jackknifed"),
            g("left_arena"),
            g("missed_dock"),
            g("timed_out"),
            g("mean_position_error"),
            g("mean_angle_error_deg"),
        ));
    }
    if let Some(m) = report.metrics.get("search_from_learned_failures") {
        let g = |k: &str| m.get(k).copied().unwrap_or(f64::NAN);
        text.push_str(&format!(
            "\nDocking search (true kinematics) from the learned controller's {} failed starts: \
             {} docked (avoidable failures), {} exhausted (the start cannot dock), {} undecided; \
             learned or search: {:.1} %.\n",
            g("episodes"),
            g("docked"),
            g("exhausted"),
            g("out_of_budget"),
            100.0 * g("learned_or_search_success_rate"),
        ));
    }
    text.push_str(
        "\nOverview colours: green docked, pink missed the dock, yellow left the arena, \
         vermillion jack-knifed, grey timed out. Replay: blue learned controller, orange MPC \
         through the true kinematics, green MPC through the learned emulator (same starts, \
         one after another on the `step` timeline).\n",
    );
    text
}

/// Replays episodes one after another on the `step` timeline under `world/<alg>/...`;
/// `offsets[i]` is where episode `i` starts.
fn replay(
    rec: &RecordingStream,
    world: &TruckWorld,
    alg: &str,
    color: [u8; 4],
    episodes: &[Episode],
    offsets: &[usize],
) -> anyhow::Result<()> {
    for (e, offset) in episodes.iter().zip(offsets) {
        let mut rear_path: Vec<[f32; 2]> = Vec::with_capacity(e.path.len());
        for (k, x) in e.path.iter().enumerate() {
            rec.set_time_sequence("step", (offset + k) as i64);
            rec.set_duration_secs("sim_time", (offset + k) as f64);
            let r = world.rear(x);
            rear_path.push([r.x as f32, r.y as f32]);
            log_rig(rec, world, &format!("world/{alg}/rig"), x, color)?;
            if k % 5 == 0 || k + 1 == e.path.len() {
                rec.log(
                    format!("world/{alg}/path"),
                    &rerun::LineStrips2D::new([rear_path.clone()])
                        .with_colors([color])
                        .with_radii([0.05]),
                )?;
            }
        }
        rec.log(
            format!("world/{alg}/outcome"),
            &rerun::TextLog::new(format!(
                "{alg}: {} after {} steps",
                e.outcome.name(),
                e.steps
            )),
        )?;
    }
    Ok(())
}

impl ScenarioKind for TruckScenario {
    const KIND: &'static str = "truck_backer_upper";

    fn load(source: &Source) -> Result<Self, ScenarioError> {
        let s: Self = source.parse()?;
        let mut c = Checks::new(source);
        c.require(
            (1..=100_000).contains(&s.controller.episodes),
            "controller.episodes",
            "must be between 1 and 100000",
        )
        .require(
            s.controller.course_episodes <= 100_000,
            "controller.course_episodes",
            "must be at most 100000",
        )
        .require(
            (1..=100_000).contains(&s.controller.max_steps),
            "controller.max_steps",
            "must be between 1 and 100000",
        )
        .require(
            s.controller.logged_episodes <= s.controller.episodes,
            "controller.logged_episodes",
            "must not exceed controller.episodes",
        )
        .require(
            s.mpc.episodes <= s.controller.episodes,
            "mpc.episodes",
            "must not exceed controller.episodes (they share the starts)",
        )
        .require(
            s.mpc.emulator_episodes <= s.controller.episodes,
            "mpc.emulator_episodes",
            "must not exceed controller.episodes",
        )
        .require(
            (1..=1000).contains(&s.mpc.horizon),
            "mpc.horizon",
            "must be between 1 and 1000",
        )
        .require(
            (1..=1000).contains(&s.mpc.replan_every),
            "mpc.replan_every",
            "must be between 1 and 1000",
        )
        .require(
            s.mpc.max_iterations >= 1,
            "mpc.max_iterations",
            "must be at least 1",
        )
        .non_negative(s.mpc.angle_weight, "mpc.angle_weight")
        .non_negative(s.mpc.steering_rate_weight, "mpc.steering_rate_weight");
        c.finish()?;
        Ok(s)
    }

    fn run(&self, ctx: &RunContext) -> anyhow::Result<Report> {
        let world = TruckWorld::course();
        let rec = &ctx.rec;
        let dir = self.weights_dir();
        let controller = TruckController::load(&dir.join(CONTROLLER_FILE))
            .context("cannot load the controller")?;
        let emulator =
            TruckEmulator::load(&dir.join(EMULATOR_FILE)).context("cannot load the emulator")?;
        let mut report = Report::default();
        kestrel::viz::y_up(rec, "world")?;
        kestrel::viz::y_up(rec, "overview")?;
        log_static_world(rec, &world, "world")?;

        // Learned controller: evaluation region and the course's full distribution.
        let mut rng = ctx.rng(1);
        let region = StartRegion::evaluation();
        let starts: Vec<Vector4<f64>> = (0..self.controller.episodes)
            .map(|_| region.sample(&world, &mut rng))
            .collect();
        let bar = ctx.progress(3, "learned");
        let t = std::time::Instant::now();
        let learned = run_controller(
            &world,
            &controller,
            &starts,
            self.controller.max_steps,
            true,
        )?;
        report.timing(
            "learned",
            "seconds_per_episode",
            t.elapsed().as_secs_f64() / learned.len() as f64,
        );
        add_stats(
            &mut report,
            "learned/evaluation_region",
            &episode_stats(&learned),
        );
        // The same starts with the start lookahead through the emulator.
        let lookahead = if self.controller.lookahead {
            let t = std::time::Instant::now();
            let (episodes, chosen) = run_with_lookahead(
                &world,
                &controller,
                &emulator,
                &starts,
                self.controller.max_steps,
                &nudges(),
                true,
            )?;
            let alg = "learned_lookahead";
            report.timing(
                alg,
                "seconds_per_episode",
                t.elapsed().as_secs_f64() / episodes.len().max(1) as f64,
            );
            add_stats(
                &mut report,
                "learned_lookahead/evaluation_region",
                &episode_stats(&episodes),
            );
            let docked = |e: &Episode| e.outcome == Outcome::Docked;
            let count = |f: &dyn Fn(usize) -> bool| (0..starts.len()).filter(|i| f(*i)).count();
            report.metric(
                alg,
                "nudged_starts",
                count(&|i| chosen[i] != Nudge::None) as f64,
            );
            report.metric(
                alg,
                "rescued",
                count(&|i| !docked(&learned[i]) && docked(&episodes[i])) as f64,
            );
            report.metric(
                alg,
                "lost",
                count(&|i| docked(&learned[i]) && !docked(&episodes[i])) as f64,
            );
            episodes
                .into_iter()
                .zip(&learned)
                .filter(|(e, l)| docked(e) && !docked(l))
                .map(|(e, _)| e)
                .collect()
        } else {
            Vec::new()
        };
        // Which starts cannot dock at all: the trailer cannot turn square to the wall without
        // leaving the arena at a side wall (a necessary condition; see
        // `TruckWorld::can_square_up`). The controller's figures on the other starts.
        let squarable: Vec<bool> = starts
            .iter()
            .map(|s| world.can_square_up(s, SQUARE_UP_BUDGET) != SquareUp::Impossible)
            .collect();
        report.metric(
            "learned/evaluation_region",
            "starts_cannot_square_up",
            squarable.iter().filter(|ok| !**ok).count() as f64,
        );
        let feasible: Vec<Episode> = learned
            .iter()
            .zip(&squarable)
            .filter(|(_, ok)| **ok)
            .map(|(e, _)| e.clone())
            .collect();
        add_stats(
            &mut report,
            "learned/evaluation_region_can_square_up",
            &episode_stats(&feasible),
        );
        // The docking search from every failed start: which failures were avoidable.
        if self.controller.search_budget > 0 {
            use rayon::prelude::*;
            let failed = failed_starts(&starts, &learned);
            let budget = self.controller.search_budget;
            let plans: Vec<DockingPlan> = failed
                .par_iter()
                .map(|s| world.plan_docking(s, budget))
                .collect();
            let count = |f: fn(&DockingPlan) -> bool| plans.iter().filter(|p| f(p)).count() as f64;
            let alg = "search_from_learned_failures";
            report.metric(alg, "episodes", failed.len() as f64);
            let found = count(|p| matches!(p, DockingPlan::Found(_)));
            report.metric(alg, "docked", found);
            report.metric(
                alg,
                "exhausted",
                count(|p| matches!(p, DockingPlan::Exhausted { .. })),
            );
            report.metric(
                alg,
                "out_of_budget",
                count(|p| *p == DockingPlan::OutOfBudget),
            );
            let docked = learned
                .iter()
                .filter(|e| e.outcome == Outcome::Docked)
                .count() as f64;
            report.metric(
                alg,
                "learned_or_search_success_rate",
                (docked + found) / learned.len().max(1) as f64,
            );
        }
        bar.inc(1);
        if self.controller.course_episodes > 0 {
            let mut rng = ctx.rng(2);
            let course: Vec<Vector4<f64>> = (0..self.controller.course_episodes)
                .map(|_| StartRegion::Course.sample(&world, &mut rng))
                .collect();
            let full = run_controller(
                &world,
                &controller,
                &course,
                self.controller.max_steps,
                false,
            )?;
            add_stats(
                &mut report,
                "learned/course_distribution",
                &episode_stats(&full),
            );
        }
        {
            let mut rng = ctx.rng(3);
            let absolute: Vec<Vector4<f64>> = (0..self.controller.episodes)
                .map(|_| StartRegion::evaluation_absolute().sample(&world, &mut rng))
                .collect();
            let runs = run_controller(
                &world,
                &controller,
                &absolute,
                self.controller.max_steps,
                false,
            )?;
            add_stats(
                &mut report,
                "learned/evaluation_box_absolute_angle",
                &episode_stats(&runs),
            );
        }
        bar.inc(1);

        // Baselines on the first starts, and the learned controller on the same starts.
        let n_true = self.mpc.episodes;
        let n_emu = self.mpc.emulator_episodes;
        let mut mpc_true = Vec::with_capacity(n_true);
        let bar_mpc = ctx.progress((n_true + n_emu) as u64, "mpc");
        let t = std::time::Instant::now();
        for s in &starts[..n_true] {
            mpc_true.push(self.mpc_episode(&world, &world.truck, *s)?);
            bar_mpc.inc(1);
        }
        if n_true > 0 {
            report.timing(
                "mpc_true_kinematics",
                "seconds_per_episode",
                t.elapsed().as_secs_f64() / n_true as f64,
            );
            add_stats(
                &mut report,
                "mpc_true_kinematics/evaluation_region",
                &episode_stats(&mpc_true),
            );
            add_stats(
                &mut report,
                "learned/same_starts_as_mpc_true",
                &episode_stats(&learned[..n_true]),
            );
        }
        let mut mpc_emu = Vec::with_capacity(n_emu);
        let t = std::time::Instant::now();
        for s in &starts[..n_emu] {
            mpc_emu.push(self.mpc_episode(&world, &emulator, *s)?);
            bar_mpc.inc(1);
        }
        bar_mpc.finish_and_clear();
        if n_emu > 0 {
            report.timing(
                "mpc_learned_emulator",
                "seconds_per_episode",
                t.elapsed().as_secs_f64() / n_emu as f64,
            );
            add_stats(
                &mut report,
                "mpc_learned_emulator/evaluation_region",
                &episode_stats(&mpc_emu),
            );
            add_stats(
                &mut report,
                "learned/same_starts_as_mpc_emulator",
                &episode_stats(&learned[..n_emu]),
            );
        }
        bar.inc(1);
        bar.finish_and_clear();

        if rec.is_enabled() {
            rec.log_static(
                "results",
                &rerun::TextDocument::from_markdown(results_markdown(&report)),
            )?;
            // Every evaluation path of the learned controller, by outcome.
            for o in Outcome::ALL {
                let strips: Vec<Vec<[f32; 2]>> = learned
                    .iter()
                    .filter(|e| e.outcome == o)
                    .map(|e| rear_strip(&world, e))
                    .collect();
                if !strips.is_empty() {
                    rec.log_static(
                        format!("overview/learned_paths/{}", o.name()),
                        &rerun::LineStrips2D::new(strips)
                            .with_colors([outcome_color(o)])
                            .with_radii([0.03]),
                    )?;
                }
            }
            // The failures the lookahead turned into docks.
            if !lookahead.is_empty() {
                let strips: Vec<Vec<[f32; 2]>> =
                    lookahead.iter().map(|e| rear_strip(&world, e)).collect();
                rec.log_static(
                    "overview/lookahead_rescued",
                    &rerun::LineStrips2D::new(strips)
                        // sky blue, drawn over the outcome paths
                        .with_colors([[86, 180, 233, 255]])
                        .with_radii([0.08])
                        .with_draw_order(50.0),
                )?;
            }
            log_static_world(rec, &world, "overview")?;
            // Replays: the first logged starts, each algorithm side by side in time.
            let k = self.controller.logged_episodes;
            let len = |v: &[Episode], i: usize| v.get(i).map_or(0, |e| e.path.len());
            let mut offsets = Vec::with_capacity(k);
            let mut offset = 0;
            for i in 0..k {
                offsets.push(offset);
                offset += len(&learned, i)
                    .max(len(&mpc_true, i))
                    .max(len(&mpc_emu, i))
                    + 20;
            }
            replay(
                rec,
                &world,
                "learned",
                kestrel::viz::color(0),
                &learned[..k],
                &offsets,
            )?;
            replay(
                rec,
                &world,
                "mpc_true_kinematics",
                kestrel::viz::color(1),
                &mpc_true[..k.min(n_true)],
                &offsets,
            )?;
            replay(
                rec,
                &world,
                "mpc_learned_emulator",
                kestrel::viz::color(2),
                &mpc_emu[..k.min(n_emu)],
                &offsets,
            )?;
        }
        Ok(report)
    }

    fn blueprint(&self) -> Option<Blueprint> {
        Some(super::layout(
            Vertical::new([
                Horizontal::new([
                    // origin "/" so that the y-up mirror logged at "world" / "overview" applies
                    Spatial2DView::new("episode replay (learned, MPC true, MPC emulator)")
                        .with_origin("/")
                        .with_contents(["/world/**"])
                        .into(),
                    Spatial2DView::new("learned controller: every evaluation path by outcome (blue: rescued by the lookahead)")
                        .with_origin("/")
                        .with_contents(["/overview/**"])
                        .into(),
                ])
                .into(),
                TextDocumentView::new("scenario")
                    .with_origin("scenario")
                    .into(),
            ])
            .with_row_shares([3.0, 1.0]),
        ))
    }
}
