"""Train one spec for one seed on one preprocessing variant and describe what happened.

``train`` is the single entry point: it seeds everything, preprocesses, fits, evaluates and
returns a :class:`RunRecord`, a plain-data record that the results store keeps as JSON.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from penguins.preprocessing import CLASS_NAMES, Split, preprocess
from penguins.runtime import GLOBAL_SEED_LOCK, seed_everything
from penguins.spec import ENGINE_KERAS, LogisticSpec, NetworkSpec, Spec
from penguins.versions import library_versions

EpochCallback = Callable[[int, dict[str, float]], None]


@dataclass
class Fitted:
    """What one fit produced, before it becomes a :class:`RunRecord`: probabilities, losses, logs.

    Keras (:func:`train`), scikit-learn and the JAX engine (:mod:`penguins.engine`) each produce
    one; :meth:`RunRecord.from_fit` turns it into the stored record the same way for all three.
    """

    train_probabilities: np.ndarray
    test_probabilities: np.ndarray
    train_loss: float
    test_loss: float
    history: dict[str, list[float]]
    summary: list[dict[str, Any]]


@dataclass
class RunRecord:
    """Everything one training run produced, as JSON-ready data."""

    spec: dict[str, Any]
    seed: int
    variant: str
    train_accuracy: float
    test_accuracy: float
    train_loss: float
    test_loss: float
    confusion_matrix: list[list[int]]  # rows: true species, columns: predicted, in CLASS_NAMES order
    test_predictions: list[int]
    test_probabilities: list[list[float]]
    history: dict[str, list[float]] = field(default_factory=dict)  # per-epoch values, as Keras logs them
    epochs_run: int = 0
    summary: list[dict[str, Any]] = field(default_factory=list)  # one row a layer (networks only)
    wall_time_s: float = 0.0
    versions: dict[str, str] = field(default_factory=dict)
    engine: str = ENGINE_KERAS  # what trained it: "keras" (one model per run), "jax" (penguins.engine) or "sklearn"

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-ready data, as the store keeps it."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunRecord:
        """The record :meth:`to_dict` wrote."""
        return cls(**data)

    @classmethod
    def from_fit(cls, spec: Spec, split: Split, fitted: Fitted, wall_time_s: float, engine: str) -> RunRecord:
        """The record of ``fitted``: predictions, accuracies and the confusion matrix on ``split``."""
        train_predictions = fitted.train_probabilities.argmax(axis=1)
        test_predictions = fitted.test_probabilities.argmax(axis=1)
        # here, not at the top: pages import this module for the record alone (scikit-learn is 2 s)
        from sklearn.metrics import confusion_matrix

        matrix = confusion_matrix(split.y_test, test_predictions, labels=list(range(len(CLASS_NAMES))))
        return cls(
            spec=spec.to_dict(),
            seed=split.seed,
            variant=split.variant,
            train_accuracy=float(np.mean(train_predictions == split.y_train)),
            test_accuracy=float(np.mean(test_predictions == split.y_test)),
            train_loss=fitted.train_loss,
            test_loss=fitted.test_loss,
            confusion_matrix=matrix.tolist(),
            test_predictions=test_predictions.tolist(),
            test_probabilities=np.round(fitted.test_probabilities.astype(float), 8).tolist(),
            history=fitted.history,
            epochs_run=len(next(iter(fitted.history.values()), [])),
            summary=fitted.summary,
            wall_time_s=wall_time_s,
            versions=library_versions(),
            engine=engine,
        )


def train(spec: Spec, seed: int = 0, variant: str = "post", on_epoch_end: EpochCallback | None = None) -> RunRecord:
    """Train ``spec`` with ``seed`` (split, initial weights and batch order) on ``variant`` data."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    started = time.perf_counter()
    split = preprocess(variant, seed)
    if isinstance(spec, LogisticSpec):
        fitted = _train_logistic(spec, split, seed)
    elif isinstance(spec, NetworkSpec):
        with GLOBAL_SEED_LOCK:  # one seeded training at a time per process
            fitted = _train_network(spec, split, seed, on_epoch_end)
    else:
        raise TypeError(f"no trainer for {type(spec).__name__}")
    engine = "sklearn" if isinstance(spec, LogisticSpec) else ENGINE_KERAS
    return RunRecord.from_fit(spec, split, fitted, time.perf_counter() - started, engine)


def _train_logistic(spec: LogisticSpec, split: Split, seed: int) -> Fitted:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss

    model = LogisticRegression(C=spec.C, max_iter=spec.max_iter, random_state=seed)
    model.fit(split.x_train, split.y_train)
    train_probabilities = model.predict_proba(split.x_train)
    test_probabilities = model.predict_proba(split.x_test)
    labels = list(range(len(CLASS_NAMES)))
    return Fitted(
        train_probabilities=train_probabilities,
        test_probabilities=test_probabilities,
        train_loss=float(log_loss(split.y_train, train_probabilities, labels=labels)),
        test_loss=float(log_loss(split.y_test, test_probabilities, labels=labels)),
        history={},
        # one row, as a network's summary has one a layer: what the fitted model holds
        summary=[{"layer": "logistic", "type": "LogisticRegression", "output_shape": f"(None, {len(model.classes_)})",
                  "params": int(model.coef_.size + model.intercept_.size)}],
    )


def _train_network(spec: NetworkSpec, split: Split, seed: int, on_epoch_end: EpochCallback | None) -> Fitted:
    import keras

    from penguins.models import build_network, summary_table
    from penguins.schedules import step_decay

    keras.backend.clear_session()  # fresh layer names (dense, dense_1, ...) and no leftover graphs
    seed_everything(seed)
    model = build_network(spec, split.n_features, seed=seed)
    callbacks: list[keras.callbacks.Callback] = []
    if spec.schedule == "step_decay":
        callbacks.append(
            keras.callbacks.LearningRateScheduler(
                lambda epoch: step_decay(epoch, spec.learning_rate, spec.step_drop, spec.step_every)
            )
        )
    if spec.early_stopping_patience is not None:
        callbacks.append(
            keras.callbacks.EarlyStopping(monitor="val_accuracy", min_delta=0, patience=spec.early_stopping_patience)
        )
    if on_epoch_end is not None:
        after_epoch = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: on_epoch_end(epoch, logs or {}))
        callbacks.append(after_epoch)
    x_train, x_test = split.x_train.astype("float32"), split.x_test.astype("float32")
    with warnings.catch_warnings():
        # Keras 3.15 reads a scheduled learning rate through a NumPy-1 style __array__; harmless.
        warnings.filterwarnings("ignore", message="__array__ implementation", category=DeprecationWarning)
        history = model.fit(
            x_train,
            split.y_train,
            epochs=spec.epochs,
            batch_size=spec.batch_size,
            validation_data=(x_test, split.y_test) if spec.validate_on_test else None,
            validation_split=spec.validation_split,
            callbacks=callbacks,
            verbose=0,
        )
    train_loss, _ = model.evaluate(x_train, split.y_train, verbose=0)
    test_loss, _ = model.evaluate(x_test, split.y_test, verbose=0)
    return Fitted(
        train_probabilities=model.predict(x_train, verbose=0),
        test_probabilities=model.predict(x_test, verbose=0),
        train_loss=float(train_loss),
        test_loss=float(test_loss),
        history={name: [float(value) for value in values] for name, values in history.history.items()},
        summary=summary_table(model).to_dict(orient="records"),
    )
