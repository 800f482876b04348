"""One check per statement of the post: what it is compared with, and by which rule.

Each check reads the :class:`~penguins.claims.evidence.Evidence` and hands plain numbers to a rule
of :mod:`penguins.claims.rules`; its docstring, first paragraph, is the rule as the ledger states it.
The margins below are readings of the post's words (what "no big gain" or "about as good" means
in accuracy), fixed before looking at results; the rules decide how evidence is weighed against
them. Comparisons between points of an experiment are paired by seed.
"""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from penguins.claims import rules
from penguins.claims.evidence import Evidence
from penguins.claims.post import GRID_BEST, POST_SOFTMAX_PARAMS, RANDOM_BEST, statement
from penguins.claims.rules import NotCheckable, Verdict, fmt

BIG_GAIN = 0.02  # "큰 향상 / 큰 차이": two points of accuracy (1.4 of the 69 test penguins)
JUMP = 0.05  # "급 상승": a gain of at least five points
FINE = 0.02  # "적당": within two points
MATCH = 0.02  # "만큼은 나온", "충분하다": within two points of the baseline
MIN_TREND_POINTS = 5  # a trend over fewer points is not checked
EXTREME = 5  # shape i : 100 - i is extreme when the smaller layer has at most 5 nodes (1:99 .. 5:95)
BALANCED = (30, 70)  # ... and balanced when the first layer has 30 to 70 nodes (3:7 .. 7:3)
WIDTH_PLATEAU = 80  # "노드 80 이후"
BATCH_LIMIT = 80  # "80 이하"
# The post's networks the conclusion compares with logistic regression, by experiment.
NETWORK_RUNS = {
    "basic-networks": ("hidden-2",),
    "lr-schedules": ("step-decay", "cosine-decay"),
    "overfitting": ("weight-decay", "dropout", "early-stopping"),
}


@dataclass(frozen=True)
class Check:
    """How one statement is judged: the function, what it needs, and (for single numbers) its per-seed values."""

    function: Callable[[Evidence], Verdict]
    needs: tuple[str, ...] = ()  # experiments it reads
    methods: tuple[str, ...] = ()  # searches it reads (at preset full)
    observed: Callable[[Evidence], pd.Series] | None = None

    @property
    def rule(self) -> str:
        """The check's docstring, first paragraph, on one line, with the margins filled in."""
        text = inspect.getdoc(self.function) or ""
        return " ".join(text.split("\n\n")[0].split())

    def __call__(self, evidence: Evidence) -> Verdict:
        """The verdict on ``evidence``; a claim whose evidence is missing is not checkable."""
        try:
            return self.function(evidence)
        except NotCheckable as missing:
            return rules.not_checkable(str(missing))


CHECKS: dict[str, Check] = {}


def check(*ids: str, needs: Sequence[str] = (), methods: Sequence[str] = (), observed: Callable[[Evidence], pd.Series] | None = None, **margins: Any):
    """Register the decorated function as the check of the statements ``ids``.

    ``margins`` fill the ``{NAME}`` fields of its docstring, so the stated rule shows the numbers it
    uses.
    """

    def register(function: Callable[[Evidence], Verdict]) -> Callable[[Evidence], Verdict]:
        function.__doc__ = (function.__doc__ or "").format(**margins)
        for statement_id in ids:
            statement(statement_id)  # fails for an id post.yml does not have
            CHECKS[statement_id] = Check(function, tuple(needs), tuple(methods), observed)
        return function

    return register


@cache
def seed_split(variant: str, seed: int) -> Any:
    """The ``variant`` split of ``seed``, made once per process: checks read the shapes of every
    seed's split, in every ledger a page judges (making one takes tens of milliseconds).
    """
    from penguins.preprocessing import preprocess

    return preprocess(variant, seed)


def examples(evidence: Evidence, part: str) -> int:
    """How many penguins an accuracy of ``part`` ("train" or "test") counts over."""
    split = seed_split(evidence.variant, evidence.seeds[0])
    return len(split.y_train if part == "train" else split.y_test)


