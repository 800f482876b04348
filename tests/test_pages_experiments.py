"""The experiments chapter's page (penguins/pages/experiments.py): the fixed facts its prose states,
and the words it picks from results, on synthetic sweeps (no store, no training)."""

from __future__ import annotations

import re
import string

import numpy as np
import pytest

from penguins.catalog import NAMED_RUNS
from penguins.claims import (
    BATCH_LIMIT,
    EXTREME,
    NOT_CHECKABLE,
    NOT_REPRODUCED,
    REPRODUCED,
    VERDICTS,
    WIDTH_PLATEAU,
    Evidence,
    claim,
)
from penguins.experiments import EXPERIMENTS, POST_MODEL
from penguins.pages.experiments import (
    CLAIMS,
    POST_DEPTH,
    SHAPE_NODES,
    SWEEPS,
    ExperimentsPage,
    later_epochs,
    shape_groups,
)
from penguins.pages.format import fmt_pct
from penguins.preprocessing import preprocess
from penguins.presets import PRESETS, default_seeds
from penguins.strings import words
from penguins.sweep import SweepResult
from penguins.training import RunRecord

INLINE_LIMIT = 80  # what tests/chapter_runner.py allows an inline value
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def sweep(name: str, scores: dict, preset: str = "full", seeds: tuple[int, ...] = (0, 1, 2, 3, 4)) -> SweepResult:
    """A sweep of experiment ``name`` whose test accuracy is ``scores[value][i]`` on seed i."""
    experiment = EXPERIMENTS[name]
    values = [point.value for point in experiment.points(preset) if point.value in scores]
    records = [
        [
            RunRecord(
                spec={}, seed=seed, variant="post", train_accuracy=float(score), test_accuracy=float(score),
                train_loss=0.5, test_loss=0.5, confusion_matrix=[[0] * 3] * 3, test_predictions=[],
                test_probabilities=[],
            )
            for seed, score in zip(seeds, scores[value], strict=True)
        ]
        for value in values
    ]
    return SweepResult(experiment, preset, "post", seeds, values, records, computed=0)


def noisy(mean: float, seed: int, n: int = 5, sd: float = 0.01) -> list[float]:
    return list(mean + np.random.default_rng(seed).normal(0, sd, n))


def flat_grid(name: str, preset: str = "full", mean: float = 0.9) -> dict:
    return {point.value: noisy(mean, index) for index, point in enumerate(EXPERIMENTS[name].points(preset))}


@pytest.fixture(scope="module", params=["ko", "en"])
def page(request) -> ExperimentsPage:
    return ExperimentsPage(request.param)


# --------------------------------------------------------------------------- fixed facts the prose states


def test_the_chosen_model_is_the_two_hidden_layer_network_of_the_post() -> None:
    from penguins.models import get_model, summary_table

    assert POST_MODEL == NAMED_RUNS["hidden-2"].spec  # "exactly the network of the previous chapter"
    assert POST_MODEL.hidden == (100, 100) and POST_DEPTH == 2
    params = tuple(int(value) for value in summary_table(get_model(nodes=100, lr=0.001))["params"])
    assert params == claim("params-hidden-2").post_value


@pytest.mark.parametrize("preset", PRESETS)
def test_every_grid_holds_what_the_prose_reads_from_it(preset: str) -> None:
    points = {name: [point.value for point in EXPERIMENTS[name].points(preset)] for name in SWEEPS}
    assert {1, POST_DEPTH} <= set(points["depth"])  # "one hidden layer ... and two"
    balanced, extreme = shape_groups(points["shape"])
    # a similar-size shape and a lopsided one at the low end, so "not checkable" can only mean the other end
    assert balanced and any(first <= EXTREME for first in extreme)
    # the largest batch is the whole training set
    assert max(points["batch-size"]) == len(preprocess("post", seed=default_seeds(preset)[0]).y_train)
    assert all(len(values) >= 2 for values in points.values())


def test_the_full_preset_tries_the_posts_ranges() -> None:
    full = {name: [point.value for point in EXPERIMENTS[name].points("full")] for name in SWEEPS}
    assert full["depth"] == list(range(1, 100))
    assert full["width"] == list(range(1, 101))
    assert full["shape"] == list(range(1, SHAPE_NODES))
    assert full["epochs"] == list(range(1, 31))
    assert BATCH_LIMIT in full["batch-size"] and WIDTH_PLATEAU in full["width"]


@pytest.mark.parametrize("preset", ["full", "quick"])
def test_the_larger_presets_can_judge_every_conclusion(preset: str) -> None:
    # the "not checkable" notes say the full preset has what the check needs
    sweeps = {name: sweep(name, flat_grid(name, preset), preset) for name in ("depth", "width", "shape", "batch-size")}
    evidence = Evidence.from_sweeps(preset, "post", (0, 1, 2, 3, 4), sweeps)
    assert all(claim(claim_id).evaluate(evidence).verdict != NOT_CHECKABLE for claim_id in CLAIMS)


def test_the_smoke_preset_can_judge_none_of_them() -> None:
    sweeps = {
        name: sweep(name, flat_grid(name, "smoke"), "smoke") for name in ("depth", "width", "shape", "batch-size")
    }
    evidence = Evidence.from_sweeps("smoke", "post", (0, 1, 2, 3, 4), sweeps)
    assert {claim(claim_id).evaluate(evidence).verdict for claim_id in CLAIMS} == {NOT_CHECKABLE}


