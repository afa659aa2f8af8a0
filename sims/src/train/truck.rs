//! `kestrel train truck`: the truck backer-upper pipeline.
//!
//! 1. **Data**: random-steering rollouts of the true kinematics ([`random_rollouts`]) from the
//!    course's start distribution; whole episodes are split 90 / 10 into training and held-out
//!    sets.
//! 2. **Emulator**: [`TruckEmulator`] fitted to the training transitions (Adam on the
//!    normalised state change); reported: held-out one-step RMSE per state and the error
//!    after 50 open-loop steps with the recorded steering.
//! 3. **Warm start** ([`warm_start`], when `demo_starts > 0`): docking searches
//!    ([`TruckWorld::plan_docking`]) from random starts of the last lesson's region give
//!    demonstrations the controller is fitted to (behaviour cloning). Without it every
//!    variant of step 4 tried plateaus at 80-84 % of the evaluation region: the hard starts
//!    (trailer pointing at a side wall) need a different family of manoeuvres (back towards
//!    the wall, along it with the cab a fraction of a unit away, then swing onto the dock)
//!    that gradient descent from a controller that turns for the dock never reaches. The
//!    demonstrations put the controller in that family; step 4 makes it precise. The
//!    validation curve then plateaus at 87-90 % (`train_truck.json`, `best.history`); the
//!    emulator is not the cause ([`run_controller_in_emulator`] ends 399 of 400 of that
//!    controller's episodes as the true kinematics do); step 5 takes it further.
//! 4. **Controller**: [`TruckController`] trained by back-propagation through time through the
//!    frozen emulator ([`train_curriculum`]) over lessons whose start boxes widen from "close
//!    to the dock, aligned" to a little beyond the evaluation region, part of every minibatch
//!    drawn from the earlier lessons (rehearsal) and from mined hard starts (the ones the
//!    controller currently fails in the true kinematics), each episode's loss through a robust
//!    `s ln(1 + L / s)`; after every lesson the controller is scored in the true kinematics on
//!    the lesson's starts and on the evaluation region, and every 10 steps on a fixed
//!    validation set of evaluation-region starts: the controller saved is the best one there
//!    (later lessons, with the hardest starts, tend to trade some starts for others).
//! 5. **Lookahead distillation** (`distill_rounds` rounds; expert iteration through the
//!    emulator, [`super::truck_lookahead::distill_lookahead`]): from fresh evaluation-region
//!    starts the start lookahead finds, in the emulator, the steering nudges that turn the
//!    controller's predicted failures into docks, and the controller is fitted to those
//!    nudged closed loops together with its own docking ones. The curriculum's gradient
//!    reaches a local optimum where many close-to-the-dock starts end a little off the dock;
//!    the lookahead's improvements are nearby and the fit carries them over to neighbouring
//!    starts, so every round docks more (the validation rate after each round is reported).
//! 6. **Output**: `emulator.safetensors`, `controller.safetensors` in the weights directory,
//!    `train_truck.json` (every figure) and the recording: `plots/emulator_loss`,
//!    `plots/loss`, `plots/lesson_success/*`, `plots/distillation/*`, example episodes per
//!    lesson under `world/lessons/<k>`.
//!
//! Everything random derives from the seed; with the same seed and build the weights are
//! bit-identical (dfdx's CPU kernels are deterministic for these sizes; the searches run in
//! parallel but each is deterministic and their results are used in start order).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use kestrel::learning::{
    train_curriculum, BpttConfig, BpttStep, CurriculumObserver, FitConfig, LearningError, Lesson,
    PolicyTrainer, StartDistribution, Transitions,
};
use nalgebra::{Vector1, Vector4};
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use rerun::RecordingStream;
use serde::Serialize;

use super::truck_models::{
    controller_features, controller_standardization_states, emulator_features, objective,
    TruckController, TruckEmulator, CONTROLLER_FILE, EMULATOR_FILE,
};
use crate::runner::{derive_seed, progress_bar};
use crate::worlds::truck::{
    random_rollouts, run_episodes, DockingPlan, Episode, Outcome, StartRegion, TruckWorld,
};

