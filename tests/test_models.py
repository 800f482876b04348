import keras
import pytest

from penguins.models import build_network, get_model, summary_table
from penguins.schedules import step_decay
from penguins.spec import NetworkSpec, spec_from_dict


@pytest.mark.parametrize(
    ("hidden", "rows", "total"),
    [
        ((), [("Dense", "(None, 3)", 21)], 21),
        ((100,), [("Dense", "(None, 100)", 700), ("Dense", "(None, 3)", 303)], 1003),
        (
            (100, 100),
            [("Dense", "(None, 100)", 700), ("Dense", "(None, 100)", 10100), ("Dense", "(None, 3)", 303)],
            11103,
        ),
    ],
)
def test_summaries_match_the_posts(hidden, rows, total):
    keras.backend.clear_session()
    table = summary_table(build_network(NetworkSpec(hidden=hidden)))
    assert list(table[["type", "output_shape", "params"]].itertuples(index=False, name=None)) == rows
    assert table["params"].sum() == total


def test_get_model_for_tuning_has_the_posts_regularisers_and_dropout():
    model = get_model(kernel_l1=0.01, kernel_l2=0.02, activity_l1=0.03, activity_l2=0.04, dropout=0.5)
    first, second, dropout, output = model.layers
    assert type(first.kernel_regularizer).__name__ == "L1" and pytest.approx(0.01) == float(first.kernel_regularizer.l1)
    assert type(first.activity_regularizer).__name__ == "L2" and pytest.approx(0.04) == float(
        first.activity_regularizer.l2
    )
    assert type(second.kernel_regularizer).__name__ == "L2" and pytest.approx(0.02) == float(
        second.kernel_regularizer.l2
    )
    assert type(second.activity_regularizer).__name__ == "L1" and pytest.approx(0.03) == float(
        second.activity_regularizer.l1
    )
    assert isinstance(dropout, keras.layers.Dropout) and dropout.rate == 0.5
    assert summary_table(model)["params"].sum() == 11103
    assert float(model.optimizer.learning_rate) == pytest.approx(0.001)


def test_plain_get_model_has_no_regulariser_or_dropout():
    model = get_model(nodes=30, lr=0.005)
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Dense", "Dense"]
    assert all(layer.kernel_regularizer is None for layer in model.layers)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.005)
    assert summary_table(model)["params"].sum() == 6 * 30 + 30 + 30 * 30 + 30 + 30 * 3 + 3


def test_step_decay_is_the_posts_formula():
    assert [step_decay(epoch) for epoch in range(7)] == pytest.approx([0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.05])


def test_cosine_restarts_schedule_reaches_the_optimizer():
    model = build_network(NetworkSpec(hidden=(4, 4), learning_rate=0.2, schedule="cosine_restarts"))
    schedule = model.optimizer._learning_rate  # the schedule object; .learning_rate evaluates it
    assert isinstance(schedule, keras.optimizers.schedules.CosineDecayRestarts)
    assert schedule.initial_learning_rate == 0.2 and schedule.first_decay_steps == 1000


@pytest.mark.parametrize(
    "bad",
    [
        dict(epochs=0),
        dict(hidden=(0,)),
        dict(batch_size=0),
        dict(dropout=1.0),
        dict(hidden=(10,), kernel_l1=0.01),
        dict(early_stopping_patience=3),
        dict(schedule="linear"),
    ],
)
def test_invalid_specs_are_refused(bad):
    with pytest.raises(ValueError):
        NetworkSpec(**bad)


def test_spec_round_trips_through_a_dict():
    spec = NetworkSpec(hidden=(5, 7), dropout=0.2, batch_size=16, validate_on_test=True, early_stopping_patience=2)
    assert spec_from_dict(spec.to_dict()) == spec
    with pytest.raises(ValueError, match="unknown fields"):
        spec_from_dict({**spec.to_dict(), "momentum": 0.9})


def test_seeded_layers_ignore_other_draws_from_pythons_random():
    import random

    from penguins.runtime import seed_everything

    spec = NetworkSpec(hidden=(8, 8), dropout=0.5)
    seed_everything(1)
    first = [weights.tolist() for weights in build_network(spec, seed=7).get_weights()]
    seed_everything(1)
    random.random()  # as a Dask worker's event loop may, between seeding and building
    second = [weights.tolist() for weights in build_network(spec, seed=7).get_weights()]
    assert first == second
    assert first != [weights.tolist() for weights in build_network(spec, seed=8).get_weights()]
