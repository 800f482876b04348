"""What a search produced: :class:`SearchRecord`, JSON-ready, and :func:`search_record`, which builds one.

Both ways of running a search (on Keras, :mod:`penguins.search.keras`; on the sweep engine,
:mod:`penguins.search.engine`) end in :func:`search_record`, so their records have the same fields
computed the same way and the results store keeps them as plain JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from penguins.preprocessing import CLASS_NAMES, Split
from penguins.search.specs import SearchSpec, search_spec_from_dict
from penguins.spec import ENGINE_KERAS
from penguins.versions import library_versions


def _plain(value: Any) -> Any:
    """NumPy scalars to Python numbers, for JSON."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def plain_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """A candidate's parameters as plain JSON values, sorted by name.

    scikit-learn and Keras Tuner report parameters with NumPy scalars in them (a learning rate drawn
    from ``scipy.stats.uniform``); a record holds them as Python numbers, in one order, so equal
    candidates give equal records whichever search drew them.
    """
    return {name: _plain(params[name]) for name in sorted(params)}


@dataclass
class SearchRecord:
    """Everything one search produced, as JSON-ready data.

    ``rows``: for random and grid search one row a candidate, in ``cv_results_`` order, with
    ``candidate``, ``params``, ``mean_test_score``, ``std_test_score``, ``rank_test_score``,
    ``split_test_scores`` and ``effective`` (:func:`penguins.search.effective_fit_settings`); for
    Hyperband one row a trial with ``trial_id``, ``units``, ``rate``, ``epochs``, ``initial_epoch``,
    ``bracket``, ``round``, ``from_trial``, ``score`` (best ``val_accuracy``), ``status`` and
    ``effective``.

    ``fits``: what every Keras ``fit`` really ran with, measured by a callback on the model:
    ``learning_rate`` (the optimizer's, after compile), ``epochs`` / ``initial_epoch`` given to
    Keras, ``epochs_run``, ``steps`` per epoch, ``n_samples`` and the batch sizes consistent with
    them (``batch_size_min`` / ``batch_size_max``), the built ``units`` and ``dropout``; each
    tagged with its ``candidate`` and ``fold`` (``"refit"`` for the final fit) or ``trial_id``.
    In a record of ``engine == "jax"`` (:mod:`penguins.search.engine`) the same fields say what the
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
    # what trained the fits: "keras" (scikeras / Keras Tuner) or "jax" (penguins.search.engine)
    engine: str = ENGINE_KERAS

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-ready data, as the results store keeps it."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SearchRecord:
        """The record ``to_dict`` wrote."""
        return cls(**data)

    @property
    def search_spec(self) -> SearchSpec:
        """The spec of the search that made this record."""
        return search_spec_from_dict(self.spec)

    def table(self) -> Any:
        """The rows as a pandas DataFrame, best first (the post's ``cv_results_`` table)."""
        import pandas as pd

        frame = pd.json_normalize(self.rows)
        order = "rank_test_score" if self.method != "hyperband" else "score"
        return frame.sort_values(order, ascending=self.method != "hyperband", kind="stable")


def search_record(
    spec: SearchSpec,
    split: Split,
    seed: int,
    *,
    train_predictions: np.ndarray,
    test_predictions: np.ndarray,
    **parts: Any,
) -> SearchRecord:
    """The record of a finished search, with the best model's accuracies and confusion matrix.

    One builder for the Keras and the engine searches: what a record says about the best model is
    computed from its predictions in one place, the same way for both.

    Parameters
    ----------
    spec : SearchSpec
        The search that ran.
    split : Split
        The data it ran on (the preprocessing ``variant`` of ``seed``).
    seed : int
        The search's seed.
    train_predictions, test_predictions : numpy.ndarray
        The best model's predicted classes on the training and test rows.
    **parts
        The other fields of :class:`SearchRecord`: ``param_names``, ``rows``, ``fits``,
        ``best_params``, ``best_score``, ``summary``, ``early_stopping_fits`` and, for the engine,
        ``engine``.

    Returns
    -------
    SearchRecord
        With the library versions of this process; ``wall_time_s`` is for the caller to set.
    """
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