/// Settings of the pipeline (the defaults are what the committed weights were trained with).
/// `kestrel train truck --config FILE.json` overrides any of them.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    /// Base seed.
    pub seed: u64,
    /// Random-steering episodes for the emulator's data.
    pub data_episodes: usize,
    /// Longest random-steering episode.
    pub data_steps: usize,
    /// Probability per step of a new random steering angle.
    pub data_switch: f64,
    /// Emulator fit: Adam steps.
    pub emulator_iterations: usize,
    /// Emulator fit: minibatch.
    pub emulator_batch: usize,
    /// Emulator fit: learning rate.
    pub emulator_learning_rate: f64,
    /// Number of curriculum lessons.
    pub lessons: usize,
    /// BPTT steps per lesson.
    pub lesson_iterations: usize,
    /// Episodes per BPTT step.
    pub batch_size: usize,
    /// Adam learning rate of the controller (lessons after the first half use half of it).
    pub learning_rate: f64,
    /// Global gradient-norm clip.
    pub clip_norm: f64,
    /// Scale of the robust per-episode loss (`BpttConfig::robust_scale`; 0 = plain mean).
    pub robust_scale: f64,
    /// Episodes per lesson-end evaluation in the true kinematics.
    pub eval_episodes: usize,
    /// Step limit of an evaluation episode.
    pub eval_max_steps: usize,
    /// Example episodes logged per lesson.
    pub logged_episodes: usize,
    /// Weight of the trailer-angle term of the objective.
    pub angle_weight: f64,
    /// Weight of the jack-knife penalty.
    pub jackknife_weight: f64,
    /// Weight of the arena penalties.
    pub arena_weight: f64,
    /// Hitch angle (degrees) where the jack-knife penalty starts.
    pub jackknife_start_deg: f64,
    /// Largest cab-front |y| before the arena penalty.
    pub arena_front_y: f64,
    /// Largest trailer-rear |y| before the arena penalty.
    pub arena_rear_y: f64,
    /// Learning-rate factor of the second half of the lessons.
    pub late_rate_factor: f64,
    /// Learning-rate factor of the last lesson (which runs twice as long).
    pub final_rate_factor: f64,
    /// Lesson start boxes with the trailer angle relative to the dock's bearing
    /// ([`StartRegion::Facing`]) rather than absolute ([`StartRegion::Box`]).
    pub lessons_facing: bool,
    /// Lowest hitch x of every lesson.
    pub lesson_x_min: f64,
    /// Highest hitch x of the last lesson.
    pub final_x_max: f64,
    /// Largest |y| of the last lesson.
    pub final_y_max: f64,
    /// Largest trailer angle (degrees; from facing the dock, or absolute) of the last lesson.
    pub final_angle_deg: f64,
    /// Largest |theta0 - theta1| (degrees) of the last lesson.
    pub final_hitch_deg: f64,
    /// The last lesson runs this many times `lesson_iterations` steps.
    pub final_iterations_factor: usize,
    /// Fraction of each minibatch drawn uniformly from the lessons so far (the current one
    /// included) rather than from the current lesson: rehearsal against forgetting.
    pub replay_fraction: f64,
    /// Fixed validation starts from the evaluation region (true kinematics).
    pub validation_episodes: usize,
    /// Validate every this many BPTT steps (and at every lesson end); the controller that docks
    /// most validation starts (the later one on ties) is the one saved.
    pub validation_every: usize,
    /// Fraction of each minibatch drawn from the pool of mined hard starts (0 = none).
    pub hard_fraction: f64,
    /// Capacity of the hard-start pool (the oldest leave first).
    pub hard_pool: usize,
    /// Fresh starts of the current lesson run in the true kinematics at every validation; the
    /// ones the controller fails join the hard-start pool.
    pub mining_episodes: usize,
    /// Failed mined starts per validation handed to the docking search
    /// ([`TruckWorld::plan_docking`]), on a second thread while training goes on; states a
    /// quarter, half and three quarters of the way along each manoeuvre found join the pool at
    /// the next validation (0 = none).
    pub plan_per_check: usize,
    /// Expansion budget of each docking search.
    pub plan_budget: usize,
    /// Warm start: starts of the last lesson's region whose docking searches
    /// ([`TruckWorld::plan_docking`], true kinematics) give demonstrations the controller is
    /// fitted to before the curriculum (behaviour cloning; 0 = no warm start).
    pub demo_starts: usize,
    /// Expansion budget of each demonstration's search.
    pub demo_budget: usize,
    /// Adam steps of the behaviour-cloning fit (minibatch 256, learning rate 3e-3).
    pub demo_iterations: usize,
    /// Fraction of each minibatch starting from a state along a demonstrated manoeuvre (every
    /// 8th state, those the manoeuvre docks from within three quarters of the lesson's unroll
    /// limit): the controller learns through the emulator to dock from where the
    /// demonstrations pass (0 = none).
    pub demo_fraction: f64,
    /// Rounds of lookahead distillation after the curriculum
    /// ([`super::truck_lookahead::distill_lookahead`]; 0 = none).
    pub distill_rounds: usize,
    /// Fresh evaluation-region starts per distillation round.
    pub distill_starts: usize,
    /// Copies of each state-steering pair of a nudged episode in the fit.
    pub distill_repeat: usize,
    /// Every this many states of an unchanged docking episode enter the fit.
    pub distill_stride: usize,
    /// Adam steps of each round's fit (minibatch 256).
    pub distill_iterations: usize,
    /// Learning rate of each round's fit (cosine-decayed to 5 %).
    pub distill_learning_rate: f64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            seed: 1,
            data_episodes: 2000,
            data_steps: 100,
            data_switch: 0.05,
            emulator_iterations: 6000,
            emulator_batch: 256,
            emulator_learning_rate: 3e-3,
            lessons: 4,
            lesson_iterations: 400,
            batch_size: 64,
            learning_rate: 1e-3,
            clip_norm: 1.0,
            robust_scale: 3.0,
            eval_episodes: 200,
            eval_max_steps: 1500,
            logged_episodes: 6,
            angle_weight: super::truck_models::ANGLE_WEIGHT,
            jackknife_weight: super::truck_models::JACKKNIFE_WEIGHT,
            arena_weight: super::truck_models::ARENA_WEIGHT,
            jackknife_start_deg: super::truck_models::JACKKNIFE_PENALTY_START_DEG,
            arena_front_y: super::truck_models::ARENA_FRONT_Y,
            arena_rear_y: super::truck_models::ARENA_REAR_Y,
            late_rate_factor: 0.5,
            final_rate_factor: 0.2,
            lessons_facing: true,
            lesson_x_min: 7.0,
            final_x_max: 36.0,
            final_y_max: 8.5,
            final_angle_deg: 95.0,
            final_hitch_deg: 45.0,
            final_iterations_factor: 2,
            replay_fraction: 0.5,
            validation_episodes: 300,
            validation_every: 10,
            hard_fraction: 0.25,
            hard_pool: 256,
            mining_episodes: 128,
            plan_per_check: 0,
            plan_budget: 300_000,
            demo_starts: 300,
            demo_budget: 1_000_000,
            demo_iterations: 4000,
            demo_fraction: 0.0,
            distill_rounds: 4,
            distill_starts: 10000,
            distill_repeat: 5,
            distill_stride: 4,
            distill_iterations: 2000,
            distill_learning_rate: 1e-3,
        }
    }
}

/// Starts the controller failed from (in the true kinematics), shared by the lessons, which
/// draw from it, and the trainer's observer, which fills it: hard-example mining. At most
/// `capacity` starts; the oldest leave first.
#[derive(Debug, Clone, Default)]
pub struct HardStarts {
    starts: std::collections::VecDeque<Vector4<f64>>,
    capacity: usize,
}

impl HardStarts {
    /// An empty pool of `capacity` starts.
    pub fn new(capacity: usize) -> Self {
        Self {
            starts: std::collections::VecDeque::with_capacity(capacity),
            capacity,
        }
    }

    /// Adds a start (dropping the oldest when full).
    pub fn push(&mut self, start: Vector4<f64>) {
        if self.capacity == 0 {
            return;
        }
        if self.starts.len() == self.capacity {
            self.starts.pop_front();
        }
        self.starts.push_back(start);
    }

    /// Starts in the pool.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }
}

/// A hard-start pool shared between the lessons and the observer.
pub type SharedHardStarts = std::rc::Rc<std::cell::RefCell<HardStarts>>;

/// The starts of one lesson: with probability `hard` a start from the mined pool of hard
/// starts (when it has any), else its own region, and with probability `replay` a region drawn
/// uniformly from this and the earlier lessons' (rehearsal).
#[derive(Debug, Clone)]
pub struct LessonStarts {
    world: TruckWorld,
    /// The lesson's region.
    pub region: StartRegion,
    /// The regions of the lessons so far (this one last).
    pub earlier: Vec<StartRegion>,
    /// Probability of a rehearsal start.
    pub replay: f64,
    /// Probability of a mined hard start.
    pub hard: f64,
    /// The mined hard starts.
    pub pool: SharedHardStarts,
    /// Probability of a start along a demonstrated manoeuvre.
    pub demo: f64,
    /// States along the demonstrated manoeuvres this lesson draws from.
    pub demos: std::rc::Rc<Vec<Vector4<f64>>>,
}

