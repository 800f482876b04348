"""Training requests with the engine: inputs laid out for the program, calls run, results read.

:func:`fit_in_calls` is the engine's one entry: it plans the requests (:mod:`penguins.engine.plan`),
lays each call's inputs out in the program's padded, stacked layout -- initial weights, batches,
learning rates, penalties and dropout masks as Keras would use them -- runs the compiled program
(:mod:`penguins.engine.program`) and reads each replica back as Keras would report it
(:mod:`penguins.engine.report`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from penguins.engine.keras_random import initial_weights_many, keras_permutations, run_dropout_masks
from penguins.engine.keras_steps import learning_rates_of, penalties_of
from penguins.engine.plan import (
    REPLICAS,
    FoldRows,
    PlannedRun,
    batch_shape,
    call_groups_of,
    capacity,
    check_supported,
    padded_width,
    plan_runs,
    requests_of_runs,
)
from penguins.engine.report import Trained, keras_outcomes, keras_weights
from penguins.preprocessing import N_CLASSES, Split, preprocess
from penguins.spec import KERAS_DEFAULT_BATCH_SIZE, NetworkSpec
from penguins.training import RunRecord


def enable_compile_cache(directory: str | os.PathLike) -> bool:
    """Keep XLA's compiled programs in ``directory`` (e.g. next to the results store).

    Later processes load them instead of compiling again (about 2 s each); files are written whole
    and checked on read (:mod:`penguins.compile_cache`). Returns whether a cache is in use.
    """
    from penguins import compile_cache

    return compile_cache.enable(directory)


@lru_cache(maxsize=64)
def _split(variant: str, seed: int) -> Split:
    return preprocess(variant, seed)


def fit_batch(
    specs: Sequence[NetworkSpec],
    seeds: Sequence[int],
    variant: str = "post",
    fit_on: Sequence[FoldRows | None] | None = None,
    start_from: Sequence[Sequence[np.ndarray] | None] | None = None,
    epoch_weights: bool = False,
) -> list[Trained]:
    """Train every (spec, seed) request; the results in request order.

    A request fits its own seed's split, or with ``fit_on`` (one per request, ``None`` for the
    default) some rows of another seed's split (:class:`FoldRows`); its seed still decides the
    initial weights, the batch order and the dropout masks. With ``start_from`` (one per request,
    ``None`` for the default) a request starts from the given weights (``get_weights()`` order)
    instead, with a fresh optimizer and schedule, as Keras trains a model after ``set_weights``.
    With ``epoch_weights`` every result keeps the weights after each epoch. Evaluations cover
    every training and test row of the split.
    """
    results: dict[int, Trained] = {}
    for indices, trained in fit_in_calls(specs, seeds, variant, fit_on, start_from, epoch_weights):
        results.update(zip(indices, trained, strict=False))
    return [results[index] for index in range(len(specs))]


def fit_in_calls(
    specs: Sequence[NetworkSpec],
    seeds: Sequence[int],
    variant: str = "post",
    fit_on: Sequence[FoldRows | None] | None = None,
    start_from: Sequence[Sequence[np.ndarray] | None] | None = None,
    epoch_weights: bool = False,
) -> Iterator[tuple[list[int], list[Trained]]]:
    """Train every (spec, seed) request, one compiled call at a time.

    After each call, yields the indices of the requests it finished and their results, so a
    caller can keep them before the next call starts, and stop between calls. The options are
    :func:`fit_batch`'s.
    """
    specs, seeds = list(specs), list(seeds)
    fit_on = list(fit_on) if fit_on is not None else [None] * len(specs)
    start_from = list(start_from) if start_from is not None else [None] * len(specs)
    if not len(specs) == len(seeds) == len(fit_on) == len(start_from):
        raise ValueError("specs, seeds, fit_on and start_from must have the same length")
    for spec, seed, start in zip(specs, seeds, start_from, strict=False):
        check_supported(spec)
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        if start is not None:
            _check_weights(spec, start)
    seeds = [int(seed) for seed in seeds]
    runs, where = plan_runs(specs, seeds, fit_on, start_from, epoch_weights)
    requests_of = requests_of_runs(where)
    for group in call_groups_of(runs):
        started = time.perf_counter()
        outcome = _train_call([runs[i] for i in group], variant)
        share = (time.perf_counter() - started) / len(group)
        indices, trained = [], []
        for run_index, per_epoch in zip(group, outcome, strict=False):
            for trained_run in per_epoch.values():
                trained_run.wall_time_s = share
            for index in requests_of[run_index]:
                indices.append(index)
                trained.append(per_epoch[where[index][1]])
        yield indices, trained


def _check_weights(spec: NetworkSpec, weights: Sequence[np.ndarray]) -> None:
    """A clear error unless ``weights`` has the shapes of ``spec``'s network (any n_features)."""
    shapes = [np.shape(array) for array in weights]
    widths = [shapes[0][0] if shapes and len(shapes[0]) == 2 else -1, *spec.hidden, N_CLASSES]
    expected = [
        shape for fan_in, units in zip(widths, widths[1:], strict=False) for shape in ((fan_in, units), (units,))
    ]
    if shapes != expected:
        raise ValueError(
            f"start weights of shapes {shapes} do not fit hidden layers {spec.hidden}: expected {expected}"
        )


