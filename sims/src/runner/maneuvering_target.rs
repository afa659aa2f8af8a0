//! `maneuvering_target`: a target flies straight, turns, and flies straight again, seen by a
//! range-bearing radar. A single-model EKF (constant velocity) against an IMM of constant-velocity
//! and coordinated-turn EKFs. The IMM keeps its error low through the turn, where the single model
//! lags; its mode probabilities show when it believes the target turns.

use super::score::ErrorStats;
use super::{RunContext, ScenarioKind};
use crate::report::Report;
use crate::scenario::{Checks, Header, ScenarioError, Source};
use crate::worlds::maneuvering::{trajectory, Radar, Segment};
use kestrel::estimation::{embed, Embedding, ExtendedKalmanFilter, ImmEstimator, MixingFill, Mode};
use kestrel::models::measurement::RangeBearing;
use kestrel::models::motion::{ConstantVelocity, CoordinatedTurn};
use kestrel::viz;
use nalgebra::{DMatrix, Matrix2, Matrix4, SMatrix, SVector, Vector2, Vector4};
use rerun::blueprint::{Blueprint, Horizontal, Spatial2DView, TimeSeriesView, Vertical};
use serde::Deserialize;
use std::collections::VecDeque;

/// The scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManeuveringScenario {
    /// Header.
    pub scenario: Header,
    /// The true flight.
    pub target: TargetConfig,
    /// The radar.
    pub radar: RadarConfig,
    /// The single-model EKFs.
    pub ekf: EkfConfig,
    /// The IMM.
    pub imm: ImmConfig,
    /// Scoring.
    #[serde(default)]
    pub scoring: ScoringConfig,
}

/// `[target]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetConfig {
    /// Initial position `[x, y]`, m.
    pub initial_position_m: [f64; 2],
    /// Initial velocity `[vx, vy]`, m/s.
    pub initial_velocity_m_s: [f64; 2],
    /// Legs of the flight, flown in order.
    pub segments: Vec<SegmentConfig>,
}

/// `[[target.segments]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentConfig {
    /// Duration, s.
    pub duration_s: f64,
    /// Turn rate, deg/s (0 for a straight leg, positive turns left).
    #[serde(default)]
    pub turn_rate_deg_s: f64,
}

/// `[radar]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RadarConfig {
    /// Radar position, m.
    #[serde(default)]
    pub position_m: [f64; 2],
    /// Range noise standard deviation, m.
    pub range_std_m: f64,
    /// Bearing noise standard deviation, deg.
    pub bearing_std_deg: f64,
    /// Scan period, s.
    pub period_s: f64,
}

/// `[ekf]`: constant-velocity EKFs, one per process-noise level.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EkfConfig {
    /// Acceleration noise densities (m^2/s^3), one filter each, named `ekf_cv_q<value>`.
    pub process_noise: Vec<f64>,
    /// Initial velocity standard deviation, m/s (position comes from the first measurement).
    pub initial_speed_std_m_s: f64,
}

/// `[imm]`: constant velocity + coordinated turn.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImmConfig {
    /// Constant-velocity mode acceleration noise density, m^2/s^3.
    pub cv_process_noise: f64,
    /// Coordinated-turn mode acceleration noise density, m^2/s^3.
    pub ct_process_noise: f64,
    /// Coordinated-turn mode turn-rate noise density, rad^2/s^3.
    pub ct_turn_rate_noise: f64,
    /// Row-stochastic mode transition matrix `[[cv->cv, cv->ct], [ct->cv, ct->ct]]` per scan.
    pub transition: [[f64; 2]; 2],
    /// Initial mode probabilities `[cv, ct]`.
    pub initial_probabilities: [f64; 2],
    /// Initial turn-rate standard deviation, deg/s.
    pub initial_turn_rate_std_deg_s: f64,
}

/// `[scoring]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoringConfig {
    /// Scans at the start left out of the metrics (initialisation transient).
    #[serde(default = "default_burn_in")]
    pub burn_in_scans: usize,
}

