"""The one statistical rule every comparison uses (compare.py, history.py check).

Two sets of raw timing samples (BASE, NEW) get one verdict:
  SLOWER / FASTER  the Mann-Whitney U test (two-sided, scipy) rejects "same distribution" at
                   `alpha` AND the median moved by at least `min_effect_pct`: a real change that
                   is also big enough to matter;
  SAME             either the change is significant but smaller than the minimum effect, or it
                   is not significant although the samples are enough to see a change of the
                   minimum effect at this noise (so "no change" is an answer, not a shrug);
  UNSURE           not significant and too few samples to tell: `needed` says how many per side
                   would detect a `min_effect_pct` change at the observed noise.
Samples within one run are not the whole story: a run (or a night) as a whole sits higher or
lower than the next one (clocks, the neighbours on a shared machine: an A/A pair of host runs
on a loaded 2-core machine differed by +11% to +16% with every sample-level test significant).
The samples of one run are not independent of each other in that respect; its repetitions
(`--benchmark_repetitions`, interleaved with `--benchmark_enable_random_interleaving`) and the
runs of a history are. So when both sides come in such groups, `decide_groups` judges the
change between the groups' medians (Welch's t-test on their logarithms: a multiplicative
run-to-run effect) instead of between the samples; with one group a side there is no measure
of the run-to-run variation, and the sample test is used with the minimum effect raised to the
A/A noise floor where one is known (`--noise-floor-pct`, or the history's calibration) and to
the drift between the repetitions' medians where a side has several (`drift_pct`).
Mann-Whitney compares ranks, so it assumes no distribution and one stray sample moves it little
(timings are skewed, with a long tail). With n samples a side the smallest p-value it can reach
is 2 / C(2n, n): below alpha = 0.01 that takes 5 a side, so 3 vs 3 can never be SLOWER.
"""
import math
from dataclasses import dataclass

from scipy.stats import mannwhitneyu, norm, t as student_t, ttest_ind

ALPHA = 0.01            # per test: a report tests hundreds of (config, phase) pairs
MIN_EFFECT_PCT = 2.0    # below this a median change is not worth a verdict
POWER = 0.8             # for `needed`: chance of catching a change of exactly MIN_EFFECT_PCT
# Mann-Whitney's asymptotic relative efficiency against the t-test on normal data is 3/pi:
# it needs pi/3 times the samples the t-test formula gives.
MWU_EFFICIENCY = math.pi / 3

SAME, FASTER, SLOWER, UNSURE = "SAME", "FASTER", "SLOWER", "UNSURE"


@dataclass
class Verdict:
    verdict: str
    change_pct: float | None    # (new median - base median) / base median
    p_value: float | None
    n_base: int
    n_new: int
    noise_pct: float | None     # robust relative spread (MAD-based sigma), larger side
    needed: int | None          # samples (groups: repetitions or runs) a side to settle UNSURE
    groups: tuple | None = None  # (base, new) repetitions or runs when judged between them


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


def robust_sigma_pct(xs):
    """1.4826 * MAD / median in percent: the standard deviation for normal data, and a single
    outlier cannot inflate it."""
    m = median(xs)
    if len(xs) < 2 or m <= 0:
        return None
    return 1.4826 * median([abs(x - m) for x in xs]) / m * 100.0


def drift_pct(groups):
    """Range of the groups' medians over their median, in percent; 0 with fewer than 2 groups."""
    meds = [median(g) for g in groups if g]
    if len(meds) < 2 or median(meds) <= 0:
        return 0.0
    return (max(meds) - min(meds)) / median(meds) * 100.0


def min_samples_for_alpha(alpha):
    """Smallest n a side at which Mann-Whitney can reach p < alpha at all (two-sided)."""
    n = 1
    while 2.0 / math.comb(2 * n, n) >= alpha:
        n += 1
    return n


def samples_needed(sigma_pct, min_effect_pct, alpha=ALPHA, power=POWER):
    """Per side, to detect a shift of min_effect_pct at relative noise sigma_pct."""
    floor_n = min_samples_for_alpha(alpha)
    if not sigma_pct or min_effect_pct <= 0:
        return floor_n
    z = norm.ppf(1 - alpha / 2) + norm.ppf(power)
    n = MWU_EFFICIENCY * 2 * (z * sigma_pct / min_effect_pct) ** 2
    return max(floor_n, math.ceil(n))


