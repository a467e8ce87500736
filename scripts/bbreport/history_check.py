"""The nightly gate over the history, and the export for github-action-benchmark.

check: the newest run against the previous N runs of the same platform (backend, device,
world), per config and phase. Between runs, as compare.py: the previous runs' repetition
medians (each run's one median where it had one repetition) against the newest run's, when
both sides have two or more (stats.decide_groups: the night-to-night and run-to-run variation
is the noise a change must stand out of); else the pooled raw samples against the newest
run's (stats.decide), the minimum effect raised to the range of the nights' medians
(stats.drift_pct) and to the A/A noise floor (--noise-floor-pct). As in compare.py, a config
the previous run measured that the newest lacks or failed counts as a regression, and so does
a newest run that was aborted or measured nothing.

Off the model (off_model.py): each round trip or collective phase of the newest run whose
measured median is far from its own run's calibrated prediction, judged within that run alone
(no earlier run needed). Reported like FASTER and UNSURE: printed, never a failing exit."""
from dataclasses import dataclass, field

from . import history_store as store
from . import off_model, stats
from .schema import TIMING_KINDS, aborted_text, fmt_ms, fmt_pct


def aa_floor(*docs):
    """An A/A noise floor from two or more runs of the same code on one platform: the largest
    change of a round-trip median between any two of them, in percent (either direction), with
    the config it was seen on: the change this platform shows with nothing changed. More runs
    see more of it: on an H100's emulation one run of six sat 3.1-3.3% from three others while
    the first pair differed by 2.3% at most (reports/planted-h100-s7)."""
    meds = [{c["id"]: c["total"]["median_ms"] for c in d["configs"]} for d in docs]
    worst = (0.0, None)
    for i, a in enumerate(meds):
        for b in meds[i + 1:]:
            for cid in a.keys() & b.keys():
                hi, lo = max(a[cid], b[cid]), min(a[cid], b[cid])
                worst = max(worst, ((hi / lo - 1) * 100.0, cid))
    return {"pct": worst[0], "worst": worst[1]} if worst[1] else None


@dataclass
class Check:
    newest: dict | None
    previous: list = field(default_factory=list)
    floor: dict | None = None                      # the stored A/A noise floor, if any
    rows: list = field(default_factory=list)      # (config_id, phase, base_med, new_med, Verdict)
    missing: list = field(default_factory=list)   # config ids measured before, absent now
    failed: list = field(default_factory=list)    # config ids failing now, measured before
    off_model: list = field(default_factory=list)  # off_model.OffModel of the newest run

    def with_verdict(self, verdict):
        return [r for r in self.rows if r[4].verdict == verdict]

    @property
    def regressions(self):
        return self.with_verdict(stats.SLOWER)

    @property
    def aborted(self):
        return (self.newest or {}).get("aborted")

    @property
    def empty(self):
        return self.newest is not None and not self.newest["n_configs"]

    @property
    def failing(self):
        return bool(self.regressions or self.missing or self.failed or self.aborted
                    or self.empty)


def _samples(point):
    return point["samples"] or [point["median_ms"]]


def _groups(point):
    """A run's independent samples of one (config, phase): its repetitions' medians, or its
    one median."""
    return point.get("rep_medians") or [point["median_ms"]]


def judge(points, now, alpha, min_effect_pct, noise_floor_pct=0.0):
    """The verdict of the newest run's point against the previous runs' points: with two or
    more previous runs, each run is one sample (its median: the repetitions of one run share
    that run's machine state, so they are not independent of it), the spread between runs
    taken as at least what the runs' repetitions imply (stats.prediction_p); with one, its repetitions
    against the newest run's; without repetitions, the sample test."""
    base = [x for p in points for x in _samples(p)]
    effect = max(min_effect_pct, noise_floor_pct)
    if len(points) >= 2:
        # A run's median is no surer than its repetitions make it: the earlier runs' typical
        # (root mean square) and the newest run's own, a floor under the run-to-run spread.
        base_within = [stats.median_sd_pct(_groups(p)) for p in points]
        within = (sum(w * w for w in base_within) / len(base_within)) ** 0.5
        return stats.decide_runs(base, _samples(now), [p["median_ms"] for p in points],
                                 now["median_ms"], alpha, effect,
                                 (within, stats.median_sd_pct(_groups(now))))
    gb, gn = [g for p in points for g in _groups(p)], _groups(now)
    if len(gb) >= 2 and len(gn) >= 2:
        return stats.decide_groups(base, _samples(now), gb, gn, alpha, effect)
    nights = stats.drift_pct([_samples(p) for p in points])
    return stats.decide(base, _samples(now), alpha, max(effect, nights))


