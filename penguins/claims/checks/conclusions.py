"""Checks of the post's conclusions and decisions: what its experiments show, weighed over our seeds, paired by seed."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np
import pandas as pd

from penguins.claims import rules
from penguins.claims.checks.registry import (
    BALANCED,
    BATCH_LIMIT,
    BIG_GAIN,
    EXTREME,
    FINE,
    JUMP,
    MATCH,
    MIN_TREND_POINTS,
    NETWORK_RUNS,
    WIDTH_PLATEAU,
    check,
    examples,
    one_penguin,
    paired,
)
from penguins.claims.evidence import Evidence
from penguins.claims.rules import NotCheckable, Verdict


@check("two-hidden-layers-jump", needs=("basic-networks",), JUMP=JUMP)
def _jump(evidence: Evidence) -> Verdict:
    """At least (rules.at_least, {JUMP}): the paired per-seed test accuracy of two hidden layers
    minus one hidden layer is surely above {JUMP} (reproduced) or surely below it (not reproduced).
    """
    wide = evidence.wide("basic-networks")
    for run in ("hidden-1", "hidden-2"):
        if run not in wide:
            raise evidence.missing("basic-networks", "hidden-1 and hidden-2", run)
    return rules.at_least(
        paired(wide, "hidden-1", "hidden-2"),
        JUMP,
        "test-accuracy gain of 2 hidden layers over 1",
        one_penguin(evidence),
    )


def _deeper_than_two(evidence: Evidence) -> list[int]:
    values = evidence.values("depth")
    deeper = [depth for depth in values if depth >= 3]
    if 2 not in values or not deeper:
        absent = ", ".join(
            part for part, missing in (("depth 2", 2 not in values), ("a depth >= 3", not deeper)) if missing
        )
        raise evidence.missing("depth", "depth 2 and at least one depth >= 3", absent)
    return deeper


@check("depth-no-gain-beyond-2", needs=("depth",), BIG_GAIN=BIG_GAIN)
def _depth(evidence: Evidence) -> Verdict:
    """No gain beyond (rules.no_gain_beyond, {BIG_GAIN}) of any depth >= 3 over depth 2, paired per
    seed: reproduced if every gain is surely below {BIG_GAIN}, not reproduced if one is surely above
    it after Holm's correction over the depths.
    """
    wide = evidence.wide("depth")
    gains = {depth: paired(wide, 2, depth) for depth in _deeper_than_two(evidence)}
    return rules.no_gain_beyond(gains, BIG_GAIN, "test accuracy of depth d over depth 2", one_penguin(evidence))


@check("fix-two-layers", needs=("depth",), BIG_GAIN=BIG_GAIN)
def _two_not_one(evidence: Evidence) -> Verdict:
    """At least (rules.at_least, {BIG_GAIN}): two hidden layers beat one by at least {BIG_GAIN}
    in paired per-seed test accuracy, so one layer would not do.
    """
    wide = evidence.wide("depth")
    if 1 not in wide or 2 not in wide:
        raise evidence.missing("depth", "depths 1 and 2", "depth 1 or 2")
    return rules.at_least(
        paired(wide, 1, 2), BIG_GAIN, "test-accuracy gain of depth 2 over depth 1", one_penguin(evidence)
    )


def _widths(evidence: Evidence) -> pd.DataFrame:
    wide = evidence.wide("width")
    if wide.shape[1] < MIN_TREND_POINTS:
        raise evidence.missing(
            "width", f"at least {MIN_TREND_POINTS} widths", f"{MIN_TREND_POINTS - wide.shape[1]} more"
        )
    return wide


@check("width-accuracy-rises", needs=("width",), MIN=MIN_TREND_POINTS)
def _width_rises(evidence: Evidence) -> Verdict:
    """Trend (rules.trend): Kendall τ between nodes and test accuracy within each seed, a one-sided
    t-test of the seeds' τ above 0. Needs {MIN} widths.
    """
    return rules.trend(_widths(evidence), +1, "test accuracy with nodes", MIN_TREND_POINTS)


@check("width-stability-rises", needs=("width",), MIN=MIN_TREND_POINTS)
def _width_stability(evidence: Evidence) -> Verdict:
    """Stability trend (rules.stability_trend): the seeds' distances from each width's median test
    accuracy on the arcsine scale fall with nodes (Kendall τ per seed, one-sided t-test below 0).
    Needs {MIN} widths and 3 seeds.
    """
    return rules.stability_trend(
        _widths(evidence), -1, "test accuracy with nodes", examples(evidence, "test"), MIN_TREND_POINTS
    )


@check("width-plateau-80", needs=("width",), BIG_GAIN=BIG_GAIN, FROM=WIDTH_PLATEAU)
def _width_plateau(evidence: Evidence) -> Verdict:
    """Within a margin (rules.within_margin, ±{BIG_GAIN}) for every pair of widths >= {FROM}, paired
    per seed: reproduced if every pair is surely within ±{BIG_GAIN} (TOST), not reproduced if one
    is surely beyond after Holm's correction over the pairs.
    """
    wide = evidence.wide("width")
    widths = [nodes for nodes in wide.columns if nodes >= WIDTH_PLATEAU]
    if len(widths) < 2:
        raise evidence.missing("width", f"two widths >= {WIDTH_PLATEAU}", f"{2 - len(widths)} more")
    pairs = {f"{a} vs {b}": paired(wide, a, b) for a, b in combinations(widths, 2)}
    return rules.within_margin(
        pairs, BIG_GAIN, f"test accuracy between widths >= {WIDTH_PLATEAU}", one_penguin(evidence)
    )


@check("use-100-nodes", needs=("width",), BIG_GAIN=BIG_GAIN)
def _hundred_nodes(evidence: Evidence) -> Verdict:
    """No gain beyond (rules.no_gain_beyond, {BIG_GAIN}) of any width over 100 nodes, paired per
    seed: reproduced if every gain is surely below {BIG_GAIN}, not reproduced if one is surely
    above it after Holm's correction.
    """
    wide = evidence.wide("width")
    if 100 not in wide or wide.shape[1] < 2:
        raise evidence.missing("width", "width 100 and another", "width 100 or another")
    gains = {nodes: paired(wide, 100, nodes) for nodes in wide.columns if nodes != 100}
    return rules.no_gain_beyond(gains, BIG_GAIN, "test accuracy of a width over 100 nodes", one_penguin(evidence))


def shape_groups(values: Sequence[int]) -> tuple[list[int], list[int]]:
    """The balanced (first layer 30-70) and the extreme (smaller layer at most 5) shapes of ``values``."""
    extreme = [first for first in values if min(first, 100 - first) <= EXTREME]
    balanced = [first for first in values if BALANCED[0] <= first <= BALANCED[1]]
    return balanced, extreme


def _shapes(evidence: Evidence) -> tuple[pd.DataFrame, list[int], list[int]]:
    wide = evidence.wide("shape")
    balanced, extreme = shape_groups(list(wide.columns))
    absent = []
    if not any(first <= EXTREME for first in extreme):
        absent.append(f"first layer <= {EXTREME}")
    if not any(first >= 100 - EXTREME for first in extreme):
        absent.append(f"first layer >= {100 - EXTREME}")
    if not balanced:
        absent.append(f"first layer {BALANCED[0]}-{BALANCED[1]}")
    if absent:
        raise evidence.missing(
            "shape",
            f"extreme shapes at both ends (first layer <= {EXTREME} and >= {100 - EXTREME}) and a balanced one",
            ", ".join(absent),
        )
    return wide, balanced, extreme


@check("shape-extremes-worse", needs=("shape",), E=EXTREME, B0=BALANCED[0], B1=BALANCED[1])
def _shape_accuracy(evidence: Evidence) -> Verdict:
    """Contrast (rules.contrast): per seed, the mean test accuracy of the balanced shapes (first
    layer {B0}-{B1} of 100) minus that of the extreme ones (the smaller layer <= {E} nodes), surely
    above 0 (reproduced) or surely below it (not reproduced).
    """
    wide, balanced, extreme = _shapes(evidence)
    per_seed = wide[balanced].mean(axis=1) - wide[extreme].mean(axis=1)
    return rules.contrast(
        per_seed.to_numpy(), "test accuracy of balanced minus extreme shapes", floor=one_penguin(evidence)
    )


@check("shape-extremes-unstable", needs=("shape",), E=EXTREME, B0=BALANCED[0], B1=BALANCED[1])
def _shape_stability(evidence: Evidence) -> Verdict:
    """Stability contrast (rules.stability_contrast): per seed, the mean distance from each shape's
    median test accuracy (arcsine scale) of the extreme shapes (<= {E}) minus the balanced ones
    ({B0}-{B1}), surely above 0 (reproduced) or surely below it (not reproduced).
    """
    wide, balanced, extreme = _shapes(evidence)
    return rules.stability_contrast(
        wide, extreme, balanced, "extreme against balanced shapes", examples(evidence, "test")
    )


def _batches(evidence: Evidence) -> tuple[pd.DataFrame, list[int], list[int]]:
    wide = evidence.wide("batch-size")
    small = [size for size in wide.columns if size <= BATCH_LIMIT]
    large = [size for size in wide.columns if size > BATCH_LIMIT]
    if BATCH_LIMIT not in wide or len(small) < 2 or not large:
        raise evidence.missing(
            "batch-size", f"batch size {BATCH_LIMIT}, a smaller one and a larger one", "some of them"
        )
    return wide, small, large


@check("batch-size-80-fine", needs=("batch-size",), FINE=FINE, LIMIT=BATCH_LIMIT)
def _batch_size(evidence: Evidence) -> Verdict:
    """No gain beyond (rules.no_gain_beyond, {FINE}) of any batch size over any batch size <= {LIMIT},
    paired per seed: reproduced if no batch size is surely more than {FINE} better than a batch size
    <= {LIMIT} (every pair), not reproduced if one is after Holm's correction. No best size is picked
    from the data, so no winner's curse.
    """
    wide, small, _ = _batches(evidence)
    gains = {
        f"{other} over {size}": paired(wide, size, other) for size in small for other in wide.columns if other != size
    }
    return rules.no_gain_beyond(
        gains, FINE, f"test accuracy of a batch size over one <= {BATCH_LIMIT}", one_penguin(evidence)
    )


@check("batch-size-above-80-worse", needs=("batch-size",), FINE=FINE, LIMIT=BATCH_LIMIT)
def _batch_size_above(evidence: Evidence) -> Verdict:
    """At least (rules.at_least, {FINE}): per seed, the mean test accuracy of the batch sizes <= {LIMIT}
    minus that of the larger ones is surely above {FINE} (reproduced) or surely below (not reproduced).
    """
    wide, small, large = _batches(evidence)
    per_seed = wide[small].mean(axis=1) - wide[large].mean(axis=1)
    return rules.at_least(
        per_seed.to_numpy(), FINE, f"test accuracy of batch sizes <= {BATCH_LIMIT} minus larger", one_penguin(evidence)
    )


def _networks_minus_logistic(evidence: Evidence) -> dict[str, np.ndarray]:
    logistic = evidence.scores("baseline", "logistic")
    found = {}
    for experiment, runs in NETWORK_RUNS.items():
        for run in runs:
            if run in evidence.values(experiment):
                difference = evidence.scores(experiment, run) - logistic
                found[run] = difference.dropna().to_numpy(dtype=float)
    if not found:
        raise NotCheckable("needs the logistic baseline and the post's networks")
    return found


@check("network-matches-baseline", needs=("baseline", *NETWORK_RUNS), MATCH=MATCH)
def _matches_baseline(evidence: Evidence) -> Verdict:
    """Not worse by more than {MATCH} for some network (rules.no_gain_beyond on logistic regression
    over each of the post's six final networks, for some): reproduced if Holm's correction over the
    networks keeps one that is surely less than {MATCH} behind logistic regression (paired per
    seed), not reproduced if every network is surely more than {MATCH} behind.
    """
    behind = {run: -difference for run, difference in _networks_minus_logistic(evidence).items()}
    return rules.no_gain_beyond(
        behind, MATCH, "test accuracy of logistic regression over a network", one_penguin(evidence), some=True
    )


@check("logistic-is-enough", needs=("baseline", *NETWORK_RUNS), MATCH=MATCH)
def _logistic_enough(evidence: Evidence) -> Verdict:
    """No gain beyond (rules.no_gain_beyond, {MATCH}) of any of the post's six final networks over
    logistic regression, paired per seed: reproduced if every gain is surely below {MATCH}, not
    reproduced if one is surely above after Holm's correction.
    """
    return rules.no_gain_beyond(
        _networks_minus_logistic(evidence),
        MATCH,
        "test accuracy of a network over logistic regression",
        one_penguin(evidence),
    )
