"""What a search is: the post's three searches as frozen, validated specs, and each preset's.

:class:`RandomSearchSpec` is the post's ``RandomizedSearchCV``, :class:`GridSearchSpec` its
``GridSearchCV`` (both over scikeras' ``KerasClassifier(model=get_model)``) and
:class:`HyperbandSpec` its Keras Tuner ``Hyperband``. A spec is data: ``to_dict`` is what the
results store hashes, :func:`search_spec_from_dict` reads it back.

:data:`SPECS_BY_PRESET` gives every preset of :mod:`penguins.presets` its three searches: ``full``
runs exactly the post's, ``quick`` and ``smoke`` the same code paths in seconds
(:func:`penguins.presets.search_size` says which size a preset runs). :func:`search_spec` picks one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar, Literal, overload

from penguins.presets import PRESETS, check_preset, search_size

Wiring = Literal["post", "estimator"]
WIRINGS = ("post", "estimator")
METHODS = ("random", "grid", "hyperband")


def _lists(data: dict[str, Any]) -> dict[str, Any]:
    """Tuples to lists, as JSON reads them back."""
    return {name: list(value) if isinstance(value, tuple) else value for name, value in data.items()}


def _tuples(spec: Any, *names: str) -> None:
    """Store the fields ``names`` of a frozen spec as tuples, whatever sequence it was given."""
    for name in names:
        object.__setattr__(spec, name, tuple(getattr(spec, name)))


def _raise(problems: list[str]) -> None:
    """Raise one ValueError naming every problem found, if there is any."""
    if problems:
        raise ValueError("; ".join(problems))


@dataclass(frozen=True)
class _KerasClassifierSearch:
    """What random and grid search share: the post's estimator and its ``search.fit`` call.

    The estimator is ``KerasClassifier(model=get_model, verbose=0)`` with the post's tuning
    ``get_model`` (two Dense layers of ``nodes``, kernel L1 / activity L2 then kernel L2 /
    activity L1, Dropout, Adam(``lr``)). ``fit_epochs``, ``fit_batch_size`` and ``patience`` are
    the post's ``fit(..., epochs=10, batch_size=4, callbacks=[EarlyStopping('val_accuracy',
    patience=3)])`` with ``validation_data=(x_test, y_test)``. ``wiring`` says where the searched
    values go (see :mod:`penguins.search.settings`).
    """

    cv: int = 3
    scoring: str = "accuracy"
    nodes: int = 100
    lr: float = 0.001
    kernel_l1: float = 0.01
    kernel_l2: float = 0.01
    activity_l1: float = 0.01
    activity_l2: float = 0.01
    dropout: float = 0.5
    fit_epochs: int = 10
    fit_batch_size: int = 4
    patience: int = 3
    wiring: Wiring = "post"

    kind: ClassVar[str] = "search"
    method: ClassVar[str] = ""

    def _check_common(self) -> list[str]:
        problems = []
        if self.cv < 2:
            problems.append(f"cv must be at least 2, got {self.cv}")
        if self.nodes < 1:
            problems.append(f"nodes must be positive, got {self.nodes}")
        if self.lr <= 0:
            problems.append(f"lr must be positive, got {self.lr}")
        if not 0.0 <= self.dropout < 1.0:
            problems.append(f"dropout must be in [0, 1), got {self.dropout}")
        if self.fit_epochs < 1 or self.fit_batch_size < 1:
            problems.append("fit_epochs and fit_batch_size must be positive")
        if self.patience < 0:
            problems.append(f"patience must be non-negative, got {self.patience}")
        if self.wiring not in WIRINGS:
            problems.append(f"wiring must be one of {WIRINGS}, got {self.wiring!r}")
        return problems

    @property
    def learning_rate_param(self) -> str:
        """The searched learning-rate name.

        The post's ``optimizer__learning_rate``, or ``model__lr`` (get_model's own argument) when
        ``wiring="estimator"``.
        """
        return "optimizer__learning_rate" if self.wiring == "post" else "model__lr"

    def to_dict(self) -> dict[str, Any]:
        """The spec as JSON-ready data: what the results store hashes into a search's key."""
        return {"kind": self.kind, "method": self.method, **_lists(asdict(self))}