impl StartDistribution<4> for LessonStarts {
    fn sample(&self, rng: &mut dyn RngCore) -> Vector4<f64> {
        use rand::Rng;
        if self.demo > 0.0 && !self.demos.is_empty() && rng.random_bool(self.demo) {
            return self.demos[rng.random_range(0..self.demos.len())];
        }
        if self.hard > 0.0 && rng.random_bool(self.hard) {
            let pool = self.pool.borrow();
            if !pool.is_empty() {
                return pool.starts[rng.random_range(0..pool.len())];
            }
        }
        if self.replay > 0.0 && self.earlier.len() > 1 && rng.random_bool(self.replay) {
            let k = rng.random_range(0..self.earlier.len());
            self.earlier[k].sample(&self.world, rng)
        } else {
            self.region.sample(&self.world, rng)
        }
    }
}

/// The curriculum: `count` lessons whose start regions widen linearly from hitch
/// `x in [x_min, 10]`, `|y| <= 0.5`, trailer angle within 5 degrees (of 0, or of facing the dock
/// with `lessons_facing`), `|theta0 - theta1| <= 3 deg` to the last lesson's
/// `x in [x_min, final_x_max]`, `|y| <= final_y_max`, within `final_angle_deg`,
/// `|theta0 - theta1| <= final_hitch_deg` (by default a little beyond the evaluation region),
/// with unroll limits long enough to reach the wall (`12 (x_max + y_max) + 60` steps, at most
/// 600). A `replay_fraction` of every minibatch starts in a lesson drawn uniformly from the
/// lessons so far. The learning rate drops to `late_rate_factor` of itself after the first half
/// of the lessons; the last lesson runs `final_iterations_factor` times as long at
/// `final_rate_factor` of it, to polish the precision.
pub fn lessons(
    world: &TruckWorld,
    config: &TrainConfig,
    pool: &SharedHardStarts,
) -> Vec<Lesson<LessonStarts>> {
    let count = config.lessons.max(1);
    let mut earlier = Vec::with_capacity(count);
    (0..count)
        .map(|k| {
            let s = (k + 1) as f64 / count as f64;
            let lerp = |a: f64, b: f64| a + s * (b - a);
            let (x_max, y_max) = (
                lerp(10.0, config.final_x_max),
                lerp(0.5, config.final_y_max),
            );
            let (angle, hitch_max) = (
                lerp(5.0, config.final_angle_deg).to_radians(),
                lerp(3.0, config.final_hitch_deg).to_radians(),
            );
            let region = if config.lessons_facing {
                StartRegion::Facing {
                    x_min: config.lesson_x_min,
                    x_max,
                    y_max,
                    facing_max: angle,
                    hitch_max,
                }
            } else {
                StartRegion::Box {
                    x_min: config.lesson_x_min,
                    x_max,
                    y_max,
                    trailer_max: angle,
                    hitch_max,
                }
            };
            let last = k + 1 == count;
            earlier.push(region);
            Lesson {
                name: format!("lesson {:02}: x <= {x_max:.1}, |y| <= {y_max:.1}", k + 1),
                starts: LessonStarts {
                    world: *world,
                    region,
                    earlier: earlier.clone(),
                    replay: config.replay_fraction.clamp(0.0, 1.0),
                    hard: config.hard_fraction.clamp(0.0, 1.0),
                    pool: pool.clone(),
                    demo: config.demo_fraction.clamp(0.0, 1.0),
                    demos: Default::default(),
                },
                iterations: if last {
                    config.final_iterations_factor.max(1) * config.lesson_iterations
                } else {
                    config.lesson_iterations
                },
                batch_size: config.batch_size,
                max_steps: ((12.0 * (x_max + y_max) + 60.0) as usize).min(600),
                learning_rate: if last {
                    config.final_rate_factor * config.learning_rate
                } else if 2 * k < count {
                    config.learning_rate
                } else {
                    config.late_rate_factor * config.learning_rate
                },
            }
        })
        .collect()
}

/// Success statistics of a set of episodes.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EpisodeStats {
    /// Episodes.
    pub episodes: usize,
    /// Fraction docked.
    pub success_rate: f64,
    /// Count per outcome.
    pub outcomes: BTreeMap<String, usize>,
    /// Mean `|y_rear|` at the wall over the episodes that reached it (docked or missed).
    pub mean_position_error: f64,
    /// Mean `|theta1|` (degrees) at the wall over the episodes that reached it.
    pub mean_angle_error_deg: f64,
}

/// Summarises episodes.
pub fn episode_stats(episodes: &[Episode]) -> EpisodeStats {
    let mut outcomes: BTreeMap<String, usize> = Outcome::ALL
        .iter()
        .map(|o| (o.name().to_string(), 0))
        .collect();
    let (mut pos, mut ang, mut at_wall) = (0.0, 0.0, 0usize);
    for e in episodes {
        *outcomes.entry(e.outcome.name().to_string()).or_default() += 1;
        if matches!(e.outcome, Outcome::Docked | Outcome::MissedDock) {
            pos += e.position_error;
            ang += e.angle_error.to_degrees();
            at_wall += 1;
        }
    }
    let n = episodes.len().max(1) as f64;
    EpisodeStats {
        episodes: episodes.len(),
        success_rate: outcomes["docked"] as f64 / n,
        outcomes,
        mean_position_error: pos / at_wall.max(1) as f64,
        mean_angle_error_deg: ang / at_wall.max(1) as f64,
    }
}

/// Runs a controller from `count` starts of `region` (drawn with `rng`) in the true
/// kinematics.
pub fn evaluate_controller(
    world: &TruckWorld,
    controller: &TruckController,
    region: &StartRegion,
    count: usize,
    max_steps: usize,
    keep_paths: bool,
    rng: &mut dyn RngCore,
) -> anyhow::Result<Vec<Episode>> {
    let starts: Vec<Vector4<f64>> = (0..count).map(|_| region.sample(world, rng)).collect();
    run_controller(world, controller, &starts, max_steps, keep_paths)
}

/// Runs a controller from the given starts in the true kinematics (one batched forward pass
/// per step).
pub fn run_controller(
    world: &TruckWorld,
    controller: &TruckController,
    starts: &[Vector4<f64>],
    max_steps: usize,
    keep_paths: bool,
) -> anyhow::Result<Vec<Episode>> {
    run_episodes(world, starts, max_steps, keep_paths, |states| {
        steering(controller, states)
    })
}

/// The controller's steering angles for a batch of states (one forward pass).
fn steering(
    controller: &TruckController,
    states: &[Vector4<f64>],
) -> Result<Vec<f64>, LearningError> {
    controller
        .act_batch(states)
        .map(|u| u.iter().map(|a| a[0]).collect())
}

