"""Reference fixture: OctoMap's insertPointCloud on planar scans.

Inserts three 2-D scans (z fixed at the middle of a voxel layer, so every ray stays in one
layer) into an OcTree with OctoMap's default sensor model, then records the log-odds of every
known voxel of that layer. tests/mapping_octomap_fixture.rs inserts the same scans into a
kestrel OccupancyGrid and compares cell by cell.

Usage: python octomap_scans.py ../../../tests/fixtures/mapping/octomap_scans.json
"""
import json
import math
import sys

import numpy as np
import octomap

RES = 0.125  # a power of two, so world -> cell arithmetic is exact in both libraries
Z = RES / 2  # middle of voxel layer 0


def f32(v):
    # OctoMap stores coordinates as float32: keep the inputs exactly representable.
    return float(np.float32(v))


def main(out_path):
    rng = np.random.default_rng(20240501)
    tree = octomap.OcTree(RES)
    tree.setProbHit(0.7)
    tree.setProbMiss(0.4)
    tree.setClampingThresMin(0.1192)
    tree.setClampingThresMax(0.971)
    tree.setOccupancyThres(0.5)

    scans = []
    origins = [(0.3, 0.2), (1.1, -0.7), (-0.9, 0.45), (0.3, 0.2)]
    max_ranges = [-1.0, 2.5, -1.0, 1.75]
    for (ox, oy), max_range in zip(origins, max_ranges):
        n = 120
        angles = rng.uniform(-math.pi, math.pi, n)
        ranges = rng.uniform(0.2, 3.2, n)
        pts = [(f32(ox + r * math.cos(a)), f32(oy + r * math.sin(a))) for a, r in zip(angles, ranges)]
        origin = (f32(ox), f32(oy))
        cloud = np.array([[x, y, Z] for x, y in pts], dtype=np.float64)
        tree.insertPointCloud(cloud, np.array([origin[0], origin[1], Z]), maxrange=max_range)
        scans.append({"origin": list(origin), "points": [list(p) for p in pts], "max_range": max_range})

    cells = []
    lo = math.floor(-5.0 / RES)
    hi = math.ceil(5.0 / RES)
    for iy in range(lo, hi):
        for ix in range(lo, hi):
            c = np.array([(ix + 0.5) * RES, (iy + 0.5) * RES, Z])
            node = tree.search(c)
            try:
                l = node.getLogOdds()
            except octomap.NullPointerException:
                continue
            cells.append([ix, iy, float(l)])

    fixture = {
        "source": "octomap-python 1.10.0.0 OcTree.insertPointCloud (tools/reference/mapping/octomap_scans.py)",
        "resolution": RES,
        "prob_hit": 0.7,
        "prob_miss": 0.4,
        "clamp_min": 0.1192,
        "clamp_max": 0.971,
        "scans": scans,
        "cells": cells,
    }
    with open(out_path, "w") as f:
        json.dump(fixture, f)
    print(f"{len(cells)} known cells written to {out_path}")


if __name__ == "__main__":
    main(sys.argv[1])
