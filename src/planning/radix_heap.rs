//! A monotone priority queue on `u64` keys (radix heap; Ahuja, Mehlhorn, Orlin & Tarjan, "Faster
//! Algorithms for the Shortest Path Problem", J. ACM 1990), the open list of
//! [`GridAstar`](super::GridAstar).
//!
//! Keys must never be smaller than the last key popped (true for the f-values of A* with a
//! consistent heuristic and integer costs). Bucket 0 holds the entries whose key equals the last
//! popped key; bucket `b >= 1` holds those whose key first differs from it in bit `b - 1`
//! (counting from the least significant bit). A push is one append; a pop takes from bucket 0, or
//! refills it by scanning the first non-empty bucket for its minimum and redistributing that
//! bucket into lower ones. Each entry moves down at most 64 times, so a push and a pop cost
//! O(log C) amortised for keys spanning C at any time (C = the largest edge cost plus heuristic
//! change for A*), with sequential memory access only.
//!
//! Entries with equal keys leave in last-in, first-out order: in A* the most recently generated
//! cell among those with the smallest f, which prefers deeper cells on ties.

/// One queued value with its key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RadixEntry {
    pub(crate) key: u64,
    pub(crate) value: u32,
    /// Carried along for the caller (it fills what would be padding).
    pub(crate) aux: u32,
}

/// The radix heap. Buffers keep their capacity across [`clear`](Self::clear), so a planner that
/// reuses one allocates nothing per query once warmed up.
#[derive(Debug, Clone)]
pub(crate) struct RadixHeap {
    last: u64,
    len: usize,
    buckets: Vec<Vec<RadixEntry>>,
    scratch: Vec<RadixEntry>,
}

impl Default for RadixHeap {
    fn default() -> Self {
        Self::new()
    }
}

impl RadixHeap {
    pub(crate) fn new() -> Self {
        RadixHeap {
            last: 0,
            len: 0,
            buckets: (0..65).map(|_| Vec::new()).collect(),
            scratch: Vec::new(),
        }
    }

    /// Empties the heap and resets the last popped key to 0.
    pub(crate) fn clear(&mut self) {
        for b in &mut self.buckets {
            b.clear();
        }
        self.last = 0;
        self.len = 0;
    }

    #[inline]
    fn bucket_of(last: u64, key: u64) -> usize {
        (64 - (key ^ last).leading_zeros()) as usize
    }

    /// Queues `value` with `key`; `key` must be at least the last popped key (it is raised to it
    /// otherwise, which never happens for a consistent A*; checked in debug builds).
    #[inline]
    pub(crate) fn push(&mut self, key: u64, value: u32, aux: u32) {
        debug_assert!(key >= self.last, "radix heap keys must be monotone");
        let key = key.max(self.last);
        self.buckets[Self::bucket_of(self.last, key)].push(RadixEntry { key, value, aux });
        self.len += 1;
    }

    /// Removes an entry with the smallest key (the most recently pushed among equal keys).
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<RadixEntry> {
        if self.buckets[0].is_empty() {
            self.refill()?;
        }
        self.len -= 1;
        self.buckets[0].pop()
    }

    /// Moves the smallest keys into bucket 0; `None` when the heap is empty.
    #[cold]
    fn refill(&mut self) -> Option<()> {
        if self.len == 0 {
            return None;
        }
        let b = (1..self.buckets.len()).find(|&b| !self.buckets[b].is_empty())?;
        std::mem::swap(&mut self.buckets[b], &mut self.scratch);
        let min = self.scratch.iter().map(|e| e.key).min()?;
        self.last = min;
        for e in self.scratch.drain(..) {
            // Every entry of bucket b shares the bits above b - 1 with the new `last`, so each
            // lands in a bucket below b.
            self.buckets[Self::bucket_of(min, e.key)].push(e);
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    #[test]
    fn pops_in_key_order_with_lifo_ties() {
        let mut h = RadixHeap::new();
        for (k, v) in [(5, 0), (3, 1), (9, 2), (3, 3), (1 << 40, 4), (5, 5)] {
            h.push(k, v, 0);
        }
        let order: Vec<(u64, u32)> = std::iter::from_fn(|| h.pop().map(|e| (e.key, e.value)))
            .take(10)
            .collect();
        assert_eq!(
            order,
            [(3, 3), (3, 1), (5, 5), (5, 0), (9, 2), (1 << 40, 4)]
        );
        assert!(h.pop().is_none());
    }

    #[test]
    fn matches_a_sorted_reference_under_monotone_use() {
        // Dijkstra-like use: every push is at least the last key popped.
        let mut rng = StdRng::seed_from_u64(7);
        let mut h = RadixHeap::new();
        let mut reference: Vec<u64> = Vec::new();
        let mut last = 0u64;
        for round in 0..2000 {
            for _ in 0..rng.random_range(0..4) {
                let bits: u32 = rng.random_range(0..40);
                let k = last + rng.random_range(0..1u64 << bits);
                h.push(k, round, 0);
                reference.push(k);
            }
            if let Some(e) = h.pop() {
                reference.sort_unstable_by(|a, b| b.cmp(a));
                let expected = reference.pop().unwrap();
                assert_eq!(e.key, expected);
                assert!(e.key >= last);
                last = e.key;
            } else {
                assert!(reference.is_empty());
            }
        }
        h.clear();
        assert!(h.pop().is_none());
    }
}
