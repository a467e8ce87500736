"""Base-vs-new comparison of two results documents, config by config (matched on the whole key
object, keys.identity: every axis, the NCCL path, contention, mode and cadence included), for the
round-trip total and each phase: between runs where both sides have several repetitions (their
medians as independent samples, stats.decide_groups), else from the raw samples of the one run
(stats.decide: Mann-Whitney U plus a minimum effect raised to the A/A noise floor and the
repetition drift); SAME / FASTER / SLOWER / UNSURE.

What counts against NEW under --fail-on-regression: a SLOWER row, a config that fails in NEW
(and did not in BASE), a config measured in BASE that NEW lacks (missing or skipped), a NEW
that measured nothing at all, and a NEW that was aborted (its `aborted` key). A gate must not
pass on a run that did not run to its end."""
from dataclasses import dataclass, field

from . import keys, stats
from .schema import (DASH, fmt_ms, fmt_pct, is_num, phase_names, platform, platform_differences,
                     planted_text, run_problems, timing_kind)

TOTAL = "TOTAL"


@dataclass
class Row:
    id: str
    phase: str
    base_ms: float
    new_ms: float
    v: stats.Verdict
    drift_pct: float = 0.0   # repetition-to-repetition drift that the change had to exceed

    @property
    def verdict(self):
        return self.v.verdict


@dataclass
class Comparison:
    alpha: float
    min_effect_pct: float
    rows: list = field(default_factory=list)
    only_base: list = field(default_factory=list)
    only_new: list = field(default_factory=list)
    new_failures: list = field(default_factory=list)   # (id, rule, error)
    phase_mismatch: list = field(default_factory=list)  # (id, phase, "base"|"new")
    platforms: tuple = ()                                # (base, new) when they differ
    new_empty: bool = False
    noise_floor_pct: float = 0.0                         # A/A floor the change had to exceed
    problems: dict = field(default_factory=dict)         # "base"/"new": run_problems()
    planted: dict = field(default_factory=dict)          # "base"/"new": planted_text() or None
    timings: str = ""                                    # what the times are (schema.timing_kind)

    def with_verdict(self, verdict):
        return [r for r in self.rows if r.verdict == verdict]

    @property
    def regressions(self):
        return self.with_verdict(stats.SLOWER)

    @property
    def gate_failures(self):
        """Reasons --fail-on-regression fails, one string each."""
        out = [f"{r.id} {r.phase}: SLOWER {fmt_pct(r.v.change_pct)} (p={r.v.p_value:.2g})"
               for r in self.regressions]
        out += [f"{i}: failed in new ({rule})" for i, rule, _ in self.new_failures]
        out += [f"{i}: measured in base, missing in new" for i in self.only_base]
        if self.new_empty:
            out.append("new has no configs: nothing was measured")
        out += [f"new run {p}" for p in self.problems.get("new", []) if p.startswith("ABORTED")]
        return out


def samples_of(st):
    """The raw samples of one Stats object; the median alone when a file has no samples (it
    then counts as one sample, so the verdict is UNSURE, never a guess)."""
    xs = [s for s in st.get("samples_ms") or [] if is_num(s)]
    if xs:
        return xs
    return [st["median_ms"]] if is_num(st.get("median_ms")) else []


def repetitions_of(st, reps):
    """The samples split into their repetitions (version 2 files keep them in order)."""
    xs = samples_of(st)
    if not isinstance(reps, int) or reps < 2 or len(xs) % reps:
        return [xs]
    k = len(xs) // reps
    return [xs[i * k:(i + 1) * k] for i in range(reps)]


def group_medians(st, reps, rep_medians=None):
    """One median per repetition: from the samples split into repetitions, else (a version 1
    total, whose samples are the first repetition's) the config's `repetition_medians_ms`."""
    groups = repetitions_of(st, reps)
    if len(groups) >= 2:
        return [stats.median(g) for g in groups]
    return [m for m in rep_medians or [] if is_num(m) and m > 0]


