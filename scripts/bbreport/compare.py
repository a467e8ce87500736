"""Base-vs-new comparison of two results documents, config by config (matched on the whole key
object, keys.identity: every axis, the NCCL path, contention, mode and cadence included), for the
round-trip total and each phase, from the raw samples of every repetition (stats.decide:
Mann-Whitney U plus a minimum effect size; SAME / FASTER / SLOWER / UNSURE).

What counts against NEW under --fail-on-regression: a SLOWER row, a config that fails in NEW
(and did not in BASE), a config measured in BASE that NEW lacks (missing or skipped), and a NEW
that measured nothing at all. A gate must not pass on a run that did not run."""
from dataclasses import dataclass, field

from . import keys, stats
from .schema import DASH, fmt_ms, fmt_pct, is_num, phase_names, platform, platform_differences

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


def judge(base, new, alpha=stats.ALPHA, min_effect_pct=stats.MIN_EFFECT_PCT, reps=(1, 1)):
    """Verdict and the drift between repetitions, which raises the minimum effect."""
    drift = max(stats.drift_pct(repetitions_of(base, reps[0])),
                stats.drift_pct(repetitions_of(new, reps[1])))
    v = stats.decide(samples_of(base), samples_of(new), alpha, max(min_effect_pct, drift))
    return v, drift


def compare(base_doc, new_doc, alpha=stats.ALPHA, min_effect_pct=stats.MIN_EFFECT_PCT):
    out = Comparison(alpha, min_effect_pct)
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
                            *judge(b["total"], n["total"], alpha, min_effect_pct, reps)))
        bp = {p["name"]: p for p in b.get("phases", [])}
        np_ = {p["name"]: p for p in n.get("phases", [])}
        for name in sorted(set(bp) | set(np_), key=lambda x: (order.get(x, len(order)), x)):
            if name not in np_ or name not in bp:
                out.phase_mismatch.append((cid, name, "base" if name in bp else "new"))
                continue
            out.rows.append(Row(cid, name, bp[name]["median_ms"], np_[name]["median_ms"],
                                *judge(bp[name], np_[name], alpha, min_effect_pct, reps)))
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
             f"base: `{base_name}`, new: `{new_name}`. Per config and phase, from every "
             f"repetition's raw samples: Mann-Whitney U (two-sided, alpha {cmp.alpha:g}) and a "
             f"minimum effect of {cmp.min_effect_pct:g}% of the base median, raised to the drift "
             f"between a side's repetitions where it has several (`reps ±x%`). SLOWER/FASTER: "
             f"significant and at least that large; SAME: smaller, or enough samples to see it "
             f"and none seen; UNSURE: too few samples (the table says how many a side).", ""]
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
            if v.verdict == stats.UNSURE:
                verdict += f" (needs {v.needed}/side)"
            p = f"{v.p_value:.2g}" if v.p_value is not None else DASH
            noise = f"±{v.noise_pct:.1f}%" if is_num(v.noise_pct) else DASH
            if r.drift_pct > cmp.min_effect_pct:
                noise += f" (reps ±{r.drift_pct:.1f}%)"
            lines.append(f"| {r.id} | {r.phase} | {fmt_ms(r.base_ms)} | {fmt_ms(r.new_ms)} | "
                         f"{fmt_pct(v.change_pct)} | {p} | {v.n_base}/{v.n_new} | {noise} | "
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
