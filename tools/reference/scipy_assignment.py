"""Reference assignments from scipy.optimize.linear_sum_assignment for kestrel::tracking.

Writes tests/fixtures/tracking/scipy_assignment.json. Every case holds a row-major cost
matrix (null = +inf, a forbidden pair) and SciPy's answer (row and column indices), or
"infeasible": true when SciPy rejects the matrix as infeasible.

Cases: random real matrices (square, wide, tall), integer matrices with few distinct values
(many ties, the hard part for identical tie-breaking), forbidden entries, constant matrices,
and the GNN formulation [C | diag(a)] (off-diagonal +inf) used by solve_with_unassigned.

Run: /work/venvs/tracking/bin/python tools/reference/scipy_assignment.py
(pinned versions: tools/reference/requirements-tracking.txt)
"""
import json
import os
import time

import numpy as np
import scipy
from scipy.optimize import linear_sum_assignment

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "tracking",
                   "scipy_assignment.json")


def encode(m):
    return [None if np.isinf(v) else float(v) for v in m.ravel()]


def solve(name, m, extra=None):
    case = {"name": name, "nrows": int(m.shape[0]), "ncols": int(m.shape[1]), "costs": encode(m)}
    try:
        r, c = linear_sum_assignment(m)
        case.update(infeasible=False, rows=[int(x) for x in r], cols=[int(x) for x in c],
                    cost=float(m[r, c].sum()))
    except ValueError as e:
        assert "infeasible" in str(e), e
        case.update(infeasible=True, rows=[], cols=[], cost=None)
    if extra:
        case.update(extra)
    return case


def main():
    rng = np.random.default_rng(20240611)
    cases = []
    shapes = [(1, 1), (1, 6), (6, 1), (3, 3), (5, 5), (4, 9), (9, 4), (12, 12), (10, 25),
              (25, 10), (40, 40), (30, 55), (55, 30)]
    for (n, m) in shapes:
        for k in range(3):
            cases.append(solve(f"random_{n}x{m}_{k}", rng.uniform(0.0, 100.0, (n, m))))
    # negative and mixed-sign costs
    for (n, m) in [(6, 6), (5, 8), (8, 5)]:
        cases.append(solve(f"signed_{n}x{m}", rng.normal(0.0, 10.0, (n, m))))
    # integer costs with few distinct values: many ties
    for (n, m) in [(3, 3), (4, 4), (5, 5), (6, 6), (8, 8), (4, 7), (7, 4), (10, 10), (6, 15),
                   (15, 6), (20, 20), (25, 40), (40, 25)]:
        for hi in (2, 3, 5):
            for k in range(2):
                mat = rng.integers(0, hi, (n, m)).astype(float)
                cases.append(solve(f"ties_{n}x{m}_hi{hi}_{k}", mat))
    # constant matrices
    for (n, m) in [(4, 4), (3, 6), (6, 3)]:
        cases.append(solve(f"constant_{n}x{m}", np.full((n, m), 7.0)))
    # forbidden entries (+inf), some infeasible
    for (n, m) in [(4, 4), (5, 5), (6, 6), (5, 9), (9, 5), (12, 12), (10, 16), (16, 10)]:
        for frac in (0.3, 0.6, 0.85):
            for k in range(2):
                mat = rng.integers(0, 4, (n, m)).astype(float) if k else rng.uniform(0, 10, (n, m))
                mat[rng.random((n, m)) < frac] = np.inf
                cases.append(solve(f"forbidden_{n}x{m}_f{frac}_{k}", mat))
    # GNN formulation: [C | diag(a)] with +inf off the diagonal of the dummy block
    for (n, m) in [(3, 3), (5, 2), (2, 5), (8, 8), (10, 6), (6, 10), (15, 15)]:
        for k in range(3):
            if k == 2:
                c = rng.integers(0, 4, (n, m)).astype(float)
                a = np.full(n, 2.0)
            else:
                c = rng.uniform(0, 20, (n, m))
                a = rng.uniform(5, 15, n)
            c[rng.random((n, m)) < 0.4] = np.inf
            ext = np.full((n, m + n), np.inf)
            ext[:, :m] = c
            ext[np.arange(n), m + np.arange(n)] = a
            case = solve(f"unassigned_{n}x{m}_{k}", ext,
                         {"base_ncols": m, "row_unassigned": [float(x) for x in a]})
            cases.append(case)
    meta = {"generator": "tools/reference/scipy_assignment.py", "numpy": np.__version__,
            "scipy": scipy.__version__, "cases": cases}
    with open(OUT, "w") as f:
        json.dump(meta, f, separators=(",", ":"))
    print(f"wrote {len(cases)} cases to {os.path.normpath(OUT)}")

    # timing for the side-by-side comparison with benches/tracking.rs (assignment/lsap/*):
    # uniform(0, 100) costs, as in the bench; run both in one sitting
    for (n, m, reps) in [(50, 270, 500), (900, 900, 5)]:
        c = rng.uniform(0.0, 100.0, (n, m))
        linear_sum_assignment(c)
        t = time.perf_counter()
        for _ in range(reps):
            linear_sum_assignment(c)
        dt = (time.perf_counter() - t) / reps
        print(f"SciPy {scipy.__version__} linear_sum_assignment {n}x{m}: {dt * 1e3:.3f} ms")


if __name__ == "__main__":
    main()
