"""The chapter "Preventing overfitting" (report/overfitting.qmd): what its prose takes as given, and
the words it picks from the results.

The chapter states facts of the post's settings (one learning rate and no schedule for every
model, the same penalty strength everywhere, a dropout layer without parameters, the callback
the post's code sets up) and facts of early stopping (Keras' stopping rule, the last validation
accuracy being the test accuracy); they are checked here. The results come from
``run_experiment("overfitting", "smoke")``: read from the tests' store, or trained into it (eight
short runs on the sweep engine).
"""

from __future__ import annotations

from dataclasses import replace

import keras
import pytest

from penguins.catalog import NAMED_RUNS
from penguins.claims import claim
from penguins.models import build_network, summary_table
from penguins.pages.ledger import post_accuracies
from penguins.pages.overfitting import (
    CONTROL,
    METHODS,
    POST_EARLY_STOPPING,
    OverfittingPage,
    best_epoch,
    cross_entropy,
    early_stopping_settings,
    records_of,
    regulariser_name,
    stopped_as_keras_does,
)
from penguins.sweep import run_experiment
from penguins.training import train

SPECS = {run: NAMED_RUNS[run].spec for run in (CONTROL, *METHODS)}
PENALTIES = ("kernel_l1", "kernel_l2", "activity_l1", "activity_l2")


@pytest.fixture(scope="module")
def overfitting():
    return run_experiment("overfitting", "smoke")


def test_the_experiment_is_the_control_then_the_posts_methods(overfitting) -> None:
    assert overfitting.values == [CONTROL, *METHODS] == ["no-penalty", "weight-decay", "dropout", "early-stopping"]


def test_every_model_trains_with_one_fixed_learning_rate() -> None:
    # the post defines cos_decay in each section but compiles Adam(learning_rate=0.001)
    assert {(spec.schedule, spec.learning_rate) for spec in SPECS.values()} == {("constant", 0.001)}


def test_the_models_differ_by_one_method_each() -> None:
    decay = SPECS["weight-decay"]
    assert SPECS[CONTROL] == replace(decay, **{name: 0.0 for name in PENALTIES})
    assert SPECS["dropout"] == replace(decay, dropout=0.5)
    assert SPECS["early-stopping"] == replace(
        SPECS["dropout"], epochs=20, validate_on_test=True, early_stopping_patience=3
    )


def test_the_four_penalties_have_the_same_strength() -> None:
    assert {getattr(SPECS["weight-decay"], name) for name in PENALTIES} == {0.01}


def test_the_package_puts_the_posts_penalties_on_each_layer() -> None:
    keras.backend.clear_session()
    layers = build_network(SPECS["weight-decay"]).layers
    kernel = [regulariser_name(layer.kernel_regularizer) for layer in layers]
    activity = [regulariser_name(layer.activity_regularizer) for layer in layers]
    assert kernel == ["L1(0.01)", "L2(0.01)", None]
    assert activity == ["L2(0.01)", "L1(0.01)", None]


def test_a_dropout_layer_has_no_parameters() -> None:
    keras.backend.clear_session()
    dropout = summary_table(build_network(SPECS["dropout"]))
    decay = summary_table(build_network(SPECS["weight-decay"]))
    assert list(dropout["type"]) == ["Dense", "Dense", "Dropout", "Dense"]
    assert dropout["params"].sum() == decay["params"].sum() == 11103
    assert tuple(dropout["params"]) == claim("params-tuning-model").post_value


def test_training_builds_the_posts_early_stopping_callback(monkeypatch) -> None:
    made = []

    class Recording(keras.callbacks.EarlyStopping):
        def __init__(self, **kwargs):
            made.append(kwargs)
            super().__init__(**kwargs)

    monkeypatch.setattr(keras.callbacks, "EarlyStopping", Recording)
    train(replace(SPECS["early-stopping"], hidden=(4, 4), epochs=1), seed=0)
    assert made == [{"monitor": "val_accuracy", "min_delta": 0, "patience": 3}]
    assert early_stopping_settings(SPECS["early-stopping"]) == POST_EARLY_STOPPING


def test_early_stopping_follows_keras_rule_and_measures_the_test_set(overfitting) -> None:
    spec = SPECS["early-stopping"]
    for record in records_of(overfitting, "early-stopping"):
        assert stopped_as_keras_does(record, spec.early_stopping_patience, spec.epochs), record.seed
        assert record.history["val_accuracy"][-1] == pytest.approx(record.test_accuracy, abs=1e-6)
        assert 1 <= best_epoch(record) <= record.epochs_run


def test_the_post_stopped_three_epochs_after_its_best() -> None:
    # the post's log: val_accuracy 0.9565 from epoch 8 on, "Epoch 11: early stopping"
    assert claim("early-stopping-epoch").post_value - SPECS["early-stopping"].early_stopping_patience == 8


def test_the_cross_entropy_of_the_predictions_is_the_loss_without_penalties(overfitting) -> None:
    for record in records_of(overfitting, CONTROL):
        assert cross_entropy(record) == pytest.approx(record.test_loss, abs=1e-4)
    for record in records_of(overfitting, "weight-decay"):
        assert cross_entropy(record) < record.test_loss / 2


def test_the_posts_numbers_come_from_the_ledger() -> None:
    post = post_accuracies([CONTROL, *METHODS])
    assert list(post) == list(METHODS)  # the control is ours, not the post's
    assert {test for _, test in post.values()} == {0.957}  # "the post's three test accuracies are the same"


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_facts_pick_their_words_from_the_results(language: str, overfitting) -> None:
    page = OverfittingPage(language)
    facts = page.facts(overfitting)
    assert facts.n_seeds == str(len(overfitting.seeds))
    assert (facts.total_params, facts.strength, facts.rate, facts.keep_scale) == ("11,103", "0.01", "50%", "2")
    assert (facts.post_stop, facts.post_best_epoch, facts.post_test, facts.post_correct) == ("11", "8", "95.7%", "66")
    assert facts.control == page.run_name(CONTROL)
    assert facts.control_losses == page.words("control-losses", "same")
    assert facts.loss_is_penalty == page.words("loss-is-penalty", "most")
    assert facts.final_is_test == page.words("final-is-test", "all").format(n=2, total=2)


def test_the_korean_list_of_methods_takes_its_particle() -> None:
    page = OverfittingPage("ko")
    assert page._helped_text(["가중치 감소"]) == "가중치 감소다"
    assert page._helped_text(["가중치 감소", "드롭아웃"]) == "가중치 감소, 드롭아웃이다"
    assert page._helped_text([]) == page.words("helped", "none")
    assert OverfittingPage("en")._helped_text(["Weight decay", "Dropout"]) == "weight decay, dropout"
