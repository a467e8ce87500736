#!/usr/bin/env python3
"""Nightly history of bridgebench results.

usage: history.py append HISTORY.jsonl RESULTS.json
       history.py render HISTORY.jsonl --out DIR [--title T]
append adds one compact JSON line (time, commit, device, per-config total median and floor
ratio); render writes DIR/history.md and DIR/history.html with a trend plot per config.
exit: 0 done, 2 unreadable or unsupported input
"""
import argparse
import sys

from bbreport import history
from bbreport.schema import SchemaError, load_results


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("append", help="append one run to the history file")
    a.add_argument("history")
    a.add_argument("results")
    r = sub.add_parser("render", help="render the history as Markdown + HTML")
    r.add_argument("history")
    r.add_argument("--out", required=True, help="output directory")
    r.add_argument("--title", default="bridgebench history")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "append":
            history.append(args.history, load_results(args.results))
            print(f"appended {args.results} to {args.history}")
        else:
            doc = history.build(history.load(args.history), args.title)
            md, html = history.write(doc, args.out)
            print(f"wrote {md} and {html}")
    except (SchemaError, history.HistoryError) as e:
        print(f"history.py: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
