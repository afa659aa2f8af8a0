#!/usr/bin/env python3
"""Reference for Kestrel's lane-tracking MPC benchmark: CasADi + IPOPT, multiple shooting.

The benchmark (anchors.md, "MPC"): a kinematic bicycle with wheelbase L = 2.5 m, state
[x, y, psi, v] and input [a, delta],

    x' = v cos psi,  y' = v sin psi,  psi' = v tan(delta) / L,  v' = a,

discretised with one classical RK4 step of dt = 0.1 s, tracks the lane y = 3 sin(2 pi x / 40)
at 6 m/s with a horizon of N = 20 steps, |a| <= 3 m/s^2, |delta| <= 0.5 rad, in a 150-step
closed loop with a warm start from the shifted previous solution.

The anchor does not pin every detail. These choices reproduce its closed-loop cost
(429.27 quoted; this script prints 429.2797, i.e. the quoted value truncated), found by
running every combination of the alternatives listed below through this script:

* Reference: time-indexed. At closed-loop step j, horizon stage k refers to the absolute
  time t = (j + k) dt; the reference point moves along x at v_ref = 6 m/s from x = 0:
  x_ref = 6 t, y_ref = 3 sin(2 pi x_ref / 40), psi_ref = atan(dy/dx at x_ref), v_ref = 6.
  (Rejected: projecting the predicted x onto the lane, 73.9; a reference starting at the
  car's current x and advancing 0.6 m per stage, 100.2.)
* Start: x0 = [0, 1, 0, 3]: 1 m to the left of the lane at x = 0, heading along +x (psi = 0,
  not the lane heading, which gives 440.77), 3 m/s. (y0 = -1 gives 1007.3.)
* "delta change" for the first stage is measured against the steering applied at the
  previous closed-loop step (0 before the first step). (Not penalising it: 429.99.)
* Horizon cost (Bolza form, x_0 is the measured state and fixed):
      J = sum_{k=0}^{N-1} [ s(x_k, r_k) + 0.1 a_k^2 + delta_k^2 + 10 (delta_k - delta_{k-1})^2 ]
          + 10 s(x_N, r_N),
      s(x, r) = 10 |p - p_ref|^2 + (psi - psi_ref)^2 + (v - v_ref)^2.
  (Putting the state cost on x_{k+1} instead gives the same optimum: s(x_0) is a constant.)
* Closed-loop cost: sum over the 150 executed steps j of the stage cost at the state before
  the action, s(x_j, r_j) + 0.1 a_j^2 + delta_j^2 + 10 (delta_j - delta_{j-1})^2.
  (Evaluating the state cost after the action instead gives 410.10.)

Multiple shooting: decision variables X (4 x 21) and U (2 x 20), equality constraints
X_0 = x0 and X_{k+1} = RK4(X_k, U_k), box bounds on U; IPOPT with its default options
(tol 1e-8, exact Hessian), warm-started with the shifted previous primal solution.

Writes tests/fixtures/control/lane_tracking_ipopt.json with the closed-loop trajectory,
the actions, the per-step costs, the first open-loop optimum and the timings.

Usage:
    python3 -m venv /work/venvs/casadi
    /work/venvs/casadi/bin/pip install -r tools/reference/requirements-casadi.txt
    /work/venvs/casadi/bin/python tools/reference/casadi_lane_tracking.py [--out PATH]
"""

import argparse
import json
import math
import os
import platform
import statistics
import time

import casadi as ca
import numpy as np

WHEELBASE = 2.5
DT = 0.1
HORIZON = 20
STEPS = 150
A_MAX = 3.0
DELTA_MAX = 0.5
V_REF = 6.0
AMPLITUDE = 3.0
WAVELENGTH = 40.0
X0 = [0.0, 1.0, 0.0, 3.0]
W_POS, W_PSI, W_V, W_A, W_DELTA, W_RATE, TERMINAL = 10.0, 1.0, 1.0, 0.1, 1.0, 10.0, 10.0


def lane_y(x):
    return AMPLITUDE * math.sin(2.0 * math.pi * x / WAVELENGTH)


def lane_heading(x):
    return math.atan(AMPLITUDE * 2.0 * math.pi / WAVELENGTH * math.cos(2.0 * math.pi * x / WAVELENGTH))


def reference(step):
    """Reference [x, y, psi, v] at absolute step index `step` (time step * DT)."""
    xr = V_REF * DT * step
    return [xr, lane_y(xr), lane_heading(xr), V_REF]


def rk4_function():
    s = ca.SX.sym("s", 4)
    u = ca.SX.sym("u", 2)

    def rate(s, u):
        return ca.vertcat(s[3] * ca.cos(s[2]), s[3] * ca.sin(s[2]), s[3] / WHEELBASE * ca.tan(u[1]), u[0])

    k1 = rate(s, u)
    k2 = rate(s + DT / 2 * k1, u)
    k3 = rate(s + DT / 2 * k2, u)
    k4 = rate(s + DT * k3, u)
    return ca.Function("rk4", [s, u], [s + DT / 6 * (k1 + 2 * k2 + 2 * k3 + k4)])


def state_cost(x, r):
    return W_POS * ((x[0] - r[0]) ** 2 + (x[1] - r[1]) ** 2) + W_PSI * (x[2] - r[2]) ** 2 + W_V * (x[3] - r[3]) ** 2


def action_cost(u, delta_prev):
    return W_A * u[0] ** 2 + W_DELTA * u[1] ** 2 + W_RATE * (u[1] - delta_prev) ** 2


