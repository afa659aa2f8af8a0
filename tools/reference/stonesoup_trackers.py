"""Reference JPDA and GNN association results from Stone Soup for kestrel::tracking::Tracker.

Writes tests/fixtures/tracking/trackers_stonesoup.json with:

- jpda_cases: single scans with several tracks (clusters of 1 to 6 tracks sharing detections)
  and clutter. For each track: Stone Soup's exact JPDA marginal association probabilities
  (JPDA with PDAHypothesiser) and the posterior mean and covariance (each hypothesis updated
  with KalmanUpdater, the prediction for the missed hypothesis, reduced by gm_reduce_single, as
  in Stone Soup's JPDA tutorial).
- gnn_cases: the same kind of scans with GNNWith2DAssignment and a DistanceHypothesiser
  (Mahalanobis measure, finite missed_distance): the assigned detection of each track (or none)
  and the posterior (KalmanUpdater, or the prediction when missed).
- jpda_sequence / gnn_sequence: four targets in two crossing pairs with clutter, tracks seeded
  at the truth and run through 25 scans; the per-scan results as above.

Conventions reproduced on the Kestrel side (see the test tests/tracking_trackers_stonesoup.rs):
- CV motion: CombinedLinearGaussianTransitionModel of two ConstantVelocity(q) models, state
  [x, vx, y, vy], Q per axis q [[dt^3/3, dt^2/2], [dt^2/2, dt]] (Kestrel: ConstantVelocity::new(q),
  continuous white noise).
- Position measurement: LinearGaussian(mapping=(0, 2), noise_covar=R).
- JPDA: PDAHypothesiser(prob_detect=PD, prob_gate=PG, clutter_spatial_density=lambda). Stone Soup
  gives the missed hypothesis the weight 1 - PD PG and a detection PD N(z; zhat, S) / lambda,
  keeps only detections with squared Mahalanobis distance <= chi2.ppf(PG, 2), normalises per
  track (which cancels in the joint events) and enumerates all joint events of all tracks by
  brute force. Kestrel: Jpda::new(PD, PG, lambda) with Gating::from_probability(PG).
  With clutter_spatial_density given, Stone Soup does not estimate the density from the gate
  volume.
- GNN: DistanceHypothesiser(measure=Mahalanobis(), missed_distance=m) keeps pairs with d < m and
  GNNWith2DAssignment solves [D | diag(m)]. Kestrel: Gnn::new(GnnCost::Mahalanobis, m) with a gate
  Gating::new(m * m).

Scans are drawn so that no squared distance lies within 1e-6 (relative) of a gate threshold and
no two GNN assignments tie, so that the results do not depend on rounding or on the iteration
order of Stone Soup's detection sets.

Run: /work/venvs/tracking/bin/python tools/reference/stonesoup_trackers.py
(pinned versions: tools/reference/requirements-tracking.txt)
"""
import datetime
import itertools
import json
import os

import numpy as np
import stonesoup
from scipy.optimize import linear_sum_assignment
from scipy.stats import chi2
from stonesoup.dataassociator.neighbour import GNNWith2DAssignment
from stonesoup.dataassociator.probability import JPDA
from stonesoup.functions import gm_reduce_single
from stonesoup.hypothesiser.distance import DistanceHypothesiser
from stonesoup.hypothesiser.probability import PDAHypothesiser
from stonesoup.measures import Mahalanobis
from stonesoup.models.measurement.linear import LinearGaussian
from stonesoup.models.transition.linear import (CombinedLinearGaussianTransitionModel,
                                                ConstantVelocity)
from stonesoup.predictor.kalman import KalmanPredictor
from stonesoup.types.array import StateVectors
from stonesoup.types.detection import Clutter, Detection
from stonesoup.types.state import GaussianState
from stonesoup.types.track import Track
from stonesoup.types.update import GaussianStateUpdate
from stonesoup.updater.kalman import KalmanUpdater

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "tracking",
                   "trackers_stonesoup.json")
T0 = datetime.datetime(2024, 1, 1)
DT = 1.0


def models(q, r):
    transition = CombinedLinearGaussianTransitionModel([ConstantVelocity(q), ConstantVelocity(q)])
    measurement = LinearGaussian(ndim_state=4, mapping=(0, 2), noise_covar=np.array(r))
    return transition, measurement


def predicted(prior, transition, measurement):
    """(zhat, S) of a prior (x, P) after one CV step, as Stone Soup computes them."""
    f = transition.matrix(time_interval=datetime.timedelta(seconds=DT))
    qm = transition.covar(time_interval=datetime.timedelta(seconds=DT))
    x = f @ np.array(prior["x"])
    p = f @ np.array(prior["p"]) @ f.T + qm
    h = measurement.matrix()
    return h @ x, h @ p @ h.T + measurement.covar()


def random_prior(rng, centre, speed):
    x = [centre[0], speed[0], centre[1], speed[1]]
    a = rng.normal(size=(4, 4)) * 0.3
    p = np.diag(rng.uniform(0.2, 1.5, 4)) + a @ a.T
    return {"x": [float(v) for v in x], "p": [[float(v) for v in row] for row in p]}


