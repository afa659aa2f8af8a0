//! `pendulum`: the classic teaching case. A true nonlinear pendulum, noisy angle measurements, and
//! four filters: a Kalman filter on the small-angle linear model, an EKF, a UKF and a particle
//! filter on the nonlinear model. With a small swing all track; with a large one the linear KF's
//! model is wrong (its restoring force grows with theta, not sin theta) and it fails.

use super::score::ErrorStats;
use super::{RunContext, ScenarioKind};
use crate::report::Report;
use crate::scenario::{Checks, Header, ScenarioError, Source};
use crate::worlds::pendulum::{acceleration_noise, Pendulum, PendulumWorld};
use anyhow::Context;
use kestrel::estimation::{
    ExtendedKalmanFilter, KalmanFilter, ParticleFilter, ResamplingScheme, SigmaPoints,
    UnscentedKalmanFilter,
};
use kestrel::models::measurement::LinearGaussianMeasurement;
use kestrel::models::motion::LinearMotion;
use kestrel::models::{MotionJacobian, MotionModel};
use kestrel::viz;
use nalgebra::{Matrix1x2, Matrix2, SMatrix, Vector1, Vector2};
use rand::Rng;
use rand_distr::{Distribution, Normal};
use rerun::blueprint::{Blueprint, Horizontal, Spatial2DView, TimeSeriesView, Vertical};
use serde::Deserialize;

/// The scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendulumScenario {
    /// Header.
    pub scenario: Header,
    /// Physics of the true pendulum (also the nonlinear filters' model).
    pub pendulum: PendulumConfig,
    /// The angle sensor.
    pub sensor: SensorConfig,
    /// Filter settings shared by the cases.
    pub filters: FilterConfig,
    /// Initial conditions, each run as its own case.
    pub cases: Vec<CaseConfig>,
}

/// `[pendulum]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendulumConfig {
    /// Gravity, m/s^2.
    #[serde(default = "default_gravity")]
    pub gravity_m_s2: f64,
    /// Rod length, m.
    pub length_m: f64,
    /// Viscous damping, 1/s.
    #[serde(default)]
    pub damping_per_s: f64,
    /// Spectral density of the white angular-acceleration noise, rad^2/s^3.
    pub process_noise_density: f64,
    /// RK4 steps per measurement period.
    #[serde(default = "default_substeps")]
    pub substeps: usize,
    /// Simulated time, s.
    pub duration_s: f64,
}

fn default_gravity() -> f64 {
    9.81
}
fn default_substeps() -> usize {
    5
}

/// `[sensor]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensorConfig {
    /// Angle noise standard deviation, rad.
    pub angle_std_rad: f64,
    /// Measurement period, s (also the filters' step).
    pub period_s: f64,
}

/// `[filters]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterConfig {
    /// Standard deviation of the initial angle error, rad.
    pub initial_angle_std_rad: f64,
    /// Standard deviation of the initial rate error, rad/s.
    pub initial_rate_std_rad_s: f64,
    /// Particle count of the particle filter.
    pub particles: usize,
    /// Merwe sigma-point spread alpha.
    #[serde(default = "default_alpha")]
    pub ukf_alpha: f64,
    /// Merwe prior-knowledge parameter beta (2 is optimal for Gaussians).
    #[serde(default = "default_beta")]
    pub ukf_beta: f64,
    /// Merwe secondary scaling kappa.
    #[serde(default)]
    pub ukf_kappa: f64,
    /// Resampling scheme: "systematic", "stratified", "residual" or "multinomial".
    #[serde(default = "default_resampling")]
    pub resampling: String,
    /// Resample when the effective sample size falls below this fraction of the count.
    #[serde(default = "default_ess")]
    pub ess_threshold: f64,
}

fn default_alpha() -> f64 {
    0.5
}
fn default_beta() -> f64 {
    2.0
}
fn default_resampling() -> String {
    "systematic".into()
}
fn default_ess() -> f64 {
    0.5
}

/// `[[cases]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseConfig {
    /// Case name (a prefix of its metrics and entity paths).
    pub name: String,
    /// Initial angle from the downward vertical, rad.
    pub initial_angle_rad: f64,
    /// Initial angular rate, rad/s.
    #[serde(default)]
    pub initial_rate_rad_s: f64,
}