impl Default for ScoringConfig {
    fn default() -> Self {
        Self {
            burn_in_scans: default_burn_in(),
        }
    }
}

fn default_burn_in() -> usize {
    10
}

/// Common IMM state `[x, vx, y, vy, omega]`.
const C: usize = 5;

impl ScenarioKind for ManeuveringScenario {
    const KIND: &'static str = "maneuvering_target";

    fn load(source: &Source) -> Result<Self, ScenarioError> {
        let s: Self = source.parse()?;
        let mut c = Checks::new(source);
        for (i, v) in s
            .target
            .initial_position_m
            .iter()
            .chain(&s.target.initial_velocity_m_s)
            .enumerate()
        {
            let field = if i < 2 {
                "target.initial_position_m"
            } else {
                "target.initial_velocity_m_s"
            };
            c.finite(*v, field);
        }
        c.require(
            !s.target.segments.is_empty(),
            "target.segments",
            "needs at least one segment",
        );
        for (i, seg) in s.target.segments.iter().enumerate() {
            c.positive(seg.duration_s, &format!("target.segments.{i}.duration_s"))
                .finite(
                    seg.turn_rate_deg_s,
                    &format!("target.segments.{i}.turn_rate_deg_s"),
                );
        }
        c.finite(s.radar.position_m[0], "radar.position_m")
            .finite(s.radar.position_m[1], "radar.position_m")
            .positive(s.radar.range_std_m, "radar.range_std_m")
            .positive(s.radar.bearing_std_deg, "radar.bearing_std_deg")
            .positive(s.radar.period_s, "radar.period_s")
            .require(
                !s.ekf.process_noise.is_empty(),
                "ekf.process_noise",
                "needs at least one value",
            );
        for q in &s.ekf.process_noise {
            c.positive(*q, "ekf.process_noise");
        }
        c.positive(s.ekf.initial_speed_std_m_s, "ekf.initial_speed_std_m_s")
            .positive(s.imm.cv_process_noise, "imm.cv_process_noise")
            .positive(s.imm.ct_process_noise, "imm.ct_process_noise")
            .positive(s.imm.ct_turn_rate_noise, "imm.ct_turn_rate_noise")
            .positive(
                s.imm.initial_turn_rate_std_deg_s,
                "imm.initial_turn_rate_std_deg_s",
            );
        for row in &s.imm.transition {
            let ok = row.iter().all(|v| v.is_finite() && *v >= 0.0)
                && (row.iter().sum::<f64>() - 1.0).abs() < 1e-9;
            c.require(
                ok,
                "imm.transition",
                "rows must be non-negative and sum to 1",
            );
        }
        let p = &s.imm.initial_probabilities;
        c.require(
            p.iter().all(|v| v.is_finite() && *v >= 0.0)
                && (p.iter().sum::<f64>() - 1.0).abs() < 1e-9,
            "imm.initial_probabilities",
            "must be non-negative and sum to 1",
        );
        let total: f64 = s.target.segments.iter().map(|g| g.duration_s).sum();
        c.require(
            total / s.radar.period_s >= (s.scoring.burn_in_scans + 2) as f64,
            "scoring.burn_in_scans",
            "leaves no scans to score",
        );
        c.finish()?;
        Ok(s)
    }

    fn run(&self, ctx: &RunContext) -> anyhow::Result<Report> {
        self.run_once(ctx)
    }

    fn blueprint(&self) -> Option<Blueprint> {
        Some(super::layout(Horizontal::new([
            Spatial2DView::new("world")
                .with_origin("/")
                .with_contents(["/world/**"])
                .into(),
            Vertical::new([
                TimeSeriesView::new("position error (m)")
                    .with_origin("plots/position_error")
                    .into(),
                TimeSeriesView::new("NEES (position, velocity)")
                    .with_origin("plots/nees")
                    .into(),
                TimeSeriesView::new("IMM mode probabilities")
                    .with_origin("plots/mode_probability")
                    .into(),
            ])
            .into(),
        ])))
    }
}

