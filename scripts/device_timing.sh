#!/usr/bin/env bash
# On a GPU machine, in one call: the evidence for the timing method (docs: README "Measurement").
#   scripts/device_timing.sh [OUTDIR]   env: BASELINE (a source tree of an older commit to build
#                                       and time beside this one), BB_SHAPES, BB_ITERS
# Builds this tree (and BASELINE), runs the GPU timing tests (the emulated skew injection, the
# hang abort, the abort cost), the emulation sweep of the seed layouts with both builds, the
# same sweep with a rank delayed 2 ms and in the streaming cadence, the host launch/wait
# latency under threads and mpirun, and NCCL world 1 under threads and mpirun. Writes JSON and
# Markdown tables into OUTDIR (default $OUT).
set -u
out=${1:-${OUT:?give an output folder}}
mkdir -p "$out"
# python3 and torchrun come from PATH: activate the virtual environment that has PyTorch first.
export PATH=${CUDA_HOME:-/usr/local/cuda}/bin:$PATH PYTHONUNBUFFERED=1 NCCL_NVLS_ENABLE=0
shapes=${BB_SHAPES:-4x8192x4096}
steps=" ${BB_TIMING_STEPS:-tests sweeps latency} "
iters=${BB_ITERS:-20}
summary="$out/timing_summary.md"
: > "$summary"
source "$(dirname "$0")/device_lib.sh"
note "device: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | head -1), commit ${BB_GIT_COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null)}"
[ -f build/CMakeCache.txt ] || cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > "$out/configure.log" 2>&1
( cmake --build build -j12 > "$out/build.log" 2>&1; echo "build rc=$?" >> "$out/build.log" ) &
if [ -n "${BASELINE:-}" ]; then
  mkdir -p "$BASELINE/.deps" && cp -r .deps/include "$BASELINE/.deps/" 2>/dev/null
  ( cmake -S "$BASELINE" -B "$BASELINE/build" -DCMAKE_BUILD_TYPE=Release > "$out/base_configure.log" 2>&1 &&
    cmake --build "$BASELINE/build" -j4 --target bridge_bench > "$out/base_build.log" 2>&1; echo "build rc=$?" >> "$out/base_build.log" ) &
fi
wait
tail -1 "$out/build.log" | tee -a "$summary"
[ -n "${BASELINE:-}" ] && tail -1 "$out/base_build.log" | tee -a "$summary"

if [[ $steps == *" tests "* ]]; then
run test_skew_gpu 240 ./build/tests/test_skew_gpu
run test_skew_host 120 ./build/tests/test_skew
run test_hang 120 ./build/tests/test_comm --gtest_filter='EmulateCommFailures.*:NcclComm.*'
grep -hE "\[ info \]|OK \]|FAILED \]" "$out"/test_skew_gpu.log "$out"/test_skew_host.log "$out"/test_hang.log | tee -a "$summary"
fi

if [[ $steps == *" sweeps "* ]]; then
common=(--backend=emulate --layouts=seeds --shapes="$shapes" --mem=bsh,sbh --dtypes=bf16
        --iters="$iters" --warmup=5 --cupti=off)
if [ -n "${BASELINE:-}" ]; then
  run base_emulate 300 "$BASELINE/build/bench/bridge_bench" "${common[@]}" --json "$out/base_emulate.json"
fi
run new_emulate 300 ./build/bench/bridge_bench "${common[@]}" --json "$out/new_emulate.json"
run new_emulate_delay 300 ./build/bench/bridge_bench "${common[@]}" --inject-delay=7:2 --json "$out/new_emulate_delay.json"
run new_emulate_stream 300 ./build/bench/bridge_bench "${common[@]}" --cadence=streaming --json "$out/new_emulate_stream.json"
files=() labels=()
for f in base_emulate new_emulate new_emulate_delay new_emulate_stream; do
  [ -f "$out/$f.json" ] && files+=("$out/$f.json") labels+=(--label "$f")
done
python3 scripts/phase_vs_bare.py "${files[@]}" "${labels[@]}" > "$out/phase_vs_bare.md" 2>&1
grep -A30 "^## summary" "$out/phase_vs_bare.md" | tee -a "$summary"
fi

if [[ $steps == *" latency "* ]]; then
for mode in threads mpi mpi_nobind; do
  case $mode in
    threads) pre=() ;;
    mpi) pre=(mpirun -np 1 --allow-run-as-root) ;;
    mpi_nobind) pre=(mpirun -np 1 --allow-run-as-root --bind-to none) ;;
  esac
  run "host_latency_$mode" 120 "${pre[@]}" ./build/bench/host_latency 2000
  cat "$out/host_latency_$mode.log" >> "$summary"
  run "nccl1_$mode" 180 "${pre[@]}" ./build/bench/bridge_bench --backend=nccl --world=1 --layouts=all \
    --shapes=2x4096x4096 --mem=bsh,sbh --iters="$iters" --cupti=off --collectives=off --json "$out/nccl1_$mode.json"
done
python3 scripts/launch_table.py "$out"/nccl1_threads.json "$out"/nccl1_mpi.json "$out"/nccl1_mpi_nobind.json \
  --label threads --label mpi --label mpi_nobind > "$out/nccl1_launch.md" 2>&1
cat "$out/nccl1_launch.md" >> "$summary"
fi
# The device returns at most 8 files: everything but the summary goes into one archive.
pack timing.tgz
