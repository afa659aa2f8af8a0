//! Search trees, roadmaps and paths as Rerun line strips.
//!
//! Sampling planners return a [`SearchGraph`] (vertices and `[parent, child]` or roadmap
//! edges) and paths as lists of states; grid planners return a [`GridPath`] of cells. These
//! helpers turn them into [`rerun::LineStrips2D`] in world coordinates (for grid paths through
//! the cell centres given by a [`GridGeometry`]). A [`TreeMirror`] follows a planner's observer
//! events so a growing RRT/RRT* tree can be drawn while it grows.
//!
//! ```
//! use kestrel::planning::sampling::{PlannerEvent, SearchGraph};
//! use nalgebra::Vector2;
//! let rec = rerun::RecordingStreamBuilder::new("example").buffered()?;
//! let graph = SearchGraph {
//!     states: vec![Vector2::new(0.0, 0.0), Vector2::new(1.0, 0.0), Vector2::new(1.0, 1.0)],
//!     edges: vec![[0, 1], [1, 2]],
//! };
//! assert_eq!(kestrel::viz::graph_segments(&graph).len(), 2);
//! rec.log("world/rrt/tree", &kestrel::viz::graph_strips(&graph, [200, 200, 200, 120]))?;
//! // A tree mirrored from observer events: 0 -> 1 -> 2, then 2 rewired to hang from 0.
//! let mut mirror = kestrel::viz::TreeMirror::new();
//! for (id, parent) in [(0, None), (1, Some(0)), (2, Some(1))] {
//!     mirror.observe(&PlannerEvent::VertexAdded { id, state: graph.states[id as usize], parent });
//! }
//! assert_eq!(mirror.path_to(2).unwrap().1, 2.0);
//! mirror.observe(&PlannerEvent::Rewired { id: 2, old_parent: 1, new_parent: 0 });
//! assert_eq!(mirror.path_to(2).unwrap().1, std::f64::consts::SQRT_2);
//! assert_eq!(mirror.segments().len(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::mapping::GridGeometry;
use crate::planning::sampling::{PlannerEvent, SearchGraph, State};
use crate::planning::GridPath;
use rerun::LineStrips2D;

/// The edges of a graph as segments `[[x0, y0], [x1, y1]]`.
pub fn graph_segments(graph: &SearchGraph<2>) -> Vec<[[f32; 2]; 2]> {
    graph
        .segments()
        .map(|(a, b)| [[a.x as f32, a.y as f32], [b.x as f32, b.y as f32]])
        .collect()
}

/// A graph's edges as thin line strips of one colour.
pub fn graph_strips(graph: &SearchGraph<2>, color: [u8; 4]) -> LineStrips2D {
    LineStrips2D::new(graph_segments(graph))
        .with_colors([color])
        .with_radii([rerun::Radius::new_ui_points(0.5)])
}

/// A path of states as one line strip.
pub fn path_strip(path: &[State<2>], color: [u8; 4]) -> LineStrips2D {
    let points: Vec<[f32; 2]> = path.iter().map(|q| [q.x as f32, q.y as f32]).collect();
    LineStrips2D::new([points])
        .with_colors([color])
        .with_radii([rerun::Radius::new_ui_points(2.5)])
}

/// The world positions of a grid path's cell centres.
pub fn grid_path_points(path: &GridPath, geometry: &GridGeometry) -> Vec<[f32; 2]> {
    path.cells
        .iter()
        .map(|&c| {
            let p = geometry.cell_center(c);
            [p.x as f32, p.y as f32]
        })
        .collect()
}

/// A grid path as one line strip through its cell centres.
pub fn grid_path_strip(path: &GridPath, geometry: &GridGeometry, color: [u8; 4]) -> LineStrips2D {
    LineStrips2D::new([grid_path_points(path, geometry)])
        .with_colors([color])
        .with_radii([rerun::Radius::new_ui_points(2.5)])
}

/// A copy of a planner's tree kept up to date from its [`PlannerEvent`]s (vertices added,
/// rewirings), for drawing the tree while it grows. O(1) per event.
#[derive(Debug, Clone, Default)]
pub struct TreeMirror {
    states: Vec<State<2>>,
    parents: Vec<u32>,
}

impl TreeMirror {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies one event (roadmap edges and cost improvements are ignored).
    pub fn observe(&mut self, event: &PlannerEvent<2>) {
        match *event {
            PlannerEvent::VertexAdded { id, state, parent } => {
                let id = id as usize;
                if self.states.len() <= id {
                    self.states.resize(id + 1, State::<2>::zeros());
                    self.parents.resize(id + 1, u32::MAX);
                }
                self.states[id] = state;
                self.parents[id] = parent.unwrap_or(u32::MAX);
            }
            PlannerEvent::Rewired { id, new_parent, .. } => {
                if let Some(p) = self.parents.get_mut(id as usize) {
                    *p = new_parent;
                }
            }
            _ => {}
        }
    }

    /// Number of vertices.
    pub fn len(&self) -> usize {
        self.states.len()
    }

    /// Whether the tree has no vertex.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// The tree's edges as segments (parent to child).
    pub fn segments(&self) -> Vec<[[f32; 2]; 2]> {
        self.parents
            .iter()
            .enumerate()
            .filter(|(_, &p)| (p as usize) < self.states.len())
            .map(|(c, &p)| {
                let (a, b) = (self.states[p as usize], self.states[c]);
                [[a.x as f32, a.y as f32], [b.x as f32, b.y as f32]]
            })
            .collect()
    }

    /// The path from the root to `vertex` along the current parents, with its length
    /// (`None` for an unknown vertex). Stops after `len()` steps, so a malformed event stream
    /// cannot loop forever.
    pub fn path_to(&self, vertex: u32) -> Option<(Vec<State<2>>, f64)> {
        let mut v = vertex as usize;
        if v >= self.states.len() {
            return None;
        }
        let mut path = vec![self.states[v]];
        for _ in 0..self.states.len() {
            let p = self.parents[v];
            if p as usize >= self.states.len() {
                break;
            }
            v = p as usize;
            path.push(self.states[v]);
        }
        path.reverse();
        let length = path.windows(2).map(|w| (w[1] - w[0]).norm()).sum();
        Some((path, length))
    }
}
