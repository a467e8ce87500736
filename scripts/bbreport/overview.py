"""The report's top sections: headline, strategy comparison, bare collectives with the suite's
overhead over them, and repetition spread. Every optional key may be absent (older files).
Targets (overhead within ±5%, repetition spread < 1.05) are performance goals, reported as
met/missed and counted apart from correctness, which is only the oracle and the routing audit."""
from . import keys
from .doc import Table
from .schema import (DASH, bare_median_ms, fmt_bytes, fmt_ms, fmt_num, fmt_pct, is_comm, is_num,
                     launch_skew_ms, layout_label, phase_table, planted_text, shape_label,
                     total_floor_ratio)

OVERHEAD_TARGET_PCT = 5.0
SPREAD_TARGET, SPREAD_MIN_BYTES = 1.05, 16 << 20

OVERHEAD_NOTE = ("Note: a collective phase inside the round trip also waits for the slowest "
                 "peer's *device* to finish the work before it, which a collective timed alone "
                 "does not; so this is not the harness's overhead (see the suite column of "
                 "'Collectives alone' for that). Host launch skew is not in it under the isolated "
                 "cadence (see 'Launch skew'). In host and emulated runs collective times are "
                 "memory copies, not NVLink, and the ranks share one GPU or a few cores, so one "
                 "rank's local work slows its peers' collectives.")
SKEW_NOTE = ("Launch skew: per iteration, the latest minus the earliest first launch over the "
             "ranks (host clock), median and max over the iterations; `launch` is the slowest "
             "rank's host time to enqueue one iteration. Under the `isolated` cadence every rank "
             "queues its whole iteration behind a launch gate and the GPUs are aligned before "
             "it, so neither is in the times; under `streaming` both can be.")
SUITE_NOTE = (f"`through suite` times the same back-to-back launches through the suite's own phase "
              f"recorder (marks, NVTX range, CUPTI phase id), interleaved with the bare runs: the "
              f"harness overhead, target within ±{OVERHEAD_TARGET_PCT:.0f}%. `single launch` is one "
              f"launch per aligned iteration through the recorder, as a round trip's phase runs it: "
              f"its excess over the bare time is the per-launch cost that back-to-back launches hide.")
SPREAD_NOTE = (f"Note: repetition spread is the max/min of the per-repetition medians; the target "
               f"is < {SPREAD_TARGET} for configs of {fmt_bytes(SPREAD_MIN_BYTES)} or more per "
               "rank (shape.src_bytes_per_rank); smaller configs have no target.")


def is_emulated(doc):
    return doc["environment"].get("backend") == "emulate" or \
        any(c.get("emulated") for c in doc["configs"])


def _device(env):
    names = list(dict.fromkeys(g.get("name", "?") for g in env.get("gpus") or []))
    return ", ".join(names) or "no GPU"


def _is_wrong(cfg):
    return cfg.get("correct") is False or (cfg.get("audit") or {}).get("ok") is False


def target(ok):
    """A performance target's cell: never "NO", which the report keeps for wrong results."""
    return DASH if ok is None else "met" if ok else "missed"


def headline(runs):
    """One line: config count, correctness, backend (EMULATED warning), device."""
    configs = [c for _, d in runs for c in d["configs"]]
    wrong = sum(map(_is_wrong, configs))
    failed = sum(len(d["failures"]) for _, d in runs)
    if wrong or failed:
        verdict = f"NOT all correct ({wrong} wrong or misrouted, {failed} failed)"
    elif not configs:
        verdict = "nothing measured"
    else:
        verdict = "all correct"
    if any(d.get("aborted") for _, d in runs):
        verdict += ", run ABORTED"
    backends = ", ".join(dict.fromkeys(str(d["environment"].get("backend")) for _, d in runs))
    devices = ", ".join(dict.fromkeys(_device(d["environment"]) for _, d in runs))
    text = f"**{len(configs)} configs, {verdict}** · backend: {backends} · device: {devices}"
    cadences = ", ".join(dict.fromkeys(str(d["environment"]["cadence"]) for _, d in runs
                                       if d["environment"].get("cadence")))
    if cadences:
        text += f" · cadence: {cadences}"
    skews = [launch_skew_ms(c) for c in configs]
    meds = sorted(m for m, _ in skews if is_num(m))
    maxes = [x for _, x in skews if is_num(x)]
    if meds:
        text += (f" · launch skew over ranks: median {fmt_ms(meds[len(meds) // 2])} ms, "
                 f"max {fmt_ms(max(maxes))} ms")
    if any(d["environment"].get("injected_delay") for _, d in runs):
        text += " · FAULT INJECTED: a rank launches late on purpose (--inject-delay)"
    expired = [c for c in configs if is_num(c.get("gate_expiries")) and c["gate_expiries"] > 0]
    if expired:
        text += (f" · GATE EXPIRED in {len(expired)} config(s) (the Launch skew table's gate expiries): "
                 "an iteration started before all of it was queued; distrust their times")
    for planted in dict.fromkeys(filter(None, (planted_text(d) for _, d in runs))):
        text += f" · {planted}"
    if any(is_emulated(d) for _, d in runs):
        text += " · EMULATED: collective times are device-to-device copies, not NVLink"
    return text


