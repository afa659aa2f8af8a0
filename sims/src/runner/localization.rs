//! `localization`: Monte Carlo localisation. A robot drives among known landmarks and measures its
//! range to each one in sight; a particle filter starts from a uniform prior over the whole map
//! (global localisation: the robot does not know where it is) and uses KLD-adaptive sampling
//! (Fox 2003), so the particle count is large while the belief is spread and shrinks as it
//! converges.

use super::{RunContext, ScenarioKind};
use crate::report::Report;
use crate::scenario::{Checks, Header, ScenarioError, Source};
use crate::worlds::landmarks::{arc, LandmarkWorld, OdometryNoise, RangeReading};
use kestrel::estimation::particle::{KldSampling, ParticleFilter};
use kestrel::geometry::angle_diff;
use kestrel::models::kinematics::{rk4_step, UnicycleKinematics};
use kestrel::viz;
use nalgebra::{Matrix2, Vector2, Vector3};
use rand::Rng;
use rand_distr::StandardNormal;
use rerun::blueprint::{Blueprint, Horizontal, Spatial2DView, TimeSeriesView, Vertical};
use serde::Deserialize;

/// The scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalizationScenario {
    /// Header.
    pub scenario: Header,
    /// Map size and landmarks.
    pub map: MapConfig,
    /// The robot's true motion and its odometry.
    pub robot: RobotConfig,
    /// The range sensor.
    pub sensor: RangeSensorConfig,
    /// The particle filter.
    pub filter: FilterConfig,
}

/// `[map]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapConfig {
    /// Map size `[width, height]`, m (the map spans `[0, width] x [0, height]`).
    pub size_m: [f64; 2],
    /// Landmark positions, m.
    pub landmarks: Vec<[f64; 2]>,
}

/// `[robot]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RobotConfig {
    /// True initial pose `[x, y, heading_deg]`.
    pub initial_pose: [f64; 3],
    /// Control period, s.
    pub period_s: f64,
    /// Odometry noise on the speed, m/s.
    pub speed_noise_m_s: f64,
    /// Odometry noise on the turn rate, deg/s.
    pub turn_rate_noise_deg_s: f64,
    /// Commanded legs, driven in order.
    pub legs: Vec<LegConfig>,
}

/// `[[robot.legs]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegConfig {
    /// Duration, s.
    pub duration_s: f64,
    /// Forward speed, m/s.
    pub speed_m_s: f64,
    /// Turn rate, deg/s.
    #[serde(default)]
    pub turn_rate_deg_s: f64,
}

/// `[sensor]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeSensorConfig {
    /// Range noise standard deviation, m.
    pub range_std_m: f64,
    /// Maximum range, m.
    pub max_range_m: f64,
}

/// `[filter]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterConfig {
    /// Initial particle count (spread uniformly over the map and all headings).
    pub initial_particles: usize,
    /// Fewest particles KLD sampling keeps.
    pub min_particles: usize,
    /// Most particles KLD sampling draws.
    pub max_particles: usize,
    /// KLD error bound epsilon.
    pub kld_epsilon: f64,
    /// KLD failure probability delta (z = z_{1-delta}).
    pub kld_delta: f64,
    /// Histogram bin sizes `[x_m, y_m, heading_deg]`.
    pub bin_size: [f64; 3],
    /// Extra range noise assumed by the filter, m (inflates the likelihood for robustness).
    #[serde(default)]
    pub likelihood_std_m: Option<f64>,
    /// An estimate counts as converged when its position error stays below this, m.
    #[serde(default = "default_converged")]
    pub converged_within_m: f64,
}

fn default_converged() -> f64 {
    0.5
}

impl ScenarioKind for LocalizationScenario {
    const KIND: &'static str = "localization";