def one_penguin(evidence: Evidence) -> float:
    """The floor of a paired accuracy difference's spread: one test penguin."""
    return 1 / examples(evidence, "test")


def paired(wide: pd.DataFrame, base: Any, other: Any) -> np.ndarray:
    """Per seed, ``other`` minus ``base`` (seeds that have both)."""
    return (wide[other] - wide[base]).dropna().to_numpy(dtype=float)


def equal(a: Any, b: Any) -> bool:
    """Equality of plain data, floats to float32 precision (Keras keeps numbers as float32)."""
    if isinstance(a, (float, np.floating)) or isinstance(b, (float, np.floating)):
        return isinstance(a, (int, float, np.number)) and isinstance(b, (int, float, np.number)) and math.isclose(
            float(a), float(b), rel_tol=1e-6, abs_tol=1e-12
        )
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return set(a) == set(b) and all(equal(a[key], b[key]) for key in a)
    return a == b


# --------------------------------------------------------------------------- facts


@check("data-shape")
def _data_shape(evidence: Evidence) -> Verdict:
    """Measured: the shape of the penguins table we load equals the post's."""
    from penguins.data import load_penguins

    return rules.exact([tuple(load_penguins().shape)], statement("data-shape").value, "the table's shape", equal)


def _split_shape(part: str) -> Callable[[Evidence], Verdict]:
    def check_split(evidence: Evidence) -> Verdict:
        stated_x, (stated_rows, _) = statement(f"split-{part}-shape").value
        observed = []
        for seed in evidence.seeds:
            split = seed_split(evidence.variant, seed)
            x, y = (split.x_train, split.y_train) if part == "train" else (split.x_test, split.y_test)
            observed.append((tuple(x.shape), len(y)))
        verdict = rules.exact(observed, (stated_x, stated_rows), f"x_{part}'s shape and y_{part}'s rows", equal)
        note = "; y's single column is the post's own output (its target is a one-column frame whose definition the post does not show)"
        return Verdict(verdict.verdict, verdict.reason + note, verdict.ours, verdict.test)

    check_split.__doc__ = f"""Measured: x_{part}'s shape and the number of y_{part}'s rows of our split, for every seed, equal the post's."""
    return check_split


check("split-train-shape")(_split_shape("train"))
check("split-test-shape")(_split_shape("test"))


@check("input-features", POST=POST_SOFTMAX_PARAMS)
def _input_features(evidence: Evidence) -> Verdict:
    """Measured: the number of columns the networks receive equals the post's stated number of
    input features; the post's own {POST} parameters of a softmax layer on f inputs, (f + 1) x 3,
    tell how many it really had.
    """
    split = seed_split(evidence.variant, evidence.seeds[0])
    verdict = rules.exact([split.n_features], statement("input-features").value, "the number of input columns", equal)
    implied = POST_SOFTMAX_PARAMS / 3 - 1
    return Verdict(
        verdict.verdict,
        f"{verdict.reason} ({', '.join(split.feature_names)}); the post's own {POST_SOFTMAX_PARAMS} parameters of its "
        f"softmax layer imply (f + 1) x 3 = {POST_SOFTMAX_PARAMS}, f = {implied:g}",
        verdict.ours,
        verdict.test,
    )


@check("output-classes", needs=("basic-networks",))
def _output_classes(evidence: Evidence) -> Verdict:
    """Measured: the units of the output layer of our trained network without a hidden layer
    (its summary), on every seed, equal the post's number of classes.
    """
    observed = []
    for record in evidence.records("basic-networks", "hidden-0"):
        shape = record.summary[-1]["output_shape"]
        observed.append(int(re.findall(r"\d+", str(shape))[-1]))
    return rules.exact(observed, statement("output-classes").value, "the output layer's units", equal)


