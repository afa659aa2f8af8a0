//! Point targets for multi-object tracking: births, deaths, coordinated turns and random
//! accelerations, sampled once per scan.
//!
//! A target's state is `[x, vx, y, vy]` (m, m/s) in the world frame (x east, y north). It exists
//! from its birth time to its death time (exclusive). Between scans it moves in closed form:
//! straight, or in a coordinated turn at the turn rate of the manoeuvre in force (positive turns
//! left), split exactly at manoeuvre boundaries ([`propagate`]). If the process noise density
//! `q` (m^2/s^3) is positive, each scan interval also adds a sample of the nearly-constant-velocity
//! noise `w ~ N(0, Q(dt))` of [`ConstantVelocity`] (the truth model of Stone Soup's tutorials).
//!
//! Scan `k` (1-based) is taken at `t_k = k dt`; a target is present in scan `k` when
//! `birth_s <= t_k < death_s`.

use kestrel::models::motion::ConstantVelocity;
use kestrel::models::MotionModel;
use nalgebra::{Vector2, Vector4};
use rand::Rng;
use rand_distr::StandardNormal;

pub use super::maneuvering::propagate;

/// A turn flown from `start_s` for `duration_s` seconds at `turn_rate` rad/s.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Maneuver {
    /// Start time, s (absolute).
    pub start_s: f64,
    /// Duration, s.
    pub duration_s: f64,
    /// Turn rate, rad/s (positive turns left).
    pub turn_rate: f64,
}

/// One target of the world.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetSpec {
    /// State `[x, vx, y, vy]` at `birth_s`.
    pub initial: Vector4<f64>,
    /// Time of appearance, s.
    pub birth_s: f64,
    /// Time of disappearance, s (`f64::INFINITY`: stays to the end).
    pub death_s: f64,
    /// Turns, in any order (they must not overlap).
    pub maneuvers: Vec<Maneuver>,
}

impl TargetSpec {
    /// The turn rate in force at time `t`.
    pub fn turn_rate_at(&self, t: f64) -> f64 {
        self.maneuvers
            .iter()
            .find(|m| t >= m.start_s - 1e-9 && t < m.start_s + m.duration_s - 1e-9)
            .map_or(0.0, |m| m.turn_rate)
    }

    /// Moves `x` from `t0` to `t1` exactly, splitting at manoeuvre boundaries.
    fn advance(&self, x: &Vector4<f64>, t0: f64, t1: f64) -> Vector4<f64> {
        let mut state = *x;
        let mut t = t0;
        while t < t1 - 1e-12 {
            let mut next = t1;
            for m in &self.maneuvers {
                for edge in [m.start_s, m.start_s + m.duration_s] {
                    if edge > t + 1e-12 && edge < next {
                        next = edge;
                    }
                }
            }
            state = propagate(&state, self.turn_rate_at(t), next - t);
            t = next;
        }
        state
    }
}

/// One target in one scan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TruthPoint {
    /// The target's identity (its index in the list of specs).
    pub id: u64,
    /// State `[x, vx, y, vy]`.
    pub state: Vector4<f64>,
    /// Turn rate in force, rad/s.
    pub turn_rate: f64,
}

impl TruthPoint {
    /// Position `[x, y]`.
    pub fn position(&self) -> Vector2<f64> {
        Vector2::new(self.state[0], self.state[2])
    }
}

/// The ground truth of a run: the targets present in each scan.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Truth {
    /// Scan period, s.
    pub dt: f64,
    /// `scans[k - 1]`: the targets present in scan `k`, in id order.
    pub scans: Vec<Vec<TruthPoint>>,
}

