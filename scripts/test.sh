#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs build and test
# dependencies (including the Python references: python3-torch, -regex, -numpy,
# -pil), fetches the CLIP BPE merges, builds everything and runs every test.
#
#   scripts/test.sh [ctest args...]     e.g. -L slow, -LE python, -R Tokenizer
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/fetch-assets.sh build/assets
scripts/build.sh --tests
cd build
ctest --output-on-failure -j "${CAMOE_JOBS:-2}" --timeout 900 "$@"