def _params(experiment: str, run: str, statement_id: str) -> Callable[[Evidence], Verdict]:
    def check_params(evidence: Evidence) -> Verdict:
        stated = statement(statement_id).value
        observed = [tuple(int(row["params"]) for row in record.summary) for record in evidence.records(experiment, run)]
        verdict = rules.exact(observed, stated, f"the parameters per layer of the {run} model", equal)
        totals = sorted({sum(layers) for layers in observed})
        return Verdict(
            verdict.verdict,
            f"{verdict.reason}; total {' / '.join(f'{total:,}' for total in totals)} (post: {sum(stated):,})",
            f"{verdict.ours} = {' / '.join(f'{total:,}' for total in totals)}",
            verdict.test,
        )

    check_params.__doc__ = f"""Measured: the parameters of each layer of our trained {run} model (its summary), on every seed, equal the post's."""
    return check_params


check("params-hidden-0", needs=("basic-networks",))(_params("basic-networks", "hidden-0", "params-hidden-0"))
check("params-hidden-1", needs=("basic-networks",))(_params("basic-networks", "hidden-1", "params-hidden-1"))
check("params-hidden-2", needs=("basic-networks",))(_params("basic-networks", "hidden-2", "params-hidden-2"))
check("params-tuning-model", needs=("overfitting",))(_params("overfitting", "dropout", "params-tuning-model"))


@check("tuner-summary-units")
def _tuner_units(evidence: Evidence) -> Verdict:
    """Measured: the unit counts Keras Tuner's ``hp.Int('units', min, max, step)`` of the post's
    search space can give (Keras Tuner's own enumeration) include the post's.
    """
    from penguins.extras import tuner_unit_values
    from penguins.search import search_spec

    low, high, step = search_spec("hyperband", "full").units
    reachable, _ = tuner_unit_values(evidence.store)
    stated = statement("tuner-summary-units").value
    ours = f"{reachable[0]}, {reachable[1]}, ..., {reachable[-1]}"
    test = "measurement, Keras Tuner's values of hp.Int"
    if stated in reachable:
        return Verdict(rules.REPRODUCED, f"hp.Int('units', {low}, {high}, step={step}) can give {stated}", ours, test)
    return Verdict(
        rules.NOT_REPRODUCED,
        f"hp.Int('units', {low}, {high}, step={step}) gives only {ours} ({len(reachable)} values), not {stated}: "
        "the printed summary is not of a model the tuner built",
        ours,
        test,
    )


@check("tuner-summary-params", methods=("hyperband",))
def _tuner_params(evidence: Evidence) -> Verdict:
    """Measured: the parameters of the model each of our Keras Tuner searches found (one search per
    seed) equal the post's printed total.
    """
    totals = [sum(int(row["params"]) for row in record.summary) for record in evidence.search_records("hyperband")]
    return rules.exact(totals, statement("tuner-summary-params").value, "the tuned model's parameters", equal)


# --------------------------------------------------------------------------- single runs


def _single(experiment: str, run: str, score: str, statement_id: str) -> None:
    part = score.split("_")[0]

    def observed(evidence: Evidence) -> pd.Series:
        return evidence.scores(experiment, run, score)

    def check_single(evidence: Evidence) -> Verdict:
        count = examples(evidence, part) if score.endswith("accuracy") else None
        return rules.single_run(observed(evidence).to_numpy(), statement(statement_id).value, f"{run} {score.replace('_', ' ')}", count)

    check_single.__doc__ = (
        f"""Single run (rules.single_run) on the {score.replace('_', ' ')} of {run}: the post's value against the predictive """
        f"""distribution of one of our runs, two-sided at {rules.ALPHA:.0%}."""
    )
    check(statement_id, needs=(experiment,), observed=observed)(check_single)


for _run, _experiment in (
    ("logistic", "baseline"), ("hidden-0", "basic-networks"), ("hidden-1", "basic-networks"), ("hidden-2", "basic-networks"),
    ("step-decay", "lr-schedules"), ("cosine-decay", "lr-schedules"),
    ("weight-decay", "overfitting"), ("dropout", "overfitting"), ("early-stopping", "overfitting"),
):
    for _score in ("train_accuracy", "test_accuracy"):
        _single(_experiment, _run, _score, f"{_run}-{_score.split('_')[0]}-accuracy")
