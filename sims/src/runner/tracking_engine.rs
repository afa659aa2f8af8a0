//! A library [`Tracker`] whose roles were chosen by name, behind one object-safe interface, so a
//! runner can step, score and draw trackers of different filters (state sizes 4 and 5) alike.
//!
//! Filters are boxed ([`TrackFilter`] is object safe); the association, the track logic and the
//! initiation are the library's run-time enums ([`AnyAssociator`], [`AnyTrackLogic`],
//! [`AnyInitiator`]). The sensor model the filters and the initiator use is [`SensorModel`], a
//! dispatch over the library's position and range-bearing models.

use kestrel::models::measurement::{PositionMeasurement, RangeBearing};
use kestrel::models::{MeasurementJacobian, MeasurementModel};
use kestrel::tracking::{
    AnyAssociator, AnyInitiator, AnyTrackLogic, DetectionPosition, Extent, FilterBuilder,
    MeasurementPrediction, ScanReport, StateLayout, TrackFilter, Tracker,
};
use kestrel::viz;
use nalgebra::{Matrix2, SMatrix, SVector, Vector2, Vector4};

use crate::worlds::clutter::{PointSensor, SensorKind};

/// The measurement model of a point sensor in a state of dimension `N` with the position at
/// `[0, 2]` (the layout of the constant-velocity and coordinated-turn models).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SensorModel<const N: usize> {
    /// `z = [x, y] + v`.
    Position(PositionMeasurement<N>),
    /// `z = [range, bearing] + v` from the sensor's position.
    RangeBearing(RangeBearing<N>),
}

/// Indices of `[x, y]` in the tracker states.
pub const POSITION: [usize; 2] = [0, 2];

impl<const N: usize> SensorModel<N> {
    /// The model of a simulated sensor.
    ///
    /// # Errors
    /// If a noise standard deviation is not finite and positive.
    pub fn of(sensor: &PointSensor) -> anyhow::Result<Self> {
        let [a, b] = sensor.noise_std;
        Ok(match sensor.kind {
            SensorKind::Position => Self::Position(PositionMeasurement::with_covariance(
                POSITION,
                Matrix2::new(a * a, 0.0, 0.0, b * b),
            )?),
            SensorKind::RangeBearing => {
                Self::RangeBearing(RangeBearing::new(POSITION, sensor.position, a, b)?)
            }
        })
    }

    /// A gate (predicted measurement and its covariance) in the world frame: unchanged for the
    /// position sensor; for range-bearing, the Cartesian point of `zhat` and `J S J^T` with `J`
    /// the Jacobian of the polar-to-Cartesian map at `zhat` (a linearisation, for drawing).
    pub fn gate_in_world(
        &self,
        mp: &MeasurementPrediction<2>,
    ) -> Option<(Vector2<f64>, Matrix2<f64>)> {
        match self {
            Self::Position(_) => Some((mp.zhat, mp.covariance)),
            Self::RangeBearing(rb) => {
                let z = mp.zhat;
                let (s, c) = z[1].sin_cos();
                let j = Matrix2::new(c, -z[0] * s, s, z[0] * c);
                Some((rb.to_cartesian(&z), j * mp.covariance * j.transpose()))
            }
        }
    }
}

impl<const N: usize> MeasurementModel<N, 2> for SensorModel<N> {
    fn measure(&self, x: &SVector<f64, N>) -> SVector<f64, 2> {
        match self {
            Self::Position(m) => m.measure(x),
            Self::RangeBearing(m) => m.measure(x),
        }
    }

    fn noise_covariance(&self, x: &SVector<f64, N>) -> SMatrix<f64, 2, 2> {
        match self {
            Self::Position(m) => m.noise_covariance(x),
            Self::RangeBearing(m) => m.noise_covariance(x),
        }
    }

    fn angle_components(&self) -> [bool; 2] {
        match self {
            Self::Position(m) => m.angle_components(),
            Self::RangeBearing(m) => m.angle_components(),
        }
    }
}

impl<const N: usize> MeasurementJacobian<N, 2> for SensorModel<N> {
    fn jacobian(&self, x: &SVector<f64, N>) -> SMatrix<f64, 2, N> {
        match self {
            Self::Position(m) => m.jacobian(x),
            Self::RangeBearing(m) => m.jacobian(x),
        }
    }
}

impl<const N: usize> DetectionPosition<2> for SensorModel<N> {
    fn position(&self, z: &Vector2<f64>) -> Option<(Vector2<f64>, Matrix2<f64>)> {
        match self {
            Self::Position(m) => m.position(z),
            Self::RangeBearing(m) => m.position(z),
        }
    }
}

/// A boxed track filter over an `N`-dimensional state.
pub type BoxedFilter<const N: usize> = Box<dyn TrackFilter<N, 2> + Send>;

/// A tracker whose roles were chosen at run time.
pub type RoleTracker<const N: usize> = Tracker<
    BoxedFilter<N>,
    AnyAssociator,
    AnyTrackLogic,
    AnyInitiator<BoxedFilter<N>, SensorModel<N>, N>,
    N,
    2,
>;

/// What a runner needs to know about one live track.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackView {
    /// Track id (never reused).
    pub id: u64,
    /// Confirmed (else tentative).
    pub confirmed: bool,
    /// Estimated position `[x, y]`, m.
    pub position: Vector2<f64>,
    /// Smoothed extent, for extended objects.
    pub extent: Option<Extent>,
}

