//! OSPA: the optimal sub-pattern assignment distance (Schuhmacher, Vo and Vo 2008, "A consistent
//! metric for performance evaluation of multi-object filters", IEEE Trans. SP 56(8)).

use nalgebra::SVector;

use super::{check_cutoff_order, check_points, CutoffCosts};
use crate::tracking::TrackingError;

/// The OSPA distance of a pair of point sets, with its two components.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OspaValue {
    /// `d_p^(c)(X, Y)`; `distance^p = localisation^p + cardinality^p`.
    pub distance: f64,
    /// Localisation component `((1/n) min_pi sum_i min(c, d(x_i, y_pi(i)))^p)^(1/p)`.
    pub localisation: f64,
    /// Cardinality component `(c^p (n - m) / n)^(1/p)`.
    pub cardinality: f64,
}

/// OSPA of cut-off `c` and order `p` with a reusable assignment solver.
///
/// For `X = {x_1..x_m}`, `Y = {y_1..y_n}`, `m <= n` (else swap),
/// `d_p^(c)(X, Y) = ((1/n) (min_pi sum_{i<=m} d^(c)(x_i, y_pi(i))^p + c^p (n - m)))^(1/p)`,
/// `d^(c)(x, y) = min(c, |x - y|)` (Euclidean), the minimum taken over injections `pi`. The
/// assignment minimises the sum of `d^(c)^p` (not of `d`, which Stone Soup 1.9.1 uses and which
/// is wrong for `p != 1`). Two empty sets are at distance 0; an empty and a non-empty set at `c`.
/// The result is in the units of the points and lies in `[0, c]`.
///
/// # Errors
/// [`TrackingError::InvalidParameter`] unless `0 < c < inf` and `1 <= p < inf`;
/// [`TrackingError::NonFinite`] for a point with a NaN or infinite coordinate (`what` is
/// "first set" or "second set").
///
/// # Complexity
/// `O(m n D)` for the distances plus one `m x n` assignment, `O(m^2 n)`.
///
/// # Example
/// ```
/// use nalgebra::Vector2;
/// use kestrel::tracking::metrics::Ospa;
/// let x = [Vector2::new(0.0, 0.0), Vector2::new(10.0, 0.0)];
/// let y = [Vector2::new(1.0, 0.0), Vector2::new(10.0, 2.0), Vector2::new(50.0, 50.0)];
/// let v = Ospa::new(5.0, 1.0).unwrap().compute(&x, &y).unwrap();
/// assert!((v.distance - 8.0 / 3.0).abs() < 1e-12); // (1 + 2 + 5) / 3
/// ```
#[derive(Debug, Clone)]
pub struct Ospa {
    c: f64,
    p: f64,
    costs: CutoffCosts,
}

impl Ospa {
    /// An OSPA metric with cut-off `c` (distance units) and order `p`.
    pub fn new(c: f64, p: f64) -> Result<Self, TrackingError> {
        check_cutoff_order(c, p)?;
        Ok(Self {
            c,
            p,
            costs: CutoffCosts::default(),
        })
    }

    /// The cut-off `c`.
    pub fn cutoff(&self) -> f64 {
        self.c
    }

    /// The order `p`.
    pub fn order(&self) -> f64 {
        self.p
    }

    /// OSPA between the point sets `x` and `y` (the metric is symmetric).
    pub fn compute<const D: usize>(
        &mut self,
        x: &[SVector<f64, D>],
        y: &[SVector<f64, D>],
    ) -> Result<OspaValue, TrackingError> {
        check_points(x, "first set")?;
        check_points(y, "second set")?;
        let (small, large) = if x.len() <= y.len() { (x, y) } else { (y, x) };
        let (m, n) = (small.len(), large.len());
        if n == 0 {
            return Ok(OspaValue {
                distance: 0.0,
                localisation: 0.0,
                cardinality: 0.0,
            });
        }
        let sum = if m == 0 {
            0.0
        } else {
            self.costs.solve(small, large, self.c, self.p)?.1
        };
        let cp = self.c.powf(self.p);
        let card = cp * (n - m) as f64;
        let inv_p = 1.0 / self.p;
        let nf = n as f64;
        Ok(OspaValue {
            distance: ((sum + card) / nf).powf(inv_p).min(self.c),
            localisation: (sum / nf).powf(inv_p),
            cardinality: (card / nf).powf(inv_p),
        })
    }
}
