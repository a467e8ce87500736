#!/usr/bin/env python3
"""Runs bridge_bench (host simulation) with repetitions and Google Benchmark's JSON output, and
checks what Google Benchmark's tools/compare.py and github-action-benchmark read: stdout is one
JSON document (the text summary went to stderr), every benchmark has name, run_name, run_type,
repetitions, time_unit (us) and real_time, the mean/median/stddev aggregates exist per config,
the name holds the config id, the counters hold bytes and floor ratio, the context names
backend/device/world/commit, and the results JSON keeps every repetition's samples and says
schema version 3's names (config "layout": the parallel layout, shape "mem": the memory order).
usage: check_gbench_json.py BRIDGE_BENCH WORK_DIR
"""
import json
import os
import shutil
import subprocess
import sys

REPS, ITERS = 3, 4


def fail(msg):
    print(f"check_gbench_json: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def main(bench, work):
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    gb_out, results = os.path.join(work, "gbench.json"), os.path.join(work, "results.json")
    cmd = [bench, "--backend=host", "--layouts=seed_fan_in_cp1", "--shapes=2x64x256", "--mem=bsh",
           "--strategies=reference,fused",
           f"--iters={ITERS}", "--warmup=1", f"--benchmark_repetitions={REPS}",
           "--benchmark_format=json", f"--benchmark_out={gb_out}", "--json", results]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if run.returncode != 0:
        fail(f"exit {run.returncode}: {run.stderr[-2000:]}")
    try:
        stdout_doc = json.loads(run.stdout)
    except ValueError as e:
        fail(f"stdout is not one JSON document ({e}); it starts {run.stdout[:200]!r}")
    if "results:" not in run.stderr or "median_ms" not in run.stderr:
        fail("the text summary is not on stderr")
    with open(gb_out) as f:
        doc = json.load(f)
    for d in (doc, stdout_doc):
        ctx = d["context"]
        for key in ("bridgebench_backend", "bridgebench_device", "bridgebench_world",
                    "bridgebench_commit"):
            if not ctx.get(key):
                fail(f"context has no {key}: {sorted(ctx)}")
        if ctx["bridgebench_backend"] != "host" or ctx["bridgebench_world"] != "8":
            fail(f"context says {ctx['bridgebench_backend']}/{ctx['bridgebench_world']}")
    with open(results) as f:
        res = json.load(f)
    ids = [c["id"] for c in res["configs"]]
    if len(ids) != 2:
        fail(f"expected 2 configs, got {ids}")
    if res.get("schema_version") != 6:
        fail(f"schema_version {res.get('schema_version')!r}, expected 6")
    for c in res["configs"]:
        got = (c.get("layout"), c["shape"].get("mem"))
        if got != ("seed_fan_in_cp1", "bsh") or "layout_name" in c or "layout" in c["shape"]:
            fail(f"{c['id']}: layout/mem {got}, keys {sorted(c)}, shape keys {sorted(c['shape'])}")
    for c in res["collectives"]:
        # "layout" in version 3; the bare-collective writer may still say "layout_name"
        if c.get("layout", c.get("layout_name")) != "seed_fan_in_cp1":
            fail(f"{c['id']}: no layout of its own")
    for cid in ids:
        mine = [b for b in doc["benchmarks"] if cid in b["name"]]
        iters = [b for b in mine if b.get("run_type") == "iteration"]
        aggs = {b.get("aggregate_name") for b in mine if b.get("run_type") == "aggregate"}
        if len(iters) != REPS:
            fail(f"{cid}: {len(iters)} iteration runs, expected {REPS}")
        if not {"mean", "median", "stddev"} <= aggs:
            fail(f"{cid}: aggregates {aggs}")
        for b in mine:
            for key in ("name", "run_name", "run_type", "repetitions", "time_unit", "real_time"):
                if key not in b:
                    fail(f"{b['name']}: no {key}")
            if b["time_unit"] != "us" or b["repetitions"] != REPS:
                fail(f"{b['name']}: time_unit {b['time_unit']}, repetitions {b['repetitions']}")
            if cid not in b["run_name"]:
                fail(f"{b['name']}: run_name without the config id")
            if "bytes_per_rank" not in b or "floor_ratio" not in b:
                fail(f"{b['name']}: no bytes_per_rank / floor_ratio counter")
        cfg = next(c for c in res["configs"] if c["id"] == cid)
        # manual time is the repetition's median round trip, in microseconds
        reps_us = sorted(b["real_time"] for b in iters)
        mine_us = sorted(m * 1e3 for m in cfg["repetition_medians_ms"])
        if any(abs(a - b) > 1e-6 * b for a, b in zip(reps_us, mine_us)):
            fail(f"{cid}: real_time {reps_us} us vs repetition medians {mine_us}")
        if cfg.get("repetitions") != REPS or len(cfg["total"]["samples_ms"]) != REPS * ITERS:
            fail(f"{cid}: {len(cfg['total']['samples_ms'])} samples kept, expected {REPS * ITERS}")
        for p in cfg["phases"]:
            if len(p["samples_ms"]) != REPS * ITERS:
                fail(f"{cid} {p['name']}: {len(p['samples_ms'])} samples kept")
    for c in res["collectives"]:
        # host bare collectives take min(--iters, max(5, --iters / 4)) samples per way (issue 20)
        per_way = c["iterations_per_way"]
        if per_way != min(ITERS, max(5, ITERS // 4)):
            fail(f"{c['id']}: iterations_per_way {per_way} for --iters={ITERS} on host")
        if len(c["samples_ms"]) != REPS * per_way or len(c["suite_samples_ms"]) != REPS * per_way:
            fail(f"{c['id']}: repetitions' samples not all kept")
    shutil.rmtree(work)
    print(f"check_gbench_json: ok ({len(doc['benchmarks'])} benchmarks, {REPS} repetitions)")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
