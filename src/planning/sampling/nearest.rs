//! Nearest-neighbour index over the planners' vertices: a mutable kiddo k-d tree with
//! incremental inserts.

use std::num::NonZero;

use kiddo::{MutableKdTree, SquaredEuclidean};

use super::error::SamplingError;
use super::space::State;

/// A growing set of points in `R^D` with exact nearest, k-nearest and radius queries
/// (kiddo 6.3 `MutableKdTree`, Euclidean metric).
///
/// Points get consecutive ids `0, 1, 2, ...` in insertion order; the planners use these ids as
/// vertex indices. Distances returned are **squared** (kiddo's `SquaredEuclidean`), radii passed
/// in are plain (not squared).
///
/// Cost: insert amortised O(log n); nearest O(log n) expected; radius queries O(log n + k) and
/// allocation-free (results go into a caller-owned buffer).
///
/// ```
/// use kestrel::planning::sampling::NearestIndex;
/// use nalgebra::Vector2;
/// let mut index = NearestIndex::<2>::new();
/// for p in [[0.0, 0.0], [1.0, 0.0], [3.0, 0.0]] {
///     index.insert(&Vector2::from(p)).unwrap();
/// }
/// let (id, d2) = index.nearest(&Vector2::new(2.2, 0.0)).unwrap();
/// assert_eq!(id, 2);
/// assert!((d2 - 0.64).abs() < 1e-12); // squared distance
/// let mut near = Vec::new();
/// index.within(&Vector2::new(0.4, 0.0), 1.0, &mut near);
/// near.sort_by_key(|&(id, _)| id);
/// assert_eq!(near.iter().map(|&(id, _)| id).collect::<Vec<_>>(), vec![0, 1]);
/// ```
pub struct NearestIndex<const D: usize> {
    tree: MutableKdTree<f64, D>,
    len: u32,
}

impl<const D: usize> Default for NearestIndex<D> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const D: usize> std::fmt::Debug for NearestIndex<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NearestIndex")
            .field("len", &self.len)
            .finish()
    }
}

#[inline]
fn arr<const D: usize>(q: &State<D>) -> [f64; D] {
    std::array::from_fn(|k| q[k])
}

impl<const D: usize> NearestIndex<D> {
    /// An empty index.
    pub fn new() -> Self {
        Self {
            tree: MutableKdTree::default(),
            len: 0,
        }
    }

    /// The number of points inserted.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Inserts `q` and returns its id (the number of points inserted before it).
    ///
    /// # Errors
    /// [`SamplingError::NonFinite`] for NaN or infinite coordinates,
    /// [`SamplingError::NearestIndex`] when the tree cannot split a bucket (more than 32 points
    /// sharing one coordinate value) or the id space (`u32`) is exhausted.
    pub fn insert(&mut self, q: &State<D>) -> Result<u32, SamplingError> {
        if !q.iter().all(|v| v.is_finite()) {
            return Err(SamplingError::NonFinite {
                what: "index point",
            });
        }
        let id = self.len;
        if id == u32::MAX {
            return Err(SamplingError::NearestIndex("too many points".into()));
        }
        self.tree
            .add(&arr(q), id)
            .map_err(|e| SamplingError::NearestIndex(e.to_string()))?;
        self.len += 1;
        Ok(id)
    }

    /// The id and squared distance of the point nearest to `q` (ties: any of them), or `None`
    /// when the index is empty.
    #[inline]
    pub fn nearest(&self, q: &State<D>) -> Option<(u32, f64)> {
        if self.len == 0 {
            return None;
        }
        let r = self
            .tree
            .query(&arr(q))
            .nearest_one::<SquaredEuclidean<f64>>()
            .execute();
        Some((r.item, r.distance))
    }

    /// Replaces the contents of `out` with `(id, squared distance)` of every point within
    /// distance `radius` of `q` (inclusive), in no particular order.
    #[inline]
    pub fn within(&self, q: &State<D>, radius: f64, out: &mut Vec<(u32, f64)>) {
        out.clear();
        if self.len == 0 || radius.is_nan() || radius < 0.0 {
            return;
        }
        self.tree
            .query(&arr(q))
            .within::<SquaredEuclidean<f64>>(radius * radius)
            .unsorted()
            .visit(|r| out.push((r.item, r.distance)));
    }

    /// Allocation-free k-nearest query: replaces the contents of `out` with the `k` nearest
    /// points to `q` as `(id, squared distance)` in no particular order (all points when the
    /// index holds at most `k`).
    ///
    /// Runs radius queries starting at `radius_hint` and doubling until at least `k` points are
    /// inside (or the whole index), then keeps the `k` smallest with a selection; exact, since
    /// every point closer than the `k`-th is inside the final radius. A hint near the expected
    /// k-th neighbour distance, `(k mu / (n zeta_d))^(1/d)`, makes one query the usual case.
    /// Ties at the k-th distance are broken by id.
    ///
    /// ```
    /// use kestrel::planning::sampling::NearestIndex;
    /// use nalgebra::Vector2;
    /// let mut index = NearestIndex::<2>::new();
    /// for i in 0..10 {
    ///     index.insert(&Vector2::new(i as f64, 0.0)).unwrap();
    /// }
    /// let mut out = Vec::new();
    /// index.nearest_k_into(&Vector2::new(6.2, 0.0), 3, 0.1, &mut out);
    /// out.sort_by_key(|&(id, _)| id);
    /// assert_eq!(out.iter().map(|&(id, _)| id).collect::<Vec<_>>(), vec![5, 6, 7]);
    /// ```
    pub fn nearest_k_into(
        &self,
        q: &State<D>,
        k: usize,
        radius_hint: f64,
        out: &mut Vec<(u32, f64)>,
    ) {
        out.clear();
        if k == 0 || self.len == 0 {
            return;
        }
        let total = self.len as usize;
        let mut radius = if radius_hint.is_finite() && radius_hint > 0.0 {
            radius_hint
        } else {
            f64::INFINITY
        };
        loop {
            self.within(q, radius, out);
            if out.len() >= k.min(total) || radius.is_infinite() {
                break;
            }
            radius *= 2.0;
        }
        if out.len() > k {
            let by_distance =
                |a: &(u32, f64), b: &(u32, f64)| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0));
            out.select_nth_unstable_by(k - 1, by_distance);
            out.truncate(k);
        }
    }

    /// Replaces the contents of `out` with the `k` nearest points to `q` as
    /// `(id, squared distance)`, nearest first (fewer when the index holds fewer than `k`).
    pub fn nearest_k(&self, q: &State<D>, k: usize, out: &mut Vec<(u32, f64)>) {
        out.clear();
        let Some(k) = NonZero::new(k) else {
            return;
        };
        if self.len == 0 {
            return;
        }
        let found = self
            .tree
            .query(&arr(q))
            .nearest_n::<SquaredEuclidean<f64>>(k)
            .execute();
        out.extend(found.into_iter().map(|r| (r.item, r.distance)));
    }
}
