"""The chapter "Learning-rate schedules" (report/schedules.qmd): what its prose takes as given, and
the words it picks from the results.

The chapter states facts of the post's settings (the two runs differ in their schedule only,
``step_decay`` keeps the post's constants, training ends long before the first restart); they
are checked here. The results come from ``run_experiment("lr-schedules", "smoke")``: read from
the tests' store, or trained into it (four short runs on the sweep engine).
"""

from __future__ import annotations

import keras
import pytest

from penguins.catalog import NAMED_RUNS
from penguins.models import build_network, get_model
from penguins.pages.ledger import post_accuracies
from penguins.pages.schedules import (
    SchedulesPage,
    cosine_rates,
    cosine_schedule,
    default_learning_rate,
    expected_rates,
    logged_rates,
    step_decay_defaults,
    step_rates,
    steps_per_epoch,
)
from penguins.sweep import run_experiment

STEP, COSINE = NAMED_RUNS["step-decay"].spec, NAMED_RUNS["cosine-decay"].spec


@pytest.fixture(scope="module")
def schedules():
    return run_experiment("lr-schedules", "smoke")


def test_the_two_runs_differ_in_their_schedule_only() -> None:
    # the prose: "두 실행은 학습률 스케줄만 다르다" / "the two runs differ in their learning-rate schedule only"
    assert (STEP.schedule, COSINE.schedule) == ("step_decay", "cosine_restarts")
    fields = ("hidden", "batch_size", "epochs", "learning_rate", "dropout", "kernel_l1", "kernel_l2")
    assert [getattr(STEP, name) for name in fields] == [getattr(COSINE, name) for name in fields]


def test_step_decay_keeps_the_posts_constants_and_the_run_passes_them() -> None:
    # the post: start = 0.2, drop = 0.5, epochs_drop = 3
    assert step_decay_defaults() == {"start": 0.2, "drop": 0.5, "epochs_drop": 3}
    assert (STEP.learning_rate, STEP.step_drop, STEP.step_every) == tuple(step_decay_defaults().values())
    # the post's ten epochs, as its step_decay prints them: 0.2 for three epochs, then halved every three
    assert expected_rates(STEP) == pytest.approx([0.2] * 3 + [0.1] * 3 + [0.05] * 3 + [0.025])


def test_the_default_learning_rate_is_get_models() -> None:
    keras.backend.clear_session()
    assert float(get_model().optimizer.learning_rate) == pytest.approx(default_learning_rate()) == pytest.approx(0.001)


def test_the_chapters_cosine_schedule_is_the_one_trained() -> None:
    keras.backend.clear_session()
    trained = build_network(COSINE).optimizer._learning_rate  # the schedule object itself
    assert isinstance(trained, keras.optimizers.schedules.CosineDecayRestarts)
    assert trained.get_config() == cosine_schedule(COSINE).get_config()


def test_training_ends_long_before_the_first_restart() -> None:
    # 275 training penguins in batches of 16: 18 steps an epoch, 180 in 10 epochs, of a 1000-step cycle
    per_epoch = steps_per_epoch(COSINE, seed=0)
    assert per_epoch == 18
    assert per_epoch * COSINE.epochs < COSINE.first_decay_steps
    rates = cosine_rates(cosine_schedule(COSINE), COSINE.first_decay_steps + 1)
    assert rates[0] == pytest.approx(COSINE.learning_rate)
    assert rates[-2] < 0.01 * COSINE.learning_rate < rates[-1]  # the restart, one step after the cycle


def test_step_rates_change_once_an_epoch() -> None:
    rates = step_rates(STEP, 4 * 18, per_epoch=18)
    assert rates[: 3 * 18] == [0.2] * (3 * 18)
    assert rates[3 * 18 :] == [pytest.approx(0.1)] * 18


def test_every_seed_logged_the_rates_step_decay_gives(schedules) -> None:
    for rates in logged_rates(schedules):
        assert rates == pytest.approx(expected_rates(STEP))


def test_the_posts_numbers_come_from_the_ledger() -> None:
    assert post_accuracies(["step-decay", "cosine-decay", "no-penalty"]) == {
        "step-decay": (0.996, 0.986),
        "cosine-decay": (0.913, 0.971),
    }


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_facts_pick_their_words_from_the_results(language: str, schedules) -> None:
    page = SchedulesPage(language)
    facts = page.facts(schedules)
    assert facts.n_seeds == str(len(schedules.seeds))
    assert (facts.steps_per_epoch, facts.trained_steps, facts.first_decay_steps) == ("18", "180", "1,000")
    assert facts.logged == page.words("logged", "same")
    assert facts.restart == page.words("restart", "none").format(epoch=56)
    assert facts.decay_story == page.words("decay-story", "fine")
    assert facts.keeps_story == page.words("keeps-story", "higher")
    assert facts.rates_verdict == page.verdict("reproduced")
    assert set(facts.test_mean) == set(facts.post_test) == {"step-decay", "cosine-decay"}


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_mean_story_follows_the_larger_schedule(language: str) -> None:
    page = SchedulesPage(language)
    assert page._mean_story(0.2, 0.1) == page.words("mean-story", "higher").format(ratio="2.0")
    assert page._mean_story(0.05, 0.1) == page.words("mean-story", "lower").format(ratio="2.0")
