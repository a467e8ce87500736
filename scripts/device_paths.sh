#!/usr/bin/env bash
# On the one-GPU machine, in one call (issue 11): NCCL's fast paths and the GEMM contention load.
#   scripts/device_paths.sh OUTDIR      env: BB_ITERS (20), BB_PEAK (bf16 dense peak, 989 TFLOP/s)
# Builds; runs the path GPU tests (every path x strategy at NCCL world 1 through the oracle, graph
# mode per path, registration count back to zero after 100 configs, the GEMM's exact case); the
# GEMM alone against the bf16 peak; the world-1 table (path x strategy: time, path used, path
# setup cost, GEMM TFLOP/s alone and under the bridge) eager and as graphs; NCCL's own INFO lines
# for the paths. Writes OUTDIR/paths_summary.md; everything else goes into OUTDIR/paths.tgz
# (the device returns at most 8 files).
set -u
out=${1:?give an output folder}
mkdir -p "$out"
# python3 and torchrun come from PATH: activate the virtual environment that has PyTorch first.
export PATH=${CUDA_HOME:-/usr/local/cuda}/bin:$PATH PYTHONUNBUFFERED=1 NCCL_NVLS_ENABLE=0
iters=${BB_ITERS:-20}
peak=${BB_PEAK:-989}
summary="$out/paths_summary.md"
: > "$summary"
source "$(dirname "$0")/device_lib.sh"
note "# NCCL paths and GEMM contention (issue 11)"
note ""
note "device: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | head -1), commit ${BB_GIT_COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null)}, NCCL_NVLS_ENABLE=$NCCL_NVLS_ENABLE"
t0=$(date +%s)
[ -f build/CMakeCache.txt ] || cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > "$out/configure.log" 2>&1
[ -f build/CMakeCache.txt ] &&
  cmake --build build -j12 > "$out/build.log" 2>&1
note "build rc=$? ($(( $(date +%s) - t0 ))s)"
bench=./build/bench/bridge_bench

note ""
note "## GPU tests"
run test_paths_gpu 240 ./build/tests/test_paths_gpu
grep -hE "OK \]|FAILED \]|SKIPPED|gemm alone|TFLOP/s, lost|^bare " "$out/test_paths_gpu.log" | tee -a "$summary"
run test_bridge_nccl1 120 ./build/tests/test_bridge_gpu --gtest_filter='NcclBridge.*'
grep -hE "OK \]|FAILED \]" "$out/test_bridge_nccl1.log" | tee -a "$summary"

note ""
note "## GEMM alone (bf16, cuBLAS) against a $peak TFLOP/s bf16 dense peak"
note "(reference: PyTorch's bf16 8192^3 matmul ran at 671-798 TFLOP/s on this machine)"
run gemm_bench 90 ./build/bench/gemm_bench "$peak" 1 4096 8192 16384
cat "$out/gemm_bench.log" >> "$summary"

note ""
note "## World 1: path x strategy (eager, CUPTI on, GEMM contention)"
common=(--backend=nccl --world=1 --layouts=all --mem=bsh --dtypes=bf16 --strategies=reference,fused
        --nccl-path=all --iters="$iters" --warmup=5)
run world1_eager 200 "$bench" "${common[@]}" --shapes=2x4096x4096,4x8192x4096 --contention=none,gemm \
  --cupti=on --json "$out/world1_eager.json"
python3 scripts/paths_table.py "$out/world1_eager.json" > "$out/world1_eager.md" 2>&1
cat "$out/world1_eager.md" >> "$summary"
note ""
note "## World 1: graph mode on every path (path used is unknown there: CUPTI cannot split a graph's phases)"
run world1_graph 120 "$bench" "${common[@]}" --shapes=4x8192x4096 --mode=graph --cupti=off --json "$out/world1_graph.json"
python3 scripts/paths_table.py "$out/world1_graph.json" > "$out/world1_graph.md" 2>&1
cat "$out/world1_graph.md" >> "$summary"
note ""
note "(world 1 has one layout, tp1dp1 -> tp1dp1, whose round trip is local copies only: no collective"
note " phase, so 'path used' is empty above and the path's cost there is its setup and allocator; the"
note " bare collectives at world 1, per path, are in the test_paths_gpu lines 'bare ...' above)"

note ""
note "## NCCL's own lines (NCCL_DEBUG=INFO, SUBSYS=INIT,TUNING,REG,ENV), one config per path"
for p in registered symmetric zero-cta; do
  NCCL_DEBUG=INFO NCCL_DEBUG_SUBSYS=INIT,TUNING,REG,ENV timeout 60 "$bench" --backend=nccl --world=1 --layouts=all \
    --shapes=2x4096x4096 --mem=bsh --strategies=reference --nccl-path=$p --iters=3 --warmup=1 --collectives=off \
    --json "$out/info_$p.json" > "$out/info_$p.log" 2>&1
  note "- $p: rc=$?; $(grep -ciE 'register|window' "$out/info_$p.log") registration lines, $(grep -c 'Init CE' "$out/info_$p.log") 'Init CE', $(grep -c '\[Symmetric\]' "$out/info_$p.log") '[Symmetric]', CTAPolicy lines: $(grep -i ctapolicy "$out/info_$p.log" | head -2 | tr '\n' ' ')"
done
note ""
note "(at world 1 NCCL runs every collective as ncclLaunchOneRank, a local cudaMemcpyAsync: enqueue.cc:2552;"
note " the copy-engine and symmetric paths need >= 2 ranks, so 'one-rank-copy' is the expected path used here)"

pack paths.tgz
ls -la "$out"