def judge(base, new, alpha=stats.ALPHA, min_effect_pct=stats.MIN_EFFECT_PCT, reps=(1, 1),
          rep_medians=(None, None), noise_floor_pct=0.0):
    """Verdict and the drift between repetitions. Between runs (stats.decide_groups) where both
    sides have two or more repetitions; else the sample test, its minimum effect raised to the
    A/A noise floor and to that drift."""
    drift = max(stats.drift_pct(repetitions_of(base, reps[0])),
                stats.drift_pct(repetitions_of(new, reps[1])))
    effect = max(min_effect_pct, noise_floor_pct)
    gb, gn = group_medians(base, reps[0], rep_medians[0]), group_medians(new, reps[1],
                                                                          rep_medians[1])
    if len(gb) >= 2 and len(gn) >= 2:
        return stats.decide_groups(samples_of(base), samples_of(new), gb, gn, alpha,
                                   effect), drift
    return stats.decide(samples_of(base), samples_of(new), alpha, max(effect, drift)), drift


def compare(base_doc, new_doc, alpha=stats.ALPHA, min_effect_pct=stats.MIN_EFFECT_PCT,
            noise_floor_pct=0.0):
    out = Comparison(alpha, min_effect_pct, noise_floor_pct=noise_floor_pct)
    out.problems = {"base": run_problems(base_doc), "new": run_problems(new_doc)}
    out.planted = {"base": planted_text(base_doc), "new": planted_text(new_doc)}
    out.timings = timing_kind([base_doc, new_doc])
    if platform_differences(base_doc, new_doc):
        out.platforms = (platform(base_doc), platform(new_doc))
    base = {keys.identity(c): c for c in base_doc["configs"]}
    new = {keys.identity(c): c for c in new_doc["configs"]}
    order = {name: i for i, name in enumerate(phase_names([base_doc, new_doc]))}
    out.new_empty = not new
    new_failed = _failed(new_doc)
    out.only_base = [c["id"] for k, c in base.items() if k not in new and not _in(c, new_failed)]
    out.only_new = [c["id"] for k, c in new.items() if k not in base]
    for k in (k for k in base if k in new):
        b, n = base[k], new[k]
        cid = n["id"]
        reps = (b.get("repetitions"), n.get("repetitions"))
        out.rows.append(Row(cid, TOTAL, b["total"]["median_ms"], n["total"]["median_ms"],
                            *judge(b["total"], n["total"], alpha, min_effect_pct, reps,
                                   (b.get("repetition_medians_ms"),
                                    n.get("repetition_medians_ms")), noise_floor_pct)))
        bp = {p["name"]: p for p in b.get("phases", [])}
        np_ = {p["name"]: p for p in n.get("phases", [])}
        for name in sorted(set(bp) | set(np_), key=lambda x: (order.get(x, len(order)), x)):
            if name not in np_ or name not in bp:
                out.phase_mismatch.append((cid, name, "base" if name in bp else "new"))
                continue
            out.rows.append(Row(cid, name, bp[name]["median_ms"], np_[name]["median_ms"],
                                *judge(bp[name], np_[name], alpha, min_effect_pct, reps,
                                       noise_floor_pct=noise_floor_pct)))
    old_fail = _failed(base_doc)
    out.new_failures = [(f.get("id"), f.get("rule"), f.get("error", ""))
                        for f in new_doc["failures"] if not _in(f, old_fail)]
    return out


def _failed(doc):
    """The identities and ids of a document's failures (a failure of an older file has no key)."""
    return ({keys.identity(f) for f in doc["failures"]}, {f.get("id") for f in doc["failures"]})


def _in(entry, failed):
    identities, ids = failed
    return keys.identity(entry) in identities or entry.get("id") in ids


def _platform_text(p):
    backend, device, world = p
    return f"backend {backend}, device {device}, world {world}"


