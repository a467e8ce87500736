#!/usr/bin/env bash
# Profile one benchmark command under Nsight Systems and reduce the trace to per-phase GPU time.
#
# usage: scripts/nsys_sweep.sh [-o OUT_PREFIX] -- BENCH [BENCH_ARGS...]
#   OUT_PREFIX  default out/nsys/profile; writes OUT_PREFIX.nsys-rep,
#               OUT_PREFIX_nvtx_gpu_proj_sum.csv, OUT_PREFIX_nvtx_sum.csv,
#               OUT_PREFIX_phases.md and OUT_PREFIX_phases.json
# The benchmark gets its profile-mode flags appended (default "--mode=profile --cupti=off": its
# profile mode, with CUPTI off so that it does not compete with nsys for the activity API);
# set BB_PROFILE_ARGS to change them ("" for none). NSYS overrides the nsys executable.
# exit: 0 done, 2 usage, 3 nsys not installed, otherwise the failing step's status
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
prefix=out/nsys/profile
nsys=${NSYS:-nsys}

usage() { sed -n '4,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    -o) [ $# -ge 2 ] || usage; prefix=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) usage ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || usage

if ! command -v "$nsys" >/dev/null 2>&1; then
  cat >&2 <<EOF
nsys_sweep.sh: Nsight Systems ('$nsys') is not installed or not on PATH; no NVTX profile taken.
Per-phase GPU time is still in the results JSON: each phase's "gpu_busy_ms" is the CUPTI union
of kernel and copy intervals, null where CUPTI was off (run the benchmark in its timed mode with
CUPTI enabled; scripts/report.py shows it in every per-phase table).
EOF
  exit 3
fi

read -r -a profile_args <<< "${BB_PROFILE_ARGS---mode=profile --cupti=off}"
mkdir -p "$(dirname "$prefix")"

"$nsys" profile --trace=cuda,nvtx,osrt --capture-range=none --force-overwrite=true \
  -o "$prefix" "$@" "${profile_args[@]}"

# One stats call for both reports; with --output each report lands in PREFIX_<report>.csv.
"$nsys" stats --force-export=true --format csv --output "$prefix" \
  --report nvtx_gpu_proj_sum --report nvtx_sum "$prefix.nsys-rep"

python3 "$here/nsys_phases.py" "${prefix}_nvtx_gpu_proj_sum.csv" --sum "${prefix}_nvtx_sum.csv" \
  --json "${prefix}_phases.json" | tee "${prefix}_phases.md"
echo "nsys_sweep.sh: wrote ${prefix}.nsys-rep and ${prefix}_phases.{md,json}" >&2
