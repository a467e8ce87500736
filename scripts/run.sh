#!/usr/bin/env bash
# The main job: installs and builds, runs the default sweep (seed layouts; NCCL across the GPUs
# present when there are two or more, the single-GPU emulation with one, host simulation with
# none), every config checked by the oracle, then writes the JSON and the Markdown/HTML report.
#   scripts/run.sh [--out DIR] [bridge_bench flags ...]
# The results file is DIR/results.json, or the one a --json flag names. The report is built
# only from a results file that bridge_bench wrote in this call (never from an older one), and
# the exit status is bridge_bench's when it failed. BB_SKIP_SETUP=1 uses the existing build.
# SIGINT and SIGTERM (Ctrl-C, `timeout`, Slurm's time limit) are forwarded to bridge_bench, which
# writes what it measured (`aborted`, exit 130/143); run.sh waits for it and still renders the
# report of what was written, then exits with bridge_bench's status.
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
# The output directory, checked before the build and the sweep: a file, or a path that cannot be
# created or written, is bad_output (exit 2), never a raw mkdir error after the work.
bad_output() { echo "error: bad_output: run.sh --out $out: $1" >&2; exit 2; }
if [ -e "$out" ] && [ ! -d "$out" ]; then bad_output "is not a directory"; fi
mkdir -p "$out" 2>/dev/null || bad_output "cannot create the directory ($(mkdir -p "$out" 2>&1 | sed 's/^mkdir: //'))"
probe="$(mktemp "$out/.run.sh.probe.XXXXXX" 2>/dev/null)" || bad_output "the directory is not writable"
rm -f "$probe"
if [ "${BB_SKIP_SETUP:-0}" != 1 ]; then "$root/scripts/setup.sh"; fi
# Identity of the results file before the run: write_json_atomic renames a new file into place,
# so a file written by this call has a new inode or modification time.
stamp() { stat -c '%i %y' "$1" 2>/dev/null || echo none; }
before="$(stamp "$results")"
# bridge_bench runs in its own process group (set -m), so a terminal's Ctrl-C reaches it once,
# forwarded from here, and as a background job it does not start with SIGINT ignored.
child=""
forward() { if [ -n "$child" ]; then kill -s "$1" "$child" 2>/dev/null || true; fi; }
trap 'forward INT' INT
trap 'forward TERM' TERM
set -m
"$build/bench/bridge_bench" --json "$out/results.json" --benchmark_out="$out/gbench.json" \
  --benchmark_out_format=json "$@" &
child=$!
set +m
# A trapped signal ends `wait` early: wait again until bridge_bench itself has exited.
while kill -0 "$child" 2>/dev/null; do wait "$child" || true; done
status=0
wait "$child" || status=$?
trap - INT TERM
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