def train_batch(specs: Sequence[NetworkSpec], seeds: Sequence[int], variant: str = "post") -> list[RunRecord]:
    """What ``[training.train(spec, seed, variant) for spec, seed in zip(specs, seeds)]`` returns, by the engine.

    ``docs/engine.md`` says what is equal and what is close; ``wall_time_s`` is the request's
    share of its call's time.
    """
    return [trained.record(spec) for spec, trained in zip(specs, fit_batch(specs, seeds, variant), strict=False)]


def train_in_calls(
    specs: Sequence[NetworkSpec], seeds: Sequence[int], variant: str = "post"
) -> Iterator[tuple[list[int], list[RunRecord]]]:
    """:func:`train_batch` one compiled call at a time: (request indices, their records) per call."""
    for indices, trained in fit_in_calls(specs, seeds, variant):
        yield indices, [result.record(specs[index]) for index, result in zip(indices, trained, strict=False)]


@dataclass
class _CallShape:
    """The static sizes of one call, shared by its runs."""

    n_features: int
    width: int
    capacity: int
    batch: int  # the spec's batch size
    padded_batch: int
    steps: int  # room for steps per epoch
    n_fit: int  # rows each run fits on
    epochs: int
    replicas: int


def _call_shape(runs: list[PlannedRun], splits: list[Split]) -> _CallShape:
    spec = runs[0].spec
    n_train = len(splits[0].y_train)
    n_fit = n_train if runs[0].fit_on is None else len(runs[0].fit_on.rows)  # the same in a group
    if any(run.fit_on is not None and max(run.fit_on.rows) >= n_train for run in runs):
        raise ValueError(f"fold rows must index the {n_train} training rows")
    batch = spec.batch_size or KERAS_DEFAULT_BATCH_SIZE
    padded_batch, steps = batch_shape(batch, n_fit)
    replicas = REPLICAS * -(-len(runs) // REPLICAS)
    return _CallShape(
        splits[0].n_features,
        padded_width(spec),
        capacity(spec),
        batch,
        padded_batch,
        steps,
        n_fit,
        spec.epochs,
        replicas,
    )


def _stacked_weights(runs: list[PlannedRun], shape: _CallShape) -> tuple[np.ndarray, ...]:
    """Each run's starting weights, zero-padded into the program's stacked layout.

    Inactive replicas stay all zero.
    """
    n, width, n_features = shape.replicas, shape.width, shape.n_features
    w0 = np.zeros((n, n_features, width), np.float32)
    b0 = np.zeros((n, width), np.float32)
    wm = np.zeros((n, shape.capacity, width, width), np.float32)
    bm = np.zeros((n, shape.capacity, width), np.float32)
    wo = np.zeros((n, width, N_CLASSES), np.float32)
    bo = np.zeros((n, N_CLASSES), np.float32)
    if any(run.start is not None and run.start[0].shape[0] != n_features for run in runs):
        raise ValueError(f"start weights must take the split's {n_features} features")
    fresh = iter(initial_weights_many([(run.spec, run.seed) for run in runs if run.start is None], n_features))
    for r, run in enumerate(runs):
        weights = next(fresh) if run.start is None else run.start
        kernels, biases = weights[0::2], weights[1::2]
        if len(kernels) > 1:
            w0[r, :, : kernels[0].shape[1]] = kernels[0]
            b0[r, : biases[0].shape[0]] = biases[0]
        for layer, (kernel, bias) in enumerate(zip(kernels[1:-1], biases[1:-1], strict=False)):
            wm[r, layer, : kernel.shape[0], : kernel.shape[1]] = kernel
            bm[r, layer, : bias.shape[0]] = bias
        wo[r, : kernels[-1].shape[0]] = kernels[-1]
        bo[r] = biases[-1]
    return w0, b0, wm, bm, wo, bo


@dataclass
class _StepInputs:
    """Per replica and step, what Keras feeds: rows, learning rates, penalties, dropout masks."""

    rows: np.ndarray  # [replicas, epochs, steps, padded batch] row indices
    valid: np.ndarray  # [steps, padded batch]: 1 for a real row
    counts: np.ndarray  # [steps]: real rows per step (0: past the epoch's end)
    learning_rates: np.ndarray  # [replicas, epochs, steps]
    penalties: np.ndarray  # [replicas, 2, 4]
    masks: np.ndarray  # [replicas, epochs, steps, padded batch, width], or [..., 1, 1] without dropout


def _step_inputs(runs: list[PlannedRun], shape: _CallShape) -> _StepInputs:
    """Each epoch's permutation cut into batches of ``batch`` rows, each padded to the padded batch."""
    n_fit, batch, padded_batch, steps, epochs = shape.n_fit, shape.batch, shape.padded_batch, shape.steps, shape.epochs
    starts = np.arange(0, n_fit, batch)
    real_steps = len(starts)
    positions = starts[:, None] + np.arange(padded_batch)[None, :]
    valid_rows = (np.arange(padded_batch)[None, :] < batch) & (positions < n_fit)
    valid = np.zeros((steps, padded_batch), np.float32)
    valid[:real_steps] = valid_rows
    dropout = runs[0].features.dropout
    inputs = _StepInputs(
        rows=np.zeros((shape.replicas, epochs, steps, padded_batch), np.int32),
        valid=valid,
        counts=valid.sum(axis=1).astype(np.float32),
        learning_rates=np.zeros((shape.replicas, epochs, steps), np.float32),
        penalties=np.zeros((shape.replicas, 2, 4), np.float32),
        masks=np.zeros(
            (shape.replicas, epochs, steps, *((padded_batch, shape.width) if dropout else (1, 1))), np.float32
        ),
    )
    for r, run in enumerate(runs):
        order = keras_permutations(run.seed, n_fit, epochs)  # [epochs, n_fit]: positions in the fitted rows
        picked = order[:, np.minimum(positions, n_fit - 1)]
        if run.fit_on is not None:
            picked = np.asarray(run.fit_on.rows)[picked]
        inputs.rows[r, :, :real_steps] = np.where(valid_rows, picked, 0)
        inputs.learning_rates[r, :, :real_steps] = learning_rates_of(run.spec, real_steps)
        inputs.penalties[r] = penalties_of(run.spec)
        if dropout:
            units = run.spec.hidden[-1]
            inputs.masks[r, :, :real_steps, :batch, :units] = run_dropout_masks(run.spec, run.seed, real_steps)
    return inputs


def _per_replica(values: list, dtype: type, shape: tuple, replicas: int) -> np.ndarray:
    out = np.zeros((replicas, *shape), dtype)
    out[: len(values)] = values
    return out


def _train_call(runs: list[PlannedRun], variant: str) -> list[dict[int, Trained]]:
    """Train one call's runs in one compiled program; per run, its result per requested epochs."""
    import jax

    from penguins.engine.program import compiled_trainer

    splits = [_split(variant, run.split_seed) for run in runs]
    shape = _call_shape(runs, splits)
    features = runs[0].features
    n_train, n_test, n_features = len(splits[0].y_train), len(splits[0].y_test), shape.n_features
    inputs = _step_inputs(runs, shape)

    def per_replica(values: list, dtype: type, value_shape: tuple = ()) -> np.ndarray:
        return _per_replica(values, dtype, value_shape, shape.replicas)

    params, logs, epoch_params = compiled_trainer()(
        _stacked_weights(runs, shape),
        per_replica([max(len(run.spec.hidden) - 1, 0) for run in runs], np.int32),
        per_replica([True] * len(runs), np.bool_),
        inputs.learning_rates,
        inputs.penalties,
        inputs.masks,
        per_replica([split.x_train for split in splits], np.float32, (n_train, n_features)),
        per_replica([split.y_train for split in splits], np.int32, (n_train,)),
        per_replica([split.x_test for split in splits], np.float32, (n_test, n_features)),
        per_replica([split.y_test for split in splits], np.int32, (n_test,)),
        inputs.rows,
        inputs.valid,
        inputs.counts,
        features=features,
    )
    params, logs, epoch_params = jax.device_get((params, logs, epoch_params))
    outcomes = []
    for r, (run, split) in enumerate(zip(runs, splits, strict=False)):
        outcome = keras_outcomes(
            run, split, [array[r] for array in params], [array[r] for array in logs], inputs.penalties[r]
        )
        if features.epoch_weights:
            per_epoch = [
                keras_weights([array[r, epoch] for array in epoch_params], run.spec.hidden, n_features)
                for epoch in range(shape.epochs)
            ]
            for trained in outcome.values():
                trained.epoch_weights = per_epoch[: len(trained.fitted.history["loss"])]
        outcomes.append(outcome)
    return outcomes
