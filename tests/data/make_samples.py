#!/usr/bin/env python3
"""Regenerates the sample results files used by tests/python (schema bridgebench/results v1,
and a v3 twin).

The numbers are invented but self-consistent (stats from samples, algbw/busbw/floors from bytes),
so the report scripts see what the C++ side writes. What b plants relative to a:
  * REGRESSED: fwd_comm of one config is 40% slower (so its total regresses too);
  * IMPROVED:  bwd_comm of one config is 30% faster;
  * NOISY:     one config has a wide sample spread on both sides and a 7% median shift,
               above the 5% threshold but inside the noise;
  * every other median moves by under 1.5%;
  * one config only in a, one only in b.
Bare collectives (a, inherited by b; host): each is timed at its first user's phase median / 1.04,
so that phase shows a +4.0% suite overhead, except OVERHEAD's bwd_cp all_reduce at +25.0%.
Repetition spreads: 1.0140 everywhere, SPREAD_BAD (16 MiB/rank, so it has a target) 1.0800,
the host config 1.1000 (2 MiB/rank: no target).
sample_results_a_v3.json is sample_results_a.json with schema version 3's key names (config
"layout", was "layout_name"; shape "mem", was shape "layout"; collective "layout", was
"layout_name") and schema_version 3, renamed here on its own (not by scripts/bbreport), so the
tests can hold the scripts' reading of an old file equal to their reading of a new one.
Run: python3 tests/data/make_samples.py   (writes the four JSON files next to it)
"""
import copy
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
LINK_GBPS, COPY_GBPS = 450.0, 3000.0
DTYPE_BYTES = {"bf16": 2, "fp16": 2, "fp32": 4}

REGRESSED = "seed_fan_in_cp2/sbh/bf16/b2.s4096.h4096/reference"
IMPROVED = "seed_fan_out_cp2/sbh/bf16/b4.s4096.h4096/fused"
NOISY = "seed_fan_in_cp1/sbh/bf16/b2.s1024.h4096/reference"
ONLY_A = "seed_fan_in_cp1/bsh/fp32/b2.s1024.h4096/reference"
ONLY_B = "seed_fan_in_cp1/bsh/fp32/b2.s2048.h4096/reference"
OVERHEAD = "seed_fan_out_cp2/sbh/bf16/b2.s4096.h4096/reference"
SPREAD_BAD = NOISY

LAYOUTS = {
    # name: (src, dest, direction, scale, cp)
    "seed_fan_in_cp2": ({"tp": 2, "dp": 4}, {"tp": 2, "cp": 2, "dp": 2}, "fan_in", 2, 2),
    "seed_fan_out_cp2": ({"tp": 4, "dp": 2}, {"tp": 1, "cp": 2, "dp": 4}, "fan_out", 2, 2),
    "seed_fan_in_cp1": ({"tp": 2, "dp": 4}, {"tp": 4, "dp": 2}, "fan_in", 2, 1),
    "dp_tp_order": ({"tp": 2, "dp": 4}, {"tp": 4, "dp": 2}, "fan_in", 2, 1),
}


def stats(samples):
    s = sorted(samples)
    n = len(s)
    med = s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
    return {"median_ms": round(med, 6), "min_ms": round(s[0], 6), "max_ms": round(s[-1], 6),
            "mean_ms": round(sum(s) / n, 6), "samples_ms": [round(x, 6) for x in samples]}


def phase(rng, name, op, group, nbytes, efficiency, busy, spread):
    kind = "local" if op == "copy" else "collective"
    floor = nbytes / ((COPY_GBPS if kind == "local" else LINK_GBPS) * 1e6)
    med = floor / efficiency
    samples = [med * (1 + rng.uniform(-spread, spread)) for _ in range(20)]
    p = stats(samples)
    m = p["median_ms"]
    algbw = nbytes / (m * 1e6)
    factor = {"all_gather": (group - 1) / group, "all_reduce": 2 * (group - 1) / group}.get(op, 1.0)
    p.update({"name": name, "kind": kind, "op": op, "group_size": group, "bytes_per_rank": nbytes,
              "algbw_GBps": round(algbw, 3), "busbw_GBps": round(algbw * factor, 3),
              "floor_ms": round(floor, 6), "floor_ratio": round(floor / m, 4),
              "gpu_busy_ms": None if busy is None else round(m * busy, 6)})
    return p


