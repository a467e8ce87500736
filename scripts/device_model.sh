#!/usr/bin/env bash
# The cost model's held-out validation on one GPU (issue 22 item 5a, and 5b where a rehearsal
# launcher is given). Each step has a time limit and writes under OUTDIR, so what finished comes back:
#   1. emulation, world 8, the seeds at the seed shapes with their bare collectives: the calibration;
#   2. emulation, every other layout of --layouts=all at world 8, and every layout at worlds 12 and
#      16 (never seen by the calibration), one shape, every strategy;
#   3. (5b) the same under the multi-process socket rehearsal, when BB_REHEARSAL is the launcher
#      prefix that runs bridge_bench as N processes on this GPU (issue 18), e.g.
#      BB_REHEARSAL="mpirun -np 8 --allow-run-as-root --bind-to none -x NCCL_NET=Socket ...";
#   4. the error tables: scripts/model_check.py (reads only the JSON; runs here too).
#   scripts/device_model.sh OUTDIR        env: BB_STEPS (subset of "build emulate rehearsal tables")
set -u
out=${1:-${OUT:?give an output folder}}
mkdir -p "$out"
export PATH=${CUDA_HOME:-/usr/local/cuda}/bin:$PATH PYTHONUNBUFFERED=1 NCCL_NVLS_ENABLE=0
steps=" ${BB_STEPS:-build emulate rehearsal tables} "
has() { [[ $steps == *" $1 "* ]]; }
summary="$out/model_summary.md"
source "$(dirname "$0")/device_lib.sh"
note "device: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | head -1)"
bench=./build/bench/bridge_bench
seeds="--layouts=seeds --shapes=2x4096x4096,4x4096x4096,4x8192x4096,8x8192x4096 --mem=bsh,sbh --dtypes=bf16 --strategies=all"
held="--layouts=all --shapes=4x4096x4096 --mem=bsh --dtypes=bf16 --strategies=all --collectives=off"
# The seeds under both names: their own, and the label --layouts=all gives the same layouts.
seed_names=seed_fan_in_cp2,seed_fan_out_cp2,seed_fan_in_cp1,tp2dp4-tp2cp2dp2,tp4dp2-tp1cp2dp4,tp2dp4-tp4dp2
if has build; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > "$out/configure.log" 2>&1
  run build 900 cmake --build build -j16 --target bridge_bench bridge-plan
fi
if has emulate; then
  run emulate_seeds_w8 400 $bench --backend=emulate --world=8 $seeds --json "$out/emulate_seeds_w8.json"
  for w in 8 12 16; do
    run "emulate_all_w$w" 500 $bench --backend=emulate --world=$w $held --json "$out/emulate_all_w$w.json"
  done
fi
if has rehearsal && [ -n "${BB_REHEARSAL:-}" ]; then
  run rehearsal_seeds_w8 500 $BB_REHEARSAL $bench --backend=nccl $seeds --json "$out/rehearsal_seeds_w8.json"
  run rehearsal_all_w8 500 $BB_REHEARSAL $bench --backend=nccl $held --json "$out/rehearsal_all_w8.json"
elif has rehearsal; then
  note "rehearsal: skipped (BB_REHEARSAL not set)"
fi
if has tables; then
  check() {  # NAME CALIBRATION MEDIUM RESULTS...
    local name=$1 cal=$2 medium=$3; shift 3
    [ -f "$cal" ] || { note "$name: no calibration ($cal)"; return; }
    python3 scripts/model_check.py --plan build/tools/bridge-plan --calibration "$cal" --medium "$medium" \
      --gpus-per-node 1 --exclude-layouts "$seed_names" "$@" --out "$out/$name.md" && sed -n 3,12p "$out/$name.md" | tee -a "$summary"
  }
  for w in 8 12 16; do
    [ -f "$out/emulate_all_w$w.json" ] && check "model_emulate_w$w" "$out/emulate_seeds_w8.json" shared "$out/emulate_all_w$w.json"
  done
  [ -f "$out/rehearsal_all_w8.json" ] && check model_rehearsal_w8 "$out/rehearsal_seeds_w8.json" socket "$out/rehearsal_all_w8.json"
  # In-sample, for contrast: the seeds against their own calibration.
  [ -f "$out/emulate_seeds_w8.json" ] && python3 scripts/model_check.py --plan build/tools/bridge-plan \
    --calibration "$out/emulate_seeds_w8.json" --medium shared --gpus-per-node 1 "$out/emulate_seeds_w8.json" \
    --out "$out/model_emulate_seeds_insample.md"
fi
