#!/usr/bin/env python3
"""Side-by-side cost of one particle-filter step (predict, update, systematic resampling):
NumPy + FilterPy 1.4.5 against Kestrel, on the problem of benches/particle.rs.

FilterPy has no particle-filter class; its book builds one from NumPy arrays and
`filterpy.monte_carlo.systematic_resample`. This script does the same, vectorised, on the bench's
problem:

- state [x, vx, y, vy], constant velocity, dt = 0.1 s, continuous white-noise acceleration with
  intensity q = 0.1 per axis: Q = q [[dt^3/3, dt^2/2], [dt^2/2, dt]] per axis, drawn as L e with
  L = chol(Q) and e standard normal;
- range-bearing measurement from the origin, sigma_range 0.5 m, sigma_bearing 0.01 rad, bearing
  residual wrapped to [-pi, pi), log-weights normalised by their maximum;
- systematic resampling every step, particles start from N(truth, diag(4, .25, 4, .25)).

Two Python variants: `filterpy` calls filterpy.monte_carlo.systematic_resample (a Python loop over
the particles), `numpy` replaces it with a vectorised searchsorted (the fastest Python form).
Each is timed over `--steps` steps, `--repeats` times; the script reports the median and the
fastest run per step. Kestrel is timed by criterion; the script reads its mean estimate and its
fastest sample (`particle_step_cv4_range_bearing/<n>` under <target>/criterion) and prints the
ratios. Run the bench first, in the same sitting:

    CARGO_TARGET_DIR=/work/target-light-a cargo bench -p kestrel --no-default-features \
        --bench particle -- particle_step_cv4_range_bearing
    python3 -m venv /work/venvs/particle
    /work/venvs/particle/bin/pip install -r tools/reference/requirements-particle.txt
    /work/venvs/particle/bin/python tools/compare/particle_numpy.py \
        --criterion /work/target-light-a/criterion
"""

import argparse
import json
import math
import os
import timeit

import filterpy
import numpy as np
from filterpy.monte_carlo import systematic_resample

DT = 0.1
Q_INTENSITY = 0.1
SIGMA_RANGE = 0.5
SIGMA_BEARING = 0.01


def model():
    f = np.eye(4)
    f[0, 1] = DT
    f[2, 3] = DT
    block = Q_INTENSITY * np.array([[DT**3 / 3, DT**2 / 2], [DT**2 / 2, DT]])
    q = np.zeros((4, 4))
    q[0:2, 0:2] = block
    q[2:4, 2:4] = block
    return f, np.linalg.cholesky(q)


class Filter:
    def __init__(self, n, resample, seed=42):
        self.rng = np.random.default_rng(seed)
        self.truth = np.array([50.0, 1.0, 20.0, 0.5])
        sd = np.sqrt(np.array([4.0, 0.25, 4.0, 0.25]))
        self.particles = self.truth + self.rng.standard_normal((n, 4)) * sd
        self.log_w = np.full(n, -math.log(n))
        self.f, self.l = model()
        self.resample = resample

    def measurement(self):
        self.truth = self.f @ self.truth
        x, y = self.truth[0], self.truth[2]
        return np.array(
            [
                math.hypot(x, y) + SIGMA_RANGE * self.rng.standard_normal(),
                math.atan2(y, x) + SIGMA_BEARING * self.rng.standard_normal(),
            ]
        )

    def step(self):
        z = self.measurement()
        n = len(self.particles)
        # predict
        self.particles = self.particles @ self.f.T + self.rng.standard_normal((n, 4)) @ self.l.T
        # update
        px, py = self.particles[:, 0], self.particles[:, 2]
        dr = z[0] - np.hypot(px, py)
        db = z[1] - np.arctan2(py, px)
        db = (db + np.pi) % (2 * np.pi) - np.pi
        self.log_w += -0.5 * ((dr / SIGMA_RANGE) ** 2 + (db / SIGMA_BEARING) ** 2)
        self.log_w -= self.log_w.max()
        w = np.exp(self.log_w)
        w /= w.sum()
        # resample
        idx = self.resample(w, self.rng)
        self.particles = self.particles[idx]
        self.log_w = np.full(n, -math.log(n))

    def position_error(self):
        w = np.exp(self.log_w)
        w /= w.sum()
        m = w @ self.particles
        return math.hypot(m[0] - self.truth[0], m[2] - self.truth[2])


def filterpy_systematic(w, _rng):
    return systematic_resample(w)


def numpy_systematic(w, rng):
    n = len(w)
    positions = (rng.random() + np.arange(n)) / n
    c = np.cumsum(w)
    c[-1] = 1.0
    return np.searchsorted(c, positions, side="right")


def time_python(n, resample, steps, repeats):
    pf = Filter(n, resample)
    pf.step()
    runs = timeit.repeat(pf.step, number=steps, repeat=repeats)
    assert pf.position_error() < 3.0, "python filter diverged"
    per_step = sorted(r / steps for r in runs)
    return per_step[len(per_step) // 2], per_step[0]


def criterion_times(root, n):
    base = os.path.join(root, "particle_step_cv4_range_bearing", str(n), "new")
    with open(os.path.join(base, "estimates.json")) as fh:
        mean = json.load(fh)["mean"]["point_estimate"] * 1e-9
    with open(os.path.join(base, "sample.json")) as fh:
        sample = json.load(fh)
    fastest = min(t / i for t, i in zip(sample["times"], sample["iters"])) * 1e-9
    return mean, fastest


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--criterion", help="criterion output directory of the Kestrel bench")
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    print(f"FilterPy {filterpy.__version__}, NumPy {np.__version__}")
    for n in [1_000, 10_000, 100_000]:
        steps = max(2, 200_000 // n)
        rows = []
        for name, resample in [("numpy", numpy_systematic), ("filterpy", filterpy_systematic)]:
            med, fast = time_python(n, resample, steps, args.repeats)
            rows.append((name, med, fast))
            print(f"n={n:>6} {name:>8}: median {med * 1e6:10.1f} us, fastest {fast * 1e6:10.1f} us")
        if args.criterion:
            mean, fast = criterion_times(args.criterion, n)
            print(f"n={n:>6}  kestrel: mean   {mean * 1e6:10.1f} us, fastest {fast * 1e6:10.1f} us")
            for name, med_py, fast_py in rows:
                print(
                    f"n={n:>6} {name:>8} / kestrel: median/mean {med_py / mean:6.1f}x, "
                    f"fastest/fastest {fast_py / fast:6.1f}x"
                )


if __name__ == "__main__":
    main()
