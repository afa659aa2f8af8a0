//! Checking and building the trackers of `[[trackers]]` (see [`tracking_roles`](super::tracking_roles)).

use kestrel::estimation::{
    embed, Embedding, ExtendedKalmanFilter, ImmEstimator, KalmanFilter, MixingFill, Mode,
    SigmaPoints, UnscentedKalmanFilter,
};
use kestrel::models::measurement::PositionMeasurement;
use kestrel::models::motion::{ConstantVelocity, CoordinatedTurn};
use kestrel::tracking::{
    AnyAssociator, AnyInitiator, AnyTrackLogic, ExistenceLogic, ExtendedTrack, ExtentSmoother,
    FilterBuilder, Gating, Gnn, GnnCost, HistoryLogic, ImmTrack, Jpda, KalmanTrack, ScoreLogic,
    SinglePointInitiator, StateLayout, Tracker, TwoPointInitiator, UnscentedTrack,
};
use nalgebra::{DMatrix, SMatrix, SVector};

use super::tracking_engine::{BoxedFilter, Engine, Seeder, SensorModel, TrackerOps, POSITION};
use super::tracking_roles::{
    AssociatorName, FilterName, GnnCostName, InitiatorName, LogicName, TrackerConfig,
};
use crate::scenario::Checks;
use crate::worlds::clutter::{PointSensor, SensorKind};

/// What the trackers may assume about the simulated world.
#[derive(Debug, Clone, Copy)]
pub struct WorldFacts {
    /// The sensor.
    pub sensor: PointSensor,
    /// The simulated clutter density per unit measurement volume.
    pub clutter_density: f64,
}