_single("overfitting", "early-stopping", "epochs_run", "early-stopping-epoch")


def _search_score(method: str, statement_id: str, source: str) -> None:
    def observed(evidence: Evidence) -> pd.Series:
        records = evidence.search_records(method) if source == "searches" else evidence.extra(source)
        return pd.Series([record.best_score for record in records], index=[record.seed for record in records], name="best_score")

    def check_score(evidence: Evidence) -> Verdict:
        return rules.single_run(observed(evidence).to_numpy(), statement(statement_id).value, f"best cross-validated accuracy of the {method} search", examples(evidence, "train"))

    where = "with the post's candidates (its random_state) on each seed's split and fits" if source != "searches" else "one search per seed (preset full)"
    check_score.__doc__ = (
        f"""Single run (rules.single_run) on the best mean cross-validated accuracy of the post's {method} search, {where}."""
    )
    check(statement_id, methods=(method,) if source == "searches" else (), observed=observed)(check_score)


_search_score("random", "random-search-best-score", "post-candidate-searches")
_search_score("grid", "grid-search-best-score", "searches")


# --------------------------------------------------------------------------- conclusions and decisions


@check("two-hidden-layers-jump", needs=("basic-networks",), JUMP=JUMP)
def _jump(evidence: Evidence) -> Verdict:
    """At least (rules.at_least, {JUMP}): the paired per-seed test accuracy of two hidden layers
    minus one hidden layer is surely above {JUMP} (reproduced) or surely below it (not reproduced).
    """
    wide = evidence.wide("basic-networks")
    for run in ("hidden-1", "hidden-2"):
        if run not in wide:
            raise evidence.missing("basic-networks", "hidden-1 and hidden-2", run)
    return rules.at_least(paired(wide, "hidden-1", "hidden-2"), JUMP, "test-accuracy gain of 2 hidden layers over 1", one_penguin(evidence))


def _deeper_than_two(evidence: Evidence) -> list[int]:
    values = evidence.values("depth")
    deeper = [depth for depth in values if depth >= 3]
    if 2 not in values or not deeper:
        absent = ", ".join(part for part, missing in (("depth 2", 2 not in values), ("a depth >= 3", not deeper)) if missing)
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
    return rules.at_least(paired(wide, 1, 2), BIG_GAIN, "test-accuracy gain of depth 2 over depth 1", one_penguin(evidence))


def _widths(evidence: Evidence) -> pd.DataFrame:
    wide = evidence.wide("width")
    if wide.shape[1] < MIN_TREND_POINTS:
        raise evidence.missing("width", f"at least {MIN_TREND_POINTS} widths", f"{MIN_TREND_POINTS - wide.shape[1]} more")
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
    return rules.stability_trend(_widths(evidence), -1, "test accuracy with nodes", examples(evidence, "test"), MIN_TREND_POINTS)


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
    return rules.within_margin(pairs, BIG_GAIN, f"test accuracy between widths >= {WIDTH_PLATEAU}", one_penguin(evidence))


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
            "shape", f"extreme shapes at both ends (first layer <= {EXTREME} and >= {100 - EXTREME}) and a balanced one", ", ".join(absent)
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
    return rules.contrast(per_seed.to_numpy(), "test accuracy of balanced minus extreme shapes", floor=one_penguin(evidence))


@check("shape-extremes-unstable", needs=("shape",), E=EXTREME, B0=BALANCED[0], B1=BALANCED[1])
def _shape_stability(evidence: Evidence) -> Verdict:
    """Stability contrast (rules.stability_contrast): per seed, the mean distance from each shape's
    median test accuracy (arcsine scale) of the extreme shapes (<= {E}) minus the balanced ones
    ({B0}-{B1}), surely above 0 (reproduced) or surely below it (not reproduced).
    """
    wide, balanced, extreme = _shapes(evidence)
    return rules.stability_contrast(wide, extreme, balanced, "extreme against balanced shapes", examples(evidence, "test"))