@dataclass(frozen=True)
class RandomSearchSpec(_KerasClassifierSearch):
    """``RandomizedSearchCV`` over the post's learning rates, batch sizes and epochs.

    The learning rate is drawn from ``scipy.stats.uniform(loc, scale)`` (that is [loc, loc + scale]),
    ``batch_size`` from ``range(*batch_size_range)``, ``epochs`` from ``range(*epochs_range)``;
    ``n_iter`` candidates. ``random_state`` is the seed unless ``random_state`` is given: the post's
    candidates come from one random_state, and searching them with other seeds' splits and fits
    shows whether the post's best candidate wins by more than chance.
    """

    method: ClassVar[str] = "random"
    learning_rate_uniform: tuple[float, float] = (0.001, 0.01)
    batch_size_range: tuple[int, int] = (2, 16)
    epochs_range: tuple[int, int] = (6, 15)
    n_iter: int = 10
    random_state: int | None = None

    def __post_init__(self) -> None:
        _tuples(self, "learning_rate_uniform", "batch_size_range", "epochs_range")
        problems = self._check_common()
        loc, scale = self.learning_rate_uniform
        if loc <= 0 or scale < 0:
            problems.append(f"learning_rate_uniform must have loc > 0 and scale >= 0, got {(loc, scale)}")
        for name in ("batch_size_range", "epochs_range"):
            start, stop = getattr(self, name)
            if not 1 <= start < stop:
                problems.append(f"{name} must be a non-empty range of positive integers, got {(start, stop)}")
        if self.n_iter < 1:
            problems.append(f"n_iter must be at least 1, got {self.n_iter}")
        _raise(problems)

    def sampler_state(self, seed: int) -> int:
        """The ``random_state`` that draws the candidates: ``random_state``, else the seed."""
        return seed if self.random_state is None else self.random_state

    def param_space(self) -> dict[str, Any]:
        """The ``param_distributions`` given to ``RandomizedSearchCV``."""
        from scipy.stats import uniform

        loc, scale = self.learning_rate_uniform
        return {
            self.learning_rate_param: uniform(loc=loc, scale=scale),
            "batch_size": range(*self.batch_size_range),
            "epochs": range(*self.epochs_range),
        }


@dataclass(frozen=True)
class GridSearchSpec(_KerasClassifierSearch):
    """``GridSearchCV`` over every combination of the listed values."""

    method: ClassVar[str] = "grid"
    learning_rates: tuple[float, ...] = (0.001, 0.005)
    batch_sizes: tuple[int, ...] = (10, 16)
    epochs: tuple[int, ...] = (10, 12)

    def __post_init__(self) -> None:
        _tuples(self, "learning_rates", "batch_sizes", "epochs")
        problems = self._check_common()
        if not self.learning_rates or min(self.learning_rates) <= 0:
            problems.append(f"learning_rates must be positive, got {self.learning_rates}")
        for name in ("batch_sizes", "epochs"):
            values = getattr(self, name)
            if not values or min(values) < 1:
                problems.append(f"{name} must be positive integers, got {values}")
        _raise(problems)

    def param_space(self) -> dict[str, Any]:
        """The ``param_grid`` given to ``GridSearchCV``."""
        return {
            self.learning_rate_param: list(self.learning_rates),
            "batch_size": list(self.batch_sizes),
            "epochs": list(self.epochs),
        }


@dataclass(frozen=True)
class HyperbandSpec:
    """Keras Tuner's ``Hyperband`` on the post's ``kt_model``.

    ``units`` is ``hp.Int('units', min, max, step)`` for both hidden layers, ``dropout_choices``
    is ``hp.Choice('rate', ...)``; the regularisers are the post's; Adam runs
    ``CosineDecayRestarts(initial_learning_rate, first_decay_steps)``. ``objective`` is watched on
    ``validation_data=(x_test, y_test)``, as in the post. ``search_epochs`` is the ``epochs=10``
    the post passes to ``tuner.search`` (Hyperband replaces it per trial); ``batch_size=None`` is
    Keras' 32, as in the post.
    """

    kind: ClassVar[str] = "search"
    method: ClassVar[str] = "hyperband"
    units: tuple[int, int, int] = (16, 256, 16)
    dropout_choices: tuple[float, ...] = (0.2, 0.4, 0.6)
    kernel_l1: float = 0.01
    kernel_l2: float = 0.01
    activity_l1: float = 0.01
    activity_l2: float = 0.01
    initial_learning_rate: float = 0.2
    first_decay_steps: int = 1000
    max_epochs: int = 10
    factor: int = 3
    search_epochs: int = 10
    batch_size: int | None = None
    objective: str = "val_accuracy"

    def __post_init__(self) -> None:
        _tuples(self, "units", "dropout_choices")
        problems = []
        low, high, step = self.units
        if not (1 <= low <= high and step >= 1):
            problems.append(f"units must be (min, max, step) with 1 <= min <= max, got {self.units}")
        if not self.dropout_choices or not all(0.0 <= rate < 1.0 for rate in self.dropout_choices):
            problems.append(f"dropout_choices must be in [0, 1), got {self.dropout_choices}")
        if self.max_epochs < 1 or self.factor < 2 or self.search_epochs < 1:
            problems.append("max_epochs and search_epochs must be at least 1 and factor at least 2")
        if self.batch_size is not None and self.batch_size < 1:
            problems.append(f"batch_size must be positive, got {self.batch_size}")
        if self.initial_learning_rate <= 0 or self.first_decay_steps < 1:
            problems.append("initial_learning_rate and first_decay_steps must be positive")
        _raise(problems)

    def to_dict(self) -> dict[str, Any]:
        """The spec as JSON-ready data: what the results store hashes into a search's key."""
        return {"kind": self.kind, "method": self.method, **_lists(asdict(self))}