/// The starts whose episodes did not dock (`episodes[i]` ran from `starts[i]`).
pub fn failed_starts(starts: &[Vector4<f64>], episodes: &[Episode]) -> Vec<Vector4<f64>> {
    starts
        .iter()
        .zip(episodes)
        .filter(|(_, e)| e.outcome != Outcome::Docked)
        .map(|(s, _)| *s)
        .collect()
}

/// Runs a controller from the given starts in closed loop with the *emulator* in place of the
/// true kinematics (one batched forward pass of each network per step), ending episodes as
/// [`TruckWorld::outcome`] says. Set beside [`run_controller`] it shows whether the emulator
/// the controller was trained through predicts the controller's real outcomes (it does for the
/// committed weights: 400 of 400 starts end the same way).
pub fn run_controller_in_emulator(
    world: &TruckWorld,
    controller: &TruckController,
    emulator: &super::truck_models::TruckEmulator,
    starts: &[Vector4<f64>],
    max_steps: usize,
) -> anyhow::Result<Vec<Episode>> {
    let unchanged = vec![super::truck_lookahead::Nudge::None; starts.len()];
    super::truck_lookahead::run_nudged(
        world,
        controller,
        Some(emulator),
        starts,
        &unchanged,
        max_steps,
        false,
    )
}

/// The emulator's held-out accuracy.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EmulatorAccuracy {
    /// Training transitions.
    pub train_transitions: usize,
    /// Held-out transitions.
    pub heldout_transitions: usize,
    /// Final training loss (normalised MSE).
    pub train_loss: f64,
    /// Held-out one-step normalised MSE.
    pub heldout_normalized_mse: f64,
    /// Held-out one-step RMSE of `x, y, theta0, theta1`.
    pub one_step_rmse: [f64; 4],
    /// Held-out windows of 50 steps rolled open loop.
    pub windows_50: usize,
    /// Mean hitch position error after 50 steps.
    pub mean_position_error_50: f64,
    /// Mean |theta0| error (degrees) after 50 steps.
    pub mean_cab_angle_error_deg_50: f64,
    /// Mean |theta1| error (degrees) after 50 steps.
    pub mean_trailer_angle_error_deg_50: f64,
    /// The true mean hitch displacement over 50 steps (for scale).
    pub mean_displacement_50: f64,
}

fn transitions(episodes: &[(Vec<Vector4<f64>>, Vec<f64>)]) -> Transitions<4, 1> {
    let mut data = Transitions::default();
    for (states, actions) in episodes {
        for (t, phi) in actions.iter().enumerate() {
            data.push(states[t], Vector1::new(*phi), states[t + 1]);
        }
    }
    data
}

/// Held-out accuracy: one-step errors and 50-step open-loop errors on `heldout` episodes.
pub fn emulator_accuracy(
    emulator: &TruckEmulator,
    heldout: &[(Vec<Vector4<f64>>, Vec<f64>)],
) -> anyhow::Result<EmulatorAccuracy> {
    let data = transitions(heldout);
    let one = emulator.evaluate(&data)?;
    // Every window of 50 steps starting at multiples of 25, rolled as one batch.
    let mut starts = Vec::new();
    for (e, (_, actions)) in heldout.iter().enumerate() {
        let mut t = 0;
        while t + 50 <= actions.len() {
            starts.push((e, t));
            t += 25;
        }
    }
    let mut x: Vec<Vector4<f64>> = starts.iter().map(|&(e, t)| heldout[e].0[t]).collect();
    for k in 0..50 {
        let u: Vec<Vector1<f64>> = starts
            .iter()
            .map(|&(e, t)| Vector1::new(heldout[e].1[t + k]))
            .collect();
        x = emulator.predict_batch(&x, &u)?;
    }
    let (mut pos, mut a0, mut a1, mut disp) = (0.0, 0.0, 0.0, 0.0);
    for (p, &(e, t)) in x.iter().zip(&starts) {
        let truth = heldout[e].0[t + 50];
        pos += (p.xy() - truth.xy()).norm();
        a0 += kestrel::geometry::wrap_angle(p[2] - truth[2])
            .abs()
            .to_degrees();
        a1 += kestrel::geometry::wrap_angle(p[3] - truth[3])
            .abs()
            .to_degrees();
        disp += (truth.xy() - heldout[e].0[t].xy()).norm();
    }
    let n = starts.len().max(1) as f64;
    Ok(EmulatorAccuracy {
        train_transitions: 0,
        heldout_transitions: data.len(),
        train_loss: f64::NAN,
        heldout_normalized_mse: one.normalized_mse,
        one_step_rmse: [one.rmse[0], one.rmse[1], one.rmse[2], one.rmse[3]],
        windows_50: starts.len(),
        mean_position_error_50: pos / n,
        mean_cab_angle_error_deg_50: a0 / n,
        mean_trailer_angle_error_deg_50: a1 / n,
        mean_displacement_50: disp / n,
    })
}

/// Generates the data and fits the emulator (stream ids 1 and 2 of the seed).
pub fn train_emulator(
    world: &TruckWorld,
    config: &TrainConfig,
    mut observer: impl FnMut(usize, f64),
) -> anyhow::Result<(TruckEmulator, EmulatorAccuracy)> {
    let mut data_rng = StdRng::seed_from_u64(derive_seed(config.seed, 1));
    let episodes = random_rollouts(
        world,
        &StartRegion::Course,
        config.data_episodes,
        config.data_steps,
        config.data_switch,
        &mut data_rng,
    );
    let split = episodes.len() * 9 / 10;
    let (train, heldout) = episodes.split_at(split);
    let data = transitions(train);
    let mut emulator = TruckEmulator::new(emulator_features()?, derive_seed(config.seed, 2))?;
    let mut fit_rng = StdRng::seed_from_u64(derive_seed(config.seed, 3));
    let fit = FitConfig {
        iterations: config.emulator_iterations,
        batch_size: config.emulator_batch,
        learning_rate: config.emulator_learning_rate,
    };
    let train_loss = emulator.fit(&data, &fit, &mut fit_rng, &mut observer)?;
    let mut accuracy = emulator_accuracy(&emulator, heldout)?;
    accuracy.train_transitions = data.len();
    accuracy.train_loss = train_loss;
    Ok((emulator, accuracy))
}

/// A fresh controller (stream 4 of the seed) with its input standardisation.
pub fn new_controller(
    config: &TrainConfig,
    world: &TruckWorld,
) -> Result<TruckController, LearningError> {
    let mut features = controller_features()?;
    features.fit_standardization(&controller_standardization_states())?;
    TruckController::new(
        features,
        Vector1::new(world.truck.max_steering()),
        derive_seed(config.seed, 4),
    )
}

