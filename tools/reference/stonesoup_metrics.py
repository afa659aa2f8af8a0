"""Reference GOSPA / OSPA values from Stone Soup for kestrel::tracking::metrics.

Writes tests/fixtures/tracking/stonesoup_metrics.json: random 2-D truth and estimate sets
(including empty ones) with Stone Soup's GOSPA (alpha = 2: distance, localisation, missed,
false) for several (c, p), and its OSPA for p = 1 only (Stone Soup assigns OSPA on d instead of
d^p, which is wrong for p != 1; Kestrel's OSPA for p != 1 is checked against brute force).

Also prints Stone Soup's time per GOSPA evaluation for 200 truths / 200 estimates, for the
comparison with benches/tracking.rs (run both in one sitting).

Run: /work/venvs/tracking/bin/python tools/reference/stonesoup_metrics.py
(pinned versions: tools/reference/requirements-tracking.txt)
"""
import datetime
import json
import os
import time

import numpy as np
import stonesoup
from stonesoup.measures import Euclidean
from stonesoup.metricgenerator.ospametric import GOSPAMetric, OSPAMetric
from stonesoup.types.array import StateVector
from stonesoup.types.state import State

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "tracking",
                   "stonesoup_metrics.json")
T0 = datetime.datetime(2024, 1, 1)


def states(points):
    return [State(StateVector([float(x), float(y)]), timestamp=T0) for x, y in points]


def gospa(truth, est, c, p):
    g = GOSPAMetric(c=c, p=p, measure=Euclidean())
    metric, _ = g.compute_gospa_metric(states(est), states(truth))
    v = metric.value
    return {k: float(v[k]) for k in ("distance", "localisation", "missed", "false")}


def ospa(truth, est, c, p):
    o = OSPAMetric(c=c, p=p, measure=Euclidean())
    return float(o.compute_OSPA_distance(states(est), states(truth)).value)


def main():
    rng = np.random.default_rng(4242)
    cases = []
    sets = [([(0, 0), (10, 0)], [(1, 0), (10, 2), (50, 50)])]  # conventions.md check values
    for k in range(40):
        nt = int(rng.integers(0, 9))
        ne = int(rng.integers(0, 9))
        if k < 4:
            nt, ne = [(0, 3), (3, 0), (0, 0), (1, 1)][k]
            if nt == ne == 0:
                continue  # Stone Soup needs at least one state to know the time
        spread = float(rng.choice([5.0, 20.0, 60.0]))
        truth = rng.uniform(0, spread, (nt, 2)).round(3)
        est = (truth[:ne] + rng.normal(0, 2.0, (min(nt, ne), 2))).round(3).tolist()
        est += rng.uniform(0, spread, (max(0, ne - nt), 2)).round(3).tolist()
        rng.shuffle(est)
        sets.append((truth.tolist(), est))
    for truth, est in sets:
        for (c, p) in [(5.0, 1.0), (5.0, 2.0), (20.0, 2.0), (10.0, 3.0), (3.0, 1.5)]:
            case = {"truth": truth, "estimates": est, "c": c, "p": p,
                    "gospa": gospa(truth, est, c, p)}
            if p == 1.0 and (truth or est):
                case["ospa"] = ospa(truth, est, c, p)
            cases.append(case)
    meta = {"generator": "tools/reference/stonesoup_metrics.py",
            "stonesoup": stonesoup.__version__, "numpy": np.__version__, "cases": cases}
    with open(OUT, "w") as f:
        json.dump(meta, f, indent=None, separators=(",", ":"))
    print(f"wrote {len(cases)} cases to {os.path.normpath(OUT)}")

    # timing: 200 truths, 200 estimates (same construction as the criterion bench)
    truth = rng.uniform(0, 1000, (200, 2))
    est = truth + rng.normal(0, 5.0, (200, 2))
    st, se = states(truth), states(est)
    g = GOSPAMetric(c=10.0, p=2.0, measure=Euclidean())
    reps = 5
    t = time.perf_counter()
    for _ in range(reps):
        g.compute_gospa_metric(se, st)
    dt = (time.perf_counter() - t) / reps
    print(f"Stone Soup {stonesoup.__version__} GOSPA 200x200: {dt * 1e3:.1f} ms per evaluation")


if __name__ == "__main__":
    main()
