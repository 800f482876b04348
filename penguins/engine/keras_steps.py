"""What Keras applies at each training step besides the data: learning rates and penalties.

Schedules are evaluated outside the compiled program, as Keras evaluates them: the post's step
decay once an epoch (``LearningRateScheduler``), Keras' own ``CosineDecayRestarts`` at each
step's iteration count, traced as Keras' train step traces it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from penguins.schedules import step_decay
from penguins.spec import NetworkSpec


def learning_rates_of(spec: NetworkSpec, steps_per_epoch: int) -> np.ndarray:
    """``[epochs, steps]``: the learning rate Keras' Adam uses at each step of ``fit``.

    The constant, the post's step decay set by a ``LearningRateScheduler`` at each epoch's start,
    or Keras' own ``CosineDecayRestarts`` evaluated at each step's iteration count.
    """
    if spec.schedule == "step_decay":
        rates = [step_decay(epoch, spec.learning_rate, spec.step_drop, spec.step_every) for epoch in range(spec.epochs)]
        return np.repeat(np.array(rates, np.float32)[:, None], steps_per_epoch, axis=1)
    if spec.schedule == "cosine_restarts":
        cosine = _cosine_restarts(spec.learning_rate, spec.first_decay_steps, spec.epochs * steps_per_epoch)
        return cosine.reshape(spec.epochs, steps_per_epoch)
    return np.full((spec.epochs, steps_per_epoch), spec.learning_rate, np.float32)


def _cosine_restarts(initial_learning_rate: float, first_decay_steps: int, n_steps: int) -> np.ndarray:
    schedule = _cosine_schedule(initial_learning_rate, first_decay_steps)
    while len(schedule.rates) < n_steps:
        schedule.rates.append(schedule.rate(len(schedule.rates)))
    return np.array(schedule.rates[:n_steps], np.float32)


@dataclass
class _TracedSchedule:
    rate: Any  # iteration count -> learning rate
    rates: list[np.float32]  # the rates computed so far, from step 0


@lru_cache(maxsize=16)
def _cosine_schedule(initial_learning_rate: float, first_decay_steps: int) -> _TracedSchedule:
    import keras
    import tensorflow as tf

    schedule = keras.optimizers.schedules.CosineDecayRestarts(initial_learning_rate, first_decay_steps)
    # As in Keras' train step: a traced graph (grappler folds the constant parts, which rounds
    # differently from eager execution) evaluated at one scalar iteration count at a time.
    rate = tf.function(schedule, input_signature=[tf.TensorSpec([], tf.int64)], autograph=False)
    return _TracedSchedule(lambda step: rate(tf.constant(step, tf.int64)).numpy(), [])


def penalties_of(spec: NetworkSpec) -> np.ndarray:
    """``[first, second hidden layer]`` x (kernel L1, kernel L2, activity L1, activity L2).

    The strengths of the regularisers :func:`penguins.models.build_network` attaches; zeros
    (without importing Keras) for an unregularised network.
    """
    if not any((spec.kernel_l1, spec.kernel_l2, spec.activity_l1, spec.activity_l2)):
        return np.zeros((2, 4), np.float32)
    from penguins.models import activity_regularizer, kernel_regularizer

    rows = []
    for layer in (0, 1):
        kernel, activity = kernel_regularizer(spec, layer), activity_regularizer(spec, layer)
        rows.append(
            [
                getattr(kernel, "l1", 0.0),
                getattr(kernel, "l2", 0.0),
                getattr(activity, "l1", 0.0),
                getattr(activity, "l2", 0.0),
            ]
        )
    return np.array(rows, np.float32)