/// Checks every tracker of a file (`field` is the array's name, e.g. `"trackers"`).
pub fn check_trackers(c: &mut Checks<'_>, trackers: &[TrackerConfig], sensor: SensorKind) {
    c.require(
        !trackers.is_empty(),
        "trackers",
        "needs at least one tracker",
    );
    for (i, t) in trackers.iter().enumerate() {
        let f = |name: &str| format!("trackers.{i}.{name}");
        let valid_name = !t.name.is_empty()
            && t.name
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_');
        c.require(
            valid_name,
            &f("name"),
            "use lower-case letters, digits and _",
        );
        let repeated = trackers[..i].iter().any(|o| o.name == t.name);
        c.require(!repeated, &f("name"), "names must be unique");
        c.require(
            !(t.filter == FilterName::Kf && sensor == SensorKind::RangeBearing),
            &f("filter"),
            "the linear Kalman filter needs a position sensor; use ekf, ukf or imm",
        );
        c.within(t.gate_probability, 1e-6, 1.0, &f("gate_probability"))
            .require(
                t.gate_probability < 1.0,
                &f("gate_probability"),
                "must be < 1",
            )
            .positive(t.process_noise, &f("process_noise"))
            .positive(t.initial_speed_std_m_s, &f("initial_speed_std_m_s"))
            .positive(t.max_speed_m_s, &f("max_speed_m_s"))
            .positive(t.seed_position_std_m, &f("seed_position_std_m"))
            .within(t.extent_smoothing, 1e-6, 1.0, &f("extent_smoothing"));
        if let Some(pd) = t.detection_probability {
            c.require(
                pd > 0.0 && pd < 1.0,
                &f("detection_probability"),
                "must lie in (0, 1)",
            );
        }
        if let Some(l) = t.clutter_density {
            c.positive(l, &f("clutter_density"));
        }
        let unused = |given: bool, used: bool, name: &str, role: &str| {
            (given && !used, name.to_string(), role.to_string())
        };
        for (bad, name, role) in [
            unused(
                t.gnn.is_some(),
                t.associator == AssociatorName::Gnn,
                "gnn",
                "associator = \"gnn\"",
            ),
            unused(
                t.jpda.is_some(),
                t.associator == AssociatorName::Jpda,
                "jpda",
                "associator = \"jpda\"",
            ),
            unused(
                t.history.is_some(),
                t.logic == LogicName::History,
                "history",
                "logic = \"history\"",
            ),
            unused(
                t.score.is_some(),
                t.logic == LogicName::Score,
                "score",
                "logic = \"score\"",
            ),
            unused(
                t.existence.is_some(),
                t.logic == LogicName::Existence,
                "existence",
                "logic = \"existence\"",
            ),
            unused(
                t.imm.is_some(),
                t.filter == FilterName::Imm,
                "imm",
                "filter = \"imm\"",
            ),
            unused(
                t.ukf.is_some(),
                t.filter == FilterName::Ukf,
                "ukf",
                "filter = \"ukf\"",
            ),
        ] {
            c.require(!bad, &f(&name), &format!("only used with {role}"));
        }
        let gnn = t.gnn.clone().unwrap_or_default();
        c.positive(gnn.missed_cost, &f("gnn.missed_cost"));
        let jpda = t.jpda.clone().unwrap_or_default();
        c.require(jpda.k_best >= 1, &f("jpda.k_best"), "must be at least 1")
            .within(
                jpda.initiation_threshold,
                0.0,
                0.999,
                &f("jpda.initiation_threshold"),
            );
        let h = t.history.clone().unwrap_or_default();
        for (key, [m, n]) in [("history.confirm", h.confirm), ("history.delete", h.delete)] {
            c.require(
                1 <= m && m <= n && n <= 64,
                &f(key),
                "need 1 <= M <= N <= 64",
            );
        }
        let s = t.score.clone().unwrap_or_default();
        c.positive(s.new_target_density, &f("score.new_target_density"))
            .finite(s.confirm, &f("score.confirm"))
            .require(
                s.delete < 0.0 && s.delete.is_finite(),
                &f("score.delete"),
                "must be negative",
            );
        let e = t.existence.clone().unwrap_or_default();
        c.within(e.survival, 1e-6, 1.0, &f("existence.survival"))
            .require(
                e.initial > 0.0 && e.initial < 1.0,
                &f("existence.initial"),
                "must lie in (0, 1)",
            )
            .require(
                e.delete > 0.0 && e.delete < e.confirm && e.confirm <= 1.0,
                &f("existence"),
                "need 0 < delete < confirm <= 1",
            );
        let m = t.imm.clone().unwrap_or_default();
        if let Some(q) = m.ct_process_noise {
            c.positive(q, &f("imm.ct_process_noise"));
        }
        c.positive(m.ct_turn_rate_noise, &f("imm.ct_turn_rate_noise"))
            .require(
                m.switch_probability > 0.0 && m.switch_probability < 1.0,
                &f("imm.switch_probability"),
                "must lie in (0, 1)",
            )
            .positive(m.turn_rate_std_deg_s, &f("imm.turn_rate_std_deg_s"));
        let u = t.ukf.clone().unwrap_or_default();
        c.require(
            u.alpha > 0.0 && u.alpha <= 1.0,
            &f("ukf.alpha"),
            "must lie in (0, 1]",
        )
        .non_negative(u.beta, &f("ukf.beta"))
        .finite(u.kappa, &f("ukf.kappa"));
    }
}

impl TrackerConfig {
    /// Builds the tracker (`extents`: with extent smoothing, for extended objects).
    ///
    /// # Errors
    /// If a role rejects its parameters (the loader's checks make that rare).
    pub fn build(&self, world: &WorldFacts) -> anyhow::Result<Box<dyn TrackerOps>> {
        if self.filter == FilterName::Imm {
            let sensor = SensorModel::<5>::of(&world.sensor)?;
            let mut layout = StateLayout::<5>::new(POSITION, [1, 3], 0.0)?;
            let m = self.imm.clone().unwrap_or_default();
            layout.prior_variance[4] = m.turn_rate_std_deg_s.to_radians().powi(2);
            let seeder = self.seeder(self.imm_builder(&world.sensor)?, layout);
            let tracker = self.tracker(world, sensor, layout, self.imm_builder(&world.sensor)?)?;
            Ok(Box::new(Engine::new(tracker, sensor, seeder)))
        } else {
            let sensor = SensorModel::<4>::of(&world.sensor)?;
            let layout = StateLayout::<4>::new(POSITION, [1, 3], 0.0)?;
            let seeder = self.seeder(self.cv_builder(&world.sensor)?, layout);
            let tracker = self.tracker(world, sensor, layout, self.cv_builder(&world.sensor)?)?;
            Ok(Box::new(Engine::new(tracker, sensor, seeder)))
        }
    }

