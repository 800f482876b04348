"""The chapter "Logistic regression baseline" (report/baseline.qmd): what its prose takes as given,
and the words it picks from the results.

The chapter quotes the post's code and reads the records ``run_experiment("baseline", ...)`` left
in the store; that these records are what the post's code gives is checked here. Logistic
regression is cheap, so the tests train it into the tests' own store.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from penguins.claims import POST_SOFTMAX_PARAMS
from penguins.pages.baseline import (
    LOOK_ALIKES,
    RUN,
    BaselinePage,
    most_common_mistake,
    n_wrong,
)
from penguins.pages.ledger import post_accuracy
from penguins.preprocessing import CLASS_NAMES, preprocess
from penguins.spec import LogisticSpec
from penguins.strings import words
from penguins.sweep import run_experiment
from penguins.training import train


@pytest.fixture(scope="module")
def baseline():
    return run_experiment("baseline", "smoke")


@pytest.mark.parametrize("seed", [0, 1, 5])
def test_the_runner_trains_the_posts_code(seed: int) -> None:
    # the post: log_model = LogisticRegression(); log_model.fit(x_train, y_train)
    split = preprocess("post", seed=seed)
    model = LogisticRegression().fit(split.x_train, split.y_train)
    record = train(LogisticSpec(), seed)
    assert record.train_accuracy == model.score(split.x_train, split.y_train)
    assert record.test_accuracy == model.score(split.x_test, split.y_test)


def test_the_model_has_as_many_parameters_as_the_posts_network_without_hidden_layers() -> None:
    record = train(LogisticSpec(), 0)
    assert [row["params"] for row in record.summary] == [POST_SOFTMAX_PARAMS] == [21]


def test_the_posts_numbers_come_from_the_ledger() -> None:
    assert post_accuracy(RUN) == (0.978, 0.971)


def test_the_most_common_mistake_is_read_off_the_diagonal() -> None:
    matrix = np.array([[30, 0, 2], [0, 25, 0], [5, 1, 6]])  # rows true, columns predicted (Adelie, Gentoo, Chinstrap)
    assert most_common_mistake(matrix) == ("Chinstrap", "Adelie", 5)
    assert n_wrong(matrix) == 8
    assert LOOK_ALIKES <= set(CLASS_NAMES)


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_facts_read_the_records(language: str, baseline) -> None:
    facts = BaselinePage(language).facts(baseline)
    scores = baseline.table()
    assert facts.n_seeds == str(len(baseline.seeds))
    assert facts.params == "21"
    assert facts.post_wrong == "2"  # 97.1% of 69 test penguins
    pooled = sum(np.asarray(baseline.record(RUN, seed).confusion_matrix) for seed in baseline.seeds)
    assert facts.n_pooled == str(int(pooled.sum())) == str(69 * len(baseline.seeds))
    small = abs(scores["train_accuracy"].mean() - scores["test_accuracy"].mean()) < 0.03
    assert facts.gap_reading == words(language, "baseline", "gap", "small" if small else "large")
    flat = [value for value in vars(facts).values()]
    assert all(isinstance(value, str) and value and len(value) <= 80 and "\n" not in value for value in flat)


def test_every_choice_has_words_in_both_languages() -> None:
    for language in ("ko", "en"):
        section = words(language, "baseline")
        assert set(section["mistake"]) == {"none", "look-alikes", "other"}
        assert all(set(choice) == {"what", "why"} for choice in section["mistake"].values())
        assert set(section["gap"]) == {"small", "large"} and set(section["steadiness"]) == {"train", "test"}
        assert set(section["first-wrong"]) == {"none", "some"}


def test_the_confusion_figure_fits_the_column(baseline) -> None:
    from penguins.plotting import COLUMN_WIDTH

    figure = BaselinePage("en").confusion_matrices(baseline)
    assert figure.get_size_inches()[0] <= COLUMN_WIDTH
    assert len(figure.axes) == 2
