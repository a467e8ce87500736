#!/usr/bin/env python3
"""Nightly history of bridgebench results (one SQLite file).

usage: history.py append HISTORY.db RESULTS.json
       history.py import HISTORY.db OLD.jsonl
       history.py render HISTORY --out DIR [--title T] [--previous N]
       history.py check  HISTORY [--previous N] [--alpha A] [--min-effect-pct P]
       history.py export HISTORY --out FILE.json [--run ID] [--phases]
append stores one run: its environment, and per config and phase the medians and every raw
sample (SQLite, safe with concurrent writers). import copies a JSON-lines history (version 1)
in; render, check and export also read one directly. render writes DIR/history.md and
DIR/history.html (trends per layout, commit on the x axis). check compares the newest run with
the previous N (default 5) of the same platform with compare.py's test and names each
regression (config, phase, change, p-value). export writes github-action-benchmark's
`customSmallerIsBetter` JSON for the newest run (or --run ID).
exit: 0 done (check: no regression); 1 check found a regression; 2 bad input: unreadable or
      damaged history (file:line for a JSON-lines one; nothing is appended to it), unsupported
      results file, a non-numeric/NaN/zero/negative time, an output path that cannot be written.
"""
import argparse
import json
import sys

from bbreport import history_check, stats
from bbreport import history_store as store
from bbreport.outpath import OutputError, ensure_parent
from bbreport.schema import SchemaError, check_numbers, load_results


def _args(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("append", help="append one run to the history")
    a.add_argument("history")
    a.add_argument("results")
    i = sub.add_parser("import", help="copy a JSON-lines history (version 1) in")
    i.add_argument("history")
    i.add_argument("jsonl")
    r = sub.add_parser("render", help="render the history as Markdown + HTML")
    r.add_argument("history")
    r.add_argument("--out", required=True, help="output directory")
    r.add_argument("--title", default="bridgebench history")
    for p in (r, sub.add_parser("check", help="newest run vs previous: exit 1 on a regression")):
        p.add_argument("--previous", type=int, default=5, help="runs to compare against")
        p.add_argument("--alpha", type=float, default=stats.ALPHA)
        p.add_argument("--min-effect-pct", type=float, default=stats.MIN_EFFECT_PCT)
        if p is not r:
            p.add_argument("history")
    e = sub.add_parser("export", help="github-action-benchmark customSmallerIsBetter JSON")
    e.add_argument("history")
    e.add_argument("--out", required=True, help="output JSON file")
    e.add_argument("--run", type=int, help="run id (default: the newest)")
    e.add_argument("--phases", action="store_true", help="one entry per phase too")
    args = ap.parse_args(argv)
    if getattr(args, "previous", 1) < 1:
        ap.error("--previous must be at least 1")
    return args


def main(argv=None):
    args = _args(argv)
    try:
        if args.cmd == "append":
            doc = check_numbers(load_results(args.results), args.results)
            ensure_parent(args.history)
            run_id = store.append(args.history, doc, source=args.results)
            print(f"appended {args.results} to {args.history} as run {run_id}")
        elif args.cmd == "import":
            ensure_parent(args.history)
            n = store.import_legacy(args.history, args.jsonl)
            print(f"imported {n} runs from {args.jsonl} into {args.history}")
        elif args.cmd == "render":
            from bbreport import history  # matplotlib only where a plot is drawn
            doc = history.build(store.open_any(args.history), args.title,
                                previous=args.previous, path=args.history)
            md, html = history.write(doc, args.out)
            print(f"wrote {md} and {html}")
        elif args.cmd == "check":
            c = history_check.check(store.open_any(args.history), args.previous, args.alpha,
                                    args.min_effect_pct, path=args.history)
            print("\n".join(history_check.report_lines(c)))
            return 1 if c.failing else 0
        else:
            ensure_parent(args.out)
            out = history_check.export_benchmark_action(store.open_any(args.history), args.run,
                                                        args.phases, path=args.history)
            with open(args.out, "w") as f:
                json.dump(out, f, indent=1)
                f.write("\n")
            print(f"wrote {len(out)} entries to {args.out}")
    except (SchemaError, store.HistoryError, OutputError) as e:
        print(f"history.py: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"history.py: {e.filename or ''}: {e.strerror or e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