/// A fixed-length trail of recent positions for drawing.
struct Trail(VecDeque<[f32; 2]>);

impl Trail {
    fn push(&mut self, p: [f32; 2]) -> Vec<[f32; 2]> {
        if self.0.len() == 40 {
            self.0.pop_front();
        }
        self.0.push_back(p);
        self.0.iter().copied().collect()
    }
}

impl ManeuveringScenario {
    fn run_once(&self, ctx: &RunContext) -> anyhow::Result<Report> {
        let rec = &ctx.rec;
        let dt = self.radar.period_s;
        let segments: Vec<Segment> = self
            .target
            .segments
            .iter()
            .map(|s| Segment {
                duration_s: s.duration_s,
                turn_rate: s.turn_rate_deg_s.to_radians(),
            })
            .collect();
        let [px, py] = self.target.initial_position_m;
        let [vx, vy] = self.target.initial_velocity_m_s;
        let truth = trajectory(Vector4::new(px, vx, py, vy), &segments, dt);
        let radar = Radar {
            position: Vector2::from(self.radar.position_m),
            range_std_m: self.radar.range_std_m,
            bearing_std: self.radar.bearing_std_deg.to_radians(),
        };
        let mut sensor_rng = ctx.rng(1);
        // scan 0 is the initial state; measurements start at scan 1
        let measurements: Vec<Vector2<f64>> = truth
            .iter()
            .map(|(x, _)| radar.measure(&Vector2::new(x[0], x[2]), &mut sensor_rng))
            .collect();

        let meas4 =
            RangeBearing::new([0, 2], radar.position, radar.range_std_m, radar.bearing_std)?;
        let meas5 =
            RangeBearing::new([0, 2], radar.position, radar.range_std_m, radar.bearing_std)?;

        // one-point initialisation from the first measurement: position and its covariance from
        // the polar-to-Cartesian Jacobian, velocity zero with a wide prior
        let z0 = measurements[0];
        let p0_xy = radar.to_cartesian(&z0);
        let (s, c) = z0[1].sin_cos();
        let j = Matrix2::new(c, -z0[0] * s, s, z0[0] * c);
        let r = Matrix2::new(
            radar.range_std_m.powi(2),
            0.0,
            0.0,
            radar.bearing_std.powi(2),
        );
        let pos_cov = j * r * j.transpose();
        let sv2 = self.ekf.initial_speed_std_m_s.powi(2);
        let x0 = Vector4::new(p0_xy.x, 0.0, p0_xy.y, 0.0);
        let mut p0 = Matrix4::zeros();
        p0[(0, 0)] = pos_cov[(0, 0)];
        p0[(0, 2)] = pos_cov[(0, 1)];
        p0[(2, 0)] = pos_cov[(1, 0)];
        p0[(2, 2)] = pos_cov[(1, 1)];
        p0[(1, 1)] = sv2;
        p0[(3, 3)] = sv2;

        let mut ekfs: Vec<(String, ConstantVelocity, ExtendedKalmanFilter<4>)> = self
            .ekf
            .process_noise
            .iter()
            .map(|&q| -> anyhow::Result<_> {
                Ok((
                    format!("ekf_cv_q{q}"),
                    ConstantVelocity::new(q)?,
                    ExtendedKalmanFilter::new(x0, p0)?,
                ))
            })
            .collect::<anyhow::Result<_>>()?;

        let cv_mode = Mode::new(
            ExtendedKalmanFilter::new(x0, p0)?,
            ConstantVelocity::new(self.imm.cv_process_noise)?,
            meas4,
        );
        let mut x0_ct = SVector::<f64, 5>::zeros();
        x0_ct.fixed_rows_mut::<4>(0).copy_from(&x0);
        let mut p0_ct = SMatrix::<f64, 5, 5>::zeros();
        p0_ct.fixed_view_mut::<4, 4>(0, 0).copy_from(&p0);
        p0_ct[(4, 4)] = self.imm.initial_turn_rate_std_deg_s.to_radians().powi(2);
        let ct_mode = Mode::new(
            ExtendedKalmanFilter::new(x0_ct, p0_ct)?,
            CoordinatedTurn::new(self.imm.ct_process_noise, self.imm.ct_turn_rate_noise)?,
            meas5,
        );
        let t = &self.imm.transition;
        let mut imm = ImmEstimator::<C, 2>::new(
            vec![
                embed(cv_mode, Embedding::<4, C>::new([0, 1, 2, 3])?),
                embed(ct_mode, Embedding::<5, C>::identity()?),
            ],
            &DMatrix::from_row_slice(2, 2, &[t[0][0], t[0][1], t[1][0], t[1][1]]),
            &self.imm.initial_probabilities,
        )?
        .with_mixing_fill(MixingFill::TargetEstimate);

        // scoring: all scans after burn-in, and the scans flown in a turn
        let n_alg = ekfs.len() + 1;
        let names: Vec<String> = ekfs
            .iter()
            .map(|e| e.0.clone())
            .chain(["imm".to_string()])
            .collect();
        let mut all = vec![ErrorStats::default(); n_alg];
        let mut turn = vec![ErrorStats::default(); n_alg];
        let mut straight = vec![ErrorStats::default(); n_alg];
        let mut velocity = vec![ErrorStats::default(); n_alg];
        let mut ct_prob_turn = (0.0, 0usize);
        let mut ct_prob_straight = (0.0, 0usize);
        let mut trails: Vec<Trail> = (0..n_alg).map(|_| Trail(VecDeque::new())).collect();

        self.log_static(ctx, &truth, &names, &radar)?;
        let bar = ctx.progress(truth.len() as u64 - 1, "scans");
        for k in 1..truth.len() {
            let z = measurements[k];
            let (x_true, omega_true) = truth[k];
            let mut estimates: Vec<(Vector4<f64>, Matrix4<f64>)> = Vec::with_capacity(n_alg);
            for (_, model, ekf) in ekfs.iter_mut() {
                ekf.predict(model, dt)?;
                // a rejected update (never expected here) leaves the prediction standing
                let _ = ekf.update(&meas4, &z);
                estimates.push((*ekf.state(), *ekf.covariance()));
            }
            imm.predict(dt)?;
            let _ = imm.update(&z);
            let (xc, pc) = imm.estimate();
            estimates.push((
                xc.fixed_rows::<4>(0).into(),
                pc.fixed_view::<4, 4>(0, 0).into(),
            ));
            let p_ct = imm.mode_probabilities()[1];

            rec.set_time_sequence("step", k as i64);
            rec.set_duration_secs("sim_time", k as f64 * dt);
            let zc = radar.to_cartesian(&z);
            rec.log(
                "world/truth/position",
                &rerun::Points2D::new([[x_true[0] as f32, x_true[2] as f32]])
                    .with_colors([viz::TRUTH_COLOR])
                    .with_radii([rerun::Radius::new_ui_points(4.0)]),
            )?;
            rec.log(
                "world/measurements",
                &rerun::Points2D::new([[zc.x as f32, zc.y as f32]])
                    .with_colors([viz::MEASUREMENT_COLOR])
                    .with_radii([rerun::Radius::new_ui_points(2.5)]),
            )?;
            viz::log_scalar(rec, "plots/mode_probability/ct", p_ct)?;
            viz::log_scalar(rec, "plots/mode_probability/cv", 1.0 - p_ct)?;
            viz::log_scalar(
                rec,
                "plots/mode_probability/truth_turning",
                if omega_true != 0.0 { 1.0 } else { 0.0 },
            )?;

            let scored = k > self.scoring.burn_in_scans;
            for (a, (x, p)) in estimates.iter().enumerate() {
                let e = x - x_true;
                let pos_sq = e[0] * e[0] + e[2] * e[2];
                let nees = if scored {
                    all[a].add_nees(&e, p)
                } else {
                    kestrel::geometry::mahalanobis_squared(&e, p)
                };
                if scored {
                    all[a].add_squared_error(pos_sq);
                    velocity[a].add_squared_error(e[1] * e[1] + e[3] * e[3]);
                    if omega_true != 0.0 {
                        turn[a].add_squared_error(pos_sq);
                    } else {
                        straight[a].add_squared_error(pos_sq);
                    }
                }
                let name = &names[a];
                let pos = Vector2::new(x[0], x[2]);
                let cov = Matrix2::new(p[(0, 0)], p[(0, 2)], p[(2, 0)], p[(2, 2)]);
                viz::log_covariance_ellipse(
                    rec,
                    &format!("world/{name}/covariance"),
                    &pos,
                    &cov,
                    2.0,
                    viz::color(a),
                )?;
                let trail = trails[a].push([x[0] as f32, x[2] as f32]);
                rec.log(
                    format!("world/{name}/track"),
                    &rerun::LineStrips2D::new([trail]).with_colors([viz::color(a)]),
                )?;
                viz::log_scalar(rec, &format!("plots/position_error/{name}"), pos_sq.sqrt())?;
                if let Some(v) = nees {
                    viz::log_scalar(rec, &format!("plots/nees/{name}"), v)?;
                }
            }
            if scored {
                if omega_true != 0.0 {
                    ct_prob_turn.0 += p_ct;
                    ct_prob_turn.1 += 1;
                } else {
                    ct_prob_straight.0 += p_ct;
                    ct_prob_straight.1 += 1;
                }
            }
            bar.inc(1);
        }
        bar.finish_and_clear();

        let mut report = Report::default();
        for (a, name) in names.iter().enumerate() {
            report
                .metric(name, "rmse_position_m", all[a].rmse())
                .metric(name, "rmse_position_turn_m", turn[a].rmse())
                .metric(name, "rmse_position_straight_m", straight[a].rmse())
                .metric(name, "rmse_velocity_m_s", velocity[a].rmse())
                .metric(name, "mean_nees", all[a].mean_nees());
        }
        report
            .metric(
                "imm",
                "mean_ct_probability_turn",
                ct_prob_turn.0 / ct_prob_turn.1.max(1) as f64,
            )
            .metric(
                "imm",
                "mean_ct_probability_straight",
                ct_prob_straight.0 / ct_prob_straight.1.max(1) as f64,
            );
        Ok(report)
    }

