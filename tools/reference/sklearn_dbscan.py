"""Reference DBSCAN labels from scikit-learn for kestrel::tracking::Dbscan.

Writes tests/fixtures/tracking/sklearn_dbscan.json: point sets (2-D blobs with clutter,
two moons, 3-D blobs, exact duplicates, points on the eps boundary) with several (eps,
min_samples), and scikit-learn's labels (-1 = noise) and core-sample flags. Core-point labels
are unique up to relabelling; a border point reachable from two clusters may legitimately join
either, so the test checks borders against the clusters of their core neighbours.

Run: /work/venvs/tracking/bin/python tools/reference/sklearn_dbscan.py
(pinned versions: tools/reference/requirements-tracking.txt)
"""
import json
import os

import numpy as np
import sklearn
from sklearn.cluster import DBSCAN
from sklearn.datasets import make_blobs, make_moons

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "tracking",
                   "sklearn_dbscan.json")


def case(name, x, eps, min_samples):
    db = DBSCAN(eps=eps, min_samples=min_samples).fit(x)
    core = np.zeros(len(x), dtype=bool)
    core[db.core_sample_indices_] = True
    return {"name": name, "dim": int(x.shape[1]), "eps": eps, "min_samples": min_samples,
            "points": [[float(v) for v in p] for p in x],
            "labels": [int(v) for v in db.labels_], "core": [bool(v) for v in core]}


def main():
    rng = np.random.default_rng(123)
    cases = []
    x, _ = make_blobs(n_samples=300, centers=5, cluster_std=0.8, random_state=1)
    x = np.vstack([x, rng.uniform(x.min(0) - 2, x.max(0) + 2, (60, 2))]).round(4)
    for eps, ms in [(0.5, 5), (0.8, 4), (1.2, 10), (0.3, 3), (2.0, 1)]:
        cases.append(case(f"blobs2d_eps{eps}_ms{ms}", x, eps, ms))
    x, _ = make_moons(n_samples=250, noise=0.07, random_state=2)
    x = x.round(5)
    for eps, ms in [(0.1, 4), (0.2, 5), (0.05, 3)]:
        cases.append(case(f"moons_eps{eps}_ms{ms}", x, eps, ms))
    x, _ = make_blobs(n_samples=400, n_features=3, centers=4, cluster_std=1.0, random_state=3)
    x = np.vstack([x, rng.uniform(-12, 12, (80, 3))]).round(4)
    for eps, ms in [(0.9, 6), (1.5, 8)]:
        cases.append(case(f"blobs3d_eps{eps}_ms{ms}", x, eps, ms))
    # exact duplicates and a lattice with spacing equal to eps (boundary inclusion, d <= eps)
    dup = np.vstack([np.zeros((30, 2)), np.full((5, 2), 3.0), [[10.0, 10.0]]])
    cases.append(case("duplicates", dup, 0.5, 5))
    grid = np.array([[i * 0.5, j * 0.5] for i in range(8) for j in range(3)])
    cases.append(case("lattice_on_eps", grid, 0.5, 5))
    meta = {"generator": "tools/reference/sklearn_dbscan.py", "sklearn": sklearn.__version__,
            "numpy": np.__version__, "cases": cases}
    with open(OUT, "w") as f:
        json.dump(meta, f, separators=(",", ":"))
    print(f"wrote {len(cases)} cases to {os.path.normpath(OUT)}")
    for c in cases:
        labels = np.array(c["labels"])
        print(c["name"], "clusters", labels.max() + 1, "noise", int((labels < 0).sum()),
              "core", int(np.sum(c["core"])))


if __name__ == "__main__":
    main()
