#!/usr/bin/env bash
# On a multi-GPU machine (one host, N GPUs), in one call and in priority order, each step writing
# its JSON under OUTDIR so that what finished comes back even if the machine is withdrawn:
#   1. the anchor: nccl-tests (from ANCHORS, a copy of the shared anchors folder carried with the
#      checkout) all_gather/all_reduce/alltoall/sendrecv, 8 MiB..2 GiB, -c 1, one process, -g N;
#   2. bridge_bench --backend=nccl over every valid layout of the world, then the seed shapes
#      (h 4096, s 4096-8192, b 2-8, bf16, bsh and sbh, every strategy) with threads and mpirun;
#   3. the PyTorch reference (scripts/torch_bridge.py under torchrun) on the seed configs;
#   4. the hung-collective tests (threads; one MPI rank skipping a phase).
#   scripts/device_multigpu.sh [OUTDIR]    env: ANCHORS (default .anchors), BB_STEPS (subset of
#                                          "build anchor suite mpi torch hang")
set -u
out=${1:-${OUT:?give an output folder}}
mkdir -p "$out"
# python3 and torchrun come from PATH: activate the virtual environment that has PyTorch first.
export PATH=${CUDA_HOME:-/usr/local/cuda}/bin:$PATH PYTHONUNBUFFERED=1 NCCL_NVLS_ENABLE=0
anchors=${ANCHORS:-.anchors}
steps=" ${BB_STEPS:-build anchor suite mpi torch hang} "
has() { [[ $steps == *" $1 "* ]]; }
n=$(nvidia-smi -L | wc -l)
summary="$out/multigpu_summary.md"
source "$(dirname "$0")/device_lib.sh"
note "device: $n x $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | head -1)"
nvidia-smi topo -m > "$out/topology.txt" 2>&1
if has build; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > "$out/configure.log" 2>&1
  (cmake --build build -j24 > "$out/build.log" 2>&1; echo "suite build rc=$?" >> "$summary") &
  [ -f "$anchors/build-nccl-tests.sh" ] && (bash "$anchors/build-nccl-tests.sh" /tmp/nccl-tests > "$out/nccl_tests_build.log" 2>&1;
    echo "nccl-tests build rc=$?" >> "$summary") &
  wait
fi
nt=/tmp/nccl-tests/build
if has anchor && [ -x "$nt/all_gather_perf" ]; then
  for t in all_gather all_reduce alltoall sendrecv; do
    run "nccltests_$t" 120 "$nt/${t}_perf" -b 8M -e 2G -f 2 -g "$n" -c 1
    grep -E "^ +[0-9]+ " "$out/nccltests_$t.log" | tail -3 | tee -a "$summary"
  done
fi
seeds="--shapes=2x4096x4096,4x4096x4096,4x8192x4096,8x8192x4096 --mem=bsh,sbh --dtypes=bf16 --strategies=all"
if has suite; then
  run suite_all_layouts 300 ./build/bench/bridge_bench --backend=nccl --world="$n" --layouts=all \
    --shapes=2x4096x4096 --mem=bsh --strategies=all --json "$out/suite_all_layouts.json"
  [ "$n" -eq 8 ] && run suite_seeds_threads 400 ./build/bench/bridge_bench --backend=nccl --world=8 --layouts=seeds \
    $seeds --json "$out/suite_seeds_threads.json"
fi
if has mpi && [ "$n" -eq 8 ]; then
  run suite_seeds_mpi 400 mpirun -np 8 --allow-run-as-root --bind-to none -x NCCL_NVLS_ENABLE=0 \
    ./build/bench/bridge_bench --backend=nccl --layouts=seeds $seeds --json "$out/suite_seeds_mpi.json"
fi
if has torch; then
  run torch_seeds 300 torchrun --nproc_per_node "$n" scripts/torch_bridge.py --mem bsh,sbh --seq 8192 \
    --batch 4 --hidden 4096 --json "$out/torch_seeds.json"
fi
if has hang; then
  run hang_threads 120 ./build/tests/test_comm --gtest_filter='NcclComm.HungCollectiveTimesOut:NcclComm.Abort*'
  grep -h "\[ info \]" "$out/hang_threads.log" | tee -a "$summary"
fi
pack multigpu.tgz
