//! The map the planners search (a Moving AI map or a warehouse map, inflated) and the queries
//! resolved to its cells, with errors that name the scenario field.

use super::{GridAstarScenario, MapSource, Query};
use crate::runner::RunContext;
use crate::scenario::ScenarioError;
use kestrel::mapping::{
    load_scenarios, Cell, CostMap, GridGeometry, GridMap, InflationParams, INSCRIBED, LETHAL,
    NO_INFORMATION,
};
use kestrel::viz;
use nalgebra::{Point2, Vector2};
use std::path::{Path, PathBuf};

/// The map the planners search, with what to draw for it.
pub(super) struct PlanningMap {
    pub(super) geometry: GridGeometry,
    /// `true` = blocked, row-major.
    pub(super) blocked: Vec<bool>,
    /// Planning-map classes for drawing (see `viz::planning_class`).
    pub(super) classes: Vec<u8>,
    /// Metres (or cells) per cell.
    pub(super) unit: f64,
    pub(super) y_up: bool,
}

impl GridMap for PlanningMap {
    fn width(&self) -> usize {
        self.geometry.width()
    }
    fn height(&self) -> usize {
        self.geometry.height()
    }
    fn is_blocked(&self, x: usize, y: usize) -> bool {
        self.blocked[y * self.geometry.width() + x]
    }
}

pub(super) fn datasets_path(rel: &str) -> Result<PathBuf, String> {
    let p = Path::new(rel);
    if p.is_absolute() {
        return Ok(p.to_path_buf());
    }
    match std::env::var_os("KESTREL_DATASETS") {
        Some(root) => Ok(PathBuf::from(root).join(p)),
        None => Err(
            "is relative to $KESTREL_DATASETS, which is not set (download the data with \
             scripts/download_datasets.sh DIR and export KESTREL_DATASETS=DIR)"
                .to_string(),
        ),
    }
}

impl GridAstarScenario {
    pub(super) fn resolve_queries(&self) -> Result<Vec<Query>, ScenarioError> {
        let src = &self.source;
        let mut out = Vec::new();
        let mut scen = None;
        for (i, q) in self.config.queries.iter().enumerate() {
            let (start, goal, published) = match (&self.map, q.scen_index) {
                (MapSource::MovingAi(map), Some(k)) => {
                    if scen.is_none() {
                        let rel = self.config.map.movingai.as_deref().unwrap_or_default();
                        let path = datasets_path(&format!("{rel}.scen"))
                            .map_err(|e| src.invalid("map.movingai", e))?;
                        scen = Some(load_scenarios(&path).map_err(|e| {
                            src.invalid(
                                &format!("queries.{i}.scen_index"),
                                format!("needs the .scen file: {e}"),
                            )
                        })?);
                    }
                    let all = scen.as_ref().map_or(&[][..], |v| v.as_slice());
                    let sq = all.get(k).ok_or_else(|| {
                        src.invalid(
                            &format!("queries.{i}.scen_index"),
                            format!("is beyond the {} queries of the .scen file", all.len()),
                        )
                    })?;
                    if (sq.map_width, sq.map_height) != (map.width(), map.height()) {
                        return Err(src.invalid(
                            &format!("queries.{i}.scen_index"),
                            "the .scen file is for a map of another size",
                        ));
                    }
                    let cell = |p: (usize, usize)| Cell::new(p.0 as i32, p.1 as i32);
                    (cell(sq.start), cell(sq.goal), Some(sq.optimal_length))
                }
                (MapSource::Warehouse(_), Some(_)) => {
                    return Err(src.invalid(
                        &format!("queries.{i}.scen_index"),
                        "applies to Moving AI maps only",
                    ))
                }
                (map, None) => {
                    let (s, g) = (q.start.unwrap_or_default(), q.goal.unwrap_or_default());
                    let to_cell = |what: &str, v: [f64; 2]| -> Result<Cell, ScenarioError> {
                        let field = format!("queries.{i}.{what}");
                        match map {
                            MapSource::MovingAi(m) => {
                                let inside = v.iter().all(|x| x.fract() == 0.0)
                                    && v[0] >= 0.0
                                    && v[1] >= 0.0
                                    && (v[0] as usize) < m.width()
                                    && (v[1] as usize) < m.height();
                                if !inside {
                                    return Err(src.invalid(
                                        &field,
                                        format!(
                                            "({}, {}) is not a cell of the {} x {} map",
                                            v[0],
                                            v[1],
                                            m.width(),
                                            m.height()
                                        ),
                                    ));
                                }
                                let c = Cell::new(v[0] as i32, v[1] as i32);
                                if m.is_blocked(c.x as usize, c.y as usize) {
                                    return Err(src.invalid(
                                        &field,
                                        format!("cell ({}, {}) is an obstacle", c.x, c.y),
                                    ));
                                }
                                Ok(c)
                            }
                            MapSource::Warehouse(w) => {
                                let [sx, sy] = w.warehouse.size_m;
                                let p = Point2::new(v[0], v[1]);
                                if !(p.x > 0.0 && p.y > 0.0 && p.x < sx && p.y < sy) {
                                    return Err(src.invalid(
                                        &field,
                                        format!("({}, {}) m is outside the warehouse interior [0, {sx}] x [0, {sy}]", p.x, p.y),
                                    ));
                                }
                                let geometry = w.warehouse.params(w.map.resolution_m);
                                let bare = crate::worlds::warehouse::Warehouse::generate(
                                    &crate::worlds::warehouse::WarehouseParams {
                                        pallets: 0,
                                        ..geometry
                                    },
                                    &[],
                                    &mut <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(
                                        0,
                                    ),
                                );
                                if bare.is_occupied(&p) {
                                    return Err(src.invalid(
                                        &field,
                                        format!("({}, {}) m is inside a wall or rack", p.x, p.y),
                                    ));
                                }
                                // Cells are resolved against the built map at run time.
                                Ok(Cell::new(i32::MIN, i32::MIN))
                            }
                        }
                    };
                    (to_cell("start", s)?, to_cell("goal", g)?, None)
                }
            };
            out.push(Query {
                name: q.name.clone(),
                start,
                goal,
                published,
                index: i,
            });
        }
        Ok(out)
    }