impl Truth {
    /// Simulates `n_scans` scans of period `dt` (s) with process-noise density `q` (m^2/s^3,
    /// 0 for deterministic motion) drawn from `rng`.
    ///
    /// # Errors
    /// If `q` is negative or not finite.
    pub fn simulate(
        specs: &[TargetSpec],
        dt: f64,
        n_scans: usize,
        q: f64,
        rng: &mut impl Rng,
    ) -> anyhow::Result<Self> {
        let cv = ConstantVelocity::new(q)?;
        let noise_factor = (q > 0.0)
            .then(|| {
                cv.process_noise(&Vector4::zeros(), dt)
                    .cholesky()
                    .map(|c| c.l())
            })
            .flatten();
        let mut scans = vec![Vec::new(); n_scans];
        for (id, spec) in specs.iter().enumerate() {
            let mut state = spec.initial;
            let mut t = spec.birth_s;
            for (i, scan) in scans.iter_mut().enumerate() {
                let tk = (i + 1) as f64 * dt;
                if tk < spec.birth_s - 1e-9 {
                    continue;
                }
                if tk >= spec.death_s - 1e-9 {
                    break;
                }
                let first = scan_is_first(t, spec.birth_s);
                state = spec.advance(&state, t, tk);
                // random accelerations over every full scan interval the target lived through
                if let (Some(l), false) = (&noise_factor, first) {
                    let w = Vector4::from_fn(|_, _| rng.sample::<f64, _>(StandardNormal));
                    state += l * w;
                }
                t = tk;
                scan.push(TruthPoint {
                    id: id as u64,
                    state,
                    turn_rate: spec.turn_rate_at(tk),
                });
            }
        }
        Ok(Self { dt, scans })
    }

    /// Number of scans.
    pub fn len(&self) -> usize {
        self.scans.len()
    }

    /// Whether there are no scans.
    pub fn is_empty(&self) -> bool {
        self.scans.is_empty()
    }

    /// The first and last scan (1-based) in which each target is present, by id (`None` for a
    /// target that never shows up).
    pub fn lifetimes(&self, n_targets: usize) -> Vec<Option<(usize, usize)>> {
        let mut out = vec![None; n_targets];
        for (i, scan) in self.scans.iter().enumerate() {
            for p in scan {
                let k = i + 1;
                let entry = &mut out[p.id as usize];
                *entry = Some(entry.map_or((k, k), |(b, _)| (b, k)));
            }
        }
        out
    }

    /// Bounding box `(min, max)` of every true position (`None` without targets).
    pub fn bounds(&self) -> Option<(Vector2<f64>, Vector2<f64>)> {
        let mut it = self.scans.iter().flatten().map(TruthPoint::position);
        let first = it.next()?;
        Some(it.fold((first, first), |(lo, hi), p| (lo.inf(&p), hi.sup(&p))))
    }
}

/// Whether the state at time `t` is still the one given at birth (no scan yet).
fn scan_is_first(t: f64, birth_s: f64) -> bool {
    t <= birth_s
}

/// A formation of targets on a grid of cells (MATLAB's 900-target scaling demo: 15 x 15 cells,
/// four targets per cell). Cell `(i, j)` sits at `origin + spacing (i, j)`; its targets sit at
/// the offsets from the cell corner and share one velocity of `speed_m_s` at heading
/// `heading_step_rad x (i n_y + j)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Formation {
    /// Cells along x and y.
    pub cells: [usize; 2],
    /// Distance between cells, m.
    pub spacing_m: f64,
    /// Corner of cell (0, 0), m.
    pub origin_m: Vector2<f64>,
    /// Target offsets within a cell, m.
    pub offsets_m: Vec<Vector2<f64>>,
    /// Speed of every target, m/s.
    pub speed_m_s: f64,
    /// Heading increment from one cell to the next, rad.
    pub heading_step_rad: f64,
}

