#!/usr/bin/env python3
"""Side by side: Kestrel's shooting MPC against CasADi + IPOPT on the sine-lane benchmark.

The benchmark (anchors.md, "MPC"): a kinematic bicycle tracks y = 3 sin(2 pi x / 40) at 6 m/s,
horizon 20, 150 closed-loop steps with warm start; the conventions are pinned in
tools/reference/casadi_lane_tracking.py and reproduced by scenarios/control/lane_tracking.toml.

In one sitting on this machine, for each repeat, this script runs

1. the CasADi reference, `tools/reference/casadi_lane_tracking.py --no-write` (multiple
   shooting, IPOPT with default options), which prints the closed-loop cost and the median wall
   time of the CasADi solver call per closed-loop step; and
2. the Kestrel scenario, `kestrel run scenarios/control/lane_tracking.toml --no-viz`, whose JSON
   report holds the closed-loop cost (`metrics.mpc.closed_loop_cost`) and the median wall time of
   `ShootingMpc::solve` per closed-loop step (`timings.mpc.solve_ms_median`),

then prints both medians, both closed-loop costs and the ratio of the medians (IPOPT / Kestrel),
per repeat and as the median over the repeats. Both figures time the solve of each step only
(reference updates and plant steps are outside the timed region in both programs). The script
exits with status 1 if the closed-loop costs differ by more than 1 %, since a speed ratio means
nothing without equal results.

Measured in one sitting on the 2-core development machine (shared with other builds, load
average 6.9), 2026-11-26, 5 repeats: CasADi 3.8.2 + IPOPT median 3.57-5.20 ms per step (median
of repeats 3.951 ms; anchors.md quotes 3.37 ms), Kestrel median 27.5-28.5 us per step (27.8 us;
p95 114-120 us, the first steps of the run need the most iterations), both with closed-loop cost
429.2797 (difference +0.0000 %): Kestrel 142x faster per step (128-182x per repeat).

Usage:
    CARGO_TARGET_DIR=target cargo build --release -p kestrel-sims
    /work/venvs/casadi/bin/python tools/compare/casadi_mpc.py [--kestrel PATH] [--repeats 3]
(the venv: python3 -m venv /work/venvs/casadi &&
 /work/venvs/casadi/bin/pip install -r tools/reference/requirements-casadi.txt)
"""

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
REFERENCE = os.path.join(ROOT, "tools", "reference", "casadi_lane_tracking.py")
SCENARIO = os.path.join(ROOT, "scenarios", "control", "lane_tracking.toml")


def default_kestrel():
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    return os.path.join(target, "release", "kestrel")


def run_casadi():
    """Runs the reference script; returns (median solve ms, closed-loop cost)."""
    out = subprocess.run(
        [sys.executable, REFERENCE, "--no-write"], check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout
    cost = re.search(r"closed-loop cost: ([0-9.]+)", out)
    median = re.search(r"median solve time per step: ([0-9.]+) ms", out)
    if not (cost and median):
        raise SystemExit(f"unexpected output of {REFERENCE}:\n{out}")
    return float(median.group(1)), float(cost.group(1))


def run_kestrel(binary, out_dir):
    """Runs the Kestrel scenario; returns (median solve ms, p95 solve ms, closed-loop cost, median iterations)."""
    subprocess.run(
        [binary, "run", SCENARIO, "--no-viz", "--out", out_dir],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    with open(os.path.join(out_dir, "lane_tracking.json")) as fh:
        report = json.load(fh)
    timings, metrics = report["timings"]["mpc"], report["metrics"]["mpc"]
    return (
        timings["solve_ms_median"],
        timings["solve_ms_p95"],
        metrics["closed_loop_cost"],
        metrics["iterations_median"],
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kestrel", default=default_kestrel(), help="the kestrel binary (release build)")
    parser.add_argument("--repeats", type=int, default=3, help="closed loops per program (alternating)")
    args = parser.parse_args()
    if not os.path.exists(args.kestrel):
        raise SystemExit(f"{args.kestrel} not found: build it with `cargo build --release -p kestrel-sims`")

    import casadi  # noqa: F401  (fail early, with the venv's version in the header)

    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load average {load}")
    print(f"python {platform.python_version()}, casadi {casadi.__version__}; kestrel binary {args.kestrel}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="kestrel-casadi-mpc-") as out_dir:
        for r in range(args.repeats):
            ipopt_ms, ipopt_cost = run_casadi()
            k_ms, k_p95, k_cost, k_iter = run_kestrel(args.kestrel, out_dir)
            rows.append((ipopt_ms, ipopt_cost, k_ms, k_p95, k_cost, k_iter))
            print(
                f"repeat {r + 1}: CasADi+IPOPT median {ipopt_ms:.3f} ms/step (cost {ipopt_cost:.4f}); "
                f"Kestrel median {1e3 * k_ms:.1f} us/step, p95 {1e3 * k_p95:.1f} us (cost {k_cost:.4f}, "
                f"median {k_iter:g} iterations); ratio {ipopt_ms / k_ms:.0f}x"
            )

    ipopt_ms = statistics.median(r[0] for r in rows)
    k_ms = statistics.median(r[2] for r in rows)
    ipopt_cost, k_cost = rows[-1][1], rows[-1][4]
    rel = (k_cost - ipopt_cost) / ipopt_cost
    print()
    print("lane_tracking (150 closed-loop steps, horizon 20), median over repeats:")
    print(f"  CasADi + IPOPT (multiple shooting): median solve {ipopt_ms:.3f} ms per step, closed-loop cost {ipopt_cost:.4f}")
    print(f"  Kestrel ShootingMpc (dense BFGS):   median solve {1e3 * k_ms:.1f} us per step, closed-loop cost {k_cost:.4f}")
    print(f"  closed-loop cost difference {100 * rel:+.4f} %; Kestrel is {ipopt_ms / k_ms:.0f}x faster per step")
    if abs(rel) > 0.01:
        print("closed-loop costs differ by more than 1 %: the timings are not comparable", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
