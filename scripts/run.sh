#!/usr/bin/env bash
# The main job: installs and builds, runs the default sweep (seed layouts; NCCL across the GPUs
# present when there are two or more, the single-GPU emulation with one, host simulation with
# none), every config checked by the oracle, then writes the JSON and the Markdown/HTML report.
#   scripts/run.sh [--out DIR] [bridge_bench flags ...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
out="$root/out"
if [ "${1:-}" = "--out" ]; then out="$2"; shift 2; fi
mkdir -p "$out"
"$root/scripts/setup.sh"
status=0
"$build/bench/bridge_bench" --json "$out/results.json" --benchmark_out="$out/gbench.json" \
  --benchmark_out_format=json "$@" || status=$?
if [ -f "$out/results.json" ]; then
  python3 "$root/scripts/report.py" "$out/results.json" --out-dir "$out" --title "bridgebench default sweep"
  echo "run: $out/results.json, $out/report.md, $out/report.html"
fi
exit $status
