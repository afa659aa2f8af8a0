//! Sampling-based motion planners on `R^D`: RRT, RRT*, PRM and PRM*, with kd-tree neighbour
//! queries (kiddo), roadmaps on petgraph, collision checking behind [`ValidityChecker`]
//! (exact planar shapes in [`GeometricScene`], grids and occupancy grids in [`GridChecker`], any
//! state predicate in [`FnChecker`]), and path shortcutting.
//!
//! Planners: [`rrt`] (LaValle 1998), [`rrt_star`] (Karaman and Frazzoli 2011, with the shrinking
//! radius or the k-nearest rule, optionally informed sampling as in Gammell et al. 2014) and
//! [`Prm`] (Kavraki et al. 1996; PRM* connection rules from Karaman and Frazzoli 2011); paths
//! can be shortened with [`shortcut_greedy`] and [`shortcut_random`].
//!
//! Conventions:
//! - States are `SVector<f64, D>` ([`State`]); motions are straight segments; the cost of a path
//!   is its Euclidean length (units of the bounds, e.g. metres).
//! - A [`Problem`] holds the sampling [`Bounds`], start, goal and goal tolerance. Start or goal
//!   outside the bounds or in collision, non-finite values and bad parameters are typed
//!   [`SamplingError`]s; an unreachable goal is a [`PlanResult`] without a path, returned when the
//!   [`Termination`] budget runs out.
//! - Every random draw comes from the caller's seeded `rand::Rng`: with an iteration budget the
//!   results are reproducible bit for bit.
//! - Planners log nothing: a [`PlannerObserver`] (any `FnMut(&PlannerEvent)` closure) sees each
//!   new vertex, rewiring, roadmap edge and improved solution, and results carry the final
//!   tree/roadmap ([`SearchGraph`]) and the best cost over iterations and time.
//!
//! ```
//! use kestrel::geometry::Circle;
//! use kestrel::planning::sampling::*;
//! use nalgebra::{Point2, Vector2};
//! use rand::SeedableRng;
//! let mut scene = GeometricScene::new();
//! scene.add_circle(Circle::new(Point2::new(5.0, 5.0), 1.5).unwrap());
//! let bounds = Bounds::new(Vector2::new(0.0, 0.0), Vector2::new(10.0, 10.0)).unwrap();
//! let problem = Problem::new(bounds, Vector2::new(0.5, 0.5), Vector2::new(9.5, 9.5)).unwrap();
//! let mut rng = rand::rngs::StdRng::seed_from_u64(42);
//! let mut vertices = 0;
//! let params = RrtStarParams { termination: Termination::iterations(2000), ..Default::default() };
//! let result = rrt_star(&problem, &scene, &params, &mut rng, &mut |e: &PlannerEvent<2>| {
//!     if let PlannerEvent::VertexAdded { .. } = e { vertices += 1; }
//! }).unwrap();
//! assert_eq!(vertices, result.stats.vertices);
//! let path = result.path.unwrap();
//! let short = shortcut_greedy(&path, &scene).unwrap();
//! assert!(path_length(&short) <= result.cost);
//! ```

mod collision;
mod error;
mod grid_collision;
mod informed;
mod nearest;
mod outcome;
mod prm;
mod rrt;
mod rrt_star;
mod run;
mod shortcut;
mod space;

pub use collision::{FnChecker, GeometricScene, ValidityChecker};
pub use error::SamplingError;
pub use grid_collision::GridChecker;
pub use nearest::NearestIndex;
pub use outcome::{
    path_length, CostSample, NoObserver, PlanResult, PlanStats, PlannerEvent, PlannerObserver,
    SearchGraph, Termination, TerminationReason,
};
pub use prm::{Prm, PrmConnection, PrmParams};
pub use rrt::{rrt, RrtParams};
pub use rrt_star::{rrt_star, RrtStarNeighbours, RrtStarParams};
pub use shortcut::{shortcut_greedy, shortcut_random};
pub use space::{
    connection_radius, prm_star_gamma, rrt_star_gamma, unit_ball_volume, Bounds, Problem, State,
};
