#!/usr/bin/env bash
# On a GPU machine, in one call of at most 300 s: the A/A proof of the nightly verdicts (issue
# 20, item 4).
#   scripts/device_aa.sh OUTDIR        env: BB_SHAPES, BB_ITERS, BB_REPS, BB_PLANT_PHASE
# Builds bridge_bench (at most 110 s), then runs the emulation sweep of the seed layouts 6 times
# back to back (3 A/A pairs, every run 5 repetitions, randomly interleaved; each run ~10-15 s on an
# H100 at the default 2x4096x4096, 12 configs x 5 repetitions, limited to 18 s), and compares:
#   * each pair with compare.py: an A/A pair must give 0 SLOWER/FASTER totals;
#   * a history of the runs (history.py calibrate on runs 1-3, append every run, check after
#     runs 4, 5, 6), and compare.py --history on the pairs of runs 4-6: 0 regressions;
#   * a planted +5% slowdown: with bridge_bench's test-only phase delay when it has one
#     (--test-phase-delay=PHASE:PCT, BB_PLANT_PHASE, default fwd_comm: +5% of that phase's
#     warm-up median inside it), a real seventh run; else the last run's samples of every
#     config that has that phase scaled by 1.05 (tests/python/planted.py). It must be SLOWER on
#     every affected config (the phase's row for a real run, the total for a scaled copy), in
#     compare.py against run 6, and history.py check is noted.
# Each step has a time limit; the summary is OUTDIR/aa_summary.md, everything else is packed
# into OUTDIR/aa.tgz (the device returns at most 8 files).
set -u
out=${1:?give an output folder}
mkdir -p "$out"
export PATH=${CUDA_HOME:-/usr/local/cuda}/bin:$PATH PYTHONUNBUFFERED=1 NCCL_NVLS_ENABLE=0
summary="$out/aa_summary.md"
: > "$summary"
source "$(dirname "$0")/device_lib.sh"
shapes=${BB_SHAPES:-2x4096x4096}
phase=${BB_PLANT_PHASE:-fwd_comm}
note "device: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | head -1), commit $(git rev-parse --short=12 HEAD 2>/dev/null)"
[ -f build/CMakeCache.txt ] || timeout 40 cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBB_BUILD_TESTS=OFF > "$out/configure.log" 2>&1
run build 110 cmake --build build -j16 --target bridge_bench
sweep=(--backend=emulate --layouts=seeds --shapes="$shapes" --mem=bsh --dtypes=bf16 --collectives=off
       --iters="${BB_ITERS:-20}" --warmup=3 --cupti=off --benchmark_repetitions="${BB_REPS:-5}"
       --benchmark_enable_random_interleaving=true)
for i in 1 2 3 4 5 6; do
  run "aa$i" 18 ./build/bench/bridge_bench "${sweep[@]}" --json "$out/aa$i.json"
done
totals() { grep -E '^\*\*[0-9]+ SLOWER' "$1" | head -1; grep -c '| TOTAL | .*\*\*\(SLOWER\|FASTER\)\*\*' "$1" | sed 's/^/  SLOWER+FASTER totals: /'; }
for p in "1 2" "3 4" "5 6"; do
  set -- $p
  timeout 120 python3 scripts/compare.py "$out/aa$1.json" "$out/aa$2.json" > "$out/compare_aa$1_aa$2.md" 2>&1
  note "compare aa$1 aa$2 (A/A): $(totals "$out/compare_aa$1_aa$2.md" | tr '\n' ' ')"
done
db="$out/history.db"
rm -f "$db"
# The floor from the first three runs (the largest change between any two); pairs and checks
# after it use runs it never saw: compare.py alone cannot see whole runs move apart.
timeout 60 python3 scripts/history.py calibrate "$db" "$out/aa1.json" "$out/aa2.json" "$out/aa3.json" 2>&1 | tee -a "$summary"
for p in "4 5" "5 6" "4 6"; do
  set -- $p
  timeout 120 python3 scripts/compare.py --history "$db" "$out/aa$1.json" "$out/aa$2.json" > "$out/compare_floor_aa$1_aa$2.md" 2>&1
  note "compare --history aa$1 aa$2 (A/A, floor from aa1-aa3): $(totals "$out/compare_floor_aa$1_aa$2.md" | tr '\n' ' ')"
done
for i in 1 2 3 4 5 6; do
  timeout 60 python3 scripts/history.py append "$db" "$out/aa$i.json" > /dev/null 2>&1
  if [ "$i" -ge 4 ]; then
    timeout 120 python3 scripts/history.py check "$db" > "$out/check_aa$i.txt" 2>&1
    note "history check after aa$i (A/A): rc=$? $(tail -1 "$out/check_aa$i.txt")"
  fi
done
if ./build/bench/bridge_bench --help 2>&1 | grep -q -- --test-phase-delay; then
  run planted 18 ./build/bench/bridge_bench "${sweep[@]}" --test-phase-delay="$phase:5" --json "$out/planted.json"
  note "planted: a real run with --test-phase-delay=$phase:5"
else
  timeout 60 python3 tests/python/planted.py "$out/aa6.json" "$out/planted.json" --phase "$phase" --factor 1.05 2>&1 | tee -a "$summary"
  note "planted: bridge_bench has no --test-phase-delay; aa6's samples scaled by 1.05 where $phase ran"
fi
timeout 120 python3 scripts/compare.py --history "$db" "$out/aa6.json" "$out/planted.json" > "$out/compare_planted.md" 2>&1
note "compare aa6 planted (+5% in $phase): $(totals "$out/compare_planted.md" | tr '\n' ' ')"
timeout 60 python3 tests/python/planted.py --affected "$out/planted.json" --phase "$phase" \
  --compare "$out/compare_planted.md" 2>&1 | tee -a "$summary"
timeout 60 python3 scripts/history.py append "$db" "$out/planted.json" > /dev/null 2>&1
timeout 120 python3 scripts/history.py check "$db" > "$out/check_planted.txt" 2>&1
note "history check planted: rc=$? $(tail -1 "$out/check_planted.txt")"
note "total: $SECONDS s"
pack aa.tgz