/// Parses a resampling scheme name.
pub fn resampling_scheme(name: &str) -> Option<ResamplingScheme> {
    Some(match name {
        "systematic" => ResamplingScheme::Systematic,
        "stratified" => ResamplingScheme::Stratified,
        "residual" => ResamplingScheme::Residual,
        "multinomial" => ResamplingScheme::Multinomial,
        _ => return None,
    })
}

/// The nonlinear model the EKF, UKF and particle filter use: the true physics, RK4-integrated,
/// with the exact discretised acceleration noise.
struct NonlinearModel {
    pendulum: Pendulum,
    noise_density: f64,
    substeps: usize,
}

impl MotionModel<2> for NonlinearModel {
    fn transition(&self, x: &Vector2<f64>, dt: f64) -> Vector2<f64> {
        self.pendulum.propagate(x, dt, self.substeps).0
    }
    fn process_noise(&self, _x: &Vector2<f64>, dt: f64) -> Matrix2<f64> {
        acceleration_noise(self.noise_density, dt)
    }
}

impl MotionJacobian<2> for NonlinearModel {
    fn jacobian(&self, x: &Vector2<f64>, dt: f64) -> Matrix2<f64> {
        self.pendulum.propagate(x, dt, self.substeps).1
    }
}

/// The small-angle model `theta'' = -(g/L) theta - c omega`, discretised exactly:
/// `F = exp(A dt)`.
struct SmallAngleModel {
    a: Matrix2<f64>,
    noise_density: f64,
}

impl MotionModel<2> for SmallAngleModel {
    fn transition(&self, x: &Vector2<f64>, dt: f64) -> Vector2<f64> {
        self.transition_matrix(dt) * x
    }
    fn process_noise(&self, _x: &Vector2<f64>, dt: f64) -> Matrix2<f64> {
        acceleration_noise(self.noise_density, dt)
    }
}

impl MotionJacobian<2> for SmallAngleModel {
    fn jacobian(&self, _x: &Vector2<f64>, dt: f64) -> Matrix2<f64> {
        self.transition_matrix(dt)
    }
}

impl LinearMotion<2> for SmallAngleModel {
    fn transition_matrix(&self, dt: f64) -> Matrix2<f64> {
        (self.a * dt).exp()
    }
}

const FILTERS: [&str; 4] = ["kf", "ekf", "ukf", "pf"];

impl ScenarioKind for PendulumScenario {
    const KIND: &'static str = "pendulum";

    fn load(source: &Source) -> Result<Self, ScenarioError> {
        let s: Self = source.parse()?;
        let mut c = Checks::new(source);
        c.positive(s.pendulum.gravity_m_s2, "pendulum.gravity_m_s2")
            .positive(s.pendulum.length_m, "pendulum.length_m")
            .non_negative(s.pendulum.damping_per_s, "pendulum.damping_per_s")
            .positive(
                s.pendulum.process_noise_density,
                "pendulum.process_noise_density",
            )
            .require(
                s.pendulum.substeps >= 1,
                "pendulum.substeps",
                "must be at least 1",
            )
            .positive(s.pendulum.duration_s, "pendulum.duration_s")
            .positive(s.sensor.angle_std_rad, "sensor.angle_std_rad")
            .positive(s.sensor.period_s, "sensor.period_s")
            .require(
                s.pendulum.duration_s / s.sensor.period_s <= 1e6,
                "pendulum.duration_s",
                "gives more than a million steps",
            )
            .positive(
                s.filters.initial_angle_std_rad,
                "filters.initial_angle_std_rad",
            )
            .positive(
                s.filters.initial_rate_std_rad_s,
                "filters.initial_rate_std_rad_s",
            )
            .require(
                (1..=10_000_000).contains(&s.filters.particles),
                "filters.particles",
                "must be between 1 and 10^7",
            )
            .positive(s.filters.ukf_alpha, "filters.ukf_alpha")
            .finite(s.filters.ukf_beta, "filters.ukf_beta")
            .finite(s.filters.ukf_kappa, "filters.ukf_kappa")
            .require(
                resampling_scheme(&s.filters.resampling).is_some(),
                "filters.resampling",
                "must be one of systematic, stratified, residual, multinomial",
            )
            .require(
                s.filters.ess_threshold > 0.0 && s.filters.ess_threshold <= 1.0,
                "filters.ess_threshold",
                "must lie in (0, 1]",
            )
            .require(
                !s.cases.is_empty(),
                "cases",
                "needs at least one [[cases]] entry",
            );
        for (i, case) in s.cases.iter().enumerate() {
            c.finite(
                case.initial_angle_rad,
                &format!("cases.{i}.initial_angle_rad"),
            )
            .finite(
                case.initial_rate_rad_s,
                &format!("cases.{i}.initial_rate_rad_s"),
            )
            .require(
                !case.name.is_empty()
                    && case
                        .name
                        .chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || ch == '_'),
                &format!("cases.{i}.name"),
                "must be a non-empty name of letters, digits and _",
            );
        }
        c.finish()?;
        Ok(s)
    }

    fn run(&self, ctx: &RunContext) -> anyhow::Result<Report> {
        let mut report = Report::default();
        for (i, case) in self.cases.iter().enumerate() {
            self.run_case(ctx, i as u64, case, &mut report)
                .with_context(|| format!("case {}", case.name))?;
        }
        Ok(report)
    }

    fn blueprint(&self) -> Option<Blueprint> {
        let mut top = Vec::new();
        let mut plots = Vec::new();
        for case in &self.cases {
            let n = &case.name;
            top.push(
                Spatial2DView::new(format!("{n}: pendulum"))
                    .with_origin("/")
                    .with_contents([format!("/{n}/pendulum/**")])
                    .into(),
            );
            top.push(
                Spatial2DView::new(format!("{n}: phase plane (theta, omega)"))
                    .with_origin("/")
                    .with_contents([format!("/{n}/phase/**")])
                    .into(),
            );
            plots.push(
                TimeSeriesView::new(format!("{n}: angle error (rad)"))
                    .with_origin(format!("plots/{n}/angle_error"))
                    .into(),
            );
            plots.push(
                TimeSeriesView::new(format!("{n}: NEES"))
                    .with_origin(format!("plots/{n}/nees"))
                    .into(),
            );
        }
        Some(super::layout(Vertical::new([
            Horizontal::new(top).into(),
            Horizontal::new(plots).into(),
        ])))
    }
}

