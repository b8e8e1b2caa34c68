#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: installs what is needed, fetches
# the CLIP BPE merges, builds the `camoe` binary and runs the demo job
# (configs/demo.pbtxt). Safe to run again; finished steps are quick.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --runtime
scripts/fetch-assets.sh build/assets
scripts/build.sh
build/camoe demo --config=configs/demo.pbtxt "$@"
