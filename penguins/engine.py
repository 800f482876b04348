"""The sweep engine: many (spec, seed) networks trained by one compiled JAX program.

Training one Keras model per point costs tracing, compiling and dispatch, not arithmetic (the
networks are tiny). This engine trains *replicas* -- one (spec, seed) pair each -- in compiled
XLA programs that are reused: one call trains up to ``REPLICAS`` replicas (inputs with a leading
replica axis, an outer loop over them), every epoch and step of each in one dispatch. Layers are
zero-padded to a common width and the hidden layers between the first and the last are one
stacked array walked by a loop, so one program serves every width and depth of a sweep and its
compile time does not grow with depth. Requests of the same spec and seed that differ only in
``epochs`` are one run evaluated after each epoch (exact: the first k epochs of a longer run are
the k-epoch run). Nine programs cover the five sweeps, five more the other sections.

It reproduces, replica by replica, what :func:`penguins.training.train` does with Keras:

- the same initial weights, bit for bit: Keras' He-uniform / Glorot-uniform draws, with the layer
  seeds of :func:`penguins.models.layer_seeds` (TensorFlow's stateless Philox stream, read through
  TensorFlow), zero biases;
- the same batches in the same order: the permutation Keras' ``fit(shuffle=True)`` draws after
  ``seed_everything(seed)``, computed as TensorFlow's ``RandomShuffle`` kernel computes it
  (:func:`keras_permutation`; on Keras 3.15 / TensorFlow 2.21 it is the *same* permutation every
  epoch: the seeded shuffle restarts with every new epoch iterator), cut into batches of
  ``batch_size`` with a smaller last batch;
- the same arithmetic: Dense = ``x @ kernel + bias``, ReLU, softmax; the loss is TensorFlow's
  ``sparse_softmax_cross_entropy_with_logits`` averaged over the batch (what Keras computes for a
  softmax output); its gradient ``(softmax - one_hot) / batch``, ReLU's ``(output > 0)``; Keras'
  ``Adam`` update (``keras/src/optimizers/adam.py``) written out in float32; the per-epoch
  ``loss`` / ``accuracy`` Keras logs (batch-size-weighted means of the values before each update);
  ``evaluate`` losses and ``predict`` probabilities after training;
- the rest of the post's networks: no hidden layer; the learning rate of every step as Keras'
  ``LearningRateScheduler`` (step decay) or ``CosineDecayRestarts`` sets it; the L1 / L2 kernel and
  activity penalties of :mod:`penguins.models` (in the loss Keras reports and in the gradients,
  activity penalties over the batch size as Keras 3 divides them); Dropout's masks, drawn by
  TensorFlow exactly as Keras' ``Dropout`` draws them (:func:`dropout_masks`); validation on the
  test split evaluated with the fit's batch size, and ``EarlyStopping`` on ``val_accuracy``
  applied to those logs (exact: training on after the stopping epoch does not change it).

Zero padding is exact, not approximate: a padded unit has zero weights in and out, so its input
is 0, ReLU gives 0 with gradient 0, its weights get zero gradients, and Adam moves a weight with
zero gradient and zero moments by exactly 0. Padded rows of the last, smaller batch get a zero
loss gradient. What is *not* bit-identical to Keras is the order of floating-point additions
inside matrix products and reductions (XLA's kernels, not TensorFlow's Eigen kernels, and padded
zeros change SIMD grouping) and XLA's possible fused multiply-adds: results agree with Keras to
float32 round-off, which training then carries along (see ``tests/test_engine.py``). Deep
networks (from about 20 layers of 100 at the post's learning rate) are chaotic under round-off:
there Keras itself ends elsewhere when one initial weight moves by one ulp, so per seed neither
path is "the" result, and the engine agrees with Keras over seeds, not seed by seed.

A run can also start from given weights instead of its seed's (with a fresh Adam and schedule, as
Keras trains a model after ``set_weights``: how a Keras Tuner trial continues another) and keep the
weights after every epoch (a trial's best epoch); :mod:`penguins.search.engine` uses both.

Supported: every :class:`NetworkSpec` but dropout without a hidden layer (which the post never
trains). :func:`supports` says whether a spec qualifies; anything else goes to the Keras path.
The schedules chapter's runs, which start at a learning rate of 0.2, are sensitive to round-off
too: Adam's update of a weight whose gradient is near its epsilon depends steeply on that
gradient, whose last bits depend on the order of additions, so weights differ from Keras' from the
first step and some seeds end elsewhere (as Keras' own do when one initial weight moves by one
ulp). There, too, the engine agrees with Keras over seeds.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Iterator, NamedTuple, Sequence

import numpy as np

import penguins.runtime  # noqa: F401  (sets TensorFlow's environment first)
from penguins.preprocessing import N_CLASSES, Split, preprocess
from penguins.spec import ENGINE_JAX, KERAS_DEFAULT_BATCH_SIZE, NetworkSpec, Spec
from penguins.training import RunRecord, _Fitted, _record

# Adam's defaults in Keras (keras/src/optimizers/adam.py), as the float32 values Keras computes with.
BETA_1, BETA_2, EPSILON = 0.9, 0.999, 1e-7
# Static shapes of a compiled program, chosen so that few programs serve every sweep (XLA takes
# about 2 s to compile one): every layer is zero-padded to a multiple of WIDTH_STEP units; the
# middle layers are stacked up to a capacity from CAPACITIES (then multiples of the last one);
# a batch is padded to the next size in BATCH_BUCKETS (then the next power of two), with room
# for the steps of any batch size of that bucket (steps past the real number are skipped); the
# buckets are few because each is a program to compile (about 2 s), and the padded rows cost
# little next to a step's fixed cost; a call trains REPLICAS replicas (a short
# group is filled with inactive ones, which are skipped). The shapes depend on the spec alone,
# never on what else is trained in the same call, so a result does not depend on the batching.
WIDTH_STEP = 100
CAPACITIES = (1, 8, 128)
BATCH_BUCKETS = (2, 4, 16, 32, 128, 512)
REPLICAS = 10

# XLA on one thread (deterministic and predictable; parallelism comes from processes), with
# XLA's older loop emitters, which compile this program about 2-3x faster than the new MLIR
# fusion emitters and run it as fast. Must be in the environment before JAX starts its CPU client.
_XLA_FLAGS = ("--xla_cpu_multi_thread_eigen=false", "intra_op_parallelism_threads=1", "--xla_cpu_use_fusion_emitters=false")
_current = os.environ.get("XLA_FLAGS", "")
os.environ["XLA_FLAGS"] = " ".join([_current, *(flag for flag in _XLA_FLAGS if flag.split("=")[0] not in _current)]).strip()
os.environ.setdefault("JAX_PLATFORMS", "cpu")


# --------------------------------------------------------------------------------------------
# What the engine can train


def unsupported_reason(spec: Spec) -> str | None:
    """Why the engine cannot train ``spec`` (``None`` when it can)."""
    if not isinstance(spec, NetworkSpec):
        return f"not a network spec ({type(spec).__name__})"
    if not spec.hidden and spec.dropout:
        return "dropout on the inputs (no hidden layer)"
    return None


def supports(spec: Spec) -> bool:
    """Whether :func:`train_batch` can train ``spec`` (else use the Keras path)."""
    return unsupported_reason(spec) is None


def enable_compile_cache(directory: str | os.PathLike) -> bool:
    """Keep XLA's compiled programs in ``directory`` (e.g. next to the results store), so later
    processes load them instead of compiling again (about 2 s each); files are written whole and
    checked on read (:mod:`penguins.compile_cache`). Whether a cache is in use."""
    from penguins import compile_cache

    return compile_cache.enable(directory)


# --------------------------------------------------------------------------------------------
# Inputs Keras would use: data, batch order, initial weights


@lru_cache(maxsize=64)
def _split(variant: str, seed: int) -> Split:
    return preprocess(variant, seed)


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
    32-bit Philox samples one at a time (``uniform(k) = sample % k``). Computed here in Python
    (milliseconds, instead of building a TensorFlow dataset per seed); ``tests/test_engine.py``
    compares it with Keras' own adapter and with the batches Keras' ``fit`` feeds.
    """
    global_seed = seed % _INT32_MAX
    seed_lo, seed_hi = (global_seed, 0) if global_seed else (0, _INT32_MAX)
    key = [seed_lo & _UINT32, seed_lo >> 32]
    block, samples = 0, []
    order = list(range(n_samples))
    for i in range(n_samples - 1):
        if not samples:  # the next four samples: counter (block, 0, seed_hi low, seed_hi high)
            samples = _philox_4x32([block & _UINT32, block >> 32, seed_hi & _UINT32, seed_hi >> 32], key)[::-1]
            block += 1
        j = i + samples.pop() % (n_samples - i)
        order[i], order[j] = order[j], order[i]
    return np.array(order, np.int32)