    fn log_static(
        &self,
        ctx: &RunContext,
        truth: &[(Vector4<f64>, f64)],
        names: &[String],
        radar: &Radar,
    ) -> anyhow::Result<()> {
        let rec = &ctx.rec;
        viz::y_up(rec, "world")?;
        let path: Vec<[f32; 2]> = truth
            .iter()
            .map(|(x, _)| [x[0] as f32, x[2] as f32])
            .collect();
        rec.log_static(
            "world/truth/path",
            &rerun::LineStrips2D::new([path]).with_colors([[255, 255, 255, 90]]),
        )?;
        rec.log_static(
            "world/radar",
            &rerun::Points2D::new([[radar.position.x as f32, radar.position.y as f32]])
                .with_labels(["radar"])
                .with_colors([[255, 80, 80, 255]])
                .with_radii([rerun::Radius::new_ui_points(6.0)]),
        )?;
        for (a, name) in names.iter().enumerate() {
            viz::log_series_style(
                rec,
                &format!("plots/position_error/{name}"),
                name,
                viz::color(a),
            )?;
            viz::log_series_style(rec, &format!("plots/nees/{name}"), name, viz::color(a))?;
        }
        viz::log_series_style(
            rec,
            "plots/mode_probability/ct",
            "P(coordinated turn)",
            viz::color(2),
        )?;
        viz::log_series_style(
            rec,
            "plots/mode_probability/cv",
            "P(constant velocity)",
            viz::color(0),
        )?;
        viz::log_series_style(
            rec,
            "plots/mode_probability/truth_turning",
            "target turning",
            [255, 255, 255, 120],
        )?;
        Ok(())
    }
}
