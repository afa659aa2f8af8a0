//! The truck backer-upper world (Nguyen & Widrow 1990, with the NYU deep-learning course's
//! kinematics and constants).
//!
//! The rig is the library's [`TruckTrailer::course`]: state `[x, y, theta0, theta1]` with
//! `(x, y)` the hitch, `theta0` the cab heading, `theta1` the trailer heading (radians,
//! counter-clockwise from +x); action `[phi]`, the steering angle, limited to +-45 degrees;
//! speed `s = -0.1` per step (backing up), cab length `L = 1`, hitch-to-trailer-rear `d = 4`,
//! one explicit Euler step per control step (`dt = 1`). Angles are never wrapped in the state.
//!
//! The arena is `x in [0, 40]`, `y in [-10, 10]`; the wall is `x = 0` and the dock is `(0, 0)`.
//! The cab front is `1.5 L` ahead of the hitch (as in the course's drawing code). An episode
//! ends with the first of:
//! - **jack-knife**: the wrapped `|theta0 - theta1|` exceeds 90 degrees;
//! - **reaches the wall**: the trailer rear's `x <= 0`. It is **docked** when the rear is then
//!   within 0.5 of the dock (`|y_rear| <= 0.5`) with the trailer angle within 10 degrees of 0
//!   (perpendicular to the wall), and **misses the dock** otherwise;
//! - **leaves the arena**: the cab front or the trailer rear is outside the arena;
//! - **times out**: no other end within the step limit.
//!
//! Start distributions ([`StartRegion`]): the course's (`theta0 ~ U[0, 2 pi)`,
//! `theta1 = theta0 + U[-45, 45] deg`, `x ~ U[10, 40]`, `y ~ U[-10, 10]`), and boxes in
//! `(x, y, theta1, theta0 - theta1)` for evaluation and curriculum lessons. A start whose cab
//! front or trailer rear lies outside the arena (possible near the side walls) is redrawn: such
//! a rig could not be there.

use kestrel::control::{Dynamics, TruckTrailer};
use kestrel::geometry::wrap_angle;
use nalgebra::{Vector1, Vector2, Vector4};
use rand::{Rng, RngCore};

/// How an episode ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// The trailer rear reached the wall on the dock, square to it.
    Docked,
    /// The hitch angle exceeded 90 degrees.
    JackKnifed,
    /// The cab or the trailer left the arena.
    LeftArena,
    /// The trailer rear reached the wall off the dock or at the wrong angle.
    MissedDock,
    /// The step limit passed first.
    TimedOut,
}

impl Outcome {
    /// Every outcome, in report order.
    pub const ALL: [Outcome; 5] = [
        Outcome::Docked,
        Outcome::JackKnifed,
        Outcome::LeftArena,
        Outcome::MissedDock,
        Outcome::TimedOut,
    ];

    /// A short snake-case name for metrics.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Docked => "docked",
            Outcome::JackKnifed => "jackknifed",
            Outcome::LeftArena => "left_arena",
            Outcome::MissedDock => "missed_dock",
            Outcome::TimedOut => "timed_out",
        }
    }
}

/// The world: rig, arena, dock and docking tolerances.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TruckWorld {
    /// The kinematics (the library's course rig).
    pub truck: TruckTrailer,
    /// Arena `[x_min, x_max, y_min, y_max]`.
    pub arena: [f64; 4],
    /// Cab front ahead of the hitch.
    pub cab_front: f64,
    /// Docking tolerance on the rear's distance from the dock along the wall.
    pub position_tolerance: f64,
    /// Docking tolerance on the trailer angle (rad).
    pub angle_tolerance: f64,
}

impl Default for TruckWorld {
    fn default() -> Self {
        Self::course()
    }
}

impl TruckWorld {
    /// The course's world: arena `[0, 40] x [-10, 10]`, dock tolerances 0.5 and 10 degrees.
    pub fn course() -> Self {
        Self {
            truck: TruckTrailer::course(),
            arena: [0.0, 40.0, -10.0, 10.0],
            cab_front: 1.5,
            position_tolerance: 0.5,
            angle_tolerance: 10f64.to_radians(),
        }
    }

    /// One step with steering `phi` (clamped to the steering limit).
    pub fn step(&self, x: &Vector4<f64>, phi: f64) -> Vector4<f64> {
        let limit = self.truck.max_steering();
        self.truck.step(x, &Vector1::new(phi.clamp(-limit, limit)))
    }

