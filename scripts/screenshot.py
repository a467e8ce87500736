#!/usr/bin/env python3
"""Screenshot of an HTML report's first screen in headless Chromium (what a reader sees first).

usage: screenshot.py REPORT.html OUT.png [--width 1366 --height 768]
exit: 0 written; 1 the page logged console errors or an image did not decode (the PNG is still
      written); 2 no chromium, or the browser failed.
"""
import argparse
import sys

from bbreport import browser


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("html")
    ap.add_argument("out")
    ap.add_argument("--width", type=int, default=browser.VIEWPORT[0])
    ap.add_argument("--height", type=int, default=browser.VIEWPORT[1])
    args = ap.parse_args(argv)
    try:
        seen = browser.inspect(args.html, screenshot=args.out, viewport=(args.width, args.height))
    except browser.BrowserError as e:
        print(f"screenshot.py: {e}", file=sys.stderr)
        return 2
    bad = seen["console_errors"] + [f"image {i['id'] or '?'} does not decode"
                                    for i in seen["images"] if not i["decoded"]]
    for b in bad:
        print(f"screenshot.py: {b}", file=sys.stderr)
    print(f"wrote {args.out} ({args.width}x{args.height}, {len(seen['images'])} images)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
