"""The chapter "Methodology: leak-free preprocessing" (report/methodology.qmd): the fixed facts its
prose states about the post's process, and the words it picks from the comparison.

The comparison itself (``compare_variants``) trains networks, so the words are checked here on
made-up comparison tables of the same shape; the Keras-measured searches are stood in for likewise.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from penguins.catalog import NAMED_RUNS
from penguins.data import load_penguins
from penguins.pages import methodology
from penguins.pages.methodology import (
    MethodologyPage,
    decided,
    fill_means,
    rises,
    scaling_gaps,
)
from penguins.preprocessing import MEASUREMENTS, preprocess
from penguins.presets import PRESETS
from penguins.search import search_spec
from penguins.strings import words

SEEDS = tuple(range(10))  # ten seeds, like a full preset; the smoke preset's are the first two


@pytest.mark.parametrize("seed", SEEDS)
def test_both_preprocessings_split_alike(seed: int) -> None:
    post, leak_free = preprocess("post", seed=seed), preprocess("leak-free", seed=seed)
    assert (post.test_rows == leak_free.test_rows).all() and (post.train_rows == leak_free.train_rows).all()
    assert (post.y_test == leak_free.y_test).all()


def test_the_whole_table_means_barely_differ_from_the_training_means() -> None:
    # the prose: "a leak in principle, but not one large enough to move the numbers"
    penguins = load_penguins()
    for seed in SEEDS:
        means = fill_means(penguins, preprocess("post", seed=seed))
        assert (means["difference"].abs() / means["train"]).max() < 0.01
    assert int(penguins[MEASUREMENTS].isna().all(axis="columns").sum()) == 2


def test_the_scaling_moves_test_values() -> None:
    gaps = scaling_gaps(SEEDS[:3])
    assert len(gaps) == 3 and min(gaps) > 0


def test_early_stopping_and_hyperband_watch_the_test_set() -> None:
    stopping = NAMED_RUNS["early-stopping"].spec
    assert stopping.validate_on_test and stopping.early_stopping_patience is not None
    for preset in PRESETS:
        assert search_spec("hyperband", preset).objective == "val_accuracy"
    for method in ("random", "grid"):
        assert search_spec(method, "full").patience is not None  # the post passes early_stop to fit


def comparison(
    parameter: str, values: list[str], means: list[float], post: list[float], sd: float = 0.02, half: float = 0.01
) -> pd.DataFrame:
    """A table shaped like ``compare_variants``' output."""
    means = np.asarray(means)
    return pd.DataFrame(
        {
            parameter: values,
            "n_seeds": 10,
            "mean": means,
            "std": 0.02,
            "ci_low": means - half,
            "ci_high": means + half,
            "min": means - 0.03,
            "max": means + 0.03,
            "test_accuracy_post": post,
            "test_accuracy_leak_free": np.asarray(post) + means,
            "seed_sd": sd,
        }
    )


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_words_follow_the_comparison(language: str) -> None:
    page = MethodologyPage(language)
    logistic = comparison("model", ["logistic"], [0.003], [0.97], sd=0.005, half=0.02)
    networks = comparison(
        "model", ["hidden-0", "hidden-1", "hidden-2"], [-0.016, -0.028, 0.03], [0.41, 0.79, 0.96], sd=0.005, half=0.02
    )
    facts = page.facts([logistic, networks], networks)
    assert facts.n_runs == "4" and facts.n_decided == "2"  # hidden-1 and hidden-2 exclude 0
    assert facts.largest == page.run_name("hidden-2") and facts.largest_gap == "+3.0"
    assert facts.n_big == ("2" if language == "ko" else "2 runs")
    # 1.9 points > 0.5
    assert facts.noise_relation == words(language, "methodology", "noise", "preprocessing", "relation")
    assert facts.depth_holds == words(language, "methodology", "depth-holds", "both")

    quiet = comparison("model", ["hidden-0", "hidden-1", "hidden-2"], [0.001, -0.002, 0.0], [0.41, 0.96, 0.79], sd=0.05)
    facts = page.facts([quiet], quiet)
    assert facts.noise_meaning == words(language, "methodology", "noise", "seed", "meaning")
    assert facts.depth_holds == words(language, "methodology", "depth-holds", "neither")
    assert facts.n_decided == "0"


def test_helpers() -> None:
    table = comparison("model", ["a", "b", "c"], [0.0, 0.05, -0.05], [0.5, 0.6, 0.7])
    assert list(decided(table)) == [False, True, True]
    assert rises(table, "test_accuracy_post") and not rises(table, "test_accuracy_leak_free")


@pytest.mark.parametrize("early", [0, 3])
def test_the_callback_words_follow_the_measured_searches(early: int, monkeypatch: pytest.MonkeyPatch) -> None:
    records = {method: SimpleNamespace(fits=[{}] * 5, early_stopping_fits=early) for method in ("random", "grid")}
    monkeypatch.setattr(methodology, "keras_measured_searches", lambda preset: (records, 0))
    choice = "dropped" if early == 0 else "kept"
    for language in ("ko", "en"):
        leaks = MethodologyPage(language).leak_facts("smoke", (0, 1))
        assert leaks.callback == words(language, "methodology", "callback", choice, "what")
        assert leaks.n_fits == "10" and leaks.n_early_fits == str(2 * early)
        assert leaks.objective == "val_accuracy" and leaks.n_unmeasured == "2"


def test_both_languages_have_the_same_words() -> None:
    def keys(entry, prefix=""):
        if isinstance(entry, dict):
            return {item for key, value in entry.items() for item in keys(value, f"{prefix}.{key}")}
        return {prefix}

    assert keys(words("ko", "methodology")) == keys(words("en", "methodology"))


def test_no_decided_run_reads_as_none() -> None:
    quiet = comparison("model", ["hidden-0", "hidden-1"], [0.001, -0.002], [0.41, 0.96])
    assert MethodologyPage("en").facts([quiet], quiet).decided == "none of the 2 runs"
    assert MethodologyPage("ko").facts([quiet], quiet).decided == "하나도 없다"
