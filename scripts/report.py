#!/usr/bin/env python3
"""Render one or more bridgebench results JSON files as DIR/report.md and DIR/report.html.

usage: report.py RESULTS.json [MORE.json ...] --out-dir DIR [--title T] [--parity PARITY.json]
The report (report.md, report.html, plots/) is rendered into a temp folder inside DIR and
swapped in: a render that fails (a full disk) leaves the earlier report whole.
  --parity: an upstream parity record (scripts/upstream_parity.py): the report then says, per
            layout, whether it agrees with upstream megatron-core (docs/upstream-parity.md)
exit: 0 written (an aborted run or one that measured nothing is rendered too, headed in red);
      2 bad input: an unreadable or unsupported results or parity file, a bad number or type
      (NaN, Infinity, a negative median, a config without `total`; the config is named), a
      duplicate id, or an output that cannot be written (`bad_output`: DIR not a directory, a
      report file that is not a regular file, a results file inside the report's own names).
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
    ap.add_argument("results", nargs="+", help="results JSON (schema bridgebench/results)")
    ap.add_argument("--out-dir", required=True, help="directory for report.md, report.html, plots/")
    ap.add_argument("--title", default="bridgebench report")
    ap.add_argument("--parity", default=None, metavar="PARITY.json",
                    help="upstream parity record (scripts/upstream_parity.py)")
    args = ap.parse_args(argv)
    try:
        runs = [(path, load_results(path, numbers=True)) for path in args.results]
        parity = (args.parity, load_parity(args.parity)) if args.parity else None
        ensure_dir(args.out_dir)
        document = build(runs, args.title, parity)
        md, html = docmod.publish(document, args.out_dir,
                                  inputs=args.results + ([args.parity] if args.parity else []))
    except (SchemaError, OutputError) as e:
        print(f"report.py: error: {e.rule}: {e}", file=sys.stderr)
        return 2
    print(f"wrote {md} and {html}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