def check(con, previous=5, alpha=stats.ALPHA, min_effect_pct=stats.MIN_EFFECT_PCT,
          path="history", noise_floor_pct=0.0):
    all_runs = store.runs(con)
    if not all_runs:
        return Check(None)
    newest = all_runs[-1]
    prev = [r for r in all_runs[:-1] if store.same_platform(r, newest)][-previous:]
    out = Check(newest, prev, floor=store.noise_floor(con, newest))
    now = store.results(con, newest["run_id"], path)
    out.off_model = off_model.find(now)
    if not prev:
        return out
    if out.floor:
        noise_floor_pct = max(noise_floor_pct, out.floor["pct"])
    pooled = {}
    for r in prev:
        for key, point in store.results(con, r["run_id"], path).items():
            pooled.setdefault(key, []).append(point)
    phase_key = store.phase_key(now)
    for key in sorted(now, key=lambda k: (k[0], phase_key(k[1]))):
        if key not in pooled:
            continue
        v = judge(pooled[key], now[key], alpha, min_effect_pct, noise_floor_pct)
        base = [x for p in pooled[key] for x in _samples(p)]
        out.rows.append((key[0], key[1], stats.median(base), now[key]["median_ms"], v))
    last = {k[0] for k in store.results(con, prev[-1]["run_id"], path)}
    measured_now = {k[0] for k in now}
    failed_now = set(newest["failures"])
    out.failed = sorted(last & failed_now)
    out.missing = sorted(last - measured_now - failed_now)
    return out


def _run_text(r):
    return (f"run {r['run_id']} ({(r['time_utc'] or '?')[:10]}, commit {r['git_commit']}, "
            f"{r['backend']} on {r['device']}, world {r['world'] or '?'})")


def report_lines(c):
    """What `history.py check` prints: regressions first, one per line, then a summary."""
    if c.newest is None:
        return ["check: the history is empty"]
    lines = []
    if c.aborted:
        lines.append(f"REGRESSION newest run {aborted_text(c.aborted)}; only what it measured "
                     f"before is stored")
    if c.empty:
        lines.append("REGRESSION newest run: NOTHING MEASURED (no configs)")
    kind = TIMING_KINDS.get(c.newest["backend"])
    if c.newest["backend"] == "host":
        lines.append(f"check: host timings ({kind})")
    if c.floor:
        lines.append(f"check: A/A noise floor {c.floor['pct']:.1f}% on this platform (history.py "
                     f"calibrate, {(c.floor.get('time_utc') or '?')[:10]}): smaller changes are "
                     f"never SLOWER/FASTER")
    lines += [f"OFF-MODEL {f.config_id} {f.phase}: measured {fmt_ms(f.measured_ms)} ms, its run's "
              f"model predicted {fmt_ms(f.predicted_ms)} ms (error {fmt_pct(100 * f.residual)}: "
              f"{1 + f.miss:.2f}x apart, beyond {100 * f.limit:.0f}%)" for f in c.off_model]
    if c.off_model:
        lines.append(f"check: {len(c.off_model)} off the model (a number its bytes do not explain; "
                     f"not a regression)")
    if not c.previous:
        return lines + [f"check: {_run_text(c.newest)} has no earlier run on the same platform; "
                        f"nothing to compare" + (" -> REGRESSION" if c.failing else "")]
    for cid, phase, b, n, v in c.regressions:
        lines.append(f"REGRESSION {cid} {phase}: {fmt_pct(v.change_pct)} "
                     f"({fmt_ms(b)} -> {fmt_ms(n)} ms), p={v.p_value:.2g}, "
                     f"samples {v.n_base} vs {v.n_new}")
    lines += [f"REGRESSION {cid}: failed in the newest run" for cid in c.failed]
    lines += [f"REGRESSION {cid}: measured before, missing in the newest run"
              for cid in c.missing]
    counts = {k: len(c.with_verdict(k))
              for k in (stats.SLOWER, stats.FASTER, stats.SAME, stats.UNSURE)}
    between = sum(1 for r in c.rows if r[4].groups)
    lines.append(f"check: newest {_run_text(c.newest)} vs the {len(c.previous)} previous run(s) "
                 f"on that platform ({between} of {len(c.rows)} judged between runs' "
                 f"repetitions): {counts['SLOWER']} SLOWER, {counts['FASTER']} FASTER, "
                 f"{counts['SAME']} SAME, {counts['UNSURE']} UNSURE, {len(c.failed)} newly "
                 f"failed, {len(c.missing)} missing -> "
                 + ("REGRESSION" if c.failing else "ok"))
    return lines


def export_benchmark_action(con, run_id=None, phases=False, path="history"):
    """github-action-benchmark's `customSmallerIsBetter` input: a JSON list of
    {name, unit, value, range, extra}, one per config (and per phase with phases=True)."""
    all_runs = store.runs(con)
    if not all_runs:
        return []
    run = all_runs[-1] if run_id is None else next((r for r in all_runs if r["run_id"] == run_id),
                                                  None)
    if run is None:
        raise store.HistoryError(f"{path}: no run {run_id}")
    out = []
    points = store.results(con, run["run_id"], path)
    phase_key = store.phase_key(points)
    for (cid, phase) in sorted(points, key=lambda k: (k[0], phase_key(k[1]))):
        if phase != store.TOTAL and not phases:
            continue
        p = points[(cid, phase)]
        sigma = stats.robust_sigma_pct(p["samples"]) if len(p["samples"]) > 1 else None
        entry = {"name": cid if phase == store.TOTAL else f"{cid} {phase}", "unit": "ms",
                 "value": round(p["median_ms"], 6)}
        if sigma is not None:
            entry["range"] = f"± {sigma / 100 * p['median_ms']:.6f}"
        entry["extra"] = (f"commit {run['git_commit']}; {run['backend']} on {run['device']}, "
                          f"world {run['world'] or '?'}; {len(p['samples'])} samples"
                          + (f"; floor ratio {p['floor_ratio']:.3f}"
                             if p["floor_ratio"] is not None else ""))
        out.append(entry)
    return out
