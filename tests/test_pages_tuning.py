"""The tuning chapter's page: what used to be asserted inside the page, and wording that follows the results."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest

from penguins.claims import claim
from penguins.extras import keras_measured_searches
from penguins.models import get_model, summary_table
from penguins.pages.tuning import (
    TuningPage,
    fits_as_scikeras_says,
    reachable_units,
    same_position_pairs,
    scores_alike,
    top_count,
    tuner_units_verdict,
)
from penguins.search import search_spec
from penguins.strings import words
from penguins.sweep import SearchSweep, run_search_sweep

LANGUAGES = ("ko", "en")
INLINE_LIMIT = 80  # tests/chapter_runner.py: what an inline value may write into the prose


@pytest.fixture(scope="module")
def searches(reproduced_store: str) -> dict[str, SearchSweep]:
    return {method: run_search_sweep(method, "smoke") for method in ("random", "grid", "hyperband")}


@pytest.fixture(scope="module")
def on_keras(reproduced_store: str) -> dict:
    records, _ = keras_measured_searches("smoke")
    return records


def with_rows(search: SearchSweep, change) -> SearchSweep:
    """``search`` with ``change(row)`` applied to a copy of every candidate row of every seed."""
    records = []
    for record in search.records:
        rows = copy.deepcopy(record.rows)
        for row in rows:
            change(row)
        records.append(replace(record, rows=rows))
    return replace(search, records=records)


# ------------------------------------------------------------------ fixed facts


def test_the_tuning_model_has_the_posts_parameters() -> None:
    post = search_spec("random", "full")
    model = get_model(
        nodes=post.nodes, lr=post.lr, dropout=post.dropout, kernel_l1=post.kernel_l1, kernel_l2=post.kernel_l2,
        activity_l1=post.activity_l1, activity_l2=post.activity_l2,
    )
    assert tuple(summary_table(model)["params"]) == claim("params-tuning-model").post_value
    assert TuningPage("en").model_facts(model).n_params == "11,103"


def test_the_posts_tuner_summary_has_units_the_search_space_cannot_give() -> None:
    units = reachable_units()
    assert claim("tuner-summary-units").post_value not in units
    assert tuner_units_verdict("smoke") == "not reproduced"


PICKED = ("top-tie", "random-post", "grid-post", "as-said", "early-stopping", "reach", "keras-pairs", "decided",
          "engine-pairs", "seed-ties", "refit-layers", "trial-ties", "shown-trials", "test-choice", "units-reach",
          "units-verdict", "summary-fits", "summary-label", "summary-pairs", "size")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_picked_phrase_fits_an_inline_value(language: str) -> None:
    filled = dict(n=100, k=99, lr="0.001", units="100", units_topic="100은")
    for key in PICKED:
        for choice, text in words(language, "tuning", key).items():
            shown = text.format(**filled)
            assert len(shown) <= INLINE_LIMIT and "\n" not in shown, f"tuning.{key}.{choice} ({language}): {shown!r}"


# ------------------------------------------------------------------ reading the records


def test_same_position_pairs_follow_the_training_order(searches: dict[str, SearchSweep]) -> None:
    random, grid = searches["random"].records[0], searches["grid"].records[0]
    reversed_random = replace(random, rows=list(reversed(random.rows)))
    pairs = same_position_pairs(reversed_random, grid)
    assert (
        [first["candidate"] for first, _ in pairs]
        == [second["candidate"] for _, second in pairs]
        == list(range(len(pairs)))
    )


def test_every_keras_fit_ran_as_scikeras_says(on_keras: dict) -> None:
    # what the old page asserted: the learning rate of get_model, the epochs and batch size of fit
    for record in on_keras.values():
        assert record.engine == "keras" and record.early_stopping_fits == 0
        assert all(fits_as_scikeras_says(record, fit) for fit in record.fits)
    broken = copy.deepcopy(on_keras["random"])
    broken.fits[0]["learning_rate"] = broken.rows[0]["params"]["optimizer__learning_rate"]
    assert not fits_as_scikeras_says(broken, broken.fits[0])


def test_candidates_in_the_same_position_score_alike_on_keras_and_on_the_engine(
    on_keras: dict, searches: dict[str, SearchSweep]
) -> None:
    assert all(scores_alike(pair) for pair in same_position_pairs(on_keras["random"], on_keras["grid"]))
    for random, grid in zip(searches["random"].records, searches["grid"].records, strict=True):
        assert all(scores_alike(pair) for pair in same_position_pairs(random, grid))


def test_top_count_counts_ties(searches: dict[str, SearchSweep]) -> None:
    record = searches["random"].records[0]
    tied = replace(record, rows=[{**row, "rank_test_score": 1} for row in record.rows])
    assert top_count(tied) == len(record.rows)
    trials = searches["hyperband"].records[0]
    best = max(row["score"] for row in trials.rows)
    assert top_count(replace(trials, rows=[{**row, "score": best} for row in trials.rows])) == len(trials.rows)


# ------------------------------------------------------------------ wording that follows the results


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_measured_wording_follows_the_fits_and_the_pairs(
    language: str, on_keras: dict, searches: dict[str, SearchSweep]
) -> None:
    page = TuningPage(language)
    random, grid = searches["random"], searches["grid"]
    facts = page.measured_facts(on_keras, random, grid)
    assert facts.reach == words(language, "tuning", "reach", "never")
    assert facts.decided == words(language, "tuning", "decided", "holds")
    assert facts.summary_pairs == words(language, "tuning", "summary-pairs", "holds")

    fast = copy.deepcopy(on_keras)
    for fit in fast["grid"].fits:
        fit["learning_rate"] = 0.123
    apart = copy.deepcopy(on_keras)
    apart["grid"].rows[0]["split_test_scores"] = [0.0] * len(apart["grid"].rows[0]["split_test_scores"])
    assert page.measured_facts(fast, random, grid).reach == words(language, "tuning", "reach", "some")
    assert page.measured_facts(fast, random, grid).summary_label == words(language, "tuning", "summary-label", "mixed")
    assert page.measured_facts(apart, random, grid).decided == words(language, "tuning", "decided", "fails")
    assert page.measured_facts(
        on_keras, random, with_rows(grid, lambda row: row.update(split_test_scores=[0.5]))
    ).summary_pairs == (words(language, "tuning", "summary-pairs", "fails"))


def test_the_tie_wording_follows_the_ranks(searches: dict[str, SearchSweep]) -> None:
    page = TuningPage("en")
    random, grid = searches["random"], searches["grid"]
    assert page.facts(random, grid).random_tie == words("en", "tuning", "top-tie", "alone")
    tied = with_rows(random, lambda row: row.update(rank_test_score=1))
    n = len(random.records[0].rows)
    assert page.facts(tied, grid).random_tie == words("en", "tuning", "top-tie", "shared").format(n=n)


def test_the_post_comparison_follows_the_best_candidate(searches: dict[str, SearchSweep]) -> None:
    page = TuningPage("en")
    random, grid = searches["random"], searches["grid"]
    post_grid = claim("grid-search-best-params").post_value
    assert page.facts(random, grid).random_post == words("en", "tuning", "random-post", "not-drawn")
    chosen = replace(grid, records=[replace(grid.records[0], best_params=dict(post_grid)), *grid.records[1:]])
    assert page.facts(random, chosen).grid_post == words("en", "tuning", "grid-post", "same")
    post_random = dict(claim("random-search-best-params").post_value)
    drawn = copy.deepcopy(random.records[0])
    drawn.rows[-1]["params"] = post_random
    assert page.facts(replace(random, records=[drawn, *random.records[1:]]), grid).random_post == (
        words("en", "tuning", "random-post", "drawn")
    )


def test_the_seed_ties_follow_the_best_scores(searches: dict[str, SearchSweep]) -> None:
    page = TuningPage("en")
    random, grid = searches["random"], searches["grid"]
    assert page.facts(random, grid).seed_ties == words("en", "tuning", "seed-ties", "all").format()
    lower = replace(grid, records=[replace(grid.records[0], best_score=0.1), *grid.records[1:]])
    expected = words("en", "tuning", "seed-ties", "some").format(k=len(grid.records) - 1, n=len(grid.records))
    assert page.facts(random, lower).seed_ties == expected


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_hyperband_wording_follows_the_choice(language: str, searches: dict[str, SearchSweep]) -> None:
    page = TuningPage(language)
    hyperband = searches["hyperband"]
    facts = page.hyperband_facts(hyperband)
    assert facts.test_choice == words(language, "tuning", "test-choice", "all").format()
    assert facts.units_verdict == words(language, "tuning", "units-verdict", "not-reproduced")
    elsewhere = replace(hyperband, records=[replace(hyperband.records[0], test_accuracy=0.0), *hyperband.records[1:]])
    n = len(hyperband.records)
    assert page.hyperband_facts(elsewhere).test_choice == words(language, "tuning", "test-choice", "some").format(
        k=n - 1, n=n
    )


def test_korean_particles_follow_the_computed_words(searches: dict[str, SearchSweep]) -> None:
    facts = TuningPage("ko").hyperband_facts(searches["hyperband"])
    assert facts.units_reach == "그중에 100은 없다"
    assert facts.best_score_da.endswith("%다")
