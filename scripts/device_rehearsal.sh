#!/usr/bin/env bash
# The multi-node rehearsal on one GPU (scripts/rehearse.sh), in one device call: correctness
# across real processes over NCCL's socket transport, the launchers, real peers failing, the
# transport recorded, and nccl-tests beside the suite's bare collectives over the same transport.
#   scripts/device_rehearsal.sh OUTDIR     env: BB_STEPS (subset of "build gputests np2 np2graph np4
#                                          np4graph np8 np8mps torchrun torchrun4 faults nccltests"),
#                                          ANCHORS (default .anchors), BB_MPS=1 (every step under --mps)
set -u
out=${1:?give an output folder}; mkdir -p "$out"; summary="$out/0_summary.md"; : > "$summary"
source "$(dirname "$0")/device_lib.sh"
export PATH=${CUDA_HOME:-/usr/local/cuda}/bin:$PATH NCCL_NVLS_ENABLE=0 PYTHONUNBUFFERED=1
steps=" ${BB_STEPS:-build gputests np2 np4 np8 torchrun faults nccltests} "
# After every step: everything so far in one archive that sorts first, so a call cut short by
# its limit still brings back what finished (the device returns at most 8 files).
checkpoint() { (cd "$out" && tar -czf /tmp/0_rehearsal.tgz --exclude=0_rehearsal.tgz --exclude=0_summary.md . && mv /tmp/0_rehearsal.tgz .); }
has() { [[ $steps == *" $1 "* ]]; }
anchors=${ANCHORS:-.anchors}
R=scripts/rehearse.sh
mps=(); [ "${BB_MPS:-0}" = 1 ] && mps=(--mps)
note "device: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | head -1); commit $(git rev-parse --short HEAD 2>/dev/null)"
if has build; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > "$out/configure.log" 2>&1
  (cmake --build build -j12 > "$out/build.log" 2>&1; echo "suite build rc=$?" >> "$summary") &
  [ -f "$anchors/build-nccl-tests.sh" ] && (bash "$anchors/build-nccl-tests.sh" /tmp/nt MPI=1 > "$out/nt_build.log" 2>&1;
    echo "nccl-tests (MPI=1) build rc=$?" >> "$summary") &
  wait
fi
# Correctness across processes: a results JSON per world, every config checked by the oracle.
checkpoint
if has gputests; then  # the CUPTI attribution and path tests this work touched, on the GPU
  run gputests 80 bash -c "cd build && ctest --output-on-failure --timeout 120 -R 'Cupti|cupti|NcclPaths|EmulatedSkew|NcclTransport|bridge_bench'"
  grep -E "tests passed|tests failed|\(Failed\)" "$out/gputests.log" | tee -a "$summary"; checkpoint
fi
small="--shapes=2x512x1024 --iters=3 --warmup=1"
if has np2; then
  run np2_timed 150 $R -n 2 -- --layouts=all --strategies=all --mem=bsh,sbh --dtypes=bf16,fp32 $small --json "$out/np2_timed.json"
fi
checkpoint
if has np8mps; then  # the same seed sweep as np8, under MPS: kernels of the 8 processes at once
  t0=$(date +%s)
  run np8_seeds_mps 100 $R -n 8 --mps -- --layouts=seeds --shapes=2x512x1024 --iters=3 --collectives=off --json "$out/np8_seeds_mps.json"
  # Faster under MPS (the plain sweep took 86 s): the later steps use it too.
  [ -f "$out/np8_seeds_mps.json" ] && [ $(( $(date +%s) - t0 )) -lt 70 ] && mps=(--mps) && note "later steps run under --mps"
fi
checkpoint
if has np2graph; then  # graph mode across processes: all 96 passed once, then the run did not exit
  run np2_graph 200 $R -n 2 "${mps[@]}" -- --layouts=all --strategies=all --mem=bsh,sbh --dtypes=bf16,fp32 $small --mode=graph --collectives=off --json "$out/np2_graph.json"
