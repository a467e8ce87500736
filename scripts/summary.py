#!/usr/bin/env python3
"""Print bridge_bench's stdout summary of a results file written earlier, of any schema version.

usage: summary.py RESULTS.json [--bin PATH]
The summary itself is the C++ one (harness/driver/summary.cpp, the table bridge_bench prints
after a run), run by build/bench/results_summary; this script first upgrades an older file in
memory (scripts/bbreport/schema.py: version 1-3 configs get their "key" objects, the one upgrade
step) and hands it over on stdin. --bin defaults to $BUILD_DIR/bench/results_summary, else
build/bench/results_summary under the repository root.
exit: 0 printed; 2 unreadable or unsupported results file, or no results_summary binary.
"""
import argparse
import json
import os
import subprocess
import sys

from bbreport.schema import SchemaError, load_results

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("results")
    ap.add_argument("--bin", help="the results_summary binary")
    args = ap.parse_args(argv)
    binary = args.bin or os.path.join(os.environ.get("BUILD_DIR") or os.path.join(ROOT, "build"),
                                      "bench", "results_summary")
    if not os.access(binary, os.X_OK):
        print(f"summary.py: error: no_binary: {binary} is not an executable (build the "
              f"results_summary target, or pass --bin)", file=sys.stderr)
        return 2
    try:
        doc = load_results(args.results)
    except SchemaError as e:
        print(f"summary.py: {e}", file=sys.stderr)
        return 2
    done = subprocess.run([binary, "-", args.results], input=json.dumps(doc), text=True,
                          capture_output=True)
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
