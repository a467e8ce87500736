#!/usr/bin/env python3
"""The rehearsal's correctness table from results JSONs (reads only the JSON): per run (world,
launcher, mode, transport), per layout, how many configs of each strategy passed the oracle,
and every failure. Exits 1 if a run has a failure or was aborted.

  scripts/rehearsal_table.py R.json [R.json ...]"""
import collections
import json
import sys


def run_rows(path):
    with open(path) as f:
        doc = json.load(f)
    env = doc["environment"]
    tr = env.get("transport") or {}
    launch = (env.get("launch") or {}).get("mode", "?")
    modes = sorted({c.get("mode", "?") for c in doc["configs"]})
    head = (f"**{path.rsplit('/', 1)[-1]}**: world {env.get('world')}, launcher {launch}, mode {','.join(modes)}, "
            f"transport {','.join(tr.get('transports') or ['?'])}, shared_gpu {tr.get('shared_gpu')}, "
            f"{len(doc['configs'])} configs passed, {len(doc['failures'])} failed, {len(doc['skipped'])} skipped, "
            f"aborted: {(doc.get('aborted') or {}).get('rule')}")
    per = collections.defaultdict(collections.Counter)
    for c in doc["configs"]:
        mems_dtypes = f"{c['shape']['mem']}/{c['shape']['dtype']}"
        per[c["layout"]][c["strategy"]] += 1
        per[c["layout"]]["_md"] = per[c["layout"]].get("_md", 0)
        per[c["layout"]].setdefault(mems_dtypes, 0)
    strategies = sorted({s for v in per.values() for s in v if not s.startswith("_") and "/" not in s})
    lines = [head, "", "| layout | " + " | ".join(strategies) + " | memory orders / dtypes |",
             "|" + " --- |" * (len(strategies) + 2)]
    for lay, cnt in sorted(per.items()):
        md = sorted(k for k in cnt if "/" in k)
        lines.append(f"| {lay} | " + " | ".join(str(cnt.get(s, 0)) for s in strategies) + f" | {', '.join(md)} |")
    for f in doc["failures"]:
        lines.append(f"- FAILED {f['id']}: {f['rule']}: {f['error'][:300]}")
    bad = bool(doc["failures"]) or bool(doc.get("aborted"))
    return lines, bad


def main(paths):
    bad_any = False
    for p in paths:
        try:
            lines, bad = run_rows(p)
        except (OSError, ValueError, KeyError) as e:
            lines, bad = [f"**{p}**: unreadable ({e})"], True
        print("\n".join(lines) + "\n")
        bad_any |= bad
    return 1 if bad_any else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
