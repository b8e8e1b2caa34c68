#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: installs what is needed, fetches
# the CLIP BPE merges, builds `camoe`, renders the embedded synthetic dataset
# (once) and trains + evaluates the demo model (configs/demo.pbtxt) from scratch.
# Extra arguments go to `camoe train` (e.g. --world_size=2 runs two ranks as threads).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --runtime
scripts/fetch-assets.sh build/assets
scripts/build.sh
if [[ ! -f build/demo-data/MSRVTT_data.json ]]; then
  build/camoe make-synthetic --out=build/demo-data --videos=200 --seed=1
fi
# A fresh run each time; remove this line to resume an interrupted one instead.
rm -rf build/demo-checkpoints
build/camoe train --config=configs/demo.pbtxt "$@"
