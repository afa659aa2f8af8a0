//! Resampling of a weighted particle set: multinomial, stratified, systematic and residual.
//!
//! Every scheme here is **unbiased**: drawing `n` indices from weights `w` (normalised by their
//! sum), the expected number of copies of index `i` is exactly `n w_i`. The schemes differ in the
//! variance of those counts (Douc, Cappé & Moulines, "Comparison of resampling schemes for
//! particle filtering", 2005):
//!
//! | scheme | positions in `[0, 1)`, mapped through the cumulative weights | variance |
//! |---|---|---|
//! | multinomial | `n` independent uniforms | highest |
//! | stratified | `(j + U_j) / n`, one uniform per stratum | lower |
//! | systematic | `(j + U) / n`, one shared uniform | lowest in practice, not always |
//! | residual | `floor(n w_i)` copies, the rest multinomial | below multinomial |
//!
//! The residual scheme draws its remainder from the residual weights `n w_i - floor(n w_i)`
//! (Liu & Chen 1998). FilterPy's `residual_resample` subtracts the copy counts from the *unscaled*
//! weights instead, which is biased (weights .5/.3/.1/.1 give frequencies .688/.312/0/0); this one
//! is not, and the chi-square test in `tests/estimation_particle.rs` checks it.
//!
//! Conventions: index `i` is selected by position `u` when `C_{i-1} <= u < C_i`, with `C_i` the
//! cumulative sum of the weights (`C_{-1} = 0`); zero-weight entries are never selected. Weights
//! need not be normalised. Outputs are written in ascending index order (the particle gather that
//! follows then walks memory forwards) into a caller-owned `Vec`, whose capacity is reused: no
//! allocation once it is large enough.
//!
//! Cost: `O(len(weights) + n)` for every scheme (multinomial uses ascending order statistics, not
//! a sort or a binary search).

use rand::Rng;
use rand_distr::{Distribution, Exp1};

use crate::estimation::EstimationError;

/// A resampling scheme. See the [module documentation](self) for the definitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ResamplingScheme {
    /// `n` independent draws from the categorical distribution of the weights.
    Multinomial,
    /// One uniform draw in each of the `n` strata `[j/n, (j+1)/n)`.
    Stratified,
    /// One uniform offset shared by all `n` strata (also called low-variance resampling).
    #[default]
    Systematic,
    /// Deterministic `floor(n w_i)` copies, then multinomial draws on the residual weights.
    Residual,
}

impl ResamplingScheme {
    /// All schemes, for iteration in tests and comparisons.
    pub const ALL: [ResamplingScheme; 4] = [
        ResamplingScheme::Multinomial,
        ResamplingScheme::Stratified,
        ResamplingScheme::Systematic,
        ResamplingScheme::Residual,
    ];

    /// Draws `n` indices from `weights` with this scheme into `out` (cleared first, ascending).
    ///
    /// # Errors
    /// See [`systematic_resample`].
    ///
    /// ```
    /// use kestrel::estimation::particle::ResamplingScheme;
    /// use rand::{rngs::SmallRng, SeedableRng};
    /// let mut rng = SmallRng::seed_from_u64(7);
    /// let mut idx = Vec::new();
    /// ResamplingScheme::Residual.resample(&[0.0, 2.0, 0.0, 2.0], 4, &mut rng, &mut idx).unwrap();
    /// assert_eq!(idx, vec![1, 1, 3, 3]); // n w_i are integers: no random part is left
    /// ```
    pub fn resample<R: Rng + ?Sized>(
        self,
        weights: &[f64],
        n: usize,
        rng: &mut R,
        out: &mut Vec<usize>,
    ) -> Result<(), EstimationError> {
        let summary = check(weights, n)?;
        out.clear();
        out.reserve(n);
        self.emit(weights, summary, n, rng, |i| out.push(i));
        Ok(())
    }

    /// As [`resample`](Self::resample), handing each drawn index (ascending) to `emit` instead of
    /// storing it: the particle filter gathers particles directly, without an index buffer.
    pub(crate) fn resample_each<R: Rng + ?Sized>(
        self,
        weights: &[f64],
        n: usize,
        rng: &mut R,
        emit: impl FnMut(usize),
    ) -> Result<(), EstimationError> {
        let summary = check(weights, n)?;
        self.emit(weights, summary, n, rng, emit);
        Ok(())
    }

