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
exit $fail