fi
checkpoint
if has np4; then
  run np4_timed ${BB_NP4_LIMIT:-300} $R -n 4 "${mps[@]}" -- --layouts=all --strategies=all --mem=bsh,sbh --dtypes=bf16,fp32 $small --collectives=off --json "$out/np4_timed.json"
fi
checkpoint
if has np4b4; then  # the one world-4 layout whose fan-out of 4 needs a batch of 4 (skipped at batch 2)
  run np4_b4 60 $R -n 4 "${mps[@]}" -- --layouts=tp4dp1-tp1dp4 --strategies=all --mem=bsh,sbh --dtypes=bf16,fp32 --shapes=4x512x1024 --iters=3 --warmup=1 --collectives=off --json "$out/np4_b4_timed.json"
  run np4_b4g 60 $R -n 4 "${mps[@]}" -- --layouts=tp4dp1-tp1dp4 --strategies=all --mem=bsh,sbh --dtypes=bf16,fp32 --shapes=4x512x1024 --iters=3 --warmup=1 --collectives=off --mode=graph --json "$out/np4_b4_graph.json"
fi
checkpoint
if has np4graph; then
  run np4_graph ${BB_NP4_LIMIT:-300} $R -n 4 "${mps[@]}" -- --layouts=all --strategies=all --mem=bsh,sbh --dtypes=bf16,fp32 $small --mode=graph --collectives=off --json "$out/np4_graph.json"
fi
checkpoint
if has np8; then
  run np8_seeds 90 $R -n 8 -- --layouts=seeds --shapes=2x512x1024 --iters=3 --collectives=off --json "$out/np8_seeds.json"
fi
checkpoint
has torchrun && run torchrun_np2 60 $R -n 2 --launcher torchrun "${mps[@]}" -- --layouts=all --strategies=all --mem=sbh $small --collectives=off --json "$out/torchrun_np2.json"
has torchrun4 && run torchrun_np4 100 $R -n 4 --launcher torchrun "${mps[@]}" -- --layouts=all --strategies=reference,p2p --mem=bsh $small --collectives=off --json "$out/torchrun_np4.json"
checkpoint
if has faults; then
  # A step cut by its limit can leave ranks behind: none may count against the fault checks.
  pkill -9 -x bridge_bench; sleep 1
  run faults 150 python3 scripts/rehearsal_faults.py "$out/faults" ${BB_FAULTS:+--only $BB_FAULTS}
  cat "$out/faults.log" >> "$summary"
fi
checkpoint
if has nccltests && [ -x /tmp/nt/build/all_gather_perf ]; then
  # Over the same transport: one process per rank, each its own host (its own host name too:
  # nccl-tests counts local ranks by host name), beside the suite's bare collectives.
  for t in all_gather all_reduce; do
    run "nt_$t" 120 env BB_REHEARSAL_UTS=1 mpirun -np 2 --oversubscribe --bind-to none --allow-run-as-root \
      scripts/rehearse_rank.sh /tmp/nt/build/${t}_perf -b 16M -e 256M -f 2 -g 1 -c 1 -n 10 -w 3
    grep -E "^ +[0-9]+ " "$out/nt_$t.log" | tee -a "$summary"
  done
  run suite_bare_np2 150 $R -n 2 -- --layouts=tp1dp2-tp2dp1,tp2dp1-tp1cp2dp1 --strategies=reference --shapes=16x1024x1024,32x1024x1024,64x1024x1024 --mem=bsh --iters=10 --json "$out/suite_bare_np2.json"
fi
python3 scripts/rehearsal_table.py "$out"/np*.json "$out"/torchrun*.json >> "$summary" 2>&1
checkpoint
(cd "$out" && find . -mindepth 1 -maxdepth 1 ! -name 0_rehearsal.tgz ! -name 0_summary.md -exec rm -rf {} +)
