#!/usr/bin/env python3
"""Upstream parity: the real upstream bridge and scripts/torch_bridge.py, fed the suite's own tensors.

The suite's host simulation (bridge_bench --backend=host --dump-tensors=DIR) writes, per config
and rank, the encoder input it filled (its own oracle pattern, semantics §7), the LLM's gradient
it fed back, and what its strategies produced: the forward output (and CP shard) and the encoder
gradient (harness/run/tensor_dump.hpp). This script feeds the same inputs to
  upstream: Megatron-LM's ColocatedBridgeCommunicator (megatron-core as installed, never a copy),
            whose communicate() runs forward and, under autograd, backward; it accepts dest CP 1
            only (a dest CP > 1 layout must be refused with ValueError, and is recorded so);
  torch_bridge: this repo's PyTorch reference (scripts/torch_bridge.py), on every layout,
and compares every element of their forward output and encoder gradient with each strategy's,
bit for bit (the bridge only moves data). A difference is reported per case with the first
differing element; docs/upstream-parity.md says which side follows the Megatron semantics.

The record it writes (--json, schema bridgebench/upstream-parity, version 1) is what
scripts/report.py --parity reads (docs/upstream-parity.md, "The parity record").

Launch:
  python3 scripts/upstream_parity.py --results R.json [R2.json ..] --dump DIR --json parity.json
      CPU, gloo: imports torch and upstream once, then forks each world's ranks (one process
      each); upstream's dist.new_subgroups_by_enumeration(backend='nccl') is made to take gloo.
  torchrun --nproc_per_node N scripts/upstream_parity.py --backend nccl --results R.json --dump DIR --json out.json
      one process per rank (NCCL: several may share one GPU with --host-per-rank, each its own
      NCCL_HOSTID), upstream unpatched on NCCL. Only the configs of world N run.
Exit: 0 all agree, 1 a difference, 2 bad input (or upstream not installed), 3 a rank failed.
"""
import argparse
import datetime
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bridge_plan_ref as bp  # noqa: E402
import torch_bridge as tb  # noqa: E402  (imports torch only when a run starts)
from bbreport.schema import SchemaError, load_results  # noqa: E402

PARITY_SCHEMA = "bridgebench/upstream-parity"
PARITY_VERSION = 1
UPSTREAM_PACKAGE = "megatron-core"
UPSTREAM_MODULE = "megatron.core.models.mimo.comm.colocated_communicator"
UPSTREAM_CLASS = "ColocatedBridgeCommunicator"
DOC = "docs/upstream-parity.md"
# dtype name -> (torch dtype, the integer type of its bits: comparisons are bit for bit)
DTYPES = {"bf16": ("bfloat16", "int16"), "fp16": ("float16", "int16"), "fp32": ("float32", "int32")}

os.environ.setdefault("NCCL_NVLS_ENABLE", "0")  # keep NVLink multicast off


def fail(rule, message):
    print(f"error: {rule}: {message}", file=sys.stderr)
    raise SystemExit(2)


# ---------------------------------------------------------------- cases from the suite's run

def load_cases(results_paths, dump_dir):
    """One case per (world, layout, mem, dtype, shape): the configs of the results files, with
    the dump folder of each strategy. Every config must have passed the suite's own oracle and
    have its dump (a missing one is bad input, never a silent gap)."""
    cases = {}
    for path in results_paths:
        try:
            doc = load_results(path)
        except SchemaError as e:
            fail("bad_results", str(e))
        if doc.get("failures") or doc.get("skipped"):
            fail("bad_results", f"{path}: has failures or skipped configs; parity needs every "
                                "config run and checked")
        for cfg in doc["configs"]:
            sh = cfg["shape"]
            folder = os.path.join(dump_dir, cfg["id"])
            if not os.path.isdir(folder):
                fail("missing_dump", f"{folder}: no tensors for {cfg['id']} (run bridge_bench "
                                     "with --dump-tensors)")
            key = (cfg["world"], cfg["layout"], sh["mem"], sh["dtype"], sh["b"], sh["s"], sh["h"])
            case = cases.setdefault(key, {
                "world": cfg["world"], "layout": cfg["layout"], "mem": sh["mem"],
                "dtype": sh["dtype"], "b": sh["b"], "s": sh["s"], "h": sh["h"],
                "src": cfg["src"], "dest": cfg["dest"], "src_order": cfg["src_order"],
                "dest_order": cfg["dest_order"], "direction": cfg["direction"],
                "scale": cfg["scale"], "dest_cp": cfg["cp"], "dumps": {}})
            case["dumps"][cfg["strategy"]] = folder
    return sorted(cases.values(), key=lambda c: (c["world"], c["layout"], c["mem"], c["dtype"]))


