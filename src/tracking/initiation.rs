//! Track initiation: new tracks from detections that no existing track claimed.
//!
//! - [`SinglePointInitiator`]: one detection makes a track; its velocity comes from a prior
//!   (mean zero, standard deviation `velocity_sd` per axis).
//! - [`TwoPointInitiator`]: a detection left over in one scan waits as a candidate; a detection of
//!   the next scan within `max_speed x dt` of it makes a track with the velocity of the pair
//!   (candidates and detections are paired by an optimal assignment on distance).
//! - [`NoInitiation`]: for trackers seeded by hand.
//!
//! The state layout ([`StateLayout`]) says where position and velocity sit in the state and
//! gives the prior of every other component (turn rate, acceleration); a detection becomes a
//! Cartesian position with covariance through [`DetectionPosition`] (implemented for the
//! position and range-bearing measurement models). The filter itself is built by a closure from
//! the initial `(x, P)`, so any [`TrackFilter`](super::TrackFilter) can be initiated.

use nalgebra::{Matrix2, SMatrix, SVector, Vector2};

use super::{LinearAssignment, TrackingError};
use crate::estimation::EstimationError;
use crate::models::measurement::{PositionMeasurement, RangeBearing};
use crate::models::MeasurementModel;

/// Converts a detection into the Cartesian position it measures, with covariance.
pub trait DetectionPosition<const M: usize> {
    /// `(p, Sigma_p)`, or `None` if the detection cannot be converted.
    fn position(&self, z: &SVector<f64, M>) -> Option<(Vector2<f64>, Matrix2<f64>)>;
}

impl<const N: usize> DetectionPosition<2> for PositionMeasurement<N> {
    /// The detection itself, with the model's `R`.
    fn position(&self, z: &Vector2<f64>) -> Option<(Vector2<f64>, Matrix2<f64>)> {
        Some((*z, self.noise_covariance(&SVector::zeros())))
    }
}

impl<const N: usize> DetectionPosition<2> for RangeBearing<N> {
    /// `p = s + r [cos b, sin b]`, `Sigma_p = J R J^T` with `J = d p / d (r, b)`.
    fn position(&self, z: &Vector2<f64>) -> Option<(Vector2<f64>, Matrix2<f64>)> {
        let (s, c) = z[1].sin_cos();
        let j = Matrix2::new(c, -z[0] * s, s, z[0] * c);
        let r = self.noise_covariance(&SVector::zeros());
        Some((self.to_cartesian(z), j * r * j.transpose()))
    }
}

/// Where position and velocity sit in a state of dimension `N`, and the prior of the rest.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StateLayout<const N: usize> {
    /// Indices of `[x, y]`.
    pub position: [usize; 2],
    /// Indices of `[vx, vy]`.
    pub velocity: [usize; 2],
    /// Prior mean of every component (position and velocity entries are overwritten).
    pub prior_mean: SVector<f64, N>,
    /// Prior variance of every component (position and velocity entries are overwritten).
    pub prior_variance: SVector<f64, N>,
}

impl<const N: usize> StateLayout<N> {
    /// A layout with zero prior mean and the given prior variance for the other components.
    ///
    /// # Errors
    /// [`TrackingError::InvalidParameter`] if an index is out of range or repeated, or a
    /// variance is negative or not finite.
    pub fn new(
        position: [usize; 2],
        velocity: [usize; 2],
        other_variance: f64,
    ) -> Result<Self, TrackingError> {
        let idx = [position[0], position[1], velocity[0], velocity[1]];
        for (k, &i) in idx.iter().enumerate() {
            if i >= N || idx[..k].contains(&i) {
                return Err(TrackingError::InvalidParameter {
                    name: "state layout",
                    reason: format!("indices {idx:?} must be distinct and below {N}"),
                });
            }
        }
        if !(other_variance.is_finite() && other_variance >= 0.0) {
            return Err(TrackingError::InvalidParameter {
                name: "prior variance",
                reason: format!("must be finite and >= 0, got {other_variance}"),
            });
        }
        Ok(Self {
            position,
            velocity,
            prior_mean: SVector::zeros(),
            prior_variance: SVector::repeat(other_variance),
        })
    }

