"""matplotlib figures (Agg: no display, no network) returned as PNG bytes wrapped in doc.Image."""
import io
import math
from collections import OrderedDict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (must follow the backend choice)
import numpy as np  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter  # noqa: E402

from . import keys  # noqa: E402
from .doc import Image  # noqa: E402
from .schema import grid_label, is_num, phase_colors, phase_names, total_floor_ratio  # noqa: E402

DPI = 110
# Fixed colour per phase so every figure in a report (and across reports) reads the same way.
STRATEGY_STYLES = ["-", "--", ":", "-."]


def _png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _image(fig, name, alt, caption=""):
    """The finished figure as a doc.Image (tight layout, PNG)."""
    fig.tight_layout()
    return Image(name, _png(fig), alt, caption)


def _with_phases(labelled):
    """The (label, config) pairs that have phases."""
    return [(label, cfg) for label, cfg in labelled if cfg.get("phases")]


def _short_bytes(n, _pos=None):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:g} {unit}"
        n /= 1024
    return ""


def size_and_time(labelled):
    """(config, shape, src bytes per rank, round-trip median ms) of every config that has both."""
    for _label, cfg in labelled:
        shape, total = cfg.get("shape", {}), cfg.get("total", {})
        x, t = shape.get("src_bytes_per_rank"), total.get("median_ms")
        if is_num(x) and is_num(t) and t > 0 and x > 0:
            yield cfg, shape, x, t