/// What the whole pipeline measured (written as `train_truck.json`).
#[derive(Debug, Clone, Serialize)]
pub struct TrainSummary {
    /// The settings.
    pub config: TrainConfig,
    /// Emulator accuracy.
    pub emulator: EmulatorAccuracy,
    /// Per lesson: name, final loss, success on its own starts, success on the evaluation
    /// region.
    pub lessons: Vec<LessonSummary>,
    /// Wall-clock seconds: data + emulator, curriculum, total.
    pub timings_s: BTreeMap<String, f64>,
    /// Mean wall-clock milliseconds per BPTT step, per lesson.
    pub step_ms: Vec<f64>,
    /// The saved controller: the one that docked most of the validation starts.
    pub best: BestController,
    /// The warm start: searches that docked, state-steering pairs, behaviour-cloning loss
    /// (absent without one).
    pub warm_start: Option<BTreeMap<String, f64>>,
    /// The lookahead distillation rounds after the curriculum.
    pub distillation: Vec<DistillSummary>,
}

/// One lookahead distillation round and the validation rate after it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DistillSummary {
    /// What the round did.
    pub round: super::truck_lookahead::DistillRound,
    /// Fraction of the validation starts docked after the round (true kinematics).
    pub validation_success: f64,
}

/// Where the saved controller comes from.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BestController {
    /// Its lesson (1-based).
    pub lesson: usize,
    /// Its step within the lesson (1-based).
    pub iteration: usize,
    /// Steps of the whole curriculum up to it.
    pub global_iteration: usize,
    /// Fraction of the validation starts it docked.
    pub validation_success: f64,
    /// Validations run.
    pub validations: usize,
    /// Every validation: steps of the whole curriculum so far and the fraction docked.
    pub history: Vec<(usize, f64)>,
}

/// One lesson's figures.
#[derive(Debug, Clone, Serialize)]
pub struct LessonSummary {
    /// Its name.
    pub name: String,
    /// Mean loss of its last tenth of steps.
    pub final_loss: f64,
    /// Success in the true kinematics from its own starts.
    pub own: EpisodeStats,
    /// Success in the true kinematics from the evaluation region.
    pub evaluation: EpisodeStats,
}

struct Observer<'a> {
    world: TruckWorld,
    config: &'a TrainConfig,
    lessons: &'a [Lesson<LessonStarts>],
    rec: &'a RecordingStream,
    bar: indicatif::ProgressBar,
    global: usize,
    results: Vec<(EpisodeStats, EpisodeStats)>,
    lesson_start: Instant,
    step_ms: Vec<f64>,
    validation: Vec<Vector4<f64>>,
    best: Option<(usize, TruckController)>,
    best_info: BestController,
    pool: SharedHardStarts,
    mining_rng: StdRng,
    /// The docking searches started at the last validation.
    searches: Option<std::thread::JoinHandle<Vec<Vector4<f64>>>>,
}

/// States along docking manoeuvres found from `starts`: a quarter, half and three quarters of
/// the way.
fn manoeuvre_waypoints(
    world: TruckWorld,
    starts: &[Vector4<f64>],
    budget: usize,
) -> Vec<Vector4<f64>> {
    let mut out = Vec::new();
    for start in starts {
        if let DockingPlan::Found(steering) = world.plan_docking(start, budget) {
            let mut x = *start;
            let marks = [
                steering.len() / 4,
                steering.len() / 2,
                3 * steering.len() / 4,
            ];
            for (k, phi) in steering.iter().enumerate() {
                if marks.contains(&k) && k > 0 {
                    out.push(x);
                }
                x = world.step(&x, *phi);
            }
        }
    }
    out
}

impl Observer<'_> {
    /// Runs `policy` from `starts` in the true kinematics (`what` names the run in errors).
    fn run(
        &self,
        what: &'static str,
        policy: &TruckController,
        starts: &[Vector4<f64>],
    ) -> Result<Vec<Episode>, LearningError> {
        run_controller(
            &self.world,
            policy,
            starts,
            self.config.eval_max_steps,
            false,
        )
        .map_err(|e| LearningError::InvalidParameter {
            name: what,
            reason: format!("{e:#}"),
        })
    }

    /// Hard-example mining: runs fresh starts of the current lesson in the true kinematics and
    /// adds the ones the controller fails to the pool.
    fn mine(&mut self, lesson: usize, policy: &TruckController) -> Result<(), LearningError> {
        if self.config.hard_fraction <= 0.0 || self.config.mining_episodes == 0 {
            return Ok(());
        }
        let region = self.lessons[lesson].starts.region;
        let starts: Vec<Vector4<f64>> = (0..self.config.mining_episodes)
            .map(|_| region.sample(&self.world, &mut self.mining_rng))
            .collect();
        let episodes = self.run("mining", policy, &starts)?;
        let mut pool = self.pool.borrow_mut();
        // the searches started at the previous validation (joined here, so the pool is the
        // same on every run)
        if let Some(handle) = self.searches.take() {
            let waypoints = handle.join().map_err(|_| LearningError::InvalidParameter {
                name: "docking search",
                reason: "the search thread panicked".into(),
            })?;
            for w in waypoints {
                pool.push(w);
            }
        }
        let failed = failed_starts(&starts, &episodes);
        for s in &failed {
            pool.push(*s);
        }
        if self.config.plan_per_check > 0 && !failed.is_empty() {
            let world = self.world;
            let budget = self.config.plan_budget;
            let chosen: Vec<Vector4<f64>> = failed
                .into_iter()
                .take(self.config.plan_per_check)
                .collect();
            self.searches = Some(std::thread::spawn(move || {
                manoeuvre_waypoints(world, &chosen, budget)
            }));
        }
        Ok(())
    }

    /// Docks from the validation starts (true kinematics); keeps the policy if it is the best so
    /// far (ties go to the later one).
    fn validate(
        &mut self,
        lesson: usize,
        iteration: usize,
        policy: &TruckController,
    ) -> Result<(), LearningError> {
        let episodes = self.run("validation", policy, &self.validation)?;
        let docked = episodes
            .iter()
            .filter(|e| e.outcome == Outcome::Docked)
            .count();
        let rate = docked as f64 / self.validation.len().max(1) as f64;
        self.best_info.validations += 1;
        self.best_info.history.push((self.global, rate));
        if self.best.as_ref().is_none_or(|(d, _)| docked >= *d) {
            self.best = Some((docked, policy.clone()));
            self.best_info.lesson = lesson + 1;
            self.best_info.iteration = iteration + 1;
            self.best_info.global_iteration = self.global;
            self.best_info.validation_success = rate;
        }
        if self.rec.is_enabled() {
            self.rec.set_time_sequence("iteration", self.global as i64);
            let _ = kestrel::viz::log_scalar(self.rec, "plots/lesson_success/validation", rate);
        }
        Ok(())
    }
}

