#!/usr/bin/env bash
# scripts/run.sh on bad input (issue 12): --out without a value, a bridge_bench flag it refuses,
# and --json elsewhere. run.sh must never report a results file it did not write in that call.
#   test_run_sh.sh BUILD_DIR
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export BUILD_DIR="$1" BB_SKIP_SETUP=1
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail=0
check() {  # check NAME CONDITION-EXIT-CODE MESSAGE
  if [ "$2" -ne 0 ]; then echo "FAIL: $1: $3" >&2; fail=1; else echo "ok: $1"; fi
}

# 1. --out with no value: a clean bad_flag, not "$2: unbound variable".
"$root/scripts/run.sh" --out >"$tmp/o1" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "error: bad_flag: run.sh --out needs a directory" "$tmp/o1"
check "--out without a value" $? "exit $rc: $(cat "$tmp/o1")"

# 2. A flag bridge_bench refuses: exit 2, and the old results file is not reported as new.
mkdir -p "$tmp/out2"
echo '{"old": true}' >"$tmp/out2/results.json"
"$root/scripts/run.sh" --out "$tmp/out2" --bogus >"$tmp/o2" 2>&1; rc=$?
[ $rc -eq 2 ] && ! grep -q "^run: $tmp/out2/results.json" "$tmp/o2" && grep -q '"old"' "$tmp/out2/results.json"
check "--bogus" $? "exit $rc: $(cat "$tmp/o2")"

# 3. --json elsewhere: the report is built from that file, not from DIR/results.json.
mkdir -p "$tmp/out3"
echo '{"old": true}' >"$tmp/out3/results.json"
"$root/scripts/run.sh" --out "$tmp/out3" --backend=host --layouts=seed_fan_in_cp1 --mem=bsh --shapes=2x64x32 \
  --strategies=fused --collectives=off --iters=1 --warmup=0 --json="$tmp/elsewhere.json" >"$tmp/o3" 2>&1; rc=$?
[ $rc -eq 0 ] && grep -q "^run: $tmp/elsewhere.json" "$tmp/o3" && grep -q '"old"' "$tmp/out3/results.json"
check "--json elsewhere" $? "exit $rc: $(tail -20 "$tmp/o3")"

# 4. --out naming a file, or a path that cannot be created (R01, R03): exit 2 bad_output before
#    any build or run, the file untouched.
echo keep >"$tmp/afile"
for where in "$tmp/afile" "$tmp/afile/sub" /proc/self/bb_out; do
  "$root/scripts/run.sh" --out "$where" --backend=host >"$tmp/o4" 2>&1; rc=$?
  [ $rc -eq 2 ] && grep -q "^error: bad_output: run.sh --out $where: " "$tmp/o4" && [ "$(cat "$tmp/afile")" = keep ]
  check "--out $where" $? "exit $rc: $(cat "$tmp/o4")"
done

# 5. SIGTERM and SIGINT to run.sh (G05): forwarded to bridge_bench, which writes what it measured
#    with `aborted` and exits 128 + the signal; run.sh waits for it (no orphan), renders the report
#    of what was written (headed ABORTED) and exits with bridge_bench's status. A stand-in
#    bridge_bench (the C++ side has its own signal tests) makes this independent of timing.
mkdir -p "$tmp/fake/bench"
cat >"$tmp/fake/bench/bridge_bench" <<'FAKE'
#!/usr/bin/env bash
json=$2
finish() {
  python3 - "$json" "$1" "$ROOT/tests/data/sample_results_host.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[3]))
doc["aborted"] = {"rule": "interrupted", "signal": sys.argv[2],
                  "error": f"interrupted by {sys.argv[2]} after 1 of 9 configs"}
json.dump(doc, open(sys.argv[1], "w"))
PY
  exit "$2"
}
trap 'finish SIGTERM 143' TERM
trap 'finish SIGINT 130' INT
echo $$ >"$PIDFILE"
while :; do sleep 0.1; done
FAKE
chmod +x "$tmp/fake/bench/bridge_bench"
for sig in TERM INT; do
  want=$([ $sig = TERM ] && echo 143 || echo 130)
  rm -f "$tmp/bb.pid"
  set -m   # run.sh must not start with SIGINT ignored, as a background job of a script would
  ROOT="$root" PIDFILE="$tmp/bb.pid" BUILD_DIR="$tmp/fake" "$root/scripts/run.sh" --out "$tmp/out5$sig" >"$tmp/o5" 2>&1 &
  runsh=$!
  set +m
  for _ in $(seq 100); do [ -s "$tmp/bb.pid" ] && break; sleep 0.1; done
  kill -s $sig $runsh
  wait $runsh; rc=$?
  bb=$(cat "$tmp/bb.pid" 2>/dev/null)
  [ $rc -eq $want ] && [ -n "$bb" ] && ! kill -0 "$bb" 2>/dev/null \
    && grep -q "ABORTED (interrupted, SIG$sig)" "$tmp/out5$sig/report.md" \
    && grep -q "^run: $tmp/out5$sig/results.json" "$tmp/o5"
  check "SIG$sig to run.sh" $? "exit $rc (want $want), bridge_bench $bb $(kill -0 "$bb" 2>/dev/null && echo still running): $(tail -5 "$tmp/o5")"
done
exit $fail
