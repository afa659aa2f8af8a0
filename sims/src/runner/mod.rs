//! The scenario runner: one module per scenario kind. Each builds its world and algorithms from
//! its configuration, steps them, scores them and logs them, and returns a [`Report`].

mod context;
pub mod grid_astar;
pub mod lane_tracking;
pub mod localization;
pub mod maneuvering_target;
pub mod mpc_obstacle;
pub mod mpc_settings;
pub mod pendulum;
pub mod prm;
pub mod rrt_star;
pub mod scene;
mod score;
pub mod tracking;
pub mod tracking_build;
pub mod tracking_engine;
pub mod tracking_extended;
pub mod tracking_extended_log;
pub mod tracking_extent_score;
pub mod tracking_roles;
pub mod tracking_score;
pub mod tracking_world;
pub mod truck_backer_upper;
pub mod warehouse;

pub use context::{derive_seed, progress_bar, RunContext};

use crate::report::Report;
use crate::scenario::{Header, ScenarioError, Source};

/// A scenario kind: a typed configuration that knows how to run itself.
pub trait ScenarioKind: Sized + Send + Sync + 'static {
    /// The `kind` string of the header.
    const KIND: &'static str;
    /// Parses and checks the configuration (every error names file, line and field).
    fn load(source: &Source) -> Result<Self, ScenarioError>;
    /// Runs once with the context's seed and recording.
    fn run(&self, ctx: &RunContext) -> anyhow::Result<Report>;
    /// The viewer layout for this kind's recordings.
    fn blueprint(&self) -> Option<rerun::blueprint::Blueprint> {
        None
    }
}

/// A blueprint with `root` as its layout and the side panels collapsed (users can expand them),
/// so a recording opens on its views. The time panel follows the `step` timeline.
pub fn layout(root: impl Into<rerun::blueprint::ContainerLike>) -> rerun::blueprint::Blueprint {
    use rerun::blueprint::components::PanelState;
    use rerun::blueprint::{BlueprintPanel, SelectionPanel, TimePanel};
    rerun::blueprint::Blueprint::new(root)
        .with_blueprint_panel(BlueprintPanel::new().with_state(PanelState::Collapsed))
        .with_selection_panel(SelectionPanel::new().with_state(PanelState::Collapsed))
        .with_time_panel(
            TimePanel::new()
                .with_state(PanelState::Collapsed)
                .with_timeline("step"),
        )
}

/// [`layout`] of a 2-D world view (y up: origin `/`, contents `/world/**`) over a grid of time
/// series, four per row, one per `(entity under plots/, title)`.
pub fn world_over_plots(title: &str, plots: &[(&str, &str)]) -> rerun::blueprint::Blueprint {
    use rerun::blueprint::{Grid, Spatial2DView, TimeSeriesView, Vertical};
    let plots: Vec<_> = plots
        .iter()
        .map(|(entity, title)| {
            TimeSeriesView::new(*title)
                .with_origin(format!("plots/{entity}"))
                .into()
        })
        .collect();
    layout(
        Vertical::new([
            Spatial2DView::new(title)
                .with_origin("/")
                .with_contents(["/world/**"])
                .into(),
            Grid::new(plots).with_grid_columns(4).into(),
        ])
        .with_row_shares([3.0, 2.0]),
    )
}

/// Object-safe form of [`ScenarioKind`].
pub trait Runnable: Send + Sync {
    /// Runs once.
    fn run(&self, ctx: &RunContext) -> anyhow::Result<Report>;
    /// The viewer layout.
    fn blueprint(&self) -> Option<rerun::blueprint::Blueprint>;
}

impl<T: ScenarioKind> Runnable for T {
    fn run(&self, ctx: &RunContext) -> anyhow::Result<Report> {
        ScenarioKind::run(self, ctx)
    }
    fn blueprint(&self) -> Option<rerun::blueprint::Blueprint> {
        ScenarioKind::blueprint(self)
    }
}

type Loader = fn(&Source) -> Result<Box<dyn Runnable>, ScenarioError>;

fn loader<T: ScenarioKind>(source: &Source) -> Result<Box<dyn Runnable>, ScenarioError> {
    Ok(Box::new(T::load(source)?))
}

/// Every scenario kind this program knows, by `kind` string.
fn registry() -> Vec<(&'static str, Loader)> {
    vec![
        (
            pendulum::PendulumScenario::KIND,
            loader::<pendulum::PendulumScenario>,
        ),
        (
            localization::LocalizationScenario::KIND,
            loader::<localization::LocalizationScenario>,
        ),
        (
            maneuvering_target::ManeuveringScenario::KIND,
            loader::<maneuvering_target::ManeuveringScenario>,
        ),
        (
            mpc_obstacle::MpcObstacleScenario::KIND,
            loader::<mpc_obstacle::MpcObstacleScenario>,
        ),
        (
            lane_tracking::LaneTrackingScenario::KIND,
            loader::<lane_tracking::LaneTrackingScenario>,
        ),
        (
            truck_backer_upper::TruckScenario::KIND,
            loader::<truck_backer_upper::TruckScenario>,
        ),
        (
            warehouse::WarehouseScenario::KIND,
            loader::<warehouse::WarehouseScenario>,
        ),
        (
            grid_astar::GridAstarScenario::KIND,
            loader::<grid_astar::GridAstarScenario>,
        ),
        (
            rrt_star::RrtStarScenario::KIND,
            loader::<rrt_star::RrtStarScenario>,
        ),
        (prm::PrmScenario::KIND, loader::<prm::PrmScenario>),
        (
            tracking::TrackingScenario::KIND,
            loader::<tracking::TrackingScenario>,
        ),
        (
            tracking_extended::ExtendedScenario::KIND,
            loader::<tracking_extended::ExtendedScenario>,
        ),
    ]
}

/// The known kinds, sorted.
pub fn known_kinds() -> Vec<&'static str> {
    let mut kinds: Vec<_> = registry().into_iter().map(|(k, _)| k).collect();
    kinds.sort_unstable();
    kinds
}

/// A scenario file parsed and checked, ready to run.
pub struct Loaded {
    /// The file.
    pub source: Source,
    /// Its header.
    pub header: Header,
    /// Name used for output files.
    pub name: String,
    /// The typed configuration.
    pub scenario: Box<dyn Runnable>,
}

/// Reads, parses and checks a scenario file; nothing runs unless this succeeds.
pub fn load(path: &std::path::Path) -> Result<Loaded, ScenarioError> {
    let source = Source::read(path)?;
    let header = source.header()?;
    let load = registry()
        .into_iter()
        .find(|(k, _)| *k == header.kind)
        .map(|(_, l)| l)
        .ok_or_else(|| ScenarioError::UnknownKind {
            path: source.path.clone(),
            kind: header.kind.clone(),
            known: known_kinds().join(", "),
        })?;
    let scenario = load(&source)?;
    let name = source.run_name(&header);
    Ok(Loaded {
        source,
        header,
        name,
        scenario,
    })
}