def bandwidth_vs_size(labelled):
    """Round-trip throughput (src bytes per rank / total median) against src bytes per rank,
    one panel per strategy. src bytes rather than moved bytes, so strategies that move fewer
    bytes for the same result compare fairly."""
    series = OrderedDict()
    variant = keys.variant_namer([c for _, c in labelled])
    for cfg, shape, x, t in size_and_time(labelled):
        key = (variant(cfg), cfg.get("layout"), shape.get("dtype"), shape.get("mem"))
        series.setdefault(key, []).append((x, x / (t * 1e6)))
    if not series:
        return None
    strategies = list(OrderedDict.fromkeys(k[0] for k in series))
    lines = list(OrderedDict.fromkeys(k[1:] for k in series))
    colors = plt.get_cmap("tab10").colors
    markers = "osD^v<>p*h"
    xs_all = sorted({p[0] for pts in series.values() for p in pts})
    fig, axes = plt.subplots(1, len(strategies), squeeze=False, sharey=True,
                             figsize=(1 + 5.5 * len(strategies), 4.6))
    handles = {}
    for (strategy, *rest), pts in series.items():
        i = lines.index(tuple(rest))
        ax = axes[0][strategies.index(strategy)]
        pts.sort()
        (h,) = ax.plot([p[0] for p in pts], [p[1] for p in pts], color=colors[i % 10],
                       marker=markers[i // 10 % len(markers)], ms=5)
        handles.setdefault(tuple(rest), h)
    for ax, strategy in zip(axes[0], strategies):
        ax.set_xscale("log", base=2)
        ax.xaxis.set_major_locator(FixedLocator(xs_all))
        ax.xaxis.set_major_formatter(FuncFormatter(_short_bytes))
        ax.xaxis.set_minor_locator(FixedLocator([]))
        ax.set_xlabel("src bytes per rank (bytes, log2)")
        ax.set_ylim(bottom=0)
        ax.set_title(f"strategy: {strategy}", fontsize=10)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("src bytes per rank / round-trip median (GB/s)")
    fig.legend(list(handles.values()), [f"{l} · {d}/{m}" for l, d, m in handles],
               loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=min(3, len(handles)),
               fontsize=8, frameon=False)
    return _image(fig, "bandwidth_vs_size", "bandwidth vs size per strategy")


def phase_breakdown(labelled, docs=()):
    """Stacked per-phase medians per config; the black tick is the measured round-trip median.
    docs: the results documents the configs come from; their phase tables give the order and
    colours (V1_PHASE_TABLE without them)."""
    rows = _with_phases(labelled)
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(11, 1.4 + 0.3 * len(rows)))
    y = np.arange(len(rows))
    left = np.zeros(len(rows))
    names = phase_names(docs, (p["name"] for _, c in rows for p in c["phases"]))
    colors = phase_colors(docs)
    for name in names:
        vals = np.array([sum(p.get("median_ms") or 0 for p in c["phases"] if p.get("name") == name)
                         for _, c in rows])
        if not vals.any():
            continue
        ax.barh(y, vals, left=left, height=0.7, label=name, color=colors.get(name))
        left += vals
    totals = [c.get("total", {}).get("median_ms") for _, c in rows]
    ax.scatter([t if is_num(t) else np.nan for t in totals], y, marker="|", s=180, c="black",
               label="total median", zorder=3)
    ax.set_yticks(y, [label for label, _ in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("median time per phase, stacked (ms)")
    ax.set_ylabel("config")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=8, fontsize=8, frameon=False)
    return _image(fig, "phase_breakdown", "per-phase breakdown per config")


def _annotated_heatmap(ax, data, fmt, cmap, vmin=None, vmax=None):
    cm = plt.get_cmap(cmap).with_extremes(bad="#eeeeee")
    finite = data[np.isfinite(data)]
    lo = vmin if vmin is not None else (finite.min() if finite.size else 0.0)
    hi = vmax if vmax is not None else (finite.max() if finite.size else 1.0)
    im = ax.imshow(np.ma.masked_invalid(data), cmap=cm, vmin=lo, vmax=hi, aspect="auto")
    for (i, j), v in np.ndenumerate(data):
        if math.isnan(v):
            ax.text(j, i, "—", ha="center", va="center", fontsize=8, color="#888888")
            continue
        r, g, b, _ = cm(im.norm(v))
        # black on light cells, white on dark ones (relative luminance)
        light = 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.45
        ax.text(j, i, fmt(v), ha="center", va="center", fontsize=8,
                color="black" if light else "white")
    return im


def _ratio_top(data):
    """Colour scale top for floor ratios: 1.0, or the largest value when one is above it (a
    ratio over 1 beat the floor model and must look like it, not be clipped to 1)."""
    finite = data[np.isfinite(data)]
    return max(1.0, float(finite.max())) if finite.size else 1.0


def layout_heatmap(labelled):
    """src layout x dest layout for the largest shape: total median ms and total floor ratio."""
    cands = [c for _, c in labelled if is_num(c.get("shape", {}).get("src_bytes_per_rank"))
             and is_num(c.get("total", {}).get("median_ms"))]
    if not cands:
        return None

    def shape_key(c):
        s = c["shape"]
        return (s["src_bytes_per_rank"], s.get("b"), s.get("s"), s.get("h"), s.get("mem"),
                s.get("dtype"))
    big = max(shape_key(c) for c in cands)
    cands = [c for c in cands if shape_key(c) == big]
    srcs = sorted({grid_label(c["src"], c.get("src_order")) for c in cands})
    dests = sorted({grid_label(c["dest"], c.get("dest_order")) for c in cands})
    variant = keys.variant_namer(cands)
    strategies = list(OrderedDict.fromkeys(variant(c) for c in cands))
    height = 0.6 + (1 + 0.5 * len(srcs)) * len(strategies)
    fig, axes = plt.subplots(len(strategies), 2, squeeze=False,
                             figsize=(4 + 1.6 * len(dests), height))
    for row, strategy in enumerate(strategies):
        ms = np.full((len(srcs), len(dests)), np.nan)
        ratio = np.full_like(ms, np.nan)
        for c in cands:
            if variant(c) != strategy:
                continue
            i = srcs.index(grid_label(c["src"], c.get("src_order")))
            j = dests.index(grid_label(c["dest"], c.get("dest_order")))
            t = c["total"]["median_ms"]
            # several configs can share a cell (e.g. two modes): keep the fastest
            if math.isnan(ms[i, j]) or t < ms[i, j]:
                ms[i, j] = t
                r = total_floor_ratio(c)
                ratio[i, j] = r if r is not None else np.nan
        for col, (data, fmt, cmap, vmin, vmax, what) in enumerate((
                (ms, lambda v: f"{v:.3g}", "viridis_r", None, None, "total median ms"),
                (ratio, lambda v: f"{v:.2f}", "RdYlGn", 0.0, _ratio_top(ratio),
                 "floor ratio (floor ms / median ms)"))):
            ax = axes[row][col]
            im = _annotated_heatmap(ax, data, fmt, cmap, vmin, vmax)
            ax.set_xticks(range(len(dests)), dests, fontsize=8, rotation=20, ha="right")
            ax.set_yticks(range(len(srcs)), srcs, fontsize=8)
            ax.set_title(f"{strategy}: {what}", fontsize=9)
            ax.set_ylabel("src (encoder) layout", fontsize=8)
            ax.set_xlabel("dest (LLM) layout", fontsize=8)
            fig.colorbar(im, ax=ax, fraction=0.05,
                         label="ms" if col == 0 else "floor ratio (x)")
    b, s, h, mem, dtype = big[1:]
    fig.suptitle(f"Layout heat map, largest shape b{b}·s{s}·h{h} {mem} {dtype}", fontsize=10)
    return _image(fig, "layout_heatmap", "layout heat map for the largest shape")


def floor_ratio_per_phase(labelled, docs=()):
    """Configs x phases, floor_ms / median_ms; the last column is the whole round trip. Columns
    in the order of the documents' phase tables (as phase_breakdown)."""
    rows = _with_phases(labelled)
    if not rows:
        return None
    present = {p.get("name") for _, c in rows for p in c["phases"]}
    cols = [p for p in phase_names(docs, (p.get("name") for _, c in rows for p in c["phases"]))
            if p in present]
    data = np.full((len(rows), len(cols) + 1), np.nan)
    for i, (_, c) in enumerate(rows):
        for p in c["phases"]:
            if p.get("name") in cols and is_num(p.get("floor_ratio")):
                data[i, cols.index(p["name"])] = p["floor_ratio"]
        r = total_floor_ratio(c)
        if r is not None:
            data[i, -1] = r
    fig, ax = plt.subplots(figsize=(3.5 + 0.95 * len(cols), 1.2 + 0.3 * len(rows)))
    im = _annotated_heatmap(ax, data, lambda v: f"{v:.2f}", "RdYlGn", 0.0, _ratio_top(data))
    ax.set_xticks(range(len(cols) + 1), cols + ["TOTAL"], fontsize=8)
    ax.xaxis.tick_top()
    ax.xaxis.set_label_position("top")
    ax.set_xlabel("phase (TOTAL = whole round trip)")
    ax.set_ylabel("config")
    ax.set_yticks(range(len(rows)), [label for label, _ in rows], fontsize=8)
    ax.axvline(len(cols) - 0.5, color="black", lw=1.5)
    fig.colorbar(im, ax=ax, fraction=0.03,
                 label="floor ratio (x; floor ms / median ms, > 1 beat the floor model)")
    return _image(fig, "floor_ratio", "floor ratio per phase")
