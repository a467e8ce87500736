#!/usr/bin/env bash
# On the GPU machine, from the repository root: build the kernel targets, run their tests, the
# sanitizers, the kernel bench and the PyTorch comparison. Logs and JSON go to $1 (default $OUT).
#   scripts/gpu-kernels.sh [outdir]
set -u
out=${1:-${OUT:?give an output folder}}
mkdir -p "$out"
export PATH=/opt/torch/.venv/bin:$PATH PYTHONUNBUFFERED=1
status=0
step() {
  local t0=$SECONDS
  echo "== $1"; shift
  "$@" || { echo "!! failed ($?): $*"; status=1; }
  echo "   ($((SECONDS - t0)) s)"
}

step configure cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > "$out/build.log" 2>&1
step build cmake --build build -j16 --target test_kernels bench_kernels >> "$out/build.log" 2>&1
tail -3 "$out/build.log"
step tests ./build/tests/test_kernels > "$out/tests.log" 2>&1
tail -3 "$out/tests.log"
# The sanitizers run the tests minus the 2.4 GiB split-segment case (minutes under memcheck).
# racecheck looks at shared memory, which these kernels do not use: a subset is enough.
san() { timeout 200 compute-sanitizer --tool "$1" --error-exitcode 9 ./build/tests/test_kernels --gtest_brief=1 --gtest_filter="$2"; }
step memcheck san memcheck '-*Large*:*OutOfMemory*' > "$out/sanitizers.log" 2>&1
step racecheck san racecheck '*bf16*:*Random*:*Device*' >> "$out/sanitizers.log" 2>&1
grep -E "ERROR SUMMARY|RACECHECK SUMMARY|PASSED|FAILED" "$out/sanitizers.log"
step bench ./build/bench/bench_kernels --benchmark_out="$out/bench.json" --benchmark_out_format=json > "$out/bench.log" 2>&1
step torch python3 scripts/torch_compare.py run --out "$out/torch.json" > "$out/torch.log" 2>&1
step combine python3 scripts/torch_compare.py combine --kernels "$out/bench.json" --torch "$out/torch.json" --out "$out/table.md"
exit $status
