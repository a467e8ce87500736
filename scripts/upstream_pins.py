#!/usr/bin/env python3
"""Exit 0 when every NAME==VERSION of a requirements file is installed at that version, else 1
naming what is missing or different. Reads package metadata only: importing megatron-core
takes ~18 s, a version check must not (scripts/setup.sh runs this on every call)."""
import sys
from importlib import metadata


def main(argv):
    bad = []
    with open(argv[0]) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            name, want = line.split("==")
            try:
                have = metadata.version(name)
            except metadata.PackageNotFoundError:
                have = None
            if have != want:
                bad.append(f"{name}=={want} (installed: {have or 'none'})")
    for b in bad:
        print(f"not installed: {b}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