    /// The initial `(x, P)` for a position `p` with covariance `sp` and a velocity `v` with
    /// covariance `sv`, `cross = cov(p, v)`.
    pub fn estimate(
        &self,
        p: &Vector2<f64>,
        sp: &Matrix2<f64>,
        v: &Vector2<f64>,
        sv: &Matrix2<f64>,
        cross: &Matrix2<f64>,
    ) -> (SVector<f64, N>, SMatrix<f64, N, N>) {
        let mut x = self.prior_mean;
        let mut cov = SMatrix::<f64, N, N>::from_diagonal(&self.prior_variance);
        let (pi, vi) = (self.position, self.velocity);
        for a in 0..2 {
            x[pi[a]] = p[a];
            x[vi[a]] = v[a];
            for b in 0..2 {
                cov[(pi[a], pi[b])] = sp[(a, b)];
                cov[(vi[a], vi[b])] = sv[(a, b)];
                cov[(pi[a], vi[b])] = cross[(a, b)];
                cov[(vi[b], pi[a])] = cross[(a, b)];
            }
        }
        (x, cov)
    }
}

/// Builds a track filter from an initial estimate `(x, P)`.
pub type FilterBuilder<F, const N: usize> =
    Box<dyn Fn(SVector<f64, N>, SMatrix<f64, N, N>) -> Result<F, EstimationError> + Send + Sync>;

/// What an initiator produced in one scan.
#[derive(Debug)]
pub struct Initiated<F> {
    /// New filters with the index (into the scan's detections) of the detection that made each.
    pub tracks: Vec<(F, usize)>,
    /// Detections whose filter could not be built, with the reason.
    pub failures: Vec<(usize, EstimationError)>,
}

impl<F> Default for Initiated<F> {
    fn default() -> Self {
        Self {
            tracks: Vec::new(),
            failures: Vec::new(),
        }
    }
}

impl<F> Initiated<F> {
    /// Empties both lists (keeping their capacity).
    pub fn clear(&mut self) {
        self.tracks.clear();
        self.failures.clear();
    }
}

/// The initiation role: turns a scan's unclaimed detections into new filters.
pub trait Initiator<F, const M: usize> {
    /// Offers the detections `detections[i]` for `i` in `unclaimed` (ascending), `dt` seconds
    /// after the previous scan; pushes new filters into `out`.
    fn initiate(
        &mut self,
        dt: f64,
        detections: &[SVector<f64, M>],
        unclaimed: &[usize],
        out: &mut Initiated<F>,
    );
}

/// Never initiates (tracks are inserted by hand).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoInitiation;

impl<F, const M: usize> Initiator<F, M> for NoInitiation {
    fn initiate(&mut self, _: f64, _: &[SVector<f64, M>], _: &[usize], _: &mut Initiated<F>) {}
}

/// One detection, one track, with a zero-mean velocity prior. See the [module docs](self).
///
/// ```
/// use nalgebra::{Matrix4, Vector2, Vector4};
/// use kestrel::estimation::KalmanFilter;
/// use kestrel::models::{measurement::PositionMeasurement, motion::ConstantVelocity};
/// use kestrel::tracking::{Initiated, Initiator, SinglePointInitiator, StateLayout};
/// let gps = PositionMeasurement::<4>::new(ConstantVelocity::POSITION, 0.5).unwrap();
/// let layout = StateLayout::<4>::new(ConstantVelocity::POSITION, ConstantVelocity::VELOCITY, 0.0).unwrap();
/// let mut init = SinglePointInitiator::new(gps, layout, 10.0, Box::new(KalmanFilter::new)).unwrap();
/// let mut out = Initiated::default();
/// init.initiate(1.0, &[Vector2::new(3.0, 4.0), Vector2::new(9.0, 9.0)], &[0], &mut out);
/// let (kf, det) = &out.tracks[0];
/// assert_eq!((*det, *kf.state()), (0, Vector4::new(3.0, 0.0, 4.0, 0.0)));
/// assert_eq!(kf.covariance()[(0, 0)], 0.25);
/// assert_eq!(kf.covariance()[(1, 1)], 100.0);
/// ```
pub struct SinglePointInitiator<F, P, const N: usize> {
    sensor: P,
    layout: StateLayout<N>,
    velocity_variance: f64,
    build: FilterBuilder<F, N>,
}

