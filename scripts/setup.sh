#!/usr/bin/env bash
# Installs what bridgebench needs (Debian/Ubuntu packages, pinned Python packages) and builds it.
# Used by run.sh, test.sh and CI. Idempotent: installs only what is missing.
#   BUILD_DIR (default build), BB_SKIP_INSTALL=1 to skip installs, CMAKE_ARGS for extra flags.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"

need_pkgs=()
if [ "${BB_SKIP_INSTALL:-0}" != 1 ] && command -v dpkg >/dev/null 2>&1; then
  for p in cmake g++ make libbenchmark-dev libgtest-dev nlohmann-json3-dev libopenmpi-dev openmpi-bin python3-pip \
           chromium; do  # chromium: the report's real-browser test (tests/python/test_browser.py)
    dpkg -s "$p" >/dev/null 2>&1 || need_pkgs+=("$p")
  done
  if [ ${#need_pkgs[@]} -gt 0 ]; then
    echo "setup: installing ${need_pkgs[*]}" >&2
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    # A machine without a package registry (e.g. a lent GPU box) may already have equivalents
    # (a pip cmake, a vendored header): go on and let CMake say what is really missing.
    if ! { $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
           $sudo_cmd apt-get install -y -qq "${need_pkgs[@]}" >/dev/null; }; then
      echo "setup: warning: could not install ${need_pkgs[*]}; trying to build with what is here" >&2
    fi
  fi
fi
if [ "${BB_SKIP_INSTALL:-0}" != 1 ]; then
  if ! python3 -c "import matplotlib, numpy, pytest, scipy" >/dev/null 2>&1; then
    echo "setup: installing scripts/requirements.txt" >&2
    python3 -m pip install -q -r "$root/scripts/requirements.txt" 2>&1 | grep -v "Running pip as the 'root'" >&2 || true
  fi
  # The upstream oracle (docs/upstream-parity.md): pinned torch and megatron-core. A failed install
  # is said here and fails tests/python/test_upstream_parity.py (never a skip).
  if ! python3 "$root/scripts/upstream_pins.py" "$root/scripts/requirements-upstream.txt" >/dev/null 2>&1; then
    echo "setup: installing scripts/requirements-upstream.txt (torch, megatron-core; a few minutes)" >&2
    python3 -m pip install -q --ignore-requires-python -r "$root/scripts/requirements-upstream.txt" 2>&1 |
      grep -v "Running pip as the 'root'" >&2 ||
      true
    python3 "$root/scripts/upstream_pins.py" "$root/scripts/requirements-upstream.txt" >&2 ||
      echo "setup: warning: the upstream oracle is not installed; test_upstream_parity.py will fail" >&2
  fi
fi

# nvcc is found on PATH or in /usr/local/cuda; without it the host path still builds.
if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH="/usr/local/cuda/bin:$PATH"
fi
mkdir -p "$build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release ${CMAKE_ARGS:-} >"$build/configure.log" 2>&1 ||
  { cat "$build/configure.log" >&2; exit 1; }
echo "setup: building in $build (log: $build/build.log)" >&2
cmake --build "$build" -j"$(nproc)" >"$build/build.log" 2>&1 ||
  { grep -E "error|Error" -A5 "$build/build.log" | head -60 >&2; exit 1; }
echo "setup: built in $build" >&2
