//! The truck backer-upper's learned models: sizes, input features, the training objective and
//! where the committed weights live.
//!
//! - Emulator ([`TruckEmulator`]): predicts the state change from 6 features
//!   `sin/cos theta0, sin/cos theta1, sin/cos (theta0 - theta1)` and the steering, two `tanh`
//!   layers of 45 units (the course's size). The kinematics do not depend on where the rig is,
//!   so the emulator is not shown `(x, y)`: it cannot learn a spurious dependence on position.
//! - Controller ([`TruckController`]): steering `= 45 deg * tanh(net)` from 8 features
//!   `x, y, sin/cos theta0, sin/cos theta1, sin/cos (theta0 - theta1)`, two `tanh` layers of
//!   [`CONTROLLER_HIDDEN`] units (the course uses 25; with 64 the early lessons are learnt
//!   better, 90 % instead of 72 % of the first lesson's starts).
//! - Objective ([`objective`]): at the end of an episode (the trailer rear reaches `x = 0`, the
//!   rig jack-knifes or its cab front or trailer rear leaves the arena, as in the world; or the
//!   unroll limit) `|rear - dock|^2 + 10 (2 - 2 cos theta1)`, plus at every step the
//!   jack-knife penalty `100 max(0, cos 80 deg - cos(theta0 - theta1))^2` (it starts before
//!   the 90-degree jack-knife; starting it at 60 degrees kept the rig from the tight turns it
//!   needs near the side walls) and the arena penalties `10 max(0, |p| - limit)^2` on the cab
//!   front's `|y|` (9.5) and `x` (39) and the trailer rear's `|y|` (9.5). The weights and
//!   limits are settings of [`TrainConfig`](super::truck::TrainConfig). The side-wall limit
//!   trades the two failure kinds: at 9 the rig keeps so far from the walls that long swings
//!   arrive at the dock still turning (1000 evaluation-region starts: 4.0 % miss the dock,
//!   88.7 % dock); at 9.9 it hugs them and leaves the arena (13.5 % leave, 85.5 % dock); 9.5
//!   docks 90.4 % (6.9 % leave, 2.7 % miss), 9.7 90.3 % (these are the curriculum's
//!   controllers, before the lookahead distillation; the committed one then docks 92.8 %).

use std::f64::consts::FRAC_PI_2;
use std::path::PathBuf;

use kestrel::learning::{
    EpisodeObjective, LearningError, MlpDynamics, MlpPolicy, PeriodicFeatures,
};
use nalgebra::{SMatrix, SVector, Vector4};

/// The learned emulator: 4 states, 1 action, 6 features, 45 hidden units.
pub type TruckEmulator = MlpDynamics<4, 1, 6, 45>;
/// Hidden units per layer of the controller (the course uses 25; 64 fits the whole evaluation
/// region better).
pub const CONTROLLER_HIDDEN: usize = 64;
/// The learned controller: 4 states, 1 action, 8 features, [`CONTROLLER_HIDDEN`] hidden units.
pub type TruckController = MlpPolicy<4, 1, 8, CONTROLLER_HIDDEN>;

/// The committed weights' directory: `weights/truck` at the repository root.
pub fn default_weights_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("weights")
        .join("truck")
}

/// The emulator's file name in a weights directory.
pub const EMULATOR_FILE: &str = "emulator.safetensors";
/// The controller's file name in a weights directory.
pub const CONTROLLER_FILE: &str = "controller.safetensors";

/// Rows `theta0, theta0 + pi/2, theta1, theta1 + pi/2, h, h + pi/2` (`h = theta0 - theta1`),
/// all through `sin`.
fn angle_rows() -> ([[f64; 4]; 6], [f64; 6]) {
    (
        [
            [0.0, 0.0, 1.0, 0.0],
            [0.0, 0.0, 1.0, 0.0],
            [0.0, 0.0, 0.0, 1.0],
            [0.0, 0.0, 0.0, 1.0],
            [0.0, 0.0, 1.0, -1.0],
            [0.0, 0.0, 1.0, -1.0],
        ],
        [0.0, FRAC_PI_2, 0.0, FRAC_PI_2, 0.0, FRAC_PI_2],
    )
}

/// The emulator's input features (before standardisation).
pub fn emulator_features() -> Result<PeriodicFeatures<4, 6>, LearningError> {
    let (rows, b) = angle_rows();
    let a = SMatrix::<f64, 6, 4>::from_fn(|k, i| rows[k][i]);
    PeriodicFeatures::new(a, SVector::from_column_slice(&b), [true; 6])
}

/// The controller's input features (before standardisation): `x, y` then the angle rows.
pub fn controller_features() -> Result<PeriodicFeatures<4, 8>, LearningError> {
    let (rows, b) = angle_rows();
    let a = SMatrix::<f64, 8, 4>::from_fn(|k, i| match k {
        0 => f64::from(u8::from(i == 0)),
        1 => f64::from(u8::from(i == 1)),
        _ => rows[k - 2][i],
    });
    let mut offset = [0.0; 8];
    offset[2..].copy_from_slice(&b);
    let mut periodic = [true; 8];
    periodic[0] = false;
    periodic[1] = false;
    PeriodicFeatures::new(a, SVector::from_column_slice(&offset), periodic)
}

