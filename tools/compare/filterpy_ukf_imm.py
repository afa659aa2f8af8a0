#!/usr/bin/env python3
"""Side-by-side cost of a UKF predict + update and of an IMM (2 KFs) predict + update: FilterPy
2.0.0 against Kestrel, on the problems of benches/unscented_imm.rs.

- UKF: 4-state constant velocity [x, vx, y, vy], dt = 1 s,
  Q = Q_discrete_white_noise(2, dt=1, var=0.1, block_size=2), fx = F x, position measurement
  hx = [x, y] with R = I, Merwe points (alpha 0.1, beta 2, kappa -1), x = [0, 1, 0, 0.5], P = 10 I.
  Kestrel bench: unscented_imm/ukf_cv4_position.
- IMM: two such constant-velocity Kalman filters with acceleration variances 0.01 and 2.0,
  H = position, R = I, transition [[0.97, 0.03], [0.03, 0.97]], mu = [0.5, 0.5].
  Kestrel bench: unscented_imm/imm2_kf_cv4.

Both run the same cycle of 64 position measurements. FilterPy is timed here (best of several
repeats of N steps, per-step mean); Kestrel by criterion (mean point estimate). With --bench the
script runs the criterion bench itself between two FilterPy timings, so that both are measured in
one sitting:

    python3 -m venv v && v/bin/pip install -r tools/reference/requirements.txt
    v/bin/python tools/compare/filterpy_ukf_imm.py --bench --target /work/target-light-a

Without --bench it reads the estimates of an earlier `cargo bench ... --bench unscented_imm`
under <target>/criterion.
"""

import argparse
import json
import math
import os
import subprocess
import timeit

import filterpy
import numpy as np
from filterpy.common import Q_discrete_white_noise
from filterpy.kalman import (IMMEstimator, KalmanFilter, MerweScaledSigmaPoints,
                             UnscentedKalmanFilter)

F = np.array([[1.0, 1.0, 0, 0], [0, 1.0, 0, 0], [0, 0, 1.0, 1.0], [0, 0, 0, 1.0]])
H = np.array([[1.0, 0, 0, 0], [0, 0, 1.0, 0]])


def measurements():
    out = []
    for k in range(64):
        t = float(k)
        out.append(np.array([t + 0.3 * math.sin(t * 1.7), 0.5 * t + 0.3 * math.cos(t * 2.3)]))
    return out


def make_ukf():
    def fx(x, dt):
        return F @ x

    def hx(x):
        return np.array([x[0], x[2]])

    points = MerweScaledSigmaPoints(4, alpha=0.1, beta=2.0, kappa=-1.0)
    ukf = UnscentedKalmanFilter(dim_x=4, dim_z=2, dt=1.0, hx=hx, fx=fx, points=points)
    ukf.x = np.array([0.0, 1.0, 0.0, 0.5])
    ukf.P = np.eye(4) * 10.0
    ukf.Q = Q_discrete_white_noise(2, dt=1.0, var=0.1, block_size=2)
    ukf.R = np.eye(2)
    return ukf


def make_imm():
    filters = []
    for var in (0.01, 2.0):
        kf = KalmanFilter(dim_x=4, dim_z=2)
        kf.x = np.array([0.0, 1.0, 0.0, 0.5])
        kf.P = np.eye(4) * 10.0
        kf.F = F.copy()
        kf.Q = Q_discrete_white_noise(2, dt=1.0, var=var, block_size=2)
        kf.H = H.copy()
        kf.R = np.eye(2)
        filters.append(kf)
    return IMMEstimator(filters, np.array([0.5, 0.5]), np.array([[0.97, 0.03], [0.03, 0.97]]))


def time_steps(make, steps, repeats):
    """Best-of-`repeats` mean time of one predict + update, in ns."""
    zs = measurements()
    est = make()

    def run():
        for k in range(steps):
            est.predict()
            est.update(zs[k & 63])

    run()  # warm up
    return min(timeit.repeat(run, number=1, repeat=repeats)) / steps * 1e9


def criterion_ns(root, name):
    path = os.path.join(root, "unscented_imm", name, "new", "estimates.json")
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        return json.load(fh)["mean"]["point_estimate"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", default="target", help="cargo target directory")
    ap.add_argument("--bench", action="store_true",
                    help="run the criterion bench between two FilterPy timings")
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()

    cases = [("UKF 4-state CV, position", make_ukf, "ukf_cv4_position"),
             ("IMM of 2 KFs, 4-state CV", make_imm, "imm2_kf_cv4")]
    before = {name: time_steps(make, args.steps, args.repeats) for _, make, name in cases}
    if args.bench:
        env = dict(os.environ, CARGO_TARGET_DIR=args.target)
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
        subprocess.run(["cargo", "bench", "-p", "kestrel", "--no-default-features", "--bench",
                        "unscented_imm", "--", "ukf_cv4_position|imm2_kf_cv4"],
                       cwd=root, env=env, check=True, stdout=subprocess.DEVNULL)
        after = {name: time_steps(make, args.steps, args.repeats) for _, make, name in cases}
    else:
        after = before
    print(f"FilterPy {filterpy.__version__} (numpy {np.__version__}) against Kestrel "
          f"(criterion estimates under {args.target}/criterion)")
    for label, _, name in cases:
        fp = 0.5 * (before[name] + after[name])
        ns = criterion_ns(os.path.join(args.target, "criterion"), name)
        line = (f"{label}: FilterPy {fp / 1000:.1f} us (runs {before[name] / 1000:.1f} and "
                f"{after[name] / 1000:.1f})")
        if ns is None:
            print(line + f"; no Kestrel estimate for unscented_imm/{name}: run the bench")
        else:
            print(line + f"; Kestrel {ns:.0f} ns; FilterPy / Kestrel = {fp / ns:.0f}x")


if __name__ == "__main__":
    main()
