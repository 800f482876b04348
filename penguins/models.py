"""Keras models of the post, written with the Keras 3 API.

The post builds its models without an input shape and lets ``fit`` build them; we pass
``keras.Input`` so a model can be summarised before training. Parameter counts are the post's:
6 inputs -> softmax is 21 parameters, one hidden layer of 100 is 1,003, two are 11,103.
"""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
from keras import layers, regularizers

from penguins.preprocessing import N_CLASSES
from penguins.spec import NetworkSpec

N_FEATURES = 6


def layer_seeds(seed: int | None, count: int) -> list[int | None]:
    """One seed per random layer, derived from the run's seed.

    Unseeded, Keras draws initializer and dropout seeds from Python's global ``random`` module,
    which other threads of the process may draw from too (a Dask worker's event loop does), so
    the same run seed could give different weights. Explicit seeds make each layer's draw its own.
    """
    if seed is None:
        return [None] * count
    return [int(state) for state in np.random.SeedSequence(seed).generate_state(count)]


def build_network(spec: NetworkSpec, n_features: int = N_FEATURES, seed: int | None = None) -> keras.Sequential:
    """A compiled dense network for ``spec``: ReLU hidden layers, softmax output, Adam.

    The hidden layers use He-uniform initial weights (as in the post) and the output layer
    Keras' default Glorot-uniform; ``seed`` fixes them and the dropout mask.
    """
    seeds = iter(layer_seeds(seed, len(spec.hidden) + 2))
    model = keras.Sequential([keras.Input(shape=(n_features,))])
    for index, width in enumerate(spec.hidden):
        model.add(
            layers.Dense(
                width,
                activation="relu",
                kernel_initializer=keras.initializers.HeUniform(seed=next(seeds)),
                kernel_regularizer=kernel_regularizer(spec, index),
                activity_regularizer=activity_regularizer(spec, index),
            )
        )
    dropout_seed = next(seeds)
    if spec.dropout > 0:
        model.add(layers.Dropout(spec.dropout, seed=dropout_seed))
    model.add(
        layers.Dense(
            N_CLASSES, activation="softmax", kernel_initializer=keras.initializers.GlorotUniform(seed=next(seeds))
        )
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=_learning_rate(spec)),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def get_model(
    nodes: int = 100,
    lr: float = 0.001,
    kernel_l1: float = 0.0,
    kernel_l2: float = 0.0,
    activity_l1: float = 0.0,
    activity_l2: float = 0.0,
    dropout: float = 0.0,
    n_features: int = N_FEATURES,
) -> keras.Sequential:
    """The post's ``get_model``: two hidden layers of ``nodes``, Adam with learning rate ``lr``.

    With the defaults it is the post's first definition; ``kernel_l1 = kernel_l2 =
    activity_l1 = activity_l2 = 0.01, dropout = 0.5`` gives its second, used for tuning.
    """
    spec = NetworkSpec(
        hidden=(nodes, nodes),
        learning_rate=lr,
        kernel_l1=kernel_l1,
        kernel_l2=kernel_l2,
        activity_l1=activity_l1,
        activity_l2=activity_l2,
        dropout=dropout,
    )
    return build_network(spec, n_features)


def summary_table(model: keras.Model) -> pd.DataFrame:
    """``model.summary()`` as data: one row a layer, with its type, output shape and parameters."""
    return pd.DataFrame(
        [
            {
                "layer": layer.name,
                "type": type(layer).__name__,
                "output_shape": str((None, *layer.output.shape[1:])),
                "params": layer.count_params(),
            }
            for layer in model.layers
        ]
    )


def kernel_regularizer(spec: NetworkSpec, index: int) -> regularizers.Regularizer | None:
    """Hidden layer ``index``'s kernel penalty: L1 on the first layer, L2 on the second."""
    strength = (spec.kernel_l1, spec.kernel_l2)[index] if index < 2 else 0.0
    if not strength:
        return None
    return regularizers.L1(strength) if index == 0 else regularizers.L2(strength)


def activity_regularizer(spec: NetworkSpec, index: int) -> regularizers.Regularizer | None:
    """Hidden layer ``index``'s output penalty: L2 on the first layer, L1 on the second."""
    strength = (spec.activity_l2, spec.activity_l1)[index] if index < 2 else 0.0
    if not strength:
        return None
    return regularizers.L2(strength) if index == 0 else regularizers.L1(strength)


def _learning_rate(spec: NetworkSpec) -> float | keras.optimizers.schedules.LearningRateSchedule:
    if spec.schedule == "cosine_restarts":
        return keras.optimizers.schedules.CosineDecayRestarts(spec.learning_rate, spec.first_decay_steps)
    # step decay is applied per epoch by a LearningRateScheduler callback (see training.py)
    return spec.learning_rate
