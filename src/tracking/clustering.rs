//! Clusters of tracks that compete for detections (the independent sub-problems of JPDA).
//!
//! Two tracks belong to the same cluster when a chain of gated track-detection pairs links them
//! (they share a detection, or share one with a third track, ...). Joint association events of
//! different clusters are independent, so JPDA enumerates each cluster on its own. The
//! components are found with a union-find (disjoint-set forest, union by size, path halving).

use super::TrackingError;

/// One cluster: tracks linked through shared gated detections.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cluster {
    /// Track indices, ascending.
    pub tracks: Vec<usize>,
    /// Detection indices gated by at least one of these tracks, ascending.
    pub detections: Vec<usize>,
}

/// Splits tracks into clusters that share gated detections; buffers reused between calls.
///
/// Every track appears in exactly one cluster (a track with no gated detection forms a cluster
/// of its own with no detections). Clusters are ordered by their smallest track index.
/// Detections gated by no track are listed by [`TrackClusters::unclaimed_detections`] (candidates
/// for track initiation).
///
/// # Errors
/// [`TrackingError::InvalidParameter`] for a pair whose track or detection index is out of range.
///
/// # Complexity
/// `O((T + D + P) alpha(T + D))` for `T` tracks, `D` detections and `P` pairs, plus sorting.
///
/// # Example
/// ```
/// use kestrel::tracking::TrackClusters;
/// // tracks 0 and 2 share detection 1; track 1 sees only detection 3; detection 0 is unclaimed
/// let mut c = TrackClusters::new();
/// let clusters = c.build(3, 4, [(0, 1), (2, 1), (2, 2), (1, 3)]).unwrap();
/// assert_eq!(clusters.len(), 2);
/// assert_eq!((clusters[0].tracks.as_slice(), clusters[0].detections.as_slice()), (&[0, 2][..], &[1, 2][..]));
/// assert_eq!((clusters[1].tracks.as_slice(), clusters[1].detections.as_slice()), (&[1][..], &[3][..]));
/// assert_eq!(c.unclaimed_detections(), &[0]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct TrackClusters {
    parent: Vec<usize>,
    size: Vec<usize>,
    claimed: Vec<bool>,
    cluster_of_root: Vec<usize>,
    clusters: Vec<Cluster>,
    n_clusters: usize,
    unclaimed: Vec<usize>,
}

const NONE: usize = usize::MAX;

impl TrackClusters {
    /// Empty buffers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds the clusters of `n_tracks` tracks and `n_detections` detections linked by the
    /// gated `(track, detection)` pairs.
    pub fn build(
        &mut self,
        n_tracks: usize,
        n_detections: usize,
        pairs: impl IntoIterator<Item = (usize, usize)>,
    ) -> Result<&[Cluster], TrackingError> {
        let n = n_tracks + n_detections;
        self.parent.clear();
        self.parent.extend(0..n);
        self.size.clear();
        self.size.resize(n, 1);
        self.claimed.clear();
        self.claimed.resize(n_detections, false);
        for (t, d) in pairs {
            if t >= n_tracks || d >= n_detections {
                return Err(TrackingError::InvalidParameter {
                    name: "gated pair",
                    reason: format!(
                        "({t}, {d}) out of range for {n_tracks} tracks and {n_detections} detections"
                    ),
                });
            }
            self.claimed[d] = true;
            self.union(t, n_tracks + d);
        }
        self.cluster_of_root.clear();
        self.cluster_of_root.resize(n, NONE);
        for c in &mut self.clusters {
            c.tracks.clear();
            c.detections.clear();
        }
        self.n_clusters = 0;
        // Tracks in ascending order: clusters are numbered by their smallest track.
        for t in 0..n_tracks {
            let k = self.cluster_index(t);
            self.clusters[k].tracks.push(t);
        }
        self.unclaimed.clear();
        for d in 0..n_detections {
            if self.claimed[d] {
                let k = self.cluster_index(n_tracks + d);
                self.clusters[k].detections.push(d);
            } else {
                self.unclaimed.push(d);
            }
        }
        Ok(&self.clusters[..self.n_clusters])
    }

    /// Detections of the last [`TrackClusters::build`] that no track gated, ascending.
    pub fn unclaimed_detections(&self) -> &[usize] {
        &self.unclaimed
    }

    /// The clusters of the last [`TrackClusters::build`].
    pub fn clusters(&self) -> &[Cluster] {
        &self.clusters[..self.n_clusters]
    }

    fn cluster_index(&mut self, node: usize) -> usize {
        let root = self.find(node);
        if self.cluster_of_root[root] == NONE {
            self.cluster_of_root[root] = self.n_clusters;
            if self.clusters.len() == self.n_clusters {
                self.clusters.push(Cluster::default());
            }
            self.n_clusters += 1;
        }
        self.cluster_of_root[root]
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        let (big, small) = if self.size[ra] >= self.size[rb] {
            (ra, rb)
        } else {
            (rb, ra)
        };
        self.parent[small] = big;
        self.size[big] += self.size[small];
    }
}
