#!/usr/bin/env python3
"""The world-1 path table from bridge_bench results JSON: per config (path x strategy) the idle
round trip, the path each collective phase really took, the path's setup cost, and the GEMM
alone / under the bridge with the GEMM time lost per round trip. Markdown on stdout.
    scripts/paths_table.py RESULTS.json [...]"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bbreport.schema import fmt_ms, fmt_num, load_results, run_problems  # noqa: E402


def rows(doc):
    for c in doc["configs"]:
        np_ = c.get("nccl_path") or {}
        k = c.get("contention") or {}
        used = sorted({f"{p['name']}:{p.get('path_used', '?')}{' (SM-free)' if p.get('sm_free') else ''}"
                       for p in c.get("phases", []) if p.get("kind") == "collective"})
        yield [c.get("id"), c.get("strategy"), np_.get("requested", "default"), c.get("mode", ""),
               fmt_ms((c.get("total") or {}).get("median_ms")), ", ".join(used) or "(no collective phase)",
               fmt_ms(np_.get("setup_ms")), fmt_ms(k.get("median_ms")), fmt_num(k.get("ratio_to_idle"), 2),
               fmt_num(k.get("gemm_alone_tflops"), 1), fmt_num(k.get("gemm_under_bridge_tflops"), 1),
               fmt_ms(k.get("gemm_lost_ms_per_round_trip"))]


def main(argv):
    head = ["config", "strategy", "path", "mode", "idle ms", "path used (phase:path)", "setup ms", "under GEMM ms",
            "ratio", "GEMM alone TFLOP/s", "GEMM under TFLOP/s", "GEMM lost ms/rt"]
    print("| " + " | ".join(head) + " |")
    print("|" + " --- |" * len(head))
    for path in argv:
        doc = load_results(path)
        for problem in run_problems(doc):
            print(f"| {path} | {problem} |" + " |" * (len(head) - 2))
        for r in rows(doc):
            print("| " + " | ".join(str(x) for x in r) + " |")
        for f in doc.get("failures", []):
            print(f"| {f.get('id')} | FAILED | {f.get('rule')} | {f.get('error', '')[:120]} |" + " |" * 8)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
