#!/usr/bin/env bash
# The axis table's identity proof (issue 21): two bridge_bench binaries, before and after a
# change, run the same host sweeps and the same bad inputs; their results JSON must be the same
# but for measured values (every float, and the warm-up count and gate expiries that timing
# decides) and the environment block, and every refusal the same rule, message and exit status.
#   reports/issue21-proofs/json_identity.sh BENCH_BEFORE BENCH_AFTER OUT_DIR
# Exits 1 and names what differs. Each run has a time limit; nothing outside OUT_DIR is written.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 BENCH_BEFORE BENCH_AFTER OUT_DIR" >&2; exit 2; }
before=$(realpath "$1"); after=$(realpath "$2"); out=$3
mkdir -p "$out"; out=$(realpath "$out"); cd "$out"

# Sweep files: every axis a file can give, with repeats (notes) and the older "memory_layouts".
cat > sweep_a.json <<'EOF'
{"world": 4, "layouts": ["all", "tp2dp2-tp2dp2", {"name": "mine", "src": {"tp": 2, "dp": 2}, "dest": {"tp": 1, "cp": 2, "dp": 2}}],
 "shapes": [{"b": 2, "s": 64, "h": 32}, {"b": 1, "s": 32, "h": 16}, {"b": 2, "s": 64, "h": 32}],
 "memory_layouts": ["sbh", "bsh", "sbh"], "dtypes": ["fp16", "bf16"], "strategies": ["all", "fused"], "nccl_paths": ["default"]}
EOF
cat > sweep_b.json <<'EOF'
{"layouts": ["seed_fan_in_cp2"], "shapes": [{"b": 2, "s": 64, "h": 32}], "nccl_paths": ["all"]}
EOF
cat > bad_file.json <<'EOF'
{"layouts": ["seeds"], "shapes": [{"b": 2, "s": 64, "h": 32}], "mems": ["hsb"], "dtypes": ["fp8", 3], "strategies": ["nope"], "nccl_paths": ["zzz"], "colour": 1}
EOF

sweeps=(
  "seeds|--layouts=seeds --shapes=2x64x32"
  "stream|--layouts=seeds --shapes=2x64x32,1x32x16 --mem=sbh --dtypes=fp16,fp32 --cadence=streaming --strategies=reference,p2p"
  "file_a|--layouts=sweep_a.json"
  "file_a2|--layouts=sweep_a.json --mem=bsh --strategies=fused"
  "profile|--layouts=seeds --shapes=2x64x32 --mode=profile --strategies=fused"
  "reps|--layouts=seed_fan_in_cp1 --shapes=2x64x32 --benchmark_repetitions=2"
)
bad=(
  "--layouts=seeds --mem=hsb" "--layouts=seeds --dtypes=fp8" "--layouts=seeds --strategies=nope"
  "--layouts=seeds --strategies=" "--layouts=seeds --nccl-path=zzz" "--layouts=seeds --nccl-path=zero-cta"
  "--layouts=seeds --mem=bsh,,sbh" "--layouts=bad_file.json" "--layouts=sweep_b.json"
  "--layouts=all --world=8 --shapes=1x8x8,2x8x8,3x8x8 --max-configs=100"
  "--layouts=seeds --contention=gemm" "--layouts=seeds --mode=graph" "--layouts=seeds --frobnicate=1"
)

# The JSON without what a run measures: floats, warm-up counts and gate expiries, environment.
normalize() {
  python3 - "$1" <<'EOF'
import json, sys
TIMED_INTS = {"warmup", "gate_expiries"}
def norm(x, k=None):
    if isinstance(x, dict):
        return {a: norm(b, a) for a, b in x.items() if a != "environment"}
    if isinstance(x, list):
        return [norm(v, k) for v in x]
    if isinstance(x, float) or (k in TIMED_INTS and isinstance(x, int)):
        return 0
    return x
print(json.dumps(norm(json.load(open(sys.argv[1]))), indent=1))
EOF
}

fail=0
for side in before after; do
  bench=${!side}; mkdir -p "$side"
  for s in "${sweeps[@]}"; do
    name=${s%%|*}
    # shellcheck disable=SC2086
    timeout 600 "$bench" --backend=host --iters=3 --warmup=1 ${s#*|} --json="$side/$name.json" > /dev/null 2> "$side/$name.err" ||
      { echo "$side $name: exit $?" >&2; fail=1; }
  done
  for i in "${!bad[@]}"; do
    # shellcheck disable=SC2086
    rc=0; timeout 60 "$bench" --backend=host --json="$side/bad$i.json" ${bad[$i]} > /dev/null 2> "$side/bad$i.err" || rc=$?
    echo "$rc" > "$side/bad$i.rc"
  done
done
for s in "${sweeps[@]}"; do
  name=${s%%|*}
  if cmp -s <(normalize "before/$name.json") <(normalize "after/$name.json"); then
    echo "same: $name ($(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(len(d['configs']), 'configs,', len(d['collectives']), 'collectives,', len(d['skipped']), 'skipped')" "after/$name.json"))"
  else echo "DIFFERS: $name"; fail=1; fi
done
for i in "${!bad[@]}"; do
  # The refusal (up to the usage text that bad_flag adds) and its exit status.
  if cmp -s <(sed '/^usage:/,$d' "before/bad$i.err"; cat "before/bad$i.rc") <(sed '/^usage:/,$d' "after/bad$i.err"; cat "after/bad$i.rc"); then
    echo "same refusal (exit $(cat "after/bad$i.rc")): ${bad[$i]}"
  else echo "DIFFERS: ${bad[$i]}"; fail=1; fi
done
exit $fail