def case_label(c):
    return f"{c['layout']} w{c['world']} {c['mem']} {c['dtype']}"


# ---------------------------------------------------------------- one rank

def load_rank(torch, folder, rank, dtype):
    with open(os.path.join(folder, f"rank{rank}.json")) as f:
        idx = json.load(f)
    out = {}
    for name, t in idx["tensors"].items():
        with open(os.path.join(folder, t["file"]), "rb") as f:
            raw = bytearray(f.read())
        n = t["shape"][0] * t["shape"][1] * t["shape"][2]
        if len(raw) != n * torch.empty((), dtype=dtype).element_size():
            raise RuntimeError(f"{folder}/{t['file']}: {len(raw)} bytes for shape {t['shape']}")
        out[name] = torch.frombuffer(raw, dtype=dtype).view(t["shape"])
    return out


def first_difference(torch, what, got, exp, mem, bits):
    """None when every bit agrees, else the first differing element (memory order index and
    its local batch, sequence and hidden coordinates) and the count."""
    if tuple(got.shape) != tuple(exp.shape):
        return {"tensor": what, "shape": list(got.shape), "expected_shape": list(exp.shape)}
    g = got.detach().cpu().contiguous().view(bits)
    e = exp.contiguous().view(bits)
    bad = g != e
    n = int(bad.sum().item())
    if n == 0:
        return None
    i = int(bad.flatten().nonzero()[0].item())
    i0, rest = divmod(i, got.shape[1] * got.shape[2])
    i1, i2 = divmod(rest, got.shape[2])
    b, s = (i0, i1) if mem == "bsh" else (i1, i0)
    return {"tensor": what, "mismatches": n, "elements": got.numel(), "index": [i0, i1, i2],
            "b": b, "s": s, "h": i2,
            "got": float(got.detach().cpu().flatten()[i].item()),
            "expected": float(exp.flatten()[i].item())}


def upstream_grids(up_grid_cls, case):
    def grid(sizes, order):
        return up_grid_cls([sizes.get(d, 1) for d in order], list(order))
    return grid(case["src"], case["src_order"]), grid(case["dest"], case["dest_order"])