impl PendulumScenario {
    fn run_case(
        &self,
        ctx: &RunContext,
        index: u64,
        case: &CaseConfig,
        report: &mut Report,
    ) -> anyhow::Result<()> {
        let rec = &ctx.rec;
        let name = &case.name;
        let pendulum = Pendulum {
            gravity: self.pendulum.gravity_m_s2,
            length_m: self.pendulum.length_m,
            damping: self.pendulum.damping_per_s,
        };
        let dt = self.sensor.period_s;
        let steps = (self.pendulum.duration_s / dt).round() as usize;
        // independent random streams: world, sensor, initial error, particle filter
        let mut world_rng = ctx.rng(10 * index);
        let mut sensor_rng = ctx.rng(10 * index + 1);
        let mut init_rng = ctx.rng(10 * index + 2);
        let mut pf_rng = ctx.rng(10 * index + 3);

        let truth0 = Vector2::new(case.initial_angle_rad, case.initial_rate_rad_s);
        let mut world = PendulumWorld {
            pendulum,
            state: truth0,
            noise_density: self.pendulum.process_noise_density,
            substeps: self.pendulum.substeps,
        };
        let f = &self.filters;
        let p0 = Matrix2::new(
            f.initial_angle_std_rad.powi(2),
            0.0,
            0.0,
            f.initial_rate_std_rad_s.powi(2),
        );
        // every filter starts from the same draw of the initial error, consistent with P0
        let x0 = truth0
            + Vector2::new(
                f.initial_angle_std_rad * init_rng.sample::<f64, _>(rand_distr::StandardNormal),
                f.initial_rate_std_rad_s * init_rng.sample::<f64, _>(rand_distr::StandardNormal),
            );
        let nonlinear = NonlinearModel {
            pendulum,
            noise_density: self.pendulum.process_noise_density,
            substeps: self.pendulum.substeps,
        };
        let linear = SmallAngleModel {
            a: pendulum.small_angle_matrix(),
            noise_density: self.pendulum.process_noise_density,
        };
        let sensor = LinearGaussianMeasurement::<2, 1>::new(
            Matrix1x2::new(1.0, 0.0),
            SMatrix::<f64, 1, 1>::new(self.sensor.angle_std_rad.powi(2)),
        )?;
        let mut kf = KalmanFilter::new(x0, p0)?;
        let mut ekf = ExtendedKalmanFilter::new(x0, p0)?;
        let mut ukf = UnscentedKalmanFilter::new(
            x0,
            p0,
            SigmaPoints::merwe(f.ukf_alpha, f.ukf_beta, f.ukf_kappa)?,
        )?;
        let mut pf = ParticleFilter::from_gaussian(&x0, &p0, f.particles, &mut pf_rng)?
            .with_resampling(resampling_scheme(&f.resampling).context("resampling scheme")?)
            .with_ess_threshold(f.ess_threshold)?;
        let noise = Normal::new(0.0, self.sensor.angle_std_rad)?;

        // the world first: the whole true run and its measurements, then the filters on them
        let truths: Vec<Vector2<f64>> =
            (0..steps).map(|_| world.step(dt, &mut world_rng)).collect();
        let measurements: Vec<Vector1<f64>> = truths
            .iter()
            .map(|x| Vector1::new(x[0] + noise.sample(&mut sensor_rng)))
            .collect();
        if ctx.rec.is_enabled() {
            let orbit: Vec<[f32; 2]> = std::iter::once(truth0)
                .chain(truths.iter().copied())
                .map(|x| [x[0] as f32, x[1] as f32])
                .collect();
            ctx.rec.log_static(
                format!("{name}/phase/truth_path"),
                &rerun::LineStrips2D::new([orbit]).with_colors([[255, 255, 255, 70]]),
            )?;
        }

        let mut stats: [ErrorStats; 4] = Default::default();
        let mut rate_sq = [0.0f64; 4];
        let mut rejected = [0usize; 4];
        self.log_static(ctx, name)?;
        let bar = ctx.progress(steps as u64, name);
        for k in 1..=steps {
            let t = k as f64 * dt;
            let (truth, z) = (truths[k - 1], measurements[k - 1]);

            // predict and update each filter; a rejected step is counted, not fatal
            let mut nis = [None; 4];
            kf.predict(&linear, dt)?;
            match kf.update(&sensor, &z) {
                Ok(inn) => nis[0] = Some(inn.nis),
                Err(_) => rejected[0] += 1,
            }
            ekf.predict(&nonlinear, dt)?;
            match ekf.update(&sensor, &z) {
                Ok(inn) => nis[1] = Some(inn.nis),
                Err(_) => rejected[1] += 1,
            }
            ukf.predict(&nonlinear, dt)?;
            match ukf.update(&sensor, &z) {
                Ok(inn) => nis[2] = Some(inn.nis),
                Err(_) => rejected[2] += 1,
            }
            pf.predict(&nonlinear, dt, &mut pf_rng)?;
            if pf.update(&sensor, &z).is_err() {
                rejected[3] += 1;
            }
            pf.resample_if_needed(&mut pf_rng)?;

            let estimates: [(Vector2<f64>, Matrix2<f64>); 4] = [
                (*kf.state(), *kf.covariance()),
                (*ekf.state(), *ekf.covariance()),
                (*ukf.state(), *ukf.covariance()),
                pf.estimate(),
            ];
            rec.set_time_sequence("step", k as i64);
            rec.set_duration_secs("sim_time", t);
            self.log_truth(ctx, name, &truth, z[0])?;
            for (j, (x, p)) in estimates.iter().enumerate() {
                let e = x - truth;
                let nees = stats[j].add_nees(&e, p);
                stats[j].add_squared_error(e[0] * e[0]);
                if let Some(v) = nis[j] {
                    stats[j].add_nis(v);
                }
                rate_sq[j] += e[1] * e[1];
                self.log_estimate(ctx, name, j, x, p, e[0], nees)?;
            }
            if ctx.rec.is_enabled() {
                let points: Vec<[f32; 2]> = pf
                    .particles()
                    .iter()
                    .map(|p| [p[0] as f32, p[1] as f32])
                    .collect();
                rec.log(
                    format!("{name}/phase/pf/particles"),
                    &rerun::Points2D::new(points)
                        .with_colors([[204, 121, 167, 90]])
                        .with_radii([rerun::Radius::new_ui_points(1.5)]),
                )?;
            }
            bar.inc(1);
        }
        bar.finish_and_clear();

        for (j, filter) in FILTERS.iter().enumerate() {
            let alg = format!("{name}/{filter}");
            report
                .metric(&alg, "rmse_angle_rad", stats[j].rmse())
                .metric(&alg, "rmse_rate_rad_s", (rate_sq[j] / steps as f64).sqrt())
                .metric(&alg, "mean_nees", stats[j].mean_nees())
                .metric(&alg, "rejected_updates", rejected[j] as f64);
            if stats[j].has_nis() {
                report.metric(&alg, "mean_nis", stats[j].mean_nis());
            }
        }
        Ok(())
    }

