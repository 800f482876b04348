"""The post's learning-rate schedule as a plain function (no Keras, so readers of results need none)."""

from __future__ import annotations

import numpy as np


def step_decay(epoch: int, start: float = 0.2, drop: float = 0.5, epochs_drop: int = 3) -> float:
    """The post's step decay: ``start * drop ** floor(epoch / epochs_drop)``.

    Keras' ``LearningRateScheduler`` calls it at the start of each epoch (counted from 0); the
    defaults are the post's constants.
    """
    return float(start * drop ** np.floor(epoch / epochs_drop))
