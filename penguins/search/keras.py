"""The post's three hyperparameter searches: RandomizedSearchCV, GridSearchCV and Keras Tuner's Hyperband.

Each search is a frozen spec (:class:`RandomSearchSpec`, :class:`GridSearchSpec`,
:class:`HyperbandSpec`); :func:`run_search` runs one for one seed and preprocessing variant through
the results store and returns a :class:`SearchRecord`. ``PRESETS["full"]`` is exactly the post,
``PRESETS["smoke"]`` the same code paths in seconds.

What actually reaches the model in the post's call
--------------------------------------------------
The post searches ``optimizer__learning_rate``, ``batch_size`` and ``epochs`` on
``KerasClassifier(model=get_model)`` and calls ``search.fit(x_train, y_train,
validation_data=(x_test, y_test), epochs=10, batch_size=4, callbacks=[early_stop])``.
scikeras 0.13 (``scikeras/wrappers.py``) decides as follows, and every fit of
:func:`run_search` measures it (``SearchRecord.fits``):

- **epochs**: ``BaseWrapper.fit`` takes ``kwargs.get("epochs", getattr(self, "fit__epochs",
  self.epochs))`` ("epochs via kwargs > fit__epochs > epochs"): the ``epochs=10`` given to ``fit``
  wins, the searched ``epochs`` is never used.
- **batch_size**: ``_fit_keras_model`` builds the Keras arguments from the estimator's parameters
  and then ``fit_args.update(kwargs)``: the ``batch_size=4`` given to ``fit`` wins.
- **learning rate**: ``optimizer__learning_rate`` only goes into ``compile`` arguments, which
  scikeras uses when the model it gets is *not* compiled (``_ensure_compiled_model``) or when the
  builder accepts ``compile_kwargs``. ``get_model`` compiles its own ``Adam(learning_rate=lr)``,
  so every candidate trains with ``get_model``'s default ``lr=0.001``.
- **callbacks**: ``_fit_keras_model`` drops every ``fit`` keyword that starts with
  ``callbacks`` and uses only the estimator's ``callbacks`` parameter, so the post's
  ``EarlyStopping`` never runs.

So every candidate of the post's random and grid searches trains the same network the same way
(Adam 0.001, 10 epochs, batch 4, no early stopping); their scores differ only by initial weights
and batch order. :func:`effective_fit_settings` states these rules per candidate; the tests check
them against what Keras ran. ``wiring="estimator"`` is the same search with the parameters put
where scikeras does use them (``model__lr``, estimator ``epochs`` / ``batch_size``, estimator
``callbacks``), for comparison. In Keras Tuner's Hyperband the ``epochs=10`` given to
``tuner.search`` is overridden per trial by ``tuner/epochs`` (``Hyperband.run_trial``).
"""

from __future__ import annotations

import penguins.runtime  # noqa: F401  (sets TensorFlow's environment before Keras loads it)

import logging
import math
import time
import warnings
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar, Iterator, Literal, Mapping

import numpy as np

from penguins.preprocessing import CLASS_NAMES, Split, preprocess
from penguins.runner import check_engine
from penguins.spec import DEFAULT_ENGINE, KERAS_DEFAULT_BATCH_SIZE, NetworkSpec
from penguins.store import ResultStore
from penguins.versions import library_versions