SearchSpec = RandomSearchSpec | GridSearchSpec | HyperbandSpec
SEARCH_TYPES: dict[str, type] = {"random": RandomSearchSpec, "grid": GridSearchSpec, "hyperband": HyperbandSpec}

# The searches come in two sizes, named by penguins.presets.SEARCH_SIZES: ``full`` is the post,
# ``smoke`` runs the same code in seconds. In ``smoke`` the searched epochs, batch sizes and (for the
# grid) learning rates differ from the ``fit`` ones and get_model's lr, so a record shows which of
# them Keras used.
_SPECS_BY_SIZE: dict[str, dict[str, SearchSpec]] = {
    "full": {"random": RandomSearchSpec(), "grid": GridSearchSpec(), "hyperband": HyperbandSpec()},
    "smoke": {
        "random": RandomSearchSpec(
            cv=2, n_iter=2, batch_size_range=(8, 16), epochs_range=(3, 5), fit_epochs=2, fit_batch_size=32
        ),
        "grid": GridSearchSpec(
            cv=2, learning_rates=(0.002, 0.005), batch_sizes=(16,), epochs=(3,), fit_epochs=2, fit_batch_size=32
        ),
        # max_epochs 3, factor 3: two brackets, six trials, one of them continuing another
        "hyperband": HyperbandSpec(max_epochs=3),
    },
}
# Each preset's three searches, by preset name (penguins.presets.PRESETS), then method.
SPECS_BY_PRESET: dict[str, dict[str, SearchSpec]] = {preset: _SPECS_BY_SIZE[search_size(preset)] for preset in PRESETS}


@overload
def search_spec(method: Literal["random"], preset: str = ...) -> RandomSearchSpec: ...
@overload
def search_spec(method: Literal["grid"], preset: str = ...) -> GridSearchSpec: ...
@overload
def search_spec(method: Literal["hyperband"], preset: str = ...) -> HyperbandSpec: ...
@overload
def search_spec(method: str, preset: str = ...) -> SearchSpec: ...


def search_spec(method: str, preset: str = "full") -> SearchSpec:
    """The ``method`` search the preset ``preset`` runs: ``SPECS_BY_PRESET[preset][method]``.

    Parameters
    ----------
    method : str
        One of :data:`METHODS`: ``"random"``, ``"grid"`` or ``"hyperband"``.
    preset : str
        One of :data:`penguins.presets.PRESETS`; ``"full"`` is the post's search.

    Returns
    -------
    SearchSpec
        The frozen spec, ready for :func:`penguins.search.run_search`; typed as its method's spec when
        ``method`` is a literal (``search_spec("hyperband").lr`` type-checks).

    Raises
    ------
    ValueError
        In one line, naming the choices, for an unknown preset or method.
    """
    check_preset(preset)
    if method not in METHODS:
        raise ValueError(f"unknown search method {method!r}; choose one of {METHODS}")
    return SPECS_BY_PRESET[preset][method]


def search_spec_from_dict(data: Mapping[str, Any]) -> SearchSpec:
    """Rebuild a spec written by ``to_dict``, as a stored record holds it.

    Raises
    ------
    ValueError
        If ``data`` is not a search spec or has fields its method's spec does not.
    """
    data = dict(data)
    if data.pop("kind", "search") != "search":
        raise ValueError("not a search spec")
    method = data.pop("method")
    spec_type = SEARCH_TYPES[method]
    known = {f.name for f in fields(spec_type)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"unknown fields for a {method} search: {sorted(unknown)}")
    return spec_type(**data)
