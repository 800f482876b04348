"""Every section of the post as a named experiment: a parameter grid as data, per preset.

An experiment is a list of points; each point is one value of the swept parameter and the spec
it trains. ``full`` is the post's grid; ``quick`` keeps the shape of each curve with fewer
points; ``smoke`` is tiny, for tests. Sweeps over seeds are in :mod:`penguins.sweep`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from penguins.catalog import NAMED_RUNS
from penguins.presets import check_preset
from penguins.spec import NetworkSpec, Spec

# get_model(nodes=100, lr=0.001) of the post, trained like its first networks (5 epochs, batch 32).
POST_MODEL = NetworkSpec(hidden=(100, 100))
# The post does not say how many epochs experiment 5 trained; we keep the 5 epochs of experiments 1-3.
BATCH_SIZES_FULL = (1, 2, 4, 8, 16, 24, 32, 48, 64, 80, 96, 128, 160, 192, 224, 256, 275)


@dataclass(frozen=True)
class Point:
    """One value of the swept parameter and the spec trained for it."""

    value: Any
    spec: Spec


@dataclass(frozen=True)
class Experiment:
    """A section of the post as data: its name, its title, the parameter it varies and its grid.

    The grid is a function of the preset, so one experiment serves the published book (``full``),
    previews (``quick``) and the tests (``smoke``) without a second definition.
    """

    name: str
    title: str
    parameter: str  # what varies, as a column name
    grid: Callable[[str], list[Point]]  # preset -> points

    def points(self, preset: str) -> list[Point]:
        """The points this experiment trains at ``preset``.

        Parameters
        ----------
        preset : str
            One of :data:`penguins.presets.PRESETS`; anything else is a ValueError.

        Returns
        -------
        list of Point
            Each value of the swept parameter with the spec trained for it, in the grid's order.
        """
        return self.grid(check_preset(preset))


def _named(*names: str) -> Callable[[str], list[Point]]:
    return lambda preset: [Point(name, NAMED_RUNS[name].spec) for name in names]


def _by_preset(full: list, quick: list, smoke: list, make: Callable[[Any], Spec]) -> Callable[[str], list[Point]]:
    values = {"full": full, "quick": quick, "smoke": smoke}
    return lambda preset: [Point(value, make(value)) for value in values[preset]]


EXPERIMENTS: dict[str, Experiment] = {
    experiment.name: experiment
    for experiment in (
        Experiment("baseline", "Logistic regression baseline", "model", _named("logistic")),
        Experiment(
            "basic-networks",
            "Networks with 0, 1 and 2 hidden layers",
            "model",
            _named("hidden-0", "hidden-1", "hidden-2"),
        ),
        Experiment(
            "depth",
            "Experiment 1: hidden layers of 100 nodes, 1 to 99",
            "hidden_layers",
            _by_preset(
                list(range(1, 100)),
                [1, 2, 3, 4, 6, 10, 20, 40, 70, 99],
                [1, 2],
                lambda depth: NetworkSpec(hidden=(100,) * depth),
            ),
        ),
        Experiment(
            "width",
            "Experiment 2: nodes per layer of the two-hidden-layer network, 1 to 100",
            "nodes",
            _by_preset(
                list(range(1, 101)),
                [1, 2, 4, 8, 16, 30, 50, 80, 100],
                [2, 100],
                lambda nodes: NetworkSpec(hidden=(nodes, nodes)),
            ),
        ),
        Experiment(
            "shape",
            "Experiment 3: two hidden layers of i and 100 - i nodes, i = 1 to 99",
            "first_layer_nodes",
            _by_preset(
                list(range(1, 100)),
                [1, 3, 10, 25, 40, 50, 60, 75, 90, 97, 99],
                [1, 50],
                lambda first: NetworkSpec(hidden=(first, 100 - first)),
            ),
        ),
        Experiment(
            "epochs",
            "Experiment 4: epochs 1 to 30 with get_model(nodes=100, lr=0.001)",
            "epochs",
            _by_preset(
                list(range(1, 31)),
                [1, 2, 3, 5, 8, 12, 20, 30],
                [1, 3],
                lambda epochs: replace(POST_MODEL, epochs=epochs),
            ),
        ),
        Experiment(
            "batch-size",
            "Experiment 5: batch size from 1 to the whole training set (275)",
            "batch_size",
            _by_preset(
                list(BATCH_SIZES_FULL),
                [1, 4, 16, 32, 80, 128, 275],
                [16, 275],
                lambda size: replace(POST_MODEL, batch_size=size),
            ),
        ),
        Experiment(
            "lr-schedules",
            "Learning-rate schedules: step decay and cosine decay with restarts",
            "schedule",
            _named("step-decay", "cosine-decay"),
        ),
        Experiment(
            "overfitting",
            "Preventing overfitting: weight decay, dropout, early stopping, and the network without them",
            "method",
            _named("no-penalty", "weight-decay", "dropout", "early-stopping"),
        ),
    )
}