Wiring = Literal["post", "estimator"]
WIRINGS = ("post", "estimator")
METHODS = ("random", "grid", "hyperband")
HYPERBAND_PROJECT = "hyperband"


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """NumPy scalars to Python numbers, for JSON."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def _plain_params(params: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _plain(params[name]) for name in sorted(params)}


def _lists(data: dict[str, Any]) -> dict[str, Any]:
    return {name: list(value) if isinstance(value, tuple) else value for name, value in data.items()}


def _tuples(spec: Any, *names: str) -> None:
    for name in names:
        object.__setattr__(spec, name, tuple(getattr(spec, name)))


def _raise(problems: list[str]) -> None:
    if problems:
        raise ValueError("; ".join(problems))


# --------------------------------------------------------------------------------------------
# Specs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _KerasClassifierSearch:
    """What random and grid search share: the post's estimator and its ``search.fit`` call.

    The estimator is ``KerasClassifier(model=get_model, verbose=0)`` with the post's tuning
    ``get_model`` (two Dense layers of ``nodes``, kernel L1 / activity L2 then kernel L2 /
    activity L1, Dropout, Adam(``lr``)). ``fit_epochs``, ``fit_batch_size`` and ``patience`` are
    the post's ``fit(..., epochs=10, batch_size=4, callbacks=[EarlyStopping('val_accuracy',
    patience=3)])`` with ``validation_data=(x_test, y_test)``. ``wiring`` says where the searched
    values go (see the module docstring).
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
        """The searched learning-rate name: the post's ``optimizer__learning_rate``, or
        ``model__lr`` (get_model's own argument) when ``wiring="estimator"``."""
        return "optimizer__learning_rate" if self.wiring == "post" else "model__lr"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "method": self.method, **_lists(asdict(self))}


@dataclass(frozen=True)
class RandomSearchSpec(_KerasClassifierSearch):
    """``RandomizedSearchCV``: learning rate ~ ``scipy.stats.uniform(loc, scale)`` (that is
    [loc, loc + scale]), ``batch_size`` in ``range(*batch_size_range)``, ``epochs`` in
    ``range(*epochs_range)``, ``n_iter`` candidates, ``random_state`` = the seed unless
    ``random_state`` is given (the post's candidates come from one random_state; searching them with
    other seeds' splits and fits shows whether the post's best candidate wins by more than chance)."""

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
        return {"kind": self.kind, "method": self.method, **_lists(asdict(self))}


SearchSpec = RandomSearchSpec | GridSearchSpec | HyperbandSpec
SEARCH_TYPES: dict[str, type] = {"random": RandomSearchSpec, "grid": GridSearchSpec, "hyperband": HyperbandSpec}