def _batches(evidence: Evidence) -> tuple[pd.DataFrame, list[int], list[int]]:
    wide = evidence.wide("batch-size")
    small = [size for size in wide.columns if size <= BATCH_LIMIT]
    large = [size for size in wide.columns if size > BATCH_LIMIT]
    if BATCH_LIMIT not in wide or len(small) < 2 or not large:
        raise evidence.missing("batch-size", f"batch size {BATCH_LIMIT}, a smaller one and a larger one", "some of them")
    return wide, small, large


@check("batch-size-80-fine", needs=("batch-size",), FINE=FINE, LIMIT=BATCH_LIMIT)
def _batch_size(evidence: Evidence) -> Verdict:
    """No gain beyond (rules.no_gain_beyond, {FINE}) of any batch size over any batch size <= {LIMIT},
    paired per seed: reproduced if no batch size is surely more than {FINE} better than a batch size
    <= {LIMIT} (every pair), not reproduced if one is after Holm's correction. No best size is picked
    from the data, so no winner's curse.
    """
    wide, small, _ = _batches(evidence)
    gains = {f"{other} over {size}": paired(wide, size, other) for size in small for other in wide.columns if other != size}
    return rules.no_gain_beyond(gains, FINE, f"test accuracy of a batch size over one <= {BATCH_LIMIT}", one_penguin(evidence))


@check("batch-size-above-80-worse", needs=("batch-size",), FINE=FINE, LIMIT=BATCH_LIMIT)
def _batch_size_above(evidence: Evidence) -> Verdict:
    """At least (rules.at_least, {FINE}): per seed, the mean test accuracy of the batch sizes <= {LIMIT}
    minus that of the larger ones is surely above {FINE} (reproduced) or surely below (not reproduced).
    """
    wide, small, large = _batches(evidence)
    per_seed = wide[small].mean(axis=1) - wide[large].mean(axis=1)
    return rules.at_least(per_seed.to_numpy(), FINE, f"test accuracy of batch sizes <= {BATCH_LIMIT} minus larger", one_penguin(evidence))


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
    return rules.no_gain_beyond(behind, MATCH, "test accuracy of logistic regression over a network", one_penguin(evidence), some=True)


@check("logistic-is-enough", needs=("baseline", *NETWORK_RUNS), MATCH=MATCH)
def _logistic_enough(evidence: Evidence) -> Verdict:
    """No gain beyond (rules.no_gain_beyond, {MATCH}) of any of the post's six final networks over
    logistic regression, paired per seed: reproduced if every gain is surely below {MATCH}, not
    reproduced if one is surely above after Holm's correction.
    """
    return rules.no_gain_beyond(_networks_minus_logistic(evidence), MATCH, "test accuracy of a network over logistic regression", one_penguin(evidence))


# --------------------------------------------------------------------------- what the post's code does


@check("unseeded-runs")
def _unseeded(evidence: Evidence) -> Verdict:
    """Measured: the post's get_model built and trained twice (its own code, in a fresh process,
    each time after random.seed(rand_seed)) gives the same trained weights.
    """
    measured = evidence.extra("unseeded-runs")
    initial, trained = measured["initial_equal_share"], measured["trained_equal_share"]
    ours = f"{trained:.0%} of the trained weights equal"
    text = (
        f"two runs of the post's code after random.seed(rand_seed): {initial:.0%} of the initial weights and {trained:.0%} of the "
        f"trained weights came out equal (Keras {measured['keras']}: its initializers take their seeds from Python's random, "
        "fit's shuffling and TensorFlow's generators do not; the Keras 2 of the post's time drew the initial weights from "
        "TensorFlow too)"
    )
    test = "measurement, two runs"
    if trained == 1.0:
        return Verdict(rules.REPRODUCED, f"{text}: the run repeats", ours, test)
    return Verdict(rules.NOT_REPRODUCED, f"{text}: the run does not repeat, so the post's numbers cannot be regenerated", ours, test)