def _keras_permutations(seed: int, n_samples: int, epochs: int) -> np.ndarray:
    """``[epochs, n_samples]``: every epoch's order (the same permutation each epoch)."""
    return np.tile(keras_permutation(seed, n_samples), (epochs, 1))


def keras_batch_order(seed: int, n_samples: int, epochs: int, batch_size: int | None) -> list[list[np.ndarray]]:
    """Per epoch, the row indices of each batch Keras' ``fit`` feeds for ``seed``."""
    size = batch_size or KERAS_DEFAULT_BATCH_SIZE
    return [
        [order[start : start + size] for start in range(0, n_samples, size)]
        for order in _keras_permutations(seed, n_samples, epochs)
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
        for seed, draw in zip(part, draws):
            _UNIFORM_CACHE[seed] = draw[: needs[seed]].copy()
    return {seed: _UNIFORM_CACHE[seed] for seed in needs}


@lru_cache(maxsize=16)
def _uniform_function(count: int, length: int):
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


def initial_weights(spec: NetworkSpec, seed: int, n_features: int) -> list[np.ndarray]:
    """``build_network(spec, n_features, seed).get_weights()`` without building the model."""
    return _initial_weights_many([(spec, seed)], n_features)[0]


def _initial_weights_many(items: Sequence[tuple[NetworkSpec, int]], n_features: int) -> list[list[np.ndarray]]:
    from penguins.models import layer_seeds

    plans = []
    for spec, seed in items:
        seeds = layer_seeds(seed, len(spec.hidden) + 2)
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


# --------------------------------------------------------------------------------------------
# The compiled program


def _jax():
    import jax

    return jax


class Features(NamedTuple):
    """What a compiled program computes besides a plain ReLU network; each combination is its
    own program (static), so the plain sweeps pay nothing for the rest."""

    hidden: bool = True  # False: softmax only, no hidden layer
    regularised: bool = False  # L1 / L2 penalties on the first two hidden layers (exactly two)
    dropout: bool = False  # a dropout mask on the last hidden layer's output
    eval_each_epoch: bool = False  # evaluate after every epoch (epochs merged, validation)
    epoch_weights: bool = False  # return the weights after every epoch (a tuner's best epoch)


@lru_cache(maxsize=None)
def _program():
    """The jitted trainer; XLA compiles one executable per distinct set of static shapes.

    Layout, per replica: the first and the output layer as (kernel, bias) pairs; the middle
    layers stacked, ``[capacity, H, H]`` kernels and ``[capacity, H]`` biases, walked by loops
    that stop at the replica's own depth, so one executable serves every depth up to the
    capacity and a layer costs the same whatever the capacity.

    The replicas of a call are trained one after the other by an outer loop (``lax.map``), each
    with plain 2-D matrix products: one replica's weights and moments stay in the CPU cache for
    its whole training. Two details keep XLA updating the stacked arrays in place instead of
    copying them at every layer: a middle layer's kernel, m and v are one slice ``[3, H, H]``
    written by one update, and the backward pass reads each kernel from a (transposed) copy the
    forward pass saved, not from the array being updated.

    Per replica and step come a learning rate (schedules are evaluated outside, as Keras
    evaluates them) and, with dropout, the mask Keras' Dropout draws (see :func:`_dropout_masks`).
    Penalties are four coefficients per regularised layer: kernel L1, kernel L2, activity L1,
    activity L2 (what ``penguins.models`` attaches to the first and the second hidden layer).
    """
    jax = _jax()
    import jax.numpy as jnp
    from jax import lax

    f32 = jnp.float32
    one_minus_b1, one_minus_b2 = np.float32(1 - BETA_1), np.float32(1 - BETA_2)
    beta_1, beta_2, epsilon = np.float32(BETA_1), np.float32(BETA_2), np.float32(EPSILON)

    def get(array, index):
        return lax.dynamic_index_in_dim(array, index, 0, keepdims=False)

    def put(array, value, index):
        return lax.dynamic_update_index_in_dim(array, value, index, 0)

    def with_moments(p):  # weight -> [3, ...]: weight, m = 0, v = 0
        return jnp.stack([p, jnp.zeros_like(p), jnp.zeros_like(p)])

    def forward(weights, x, n_mid, features, saved=None, mask=None):
        """Logits, the first and the last hidden output (before dropout); given ``saved`` =
        (outputs, kernels) buffers, also every hidden output (``outputs[0]``: the first layer's)
        and every middle kernel, transposed. ``mask``: the dropout multiplier of the last
        hidden output.

        ``weights``: (w0, b0), middle kernels, middle biases, (wo, bo); the middle ones either
        plain ([capacity, H, H], [capacity, H]) or stacked with their moments ([capacity, 3, ...]).
        """
        (w0, b0), mid_w, mid_b, (wo, bo) = weights
        if not features.hidden:  # the output kernel's first rows are the real [features, classes]
            return x @ wo[: x.shape[1]] + bo, x, x, saved
        if mid_w.ndim == 3:
            mid_w, mid_b = mid_w[:, None], mid_b[:, None]
        h = jnp.maximum(x @ w0 + b0, 0)
        h_first = h
        if saved is not None:
            saved = (put(saved[0], h, 0), saved[1])

        def layer(l, state):
            h, saved = state
            kernel = get(mid_w, l)[0]
            h = jnp.maximum(h @ kernel + get(mid_b, l)[0], 0)
            if saved is not None:
                saved = (put(saved[0], h, l + 1), put(saved[1], kernel.T, l))
            return h, saved

        h, saved = lax.fori_loop(0, n_mid, layer, (h, saved))
        dropped = h if mask is None else h * mask
        return dropped @ wo + bo, h_first, h, saved

    def softmax_xent(logits, labels):
        """TensorFlow's sparse_softmax_cross_entropy_with_logits: loss and softmax, per row."""
        shifted = logits - jnp.max(logits, axis=-1, keepdims=True)
        exp = jnp.exp(shifted)
        total = jnp.sum(exp, axis=-1, keepdims=True)
        picked = jnp.take_along_axis(shifted, labels[..., None], axis=-1)[..., 0]
        return jnp.log(total[..., 0]) - picked, exp / total

    def adam(wmv, grad, alpha):
        """Keras' Adam.update_step on a stacked (weight, m, v), in Keras' order of operations."""
        weight, m, v = wmv[0], wmv[1], wmv[2]
        m = m + (grad - m) * one_minus_b1
        v = v + (jnp.square(grad) - v) * one_minus_b2
        return jnp.stack([weight - (m * alpha) / (jnp.sqrt(v) + epsilon), m, v])

    def sums(values, axes=None):  # (sum |x|, sum x^2): what L1 and L2 regularisers add up
        return jnp.stack([jnp.sum(jnp.abs(values), axis=axes), jnp.sum(jnp.square(values), axis=axes)], axis=-1)

    def kernel_penalty(kernel, coefficients):  # Keras' L1(c)(w) + L2(c)(w) of a kernel
        return jnp.sum(coefficients[:2] * sums(kernel))

    def kernel_gradient(kernel, coefficients):  # TensorFlow's: c1 * sign(w) and c2 * (2 w)
        return coefficients[0] * jnp.sign(kernel) + coefficients[1] * (kernel * np.float32(2))

    def activity_gradient(h, coefficients, inverse_count, row_valid):
        """Gradient of Keras' activity penalty (c * sum(...)) / batch of a layer's output."""
        scaled = coefficients[2:] * inverse_count
        return (scaled[0] * jnp.sign(h) + scaled[1] * (h * np.float32(2))) * row_valid[:, None]

    def evaluate(weights, x_train, x_test, y_train, y_test, n_mid, features):
        """Per row (training rows, then test rows): the loss, the probabilities and the |h| and h^2
        sums of the first two hidden outputs; and the kernels' |w| and w^2 sums. Keras'
        ``evaluate`` averages them per batch (see :func:`_keras_loss`)."""
        logits, h_first, h_last, _ = forward(weights, jnp.concatenate([x_train, x_test]), n_mid, features)
        loss, probabilities = softmax_xent(logits, jnp.concatenate([y_train, y_test]))
        n_rows = loss.shape[0]
        if not features.regularised:
            return loss, probabilities, jnp.zeros((n_rows, 2, 2), f32), jnp.zeros((2, 2), f32)
        (w0, _), mid_w, _, _ = weights
        activity = jnp.stack([sums(h_first, 1), sums(h_last, 1)], axis=1)  # regularised: two layers
        return loss, probabilities, activity, jnp.stack([sums(w0), sums(mid_w[0])])

    def train_one(params, n_mid, learning_rates, penalties, masks, x_train, y_train, x_test, y_test, batches, valid, counts, features):
        """One replica. ``batches``: [epochs, steps, batch] row indices; ``valid``: [steps, batch]
        0/1; ``counts``: real rows per step, 0 for a step past the epoch's end (skipped);
        ``learning_rates``: [epochs, steps]; ``masks``: [epochs, steps, batch, H] dropout
        multipliers; ``penalties``: [2, 4] for the first and the middle layers."""
        w0, b0, mid_w, mid_b, wo, bo = params
        capacity, width = mid_w.shape[0], mid_w.shape[-1]
        n_classes = wo.shape[-1]
        first_penalties, middle_penalties = penalties[0], penalties[1]
        state = (
            (with_moments(w0), with_moments(b0)),
            jnp.stack([mid_w, jnp.zeros_like(mid_w), jnp.zeros_like(mid_w)], axis=1),  # [capacity, 3, H, H]
            jnp.stack([mid_b, jnp.zeros_like(mid_b), jnp.zeros_like(mid_b)], axis=1),
            (with_moments(wo), with_moments(bo)),
        )
        scratch = (jnp.zeros((capacity + 1, valid.shape[1], width), f32), jnp.zeros((capacity, width, width), f32))

        def weights(state):
            (w0, b0), mid_w, mid_b, (wo, bo) = state
            return (w0[0], b0[0]), mid_w[:, 0], mid_b[:, 0], (wo[0], bo[0])

        def flat(weights):
            (w0, b0), mid_w, mid_b, (wo, bo) = weights
            return w0, b0, mid_w, mid_b, wo, bo

        def train_step(carry, rows, row_valid, count, learning_rate, mask):
            state, scratch, iteration, loss_total, correct_total = carry
            x, y = x_train[rows], y_train[rows]
            (w0, b0), mid_w, mid_b, (wo, bo) = state
            first, last = (w0[0], b0[0]), (wo[0], bo[0])
            mask = mask if features.dropout else None
            logits, h_first, h_last, scratch = forward((first, mid_w, mid_b, last), x, n_mid, features, scratch, mask)
            outputs, kernels_t = scratch
            loss, probabilities = softmax_xent(logits, y)
            inverse_count = np.float32(1) / count
            batch_loss = jnp.sum(loss * row_valid) / count
            if features.regularised:  # Keras' total: data loss, activity penalties, kernel penalties
                activity = [jnp.sum(c[2:] * sums(h * row_valid[:, None])) / count for h, c in ((h_first, first_penalties), (h_last, middle_penalties))]
                kernels = [kernel_penalty(w0[0], first_penalties), kernel_penalty(get(mid_w, 0)[0], middle_penalties)]
                batch_loss = jnp.sum(jnp.stack([batch_loss, *activity, *kernels]))
            correct = jnp.sum((jnp.argmax(probabilities, axis=-1) == y) * row_valid)
            # d(mean loss)/d logits: TensorFlow's gradient of the fused op times 1 / batch
            one_hot = jax.nn.one_hot(y, n_classes, dtype=f32)
            d_logits = (probabilities - one_hot) * inverse_count * row_valid[:, None]

            local_step = (iteration + 1).astype(f32)
            alpha = learning_rate * jnp.sqrt(1 - beta_2**local_step) / (1 - beta_1**local_step)

            # Each layer's gradients come from its weights before the step, then Adam updates it
            # (Keras takes every gradient first, then applies them all: the same values).
            if not features.hidden:
                n_inputs = x.shape[1]
                kernel_grad = jnp.zeros_like(wo[0]).at[:n_inputs].set(x.T @ d_logits)
                wo = adam(wo, kernel_grad, alpha)
                bo = adam(bo, jnp.sum(d_logits, axis=0), alpha)
                return ((w0, b0), mid_w, mid_b, (wo, bo)), scratch, iteration + 1, loss_total + batch_loss * count, correct_total + correct
            d_h = d_logits @ wo[0].T
            dropped = h_last if mask is None else h_last * mask
            wo = adam(wo, dropped.T @ d_logits, alpha)
            bo = adam(bo, jnp.sum(d_logits, axis=0), alpha)
            if mask is not None:
                d_h = d_h * mask

            def back(i, carry):
                d_h, mid_w, mid_b = carry
                l = n_mid - 1 - i
                kernel = get(mid_w, l)
                if features.regularised:  # regularised networks have one middle layer: the second
                    d_h = d_h + activity_gradient(get(outputs, l + 1), middle_penalties, inverse_count, row_valid)
                d_z = d_h * (get(outputs, l + 1) > 0)  # TensorFlow's ReluGrad: where the output is > 0
                grad = get(outputs, l).T @ d_z
                if features.regularised:
                    grad = grad + kernel_gradient(kernel[0], middle_penalties)
                mid_w = put(mid_w, adam(kernel, grad, alpha), l)
                mid_b = put(mid_b, adam(get(mid_b, l), jnp.sum(d_z, axis=0), alpha), l)
                return d_z @ get(kernels_t, l), mid_w, mid_b

            d_h, mid_w, mid_b = lax.fori_loop(0, n_mid, back, (d_h, mid_w, mid_b))
            if features.regularised:
                d_h = d_h + activity_gradient(get(outputs, 0), first_penalties, inverse_count, row_valid)
            d_z = d_h * (get(outputs, 0) > 0)
            grad = x.T @ d_z
            if features.regularised:
                grad = grad + kernel_gradient(w0[0], first_penalties)
            w0 = adam(w0, grad, alpha)
            b0 = adam(b0, jnp.sum(d_z, axis=0), alpha)
            return (
                ((w0, b0), mid_w, mid_b, (wo, bo)),
                scratch,
                iteration + 1,
                loss_total + batch_loss * count,  # Keras' loss tracker: a Mean weighted by batch size
                correct_total + correct,
            )

        def step(carry, inputs):
            rows, row_valid, count, learning_rate, mask = inputs
            return lax.cond(count > 0, lambda: train_step(carry, rows, row_valid, count, learning_rate, mask), lambda: carry), None

        def epoch(carry, inputs):
            rows, epoch_learning_rates, epoch_masks = inputs
            state, scratch, iteration = carry
            start = (state, scratch, iteration, jnp.zeros((), f32), jnp.zeros((), f32))
            xs = (rows, valid, counts, epoch_learning_rates, epoch_masks)
            (state, scratch, iteration, loss_total, correct_total), _ = lax.scan(step, start, xs)
            n_seen = jnp.sum(counts)
            logs = (loss_total / n_seen, correct_total / n_seen)
            if features.eval_each_epoch:
                logs = logs + evaluate(weights(state), x_train, x_test, y_train, y_test, n_mid, features)
            if features.epoch_weights:
                logs = logs + flat(weights(state))
            return (state, scratch, iteration), logs

        start = (state, scratch, jnp.zeros((), jnp.int32))
        (state, _, _), logs = lax.scan(epoch, start, (batches, learning_rates, masks))
        final = weights(state)
        epoch_params = ()
        if features.epoch_weights:
            logs, epoch_params = logs[:-6], logs[-6:]
        if not features.eval_each_epoch:
            evaluated = evaluate(final, x_train, x_test, y_train, y_test, n_mid, features)
            logs = logs + tuple(value[None] for value in evaluated)
        return flat(final), logs, epoch_params

    def train(params, n_mid, active, learning_rates, penalties, masks, x_train, y_train, x_test, y_test, batches, valid, counts, features):
        def one(replica):
            active, *inputs = replica

            def run():
                return train_one(*inputs, valid, counts, features)

            shapes = jax.eval_shape(run)
            return lax.cond(active, run, lambda: jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), shapes))

        replicas = (active, params, n_mid, learning_rates, penalties, masks, x_train, y_train, x_test, y_test, batches)
        return lax.map(one, replicas)

    return jax.jit(train, static_argnames=("features",))