    /// The trailer rear.
    pub fn rear(&self, x: &Vector4<f64>) -> Vector2<f64> {
        self.truck.trailer_rear(x)
    }

    /// The cab front.
    pub fn front(&self, x: &Vector4<f64>) -> Vector2<f64> {
        Vector2::new(
            x[0] + self.cab_front * x[2].cos(),
            x[1] + self.cab_front * x[2].sin(),
        )
    }

    fn inside(&self, p: &Vector2<f64>) -> bool {
        let [x0, x1, y0, y1] = self.arena;
        p.x >= x0 && p.x <= x1 && p.y >= y0 && p.y <= y1
    }

    /// Whether the whole rig (cab front and trailer rear) is inside the arena.
    pub fn rig_inside(&self, x: &Vector4<f64>) -> bool {
        self.inside(&self.front(x)) && self.inside(&self.rear(x))
    }

    /// The episode's end at state `x`, if it ends there.
    pub fn outcome(&self, x: &Vector4<f64>) -> Option<Outcome> {
        if self.truck.is_jackknifed(x) {
            return Some(Outcome::JackKnifed);
        }
        let rear = self.rear(x);
        if rear.x <= self.arena[0] {
            let on_dock = rear.y.abs() <= self.position_tolerance
                && wrap_angle(x[3]).abs() <= self.angle_tolerance;
            return Some(if on_dock {
                Outcome::Docked
            } else {
                Outcome::MissedDock
            });
        }
        if !self.rig_inside(x) {
            return Some(Outcome::LeftArena);
        }
        None
    }
}

/// What [`TruckWorld::can_square_up`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SquareUp {
    /// A steering sequence brings the trailer square to the wall.
    Possible,
    /// The search ran out of states: no steering sequence does (up to its grid), so the start
    /// cannot dock.
    Impossible,
    /// The search's state budget ran out first.
    Unknown,
}

impl TruckWorld {
    /// A necessary condition for docking from `start`: can the rig turn its trailer to within
    /// the docking angle tolerance of square to the wall (`|theta1| <= angle_tolerance`)
    /// without jack-knifing and with the cab front and the trailer rear inside the side walls
    /// (`y` bounds of the arena)? The `x` bounds are ignored (a relaxation), so
    /// [`SquareUp::Impossible`] proves the start cannot dock: a rig backing at a side wall from
    /// too close cannot turn before it reaches the wall.
    ///
    /// Best-first search (smallest `|theta1|` first) over steering sequences of 7 angles
    /// evenly spaced over the steering range, each held 3 steps, in the true kinematics;
    /// states are merged on a grid of 0.03 in hitch `y`, 1 degree in `theta1` and 1.5 degrees
    /// in the hitch angle (the merging is the only approximation); at most `budget` states.
    pub fn can_square_up(&self, start: &Vector4<f64>, budget: usize) -> SquareUp {
        use std::cmp::Reverse;
        use std::collections::{BinaryHeap, HashSet};
        let [_, _, y_min, y_max] = self.arena;
        let ok = |x: &Vector4<f64>| {
            let (r, f) = (self.rear(x), self.front(x));
            !self.truck.is_jackknifed(x)
                && (y_min..=y_max).contains(&r.y)
                && (y_min..=y_max).contains(&f.y)
        };
        let square = |x: &Vector4<f64>| wrap_angle(x[3]).abs() <= self.angle_tolerance;
        if !ok(start) {
            return SquareUp::Impossible;
        }
        if square(start) {
            return SquareUp::Possible;
        }
        let limit = self.truck.max_steering();
        let key = |x: &Vector4<f64>| (wrap_angle(x[3]).abs() * 1e6) as u64;
        let mut states = vec![*start];
        let mut open = BinaryHeap::new();
        open.push(Reverse((key(start), 0usize)));
        let mut seen = HashSet::new();
        while let Some(Reverse((_, i))) = open.pop() {
            if states.len() >= budget {
                return SquareUp::Unknown;
            }
            let from = states[i];
            for k in 0..7 {
                let phi = -limit + limit * k as f64 / 3.0;
                let mut x = from;
                let mut alive = true;
                for _ in 0..3 {
                    x = self.step(&x, phi);
                    if !ok(&x) {
                        alive = false;
                        break;
                    }
                    if square(&x) {
                        return SquareUp::Possible;
                    }
                }
                if !alive {
                    continue;
                }
                let cell = (
                    (x[1] / 0.03).round() as i64,
                    (wrap_angle(x[3]).to_degrees()).round() as i64,
                    (self.truck.hitch_angle(&x).to_degrees() / 1.5).round() as i64,
                );
                if seen.insert(cell) {
                    states.push(x);
                    open.push(Reverse((key(&x), states.len() - 1)));
                }
            }
        }
        SquareUp::Impossible
    }
}

