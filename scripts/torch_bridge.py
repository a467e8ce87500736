#!/usr/bin/env python3
"""The reference colocated bridge in PyTorch + torch.distributed, with an exact oracle and phase timing.

Written from docs/semantics.md §2-5 and §7 (the suite's copy of the external specification) (not from the C++ harness), so the C++
suite's numbers can stand beside what a training job sees. The plan (semantics §2-3) is the torch-free
module scripts/bridge_plan_ref.py (checked against tests/data/plans.json by
tests/python/test_torch_bridge_plan.py).

What one round trip does, per rank (semantics §4-5), as a training job would run it under autograd:
  forward   fan-in : all_gather along the batch dim over the gather group (batch dim != 0:
                     movedim to 0 + contiguous, all_gather_into_tensor, movedim back + contiguous)
            fan-out: narrow to this rank's slice + contiguous
            equal  : contiguous copy
            then, when dest CP = c > 1, the LLM's load-balanced CP shard: index_select of seq
            chunks r and 2c-1-r
  backward  autograd's adjoint of that index_select (zeros + index_add), the intra-CP
            all_reduce(SUM), then narrow + contiguous (fan-in) / all_gather (fan-out) / identity.
Phases (CUDA events; same names as the C++ suite): fwd_local, fwd_comm, cp_shard, cp_adjoint,
bwd_cp, bwd_comm, bwd_local. Per iteration each rank sums its phase segments; the per-rank times
are all_reduce(MAX)ed; the JSON holds median/min/max over the timed iterations.

Oracle (semantics §7): src inputs and dest gradients are filled from global coordinates
(f = ((sample*131 + seq*7 + hidden*3) % 251) + 1, g = ((sample*61 + seq*11 + hidden*5) % 241) + 1,
exact in bf16/fp16/fp32); every element of the bridge output, the CP shard and the returned src
gradient is checked on every rank, on the first and the last iteration of each config. A mismatch
prints the rank and the (global sample, seq, hidden) of the first bad element and exits non-zero.
The oracle states the canonical data-loader sharding (src DP replica d owns samples d*b..), so a
non-canonical --src-order/--dest-order that the plan routes elsewhere is reported as a mismatch.

Launch:
  torchrun --nproc_per_node 8 scripts/torch_bridge.py --mem bsh,sbh --seq 4096  # env://
    (under torchrun spell --batch/--seq/--hidden: torchrun reads --b/--s/--h as its own options)
  python3 scripts/torch_bridge.py --spawn 8 --backend gloo --b 2 --s 64 --h 32   # CPU semantics
  python3 scripts/torch_bridge.py --spawn 1 --b 2 --s 4096 --h 4096 --mem sbh --json out.json
Configs: the semantics §9 seeds (default at 8 ranks; --config fan-in-cp2,fan-out-cp2,fan-in-cp1), or
--src tp=2,dp=4 --dest tp=2,cp=2,dp=2; at another world size the default is tp1·dpN -> tp1·dpN.
--backend gloo runs on CPU tensors: its times are labelled not meaningful.
"""
import argparse
import datetime
import json
import os
import socket
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bridge_plan_ref as bp  # noqa: E402
from bbreport.schema import V1_PHASE_TABLE  # noqa: E402

# The phases this reference enters (rec.enter below), in execution order: the suite's first
# seven, as the frozen V1_PHASE_TABLE names them. A phase the C++ table adds later has no
# counterpart here until this script enters it too.
PHASES = [p["name"] for p in V1_PHASE_TABLE]

os.environ.setdefault("NCCL_NVLS_ENABLE", "0")  # keep NVLink multicast off

# The JSON it writes (--json): schema bridgebench/torch-bridge. Version 2 names a config's keys as
# the suite's results schema version 3 does: "layout" is the parallel layout's name (version 1:
# "name") and "mem" the memory order, bsh or sbh (version 1: "layout").
TORCH_SCHEMA_VERSION = 2

