#!/usr/bin/env python3
"""A planted slowdown for the A/A proofs (issue 20, item 4), where bridge_bench has no
test-only delay: a copy of a results file with every config that ran PHASE made FACTOR times
slower (its total, every phase, every sample and repetition median), the others unchanged.

usage: planted.py IN.json OUT.json --phase fwd_comm [--factor 1.05] [--phase-only]
       planted.py --affected PLANTED.json --phase fwd_comm --compare COMPARE.md [--by-phase]
With --phase-only, only PHASE is made FACTOR times slower and the total grows by the same
milliseconds per sample (what an exact delay inside the phase would do). The second form counts, from compare.py's Markdown, the affected configs whose TOTAL is SLOWER
and the unaffected ones called SLOWER or FASTER (exit 1 unless all and none). When PLANTED.json
is a real planted run (bridge_bench --test-phase-delay: +PCT% of PHASE alone, recorded as
environment.injected_phase_delay), an affected config counts by its PHASE row instead: the
total grows only by the phase's share of it (--by-phase: the same for a --phase-only copy)."""
import argparse
import copy
import json
import sys

SCALED = ("median_ms", "min_ms", "max_ms", "mean_ms")


def scale(stats, factor):
    for key in SCALED:
        if isinstance(stats.get(key), (int, float)):
            stats[key] *= factor
    stats["samples_ms"] = [x * factor for x in stats.get("samples_ms") or []]


def affected(doc, phase):
    return [c["id"] for c in doc["configs"] if any(p.get("name") == phase
                                                   for p in c.get("phases") or [])]


def shift(stats, ms):
    for key in SCALED:
        if isinstance(stats.get(key), (int, float)):
            stats[key] += ms
    stats["samples_ms"] = [x + ms for x in stats.get("samples_ms") or []]


def plant(doc, phase, factor, phase_only=False):
    """A copy of doc, slower by `factor` on every config that has `phase` (phase_only: that
    phase alone, the total by the phase's added milliseconds)."""
    out = copy.deepcopy(doc)
    hit = set(affected(doc, phase))
    for c in out["configs"]:
        if c["id"] not in hit:
            continue
        if phase_only:
            ph = next(p for p in c["phases"] if p.get("name") == phase)
            added = (factor - 1) * ph["median_ms"]
            scale(ph, factor)
            shift(c["total"], added)
            c["repetition_medians_ms"] = [x + added for x in c.get("repetition_medians_ms") or []]
            continue
        for st in [c["total"]] + list(c.get("phases") or []):
            scale(st, factor)
        c["repetition_medians_ms"] = [x * factor for x in c.get("repetition_medians_ms") or []]
    return out


def total_verdicts(markdown, row="TOTAL"):
    """{config id: verdict} of the `row` rows (TOTAL, or a phase) of compare.py's table."""
    out = {}
    for line in markdown.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 9 and cells[1] == row:
            out[cells[0]] = cells[8].strip("*").split(" (")[0]
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*")
    ap.add_argument("--phase", required=True)
    ap.add_argument("--factor", type=float, default=1.05)
    ap.add_argument("--phase-only", action="store_true")
    ap.add_argument("--by-phase", action="store_true")
    ap.add_argument("--affected")
    ap.add_argument("--compare")
    a = ap.parse_args(argv)
    if a.affected:
        doc = json.load(open(a.affected))
        hit = set(affected(doc, a.phase))
        markdown = open(a.compare).read()
        verdicts = total_verdicts(markdown)
        real = bool(doc["environment"].get("injected_phase_delay")) or a.by_phase
        judged = total_verdicts(markdown, a.phase) if real else verdicts
        slower = sorted(i for i in hit if judged.get(i) == "SLOWER")
        wrong = sorted(i for i, v in verdicts.items() if i not in hit and v in ("SLOWER",
                                                                                "FASTER"))
        if real:
            print(f"planted: {sum(verdicts.get(i) == 'SLOWER' for i in hit)} of {len(hit)} "
                  f"affected configs SLOWER in the total")
        print(f"planted: {len(slower)} of {len(hit)} affected configs SLOWER "
              f"({a.phase if real else 'total'}); "
              f"{len(wrong)} unaffected configs SLOWER/FASTER")
        return 0 if hit and len(slower) == len(hit) and not wrong else 1
    src, dst = a.files
    doc = plant(json.load(open(src)), a.phase, a.factor, a.phase_only)
    with open(dst, "w") as f:
        json.dump(doc, f)
    what = f"{a.phase} alone" if a.phase_only else a.phase
    print(f"planted: {len(affected(doc, a.phase))} configs with {what} x{a.factor:g} -> {dst}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
