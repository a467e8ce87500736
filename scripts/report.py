#!/usr/bin/env python3
"""Render one or more bridgebench results JSON files as DIR/report.md and DIR/report.html.

usage: report.py RESULTS.json [MORE.json ...] --out-dir DIR [--title T] [--parity PARITY.json]
  --parity: an upstream parity record (scripts/upstream_parity.py): the report then says, per
            layout, whether it agrees with upstream megatron-core (docs/upstream-parity.md)
exit: 0 written, 2 unreadable or unsupported results or parity file, or an output directory
      that cannot be created (a missing one is created)
"""
import argparse
import sys

from bbreport import doc as docmod
from bbreport.outpath import OutputError, ensure_dir
from bbreport.parity import load_parity
from bbreport.report import build
from bbreport.schema import SchemaError, load_results


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("results", nargs="+", help="results JSON (schema bridgebench/results v1)")
    ap.add_argument("--out-dir", required=True, help="directory for report.md, report.html, plots/")
    ap.add_argument("--title", default="bridgebench report")
    ap.add_argument("--parity", default=None, metavar="PARITY.json",
                    help="upstream parity record (scripts/upstream_parity.py)")
    args = ap.parse_args(argv)
    try:
        runs = [(path, load_results(path)) for path in args.results]
        parity = (args.parity, load_parity(args.parity)) if args.parity else None
        ensure_dir(args.out_dir)
    except (SchemaError, OutputError) as e:
        print(f"report.py: {e}", file=sys.stderr)
        return 2
    document = build(runs, args.title, parity)
    md = docmod.write_markdown(document, args.out_dir)
    html = docmod.write_html(document, args.out_dir)
    print(f"wrote {md} and {html}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
