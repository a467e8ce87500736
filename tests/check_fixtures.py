#!/usr/bin/env python3
"""Fails when the committed results fixtures (tests/data/fixtures/*.json) lag the writer: each
must have the schema version and the key axes (in order) of a file the current bridge_bench just
wrote (the ctest smoke run's), and the fixtures together its config and collective fields (one
fixture may lack an optional one, e.g. repetition_spread without repetitions). Regenerate them
with tests/data/make_fixtures.sh.

usage: check_fixtures.py FRESH.json FIXTURE.json [...]"""
import json
import sys


KINDS = ("configs", "collectives")


def shape_of(doc):
    """What each file must have like the writer's: version and, per kind of entry, key axes."""
    out = {"schema_version": doc["schema_version"]}
    out.update({f"{kind} key axes": sorted({tuple(e["key"]) for e in doc.get(kind) or []})
                for kind in KINDS})
    return out


def fields_of(docs):
    return {f"{kind} fields": sorted({k for d in docs for e in d.get(kind) or [] for k in e})
            for kind in KINDS}


def main(argv):
    writer = json.load(open(argv[0]))
    fixtures = {path: json.load(open(path)) for path in argv[1:]}
    fresh = shape_of(writer)
    bad = []

    def differ(where, got, want):
        for what in want:
            if got[what] != want[what]:
                bad.append(f"{where}: {what} differs from what bridge_bench writes now:\n"
                           f"  fixture: {got[what]}\n  writer:  {want[what]}")
    for path, doc in fixtures.items():
        differ(path, shape_of(doc), fresh)
    differ("the fixtures together", fields_of(fixtures.values()), fields_of([writer]))
    for b in bad:
        print(b, file=sys.stderr)
    if bad:
        print("regenerate them: tests/data/make_fixtures.sh", file=sys.stderr)
        return 1
    print(f"{len(argv) - 1} fixtures agree with the writer")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
