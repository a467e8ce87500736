"""Base-vs-new comparison of two results documents, config by config (matched on `id`).

A change in a median counts only when it is larger than BOTH
  * the threshold (percent of the base median), and
  * the noise: the larger of the two sides' relative spreads, where a side's spread is
    (p90 - p10) / median of its samples_ms (falling back to (max - min) / median when there are
    fewer than 5 samples). The 10-90 percentile band ignores one stray sample either way, so a
    single hiccup does not mask a real regression, yet a genuinely noisy config must move by
    more than its own scatter before it is called.
Anything else is "noise". A config that failed in NEW but not in BASE is also a regression.
"""
from dataclasses import dataclass, field

import numpy as np

from .schema import DASH, PHASES, fmt_ms, fmt_pct, is_num

TOTAL = "TOTAL"


def spread_pct(stats):
    """Relative spread of one Stats object in percent of its median; None if unknown."""
    med = stats.get("median_ms")
    if not is_num(med) or med <= 0:
        return None
    samples = [s for s in stats.get("samples_ms") or [] if is_num(s)]
    if len(samples) >= 5:
        lo, hi = np.percentile(samples, [10, 90])
    elif len(samples) >= 2:
        lo, hi = min(samples), max(samples)
    elif is_num(stats.get("min_ms")) and is_num(stats.get("max_ms")):
        lo, hi = stats["min_ms"], stats["max_ms"]
    else:
        return None
    return float(hi - lo) / med * 100.0


@dataclass
class Row:
    id: str
    phase: str
    base_ms: float
    new_ms: float
    change_pct: float | None
    noise_pct: float | None
    verdict: str           # improved | regressed | noise | n/a


def judge(base, new, threshold_pct):
    b, n = base.get("median_ms"), new.get("median_ms")
    if not (is_num(b) and is_num(n)) or b <= 0:
        return None, None, "n/a"
    change = (n - b) / b * 100.0
    spreads = [s for s in (spread_pct(base), spread_pct(new)) if s is not None]
    noise = max(spreads) if spreads else 0.0
    if abs(change) <= threshold_pct or abs(change) <= noise:
        return change, noise, "noise"
    return change, noise, "regressed" if change > 0 else "improved"


@dataclass
class Comparison:
    threshold_pct: float
    rows: list = field(default_factory=list)
    only_base: list = field(default_factory=list)
    only_new: list = field(default_factory=list)
    new_failures: list = field(default_factory=list)   # (id, rule, error)
    phase_mismatch: list = field(default_factory=list)  # (id, phase, "base"|"new")

    @property
    def regressions(self):
        return [r for r in self.rows if r.verdict == "regressed"]

    @property
    def improvements(self):
        return [r for r in self.rows if r.verdict == "improved"]


def _phase_order(name):
    return PHASES.index(name) if name in PHASES else len(PHASES)


def compare(base_doc, new_doc, threshold_pct=5.0):
    out = Comparison(threshold_pct)
    base = {c["id"]: c for c in base_doc["configs"]}
    new = {c["id"]: c for c in new_doc["configs"]}
    out.only_base = [i for i in base if i not in new]
    out.only_new = [i for i in new if i not in base]
    for cid in (i for i in base if i in new):
        b, n = base[cid], new[cid]
        out.rows.append(Row(cid, TOTAL, b["total"].get("median_ms"), n["total"].get("median_ms"),
                            *judge(b["total"], n["total"], threshold_pct)))
        bp = {p["name"]: p for p in b.get("phases", [])}
        np_ = {p["name"]: p for p in n.get("phases", [])}
        for name in sorted(set(bp) | set(np_), key=lambda x: (_phase_order(x), x)):
            if name not in np_ or name not in bp:
                out.phase_mismatch.append((cid, name, "base" if name in bp else "new"))
                continue
            out.rows.append(Row(cid, name, bp[name].get("median_ms"), np_[name].get("median_ms"),
                                *judge(bp[name], np_[name], threshold_pct)))
    old_fail = {f.get("id") for f in base_doc["failures"]}
    out.new_failures = [(f.get("id"), f.get("rule"), f.get("error", ""))
                        for f in new_doc["failures"] if f.get("id") not in old_fail]
    return out


def to_markdown(cmp, base_name, new_name, all_rows=True):
    lines = ["# bridgebench comparison", "",
             f"base: `{base_name}`, new: `{new_name}`; a change counts when it exceeds "
             f"{cmp.threshold_pct:g}% and the noise (larger 10-90 percentile spread of the two "
             f"sides' samples, in % of the median).", "",
             f"**{len(cmp.regressions)} regressed, {len(cmp.improvements)} improved**, "
             f"{len(cmp.new_failures)} new failures, {len(cmp.only_base)} configs only in base, "
             f"{len(cmp.only_new)} only in new.", ""]
    shown = cmp.rows if all_rows else [r for r in cmp.rows if r.verdict != "noise"]
    if shown:
        lines += ["| id | phase | base ms | new ms | change | noise | verdict |",
                  "|---|---|---:|---:|---:|---:|---|"]
        for r in shown:
            verdict = f"**{r.verdict}**" if r.verdict in ("regressed", "improved") else r.verdict
            noise = f"±{r.noise_pct:.1f}%" if is_num(r.noise_pct) else DASH
            lines.append(f"| {r.id} | {r.phase} | {fmt_ms(r.base_ms)} | {fmt_ms(r.new_ms)} | "
                         f"{fmt_pct(r.change_pct)} | {noise} | {verdict} |")
        lines.append("")
    for title, items in (("Only in base", cmp.only_base), ("Only in new", cmp.only_new)):
        if items:
            lines += [f"## {title}", ""] + [f"- `{i}`" for i in items] + [""]
    if cmp.new_failures:
        lines += ["## New failures (count as regressions)", ""]
        lines += [f"- `{i}` ({rule}): {err}" for i, rule, err in cmp.new_failures] + [""]
    if cmp.phase_mismatch:
        lines += ["## Phases present on one side only", ""]
        lines += [f"- `{i}` {p}: only in {side}" for i, p, side in cmp.phase_mismatch] + [""]
    return "\n".join(lines)