    fn log_static(&self, ctx: &RunContext, name: &str) -> anyhow::Result<()> {
        let rec = &ctx.rec;
        viz::y_up(rec, name)?;
        let l = self.pendulum.length_m as f32;
        rec.log_static(
            format!("{name}/pendulum/pivot"),
            &rerun::Points2D::new([[0.0f32, 0.0]]).with_radii([0.03 * l]),
        )?;
        rec.log_static(
            format!("{name}/pendulum/swing"),
            &rerun::LineStrips2D::new([(0..=64)
                .map(|i| {
                    let a = std::f32::consts::TAU * i as f32 / 64.0;
                    [l * a.sin(), -l * a.cos()]
                })
                .collect::<Vec<_>>()])
            .with_colors([[80, 80, 80, 255]]),
        )?;
        for (j, filter) in FILTERS.iter().enumerate() {
            viz::log_series_style(
                rec,
                &format!("plots/{name}/angle_error/{filter}"),
                filter,
                viz::color(j),
            )?;
            viz::log_series_style(
                rec,
                &format!("plots/{name}/nees/{filter}"),
                filter,
                viz::color(j),
            )?;
        }
        // the 95 % two-sided chi-square band of a 2-dof NEES, for reference
        viz::log_series_style(
            rec,
            &format!("plots/{name}/nees/chi2_97.5"),
            "chi2(2) 97.5 %",
            [120, 120, 120, 255],
        )?;
        Ok(())
    }