    fn emit<R: Rng + ?Sized>(
        self,
        weights: &[f64],
        summary: WeightSummary,
        n: usize,
        rng: &mut R,
        emit: impl FnMut(usize),
    ) {
        match self {
            ResamplingScheme::Multinomial => multinomial_emit(weights, summary, n, rng, emit),
            ResamplingScheme::Stratified => stratified_emit(weights, summary, n, rng, emit),
            ResamplingScheme::Systematic => {
                let offset: f64 = rng.random();
                systematic_emit(weights, summary, n, offset, emit)
            }
            ResamplingScheme::Residual => residual_emit(weights, summary, n, rng, emit),
        }
    }
}

/// What a weight check learns: the sum and the last index with a positive weight.
#[derive(Debug, Clone, Copy)]
struct WeightSummary {
    total: f64,
    last_positive: usize,
}

/// Validates weights (finite, non-negative, positive sum) and the draw count.
fn check(weights: &[f64], n: usize) -> Result<WeightSummary, EstimationError> {
    if n == 0 {
        return Err(EstimationError::InvalidParameter {
            name: "n",
            reason: "the number of particles to draw must be at least 1".into(),
        });
    }
    if weights.is_empty() {
        return Err(EstimationError::InvalidParameter {
            name: "weights",
            reason: "no weights to resample from".into(),
        });
    }
    let mut total = 0.0;
    let mut last_positive = None;
    for (i, &w) in weights.iter().enumerate() {
        if !w.is_finite() {
            return Err(EstimationError::NonFinite { what: "weights" });
        }
        if w < 0.0 {
            return Err(EstimationError::InvalidParameter {
                name: "weights",
                reason: format!("weight {i} is negative ({w})"),
            });
        }
        if w > 0.0 {
            last_positive = Some(i);
        }
        total += w;
    }
    match last_positive {
        Some(last_positive) if total.is_finite() => Ok(WeightSummary {
            total,
            last_positive,
        }),
        Some(_) => Err(EstimationError::NonFinite {
            what: "sum of the weights",
        }),
        None => Err(EstimationError::DegenerateWeights(
            "all resampling weights are zero",
        )),
    }
}

/// Walks the cumulative weights forwards for ascending positions.
struct CdfWalker<'a> {
    weights: &'a [f64],
    index: usize,
    cumulative: f64,
    last_positive: usize,
}

impl<'a> CdfWalker<'a> {
    fn new(weights: &'a [f64], last_positive: usize) -> Self {
        Self {
            weights,
            index: 0,
            cumulative: weights[0],
            last_positive,
        }
    }

    /// The index `i` with `C_{i-1} <= u < C_i`, for `u` not smaller than the previous call's.
    /// A position at or past the total (rounding) maps to the last positive weight.
    #[inline]
    fn locate(&mut self, u: f64) -> usize {
        while self.cumulative <= u && self.index < self.last_positive {
            self.index += 1;
            self.cumulative += self.weights[self.index];
        }
        self.index
    }
}

/// Systematic resampling: positions `(j + U) / n`, `j = 0..n`, with one `U ~ U[0, 1)`.
///
/// Each index is copied `floor(n w_i)` or `ceil(n w_i)` times (weights normalised by their sum),
/// and `E[copies_i] = n w_i`.
///
/// # Errors
/// [`EstimationError::InvalidParameter`] for `n = 0`, empty or negative weights;
/// [`EstimationError::NonFinite`] for a non-finite weight or sum;
/// [`EstimationError::DegenerateWeights`] when every weight is zero. `out` is untouched on error.
///
/// ```
/// use kestrel::estimation::particle::systematic_resample;
/// use rand::{rngs::SmallRng, SeedableRng};
/// let mut idx = Vec::new();
/// systematic_resample(&[0.25, 0.75], 4, &mut SmallRng::seed_from_u64(1), &mut idx).unwrap();
/// assert_eq!(idx, vec![0, 1, 1, 1]); // 4 * 0.25 = 1 copy, 4 * 0.75 = 3 copies, whatever U is
/// ```
pub fn systematic_resample<R: Rng + ?Sized>(
    weights: &[f64],
    n: usize,
    rng: &mut R,
    out: &mut Vec<usize>,
) -> Result<(), EstimationError> {
    ResamplingScheme::Systematic.resample(weights, n, rng, out)
}

