"""What Keras would report: a trained replica turned into Keras' numbers and a :class:`RunRecord`.

Keras' ``evaluate`` averages losses per batch and adds the penalties over the batch size; its
``fit`` logs, with ``EarlyStopping``, stop at the epoch Keras would stop at; ``get_weights()``
lists the kernels and biases in layer order. This module computes each from the program's
outputs, without Keras.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from penguins.engine.keras_steps import learning_rates_of
from penguins.engine.plan import PlannedRun
from penguins.preprocessing import N_CLASSES, Split
from penguins.spec import ENGINE_JAX, KERAS_DEFAULT_BATCH_SIZE, NetworkSpec
from penguins.training import Fitted, RunRecord


@dataclass
class Trained:
    """What one request's training produced, weights included.

    Its final weights (Keras' ``get_weights()`` order; empty for a request served by evaluating a
    longer run after an earlier epoch) and everything its :class:`RunRecord` is made of.
    """

    weights: list[np.ndarray]
    fitted: Fitted
    split: Split
    wall_time_s: float
    epoch_weights: list[list[np.ndarray]] = field(default_factory=list)  # after each epoch, if asked for

    def record(self, spec: NetworkSpec) -> RunRecord:
        """The :class:`RunRecord` of this training of ``spec``, as the engine's."""
        return RunRecord.from_fit(spec, self.split, self.fitted, self.wall_time_s, ENGINE_JAX)


def keras_outcomes(
    run: PlannedRun, split: Split, params: list[np.ndarray], logs: list[np.ndarray], penalties: np.ndarray
) -> dict[int, Trained]:
    """One replica's result for each epoch count requested of ``run``, as Keras' fit would report it.

    Evaluations are averaged per batch, early stopping applied to the validation logs.
    ``params``: the final weights in the program's layout. ``logs``: per epoch the training loss and
    accuracy, then per evaluation (after every epoch, or once at the end) every row's loss,
    probabilities and activity sums (training rows, then test rows) and the kernels' sums.
    """
    spec, features = run.spec, run.features
    epoch_loss, epoch_accuracy, row_losses, probabilities, activity, kernel_sums = logs
    n_train, hidden = len(split.y_train), spec.hidden
    weights = keras_weights(params, hidden, split.n_features)

    def loss(at: int, rows: slice, batch_size: int) -> float:
        return keras_loss(
            row_losses[at, rows], activity[at, rows], kernel_sums[at], penalties, batch_size, features.regularised
        )

    train_rows, test_rows = slice(0, n_train), slice(n_train, None)
    history = {"accuracy": [float(v) for v in epoch_accuracy], "loss": [float(v) for v in epoch_loss]}
    if spec.validate_on_test:  # Keras evaluates the validation data with the fit's batch size
        batch = spec.batch_size or KERAS_DEFAULT_BATCH_SIZE
        correct = probabilities[:, test_rows].argmax(axis=-1) == split.y_test
        history["val_accuracy"] = [float(np.float32(c.sum()) / np.float32(c.size)) for c in correct]
        history["val_loss"] = [loss(at, test_rows, batch) for at in range(spec.epochs)]
    if spec.schedule == "step_decay":  # Keras' LearningRateScheduler logs the epoch's rate
        history["learning_rate"] = [float(rates[0]) for rates in learning_rates_of(spec, 1)]
    per_epoch = {}
    for requested in run.eval_epochs:
        ran = requested
        if spec.early_stopping_patience is not None:
            ran = epochs_before_early_stop(history["val_accuracy"][:requested], spec.early_stopping_patience)
        at = ran - 1 if features.eval_each_epoch else 0
        fitted = Fitted(
            train_probabilities=probabilities[at, train_rows],
            test_probabilities=probabilities[at, test_rows],
            train_loss=loss(at, train_rows, KERAS_DEFAULT_BATCH_SIZE),
            test_loss=loss(at, test_rows, KERAS_DEFAULT_BATCH_SIZE),
            history={name: values[:ran] for name, values in history.items()},
            summary=summary_rows(hidden, split.n_features, spec.dropout),
        )
        final = ran == spec.epochs
        per_epoch[requested] = Trained(weights if final else [], fitted, split, 0.0)
    return per_epoch


