"""The answer a reader comes for, per layout: which strategy wins, by how much over
`reference`, how close to the floor, how long its collectives wait on peers, and the launch skew.

A strategy's speedup on one config is the round-trip median of the `reference` whose key differs
only in the strategy (keys.speedups: same layout, shape, memory order, dtype, NCCL path,
contention, mode and cadence) over its own. A strategy is named with each of those run settings
that varies in its results file (keys.variant_label: "fused · nccl_path=zero-cta"); across the shapes of a layout it is summarised by the geometric
mean (the right mean for ratios: 2x faster then 2x slower averages to 1x) with the range. Nothing
is capped: a floor ratio above 1 is printed as it is (the run beat the floor model there)."""
import math
from collections import OrderedDict
from dataclasses import dataclass, field

from . import keys
from .overview import match_collective
from .schema import (bare_median_ms, is_comm, is_num, launch_skew_ms, layout_label, phase_table,
                     total_floor_ratio)

REFERENCE = keys.REFERENCE


def geomean(xs):
    xs = [x for x in xs if is_num(x) and x > 0]
    return math.exp(sum(map(math.log, xs)) / len(xs)) if xs else None


def _median(xs):
    xs = sorted(x for x in xs if is_num(x))
    if not xs:
        return None
    n = len(xs)
    return xs[n // 2] if n % 2 else 0.5 * (xs[n // 2 - 1] + xs[n // 2])


@dataclass
class LayoutVerdict:
    run: int
    layout: str
    label: str                                    # TP2·DP4 → TP2·CP2·DP2
    strategies: list                              # labels, in order of appearance
    bases: dict = field(default_factory=dict)     # label -> the strategy it names
    speedups: dict = field(default_factory=dict)  # strategy -> [speedup per shape point]
    floor_ratios: dict = field(default_factory=dict)  # strategy -> [total floor ratio]
    skews: dict = field(default_factory=dict)     # strategy -> [(phase - bare) / bare, %]
    launch_skews: dict = field(default_factory=dict)  # strategy -> [(median, max) launch skew, ms]
    rows: dict = field(default_factory=dict)      # (mem, dtype) -> strategy -> [speedups]

    def geo(self, strategy):
        return geomean(self.speedups.get(strategy, []))

    @property
    def winner(self):
        scored = [(self.geo(s), s) for s in self.strategies if self.geo(s) is not None]
        return max(scored)[1] if scored else None


def layout_verdicts(runs):
    """[LayoutVerdict], one per (results file, layout), in order of appearance."""
    out = OrderedDict()
    for i, (_, d) in enumerate(runs):
        table = phase_table(d)
        shown = keys.varying(d["configs"])
        for c, speedup in zip(d["configs"], keys.speedups(d["configs"])):
            key = (i, c.get("layout"))
            if key not in out:
                out[key] = LayoutVerdict(i, c.get("layout"), layout_label(c), [])
            v = out[key]
            ck = keys.key_of(c)
            st = keys.variant_label(ck, shown)
            if st not in v.strategies:
                v.strategies.append(st)
                v.bases[st] = ck.get("strategy")
            if is_num(speedup):
                v.speedups.setdefault(st, []).append(speedup)
                v.rows.setdefault((ck.get("mem"), ck.get("dtype")), {}).setdefault(
                    st, []).append(speedup)
            med, mx = launch_skew_ms(c)
            if is_num(med) and is_num(mx):
                v.launch_skews.setdefault(st, []).append((med, mx))
            r = total_floor_ratio(c)
            if is_num(r):
                v.floor_ratios.setdefault(st, []).append(r)
            for ph in c.get("phases", []):
                if not is_comm(ph, table):
                    continue
                bare = match_collective(c, ph, d.get("collectives") or [])
                pm, bm = ph.get("median_ms"), bare_median_ms(bare or {})
                if is_num(pm) and is_num(bm) and bm > 0:
                    v.skews.setdefault(st, []).append((pm - bm) / bm * 100)
    return list(out.values())


def verdict_line(v, multi_run=False):
    """One line: winner, its speedup over reference (geo-mean, range, shapes), its floor ratio
    (median, max), and its collectives' wait over the bare collective where measured."""
    prefix = f"[{v.run + 1}] " if multi_run else ""
    head = f"{prefix}**{v.layout}** ({v.label}): "
    w = v.winner
    if w is None:
        return head + "no `reference` config to compare against; see the tables below."
    sp = v.speedups[w]

    def is_ref(s):
        return v.bases.get(s, s) == REFERENCE
    # A variant's speedup is over the reference of the same variant (same path, contention...).
    over = f"`{REFERENCE}`" if w == v.bases.get(w, w) else f"`{REFERENCE}` at the same path and settings"
    if all(is_ref(s) for s in v.strategies):
        text = head + f"only `{REFERENCE}` measured ({len(sp)} shape{'s' if len(sp) != 1 else ''})"
    elif is_ref(w):
        others = ", ".join(f"{s} {v.geo(s):.2f}x" for s in v.strategies
                           if not is_ref(s) and v.geo(s) is not None)
        text = head + f"**{REFERENCE}** is fastest (others: {others}; geo-mean over shapes)"
    else:
        text = head + (f"**{w}** wins, **{v.geo(w):.2f}x** over {over} (geo-mean of "
                       f"{len(sp)} shapes, {min(sp):.2f}–{max(sp):.2f}x)")
    fr = v.floor_ratios.get(w, [])
    if fr:
        text += f"; floor ratio {_median(fr):.2f} (max {max(fr):.2f})"
    sk = v.skews.get(w, [])
    if sk:
        text += f"; collective phases {_median(sk):+.0f}% over the same collective alone"
    ls = v.launch_skews.get(w, [])
    if ls:
        text += (f"; launch skew median {_median([m for m, _ in ls]):.3f} ms, "
                 f"max {max(x for _, x in ls):.3f} ms")
    return text + "."
