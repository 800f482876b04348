import math

import numpy as np
import pytest
from scipy import stats

from penguins.uncertainty import mean_interval


def test_the_interval_is_students_t_of_the_mean():
    values = [0.5, 0.6, 0.7]
    half = stats.t.ppf(0.975, 2) * 0.1 / np.sqrt(3)
    assert mean_interval(values) == pytest.approx((0.6, 0.6 - half, 0.6 + half))


def test_bonferroni_widens_each_interval_to_its_share_of_the_error():
    values = [0.1, 0.4, 0.2, 0.3]
    _, low, high = mean_interval(values, comparisons=5)
    half = stats.t.ppf(1 - 0.05 / 5 / 2, 3) * np.std(values, ddof=1) / 2
    assert (low, high) == pytest.approx((0.25 - half, 0.25 + half))
    _, plain_low, plain_high = mean_interval(values)
    assert high - low > plain_high - plain_low


def test_bounds_clip_the_interval_and_one_value_has_none():
    mean, low, high = mean_interval([0.9, 1.0, 1.0], bounds=(0.0, 1.0))
    assert high == 1.0 and low < mean < 1.0
    mean, low, high = mean_interval([0.7])
    assert mean == 0.7 and math.isnan(low) and math.isnan(high)
