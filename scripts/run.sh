#!/usr/bin/env bash
# The main job: installs and builds, runs the default sweep (seed layouts; NCCL across the GPUs
# present when there are two or more, the single-GPU emulation with one, host simulation with
# none), every config checked by the oracle, then writes the JSON and the Markdown/HTML report.
#   scripts/run.sh [--out DIR] [bridge_bench flags ...]
# The results file is DIR/results.json, or the one a --json flag names. The report is built
# only from a results file that bridge_bench wrote in this call (never from an older one), and
# the exit status is bridge_bench's when it failed. BB_SKIP_SETUP=1 uses the existing build.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
out="$root/out"
if [ "${1:-}" = "--out" ]; then
  if [ $# -lt 2 ] || [ -z "$2" ] || [ "${2#--}" != "$2" ]; then
    echo "error: bad_flag: run.sh --out needs a directory (scripts/run.sh [--out DIR] [bridge_bench flags ...])" >&2
    exit 2
  fi
  out="$2"
  shift 2
fi
# The results file: the last --json the flags give (bridge_bench takes the last one too).
results="$out/results.json"
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --json=*) results="${args[$i]#--json=}" ;;
    --json)
      if [ $((i + 1)) -lt ${#args[@]} ]; then results="${args[$((i + 1))]}"; fi ;;
  esac
done
mkdir -p "$out"
if [ "${BB_SKIP_SETUP:-0}" != 1 ]; then "$root/scripts/setup.sh"; fi
# Identity of the results file before the run: write_json_atomic renames a new file into place,
# so a file written by this call has a new inode or modification time.
stamp() { stat -c '%i %y' "$1" 2>/dev/null || echo none; }
before="$(stamp "$results")"
status=0
"$build/bench/bridge_bench" --json "$out/results.json" --benchmark_out="$out/gbench.json" \
  --benchmark_out_format=json "$@" || status=$?
if [ -f "$results" ] && [ "$(stamp "$results")" != "$before" ]; then
  if ! python3 "$root/scripts/report.py" "$results" --out-dir "$out" --title "bridgebench default sweep"; then
    [ "$status" -eq 0 ] && status=1
  fi
  echo "run: $results, $out/report.md, $out/report.html"
else
  echo "run: bridge_bench wrote no results (exit $status); no report" >&2
  [ "$status" -eq 0 ] && status=1
fi
exit $status
