"""History trends: one figure per (platform, layout), the commit on the x axis and one line per
config of that layout (shape, memory order, dtype, strategy), with the p10-p90 band of each
night's samples as a bar. One image per layout keeps a 500-config history to a few images."""
import io
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (must follow the backend choice)
import numpy as np  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

DPI = 100


def _short(config_id, layout):
    rest = config_id[len(layout) + 1:] if config_id.startswith(layout + "/") else config_id
    return rest or config_id


def layout_trend(layout, run_labels, series, title):
    """run_labels: x tick labels (commit, date) per run index; series: {config_id: [(x, median,
    p10, p90)]}. Returns PNG bytes."""
    fig, ax = plt.subplots(figsize=(9, 3.6 + 0.16 * max(0, len(series) - 6)))
    colors = plt.get_cmap("tab20").colors
    for i, (cid, pts) in enumerate(sorted(series.items())):
        pts.sort()
        xs = [p[0] for p in pts]
        med = np.array([p[1] for p in pts])
        lo = np.array([p[2] if p[2] is not None else p[1] for p in pts])
        hi = np.array([p[3] if p[3] is not None else p[1] for p in pts])
        # The stored samples are float32 and the median a double: where every sample is equal
        # (a host run's microsecond copies) p10 can round above the median; bars start at it.
        ax.errorbar(xs, med, yerr=[np.maximum(med - lo, 0), np.maximum(hi - med, 0)],
                    marker="o", ms=3.5, lw=1.2, capsize=2,
                    color=colors[i % len(colors)], label=_short(cid, layout))
    ax.set_yscale("log")
    plain = FuncFormatter(lambda v, _pos: f"{v:g}")   # 0.2, not 2 x 10^-1
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(FuncFormatter(   # minor ticks: label 2 and 5 only
        lambda v, _pos: f"{v:g}" if f"{v:.0e}"[0] in "25" else ""))
    ax.set_ylabel("round-trip median (ms, log)")
    ax.set_xlabel("commit (oldest → newest run)")
    step = max(1, math.ceil(len(run_labels) / 14))  # keep tick labels legible
    ticks = list(range(0, len(run_labels), step))
    ax.set_xticks(ticks, [run_labels[t] for t in ticks], rotation=30, ha="right", fontsize=7)
    ax.set_xlim(-0.5, len(run_labels) - 0.5)
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()
