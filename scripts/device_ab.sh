#!/usr/bin/env bash
# On a GPU machine, in one call: this tree's emulation times against an older commit's, on the
# same GPU, runs alternated A B A B so drift between runs falls on both sides (issue 21: a refactor
# must not make the timed work slower).
#   scripts/device_ab.sh OUTDIR BASE         BASE: `git archive --format=tar.gz BASE_COMMIT` (carried),
#                                            or a folder holding that tree (built there when its
#                                            build/bench/bridge_bench is missing); env: BB_SHAPES,
#                                            BB_ITERS, BB_REPS
# Builds both trees (in parallel), then runs the emulation sweep of the seed layouts four times
# (base, new, base, new; each with interleaved repetitions) and compares with compare.py: each
# base/new pair (the verdict: no SLOWER total) and the two base runs (A/A: what noise looks like).
set -u
out=${1:?give an output folder}; base_in=${2:?give the base tree: a .tar.gz (git archive) or its folder}
mkdir -p "$out"
export PATH=${CUDA_HOME:-/usr/local/cuda}/bin:$PATH PYTHONUNBUFFERED=1 NCCL_NVLS_ENABLE=0
summary="$out/ab_summary.md"
: > "$summary"
source "$(dirname "$0")/device_lib.sh"
if [ -d "$base_in" ]; then
  base=$base_in
else
  base=$(mktemp -d)
  tar -xzf "$base_in" -C "$base" || { note "error: cannot unpack $base_in"; exit 2; }
fi
note "device: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | head -1)"
[ -f build/CMakeCache.txt ] || cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > "$out/configure.log" 2>&1
(cmake --build build -j10 --target bridge_bench > "$out/build.log" 2>&1; echo "new build rc=$?" >> "$summary") &
[ -x "$base/build/bench/bridge_bench" ] ||
  (cmake -S "$base" -B "$base/build" -DCMAKE_BUILD_TYPE=Release > "$out/base_configure.log" 2>&1 &&
   cmake --build "$base/build" -j6 --target bridge_bench > "$out/base_build.log" 2>&1; echo "base build rc=$?" >> "$summary") &
wait
sweep=(--backend=emulate --layouts=seeds --shapes="${BB_SHAPES:-4x8192x4096}" --mem=bsh,sbh --dtypes=bf16
       --collectives=off --iters="${BB_ITERS:-20}" --warmup=5 --cupti=off
       --benchmark_repetitions="${BB_REPS:-3}" --benchmark_enable_random_interleaving=true)
for r in 1 2; do
  run "base$r" 150 "$base/build/bench/bridge_bench" "${sweep[@]}" --json "$out/base$r.json"
  run "new$r" 150 ./build/bench/bridge_bench "${sweep[@]}" --json "$out/new$r.json"
done
totals() { echo "$(grep -E '^\*\*[0-9]+ SLOWER' "$1" | head -1) round-trip totals SLOWER: $(grep -c '| TOTAL | .*\*\*SLOWER\*\*' "$1")"; }
for p in "base1 new1" "base2 new2" "base1 base2"; do
  set -- $p
  timeout 120 python3 scripts/compare.py "$out/$1.json" "$out/$2.json" > "$out/compare_$1_$2.md" 2>&1
  note "compare $1 -> $2: $(totals "$out/compare_$1_$2.md")"
done
pack ab.tgz
