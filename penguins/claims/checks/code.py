"""Checks of what the post's code does (seeding, schedules, early stopping, what its searches search), measured."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from penguins.claims import rules
from penguins.claims.checks.registry import (
    MATCH,
    check,
    equal,
    one_penguin,
)
from penguins.claims.evidence import Evidence
from penguins.claims.post import GRID_BEST, RANDOM_BEST, statement
from penguins.claims.rules import NotCheckable, Verdict, fmt


@check("unseeded-runs")
def _unseeded(evidence: Evidence) -> Verdict:
    """Measured: the post's get_model built and trained twice (its own code, in a fresh process,
    each time after random.seed(rand_seed)) gives the same trained weights.
    """
    measured = evidence.extra("unseeded-runs")
    initial, trained = measured["initial_equal_share"], measured["trained_equal_share"]
    ours = f"{trained:.0%} of the trained weights equal"
    text = (
        f"two runs of the post's code after random.seed(rand_seed): {initial:.0%} of the initial weights and "
        f"{trained:.0%} of the trained weights came out equal (Keras {measured['keras']}: its initializers take their "
        "seeds from Python's random, fit's shuffling and TensorFlow's generators do not; the Keras 2 of the post's "
        "time drew the initial weights from TensorFlow too)"
    )
    test = "measurement, two runs"
    if trained == 1.0:
        return Verdict(rules.REPRODUCED, f"{text}: the run repeats", ours, test)
    return Verdict(
        rules.NOT_REPRODUCED,
        f"{text}: the run does not repeat, so the post's numbers cannot be regenerated",
        ours,
        test,
    )


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
    note = (
        f"; LearningRateScheduler replaces get_model's Adam rate from the first epoch: "
        f"{first / stated:g} times {fmt(stated)}"
    )
    return Verdict(
        verdict.verdict, verdict.reason + (note if not equal(first, stated) else ""), verdict.ours, verdict.test
    )


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
    verdict = rules.within_margin(
        {"": difference}, MATCH, "test accuracy validated on the test set minus on training rows", one_penguin(evidence)
    )
    note = (
        f"; clean mean {clean.mean():.3f} (trained on four fifths of the training rows), "
        f"the post's protocol {post.mean():.3f}"
    )
    return Verdict(
        verdict.verdict, verdict.reason + note, verdict.ours, verdict.test,
        verdict.level, verdict.effect, verdict.numbers,
    )


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
        f"the tuner's objective (val_accuracy with validation_data=(x_test, y_test)) equals the chosen model's test "
        f"accuracy on {sum(same)} of {len(same)} seeds: the reported test accuracy is the best of the trials' "
        "test scores",
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
    return (
        "; the searched values never reach Keras (searched-values-reach-the-model), so the candidates train alike"
        if reach.verdict == rules.NOT_REPRODUCED
        else ""
    )


@check("random-search-best-params")
def _random_best(evidence: Evidence) -> Verdict:
    """Better than chance (rules.beats_chance): the post's best candidate wins how many of our
    random searches with the post's candidates (its random_state) on each seed's split and fits,
    against the chance of 1 in the number of candidates.
    """
    return _best_candidate(evidence, evidence.extra("post-candidate-searches"), RANDOM_BEST)


@check("grid-search-best-params", methods=("grid",))
def _grid_best(evidence: Evidence) -> Verdict:
    """Better than chance (rules.beats_chance): the post's best grid candidate wins how many of our
    grid searches (one per seed, preset full), against the chance of 1 in the number of candidates.
    """
    return _best_candidate(evidence, evidence.search_records("grid"), GRID_BEST)


def _best_candidate(evidence: Evidence, records: Sequence[Any], stated: dict[str, Any]) -> Verdict:
    """How often the post's best candidate ``stated`` wins ``records``, against chance, with whether
    the searched values reached Keras.
    """
    wins, tries, size = _wins(records, stated)
    if not tries:
        raise NotCheckable("no search tried the post's best candidate")
    verdict = rules.beats_chance(wins, tries, 1 / size, "the post's best candidate")
    return Verdict(
        verdict.verdict, verdict.reason + _never_reached(evidence), verdict.ours, verdict.test, verdict.level,
        numbers=verdict.numbers,
    )
