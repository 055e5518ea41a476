#!/usr/bin/env bash
# Installs the Debian packages crossq needs, only those that are missing. Idempotent.
# Usage: scripts/install-deps.sh [build|tools|bench]
#   build (default): what building, testing and running crossq needs (the Python module too:
#                    python3-dev, pybind11-dev; its tests: python3-pytest; the Slurm
#                    sweep test: slurm-wlm, munge).
#   tools:           also what the reference generators in tools/ need (PyTorch).
#   bench:           also the GEMM libraries bench/gemm_libs compares beside Eigen, OpenBLAS and
#                    oneDNN (libxsmm, BLIS).
set -euo pipefail
want=(cmake ninja-build g++ make pkg-config
      libeigen3-dev libopenblas-dev libdnnl-dev libmujoco-dev libmujoco-samples
      libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev nlohmann-json3-dev libfmt-dev
      python3 python3-numpy python3-matplotlib chromium
      python3-dev pybind11-dev python3-pytest
      clang libclang-rt-14-dev
      slurm-wlm munge)
if [[ "${1:-build}" == tools ]]; then want+=(python3-torch python3-scipy); fi
if [[ "${1:-build}" == bench ]]; then want+=(libxsmm-dev libblis-serial-dev); fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then exit 0; fi

echo "crossq: installing missing Debian packages: ${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then sudo="sudo"; else
    echo "crossq: error: need root (or sudo) to install: ${missing[*]}" >&2
    echo "  fix: run 'apt-get install ${missing[*]}' as root, then retry" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "crossq: dependencies installed"