/// What [`TruckWorld::plan_docking`] found.
#[derive(Debug, Clone, PartialEq)]
pub enum DockingPlan {
    /// A steering sequence that docks in the true kinematics (one angle per step).
    Found(Vec<f64>),
    /// Every state the search could reach was expanded without docking: no sequence of its
    /// motion primitives docks (up to the merging grid), strong evidence the start cannot dock.
    Exhausted {
        /// States expanded.
        expanded: usize,
    },
    /// The expansion budget ran out first: undecided.
    OutOfBudget,
}

impl TruckWorld {
    /// A docking manoeuvre from `start` found by search: a weighted A* (weight 1.5, cost = steps,
    /// heuristic `10 (|rear| + 2 |theta1|)`, the steps a straight run to the dock would need plus
    /// a turn) over motion primitives of 9 steering angles evenly spaced over the steering range,
    /// each held 4 steps, in the true kinematics with every end condition of
    /// [`outcome`](Self::outcome). States are merged on a grid of 0.15 in hitch `x` and `y`,
    /// 3 degrees in `theta1` and 4 degrees in the hitch angle; at most `budget` expansions.
    ///
    /// It is the controller's yardstick: a start it docks from can dock; a start whose search is
    /// [`Exhausted`](DockingPlan::Exhausted) almost certainly cannot (the merging is the only
    /// approximation). The manoeuvres it finds show what hard starts need, e.g. backing along a
    /// side wall with the cab a fraction of a unit from it before swinging onto the dock.
    pub fn plan_docking(&self, start: &Vector4<f64>, budget: usize) -> DockingPlan {
        use std::cmp::Reverse;
        use std::collections::{BinaryHeap, HashSet};
        const HOLD: usize = 4;
        const WEIGHT: f64 = 1.5;
        match self.outcome(start) {
            Some(Outcome::Docked) => return DockingPlan::Found(Vec::new()),
            Some(_) => return DockingPlan::Exhausted { expanded: 0 },
            None => {}
        }
        let limit = self.truck.max_steering();
        // the grid cell packed into one word (16 bits per coordinate; every coordinate of a
        // state inside the arena fits)
        let cell = |x: &Vector4<f64>| {
            let q = |v: f64| u64::from((v.round() as i32 as i16) as u16);
            q(x[0] / 0.15)
                | (q(x[1] / 0.15) << 16)
                | (q(wrap_angle(x[3]).to_degrees() / 3.0) << 32)
                | (q(wrap_angle(x[2] - x[3]).to_degrees() / 4.0) << 48)
        };
        let h = |x: &Vector4<f64>| 10.0 * (self.rear(x).norm() + 2.0 * wrap_angle(x[3]).abs());
        // (state, steps so far, parent, steering from the parent)
        let mut nodes: Vec<(Vector4<f64>, usize, usize, f64)> = vec![(*start, 0, usize::MAX, 0.0)];
        let mut open = BinaryHeap::new();
        // priorities in thousandths of a step (ties: the newer node)
        open.push((Reverse((WEIGHT * h(start) * 1e3) as i64), 0usize));
        let mut seen: HashSet<u64, std::hash::BuildHasherDefault<CellHasher>> = HashSet::default();
        seen.insert(cell(start));
        let mut expanded = 0;
        while let Some((_, i)) = open.pop() {
            expanded += 1;
            if expanded > budget {
                return DockingPlan::OutOfBudget;
            }
            let (from, g, _, _) = nodes[i];
            for k in 0..9 {
                let phi = -limit + limit * k as f64 / 4.0;
                let mut x = from;
                for taken in 1..=HOLD {
                    x = self.step(&x, phi);
                    match self.outcome(&x) {
                        None => continue,
                        Some(Outcome::Docked) => {
                            let mut steering = vec![phi; taken];
                            let mut j = i;
                            while nodes[j].2 != usize::MAX {
                                steering.extend(std::iter::repeat_n(nodes[j].3, HOLD));
                                j = nodes[j].2;
                            }
                            steering.reverse();
                            return DockingPlan::Found(steering);
                        }
                        Some(_) => break,
                    }
                }
                if self.outcome(&x).is_some() || !seen.insert(cell(&x)) {
                    continue;
                }
                let steps = g + HOLD;
                nodes.push((x, steps, i, phi));
                let f = steps as f64 + WEIGHT * h(&x);
                open.push((Reverse((f * 1e3) as i64), nodes.len() - 1));
            }
        }
        DockingPlan::Exhausted { expanded }
    }
}

