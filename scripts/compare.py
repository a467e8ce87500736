#!/usr/bin/env python3
"""Compare two bridgebench results files config by config (total and each phase, raw samples).

usage: compare.py BASE.json NEW.json [--alpha 0.01] [--min-effect-pct 2] [--out report.md]
                  [--noise-floor-pct P] [--history HISTORY.db] [--fail-on-regression]
                  [--fail-on-unsure] [--only-changes] [--allow-different]
Each (config, phase) gets SAME / FASTER / SLOWER / UNSURE: between runs when both sides have
2 or more repetitions (their medians as independent samples), else from the raw samples; the
minimum effect is raised to the A/A noise floor: --noise-floor-pct, or the one `history.py
calibrate` stored in --history for the runs' platform. Repetitions inside one run share its
buffers and GPU state and cannot show how far whole runs move apart (2-3% on an H100's
emulation, reports/planted-h100-s7): for a gate between two runs, give the floor. The rule is
in scripts/bbreport/stats.py.
exit: 0 done; 1 with --fail-on-regression when something is SLOWER, failed or missing in NEW,
      NEW measured nothing or was aborted (with --fail-on-unsure also when something is UNSURE);
      2 bad input: unreadable file, unknown schema/version, a non-numeric, NaN, zero or
      negative time, a duplicate id, runs of different backends/devices/worlds (unless
      --allow-different), a flag out of range (bad_flag: alpha in (0, 1), effect and floor
      >= 0), or an output that cannot be written (bad_output: not a regular file, an input).
"""
import argparse
import sys

from bbreport import stats
from bbreport.compare import compare, to_markdown
from bbreport.history_store import HistoryError, noise_floor_for
from bbreport.outpath import OutputError, ensure_parent, write_atomic
from bbreport.schema import SchemaError, load_results, platform_differences



def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("base")
    ap.add_argument("new")
    ap.add_argument("--alpha", type=float, default=stats.ALPHA,
                    help=f"significance level of the Mann-Whitney U test (default {stats.ALPHA})")
    ap.add_argument("--min-effect-pct", "--threshold-pct", dest="min_effect", type=float,
                    default=stats.MIN_EFFECT_PCT,
                    help="smallest median change in percent that can be FASTER/SLOWER "
                         f"(default {stats.MIN_EFFECT_PCT:g})")
    ap.add_argument("--noise-floor-pct", type=float, default=0.0,
                    help="A/A noise floor in percent: a change below it is never FASTER/SLOWER")
    ap.add_argument("--history", help="take the A/A noise floor history.py calibrate stored for "
                                      "the runs' platform (the larger of it and --noise-floor-pct)")
    ap.add_argument("--out", help="also write the Markdown table to this file")
    ap.add_argument("--fail-on-regression", action="store_true",
                    help="exit 1 on SLOWER, on a config failed or missing in NEW, or an empty NEW")
    ap.add_argument("--fail-on-unsure", action="store_true", help="exit 1 on UNSURE too")
    ap.add_argument("--only-changes", action="store_true", help="list only rows that are not SAME")
    ap.add_argument("--allow-different", action="store_true",
                    help="compare runs of different backends, devices or world sizes")
    args = ap.parse_args(argv)
    bad = stats.flag_errors(args.alpha, args.min_effect, args.noise_floor_pct)
    if bad:
        print(f"compare.py: error: bad_flag: {bad}", file=sys.stderr)
        return 2
    try:
        base = load_results(args.base, numbers=True)
        new = load_results(args.new, numbers=True)
        inputs = (args.base, args.new) + ((args.history,) if args.history else ())
        if args.out:
            ensure_parent(args.out, inputs=inputs)
        if args.history:
            floor = noise_floor_for(args.history, new)
            if floor is None:
                print(f"compare.py: note: {args.history} has no A/A noise floor for this platform "
                      f"(history.py calibrate); using {args.noise_floor_pct:g}%", file=sys.stderr)
            else:
                args.noise_floor_pct = max(args.noise_floor_pct, float(floor["pct"]))
    except (SchemaError, OutputError, HistoryError) as e:
        print(f"compare.py: error: {e.rule}: {e}", file=sys.stderr)
        return 2
    differences = platform_differences(base, new)
    if differences and not args.allow_different:
        diff = ", ".join(f"{n} {b!r} vs {w!r}" for n, b, w in differences)
        print(f"compare.py: error: different_platforms: refusing to compare runs of different platforms ({diff}); "
              f"pass --allow-different to compare anyway", file=sys.stderr)
        return 2
    result = compare(base, new, args.alpha, args.min_effect, args.noise_floor_pct)
    text = to_markdown(result, args.base, args.new, all_rows=not args.only_changes)
    print(text)
    if args.out:
        try:
            write_atomic(args.out, text + "\n", inputs=inputs)
        except OutputError as e:
            print(f"compare.py: error: {e.rule}: {e}", file=sys.stderr)
            return 2
    failing = result.gate_failures if args.fail_on_regression else []
    if args.fail_on_unsure:
        failing += [f"{r.id} {r.phase}: UNSURE (needs {r.v.needed} "
                    f"{'repetitions' if r.v.groups else 'samples'} a side)"
                    for r in result.with_verdict(stats.UNSURE)]
    for reason in failing:
        print(f"compare.py: gate: {reason}", file=sys.stderr)
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