SEEDS = {  # semantics §9
    "fan-in-cp2": ({"tp": 2, "dp": 4}, {"tp": 2, "cp": 2, "dp": 2}),
    "fan-out-cp2": ({"tp": 4, "dp": 2}, {"tp": 1, "cp": 2, "dp": 4}),
    "fan-in-cp1": ({"tp": 2, "dp": 4}, {"tp": 4, "dp": 2}),
}
DTYPES = {"bf16": "bfloat16", "fp16": "float16", "fp32": "float32"}
POISON = -3.0  # never produced: f and g are >= 1


class OracleFailure(Exception):
    pass


def grid_name(sizes):
    """{'tp': 2, 'cp': 2, 'dp': 2} -> 'tp2cp2dp2' (tp and dp always, cp/pp when > 1)."""
    return "".join(f"{n}{sizes.get(n, 1)}" for n in bp.CANONICAL_ORDER
                   if n in ("tp", "dp") or sizes.get(n, 1) > 1)


# ---------------------------------------------------------------- phase recorder

class Recorder:
    """Back-to-back phase segments: enter(p) closes the open segment and opens p. CUDA events on
    the current stream (nccl), perf_counter otherwise (gloo: not meaningful)."""

    def __init__(self, torch, cuda):
        self.torch, self.cuda = torch, cuda
        self.segs, self.cur = [], None

    def _mark(self):
        if self.cuda:
            ev = self.torch.cuda.Event(enable_timing=True)
            ev.record()
            return ev
        return time.perf_counter()

    def enter(self, phase):
        t = self._mark()
        if self.cur is not None:
            self.segs.append((self.cur[0], self.cur[1], t))
        self.cur = (phase, t)

    def leave(self):
        if self.cur is not None:
            self.segs.append((self.cur[0], self.cur[1], self._mark()))
            self.cur = None

    def reset(self):
        self.segs, self.cur = [], None

    def times(self):
        """phase -> ms (summed over its segments), and the set of phases entered."""
        if self.cuda:
            self.torch.cuda.synchronize()
        out = {p: 0.0 for p in PHASES}
        for p, a, b in self.segs:
            out[p] += a.elapsed_time(b) if self.cuda else (b - a) * 1e3
        return out, {p for p, _, _ in self.segs}


# ---------------------------------------------------------------- the bridge

def make_bridge(torch, dist):
    state = {"ag_base": True}

    def all_gather_into(out, inp, group, k):
        if state["ag_base"]:
            try:
                dist.all_gather_into_tensor(out, inp, group=group)
                return
            except (RuntimeError, NotImplementedError) as e:  # gloo without _allgather_base
                if "nccl" in str(dist.get_backend(group)).lower():
                    raise
                state["ag_base"] = False
                print(f"[torch_bridge] all_gather_into_tensor unsupported on this backend ({e}); "
                      "using all_gather + cat", file=sys.stderr, flush=True)
        parts = [torch.empty_like(inp) for _ in range(k)]
        dist.all_gather(parts, inp, group=group)
        torch.cat(parts, dim=0, out=out)

    def gather_batch(x, st, local, comm):
        """All-gather along the batch dim as the reference does: movedim/gather/movedim."""
        rec, bdim, k = st["rec"], st["bdim"], st["scale"]
        if bdim != 0:
            rec.enter(local)
            x = x.movedim(bdim, 0).contiguous()
        else:
            x = x.contiguous()
        rec.enter(comm)
        out = x.new_empty((k * x.shape[0],) + tuple(x.shape[1:]))
        all_gather_into(out, x, st["gather_group"], k)
        if st["fault"] == "reverse-gather":  # oracle self-test: wrong concatenation order
            out = out.flip(0)
        if bdim != 0:
            rec.enter(local)
            out = out.movedim(0, bdim).contiguous()
        return out

    class Bridge(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, st):
            ctx.st = st
            rec, bdim, direction = st["rec"], st["bdim"], st["direction"]
            if direction == "fan_in":
                out = gather_batch(x, st, "fwd_local", "fwd_comm")
            elif direction == "fan_out":
                rec.enter("fwd_local")
                start, size = st["fwd_slice"]
                out = x.narrow(bdim, start, size).contiguous()
            else:
                rec.enter("fwd_local")
                out = x.clone(memory_format=torch.contiguous_format)
            rec.leave()
            return out

        @staticmethod
        def backward(ctx, grad):
            st = ctx.st
            rec, bdim, direction = st["rec"], st["bdim"], st["direction"]
            grad = grad.contiguous()
            if st["cp"] > 1 and st["fault"] != "skip-cp-reduce":
                rec.enter("bwd_cp")  # closes cp_adjoint (autograd's index_select backward)
                dist.all_reduce(grad, op=dist.ReduceOp.SUM, group=st["cp_group"])
            if direction == "fan_in":
                rec.enter("bwd_local")
                start, size = st["bwd_slice"]
                gx = grad.narrow(bdim, start, size).contiguous()
            elif direction == "fan_out":
                gx = gather_batch(grad, st, "bwd_local", "bwd_comm")
            else:
                rec.enter("bwd_local")
                gx = grad
            rec.leave()
            return gx, None

    return Bridge


