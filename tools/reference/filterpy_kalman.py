#!/usr/bin/env python3
"""Reference outputs of FilterPy 2.0.0's KalmanFilter, rts_smoother and ExtendedKalmanFilter for
Kestrel's tests (tests/estimation_kalman.rs, tests/estimation_consistency.rs).

Writes JSON fixtures to tests/fixtures/estimation/:

- kalman_filterpy.json
  - "noise": FilterPy's Q_discrete_white_noise and Q_continuous_white_noise (dim 2 and 3,
    block_size=2, order_by_dim=True: Kestrel's interleaved layouts [x, vx, y, vy] and
    [x, vx, ax, y, vy, ay]) for a few dt and intensities.
  - "kf_cv": a 4-state constant-velocity KalmanFilter, piecewise-constant process noise
    (Q_discrete_white_noise(2, dt, var, block_size=2)), position measurements with a correlated R,
    some measurements missing (None: FilterPy's update(None) keeps the prior). Per step: prior and
    posterior mean and covariance, and for updates y, S, log_likelihood and mahalanobis^2 (NIS).
    Then FilterPy's batch_filter on the same zs (must equal the loop) and rts_smoother(Xs, Ps, Fs,
    Qs): smoothed means, covariances and gains.
  - "kf_cv_continuous": the same problem with Q_continuous_white_noise (posteriors and smoother).
  - "kf_control": a 2-state [position, velocity] filter driven by a known acceleration input
    through predict(u, B, F, Q).
  - "ekf_ct_radar": an ExtendedKalmanFilter on the coordinated-turn state [x, vx, y, vy, omega]
    with a range-bearing radar at `sensor`. The transition f, its Jacobian F (evaluated at the
    posterior before predict, as FilterPy's predict uses self.F), h and H are written out below in
    numpy, independently of Kestrel's Rust; the bearing residual is wrapped to [-pi, pi) through
    EKF.update's `residual` argument. The target circles left of the radar and runs along the
    negative x axis, so measured and predicted bearings fall on both sides of +-pi (the residual
    wraps at `bearing_wraps` steps). The first prediction starts
    from omega = 0 exactly (the straight-line limit of f and F).
- kalman_chi2.json: scipy.stats.chi2.ppf values used to cross-check statrs in the consistency
  test.

Run:  python3 -m venv /work/venvs/filterpy && /work/venvs/filterpy/bin/pip install -r
      tools/reference/requirements.txt && /work/venvs/filterpy/bin/python
      tools/reference/filterpy_kalman.py
"""

import json
import math
import os

import filterpy
import numpy as np
import scipy
from filterpy.common import Q_continuous_white_noise, Q_discrete_white_noise
from filterpy.kalman import ExtendedKalmanFilter, KalmanFilter
from scipy.stats import chi2

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "estimation")


def mat(a):
    return np.asarray(a, dtype=float).tolist()


def vec(a):
    return np.asarray(a, dtype=float).reshape(-1).tolist()


def noise_tables():
    rows = []
    for dim in (2, 3):
        for dt, var in ((0.1, 1.0), (1.0, 0.5), (2.5, 3.0)):
            rows.append({"kind": "piecewise_constant", "dim": dim, "dt": dt, "q": var,
                         "Q": mat(Q_discrete_white_noise(dim, dt=dt, var=var, block_size=2))})
            rows.append({"kind": "continuous_white", "dim": dim, "dt": dt, "q": var,
                         "Q": mat(Q_continuous_white_noise(dim, dt=dt, spectral_density=var,
                                                           block_size=2))})
    return rows


def cv_matrices(dt):
    F = np.eye(4)
    F[0, 1] = dt
    F[2, 3] = dt
    H = np.zeros((2, 4))
    H[0, 0] = 1.0
    H[1, 2] = 1.0
    return F, H


