#!/usr/bin/env python3
"""Reference outputs of FilterPy's UnscentedKalmanFilter and IMMEstimator for Kestrel's tests.

Writes JSON fixtures to tests/fixtures/estimation/:

- ukf_radar_merwe.json: constant-velocity target [x, vx, y, vy] seen by a range-bearing radar at
  the origin; Merwe sigma points (alpha 0.1, beta 2, kappa -1, FilterPy's textbook values). The
  target crosses the negative x axis, so the bearing jumps between +pi and -pi: the measurement
  mean is circular and the residual wrapped.
- ukf_unicycle_julier.json: a unicycle [x, y, heading, speed] turning at a known rate (the heading
  wraps around twice), range-bearing to a landmark; Julier sigma points (kappa = 3 - n). Angles
  in both the state and the measurement.
- imm_cv2.json: IMMEstimator with two KalmanFilters on the 4-state constant-velocity model (low and
  high process noise), position measurements, a target that turns.
- imm_ca3.json: IMMEstimator with three KalmanFilters on the 6-state layout [x, vx, ax, y, vy, ay]:
  constant velocity (accelerations forced to zero), constant acceleration with low and high noise.

Every step records what FilterPy computes (see the field list in write()). For the IMM it also
records the mixed initial conditions that FilterPy hands to each filter before its predict
(captured by a KalmanFilter subclass), the predicted mode probabilities cbar = mu^T M and the
combined prior with cbar weights (FilterPy's own x_prior weighs by the posterior mu; Kestrel
weighs by cbar, the predicted mode probabilities, as Bar-Shalom), and, for Kestrel's
different-size IMM test, the hand-computed mixing of an extra state component that only the
second mode carries (see extra_component()).

Run: python3 -m venv v && v/bin/pip install -r tools/reference/requirements.txt &&
     v/bin/python tools/reference/filterpy_ukf_imm.py
"""

import json
import math
import os

import filterpy
import numpy as np
from filterpy.common import Q_discrete_white_noise
from filterpy.kalman import (IMMEstimator, JulierSigmaPoints, KalmanFilter,
                             MerweScaledSigmaPoints, UnscentedKalmanFilter)

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "estimation")


def wrap(a):
    """Wraps to [-pi, pi) like kestrel::geometry::wrap_angle."""
    w = math.fmod(a + math.pi, 2.0 * math.pi)
    if w < 0.0:
        w += 2.0 * math.pi
    w -= math.pi
    return w - 2.0 * math.pi if w >= math.pi else w


def circular_mean_fn(angle_idx):
    """FilterPy mean function: weighted sum, circular mean for the listed components."""

    def mean(sigmas, wm):
        m = np.dot(wm, sigmas)
        for k in angle_idx:
            m[k] = math.atan2(np.dot(wm, np.sin(sigmas[:, k])), np.dot(wm, np.cos(sigmas[:, k])))
        return m

    return mean


def residual_fn(angle_idx):
    def residual(a, b):
        y = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
        for k in angle_idx:
            y[k] = wrap(y[k])
        return y

    return residual


def add_fn(angle_idx):
    def add(x, dx):
        y = np.asarray(x, dtype=float) + np.asarray(dx, dtype=float)
        for k in angle_idx:
            y[k] = wrap(y[k])
        return y

    return add


def mat(a):
    return np.atleast_2d(np.asarray(a, dtype=float)).tolist()


def vec(a):
    return np.asarray(a, dtype=float).ravel().tolist()


def range_bearing(sensor):
    def hx(x, px=0, py=1):
        dx, dy = x[px] - sensor[0], x[py] - sensor[1]
        return np.array([math.hypot(dx, dy), math.atan2(dy, dx)])

    return hx


