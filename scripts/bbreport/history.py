"""The history report: recent runs, the newest run checked against the previous ones (the same
verdicts as `history.py check`), and trends per layout with the commit on the x axis."""

import numpy as np

from . import history_check, history_plots
from . import history_store as store
from .doc import Document, Image, Table, publish
from .schema import DASH, fmt_ms, fmt_pct

TREND_CAPTION = ("Each panel is one layout on one platform: x is the run (short commit and "
                 "date, oldest left), y the round-trip median in ms on a log scale, one line per "
                 "config of that layout (memory order, dtype, shape, strategy); the bar on each "
                 "point spans the 10th to 90th percentile of that night's samples. A step up that "
                 "stays is a regression; check it in the table above.")


def _label(r):
    return f"{(r['git_commit'] or '?')[:7]} {(r['time_utc'] or '')[5:10]}"


def _platform(r):
    return f"{r['backend']} on {r['device']}, world {r['world'] or '?'}"


def build(con, title="bridgebench history", recent=10, previous=5, path="history"):
    doc = Document(title)
    runs = store.runs(con)
    doc.para(f"{len(runs)} runs. Times are round-trip medians (ms); the check uses every "
             f"sample of a run (Mann-Whitney U plus a minimum effect, as compare.py).")
    if not runs:
        return doc
    shown = runs[-recent:]
    doc.heading("Runs" if len(shown) == len(runs) else f"Runs (last {len(shown)})")
    t = Table(["run", "time (UTC)", "commit", "platform", "configs", "failures", "skipped"],
              numeric={0, 4, 5, 6})
    for r in shown:
        t.rows.append([str(r["run_id"]), r["time_utc"] or DASH, r["git_commit"] or DASH,
                       _platform(r), str(r["n_configs"]), str(len(r["failures"])),
                       str(r["skipped"])])
    doc.table(t)

    doc.heading("Newest run against the previous ones")
    c = history_check.check(con, previous, path=path)
    doc.para(history_check.report_lines(c)[-1])
    changed = [row for row in c.rows if row[4].verdict != "SAME"]
    if changed:
        t = Table(["config", "phase", "previous ms", "newest ms", "change", "p-value",
                   "samples", "verdict"], numeric={2, 3, 4, 5})
        for cid, phase, b, n, v in changed:
            t.rows.append([cid, phase, fmt_ms(b), fmt_ms(n), fmt_pct(v.change_pct),
                           f"{v.p_value:.2g}" if v.p_value is not None else DASH,
                           f"{v.n_base}/{v.n_new}",
                           v.verdict + (f" (needs {v.needed}/side)" if v.needed else "")])
        doc.table(t)
    if c.off_model:
        doc.para(f"Off the model (docs/cost-model.md): {len(c.off_model)} of the newest run's "
                 f"round trips and collective phases are beyond max(25%, 3 x IQR / median) of "
                 f"what its own calibrated cost model predicted; not regressions.")
        t = Table(["config", "phase", "predicted ms", "measured ms", "error", "limit"],
                  numeric={2, 3, 4, 5})
        for f in c.off_model:
            t.rows.append([f.config_id, f.phase, fmt_ms(f.predicted_ms), fmt_ms(f.measured_ms),
                           fmt_pct(100 * f.residual), f"{100 * f.limit:.0f}%"])
        doc.table(t)

    doc.heading("Trends by layout")
    doc.para(TREND_CAPTION)
    platforms = {}
    for r in runs:
        platforms.setdefault(_platform(r), []).append(r)
    for i, (plat, pruns) in enumerate(platforms.items()):
        labels = [_label(r) for r in pruns]
        by_layout = {}
        for x, r in enumerate(pruns):
            for (cid, phase), p in store.results(con, r["run_id"], path).items():
                if phase != store.TOTAL:
                    continue
                lo = hi = None
                if len(p["samples"]) >= 2:
                    lo, hi = (float(v) for v in np.percentile(p["samples"], [10, 90]))
                by_layout.setdefault(p["layout"], {}).setdefault(cid, []).append(
                    (x, p["median_ms"], lo, hi))
        for j, (layout, series) in enumerate(sorted(by_layout.items())):
            doc.heading(f"{layout} ({plat})", 3)
            png = history_plots.layout_trend(layout, labels, series,
                                             f"{layout}: round-trip median per run, {plat}")
            doc.image(Image(f"trend_{i:02d}_{j:03d}", png, f"trend of {layout} on {plat}"))
    return doc


def write(doc, out_dir, inputs=()):
    return publish(doc, out_dir, "history.md", "history.html", inputs=inputs)