    fn load(source: &Source) -> Result<Self, ScenarioError> {
        let s: Self = source.parse()?;
        let mut c = Checks::new(source);
        c.positive(s.map.size_m[0], "map.size_m")
            .positive(s.map.size_m[1], "map.size_m")
            .require(
                !s.map.landmarks.is_empty(),
                "map.landmarks",
                "needs at least one landmark",
            );
        for (i, l) in s.map.landmarks.iter().enumerate() {
            let inside =
                (0.0..=s.map.size_m[0]).contains(&l[0]) && (0.0..=s.map.size_m[1]).contains(&l[1]);
            c.require(
                inside,
                "map.landmarks",
                &format!("landmark {i} lies outside the map"),
            );
        }
        let p = s.robot.initial_pose;
        c.require(
            p.iter().all(|v| v.is_finite())
                && (0.0..=s.map.size_m[0]).contains(&p[0])
                && (0.0..=s.map.size_m[1]).contains(&p[1]),
            "robot.initial_pose",
            "must be finite and inside the map",
        )
        .positive(s.robot.period_s, "robot.period_s")
        .non_negative(s.robot.speed_noise_m_s, "robot.speed_noise_m_s")
        .non_negative(s.robot.turn_rate_noise_deg_s, "robot.turn_rate_noise_deg_s")
        .require(
            !s.robot.legs.is_empty(),
            "robot.legs",
            "needs at least one leg",
        );
        for (i, leg) in s.robot.legs.iter().enumerate() {
            c.positive(leg.duration_s, &format!("robot.legs.{i}.duration_s"))
                .finite(leg.speed_m_s, &format!("robot.legs.{i}.speed_m_s"))
                .finite(
                    leg.turn_rate_deg_s,
                    &format!("robot.legs.{i}.turn_rate_deg_s"),
                );
        }
        c.positive(s.sensor.range_std_m, "sensor.range_std_m")
            .positive(s.sensor.max_range_m, "sensor.max_range_m")
            .require(
                (1..=5_000_000).contains(&s.filter.initial_particles),
                "filter.initial_particles",
                "must be between 1 and 5e6",
            )
            .require(
                s.filter.min_particles >= 1,
                "filter.min_particles",
                "must be at least 1",
            )
            .require(
                s.filter.max_particles >= s.filter.min_particles
                    && s.filter.max_particles <= 5_000_000,
                "filter.max_particles",
                "must be at least min_particles and at most 5e6",
            )
            .positive(s.filter.kld_epsilon, "filter.kld_epsilon")
            .require(
                s.filter.kld_delta > 0.0 && s.filter.kld_delta < 1.0,
                "filter.kld_delta",
                "must lie in (0, 1)",
            )
            .positive(s.filter.converged_within_m, "filter.converged_within_m");
        for b in s.filter.bin_size {
            c.positive(b, "filter.bin_size");
        }
        if let Some(v) = s.filter.likelihood_std_m {
            c.positive(v, "filter.likelihood_std_m");
        }
        c.finish()?;
        Ok(s)
    }

    fn run(&self, ctx: &RunContext) -> anyhow::Result<Report> {
        self.run_once(ctx)
    }

    fn blueprint(&self) -> Option<Blueprint> {
        Some(super::layout(Horizontal::new([
            Spatial2DView::new("map")
                .with_origin("/")
                .with_contents(["/world/**"])
                .into(),
            Vertical::new([
                TimeSeriesView::new("particle count")
                    .with_origin("plots/particle_count")
                    .into(),
                TimeSeriesView::new("position error (m)")
                    .with_origin("plots/position_error")
                    .into(),
                TimeSeriesView::new("heading error (deg)")
                    .with_origin("plots/heading_error")
                    .into(),
            ])
            .into(),
        ])))
    }
}

/// Most particles drawn per step in the recording (a random-free, strided subset).
const MAX_LOGGED_PARTICLES: usize = 4000;

