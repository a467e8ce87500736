#!/usr/bin/env python3
"""Turn `nsys stats` CSV (nvtx_gpu_proj_sum, optionally nvtx_sum) into per-phase GPU time.

usage: nsys_phases.py PROJ.csv [--sum NVTX_SUM.csv] [--domain bridgebench] [--json OUT.json]
Prints a Markdown table; --json writes {phase: {...}} as well.
exit: 0 done, 2 unreadable CSV or no bridgebench phase ranges in it
"""
import argparse
import json
import sys

from bbreport.nsys import DOMAIN, PROJ_COLUMNS, SUM_COLUMNS, phase_times, read_table, to_markdown


def _read(path, columns):
    with open(path) as f:
        return read_table(f.read(), columns)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("proj", help="CSV of the nvtx_gpu_proj_sum report")
    ap.add_argument("--sum", help="CSV of the nvtx_sum report (CPU-side range durations)")
    ap.add_argument("--domain", default=DOMAIN, help="NVTX domain of the phase ranges")
    ap.add_argument("--json", help="also write the per-phase numbers as JSON")
    args = ap.parse_args(argv)
    try:
        proj = _read(args.proj, PROJ_COLUMNS)
        sums = _read(args.sum, SUM_COLUMNS) if args.sum else []
    except (OSError, ValueError) as e:
        print(f"nsys_phases.py: {e}", file=sys.stderr)
        return 2
    times = phase_times(proj, sums, args.domain)
    if not times:
        print(f"nsys_phases.py: no ranges named after a phase in domain {args.domain!r} in "
              f"{args.proj}; was the benchmark run with --mode=profile?", file=sys.stderr)
        return 2
    print(to_markdown(times))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(times, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
