#!/usr/bin/env python3
"""The cost model against measured round trips (issue 22 item 5).

  model_check.py --plan build/tools/bridge-plan --calibration CAL [--medium nodes|shared|socket]
                 [--gpus-per-node N] [--exclude-layouts a,b] RESULTS.json ... --out TABLE.md

For every config of the results files (read from the JSON alone), asks `bridge-plan --predict`
for its layout, shape and strategy under the calibration CAL (a results JSON, nccl-tests output or
a folder), and writes per config predicted vs measured (round trip and each phase), then the error
figures: median and 90th percentile of |predicted/measured - 1| per round trip and per collective
phase, and the best-strategy hit rate over the (layout, shape) points where the measured best beats
the runner-up by more than 5%. `--exclude-layouts` leaves the calibration's own layouts out (held-out
figures). With `--world N [--shapes BxSxH,...] [--mem bsh,sbh]` instead of results files it writes
predictions only, for every layout `--layouts=all` runs at that world.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bridge_plan_ref as bp  # noqa: E402
from bbreport.schema import load_results  # noqa: E402  (upgrades versions 1-3 in memory)


def predict(plan, cfg_layout, shape, cal, medium, gpn, cache):
    key = json.dumps([cfg_layout, shape], sort_keys=True)
    if key in cache:
        return cache[key]
    src = ",".join(f"{k}={v}" for k, v in cfg_layout["src"].items())
    dest = ",".join(f"{k}={v}" for k, v in cfg_layout["dest"].items())
    b, s, h, mem, dtype = shape
    scale, direction = cfg_layout["scale"], cfg_layout["direction"]
    batch = b * scale if direction == "fan_in" else b  # --batch is the narrowing side's
    cmd = [plan, "--predict", "--world", str(cfg_layout["world"]), "--src", src, "--dest", dest,
           "--src-order", ",".join(cfg_layout["src_order"]), "--dest-order", ",".join(cfg_layout["dest_order"]),
           "--offset", str(cfg_layout.get("offset", 0)), "--batch", str(batch), "--seq", str(s), "--hidden", str(h),
           "--mem", mem, "--dtype", dtype, "--medium", medium, "--gpus-per-node", str(gpn)]
    if cal:
        cmd += ["--calibration", cal]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"error: predict_failed: {' '.join(cmd)}: {r.stderr.strip()}")
    cache[key] = json.loads(r.stdout)
    return cache[key]


def all_layouts(world):
    """The layouts `--layouts=all` runs at this world (bridge_plan_ref.all_layouts), canonical orders."""
    out = []
    for name, src, dest in bp.all_layouts(world):
        sdp, ddp = src["dp"], dest["dp"]
        direction = "fan_in" if sdp > ddp else "fan_out" if ddp > sdp else "equal"
        out.append((name, {"world": world, "src": src, "dest": dest,
                           "src_order": ["tp", "cp", "pp", "dp"], "dest_order": ["tp", "cp", "pp", "dp"],
                           "scale": max(sdp, ddp) // min(sdp, ddp), "direction": direction}))
    return out


def predictions_only(a):
    """Predictions for every layout of --world at --shapes x --mem, with the recommendation."""
    cache = {}
    out = [f"# Predicted round trips, world {a.world}", "",
           f"calibration: `{a.calibration or 'default (uncalibrated)'}`, medium `{a.medium}`, {a.gpus_per_node} GPUs per node", "",
           "| layout | shape | mem | strategy | predicted ms | phases (ms) | recommended |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, lay in all_layouts(a.world):
        for shape in a.shapes.split(","):
            b, sq, h = (int(x) for x in shape.split("x"))
            for mem in a.mem.split(","):
                if lay["dest"]["cp"] > 1 and sq % (2 * lay["dest"]["cp"]):
                    continue
                j = predict(a.plan, lay, (b, sq, h, mem, a.dtype), a.calibration, a.medium, a.gpus_per_node, cache)
                rec = j["recommended"]
                for sp in j["strategies"]:
                    phases = ", ".join(f"{p['name']} {p['predicted_ms']:.4f}" for p in sp["phases"])
                    mark = f"{rec['strategy']} by {rec['margin_pct']:.1f}%" if sp["strategy"] == rec["strategy"] else ""
                    out.append(f"| {name} | {shape} | {mem} | {sp['strategy']} | {sp['predicted_ms']:.4f} | {phases} | {mark} |")
    return "\n".join(out) + "\n"


def pct(x):
    return f"{100 * x:+.1f}%"


def quartiles(v):
    """Lower and upper quartile (the lower and upper halves' medians) of a config's samples."""
    v = sorted(v)
    h = len(v) // 2
    return (statistics.median(v[:h]), statistics.median(v[-h:])) if h else (v[0], v[0])


def quantile(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * (len(v) - 1) + 0.5))] if v else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", nargs="*")
    ap.add_argument("--plan", default="build/tools/bridge-plan")
    ap.add_argument("--calibration", default="")
    ap.add_argument("--medium", default="nodes")
    ap.add_argument("--gpus-per-node", type=int, default=8)
    ap.add_argument("--exclude-layouts", default="")
    ap.add_argument("--out", default="-")
    ap.add_argument("--world", type=int, default=0, help="predictions only: every layout of this world")
    ap.add_argument("--shapes", default="2x4096x4096")
    ap.add_argument("--mem", default="bsh")
    ap.add_argument("--dtype", default="bf16")
    a = ap.parse_args()
    if a.world:
        text = predictions_only(a)
        if a.out == "-":
            sys.stdout.write(text)
        else:
            with open(a.out, "w") as f:
                f.write(text)
        return
    excluded = set(x for x in a.exclude_layouts.split(",") if x)
    cache, rows, tot_err, phase_err, phase_rows = {}, [], [], [], []
    points = {}
    for path in a.results:
        res = load_results(path)
        for c in res.get("configs", []):
            if c.get("layout") in excluded:
                continue
            sh = c["shape"]
            mem = sh.get("mem", sh.get("layout"))
            lay = {k: c[k] for k in ("world", "src", "dest", "src_order", "dest_order", "scale", "direction")}
            j = predict(a.plan, lay, (sh["b"], sh["s"], sh["h"], mem, sh["dtype"]), a.calibration, a.medium,
                        a.gpus_per_node, cache)
            sp = next((s for s in j["strategies"] if s["strategy"] == c["strategy"]), None)
            if sp is None:
                continue
            meas = c["total"]["median_ms"]
            e = sp["predicted_ms"] / meas - 1
            tot_err.append(abs(e))
            pred_ph = {p["name"]: p for p in sp["phases"]}
            for ph in c.get("phases", []):
                pp = pred_ph.get(ph["name"])
                if pp is None or not ph["median_ms"] > 0:
                    continue
                pe = pp["predicted_ms"] / ph["median_ms"] - 1
                phase_rows.append((c["id"], ph["name"], ph["kind"], pp.get("op", ""), pp["predicted_ms"], pp.get("wait_ms", 0.0),
                                   ph["median_ms"], pe))
                if ph["kind"] == "collective":
                    phase_err.append(abs(pe))
            rows.append((c["id"], sp["predicted_ms"], meas, e))
            points.setdefault((c["layout"], sh["b"], sh["s"], sh["h"], mem, sh["dtype"]), {})[c["strategy"]] = (
                meas, sp["predicted_ms"], quartiles(c["total"].get("samples_ms") or [meas]))
    hits = n_clear = 0
    best_rows = []
    for point, strat in points.items():
        if len(strat) < 2:
            continue
        by_meas = sorted(strat.items(), key=lambda kv: kv[1][0])
        by_pred = sorted(strat.items(), key=lambda kv: kv[1][1])
        if by_meas[1][1][0] <= 1.05 * by_meas[0][1][0]:
            continue
        n_clear += 1
        hit = by_pred[0][0] == by_meas[0][0]
        hits += hit
        meas_margin = by_meas[1][1][0] / by_meas[0][1][0] - 1
        pred_margin = by_pred[1][1][1] / by_pred[0][1][1] - 1 if by_pred[0][1][1] > 0 else float("inf")
        # The measured lead is beyond the samples' spread when the best's upper quartile lies below
        # the runner-up's lower quartile (said, not used by the goal's figure).
        beyond = by_meas[0][1][2][1] < by_meas[1][1][2][0]
        best_rows.append((point[0], "x".join(str(x) for x in point[1:4]), by_meas[0][0], by_meas[1][0], meas_margin,
                          by_pred[0][0], pred_margin, hit, beyond))
    out = [f"# Cost model against measured round trips", "",
           f"calibration: `{a.calibration or 'default (uncalibrated)'}`, medium `{a.medium}`, "
           f"{a.gpus_per_node} GPUs per node; excluded layouts: {', '.join(sorted(excluded)) or 'none'}", "",
           "| figure | value | goal |", "| --- | --- | --- |",
           f"| configs | {len(rows)} | |",
           f"| round trip: median abs error | {100 * statistics.median(tot_err) if tot_err else float('nan'):.1f}% | <= 10% |",
           f"| round trip: p90 abs error | {100 * quantile(tot_err, 0.9):.1f}% | <= 25% |",
           f"| collective phases: median abs error ({len(phase_err)}) | {100 * statistics.median(phase_err) if phase_err else float('nan'):.1f}% | <= 10% |",
           f"| collective phases: p90 abs error | {100 * quantile(phase_err, 0.9):.1f}% | <= 25% |",
           f"| best strategy named (measured best > 5% ahead of the runner-up) | {hits}/{n_clear}"
           f"{f' ({100 * hits / n_clear:.0f}%)' if n_clear else ' (no such point)'} | >= 90% |", "",
           "| config | predicted ms | measured ms | error |", "| --- | --- | --- | --- |"]
    out += [f"| {i} | {p:.4f} | {m:.4f} | {pct(e)} |" for i, p, m, e in rows]
    out += ["", "## Best strategy where the measured best leads by more than 5%", "",
            "lead beyond spread: the measured best's upper quartile is below the runner-up's lower quartile; "
            "a model's lead of 0.0% is a tie (the two strategies' priced work is the same).", "",
            "| layout | shape | measured best | runner-up | its lead | lead beyond spread | model's best | model's lead | named |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    out += [f"| {l} | {sh} | {mb} | {mr} | {100 * mm:.1f}% | {'yes' if b else 'no'} | {pb} | {100 * pm:.1f}% | {'yes' if h else 'NO'} |"
            for l, sh, mb, mr, mm, pb, pm, h, b in best_rows]
    out += ["", "## Per phase", "",
            "wait: the part of the prediction spent waiting for peers' preceding local work (collective phases).", "",
            "| config | phase | kind | op | predicted ms | wait ms | measured ms | error |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    out += [f"| {i} | {n} | {k} | {op} | {p:.4f} | {w:.4f} | {m:.4f} | {pct(e)} |" for i, n, k, op, p, w, m, e in phase_rows]
    text = "\n".join(out) + "\n"
    if a.out == "-":
        sys.stdout.write(text)
    else:
        with open(a.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