    /// Builds the map the planners search.
    pub(super) fn planning_map(&self, ctx: &RunContext) -> anyhow::Result<PlanningMap> {
        let r = self.config.map.robot_radius;
        let params = InflationParams {
            inscribed_radius: r,
            inflation_radius: r,
            cost_scaling_factor: 1.0,
            inflate_unknown: false,
        };
        let (geometry, costs, unit, y_up) = match &self.map {
            MapSource::MovingAi(map) => {
                let geometry =
                    GridGeometry::new(map.width(), map.height(), 1.0, Vector2::zeros(), 0.0)?;
                let costs = CostMap::from_obstacles(geometry.clone(), map, &params)?;
                (geometry, costs, 1.0, false)
            }
            MapSource::Warehouse(w) => {
                // The map is built headless with this run's seed (same world as `warehouse`).
                let inner = RunContext::headless(ctx.seed);
                let (built, ..) = w.build(&inner, false)?;
                let geometry = built.grid.geometry().clone();
                let costs = if self.config.map.use_truth {
                    CostMap::from_obstacles(geometry.clone(), &built.truth, &params)?
                } else {
                    CostMap::from_occupancy(&built.grid, &params)?
                };
                (geometry, costs, w.map.resolution_m, true)
            }
        };
        let unknown_free = self.config.map.unknown_is_free;
        let view = costs.blocked_view(INSCRIBED, unknown_free);
        let (w, h) = (geometry.width(), geometry.height());
        let mut blocked = Vec::with_capacity(w * h);
        let mut classes = Vec::with_capacity(w * h);
        for (i, &cost) in costs.as_slice().iter().enumerate() {
            let b = view.is_blocked(i % w, i / w);
            blocked.push(b);
            classes.push(if !b {
                viz::planning_class::FREE
            } else if cost == LETHAL {
                viz::planning_class::OBSTACLE
            } else if cost == NO_INFORMATION {
                viz::planning_class::UNKNOWN
            } else {
                viz::planning_class::INFLATED
            });
        }
        Ok(PlanningMap {
            geometry,
            blocked,
            classes,
            unit,
            y_up,
        })
    }

    /// The queries' cells on the map (warehouse points resolved now), checked against it.
    pub(super) fn cells_on(&self, map: &PlanningMap) -> anyhow::Result<Vec<(Cell, Cell)>> {
        let mut out = Vec::new();
        for q in &self.queries {
            let cfg = &self.config.queries[q.index];
            let resolve = |what: &str, cell: Cell, v: Option<[f64; 2]>| -> anyhow::Result<Cell> {
                let field = format!("queries.{}.{what}", q.index);
                let c = match (&self.map, v) {
                    (MapSource::Warehouse(_), Some(v)) => {
                        map.geometry.world_to_cell(&Point2::new(v[0], v[1]))
                    }
                    _ => cell,
                };
                if !map.geometry.contains(c) {
                    return Err(self.source.invalid(&field, "is outside the map").into());
                }
                if map.is_blocked(c.x as usize, c.y as usize) {
                    let why = match map.classes[c.y as usize * map.width() + c.x as usize] {
                        viz::planning_class::UNKNOWN => {
                            "was never observed (set map.unknown_is_free to plan through it)"
                        }
                        viz::planning_class::INFLATED => {
                            "is within map.robot_radius of an obstacle"
                        }
                        _ => "is an obstacle in this map",
                    };
                    return Err(self
                        .source
                        .invalid(&field, format!("cell ({}, {}) {why}", c.x, c.y))
                        .into());
                }
                Ok(c)
            };
            let s = resolve("start", q.start, cfg.start)?;
            let g = resolve("goal", q.goal, cfg.goal)?;
            out.push((s, g));
        }
        Ok(out)
    }
}