/// Hashes the packed grid cells of [`TruckWorld::plan_docking`]: one multiply-xorshift of the
/// word (the cells are already well spread; SipHash's resistance to adversarial keys is not
/// needed for a search's own states).
#[derive(Default)]
struct CellHasher(u64);

impl std::hash::Hasher for CellHasher {
    fn finish(&self) -> u64 {
        let h = self.0.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        h ^ (h >> 29)
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// A start distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StartRegion {
    /// Uniform in a box with the trailer heading taken relative to the dock's bearing:
    /// hitch `x ~ U[x_min, x_max]`, `y ~ U[-y_max, y_max]`,
    /// `theta1 = atan2(y, x) + U[-facing_max, facing_max]` (at `facing = 0` the trailer's rear
    /// points from the hitch straight at the dock), hitch angle
    /// `theta0 - theta1 ~ U[-hitch_max, hitch_max]` (radians).
    Facing {
        /// Lowest hitch x.
        x_min: f64,
        /// Highest hitch x.
        x_max: f64,
        /// Largest |y|.
        y_max: f64,
        /// Largest angle between the trailer and the direction to the dock.
        facing_max: f64,
        /// Largest |theta0 - theta1|.
        hitch_max: f64,
    },
    /// The course's: `theta0 ~ U[0, 2 pi)`, `theta1 = theta0 + U[-45, 45] deg`,
    /// `x ~ U[10, 40]`, `y ~ U[-10, 10]`.
    Course,
    /// Uniform in a box: hitch `x ~ U[x_min, x_max]`, `y ~ U[-y_max, y_max]`, trailer angle
    /// `theta1 ~ U[-trailer_max, trailer_max]` (0 faces the dock), hitch angle
    /// `theta0 - theta1 ~ U[-hitch_max, hitch_max]` (radians).
    Box {
        /// Lowest hitch x.
        x_min: f64,
        /// Highest hitch x.
        x_max: f64,
        /// Largest |y|.
        y_max: f64,
        /// Largest |theta1|.
        trailer_max: f64,
        /// Largest |theta0 - theta1|.
        hitch_max: f64,
    },
}

impl StartRegion {
    /// The evaluation region: `x in [10, 35]`, `|y| <= 8`, trailer within 90 degrees
    /// of facing the dock (its rear pointing within 90 degrees of the direction from the hitch
    /// to the dock), cab-trailer angle within 45 degrees.
    pub fn evaluation() -> Self {
        StartRegion::Facing {
            x_min: 10.0,
            x_max: 35.0,
            y_max: 8.0,
            facing_max: std::f64::consts::FRAC_PI_2,
            hitch_max: std::f64::consts::FRAC_PI_4,
        }
    }

    /// The evaluation box with the trailer angle read absolutely (`|theta1| <= 90 deg`: within
    /// 90 degrees of perpendicular to the wall, wherever the rig is). Near the side walls this
    /// includes rigs backing straight at a side wall from a few units away, which cannot dock.
    pub fn evaluation_absolute() -> Self {
        StartRegion::Box {
            x_min: 10.0,
            x_max: 35.0,
            y_max: 8.0,
            trailer_max: std::f64::consts::FRAC_PI_2,
            hitch_max: std::f64::consts::FRAC_PI_4,
        }
    }

