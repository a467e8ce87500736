#!/usr/bin/env python3
"""Compare two bridgebench results files config by config (total and each phase, raw samples).

usage: compare.py BASE.json NEW.json [--alpha 0.01] [--min-effect-pct 2] [--out report.md]
                  [--fail-on-regression] [--fail-on-unsure] [--only-changes] [--allow-different]
Each (config, phase) gets SAME / FASTER / SLOWER / UNSURE from every repetition's samples
(Mann-Whitney U plus a minimum effect size; the rule is in scripts/bbreport/stats.py).
exit: 0 done; 1 with --fail-on-regression when something is SLOWER, failed or missing in NEW,
      or NEW measured nothing (with --fail-on-unsure also when something is UNSURE);
      2 bad input: unreadable file, unknown schema/version, a non-numeric, NaN, zero or
      negative time, runs of different backends/devices/worlds (unless --allow-different), or
      an output path that cannot be written.
"""
import argparse
import sys

from bbreport import stats
from bbreport.compare import compare, to_markdown
from bbreport.outpath import OutputError, ensure_parent
from bbreport.schema import SchemaError, check_numbers, load_results, platform_differences


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
    ap.add_argument("--out", help="also write the Markdown table to this file")
    ap.add_argument("--fail-on-regression", action="store_true",
                    help="exit 1 on SLOWER, on a config failed or missing in NEW, or an empty NEW")
    ap.add_argument("--fail-on-unsure", action="store_true", help="exit 1 on UNSURE too")
    ap.add_argument("--only-changes", action="store_true", help="list only rows that are not SAME")
    ap.add_argument("--allow-different", action="store_true",
                    help="compare runs of different backends, devices or world sizes")
    args = ap.parse_args(argv)
    try:
        base = check_numbers(load_results(args.base), args.base)
        new = check_numbers(load_results(args.new), args.new)
        if args.out:
            ensure_parent(args.out)
    except (SchemaError, OutputError) as e:
        print(f"compare.py: {e}", file=sys.stderr)
        return 2
    differences = platform_differences(base, new)
    if differences and not args.allow_different:
        diff = ", ".join(f"{n} {b!r} vs {w!r}" for n, b, w in differences)
        print(f"compare.py: refusing to compare runs of different platforms ({diff}); "
              f"pass --allow-different to compare anyway", file=sys.stderr)
        return 2
    result = compare(base, new, args.alpha, args.min_effect)
    text = to_markdown(result, args.base, args.new, all_rows=not args.only_changes)
    print(text)
    if args.out:
        try:
            with open(args.out, "w") as f:
                f.write(text + "\n")
        except OSError as e:
            print(f"compare.py: {args.out}: {e.strerror or e}", file=sys.stderr)
            return 2
    failing = result.gate_failures if args.fail_on_regression else []
    if args.fail_on_unsure:
        failing += [f"{r.id} {r.phase}: UNSURE (needs {r.v.needed} samples a side)"
                    for r in result.with_verdict(stats.UNSURE)]
    for reason in failing:
        print(f"compare.py: gate: {reason}", file=sys.stderr)
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
