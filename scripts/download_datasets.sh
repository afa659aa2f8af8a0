#!/usr/bin/env bash
# Downloads the public benchmark files Kestrel's tests and benches read from $KESTREL_DATASETS:
# Moving AI grid maps and scenarios (movingai/) and pose graphs (g2o/), from the public
# repositories they were copied from, and checks each file's SHA-256.
#
# Usage: scripts/download_datasets.sh DIR
#        export KESTREL_DATASETS=DIR
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 DIR" >&2
    exit 2
fi
dest=$1
mkdir -p "$dest/movingai" "$dest/g2o"

if command -v curl >/dev/null 2>&1; then
    fetch() { curl -fsSL --retry 3 -o "$2" "$1"; }
elif command -v wget >/dev/null 2>&1; then
    fetch() { wget -q -O "$2" "$1"; }
else
    echo "error: neither curl nor wget is installed" >&2
    exit 1
fi

raw() { echo "https://raw.githubusercontent.com/$1/HEAD/$2"; }

# target file | repository | path in the repository | sha256
files=(
    "movingai/arena.map|THeK3nger/movingai-rust|tests/arena.map|9887c3022fb76d8e2b49db4a54641e31df79607cf96c2a0ec362702808113d4d"
    "movingai/arena.map.scen|THeK3nger/movingai-rust|tests/arena.map.scen|b631475cd551e2e5bb6d4585131197c13be27fcea18a19deb03c1ebf9fce2fc8"
    "movingai/maze512-32-9.map|THeK3nger/movingai-rust|tests/maze512-32-9.map|214de410a56a97c2477e827e4eaf15baf183f46555f3e62a13d106bbc98b3a1a"
    "movingai/maze512-32-9.map.scen|THeK3nger/movingai-rust|tests/maze512-32-9.map.scen|1c7b51a3ee6fe4d79db9c878e5529f477bb866187634a9f1b15e9de901fabbf5"
    "g2o/M3500.g2o|powei-lin/tiny-solver-rs|tests/data/input_M3500_g2o.g2o|1883593980e602b11bd0ba95799c969e59ee8a6892bdb2a3a48f495459efe9d8"
    "g2o/intel.g2o|david-m-rosen/SE-Sync|data/intel.g2o|3e0724c048e0ba524be9dd268a8b78e19a2497043143584cbb61310638b15c4b"
    "g2o/city10000.g2o|david-m-rosen/SE-Sync|data/city10000.g2o|df5988994339e990be198a36e7f640e31a5a1b26df3ed400363fafc49d5ca630"
    "g2o/CSAIL.g2o|david-m-rosen/SE-Sync|data/CSAIL.g2o|66d99ac857a9849d814d214a9ebd0d4876d5d40f0a37be9330c1ff6e6e9daaa6"
    "g2o/ring.g2o|OpenSLAM-org/openslam_vertigo|datasets/ring/originalDataset/ring.g2o|786a004adc98e7a530d3ba3c11200f7d8ba6cad6ca59929d64e1cbbf164d49aa"
    "g2o/INTEL_carlone.g2o|AtsushiSakai/PythonRobotics|SLAM/GraphBasedSLAM/data/input_INTEL.g2o|e648e42b1f24ab01cce76f56c8d8dad0b606f712afe2b92356bf26f195c602be"
    "g2o/sphere2500.g2o|david-m-rosen/SE-Sync|data/sphere2500.g2o|104ab57593394f24351d9f692f3b923f8b98fff1eb638c64356cf5049e06cf3c"
    "g2o/parking-garage.g2o|david-m-rosen/SE-Sync|data/parking-garage.g2o|3ac0a31bfb601d7455d451e2546655cb5dececf51a7823f57c8a7e0fe1ca6527"
    "g2o/smallGrid3D.g2o|david-m-rosen/SE-Sync|data/smallGrid3D.g2o|9ea56c2ad1ebcc322560eb2f8d83cb3a60f99e2e2acc35e097b1162cdbafd649"
)

failed=0
for entry in "${files[@]}"; do
    IFS='|' read -r target repo path sum <<<"$entry"
    out="$dest/$target"
    if [ -f "$out" ] && echo "$sum  $out" | sha256sum -c --status 2>/dev/null; then
        echo "ok (present)  $target"
        continue
    fi
    url=$(raw "$repo" "$path")
    if ! fetch "$url" "$out.part"; then
        echo "FAILED        $target  <- $url" >&2
        rm -f "$out.part"
        failed=1
        continue
    fi
    mv "$out.part" "$out"
    if echo "$sum  $out" | sha256sum -c --status; then
        echo "ok            $target"
    else
        # Upstream files can change; keep the download but say it differs from the one the
        # reference figures were measured on.
        echo "WARNING       $target: checksum differs from the reference copy" >&2
    fi
done
if [ "$failed" -ne 0 ]; then
    echo "some downloads failed" >&2
    exit 1
fi
echo "done: export KESTREL_DATASETS=$(cd "$dest" && pwd)"
