"""The "off the model" finding of `history.py check` (issue 22): a round trip or collective phase
of the newest run whose measured median is far from what that run's own cost model predicted
(the results JSON's calibrated "predicted", kept per row by the history store), judged against
the row's own spread: a number its bytes do not explain. Not a regression: it names no change
between runs (docs/cost-model.md, "Off the model")."""
from dataclasses import dataclass

from .schema import is_num
from .stats import median

TOLERANCE = 0.25     # the 90th-percentile goal per round trip and collective phase
SPREAD_K = 3.0       # a residual inside 3 x the row's IQR / median is the row's own noise


def spread(samples):
    """Interquartile range over median of one row's samples (0 with fewer than 4)."""
    s = sorted(samples)
    if len(s) < 4 or median(s) <= 0:
        return 0.0
    q1, q3 = median(s[:len(s) // 2]), median(s[(len(s) + 1) // 2:])
    return (q3 - q1) / median(s)


@dataclass
class OffModel:
    config_id: str
    phase: str
    predicted_ms: float
    measured_ms: float
    residual: float      # predicted / measured - 1, as the results JSON's "residual"
    miss: float          # max / min of the two, minus 1: what the limit is compared with
    limit: float         # max(TOLERANCE, SPREAD_K x spread) it went past


def judge(point, tolerance=TOLERANCE, k=SPREAD_K):
    """An OffModel for one stored row (history_store.results()), or None: none without a
    positive prediction (older runs, uncalibrated or unpriced configs, a config the model
    says moves nothing) or inside the limit."""
    pred, meas = point.get("predicted_ms"), point["median_ms"]
    if not is_num(pred) or pred <= 0 or not is_num(meas) or meas <= 0:
        return None
    residual = pred / meas - 1
    # The miss is the ratio either way: measured 10x its prediction is a 900% miss, not the
    # residual's -90% (which can never pass a limit of 100% or more, as a noisy row's can be).
    miss = max(pred, meas) / min(pred, meas) - 1
    limit = max(tolerance, k * spread(point["samples"]))
    if miss <= limit:
        return None
    return OffModel(point["config_id"], point["phase"], pred, meas, residual, miss, limit)


def find(points):
    """The OffModel findings of one run's rows ({(config_id, phase): row}), in the rows' order."""
    return [f for f in map(judge, points.values()) if f is not None]