impl LocalizationScenario {
    fn run_once(&self, ctx: &RunContext) -> anyhow::Result<Report> {
        let rec = &ctx.rec;
        let dt = self.robot.period_s;
        let world = LandmarkWorld {
            landmarks: self
                .map
                .landmarks
                .iter()
                .map(|l| Vector2::new(l[0], l[1]))
                .collect(),
            range_std_m: self.sensor.range_std_m,
            max_range_m: self.sensor.max_range_m,
        };
        let odometry = OdometryNoise {
            speed_std: self.robot.speed_noise_m_s,
            turn_rate_std: self.robot.turn_rate_noise_deg_s.to_radians(),
        };
        let mut world_rng = ctx.rng(1);
        let mut sensor_rng = ctx.rng(2);
        let mut pf_rng = ctx.rng(3);

        let [w, h] = self.map.size_m;
        let f = &self.filter;
        let mut pf = ParticleFilter::from_uniform(
            &Vector3::new(0.0, 0.0, -std::f64::consts::PI),
            &Vector3::new(w, h, std::f64::consts::PI),
            f.initial_particles,
            &mut pf_rng,
        )?
        .with_angle_components([false, false, true]);
        let kld = KldSampling::new(
            f.kld_epsilon,
            f.kld_delta,
            Vector3::new(f.bin_size[0], f.bin_size[1], f.bin_size[2].to_radians()),
            f.min_particles,
            f.max_particles,
        )?;
        let sigma = f.likelihood_std_m.unwrap_or(self.sensor.range_std_m);
        let inv_var = 1.0 / (sigma * sigma);

        let p0 = self.robot.initial_pose;
        let mut truth = Vector3::new(p0[0], p0[1], p0[2].to_radians());
        // commands per step
        let commands: Vec<(f64, f64)> = self
            .robot
            .legs
            .iter()
            .flat_map(|leg| {
                let n = (leg.duration_s / dt).round() as usize;
                std::iter::repeat_n((leg.speed_m_s, leg.turn_rate_deg_s.to_radians()), n)
            })
            .collect();

        // the world first: the true path, the odometry the robot feels and what it measures
        let mut truths = Vec::with_capacity(commands.len());
        let mut odometry_readings = Vec::with_capacity(commands.len());
        let mut scans = Vec::with_capacity(commands.len());
        for &(v, omega) in &commands {
            truth = arc(&truth, v, omega, dt);
            truths.push(truth);
            odometry_readings.push(odometry.corrupt(v, omega, &mut world_rng));
            let mut seen = Vec::new();
            world.measure(&truth, &mut sensor_rng, &mut seen);
            scans.push(seen);
        }
        self.log_static(ctx, &world, &truths)?;
        let mut failed_updates = 0usize;
        let mut counts = Vec::with_capacity(commands.len());
        let mut errors = Vec::with_capacity(commands.len());
        let mut heading_errors = Vec::with_capacity(commands.len());
        let (speed_std, rate_std) = (odometry.speed_std, odometry.turn_rate_std);
        let bar = ctx.progress(commands.len() as u64, "steps");
        for k in 0..commands.len() {
            let (truth, (v_odo, omega_odo), readings) =
                (truths[k], odometry_readings[k], &scans[k]);

            // Fox's KLD-sampling motion update: sample the odometry noise per particle
            let count = pf.predict_kld_with(&kld, &mut pf_rng, |x, rng| {
                let a: f64 = rng.sample(StandardNormal);
                let b: f64 = rng.sample(StandardNormal);
                let u = Vector2::new(v_odo + speed_std * a, omega_odo + rate_std * b);
                rk4_step(&UnicycleKinematics, x, &u, dt)
            })?;
            // range likelihood; particles outside the map have zero weight
            let landmarks = &world.landmarks;
            let update = pf.update_with(|x| {
                if x[0] < 0.0 || x[0] > w || x[1] < 0.0 || x[1] > h {
                    return f64::NEG_INFINITY;
                }
                let p = Vector2::new(x[0], x[1]);
                -0.5 * inv_var
                    * readings
                        .iter()
                        .map(|r| (r.range_m - (landmarks[r.landmark] - p).norm()).powi(2))
                        .sum::<f64>()
            });
            // an error means every particle was ruled out: the filter keeps the predicted set
            if update.is_err() {
                failed_updates += 1;
            }
            counts.push(count);
            let (mean, cov) = pf.estimate();
            let err = ((mean[0] - truth[0]).powi(2) + (mean[1] - truth[1]).powi(2)).sqrt();
            let herr = angle_diff(mean[2], truth[2]).to_degrees();
            errors.push(err);
            heading_errors.push(herr);

            rec.set_time_sequence("step", k as i64 + 1);
            rec.set_duration_secs("sim_time", (k + 1) as f64 * dt);
            if rec.is_enabled() {
                self.log_step(ctx, &pf, &truth, &mean, &cov, readings, &world)?;
                viz::log_scalar(rec, "plots/particle_count/pf", count as f64)?;
                viz::log_scalar(rec, "plots/position_error/pf", err)?;
                viz::log_scalar(rec, "plots/heading_error/pf", herr)?;
            }
            bar.inc(1);
        }
        bar.finish_and_clear();

        let n = errors.len();
        let converged_at = (0..n)
            .rev()
            .take_while(|&i| errors[i] < f.converged_within_m)
            .last()
            .unwrap_or(n);
        let tail = n / 2;
        let rmse_tail =
            (errors[tail..].iter().map(|e| e * e).sum::<f64>() / (n - tail) as f64).sqrt();
        let heading_tail =
            (heading_errors[tail..].iter().map(|e| e * e).sum::<f64>() / (n - tail) as f64).sqrt();
        let mean_count_tail = counts[tail..].iter().sum::<usize>() as f64 / (n - tail) as f64;
        let mut report = Report::default();
        report
            .metric("pf", "initial_particles", f.initial_particles as f64)
            .metric("pf", "particles_first_step", counts[0] as f64)
            .metric("pf", "particles_final", counts[n - 1] as f64)
            .metric("pf", "mean_particles_second_half", mean_count_tail)
            .metric("pf", "converged_step", converged_at as f64)
            .metric("pf", "converged", if converged_at < n { 1.0 } else { 0.0 })
            .metric("pf", "final_position_error_m", errors[n - 1])
            .metric("pf", "failed_updates", failed_updates as f64)
            .metric("pf", "rmse_position_second_half_m", rmse_tail)
            .metric("pf", "rmse_heading_second_half_deg", heading_tail);
        Ok(report)
    }

