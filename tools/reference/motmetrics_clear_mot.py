"""Reference CLEAR MOT / identity metrics from py-motmetrics for kestrel::tracking::metrics::ClearMot.

Writes tests/fixtures/tracking/motmetrics_clear_mot.json: synthetic 2-D runs (objects that
appear and disappear, a tracker with noise, missed detections, clutter, identity swaps and
re-acquisitions) and py-motmetrics' per-frame event counts and run summary.

Distances fed to py-motmetrics are Euclidean (not its default squared distances), NaN beyond
the matching threshold (d > threshold is "cannot match"), so MOTP is the mean Euclidean
distance of the matches.

Run: /work/venvs/tracking/bin/python tools/reference/motmetrics_clear_mot.py
(pinned versions: tools/reference/requirements-tracking.txt)
"""
import json
import os

import motmetrics as mm
import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "tracking",
                   "motmetrics_clear_mot.json")
METRICS = ["num_frames", "num_matches", "num_switches", "num_false_positives", "num_misses",
           "num_objects", "num_predictions", "num_fragmentations", "mota", "motp", "idf1",
           "idp", "idr", "idtp", "idfp", "idfn", "mostly_tracked", "partially_tracked",
           "mostly_lost"]


def make_run(rng, n_obj, n_frames, threshold):
    # object trajectories: constant velocity, random birth and death frames
    births = rng.integers(0, n_frames // 3, n_obj)
    deaths = rng.integers(2 * n_frames // 3, n_frames + 1, n_obj)
    starts = rng.uniform(0, 40, (n_obj, 2))
    vels = rng.normal(0, 1.0, (n_obj, 2))
    # tracker: hypothesis id per object, swapped sometimes; misses; clutter
    hyp_of = {o: 100 + o for o in range(n_obj)}
    next_h = 100 + n_obj
    frames = []
    for t in range(n_frames):
        gt_ids, gt_pos, h_ids, h_pos = [], [], [], []
        for o in range(n_obj):
            if births[o] <= t < deaths[o]:
                p = starts[o] + vels[o] * t
                gt_ids.append(o)
                gt_pos.append(p)
                if rng.random() < 0.04:   # track lost: a new identity takes over
                    hyp_of[o] = next_h
                    next_h += 1
                if rng.random() < 0.12:   # missed this frame
                    continue
                err = rng.normal(0, threshold * 0.35, 2)
                h_ids.append(hyp_of[o])
                h_pos.append(p + err)
        if len(h_ids) >= 2 and rng.random() < 0.08:  # identity swap between two tracks
            i, j = rng.choice(len(h_ids), 2, replace=False)
            h_ids[i], h_ids[j] = h_ids[j], h_ids[i]
        for _ in range(rng.poisson(0.6)):  # clutter, sometimes near an object
            h_ids.append(next_h)
            next_h += 1
            base = gt_pos[rng.integers(len(gt_pos))] if gt_pos and rng.random() < 0.5 else \
                rng.uniform(0, 40, 2)
            h_pos.append(base + rng.normal(0, threshold, 2))
        frames.append({"truth_ids": gt_ids, "truth": [[float(v) for v in p] for p in gt_pos],
                       "hyp_ids": h_ids, "hyps": [[float(v) for v in p] for p in h_pos]})
    return frames


def evaluate(frames, threshold):
    acc = mm.MOTAccumulator(auto_id=True)
    per_frame = []
    for f in frames:
        o = np.array(f["truth"]).reshape(-1, 2)
        h = np.array(f["hyps"]).reshape(-1, 2)
        d = np.sqrt(((o[:, None, :] - h[None, :, :]) ** 2).sum(-1)) if len(o) and len(h) \
            else np.zeros((len(o), len(h)))
        d[d > threshold] = np.nan
        fid = acc.update(f["truth_ids"], f["hyp_ids"], d)
        ev = acc.mot_events.loc[fid] if fid in acc.mot_events.index.get_level_values(0) else None
        counts = {k: 0 for k in ("MATCH", "SWITCH", "MISS", "FP")}
        dsum = 0.0
        if ev is not None:
            for typ, dist in zip(ev["Type"], ev["D"]):
                if typ in counts:
                    counts[typ] += 1
                if typ in ("MATCH", "SWITCH"):
                    dsum += float(dist)
        per_frame.append({"matches": counts["MATCH"], "switches": counts["SWITCH"],
                          "misses": counts["MISS"], "false_positives": counts["FP"],
                          "distance_sum": dsum})
    mh = mm.metrics.create()
    s = mh.compute(acc, metrics=METRICS, name="run")
    summary = {k: float(s[k].iloc[0]) for k in METRICS}
    return per_frame, summary


def main():
    # py-motmetrics picks the first installed solver ("lap" when present); use SciPy's so that
    # ties are broken as Kestrel's SciPy-identical solver does.
    mm.lap.default_solver = "scipy"
    rng = np.random.default_rng(77)
    runs = []
    for k, (n_obj, n_frames, thr) in enumerate([(4, 30, 2.0), (7, 50, 3.0), (10, 40, 1.5)]):
        frames = make_run(rng, n_obj, n_frames, thr)
        per_frame, summary = evaluate(frames, thr)
        runs.append({"name": f"run{k}", "threshold": thr, "frames": frames,
                     "per_frame": per_frame, "summary": summary})
        print(runs[-1]["name"], {m: round(v, 4) for m, v in summary.items()})
    meta = {"generator": "tools/reference/motmetrics_clear_mot.py",
            "motmetrics": mm.__version__, "numpy": np.__version__, "runs": runs}
    with open(OUT, "w") as f:
        json.dump(meta, f, separators=(",", ":"))
    print(f"wrote {len(runs)} runs to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