def safe(priors, detections, transition, measurement, thresholds):
    """No squared distance near a threshold (rounding could flip a gate decision)."""
    for prior in priors:
        zhat, s = predicted(prior, transition, measurement)
        s_inv = np.linalg.inv(s)
        for z in detections:
            y = np.array(z) - zhat
            d2 = float(y @ s_inv @ y)
            for g in thresholds:
                if abs(d2 - g) <= 1e-6 * g:
                    return False
    return True


def draw_scan(rng, groups, pd, clutter_mean, spread):
    """Priors in groups (tracks of a group close together) and one scan of detections."""
    priors, detections = [], []
    for g in range(groups):
        centre = np.array([60.0 * g, 15.0 * (g % 3)])
        n = int(rng.integers(1, 7 if g == 0 else 4))
        for _ in range(n):
            c = centre + rng.normal(scale=spread, size=2)
            priors.append(random_prior(rng, c, rng.normal(scale=1.0, size=2)))
    for prior in priors:
        if rng.uniform() < pd:
            x = np.array(prior["x"])
            detections.append([float(x[0] + x[1] + rng.normal(scale=1.2)),
                               float(x[2] + x[3] + rng.normal(scale=1.2))])
    lo = np.min([[p["x"][0], p["x"][2]] for p in priors], axis=0) - 8.0
    hi = np.max([[p["x"][0], p["x"][2]] for p in priors], axis=0) + 8.0
    for _ in range(int(rng.poisson(clutter_mean))):
        detections.append([float(v) for v in rng.uniform(lo, hi)])
    order = rng.permutation(len(detections))
    return priors, [detections[i] for i in order]


def ss_tracks(priors):
    return [Track([GaussianState(np.array(p["x"]), np.array(p["p"]), timestamp=T0)])
            for p in priors]


def ss_detections(points, measurement, t):
    return [Detection(np.array(z), timestamp=t, measurement_model=measurement) for z in points]


def jpda_scan(tracks, detections, transition, measurement, pd, pg, lam, t):
    predictor = KalmanPredictor(transition)
    updater = KalmanUpdater(measurement)
    hypothesiser = PDAHypothesiser(predictor=predictor, updater=updater,
                                   clutter_spatial_density=lam, prob_detect=pd, prob_gate=pg)
    associator = JPDA(hypothesiser=hypothesiser)
    index = {id(d): i for i, d in enumerate(detections)}
    hypotheses = associator.associate(set(tracks), set(detections), t)
    out = []
    for track in tracks:
        multi = hypotheses[track]
        states, weights = [], []
        missed, assoc = 0.0, []
        for hyp in multi:
            if not hyp:
                states.append(hyp.prediction)
                missed = float(hyp.probability)
            else:
                states.append(updater.update(hyp))
                assoc.append([index[id(hyp.measurement)], float(hyp.probability)])
            weights.append(hyp.probability)
        means = StateVectors([s.state_vector for s in states])
        covars = np.stack([s.covar for s in states], axis=2)
        mean, covar = gm_reduce_single(means, covars, np.asarray(weights, dtype=float))
        track.append(GaussianStateUpdate(mean, covar, multi, t))
        assoc.sort()
        out.append({"missed": missed, "detections": assoc,
                    "posterior_x": [float(v) for v in np.ravel(mean)],
                    "posterior_p": [[float(v) for v in row] for row in np.asarray(covar)]})
    return out


def gnn_scan(tracks, detections, transition, measurement, missed_distance, t):
    predictor = KalmanPredictor(transition)
    updater = KalmanUpdater(measurement)
    hypothesiser = DistanceHypothesiser(predictor, updater, measure=Mahalanobis(),
                                        missed_distance=missed_distance)
    associator = GNNWith2DAssignment(hypothesiser)
    index = {id(d): i for i, d in enumerate(detections)}
    associations = associator.associate(set(tracks), set(detections), t)
    out = []
    for track in tracks:
        hyp = associations[track]
        if hyp:
            post = updater.update(hyp)
            assigned = index[id(hyp.measurement)]
        else:
            post = hyp.prediction
            assigned = None
        track.append(post)
        out.append({"detection": assigned,
                    "posterior_x": [float(v) for v in np.ravel(post.state_vector)],
                    "posterior_p": [[float(v) for v in row] for row in np.asarray(post.covar)]})
    return out


def gnn_unique(priors, detections, transition, measurement, m):
    """The optimum of [D | diag(m)] is unique (second best differs by more than 1e-6)."""
    n, k = len(priors), len(detections)
    cost = np.full((n, k + n), np.inf)
    for i, prior in enumerate(priors):
        zhat, s = predicted(prior, transition, measurement)
        s_inv = np.linalg.inv(s)
        for j, z in enumerate(detections):
            y = np.array(z) - zhat
            d = float(np.sqrt(y @ s_inv @ y))
            if d < m:
                cost[i, j] = d
        cost[i, k + i] = m
    if n == 0:
        return True
    big = np.where(np.isinf(cost), 1e9, cost)
    rows, cols = linear_sum_assignment(big)
    best = big[rows, cols].sum()
    # any single-pair exclusion must cost more
    for r, c in zip(rows, cols):
        alt = big.copy()
        alt[r, c] = 1e9
        r2, c2 = linear_sum_assignment(alt)
        if abs(alt[r2, c2].sum() - best) <= 1e-6:
            return False
    return True