def simulate_cv(rng, steps, dt, q_var, R):
    """Truth with piecewise-constant acceleration, noisy positions, every 7th missing."""
    x = np.array([0.0, 3.0, 10.0, -1.0])
    F, H = cv_matrices(dt)
    G = np.array([[0.5 * dt * dt, 0.0], [dt, 0.0], [0.0, 0.5 * dt * dt], [0.0, dt]])
    L = np.linalg.cholesky(R)
    zs = []
    for k in range(steps):
        x = F @ x + G @ (rng.standard_normal(2) * math.sqrt(q_var))
        z = H @ x + L @ rng.standard_normal(2)
        zs.append(None if k % 7 == 3 else z)
    return zs


def run_kf(zs, dt, Q, R, x0, P0):
    F, H = cv_matrices(dt)
    kf = KalmanFilter(dim_x=4, dim_z=2)
    kf.x = x0.reshape(4, 1).copy()
    kf.P = P0.copy()
    kf.F, kf.H, kf.Q, kf.R = F, H, Q, R
    steps = []
    for z in zs:
        kf.predict()
        step = {"prior_x": vec(kf.x), "prior_P": mat(kf.P)}
        if z is None:
            kf.update(None)
            step["z"] = None
        else:
            kf.update(z.reshape(2, 1))
            step.update({"z": vec(z), "y": vec(kf.y), "S": mat(kf.S),
                         "log_likelihood": float(kf.log_likelihood),
                         "nis": float(kf.mahalanobis) ** 2})
        step.update({"x": vec(kf.x), "P": mat(kf.P)})
        steps.append(step)

    # batch_filter must reproduce the loop; rts_smoother on its output.
    kf2 = KalmanFilter(dim_x=4, dim_z=2)
    kf2.x = x0.reshape(4, 1).copy()
    kf2.P = P0.copy()
    kf2.F, kf2.H, kf2.Q, kf2.R = F, H, Q, R
    zs_col = [None if z is None else z.reshape(2, 1) for z in zs]
    means, covs, _, _ = kf2.batch_filter(zs_col)
    for k, s in enumerate(steps):
        assert np.allclose(vec(means[k]), s["x"], rtol=0, atol=1e-12)
    xs, ps, ks, _ = kf2.rts_smoother(means, covs, Fs=[F] * len(zs), Qs=[Q] * len(zs))
    smoothed = [{"x": vec(xs[k]), "P": mat(ps[k]), "gain": mat(ks[k])} for k in range(len(zs))]
    return {"dt": dt, "x0": vec(x0), "P0": mat(P0), "F": mat(F), "H": mat(H), "Q": mat(Q),
            "R": mat(R), "steps": steps, "smoothed": smoothed}


def kf_control():
    """1-D cart [position, velocity] with a known acceleration input u through B."""
    rng = np.random.default_rng(11)
    dt = 0.2
    F = np.array([[1.0, dt], [0.0, 1.0]])
    B = np.array([[0.5 * dt * dt], [dt]])
    Q = Q_discrete_white_noise(2, dt=dt, var=0.04)
    H = np.array([[1.0, 0.0]])
    R = np.array([[0.25]])
    kf = KalmanFilter(dim_x=2, dim_z=1, dim_u=1)
    kf.x = np.array([[0.0], [0.0]])
    kf.P = np.diag([1.0, 4.0])
    kf.F, kf.B, kf.Q, kf.H, kf.R = F, B, Q, H, R
    truth = np.zeros(2)
    steps = []
    for k in range(25):
        u = np.array([[math.sin(0.3 * k)]])
        truth = F @ truth + (B @ u).ravel()
        z = truth[:1] + rng.standard_normal(1) * 0.5
        kf.predict(u=u)
        kf.update(z.reshape(1, 1))
        steps.append({"u": vec(u), "z": vec(z), "x": vec(kf.x), "P": mat(kf.P),
                      "log_likelihood": float(kf.log_likelihood)})
    return {"dt": dt, "x0": [0.0, 0.0], "P0": mat(np.diag([1.0, 4.0])), "F": mat(F),
            "B": mat(B), "Q": mat(Q), "H": mat(H), "R": mat(R), "steps": steps}


