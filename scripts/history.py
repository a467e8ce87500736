#!/usr/bin/env python3
"""Nightly history of bridgebench results (one SQLite file).

usage: history.py append HISTORY.db RESULTS.json
       history.py import HISTORY.db OLD.jsonl
       history.py calibrate HISTORY.db AA1.json AA2.json [AA3.json ...]
       history.py render HISTORY --out DIR [--title T] [--previous N]
       history.py check  HISTORY [--previous N] [--alpha A] [--min-effect-pct P]
                         [--noise-floor-pct F]
       history.py export HISTORY --out FILE.json [--run ID] [--phases]
append stores one run: its environment, and per config and phase the medians and every raw
sample (SQLite, safe with concurrent writers). calibrate stores an A/A noise floor for the
platform of two or more runs of the same code (the largest change of a round-trip median
between any two of them; more runs see more of the platform's run-to-run shift): check, and
compare.py --history, never call a smaller change SLOWER/FASTER. import copies a JSON-lines history (version 1)
in; render, check and export also read one directly. render writes DIR/history.md and
DIR/history.html (trends per layout, commit on the x axis). check compares the newest run with
the previous N (default 5) of the same platform with compare.py's test (between runs: the
runs' repetition medians as independent samples where there are two or more a side) and names
each regression (config, phase, change, p-value); a newest run that was aborted or measured
nothing is a regression too (append stores its `aborted`). check also names each round trip
or collective phase of the newest run that is off the model (OFF-MODEL: beyond max(25%, 3 x its
IQR / median) of its own run's calibrated cost-model prediction; not a regression). export
writes github-action-benchmark's `customSmallerIsBetter` JSON for the newest run (or --run ID).
exit: 0 done (check: no regression; OFF-MODEL, FASTER and UNSURE do not fail it); 1 check
      found a regression; 2 bad input: unreadable or damaged history (bad_history; file:line
      for a JSON-lines one; nothing is appended to it), a history locked by another process
      past the busy timeout (history_locked, not damage), unsupported results file, a
      non-numeric/NaN/zero/negative time or a duplicate id (bad_results, duplicate_id), a flag
      out of range (bad_flag), an output that cannot be written or is an input (bad_output).
"""
import argparse
import json
import sqlite3
import sys

from bbreport import history_check, stats
from bbreport import history_store as store
from bbreport.outpath import OutputError, ensure_parent, write_atomic
from bbreport.schema import SchemaError, load_results, platform


def _args(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("append", help="append one run to the history")
    a.add_argument("history")
    a.add_argument("results")
    i = sub.add_parser("import", help="copy a JSON-lines history (version 1) in")
    i.add_argument("history")
    i.add_argument("jsonl")
    c = sub.add_parser("calibrate", help="store an A/A noise floor from two or more runs of one build")
    c.add_argument("history")
    c.add_argument("runs", nargs="+", metavar="AA", help="results of the same build, two or more")
    r = sub.add_parser("render", help="render the history as Markdown + HTML")
    r.add_argument("history")
    r.add_argument("--out", required=True, help="output directory")
    r.add_argument("--title", default="bridgebench history")
    for p in (r, sub.add_parser("check", help="newest run vs previous: exit 1 on a regression")):
        p.add_argument("--previous", type=int, default=5, help="runs to compare against")
        p.add_argument("--alpha", type=float, default=stats.ALPHA)
        p.add_argument("--min-effect-pct", type=float, default=stats.MIN_EFFECT_PCT)
        p.add_argument("--noise-floor-pct", type=float, default=0.0,
                       help="A/A noise floor in percent: a change below it is never SLOWER")
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
    bad = (stats.flag_errors(args.alpha, args.min_effect_pct, args.noise_floor_pct)
           if hasattr(args, "alpha") else None)
    if bad:
        print(f"history.py: error: bad_flag: {bad}", file=sys.stderr)
        return 2
    try:
        if args.cmd == "append":
            doc = load_results(args.results, numbers=True)
            ensure_parent(args.history, inputs=(args.results,))
            run_id = store.append(args.history, doc, source=args.results)
            print(f"appended {args.results} to {args.history} as run {run_id}")
        elif args.cmd == "calibrate":
            if len(args.runs) < 2:
                raise SchemaError(f"calibrate needs two or more runs of one build (got "
                                  f"{len(args.runs)})", rule="bad_flag")
            docs = [load_results(p, numbers=True) for p in args.runs]
            for p, d in zip(args.runs[1:], docs[1:]):
                if platform(d) != platform(docs[0]):
                    raise SchemaError(f"{args.runs[0]} and {p} are runs of different platforms "
                                      f"({platform(docs[0])} vs {platform(d)}), not an A/A "
                                      f"pair", rule="different_platforms")
            floor = history_check.aa_floor(*docs)
            if floor is None:
                raise SchemaError(f"{' and '.join(args.runs)} have no config in common",
                                  rule="nothing_measured")
            ensure_parent(args.history, inputs=tuple(args.runs))
            store.set_noise_floor(args.history, docs[0], {**floor, "from": list(args.runs)})
            print(f"calibrated {args.history}: A/A noise floor {floor['pct']:.1f}% "
                  f"({floor['worst']}, over {len(docs)} runs) for "
                  f"{', '.join(map(str, platform(docs[0])))}")
        elif args.cmd == "import":
            ensure_parent(args.history, inputs=(args.jsonl,))
            n = store.import_legacy(args.history, args.jsonl)
            print(f"imported {n} runs from {args.jsonl} into {args.history}")
        elif args.cmd == "render":
            from bbreport import history  # matplotlib only where a plot is drawn
            doc = history.build(store.open_any(args.history), args.title,
                                previous=args.previous, path=args.history)
            md, html = history.write(doc, args.out, inputs=(args.history,))
            print(f"wrote {md} and {html}")
        elif args.cmd == "check":
            c = history_check.check(store.open_any(args.history), args.previous, args.alpha,
                                    args.min_effect_pct, path=args.history,
                                    noise_floor_pct=args.noise_floor_pct)
            print("\n".join(history_check.report_lines(c)))
            return 1 if c.failing else 0
        else:
            ensure_parent(args.out, inputs=(args.history,))
            out = history_check.export_benchmark_action(store.open_any(args.history), args.run,
                                                        args.phases, path=args.history)
            write_atomic(args.out, json.dumps(out, indent=1) + "\n", inputs=(args.history,))
            print(f"wrote {len(out)} entries to {args.out}")
    except (SchemaError, store.HistoryError, OutputError) as e:
        print(f"history.py: error: {e.rule}: {e}", file=sys.stderr)
        return 2
    except sqlite3.Error as e:
        err = store.db_error(args.history, "damaged SQLite history", e)
        print(f"history.py: error: {err.rule}: {err}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"history.py: error: bad_history: {e.filename or ''}: {e.strerror or e}",
              file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
