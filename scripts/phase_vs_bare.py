#!/usr/bin/env python3
"""Each collective phase of a round trip against the same collective timed alone.

    scripts/phase_vs_bare.py RESULTS.json [RESULTS.json ...] [--label NAME ...]

For every config and collective phase, finds the bare collective the report matches it with
(bbreport.overview.match_collective: same layout, dtype, size and NCCL path by the two keys, same
op and phase) in the same file (the `collectives` list) and prints phase median / bare median - 1.
Version 2 files time the bare collective the nccl-tests way (back-to-back launches after aligned
GPUs) and in both placements; the phase is set against the placement the bridge uses. Version 1
files had one launch per host-barriered iteration. Reads only the results JSON.
"""
import sys

sys.path.insert(0, __import__("os").path.dirname(__file__))
from bbreport.overview import match_collective  # noqa: E402
from bbreport.schema import bare_median_ms, load_labelled  # noqa: E402


def rows(doc):
    for cfg in doc["configs"]:
        for ph in cfg["phases"]:
            if ph["kind"] != "collective":
                continue
            b = match_collective(cfg, ph, doc.get("collectives") or [])
            if not b:
                continue
            bm = bare_median_ms(b)
            sm = b.get("single_launch_median_ms") or b.get("suite_median_ms") or float("nan")
            yield {"config": cfg["id"], "phase": ph["name"], "op": ph["op"], "phase_ms": ph["median_ms"],
                   "bare_ms": bm, "overhead_pct": 100.0 * (ph["median_ms"] / bm - 1.0) if bm > 0 else float("nan"),
                   "vs_suite_pct": 100.0 * (ph["median_ms"] / sm - 1.0) if sm > 0 else float("nan"),
                   "skew_ms": (cfg.get("launch_skew") or {}).get("median_ms")}


def bare_rows(doc):
    """v2: the same collective through the suite's recorder against the nccl-tests way."""
    for c in doc.get("collectives", []):
        if "in_place_median_ms" not in c:
            continue
        yield c


def main(argv=None):
    loaded = load_labelled(__doc__, argv)
    if loaded is None:
        return 2
    labels, docs = loaded
    tables = [{(r["config"], r["phase"]): r for r in rows(d)} for d in docs]
    keys = sorted(set().union(*[t.keys() for t in tables]))
    head = "| config | phase |" + "".join(f" {l} phase ms | {l} bare ms | {l} phase/bare |" for l in labels)
    print(head)
    print("|" + " --- |" * (2 + 3 * len(labels)))
    for k in keys:
        cells = []
        for t in tables:
            r = t.get(k)
            cells += ([f"{r['phase_ms']:.3f}", f"{r['bare_ms']:.3f}", f"{r['overhead_pct']:+.1f}%"] if r else ["-"] * 3)
        print(f"| {k[0]} | {k[1]} | " + " | ".join(cells) + " |")
    print("\n## summary")
    for l, t in zip(labels, tables):
        v = sorted(r["overhead_pct"] for r in t.values())
        if v:
            print(f"{l}: {len(v)} collective phases, phase/bare - 1 from {v[0]:+.1f}% to {v[-1]:+.1f}%, "
                  f"median {v[len(v) // 2]:+.1f}%")
        w = sorted(r["vs_suite_pct"] for r in t.values() if r["vs_suite_pct"] == r["vs_suite_pct"])
        if w and any("in_place_median_ms" in c for c in docs[labels.index(l)].get("collectives", [])):
            print(f"{l}: phase / the same single launch through the recorder - 1 from {w[0]:+.1f}% to "
                  f"{w[-1]:+.1f}%, median {w[len(w) // 2]:+.1f}%")
    for l, d in zip(labels, docs):
        bs = list(bare_rows(d))
        if not bs:
            continue
        print(f"\n## {l}: bare collectives, suite (one launch through the recorder) vs nccl-tests way")
        print("| collective | coll MiB | nccl-tests out-of-place ms | in-place ms | suite ms | suite vs same placement | single launch ms | single vs same placement |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        big = []
        for c in bs:
            print(f"| {c['id']} | {c['coll_bytes'] / 2**20:.0f} | {c['median_ms']:.3f} | {c['in_place_median_ms']:.3f} | "
                  f"{c['suite_median_ms']:.3f} | {c['suite_overhead_pct']:+.1f}% | "
                  f"{c.get('single_launch_median_ms', float('nan')):.3f} | {c.get('single_launch_over_pct', float('nan')):+.1f}% |")
            if c["coll_bytes"] >= 16 << 20:
                big.append(c["suite_overhead_pct"])
        if big:
            print(f"{l}: at >= 16 MiB, suite vs nccl-tests from {min(big):+.1f}% to {max(big):+.1f}% "
                  f"({sum(abs(x) <= 5 for x in big)}/{len(big)} within 5%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