def ukf_radar():
    rng = np.random.default_rng(20240611)
    dt = 1.0
    f = np.array([[1, dt, 0, 0], [0, 1, 0, 0], [0, 0, 1, dt], [0, 0, 0, 1]], dtype=float)
    q = Q_discrete_white_noise(dim=2, dt=dt, var=0.05, block_size=2)
    r = np.diag([0.3**2, 0.02**2])
    sensor = (0.0, 0.0)
    hx_sensor = range_bearing(sensor)

    def fx(x, dt):
        return f @ x

    def hx(x):
        return hx_sensor(x, 0, 2)

    points = MerweScaledSigmaPoints(4, alpha=0.1, beta=2.0, kappa=-1.0)
    ukf = UnscentedKalmanFilter(dim_x=4, dim_z=2, dt=dt, hx=hx, fx=fx, points=points,
                                z_mean_fn=circular_mean_fn([1]), residual_z=residual_fn([1]))
    truth = np.array([-60.0, 0.5, 20.0, -1.0])
    ukf.x = truth + np.array([1.5, -0.2, -1.0, 0.1])
    ukf.P = np.diag([4.0, 1.0, 4.0, 1.0])
    ukf.Q = q
    ukf.R = r
    x0, p0 = ukf.x.copy(), ukf.P.copy()
    steps = []
    for _ in range(40):
        truth = f @ truth + rng.multivariate_normal(np.zeros(4), q)
        z = hx(truth) + rng.multivariate_normal(np.zeros(2), r)
        z[1] = wrap(z[1])
        ukf.predict()
        prior_x, prior_p = ukf.x.copy(), ukf.P.copy()
        ukf.update(z)
        steps.append(dict(z=vec(z), x_prior=vec(prior_x), p_prior=mat(prior_p), y=vec(ukf.y),
                          s=mat(ukf.S), log_likelihood=float(ukf.log_likelihood),
                          x=vec(ukf.x), p=mat(ukf.P)))
    return dict(description="FilterPy UKF, Merwe points, CV target, range-bearing radar at the "
                            "origin, bearing crosses +-pi",
                dt=dt, f=mat(f), q=mat(q), r=mat(r), sensor=list(sensor),
                alpha=0.1, beta=2.0, kappa=-1.0, wm=vec(points.Wm), wc=vec(points.Wc),
                x0=vec(x0), p0=mat(p0), steps=steps)


def ukf_unicycle():
    rng = np.random.default_rng(7)
    dt, turn_rate = 0.5, 0.4
    q = np.diag([0.01, 0.01, 0.003, 0.02])
    r = np.diag([0.1**2, 0.03**2])
    landmark = (3.0, -2.0)
    hx_landmark = range_bearing(landmark)

    def fx(x, dt):
        return np.array([x[0] + x[3] * math.cos(x[2]) * dt, x[1] + x[3] * math.sin(x[2]) * dt,
                         wrap(x[2] + turn_rate * dt), x[3]])

    def hx(x):
        return hx_landmark(x, 0, 1)

    angles = [2]
    points = JulierSigmaPoints(4, kappa=-1.0, subtract=residual_fn(angles))
    ukf = UnscentedKalmanFilter(dim_x=4, dim_z=2, dt=dt, hx=hx, fx=fx, points=points,
                                x_mean_fn=circular_mean_fn(angles), residual_x=residual_fn(angles),
                                state_add=add_fn(angles), z_mean_fn=circular_mean_fn([1]),
                                residual_z=residual_fn([1]))
    truth = np.array([0.0, 0.0, 2.8, 1.5])
    ukf.x = np.array([0.2, -0.1, 3.0, 1.3])
    ukf.P = np.diag([0.5, 0.5, 0.2, 0.3])
    ukf.Q = q
    ukf.R = r
    x0, p0 = ukf.x.copy(), ukf.P.copy()
    steps = []
    for _ in range(60):
        truth = fx(truth, dt) + rng.multivariate_normal(np.zeros(4), q)
        truth[2] = wrap(truth[2])
        z = hx(truth) + rng.multivariate_normal(np.zeros(2), r)
        z[1] = wrap(z[1])
        ukf.predict()
        prior_x, prior_p = ukf.x.copy(), ukf.P.copy()
        ukf.update(z)
        steps.append(dict(z=vec(z), x_prior=vec(prior_x), p_prior=mat(prior_p), y=vec(ukf.y),
                          s=mat(ukf.S), log_likelihood=float(ukf.log_likelihood),
                          x=vec(ukf.x), p=mat(ukf.P)))
    return dict(description="FilterPy UKF, Julier points (kappa = 3 - n), unicycle with a known "
                            "turn rate, heading wraps, range-bearing to a landmark",
                dt=dt, turn_rate=turn_rate, q=mat(q), r=mat(r), landmark=list(landmark),
                kappa=-1.0, wm=vec(points.Wm), wc=vec(points.Wc),
                x0=vec(x0), p0=mat(p0), steps=steps)


