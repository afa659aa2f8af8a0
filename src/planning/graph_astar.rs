//! A* on petgraph graphs (roadmaps, lattices): a checked wrapper around `petgraph::algo::astar`.

use std::cell::Cell as StdCell;
use std::hash::Hash;
use std::time::{Duration, Instant};

use petgraph::visit::{IntoEdges, NodeIndexable, Visitable};

use super::PlanningError;

/// A path found on a graph.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphPath<N> {
    /// Nodes from start to goal, both included.
    pub nodes: Vec<N>,
    /// Sum of the edge costs along the path.
    pub cost: f64,
    /// Nodes taken off the open list (petgraph keeps no closed set, so a node can count twice).
    pub expansions: usize,
    /// Wall-clock time of the query.
    pub elapsed: Duration,
}

/// A* from `start` to `goal` on any petgraph graph, with `f64` edge costs and heuristic.
///
/// `edge_cost` gives each edge's cost (finite, >= 0); `heuristic(n)` must never overestimate
/// the remaining cost from `n` to `goal` (admissible; return 0 for Dijkstra). Runs
/// `petgraph::algo::astar` (hash-map storage, O(E log V)) and checks what it cannot: that the
/// nodes exist and every cost it saw was valid.
///
/// # Errors
/// [`PlanningError::NodeNotInGraph`] for a start or goal index beyond the graph;
/// [`PlanningError::InvalidCost`] when an edge cost or heuristic value was negative or not
/// finite (the search result would be meaningless). `Ok(None)` when the goal is unreachable.
///
/// ```
/// use petgraph::graph::UnGraph;
/// use kestrel::planning::graph_astar;
/// // a - b - d costs 1 + 1; a - c - d costs 1 + 3.
/// let mut g = UnGraph::<(), f64>::new_undirected();
/// let (a, b, c, d) = (g.add_node(()), g.add_node(()), g.add_node(()), g.add_node(()));
/// g.extend_with_edges([(a, b, 1.0), (b, d, 1.0), (a, c, 1.0), (c, d, 3.0)]);
/// let path = graph_astar(&g, a, d, |e| *e.weight(), |_| 0.0)?.expect("reachable");
/// assert_eq!(path.nodes, [a, b, d]);
/// assert_eq!(path.cost, 2.0);
/// # Ok::<(), kestrel::planning::PlanningError>(())
/// ```
pub fn graph_astar<G, F, H>(
    graph: G,
    start: G::NodeId,
    goal: G::NodeId,
    mut edge_cost: F,
    mut heuristic: H,
) -> Result<Option<GraphPath<G::NodeId>>, PlanningError>
where
    G: IntoEdges + Visitable + NodeIndexable,
    G::NodeId: Eq + Hash,
    F: FnMut(G::EdgeRef) -> f64,
    H: FnMut(G::NodeId) -> f64,
{
    let t0 = Instant::now();
    for (which, n) in [("start", start), ("goal", goal)] {
        let index = graph.to_index(n);
        if index >= graph.node_bound() {
            return Err(PlanningError::NodeNotInGraph { which, index });
        }
    }
    let bad: StdCell<Option<(&'static str, f64)>> = StdCell::new(None);
    let check = |what: &'static str, v: f64| {
        if v.is_finite() && v >= 0.0 {
            v
        } else {
            if bad.get().is_none() {
                bad.set(Some((what, v)));
            }
            0.0
        }
    };
    let mut expansions = 0usize;
    let result = petgraph::algo::astar(
        graph,
        start,
        |n| {
            expansions += 1;
            n == goal
        },
        |e| check("edge cost", edge_cost(e)),
        |n| check("heuristic", heuristic(n)),
    );
    if let Some((what, value)) = bad.get() {
        return Err(PlanningError::InvalidCost { what, value });
    }
    Ok(result.map(|(cost, nodes)| GraphPath {
        nodes,
        cost,
        expansions,
        elapsed: t0.elapsed(),
    }))
}