/// Weight of the trailer-angle term.
pub const ANGLE_WEIGHT: f64 = 10.0;
/// Weight of the jack-knife penalty.
pub const JACKKNIFE_WEIGHT: f64 = 100.0;
/// Weight of the arena penalties (per step, per squared length unit outside).
pub const ARENA_WEIGHT: f64 = 10.0;
/// Largest cab-front |y| before the arena penalty.
pub const ARENA_FRONT_Y: f64 = 9.5;
/// Largest cab-front x before the arena penalty.
pub const ARENA_FRONT_X: f64 = 39.0;
/// Largest trailer-rear |y| before the arena penalty.
pub const ARENA_REAR_Y: f64 = 9.5;
/// Hitch angle where the jack-knife penalty starts.
pub const JACKKNIFE_PENALTY_START_DEG: f64 = 80.0;

/// The training objective on features `[x, y, cos theta1, sin theta1, cos(theta0 - theta1)]`
/// (see the module docs); `d` is the hitch-to-rear length, the weights come from the training
/// settings.
pub fn objective(
    d: f64,
    weights: &super::truck::TrainConfig,
) -> Result<EpisodeObjective<4, 7>, LearningError> {
    objective_with_end(d, weights, true)
}

/// [`objective`], with or without its episode-end conditions (without: every episode runs the
/// whole unroll, as the timing benchmark wants).
pub fn objective_with_end(
    d: f64,
    weights: &super::truck::TrainConfig,
    end: bool,
) -> Result<EpisodeObjective<4, 7>, LearningError> {
    let (angle, jackknife, arena) = (
        weights.angle_weight,
        weights.jackknife_weight,
        weights.arena_weight,
    );
    let (front_y, rear_y) = (weights.arena_front_y, weights.arena_rear_y);
    // the cab front, ahead of the hitch
    let f = crate::worlds::truck::TruckWorld::course().cab_front;
    // features [x, y, cos theta1, sin theta1, cos(theta0 - theta1), cos theta0, sin theta0]
    let a = SMatrix::<f64, 7, 4>::from_row_slice(&[
        1.0, 0.0, 0.0, 0.0, //
        0.0, 1.0, 0.0, 0.0, //
        0.0, 0.0, 0.0, 1.0, //
        0.0, 0.0, 0.0, 1.0, //
        0.0, 0.0, 1.0, -1.0, //
        0.0, 0.0, 1.0, 0.0, //
        0.0, 0.0, 1.0, 0.0,
    ]);
    let b = SVector::<f64, 7>::from_column_slice(&[
        0.0, 0.0, FRAC_PI_2, 0.0, FRAC_PI_2, FRAC_PI_2, 0.0,
    ]);
    let g = PeriodicFeatures::new(a, b, [false, false, true, true, true, true, true])?;
    let row = |v: [f64; 7]| SVector::<f64, 7>::from_column_slice(&v);
    // rear = (x - d cos theta1, y - d sin theta1), front = (x + f cos theta0, y + f sin theta0)
    let (rear_x, rear_y_row) = (
        row([1.0, 0.0, -d, 0.0, 0.0, 0.0, 0.0]),
        row([0.0, 1.0, 0.0, -d, 0.0, 0.0, 0.0]),
    );
    let (front_x, front_y_row) = (
        row([1.0, 0.0, 0.0, 0.0, 0.0, f, 0.0]),
        row([0.0, 1.0, 0.0, 0.0, 0.0, 0.0, f]),
    );
    let objective = EpisodeObjective::new(g)
        .terminal(rear_x, 0.0, 1.0)?
        .terminal(rear_y_row, 0.0, 1.0)?
        .terminal(row([0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]), 1.0, angle)?
        .terminal(row([0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]), 0.0, angle)?
        .stage_hinge(
            row([0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0]),
            weights.jackknife_start_deg.to_radians().cos(),
            jackknife,
        )?
        // arena: cab front |y| <= arena_front_y and x <= ARENA_FRONT_X, trailer rear
        // |y| <= arena_rear_y
        .stage_hinge(-front_y_row, -front_y, arena)?
        .stage_hinge(front_y_row, -front_y, arena)?
        .stage_hinge(-front_x, -ARENA_FRONT_X, arena)?
        .stage_hinge(-rear_y_row, -rear_y, arena)?
        .stage_hinge(rear_y_row, -rear_y, arena)?;
    if !end {
        return Ok(objective);
    }
    objective
        // the episode ends as in the world: the rear reaches the wall, a jack-knife
        // (cos(theta0 - theta1) <= 0), or the rig leaves the arena (the rear's or the cab
        // front's |y| >= 10, or the front's x >= 40)
        .done_when(rear_x, 0.0)?
        .done_when(row([0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0]), 0.0)?
        .done_when(-rear_y_row, -10.0)?
        .done_when(rear_y_row, -10.0)?
        .done_when(-front_y_row, -10.0)?
        .done_when(front_y_row, -10.0)?
        .done_when(-front_x, -40.0)
}

/// States of the controller's standardisation sample: a grid over the region it must handle.
pub fn controller_standardization_states() -> Vec<Vector4<f64>> {
    let mut v = Vec::new();
    for i in 0..=8 {
        for j in 0..=8 {
            for k in 0..12 {
                for h in 0..5 {
                    let theta1 = -std::f64::consts::PI + std::f64::consts::TAU * k as f64 / 12.0;
                    let hitch = (-45.0 + 22.5 * h as f64).to_radians();
                    v.push(Vector4::new(
                        5.0 * i as f64,
                        -10.0 + 2.5 * j as f64,
                        theta1 + hitch,
                        theta1,
                    ));
                }
            }
        }
    }
    v
}
