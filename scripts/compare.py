#!/usr/bin/env python3
"""Compare two bridgebench results files config by config (total and per-phase medians).

usage: compare.py BASE.json NEW.json [--threshold-pct 5] [--out report.md]
                  [--fail-on-regression] [--only-changes]
exit: 0 done (or nothing regressed), 1 something regressed and --fail-on-regression,
      2 unreadable file or unknown schema/version
The noise rule is documented in scripts/bbreport/compare.py and scripts/README.md.
"""
import argparse
import sys

from bbreport.compare import compare, to_markdown
from bbreport.schema import SchemaError, load_results


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("base")
    ap.add_argument("new")
    ap.add_argument("--threshold-pct", type=float, default=5.0,
                    help="smallest change in percent that can count (default 5)")
    ap.add_argument("--out", help="also write the Markdown table to this file")
    ap.add_argument("--fail-on-regression", action="store_true",
                    help="exit 1 when any total/phase regressed or a config newly failed")
    ap.add_argument("--only-changes", action="store_true",
                    help="list only rows whose verdict is not noise")
    args = ap.parse_args(argv)
    try:
        base, new = load_results(args.base), load_results(args.new)
    except SchemaError as e:
        print(f"compare.py: {e}", file=sys.stderr)
        return 2
    result = compare(base, new, args.threshold_pct)
    text = to_markdown(result, args.base, args.new, all_rows=not args.only_changes)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    regressed = bool(result.regressions or result.new_failures)
    return 1 if regressed and args.fail_on_regression else 0


if __name__ == "__main__":
    sys.exit(main())