    /// The seeder of a tracker with `seed_tracks`.
    fn seeder<const N: usize>(
        &self,
        build: FilterBuilder<BoxedFilter<N>, N>,
        layout: StateLayout<N>,
    ) -> Option<Seeder<N>> {
        self.seed_tracks.then(|| Seeder {
            build,
            layout,
            position_variance: self.seed_position_std_m.powi(2),
            velocity_variance: self.initial_speed_std_m_s.powi(2),
        })
    }

    fn tracker<const N: usize>(
        &self,
        world: &WorldFacts,
        sensor: SensorModel<N>,
        layout: StateLayout<N>,
        build: FilterBuilder<BoxedFilter<N>, N>,
    ) -> anyhow::Result<super::tracking_engine::RoleTracker<N>> {
        let pd = self
            .detection_probability
            .unwrap_or(world.sensor.detection_probability);
        let lambda = self
            .clutter_density
            .unwrap_or(world.clutter_density)
            .max(1e-12);
        let pg = self.gate_probability;
        let jpda = self.jpda.clone().unwrap_or_default();
        let associator = match self.associator {
            AssociatorName::Gnn => {
                let g = self.gnn.clone().unwrap_or_default();
                let cost = match g.cost {
                    GnnCostName::Mahalanobis => GnnCost::Mahalanobis,
                    GnnCostName::SquaredMahalanobis => GnnCost::SquaredMahalanobis,
                    GnnCostName::NormalizedDistance => GnnCost::NormalizedDistance,
                    GnnCostName::NegativeLogLikelihood => GnnCost::NegativeLogLikelihood,
                };
                AnyAssociator::Gnn(Box::new(Gnn::new(cost, g.missed_cost)?))
            }
            AssociatorName::Jpda => AnyAssociator::Jpda(Box::new(
                Jpda::new(pd, pg, lambda)?.with_limits(usize::MAX, 50_000, jpda.k_best)?,
            )),
        };
        let logic = match self.logic {
            LogicName::History => {
                let h = self.history.clone().unwrap_or_default();
                AnyTrackLogic::History(HistoryLogic::new(
                    (h.confirm[0], h.confirm[1]),
                    (h.delete[0], h.delete[1]),
                )?)
            }
            LogicName::Score => {
                let s = self.score.clone().unwrap_or_default();
                // false alarms per unit volume lambda = P_FA / V: a unit cell unless lambda >= 0.5
                let volume = if lambda < 0.5 { 1.0 } else { 0.5 / lambda };
                AnyTrackLogic::Score(
                    ScoreLogic::new(pd, lambda * volume, volume, s.new_target_density)?
                        .with_thresholds(s.confirm, s.delete)?
                        .with_gate_probability(pg)?,
                )
            }
            LogicName::Existence => {
                let e = self.existence.clone().unwrap_or_default();
                AnyTrackLogic::Existence(
                    ExistenceLogic::new(pd, pg, lambda)?
                        .with_survival(e.survival, e.initial)?
                        .with_thresholds(e.confirm, e.delete)?,
                )
            }
        };
        let initiator =
            match self.initiator {
                InitiatorName::SinglePoint => AnyInitiator::SinglePoint(SinglePointInitiator::new(
                    sensor,
                    layout,
                    self.initial_speed_std_m_s,
                    build,
                )?),
                InitiatorName::TwoPoint => AnyInitiator::TwoPoint(Box::new(
                    TwoPointInitiator::new(sensor, layout, self.max_speed_m_s, build)?,
                )),
                InitiatorName::None => AnyInitiator::None,
            };
        let gating = Gating::<2>::from_probability(pg)?;
        let mut tracker = Tracker::new(gating, associator, logic, initiator, POSITION)?
            .with_extent_smoothing(ExtentSmoother::new(self.extent_smoothing)?);
        if self.associator == AssociatorName::Jpda {
            tracker = tracker.with_initiation_threshold(jpda.initiation_threshold)?;
        }
        Ok(tracker)
    }