# --------------------------------------------------------------------------------------------
# Planning: which replicas go into which program call


@dataclass(frozen=True)
class FoldRows:
    """Fit on some training rows of seed ``split_seed``'s split, in this order: what Keras'
    ``fit(x_train[rows], y_train[rows])`` trains on, e.g. a cross-validation fold of a search
    whose fits have seeds of their own."""

    split_seed: int
    rows: tuple[int, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "rows", tuple(int(row) for row in self.rows))
        if not self.rows or len(set(self.rows)) != len(self.rows) or min(self.rows) < 0:
            raise ValueError("rows must be distinct non-negative row indices, at least one")
        if self.split_seed < 0:
            raise ValueError(f"split_seed must be non-negative, got {self.split_seed}")


@dataclass(frozen=True)
class _Run:
    """One training run: a spec (its epochs the most any request asked for) and a seed."""

    spec: NetworkSpec
    seed: int
    eval_epochs: tuple[int, ...]  # epochs after which the weights are evaluated
    fit_on: FoldRows | None = None  # None: every training row of the run's own seed's split
    start: tuple[np.ndarray, ...] | None = field(default=None, compare=False)  # None: the seed's initial weights
    epoch_weights: bool = False  # keep the weights after every epoch

    @property
    def split_seed(self) -> int:
        return self.seed if self.fit_on is None else self.fit_on.split_seed

    @property
    def features(self) -> Features:
        spec = self.spec
        return Features(
            hidden=bool(spec.hidden),
            regularised=any((spec.kernel_l1, spec.kernel_l2, spec.activity_l1, spec.activity_l2)),
            dropout=spec.dropout > 0,
            eval_each_epoch=len(self.eval_epochs) > 1 or spec.validate_on_test,
            epoch_weights=self.epoch_weights,
        )