impl<F, P, const N: usize> std::fmt::Debug for SinglePointInitiator<F, P, N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SinglePointInitiator")
            .field("layout", &self.layout)
            .field("velocity_variance", &self.velocity_variance)
            .finish_non_exhaustive()
    }
}

impl<F, P, const N: usize> SinglePointInitiator<F, P, N> {
    /// Initiation through the sensor model `sensor` (for the position and its covariance), the
    /// state layout, the prior velocity standard deviation `velocity_sd` (m/s, per axis) and the
    /// filter builder.
    ///
    /// # Errors
    /// [`TrackingError::InvalidParameter`] unless `velocity_sd` is finite and positive.
    pub fn new(
        sensor: P,
        layout: StateLayout<N>,
        velocity_sd: f64,
        build: FilterBuilder<F, N>,
    ) -> Result<Self, TrackingError> {
        if !(velocity_sd.is_finite() && velocity_sd > 0.0) {
            return Err(TrackingError::InvalidParameter {
                name: "velocity standard deviation",
                reason: format!("must be finite and positive, got {velocity_sd}"),
            });
        }
        Ok(Self {
            sensor,
            layout,
            velocity_variance: velocity_sd * velocity_sd,
            build,
        })
    }
}

impl<F, P: DetectionPosition<M>, const N: usize, const M: usize> Initiator<F, M>
    for SinglePointInitiator<F, P, N>
{
    fn initiate(
        &mut self,
        _dt: f64,
        detections: &[SVector<f64, M>],
        unclaimed: &[usize],
        out: &mut Initiated<F>,
    ) {
        let sv = Matrix2::identity() * self.velocity_variance;
        for &i in unclaimed {
            let Some((p, sp)) = self.sensor.position(&detections[i]) else {
                continue;
            };
            let (x, cov) = self
                .layout
                .estimate(&p, &sp, &Vector2::zeros(), &sv, &Matrix2::zeros());
            match (self.build)(x, cov) {
                Ok(f) => out.tracks.push((f, i)),
                Err(e) => out.failures.push((i, e)),
            }
        }
    }
}

