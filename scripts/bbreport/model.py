"""The report's "Predicted against measured" section (issue 22): each config's round trip and
phases as the cost model predicted them from the run's own bare collectives ("predicted", results
schema version 4), against the measured medians. Reads only the JSON; files without predictions
(older versions, runs without bare collectives) add nothing."""
import statistics

from .doc import Table
from .schema import fmt_ms, fmt_pct, is_num


def _predicted(c):
    p = c.get("predicted")
    return p if isinstance(p, dict) and is_num(p.get("total_ms")) else None


def model_table(labelled):
    t = Table(["config", "predicted ms", "measured ms", "error", "worst phase (error)"], numeric={1, 2, 3})
    for label, c in labelled:
        p = _predicted(c)
        if p is None:
            continue
        worst = max((ph for ph in p.get("phases", []) if is_num(ph.get("residual"))),
                    key=lambda ph: abs(ph["residual"]), default=None)
        t.rows.append([label, fmt_ms(p["total_ms"]), fmt_ms(c["total"]["median_ms"]),
                       fmt_pct(100 * p["residual"]) if is_num(p.get("residual")) else "-",
                       f"{worst['name']} ({fmt_pct(100 * worst['residual'])})" if worst else "-"])
    return t


def add_model_section(doc, runs, labelled):
    rows = [(l, c) for l, c in labelled if _predicted(c) is not None]
    if not rows:
        return
    doc.section("Predicted against measured")
    errs = [abs(c["predicted"]["residual"]) for _, c in rows if is_num(c["predicted"].get("residual"))]
    medium = {d.get("model", {}).get("medium") for _, d in runs} - {None}
    doc.para(f"The cost model (docs/cost-model.md), calibrated on each run's own bare collectives "
             f"(medium {', '.join(sorted(medium)) or '?'}), predicted {len(rows)} round trips: median "
             f"absolute error {100 * statistics.median(errs):.1f}%, worst {100 * max(errs):.1f}%. "
             f"Error = predicted / measured - 1.")
    doc.table(model_table(rows))
