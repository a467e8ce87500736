#!/usr/bin/env bash
# The cost model's held-out validation on one GPU (issue 22 item 5a; 5b as its own step), sized to
# ONE device call: the default steps (build emulate tables) finish in about 330 s on an H100,
# build included; `rehearsal` adds about 150 s and is meant for a call of its own. Every step has
# a time limit, cut further to what is left of BB_BUDGET_S (default 320) so the whole call stays
# inside it, and writes under OUTDIR, so what finished comes back.
#   1. emulation, world 8, the seeds at two shapes with their bare collectives: the calibration
#      (the only thing the model is fitted on; the round trips are never fitted);
#   2. emulation held out: world 8, every layout of --layouts=all that is not a seed; worlds 12 and
#      16, every 2nd layout of --layouts=all (a spread over src tp, dest tp and cp); one shape;
#      each world in two halves (a half that runs out of time loses only itself);
#   3. (5b, step `rehearsal`) the same on the multi-process socket rehearsal, scripts/rehearse.sh
#      -n 4 (4 processes on this GPU over NCCL sockets): calibrated on 3 layouts' bare collectives
#      at two shapes, held out on the other 15 layouts of world 4;
#   4. the error tables: scripts/model_check.py (reads only the JSON; runs anywhere, see below).
#   5. (step `fresh`, session 6) a held-out set no recorded file has: calibration from the world-8
#      seeds plus one equal layout (its empty round trips give the timer floor) in the same call;
#      held out: every 2nd world-8 layout that reports/model-emulate-h100-heldout/ never ran, at
#      8x1024x8192 sbh; every 3rd layout of world 10 (never run) at 10x1280x4096 sbh; every 9th
#      layout of world 12 not run there, at 24x1536x4096 bsh; scored by step `tables`. About 70 s
#      of device time on an H100 after the build: BB_STEPS='build fresh tables'.
# What it trades for the time: bsh only, bf16 only, CUPTI off, --iters=10 --warmup=3 (the suite's
# defaults are 20 and 5: medians of 10 samples), one held-out shape (2x4096x4096; the rehearsal
# 1x4096x4096), half the layouts at worlds 12 and 16; every strategy kept (the best-strategy
# figure needs all four). Sizing: an H100 ran 24 seed configs with 30 bare collectives in about
# 6 s and 36 world-16 configs in 11 s at the default iterations
# (reports/model-emulate-h100-heldout/model_data.log).
#   scripts/device_model.sh OUTDIR
#   env: BB_STEPS (subset of "build emulate fresh rehearsal tables"; default "build emulate tables"),
#        BB_BUDGET_S (320), BB_MODEL_BACKEND (emulate; `host` runs the same steps on a CPU with
#        BB_MODEL_SHAPES/BB_MODEL_HELD_SHAPE small, to check the script itself), BB_REH_CAL_SHAPES and
#        BB_REH_CAL_LIMIT (the rehearsal calibration: its bare collectives over sockets dominate).
set -u
out=${1:-${OUT:?give an output folder}}
mkdir -p "$out"
export PATH=${CUDA_HOME:-/usr/local/cuda}/bin:$PATH PYTHONUNBUFFERED=1 NCCL_NVLS_ENABLE=0
steps=" ${BB_STEPS:-build emulate tables} "
has() { [[ $steps == *" $1 "* ]]; }
summary="$out/model_summary.md"
source "$(dirname "$0")/device_lib.sh"
t_start=$(date +%s)
budget=${BB_BUDGET_S:-320}
backend=${BB_MODEL_BACKEND:-emulate}
# A step's limit: its own, or what is left of the budget less a reserve for the tables (15 s).
limited() {  # NAME LIMIT CMD...
  local name=$1 want=$2; shift 2
  local left=$(( budget - ($(date +%s) - t_start) - 15 ))
  if [ "$left" -lt 10 ]; then note "== $name: skipped (budget spent)"; return; fi
  run "$name" $(( want < left ? want : left )) "$@"
}
command -v nvidia-smi >/dev/null && note "device: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | head -1)"
bench=${BUILD_DIR:-./build}/bench/bridge_bench
plan=${BUILD_DIR:-./build}/tools/bridge-plan
fast="--mem=bsh --dtypes=bf16 --strategies=all --iters=10 --warmup=3 --cupti=off"
cal_shapes=${BB_MODEL_SHAPES:-2x4096x4096,4x8192x4096}
held_shape=${BB_MODEL_HELD_SHAPE:-2x4096x4096}
# The seeds under both names: their own, and the label --layouts=all gives the same layouts.
seed_names=seed_fan_in_cp2,seed_fan_out_cp2,seed_fan_in_cp1,tp2dp4-tp2cp2dp2,tp4dp2-tp1cp2dp4,tp2dp4-tp4dp2
# Layout names of --layouts=all at world W (scripts/bridge_plan_ref.py), every STEP-th, without
# the names in SKIP, as two comma-separated halves on two lines.
halves() {  # W STEP SKIP
  python3 - "$@" <<'EOF'
import sys
sys.path.insert(0, "scripts")
import bridge_plan_ref as bp
w, step, skip = int(sys.argv[1]), int(sys.argv[2]), set(sys.argv[3].split(","))
names = [n for n, _, _ in bp.all_layouts(w)][::step]
names = [n for n in names if n not in skip]
h = (len(names) + 1) // 2
print(",".join(names[:h]))
print(",".join(names[h:]))
EOF
}
if has build; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > "$out/configure.log" 2>&1
  run build 200 cmake --build build -j16 --target bridge_bench bridge-plan