    /// The constant-velocity filters over `[x, vx, y, vy]`.
    fn cv_builder(&self, sensor: &PointSensor) -> anyhow::Result<FilterBuilder<BoxedFilter<4>, 4>> {
        let cv = ConstantVelocity::new(self.process_noise)?;
        let model = SensorModel::<4>::of(sensor)?;
        Ok(match self.filter {
            FilterName::Kf => {
                let [a, b] = sensor.noise_std;
                let pos = PositionMeasurement::<4>::with_covariance(
                    POSITION,
                    nalgebra::Matrix2::new(a * a, 0.0, 0.0, b * b),
                )?;
                Box::new(move |x, p| -> Result<BoxedFilter<4>, _> {
                    Ok(Box::new(KalmanTrack::new(
                        KalmanFilter::new(x, p)?,
                        cv,
                        pos,
                    )))
                })
            }
            FilterName::Ekf => Box::new(move |x, p| -> Result<BoxedFilter<4>, _> {
                Ok(Box::new(ExtendedTrack::new(
                    ExtendedKalmanFilter::new(x, p)?,
                    cv,
                    model,
                )))
            }),
            FilterName::Imm => anyhow::bail!("the IMM is built over 5 states (imm_builder)"),
            FilterName::Ukf => {
                let u = self.ukf.clone().unwrap_or_default();
                let points = SigmaPoints::merwe(u.alpha, u.beta, u.kappa)?;
                Box::new(move |x, p| -> Result<BoxedFilter<4>, _> {
                    Ok(Box::new(UnscentedTrack::new(
                        UnscentedKalmanFilter::new(x, p, points.clone())?,
                        cv,
                        model,
                    )))
                })
            }
        })
    }

    /// The IMM over `[x, vx, y, vy, omega]`: CV (EKF, 4 states, embedded) and CT (EKF).
    fn imm_builder(
        &self,
        sensor: &PointSensor,
    ) -> anyhow::Result<FilterBuilder<BoxedFilter<5>, 5>> {
        let m = self.imm.clone().unwrap_or_default();
        let cv = ConstantVelocity::new(self.process_noise)?;
        let ct = CoordinatedTurn::new(
            m.ct_process_noise.unwrap_or(self.process_noise),
            m.ct_turn_rate_noise,
        )?;
        let s4 = SensorModel::<4>::of(sensor)?;
        let s5 = SensorModel::<5>::of(sensor)?;
        let p = m.switch_probability;
        let transition = DMatrix::from_row_slice(2, 2, &[1.0 - p, p, p, 1.0 - p]);
        Ok(Box::new(
            move |x: SVector<f64, 5>, cov: SMatrix<f64, 5, 5>| -> Result<BoxedFilter<5>, _> {
                let x4 = x.fixed_rows::<4>(0).into_owned();
                let p4 = cov.fixed_view::<4, 4>(0, 0).into_owned();
                let modes = vec![
                    embed(
                        Mode::new(ExtendedKalmanFilter::new(x4, p4)?, cv, s4),
                        Embedding::<4, 5>::new([0, 1, 2, 3])?,
                    ),
                    embed(
                        Mode::new(ExtendedKalmanFilter::new(x, cov)?, ct, s5),
                        Embedding::<5, 5>::identity()?,
                    ),
                ];
                let imm = ImmEstimator::new(modes, &transition, &[0.5, 0.5])?
                    .with_mixing_fill(MixingFill::TargetEstimate);
                Ok(Box::new(ImmTrack::new(imm, s5)))
            },
        ))
    }
}