# ---- coordinated turn and range-bearing, written independently of the Rust code -------------

def ct_f(x, dt):
    px, vx, py, vy, w = x
    if w == 0.0:
        s, c = dt, 0.0
    else:
        s, c = math.sin(w * dt) / w, (1.0 - math.cos(w * dt)) / w
    sw, cw = math.sin(w * dt), math.cos(w * dt)
    return np.array([px + s * vx - c * vy, cw * vx - sw * vy, py + c * vx + s * vy,
                     sw * vx + cw * vy, w])


def ct_F(x, dt):
    _, vx, _, vy, w = x
    T = dt
    if w == 0.0:
        s, c = T, 0.0
        ds, dc = 0.0, 0.5 * T * T      # limits of the derivatives of sin(wT)/w, (1-cos wT)/w
    else:
        s, c = math.sin(w * T) / w, (1.0 - math.cos(w * T)) / w
        ds = (T * math.cos(w * T) * w - math.sin(w * T)) / (w * w)
        dc = (T * math.sin(w * T) * w - (1.0 - math.cos(w * T))) / (w * w)
    sw, cw = math.sin(w * T), math.cos(w * T)
    F = np.eye(5)
    F[0, 1], F[0, 3], F[0, 4] = s, -c, ds * vx - dc * vy
    F[1, 1], F[1, 3], F[1, 4] = cw, -sw, -T * sw * vx - T * cw * vy
    F[2, 1], F[2, 3], F[2, 4] = c, s, dc * vx + ds * vy
    F[3, 1], F[3, 3], F[3, 4] = sw, cw, T * cw * vx - T * sw * vy
    return F


def ct_Q(dt, q_lin, q_turn):
    Q = np.zeros((5, 5))
    Q[:4, :4] = Q_continuous_white_noise(2, dt=dt, spectral_density=q_lin, block_size=2)
    Q[4, 4] = q_turn * dt
    return Q


def wrap(a):
    return (a + math.pi) % (2.0 * math.pi) - math.pi


def ekf_ct_radar():
    rng = np.random.default_rng(7)
    dt, q_lin, q_turn = 1.0, 0.05, 1e-5
    sensor = np.array([0.0, 0.0])
    sig_r, sig_b = 2.0, 0.01
    R = np.diag([sig_r ** 2, sig_b ** 2])

    def hx(x):
        dx, dy = x[0] - sensor[0], x[2] - sensor[1]
        return np.array([math.hypot(dx, dy), math.atan2(dy, dx)])

    def H_of(x):
        dx, dy = x[0] - sensor[0], x[2] - sensor[1]
        r2 = dx * dx + dy * dy
        r = math.sqrt(r2)
        return np.array([[dx / r, 0.0, dy / r, 0.0, 0.0], [-dy / r2, 0.0, dx / r2, 0.0, 0.0]])

    def residual(a, b):
        y = np.asarray(a, float).reshape(-1) - np.asarray(b, float).reshape(-1)
        y[1] = wrap(y[1])
        return y

    # Truth: circle of radius 200 m about (-300, 200) at 10 m/s counter-clockwise. It passes the
    # bottom of the circle, (-300, 0), moving along the negative x axis at t = 20 s, so for several
    # steps the true bearing is within a few milliradians of pi and measurements and predictions
    # fall on both sides of the +-pi cut: the residual must be wrapped.
    th0 = -math.pi / 2 - 1.0
    truth = np.array([-300.0 + 200.0 * math.cos(th0), -10.0 * math.sin(th0),
                      200.0 + 200.0 * math.sin(th0), 10.0 * math.cos(th0), 0.05])
    truth0 = truth.copy()
    zs, truths = [], []
    for _ in range(60):
        truth = ct_f(truth, dt)
        truths.append(truth.copy())
        z = hx(truth) + np.array([sig_r, sig_b]) * rng.standard_normal(2)
        z[1] = math.atan2(math.sin(z[1]), math.cos(z[1]))
        zs.append(z)

    class CTEKF(ExtendedKalmanFilter):
        def predict_x(self, u=0):
            self.x = ct_f(self.x, dt)

    ekf = CTEKF(dim_x=5, dim_z=2)
    x0 = truth0 + np.array([4.0, -1.0, -3.0, 0.5, 0.0])
    x0[4] = 0.0
    P0 = np.diag([25.0, 4.0, 25.0, 4.0, 0.01])
    ekf.x, ekf.P, ekf.R = x0.copy(), P0.copy(), R
    ekf.Q = ct_Q(dt, q_lin, q_turn)
    steps = []
    for z in zs:
        ekf.F = ct_F(ekf.x, dt)
        ekf.predict()
        step = {"prior_x": vec(ekf.x), "prior_P": mat(ekf.P), "z": vec(z)}
        ekf.update(z, HJacobian=H_of, Hx=hx, R=R, residual=residual)
        step.update({"x": vec(ekf.x), "P": mat(ekf.P), "y": vec(ekf.y), "S": mat(ekf.S),
                     "log_likelihood": float(ekf.log_likelihood),
                     "nis": float(ekf.mahalanobis) ** 2})
        steps.append(step)
    crossings = sum(1 for s in steps
                    if abs(s["z"][1] - hx(np.array(s["prior_x"]))[1]) > math.pi)
    assert crossings >= 2, "the scenario must make the bearing residual wrap"
    return {"dt": dt, "q_linear": q_lin, "q_turn": q_turn, "sensor": vec(sensor),
            "sigma_range": sig_r, "sigma_bearing": sig_b, "x0": vec(x0), "P0": mat(P0),
            "bearing_wraps": crossings, "truth": [vec(t) for t in truths], "steps": steps}