impl CurriculumObserver<4, 1, 8, { super::truck_models::CONTROLLER_HIDDEN }> for Observer<'_> {
    fn step(&mut self, lesson: usize, _iteration: usize, step: &BpttStep) {
        self.global += 1;
        self.bar.inc(1);
        if self.rec.is_enabled() {
            self.rec.set_time_sequence("iteration", self.global as i64);
            let _ = kestrel::viz::log_scalar(self.rec, "plots/loss/total", step.loss);
            let _ = kestrel::viz::log_scalar(self.rec, "plots/loss/terminal", step.terminal_loss);
            let _ = kestrel::viz::log_scalar(
                self.rec,
                "plots/loss/jackknife_and_arena",
                step.stage_loss,
            );
            let _ = kestrel::viz::log_scalar(self.rec, "plots/gradient_norm", step.gradient_norm);
            let _ = kestrel::viz::log_scalar(self.rec, "plots/lesson", (lesson + 1) as f64);
            let _ = kestrel::viz::log_scalar(
                self.rec,
                "plots/unrolled_steps",
                step.unrolled_steps as f64,
            );
        }
    }

    fn checkpoint(
        &mut self,
        lesson: usize,
        iteration: usize,
        policy: &TruckController,
    ) -> Result<(), LearningError> {
        let every = self.config.validation_every;
        let last = iteration + 1 == self.lessons[lesson].iterations;
        if !(last || (every > 0 && (iteration + 1).is_multiple_of(every))) {
            return Ok(());
        }
        self.mine(lesson, policy)?;
        if self.validation.is_empty() {
            return Ok(());
        }
        self.validate(lesson, iteration, policy)
    }

    fn lesson_end(&mut self, lesson: usize, policy: &TruckController) -> Result<(), LearningError> {
        let elapsed = self.lesson_start.elapsed().as_secs_f64();
        self.step_ms
            .push(1e3 * elapsed / self.lessons[lesson].iterations as f64);
        let eval = || -> anyhow::Result<(EpisodeStats, EpisodeStats, Vec<Episode>)> {
            let mut rng = StdRng::seed_from_u64(derive_seed(self.config.seed, 100 + lesson as u64));
            let own = evaluate_controller(
                &self.world,
                policy,
                &self.lessons[lesson].starts.region,
                self.config.eval_episodes,
                self.config.eval_max_steps,
                true,
                &mut rng,
            )?;
            let mut rng = StdRng::seed_from_u64(derive_seed(self.config.seed, 200 + lesson as u64));
            let region = evaluate_controller(
                &self.world,
                policy,
                &StartRegion::evaluation(),
                self.config.eval_episodes,
                self.config.eval_max_steps,
                false,
                &mut rng,
            )?;
            Ok((episode_stats(&own), episode_stats(&region), own))
        };
        let (own, region, episodes) = eval().map_err(|e| LearningError::InvalidParameter {
            name: "evaluation",
            reason: format!("{e:#}"),
        })?;
        let line = format!(
            "{}: success {:.1} % on its starts, {:.1} % on the evaluation region {:?} ({:.1} ms/step); best validation so far {:.1} % (lesson {} step {})",
            self.lessons[lesson].name,
            100.0 * own.success_rate,
            100.0 * region.success_rate,
            region.outcomes,
            self.step_ms[lesson],
            100.0 * self.best_info.validation_success,
            self.best_info.lesson,
            self.best_info.iteration,
        );
        if self.bar.is_hidden() {
            eprintln!("{line}");
        } else {
            self.bar.println(line);
        }
        if self.rec.is_enabled() {
            let _ = log_lesson(
                self.rec,
                &self.world,
                lesson,
                self.global,
                &own,
                &region,
                &episodes,
                self.config.logged_episodes,
            );
        }
        self.results.push((own, region));
        self.lesson_start = Instant::now();
        Ok(())
    }
}

#[allow(clippy::too_many_arguments)]
fn log_lesson(
    rec: &RecordingStream,
    world: &TruckWorld,
    lesson: usize,
    iteration: usize,
    own: &EpisodeStats,
    region: &EpisodeStats,
    episodes: &[Episode],
    logged: usize,
) -> anyhow::Result<()> {
    rec.set_time_sequence("iteration", iteration as i64);
    rec.set_time_sequence("lesson", (lesson + 1) as i64);
    kestrel::viz::log_scalar(rec, "plots/lesson_success/own_starts", own.success_rate)?;
    kestrel::viz::log_scalar(
        rec,
        "plots/lesson_success/evaluation_region",
        region.success_rate,
    )?;
    for (i, e) in episodes.iter().take(logged).enumerate() {
        crate::runner::truck_backer_upper::log_episode_path(
            rec,
            world,
            &format!("world/lessons/episode_{i}"),
            e,
            kestrel::viz::color(i),
        )?;
    }
    Ok(())
}

/// The training recording's layout: loss and per-lesson success over the `iteration` timeline,
/// the lesson's example episodes, the emulator's loss, the distillation rounds and the
/// settings.
pub fn training_blueprint() -> rerun::blueprint::Blueprint {
    use rerun::blueprint::components::PanelState;
    use rerun::blueprint::{
        Blueprint, BlueprintPanel, Horizontal, SelectionPanel, Spatial2DView, TextDocumentView,
        TimePanel, TimeSeriesView, Vertical,
    };
    Blueprint::new(Vertical::new([
        Horizontal::new([
            TimeSeriesView::new(
                "controller loss per BPTT step (total, terminal, jack-knife + arena)",
            )
            .with_origin("plots/loss")
            .into(),
            TimeSeriesView::new("docking success after each lesson (true kinematics)")
                .with_origin("plots/lesson_success")
                .into(),
        ])
        .into(),
        Horizontal::new([
            Spatial2DView::new("example episodes of the current lesson (trailer rear paths)")
                .with_origin("world/lessons")
                .into(),
            TimeSeriesView::new("emulator loss (normalised MSE)")
                .with_origin("plots/emulator_loss")
                .into(),
            TimeSeriesView::new(
                "lookahead distillation: validation docked, nudged fraction (per round)",
            )
            .with_origin("plots/distillation")
            .into(),
            TextDocumentView::new("settings")
                .with_origin("training")
                .into(),
        ])
        .into(),
    ]))
    .with_blueprint_panel(BlueprintPanel::new().with_state(PanelState::Collapsed))
    .with_selection_panel(SelectionPanel::new().with_state(PanelState::Collapsed))
    .with_time_panel(
        TimePanel::new()
            .with_state(PanelState::Collapsed)
            .with_timeline("iteration"),
    )
}

