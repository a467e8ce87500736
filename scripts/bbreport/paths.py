"""NCCL paths and GEMM contention in the report (docs/results-schema.md, "NCCL paths and GEMM
contention"): per phase the path requested and used, bytes and SM-free; the strategy comparison
under the GEMM load; a plot of GEMM time lost per round trip, strategy x path. A section of its
own (report.py calls add_paths_section once), shown only for files that carry the fields."""
from collections import OrderedDict

from . import keys
from .doc import Table
from .schema import DASH, fmt_bool, fmt_bytes, fmt_ms, fmt_num, is_num


def _has_paths(cfg):
    path = (cfg.get("nccl_path") or {}).get("requested")
    load = (cfg.get("contention") or {}).get("load")
    return (path not in (None, "default")) or load == "gemm" or any(
        p.get("path_used") not in (None, "unknown") for p in cfg.get("phases", []))


def phase_path_table(labelled):
    t = Table(["config", "phase", "op", "group", "path requested", "path used", "SM-free",
               "bytes/rank", "median ms", "under GEMM ms", "evidence"], numeric={3, 7, 8, 9})
    for label, c in labelled:
        for p in c.get("phases", []):
            if p.get("kind") != "collective":
                continue
            ug = (p.get("under_gemm") or {}).get("median_ms")
            t.rows.append([label, p.get("name", "?"), p.get("op", "?"), p.get("group_size", DASH),
                           p.get("path_requested", DASH), p.get("path_used", DASH),
                           fmt_bool(p.get("sm_free")) if "sm_free" in p else DASH,
                           fmt_bytes(p.get("bytes_per_rank")), fmt_ms(p.get("median_ms")),
                           fmt_ms(ug) if is_num(ug) else DASH, p.get("path_evidence", DASH)])
    return t


def _strategy_path(c):
    k = keys.key_of(c)
    return k.get("strategy", "?"), k.get("nccl_path", "default")


def contention_table(labelled):
    """The strategy comparison with an "under GEMM" column: idle and loaded round trip, the
    GEMM's throughput alone and beside the bridge, and the one number that matters to the
    colocated model, GEMM time lost per round trip."""
    t = Table(["config", "strategy", "path", "idle ms", "under GEMM ms", "ratio", "path setup ms",
               "GEMM alone TFLOP/s", "GEMM under bridge TFLOP/s", "GEMM lost ms / round trip"],
              numeric={3, 4, 5, 6, 7, 8, 9})
    for label, c in labelled:
        k = c.get("contention") or {}
        s, path = _strategy_path(c)
        loaded = k.get("load") == "gemm"
        t.rows.append([label, s, path, fmt_ms((c.get("total") or {}).get("median_ms")),
                       fmt_ms(k.get("median_ms")) if loaded else DASH,
                       fmt_num(k.get("ratio_to_idle"), 2) if loaded else DASH,
                       fmt_ms((c.get("nccl_path") or {}).get("setup_ms")),
                       fmt_num(k.get("gemm_alone_tflops"), 1) if loaded else DASH,
                       fmt_num(k.get("gemm_under_bridge_tflops"), 1) if loaded else DASH,
                       fmt_ms(k.get("gemm_lost_ms_per_round_trip")) if loaded else DASH])
    return t


def gemm_lost_plot(labelled):
    """Bars: median over configs of GEMM time lost per round trip, per strategy, one bar per path."""
    cells = OrderedDict()
    for _, c in labelled:
        v = (c.get("contention") or {}).get("gemm_lost_ms_per_round_trip")
        if is_num(v):
            cells.setdefault(_strategy_path(c), []).append(v)
    if not cells:
        return None
    from . import plots  # matplotlib only when there is something to draw
    import numpy as np
    strategies = list(OrderedDict.fromkeys(s for s, _ in cells))
    paths = list(OrderedDict.fromkeys(p for _, p in cells))
    fig, ax = plots.plt.subplots(figsize=(1.5 + 1.2 * len(strategies) * max(1, len(paths)) / 2, 3.6))
    width = 0.8 / max(1, len(paths))
    for j, path in enumerate(paths):
        ys = [float(np.median(cells.get((s, path), [np.nan]))) for s in strategies]
        ax.bar(np.arange(len(strategies)) + j * width, ys, width, label=path)
    ax.set_xticks(np.arange(len(strategies)) + width * (len(paths) - 1) / 2)
    ax.set_xticklabels(strategies)
    ax.set_ylabel("GEMM time lost per round trip (ms)")
    ax.set_title("Cost to the colocated GEMM, strategy x NCCL path")
    ax.legend(title="path", fontsize=8)
    return plots.Image("gemm_lost", plots._png(fig), "GEMM time lost per round trip, strategy x path")


def add_paths_section(doc, runs):
    labelled = [(c.get("id"), c) for _, d in runs for c in d["configs"] if _has_paths(c)]
    if not labelled:
        return
    doc.heading("NCCL paths and GEMM contention")
    doc.para("Per collective phase, the NCCL path requested and the one the GPU activity shows ran "
             "(CUPTI: NCCL kernels vs peer/device copies; `one-rank-copy` is NCCL's nRanks == 1 "
             "shortcut, whatever was requested), its bytes, and whether it ran without any kernel.")
    doc.table(phase_path_table(labelled))
    doc.heading("Strategy comparison under GEMM", 3)
    doc.table(contention_table(labelled))
    image = gemm_lost_plot(labelled)
    if image is not None:
        doc.para("GEMM time lost per round trip = contended window x (1 - GEMM TFLOP/s under the "
                 "bridge / alone) / iterations, the worst rank.")
        doc.image(image)