/// What to draw of a tracker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DrawOptions {
    /// Gates of the confirmed tracks, as ellipses.
    pub gates: bool,
    /// Trails of recent positions, coloured by track id.
    pub trails: bool,
    /// Extents of the confirmed tracks, as boxes.
    pub extents: bool,
}

/// One tracker of a run, whatever its state size.
pub trait TrackerOps: Send {
    /// Processes one scan (with one extent per detection for extended objects).
    ///
    /// # Errors
    /// The tracker's errors (a bad `dt`, extents of the wrong length).
    fn step(
        &mut self,
        dt: f64,
        detections: &[Vector2<f64>],
        extents: Option<&[Extent]>,
    ) -> anyhow::Result<&ScanReport>;

    /// Inserts one confirmed track per state `[x, vx, y, vy]` (trackers with `seed_tracks`;
    /// others ignore the call).
    ///
    /// # Errors
    /// If a filter cannot be built from a state.
    fn seed(&mut self, states: &[Vector4<f64>]) -> anyhow::Result<()>;

    /// Writes a view of every live track into `out` (cleared first), in ascending id order.
    fn views(&self, out: &mut Vec<TrackView>);

    /// Logs tracks, gates, trails and extents under `path` (`world/<tracker>`).
    ///
    /// # Errors
    /// Recording errors.
    fn log(
        &mut self,
        rec: &rerun::RecordingStream,
        path: &str,
        color: [u8; 4],
        draw: &DrawOptions,
    ) -> rerun::RecordingStreamResult<()>;
}

/// Builds the seeded tracks of a tracker without initiation.
pub struct Seeder<const N: usize> {
    /// The filter builder.
    pub build: FilterBuilder<BoxedFilter<N>, N>,
    /// Where position and velocity sit, and the prior of the other components.
    pub layout: StateLayout<N>,
    /// Prior position variance per axis, m^2.
    pub position_variance: f64,
    /// Prior velocity variance per axis, m^2/s^2.
    pub velocity_variance: f64,
}

/// A [`RoleTracker`] with its sensor model and drawing state.
pub struct Engine<const N: usize> {
    /// The library tracker.
    pub tracker: RoleTracker<N>,
    /// Its sensor model (gates to the world frame).
    pub sensor: SensorModel<N>,
    seeder: Option<Seeder<N>>,
    trails: viz::TrackTrails,
}

impl<const N: usize> Engine<N> {
    /// Wraps a tracker (with a seeder if its tracks are seeded rather than initiated).
    pub fn new(tracker: RoleTracker<N>, sensor: SensorModel<N>, seeder: Option<Seeder<N>>) -> Self {
        Self {
            tracker,
            sensor,
            seeder,
            trails: viz::TrackTrails::new(25),
        }
    }
}

impl<const N: usize> TrackerOps for Engine<N> {
    fn step(
        &mut self,
        dt: f64,
        detections: &[Vector2<f64>],
        extents: Option<&[Extent]>,
    ) -> anyhow::Result<&ScanReport> {
        Ok(match extents {
            Some(e) => self.tracker.step_with_extents(dt, detections, e)?,
            None => self.tracker.step(dt, detections)?,
        })
    }

    fn seed(&mut self, states: &[Vector4<f64>]) -> anyhow::Result<()> {
        let Some(seeder) = &self.seeder else {
            return Ok(());
        };
        for x in states {
            let p = Vector2::new(x[0], x[2]);
            let v = Vector2::new(x[1], x[3]);
            let (x, cov) = seeder.layout.estimate(
                &p,
                &(Matrix2::identity() * seeder.position_variance),
                &v,
                &(Matrix2::identity() * seeder.velocity_variance),
                &Matrix2::zeros(),
            );
            let filter = (seeder.build)(x, cov)?;
            self.tracker.insert_track(filter, true);
        }
        Ok(())
    }

    fn views(&self, out: &mut Vec<TrackView>) {
        out.clear();
        for t in self.tracker.tracks() {
            if let Some(position) = t.position(POSITION) {
                out.push(TrackView {
                    id: t.id().0,
                    confirmed: t.is_confirmed(),
                    position,
                    extent: t.extent().copied(),
                });
            }
        }
    }

    fn log(
        &mut self,
        rec: &rerun::RecordingStream,
        path: &str,
        color: [u8; 4],
        draw: &DrawOptions,
    ) -> rerun::RecordingStreamResult<()> {
        let tracks = self.tracker.tracks();
        viz::log_tracks(rec, &format!("{path}/tracks"), tracks, POSITION, color)?;
        if draw.gates {
            let sensor = self.sensor;
            viz::log_gates(
                rec,
                &format!("{path}/gates"),
                tracks,
                self.tracker.gate_threshold(),
                |mp| sensor.gate_in_world(mp),
                true,
                color,
            )?;
        }
        if draw.trails {
            self.trails.update(tracks, POSITION);
            self.trails.log(rec, &format!("{path}/trails"))?;
        }
        if draw.extents {
            viz::log_extents(rec, &format!("{path}/extents"), tracks, POSITION, color)?;
        }
        Ok(())
    }
}