def build_solver(f):
    """Multiple-shooting NLP; parameters are x0 (4), delta_prev (1) and the references (N+1) x 4."""
    X = ca.SX.sym("X", 4, HORIZON + 1)
    U = ca.SX.sym("U", 2, HORIZON)
    P = ca.SX.sym("P", 5 + 4 * (HORIZON + 1))
    x0, delta_prev = P[0:4], P[4]
    refs = [P[5 + 4 * k : 9 + 4 * k] for k in range(HORIZON + 1)]
    cost = 0
    constraints = [X[:, 0] - x0]
    for k in range(HORIZON):
        constraints.append(X[:, k + 1] - f(X[:, k], U[:, k]))
        cost += state_cost(X[:, k], refs[k])
        cost += action_cost(U[:, k], delta_prev if k == 0 else U[1, k - 1])
    cost += TERMINAL * state_cost(X[:, HORIZON], refs[HORIZON])
    w = ca.vertcat(ca.vec(X), ca.vec(U))
    nlp = {"x": w, "f": cost, "g": ca.vertcat(*constraints), "p": P}
    opts = {"ipopt.print_level": 0, "print_time": 0, "ipopt.sb": "yes"}
    solver = ca.nlpsol("lane_mpc", "ipopt", nlp, opts)
    lbw = [-np.inf] * (4 * (HORIZON + 1)) + [-A_MAX, -DELTA_MAX] * HORIZON
    ubw = [np.inf] * (4 * (HORIZON + 1)) + [A_MAX, DELTA_MAX] * HORIZON
    return solver, lbw, ubw


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_out = os.path.join(here, "..", "..", "tests", "fixtures", "control", "lane_tracking_ipopt.json")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=default_out, help="fixture path (JSON)")
    parser.add_argument("--no-write", action="store_true", help="only print the figures")
    args = parser.parse_args()

    f = rk4_function()
    solver, lbw, ubw = build_solver(f)
    x = np.array(X0, dtype=float)
    delta_prev = 0.0
    w0 = np.concatenate([np.tile(x, HORIZON + 1), np.zeros(2 * HORIZON)])
    states, actions, stage_costs, wall_ms, iterations = [x.tolist()], [], [], [], []
    first_plan = None
    for j in range(STEPS):
        refs = sum((reference(j + k) for k in range(HORIZON + 1)), [])
        p = np.concatenate([x, [delta_prev], refs])
        t0 = time.perf_counter()
        sol = solver(x0=w0, p=p, lbx=lbw, ubx=ubw, lbg=0, ubg=0)
        wall_ms.append(1e3 * (time.perf_counter() - t0))
        stats = solver.stats()
        if not stats["success"]:
            raise SystemExit(f"IPOPT failed at step {j}: {stats['return_status']}")
        iterations.append(int(stats["iter_count"]))
        w = np.array(sol["x"]).ravel()
        xs = w[: 4 * (HORIZON + 1)].reshape(HORIZON + 1, 4)
        us = w[4 * (HORIZON + 1) :].reshape(HORIZON, 2)
        if j == 0:
            first_plan = {
                "x0": x.tolist(),
                "delta_prev": delta_prev,
                "cost": float(sol["f"]),
                "actions": us.tolist(),
                "states": xs.tolist(),
            }
        u = us[0]
        stage_costs.append(state_cost(x, reference(j)) + action_cost(u, delta_prev))
        x = np.array(f(x, u)).ravel()
        delta_prev = float(u[1])
        states.append(x.tolist())
        actions.append(u.tolist())
        w0 = np.concatenate([xs[1:].ravel(), xs[-1], us[1:].ravel(), us[-1]])

    total = float(sum(stage_costs))
    start = int(round(2.0 / DT))
    pos_err = [math.hypot(s[0] - reference(j)[0], s[1] - reference(j)[1]) for j, s in enumerate(states[:STEPS])]
    mean_err_after_2s = statistics.fmean(pos_err[start:])
    median_wall = statistics.median(wall_ms)
    print(f"closed-loop cost: {total:.4f} (anchor 429.27)")
    print(f"mean position error after 2 s: {mean_err_after_2s:.4f} m")
    print(f"median solve time per step: {median_wall:.3f} ms (wall time of the CasADi solver call)")
    print(f"median IPOPT iterations per step: {statistics.median(iterations)}")

    if args.no_write:
        return
    fixture = {
        "source": "tools/reference/casadi_lane_tracking.py",
        "peer": {"casadi": ca.__version__, "numpy": np.__version__, "python": platform.python_version(),
                 "solver": "ipopt (CasADi nlpsol, default options, multiple shooting)"},
        "problem": {
            "wheelbase": WHEELBASE, "dt": DT, "horizon": HORIZON, "steps": STEPS,
            "a_max": A_MAX, "delta_max": DELTA_MAX, "v_ref": V_REF,
            "lane": {"amplitude": AMPLITUDE, "wavelength": WAVELENGTH},
            "x0": X0,
            "weights": {"position": W_POS, "heading": W_PSI, "speed": W_V, "acceleration": W_A,
                        "steering": W_DELTA, "steering_rate": W_RATE, "terminal_factor": TERMINAL},
            "reference": "time-indexed: x_ref = v_ref * dt * (j + k), y_ref = lane(x_ref), psi_ref = atan(lane'(x_ref)), v_ref",
            "closed_loop_cost": "sum_j s(x_j, r_j) + 0.1 a_j^2 + delta_j^2 + 10 (delta_j - delta_{j-1})^2, delta_{-1} = 0",
        },
        "closed_loop_cost": total,
        "mean_position_error_after_2s": mean_err_after_2s,
        "median_solve_ms": median_wall,
        "median_ipopt_iterations": statistics.median(iterations),
        "stage_costs": stage_costs,
        "states": states,
        "actions": actions,
        "first_plan": first_plan,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(fixture, fh, indent=1)
        fh.write("\n")
    print(f"wrote {os.path.relpath(args.out)}")


if __name__ == "__main__":
    main()
