"""The two overview figures: speedup over `reference` as a heat map (layouts x strategies) and
round-trip time against size, one panel per strategy. Both are sized for the first screen."""
import math
from collections import OrderedDict

import numpy as np
from matplotlib.colors import TwoSlopeNorm
from matplotlib.ticker import FixedLocator, FuncFormatter

from . import keys, plots
from .schema import is_num
from .verdict import geomean

plt = plots.plt

SPEEDUP_CAPTION = ("Speedup over `reference` (reference round-trip median / the strategy's), "
                   "geometric mean over the shapes measured, per layout and memory order (rows) "
                   "and strategy (columns). Green is faster than reference, red slower, white "
                   "equal; the number in each cell is the speedup.")
TIME_CAPTION = ("Round-trip median time against src bytes per rank, one panel per strategy, one "
                "line per layout and memory order; both axes logarithmic. Lines that rise less "
                "than the size are getting more efficient; compare panels at the same x.")


def speedup_heatmap(verdicts, multi_run=False):
    rows, labels = [], []
    strategies = list(OrderedDict.fromkeys(s for v in verdicts for s in v.strategies))
    for v in verdicts:
        for (mem, dtype), by_strategy in v.rows.items():
            labels.append((f"[{v.run + 1}] " if multi_run else "") + f"{v.layout} · {mem} {dtype}")
            rows.append([geomean(by_strategy.get(s, [])) for s in strategies])
    if not rows:
        return None
    data = np.array([[x if x is not None else np.nan for x in r] for r in rows], dtype=float)
    finite = data[np.isfinite(data)]
    # symmetric in ratio around 1 (2x faster and 2x slower equally strong), so 0.998x is white
    span = max(float(finite.max()), 1.0 / float(finite.min()), 1.01)
    lo, hi = 1.0 / span, span
    fig, ax = plt.subplots(figsize=(2.4 + 1.3 * len(strategies), 1.0 + 0.32 * len(rows)))
    cm = plt.get_cmap("RdYlGn").with_extremes(bad="#eeeeee")
    im = ax.imshow(np.ma.masked_invalid(data), cmap=cm, aspect="auto",
                   norm=TwoSlopeNorm(vcenter=1.0, vmin=lo, vmax=hi))
    for (i, j), val in np.ndenumerate(data):
        ax.text(j, i, "—" if math.isnan(val) else f"{val:.2f}x", ha="center", va="center",
                fontsize=8)
    ax.set_xticks(range(len(strategies)), strategies, fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_xlabel("strategy")
    ax.set_ylabel("layout · memory order dtype")
    ax.set_title("speedup over reference (x, geo-mean over shapes)", fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.06, label="speedup (x)")
    return plots._image(fig, "overview_speedup", "speedup heat map, layouts x strategies",
                        SPEEDUP_CAPTION)


def time_vs_size(labelled):
    series = OrderedDict()
    variant = keys.variant_namer([c for _, c in labelled])
    for cfg, shape, x, t in plots.size_and_time(labelled):
        key = (variant(cfg), f"{cfg.get('layout')} · {shape.get('mem')} "
               f"{shape.get('dtype')}")
        series.setdefault(key, []).append((x, t))
    if not series:
        return None
    strategies = list(OrderedDict.fromkeys(k[0] for k in series))
    lines = list(OrderedDict.fromkeys(k[1] for k in series))
    xs_all = sorted({p[0] for pts in series.values() for p in pts})
    colors = plt.get_cmap("tab10").colors
    fig, axes = plt.subplots(1, len(strategies), squeeze=False, sharey=True,
                             figsize=(1.2 + 3.6 * len(strategies), 3.4))
    for (strategy, line), pts in series.items():
        i = lines.index(line)
        pts.sort()
        axes[0][strategies.index(strategy)].plot(
            [p[0] for p in pts], [p[1] for p in pts], marker="os^D"[i // 10 % 4], ms=4,
            color=colors[i % 10], label=line)
    for ax, strategy in zip(axes[0], strategies):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.xaxis.set_major_locator(FixedLocator(xs_all))
        ax.xaxis.set_major_formatter(FuncFormatter(plots._short_bytes))
        ax.xaxis.set_minor_locator(FixedLocator([]))
        ax.tick_params(axis="x", labelrotation=30, labelsize=7)
        ax.set_xlabel("src bytes per rank (log)")
        ax.set_title(f"strategy: {strategy}", fontsize=9)
        ax.grid(alpha=0.3, which="both")
    axes[0][0].set_ylabel("round-trip median (ms, log)")
    axes[0][0].yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    handles, names = axes[0][0].get_legend_handles_labels()
    for ax in axes[0][1:]:
        for h, n in zip(*ax.get_legend_handles_labels()):
            if n not in names:
                handles.append(h)
                names.append(n)
    fig.legend(handles, names, loc="upper center", bbox_to_anchor=(0.5, 0.0),
               ncol=min(3, len(names)), fontsize=7, frameon=False)
    return plots._image(fig, "overview_time_vs_size", "round-trip time vs size per strategy",
                        TIME_CAPTION)
