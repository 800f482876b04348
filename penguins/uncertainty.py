"""The one Student-t interval of a mean over seeds that the summaries, the plots and the ledger use."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

# Student's t quantile from scipy.special (what scipy.stats.t.ppf computes): scipy.stats takes
# 1.3 s to import, and the commands and pages that only summarise seeds need nothing else of it.
from scipy.special import stdtrit

CONFIDENCE = 0.95


def mean_interval(
    values: Iterable[float],
    confidence: float = CONFIDENCE,
    comparisons: int = 1,
    bounds: tuple[float, float] | None = None,
) -> tuple[float, float, float]:
    """(mean, low, high): a Student-t interval of the mean of per-seed ``values``.

    ``comparisons`` > 1 widens it (Bonferroni: each of that many intervals at ``confidence /
    comparisons`` of the error). ``bounds`` clips it to where a value can lie (an accuracy: [0, 1];
    with few seeds the t-interval is wide and would otherwise claim impossible values). With fewer
    than two values there is no spread to go on: low and high are NaN.
    """
    array = np.asarray(list(values), dtype=float)
    n = len(array)
    mean = float(array.mean()) if n else math.nan
    if n < 2:
        return mean, math.nan, math.nan
    alpha = (1 - confidence) / comparisons
    half = float(stdtrit(n - 1, 1 - alpha / 2) * array.std(ddof=1) / math.sqrt(n))
    low, high = mean - half, mean + half
    if bounds is not None:
        low, high = max(low, bounds[0]), min(high, bounds[1])
    return mean, low, high
