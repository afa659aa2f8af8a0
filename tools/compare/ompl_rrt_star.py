#!/usr/bin/env python3
"""OMPL 2.0.1 RRT and RRT* on Kestrel's sampling-planner benchmark scene, for a side-by-side
comparison with `cargo bench -p kestrel --no-default-features --bench planning_sampling_budget`.

Scene: tests/fixtures/planning_sampling/anchor_scene.json (box [0,10]^2, 5 circles, start
(0.5,0.5), goal (9.5,9.5)). Collision check identical to Kestrel's GeometricScene: a state is
invalid iff |q - c|^2 <= r^2 for some circle (closed discs) or q is outside the bounds; a motion
is invalid iff the squared distance from some centre to the segment is <= r^2 (exact, no
sampling along the segment), written in Python as a custom ompl.base.MotionValidator.

Planners use OMPL's defaults (range = 0.2 * extent, goal bias 0.05, RRT* rewire factor 1.1 with
k-nearest rewiring and delayed collision checking), plus RRT* with the radius rule
(setKNearest(False)), and InformedRRTstar (informed sampling, pruning) with its defaults.

For each of 10 seeds (one process per seed, as OMPL seeds its generators once per process):
  - RRT: time to first path (OMPL's plan computation time) and its length;
  - RRT*: time to first path (objective threshold = infinity, so it stops at the first one);
  - RRT*: best length after 0.1 s, 0.5 s, 1 s of planning (fresh run per budget) and the
    number of tree vertices.
Prints a table per seed and the medians.

Setup: python3 -m venv /work/venvs/ompl && /work/venvs/ompl/bin/pip install -r
tools/reference/requirements-ompl.txt; then /work/venvs/ompl/bin/python tools/compare/ompl_rrt_star.py
"""
import json
import math
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SCENE = os.path.join(HERE, "..", "..", "tests", "fixtures", "planning_sampling", "anchor_scene.json")
BUDGETS = [0.1, 0.5, 1.0]
# (result key, OMPL planner, k-nearest rewiring)
VARIANTS = [("rrtstar_k", "RRTstar", True), ("rrtstar_r", "RRTstar", False),
            ("informed", "InformedRRTstar", True)]
LABELS = [("rrtstar_k", "RRT* (k-nearest rewiring, OMPL's default)"),
          ("rrtstar_r", "RRT* (radius rewiring, setKNearest(False))"),
          ("informed", "InformedRRTstar (OMPL defaults)")]
SEEDS = list(range(10))


def load_scene():
    with open(SCENE) as f:
        scene = json.load(f)
    circles = [(c["center"][0], c["center"][1], c["radius"]) for c in scene["circles"]]
    return scene, circles