impl Formation {
    /// The targets of the formation, present from `birth_s` to the end, cell by cell.
    pub fn targets(&self, birth_s: f64) -> Vec<TargetSpec> {
        let mut out = Vec::new();
        for i in 0..self.cells[0] {
            for j in 0..self.cells[1] {
                let heading = self.heading_step_rad * (i * self.cells[1] + j) as f64;
                let v = self.speed_m_s * Vector2::new(heading.cos(), heading.sin());
                let corner = self.origin_m + self.spacing_m * Vector2::new(i as f64, j as f64);
                for o in &self.offsets_m {
                    let p = corner + o;
                    out.push(TargetSpec {
                        initial: Vector4::new(p.x, v.x, p.y, v.y),
                        birth_s,
                        death_s: f64::INFINITY,
                        maneuvers: Vec::new(),
                    });
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn spec(birth_s: f64, death_s: f64, maneuvers: Vec<Maneuver>) -> TargetSpec {
        TargetSpec {
            initial: Vector4::new(0.0, 10.0, 0.0, 0.0),
            birth_s,
            death_s,
            maneuvers,
        }
    }

    #[test]
    fn births_deaths_and_positions_in_closed_form() {
        let mut rng = StdRng::seed_from_u64(1);
        let specs = [spec(0.0, f64::INFINITY, vec![]), spec(2.5, 5.0, vec![])];
        let truth = Truth::simulate(&specs, 1.0, 6, 0.0, &mut rng).unwrap();
        assert_eq!(truth.len(), 6);
        // target 0 at t = k: x = 10 k
        for (i, scan) in truth.scans.iter().enumerate() {
            assert_eq!(scan[0].position(), Vector2::new(10.0 * (i + 1) as f64, 0.0));
        }
        // target 1 born at 2.5 s: present at t = 3 and 4, x = 10 (t - 2.5)
        assert_eq!(truth.lifetimes(2), vec![Some((1, 6)), Some((3, 4))]);
        assert_eq!(truth.scans[2][1].position(), Vector2::new(5.0, 0.0));
        assert_eq!(truth.scans[3][1].position(), Vector2::new(15.0, 0.0));
    }

    #[test]
    fn a_quarter_turn_split_inside_scans() {
        // 10 m/s, a left turn of pi/2 over 1.5 s starting at 0.5 s, scans every second
        let rate = std::f64::consts::FRAC_PI_2 / 1.5;
        let m = Maneuver {
            start_s: 0.5,
            duration_s: 1.5,
            turn_rate: rate,
        };
        let mut rng = StdRng::seed_from_u64(1);
        let truth = Truth::simulate(&[spec(0.0, 9.0, vec![m])], 1.0, 3, 0.0, &mut rng).unwrap();
        let x = truth.scans[2][0].state;
        // after the turn the velocity points north; radius v / omega
        assert!((x[1]).abs() < 1e-9 && (x[3] - 10.0).abs() < 1e-9, "{x}");
        let r = 10.0 / rate;
        let expected = Vector2::new(5.0 + r, r + 10.0);
        assert!((truth.scans[2][0].position() - expected).norm() < 1e-9);
        assert_eq!(truth.scans[0][0].turn_rate, rate);
        assert_eq!(truth.scans[2][0].turn_rate, 0.0);
    }

    #[test]
    fn process_noise_is_seeded() {
        let specs = [spec(0.0, f64::INFINITY, vec![])];
        let a = Truth::simulate(&specs, 1.0, 20, 0.5, &mut StdRng::seed_from_u64(3)).unwrap();
        let b = Truth::simulate(&specs, 1.0, 20, 0.5, &mut StdRng::seed_from_u64(3)).unwrap();
        let c = Truth::simulate(&specs, 1.0, 20, 0.5, &mut StdRng::seed_from_u64(4)).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn formation_of_four_per_cell() {
        let f = Formation {
            cells: [15, 15],
            spacing_m: 100.0,
            origin_m: Vector2::zeros(),
            offsets_m: vec![
                Vector2::new(0.0, 0.0),
                Vector2::new(30.0, 0.0),
                Vector2::new(0.0, 30.0),
                Vector2::new(30.0, 30.0),
            ],
            speed_m_s: 5.0,
            heading_step_rad: 0.37,
        };
        let t = f.targets(0.0);
        assert_eq!(t.len(), 900);
        assert_eq!(t[5].initial[0], 30.0);
        assert!((t[5].initial[1].hypot(t[5].initial[3]) - 5.0).abs() < 1e-12);
    }
}
