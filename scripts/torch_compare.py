#!/usr/bin/env python3
"""PyTorch side of the kernel bandwidth comparison, and the table that merges it with bench_kernels.

  torch_compare.py run --out torch.json [--sizes 64,128,256,512,1024]
  torch_compare.py combine --kernels bench.json --torch torch.json [--out table.md]

`run` times what PyTorch (and its autograd) does for each local op of the bridge, on the shapes
bench_kernels uses: bf16, h = s = 4096 per full-sequence sample, size = output MiB. Timing: CUDA
events around 8 back-to-back calls over rotating input sets, after a warm-up; the median of 15
such samples. GB/s counts the same minimal bytes (read + write) as bench_kernels, so ratios are
comparable. `combine` reads bench_kernels' --benchmark_out JSON (median aggregates).
"""
import argparse
import json
import statistics
import sys

S = H = 4096
REPS, SAMPLES, WARMUP = 8, 15, 3


def ops(torch):
    """name -> (make(k) -> inputs tuple, fn(*inputs) -> output, traffic(out_bytes) -> bytes)."""
    bf16, dev = torch.bfloat16, "cuda"

    def rnd(*shape):  # never zeros: random data, like the C++ side's pattern
        return torch.randn(*shape, dtype=bf16, device=dev)

    def chunk_index(c, ranks_chunks, L):
        return torch.cat([torch.arange(ch * L, (ch + 1) * L, device=dev) for ch in ranks_chunks])

    def cp_shard(k):  # c = 2, rank 0 keeps chunks 0 and 3 of a 2S-long sequence (semantics §5)
        L = 2 * S // 4
        return rnd(2 * S, k, H), chunk_index(2, [0, 3], L)

    def cp_adjoint(k):  # autograd of index_select: zeros + index_add_
        L = S // 4
        return rnd(S // 2, k, H), chunk_index(2, [0, 3], L)

    def cp_unshard(k):  # the two gathered shards [r0: chunks 0,3][r1: chunks 1,2] -> full order
        L = S // 4
        order = [0, 3, 1, 2]
        inv = torch.empty(4 * L, dtype=torch.long, device=dev)
        for pos, ch in enumerate(order):
            inv[ch * L:(ch + 1) * L] = torch.arange(pos * L, (pos + 1) * L, device=dev)
        return rnd(S, k, H), inv

    def adjoint(g, idx):
        out = torch.zeros(S, g.shape[1], H, dtype=bf16, device=dev)
        return out.index_add_(0, idx, g)

    two = lambda m: 2 * m
    return {
        "memcpy": (lambda k: (rnd(k, S, H),), lambda x: x.clone(), two),
        # A batch-dim narrow of bsh is a view; .contiguous() would copy nothing, so clone() it.
        "narrow_bsh": (lambda k: (rnd(2 * k, S, H), k), lambda x, k: x.narrow(0, k, k).clone(), two),
        "narrow_sbh": (lambda k: (rnd(S, 2 * k, H), k), lambda x, k: x.narrow(1, k, k).contiguous(), two),
        "gather_fixup_sbh": (lambda k: (rnd(2, S, max(1, k // 2), H),), lambda g: torch.cat(g.unbind(0), dim=1), two),
        "cp_shard_sbh": (cp_shard, lambda x, idx: x.index_select(0, idx), two),
        "cp_adjoint_sbh": (cp_adjoint, adjoint, lambda m: m + m // 2),
        "relayout_bsh_to_sbh": (lambda k: (rnd(k, S, H),), lambda x: x.movedim(0, 1).contiguous(), two),
        "relayout_sbh_to_bsh": (lambda k: (rnd(S, k, H),), lambda x: x.movedim(1, 0).contiguous(), two),
        "cp_unshard_sbh": (cp_unshard, lambda g, inv: g.index_select(0, inv), two),
    }


def run(args):
    import torch

    torch.backends.cuda.matmul.allow_tf32 = False
    sizes = [int(s) for s in args.sizes.split(",")]
    l2 = getattr(torch.cuda.get_device_properties(0), "L2_cache_size", 50 << 20)
    results = []
    for name, (make, fn, traffic) in ops(torch).items():
        for mib in sizes:
            k = mib * (1 << 20) // (S * H * 2)
            sets = [make(k)]
            set_bytes = sum(t.numel() * t.element_size() for t in sets[0] if hasattr(t, "numel")) + mib * (1 << 20)
            nsets = max(2, min(8, (4 * l2) // set_bytes + 1))
            sets += [make(k) for _ in range(nsets - 1)]
            out = fn(*sets[0])
            assert out.numel() * out.element_size() == mib << 20, (name, out.shape)
            del out
            i = 0
            for _ in range(WARMUP * REPS):
                fn(*sets[i % nsets]); i += 1
            torch.cuda.synchronize()
            times = []
            for _ in range(SAMPLES):
                a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                a.record()
                for _ in range(REPS):
                    fn(*sets[i % nsets]); i += 1
                b.record()
                b.synchronize()
                times.append(a.elapsed_time(b) / REPS)
            ms = statistics.median(times)
            nbytes = traffic(mib << 20)
            results.append({"op": name, "mib": mib, "bytes": nbytes, "time_us": ms * 1e3,
                            "gbps": nbytes / (ms * 1e-3) / 1e9,
                            "spread": (max(times) - min(times)) / ms})
            print(f"{name:22s} {mib:5d} MiB  {ms * 1e3:9.1f} us  {results[-1]['gbps']:7.1f} GB/s", flush=True)
            del sets
            torch.cuda.empty_cache()
    meta = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "cuda": torch.version.cuda}
    with open(args.out, "w") as f:
        json.dump({"context": meta, "results": results}, f, indent=1)


def combine(args):
    with open(args.kernels) as f:
        kb = json.load(f)
    ours, spread = {}, {}
    for b in kb["benchmarks"]:
        if b.get("run_type") != "aggregate":
            continue
        op, arg = b["run_name"].split("/")[:2]
        key = (op, int(arg.split(":")[1]))
        if b["aggregate_name"] == "median":
            ours[key] = b
        elif b["aggregate_name"] == "cv":
            spread[key] = b["real_time"]
    theirs = {}
    tdev = "?"
    if args.torch:
        with open(args.torch) as f:
            tj = json.load(f)
        tdev = tj["context"]["device"]
        theirs = {(r["op"], r["mib"]): r for r in tj["results"]}
    dev = kb["context"].get("device", "?")
    unit = {"ns": 1e-3, "us": 1.0, "ms": 1e3}
    lines = [f"Device: {dev} (PyTorch run on: {tdev}; torch {tj['context']['torch'] if args.torch else '-'})", "",
             "| op | out MiB | bytes r+w (MiB) | ours us | ours GB/s | % of memcpy | cv | PyTorch us | PyTorch GB/s | PyTorch % of memcpy | speedup vs PyTorch |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for (op, mib), b in ours.items():
        us = b["real_time"] * unit[b.get("time_unit", "us")]
        gbps = b["bytes"] / (us * 1e-6) / 1e9
        mc = ours.get(("memcpy", mib))
        mc_gbps = mc["bytes"] / (mc["real_time"] * unit[mc.get("time_unit", "us")] * 1e-6) / 1e9 if mc else float("nan")
        t = theirs.get((op, mib))
        cells = [op, str(mib), f"{b['bytes'] / 2**20:.0f}", f"{us:.1f}", f"{gbps:.0f}", f"{100 * gbps / mc_gbps:.1f}%",
                 f"{100 * spread.get((op, mib), 0):.1f}%"]
        if t:
            cells += [f"{t['time_us']:.1f}", f"{t['gbps']:.0f}", f"{100 * t['gbps'] / mc_gbps:.1f}%", f"{t['time_us'] / us:.2f}x"]
        else:
            cells += ["-"] * 4
        lines.append("| " + " | ".join(cells) + " |")
    text = "\n".join(lines) + "\n"
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    sys.stdout.write(text)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--out", required=True)
    r.add_argument("--sizes", default="64,128,256,512,1024")
    c = sub.add_parser("combine")
    c.add_argument("--kernels", required=True)
    c.add_argument("--torch")
    c.add_argument("--out")
    a = p.parse_args()
    run(a) if a.cmd == "run" else combine(a)


if __name__ == "__main__":
    main()