def main():
    rng = np.random.default_rng(2024)
    dt, q_var = 0.5, 0.2
    R = np.array([[0.8, 0.2], [0.2, 0.5]])
    zs = simulate_cv(rng, 40, dt, q_var, R)
    x0 = np.array([0.5, 2.0, 9.0, 0.0])
    P0 = np.diag([4.0, 1.0, 4.0, 1.0])
    kf_cv = run_kf(zs, dt, Q_discrete_white_noise(2, dt=dt, var=q_var, block_size=2), R, x0, P0)
    kf_cont = run_kf(zs, dt, Q_continuous_white_noise(2, dt=dt, spectral_density=q_var,
                                                      block_size=2), R, x0, P0)
    kf_cv.update({"q": q_var, "noise": "piecewise_constant"})
    kf_cont.update({"q": q_var, "noise": "continuous_white"})
    out = {
        "generator": "tools/reference/filterpy_kalman.py",
        "versions": {"filterpy": filterpy.__version__, "numpy": np.__version__,
                     "scipy": scipy.__version__},
        "noise": noise_tables(),
        "kf_cv": kf_cv,
        "kf_cv_continuous": kf_cont,
        "kf_control": kf_control(),
        "ekf_ct_radar": ekf_ct_radar(),
    }
    with open(os.path.join(OUT, "kalman_filterpy.json"), "w") as f:
        json.dump(out, f, indent=1)

    quantiles = []
    for df in (1, 2, 4, 5, 6, 200, 400, 800, 8000, 16000):
        for p in (0.025, 0.975, 0.95, 0.99):
            quantiles.append({"df": df, "p": p, "x": float(chi2.ppf(p, df))})
    with open(os.path.join(OUT, "kalman_chi2.json"), "w") as f:
        json.dump({"generator": "tools/reference/filterpy_kalman.py",
                   "scipy": scipy.__version__, "chi2_ppf": quantiles}, f, indent=1)
    print("wrote kalman_filterpy.json and kalman_chi2.json; bearing wraps:",
          out["ekf_ct_radar"]["bearing_wraps"])


if __name__ == "__main__":
    main()