/// Two-point initiation: a leftover detection of one scan and one of the next make a track
/// whose velocity is their difference over `dt`. See the [module docs](self).
///
/// With positions `p_1` (covariance `S_1`) and `p_2` (`S_2`): `x = p_2`, `v = (p_2 - p_1) / dt`,
/// `cov(p) = S_2`, `cov(v) = (S_1 + S_2) / dt^2`, `cov(p, v) = S_2 / dt`. Candidates live for
/// one scan; unpaired detections become the next scan's candidates.
///
/// ```
/// use nalgebra::Vector2;
/// use kestrel::estimation::KalmanFilter;
/// use kestrel::models::{measurement::PositionMeasurement, motion::ConstantVelocity};
/// use kestrel::tracking::{Initiated, Initiator, StateLayout, TwoPointInitiator};
/// let gps = PositionMeasurement::<4>::new(ConstantVelocity::POSITION, 0.5).unwrap();
/// let layout = StateLayout::<4>::new(ConstantVelocity::POSITION, ConstantVelocity::VELOCITY, 0.0).unwrap();
/// let mut init = TwoPointInitiator::new(gps, layout, 20.0, Box::new(KalmanFilter::new)).unwrap();
/// let mut out = Initiated::default();
/// init.initiate(1.0, &[Vector2::new(0.0, 0.0)], &[0], &mut out);
/// assert!(out.tracks.is_empty()); // a candidate, not yet a track
/// init.initiate(2.0, &[Vector2::new(100.0, 0.0), Vector2::new(10.0, 4.0)], &[0, 1], &mut out);
/// let (kf, det) = &out.tracks[0];
/// assert_eq!(*det, 1);
/// assert_eq!(kf.state().as_slice(), &[10.0, 5.0, 4.0, 2.0]);
/// ```
pub struct TwoPointInitiator<F, P, const N: usize> {
    sensor: P,
    layout: StateLayout<N>,
    max_speed: f64,
    build: FilterBuilder<F, N>,
    candidates: Vec<(Vector2<f64>, Matrix2<f64>)>,
    next: Vec<(Vector2<f64>, Matrix2<f64>)>,
    next_index: Vec<usize>,
    paired: Vec<bool>,
    solver: LinearAssignment,
    costs: Vec<f64>,
    rows: Vec<f64>,
    cols: Vec<f64>,
}

impl<F, P, const N: usize> std::fmt::Debug for TwoPointInitiator<F, P, N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwoPointInitiator")
            .field("layout", &self.layout)
            .field("max_speed", &self.max_speed)
            .field("candidates", &self.candidates.len())
            .finish_non_exhaustive()
    }
}

impl<F, P, const N: usize> TwoPointInitiator<F, P, N> {
    /// Two-point initiation pairing detections at most `max_speed x dt` apart (m/s).
    ///
    /// # Errors
    /// [`TrackingError::InvalidParameter`] unless `max_speed` is finite and positive.
    pub fn new(
        sensor: P,
        layout: StateLayout<N>,
        max_speed: f64,
        build: FilterBuilder<F, N>,
    ) -> Result<Self, TrackingError> {
        if !(max_speed.is_finite() && max_speed > 0.0) {
            return Err(TrackingError::InvalidParameter {
                name: "maximum speed",
                reason: format!("must be finite and positive, got {max_speed}"),
            });
        }
        Ok(Self {
            sensor,
            layout,
            max_speed,
            build,
            candidates: Vec::new(),
            next: Vec::new(),
            next_index: Vec::new(),
            paired: Vec::new(),
            solver: LinearAssignment::new(),
            costs: Vec::new(),
            rows: Vec::new(),
            cols: Vec::new(),
        })
    }

    /// The candidates waiting for a second detection: `(position, covariance)`.
    pub fn candidates(&self) -> &[(Vector2<f64>, Matrix2<f64>)] {
        &self.candidates
    }
}

