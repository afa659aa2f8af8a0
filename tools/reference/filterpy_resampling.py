#!/usr/bin/env python3
"""FilterPy's systematic resampling on random weight vectors, with the offset it drew recorded,
so Kestrel's `systematic_resample_with_offset` can be checked index for index.

    python3 -m venv /work/venvs/particle
    /work/venvs/particle/bin/pip install -r tools/reference/requirements-particle.txt
    /work/venvs/particle/bin/python tools/reference/filterpy_resampling.py \
        > tests/fixtures/estimation/particle_systematic_filterpy.json

FilterPy draws its offset with `numpy.random.random()`; the script seeds numpy, draws that number
once to record it, reseeds, and calls `filterpy.monte_carlo.systematic_resample`, which then draws
the same number. Weights are normalised here (FilterPy assumes they sum to 1) and written both
as decimals (to read) and as IEEE-754 bit patterns (so Rust uses exactly the same doubles).

FilterPy's `residual_resample` is not used: it subtracts the copy counts from the unscaled
weights and is biased (see src/estimation/particle/resampling.rs).
"""
import json
import struct
import sys

import filterpy
import numpy as np
from filterpy.monte_carlo import systematic_resample


def bits(x):
    return struct.unpack("<Q", struct.pack("<d", float(x)))[0]


def case(seed, n, zero_fraction, power):
    gen = np.random.default_rng(seed)
    w = gen.random(n) ** power
    w[gen.random(n) < zero_fraction] = 0.0
    if w.sum() == 0.0:
        w[0] = 1.0
    w = w / w.sum()
    np.random.seed(seed)
    offset = float(np.random.random())
    np.random.seed(seed)
    idx = systematic_resample(w)
    return {
        "seed": seed,
        "weights": [float(v) for v in w],
        "weights_bits": [bits(v) for v in w],
        "offset": offset,
        "offset_bits": bits(offset),
        "indices": [int(i) for i in idx],
    }


def main():
    cases = []
    seed = 1
    for n in [1, 2, 3, 5, 10, 37, 100, 1000]:
        for zero_fraction, power in [(0.0, 1.0), (0.3, 1.0), (0.0, 4.0), (0.5, 8.0)]:
            cases.append(case(seed, n, zero_fraction, power))
            seed += 1
    out = {
        "source": "filterpy.monte_carlo.systematic_resample",
        "filterpy": filterpy.__version__,
        "numpy": np.__version__,
        "convention": "index i for position u = (offset + j) / n when C[i-1] <= u < C[i]",
        "cases": cases,
    }
    # One case per line: readable and diff-friendly.
    head = {k: v for k, v in out.items() if k != "cases"}
    text = json.dumps(head, indent=1)[:-2] + ',\n "cases": [\n'
    text += ",\n".join("  " + json.dumps(c) for c in cases)
    text += "\n ]\n}\n"
    json.loads(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
