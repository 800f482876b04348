"""The chapter "Conclusion" (report/conclusion.qmd): the fixed facts its prose states and the words
it picks from the comparison of logistic regression with the post's networks.

The wording tests build small synthetic evidence (per-seed tables and records) so that each case,
a network above, below or level with logistic regression, can be produced on purpose.
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pandas as pd
import pytest

from penguins.claims import (
    MATCH,
    NETWORK_RUNS,
    POST_CONCLUSIONS,
    Evidence,
    collect_evidence,
)
from penguins.pages.conclusion import (
    MODELS,
    NETWORKS,
    ConclusionPage,
    accuracies,
    differences,
    parameters,
)
from penguins.preprocessing import CLASS_NAMES, FEATURES
from penguins.search import search_spec

LANGUAGES = ("ko", "en")
SEEDS = tuple(range(10))  # enough seeds for a 1-point gap to be shown inside the 2-point margin


def test_the_post_concludes_in_four_lines() -> None:
    # "네 문장 가운데 앞의 두 문장은 ... 셋째 문장은 ... 넷째 문장은"
    assert len(POST_CONCLUSIONS) == 4
    assert all(korean and english for korean, english in POST_CONCLUSIONS)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_quote_holds_every_line_in_the_readers_language(language: str) -> None:
    quote = ConclusionPage(language).post_conclusions().data.split("\n")
    assert len(quote) == len(POST_CONCLUSIONS) and all(line.startswith("> - ") for line in quote)
    assert all(korean in line for (korean, _), line in zip(POST_CONCLUSIONS, quote, strict=True))
    assert all(
        (english in line) == (language == "en") for (_, english), line in zip(POST_CONCLUSIONS, quote, strict=True)
    )


def test_the_knives_are_counted_from_the_records(reproduced_store: str) -> None:
    params = parameters(collect_evidence("smoke", store=reproduced_store))
    assert params["logistic"] == (len(FEATURES) + 1) * len(CLASS_NAMES) == 21
    assert params["hidden-2"] == 11103


# --------------------------------------------------------------------------- synthetic evidence

EXPERIMENT = {"logistic": "baseline", **{run: experiment for experiment, runs in NETWORK_RUNS.items() for run in runs}}


def evidence(best_gap: float) -> Evidence:
    """Logistic regression at 0.95 on every seed; the step-decay network ``best_gap`` above it on
    average (with some spread), every other network 0.05 below."""
    rows = []
    for seed in SEEDS:
        for model in MODELS:
            accuracy = 0.95
            if model == "step-decay":
                accuracy += best_gap + (0.005 if seed % 2 else -0.005)
            elif model != "logistic":
                accuracy -= 0.05
            rows.append({"experiment": EXPERIMENT[model], "value": model, "seed": seed, "test_accuracy": accuracy})
    frame = pd.DataFrame(rows)
    summary = {
        "logistic": [{"params": 21}], **{run: [{"params": 700}, {"params": 10100}, {"params": 303}] for run in NETWORKS}
    }
    sweeps = {}
    for experiment in dict.fromkeys(EXPERIMENT.values()):
        values = [model for model in MODELS if EXPERIMENT[model] == experiment]
        sweeps[experiment] = SimpleNamespace(
            values=values, records=[[SimpleNamespace(summary=summary[value])] for value in values]
        )
    tables = {
        name: group.drop(columns="experiment").reset_index(drop=True) for name, group in frame.groupby("experiment")
    }
    return Evidence("smoke", "post", SEEDS, tables, sweeps)


def never_reached() -> dict:
    spec = dataclasses.replace(search_spec("random", "smoke"), lr=0.001, fit_epochs=2)
    record = SimpleNamespace(
        fits=[{"learning_rate": 0.001, "epochs_run": 2}],
        rows=[{"params": {"epochs": 3}}],
        search_spec=spec,
        early_stopping_fits=0,
    )
    return {"random": record}


def test_the_synthetic_evidence_is_read_like_the_ledgers() -> None:
    found = evidence(0.03)
    assert list(accuracies(found).columns) == list(MODELS)
    assert differences(found)["step-decay"].mean() == pytest.approx(0.03)
    assert parameters(found) == {"logistic": 21, **{run: 11103 for run in NETWORKS}}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("gap", "side", "lesson"),
    [(0.0, "equal", "reproduced"), (0.01, "higher", "reproduced"), (0.06, "higher", "not reproduced-above")],
)
def test_the_sentences_follow_the_comparison(language: str, gap: float, side: str, lesson: str) -> None:
    assert gap <= MATCH or gap > MATCH + 0.01  # the cases sit clearly on one side of the ledger's tolerance
    page = ConclusionPage(language)
    facts = page.comparison_facts(evidence(gap), never_reached())
    assert facts.best == page.run_name("step-decay")
    assert facts.effort == page.words("effort", side).format(gap=f"{100 * gap:.1f}")
    assert facts.says == page.words("lesson", lesson, "says")
    assert facts.searched == page.words("searched", "never", "searched")
    assert facts.n_below == str(len(NETWORKS) - 1)
    assert facts.params_ratio == "529"


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_best_network_below_the_baseline_says_so(language: str) -> None:
    page = ConclusionPage(language)
    facts = page.comparison_facts(evidence(-0.04), never_reached())  # every network below logistic regression
    assert facts.n_below == str(len(NETWORKS))
    assert facts.gap.startswith(page.words("gap", "lower").split("{")[0])
    assert facts.says == page.words("lesson", "not reproduced-below", "says")
