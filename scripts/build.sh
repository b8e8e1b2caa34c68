#!/usr/bin/env bash
# Configures and builds camoe into build/ (or $CAMOE_BUILD_DIR).
#
#   scripts/build.sh [--tests] [cmake args...]
#
# Uses $CAMOE_JOBS parallel jobs (default 2: a TU that includes libtorch needs
# about 1 GiB of memory and 20 s; more jobs than cores only thrashes).
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir="${CAMOE_BUILD_DIR:-build}"
jobs="${CAMOE_JOBS:-2}"
tests=OFF
if [[ "${1:-}" == "--tests" ]]; then tests=ON; shift; fi

cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DCAMOE_BUILD_TESTS="$tests" "$@" >/dev/null
cmake --build "$build_dir" -j "$jobs"
