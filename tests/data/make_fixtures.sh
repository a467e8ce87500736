#!/usr/bin/env bash
# Regenerates the results fixtures in tests/data/fixtures/ with the current bridge_bench (host
# backend), so the tests read what the writer writes (check_fixtures.py, a ctest, fails when
# they lag it). What the host can run: every strategy x every layout of world 2, under each
# cadence (the isolated one with two repetitions). NCCL paths and GEMM contention need GPUs:
# the tests read them from a real record (reports/nccl-paths-h200/world1_eager.json).
#   tests/data/make_fixtures.sh [BUILD_DIR]     (default: $BUILD_DIR, else build/)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${1:-${BUILD_DIR:-$root/build}}"
# Relative paths (from the repository root): the files record their command line.
cd "$root"
bench="${build#"$root"/}/bench/bridge_bench"
out=tests/data/fixtures
common=(--backend=host --world=2 --layouts=all --shapes=2x64x32 --mem=bsh --strategies=all
        --iters=5 --warmup=1)
timeout 600 "$bench" "${common[@]}" --cadence=isolated --benchmark_repetitions=2 \
  --json "$out/host_isolated.json" > /dev/null
timeout 600 "$bench" "${common[@]}" --cadence=streaming \
  --json "$out/host_streaming.json" > /dev/null
echo "wrote $out/host_isolated.json and $out/host_streaming.json"
