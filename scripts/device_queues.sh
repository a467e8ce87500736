#!/usr/bin/env bash
# Why the planted slowdown (--test-phase-delay=fwd_comm:5) landed at +14-27% in emulation on the
# H100 (reports/aa-h100/README.md): the hypothesis is CUDA's hardware queues. The eight emulated
# ranks' streams map onto CUDA_DEVICE_MAX_CONNECTIONS queues (8 by default); streams sharing one
# run in each other's order, so the ranks' one-thread spins partly run one after another.
# This runs the seeds undelayed and planted with the variable unset (whatever the suite chooses), 8, 32 and 1
# queues and prints, per setting, fwd_comm planted/undelayed for the configs that have it.
# A delay that lands at ~+5% with 32 and at a multiple of it with 1 confirms the hypothesis.
#   scripts/device_queues.sh OUTDIR        (8 runs of 12 configs x 3 repetitions after the build; one GPU)
#   env BB_QUEUES: the settings to try (default "unset 8 32 1")
set -u
out=${1:?give an output folder}
mkdir -p "$out"
export NCCL_NVLS_ENABLE=0
common=(--backend=emulate --layouts=seeds --shapes=2x4096x4096 --mem=bsh --dtypes=bf16 --collectives=off
        --iters=20 --warmup=3 --cupti=off --benchmark_repetitions=3)
for c in ${BB_QUEUES:-unset 8 32 1}; do
  for v in base planted; do
    extra=(); [ $v = planted ] && extra=(--test-phase-delay=fwd_comm:5)
    env $([ $c = unset ] || echo CUDA_DEVICE_MAX_CONNECTIONS=$c) timeout 60 build/bench/bridge_bench "${common[@]}" \
      "${extra[@]}" --json "$out/q${c}_$v.json" > "$out/q${c}_$v.log" 2>&1
    echo "queues=$c $v rc=$?"
  done
done
python3 - "$out" "${BB_QUEUES:-unset 8 32 1}" <<'PY'
import json, statistics, sys
out = sys.argv[1]
def fwd(path):
    d = json.load(open(path))
    return {c["id"]: p["median_ms"] for c in d["configs"] for p in c.get("phases", [])
            if p.get("name") == "fwd_comm" and p.get("median_ms")}
for c in sys.argv[2].split():
    try:
        a, b = fwd(f"{out}/q{c}_base.json"), fwd(f"{out}/q{c}_planted.json")
    except Exception as e:
        print(f"queues={c}: no result ({e})"); continue
    r = [100 * (b[k] / a[k] - 1) for k in a if k in b]
    print(f"queues={c}: fwd_comm +{statistics.median(r):.1f}% median, {min(r):.1f}..{max(r):.1f}% over {len(r)} configs (asked +5%)")
PY