class RankRunner:
    """One rank's side of every case of one world, in the same order on every rank (each
    collective, group creation included, is entered by all ranks together)."""

    def __init__(self, torch, dist, upstream, tb, rank, world, device):
        self.torch, self.dist, self.up, self.tb = torch, dist, upstream, tb
        self.rank, self.world, self.device = rank, world, device
        self.Bridge = tb.make_bridge(torch, dist)
        self.tb_groups = {}
        self.comm_key, self.comm = None, None

    def upstream_comm(self, case):
        """One communicator per (layout, mem): its dim_mapping is the memory order."""
        key = (case["layout"], case["mem"])
        if key != self.comm_key:
            if self.comm is not None:
                self.comm.destroy()
            self.comm_key, self.comm = key, None
            src, dest = upstream_grids(self.up.HyperCommGrid, case)
            dims = {"b": 0, "s": 1, "h": 2} if case["mem"] == "bsh" else {"s": 0, "b": 1, "h": 2}
            self.comm = self.up.ColocatedBridgeCommunicator(src, dest, dim_mapping=dims)
        return self.comm

    def run(self, case):
        torch = self.torch
        dtype = getattr(torch, DTYPES[case["dtype"]][0])
        bits = getattr(torch, DTYPES[case["dtype"]][1])
        mem, rank = case["mem"], self.rank
        suite = {st: load_rank(torch, d, rank, dtype) for st, d in case["dumps"].items()}
        first = next(iter(suite.values()))
        src, grad = first["src"], first["grad_shard"]
        res = {"upstream": [], "torch_bridge": [], "inputs": [], "between": None,
               "refused": None}
        for st, t in suite.items():  # every strategy was fed the same inputs
            for name, ref in (("src", src), ("grad_shard", grad)):
                d = first_difference(torch, f"{st} input {name}", t[name], ref, mem, bits)
                if d:
                    res["inputs"].append(d)

        def compare(side, got, tensor_names, what):
            for st, t in suite.items():
                for name in tensor_names:
                    if name in t:
                        d = first_difference(torch, f"{what} vs {st} {name}", got, t[name], mem,
                                             bits)
                        if d:
                            d["strategy"] = st
                            res[side].append(d)
                        break

        up_out = up_grad = None
        if case["dest_cp"] == 1:
            x = src.clone().to(self.device).requires_grad_(True)
            out = self.upstream_comm(case).communicate(x)
            out.backward(grad.to(self.device))
            up_out, up_grad = out.detach(), x.grad.detach()
            compare("upstream", up_out, ("shard",), "forward output")
            compare("upstream", up_grad, ("src_grad",), "encoder gradient")
        else:
            try:  # upstream raises before it creates a group, on every rank alike
                self.upstream_comm(case)
                res["refused"] = "accepted a dest CP > 1 layout"
            except ValueError as e:
                res["refused"] = f"ValueError: {e}"
                self.comm_key = None

        plan = bp.build_plan(self.world, bp.Grid.from_sizes(case["src"], case["src_order"]),
                             bp.Grid.from_sizes(case["dest"], case["dest_order"]))
        st_ = self.tb.bridge_state(self.dist, plan, rank, case["b"], mem, self.tb_groups,
                                   self.tb.Recorder(torch, False))
        seq_dim = 0 if mem == "sbh" else 1
        shard_idx = self.tb.cp_shard_seq(torch, plan, rank, case["s"]).to(self.device)
        x = src.clone().to(self.device).requires_grad_(True)
        out, shard = self.tb.round_trip(self.Bridge, st_, x, shard_idx, seq_dim,
                                        grad.to(self.device))
        # a strategy that writes the LLM's input in place has no separate full output: with
        # dest CP 1 its shard is that output
        compare("torch_bridge", out.detach(), ("dest", "shard") if case["dest_cp"] == 1 else ("dest",),
                "forward output")
        if case["dest_cp"] > 1:
            compare("torch_bridge", shard.detach(), ("shard",), "CP shard")
        compare("torch_bridge", x.grad.detach(), ("src_grad",), "encoder gradient")
        if up_out is not None:
            res["between"] = (first_difference(torch, "forward output", out.detach(), up_out.cpu(),
                                               mem, bits) or
                              first_difference(torch, "encoder gradient", x.grad.detach(),
                                               up_grad.cpu(), mem, bits))
        return res

    def finish(self):
        if self.comm is not None:
            self.comm.destroy()


def import_upstream():
    """The upstream module as installed, and how long its import took (torch included)."""
    t0 = time.perf_counter()
    import importlib
    mod = importlib.import_module(UPSTREAM_MODULE)
    from megatron.core.hyper_comm_grid import HyperCommGrid

    class Upstream:
        pass
    up = Upstream()
    up.ColocatedBridgeCommunicator = getattr(mod, UPSTREAM_CLASS)
    up.HyperCommGrid = HyperCommGrid
    return up, time.perf_counter() - t0


def take_gloo_subgroups(dist):
    """Upstream asks new_subgroups_by_enumeration for backend='nccl'; on CPU the groups must be
    gloo (else: 'nccl2 requires at least one CUDA device'). Everything else passes through."""
    orig = dist.new_subgroups_by_enumeration

    def gloo_subgroups(ranks_per_subgroup_list, *args, **kwargs):
        kwargs["backend"] = "gloo"
        return orig(ranks_per_subgroup_list, *args, **kwargs)
    dist.new_subgroups_by_enumeration = gloo_subgroups


def worker(rank, world, backend, init_method, cases, out_path, timeout_s, host_per_rank=False):
    import torch
    import torch.distributed as dist
    torch.set_num_threads(1)  # world ranks share the cores
    up, _ = import_upstream()  # already imported by a forking parent: no cost here
    if backend == "nccl":
        if host_per_rank:  # NCCL reads these at its first communicator, after this
            os.environ["NCCL_HOSTID"] = f"h{rank}"
            os.environ["NCCL_SOCKET_IFNAME"] = "lo"
            os.environ.setdefault("NCCL_IB_DISABLE", "1")
        local = int(os.environ.get("LOCAL_RANK", rank)) % torch.cuda.device_count()
        torch.cuda.set_device(local)
        device = torch.device("cuda", local)
    else:
        device = torch.device("cpu")
        take_gloo_subgroups(dist)
    kw = {"timeout": datetime.timedelta(seconds=timeout_s)}
    if init_method:
        dist.init_process_group(backend, init_method=init_method, rank=rank, world_size=world, **kw)
    else:
        dist.init_process_group(backend, init_method="env://", **kw)
    runner = RankRunner(torch, dist, up, tb, rank, world, device)
    mine = []
    for case in cases:
        mine.append(runner.run(case))
    runner.finish()
    every = [None] * world
    dist.all_gather_object(every, mine)
    if rank == 0:
        tb.write_json(out_path, every)
    dist.barrier()
    dist.destroy_process_group()


