#!/usr/bin/env python3
"""Side-by-side cost of one Kalman-filter predict + update: FilterPy 2.0.0 against Kestrel.

The problem is the one in benches/kalman.rs: a 4-state constant-velocity filter [x, vx, y, vy],
dt = 1 s, Q = Q_discrete_white_noise(2, dt=1, var=0.1, block_size=2), position measurements with
R = I, the same cycle of 64 measurements, starting from x = [0, 1, 0, 0.5], P = 10 I.

FilterPy is timed here: `--repeats` runs of `--steps` predict+update pairs, reporting the per-step
time of the median run and of the fastest run, in wall-clock time and in the thread's CPU time
(time.thread_time_ns). Kestrel is timed by criterion in the same two ways (bench groups `kalman`
and `kalman_cpu`); the script reads criterion's estimate (estimates.json: the slope, as criterion
prints it) and its fastest sample (sample.json) and prints the ratios median/estimate and
fastest/fastest. On a machine shared with other work, wall-clock figures include time spent
waiting for a core and vary from run to run; the CPU-time figures do not. Run the bench first, in
the same sitting, then this script:

    CARGO_TARGET_DIR=target cargo bench -p kestrel --no-default-features --bench kalman
    /work/venvs/filterpy/bin/python tools/compare/filterpy_kalman.py --criterion target/criterion

Measured in one sitting on the 2-core development machine (shared with other builds, load 5-7),
2026-11-26: FilterPy 27.3-28.6 us of thread CPU time per predict+update (27.0-30.2 us wall-clock,
fastest/median run); Kestrel `kf_cv4_predict_update` 186 ns CPU (283 ns wall estimate, 187 ns
fastest sample): about 150x in CPU time and fastest/fastest wall-clock; the runtime-sized filter
about 26x. (The 66 us quoted for FilterPy in the shared anchors is 2.4x slower than FilterPy
measured here; against that figure Kestrel's ratio would be about 350x.)

"""

import argparse
import json
import math
import os
import time

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


def time_filterpy(steps, repeats, clock):
    """(median run, fastest run) in ns per predict+update, timed with `clock` (ns)."""
    zs = measurements()
    kf = make_filter()

    def run():
        for k in range(steps):
            kf.predict()
            kf.update(zs[k & 63])

    run()  # warm up
    per_step = []
    for _ in range(repeats):
        t0 = clock()
        run()
        per_step.append((clock() - t0) / steps)
    per_step.sort()
    return per_step[len(per_step) // 2], per_step[0]


def criterion_ns(root, group, name):
    """(estimate, fastest sample) in ns per iteration, or None."""
    base = os.path.join(root, group, name, "new")
    if not os.path.exists(os.path.join(base, "estimates.json")):
        return None
    with open(os.path.join(base, "estimates.json")) as f:
        est = json.load(f)
    # criterion prints the slope estimate (time per iteration) when it has one
    mean = (est.get("slope") or est["mean"])["point_estimate"]
    with open(os.path.join(base, "sample.json")) as f:
        sample = json.load(f)
    fastest = min(t / i for t, i in zip(sample["times"], sample["iters"]))
    return mean, fastest


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--criterion", default="target/criterion",
                    help="criterion output directory of the kalman bench")
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=50)
    args = ap.parse_args()

    found = False
    for label, group, clock in (("wall-clock", "kalman", time.perf_counter_ns),
                                ("thread CPU time", "kalman_cpu", time.thread_time_ns)):
        fp_median, fp_fastest = time_filterpy(args.steps, args.repeats, clock)
        print(f"[{label}] FilterPy {filterpy.__version__} (numpy {np.__version__}) KF 4-state CV "
              f"predict+update: median run {fp_median / 1000:.2f} us, "
              f"fastest run {fp_fastest / 1000:.2f} us")
        for name in ("kf_cv4_predict_update", "kf_cv4_predict_update_raw",
                     "dynamic_kf_cv4_predict_update"):
            ns = criterion_ns(args.criterion, group, name)
            if ns is None:
                continue
            found = True
            est, fastest = ns
            print(f"[{label}] Kestrel {name}: {est:.1f} ns (criterion estimate), fastest sample "
                  f"{fastest:.1f} ns  ->  FilterPy / Kestrel = {fp_median / est:.0f}x "
                  f"(median/estimate), {fp_fastest / fastest:.0f}x (fastest/fastest)")
    if not found:
        print(f"no criterion estimates under {args.criterion}: run the bench first")


if __name__ == "__main__":
    main()