# --------------------------------------------------------------------------- the string table


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _leaves(entry, path=()):
    if isinstance(entry, dict):
        for key, value in entry.items():
            yield from _leaves(value, (*path, key))
    else:
        yield path, entry


def test_both_languages_have_the_same_keys_and_read_as_their_language() -> None:
    ko, en = dict(_leaves(words("ko", "experiments"))), dict(_leaves(words("en", "experiments")))
    assert ko.keys() == en.keys()
    for path in ko:
        assert _fields(str(ko[path])) == _fields(str(en[path])), path
        assert bool(HANGUL.search(str(ko[path]))) or path == ("tally-and",), path
        assert not HANGUL.search(str(en[path])), path


@pytest.mark.parametrize("language", ["ko", "en"])
def test_every_claim_has_a_note_for_every_verdict_short_enough_to_inline(language: str) -> None:
    notes = words(language, "experiments", "verdict-notes")
    worst = dict(
        big="2", depth="2", at="99", gain="-10.5", min="5", n="100", plateau="80", limit="80", fine="2", gap="10.5"
    )
    for claim_id in CLAIMS:
        assert set(notes[claim_id]) == set(VERDICTS), claim_id
        for verdict, text in notes[claim_id].items():
            assert len(text.format(**worst)) <= INLINE_LIMIT, (claim_id, verdict)


# --------------------------------------------------------------------------- words picked from results


def test_depth_words_follow_the_verdict(page: ExperimentsPage) -> None:
    deeper_wins = {1: noisy(0.8, 1), 2: noisy(0.9, 2), 3: noisy(0.9, 3), 6: noisy(0.97, 6), 10: noisy(0.9, 10)}
    facts = page.depth_facts(sweep("depth", deeper_wins))
    assert facts.verdict == page.verdict(NOT_REPRODUCED)
    assert "6" in facts.note and "6" in facts.best
    level = {1: noisy(0.8, 1), 2: noisy(0.95, 2), 3: noisy(0.94, 3), 4: noisy(0.93, 4)}
    facts = page.depth_facts(sweep("depth", level))
    assert facts.verdict == page.verdict(REPRODUCED)
    assert facts.best == page.words("depth-best", "post").format(depth=POST_DEPTH)
    facts = page.depth_facts(sweep("depth", {1: noisy(0.8, 1), 2: noisy(0.95, 2)}))
    assert facts.verdict == page.verdict(NOT_CHECKABLE)
    assert facts.deepest == page.words("depth-deepest", "none")


def test_epochs_beyond_the_earlier_experiments_are_judged_against_seed_noise() -> None:
    rising = {1: noisy(0.6, 1), 5: noisy(0.9, 5), 12: noisy(0.98, 12), 30: noisy(0.97, 30)}
    assert later_epochs(sweep("epochs", rising)) == "rises"
    flat = {1: noisy(0.6, 1), 5: noisy(0.95, 5, sd=0.03), 12: noisy(0.95, 12, sd=0.03)}
    assert later_epochs(sweep("epochs", flat)) == "flat"
    assert later_epochs(sweep("epochs", {1: noisy(0.6, 1), 3: noisy(0.9, 3)})) == "untested"


def test_batch_words_name_the_limit_only_where_it_was_tried(page: ExperimentsPage) -> None:
    tried = {1: noisy(0.95, 1), 8: noisy(0.97, 8), 80: noisy(0.9, 80), 275: noisy(0.7, 275)}
    facts = page.batch_facts(sweep("batch-size", tried))
    expected = page.words("batch-near", "other-limit").format(
        limit=BATCH_LIMIT, near=80, mean=fmt_pct(np.mean(tried[80]))
    )
    assert facts.near == expected
    assert facts.best == page.words("batch-best").format(size=8, mean=fmt_pct(np.mean(tried[8])))
    assert facts.updates_smallest == "1,375" and facts.updates_largest == "5"
    smoke = {16: noisy(0.99, 16), 275: noisy(0.8, 275)}
    facts = page.batch_facts(sweep("batch-size", smoke, "smoke"))
    assert facts.near == page.words("batch-near", "same").format(limit=BATCH_LIMIT)
    assert facts.verdict == page.verdict(NOT_CHECKABLE)


def test_the_summary_counts_verdicts_and_finds_the_best_architecture(page: ExperimentsPage) -> None:
    depth = sweep("depth", {1: noisy(0.8, 1), 2: noisy(0.9, 2), 3: noisy(0.95, 3)})
    width = sweep("width", {50: noisy(0.85, 50), 100: noisy(0.9, 100)})
    shape = sweep("shape", {1: noisy(0.6, 1), 50: noisy(0.88, 50)})
    epochs = sweep("epochs", {1: noisy(0.5, 11), 5: noisy(0.9, 15)})
    batch = sweep("batch-size", {16: noisy(0.92, 16), 275: noisy(0.7, 27)})
    facts = page.summary_facts(depth, width, shape, epochs, batch)
    assert facts.n_conclusions == str(len(CLAIMS))
    assert facts.best.startswith(page.words("best-architecture", "other").split("{")[0])
    assert page.architecture((100, 100, 100)) in facts.best
    means = [
        np.mean([record.test_accuracy for record in records])
        for result in (epochs, batch)
        for records in result.records
    ]
    assert (facts.trained_low, facts.trained_high) == (fmt_pct(min(means)), fmt_pct(max(means)))
    assert facts.unchecked == page.words("unchecked", "some")
    assert all(len(value) <= INLINE_LIMIT for value in vars(facts).values())