def _keras_step_decay_rates(evidence: Evidence) -> list[float]:
    record = evidence.extra("post-seed-runs")["step-decay"]
    rates = record.history.get("learning_rate", [])
    if not rates:
        raise NotCheckable("the Keras step-decay run logged no learning rate")
    return [float(rate) for rate in rates]


@check("step-decay-rates")
def _step_decay_rates(evidence: Evidence) -> Verdict:
    """Measured: the learning rate Keras' optimizer held in each epoch of the step-decay run (Keras'
    own log of a Keras run with the post's seed) equals the post's step_decay(epoch), the post's
    function as it writes it (start 0.2, drop 0.5, every 3 epochs).
    """
    from penguins.schedules import step_decay

    logged = _keras_step_decay_rates(evidence)
    expected = tuple(float(step_decay(epoch)) for epoch in range(len(logged)))
    return rules.exact([tuple(logged)], expected, "the learning rate per epoch", equal)


@check("step-decay-learning-rate")
def _step_decay_learning_rate(evidence: Evidence) -> Verdict:
    """Measured: the learning rate Keras' optimizer held in the first epoch of the step-decay run
    equals the Adam learning rate get_model sets (lr=0.001).
    """
    first = _keras_step_decay_rates(evidence)[0]
    stated = statement("step-decay-learning-rate").value
    verdict = rules.exact([first], stated, "the first epoch's learning rate", equal)
    note = f"; LearningRateScheduler replaces get_model's Adam rate from the first epoch: {first / stated:g} times {fmt(stated)}"
    return Verdict(verdict.verdict, verdict.reason + (note if not equal(first, stated) else ""), verdict.ours, verdict.test)


@check("early-stopping-held-out", needs=("overfitting",), MATCH=MATCH)
def _early_stopping_held_out(evidence: Evidence) -> Verdict:
    """Within a margin (rules.within_margin, ±{MATCH}): per seed, the early-stopping run's test
    accuracy (validated on the test set, as the post does) minus the same network's validated on
    the last fifth of the training rows instead (Keras, a clean protocol), surely within ±{MATCH}
    (reproduced: the test set's double use did not move the score) or surely beyond (not reproduced).
    """
    post = evidence.scores("overfitting", "early-stopping")
    clean = pd.Series({record.seed: record.test_accuracy for record in evidence.extra("clean-early-stopping")})
    difference = (post - clean).dropna().to_numpy(dtype=float)
    verdict = rules.within_margin({"": difference}, MATCH, "test accuracy validated on the test set minus on training rows", one_penguin(evidence))
    note = f"; clean mean {clean.mean():.3f} (trained on four fifths of the training rows), the post's protocol {post.mean():.3f}"
    return Verdict(verdict.verdict, verdict.reason + note, verdict.ours, verdict.test, verdict.level, verdict.effect, verdict.numbers)


@check("tuner-held-out", methods=("hyperband",))
def _tuner_held_out(evidence: Evidence) -> Verdict:
    """Measured: on every seed, the tuned model's test accuracy differs from the score Keras Tuner
    chose it by (its objective, val_accuracy on validation_data); equal numbers mean the test set
    chose the model it then scores.
    """
    records = evidence.search_records("hyperband")
    same = [equal(record.best_score, record.test_accuracy) for record in records]
    ours = f"objective = test accuracy on {sum(same)} of {len(same)} seeds"
    test = "measurement, objective against test accuracy"
    if not any(same):
        return Verdict(rules.REPRODUCED, "the objective differs from the test accuracy on every seed", ours, test)
    return Verdict(
        rules.NOT_REPRODUCED,
        f"the tuner's objective (val_accuracy with validation_data=(x_test, y_test)) equals the chosen model's test accuracy on "
        f"{sum(same)} of {len(same)} seeds: the reported test accuracy is the best of the trials' test scores",
        ours,
        test,
    )


