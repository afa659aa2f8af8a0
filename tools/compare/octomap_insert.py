"""OctoMap scan insertion rate on the scan set of benches/mapping.rs, for a side-by-side ratio.

The scan set is rebuilt exactly: a 20 m x 20 m walled room with four round pillars, 100 scans
of 720 beams from poses on a 6 m circle, 12 m maximum range (longer beams clear without a hit),
5 cm cells, OctoMap's default sensor model. The scans lie in one voxel layer (z = 2.5 cm), so
OctoMap does the same 2-D ray casting as kestrel's OccupancyGrid.

Setup:  python3 -m venv v && v/bin/pip install -r tools/reference/mapping/requirements.txt
Run:    v/bin/python tools/compare/octomap_insert.py
        cargo bench -p kestrel --no-default-features --bench mapping -- scan_insertion
Compare the beams per second printed here with the bench's throughput (Kelem/s = 1000 beams/s).
"""
import math
import time

import numpy as np
import octomap

ROOM = 20.0
PILLARS = [(5.0, 5.0, 0.8), (15.0, 4.0, 1.0), (8.0, 14.0, 1.0), (16.5, 16.5, 1.0)]
SCANS = 100
BEAMS = 720
MAX_RANGE = 12.0
RESOLUTION = 0.05
Z = RESOLUTION / 2


def true_range(x, y, angle):
    dx, dy = math.cos(angle), math.sin(angle)
    r = math.inf
    for p, d in ((x, dx), (y, dy)):
        if d > 0:
            r = min(r, (ROOM - p) / d)
        elif d < 0:
            r = min(r, (0.0 - p) / d)
    for cx, cy, radius in PILLARS:
        ox, oy = x - cx, y - cy
        b = ox * dx + oy * dy
        c = ox * ox + oy * oy - radius * radius
        disc = b * b - c
        if disc >= 0:
            t = -b - math.sqrt(disc)
            if t > 0:
                r = min(r, t)
    return r


def scans():
    out = []
    for k in range(SCANS):
        a = 2 * math.pi * k / SCANS
        x, y, heading = 10 + 6 * math.cos(a), 10 + 6 * math.sin(a), a + math.pi / 2
        pts = []
        for i in range(BEAMS):
            ang = heading - math.pi + 2 * math.pi * i / BEAMS
            r = true_range(x, y, ang)
            # A beam with no return: an end point beyond the maximum range, which OctoMap cuts
            # at maxrange and only clears (as kestrel does for +inf ranges).
            r = r if r <= MAX_RANGE else 2 * MAX_RANGE
            pts.append((x + r * math.cos(ang), y + r * math.sin(ang), Z))
        out.append((np.array([x, y, Z]), np.array(pts, dtype=np.float64)))
    return out


def main():
    data = scans()
    best = math.inf
    for _ in range(5):
        tree = octomap.OcTree(RESOLUTION)
        tree.setProbHit(0.7)
        tree.setProbMiss(0.4)
        tree.setClampingThresMin(0.1192)
        tree.setClampingThresMax(0.971)
        t0 = time.perf_counter()
        for origin, pts in data:
            tree.insertPointCloud(pts, origin, maxrange=MAX_RANGE)
        best = min(best, time.perf_counter() - t0)
    beams = SCANS * BEAMS
    print(f"OctoMap (octomap-python {getattr(octomap, '__version__', '1.10.0.0')}): "
          f"{beams} beams in {best * 1e3:.1f} ms (best of 5) = {beams / best / 1e3:.1f} Kbeams/s, "
          f"{tree.size()} nodes")


if __name__ == "__main__":
    main()
