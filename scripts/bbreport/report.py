"""Builds the run report as a doc.Document. The first screen answers the question: headline
(correctness), targets (apart from it), a one-line verdict per layout, the speedup heat map and
time against size. A table of contents then leads to the collapsed details: strategy
comparison, environment, configs, collectives alone, targets, plots, failures, phases."""
import os

from . import model, noise, overview, overview_plots, parity as paritymod, paths, plots, verdict
from .doc import Document, Table
from .schema import (DASH, fmt_bool, fmt_bytes, fmt_ms, fmt_num, is_num, layout_label,
                     phase_names, run_problems, shape_label, total_floor_ratio)

BUSBW_NOTE = ("Note: busbw follows the nccl-tests convention (all_gather: algbw·(n-1)/n, "
              "all_reduce: algbw·2(n-1)/n), which assumes a flat topology where every rank "
              "reaches every other at the same link bandwidth. On NVSwitch that holds; on other "
              "topologies compare `algbw` and the bytes, shown beside it. Floors use the "
              "environment's link bandwidth (collectives) or measured copy bandwidth (local "
              "copies); floor ratio = floor / median: 1.0 is at the modelled floor, and a ratio "
              "above 1 (shown as measured, never capped) means the run beat the floor model, so "
              "that floor is not a true bound there.")


# (title, caption, make): make(labelled, docs); the phase plots read the documents' phase tables.
PLOTS = [
    ("Bandwidth vs size", "Round-trip throughput: src bytes per rank over the total median, one "
     "panel per strategy. Using src bytes (not bytes moved) keeps strategies that move fewer "
     "bytes for the same result comparable.",
     lambda labelled, _docs: plots.bandwidth_vs_size(labelled)),
    ("Per-phase breakdown", "Median ms of each phase, stacked; the black tick is the measured "
     "round-trip median. Each phase is the maximum over ranks of that phase (a collective ends "
     "with its slowest rank), and different ranks can be slowest in different phases, so the "
     "stack can exceed the round trip, most when ranks share one GPU (emulation) or a few CPU "
     "cores (host simulation).", plots.phase_breakdown),
    ("Layout heat map", "src (encoder) layout x dest (LLM) layout for the largest shape: total "
     "median ms and total floor ratio (sum of phase floors over the total median); grey = not "
     "measured. The ratio scale runs to the largest value: above 1 beat the floor model.",
     lambda labelled, _docs: plots.layout_heatmap(labelled)),
    ("Floor ratio per phase", "floor_ms / median_ms per phase (rows: configs, columns: phases, "
     "last column the round trip); 1.0 is at the modelled floor, values above 1 beat the floor "
     "model (printed as measured), low values are where the time goes beyond moving the bytes.",
     plots.floor_ratio_per_phase),
]


def _ranges(values):
    """[8,9,10,11,20] -> "8–11,20": misrouting lists are long runs of consecutive samples."""
    if not values:
        return ""
    out, start, prev = [], values[0], values[0]
    for v in list(values[1:]) + [None]:
        if v is not None and v == prev + 1:
            prev = v
            continue
        out.append(f"{start}" if start == prev else f"{start}–{prev}")
        if v is not None:
            start = prev = v
    return ",".join(out)


def misrouted_label(cfg):
    audit = cfg.get("audit") or {}
    bad = audit.get("first_misrouted")
    if not bad:
        return DASH if audit.get("ok", True) else "misrouted"
    return (f"rank {bad.get('rank')} gets {_ranges(bad.get('receives', []))}, "
            f"owns {_ranges(bad.get('owns', []))}")


def _correct_label(cfg):
    failing = (cfg.get("check") or {}).get("failing_ranks") or []
    label = fmt_bool(cfg.get("correct"))
    return f"{label} (ranks {_ranges(sorted(failing))})" if failing else label


def _gpu_summary(env):
    gpus = env.get("gpus") or []
    if not gpus:
        return "none"
    names = {}
    for g in gpus:
        names[g.get("name", "?")] = names.get(g.get("name", "?"), 0) + 1
    return ", ".join(f"{n} × {name}" for name, n in names.items())


def _cupti(env):
    c = env.get("cupti") or {}
    if not c.get("enabled"):
        return "off"
    ov = c.get("overhead_pct")
    return f"on (overhead {ov:.1f}%)" if is_num(ov) else "on"