def decide(base, new, alpha=ALPHA, min_effect_pct=MIN_EFFECT_PCT):
    """base, new: lists of positive sample times (any unit, the same on both sides)."""
    nb, nn = len(base), len(new)
    if nb == 0 or nn == 0:
        return Verdict(UNSURE, None, None, nb, nn, None, min_samples_for_alpha(alpha))
    mb, mn = median(base), median(new)
    change = (mn - mb) / mb * 100.0
    sigmas = [s for s in (robust_sigma_pct(base), robust_sigma_pct(new)) if s is not None]
    noise = max(sigmas) if sigmas else None
    if min(nb, nn) < 2:
        p = None
    else:
        p = float(mannwhitneyu(base, new, alternative="two-sided").pvalue)
        if math.isnan(p):   # every sample on both sides identical: nothing differs
            p = 1.0
    needed = samples_needed(noise, min_effect_pct, alpha)
    if p is not None and p < alpha:
        if abs(change) >= min_effect_pct:
            return Verdict(SLOWER if change > 0 else FASTER, change, p, nb, nn, noise, None)
        return Verdict(SAME, change, p, nb, nn, noise, None)
    if p is not None and min(nb, nn) >= needed:
        return Verdict(SAME, change, p, nb, nn, noise, None)
    return Verdict(UNSURE, change, p, nb, nn, noise, needed)


def _log_sd_pct(xs):
    """Sample standard deviation of log(xs), in percent (a relative spread)."""
    logs = [math.log(x) for x in xs]
    mean = sum(logs) / len(logs)
    return math.sqrt(sum((v - mean) ** 2 for v in logs) / (len(logs) - 1)) * 100.0


def welch_log_p(base, new):
    """Two-sided p-value of Welch's t-test on log(base) against log(new): the groups' medians
    (one per repetition or run) as independent samples of a multiplicative effect."""
    lb, ln = [math.log(x) for x in base], [math.log(x) for x in new]
    if max(lb) - min(lb) == 0 and max(ln) - min(ln) == 0:   # no spread on either side
        return 1.0 if lb[0] == ln[0] else 0.0
    p = float(ttest_ind(lb, ln, equal_var=False).pvalue)
    return 1.0 if math.isnan(p) else p


def groups_needed(sd_pct, min_effect_pct, alpha=ALPHA, power=POWER):
    """Groups (repetitions or runs) a side for a two-sample test to see min_effect_pct."""
    if not sd_pct or min_effect_pct <= 0:
        return 2
    z = norm.ppf(1 - alpha / 2) + norm.ppf(power)
    return max(2, math.ceil(2 * (z * sd_pct / min_effect_pct) ** 2) + 1)


def decide_groups(base, new, base_groups, new_groups, alpha=ALPHA,
                  min_effect_pct=MIN_EFFECT_PCT):
    """The verdict between runs: base, new are every sample (the change is their medians'),
    base_groups, new_groups one median per repetition (or run), at least 2 a side. SLOWER /
    FASTER: Welch's test on the groups rejects at `alpha` and the change is at least
    `min_effect_pct`; SAME: smaller, or enough groups to see that effect and none seen;
    UNSURE: too few groups (`needed` a side)."""
    mb, mn = median(base), median(new)
    change = (mn - mb) / mb * 100.0
    groups = (len(base_groups), len(new_groups))
    sd = max(_log_sd_pct(base_groups), _log_sd_pct(new_groups))
    p = welch_log_p(base_groups, new_groups)
    needed = groups_needed(sd, min_effect_pct, alpha)
    verdict, needs = UNSURE, needed
    if p < alpha:
        verdict = (SLOWER if change > 0 else FASTER) if abs(change) >= min_effect_pct else SAME
        needs = None
    elif min(groups) >= needed:
        verdict, needs = SAME, None
    return Verdict(verdict, change, p, len(base), len(new), sd, needs, groups)


def median_sd_pct(rep_medians):
    """How uncertain one run's median is by its own repetitions: the log-sd of their medians
    over sqrt(k), in percent; 0 with fewer than 2. However alike earlier runs happened to be,
    a run's median varies at least this much from run to run."""
    xs = [x for x in rep_medians if x and x > 0]
    return _log_sd_pct(xs) / math.sqrt(len(xs)) if len(xs) >= 2 else 0.0