/// CPU seconds (user + system) used by this process so far, from `/proc/self/stat` (Linux;
/// `None` elsewhere). Beside the wall-clock time it shows how much of a run the machine's other
/// load took away.
pub fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // fields after the command name (which is in parentheses and may contain spaces)
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // the kernel's USER_HZ is 100 on every Linux configuration in use
    Some((utime + stime) / 100.0)
}

/// What [`warm_start`] did.
#[derive(Debug, Clone)]
pub struct WarmStart {
    /// Searches that docked.
    pub found: usize,
    /// State-steering pairs fitted.
    pub pairs: usize,
    /// Final behaviour-cloning loss (mean squared steering error, rad^2).
    pub loss: f64,
    /// Every 8th state along the manoeuvres, with the steps left to the dock.
    pub waypoints: Vec<(Vector4<f64>, usize)>,
}

/// Behaviour cloning of docking searches from `config.demo_starts` starts of `region`
/// (stream 8 of the seed; searched in parallel, results in start order).
pub fn warm_start(
    world: &TruckWorld,
    region: &StartRegion,
    config: &TrainConfig,
    policy: &mut TruckController,
) -> anyhow::Result<WarmStart> {
    use rayon::prelude::*;
    let mut rng = StdRng::seed_from_u64(derive_seed(config.seed, 8));
    let starts: Vec<Vector4<f64>> = (0..config.demo_starts)
        .map(|_| region.sample(world, &mut rng))
        .collect();
    let bar = progress_bar(starts.len() as u64, "demonstrations");
    let plans: Vec<DockingPlan> = starts
        .par_iter()
        .map(|s| {
            let p = world.plan_docking(s, config.demo_budget);
            bar.inc(1);
            p
        })
        .collect();
    bar.finish_and_clear();
    let (mut states, mut actions, mut found) = (Vec::new(), Vec::new(), 0);
    let mut waypoints = Vec::new();
    for (start, plan) in starts.iter().zip(&plans) {
        if let DockingPlan::Found(steering) = plan {
            found += 1;
            let mut x = *start;
            for (k, phi) in steering.iter().enumerate() {
                states.push(x);
                actions.push(Vector1::new(*phi));
                if k % 8 == 0 {
                    waypoints.push((x, steering.len() - k));
                }
                x = world.step(&x, *phi);
            }
        }
    }
    anyhow::ensure!(found > 0, "no demonstration search docked");
    let fit = FitConfig {
        iterations: config.demo_iterations,
        batch_size: 256,
        learning_rate: 3e-3,
    };
    let loss = policy.fit_actions(&states, &actions, &fit, &mut rng, |_, _| {})?;
    Ok(WarmStart {
        found,
        pairs: states.len(),
        loss,
        waypoints,
    })
}

