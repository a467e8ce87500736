#!/usr/bin/env bash
# Exploratory (first call of the rehearsal work): facts before design.
set -u
out=${1:?}; mkdir -p "$out"; summary="$out/summary.md"; : > "$summary"
source scripts/device_lib.sh
export PATH=/usr/local/cuda/bin:$PATH NCCL_NVLS_ENABLE=0 PYTHONUNBUFFERED=1
ts() { python3 -u -c 'import sys,time
t0=time.time()
for l in sys.stdin: print(f"{time.time()-t0:8.3f} {l}", end="", flush=True)'; }
note "device: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > "$out/configure.log" 2>&1
(cmake --build build -j12 > "$out/build.log" 2>&1; echo "suite build rc=$?" >> "$summary") &
(bash .anchors/build-nccl-tests.sh /tmp/nt > "$out/nt_build.log" 2>&1; echo "nt build rc=$?" >> "$summary") &
wait
tail -3 "$out/build.log"
B=build/bench/bridge_bench
R="scripts/rehearse.sh"
mkdir -p "$out/ncclinfo"
run np2_paths 120 env TMPDIR="$out/ncclinfo" \
  $R -n 2 -- --layouts=all --shapes=2x1024x1024 --mem=bsh --strategies=reference,p2p --iters=5 --nccl-path=all --cupti=on --json "$out/np2_paths.json"
tail -5 "$out/np2_paths.log"
grep -h "via" "$out"/ncclinfo/* | head -5 | tee -a "$summary"
python3 -c "
import json; d=json.load(open('$out/np2_paths.json')); print(json.dumps(d['environment'].get('transport'))); c=d['configs'][0]; print(c['id'], [(p['name'], p.get('gpu_busy_ms'), p.get('path_used'), p.get('floor_ratio')) for p in c['phases']])" | tee -a "$summary"
run np4_time 200 bash -c "$R -n 4 -- --layouts=all --shapes=2x512x1024 --iters=3 --collectives=off --json $out/np4.json 2>&1 | ts"
tail -3 "$out/np4_time.log"
run np8_seeds 150 bash -c "$R -n 8 -- --layouts=seeds --shapes=2x512x1024 --iters=3 --collectives=off --json $out/np8.json 2>&1 | ts"
tail -3 "$out/np8_seeds.log"
run torchrun2 90 $R -n 2 --launcher torchrun -- --layouts=seeds --world=2 --shapes=2x1024x1024 --iters=3 --collectives=off --json "$out/tr2.json"
tail -3 "$out/torchrun2.log"
run nt_ag 90 env BB_REHEARSAL_UTS=1 NCCL_DEBUG=INFO NCCL_DEBUG_SUBSYS=INIT mpirun -np 2 --oversubscribe --bind-to none --allow-run-as-root scripts/rehearse_rank.sh /tmp/nt/build/all_gather_perf -b 16M -e 256M -f 2 -g 1 -c 1 -n 10 -w 3
grep -E "^ +[0-9]+ |via|Invalid" "$out/nt_ag.log" | head -12 | tee -a "$summary"
# A peer killed mid-sweep
( $R -n 2 -- --layouts=all --shapes=2x1024x1024 --iters=20 --timeout=10 --json "$out/kill.json" > "$out/kill.log" 2>&1; echo "kill run rc=$?" >> "$summary" ) &
sleep 15; pgrep -a bridge_bench | tee -a "$summary"; p=$(pgrep -x bridge_bench | tail -1); t0=$(date +%s.%N); kill -9 $p; wait; echo "abort took $(python3 -c "print($(date +%s.%N)-$t0)") s" | tee -a "$summary"
tail -5 "$out/kill.log" | tee -a "$summary"; ls -la "$out"/kill.json* | tee -a "$summary"
pack explore.tgz