def keras_weights(params: Sequence[np.ndarray], hidden: Sequence[int], n_features: int) -> list[np.ndarray]:
    """One replica's weights in the program's padded layout, in Keras' ``get_weights()`` order."""
    w0, b0, wm, bm, wo, bo = params
    if not hidden:
        return [np.array(wo[:n_features]), np.array(bo)]
    weights = [w0[:, : hidden[0]], b0[: hidden[0]]]
    for layer in range(len(hidden) - 1):
        weights += [wm[layer, : hidden[layer], : hidden[layer + 1]], bm[layer, : hidden[layer + 1]]]
    weights += [wo[: hidden[-1]], bo]
    return [np.array(array) for array in weights]


def keras_loss(
    row_losses: np.ndarray,
    activity: np.ndarray,
    kernel_sums: np.ndarray,
    penalties: np.ndarray,
    batch_size: int,
    regularised: bool,
) -> float:
    """The loss Keras' ``evaluate`` reports.

    Per batch of ``batch_size`` rows in order, the mean loss plus (regularised) the activity
    penalties over the batch size and the kernel penalties; then their mean weighted by batch size,
    in float32 as Keras' metrics add up.
    """
    total, count = np.float32(0), np.float32(0)
    for start in range(0, len(row_losses), batch_size):
        rows = slice(start, start + batch_size)
        n = np.float32(len(row_losses[rows]))
        value = np.sum(row_losses[rows], dtype=np.float32) / n
        if regularised:
            terms = [value]
            terms += [
                np.sum(penalties[layer, 2:] * activity[rows, layer].sum(axis=0), dtype=np.float32) / n
                for layer in (0, 1)
            ]
            terms += [np.sum(penalties[layer, :2] * kernel_sums[layer], dtype=np.float32) for layer in (0, 1)]
            value = np.sum(np.array(terms, np.float32), dtype=np.float32)
        total = np.float32(total + np.float32(value) * n)
        count = np.float32(count + n)
    return float(total / count)


def epochs_before_early_stop(val_accuracy: Sequence[float], patience: int) -> int:
    """Epochs Keras' ``EarlyStopping(monitor="val_accuracy", patience=patience)`` lets run."""
    best, wait = None, 0
    for epoch, current in enumerate(val_accuracy):
        wait += 1
        if best is None or current > best:
            best, wait = current, 0
        elif wait >= patience and epoch > 0:
            return epoch + 1
    return len(val_accuracy)


def predict(weights: Sequence[np.ndarray], x: np.ndarray) -> np.ndarray:
    """Class probabilities of the network with ``weights`` (``get_weights()`` order) for the rows of ``x``.

    What Keras' ``predict`` computes (ReLU layers, softmax; Dropout passes through), in float32
    with NumPy's matrix products.
    """
    h = np.asarray(x, np.float32)
    kernels, biases = weights[0::2], weights[1::2]
    for kernel, bias in zip(kernels[:-1], biases[:-1], strict=False):
        h = np.maximum(h @ kernel + bias, np.float32(0))
    logits = h @ kernels[-1] + biases[-1]
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def summary_rows(hidden: Sequence[int], n_features: int, dropout: float = 0.0) -> list[dict[str, Any]]:
    """``summary_table(build_network(spec)).to_dict(orient="records")`` without Keras."""
    widths = (n_features, *hidden, N_CLASSES)
    rows = [
        {
            "layer": "dense" if i == 0 else f"dense_{i}",
            "type": "Dense",
            "output_shape": str((None, units)),
            "params": fan_in * units + units,
        }
        for i, (fan_in, units) in enumerate(zip(widths, widths[1:], strict=False))
    ]
    if dropout:
        rows.insert(
            len(hidden), {"layer": "dropout", "type": "Dropout", "output_shape": str((None, widths[-2])), "params": 0}
        )
    return rows