# ``full`` is the post; ``smoke`` runs the same code in seconds. In ``smoke`` the searched epochs,
# batch sizes and (for the grid) learning rates differ from the ``fit`` ones and get_model's lr, so
# a record shows which of them Keras used.
PRESETS: dict[str, dict[str, SearchSpec]] = {
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


def preset(method: str, size: str = "full") -> SearchSpec:
    """``PRESETS[size][method]``, with a clear error for an unknown name."""
    if size not in PRESETS:
        raise ValueError(f"unknown preset {size!r}; choose one of {tuple(PRESETS)}")
    if method not in METHODS:
        raise ValueError(f"unknown search method {method!r}; choose one of {METHODS}")
    return PRESETS[size][method]


def search_spec_from_dict(data: Mapping[str, Any]) -> SearchSpec:
    """Rebuild a spec written by ``to_dict``."""
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


# --------------------------------------------------------------------------------------------
# Which setting wins
# --------------------------------------------------------------------------------------------


def effective_fit_settings(spec: SearchSpec, params: Mapping[str, Any]) -> dict[str, Any]:
    """What Keras actually trains a candidate with, given the parameters the search reports.

    Keys: ``learning_rate`` (a float, or for Hyperband the schedule's config), ``epochs`` (the
    ``epochs`` Keras' ``fit`` gets), ``initial_epoch``, ``batch_size`` and ``early_stopping``
    (whether an EarlyStopping callback is in the Keras fit, so fewer epochs may run).

    With the post's wiring scikeras ignores the searched values (see the module docstring): the
    learning rate is get_model's ``lr``, epochs and batch size are the ``fit`` keywords, and the
    EarlyStopping passed to ``fit`` is dropped. With ``wiring="estimator"`` the searched values
    are used. For Hyperband, ``tuner/epochs`` and ``tuner/initial_epoch`` replace the ``epochs``
    given to ``tuner.search``.
    """
    if isinstance(spec, HyperbandSpec):
        return {
            "learning_rate": {
                "class": "CosineDecayRestarts",
                "initial_learning_rate": spec.initial_learning_rate,
                "first_decay_steps": spec.first_decay_steps,
            },
            "epochs": int(params["tuner/epochs"]),
            "initial_epoch": int(params["tuner/initial_epoch"]),
            "batch_size": spec.batch_size or KERAS_DEFAULT_BATCH_SIZE,
            "early_stopping": False,
        }
    if spec.wiring == "post":
        # scikeras: fit kwargs win for epochs (BaseWrapper.fit) and batch_size
        # (fit_args.update(kwargs)); the compiled model keeps its own Adam(lr); callbacks passed
        # to fit are filtered out (k.startswith("callbacks")).
        return {
            "learning_rate": float(spec.lr),
            "epochs": spec.fit_epochs,
            "initial_epoch": 0,
            "batch_size": spec.fit_batch_size,
            "early_stopping": False,
        }
    return {
        "learning_rate": float(params[spec.learning_rate_param]),
        "epochs": int(params["epochs"]),
        "initial_epoch": 0,
        "batch_size": int(params["batch_size"]),
        "early_stopping": True,
    }


def batch_sizes_for(n_samples: int, steps: int) -> tuple[int, int | None]:
    """The batch sizes that split ``n_samples`` into ``steps`` batches per epoch, as an inclusive
    (smallest, largest) pair; largest is None when ``steps == 1`` (any batch of n or more)."""
    sizes = [size for size in range(1, n_samples + 1) if math.ceil(n_samples / size) == steps]
    if not sizes:
        raise ValueError(f"no batch size splits {n_samples} samples into {steps} steps")
    return sizes[0], (None if steps == 1 else sizes[-1])


def batch_size_matches(size: int, n_samples: int, steps: int) -> bool:
    """Whether a batch of ``size`` gives ``steps`` steps per epoch over ``n_samples`` rows."""
    return math.ceil(n_samples / size) == steps


# --------------------------------------------------------------------------------------------
# Record
# --------------------------------------------------------------------------------------------


@dataclass
class SearchRecord:
    """Everything one search produced, as JSON-ready data.

    ``rows``: for random and grid search one row a candidate, in ``cv_results_`` order, with
    ``candidate``, ``params``, ``mean_test_score``, ``std_test_score``, ``rank_test_score``,
    ``split_test_scores`` and ``effective`` (:func:`effective_fit_settings`); for Hyperband one row
    a trial with ``trial_id``, ``units``, ``rate``, ``epochs``, ``initial_epoch``, ``bracket``,
    ``round``, ``from_trial``, ``score`` (best ``val_accuracy``), ``status`` and ``effective``.

    ``fits``: what every Keras ``fit`` really ran with, measured by a callback on the model:
    ``learning_rate`` (the optimizer's, after compile), ``epochs`` / ``initial_epoch`` given to
    Keras, ``epochs_run``, ``steps`` per epoch, ``n_samples`` and the batch sizes consistent with
    them (``batch_size_min`` / ``batch_size_max``), the built ``units`` and ``dropout``; each
    tagged with its ``candidate`` and ``fold`` (``"refit"`` for the final fit) or ``trial_id``.
    In a record of ``engine == "jax"`` (:mod:`penguins.engine_search`) the same fields say what the
    engine trained each fit with; only a Keras record's were measured on Keras.

    The best model is the search's refit ``best_estimator_`` (random, grid) or Keras Tuner's best
    trial checkpoint (``get_best_models``); its summary, accuracies and test confusion matrix
    (rows true, columns predicted, ``CLASS_NAMES`` order) are on the split of ``seed``.
    ``early_stopping_fits`` counts the Keras fits the search's EarlyStopping took part in (0 with
    the post's wiring, where scikeras drops it; None for Hyperband, where the post uses none).
    """

    spec: dict[str, Any]
    method: str
    seed: int
    variant: str
    param_names: list[str]
    rows: list[dict[str, Any]]
    fits: list[dict[str, Any]]
    best_params: dict[str, Any]
    best_score: float
    summary: list[dict[str, Any]]
    train_accuracy: float
    test_accuracy: float
    confusion_matrix: list[list[int]]
    early_stopping_fits: int | None = None
    wall_time_s: float = 0.0
    versions: dict[str, str] = field(default_factory=dict)
    engine: str = "keras"  # what trained the fits: "keras" (scikeras / Keras Tuner) or "jax" (penguins.engine_search)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "SearchRecord":
        return cls(**data)

    @property
    def search_spec(self) -> SearchSpec:
        return search_spec_from_dict(self.spec)

    def table(self):
        """The rows as a pandas DataFrame, best first (the post's ``cv_results_`` table)."""
        import pandas as pd

        frame = pd.json_normalize(self.rows)
        order = "rank_test_score" if self.method != "hyperband" else "score"
        return frame.sort_values(order, ascending=self.method != "hyperband", kind="stable")


# --------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------


def run_search(
    spec: SearchSpec, seed: int = 0, variant: str = "post", store: ResultStore | None = None, engine: str = DEFAULT_ENGINE
) -> tuple[SearchRecord, bool]:
    """The record of search ``spec`` for ``seed`` on ``variant`` data, and whether it was stored.

    ``engine="keras"`` runs scikeras / Keras Tuner (:func:`search`); ``"jax"`` runs the same
    search with every fit on the sweep engine (:mod:`penguins.engine_search`)."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if not isinstance(spec, (RandomSearchSpec, GridSearchSpec, HyperbandSpec)):
        raise TypeError(f"not a search spec: {type(spec).__name__}")
    check_engine(engine)
    store = store or ResultStore()
    payload = {"task": "search", "spec": spec.to_dict(), "seed": seed, "variant": variant, "engine": engine}
    key = store.key(payload)

    def compute() -> dict[str, Any]:
        if engine == "jax":
            from penguins.engine import enable_compile_cache
            from penguins.search.engine import search_on_engine

            enable_compile_cache(store.root / "xla-cache")
            return search_on_engine(spec, seed, variant).to_dict()
        # Keras Tuner insists on writing files: they go to the store's folder for this key.
        workdir = store.workdir(key) if isinstance(spec, HyperbandSpec) else None
        return search(spec, seed, variant, workdir).to_dict()

    result, cached = store.get_or_compute(payload, compute)
    return SearchRecord.from_dict(result), cached


def search(spec: SearchSpec, seed: int = 0, variant: str = "post", workdir: str | Path | None = None) -> SearchRecord:
    """Run the search now (no store). ``workdir`` is Keras Tuner's folder and is required for it."""
    import keras

    from penguins.runtime import GLOBAL_SEED_LOCK, seed_everything

    if isinstance(spec, HyperbandSpec) and workdir is None:
        raise ValueError("Hyperband needs a working folder (run_search gives it one in the store)")
    started = time.perf_counter()
    split = preprocess(variant, seed)
    with GLOBAL_SEED_LOCK, _quiet_tensorflow_logger():  # one seeded search at a time per process
        keras.backend.clear_session()  # fresh layer names and no leftover graphs, as training.py does
        seed_everything(seed)
        if isinstance(spec, HyperbandSpec):
            record = _run_hyperband(spec, split, seed, Path(workdir))
        else:
            record = _run_sklearn_search(spec, split, seed)
    record.wall_time_s = time.perf_counter() - started
    return record


@contextmanager
def _quiet_tensorflow_logger() -> Iterator[None]:
    """Every candidate is a new model whose predict function TensorFlow traces anew, and its
    Python logger warns about "retracing" after a few; harmless here, so errors only."""
    logger = logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _fit_probe():
    """A Keras callback that only observes: what each ``fit`` ran with, appended to ``.fits``.

    scikit-learn clones the estimator's callbacks and Keras Tuner deep-copies the search's; both
    copy with ``copy.deepcopy``, which here returns the same probe, so one probe sees every fit.
    """
    import keras

    class FitProbe(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.fits: list[dict[str, Any]] = []
            self._current: dict[str, Any] = {}

        def __deepcopy__(self, memo: dict) -> "FitProbe":
            return self

        def on_train_begin(self, logs=None) -> None:
            self._current = {
                "epochs": int(self.params["epochs"]),
                "steps": int(self.params["steps"]),
                "initial_epoch": None,
                "epochs_run": 0,
                **describe_model(self.model),
            }

        def on_epoch_begin(self, epoch, logs=None) -> None:
            if self._current["initial_epoch"] is None:
                self._current["initial_epoch"] = int(epoch)
            self._current["epochs_run"] += 1

        def on_train_end(self, logs=None) -> None:
            self.fits.append(self._current)

    return FitProbe()


def _observed_early_stopping(patience: int):
    """The post's ``EarlyStopping(monitor='val_accuracy', min_delta=0, patience=...)`` that also
    counts the Keras fits it takes part in (``.fits_seen``). Like the probe it is not copied by
    ``copy.deepcopy`` (EarlyStopping resets its state at the start of every fit anyway)."""
    import keras

    class ObservedEarlyStopping(keras.callbacks.EarlyStopping):
        def __init__(self) -> None:
            super().__init__(monitor="val_accuracy", min_delta=0, patience=patience)
            self.fits_seen = 0

        def __deepcopy__(self, memo: dict) -> "ObservedEarlyStopping":
            return self

        def on_train_begin(self, logs=None) -> None:
            self.fits_seen += 1
            super().on_train_begin(logs)

    return ObservedEarlyStopping()


def describe_model(model) -> dict[str, Any]:
    """What a compiled Keras model was built and compiled with: the optimizer's learning rate
    (a float, or a schedule's class and config), Dense widths and Dropout rates."""
    import keras

    learning_rate = model.optimizer.get_config()["learning_rate"]
    if isinstance(learning_rate, dict):  # a serialised LearningRateSchedule
        learning_rate = {"class": learning_rate["class_name"], **learning_rate["config"]}
        learning_rate.pop("name", None)
    else:
        learning_rate = float(learning_rate)
    return {
        "learning_rate": learning_rate,
        "units": [int(layer.units) for layer in model.layers if isinstance(layer, keras.layers.Dense)],
        "dropout": [float(layer.rate) for layer in model.layers if isinstance(layer, keras.layers.Dropout)],
    }


def candidate_rows(spec: RandomSearchSpec | GridSearchSpec, candidates: list[dict[str, Any]], results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``SearchRecord.rows`` of a random or grid search from its ``cv_results_``-style scores
    (``mean_test_score``, ``std_test_score``, ``rank_test_score``, ``split<k>_test_score``)."""
    return [
        {
            "candidate": index,
            "params": params,
            "mean_test_score": float(results["mean_test_score"][index]),
            "std_test_score": float(results["std_test_score"][index]),
            "rank_test_score": int(results["rank_test_score"][index]),
            "split_test_scores": [float(results[f"split{fold}_test_score"][index]) for fold in range(spec.cv)],
            "effective": effective_fit_settings(spec, params),
        }
        for index, params in enumerate(candidates)
    ]


def _run_sklearn_search(spec: RandomSearchSpec | GridSearchSpec, split: Split, seed: int) -> SearchRecord:
    from scikeras.wrappers import KerasClassifier
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, check_cv

    from penguins.models import get_model, summary_table

    x_train, x_test = split.x_train.astype("float32"), split.x_test.astype("float32")
    probe = _fit_probe()
    early_stop = _observed_early_stopping(spec.patience)
    estimator_params: dict[str, Any] = dict(
        model=get_model,
        model__nodes=spec.nodes,
        model__lr=spec.lr,
        model__kernel_l1=spec.kernel_l1,
        model__kernel_l2=spec.kernel_l2,
        model__activity_l1=spec.activity_l1,
        model__activity_l2=spec.activity_l2,
        model__dropout=spec.dropout,
        model__n_features=split.n_features,
        verbose=0,
    )
    fit_kwargs: dict[str, Any] = dict(validation_data=(x_test, split.y_test), verbose=0)
    if spec.wiring == "post":
        # The post's call. The probe goes in the estimator's callbacks, the only ones scikeras uses.
        estimator_params["callbacks"] = [probe]
        fit_kwargs.update(epochs=spec.fit_epochs, batch_size=spec.fit_batch_size, callbacks=[early_stop])
    else:
        estimator_params["callbacks"] = [early_stop, probe]
    estimator = KerasClassifier(**estimator_params)
    common = dict(scoring=spec.scoring, cv=spec.cv, verbose=0, error_score="raise")
    if isinstance(spec, RandomSearchSpec):
        searcher = RandomizedSearchCV(
            estimator, param_distributions=spec.param_space(), n_iter=spec.n_iter, random_state=spec.sampler_state(seed), **common
        )
    else:
        searcher = GridSearchCV(estimator, param_grid=spec.param_space(), **common)
    searcher.fit(x_train, split.y_train, **fit_kwargs)

    results = searcher.cv_results_
    candidates = [_plain_params(params) for params in results["params"]]
    rows = candidate_rows(spec, candidates, results)

    # scikit-learn fits candidate by candidate, fold by fold (sequentially: n_jobs=None), then refits.
    folds = [train for train, _ in check_cv(spec.cv, split.y_train, classifier=True).split(x_train, split.y_train)]
    expected = len(candidates) * spec.cv + 1
    if len(probe.fits) != expected:
        raise RuntimeError(f"expected {expected} Keras fits, observed {len(probe.fits)}")
    fits = []
    for index, observed in enumerate(probe.fits):
        if index < expected - 1:
            tag = {"candidate": index // spec.cv, "fold": index % spec.cv}
            n_samples = len(folds[index % spec.cv])
        else:
            tag = {"candidate": int(searcher.best_index_), "fold": "refit"}
            n_samples = len(x_train)
        low, high = batch_sizes_for(n_samples, observed["steps"])
        fits.append({**tag, **observed, "n_samples": n_samples, "batch_size_min": low, "batch_size_max": high})

    best = searcher.best_estimator_
    train_predictions = np.asarray(best.predict(x_train))
    test_predictions = np.asarray(best.predict(x_test))
    return _record(
        spec,
        split,
        seed,
        param_names=sorted(spec.param_space()),
        rows=rows,
        fits=fits,
        best_params=_plain_params(searcher.best_params_),
        best_score=float(searcher.best_score_),
        summary=summary_table(best.model_).to_dict(orient="records"),
        train_predictions=train_predictions,
        test_predictions=test_predictions,
        early_stopping_fits=early_stop.fits_seen,
    )


def hyperband_network(spec: HyperbandSpec, hp) -> NetworkSpec:
    """The network of the post's ``kt_model`` for Keras Tuner's hyperparameters ``hp``
    (declaring ``units`` and ``rate`` in ``hp`` as the post does)."""
    low, high, step = spec.units
    units = hp.Int("units", min_value=low, max_value=high, step=step)
    rate = hp.Choice("rate", values=list(spec.dropout_choices))
    return NetworkSpec(
        hidden=(units, units),
        kernel_l1=spec.kernel_l1,
        kernel_l2=spec.kernel_l2,
        activity_l1=spec.activity_l1,
        activity_l2=spec.activity_l2,
        dropout=rate,
        learning_rate=spec.initial_learning_rate,
        schedule="cosine_restarts",
        first_decay_steps=spec.first_decay_steps,
    )


def hyperband_rows(spec: HyperbandSpec, trials: list) -> list[dict[str, Any]]:
    """``SearchRecord.rows`` of a Hyperband search: one per Keras Tuner trial, in trial order."""
    rows = []
    for trial in trials:
        values = _plain_params(trial.hyperparameters.values)
        rows.append(
            {
                "trial_id": trial.trial_id,
                "units": values["units"],
                "rate": values["rate"],
                "epochs": values["tuner/epochs"],
                "initial_epoch": values["tuner/initial_epoch"],
                "bracket": values["tuner/bracket"],
                "round": values["tuner/round"],
                "from_trial": values.get("tuner/trial_id"),
                "score": float(trial.score),
                "status": trial.status,
                "effective": effective_fit_settings(spec, values),
            }
        )
    return rows


def _run_hyperband(spec: HyperbandSpec, split: Split, seed: int, workdir: Path) -> SearchRecord:
    import keras_tuner as kt

    from penguins.models import build_network, summary_table

    x_train, x_test = split.x_train.astype("float32"), split.x_test.astype("float32")

    def kt_model(hp):
        """The post's kt_model, built by penguins.models.build_network."""
        return build_network(hyperband_network(spec, hp), split.n_features)

    tuner = kt.Hyperband(
        kt_model,
        objective=spec.objective,
        max_epochs=spec.max_epochs,
        factor=spec.factor,
        seed=seed,
        directory=str(workdir),
        project_name=HYPERBAND_PROJECT,
        overwrite=True,
    )
    probe = _fit_probe()
    with warnings.catch_warnings():
        # A trial that continues another (and get_best_models) loads weights into a model whose
        # optimizer is not built yet; Keras says it skips the optimizer's variables. So it does:
        # the continued trial starts a fresh Adam and a fresh cosine schedule.
        warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
        tuner.search(
            x_train,
            split.y_train,
            validation_data=(x_test, split.y_test),
            epochs=spec.search_epochs,
            batch_size=spec.batch_size,
            callbacks=[probe],
            verbose=0,
        )
        best_model = tuner.get_best_models(1)[0]

    trials = sorted(tuner.oracle.trials.values(), key=lambda trial: trial.trial_id)
    if len(trials) != len(probe.fits) or any(trial.status != "COMPLETED" for trial in trials):
        statuses = [trial.status for trial in trials]
        raise RuntimeError(f"{len(probe.fits)} Keras fits for {len(trials)} trials with statuses {statuses}")
    fits = []
    for trial, observed in zip(trials, probe.fits):
        n_samples = len(x_train)
        low_size, high_size = batch_sizes_for(n_samples, observed["steps"])
        fits.append(
            {
                "trial_id": trial.trial_id,
                **observed,
                "n_samples": n_samples,
                "batch_size_min": low_size,
                "batch_size_max": high_size,
            }
        )

    return hyperband_record(
        spec,
        split,
        seed,
        trials,
        tuner.oracle.get_best_trials(1)[0],
        fits=fits,
        summary=summary_table(best_model).to_dict(orient="records"),
        train_predictions=best_model.predict(x_train, verbose=0).argmax(axis=1),
        test_predictions=best_model.predict(x_test, verbose=0).argmax(axis=1),
    )


def hyperband_record(spec: HyperbandSpec, split: Split, seed: int, trials: list, best_trial, **parts: Any) -> SearchRecord:
    """The record of a finished Hyperband search from Keras Tuner's ``trials`` (in trial order) and
    its best trial; ``parts``: the fits, the best model's summary and predictions (and the engine)."""
    best_values = _plain_params(best_trial.hyperparameters.values)
    return _record(
        spec,
        split,
        seed,
        param_names=["rate", "units"],
        rows=hyperband_rows(spec, trials),
        best_params={"trial_id": best_trial.trial_id, "units": best_values["units"], "rate": best_values["rate"]},
        best_score=float(best_trial.score),
        early_stopping_fits=None,
        **parts,
    )


def _record(
    spec: SearchSpec,
    split: Split,
    seed: int,
    *,
    train_predictions: np.ndarray,
    test_predictions: np.ndarray,
    **parts: Any,
) -> SearchRecord:
    from sklearn.metrics import confusion_matrix

    matrix = confusion_matrix(split.y_test, test_predictions, labels=list(range(len(CLASS_NAMES))))
    return SearchRecord(
        spec=spec.to_dict(),
        method=spec.method,
        seed=seed,
        variant=split.variant,
        train_accuracy=float(np.mean(train_predictions == split.y_train)),
        test_accuracy=float(np.mean(test_predictions == split.y_test)),
        confusion_matrix=matrix.tolist(),
        versions=library_versions(),
        **parts,
    )
