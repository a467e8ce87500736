#!/usr/bin/env bash
# On a GPU machine, from the repository root, in one call: build, every test (GPU ones
# included), compute-sanitizer on the kernel tests, the kernel benchmark against cudaMemcpy and
# PyTorch, and the bridge sweep (seed layouts, realistic shapes) with CUPTI on and off.
# Everything lands in OUTDIR (default $OUT): a summary, the results JSON, and a log bundle.
#   scripts/device.sh [OUTDIR]         env: BB_SHAPES, BB_ITERS, BB_STEPS (space-separated subset of
#                                      "build test sanitize kernels bridge timing rehearsal"), BASELINE (timing:
#                                      a source tree of an older commit timed beside this one)
set -u
out=${1:-${OUT:?give an output folder}}
mkdir -p "$out"
logs=$(mktemp -d)
# python3 and torchrun come from PATH: activate the virtual environment that has PyTorch first.
export PATH=${CUDA_HOME:-/usr/local/cuda}/bin:$PATH PYTHONUNBUFFERED=1 NCCL_NVLS_ENABLE=0
steps=${BB_STEPS:-"build test sanitize kernels bridge rehearsal"}
shapes=${BB_SHAPES:-1x1024x4096,2x2048x4096,2x4096x4096,4x4096x4096,4x8192x4096,8x8192x4096}
iters=${BB_ITERS:-20}
status=0
summary="$out/summary.txt"
: > "$summary"
note() { echo "$*" | tee -a "$summary"; }
step() {
  local name=$1; shift
  local t0=$(date +%s)
  "$@" > "$logs/$name.log" 2>&1
  local rc=$?
  note "== $name: rc=$rc ($(( $(date +%s) - t0 ))s)"
  [ $rc -eq 0 ] || status=1
  return $rc
}
has() { [[ " $steps " == *" $1 "* ]]; }
python3 -c "import torch" 2>/dev/null ||
  note "note: $(command -v python3) has no PyTorch: activate the environment that has it, or the PyTorch anchors fail"

note "device: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -1)"
note "commit: ${BB_GIT_COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}"
if has build; then
  [ -f build/CMakeCache.txt ] || step configure cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
  step build cmake --build build -j"$(nproc)" || { tail -40 "$logs/build.log" | tee -a "$summary"; }
fi
if has test; then
  step ctest bash -c "cd build && ctest --output-on-failure -j4 --timeout 300"
  grep -E "tests passed|tests failed|Total Test" "$logs/ctest.log" | tee -a "$summary"
  grep -E "\(Failed\)|\*\*\*Failed|Exception" "$logs/ctest.log" | head -20 | tee -a "$summary"
  # Skipped GPU tests on a GPU machine would mean they never ran: list them.
  note "gpu-labelled tests skipped: $(grep -E 'Skipped' "$logs/ctest.log" | grep -ciE 'gpu|cuda|nccl|emulat|kernel|cupti')"
fi
if has sanitize; then
  san() { timeout 240 compute-sanitizer --tool "$1" --error-exitcode 9 ./build/tests/test_kernels --gtest_brief=1 --gtest_filter="$2"; }
  # Not the timing tests (WaitUs*): under a sanitizer a launch takes 20-30 us more (80 us for a 50 us spin).
  step memcheck san memcheck '-*Large*:*OutOfMemory*:*WaitUs*'
  step racecheck san racecheck '*bf16*:*Random*:*Device*'
  grep -hE "ERROR SUMMARY|RACECHECK SUMMARY" "$logs/memcheck.log" "$logs/racecheck.log" | tee -a "$summary"
fi
if has kernels; then
  step bench_kernels ./build/bench/bench_kernels --benchmark_out="$out/kernels_gbench.json" --benchmark_out_format=json
  step torch python3 scripts/torch_compare.py run --out "$logs/torch.json"
  step combine python3 scripts/torch_compare.py combine --kernels "$out/kernels_gbench.json" --torch "$logs/torch.json" --out "$out/kernels.md"
  cat "$out/kernels.md" >> "$summary" 2>/dev/null
fi
if has bridge; then
  common=(--backend=emulate --layouts=seeds --shapes="$shapes" --mem=bsh,sbh --dtypes=bf16 --iters="$iters" --warmup=5)
  step bridge_cupti ./build/bench/bridge_bench "${common[@]}" --cupti=on --json "$out/bridge_emulate.json" \
    --benchmark_repetitions=3
  tail -60 "$logs/bridge_cupti.log" | grep -E "^seed|results:" | tee -a "$summary"
  step bridge_nocupti ./build/bench/bridge_bench "${common[@]}" --cupti=off --json "$out/bridge_emulate_nocupti.json"
  step bridge_nccl1 ./build/bench/bridge_bench --backend=nccl --world=1 --layouts=all --shapes=2x4096x4096 \
    --mem=bsh,sbh --cupti=on --json "$out/bridge_nccl_world1.json"
  step bridge_graph1 ./build/bench/bridge_bench --backend=nccl --world=1 --layouts=all --shapes=2x4096x4096 \
    --mem=bsh,sbh --mode=graph --json "$out/bridge_nccl_world1_graph.json"
  if command -v mpirun >/dev/null; then
    step bridge_mpi1 mpirun -np 1 --allow-run-as-root ./build/bench/bridge_bench --backend=nccl --layouts=all \
      --shapes=2x4096x4096 --mem=sbh --json "$logs/bridge_mpi1.json"
  fi
fi
if has rehearsal; then
  # The multi-node rehearsal on this machine's GPU (scripts/device_rehearsal.sh): world 2 across
  # processes under mpirun and torchrun, and real peers failing (rehearsal_faults.py).
  step rehearsal env BB_STEPS="np2 torchrun faults" bash scripts/device_rehearsal.sh "$logs/rehearsal"
  cat "$logs/rehearsal/0_summary.md" >> "$summary" 2>/dev/null
fi
if has timing; then
  # The timing method's evidence (scripts/device_timing.sh): emulation before/after, the injected
  # delay, the streaming cadence, host launch/wait latency and NCCL world 1 under threads and MPI.
  step timing env BB_TIMING_STEPS="sweeps latency" bash scripts/device_timing.sh "$logs/timing"
  cat "$logs/timing/timing_summary.md" >> "$summary" 2>/dev/null
fi
tar -C "$logs" -czf "$out/logs.tgz" .
note "status: $status"
exit $status