def _fork_entry(rank, world, init, cases, out_path, timeout_s, errors):
    try:
        worker(rank, world, "gloo", init, cases, out_path, timeout_s)
    except BaseException as e:  # noqa: BLE001 (reported by the parent, with the rank)
        import traceback
        errors.put((rank, f"{type(e).__name__}: {e}\n{traceback.format_exc()}"))
        raise SystemExit(1)


def run_world_forked(world, cases, timeout_s):
    """Forks `world` ranks (the parent has imported torch and upstream, so no rank pays for it)
    over a FileStore; returns every rank's results, or raises with the failing ranks' errors."""
    import multiprocessing as mp
    ctx = mp.get_context("fork")
    tmp = tempfile.mkdtemp(prefix="upstream_parity.")
    out = os.path.join(tmp, "ranks.json")
    errors = ctx.Queue()
    procs = [ctx.Process(target=_fork_entry, args=(r, world, "file://" + os.path.join(tmp, "store"),
                                                   cases, out, timeout_s, errors))
             for r in range(world)]
    for p in procs:
        p.start()
    deadline = time.monotonic() + timeout_s
    for p in procs:
        p.join(max(1.0, deadline - time.monotonic()))
    hung = [r for r, p in enumerate(procs) if p.is_alive()]
    for p in procs:
        if p.is_alive():
            p.kill()
            p.join()
    msgs = []
    while not errors.empty():
        msgs.append("rank %d: %s" % errors.get())
    bad = [r for r, p in enumerate(procs) if p.exitcode != 0]
    if hung or bad or not os.path.exists(out):
        raise RuntimeError(f"world {world}: ranks {bad} failed (hung: {hung})\n" + "\n".join(msgs))
    with open(out) as f:
        every = json.load(f)
    import shutil
    shutil.rmtree(tmp, ignore_errors=True)
    return every


# ---------------------------------------------------------------- the record

def merge(case, every):
    """Ranks' results -> one record row: a side agrees when every rank's every comparison did;
    else its first difference is the lowest rank's first."""
    row = {k: case[k] for k in ("layout", "world", "mem", "dtype", "b", "s", "h", "src", "dest",
                                "src_order", "dest_order", "direction", "scale", "dest_cp")}
    row["strategies"] = sorted(case["dumps"])

    def side(name):
        for r, res in enumerate(every):
            if res[name]:
                d = dict(res[name][0], rank=r)
                return {"result": "differ", "first_difference": d,
                        "ranks_differing": [q for q, x in enumerate(every) if x[name]]}
        return {"result": "agree"}
    inputs = side("inputs")
    row["inputs_identical"] = inputs["result"] == "agree"
    if case["dest_cp"] == 1:
        row["upstream"] = side("upstream")
        between = [(r, res["between"]) for r, res in enumerate(every) if res["between"]]
        row["upstream_vs_torch_bridge"] = (
            {"result": "agree"} if not between else
            {"result": "differ", "first_difference": dict(between[0][1], rank=between[0][0])})
    else:
        why = every[0]["refused"]
        row["upstream"] = {"result": "refused" if why.startswith("ValueError") else "differ",
                           "reason": why}
        row["upstream_vs_torch_bridge"] = None
    row["torch_bridge"] = side("torch_bridge")
    return row


def upstream_version():
    from importlib import metadata
    try:
        return metadata.version(UPSTREAM_PACKAGE)
    except metadata.PackageNotFoundError:
        return None