def _padded_width(spec: NetworkSpec) -> int:
    return -(-max(spec.hidden, default=1) // WIDTH_STEP) * WIDTH_STEP


def _capacity(spec: NetworkSpec) -> int:
    middle = max(len(spec.hidden) - 1, 0)
    for capacity in CAPACITIES:
        if middle <= capacity:
            return capacity
    return -(-middle // CAPACITIES[-1]) * CAPACITIES[-1]


def _batch_shape(batch_size: int, n_samples: int) -> tuple[int, int]:
    """(padded batch, room for steps per epoch) of the program for ``batch_size``: the batch
    padded to its bucket (:data:`BATCH_BUCKETS`, beyond them the next power of two), and room
    for the steps of the smallest batch size of that bucket."""
    smallest = 1
    for padded in BATCH_BUCKETS:
        if batch_size <= padded:
            return padded, -(-n_samples // smallest)
        smallest = padded + 1
    padded = 1 << (batch_size - 1).bit_length()
    return padded, -(-n_samples // (padded // 2 + 1))


def _runs(
    specs: Sequence[NetworkSpec],
    seeds: Sequence[int],
    fit_on: Sequence[FoldRows | None] | None = None,
    start_from: Sequence[Sequence[np.ndarray] | None] | None = None,
    epoch_weights: bool = False,
) -> tuple[list[_Run], list[tuple[int, int]]]:
    """Merge requests that differ only in ``epochs``; per request, (run index, epochs)."""
    fit_on = fit_on or [None] * len(specs)
    start_from = start_from or [None] * len(specs)
    by_key: dict[tuple, list[int]] = {}
    for index, (spec, seed, rows, start) in enumerate(zip(specs, seeds, fit_on, start_from)):
        starts_at = None if start is None else id(start)  # the same weights object: the same run
        by_key.setdefault((replace(spec, epochs=1), seed, rows, starts_at), []).append(index)
    runs, where = [], [(0, 0)] * len(specs)
    for (base, seed, rows, _), indices in by_key.items():
        epochs = tuple(sorted({specs[i].epochs for i in indices}))
        for i in indices:
            where[i] = (len(runs), specs[i].epochs)
        start = start_from[indices[0]]
        start = None if start is None else tuple(np.asarray(array, np.float32) for array in start)
        runs.append(_Run(replace(base, epochs=epochs[-1]), seed, epochs, rows, start, epoch_weights))
    return runs, where


def _group_key(run: _Run) -> tuple:
    """Runs with the same key can share a call: same static shapes and the same batches' sizes."""
    spec = run.spec
    n_fit = len(run.fit_on.rows) if run.fit_on is not None else 0  # 0: every training row
    return (_padded_width(spec), _capacity(spec), spec.batch_size or KERAS_DEFAULT_BATCH_SIZE, spec.epochs, run.features, n_fit)


def _groups(runs: list[_Run]) -> list[list[int]]:
    """Run indices per program call: same group key, similar depth, at most REPLICAS."""
    keyed: dict[tuple, list[int]] = {}
    for index, run in enumerate(runs):
        keyed.setdefault(_group_key(run), []).append(index)
    groups = []
    for key in sorted(keyed):
        indices = sorted(keyed[key], key=lambda i: (len(runs[i].spec.hidden), runs[i].seed))
        groups.extend(indices[start : start + REPLICAS] for start in range(0, len(indices), REPLICAS))
    return groups


# estimated_cost units: about 1e-10 s each on the machine this was tuned on; compiling a program
# takes about 2.5 s, which split_work counts once per program and process.
COMPILE_COST = 2.5e10


def estimated_cost(spec: NetworkSpec, n_samples: int = 275) -> float:
    """A rough relative training cost of ``spec``: multiply-adds of the padded network per epoch
    plus a per-step overhead, times epochs."""
    width = _padded_width(spec)
    per_sample = 6 * width + max(len(spec.hidden) - 1, 0) * width * width + width * N_CLASSES
    batch = spec.batch_size or KERAS_DEFAULT_BATCH_SIZE
    padded, _ = _batch_shape(batch, n_samples)
    steps = -(-n_samples // batch)  # steps past these are skipped (a few cycles each)
    return spec.epochs * steps * (3 * per_sample * padded + 20_000 * max(len(spec.hidden), 1))


def _program_shape(run: _Run, n_samples: int = 275) -> tuple:
    """What decides which compiled program trains ``run``."""
    spec = run.spec
    n_samples = len(run.fit_on.rows) if run.fit_on is not None else n_samples
    batch = _batch_shape(spec.batch_size or KERAS_DEFAULT_BATCH_SIZE, n_samples)
    return (_padded_width(spec), _capacity(spec), batch, spec.epochs, run.features)


def split_work(specs: Sequence[Spec], seeds: Sequence[int], parts: int) -> list[list[int]]:
    """Request indices in at most ``parts`` lists of about equal cost, one per process.

    Requests the engine trains in one call stay in one part. A program whose calls cost less than
    half a part's share goes to one part whole, so it is compiled once; the calls of bigger ones
    are spread, most expensive first, over the least loaded parts. Every spec must be supported.
    """
    for spec in specs:
        if not supports(spec):
            raise ValueError(f"the {ENGINE_JAX} engine cannot train {spec}: {unsupported_reason(spec)}")
    runs, where = _runs(list(specs), list(seeds))
    by_run: dict[int, list[int]] = {}
    for index, (run, _) in enumerate(where):
        by_run.setdefault(run, []).append(index)
    cost = {i: estimated_cost(run.spec) for i, run in enumerate(runs)}
    bundles: dict[tuple, list[list[int]]] = {}
    for group in _groups(runs):
        bundles.setdefault(_program_shape(runs[group[0]]), []).append(group)
    parts = max(1, parts)
    share = (sum(cost.values()) + COMPILE_COST * len(bundles)) / parts
    loads = [0.0] * parts
    assigned: list[list[int]] = [[] for _ in range(parts)]
    compiled: list[set] = [set() for _ in range(parts)]

    def give(groups: list[list[int]]) -> None:
        target = loads.index(min(loads))
        program = _program_shape(runs[groups[0][0]])
        if program not in compiled[target]:
            compiled[target].add(program)
            loads[target] += COMPILE_COST
        for group in groups:
            for run in group:
                assigned[target].extend(by_run[run])
                loads[target] += cost[run]

    def bundle_cost(groups: list[list[int]]) -> float:
        return sum(cost[run] for group in groups for run in group)

    small = []
    for groups in sorted(bundles.values(), key=bundle_cost, reverse=True):
        if bundle_cost(groups) < share / 2:
            small.append(groups)
            continue
        for group in sorted(groups, key=lambda g: -sum(cost[run] for run in g)):
            give([group])
    for groups in small:
        give(groups)
    return [sorted(indices) for indices in assigned if indices]


# --------------------------------------------------------------------------------------------
# Training a batch of requests


@dataclass
class Trained:
    """What one request's training produced: its final weights (Keras' ``get_weights()`` order;
    empty for a request served by evaluating a longer run after an earlier epoch) and everything
    its :class:`RunRecord` is made of."""

    weights: list[np.ndarray]
    fitted: _Fitted
    split: Split
    wall_time_s: float
    epoch_weights: list[list[np.ndarray]] = field(default_factory=list)  # after each epoch, if asked for


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
    every training and test row of the split."""
    results: dict[int, Trained] = {}
    for indices, trained in fit_in_calls(specs, seeds, variant, fit_on, start_from, epoch_weights):
        results.update(zip(indices, trained))
    return [results[index] for index in range(len(specs))]


def fit_in_calls(
    specs: Sequence[NetworkSpec],
    seeds: Sequence[int],
    variant: str = "post",
    fit_on: Sequence[FoldRows | None] | None = None,
    start_from: Sequence[Sequence[np.ndarray] | None] | None = None,
    epoch_weights: bool = False,
) -> Iterator[tuple[list[int], list[Trained]]]:
    """Train every (spec, seed) request, one compiled call at a time: after each call, yield the
    indices of the requests it finished and their results (so a caller can keep them before the
    next call starts, and stop between calls). The options are :func:`fit_batch`'s."""
    specs, seeds = list(specs), list(seeds)
    fit_on = list(fit_on) if fit_on is not None else [None] * len(specs)
    start_from = list(start_from) if start_from is not None else [None] * len(specs)
    if not len(specs) == len(seeds) == len(fit_on) == len(start_from):
        raise ValueError("specs, seeds, fit_on and start_from must have the same length")
    for spec, seed, start in zip(specs, seeds, start_from):
        reason = unsupported_reason(spec)
        if reason:
            raise ValueError(f"the {ENGINE_JAX} engine cannot train {spec}: {reason}")
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        if start is not None:
            _check_weights(spec, start)
    seeds = [int(seed) for seed in seeds]
    runs, where = _runs(specs, seeds, fit_on, start_from, epoch_weights)
    requests_of: dict[int, list[int]] = {}
    for index, (run, _) in enumerate(where):
        requests_of.setdefault(run, []).append(index)
    for group in _groups(runs):
        started = time.perf_counter()
        outcome = _train_group([runs[i] for i in group], variant)
        share = (time.perf_counter() - started) / len(group)
        indices, trained = [], []
        for run_index, per_epoch in zip(group, outcome):
            for trained_run in per_epoch.values():
                trained_run.wall_time_s = share
            for index in requests_of[run_index]:
                indices.append(index)
                trained.append(per_epoch[where[index][1]])
        yield indices, trained


def call_groups(specs: Sequence[NetworkSpec], seeds: Sequence[int]) -> list[list[int]]:
    """The request indices :func:`train_in_calls` trains together, per compiled call, in its order
    (so that a caller can, say, lock a call's results before training it)."""
    runs, where = _runs(list(specs), [int(seed) for seed in seeds])
    requests_of: dict[int, list[int]] = {}
    for index, (run, _) in enumerate(where):
        requests_of.setdefault(run, []).append(index)
    return [[index for run in group for index in requests_of[run]] for group in _groups(runs)]


def _check_weights(spec: NetworkSpec, weights: Sequence[np.ndarray]) -> None:
    """A clear error unless ``weights`` has the shapes of ``spec``'s network (any n_features)."""
    shapes = [np.shape(array) for array in weights]
    widths = [shapes[0][0] if shapes and len(shapes[0]) == 2 else -1, *spec.hidden, N_CLASSES]
    expected = [shape for fan_in, units in zip(widths, widths[1:]) for shape in ((fan_in, units), (units,))]
    if shapes != expected:
        raise ValueError(f"start weights of shapes {shapes} do not fit hidden layers {spec.hidden}: expected {expected}")


def train_batch(specs: Sequence[NetworkSpec], seeds: Sequence[int], variant: str = "post") -> list[RunRecord]:
    """What ``[training.train(spec, seed, variant) for spec, seed in zip(specs, seeds)]`` returns,
    trained by the engine (the module's docstring says what is equal and what is close).

    ``wall_time_s`` is the request's share of its call's time.
    """
    return [_as_record(spec, trained) for spec, trained in zip(specs, fit_batch(specs, seeds, variant))]


def train_in_calls(specs: Sequence[NetworkSpec], seeds: Sequence[int], variant: str = "post") -> Iterator[tuple[list[int], list[RunRecord]]]:
    """:func:`train_batch` one compiled call at a time: (request indices, their records) per call."""
    for indices, trained in fit_in_calls(specs, seeds, variant):
        yield indices, [_as_record(specs[index], result) for index, result in zip(indices, trained)]


def _as_record(spec: NetworkSpec, trained: Trained) -> RunRecord:
    return _record(spec, trained.split, trained.fitted, trained.wall_time_s, ENGINE_JAX)


def _train_group(runs: list[_Run], variant: str) -> list[dict[int, Trained]]:
    jax = _jax()
    splits = [_split(variant, run.split_seed) for run in runs]
    n_features = splits[0].n_features
    n_train, n_test = len(splits[0].y_train), len(splits[0].y_test)
    spec, features = runs[0].spec, runs[0].features
    width, capacity = _padded_width(spec), _capacity(spec)
    batch = spec.batch_size or KERAS_DEFAULT_BATCH_SIZE
    n_fit = n_train if runs[0].fit_on is None else len(runs[0].fit_on.rows)  # the same in a group
    if any(run.fit_on is not None and max(run.fit_on.rows) >= n_train for run in runs):
        raise ValueError(f"fold rows must index the {n_train} training rows")
    padded_batch, steps = _batch_shape(batch, n_fit)
    epochs = spec.epochs
    replicas = REPLICAS * -(-len(runs) // REPLICAS)

    # initial weights, zero-padded into the stacked layout; inactive replicas stay all zero
    w0 = np.zeros((replicas, n_features, width), np.float32)
    b0 = np.zeros((replicas, width), np.float32)
    wm = np.zeros((replicas, capacity, width, width), np.float32)
    bm = np.zeros((replicas, capacity, width), np.float32)
    wo = np.zeros((replicas, width, N_CLASSES), np.float32)
    bo = np.zeros((replicas, N_CLASSES), np.float32)
    if any(run.start is not None and run.start[0].shape[0] != n_features for run in runs):
        raise ValueError(f"start weights must take the split's {n_features} features")
    fresh = iter(_initial_weights_many([(run.spec, run.seed) for run in runs if run.start is None], n_features))
    for r, run in enumerate(runs):
        weights = next(fresh) if run.start is None else run.start
        kernels, biases = weights[0::2], weights[1::2]
        if len(kernels) > 1:
            w0[r, :, : kernels[0].shape[1]] = kernels[0]
            b0[r, : biases[0].shape[0]] = biases[0]
        for l, (kernel, bias) in enumerate(zip(kernels[1:-1], biases[1:-1])):
            wm[r, l, : kernel.shape[0], : kernel.shape[1]] = kernel
            bm[r, l, : bias.shape[0]] = bias
        wo[r, : kernels[-1].shape[0]] = kernels[-1]
        bo[r] = biases[-1]

    # each epoch's permutation cut into batches of `batch` rows, each padded to `padded_batch`
    starts = np.arange(0, n_fit, batch)
    real_steps = len(starts)
    positions = starts[:, None] + np.arange(padded_batch)[None, :]
    valid_rows = (np.arange(padded_batch)[None, :] < batch) & (positions < n_fit)
    valid = np.zeros((steps, padded_batch), np.float32)
    valid[:real_steps] = valid_rows
    counts = valid.sum(axis=1).astype(np.float32)
    rows = np.zeros((replicas, epochs, steps, padded_batch), np.int32)
    learning_rates = np.zeros((replicas, epochs, steps), np.float32)
    penalties = np.zeros((replicas, 2, 4), np.float32)
    masks = np.zeros((replicas, epochs, steps, *((padded_batch, width) if features.dropout else (1, 1))), np.float32)
    for r, run in enumerate(runs):
        order = _keras_permutations(run.seed, n_fit, epochs)  # [epochs, n_fit]: positions in the fitted rows
        picked = order[:, np.minimum(positions, n_fit - 1)]
        if run.fit_on is not None:
            picked = np.asarray(run.fit_on.rows)[picked]
        rows[r, :, :real_steps] = np.where(valid_rows, picked, 0)
        learning_rates[r, :, :real_steps] = learning_rates_of(run.spec, real_steps)
        penalties[r] = _penalties(run.spec)
        if features.dropout:
            units = run.spec.hidden[-1]
            masks[r, :, :real_steps, :batch, :units] = _run_dropout_masks(run.spec, run.seed, real_steps)

    def per_replica(values, dtype, shape):
        out = np.zeros((replicas, *shape), dtype)
        out[: len(runs)] = values
        return out

    params, logs, epoch_params = _program()(
        (w0, b0, wm, bm, wo, bo),
        per_replica([max(len(run.spec.hidden) - 1, 0) for run in runs], np.int32, ()),
        per_replica([True] * len(runs), np.bool_, ()),
        learning_rates,
        penalties,
        masks,
        per_replica([split.x_train for split in splits], np.float32, (n_train, n_features)),
        per_replica([split.y_train for split in splits], np.int32, (n_train,)),
        per_replica([split.x_test for split in splits], np.float32, (n_test, n_features)),
        per_replica([split.y_test for split in splits], np.int32, (n_test,)),
        rows,
        valid,
        counts,
        features=features,
    )
    params, logs, epoch_params = jax.device_get((params, logs, epoch_params))
    outcomes = []
    for r, (run, split) in enumerate(zip(runs, splits)):
        outcome = _outcome(run, split, [array[r] for array in params], [array[r] for array in logs], penalties[r])
        if features.epoch_weights:
            per_epoch = [_keras_weights([array[r, epoch] for array in epoch_params], run.spec.hidden, n_features) for epoch in range(epochs)]
            for requested, trained in outcome.items():
                trained.epoch_weights = per_epoch[: len(trained.fitted.history["loss"])]
        outcomes.append(outcome)
    return outcomes


def _outcome(run: _Run, split: Split, params: list[np.ndarray], logs: list[np.ndarray], penalties: np.ndarray) -> dict[int, Trained]:
    """One replica's result for each epoch count requested of ``run``, as Keras' fit would report
    it: evaluations averaged per batch, early stopping applied to the validation logs.

    ``params``: the final weights in the program's layout. ``logs``: per epoch the training loss and
    accuracy, then per evaluation (after every epoch, or once at the end) every row's loss,
    probabilities and activity sums (training rows, then test rows) and the kernels' sums."""
    spec, features = run.spec, run.features
    epoch_loss, epoch_accuracy, row_losses, probabilities, activity, kernel_sums = logs
    n_train, hidden = len(split.y_train), spec.hidden
    weights = _keras_weights(params, hidden, split.n_features)

    def loss(at: int, rows: slice, batch_size: int) -> float:
        return _keras_loss(row_losses[at, rows], activity[at, rows], kernel_sums[at], penalties, batch_size, features.regularised)

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
            ran = _epochs_before_early_stop(history["val_accuracy"][:requested], spec.early_stopping_patience)
        at = ran - 1 if features.eval_each_epoch else 0
        fitted = _Fitted(
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


def _keras_weights(params: Sequence[np.ndarray], hidden: Sequence[int], n_features: int) -> list[np.ndarray]:
    """One replica's weights in the program's padded layout, in Keras' ``get_weights()`` order."""
    w0, b0, wm, bm, wo, bo = params
    if not hidden:
        return [np.array(wo[:n_features]), np.array(bo)]
    weights = [w0[:, : hidden[0]], b0[: hidden[0]]]
    for l in range(len(hidden) - 1):
        weights += [wm[l, : hidden[l], : hidden[l + 1]], bm[l, : hidden[l + 1]]]
    weights += [wo[: hidden[-1]], bo]
    return [np.array(array) for array in weights]


def _keras_loss(
    row_losses: np.ndarray, activity: np.ndarray, kernel_sums: np.ndarray, penalties: np.ndarray, batch_size: int, regularised: bool
) -> float:
    """The loss Keras' ``evaluate`` reports: per batch of ``batch_size`` rows in order, the mean
    loss plus (regularised) the activity penalties over the batch size and the kernel penalties;
    then their mean weighted by batch size, in float32 as Keras' metrics add up."""
    total, count = np.float32(0), np.float32(0)
    for start in range(0, len(row_losses), batch_size):
        rows = slice(start, start + batch_size)
        n = np.float32(len(row_losses[rows]))
        value = np.sum(row_losses[rows], dtype=np.float32) / n
        if regularised:
            terms = [value]
            terms += [np.sum(penalties[layer, 2:] * activity[rows, layer].sum(axis=0), dtype=np.float32) / n for layer in (0, 1)]
            terms += [np.sum(penalties[layer, :2] * kernel_sums[layer], dtype=np.float32) for layer in (0, 1)]
            value = np.sum(np.array(terms, np.float32), dtype=np.float32)
        total = np.float32(total + np.float32(value) * n)
        count = np.float32(count + n)
    return float(total / count)


def _epochs_before_early_stop(val_accuracy: Sequence[float], patience: int) -> int:
    """Epochs Keras' ``EarlyStopping(monitor="val_accuracy", patience=patience)`` lets run."""
    best, wait = None, 0
    for epoch, current in enumerate(val_accuracy):
        wait += 1
        if best is None or current > best:
            best, wait = current, 0
        elif wait >= patience and epoch > 0:
            return epoch + 1
    return len(val_accuracy)


def learning_rates_of(spec: NetworkSpec, steps_per_epoch: int) -> np.ndarray:
    """``[epochs, steps]``: the learning rate Keras' Adam uses at each step of ``fit``: the
    constant, the post's step decay set by a ``LearningRateScheduler`` at each epoch's start, or
    Keras' own ``CosineDecayRestarts`` evaluated at each step's iteration count."""
    if spec.schedule == "step_decay":
        from penguins.models import step_decay

        rates = [step_decay(epoch, spec.learning_rate, spec.step_drop, spec.step_every) for epoch in range(spec.epochs)]
        return np.repeat(np.array(rates, np.float32)[:, None], steps_per_epoch, axis=1)
    if spec.schedule == "cosine_restarts":
        rates = _cosine_restarts(spec.learning_rate, spec.first_decay_steps, spec.epochs * steps_per_epoch)
        return rates.reshape(spec.epochs, steps_per_epoch)
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


def _penalties(spec: NetworkSpec) -> np.ndarray:
    """``[first, second hidden layer]`` x (kernel L1, kernel L2, activity L1, activity L2): the
    strengths of the regularisers :func:`penguins.models.build_network` attaches."""
    if not any((spec.kernel_l1, spec.kernel_l2, spec.activity_l1, spec.activity_l2)):
        return np.zeros((2, 4), np.float32)
    from penguins.models import activity_regularizer, kernel_regularizer

    rows = []
    for layer in (0, 1):
        kernel, activity = kernel_regularizer(spec, layer), activity_regularizer(spec, layer)
        rows.append([getattr(kernel, "l1", 0.0), getattr(kernel, "l2", 0.0), getattr(activity, "l1", 0.0), getattr(activity, "l2", 0.0)])
    return np.array(rows, np.float32)


def _run_dropout_masks(spec: NetworkSpec, seed: int, steps_per_epoch: int) -> np.ndarray:
    """``[epochs, steps, batch, units]``: the masks of ``spec``'s Dropout layer in ``fit``."""
    from penguins.models import layer_seeds

    dropout_seed = layer_seeds(seed, len(spec.hidden) + 2)[len(spec.hidden)]  # as build_network
    batch = spec.batch_size or KERAS_DEFAULT_BATCH_SIZE
    masks = dropout_masks(dropout_seed, spec.dropout, spec.epochs * steps_per_epoch, batch, spec.hidden[-1])
    return masks.reshape(spec.epochs, steps_per_epoch, batch, spec.hidden[-1])


def dropout_masks(layer_seed: int, rate: float, n_steps: int, batch: int, units: int) -> np.ndarray:
    """``[n_steps, batch, units]``: what Keras' ``Dropout(rate, seed=layer_seed)`` multiplies its
    input by (0 or ``1 / (1 - rate)``) at each training step: on TensorFlow,
    ``stateless_dropout`` seeded with its seed generator's state ``[layer_seed, step]`` (advanced
    once a step; inference draws nothing), cast to int32 as Keras casts it. A smaller last
    batch uses the first rows: a stateless draw fills its output from the start of one stream."""
    seeds = np.array([_philox_seed(layer_seed, step) for step in range(n_steps)], np.int32).reshape(n_steps, 2)
    return _dropout_function()(seeds, np.float32(rate), np.array([batch, units], np.int32)).numpy()


@lru_cache(maxsize=1)
def _dropout_function():
    import tensorflow as tf

    # one trace for every rate and shape (a trace costs about 0.2 s)
    @tf.function(autograph=False, input_signature=[tf.TensorSpec([None, 2], tf.int32), tf.TensorSpec([], tf.float32), tf.TensorSpec([2], tf.int32)])
    def draw(seeds, rate, shape):
        ones = tf.ones(shape, tf.float32)
        return tf.map_fn(
            lambda seed: tf.nn.experimental.stateless_dropout(ones, rate=rate, seed=seed), seeds, fn_output_signature=tf.float32
        )

    return draw


def predict(weights: Sequence[np.ndarray], x: np.ndarray) -> np.ndarray:
    """Class probabilities of the network with ``weights`` (``get_weights()`` order) for the rows
    of ``x``: what Keras' ``predict`` computes (ReLU layers, softmax; Dropout passes through), in
    float32 with NumPy's matrix products."""
    h = np.asarray(x, np.float32)
    kernels, biases = weights[0::2], weights[1::2]
    for kernel, bias in zip(kernels[:-1], biases[:-1]):
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
        for i, (fan_in, units) in enumerate(zip(widths, widths[1:]))
    ]
    if dropout:
        rows.insert(len(hidden), {"layer": "dropout", "type": "Dropout", "output_shape": str((None, widths[-2])), "params": 0})
    return rows
