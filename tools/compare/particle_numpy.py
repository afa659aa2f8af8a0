#!/usr/bin/env python3
"""Side-by-side cost of one particle-filter step (predict, update, systematic resampling):
NumPy + FilterPy against Kestrel, on the problems of benches/particle.rs.

FilterPy has no particle-filter class; its book builds one from NumPy arrays and
`filterpy.monte_carlo.systematic_resample`. This script does the same, vectorised, on the bench's
problems:

- state [x, vx, y, vy], constant velocity, dt = 0.1 s, continuous white-noise acceleration with
  intensity q = 0.1 per axis: Q = q [[dt^3/3, dt^2/2], [dt^2/2, dt]] per axis, drawn as L e with
  L = chol(Q) and e standard normal;
- `range_bearing`: range and bearing from the origin, sigma_range 0.5 m, sigma_bearing 0.01 rad,
  bearing residual wrapped to [-pi, pi); `position`: the position with sigma 0.5 m per axis;
  log-weights normalised by their maximum;
- systematic resampling every step, particles start from N(truth, diag(4, .25, 4, .25)).

Two Python variants: `filterpy` calls filterpy.monte_carlo.systematic_resample (a Python loop over
the particles), `numpy` replaces it with a vectorised searchsorted (the fastest Python form).
Each is timed over `--steps` steps, `--repeats` times, in wall-clock time and in the thread's CPU
time (time.thread_time_ns; BLAS is limited to one thread so that the CPU time is all of the work,
as Kestrel's step is single-threaded); the script reports the median and the fastest run per step.
Kestrel is timed by criterion the same two ways (groups `particle_step_cv4_<measurement>` and
`..._cpu`); the script reads its estimate (the slope, as criterion prints it) and its fastest
sample and prints the ratios. On a machine shared with other work the CPU-time figures are the
stable ones. Run the bench first, in the same sitting:

    CARGO_TARGET_DIR=/work/target-light-a cargo bench -p kestrel --no-default-features \
        --bench particle -- particle_step
    python3 -m venv /work/venvs/filterpy
    /work/venvs/filterpy/bin/pip install -r tools/reference/requirements.txt
    /work/venvs/filterpy/bin/python tools/compare/particle_numpy.py \
        --criterion /work/target-light-a/criterion
"""

import os

# One BLAS thread: the CPU time of this thread is then the whole cost (set before numpy loads).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import json
import math
import time

import filterpy
import numpy as np
from filterpy.monte_carlo import systematic_resample

DT = 0.1
Q_INTENSITY = 0.1
SIGMA_RANGE = 0.5
SIGMA_BEARING = 0.01
SIGMA_POSITION = 0.5


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
    def __init__(self, n, resample, measurement, seed=42):
        self.rng = np.random.default_rng(seed)
        self.truth = np.array([50.0, 1.0, 20.0, 0.5])
        sd = np.sqrt(np.array([4.0, 0.25, 4.0, 0.25]))
        self.particles = self.truth + self.rng.standard_normal((n, 4)) * sd
        self.log_w = np.full(n, -math.log(n))
        self.f, self.l = model()
        self.resample = resample
        self.radar = measurement == "range_bearing"

    def measurement(self):
        self.truth = self.f @ self.truth
        x, y = self.truth[0], self.truth[2]
        if self.radar:
            return np.array(
                [
                    math.hypot(x, y) + SIGMA_RANGE * self.rng.standard_normal(),
                    math.atan2(y, x) + SIGMA_BEARING * self.rng.standard_normal(),
                ]
            )
        return np.array([x, y]) + SIGMA_POSITION * self.rng.standard_normal(2)

    def step(self):
        z = self.measurement()
        n = len(self.particles)
        # predict
        self.particles = self.particles @ self.f.T + self.rng.standard_normal((n, 4)) @ self.l.T
        # update
        px, py = self.particles[:, 0], self.particles[:, 2]
        if self.radar:
            dr = z[0] - np.hypot(px, py)
            db = z[1] - np.arctan2(py, px)
            db = (db + np.pi) % (2 * np.pi) - np.pi
            self.log_w += -0.5 * ((dr / SIGMA_RANGE) ** 2 + (db / SIGMA_BEARING) ** 2)
        else:
            self.log_w += -0.5 * (((z[0] - px) / SIGMA_POSITION) ** 2
                                  + ((z[1] - py) / SIGMA_POSITION) ** 2)
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


def time_python(n, resample, measurement, steps, repeats, clock):
    """(median run, fastest run) in seconds per step, timed with `clock` (ns)."""
    pf = Filter(n, resample, measurement)
    pf.step()
    runs = []
    for _ in range(repeats):
        t0 = clock()
        for _ in range(steps):
            pf.step()
        runs.append((clock() - t0) * 1e-9 / steps)
    assert pf.position_error() < 3.0, "python filter diverged"
    runs.sort()
    return runs[len(runs) // 2], runs[0]


def criterion_times(root, group, n):
    """(estimate, fastest sample) in seconds per step, or None."""
    base = os.path.join(root, group, str(n), "new")
    if not os.path.exists(os.path.join(base, "estimates.json")):
        return None
    with open(os.path.join(base, "estimates.json")) as fh:
        est = json.load(fh)
    mean = (est.get("slope") or est["mean"])["point_estimate"] * 1e-9
    with open(os.path.join(base, "sample.json")) as fh:
        sample = json.load(fh)
    fastest = min(t / i for t, i in zip(sample["times"], sample["iters"])) * 1e-9
    return mean, fastest


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--criterion", help="criterion output directory of the Kestrel bench")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--measurements", default="range_bearing,position")
    args = ap.parse_args()
    print(f"FilterPy {filterpy.__version__}, NumPy {np.__version__}")
    for measurement in args.measurements.split(","):
        for n in [int(v) for v in args.sizes.split(",")]:
            steps = max(2, 200_000 // n)
            for label, clock, suffix in (("wall", time.perf_counter_ns, ""),
                                         ("cpu", time.thread_time_ns, "_cpu")):
                rows = []
                for name, resample in [("numpy", numpy_systematic),
                                       ("filterpy", filterpy_systematic)]:
                    med, fast = time_python(n, resample, measurement, steps, args.repeats, clock)
                    rows.append((name, med, fast))
                    print(f"[{label}] {measurement} n={n:>6} {name:>8}: median {med * 1e6:10.1f} us,"
                          f" fastest {fast * 1e6:10.1f} us")
                if not args.criterion:
                    continue
                group = f"particle_step_cv4_{measurement}{suffix}"
                times = criterion_times(args.criterion, group, n)
                if times is None:
                    print(f"[{label}] no criterion estimate for {group}/{n}: run the bench")
                    continue
                mean, fast = times
                print(f"[{label}] {measurement} n={n:>6}  kestrel: estimate {mean * 1e6:8.1f} us, "
                      f"fastest {fast * 1e6:10.1f} us")
                for name, med_py, fast_py in rows:
                    print(f"[{label}] {measurement} n={n:>6} {name:>8} / kestrel: median/estimate "
                          f"{med_py / mean:6.1f}x, fastest/fastest {fast_py / fast:6.1f}x")


if __name__ == "__main__":
    main()