def describe(row):
    """One line per side that did not agree (the first differing element)."""
    out = []
    for side in ("upstream", "torch_bridge"):
        s = row[side]
        if s["result"] == "differ":
            d = s.get("first_difference") or {}
            out.append(f"{case_label(row)}: {side} differs: {s.get('reason') or ''}"
                       f"{d.get('tensor', '')} rank {d.get('rank')} first at (b {d.get('b')}, "
                       f"s {d.get('s')}, h {d.get('h')}): got {d.get('got')}, suite "
                       f"{d.get('expected')} ({d.get('mismatches')} of {d.get('elements')})")
    if row.get("upstream_vs_torch_bridge") and row["upstream_vs_torch_bridge"]["result"] != "agree":
        out.append(f"{case_label(row)}: torch_bridge and upstream differ: "
                   f"{row['upstream_vs_torch_bridge']['first_difference']}")
    if not row["inputs_identical"]:
        out.append(f"{case_label(row)}: the suite's strategies were fed different inputs")
    return out


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--results", nargs="+", required=True,
                   help="bridge_bench results JSON(s) of the --dump-tensors run(s)")
    p.add_argument("--dump", required=True, help="the --dump-tensors folder")
    p.add_argument("--json", required=True, metavar="PATH", help="the parity record")
    p.add_argument("--backend", choices=["gloo", "nccl"], default="gloo",
                   help="gloo (CPU tensors) or nccl (GPU); under torchrun this process is one "
                        "rank of the launch's world, else (gloo only) it forks every world's "
                        "ranks itself")
    p.add_argument("--timeout", type=float, default=600, help="per world, seconds")
    p.add_argument("--host-per-rank", action="store_true",
                   help="nccl: each rank its own NCCL host (NCCL_HOSTID=h<rank>, "
                        "NCCL_SOCKET_IFNAME=lo), so several ranks can share one GPU")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    cases = load_cases(args.results, args.dump)
    if not cases:
        fail("bad_results", "no configs in " + ", ".join(args.results))
    try:
        up, import_s = import_upstream()
        import torch
    except ImportError as e:
        fail("missing_upstream", f"{e}: install scripts/requirements-upstream.txt "
                                 "(scripts/setup.sh does)")
    worlds = sorted({c["world"] for c in cases})
    rows = []
    launched = "RANK" in os.environ and "WORLD_SIZE" in os.environ  # torchrun (env://)
    if args.backend == "nccl" and not launched:
        fail("bad_flag", "--backend nccl runs one rank per process: start it under torchrun")
    if launched:
        world, rank = int(os.environ["WORLD_SIZE"]), int(os.environ["RANK"])
        mine = [c for c in cases if c["world"] == world]
        if not mine:
            fail("bad_results", f"no configs of world {world} in the results")
        out = args.json + ".ranks"
        worker(rank, world, args.backend, None, mine, out, args.timeout, args.host_per_rank)
        if rank != 0:
            return 0
        with open(out) as f:
            every = json.load(f)
        os.remove(out)
        rows = [merge(c, [r[i] for r in every]) for i, c in enumerate(mine)]
        worlds = [world]
    else:
        for world in worlds:
            mine = [c for c in cases if c["world"] == world]
            t0 = time.perf_counter()
            try:
                every = run_world_forked(world, mine, args.timeout)
            except RuntimeError as e:  # a rank failed or hung: no record, never a partial one
                print(f"[upstream_parity] {e}", file=sys.stderr)
                return 3
            rows += [merge(c, [r[i] for r in every]) for i, c in enumerate(mine)]
            print(f"[upstream_parity] world {world}: {len(mine)} cases in "
                  f"{time.perf_counter() - t0:.1f} s", flush=True)
    doc = {"schema": PARITY_SCHEMA, "version": PARITY_VERSION,
           "created": datetime.datetime.now(datetime.timezone.utc).isoformat(),
           "command": [os.path.basename(sys.argv[0])] + (sys.argv[1:] if argv is None else argv),
           "upstream": {"package": UPSTREAM_PACKAGE, "version": upstream_version(),
                        "module": UPSTREAM_MODULE, "class": UPSTREAM_CLASS,
                        "import_seconds": round(import_s, 2)},
           "torch": torch.__version__, "backend": args.backend, "worlds": worlds,
           "doc": DOC, "cases": rows}
    tb.write_json(args.json, doc)
    lines = [line for row in rows for line in describe(row)]
    for line in lines:
        print(f"[upstream_parity] {line}", file=sys.stderr)
    n_up = sum(r["upstream"]["result"] == "agree" for r in rows)
    n_tb = sum(r["torch_bridge"]["result"] == "agree" for r in rows)
    print(f"[upstream_parity] {len(rows)} cases: upstream agrees on {n_up} "
          f"({sum(r['upstream']['result'] == 'refused' for r in rows)} refused, dest CP > 1), "
          f"torch_bridge agrees on {n_tb}; wrote {args.json}")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