def _prediction_sd(sd, n, base_within_pct, new_within_pct):
    """The spread (log %) one more run's median is judged against: the earlier runs' spread,
    at least what their own repetitions imply, over n; plus the new run's own, at least that."""
    sd = max(sd, base_within_pct)
    return sd, math.sqrt(sd * sd / n + max(sd, new_within_pct) ** 2)


def prediction_p(base_units, new_unit, base_within_pct=0.0, new_within_pct=0.0):
    """Two-sided p-value of one new run's median against earlier runs' medians (logs): how
    unusual it is as one more draw from them, t = (x - mean) / (sd * sqrt(1 + 1/n)), n - 1
    degrees of freedom. base_units: 2 or more. base_within_pct, new_within_pct
    (median_sd_pct): the run-to-run sd is taken as at least what a run's repetitions imply
    (a few earlier runs can agree by chance: A/A on an H100, four runs within 1.2% and the
    fifth +4.9% with repetitions +-6.5% apart), and the new run's draw as at least its own."""
    logs = [math.log(x) for x in base_units]
    n = len(logs)
    mean = sum(logs) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in logs) / (n - 1)) * 100.0
    x = math.log(new_unit)
    _, scale = _prediction_sd(sd, n, base_within_pct, new_within_pct)
    if scale == 0:
        return 1.0 if x == mean else 0.0
    t = (x - mean) * 100.0 / scale
    return float(2 * student_t.sf(abs(t), n - 1))


def decide_runs(base, new, base_runs, new_run, alpha=ALPHA, min_effect_pct=MIN_EFFECT_PCT,
                within=(0.0, 0.0)):
    """The newest run against earlier runs, each run one independent sample (its median):
    base, new every sample (the change is their medians'), base_runs the earlier runs'
    medians (2 or more), new_run the newest run's; within: the sd of a base run's and of the
    new run's median implied by their repetitions (median_sd_pct; prediction_p). SLOWER /
    FASTER: the newest run's median is outside what the earlier runs vary by (prediction_p <
    alpha) and the change is at least `min_effect_pct`; SAME: smaller, or the runs vary little
    enough that such a change would have shown; UNSURE: the run-to-run spread hides a change
    of that size (`needed`: runs that would settle it, 0 when no number of earlier runs can at
    this spread)."""
    mb, mn = median(base), median(new)
    change = (mn - mb) / mb * 100.0
    n = len(base_runs)
    sd, scale = _prediction_sd(_log_sd_pct(base_runs), n, *within)
    p = prediction_p(base_runs, new_run, *within)
    groups = (n, 1)
    if p < alpha:
        verdict = (SLOWER if change > 0 else FASTER) if abs(change) >= min_effect_pct else SAME
        return Verdict(verdict, change, p, len(base), len(new), sd, None, groups)
    z = norm.ppf(1 - alpha / 2) + norm.ppf(POWER)
    seen = z * scale    # the change these runs would show, at that power
    if seen <= min_effect_pct:
        return Verdict(SAME, change, p, len(base), len(new), sd, None, groups)
    # More earlier runs shrink only the sd^2/n term; the new run's own part stays.
    room = (min_effect_pct / z) ** 2 - max(sd, within[1]) ** 2
    needed = math.ceil(sd * sd / room) if room > 0 else 0
    return Verdict(UNSURE, change, p, len(base), len(new), sd, needed, groups)


def flag_errors(alpha, min_effect_pct, noise_floor_pct=0.0):
    """Why the statistical flags are unusable (one line, rule bad_flag), or None. alpha 0 or 1
    makes every verdict or none; NaN compares false everywhere; a negative effect is none."""
    if not (math.isfinite(alpha) and 0 < alpha < 1):
        return f"--alpha is {alpha:g}; a significance level is a number above 0 and below 1"
    for flag, value in (("--min-effect-pct", min_effect_pct),
                        ("--noise-floor-pct", noise_floor_pct)):
        if not (math.isfinite(value) and value >= 0):
            return f"{flag} is {value:g}; a percentage of the base median, 0 or more"
    return None