    fn bob(&self, angle: f64) -> [f32; 2] {
        let l = self.pendulum.length_m;
        [(l * angle.sin()) as f32, (-l * angle.cos()) as f32]
    }

    fn log_truth(
        &self,
        ctx: &RunContext,
        name: &str,
        truth: &Vector2<f64>,
        z: f64,
    ) -> anyhow::Result<()> {
        let rec = &ctx.rec;
        let bob = self.bob(truth[0]);
        rec.log(
            format!("{name}/pendulum/truth"),
            &rerun::LineStrips2D::new([[[0.0, 0.0], bob]])
                .with_colors([viz::TRUTH_COLOR])
                .with_radii([0.01 * self.pendulum.length_m as f32]),
        )?;
        rec.log(
            format!("{name}/pendulum/measurement"),
            &rerun::Points2D::new([self.bob(z)]).with_colors([viz::MEASUREMENT_COLOR]),
        )?;
        rec.log(
            format!("{name}/phase/truth"),
            &rerun::Points2D::new([[truth[0] as f32, truth[1] as f32]])
                .with_colors([viz::TRUTH_COLOR])
                .with_radii([rerun::Radius::new_ui_points(5.0)]),
        )?;
        viz::log_scalar(rec, &format!("plots/{name}/nees/chi2_97.5"), 7.3778)?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn log_estimate(
        &self,
        ctx: &RunContext,
        name: &str,
        j: usize,
        x: &Vector2<f64>,
        p: &Matrix2<f64>,
        angle_error: f64,
        nees: Option<f64>,
    ) -> anyhow::Result<()> {
        let rec = &ctx.rec;
        let filter = FILTERS[j];
        rec.log(
            format!("{name}/pendulum/{filter}"),
            &rerun::Points2D::new([self.bob(x[0])])
                .with_colors([viz::color(j)])
                .with_radii([rerun::Radius::new_ui_points(4.0)]),
        )?;
        rec.log(
            format!("{name}/phase/{filter}/estimate"),
            &rerun::Points2D::new([[x[0] as f32, x[1] as f32]])
                .with_colors([viz::color(j)])
                .with_radii([rerun::Radius::new_ui_points(3.0)]),
        )?;
        viz::log_covariance_ellipse(
            rec,
            &format!("{name}/phase/{filter}/covariance"),
            x,
            p,
            2.0,
            viz::color(j),
        )?;
        viz::log_scalar(
            rec,
            &format!("plots/{name}/angle_error/{filter}"),
            angle_error,
        )?;
        if let Some(v) = nees {
            viz::log_scalar(rec, &format!("plots/{name}/nees/{filter}"), v)?;
        }
        Ok(())
    }
}
