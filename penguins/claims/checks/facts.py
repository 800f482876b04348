"""Checks of the post's facts (shapes, parameter counts) and of its single numbers.

Single numbers: one run's accuracy, a search's best score.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

from penguins.claims import rules
from penguins.claims.checks.registry import (
    check,
    equal,
    examples,
    seed_split,
)
from penguins.claims.evidence import Evidence
from penguins.claims.post import POST_SOFTMAX_PARAMS, statement
from penguins.claims.rules import Verdict


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
        note = (
            "; y's single column is the post's own output (its target is a one-column frame whose definition the post "
            "does not show)"
        )
        return Verdict(verdict.verdict, verdict.reason + note, verdict.ours, verdict.test)

    check_split.__doc__ = (
        f"""Measured: x_{part}'s shape and the number of y_{part}'s rows of our split, for every seed, """
        """equal the post's."""
    )
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

    check_params.__doc__ = (
        f"""Measured: the parameters of each layer of our trained {run} model (its summary), on every seed, """
        """equal the post's."""
    )
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
        return rules.single_run(
            observed(evidence).to_numpy(), statement(statement_id).value, f"{run} {score.replace('_', ' ')}", count
        )

    check_single.__doc__ = (
        f"""Single run (rules.single_run) on the {score.replace('_', ' ')} of {run}: the post's value against """
        f"""the predictive distribution of one of our runs, two-sided at {rules.ALPHA:.0%}."""
    )
    check(statement_id, needs=(experiment,), observed=observed)(check_single)


for _run, _experiment in (
    ("logistic", "baseline"),
    ("hidden-0", "basic-networks"), ("hidden-1", "basic-networks"), ("hidden-2", "basic-networks"),
    ("step-decay", "lr-schedules"), ("cosine-decay", "lr-schedules"),
    ("weight-decay", "overfitting"), ("dropout", "overfitting"), ("early-stopping", "overfitting"),
):
    for _score in ("train_accuracy", "test_accuracy"):
        _single(_experiment, _run, _score, f"{_run}-{_score.split('_')[0]}-accuracy")
_single("overfitting", "early-stopping", "epochs_run", "early-stopping-epoch")


def _search_score(method: str, statement_id: str, source: str) -> None:
    def observed(evidence: Evidence) -> pd.Series:
        records = evidence.search_records(method) if source == "searches" else evidence.extra(source)
        return pd.Series(
            [record.best_score for record in records], index=[record.seed for record in records], name="best_score"
        )

    def check_score(evidence: Evidence) -> Verdict:
        return rules.single_run(
            observed(evidence).to_numpy(),
            statement(statement_id).value,
            f"best cross-validated accuracy of the {method} search",
            examples(evidence, "train"),
        )

    where = (
        "with the post's candidates (its random_state) on each seed's split and fits"
        if source != "searches"
        else "one search per seed (preset full)"
    )
    check_score.__doc__ = (
        f"""Single run (rules.single_run) on the best mean cross-validated accuracy of the post's {method} search, """
        f"""{where}."""
    )
    check(statement_id, methods=(method,) if source == "searches" else (), observed=observed)(check_score)


_search_score("random", "random-search-best-score", "post-candidate-searches")
_search_score("grid", "grid-search-best-score", "searches")
