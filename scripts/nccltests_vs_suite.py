#!/usr/bin/env python3
"""The suite's bare collectives against nccl-tests at equal bytes, from the same machine and transport.

    scripts/nccltests_vs_suite.py RESULTS.json NCCL_TESTS.log [NCCL_TESTS.log ...] [--min-mib 16]
                                  [--tolerance-pct 5]

Each nccl-tests log is the text output of one `*_perf` binary (its header names the collective).
For every bare collective of the results file (the `collectives` list) of at least --min-mib, the
nccl-tests row of the same collective and the same size (nccl-tests' `size` column is the suite's
`coll_bytes`) is found, in the placement the suite timed (out of place or in place), and the
difference of the medians printed. Exit 1 when a pair differs by more than --tolerance-pct, 2 when
nothing could be paired. Reads only the results JSON and the logs.
"""
import argparse
import json
import re
import sys

ROW = re.compile(r"^\s*(\d+)\s+(\d+)\s+\S+\s+\S+\s+-?\d+\s+([\d.]+)\s+[\d.]+\s+([\d.]+)\s+\S+\s+([\d.]+)\s+[\d.]+\s+([\d.]+)")


def parse_nccl_tests(path):
    """{(op, size_bytes): (out_of_place_us, in_place_us, oop_busbw, ip_busbw)} of one log."""
    with open(path) as f:
        text = f.read()
    m = re.search(r"Collective test starting: (\w+?)_perf", text)
    if not m:
        raise ValueError(f"{path}: not an nccl-tests log (no 'Collective test starting' line)")
    op, rows = m.group(1), {}
    for line in text.splitlines():
        r = ROW.match(line)
        if r:
            rows[(op, int(r.group(1)))] = (float(r.group(3)), float(r.group(5)), float(r.group(4)), float(r.group(6)))
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results")
    ap.add_argument("logs", nargs="+")
    ap.add_argument("--min-mib", type=float, default=16)
    ap.add_argument("--tolerance-pct", type=float, default=5)
    a = ap.parse_args(argv)
    nt = {}
    try:
        for p in a.logs:
            nt.update(parse_nccl_tests(p))
    except (OSError, ValueError) as e:
        print(f"error: bad_input: {e}", file=sys.stderr)
        return 2
    with open(a.results) as f:
        doc = json.load(f)
    print("| collective | group | bytes (MiB) | placement | suite median (ms) | nccl-tests (ms) | difference | suite busbw | nccl-tests busbw |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    worst, pairs = 0.0, 0
    for c in doc.get("collectives") or []:
        size = c.get("coll_bytes") or 0
        if size < a.min_mib * (1 << 20) or (c["op"], size) not in nt:
            continue
        oop, ip, oop_bw, ip_bw = nt[(c["op"], size)]
        in_place = bool(c.get("suite_in_place"))
        suite_ms = c["in_place_median_ms"] if in_place else c["median_ms"]
        suite_bw = c["in_place_busbw_GBps"] if in_place else c["busbw_GBps"]
        ref_ms, ref_bw = (ip, ip_bw) if in_place else (oop, oop_bw)
        ref_ms /= 1000.0
        diff = 100.0 * (suite_ms / ref_ms - 1.0)
        worst, pairs = max(worst, abs(diff)), pairs + 1
        print(f"| {c['op']} | {c['group_size']} | {size / (1 << 20):.0f} | {'in place' if in_place else 'out of place'} "
              f"| {suite_ms:.3f} | {ref_ms:.3f} | {diff:+.2f}% | {suite_bw:.3f} | {ref_bw:.3f} |")
    if not pairs:
        print(f"error: nothing_paired: no bare collective of {a.results} >= {a.min_mib} MiB has an nccl-tests row "
              "of the same collective and size", file=sys.stderr)
        return 2
    verdict = "within" if worst <= a.tolerance_pct else "OUTSIDE"
    print(f"\n{pairs} pairs; largest difference {worst:.2f}%: {verdict} {a.tolerance_pct:g}%")
    return 0 if worst <= a.tolerance_pct else 1


if __name__ == "__main__":
    sys.exit(main())
