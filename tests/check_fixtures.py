#!/usr/bin/env python3
"""Fails when the committed results fixtures (tests/data/fixtures/*.json) lag the writer: each
must have the schema version, the config and collective fields and the key axes (in order) of a
file the current bridge_bench just wrote (the ctest smoke run's). Regenerate them with
tests/data/make_fixtures.sh.

usage: check_fixtures.py FRESH.json FIXTURE.json [...]"""
import json
import sys


def shape_of(doc):
    """What must agree: version, and per kind of entry the fields and the key's axes."""
    def fields(entries):
        return sorted({k for e in entries for k in e}), sorted({tuple(e["key"]) for e in entries})
    return {"schema_version": doc["schema_version"],
            "configs": fields(doc["configs"]),
            "collectives": fields(doc.get("collectives") or [])}


def main(argv):
    fresh = shape_of(json.load(open(argv[0])))
    bad = []
    for path in argv[1:]:
        got = shape_of(json.load(open(path)))
        for what in fresh:
            if got[what] != fresh[what]:
                bad.append(f"{path}: {what} differs from what bridge_bench writes now:\n"
                           f"  fixture: {got[what]}\n  writer:  {fresh[what]}")
    for b in bad:
        print(b, file=sys.stderr)
    if bad:
        print("regenerate them: tests/data/make_fixtures.sh", file=sys.stderr)
        return 1
    print(f"{len(argv) - 1} fixtures agree with the writer")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