# ---- strategy comparison --------------------------------------------------------------------

def strategy_tables(runs):
    """[(heading, Table)]: one per results file and (layout, shape, memory order, dtype), a
    column per variant (keys.VARIANT_AXES: strategy, and the NCCL path, contention, mode or
    cadence where they vary in the table, each labelled), every speedup against the reference
    of the same variant (keys.speedups). The heading names the run settings the columns share."""
    cfgs_of = [(i, c) for i, (_, d) in enumerate(runs) for c in d["configs"]]
    groups = keys.group([c for _, c in cfgs_of], without=keys.VARIANT_AXES,
                        outer=lambda i, _c: cfgs_of[i][0])
    out = []
    for (run, _), cfgs in groups.items():
        cfgs = keys.reference_first(cfgs)
        med = [keys.median_ms(c) for c in cfgs]
        speed = keys.speedups(cfgs)
        shown = keys.varying(cfgs)
        heads = [keys.variant_label(keys.key_of(c), shown) for c in cfgs]
        t = Table([""] + heads, numeric=set(range(1, len(cfgs) + 1)))
        t.rows += [["total median ms"] + [fmt_ms(m) for m in med],
                   ["bytes/rank"] + [fmt_bytes(c.get("bytes_per_rank")) for c in cfgs],
                   ["floor ratio"] + [fmt_num(total_floor_ratio(c), 2) for c in cfgs],
                   ["speedup over reference"] + [f"{x:.2f}x" if x else DASH for x in speed]]
        c0 = cfgs[0]
        best = ", ".join(f"{h} {x:.2f}x" for c, h, x in zip(cfgs, heads, speed)
                         if x and keys.key_of(c).get("strategy") != keys.REFERENCE)
        shared = keys.run_settings_label({a: v for a, v in keys.key_of(c0).items()
                                          if a not in shown})
        prefix = f"[{run + 1}] " if len(runs) > 1 else ""
        heading = (f"{prefix}{c0.get('layout')}: {layout_label(c0)}, {shape_label(c0)} "
                   f"{c0.get('shape', {}).get('dtype', '?')}" + (f" ({shared})" if shared else "")
                   + (f" — {best}" if best else ""))
        out.append((heading, t))
    return out


# ---- bare collectives and suite overhead ----------------------------------------------------

def match_collective(cfg, ph, collectives):
    """The bare collective this config phase runs: its key agrees with the config's on layout,
    dtype, b/s/h and NCCL path (keys.COLLECTIVE_AXES shared with the config's key), same phase
    and op, and the config's strategy among the collective's `strategies` (bwd_cp: reference
    all_reduce, fused all_gather; fwd_comm/bwd_comm serve both)."""
    ck = keys.key_of(cfg)
    shared = ("layout", "dtype", "b", "s", "h", "nccl_path")
    for c in collectives:
        strategies = c.get("strategies")
        k = keys.key_of(c)
        if (all(k.get(a) == ck.get(a) for a in shared)
                and c.get("phase") == ph.get("name")
                and (ph.get("op") is None or c.get("op") == ph.get("op"))
                and (not strategies or cfg.get("strategy") in strategies.split(","))):
            return c
    return None


def collectives_table(runs):
    t = Table(["id", "op", "phase", "group × groups", "bytes/rank", "median ms", "min ms",
               "max ms", "in place ms", "algbw GB/s", "busbw GB/s", "floor ratio", "through suite ms",
               "harness overhead", f"target ±{OVERHEAD_TARGET_PCT:.0f}%", "single launch ms",
               "single over bare", "#wrong"],
              numeric=set(range(4, 14)) | {15, 16, 17})
    for i, (_, d) in enumerate(runs):
        for c in d.get("collectives") or []:
            t.rows.append([
                (f"[{i + 1}] " if len(runs) > 1 else "") + str(c.get("id")), c.get("op", DASH),
                c.get("phase", DASH), f"{c.get('group_size', '?')} × {c.get('groups', '?')}",
                fmt_bytes(c.get("bytes_per_rank")), fmt_ms(c.get("median_ms")),
                fmt_ms(c.get("min_ms")), fmt_ms(c.get("max_ms")), fmt_ms(c.get("in_place_median_ms")),
                fmt_num(c.get("algbw_GBps"), 1),
                fmt_num(c.get("busbw_GBps"), 1), fmt_num(c.get("floor_ratio"), 2),
                fmt_ms(c.get("suite_median_ms")), fmt_pct(c.get("suite_overhead_pct")),
                target(abs(c["suite_overhead_pct"]) <= OVERHEAD_TARGET_PCT
                       if is_num(c.get("suite_overhead_pct")) else None),
                fmt_ms(c.get("single_launch_median_ms")), fmt_pct(c.get("single_launch_over_pct")),
                str(c["wrong"]) if is_num(c.get("wrong")) else DASH])
    return t


