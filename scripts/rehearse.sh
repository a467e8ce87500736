#!/usr/bin/env bash
# The multi-node rehearsal on one GPU: N processes, each its own NCCL host (scripts/rehearse_rank.sh),
# all on this machine's GPU(s), connected by NCCL's socket transport over loopback. It runs every
# rank's real code path through real NCCL across real processes (plan, strategies, the agreement
# protocol, launch records, timeouts, a peer that dies), so a launch, a new layout or a strategy
# can be checked on a one-GPU box before cluster time is spent. It does not measure link speed:
# the results are labelled shared_gpu and carry no floor ratios.
#
#   scripts/rehearse.sh [-n N] [--launcher mpirun|torchrun] [--mps] [--bin PATH] [--] [bridge_bench flags]
#   e.g. scripts/rehearse.sh -n 4 -- --layouts=all --shapes=2x512x1024 --iters=3 --json out/r4.json
# N: 2..64 (default 2). mpirun: Open MPI, --oversubscribe, no core binding. torchrun: its
# MASTER_ADDR/MASTER_PORT, the ranks meet through NCCL's bootstrap at MASTER_PORT+1.
# --mps: run the ranks under a private CUDA MPS server (started here, stopped at the end), so their
# kernels share the GPU at once instead of taking time slices: NCCL kernels that spin waiting for a
# peer then no longer wait for that peer's slice. Code paths are the same; it is faster at N >= 4.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n=2 launcher=mpirun mps=0 bin="${BUILD_DIR:-$root/build}/bench/bridge_bench"
die() { echo "error: $1: $2" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    -n) [ $# -ge 2 ] || die bad_flag "-n needs a number of processes"; n=$2; shift 2 ;;
    -n*) n=${1#-n}; shift ;;
    --launcher) [ $# -ge 2 ] || die bad_flag "--launcher needs mpirun or torchrun"; launcher=$2; shift 2 ;;
    --launcher=*) launcher=${1#*=}; shift ;;
    --mps) mps=1; shift ;;
    --bin) [ $# -ge 2 ] || die bad_flag "--bin needs a path"; bin=$2; shift 2 ;;
    --bin=*) bin=${1#*=}; shift ;;
    --) shift; break ;;
    *) break ;;
  esac
done
[[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 2 ] && [ "$n" -le 64 ] || die bad_flag "-n: a rehearsal runs 2..64 processes (got '$n')"
[ -x "$bin" ] || die missing_binary "$bin is not built: run scripts/setup.sh (with CUDA) first, or give --bin"
for a in "$@"; do
  case "$a" in --backend=nccl) ;; --backend=*) die bad_flag "a rehearsal runs --backend=nccl only (got $a)" ;; esac
done
export NCCL_NVLS_ENABLE=0
rank_sh="$root/scripts/rehearse_rank.sh"
case "$launcher" in
  mpirun)
    command -v mpirun >/dev/null || die missing_launcher "mpirun is not installed (Open MPI: apt-get install openmpi-bin)"
    extra=(); [ "$(id -u)" -eq 0 ] && extra=(--allow-run-as-root)
    cmd=(mpirun -np "$n" --oversubscribe --bind-to none "${extra[@]}" "$rank_sh" "$bin" --backend=nccl "$@") ;;
  torchrun)
    command -v torchrun >/dev/null || die missing_launcher "torchrun is not on PATH (activate the environment that has PyTorch)"
    cmd=(torchrun --standalone --nproc-per-node "$n" --no-python "$rank_sh" "$bin" --backend=nccl "$@") ;;
  *) die bad_flag "--launcher: mpirun or torchrun (got '$launcher')" ;;
esac
# A signal to this script (Slurm's time limit, timeout, Ctrl-C) must reach every rank at once, and
# the ranks need time to finish their config and write what they measured (bridge_bench's
# interrupted exit, 143/130). torchrun does that itself: it passes the signal on and waits 30 s.
# mpirun does not: on SIGTERM Open MPI 4.1 sleeps odls_base_sigkill_timeout (1 s), then sends the
# ranks SIGTERM, sleeps as long again and SIGKILLs them; a longer timeout only delays the SIGTERM
# (with 30, ranks ran on 30 s and mpirun ended 60 s late). So under mpirun this script signals
# the ranks (mpirun's children: this host's processes) itself, then waits; if any is still there
# after BB_REHEARSAL_GRACE_S (30, Slurm's default KillWait), mpirun is told to end the job.
grace=${BB_REHEARSAL_GRACE_S:-30}
[[ $grace =~ ^[0-9]+$ ]] || die bad_flag "BB_REHEARSAL_GRACE_S: whole seconds (got '$grace')"
mps_dir=
stop_mps() { [ -z "$mps_dir" ] || { echo quit | nvidia-cuda-mps-control > /dev/null 2>&1; rm -rf "$mps_dir"; }; }
if [ "$mps" = 1 ]; then
  command -v nvidia-cuda-mps-control >/dev/null || die missing_launcher "--mps: nvidia-cuda-mps-control is not installed"
  mps_dir=$(mktemp -d "${TMPDIR:-/tmp}/bb-mps.XXXXXX")
  export CUDA_MPS_PIPE_DIRECTORY="$mps_dir/pipe" CUDA_MPS_LOG_DIRECTORY="$mps_dir/log"
  mkdir -p "$CUDA_MPS_PIPE_DIRECTORY" "$CUDA_MPS_LOG_DIRECTORY"
  nvidia-cuda-mps-control -d || { rm -rf "$mps_dir"; mps_dir=; die mps_failed "could not start the MPS control daemon (log: $CUDA_MPS_LOG_DIRECTORY)"; }
  trap stop_mps EXIT
elif [ "$launcher" = torchrun ]; then
  exec "${cmd[@]}"  # a signal to this script is a signal to torchrun
fi
"${cmd[@]}" &
child=$!
timer=
forward() {
  if [ "$launcher" = mpirun ]; then
    pkill -"$1" -P "$child" 2>/dev/null || true
    # Its own output closed: a reader of this script's output must not wait for the timer.
    [ -n "$timer" ] || { (sleep "$grace"; kill -TERM "$child" 2>/dev/null) < /dev/null > /dev/null 2>&1 & timer=$!; }
  else
    kill -"$1" "$child" 2>/dev/null || true
  fi
}
trap 'forward TERM' TERM
trap 'forward INT' INT
rc=0
wait $child || rc=$?
while kill -0 $child 2>/dev/null; do wait $child || rc=$?; done
if [ -n "$timer" ]; then pkill -P "$timer" 2>/dev/null || true; kill "$timer" 2>/dev/null || true; fi
exit $rc