class RecordingKF(KalmanFilter):
    """A KalmanFilter that remembers the estimate it had when predict was called: inside
    IMMEstimator.predict that is the mixed initial condition of this mode."""

    def predict(self, u=None, B=None, F=None, Q=None):
        self.mixed_x = self.x.copy()
        self.mixed_p = self.P.copy()
        super().predict(u, B, F, Q)


def extra_component(omega, e1, v1, fill_mean, fill_var):
    """Kestrel's different-size test gives mode 0 the state of this fixture and mode 1 the same
    state plus one extra component e (a random walk with noise q that no measurement sees).
    Mixed into mode 1, with mode 0's absent component filled with (fill_mean, fill_var):
        e0 = w01 m + w11 e1,  v0 = w01 (fill_var + (m - e0)^2) + w11 (v1 + (e1 - e0)^2).
    Filled from the target mode's own estimate instead, e0 = e1 and v0 = v1: e then stays
    decoupled from the rest, so before the predict of step k it is (e_init, v_init + k q)."""
    w01, w11 = omega[0, 1], omega[1, 1]
    e0 = w01 * fill_mean + w11 * e1
    v0 = w01 * (fill_var + (fill_mean - e0) ** 2) + w11 * (v1 + (e1 - e0) ** 2)
    return e0, v0


def run_imm(name, description, filters, trajectory, mu0, trans, r, h, extra=None):
    imm = IMMEstimator(filters, mu0, trans)
    steps = []
    for k, z in enumerate(trajectory):
        cbar = imm.cbar.copy()
        omega = imm.omega.copy()
        step = dict(z=vec(z), omega=mat(omega), cbar=vec(cbar))
        if extra:
            v_k = extra["v0"] + k * extra["q"]
            step["extra_mixed_target"] = [extra["e0"], v_k]
            if k == 0:
                step["extra_mixed_constant"] = list(extra_component(
                    omega, extra["e0"], extra["v0"], extra["fill_mean"], extra["fill_var"]))
        imm.predict()
        step["mixed_x"] = [vec(f.mixed_x) for f in filters]
        step["mixed_p"] = [mat(f.mixed_p) for f in filters]
        step["pred_x"] = [vec(f.x) for f in filters]
        xp = sum(c * f.x for c, f in zip(cbar, filters))
        pp = sum(c * (f.P + np.outer(f.x - xp, f.x - xp)) for c, f in zip(cbar, filters))
        step["prior_x_cbar"], step["prior_p_cbar"] = vec(xp), mat(pp)
        step["filterpy_x_prior"] = vec(imm.x_prior)
        imm.update(z)
        step["log_likelihood"] = [float(f.log_likelihood) for f in filters]
        step["mu"] = vec(imm.mu)
        step["x"], step["p"] = vec(imm.x), mat(imm.P)
        step["post_x"] = [vec(f.x) for f in filters]
        step["post_p"] = [mat(f.P) for f in filters]
        steps.append(step)
    return dict(description=description, transition=mat(trans), mu0=vec(mu0), r=mat(r), h=mat(h),
                modes=[dict(f=mat(f.F), q=mat(f.Q), x0=vec(f.x0_rec), p0=mat(f.p0_rec))
                       for f in filters],
                extra=extra, steps=steps)


def make_kf(f, q, h, r, x0, p0):
    kf = RecordingKF(dim_x=f.shape[0], dim_z=h.shape[0])
    kf.F, kf.Q, kf.H, kf.R = f, q, h, r
    kf.x, kf.P = x0.copy(), p0.copy()
    kf.x0_rec, kf.p0_rec = x0.copy(), p0.copy()
    return kf


def turning_track(rng, steps, dt, r, turn_from, turn_to, omega, start, speed):
    """Positions of a target that goes straight, turns at omega, then goes straight."""
    pos, heading = np.array(start, dtype=float), 0.3
    zs = []
    for k in range(steps):
        if turn_from <= k < turn_to:
            heading += omega * dt
        pos = pos + speed * dt * np.array([math.cos(heading), math.sin(heading)])
        zs.append(pos + rng.multivariate_normal(np.zeros(2), r))
    return zs