fi
if has emulate; then
  limited emulate_cal_w8 60 $bench --backend=$backend --world=8 --layouts=seeds --shapes=$cal_shapes $fast \
    --json "$out/emulate_cal_w8.json"
  for spec in "8 1 45" "12 2 50" "16 2 55"; do
    set -- $spec
    w=$1 every=$2 limit=$3
    mapfile -t parts < <(halves "$w" "$every" "$seed_names")
    for k in 1 2; do
      names=${parts[$((k - 1))]:-}
      [ -n "$names" ] && limited "emulate_held_w${w}_$k" "$limit" $bench --backend=$backend --world=$w --layouts="$names" \
        --shapes=$held_shape $fast --collectives=off --json "$out/emulate_held_w${w}_$k.json"
    done
  done
fi
# Fresh held-out layouts and shapes (step 5 above): names of --layouts=all at world W, every
# STEP-th from OFFSET, that no recorded held-out or seed file ran (nor a seed under its other name).
fresh_names() {  # W STEP OFFSET
  python3 - "$@" "$seed_names" <<'EOF2'
import glob, json, sys
sys.path.insert(0, "scripts")
import bridge_plan_ref as bp
w, step, off = (int(x) for x in sys.argv[1:4])
seen = set(sys.argv[4].split(","))
for f in glob.glob("reports/model-emulate-h100-heldout/emulate_*.json"):
    seen |= {c["layout"] for c in json.load(open(f)).get("configs", [])}
names = [n for n, _, _ in bp.all_layouts(w) if n not in seen][off::step]
print(",".join(names))
EOF2
}
equal8=tp2dp4-tp2dp4
if has fresh; then
  limited fresh_cal_w8 60 $bench --backend=$backend --world=8 --layouts=seeds,$equal8 --shapes=$cal_shapes $fast \
    --json "$out/fresh_cal_w8.json"
  for spec in "8 2 0 ${BB_FRESH_SHAPE_8:-8x1024x8192} sbh" "10 3 0 ${BB_FRESH_SHAPE_10:-10x1280x4096} sbh" \
              "12 9 4 ${BB_FRESH_SHAPE_12:-24x1536x4096} bsh"; do
    set -- $spec
    names=$(fresh_names "$1" "$2" "$3")
    [ -n "$names" ] && limited "fresh_held_w$1" 45 $bench --backend=$backend --world=$1 --layouts="$names" --shapes=$4 \
      ${fast/--mem=bsh/--mem=$5} --collectives=off --json "$out/fresh_held_w$1.json"
  done
fi
# 5b: 4 processes on this GPU over NCCL sockets; calibrated on 3 layouts, held out on the rest.
reh_cal=tp2dp2-tp1cp2dp2,tp1dp4-tp2dp2,tp4dp1-tp2cp2dp1
if has rehearsal; then
  limited rehearsal_cal_w4 ${BB_REH_CAL_LIMIT:-70} scripts/rehearse.sh -n 4 --mps -- --layouts=$reh_cal --shapes=${BB_REH_CAL_SHAPES:-1x2048x4096,2x4096x4096} $fast \
    --json "$out/rehearsal_cal_w4.json"
  limited rehearsal_held_w4 80 scripts/rehearse.sh -n 4 --mps -- --layouts="$(halves 4 1 "$reh_cal" | paste -sd,)" \
    --shapes=1x4096x4096 $fast --collectives=off --json "$out/rehearsal_held_w4.json"
fi
if has tables; then
  check() {  # NAME CALIBRATION MEDIUM EXCLUDED RESULTS...
    local name=$1 cal=$2 medium=$3 excl=$4; shift 4
    [ -f "$cal" ] || { note "$name: no calibration ($cal)"; return; }
    [ $# -gt 0 ] || { note "$name: no held-out results"; return; }
    python3 scripts/model_check.py --plan "$plan" --calibration "$cal" --medium "$medium" \
      --gpus-per-node 1 --exclude-layouts "$excl" "$@" --out "$out/$name.md" && note "### $name" && sed -n 3,13p "$out/$name.md" >> "$summary"
  }
  for w in 8 12 16; do
    check "model_emulate_w$w" "$out/emulate_cal_w8.json" shared "$seed_names" $(ls "$out"/emulate_held_w${w}_*.json 2>/dev/null)
  done
  check model_emulate_all_held "$out/emulate_cal_w8.json" shared "$seed_names" $(ls "$out"/emulate_held_w*_*.json 2>/dev/null)
  check model_fresh_held "$out/fresh_cal_w8.json" shared "$seed_names,$equal8" $(ls "$out"/fresh_held_w*.json 2>/dev/null)
  check model_rehearsal_w4 "$out/rehearsal_cal_w4.json" socket "$reh_cal" $(ls "$out"/rehearsal_held_w4.json 2>/dev/null)
  # In-sample, for contrast: the calibration runs' own round trips against their own bare collectives.
  check model_emulate_cal_insample "$out/emulate_cal_w8.json" shared "" $(ls "$out"/emulate_cal_w8.json 2>/dev/null)
fi
note "== total: $(( $(date +%s) - t_start ))s"
