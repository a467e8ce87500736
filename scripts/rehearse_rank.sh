#!/bin/sh
# One rank of a multi-node rehearsal on one machine (scripts/rehearse.sh starts it under mpirun or
# torchrun): makes this process its own NCCL "host", then execs the command. NCCL refuses two
# ranks on one GPU only when it believes they share a host; a distinct NCCL_HOSTID per process (NCCL's
# own override of the host identity) makes each process a node of its own, and NCCL then connects
# them through its network transport (sockets on loopback): the path of a multi-node job without
# InfiniBand. Real NCCL, real processes, real failures; not link speed.
r=${OMPI_COMM_WORLD_RANK:-${PMI_RANK:-${PMIX_RANK:-${RANK:-${SLURM_PROCID:-}}}}}
if [ -z "$r" ]; then
  echo "error: bad_launch: rehearse_rank.sh found no launcher rank variable (OMPI_COMM_WORLD_RANK, PMI_RANK, RANK, SLURM_PROCID): start it through scripts/rehearse.sh, mpirun or torchrun" >&2
  exit 2
fi
export NCCL_HOSTID="${BB_REHEARSAL_HOST:-rehearsal}-$r"
export NCCL_SOCKET_IFNAME="${NCCL_SOCKET_IFNAME:-lo}"
export NCCL_NVLS_ENABLE=0
# A per-process host name as well, where we may (root, util-linux unshare): tools that count the
# local ranks by host name (nccl-tests) then see one rank per node too. bridge_bench needs none.
if [ -n "${BB_REHEARSAL_UTS:-}" ]; then
  exec unshare --uts sh -c 'hostname "$0" && exec "$@"' "$NCCL_HOSTID" "$@"
fi
exec "$@"
