#!/usr/bin/env python3
"""Side-by-side cost of one Kalman-filter predict + update: FilterPy 2.0.0 against Kestrel.

The problem is the one in benches/kalman.rs: a 4-state constant-velocity filter [x, vx, y, vy],
dt = 1 s, Q = Q_discrete_white_noise(2, dt=1, var=0.1, block_size=2), position measurements with
R = I, the same cycle of 64 measurements, starting from x = [0, 1, 0, 0.5], P = 10 I.

FilterPy is timed here (best of several repeats of N predict+update pairs, per-step mean). Kestrel
is timed by criterion; run the bench first, in the same sitting, then this script:

    CARGO_TARGET_DIR=target cargo bench -p kestrel --no-default-features --bench kalman
    /work/venvs/filterpy/bin/python tools/compare/filterpy_kalman.py --criterion target/criterion

The script reads criterion's estimates (kalman/<name>/new/estimates.json, mean point estimate)
and prints the ratio FilterPy / Kestrel for each Kestrel variant.
"""

import argparse
import json
import math
import os
import timeit

import filterpy
import numpy as np
from filterpy.common import Q_discrete_white_noise
from filterpy.kalman import KalmanFilter


def measurements():
    out = []
    for k in range(64):
        t = float(k % 64)
        out.append(np.array([[t + 0.3 * math.sin(t * 1.7)], [0.5 * t + 0.3 * math.cos(t * 2.3)]]))
    return out


def make_filter():
    kf = KalmanFilter(dim_x=4, dim_z=2)
    kf.x = np.array([[0.0], [1.0], [0.0], [0.5]])
    kf.P = np.eye(4) * 10.0
    kf.F = np.array([[1.0, 1.0, 0, 0], [0, 1.0, 0, 0], [0, 0, 1.0, 1.0], [0, 0, 0, 1.0]])
    kf.Q = Q_discrete_white_noise(2, dt=1.0, var=0.1, block_size=2)
    kf.H = np.array([[1.0, 0, 0, 0], [0, 0, 1.0, 0]])
    kf.R = np.eye(2)
    return kf


def time_filterpy(steps, repeats):
    zs = measurements()
    kf = make_filter()

    def run():
        for k in range(steps):
            kf.predict()
            kf.update(zs[k & 63])

    run()  # warm up
    best = min(timeit.repeat(run, number=1, repeat=repeats))
    return best / steps * 1e9  # ns per predict+update


def criterion_ns(root, name):
    path = os.path.join(root, "kalman", name, "new", "estimates.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)["mean"]["point_estimate"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--criterion", default="target/criterion",
                    help="criterion output directory of the kalman bench")
    ap.add_argument("--steps", type=int, default=20000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()

    fp = time_filterpy(args.steps, args.repeats)
    print(f"FilterPy {filterpy.__version__} (numpy {np.__version__}) KF 4-state CV predict+update: "
          f"{fp / 1000:.2f} us")
    found = False
    for name in ("kf_cv4_predict_update", "kf_cv4_predict_update_raw",
                 "dynamic_kf_cv4_predict_update"):
        ns = criterion_ns(args.criterion, name)
        if ns is None:
            continue
        found = True
        print(f"Kestrel {name}: {ns:.1f} ns  ->  FilterPy / Kestrel = {fp / ns:.0f}x")
    if not found:
        print(f"no criterion estimates under {args.criterion}/kalman: run the bench first")


if __name__ == "__main__":
    main()