@check("searched-values-reach-the-model")
def _searched_values_reach(evidence: Evidence) -> Verdict:
    """Measured: every Keras fit of the post's random and grid searches (scikeras training Keras
    models, smoke size) trained with its candidate's learning rate, epochs and batch size.
    """
    searches = evidence.extra("keras-searches")
    fits = reached = 0
    used: dict[str, set] = {"learning rate": set(), "epochs": set(), "batch size": set()}
    for record in searches.values():
        spec = record.search_spec
        candidates = {row["candidate"]: row["params"] for row in record.rows}
        for fit in record.fits:
            params = candidates.get(fit.get("candidate"))
            if params is None:
                continue
            fits += 1
            used["learning rate"].add(round(fit["learning_rate"], 6))
            used["epochs"].add(fit["epochs_run"])
            used["batch size"].add(fit["batch_size_max"] or fit["n_samples"])
            reached += (
                equal(round(fit["learning_rate"], 6), round(params[spec.learning_rate_param], 6))
                and fit["epochs_run"] == params["epochs"]
                and fit["batch_size_min"] <= params["batch_size"] <= (fit["batch_size_max"] or fit["n_samples"])
            )
    if not fits:
        raise NotCheckable("the Keras-measured searches recorded no candidate fits")
    ours = f"{reached} of {fits} fits"
    text = f"{reached} of {fits} Keras fits trained with their candidate's values; the fits used " + "; ".join(
        f"{name} {', '.join(fmt(value) for value in sorted(values))}" for name, values in used.items()
    )
    test = "measurement, what each Keras fit ran with"
    if reached == fits:
        return Verdict(rules.REPRODUCED, text, ours, test)
    return Verdict(rules.NOT_REPRODUCED, f"{text} (what the post's fit call and get_model set)", ours, test)


def _wins(records: Sequence[Any], stated: dict[str, Any]) -> tuple[int, int, int]:
    """(wins, searches that tried ``stated``, candidates per search)."""
    trying = [record for record in records if any(equal(dict(row["params"]), dict(stated)) for row in record.rows)]
    wins = sum(equal(dict(record.best_params), dict(stated)) for record in trying)
    size = len(trying[0].rows) if trying else 0
    return wins, len(trying), size


def _never_reached(evidence: Evidence) -> str:
    try:
        reach = _searched_values_reach(evidence)
    except NotCheckable:
        return ""
    return "; the searched values never reach Keras (searched-values-reach-the-model), so the candidates train alike" if reach.verdict == rules.NOT_REPRODUCED else ""


@check("random-search-best-params")
def _random_best(evidence: Evidence) -> Verdict:
    """Better than chance (rules.beats_chance): the post's best candidate wins how many of our
    random searches with the post's candidates (its random_state) on each seed's split and fits,
    against the chance of 1 in the number of candidates.
    """
    wins, tries, size = _wins(evidence.extra("post-candidate-searches"), RANDOM_BEST)
    if not tries:
        raise NotCheckable("no search tried the post's best candidate")
    verdict = rules.beats_chance(wins, tries, 1 / size, "the post's best candidate")
    return Verdict(verdict.verdict, verdict.reason + _never_reached(evidence), verdict.ours, verdict.test, verdict.level, numbers=verdict.numbers)


@check("grid-search-best-params", methods=("grid",))
def _grid_best(evidence: Evidence) -> Verdict:
    """Better than chance (rules.beats_chance): the post's best grid candidate wins how many of our
    grid searches (one per seed, preset full), against the chance of 1 in the number of candidates.
    """
    wins, tries, size = _wins(evidence.search_records("grid"), GRID_BEST)
    if not tries:
        raise NotCheckable("no search tried the post's best candidate")
    verdict = rules.beats_chance(wins, tries, 1 / size, "the post's best candidate")
    return Verdict(verdict.verdict, verdict.reason + _never_reached(evidence), verdict.ours, verdict.test, verdict.level, numbers=verdict.numbers)
