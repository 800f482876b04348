"""Named runs of the post, for the command line and the chapters, and one control of ours."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from penguins.spec import LogisticSpec, NetworkSpec, Spec

# The post's get_model() for tuning: two layers of 100 with L1/L2 weight and activity penalties.
POST_REGULARISATION: dict[str, Any] = dict(kernel_l1=0.01, kernel_l2=0.01, activity_l1=0.01, activity_l2=0.01)


@dataclass(frozen=True)
class NamedRun:
    """One run of the post by name: what it is, its spec, and whether the post ran it."""

    name: str
    description: str
    spec: Spec
    in_post: bool = True  # False for a run of ours the post does not have (a control)


NAMED_RUNS: dict[str, NamedRun] = {
    run.name: run
    for run in (
        NamedRun("logistic", "Logistic regression baseline (scikit-learn defaults)", LogisticSpec()),
        NamedRun("hidden-0", "Softmax only, no hidden layer, 5 epochs (21 parameters)", NetworkSpec(hidden=())),
        NamedRun("hidden-1", "One hidden layer of 100, 5 epochs (1,003 parameters)", NetworkSpec(hidden=(100,))),
        NamedRun("hidden-2", "Two hidden layers of 100, 5 epochs (11,103 parameters)", NetworkSpec(hidden=(100, 100))),
        NamedRun(
            "step-decay",
            "get_model() with step decay from 0.2, halved every 3 epochs; batch 16, 10 epochs",
            NetworkSpec(hidden=(100, 100), learning_rate=0.2, schedule="step_decay", batch_size=16, epochs=10),
        ),
        NamedRun(
            "cosine-decay",
            "get_model() with cosine decay with restarts from 0.2 (first_decay_steps 1000); batch 16, 10 epochs",
            NetworkSpec(hidden=(100, 100), learning_rate=0.2, schedule="cosine_restarts", batch_size=16, epochs=10),
        ),
        NamedRun(
            "no-penalty",
            "Control (not in the post): the weight-decay network without its penalties; batch 16, 10 epochs",
            NetworkSpec(hidden=(100, 100), batch_size=16, epochs=10),
            in_post=False,
        ),
        NamedRun(
            "early-stopping-clean",
            "Control (not in the post): the early-stopping network validated on the last 20% of the training rows, "
            "not the test set",
            NetworkSpec(
                hidden=(100, 100),
                dropout=0.5,
                batch_size=16,
                epochs=20,
                validation_split=0.2,
                early_stopping_patience=3,
                **POST_REGULARISATION,
            ),
            in_post=False,
        ),
        NamedRun(
            "weight-decay",
            "Two layers of 100 with L1/L2 kernel and activity penalties; batch 16, 10 epochs",
            NetworkSpec(hidden=(100, 100), batch_size=16, epochs=10, **POST_REGULARISATION),
        ),
        NamedRun(
            "dropout",
            "The weight-decay network plus Dropout(0.5); batch 16, 10 epochs",
            NetworkSpec(hidden=(100, 100), dropout=0.5, batch_size=16, epochs=10, **POST_REGULARISATION),
        ),
        NamedRun(
            "early-stopping",
            "The dropout network, EarlyStopping(val_accuracy, patience 3), at most 20 epochs",
            NetworkSpec(
                hidden=(100, 100),
                dropout=0.5,
                batch_size=16,
                epochs=20,
                validate_on_test=True,
                early_stopping_patience=3,
                **POST_REGULARISATION,
            ),
        ),
    )
}


def network_spec(name: str) -> NetworkSpec:
    """The spec of the named network ``name``, typed as a network for code that reads its layers.

    Raises
    ------
    TypeError
        If ``name`` is a run of another kind (the logistic baseline).
    """
    spec = NAMED_RUNS[name].spec
    if not isinstance(spec, NetworkSpec):
        raise TypeError(f"{name!r} is not a network but a {type(spec).__name__}")
    return spec
