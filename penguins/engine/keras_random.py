"""Keras' random draws, reproduced: the batch order, the initial weights and the dropout masks.

The engine trains without building Keras models, yet starts from the weights Keras would draw,
feeds the batches Keras' ``fit`` would feed and drops the units Keras' ``Dropout`` would drop.
The batch order is TensorFlow's ``RandomShuffle`` written out in Python (milliseconds); the
weights and masks come from TensorFlow's stateless Philox kernels, drawn in few traced calls.
``tests/test_engine.py`` compares each with Keras' own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from penguins.preprocessing import N_CLASSES
from penguins.spec import KERAS_DEFAULT_BATCH_SIZE, NetworkSpec

_UINT32 = 0xFFFFFFFF
_INT32_MAX = 2**31 - 1


def _philox_4x32(counter: list[int], key: list[int]) -> list[int]:
    """One block of Philox-4x32-10, as TensorFlow's ``random::PhiloxRandom`` computes it."""
    for round_ in range(10):
        product_0, product_1 = 0xD2511F53 * counter[0], 0xCD9E8D57 * counter[2]
        counter = [
            (product_1 >> 32) ^ counter[1] ^ key[0],
            product_1 & _UINT32,
            (product_0 >> 32) ^ counter[3] ^ key[1],
            product_0 & _UINT32,
        ]
        if round_ < 9:
            key = [(key[0] + 0x9E3779B9) & _UINT32, (key[1] + 0xBB67AE85) & _UINT32]
    return counter


@lru_cache(maxsize=4096)
def keras_permutation(seed: int, n_samples: int) -> np.ndarray:
    """The sample order of every epoch of Keras' ``fit(shuffle=True)`` after ``seed_everything(seed)``.

    Keras' array data adapter shuffles with ``tf.random.shuffle`` inside its dataset function:
    TensorFlow's ``RandomShuffle`` kernel, seeded with (global seed, op seed) = (seed mod
    (2**31 - 1), 0), or (0, 2**31 - 1) when both are 0, runs a forward Fisher-Yates shuffle drawing
    32-bit Philox samples one at a time (``uniform(k) = sample % k``). On Keras 3.15 / TensorFlow
    2.21 it is the *same* permutation every epoch: the seeded shuffle restarts with every new epoch
    iterator.
    """
    global_seed = seed % _INT32_MAX
    seed_lo, seed_hi = (global_seed, 0) if global_seed else (0, _INT32_MAX)
    key = [seed_lo & _UINT32, seed_lo >> 32]
    block, samples = 0, list[int]()
    order = list(range(n_samples))
    for i in range(n_samples - 1):
        if not samples:  # the next four samples: counter (block, 0, seed_hi low, seed_hi high)
            samples = _philox_4x32([block & _UINT32, block >> 32, seed_hi & _UINT32, seed_hi >> 32], key)[::-1]
            block += 1
        j = i + samples.pop() % (n_samples - i)
        order[i], order[j] = order[j], order[i]
    return np.array(order, np.int32)


def keras_permutations(seed: int, n_samples: int, epochs: int) -> np.ndarray:
    """``[epochs, n_samples]``: every epoch's sample order (the same permutation each epoch)."""
    return np.tile(keras_permutation(seed, n_samples), (epochs, 1))


def keras_batch_order(seed: int, n_samples: int, epochs: int, batch_size: int | None) -> list[list[np.ndarray]]:
    """Per epoch, the row indices of each batch Keras' ``fit`` feeds for ``seed``."""
    size = batch_size or KERAS_DEFAULT_BATCH_SIZE
    return [
        [order[start : start + size] for start in range(0, n_samples, size)]
        for order in keras_permutations(seed, n_samples, epochs)
    ]


def _philox_seed(seed: int, counter: int = 0) -> tuple[int, int]:
    # a Keras seed generator on TensorFlow: state [seed, counter] as int64, then floormod(2**31 - 2), int32.
    return (seed % (2**31 - 2), counter % (2**31 - 2))


_UNIFORM_CACHE: dict[int, np.ndarray] = {}  # layer seed -> the start of its uniform stream
_UNIFORM_CACHE_LIMIT = 20_000


def _uniform_streams(needs: dict[int, int]) -> dict[int, np.ndarray]:
    """For each layer seed, the first ``needs[seed]`` floats of ``tf.random.stateless_uniform``.

    ``stateless_uniform(shape)`` fills the flat output from one Philox stream, so a
    ``(fan_in, units)`` draw is the first ``fan_in * units`` values of that stream; layers that
    share a seed (a deeper network's first layers are a shallower one's) are drawn once.
    """
    missing = sorted(seed for seed, length in needs.items() if _UNIFORM_CACHE.get(seed, np.empty(0)).size < length)
    if len(_UNIFORM_CACHE) + len(missing) > _UNIFORM_CACHE_LIMIT:
        _UNIFORM_CACHE.clear()
        missing = sorted(needs)
    chunk = 64
    for start in range(0, len(missing), chunk):
        part = missing[start : start + chunk]
        longest = max(needs[seed] for seed in part)
        length = max(1024, 1 << (longest - 1).bit_length())  # few distinct lengths, few traces
        pairs = np.array([_philox_seed(seed) for seed in part] + [(0, 0)] * (chunk - len(part)), dtype=np.int32)
        draws = _uniform_function(chunk, length)(pairs).numpy()
        for seed, draw in zip(part, draws, strict=False):
            _UNIFORM_CACHE[seed] = draw[: needs[seed]].copy()
    return {seed: _UNIFORM_CACHE[seed] for seed in needs}