def environment_table(runs):
    rows = [
        ("file", lambda l, d: os.path.basename(l)),
        ("host", lambda l, d: d["environment"].get("host")),
        ("time (UTC)", lambda l, d: d["environment"].get("time_utc")),
        ("git commit", lambda l, d: d["environment"].get("git_commit")),
        ("backend", lambda l, d: d["environment"].get("backend")),
        ("emulated", lambda l, d: fmt_bool(overview.is_emulated(d))),
        ("GPUs", lambda l, d: _gpu_summary(d["environment"])),
        ("driver", lambda l, d: d["environment"].get("driver_version")),
        ("CUDA runtime", lambda l, d: d["environment"].get("cuda_runtime")),
        ("NCCL", lambda l, d: d["environment"].get("nccl_version")),
        ("copy bandwidth GB/s",
         lambda l, d: fmt_num(d["environment"].get("copy_bandwidth_GBps"), 1)),
        ("link bandwidth GB/s",
         lambda l, d: fmt_num(d["environment"].get("link_bandwidth_GBps"), 1)),
        ("CUPTI", lambda l, d: _cupti(d["environment"])),
        ("command line", lambda l, d: f"`{d['environment'].get('command_line')}`"
         if d["environment"].get("command_line") else None),
    ]
    headers = [""] + [f"run {i + 1}" for i in range(len(runs))] if len(runs) > 1 else ["", "value"]
    table = Table(headers)
    for name, get in rows:
        values = [get(path, d) for path, d in runs]
        table.rows.append([name] + [DASH if v in (None, "") else str(v) for v in values])
    return table


def _labelled(runs):
    """(label, cfg) pairs; the run number prefixes the id only when several files are merged."""
    multi = len(runs) > 1
    return [(f"[{i + 1}] {c.get('id')}" if multi else c.get("id"), c)
            for i, (_, doc) in enumerate(runs) for c in doc["configs"]]


def config_table(labelled):
    headers = ["id", "layout", "shape", "dtype", "strategy", "mode", "total median ms",
               "min–max ms", "bytes/rank", "floor ratio", "correct", "audit", "misrouted"]
    t = Table(headers, numeric={6, 7, 8, 9})
    for label, c in labelled:
        tot = c.get("total") or {}
        audit = (c.get("audit") or {}).get("ok")
        t.rows.append([
            label, layout_label(c), shape_label(c), c.get("shape", {}).get("dtype", DASH),
            c.get("strategy", DASH), c.get("mode", DASH), fmt_ms(tot.get("median_ms")),
            f"{fmt_ms(tot.get('min_ms'))}–{fmt_ms(tot.get('max_ms'))}",
            fmt_bytes(c.get("bytes_per_rank")), fmt_num(total_floor_ratio(c), 2),
            _correct_label(c), {True: "ok", False: "misrouted"}.get(audit, DASH),
            misrouted_label(c)])
    return t


def phase_table(cfg, doc=None):
    """The config's phases, as written (execution order), and the names outside its results
    document's phase table (schema.phase_table; V1_PHASE_TABLE without a document)."""
    headers = ["phase", "op", "group", "median ms", "min ms", "max ms", "bytes/rank",
               "algbw GB/s", "busbw GB/s", "floor ms", "floor basis", "floor ratio",
               "gpu_busy ms"]
    t = Table(headers, numeric=set(range(2, 10)) | {11, 12})
    order = set(phase_names(doc or ()))
    for p in cfg.get("phases", []):
        t.rows.append([
            p.get("name", "?"), f"{p.get('op', '?')} ({p.get('kind', '?')})",
            str(p.get("group_size", DASH)), fmt_ms(p.get("median_ms")), fmt_ms(p.get("min_ms")),
            fmt_ms(p.get("max_ms")), fmt_bytes(p.get("bytes_per_rank")),
            fmt_num(p.get("algbw_GBps"), 1), fmt_num(p.get("busbw_GBps"), 1),
            fmt_ms(p.get("floor_ms")), p.get("floor_basis") or DASH,
            fmt_num(p.get("floor_ratio"), 2), fmt_ms(p.get("gpu_busy_ms"))])
    unknown = [p.get("name") for p in cfg.get("phases", []) if p.get("name") not in order]
    tot = cfg.get("total") or {}
    floors = [p.get("floor_ms") for p in cfg.get("phases", [])]
    t.rows.append(["TOTAL (round trip)", "", "", fmt_ms(tot.get("median_ms")),
                   fmt_ms(tot.get("min_ms")), fmt_ms(tot.get("max_ms")),
                   fmt_bytes(cfg.get("bytes_per_rank")), "", "",
                   fmt_ms(sum(floors)) if floors and all(is_num(f) for f in floors) else DASH,
                   "", fmt_num(total_floor_ratio(cfg), 2), ""])
    return t, unknown