# ---------------------------------------------------------------- oracle

def pattern(torch, kind, sample0, nb, seq_idx, h, mem, dtype, device):
    smp = torch.arange(sample0, sample0 + nb, device=device, dtype=torch.int64).view(nb, 1, 1)
    sq = seq_idx.to(device=device, dtype=torch.int64).view(1, -1, 1)
    hd = torch.arange(h, device=device, dtype=torch.int64).view(1, 1, h)
    if kind == "f":
        v = (smp * 131 + sq * 7 + hd * 3) % 251 + 1
    else:
        v = (smp * 61 + sq * 11 + hd * 5) % 241 + 1
    v = v.to(dtype)
    if mem == "sbh":
        v = v.permute(1, 0, 2)
    return v.contiguous()


def compare(torch, what, got, exp, mem, sample0, seq_idx):
    """None when equal, else a message naming the first bad element's global coordinates."""
    if tuple(got.shape) != tuple(exp.shape):
        return f"{what}: shape {tuple(got.shape)} != expected {tuple(exp.shape)}"
    bad = got != exp
    n = int(bad.sum().item())
    if n == 0:
        return None
    first = bad.nonzero()[0].tolist()
    ib, isq, ih = (first[0], first[1], first[2]) if mem == "bsh" else \
        (first[1], first[0], first[2])
    return (f"{what}: {n} of {got.numel()} elements differ; first at global sample "
            f"{sample0 + ib}, seq {int(seq_idx[isq])}, hidden {ih} (index {first}): got "
            f"{got[tuple(first)].item()}, expected {exp[tuple(first)].item()}")


# ---------------------------------------------------------------- one config

def config_list(args, world):
    order_s = args.src_order.split(",")
    order_d = args.dest_order.split(",")
    if args.src or args.dest:
        if not (args.src and args.dest):
            raise SystemExit("--src and --dest go together")
        src, dest = bp.parse_sizes(args.src), bp.parse_sizes(args.dest)
        return [(f"{grid_name(src)}-{grid_name(dest)}", src, dest, order_s, order_d)]
    names = args.config
    if names is None:
        if world == 8:
            names = "seeds"
        else:
            one = {"tp": 1, "dp": world}
            return [(f"{grid_name(one)}-{grid_name(one)}", one, dict(one), order_s, order_d)]
    out = []
    for n in names.split(","):
        for key in (list(SEEDS) if n == "seeds" else [n]):
            if key not in SEEDS:
                raise SystemExit(f"unknown config {key!r}; known: {', '.join(SEEDS)}, seeds")
            s, d = SEEDS[key]
            out.append((key, s, d, order_s, order_d))
    return out


