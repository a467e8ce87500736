"""Nightly history: one compact JSON line per run, and a trend report over those lines."""
import json
import os

from . import plots
from .doc import Document, Image, Table, write_html, write_markdown
from .schema import DASH, fmt_ms, fmt_num, fmt_pct, is_num, total_floor_ratio

HISTORY_VERSION = 1


class HistoryError(Exception):
    pass


def summarize(doc):
    """The part of a results document worth keeping per night (a few hundred bytes per config)."""
    env = doc["environment"]
    gpus = env.get("gpus") or []
    return {
        "history_version": HISTORY_VERSION,
        "time": env.get("time_utc"),
        "commit": env.get("git_commit"),
        "host": env.get("host"),
        "device": gpus[0].get("name") if gpus else "no GPU",
        "gpu_count": env.get("gpu_count", len(gpus)),
        "backend": env.get("backend"),
        "configs": {c["id"]: {"median_ms": c.get("total", {}).get("median_ms"),
                              "floor_ratio": _round(total_floor_ratio(c))}
                    for c in doc["configs"]},
        "failures": sorted(f.get("id") for f in doc["failures"]),
        "skipped": len(doc["skipped"]),
    }


def _round(x):
    return round(x, 4) if is_num(x) else None


def append(path, doc):
    line = json.dumps(summarize(doc), separators=(",", ":"), sort_keys=True)
    # One write of one line keeps concurrent appenders from interleaving mid-line.
    with open(path, "a") as f:
        f.write(line + "\n")
    return line


def load(path):
    entries = []
    try:
        with open(path) as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                except ValueError as e:
                    raise HistoryError(f"{path}:{n}: not a JSON line: {e}") from None
                if entry.get("history_version") != HISTORY_VERSION:
                    raise HistoryError(f"{path}:{n}: unknown history_version "
                                       f"{entry.get('history_version')!r}")
                entries.append(entry)
    except OSError as e:
        raise HistoryError(f"{path}: {e}") from None
    return entries


def _platform(e):
    return f"{e.get('device')}, {e.get('backend')}"


def _run_label(e):
    return f"{(e.get('time') or '?')[:10]} {(e.get('commit') or '?')[:7]}"


def build(entries, title="bridgebench history", recent=10):
    doc = Document(title)
    ids = {cid for e in entries for cid in e.get("configs", {})}
    doc.para(f"{len(entries)} runs, {len(ids)} configs. Floor ratio = sum of the phase floors "
             f"over the round-trip median (1.0 = at the hardware limit).")
    if not entries:
        return doc
    shown = entries[-recent:]
    doc.heading("Runs" if len(shown) == len(entries) else f"Runs (last {len(shown)})")
    runs = Table(["#", "time (UTC)", "commit", "device", "backend", "configs", "failures",
                  "skipped"], numeric={0, 5, 6, 7})
    for i, e in enumerate(shown, start=len(entries) - len(shown)):
        runs.rows.append([str(i + 1), e.get("time") or DASH, e.get("commit") or DASH,
                          f"{e.get('gpu_count', 0)} × {e.get('device')}"
                          if e.get("gpu_count") else str(e.get("device")),
                          e.get("backend") or DASH, str(len(e.get("configs", {}))),
                          str(len(e.get("failures", []))), str(e.get("skipped", 0))])
    doc.table(runs)

    doc.heading("Latest vs previous")
    latest = Table(["config", "runs", "latest ms", "previous ms", "change", "best ms",
                    "floor ratio"], numeric={1, 2, 3, 4, 5, 6})
    # A trend only means something on one platform: series are split by device and backend,
    # and the platform is named only when the history holds more than one.
    platforms = {_platform(e) for e in entries}
    series = {}
    for e in entries:
        for cid, point in e.get("configs", {}).items():
            key = cid if len(platforms) == 1 else f"{cid} @ {_platform(e)}"
            series.setdefault(key, []).append(dict(point, label=_run_label(e)))
    for key, pts in series.items():
        meds = [p.get("median_ms") for p in pts if is_num(p.get("median_ms"))]
        last = pts[-1].get("median_ms")
        prev = pts[-2].get("median_ms") if len(pts) > 1 else None
        change = (last - prev) / prev * 100 if is_num(last) and is_num(prev) and prev else None
        latest.rows.append([key, str(len(pts)), fmt_ms(last), fmt_ms(prev), fmt_pct(change),
                            fmt_ms(min(meds)) if meds else DASH,
                            fmt_num(pts[-1].get("floor_ratio"), 2)])
    doc.table(latest)

    doc.heading("Trends")
    for i, (key, pts) in enumerate(series.items()):
        doc.heading(key, 3)
        doc.image(Image(f"trend_{i:03d}", plots.trend(pts, key), f"trend of {key}"))
    return doc


def write(doc, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    return (write_markdown(doc, out_dir, "history.md"), write_html(doc, out_dir, "history.html"))