def add_listed(doc, runs, title, key, why, empty):
    """A section of one bullet per entry of every run's `key` list (failures, skipped):
    `id` (rule): the entry's `why` text."""
    doc.section(title)
    items = [f"`{e.get('id')}` ({e.get('rule', '?')}): {e.get(why, '')}"
             for _, d in runs for e in d[key]]
    if items:
        doc.bullets(items)
    else:
        doc.para(empty)


def add_overview(doc, runs, labelled):
    """What fits the first screen: verdict lines, then the two overview figures side by side."""
    doc.heading("Overview")
    verdicts = verdict.layout_verdicts(runs)
    if verdicts:
        doc.bullets(verdict.verdict_line(v, len(runs) > 1) for v in verdicts)
    else:
        doc.para("No configs were measured.")
    doc.figures([overview_plots.speedup_heatmap(verdicts, len(runs) > 1),
                 overview_plots.time_vs_size(labelled)])


def build(runs, title, parity=None):
    """runs: [(path, results doc)], already schema-checked; parity: (path, parity record) or
    None."""
    doc = Document(title)
    labelled = _labelled(runs)
    for i, (path, d) in enumerate(runs):
        for problem in run_problems(d):
            where = f"{os.path.basename(path)}: " if len(runs) > 1 else ""
            doc.alert(f"{where}{problem}" + (
                " — only the configs measured before it stopped are below"
                if problem.startswith("ABORTED") and d["configs"] else ""))
    doc.para(overview.headline(runs))
    doc.para(noise.timing_line(runs, labelled))
    flags = noise.noise_flags(runs, labelled)
    if flags:
        doc.para("Noise-dominated figures: " + "; ".join(flags) + ".")
    n_fail = sum(len(d["failures"]) for _, d in runs)
    n_skip = sum(len(d["skipped"]) for _, d in runs)
    n_wrong = sum(1 for _, c in labelled if (c.get("audit") or {}).get("ok") is False
                  or c.get("correct") is False)
    doc.para(f"{len(labelled)} configs measured, {n_fail} failed, {n_skip} skipped, "
             f"{n_wrong} with correctness or routing problems; from {len(runs)} results file(s).")
    doc.para(overview.target_summary(runs, labelled))
    add_overview(doc, runs, labelled)
    doc.toc()

    if parity:
        paritymod.add_parity_section(doc, runs, parity[1], parity[0])
    overview.add_strategy_section(doc, runs)
    paths.add_paths_section(doc, runs)

    doc.section("Environment")
    doc.table(environment_table(runs))
    for i, (_, d) in enumerate(runs):
        topo = d["environment"].get("topology")
        if topo:
            doc.heading(f"Topology (run {i + 1})" if len(runs) > 1 else "Topology", 3)
            doc.pre(topo)

    doc.section("Configs")
    if labelled:
        doc.table(config_table(labelled))
    else:
        doc.para("No configs were measured.")
    doc.para(BUSBW_NOTE)
    overview.add_collective_sections(doc, runs, labelled)
    model.add_model_section(doc, runs, labelled)

    doc.section("Plots")
    if not labelled:
        doc.para("No plots: no configs.")
    docs = [d for _, d in runs]
    for title, caption, make in PLOTS:
        image = make(labelled, docs)
        if image is not None:
            image.caption = caption
            doc.heading(title, 3)
            doc.image(image)

    add_listed(doc, runs, "Failures", "failures", "error", "No failures.")
    add_listed(doc, runs, "Skipped", "skipped", "reason", "Nothing skipped.")

    doc.section("Per-phase breakdown")
    owner = {id(c): d for _, d in runs for c in d["configs"]}
    for label, c in labelled:
        doc.heading(label, 3)
        gpu_note = "" if any(is_num(p.get("gpu_busy_ms")) for p in c.get("phases", [])) else \
            " gpu_busy_ms: not measured (no CUPTI data for this config)."
        doc.para(f"{layout_label(c)}, {c.get('direction', '?')} scale {c.get('scale', '?')}, "
                 f"CP {c.get('cp', '?')}, {shape_label(c)} {c.get('shape', {}).get('dtype', '')}, "
                 f"backend {c.get('backend', '?')}, {c.get('iterations', '?')} iterations after "
                 f"{c.get('warmup', '?')} warm-up, peak {fmt_bytes(c.get('peak_device_bytes'))}."
                 + gpu_note)
        table, unknown = phase_table(c, owner[id(c)])
        doc.table(table)
        if unknown:
            doc.para(f"Phases outside the schema vocabulary: {', '.join(map(str, unknown))}.")
    doc.end_section()
    return doc