    fn draw(&self, rng: &mut dyn RngCore) -> Vector4<f64> {
        let mut u = |lo: f64, hi: f64| {
            if hi > lo {
                rng.random_range(lo..hi)
            } else {
                lo
            }
        };
        match *self {
            StartRegion::Course => {
                let theta0 = u(0.0, std::f64::consts::TAU);
                let theta1 = theta0 + u(-45f64.to_radians(), 45f64.to_radians());
                let x = u(10.0, 40.0);
                let y = u(-10.0, 10.0);
                Vector4::new(x, y, theta0, theta1)
            }
            StartRegion::Facing {
                x_min,
                x_max,
                y_max,
                facing_max,
                hitch_max,
            } => {
                let x = u(x_min, x_max);
                let y = u(-y_max, y_max);
                let theta1 = y.atan2(x) + u(-facing_max, facing_max);
                let hitch = u(-hitch_max, hitch_max);
                Vector4::new(x, y, theta1 + hitch, theta1)
            }
            StartRegion::Box {
                x_min,
                x_max,
                y_max,
                trailer_max,
                hitch_max,
            } => {
                let x = u(x_min, x_max);
                let y = u(-y_max, y_max);
                let theta1 = u(-trailer_max, trailer_max);
                let hitch = u(-hitch_max, hitch_max);
                Vector4::new(x, y, theta1 + hitch, theta1)
            }
        }
    }