impl<F, P: DetectionPosition<M>, const N: usize, const M: usize> Initiator<F, M>
    for TwoPointInitiator<F, P, N>
{
    fn initiate(
        &mut self,
        dt: f64,
        detections: &[SVector<f64, M>],
        unclaimed: &[usize],
        out: &mut Initiated<F>,
    ) {
        self.next.clear();
        self.next_index.clear();
        for &i in unclaimed {
            if let Some(pc) = self.sensor.position(&detections[i]) {
                self.next.push(pc);
                self.next_index.push(i);
            }
        }
        let (nc, nn) = (self.candidates.len(), self.next.len());
        let reach = self.max_speed * dt;
        self.paired.clear();
        self.paired.resize(nn, false);
        if nc > 0 && nn > 0 && dt > 0.0 && reach.is_finite() {
            self.costs.clear();
            for (p1, _) in &self.candidates {
                for (p2, _) in &self.next {
                    let d = (p2 - p1).norm();
                    self.costs.push(if d <= reach { d } else { f64::INFINITY });
                }
            }
            self.rows.clear();
            self.rows.resize(nc, reach);
            self.cols.clear();
            self.cols.resize(nn, 0.0);
            if let Ok(solution) =
                self.solver
                    .solve_with_unassigned(&self.costs, nc, nn, &self.rows, &self.cols)
            {
                for (c, col) in solution.row_to_col.iter().enumerate() {
                    let Some(j) = *col else { continue };
                    self.paired[j] = true;
                    let (p1, s1) = self.candidates[c];
                    let (p2, s2) = self.next[j];
                    let v = (p2 - p1) / dt;
                    let sv = (s1 + s2) / (dt * dt);
                    let (x, cov) = self.layout.estimate(&p2, &s2, &v, &sv, &(s2 / dt));
                    match (self.build)(x, cov) {
                        Ok(f) => out.tracks.push((f, self.next_index[j])),
                        Err(e) => out.failures.push((self.next_index[j], e)),
                    }
                }
            }
        }
        // Unpaired detections wait one scan as candidates.
        self.candidates.clear();
        for (j, pc) in self.next.iter().enumerate() {
            if !self.paired[j] {
                self.candidates.push(*pc);
            }
        }
        out.tracks.sort_by_key(|&(_, i)| i);
    }
}

/// Single-point, two-point or no initiation, chosen at run time (for scenario files).
///
/// ```
/// use kestrel::estimation::KalmanFilter;
/// use kestrel::models::{measurement::PositionMeasurement, motion::ConstantVelocity};
/// use kestrel::tracking::{
///     AnyInitiator, KalmanTrack, SinglePointInitiator, StateLayout, TwoPointInitiator,
/// };
/// type Kf = KalmanTrack<4, ConstantVelocity, PositionMeasurement<4>>;
/// let (cv, gps) = (ConstantVelocity::new(0.1).unwrap(),
///                  PositionMeasurement::<4>::new(ConstantVelocity::POSITION, 0.5).unwrap());
/// let layout = StateLayout::new(ConstantVelocity::POSITION, ConstantVelocity::VELOCITY, 0.0).unwrap();
/// let by_name = |name: &str| -> AnyInitiator<Kf, PositionMeasurement<4>, 4> {
///     let build: kestrel::tracking::FilterBuilder<Kf, 4> =
///         Box::new(move |x, p| Ok(KalmanTrack::new(KalmanFilter::new(x, p)?, cv, gps)));
///     match name {
///         "single_point" => AnyInitiator::SinglePoint(SinglePointInitiator::new(gps, layout, 5.0, build).unwrap()),
///         "two_point" => AnyInitiator::TwoPoint(Box::new(TwoPointInitiator::new(gps, layout, 30.0, build).unwrap())),
///         _ => AnyInitiator::None,
///     }
/// };
/// assert!(matches!(by_name("two_point"), AnyInitiator::TwoPoint(_)));
/// ```
#[derive(Debug)]
pub enum AnyInitiator<F, P, const N: usize> {
    /// [`SinglePointInitiator`].
    SinglePoint(SinglePointInitiator<F, P, N>),
    /// [`TwoPointInitiator`] (boxed: it carries its candidate and solver buffers).
    TwoPoint(Box<TwoPointInitiator<F, P, N>>),
    /// [`NoInitiation`].
    None,
}

impl<F, P: DetectionPosition<M>, const N: usize, const M: usize> Initiator<F, M>
    for AnyInitiator<F, P, N>
{
    fn initiate(
        &mut self,
        dt: f64,
        detections: &[SVector<f64, M>],
        unclaimed: &[usize],
        out: &mut Initiated<F>,
    ) {
        match self {
            Self::SinglePoint(i) => i.initiate(dt, detections, unclaimed, out),
            Self::TwoPoint(i) => i.initiate(dt, detections, unclaimed, out),
            Self::None => {}
        }
    }
}