    fn log_static(
        &self,
        ctx: &RunContext,
        world: &LandmarkWorld,
        truths: &[Vector3<f64>],
    ) -> anyhow::Result<()> {
        let rec = &ctx.rec;
        let [w, h] = self.map.size_m;
        let (w, h) = (w as f32, h as f32);
        viz::y_up(rec, "world")?;
        rec.log_static(
            "world/map/boundary",
            &rerun::LineStrips2D::new([[[0.0, 0.0], [w, 0.0], [w, h], [0.0, h], [0.0, 0.0]]])
                .with_colors([[120, 120, 120, 255]]),
        )?;
        rec.log_static(
            "world/map/landmarks",
            &rerun::Points2D::new(world.landmarks.iter().map(|l| [l.x as f32, l.y as f32]))
                .with_labels((0..world.landmarks.len()).map(|i| format!("L{i}")))
                .with_colors([[255, 80, 80, 255]])
                .with_radii([rerun::Radius::new_ui_points(6.0)]),
        )?;
        let path: Vec<[f32; 2]> = truths.iter().map(|p| [p[0] as f32, p[1] as f32]).collect();
        rec.log_static(
            "world/truth/path",
            &rerun::LineStrips2D::new([path]).with_colors([[255, 255, 255, 60]]),
        )?;
        viz::log_series_style(
            rec,
            "plots/particle_count/pf",
            "particles (KLD)",
            viz::color(3),
        )?;
        viz::log_series_style(
            rec,
            "plots/position_error/pf",
            "position error",
            viz::color(0),
        )?;
        viz::log_series_style(
            rec,
            "plots/heading_error/pf",
            "heading error",
            viz::color(1),
        )?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn log_step(
        &self,
        ctx: &RunContext,
        pf: &ParticleFilter<3>,
        truth: &Vector3<f64>,
        mean: &Vector3<f64>,
        cov: &nalgebra::Matrix3<f64>,
        readings: &[RangeReading],
        world: &LandmarkWorld,
    ) -> anyhow::Result<()> {
        let rec = &ctx.rec;
        let stride = pf.len().div_ceil(MAX_LOGGED_PARTICLES).max(1);
        let pts: Vec<[f32; 2]> = pf
            .particles()
            .iter()
            .step_by(stride)
            .map(|p| [p[0] as f32, p[1] as f32])
            .collect();
        rec.log(
            "world/pf/particles",
            &rerun::Points2D::new(pts)
                .with_colors([[204, 121, 167, 110]])
                .with_radii([rerun::Radius::new_ui_points(1.5)]),
        )?;
        let arrow = |p: &Vector3<f64>| {
            (
                [p[0] as f32, p[1] as f32],
                [0.8 * p[2].cos() as f32, 0.8 * p[2].sin() as f32],
            )
        };
        let (o, d) = arrow(truth);
        rec.log(
            "world/truth/pose",
            &rerun::Arrows2D::from_vectors([d])
                .with_origins([o])
                .with_colors([viz::TRUTH_COLOR]),
        )?;
        let (o, d) = arrow(mean);
        rec.log(
            "world/pf/estimate",
            &rerun::Arrows2D::from_vectors([d])
                .with_origins([o])
                .with_colors([viz::color(0)]),
        )?;
        viz::log_covariance_ellipse(
            rec,
            "world/pf/covariance",
            &Vector2::new(mean[0], mean[1]),
            &Matrix2::new(cov[(0, 0)], cov[(0, 1)], cov[(1, 0)], cov[(1, 1)]),
            2.0,
            viz::color(0),
        )?;
        let beams: Vec<[[f32; 2]; 2]> = readings
            .iter()
            .map(|r| {
                let l = world.landmarks[r.landmark];
                [[truth[0] as f32, truth[1] as f32], [l.x as f32, l.y as f32]]
            })
            .collect();
        rec.log(
            "world/measurements",
            &rerun::LineStrips2D::new(beams).with_colors([viz::MEASUREMENT_COLOR]),
        )?;
        Ok(())
    }
}