def to_markdown(cmp, base_name, new_name, all_rows=True):
    lines = ["# bridgebench comparison", "",
             f"base: `{base_name}`, new: `{new_name}`. Per config and phase, between runs where "
             f"both sides have 2 or more repetitions: Welch's t-test on the repetitions' medians "
             f"(`reps` in the samples column; the run-to-run variation the samples of one run "
             f"cannot show); else from the raw samples: Mann-Whitney U. Two-sided, alpha "
             f"{cmp.alpha:g}, and a minimum effect of {cmp.min_effect_pct:g}% of the base median"
             + (f", raised to the A/A noise floor of {cmp.noise_floor_pct:g}%"
                if cmp.noise_floor_pct > cmp.min_effect_pct else "")
             + " (a sample-test row: also to the drift between a side's repetitions, `reps ±x%`). "
             f"SLOWER/FASTER: significant and at least that large; SAME: smaller, or enough "
             f"samples to see it and none seen; UNSURE: too few samples or repetitions (the "
             f"table says how many a side).", ""]
    if cmp.timings:
        lines += [f"**Timings: {cmp.timings}**", ""]
    for side in ("base", "new"):
        lines += [f"**{side} run {p}**" + (" (fails --fail-on-regression)."
                                          if side == "new" and p.startswith("ABORTED") else ".")
                  for p in cmp.problems.get(side, []) if not p.startswith("NOTHING")] + \
            ([""] if any(not p.startswith("NOTHING") for p in cmp.problems.get(side, [])) else [])
    lines += [f"**{side} run {cmp.planted[side]}.**" for side in ("base", "new") if cmp.planted.get(side)]
    lines += [""] if any(cmp.planted.values()) else []
    if cmp.platforms:
        lines += [f"**DIFFERENT PLATFORMS (--allow-different)**: base is "
                  f"{_platform_text(cmp.platforms[0])}; new is "
                  f"{_platform_text(cmp.platforms[1])}. Changes below mix the code with the "
                  f"machine.", ""]
    counts = {v: len(cmp.with_verdict(v))
              for v in (stats.SLOWER, stats.FASTER, stats.SAME, stats.UNSURE)}
    lines += [f"**{counts['SLOWER']} SLOWER, {counts['FASTER']} FASTER**, {counts['SAME']} SAME, "
              f"{counts['UNSURE']} UNSURE; {len(cmp.new_failures)} new failures, "
              f"{len(cmp.only_base)} configs missing in new, {len(cmp.only_new)} only in new.", ""]
    if cmp.new_empty:
        lines += ["**new has no configs: nothing was measured** (fails --fail-on-regression).", ""]
    shown = cmp.rows if all_rows else [r for r in cmp.rows if r.verdict != stats.SAME]
    if shown:
        platform_col = " (platforms differ)" if cmp.platforms else ""
        lines += [f"| id | phase | base ms | new ms | change | p-value | samples base/new | "
                  f"noise | verdict{platform_col} |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---|"]
        for r in shown:
            v = r.v
            verdict = f"**{v.verdict}**" if v.verdict in (stats.SLOWER, stats.FASTER) \
                else v.verdict
            unit = "reps" if v.groups else "samples"
            if v.verdict == stats.UNSURE:
                verdict += f" (needs {v.needed} {unit}/side)"
            reps = f" ({v.groups[0]}/{v.groups[1]} reps)" if v.groups else ""
            p = f"{v.p_value:.2g}" if v.p_value is not None else DASH
            noise = f"±{v.noise_pct:.1f}%" if is_num(v.noise_pct) else DASH
            if r.drift_pct > cmp.min_effect_pct:
                noise += f" (reps ±{r.drift_pct:.1f}%)"
            lines.append(f"| {r.id} | {r.phase} | {fmt_ms(r.base_ms)} | {fmt_ms(r.new_ms)} | "
                         f"{fmt_pct(v.change_pct)} | {p} | {v.n_base}/{v.n_new}{reps} | "
                         f"{noise} | "
                         f"{verdict} |")
        lines.append("")
    for title, items in (("Missing in new (count as regressions)", cmp.only_base),
                         ("Only in new", cmp.only_new)):
        if items:
            lines += [f"## {title}", ""] + [f"- `{i}`" for i in items] + [""]
    if cmp.new_failures:
        lines += ["## New failures (count as regressions)", ""]
        lines += [f"- `{i}` ({rule}): {err}" for i, rule, err in cmp.new_failures] + [""]
    if cmp.phase_mismatch:
        lines += ["## Phases present on one side only", ""]
        lines += [f"- `{i}` {p}: only in {side}" for i, p, side in cmp.phase_mismatch] + [""]
    return "\n".join(lines)
