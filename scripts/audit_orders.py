#!/usr/bin/env python3
"""Surveys the layout audit (semantics §7) over non-canonical dim orders with the bridge-plan CLI.

For every valid (src tp, dp) x (dest tp, cp, dp) of the given world sizes and every order of
the present dims (cp before dp on the dest side), counts the layouts whose plan routes a dest
rank another DP replica's samples, and those whose CP siblings receive different samples.

    scripts/audit_orders.py build/tools/bridge-plan --worlds 4 8
"""
import argparse
import json
import subprocess
import sys

SRC_ORDERS = [["tp", "dp"], ["dp", "tp"]]
DEST_ORDERS = [["tp", "cp", "dp"], ["cp", "tp", "dp"], ["cp", "dp", "tp"]]


def layouts(w):
    for stp in range(1, w + 1):
        if w % stp:
            continue
        sdp = w // stp
        for dtp in range(1, w + 1):
            for dcp in range(1, w + 1):
                if w % (dtp * dcp):
                    continue
                ddp = w // (dtp * dcp)
                if sdp % ddp and ddp % sdp:
                    continue
                yield stp, sdp, dtp, dcp, ddp


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cli")
    ap.add_argument("--worlds", type=int, nargs="+", default=[4, 8])
    a = ap.parse_args()
    print("| src order | dest order | layouts | misrouted | CP siblings differ | first example |")
    print("|---|---|---:|---:|---:|---|")
    for so in SRC_ORDERS:
        for do in DEST_ORDERS:
            n = bad = cp_bad = 0
            example = ""
            for w in a.worlds:
                for stp, sdp, dtp, dcp, ddp in layouts(w):
                    r = subprocess.run([a.cli, "--world", str(w), "--src", f"tp={stp},dp={sdp}",
                                        "--dest", f"tp={dtp},cp={dcp},dp={ddp}", "--src-order", ",".join(so),
                                        "--dest-order", ",".join(do)], capture_output=True, text=True)
                    if r.returncode:
                        print(r.stderr, file=sys.stderr)
                        return 1
                    audit = json.loads(r.stdout)["audit"]
                    n += 1
                    if not audit["ok"]:
                        bad += 1
                        cp_bad += not audit["cp_consistent"]
                        if not example and audit["first_misrouted"]:
                            m = audit["first_misrouted"]
                            example = (f"world {w} TP{stp}/DP{sdp} -> TP{dtp}/CP{dcp}/DP{ddp}: rank {m['rank']} "
                                       f"receives {m['receives']}, owns {m['owns']}")
            print(f"| {','.join(so)} | {','.join(do)} | {n} | {bad} | {cp_bad} | {example} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