def bridge_state(dist, plan, rank, b, mem, groups, rec, fault="none"):
    """What the Bridge Function needs for one rank of one config (src local batch b, memory
    order mem): direction, slices, batch dim and process groups. Every rank creates every group,
    in plan order, once per run (`groups` caches them by their rank list). Also used by
    scripts/upstream_parity.py, which feeds this Bridge the suite's own tensors."""
    k, c = plan.scale, plan.dest_cp
    dest_b = b * k if plan.direction == "fan_in" else (b // k if plan.direction == "fan_out" else b)
    st = {"direction": plan.direction, "scale": k, "cp": c, "bdim": 0 if mem == "bsh" else 1,
          "rec": rec, "fault": fault, "dest_b": dest_b}
    if plan.direction == "fan_out":
        st["fwd_slice"] = plan.slice(rank, b)          # raises batch_not_divisible
    if plan.direction == "fan_in":
        st["bwd_slice"] = plan.slice(rank, dest_b)
    for g in plan.gather_groups + plan.cp_groups:
        key = tuple(g)
        if key not in groups:
            groups[key] = dist.new_group(ranks=list(g))
    gg, cg = plan.gather_group_of(rank), plan.cp_group_of(rank)
    st["gather_group"] = groups[tuple(gg)] if gg else None
    st["cp_group"] = groups[tuple(cg)] if cg else None
    return st


def cp_shard_seq(torch, plan, rank, s):
    """The global sequence positions this rank's CP shard keeps (semantics §5): chunks r and
    2c-1-r of 2c, in that order; the whole sequence when dest CP is 1."""
    c, cp_r = plan.dest_cp, plan.dest_coords[rank][2]
    if c == 1:
        return torch.arange(s, dtype=torch.int64)
    L = s // (2 * c)
    return torch.cat([torch.arange(cp_r * L, (cp_r + 1) * L),
                      torch.arange((2 * c - 1 - cp_r) * L, (2 * c - cp_r) * L)])


def round_trip(Bridge, st, x, shard_idx, seq_dim, grad_shard):
    """One forward (the bridge, then the LLM's CP shard when dest CP > 1) and its backward with
    the LLM's gradient w.r.t. the shard. Returns (forward output, shard); x.grad is the src
    gradient."""
    rec = st["rec"]
    out = Bridge.apply(x, st)
    if st["cp"] > 1:
        rec.enter("cp_shard")
        shard = out.index_select(seq_dim, shard_idx)
        rec.leave()
        rec.enter("cp_adjoint")  # closed by the Bridge's backward (bwd_cp)
    else:
        shard = out
    shard.backward(grad_shard)
    rec.leave()
    return out, shard


def run_config(torch, dist, Bridge, groups, rank, world, device, args, cfg, mem, dtype_name):
    name, src_sizes, dest_sizes, order_s, order_d = cfg
    dtype = getattr(torch, DTYPES[dtype_name])
    src = bp.Grid.from_sizes(src_sizes, order_s, 0)
    dest = bp.Grid.from_sizes(dest_sizes, order_d, 0)
    plan = bp.build_plan(world, src, dest)
    if src.size != world:
        raise bp.PlanError("size_mismatch", f"grids span {src.size} ranks, world is {world}")
    b, s, h, c = args.b, args.s, args.h, plan.dest_cp
    if c > 1 and s % (2 * c):
        raise SystemExit(f"seq {s} is not divisible by 2*cp = {2 * c}")
    st = bridge_state(dist, plan, rank, b, mem, groups, Recorder(torch, device.type == "cuda"),
                      args.fault)
    k, dest_b = plan.scale, st["dest_b"]
    d_src = plan.src_pos[rank][0]
    d_dest = plan.dest_coords[rank][0]
    seq_dim = 0 if mem == "sbh" else 1
    full_seq = torch.arange(s, dtype=torch.int64)
    shard_seq = cp_shard_seq(torch, plan, rank, s)
    shard_idx = shard_seq.to(device)

    src0, dest0 = d_src * b, d_dest * dest_b
    x = pattern(torch, "f", src0, b, full_seq, h, mem, dtype, device).requires_grad_(True)
    grad_shard = pattern(torch, "g", dest0, dest_b, shard_seq, h, mem, dtype, device)
    exp_dest = pattern(torch, "f", dest0, dest_b, full_seq, h, mem, dtype, device)
    exp_shard = pattern(torch, "f", dest0, dest_b, shard_seq, h, mem, dtype, device)
    exp_grad = pattern(torch, "g", src0, b, full_seq, h, mem, dtype, device)

    def poison_allocator():  # CUDA caching allocator: hand back poisoned blocks of each size
        if device.type != "cuda":
            return  # CPU: large frees go back to the OS (zeros); f and g are never 0
        keep = []
        for like in (x, exp_dest, exp_shard, exp_dest, x, exp_dest):
            keep.append(torch.full_like(like, POISON, dtype=dtype, requires_grad=False))
        del keep

    rec = st["rec"]
    samples = []
    n_total = args.warmup + args.iters
    for it in range(n_total):
        check = it == 0 or it == n_total - 1
        if check:
            poison_allocator()
        x.grad = None
        rec.reset()
        out, shard = round_trip(Bridge, st, x, shard_idx, seq_dim, grad_shard)
        times, entered = rec.times()

        if check:
            errs = [compare(torch, "forward output", out.detach(), exp_dest, mem, dest0,
                            full_seq),
                    compare(torch, "src gradient", x.grad, exp_grad, mem, src0, full_seq)]
            if c > 1:
                errs.append(compare(torch, "cp shard", shard.detach(), exp_shard, mem, dest0,
                                    shard_seq))
            errs = [e for e in errs if e]
            for e in errs:
                print(f"[torch_bridge] ORACLE MISMATCH rank {rank} {name} {mem} {dtype_name} "
                      f"iteration {it}: {e}", file=sys.stderr, flush=True)
            flag = torch.tensor([1.0 if errs else 0.0], dtype=torch.float64, device=device)
            dist.all_reduce(flag, op=dist.ReduceOp.MAX)
            if flag.item() > 0:
                raise OracleFailure(f"{name} {mem} {dtype_name}: oracle mismatch "
                                    f"(see the ranks' messages)")
        del out, shard

        vec = [times[p] for p in PHASES] + [sum(times.values())] + \
            [1.0 if p in entered else 0.0 for p in PHASES]
        t = torch.tensor(vec, dtype=torch.float64, device=device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        if it >= args.warmup:
            samples.append(t.tolist())

    def stats(vals):
        return {"median_ms": statistics.median(vals), "min_ms": min(vals), "max_ms": max(vals)}

    n = len(PHASES)
    present = [p for i, p in enumerate(PHASES) if any(row[n + 1 + i] > 0 for row in samples)]
    elt = torch.empty((), dtype=dtype).element_size()
    return {
        "id": f"{grid_name(src_sizes)}-{grid_name(dest_sizes)}/{mem}/{dtype_name}/"
              f"b{b}.s{s}.h{h}/torch-reference",
        "layout": name, "src": src_sizes, "dest": dest_sizes, "src_order": order_s,
        "dest_order": order_d, "direction": plan.direction, "scale": k, "dest_cp": c,
        "mem": mem, "dtype": dtype_name, "b": b, "s": s, "h": h, "dest_b": dest_b,
        "src_bytes_per_rank": b * s * h * elt, "dest_bytes_per_rank": dest_b * s * h * elt,
        "gather_groups": plan.gather_groups, "cp_groups": plan.cp_groups,
        "fault": args.fault, "oracle": "pass", "oracle_iterations_checked": sorted({0, n_total - 1}),
        "phases": {p: stats([row[PHASES.index(p)] for row in samples]) for p in present},
        "total": stats([row[n] for row in samples]),
    }


# ---------------------------------------------------------------- process entry

def environment(torch, backend, device):
    env = {"torch": torch.__version__, "backend": backend,
           "NCCL_NVLS_ENABLE": os.environ.get("NCCL_NVLS_ENABLE")}
    if device.type == "cuda":
        env["device"] = torch.cuda.get_device_name(device)
        env["cuda"] = torch.version.cuda
        try:
            v = torch.cuda.nccl.version()
            env["nccl"] = ".".join(map(str, v)) if isinstance(v, tuple) else str(v)
        except Exception as e:  # noqa: BLE001
            env["nccl"] = f"unknown ({e})"
    else:
        env["device"] = f"cpu ({os.cpu_count()} cores)"
        env["nccl"] = None
    return env


def print_table(doc):
    meaningful = doc["timing_meaningful"]
    print(f"device: {doc['env']['device']}  torch {doc['env']['torch']}  nccl "
          f"{doc['env']['nccl']}  backend {doc['backend']}  world {doc['world_size']}  "
          f"iters {doc['iters']} (+{doc['warmup']} warm-up)")
    if not meaningful:
        print("TIMINGS NOT MEANINGFUL (gloo on CPU): semantic validation only")
    head = ["config", "dir", "oracle"] + PHASES + ["total"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for c in doc["configs"]:
        cells = [c["id"], f"{c['direction']} x{c['scale']}", c["oracle"]]
        cells += [f"{c['phases'][p]['median_ms']:.4f}" if p in c["phases"] else "-"
                  for p in PHASES]
        cells.append(f"{c['total']['median_ms']:.4f}")
        print("| " + " | ".join(cells) + " |")
    print("(median ms over iterations of the max over ranks)")


def write_json(path, doc):
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".torch_bridge.", suffix=".json", dir=d)
    with os.fdopen(fd, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def worker(rank, world, args, init_method):
    import torch
    import torch.distributed as dist

    if args.backend == "nccl":
        if not torch.cuda.is_available():
            raise SystemExit("--backend nccl needs CUDA; use --backend gloo on CPU")
        local = int(os.environ.get("LOCAL_RANK", rank % torch.cuda.device_count()))
        torch.cuda.set_device(local)
        device = torch.device("cuda", local)
    else:
        device = torch.device("cpu")
    timeout = datetime.timedelta(seconds=args.timeout)
    if init_method:
        dist.init_process_group(args.backend, init_method=init_method, rank=rank,
                                world_size=world, timeout=timeout)
    else:
        dist.init_process_group(args.backend, init_method="env://", timeout=timeout)
        rank, world = dist.get_rank(), dist.get_world_size()
    code = 0
    try:
        Bridge = make_bridge(torch, dist)
        groups, results = {}, []
        for cfg in config_list(args, world):
            for mem in args.mem.split(","):
                for dt in args.dtype.split(","):
                    try:
                        r = run_config(torch, dist, Bridge, groups, rank, world, device, args,
                                       cfg, mem, dt)
                    except bp.PlanError as e:
                        if rank == 0:
                            print(f"[torch_bridge] {cfg[0]} {mem} {dt}: plan error {e.rule}: "
                                  f"{e}", file=sys.stderr, flush=True)
                        code = 2
                        continue
                    results.append(r)
                    if rank == 0:
                        print(f"[torch_bridge] {r['id']}: oracle pass, total median "
                              f"{r['total']['median_ms']:.4f} ms", flush=True)
        if rank == 0:
            doc = {"schema": "bridgebench/torch-bridge", "version": TORCH_SCHEMA_VERSION,
                   "created": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                   "command": [os.path.basename(sys.argv[0])] + sys.argv[1:],
                   "backend": args.backend, "world_size": world,
                   "timing_meaningful": args.backend == "nccl",
                   "timing": "CUDA events per phase; per iteration the max over ranks; "
                             "median/min/max over the timed iterations"
                   if args.backend == "nccl" else
                   "NOT MEANINGFUL: gloo on CPU tensors, perf_counter; semantic validation only",
                   "iters": args.iters, "warmup": args.warmup,
                   "env": environment(torch, args.backend, device), "configs": results}
            print_table(doc)
            if args.json:
                write_json(args.json, doc)
                print(f"[torch_bridge] wrote {args.json}")
    except OracleFailure as e:
        if rank == 0:
            print(f"[torch_bridge] FAIL: {e}", file=sys.stderr, flush=True)
        code = 1
    finally:
        try:
            dist.barrier()
        except Exception:  # noqa: BLE001
            pass
        dist.destroy_process_group()
    if code:
        raise SystemExit(code)
    return 0


def _spawn_entry(rank, world, args, init_method):
    worker(rank, world, args, init_method)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backend", choices=["nccl", "gloo"], default="nccl")
    p.add_argument("--spawn", type=int, default=0, metavar="N",
                   help="start N local processes (torch.multiprocessing) instead of torchrun")
    p.add_argument("--rendezvous", choices=["file", "tcp"], default="file",
                   help="with --spawn: a FileStore in a temp dir or a TCPStore on 127.0.0.1")
    p.add_argument("--config", default=None,
                   help="comma list of seed configs (fan-in-cp2, fan-out-cp2, fan-in-cp1) or "
                        "'seeds'; default: the seeds at 8 ranks, else tp1dpN -> tp1dpN")
    p.add_argument("--src", default=None, help="e.g. tp=2,dp=4")
    p.add_argument("--dest", default=None, help="e.g. tp=2,cp=2,dp=2")
    p.add_argument("--src-order", default="tp,cp,pp,dp")
    p.add_argument("--dest-order", default="tp,cp,pp,dp")
    p.add_argument("--mem", default="bsh", help="memory order: bsh, sbh or a comma list")
    p.add_argument("--layout", dest="mem", default=argparse.SUPPRESS,
                   help=argparse.SUPPRESS)  # the old name of --mem, still accepted
    p.add_argument("--dtype", default="bf16", help="bf16, fp16, fp32 or a comma list")
    # --b/--s/--h are the suite's names; under torchrun use --batch/--seq/--hidden (torchrun's
    # own parser takes --s and --h as abbreviations of its options)
    p.add_argument("--batch", "--b", dest="b", type=int, default=2, help="src local batch")
    p.add_argument("--seq", "--s", dest="s", type=int, default=4096)
    p.add_argument("--hidden", "--h", dest="h", type=int, default=4096)
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--timeout", type=float, default=300, help="process-group timeout, s")
    p.add_argument("--json", default=None, metavar="PATH")
    p.add_argument("--fault", choices=["none", "skip-cp-reduce", "reverse-gather"],
                   default="none", help="oracle self-test: plant a known bug; the run must fail")
    a = p.parse_args(argv)
    if any(x == "--layout" or x.startswith("--layout=") for x in argv):
        print("[torch_bridge] note: --layout is the old name of --mem (the memory order)",
              file=sys.stderr)
    for mem in a.mem.split(","):
        if mem not in ("bsh", "sbh"):
            p.error(f"unknown memory order {mem!r} (--mem: bsh, sbh)")
    for dt in a.dtype.split(","):
        if dt not in DTYPES:
            p.error(f"unknown dtype {dt!r}")
    if a.iters < 1 or a.warmup < 0:
        p.error("--iters >= 1 and --warmup >= 0")
    return a


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.spawn:
        import torch.multiprocessing as mp
        tmpdir = None
        if args.rendezvous == "file":
            tmpdir = tempfile.mkdtemp(prefix="torch_bridge.")
            init = "file://" + os.path.join(tmpdir, "store")
        else:
            init = f"tcp://127.0.0.1:{free_port()}"
        try:
            mp.spawn(_spawn_entry, args=(args.spawn, args, init), nprocs=args.spawn, join=True)
        except mp.ProcessExitedException as e:
            print(f"[torch_bridge] a rank failed: {e}", file=sys.stderr)
            return e.exit_code if e.exit_code and e.exit_code > 0 else 1
        except mp.ProcessRaisedException as e:
            print(f"[torch_bridge] a rank raised: {e}", file=sys.stderr)
            return 1
        finally:
            if tmpdir:
                import shutil
                shutil.rmtree(tmpdir, ignore_errors=True)
        return 0
    if "RANK" not in os.environ:  # a plain `python3 torch_bridge.py`: one process, world 1
        os.environ.update(RANK="0", WORLD_SIZE="1", LOCAL_RANK="0", MASTER_ADDR="127.0.0.1",
                          MASTER_PORT=str(free_port()))
    try:
        worker(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), args, None)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