def params_dict(q, r, pd=None, pg=None, lam=None, missed=None):
    d = {"q": q, "r": r, "dt": DT}
    if pd is not None:
        d.update({"pd": pd, "pg": pg, "clutter_density": lam})
    if missed is not None:
        d["missed_distance"] = missed
    return d


def crossing_truth(steps):
    """Two crossing pairs: targets start 20 m apart in y and cross at step ~10."""
    starts = [[0.0, 1.0, 0.0, 1.0], [0.0, 1.0, 20.0, -1.0],
              [80.0, -1.0, 0.0, 1.0], [80.0, -1.0, 20.0, -1.0]]
    return [[[s[0] + s[1] * k, s[1], s[2] + s[3] * k, s[3]] for s in starts]
            for k in range(steps + 1)]


def sequence(rng, kind, q, r, pd, pg, lam, missed, steps=25):
    truth = crossing_truth(steps)
    transition, measurement = models(q, r)
    priors = [{"x": x, "p": np.diag([1.5, 0.5, 1.5, 0.5]).tolist()} for x in truth[0]]
    tracks = ss_tracks(priors)
    scans = []
    area = (-10.0, 90.0, -10.0, 30.0)
    for k in range(1, steps + 1):
        t = T0 + datetime.timedelta(seconds=DT * k)
        points = []
        for x in truth[k]:
            if rng.uniform() < pd:
                points.append([float(x[0] + rng.normal(scale=np.sqrt(r[0][0]))),
                               float(x[2] + rng.normal(scale=np.sqrt(r[1][1])))])
        for _ in range(int(rng.poisson(lam * (area[1] - area[0]) * (area[3] - area[2])))):
            points.append([float(rng.uniform(area[0], area[1])),
                           float(rng.uniform(area[2], area[3]))])
        points = [points[i] for i in rng.permutation(len(points))]
        detections = ss_detections(points, measurement, t)
        if kind == "jpda":
            result = jpda_scan(tracks, detections, transition, measurement, pd, pg, lam, t)
        else:
            result = gnn_scan(tracks, detections, transition, measurement, missed, t)
        scans.append({"detections": points, "tracks": result})
    return {"params": params_dict(q, r, pd, pg, lam, missed if kind == "gnn" else None),
            "priors": priors, "scans": scans}


def main():
    rng = np.random.default_rng(20240917)
    q, r = 0.05, [[0.75, 0.0], [0.0, 0.75]]
    transition, measurement = models(q, r)
    pd, pg, lam = 0.9, 0.99, 2e-3
    gate = chi2.ppf(pg, 2)
    jpda_cases = []
    while len(jpda_cases) < 12:
        priors, points = draw_scan(rng, groups=3, pd=pd, clutter_mean=6, spread=2.5)
        if not safe(priors, points, transition, measurement, [gate]):
            continue
        t = T0 + datetime.timedelta(seconds=DT)
        result = jpda_scan(ss_tracks(priors), ss_detections(points, measurement, t),
                           transition, measurement, pd, pg, lam, t)
        jpda_cases.append({"params": params_dict(q, r, pd, pg, lam), "priors": priors,
                           "detections": points, "tracks": result})
    missed = 3.0
    gnn_cases = []
    while len(gnn_cases) < 12:
        priors, points = draw_scan(rng, groups=3, pd=pd, clutter_mean=6, spread=2.5)
        if not safe(priors, points, transition, measurement, [missed * missed]):
            continue
        if not gnn_unique(priors, points, transition, measurement, missed):
            continue
        t = T0 + datetime.timedelta(seconds=DT)
        result = gnn_scan(ss_tracks(priors), ss_detections(points, measurement, t),
                          transition, measurement, missed, t)
        gnn_cases.append({"params": params_dict(q, r, missed=missed), "priors": priors,
                          "detections": points, "tracks": result})
    out = {
        "generator": "tools/reference/stonesoup_trackers.py",
        "stonesoup": stonesoup.__version__,
        "gate_threshold_jpda": float(gate),
        "jpda_cases": jpda_cases,
        "gnn_cases": gnn_cases,
        "jpda_sequence": sequence(rng, "jpda", q, r, pd, pg, lam, None),
        "gnn_sequence": sequence(rng, "gnn", q, r, pd, pg, 1e-3, missed),
    }
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
    n_j = sum(len(c["tracks"]) for c in jpda_cases)
    n_g = sum(len(c["tracks"]) for c in gnn_cases)
    print(f"wrote {OUT}: {len(jpda_cases)} JPDA scans ({n_j} tracks), "
          f"{len(gnn_cases)} GNN scans ({n_g} tracks), 2 sequences of 25 scans")


if __name__ == "__main__":
    main()