/// Runs the whole pipeline and writes the weights into `weights_dir`.
pub fn train(
    config: &TrainConfig,
    rec: &RecordingStream,
    weights_dir: &Path,
) -> anyhow::Result<TrainSummary> {
    let world = TruckWorld::course();
    let start = Instant::now();
    if rec.is_enabled() {
        training_blueprint().send(
            rec,
            rerun::blueprint::BlueprintActivation {
                make_active: true,
                make_default: true,
            },
        )?;
        kestrel::viz::y_up(rec, "world")?;
        crate::runner::truck_backer_upper::log_static_world(rec, &world, "world/lessons")?;
        kestrel::viz::log_series_style(
            rec,
            "plots/lesson_success/own_starts",
            "lesson's own starts",
            kestrel::viz::color(0),
        )?;
        kestrel::viz::log_series_style(
            rec,
            "plots/lesson_success/evaluation_region",
            "evaluation region",
            kestrel::viz::color(1),
        )?;
        kestrel::viz::log_series_style(
            rec,
            "plots/lesson_success/validation",
            "validation starts (evaluation region, fixed)",
            kestrel::viz::color(2),
        )?;
    }
    let bar = progress_bar(config.emulator_iterations as u64, "emulator");
    let (emulator, accuracy) = train_emulator(&world, config, |i, loss| {
        bar.inc(1);
        if rec.is_enabled() && i % 10 == 0 {
            rec.set_time_sequence("emulator_iteration", i as i64);
            let _ = kestrel::viz::log_scalar(rec, "plots/emulator_loss", loss);
        }
    })?;
    bar.finish_and_clear();
    let emulator_s = start.elapsed().as_secs_f64();
    eprintln!(
        "emulator: held-out one-step RMSE x {:.2e} y {:.2e} theta0 {:.2e} theta1 {:.2e}; 50 steps: {:.3} position, {:.2} deg trailer ({} windows)",
        accuracy.one_step_rmse[0],
        accuracy.one_step_rmse[1],
        accuracy.one_step_rmse[2],
        accuracy.one_step_rmse[3],
        accuracy.mean_position_error_50,
        accuracy.mean_trailer_angle_error_deg_50,
        accuracy.windows_50
    );
    std::fs::create_dir_all(weights_dir)
        .with_context(|| format!("cannot create {}", weights_dir.display()))?;
    emulator.save(&weights_dir.join(EMULATOR_FILE))?;

    let pool = SharedHardStarts::new(std::cell::RefCell::new(HardStarts::new(config.hard_pool)));
    let mut lessons = lessons(&world, config, &pool);
    let mut policy = new_controller(config, &world)?;
    let mut warm_summary = None;
    if config.demo_starts > 0 {
        let region = lessons
            .last()
            .map(|l| l.starts.region)
            .unwrap_or(StartRegion::evaluation());
        let WarmStart {
            found,
            pairs,
            loss,
            waypoints,
        } = warm_start(&world, &region, config, &mut policy)?;
        for lesson in &mut lessons {
            let reach = 3 * lesson.max_steps / 4;
            lesson.starts.demos = std::rc::Rc::new(
                waypoints
                    .iter()
                    .filter(|(_, left)| *left <= reach)
                    .map(|(x, _)| *x)
                    .collect(),
            );
        }
        eprintln!(
            "warm start: {found} of {} demonstration searches docked, {pairs} state-steering pairs, behaviour-cloning loss {loss:.4} ({:.1} s)",
            config.demo_starts,
            start.elapsed().as_secs_f64() - emulator_s
        );
        warm_summary = Some(BTreeMap::from([
            ("searches".to_string(), config.demo_starts as f64),
            ("searches_docked".to_string(), found as f64),
            ("state_steering_pairs".to_string(), pairs as f64),
            ("behaviour_cloning_loss".to_string(), loss),
            (
                "seconds".to_string(),
                start.elapsed().as_secs_f64() - emulator_s,
            ),
        ]));
    }
    let mut trainer = PolicyTrainer::new(
        &policy,
        BpttConfig {
            learning_rate: config.learning_rate,
            clip_norm: config.clip_norm,
            robust_scale: config.robust_scale,
        },
    )?;
    let objective = objective(world.truck.trailer_length(), config)?;
    let total: usize = lessons.iter().map(|l| l.iterations).sum();
    let mut observer = Observer {
        world,
        config,
        lessons: &lessons,
        rec,
        bar: progress_bar(total as u64, "controller"),
        global: 0,
        results: Vec::new(),
        lesson_start: Instant::now(),
        step_ms: Vec::new(),
        validation: {
            // fixed validation starts: stream 6 of the seed (the scenario draws its own)
            let mut rng = StdRng::seed_from_u64(derive_seed(config.seed, 6));
            let region = StartRegion::evaluation();
            (0..config.validation_episodes)
                .map(|_| region.sample(&world, &mut rng))
                .collect()
        },
        best: None,
        best_info: BestController::default(),
        pool,
        // hard-example mining: stream 7 of the seed
        mining_rng: StdRng::seed_from_u64(derive_seed(config.seed, 7)),
        searches: None,
    };
    let mut rng = StdRng::seed_from_u64(derive_seed(config.seed, 5));
    let curriculum_start = Instant::now();
    let losses = train_curriculum(
        &lessons,
        &mut trainer,
        &mut policy,
        &emulator,
        &objective,
        &mut rng,
        &mut observer,
    )?;
    observer.bar.finish_and_clear();
    let curriculum_s = curriculum_start.elapsed().as_secs_f64();
    if let Some((_, best)) = observer.best.take() {
        policy = best;
    }
    eprintln!(
        "saved controller: lesson {} step {}, {:.1} % of {} validation starts docked",
        observer.best_info.lesson,
        observer.best_info.iteration,
        100.0 * observer.best_info.validation_success,
        config.validation_episodes
    );
    // Lookahead distillation: the lookahead's improvements, through the emulator, fitted
    // into the controller (stream 9 of the seed).
    let distill_start = Instant::now();
    let mut distillation = Vec::with_capacity(config.distill_rounds);
    let mut distill_rng = StdRng::seed_from_u64(derive_seed(config.seed, 9));
    let candidates = super::truck_lookahead::nudges();
    for round in 0..config.distill_rounds {
        let region = StartRegion::evaluation();
        let starts: Vec<Vector4<f64>> = (0..config.distill_starts)
            .map(|_| region.sample(&world, &mut distill_rng))
            .collect();
        let r = super::truck_lookahead::distill_lookahead(
            &world,
            &mut policy,
            &emulator,
            &starts,
            &candidates,
            config.eval_max_steps,
            (config.distill_repeat, config.distill_stride),
            &FitConfig {
                iterations: config.distill_iterations,
                batch_size: 256,
                learning_rate: config.distill_learning_rate,
            },
            &mut distill_rng,
        )?;
        let validation = episode_stats(&run_controller(
            &world,
            &policy,
            &observer.validation,
            config.eval_max_steps,
            false,
        )?)
        .success_rate;
        eprintln!(
            "distillation round {}: the emulator predicts {} of {} starts dock unchanged and {} more with a nudge; fit on {} pairs, loss {:.2e}; validation {:.1} % ({:.1} s)",
            round + 1,
            r.docked_unchanged,
            r.starts,
            r.docked_nudged,
            r.pairs,
            r.fit_loss,
            100.0 * validation,
            r.seconds
        );
        if rec.is_enabled() {
            rec.set_time_sequence("distillation_round", round as i64 + 1);
            kestrel::viz::log_scalar(rec, "plots/distillation/validation", validation)?;
            kestrel::viz::log_scalar(
                rec,
                "plots/distillation/nudged_fraction",
                r.docked_nudged as f64 / r.starts.max(1) as f64,
            )?;
        }
        distillation.push((r, validation));
    }
    let distill_s = distill_start.elapsed().as_secs_f64();
    policy.save(&weights_dir.join(CONTROLLER_FILE))?;
    let summary = TrainSummary {
        config: config.clone(),
        emulator: accuracy,
        lessons: lessons
            .iter()
            .zip(losses)
            .zip(observer.results)
            .map(|((l, loss), (own, evaluation))| LessonSummary {
                name: l.name.clone(),
                final_loss: loss,
                own,
                evaluation,
            })
            .collect(),
        timings_s: BTreeMap::from([
            ("data_and_emulator".to_string(), emulator_s),
            ("curriculum".to_string(), curriculum_s),
            ("distillation".to_string(), distill_s),
            ("total".to_string(), start.elapsed().as_secs_f64()),
            (
                "process_cpu".to_string(),
                process_cpu_seconds().unwrap_or(f64::NAN),
            ),
        ]),
        step_ms: observer.step_ms,
        best: observer.best_info,
        warm_start: warm_summary,
        distillation: distillation
            .into_iter()
            .map(|(round, validation_success)| DistillSummary {
                round,
                validation_success,
            })
            .collect(),
    };
    Ok(summary)
}

/// Times `steps` BPTT steps of the last lesson's size (batch, unroll limit) on a freshly fitted
/// emulator (a short fit: only the timing matters) and returns milliseconds per step.
pub fn bench_steps(config: &TrainConfig, steps: usize, unroll: usize) -> anyhow::Result<Vec<f64>> {
    let world = TruckWorld::course();
    let quick = TrainConfig {
        data_episodes: 200,
        emulator_iterations: 200,
        ..config.clone()
    };
    let (emulator, _) = train_emulator(&world, &quick, |_, _| {})?;
    let mut policy = new_controller(config, &world)?;
    let mut trainer = PolicyTrainer::new(
        &policy,
        BpttConfig {
            learning_rate: config.learning_rate,
            clip_norm: config.clip_norm,
            robust_scale: config.robust_scale,
        },
    )?;
    // No episode end: every step unrolls exactly `unroll` steps, as the PyTorch script does.
    let objective_no_end =
        super::truck_models::objective_with_end(world.truck.trailer_length(), config, false)?;
    let mut rng = StdRng::seed_from_u64(derive_seed(config.seed, 9));
    let region = StartRegion::evaluation();
    let starts: Vec<Vector4<f64>> = (0..config.batch_size)
        .map(|_| region.sample(&world, &mut rng))
        .collect();
    let mut times = Vec::with_capacity(steps);
    for _ in 0..steps {
        let t = Instant::now();
        let s = trainer.step(&mut policy, &emulator, &objective_no_end, &starts, unroll)?;
        times.push(1e3 * t.elapsed().as_secs_f64());
        anyhow::ensure!(
            s.unrolled_steps == unroll,
            "unrolled {} steps",
            s.unrolled_steps
        );
    }
    Ok(times)
}