/// Systematic resampling with a given offset `U` in `[0, 1)` (for tests and reproductions of
/// other libraries): positions `(j + U) / n` of the normalised cumulative weights.
///
/// # Errors
/// As [`systematic_resample`], plus [`EstimationError::InvalidParameter`] for an offset outside
/// `[0, 1)`.
///
/// ```
/// use kestrel::estimation::particle::systematic_resample_with_offset;
/// let mut idx = Vec::new();
/// // cumulative 0.1, 0.3, 0.6, 1.0; positions 0.125, 0.375, 0.625, 0.875
/// systematic_resample_with_offset(&[0.1, 0.2, 0.3, 0.4], 4, 0.5, &mut idx).unwrap();
/// assert_eq!(idx, vec![1, 2, 3, 3]);
/// ```
pub fn systematic_resample_with_offset(
    weights: &[f64],
    n: usize,
    offset: f64,
    out: &mut Vec<usize>,
) -> Result<(), EstimationError> {
    if !(0.0..1.0).contains(&offset) {
        return Err(EstimationError::InvalidParameter {
            name: "offset",
            reason: format!("must lie in [0, 1), got {offset}"),
        });
    }
    let summary = check(weights, n)?;
    out.clear();
    out.reserve(n);
    systematic_emit(weights, summary, n, offset, |i| out.push(i));
    Ok(())
}

fn systematic_emit(
    weights: &[f64],
    summary: WeightSummary,
    n: usize,
    offset: f64,
    mut emit: impl FnMut(usize),
) {
    let step = summary.total / n as f64;
    let mut walker = CdfWalker::new(weights, summary.last_positive);
    for j in 0..n {
        emit(walker.locate((j as f64 + offset) * step));
    }
}

/// Stratified resampling: positions `(j + U_j) / n` with independent `U_j ~ U[0, 1)`.
///
/// # Errors
/// As [`systematic_resample`].
///
/// ```
/// use kestrel::estimation::particle::stratified_resample;
/// use rand::{rngs::SmallRng, SeedableRng};
/// let mut idx = Vec::new();
/// stratified_resample(&[0.5, 0.0, 0.5], 2, &mut SmallRng::seed_from_u64(3), &mut idx).unwrap();
/// assert_eq!(idx, vec![0, 2]); // one draw in each half
/// ```
pub fn stratified_resample<R: Rng + ?Sized>(
    weights: &[f64],
    n: usize,
    rng: &mut R,
    out: &mut Vec<usize>,
) -> Result<(), EstimationError> {
    ResamplingScheme::Stratified.resample(weights, n, rng, out)
}

fn stratified_emit<R: Rng + ?Sized>(
    weights: &[f64],
    summary: WeightSummary,
    n: usize,
    rng: &mut R,
    mut emit: impl FnMut(usize),
) {
    let step = summary.total / n as f64;
    let mut walker = CdfWalker::new(weights, summary.last_positive);
    for j in 0..n {
        let u: f64 = rng.random();
        emit(walker.locate((j as f64 + u) * step));
    }
}

/// Ascending order statistics of `n` independent uniforms on `[0, 1)`, generated one at a time.
///
/// With `r_k = 1 - U_(k)`: `ln r_k = ln r_{k-1} - E_k / (n - k + 1)`, `E_k ~ Exp(1)` (Rényi's
/// representation), so `n` sorted uniforms cost `n` exponential draws and `n` `expm1`, no sort.
struct SortedUniforms {
    log_remaining: f64,
    left: usize,
}

impl SortedUniforms {
    fn new(n: usize) -> Self {
        Self {
            log_remaining: 0.0,
            left: n,
        }
    }