def imm_cv2():
    rng = np.random.default_rng(11)
    dt = 1.0
    f = np.array([[1, dt, 0, 0], [0, 1, 0, 0], [0, 0, 1, dt], [0, 0, 0, 1]], dtype=float)
    h = np.array([[1, 0, 0, 0], [0, 0, 1, 0]], dtype=float)
    r = np.eye(2) * 1.0
    x0 = np.array([0.0, 8.0, 0.0, 2.5])
    p0 = np.diag([10.0, 4.0, 10.0, 4.0])
    filters = [make_kf(f, Q_discrete_white_noise(2, dt, 0.001, block_size=2), h, r, x0, p0),
               make_kf(f, Q_discrete_white_noise(2, dt, 2.0, block_size=2), h, r, x0, p0)]
    trans = np.array([[0.95, 0.05], [0.10, 0.90]])
    mu0 = np.array([0.6, 0.4])
    zs = turning_track(rng, 60, dt, r, 20, 32, 0.18, (0.0, 0.0), 8.5)
    extra = dict(e0=0.3, v0=0.05, q=0.01, fill_mean=0.0, fill_var=0.02)
    return run_imm("imm_cv2", "FilterPy IMMEstimator, 2 KFs, 4-state CV with low and high "
                              "process noise, position measurements, a turning target",
                   filters, zs, mu0, trans, r, h, extra)


def imm_ca3():
    rng = np.random.default_rng(12)
    dt = 0.5
    axis_ca = np.array([[1, dt, dt * dt / 2], [0, 1, dt], [0, 0, 1]])
    axis_cv = np.array([[1, dt, 0], [0, 1, 0], [0, 0, 0]])
    z3 = np.zeros((3, 3))
    f_ca = np.block([[axis_ca, z3], [z3, axis_ca]])
    f_cv = np.block([[axis_cv, z3], [z3, axis_cv]])
    h = np.zeros((2, 6))
    h[0, 0] = h[1, 3] = 1.0
    r = np.diag([0.5, 0.8])
    q_cv = Q_discrete_white_noise(3, dt, 0.01, block_size=2)
    q_cv[2, 2] = q_cv[5, 5] = 1e-6  # keep the unused acceleration slightly alive
    q_lo = Q_discrete_white_noise(3, dt, 0.05, block_size=2)
    q_hi = Q_discrete_white_noise(3, dt, 3.0, block_size=2)
    x0 = np.array([0.0, 6.0, 0.0, 0.0, 3.0, 0.0])
    p0 = np.diag([5.0, 2.0, 1.0, 5.0, 2.0, 1.0])
    filters = [make_kf(f_cv, q_cv, h, r, x0, p0), make_kf(f_ca, q_lo, h, r, x0, p0),
               make_kf(f_ca, q_hi, h, r, x0, p0)]
    trans = np.array([[0.90, 0.06, 0.04], [0.05, 0.90, 0.05], [0.10, 0.10, 0.80]])
    mu0 = np.array([0.5, 0.3, 0.2])
    zs = turning_track(rng, 50, dt, r, 18, 34, 0.35, (0.0, 0.0), 6.7)
    return run_imm("imm_ca3", "FilterPy IMMEstimator, 3 KFs on [x, vx, ax, y, vy, ay]: CV "
                              "(zero acceleration), CA low noise, CA high noise; position "
                              "measurements; a turning target", filters, zs, mu0, trans, r, h)


def write(name, data):
    data["generator"] = ("tools/reference/filterpy_ukf_imm.py, filterpy %s, numpy %s"
                         % (filterpy.__version__, np.__version__))
    path = os.path.join(OUT, name + ".json")
    with open(path, "w") as fh:
        json.dump(data, fh, indent=None, separators=(",", ":"))
        fh.write("\n")
    print("wrote", os.path.normpath(path))


def main():
    os.makedirs(OUT, exist_ok=True)
    write("ukf_radar_merwe", ukf_radar())
    write("ukf_unicycle_julier", ukf_unicycle())
    write("imm_cv2", imm_cv2())
    write("imm_ca3", imm_ca3())


if __name__ == "__main__":
    main()
