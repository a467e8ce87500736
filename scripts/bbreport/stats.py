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
Samples within one run are not the whole story: a run (or a night) as a whole can sit higher or
lower than the next one (clocks, the neighbours on a shared machine). When the samples come in
groups (the repetitions of a run, or the nights of a history) the callers raise the minimum
effect to the spread between the groups' medians (`drift_pct`): a change smaller than the
run-to-run drift already seen is not attributed to the code.
Mann-Whitney compares ranks, so it assumes no distribution and one stray sample moves it little
(timings are skewed, with a long tail). With n samples a side the smallest p-value it can reach
is 2 / C(2n, n): below alpha = 0.01 that takes 5 a side, so 3 vs 3 can never be SLOWER.
"""
import math
from dataclasses import dataclass

from scipy.stats import mannwhitneyu, norm

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
    needed: int | None          # samples per side that would settle an UNSURE


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