    #[inline]
    fn next<R: Rng + ?Sized>(&mut self, rng: &mut R) -> f64 {
        let e: f64 = Exp1.sample(rng);
        self.log_remaining -= e / self.left as f64;
        self.left -= 1;
        -self.log_remaining.exp_m1()
    }
}

/// Multinomial resampling: `n` independent draws from the categorical distribution of the
/// weights, returned sorted (the multiset is what matters to a particle filter).
///
/// # Errors
/// As [`systematic_resample`].
///
/// ```
/// use kestrel::estimation::particle::multinomial_resample;
/// use rand::{rngs::SmallRng, SeedableRng};
/// let mut idx = Vec::new();
/// multinomial_resample(&[0.0, 1.0, 0.0], 5, &mut SmallRng::seed_from_u64(5), &mut idx).unwrap();
/// assert_eq!(idx, vec![1; 5]);
/// ```
pub fn multinomial_resample<R: Rng + ?Sized>(
    weights: &[f64],
    n: usize,
    rng: &mut R,
    out: &mut Vec<usize>,
) -> Result<(), EstimationError> {
    ResamplingScheme::Multinomial.resample(weights, n, rng, out)
}

fn multinomial_emit<R: Rng + ?Sized>(
    weights: &[f64],
    summary: WeightSummary,
    n: usize,
    rng: &mut R,
    mut emit: impl FnMut(usize),
) {
    let mut uniforms = SortedUniforms::new(n);
    let mut walker = CdfWalker::new(weights, summary.last_positive);
    for _ in 0..n {
        let u = uniforms.next(rng) * summary.total;
        emit(walker.locate(u));
    }
}

/// Residual resampling (unbiased): `floor(n w_i)` copies of each index, then the remaining
/// `R = n - sum floor(n w_i)` drawn multinomially from the residual weights
/// `n w_i - floor(n w_i)` (weights normalised by their sum). `E[copies_i] = n w_i`.
///
/// # Errors
/// As [`systematic_resample`].
///
/// ```
/// use kestrel::estimation::particle::residual_resample;
/// use rand::{rngs::SmallRng, SeedableRng};
/// let mut idx = Vec::new();
/// residual_resample(&[0.5, 0.3, 0.1, 0.1], 4, &mut SmallRng::seed_from_u64(9), &mut idx).unwrap();
/// // 2 copies of 0 and 1 copy of 1 are certain; the last draw uses residuals 0, .2, .4, .4
/// assert_eq!(&idx[..3], &[0, 0, 1]);
/// assert!(idx[3] >= 1);
/// ```
pub fn residual_resample<R: Rng + ?Sized>(
    weights: &[f64],
    n: usize,
    rng: &mut R,
    out: &mut Vec<usize>,
) -> Result<(), EstimationError> {
    ResamplingScheme::Residual.resample(weights, n, rng, out)
}

fn residual_emit<R: Rng + ?Sized>(
    weights: &[f64],
    summary: WeightSummary,
    n: usize,
    rng: &mut R,
    mut emit: impl FnMut(usize),
) {
    let scale = n as f64 / summary.total;
    // Pass 1: deterministic copies and the residual mass.
    let mut copies_total = 0usize;
    let mut residual_total = 0.0;
    let mut last_residual = None;
    for (i, &w) in weights.iter().enumerate() {
        let expected = w * scale;
        let copies = expected.floor();
        copies_total = copies_total.saturating_add(copies as usize);
        let r = expected - copies;
        if r > 0.0 {
            last_residual = Some(i);
        }
        residual_total += r;
    }
    // With no residual mass, any draw that rounding left over is filled in at the end.
    let mut remaining_random = if last_residual.is_some() {
        n.saturating_sub(copies_total)
    } else {
        0
    };
    let mut emitted = 0usize;
    // Pass 2: merge the copies with the ascending residual draws, so the output stays sorted.
    let mut uniforms = SortedUniforms::new(remaining_random);
    let mut next_u = if remaining_random > 0 {
        uniforms.next(rng) * residual_total
    } else {
        f64::INFINITY
    };
    let mut residual_cumulative = 0.0;
    let last_residual = last_residual.unwrap_or(usize::MAX);
    for (i, &w) in weights.iter().enumerate() {
        let expected = w * scale;
        let copies = expected.floor();
        for _ in 0..(copies as usize).min(n - emitted) {
            emit(i);
            emitted += 1;
        }
        residual_cumulative += expected - copies;
        while remaining_random > 0 && (next_u < residual_cumulative || i == last_residual) {
            emit(i);
            emitted += 1;
            remaining_random -= 1;
            next_u = if remaining_random > 0 {
                uniforms.next(rng) * residual_total
            } else {
                f64::INFINITY
            };
        }
    }
    // Rounding can leave the deterministic copies one short of n with no residual mass.
    while emitted < n {
        emit(summary.last_positive);
        emitted += 1;
    }
}