def make_config(rng, layout, mem, dtype, b, s, h, strategy, spread=0.02, audit_bad=False):
    src, dest, direction, k, c = LAYOUTS[layout]
    S = b * s * h * DTYPE_BYTES[dtype]
    D = k * S if direction == "fan_in" else S // k
    fused = strategy == "fused"
    ph = []
    # The reference strategy moves the batch dim around the gather for sbh: two extra copies.
    relayout = 2 * 2 * S if (mem == "sbh" and not fused) else 0
    if direction == "fan_in":
        ph.append(phase(rng, "fwd_local", "copy", 1, relayout or 2 * S, 0.8, 0.95, spread))
        ph.append(phase(rng, "fwd_comm", "all_gather", k, (k - 1) * S, 0.6, 0.9, spread))
    else:
        ph.append(phase(rng, "fwd_local", "copy", 1, 2 * S // k, 0.7, 0.9, spread))
    if c > 1:
        ph.append(phase(rng, "cp_shard", "copy", 1, 2 * D // c, 0.8, None, spread))
        ph.append(phase(rng, "cp_adjoint", "copy", 1, 2 * D, 0.8, None, spread))
        cp_bytes = (c - 1) * D // c if fused else 2 * (c - 1) * D // c
        ph.append(phase(rng, "bwd_cp", "all_gather" if fused else "all_reduce", c, cp_bytes, 0.55,
                        0.92, spread))
    if direction == "fan_out":
        ph.append(phase(rng, "bwd_comm", "all_gather", k, (k - 1) * D, 0.6, 0.9, spread))
        ph.append(phase(rng, "bwd_local", "copy", 1, relayout or 2 * D, 0.8, 0.95, spread))
    else:
        ph.append(phase(rng, "bwd_local", "copy", 1, (relayout or 0) + 2 * D // k, 0.8, 0.95,
                        spread))
    total = [sum(p["samples_ms"][i] for p in ph) * 1.04 for i in range(20)]
    return {
        "id": f"{layout}/{mem}/{dtype}/b{b}.s{s}.h{h}/{strategy}",
        "layout_name": layout, "world": 8, "backend": "emulate", "emulated": True,
        "src": src, "dest": dest,
        "src_order": ["dp", "tp"] if audit_bad else ["tp", "cp", "pp", "dp"],
        "dest_order": ["tp", "dp"] if audit_bad else ["tp", "cp", "pp", "dp"],
        "direction": direction, "scale": k, "cp": c,
        "shape": {"b": b, "s": s, "h": h, "layout": mem, "dtype": dtype,
                  "src_bytes_per_rank": S, "dest_bytes_per_rank": D},
        "strategy": strategy, "mode": "timed", "correct": True,
        "audit": {"ok": not audit_bad, "first_misrouted":
                  {"rank": 2, "receives": [8, 9, 10, 11, 12, 13, 14, 15],
                   "owns": [0, 1, 2, 3, 4, 5, 6, 7]} if audit_bad else None},
        "iterations": 20, "warmup": 5, "total": stats(total), "phases": ph,
        "bytes_per_rank": sum(p["bytes_per_rank"] for p in ph),
        "peak_device_bytes": 3 * max(S, D),
    }


def add_collectives(doc):
    """One bare collective per (layout, dtype, shape, op, phase), as bridge_bench writes them."""
    out = {}
    for cfg in doc["configs"]:
        sh = cfg["shape"]
        for p in cfg["phases"]:
            key = (cfg["layout_name"], sh["dtype"], sh["b"], sh["s"], sh["h"], p["op"], p["name"])
            if p["name"] not in ("fwd_comm", "bwd_cp", "bwd_comm") or key in out:
                continue
            over = 1.25 if (cfg["id"], p["name"]) == (OVERHEAD, "bwd_cp") else 1.04
            c = stats([x / over for x in p["samples_ms"]])
            n, nbytes = p["group_size"], p["bytes_per_rank"]
            bus = (n - 1) / n if p["op"] == "all_gather" else 2 * (n - 1) / n
            # nccl-tests size from bytes received: all-gather output, all-reduce buffer
            coll_bytes = nbytes * n // (n - 1) if p["op"] == "all_gather" else \
                nbytes * n // (2 * (n - 1))
            algbw = coll_bytes / (c["median_ms"] * 1e6)
            c.update({
                "id": f"{key[0]}/{key[1]}/b{key[2]}.s{key[3]}.h{key[4]}/{p['op']}.{p['name']}",
                "layout_name": key[0], "phase": p["name"],
                "strategies": cfg["strategy"] if p["name"] == "bwd_cp" else "reference,fused",
                "op": p["op"], "dtype": key[1], "group_size": n, "groups": cfg["world"] // n,
                "bytes_per_rank": nbytes, "coll_bytes": coll_bytes,
                "algbw_GBps": round(algbw, 3), "busbw_GBps": round(algbw * bus, 3),
                "floor_basis": "memcpy", "floor_ms": p["floor_ms"],
                "floor_ratio": round(p["floor_ms"] / c["median_ms"], 4), "correct": True,
                # through the suite's phase recorder: +2% (+8% planted on the OVERHEAD bwd_cp)
                "suite_median_ms": round(c["median_ms"] * (1.08 if over == 1.25 else 1.02), 6),
                "suite_overhead_pct": 8.0 if over == 1.25 else 2.0})
            c.pop("mean_ms")
            out[key] = c
    doc["collectives"] = list(out.values())


def add_repetitions(doc, spreads):
    """Three --benchmark_repetitions medians per config around the total median."""
    for cfg in doc["configs"]:
        m, spread = cfg["total"]["median_ms"], spreads.get(cfg["id"], 1.014)
        reps = [round(m, 6), round(m * spread, 6), round(m * (1 + spread) / 2, 6)]
        cfg["repetition_medians_ms"] = reps
        cfg["repetition_spread"] = round(max(reps) / min(reps), 4)


def environment(backend, gpus):
    return {
        "host": "node17", "time_utc": "2026-11-24T03:20:00Z", "git_commit": "0837878",
        "command_line": "bridge_bench --layouts seeds --shapes small --out results.json",
        "backend": backend, "gpus": gpus, "gpu_count": len(gpus),
        "driver_version": "580.159.04" if gpus else None,
        "cuda_runtime": "13.0" if gpus else None,
        "nccl_version": "2.28.9" if backend == "nccl" else None,
        "topology": None, "copy_bandwidth_GBps": COPY_GBPS if gpus else None,
        "link_bandwidth_GBps": LINK_GBPS,
        "cupti": {"enabled": bool(gpus), "overhead_pct": 1.2 if gpus else None},
    }


def build_a():
    rng = random.Random(1)
    configs = []
    for layout in ("seed_fan_in_cp2", "seed_fan_out_cp2", "seed_fan_in_cp1"):
        for b, s in ((2, 1024), (2, 4096), (4, 4096)):
            for strategy in ("reference", "fused"):
                spread = 0.12 if f"{layout}/sbh/bf16/b{b}.s{s}.h4096/{strategy}" == NOISY else 0.02
                configs.append(make_config(rng, layout, "sbh", "bf16", b, s, 4096, strategy,
                                           spread))
    configs.append(make_config(rng, "seed_fan_in_cp1", "bsh", "fp32", 2, 1024, 4096, "reference"))
    configs.append(make_config(rng, "dp_tp_order", "bsh", "bf16", 2, 1024, 4096, "reference",
                               audit_bad=True))
    gpus = [{"index": 0, "name": "NVIDIA H100 80GB HBM3", "memory_bytes": 85520809984,
             "sm_count": 132, "pci_bus_id": "0000:00:06.0"}]
    doc = {
        "schema": "bridgebench/results", "schema_version": 1,
        "environment": environment("emulate", gpus),
        "configs": configs,
        "failures": [{"id": "seed_fan_out_cp2/bsh/bf16/b2.s1024.h4096/fused",
                      "rule": "oracle_mismatch",
                      "error": "rank 3 backward: first mismatch at (sample 2, seq 17, hidden 0)"}],
        "skipped": [{"id": "seed_fan_in_cp2/sbh/bf16/b1.s1024.h4096/reference",
                     "rule": "batch_not_divisible",
                     "reason": "batch 1 is not divisible by scale 2"}],
    }
    add_collectives(doc)
    add_repetitions(doc, {SPREAD_BAD: 1.08})
    return doc


def scale_phase(p, f, rng=None, jitter=0.0):
    p["samples_ms"] = [x * f * (1 + (rng.uniform(-jitter, jitter) if rng else 0))
                       for x in p["samples_ms"]]
    p.update(stats(p["samples_ms"]))
    if "bytes_per_rank" in p:
        m = p["median_ms"]
        algbw = p["bytes_per_rank"] / (m * 1e6)
        ratio = p["busbw_GBps"] / p["algbw_GBps"]
        p["algbw_GBps"], p["busbw_GBps"] = round(algbw, 3), round(algbw * ratio, 3)
        p["floor_ratio"] = round(p["floor_ms"] / m, 4)
        if p["gpu_busy_ms"] is not None:
            p["gpu_busy_ms"] = round(p["gpu_busy_ms"] * f, 6)


def build_b(a):
    rng = random.Random(2)
    b = copy.deepcopy(a)
    b["environment"]["git_commit"] = "1a2b3c4"
    b["environment"]["time_utc"] = "2026-11-25T03:20:00Z"
    for cfg in b["configs"]:
        drift = {NOISY: 1.07}.get(cfg["id"], 1 + rng.uniform(-0.015, 0.015))
        for p in cfg["phases"]:
            f = drift
            if cfg["id"] == REGRESSED and p["name"] == "fwd_comm":
                f = 1.40
            if cfg["id"] == IMPROVED and p["name"] == "bwd_comm":
                f = 0.70
            scale_phase(p, f, rng, 0.003)
        cfg["total"]["samples_ms"] = [sum(p["samples_ms"][i] for p in cfg["phases"]) * 1.04
                                      for i in range(20)]
        cfg["total"].update(stats(cfg["total"]["samples_ms"]))
    b["configs"] = [c for c in b["configs"] if c["id"] != ONLY_A]
    b["configs"].append(make_config(rng, "seed_fan_in_cp1", "bsh", "fp32", 2, 2048, 4096,
                                    "reference"))
    add_repetitions(b, {SPREAD_BAD: 1.08})
    return b


def build_host():
    rng = random.Random(3)
    cfg = make_config(rng, "seed_fan_in_cp2", "bsh", "fp32", 2, 256, 1024, "reference")
    cfg["backend"], cfg["emulated"] = "host", False
    for p in cfg["phases"]:
        p["gpu_busy_ms"] = None
    doc = {"schema": "bridgebench/results", "schema_version": 1,
           "environment": environment("host", []), "configs": [cfg],
           "failures": [], "skipped": []}
    add_collectives(doc)
    add_repetitions(doc, {cfg["id"]: 1.10})
    return doc


def _renamed(d, old, new):
    """d with key old renamed to new, in place in the key order."""
    return {new if k == old else k: v for k, v in d.items()}


def as_v3(doc):
    """The same document under schema version 3's key names."""
    v3 = copy.deepcopy(doc)
    v3["schema_version"] = 3
    configs = []
    for cfg in v3["configs"]:
        cfg = _renamed(cfg, "layout_name", "layout")
        cfg["shape"] = _renamed(cfg["shape"], "layout", "mem")
        configs.append(cfg)
    v3["configs"] = configs
    v3["collectives"] = [_renamed(c, "layout_name", "layout") for c in v3["collectives"]]
    return v3


def write(name, doc):
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    a = build_a()
    write("sample_results_a.json", a)
    write("sample_results_a_v3.json", as_v3(a))
    write("sample_results_b.json", build_b(a))
    write("sample_results_host.json", build_host())
