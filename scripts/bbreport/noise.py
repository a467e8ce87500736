"""What the report's times are and how far to trust them, for its first screen: the kind of
timing (host simulation, emulation, NCCL), how many iterations and repetitions each figure
rests on, their spread (interquartile range over the median), and the figures the noise
dominates: a config whose slowest sample is far above its median (a stall, a neighbour on a
shared machine), and a strategy comparison whose difference is inside the spread of either
side (the ranking there is noise, not a result)."""
from .schema import fmt_ms, is_num, timing_kind, transport_warnings

SKEW_FACTOR = 3.0         # max sample above this many medians: a stall dominates the tail
LAUNCH_SKEW_FACTOR = 10.0  # launch skew max over its median: one iteration far off the rest


def quartiles(xs):
    """(q1, median, q3) by linear interpolation; None without samples."""
    s = sorted(x for x in xs if is_num(x))
    if not s:
        return None

    def q(p):
        k = (len(s) - 1) * p
        lo = int(k)
        hi = min(lo + 1, len(s) - 1)
        return s[lo] + (s[hi] - s[lo]) * (k - lo)
    return q(0.25), q(0.5), q(0.75)


def iqr_pct(stats):
    """The interquartile range of a Stats object's samples over its median, in percent."""
    q = quartiles(stats.get("samples_ms") or [])
    if q is None or q[1] <= 0:
        return None
    return (q[2] - q[0]) / q[1] * 100.0


def _med(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if xs else None


def _counts(configs):
    """"20 iterations after 3 warm-up, 5 repetitions" (ranges where configs differ)."""
    def span(key, default=None):
        vals = sorted({c.get(key, default) for c in configs if is_num(c.get(key, default))})
        if not vals:
            return "?"
        return str(vals[0]) if len(vals) == 1 else f"{vals[0]}–{vals[-1]}"
    reps = span("repetitions", 1)
    samples = sorted({len((c.get("total") or {}).get("samples_ms") or []) for c in configs})
    n = (f"{samples[0]}" if len(samples) == 1 else f"{samples[0]}–{samples[-1]}") if samples \
        else "?"
    return (f"{span('iterations')} iterations after {span('warmup')} warm-up, "
            f"{reps} repetition(s): {n} samples per figure")


def timing_line(runs, labelled):
    """One line: what the times are, what each rests on, and the spread over the configs."""
    docs = [d for _, d in runs]
    text = f"**Times:** {timing_kind(docs)}."
    for w in transport_warnings(docs):
        text += f" **Warning:** {w}."
    configs = [c for _, c in labelled]
    if not configs:
        return text
    text += f" Each config's figure is the median of {_counts(configs)}."
    spreads = [(iqr_pct(c["total"]), label) for label, c in labelled]
    spreads = sorted((s, label) for s, label in spreads if s is not None)
    if spreads:
        worst = spreads[-1]
        text += (f" Spread (interquartile range over the median, round trip): "
                 f"{_med([s for s, _ in spreads]):.1f}% for the median config, up to "
                 f"{worst[0]:.1f}% (`{worst[1]}`).")
    return text


def _group_key(run, cfg):
    s = cfg.get("shape") or {}
    return (run, cfg.get("layout"), s.get("b"), s.get("s"), s.get("h"), s.get("mem"),
            s.get("dtype"), cfg.get("mode", "timed"))


def noise_flags(runs, labelled):
    """[text] of the figures noise dominates (empty: none seen)."""
    out = []
    stalls = [(c["total"]["max_ms"] / c["total"]["median_ms"], label) for label, c in labelled
              if is_num(c["total"].get("max_ms")) and c["total"]["median_ms"] > 0
              and c["total"]["max_ms"] > SKEW_FACTOR * c["total"]["median_ms"]]
    if stalls:
        worst = max(stalls)
        out.append(f"{len(stalls)} of {len(labelled)} configs have a slowest sample above "
                   f"{SKEW_FACTOR:g}× their median (up to {worst[0]:.1f}×, `{worst[1]}`): "
                   f"stalls in the tail; read medians, not means or maxima")
    skews = [(c.get("launch_skew") or {}) for _, c in labelled]
    far = [s for s in skews if is_num(s.get("median_ms")) and is_num(s.get("max_ms"))
           and s["median_ms"] > 0 and s["max_ms"] > LAUNCH_SKEW_FACTOR * s["median_ms"]]
    if far:
        worst = max(far, key=lambda s: s["max_ms"])
        out.append(f"{len(far)} configs have a launch skew max above {LAUNCH_SKEW_FACTOR:g}× "
                   f"its median (up to {fmt_ms(worst['max_ms'])} ms against "
                   f"{fmt_ms(worst['median_ms'])} ms): single iterations far off the rest")
    groups = {}
    for i, (_, d) in enumerate(runs):
        for c in d["configs"]:
            groups.setdefault(_group_key(i, c), []).append(c)
    inside, compared = [], 0
    for cfgs in groups.values():
        if len(cfgs) < 2:
            continue
        compared += 1
        meds = sorted(((c["total"]["median_ms"], c) for c in cfgs), key=lambda m: m[0])
        diff = (meds[1][0] - meds[0][0]) / meds[0][0] * 100.0
        spread = max((iqr_pct(c["total"]) or 0.0) for _, c in meds[:2])
        if spread > diff:
            inside.append((spread, diff, meds[0][1].get("id")))
    if inside:
        spread, diff, cid = max(inside)
        out.append(f"{len(inside)} of {compared} strategy comparisons differ by less than the "
                   f"spread of their samples (e.g. `{cid}`: best two {diff:.1f}% apart, spread "
                   f"{spread:.1f}%): their ranking is noise")
    return out
