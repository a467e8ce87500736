#!/usr/bin/env python3
"""Per config and phase: GPU median and host launch time, side by side for several runs.

    scripts/launch_table.py A.json B.json ... [--label NAME ...]

For telling a slow host from a slow GPU: `median_ms` is the phase's GPU time (events), `launch_ms`
the host time spent enqueueing it (schema version 2). A row is one config's key but the run
settings (mode, cadence, contention), which are the runs' columns: an eager and a graph run of a
config side by side. Reads only the results JSON.
"""
import sys

sys.path.insert(0, __import__("os").path.dirname(__file__))
from bbreport import keys  # noqa: E402
from bbreport.schema import load_labelled  # noqa: E402

RUN_SETTINGS = ("mode", "cadence", "contention")


def main(argv=None):
    loaded = load_labelled(__doc__, argv)
    if loaded is None:
        return 2
    labels, docs = loaded
    runs = [{keys.match_key(keys.key_of(c), RUN_SETTINGS): c for c in doc["configs"]}
            for doc in docs]
    ids = {}
    for r in runs:
        for k, c in r.items():
            ids.setdefault(k, c["id"])   # the first run's id names the row
    print("| config | phase |" + "".join(f" {l} GPU ms | {l} launch ms |" for l in labels))
    print("|" + " --- |" * (2 + 2 * len(labels)))
    for k in sorted(ids, key=ids.get):
        cid = ids[k]
        names = []
        for r in runs:
            for ph in (r.get(k) or {}).get("phases", []):
                if ph["name"] not in names:
                    names.append(ph["name"])
        for name in names + ["total"]:
            cells = []
            for r in runs:
                c = r.get(k)
                if not c:
                    cells += ["-", "-"]
                    continue
                if name == "total":
                    cells += [f"{c['total']['median_ms']:.3f}", f"{(c.get('launch') or {}).get('median_ms', float('nan')):.3f}"]
                    continue
                ph = next((p for p in c["phases"] if p["name"] == name), None)
                cells += [f"{ph['median_ms']:.3f}", f"{ph.get('launch_ms', float('nan')):.3f}"] if ph else ["-", "-"]
            print(f"| {cid} | {name} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
