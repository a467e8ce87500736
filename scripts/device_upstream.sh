#!/usr/bin/env bash
# On the one-GPU machine: upstream Megatron-LM's ColocatedBridgeCommunicator (megatron-core as
# released, carried as a wheel in .whl/) under torchrun with the NCCL backend, 2, 4 and 8
# processes on the one GPU, each its own NCCL "host" (NCCL_HOSTID=h<rank>, NCCL_SOCKET_IFNAME=lo,
# set by scripts/upstream_parity.py --host-per-rank before init_process_group), fed the suite's
# own tensors (the host simulation's --dump-tensors) and compared with them element for element,
# as tests/python/test_upstream_parity.py does on gloo in CI (docs/upstream-parity.md).
#   scripts/device_upstream.sh OUTDIR      env: WORLDS (default "2 4 8"; every step has a time
#   limit; if one call's time does not suffice, split it: WORLDS="2 4", then WORLDS=8),
#   BB_PARITY_BACKEND (default nccl; gloo is a CPU dry run of this script, no GPU needed)
# Writes OUTDIR/upstream_summary.md and .json (per world: cases, agree, refused, differ), the
# parity record of each world (parity_w<N>.json) and the logs, packed into upstream.tgz.
set -u
out=${1:-${OUT:?give an output folder}}
mkdir -p "$out"
export PATH=${CUDA_HOME:-/usr/local/cuda}/bin:$PATH PYTHONUNBUFFERED=1 NCCL_NVLS_ENABLE=0
summary="$out/upstream_summary.md"
source "$(dirname "$0")/device_lib.sh"
worlds=${WORLDS:-2 4 8}
backend=${BB_PARITY_BACKEND:-nccl}
bdir=${BB_UPSTREAM_BUILD:-build-upstream}  # a host-only build (reused if it is one already)
note "# upstream parity, $backend: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1)"

# megatron-core (and nothing else: torch, numpy and packaging are in the image) from the carried
# wheel; the image has no package registry.
py=$(python3 -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
whl=$(ls .whl/megatron_core-0.19.2-$py-*.whl 2>/dev/null | head -1)
if [ -z "$whl" ]; then
  note "error: no .whl/megatron_core-0.19.2-$py-*.whl: carry .whl (docs/upstream-parity.md, 'On the GPU')"
  exit 2
fi
run pip_install 120 python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
  --ignore-requires-python --target /tmp/upstream-site "$whl"
export PYTHONPATH=/tmp/upstream-site${PYTHONPATH:+:$PYTHONPATH}
run versions 60 python3 -c "import torch, importlib.metadata as m; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'megatron-core', m.version('megatron-core'))"
tail -1 "$out/versions.log" | tee -a "$summary"

# The suite's side: its host simulation (no GPU needed), host-only build of bridge_bench; or, with
# BB_SUITE_DUMP=DIR, what that simulation wrote elsewhere (DIR/suite_w<N>.json and DIR/dump/,
# e.g. made on a CPU machine and carried), so the call spends no device time on a build.
dump=/tmp/upstream-dump
if [ -n "${BB_SUITE_DUMP:-}" ]; then
  dump=$BB_SUITE_DUMP/dump
  for w in $worlds; do cp "$BB_SUITE_DUMP/suite_w$w.json" "$out/"; done
else
  run configure 120 cmake -S . -B "$bdir" -DCMAKE_BUILD_TYPE=Release -DBB_WITH_CUDA=OFF
  run build 300 cmake --build "$bdir" -j16 --target bridge_bench
fi
bench=./$bdir/bench/bridge_bench
for w in $worlds; do
  [ -n "${BB_SUITE_DUMP:-}" ] ||
  run "suite_w$w" 150 "$bench" --backend=host --world="$w" --layouts=all --shapes="${w}x64x32" --mem=bsh,sbh \
    --dtypes=bf16,fp32 --strategies=all --iters=1 --warmup=0 --collectives=off \
    --json "$out/suite_w$w.json" --dump-tensors="$dump"
  # Each process its own NCCL host on the one GPU: NCCL's network transport over loopback.
  run "upstream_w$w" 240 torchrun --standalone --nproc_per_node "$w" scripts/upstream_parity.py \
    --backend "$backend" --host-per-rank --results "$out/suite_w$w.json" --dump "$dump" \
    --json "$out/parity_w$w.json"
  grep "\[upstream_parity\]" "$out/upstream_w$w.log" | tail -5 | tee -a "$summary"
done
python3 - "$out" $worlds <<'EOF' | tee -a "$summary"
import json, os, sys
out, rows = sys.argv[1], []
for w in sys.argv[2:]:
    p = os.path.join(out, f"parity_w{w}.json")
    if not os.path.exists(p):
        rows.append({"world": int(w), "record": None})
        continue
    doc = json.load(open(p))
    cnt = lambda side, res: sum(c[side]["result"] == res for c in doc["cases"])
    rows.append({"world": int(w), "record": os.path.basename(p), "backend": doc["backend"],
                 "torch": doc["torch"], "upstream": doc["upstream"]["version"],
                 "cases": len(doc["cases"]), "upstream_agree": cnt("upstream", "agree"),
                 "upstream_refused": cnt("upstream", "refused"),
                 "upstream_differ": cnt("upstream", "differ"),
                 "torch_bridge_agree": cnt("torch_bridge", "agree")})
json.dump({"schema": "bridgebench/device-upstream", "worlds": rows},
          open(os.path.join(out, "upstream_summary.json"), "w"), indent=1)
print("| world | cases | upstream agree | refused (CP>1) | differ | torch_bridge agree |")
print("|---|---|---|---|---|---|")
for r in rows:
    if r["record"] is None:
        print(f"| {r['world']} | no record (see upstream_w{r['world']}.log) | | | | |")
    else:
        print(f"| {r['world']} | {r['cases']} | {r['upstream_agree']} | {r['upstream_refused']} | "
              f"{r['upstream_differ']} | {r['torch_bridge_agree']} |")
EOF
keep=$(mktemp -d)  # the records and the summary stay beside the archive, readable without unpacking
cp "$out"/parity_w*.json "$out/upstream_summary.json" "$keep/" 2>/dev/null
pack upstream.tgz
cp "$keep"/* "$out/" 2>/dev/null