def skew_table(labelled):
    t = Table(["config", "cadence", "skew median ms", "skew max ms", "launch median ms",
               "gate expiries"], numeric={2, 3, 4, 5})
    for label, c in labelled:
        med, mx = launch_skew_ms(c)
        if not is_num(med):
            continue
        t.rows.append([label, str(c.get("cadence", DASH)), fmt_ms(med), fmt_ms(mx),
                       fmt_ms((c.get("launch") or {}).get("median_ms")),
                       str(c.get("gate_expiries", DASH))])
    return t


def _labelled_runs(runs, labelled):
    """[(label, cfg, its file's collectives, its file's phase table)] for overhead_table."""
    by_cfg = {id(c): d for _, d in runs for c in d["configs"]}
    return [(label, c, by_cfg[id(c)].get("collectives") or [], phase_table(by_cfg[id(c)]))
            for label, c in labelled]


def overhead_table(labelled_runs):
    """labelled_runs: [(label, cfg, collectives, phase table)]. Rows only for collective phases
    (schema.is_comm) with a matching bare."""
    t = Table(["config", "phase", "op", "phase median ms", "bare median ms", "overhead",
               f"target ±{OVERHEAD_TARGET_PCT:.0f}%"], numeric={3, 4, 5})
    for label, cfg, colls, table in labelled_runs:
        for ph in cfg.get("phases", []):
            if not is_comm(ph, table):
                continue
            bare = match_collective(cfg, ph, colls)
            if bare is None:
                continue
            pm, bm = ph.get("median_ms"), bare_median_ms(bare)
            pct = (pm - bm) / bm * 100 if is_num(pm) and is_num(bm) and bm > 0 else None
            t.rows.append([label, ph["name"], ph.get("op", DASH), fmt_ms(pm), fmt_ms(bm),
                           fmt_pct(pct), target(abs(pct) <= OVERHEAD_TARGET_PCT
                                                if pct is not None else None)])
    return t


# ---- repetition spread ----------------------------------------------------------------------

def spread_table(labelled):
    t = Table(["config", "src bytes/rank", "repetitions", "repetition medians ms", "spread",
               f"target < {SPREAD_TARGET}"], numeric={1, 2, 4})
    for label, c in labelled:
        spread = c.get("repetition_spread")
        if not is_num(spread):
            continue
        src = c.get("shape", {}).get("src_bytes_per_rank")
        reps = c.get("repetition_medians_ms") or []
        met = target(spread < SPREAD_TARGET) if is_num(src) and src >= SPREAD_MIN_BYTES \
            else "no target (small)"
        t.rows.append([label, fmt_bytes(src), str(len(reps)) if reps else DASH,
                       ", ".join(fmt_ms(r) for r in reps) or DASH, fmt_num(spread, 3), met])
    return t


def target_summary(runs, labelled):
    """One line counting each target met, apart from correctness."""
    parts = []
    for name, table in (
            ("collective phases within ±5% of the collective alone",
             overhead_table(_labelled_runs(runs, labelled))),
            ("collectives within ±5% through the suite's recorder", collectives_table(runs)),
            (f"configs with repetition spread < {SPREAD_TARGET}", spread_table(labelled))):
        col = next(k for k, h in enumerate(table.headers) if h.startswith("target"))
        cells = [row[col] for row in table.rows if row[col] in ("met", "missed")]
        if cells:
            parts.append(f"{cells.count('met')} of {len(cells)} {name}")
    if not parts:
        return "Targets (performance, not correctness): none measured in this run."
    return ("Targets (performance goals, not correctness; details under Targets): "
            + "; ".join(parts) + ".")


def add_strategy_section(doc, runs):
    """Strategy comparison: every (layout, shape) with a column per strategy."""
    doc.section("Strategy comparison")
    tables = strategy_tables(runs)
    if not tables:
        doc.para("No configs to compare.")
    for heading, table in tables:
        doc.heading(heading, 3)
        doc.table(table)


def add_collective_sections(doc, runs, labelled):
    """Collectives alone; then the targets: suite overhead and repetition spread."""
    doc.section("Collectives alone")
    colls = collectives_table(runs)
    if colls.rows:
        doc.para("The bridge's collectives timed alone (nccl-tests style) at each layout's group "
                 "shape and message size, every group running at once, checked before timed.")
        doc.table(colls)
        doc.para(SUITE_NOTE)
    else:
        doc.para("No bare collectives in this results file (older file, or none timed).")

    doc.section("Targets (performance, not correctness)")
    doc.para("Performance goals, reported as met or missed; a missed target is not a wrong "
             "result (correctness is the oracle and the routing audit, under Configs).")
    for heading, table, note, empty in (
            ("Collective phases in the round trip vs alone",
             overhead_table(_labelled_runs(runs, labelled)), OVERHEAD_NOTE,
             "No config phase has a matching bare collective."),
            ("Launch skew", skew_table(labelled), SKEW_NOTE,
             "No launch skew recorded (results schema version 1)."),
            ("Repetition spread", spread_table(labelled), SPREAD_NOTE,
             "No repetition spread: run with `--benchmark_repetitions=N` (N >= 2) to get one.")):
        doc.heading(heading, 3)
        if table.rows:
            doc.table(table)
            doc.para(note)
        else:
            doc.para(empty)