def worker(seed):
    from ompl import base as ob, geometric as og, util as ou

    ou.setLogLevel(ou.LogLevel.LOG_ERROR)
    ou.RNG.setSeed(seed)
    scene, circles = load_scene()
    lo, hi = scene["bounds"]["lower"], scene["bounds"]["upper"]

    def state_valid(s):
        x, y = s[0], s[1]
        if x < lo[0] or x > hi[0] or y < lo[1] or y > hi[1]:
            return False
        for cx, cy, r in circles:
            if (x - cx) ** 2 + (y - cy) ** 2 <= r * r:
                return False
        return True

    def segment_free(ax, ay, bx, by):
        dx, dy = bx - ax, by - ay
        len2 = dx * dx + dy * dy
        for cx, cy, r in circles:
            px, py = cx - ax, cy - ay
            t = 0.0 if len2 == 0.0 else min(1.0, max(0.0, (px * dx + py * dy) / len2))
            ex, ey = px - t * dx, py - t * dy
            if ex * ex + ey * ey <= r * r:
                return False
        return True

    class ExactMotionValidator(ob.MotionValidator):
        def __init__(self, si):
            super().__init__(si)

        def checkMotion(self, s1, s2, *rest):
            return state_valid(s2) and segment_free(s1[0], s1[1], s2[0], s2[1])

    def make(planner_name, k_nearest=True):
        space = ob.RealVectorStateSpace(2)
        bounds = ob.RealVectorBounds(2)
        for k in range(2):
            bounds.setLow(k, lo[k])
            bounds.setHigh(k, hi[k])
        space.setBounds(bounds)
        ss = og.SimpleSetup(space)
        ss.setStateValidityChecker(state_valid)
        si = ss.getSpaceInformation()
        mv = ExactMotionValidator(si)
        si.setMotionValidator(mv)
        start = space.allocState()
        goal = space.allocState()
        start[0], start[1] = scene["start"]
        goal[0], goal[1] = scene["goal"]
        ss.setStartAndGoalStates(start, goal)
        obj = ob.PathLengthOptimizationObjective(si)
        ss.setOptimizationObjective(obj)
        if planner_name == "RRT":
            planner = og.RRT(si)
        elif planner_name == "InformedRRTstar":
            planner = og.InformedRRTstar(si)
        else:
            planner = og.RRTstar(si)
            planner.setKNearest(k_nearest)
        ss.setPlanner(planner)
        ss.setup()
        # keep Python-side objects alive with the setup
        return ss, planner, si, obj, (mv, start, goal, space, bounds)

    def vertices(planner, si):
        pd = ob.PlannerData(si)
        planner.getPlannerData(pd)
        return pd.numVertices()

    out = {"seed": seed}
    ss, planner, si, obj, keep = make("RRT")
    ss.solve(10.0)
    out["rrt_first_s"] = ss.getLastPlanComputationTime()
    out["rrt_cost"] = ss.getSolutionPath().length() if ss.haveExactSolutionPath() else math.inf

    for tag, name, k_nearest in VARIANTS:
        ss, planner, si, obj, keep = make(name, k_nearest)
        obj.setCostThreshold(ob.Cost(math.inf))
        ss.solve(10.0)
        out[tag + "_first_s"] = ss.getLastPlanComputationTime()
        for budget in BUDGETS:
            ss, planner, si, obj, keep = make(name, k_nearest)
            ss.solve(budget)
            cost = ss.getSolutionPath().length() if ss.haveExactSolutionPath() else math.inf
            out[f"{tag}_cost_{budget}"] = cost
            out[f"{tag}_vertices_{budget}"] = vertices(planner, si)
    print(json.dumps(out), flush=True)
    # nanobind reports leaks of OMPL objects at interpreter exit; leave without the teardown.
    os._exit(0)


def main():
    rows = []
    for seed in SEEDS:
        res = subprocess.run(
            [sys.executable, os.path.abspath(__file__), "--worker", str(seed)],
            capture_output=True, text=True, check=True,
        )
        line = [l for l in res.stdout.splitlines() if l.startswith("{")][-1]
        rows.append(json.loads(line))
    import ompl  # noqa: F401  (version banner only)

    print(f"OMPL {OMPL_VERSION} on {SCENE}")
    for tag, label in LABELS:
        print(f"\n{label}")
        print("seed | RRT first [ms] | RRT cost | first [ms] | cost@0.1s | cost@0.5s | cost@1s | vertices@1s")
        for r in rows:
            print(f"{r['seed']:4d} | {1e3 * r['rrt_first_s']:14.3f} | {r['rrt_cost']:8.3f} | "
                  f"{1e3 * r[tag + '_first_s']:15.3f} | {r[tag + '_cost_0.1']:9.4f} | "
                  f"{r[tag + '_cost_0.5']:9.4f} | {r[tag + '_cost_1.0']:7.4f} | {r[tag + '_vertices_1.0']:11d}")
        med = lambda key: statistics.median(r[key] for r in rows)  # noqa: E731
        print(f"median | {1e3 * med('rrt_first_s'):12.3f} | {med('rrt_cost'):8.3f} | "
              f"{1e3 * med(tag + '_first_s'):15.3f} | {med(tag + '_cost_0.1'):9.4f} | "
              f"{med(tag + '_cost_0.5'):9.4f} | {med(tag + '_cost_1.0'):7.4f} | {med(tag + '_vertices_1.0'):11.0f}")


OMPL_VERSION = "2.0.1"

if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        worker(int(sys.argv[2]))
    else:
        main()