/// Effective sample size `(sum w_i)^2 / sum w_i^2` (Kong, Liu & Wong 1994): `n` for equal
/// weights, 1 when one particle holds all the weight. Weights need not be normalised.
///
/// Returns 0 for an empty slice or zero weights (no check for negative or non-finite values:
/// the filter only calls it on validated weights).
///
/// ```
/// use kestrel::estimation::particle::effective_sample_size;
/// assert_eq!(effective_sample_size(&[0.25; 4]), 4.0);
/// assert_eq!(effective_sample_size(&[0.0, 3.0, 0.0]), 1.0);
/// ```
pub fn effective_sample_size(weights: &[f64]) -> f64 {
    let (sum, sum_sq) = weights
        .iter()
        .fold((0.0, 0.0), |(s, q), &w| (s + w, q + w * w));
    if sum_sq > 0.0 {
        sum * sum / sum_sq
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::SmallRng, SeedableRng};

    #[test]
    fn bad_weights_are_typed_errors() {
        let mut rng = SmallRng::seed_from_u64(0);
        let mut out = vec![42];
        for scheme in ResamplingScheme::ALL {
            assert!(matches!(
                scheme.resample(&[0.0, 0.0], 3, &mut rng, &mut out),
                Err(EstimationError::DegenerateWeights(_))
            ));
            assert!(matches!(
                scheme.resample(&[1.0, f64::NAN], 3, &mut rng, &mut out),
                Err(EstimationError::NonFinite { .. })
            ));
            assert!(matches!(
                scheme.resample(&[1.0, -0.5], 3, &mut rng, &mut out),
                Err(EstimationError::InvalidParameter { .. })
            ));
            assert!(matches!(
                scheme.resample(&[1.0], 0, &mut rng, &mut out),
                Err(EstimationError::InvalidParameter { .. })
            ));
            assert!(matches!(
                scheme.resample(&[], 3, &mut rng, &mut out),
                Err(EstimationError::InvalidParameter { .. })
            ));
            assert!(matches!(
                scheme.resample(&[f64::MAX, f64::MAX], 3, &mut rng, &mut out),
                Err(EstimationError::NonFinite { .. })
            ));
            assert_eq!(out, vec![42], "{scheme:?} touched the output on error");
        }
    }

    #[test]
    fn zero_weights_are_never_selected_and_output_is_sorted() {
        let w = [0.0, 0.3, 0.0, 0.0, 0.7, 0.0];
        let mut rng = SmallRng::seed_from_u64(11);
        let mut out = Vec::new();
        for scheme in ResamplingScheme::ALL {
            for n in [1, 2, 7, 50] {
                for _ in 0..200 {
                    scheme.resample(&w, n, &mut rng, &mut out).unwrap();
                    assert_eq!(out.len(), n);
                    assert!(out.iter().all(|&i| i == 1 || i == 4), "{scheme:?}: {out:?}");
                    assert!(out.windows(2).all(|p| p[0] <= p[1]), "{scheme:?} unsorted");
                }
            }
        }
    }

    #[test]
    fn offset_outside_unit_interval_is_rejected() {
        let mut out = Vec::new();
        for offset in [-0.1, 1.0, f64::NAN] {
            assert!(systematic_resample_with_offset(&[1.0], 2, offset, &mut out).is_err());
        }
    }
}