@lru_cache(maxsize=16)
def _uniform_function(count: int, length: int) -> Any:
    import tensorflow as tf

    @tf.function(autograph=False)
    def draw(pairs):
        return tf.stack([tf.random.stateless_uniform((length,), seed=pairs[i], dtype=tf.float32) for i in range(count)])

    return draw


def _variance_scaling_uniform(uniform: np.ndarray, shape: tuple[int, int], scale: float, mode: str) -> np.ndarray:
    """Keras' ``VarianceScaling(distribution="uniform")`` from the raw uniform stream, in float32."""
    fan_in, fan_out = shape
    if mode == "fan_in":
        scale /= max(1.0, fan_in)
    else:  # fan_avg
        scale /= max(1.0, (fan_in + fan_out) / 2.0)
    limit = math.sqrt(3.0 * scale)
    low, high = np.float32(-limit), np.float32(limit)
    # tf.random.stateless_uniform: raw * (maxval - minval) + minval, each op in float32
    return (uniform[: fan_in * fan_out].reshape(shape) * (high - low) + low).astype(np.float32)


def _layer_seeds(seed: int, count: int) -> list[int]:
    """:func:`penguins.models.layer_seeds` of a seeded run, whose layer seeds are all given."""
    from penguins.models import layer_seeds

    return [int(layer_seed) for layer_seed in layer_seeds(seed, count) if layer_seed is not None]


def initial_weights(spec: NetworkSpec, seed: int, n_features: int) -> list[np.ndarray]:
    """``build_network(spec, n_features, seed).get_weights()`` without building the model."""
    return initial_weights_many([(spec, seed)], n_features)[0]


def initial_weights_many(items: Sequence[tuple[NetworkSpec, int]], n_features: int) -> list[list[np.ndarray]]:
    """:func:`initial_weights` of every (spec, seed), drawing each layer seed's stream once.

    The layers get the seeds of :func:`penguins.models.layer_seeds`: He-uniform hidden kernels,
    a Glorot-uniform output kernel, zero biases, as :func:`penguins.models.build_network` builds.
    """
    plans = []
    for spec, seed in items:
        seeds = _layer_seeds(seed, len(spec.hidden) + 2)
        widths = (n_features, *spec.hidden)
        layers = [(seeds[i], (widths[i], width), 2.0, "fan_in") for i, width in enumerate(spec.hidden)]  # HeUniform
        layers.append((seeds[-1], (widths[-1], N_CLASSES), 1.0, "fan_avg"))  # GlorotUniform
        plans.append(layers)
    needs: dict[int, int] = {}
    for layers in plans:
        for seed, shape, _, _ in layers:
            needs[seed] = max(needs.get(seed, 0), shape[0] * shape[1])
    streams = _uniform_streams(needs)
    weights = []
    for layers in plans:
        arrays = []
        for seed, shape, scale, mode in layers:
            arrays.append(_variance_scaling_uniform(streams[seed], shape, scale, mode))
            arrays.append(np.zeros(shape[1], np.float32))
        weights.append(arrays)
    return weights


def run_dropout_masks(spec: NetworkSpec, seed: int, steps_per_epoch: int) -> np.ndarray:
    """``[epochs, steps, batch, units]``: the masks of ``spec``'s Dropout layer in ``fit``."""
    dropout_seed = _layer_seeds(seed, len(spec.hidden) + 2)[len(spec.hidden)]  # as build_network
    batch = spec.batch_size or KERAS_DEFAULT_BATCH_SIZE
    masks = dropout_masks(dropout_seed, spec.dropout, spec.epochs * steps_per_epoch, batch, spec.hidden[-1])
    return masks.reshape(spec.epochs, steps_per_epoch, batch, spec.hidden[-1])


def dropout_masks(layer_seed: int, rate: float, n_steps: int, batch: int, units: int) -> np.ndarray:
    """``[n_steps, batch, units]``: what Keras' ``Dropout(rate, seed=layer_seed)`` multiplies its input by.

    Each training step's multiplier is 0 or ``1 / (1 - rate)``: on TensorFlow,
    ``stateless_dropout`` seeded with its seed generator's state ``[layer_seed, step]`` (advanced
    once a step; inference draws nothing), cast to int32 as Keras casts it. A smaller last
    batch uses the first rows: a stateless draw fills its output from the start of one stream.
    """
    seeds = np.array([_philox_seed(layer_seed, step) for step in range(n_steps)], np.int32).reshape(n_steps, 2)
    return _dropout_function()(seeds, np.float32(rate), np.array([batch, units], np.int32)).numpy()


@lru_cache(maxsize=1)
def _dropout_function() -> Any:
    import tensorflow as tf

    # one trace for every rate and shape (a trace costs about 0.2 s)
    signature = [tf.TensorSpec([None, 2], tf.int32), tf.TensorSpec([], tf.float32), tf.TensorSpec([2], tf.int32)]

    @tf.function(autograph=False, input_signature=signature)
    def draw(seeds, rate, shape):
        ones = tf.ones(shape, tf.float32)
        return tf.map_fn(
            lambda seed: tf.nn.experimental.stateless_dropout(ones, rate=rate, seed=seed),
            seeds,
            fn_output_signature=tf.float32,
        )

    return draw