    /// One start with the whole rig inside the arena of `world` (redrawn until it is, at most
    /// 1000 times; the last draw is returned if none fits).
    pub fn sample(&self, world: &TruckWorld, rng: &mut dyn RngCore) -> Vector4<f64> {
        let mut x = self.draw(rng);
        for _ in 0..1000 {
            if world.rig_inside(&x) && world.outcome(&x).is_none() {
                break;
            }
            x = self.draw(rng);
        }
        x
    }
}

/// The end of one closed-loop episode.
#[derive(Debug, Clone, PartialEq)]
pub struct Episode {
    /// How it ended.
    pub outcome: Outcome,
    /// Steps taken.
    pub steps: usize,
    /// The final state.
    pub last: Vector4<f64>,
    /// The rear's distance from the dock along the wall at the end (`|y_rear|`).
    pub position_error: f64,
    /// The wrapped trailer angle at the end (rad, absolute).
    pub angle_error: f64,
    /// Every state, when kept.
    pub path: Vec<Vector4<f64>>,
}

/// Runs many episodes side by side in the true kinematics: at each step `controller` gets the
/// states of the episodes still running and returns their steering angles (one call per step,
/// so a network can evaluate them as one batch). Episodes end as [`TruckWorld::outcome`] says,
/// or time out after `max_steps`. `keep_paths` keeps every state of every episode.
///
/// # Errors
/// Whatever the controller returns, or an error when it returns the wrong number of actions.
pub fn run_episodes<E>(
    world: &TruckWorld,
    starts: &[Vector4<f64>],
    max_steps: usize,
    keep_paths: bool,
    controller: impl FnMut(&[Vector4<f64>]) -> Result<Vec<f64>, E>,
) -> anyhow::Result<Vec<Episode>>
where
    E: Into<anyhow::Error>,
{
    run_episodes_with(
        world,
        starts,
        max_steps,
        keep_paths,
        controller,
        |x, phi, next| {
            next.extend(x.iter().zip(phi).map(|(x, p)| world.step(x, *p)));
            Ok(())
        },
    )
}

/// [`run_episodes`] with other dynamics in place of the true kinematics: `dynamics` appends to
/// its (emptied) third argument the next states of the running episodes, given their states
/// and steering angles (for example a learned emulator, one batch per step). Episodes end as
/// [`TruckWorld::outcome`] says.
///
/// # Errors
/// As [`run_episodes`], plus whatever `dynamics` returns, or an error when it returns the wrong
/// number of states.
pub fn run_episodes_with<E>(
    world: &TruckWorld,
    starts: &[Vector4<f64>],
    max_steps: usize,
    keep_paths: bool,
    mut controller: impl FnMut(&[Vector4<f64>]) -> Result<Vec<f64>, E>,
    dynamics: impl FnMut(&[Vector4<f64>], &[f64], &mut Vec<Vector4<f64>>) -> anyhow::Result<()>,
) -> anyhow::Result<Vec<Episode>>
where
    E: Into<anyhow::Error>,
{
    run_episodes_indexed(
        world,
        starts,
        max_steps,
        keep_paths,
        |_, _, states| controller(states),
        dynamics,
    )
}

/// [`run_episodes_with`] whose `controller` also gets the step (0 for the first action) and the
/// indices (into `starts`) of the running episodes whose states it gets: for a steering that
/// differs per episode or changes with time.
///
/// # Errors
/// As [`run_episodes_with`].
pub fn run_episodes_indexed<E>(
    world: &TruckWorld,
    starts: &[Vector4<f64>],
    max_steps: usize,
    keep_paths: bool,
    mut controller: impl FnMut(usize, &[usize], &[Vector4<f64>]) -> Result<Vec<f64>, E>,
    mut dynamics: impl FnMut(&[Vector4<f64>], &[f64], &mut Vec<Vector4<f64>>) -> anyhow::Result<()>,
) -> anyhow::Result<Vec<Episode>>
where
    E: Into<anyhow::Error>,
{
    let mut states: Vec<Vector4<f64>> = starts.to_vec();
    let mut ended: Vec<Option<(Outcome, usize)>> = states
        .iter()
        .map(|x| world.outcome(x).map(|o| (o, 0)))
        .collect();
    let mut paths: Vec<Vec<Vector4<f64>>> = if keep_paths {
        states.iter().map(|x| vec![*x]).collect()
    } else {
        vec![Vec::new(); states.len()]
    };
    let mut active = Vec::with_capacity(states.len());
    let mut batch = Vec::with_capacity(states.len());
    let mut next = Vec::with_capacity(states.len());
    for step in 1..=max_steps {
        active.clear();
        batch.clear();
        for (i, e) in ended.iter().enumerate() {
            if e.is_none() {
                active.push(i);
                batch.push(states[i]);
            }
        }
        if active.is_empty() {
            break;
        }
        let actions = controller(step - 1, &active, &batch).map_err(Into::into)?;
        anyhow::ensure!(
            actions.len() == active.len(),
            "the controller returned {} actions for {} states",
            actions.len(),
            active.len()
        );
        anyhow::ensure!(
            actions.iter().all(|phi| phi.is_finite()),
            "the controller returned a non-finite steering angle"
        );
        next.clear();
        dynamics(&batch, &actions, &mut next)?;
        anyhow::ensure!(
            next.len() == active.len(),
            "the dynamics returned {} states for {} episodes",
            next.len(),
            active.len()
        );
        for (&i, x) in active.iter().zip(&next) {
            states[i] = *x;
            if keep_paths {
                paths[i].push(states[i]);
            }
            if let Some(o) = world.outcome(&states[i]) {
                ended[i] = Some((o, step));
            }
        }
    }
    Ok(states
        .iter()
        .zip(ended)
        .zip(paths)
        .map(|((x, e), path)| {
            let (outcome, steps) = e.unwrap_or((Outcome::TimedOut, max_steps));
            Episode {
                outcome,
                steps,
                last: *x,
                position_error: world.rear(x).y.abs(),
                angle_error: wrap_angle(x[3]).abs(),
                path,
            }
        })
        .collect())
}

/// Random-steering rollouts for the emulator's training data: from starts of `region`, the
/// steering is held and redrawn uniformly over the full range with probability `switch` per
/// step; an episode stops at `steps` or when the hitch angle passes 120 degrees (beyond the
/// jack-knife, so that the emulator also knows the states a bad policy drives into). The arena
/// is ignored: the kinematics are the same everywhere. Returns the episodes as state
/// sequences with the actions between them.
pub fn random_rollouts(
    world: &TruckWorld,
    region: &StartRegion,
    episodes: usize,
    steps: usize,
    switch: f64,
    rng: &mut dyn RngCore,
) -> Vec<(Vec<Vector4<f64>>, Vec<f64>)> {
    let limit = world.truck.max_steering();
    (0..episodes)
        .map(|_| {
            let mut x = region.sample(world, rng);
            let mut phi = rng.random_range(-limit..limit);
            let mut states = vec![x];
            let mut actions = Vec::with_capacity(steps);
            for _ in 0..steps {
                if rng.random_bool(switch) {
                    phi = rng.random_range(-limit..limit);
                }
                x = world.step(&x, phi);
                states.push(x);
                actions.push(phi);
                if world.truck.hitch_angle(&x).abs() > 120f64.to_radians() {
                    break;
                }
            }
            (states, actions)
        })
        .collect()
}
