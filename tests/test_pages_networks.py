"""The networks chapter's page: what used to be asserted inside the page, and wording that follows the results."""

from __future__ import annotations

from dataclasses import replace

import pytest

from penguins.catalog import NAMED_RUNS
from penguins.claims import claim
from penguins.models import build_network
from penguins.pages.networks import NetworksPage
from penguins.strings import words
from penguins.sweep import SweepResult, run_experiment

RUNS = ("hidden-0", "hidden-1", "hidden-2")


@pytest.fixture(scope="module")
def networks(reproduced_store: str) -> SweepResult:
    return run_experiment("basic-networks", "smoke")


@pytest.mark.parametrize("run", RUNS)
def test_each_model_has_the_posts_parameter_count(run: str) -> None:
    model = build_network(NAMED_RUNS[run].spec)
    assert model.count_params() == sum(claim(f"params-{run}").post_value)
    table = NetworksPage("en").layers(model).data
    assert table.iloc[-1]["parameters"] == f"{model.count_params():,}" and table.iloc[-1]["layer"] == "total"


def with_test_accuracy(result: SweepResult, accuracy: dict[str, float]) -> SweepResult:
    """``result`` with every seed's test accuracy of each run set to ``accuracy[run]``."""
    records = [
        [replace(record, test_accuracy=accuracy[value]) for record in records]
        for value, records in zip(result.values, result.records, strict=True)
    ]
    return replace(result, records=records)


@pytest.mark.parametrize("language", ("ko", "en"))
def test_the_story_follows_the_mean_accuracies(networks: SweepResult, language: str) -> None:
    page = NetworksPage(language)
    baseline = run_experiment("baseline", "smoke")
    rising = with_test_accuracy(networks, {"hidden-0": 0.5, "hidden-1": 0.7, "hidden-2": 0.9})
    falling = with_test_accuracy(networks, {"hidden-0": 0.9, "hidden-1": 0.7, "hidden-2": 0.8})
    assert page.facts(rising, baseline).story == words(language, "networks", "story", "holds")
    assert page.facts(falling, baseline).story == words(language, "networks", "story", "fails")


def test_the_comparison_with_logistic_regression_follows_the_means(networks: SweepResult) -> None:
    page = NetworksPage("en")
    baseline = run_experiment("baseline", "smoke")
    logistic = float(baseline.table()["test_accuracy"].mean())
    near = with_test_accuracy(networks, {"hidden-0": 0.5, "hidden-1": 0.7, "hidden-2": logistic - 0.01})
    far_below = with_test_accuracy(networks, {"hidden-0": 0.5, "hidden-1": 0.7, "hidden-2": logistic - 0.2})
    assert page.facts(near, baseline).closeness == words("en", "networks", "closeness", "comparable")
    assert page.facts(far_below, baseline).closeness == words("en", "networks", "closeness", "below")


def test_the_rare_species_count_reads_well_when_it_is_zero(networks: SweepResult) -> None:
    page = NetworksPage("en")
    matrix = [[30, 0, 0], [5, 20, 0], [9, 5, 0]]  # nobody predicted Chinstrap
    seed = networks.seeds[0]
    records = [
        [
            replace(record, confusion_matrix=matrix) if value == "hidden-0" and record.seed == seed else record
            for record in records
        ]
        for value, records in zip(networks.values, networks.records, strict=True)
    ]
    facts = page.facts(replace(networks, records=records), run_experiment("baseline", "smoke"))
    assert facts.rare_count == "not a single one" and facts.rare == "Chinstrap"
    assert facts.evenness == words("en", "networks", "evenness", "uneven")
