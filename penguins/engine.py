"""The sweep engine: many (spec, seed) networks trained by one compiled JAX program.

Training one Keras model per point costs tracing, compiling and dispatch, not arithmetic (the
networks are tiny). This engine trains *replicas* -- one (spec, seed) pair each -- in compiled
XLA programs that are reused: one call trains up to ``REPLICAS`` replicas (inputs with a leading
replica axis, an outer loop over them), every epoch and step of each in one dispatch. Layers are
zero-padded to a common width and the hidden layers between the first and the last are one
stacked array walked by a loop, so one program serves every width and depth of a sweep and its
compile time does not grow with depth. Requests of the same spec and seed that differ only in
``epochs`` are one run evaluated after each epoch (exact: the first k epochs of a longer run are
the k-epoch run). Thirteen programs cover the five sweeps.

It reproduces, replica by replica, what :func:`penguins.training.train` does with Keras:

- the same initial weights, bit for bit: Keras' He-uniform / Glorot-uniform draws, with the layer
  seeds of :func:`penguins.models.layer_seeds` (TensorFlow's stateless Philox stream, read through
  TensorFlow), zero biases;
- the same batches in the same order: the permutation Keras' ``fit(shuffle=True)`` draws after
  ``seed_everything(seed)``, read from Keras' own data adapter (on Keras 3.15 / TensorFlow 2.21 it is
  the *same* permutation every epoch: the seeded shuffle restarts with every new epoch iterator),
  cut into batches of ``batch_size`` with a smaller last batch;
- the same arithmetic: Dense = ``x @ kernel + bias``, ReLU, softmax; the loss is TensorFlow's
  ``sparse_softmax_cross_entropy_with_logits`` averaged over the batch (what Keras computes for a
  softmax output); its gradient ``(softmax - one_hot) / batch``, ReLU's ``(output > 0)``; Keras'
  ``Adam`` update (``keras/src/optimizers/adam.py``) written out in float32; the per-epoch
  ``loss`` / ``accuracy`` Keras logs (batch-size-weighted means of the values before each update);
  ``evaluate`` losses and ``predict`` probabilities after training.

Zero padding is exact, not approximate: a padded unit has zero weights in and out, so its input
is 0, ReLU gives 0 with gradient 0, its weights get zero gradients, and Adam moves a weight with
zero gradient and zero moments by exactly 0. Padded rows of the last, smaller batch get a zero
loss gradient. What is *not* bit-identical to Keras is the order of floating-point additions
inside matrix products and reductions (XLA's kernels, not TensorFlow's Eigen kernels, and padded
zeros change SIMD grouping) and XLA's possible fused multiply-adds: results agree with Keras to
float32 round-off, which training then carries along (see ``tests/test_engine.py``). Deep
networks (from about 30 layers of 100 at the post's learning rate) are chaotic under round-off:
there Keras itself ends elsewhere when one initial weight moves by one ulp, so per seed neither
path is "the" result, and the engine agrees with Keras over seeds, not seed by seed.

Side effect: reading Keras' batch order calls ``seed_everything(seed)``, which reseeds Python,
NumPy and TensorFlow in the calling process, as :func:`penguins.training.train` does.

Supported: :class:`NetworkSpec` with at least one hidden layer, no regularisers, no dropout, a
constant learning rate, no validation data and no early stopping -- the five sweep experiments.
:func:`supports` says whether a spec qualifies; anything else goes to the Keras path.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Iterator, Sequence

import numpy as np

from penguins.runtime import GLOBAL_SEED_LOCK, seed_everything  # (sets TensorFlow's environment first)
from penguins.preprocessing import Split, preprocess
from penguins.spec import NetworkSpec, Spec
from penguins.training import RunRecord, _Fitted, _record

ENGINE_NAME = "jax"
DEFAULT_BATCH_SIZE = 32  # Keras' default when batch_size is None
N_CLASSES = 3
# Adam's defaults in Keras (keras/src/optimizers/adam.py), as the float32 values Keras computes with.
BETA_1, BETA_2, EPSILON = 0.9, 0.999, 1e-7
# Static shapes of a compiled program, chosen so that few programs serve every sweep (XLA takes
# about 2 s to compile one): every layer is zero-padded to a multiple of WIDTH_STEP units; the
# middle layers are stacked up to a capacity from CAPACITIES (then multiples of the last one);
# a batch is padded to the next power of two, with enough steps for any batch size of that
# bucket (steps past the real number are skipped); a call trains REPLICAS replicas (a short
# group is filled with inactive ones, which are skipped). The shapes depend on the spec alone,
# never on what else is trained in the same call, so a result does not depend on the batching.
WIDTH_STEP = 100
CAPACITIES = (1, 8, 128)
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
    if not spec.hidden:
        return "no hidden layer"
    if any((spec.kernel_l1, spec.kernel_l2, spec.activity_l1, spec.activity_l2)):
        return "regularisers"
    if spec.dropout:
        return "dropout"
    if spec.schedule != "constant":
        return f"learning-rate schedule {spec.schedule!r}"
    if spec.validate_on_test or spec.early_stopping_patience is not None:
        return "validation data / early stopping"
    return None


def supports(spec: Spec) -> bool:
    """Whether :func:`train_batch` can train ``spec`` (else use the Keras path)."""
    return unsupported_reason(spec) is None


def enable_compile_cache(directory: str | os.PathLike) -> None:
    """Keep XLA's compiled programs in ``directory`` (e.g. next to the results store), so later
    processes load them instead of compiling again (about 2 s each). Safe: JAX keys an entry by
    the program, the compiler flags and the JAX / XLA versions."""
    jax = _jax()
    jax.config.update("jax_compilation_cache_dir", str(directory))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


# --------------------------------------------------------------------------------------------
# Inputs Keras would use: data, batch order, initial weights


@lru_cache(maxsize=64)
def _split(variant: str, seed: int) -> Split:
    return preprocess(variant, seed)


@lru_cache(maxsize=256)
def _keras_permutations(seed: int, n_samples: int, epochs: int) -> np.ndarray:
    """``[epochs, n_samples]``: the sample order of each epoch of Keras' ``fit(shuffle=True)``.

    Read from Keras' own array data adapter after ``seed_everything(seed)``, iterated the way
    Keras' ``TFEpochIterator`` does: a fresh iterator at the start of each epoch and another one,
    unused, at its end. The order does not depend on the batch size (Keras shuffles all indices,
    then batches them) nor on anything built before it (the shuffle's op seed comes from the
    dataset function's own graph).
    """
    from keras.src.trainers.data_adapters.array_data_adapter import ArrayDataAdapter

    with GLOBAL_SEED_LOCK:  # from seeding to the last draw, as training.train does
        seed_everything(seed)
        dataset = ArrayDataAdapter(np.arange(n_samples), None, batch_size=n_samples, shuffle=True).get_tf_dataset()
        orders = []
        for _ in range(epochs):
            orders.append(np.concatenate([batch.numpy() for batch in iter(dataset)]))
            iter(dataset)  # Keras makes the next epoch's iterator at the end of this one, then a new one
    return np.stack(orders).astype(np.int32)


def keras_batch_order(seed: int, n_samples: int, epochs: int, batch_size: int | None) -> list[list[np.ndarray]]:
    """Per epoch, the row indices of each batch Keras' ``fit`` feeds for ``seed``."""
    size = batch_size or DEFAULT_BATCH_SIZE
    return [
        [order[start : start + size] for start in range(0, n_samples, size)]
        for order in _keras_permutations(seed, n_samples, epochs)
    ]


def _philox_seed(seed: int) -> tuple[int, int]:
    # keras.random with an int seed on TensorFlow: [seed, 0] as int64, then floormod(2**31 - 2), int32.
    return (seed % (2**31 - 2), 0)


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

    def forward(weights, x, n_mid, saved=None):
        """Logits and the last hidden output; given ``saved`` = (outputs, kernels) buffers, also
        every hidden output (``outputs[0]``: the first layer's) and every middle kernel, transposed.

        ``weights``: (w0, b0), middle kernels, middle biases, (wo, bo); the middle ones either
        plain ([capacity, H, H], [capacity, H]) or stacked with their moments ([capacity, 3, ...]).
        """
        (w0, b0), mid_w, mid_b, (wo, bo) = weights
        if mid_w.ndim == 3:
            mid_w, mid_b = mid_w[:, None], mid_b[:, None]
        h = jnp.maximum(x @ w0 + b0, 0)
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
        return h @ wo + bo, h, saved

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

    def evaluate(weights, x_train, y_train, x_test, y_test, n_mid):
        """``evaluate`` losses and ``predict`` probabilities on the training and the test rows
        (one forward pass over both: the rows do not interact)."""
        n_train = x_train.shape[0]
        logits, _, _ = forward(weights, jnp.concatenate([x_train, x_test]), n_mid)
        loss, probabilities = softmax_xent(logits, jnp.concatenate([y_train, y_test]))
        return jnp.mean(loss[:n_train]), probabilities[:n_train], jnp.mean(loss[n_train:]), probabilities[n_train:]

    def train_one(params, n_mid, learning_rate, x_train, y_train, x_test, y_test, batches, valid, counts, eval_each_epoch):
        """One replica. ``batches``: [epochs, steps, batch] row indices; ``valid``: [steps, batch]
        0/1; ``counts``: real rows per step, 0 for a step past the epoch's end (skipped)."""
        w0, b0, mid_w, mid_b, wo, bo = params
        capacity, width = mid_w.shape[0], mid_w.shape[-1]
        n_classes = wo.shape[-1]
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

        def train_step(carry, rows, row_valid, count):
            state, scratch, iteration, loss_total, correct_total = carry
            x, y = x_train[rows], y_train[rows]
            (w0, b0), mid_w, mid_b, (wo, bo) = state
            first, last = (w0[0], b0[0]), (wo[0], bo[0])
            logits, h_last, scratch = forward((first, mid_w, mid_b, last), x, n_mid, scratch)
            outputs, kernels_t = scratch
            loss, probabilities = softmax_xent(logits, y)
            batch_loss = jnp.sum(loss * row_valid) / count
            correct = jnp.sum((jnp.argmax(probabilities, axis=-1) == y) * row_valid)
            # d(mean loss)/d logits: TensorFlow's gradient of the fused op times 1 / batch
            one_hot = jax.nn.one_hot(y, n_classes, dtype=f32)
            d_logits = (probabilities - one_hot) * (np.float32(1) / count) * row_valid[:, None]

            local_step = (iteration + 1).astype(f32)
            alpha = learning_rate * jnp.sqrt(1 - beta_2**local_step) / (1 - beta_1**local_step)

            # Each layer's gradients come from its weights before the step, then Adam updates it
            # (Keras takes every gradient first, then applies them all: the same values).
            d_h = d_logits @ wo[0].T
            wo = adam(wo, h_last.T @ d_logits, alpha)
            bo = adam(bo, jnp.sum(d_logits, axis=0), alpha)

            def back(i, carry):
                d_h, mid_w, mid_b = carry
                l = n_mid - 1 - i
                d_z = d_h * (get(outputs, l + 1) > 0)  # TensorFlow's ReluGrad: where the output is > 0
                mid_w = put(mid_w, adam(get(mid_w, l), get(outputs, l).T @ d_z, alpha), l)
                mid_b = put(mid_b, adam(get(mid_b, l), jnp.sum(d_z, axis=0), alpha), l)
                return d_z @ get(kernels_t, l), mid_w, mid_b

            d_h, mid_w, mid_b = lax.fori_loop(0, n_mid, back, (d_h, mid_w, mid_b))
            d_z = d_h * (get(outputs, 0) > 0)
            w0 = adam(w0, x.T @ d_z, alpha)
            b0 = adam(b0, jnp.sum(d_z, axis=0), alpha)
            return (
                ((w0, b0), mid_w, mid_b, (wo, bo)),
                scratch,
                iteration + 1,
                loss_total + batch_loss * count,  # Keras' loss tracker: a Mean weighted by batch size
                correct_total + correct,
            )

        def step(carry, inputs):
            rows, row_valid, count = inputs
            return lax.cond(count > 0, lambda: train_step(carry, rows, row_valid, count), lambda: carry), None

        def epoch(carry, rows):
            state, scratch, iteration = carry
            start = (state, scratch, iteration, jnp.zeros((), f32), jnp.zeros((), f32))
            (state, scratch, iteration, loss_total, correct_total), _ = lax.scan(step, start, (rows, valid, counts))
            n_seen = jnp.sum(counts)
            logs = (loss_total / n_seen, correct_total / n_seen)
            if eval_each_epoch:
                final = weights(state)
                logs = logs + evaluate(final, x_train, y_train, x_test, y_test, n_mid)
            return (state, scratch, iteration), logs

        (state, _, _), logs = lax.scan(epoch, (state, scratch, jnp.zeros((), jnp.int32)), batches)
        final = weights(state)
        if not eval_each_epoch:
            evaluated = evaluate(final, x_train, y_train, x_test, y_test, n_mid)
            logs = logs + tuple(value[None] for value in evaluated)
        (w0, b0), mid_w, mid_b, (wo, bo) = final
        return (w0, b0, mid_w, mid_b, wo, bo), logs

    def train(params, n_mid, active, learning_rate, x_train, y_train, x_test, y_test, batches, valid, counts, eval_each_epoch):
        def one(replica):
            active, *inputs = replica

            def run():
                return train_one(*inputs, valid, counts, eval_each_epoch)

            shapes = jax.eval_shape(run)
            return lax.cond(active, run, lambda: jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), shapes))

        return lax.map(one, (active, params, n_mid, learning_rate, x_train, y_train, x_test, y_test, batches))

    return jax.jit(train, static_argnames=("eval_each_epoch",))


# --------------------------------------------------------------------------------------------
# Planning: which replicas go into which program call


@dataclass(frozen=True)
class _Run:
    """One training run: a spec (its epochs the most any request asked for) and a seed."""

    spec: NetworkSpec
    seed: int
    eval_epochs: tuple[int, ...]  # epochs after which the weights are evaluated


def _padded_width(spec: NetworkSpec) -> int:
    return -(-max(spec.hidden) // WIDTH_STEP) * WIDTH_STEP


def _capacity(spec: NetworkSpec) -> int:
    middle = len(spec.hidden) - 1
    for capacity in CAPACITIES:
        if middle <= capacity:
            return capacity
    return -(-middle // CAPACITIES[-1]) * CAPACITIES[-1]


def _batch_shape(batch_size: int, n_samples: int) -> tuple[int, int]:
    """(padded batch, steps per epoch) of the program for ``batch_size``: the batch padded to a
    power of two, and enough steps for the smallest batch size of that power."""
    padded = 1 << (batch_size - 1).bit_length()
    smallest = padded // 2 + 1 if padded > 1 else 1
    return padded, -(-n_samples // smallest)


def _runs(specs: Sequence[NetworkSpec], seeds: Sequence[int]) -> tuple[list[_Run], list[tuple[int, int]]]:
    """Merge requests that differ only in ``epochs``; per request, (run index, epochs)."""
    by_key: dict[tuple, list[int]] = {}
    for index, (spec, seed) in enumerate(zip(specs, seeds)):
        by_key.setdefault((replace(spec, epochs=1), seed), []).append(index)
    runs, where = [], [(0, 0)] * len(specs)
    for (base, seed), indices in by_key.items():
        epochs = tuple(sorted({specs[i].epochs for i in indices}))
        for i in indices:
            where[i] = (len(runs), specs[i].epochs)
        runs.append(_Run(replace(base, epochs=epochs[-1]), seed, epochs))
    return runs, where


def _group_key(run: _Run) -> tuple:
    """Runs with the same key can share a call: same static shapes and the same batches' sizes."""
    spec = run.spec
    return (_padded_width(spec), _capacity(spec), spec.batch_size or DEFAULT_BATCH_SIZE, spec.epochs, len(run.eval_epochs) > 1)


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
    per_sample = 6 * width + (len(spec.hidden) - 1) * width * width + width * N_CLASSES
    padded, steps = _batch_shape(spec.batch_size or DEFAULT_BATCH_SIZE, n_samples)
    return spec.epochs * steps * (3 * per_sample * padded + 20_000 * len(spec.hidden))


def _program_shape(run: _Run, n_samples: int = 275) -> tuple:
    """What decides which compiled program trains ``run``."""
    spec = run.spec
    batch = _batch_shape(spec.batch_size or DEFAULT_BATCH_SIZE, n_samples)
    return (_padded_width(spec), _capacity(spec), batch, spec.epochs, len(run.eval_epochs) > 1)


def split_work(specs: Sequence[Spec], seeds: Sequence[int], parts: int) -> list[list[int]]:
    """Request indices in at most ``parts`` lists of about equal cost, one per process.

    Requests the engine trains in one call stay in one part. A program whose calls cost less than
    half a part's share goes to one part whole, so it is compiled once; the calls of bigger ones
    are spread, most expensive first, over the least loaded parts. Every spec must be supported.
    """
    for spec in specs:
        if not supports(spec):
            raise ValueError(f"the {ENGINE_NAME} engine cannot train {spec}: {unsupported_reason(spec)}")
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


def fit_batch(specs: Sequence[NetworkSpec], seeds: Sequence[int], variant: str = "post") -> list[Trained]:
    """Train every (spec, seed) request; the results in request order."""
    results: dict[int, Trained] = {}
    for indices, trained in fit_in_calls(specs, seeds, variant):
        results.update(zip(indices, trained))
    return [results[index] for index in range(len(specs))]


def fit_in_calls(specs: Sequence[NetworkSpec], seeds: Sequence[int], variant: str = "post") -> Iterator[tuple[list[int], list[Trained]]]:
    """Train every (spec, seed) request, one compiled call at a time: after each call, yield the
    indices of the requests it finished and their results (so a caller can keep them before the
    next call starts, and stop between calls)."""
    specs, seeds = list(specs), list(seeds)
    if len(specs) != len(seeds):
        raise ValueError("specs and seeds must have the same length")
    for spec, seed in zip(specs, seeds):
        reason = unsupported_reason(spec)
        if reason:
            raise ValueError(f"the {ENGINE_NAME} engine cannot train {spec}: {reason}")
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    seeds = [int(seed) for seed in seeds]
    runs, where = _runs(specs, seeds)
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
    return _record(spec, trained.split, trained.fitted, trained.wall_time_s, ENGINE_NAME)


def _train_group(runs: list[_Run], variant: str) -> list[dict[int, Trained]]:
    jax = _jax()
    splits = [_split(variant, run.seed) for run in runs]
    n_features = splits[0].n_features
    n_train, n_test = len(splits[0].y_train), len(splits[0].y_test)
    spec = runs[0].spec
    width, capacity = _padded_width(spec), _capacity(spec)
    batch = spec.batch_size or DEFAULT_BATCH_SIZE
    padded_batch, steps = _batch_shape(batch, n_train)
    epochs = spec.epochs
    eval_each_epoch = len(runs[0].eval_epochs) > 1
    replicas = REPLICAS * -(-len(runs) // REPLICAS)

    # initial weights, zero-padded into the stacked layout; inactive replicas stay all zero
    w0 = np.zeros((replicas, n_features, width), np.float32)
    b0 = np.zeros((replicas, width), np.float32)
    wm = np.zeros((replicas, capacity, width, width), np.float32)
    bm = np.zeros((replicas, capacity, width), np.float32)
    wo = np.zeros((replicas, width, N_CLASSES), np.float32)
    bo = np.zeros((replicas, N_CLASSES), np.float32)
    for r, weights in enumerate(_initial_weights_many([(run.spec, run.seed) for run in runs], n_features)):
        kernels = weights[0::2]
        w0[r, :, : kernels[0].shape[1]] = kernels[0]
        for l, kernel in enumerate(kernels[1:-1]):
            wm[r, l, : kernel.shape[0], : kernel.shape[1]] = kernel
        wo[r, : kernels[-1].shape[0]] = kernels[-1]

    # each epoch's permutation cut into batches of `batch` rows, each padded to `padded_batch`
    starts = np.arange(0, n_train, batch)
    positions = starts[:, None] + np.arange(padded_batch)[None, :]
    valid_rows = (np.arange(padded_batch)[None, :] < batch) & (positions < n_train)
    valid = np.zeros((steps, padded_batch), np.float32)
    valid[: len(starts)] = valid_rows
    counts = valid.sum(axis=1).astype(np.float32)
    rows = np.zeros((replicas, epochs, steps, padded_batch), np.int32)
    for r, run in enumerate(runs):
        order = _keras_permutations(run.seed, n_train, epochs)  # [epochs, n_train]
        rows[r, :, : len(starts)] = np.where(valid_rows, order[:, np.minimum(positions, n_train - 1)], 0)

    def per_replica(values, dtype, shape):
        out = np.zeros((replicas, *shape), dtype)
        out[: len(runs)] = values
        return out

    params, logs = _program()(
        (w0, b0, wm, bm, wo, bo),
        per_replica([len(run.spec.hidden) - 1 for run in runs], np.int32, ()),
        per_replica([True] * len(runs), np.bool_, ()),
        per_replica([run.spec.learning_rate for run in runs], np.float32, ()),
        per_replica([split.x_train for split in splits], np.float32, (n_train, n_features)),
        per_replica([split.y_train for split in splits], np.int32, (n_train,)),
        per_replica([split.x_test for split in splits], np.float32, (n_test, n_features)),
        per_replica([split.y_test for split in splits], np.int32, (n_test,)),
        rows,
        valid,
        counts,
        eval_each_epoch=eval_each_epoch,
    )
    params, logs = jax.device_get((params, logs))
    # logs: [replica, epoch or evaluation, ...]
    epoch_loss, epoch_accuracy, train_loss, train_probabilities, test_loss, test_probabilities = logs
    w0, b0, wm, bm, wo, bo = params

    outcome = []
    for r, run in enumerate(runs):
        hidden = run.spec.hidden
        weights = [w0[r, :, : hidden[0]], b0[r, : hidden[0]]]
        for l in range(len(hidden) - 1):
            weights += [wm[r, l, : hidden[l], : hidden[l + 1]], bm[r, l, : hidden[l + 1]]]
        weights += [wo[r, : hidden[-1]], bo[r]]
        per_epoch = {}
        for k in run.eval_epochs:
            at = k - 1 if eval_each_epoch else 0
            fitted = _Fitted(
                train_probabilities=train_probabilities[r, at],
                test_probabilities=test_probabilities[r, at],
                train_loss=float(train_loss[r, at]),
                test_loss=float(test_loss[r, at]),
                history={
                    "accuracy": [float(value) for value in epoch_accuracy[r, :k]],
                    "loss": [float(value) for value in epoch_loss[r, :k]],
                },
                summary=summary_rows(hidden, n_features),
            )
            per_epoch[k] = Trained([np.array(w) for w in weights] if k == run.spec.epochs else [], fitted, splits[r], 0.0)
        outcome.append(per_epoch)
    return outcome


def summary_rows(hidden: Sequence[int], n_features: int) -> list[dict[str, Any]]:
    """``summary_table(build_network(spec)).to_dict(orient="records")`` without Keras."""
    widths = (n_features, *hidden, N_CLASSES)
    return [
        {
            "layer": "dense" if i == 0 else f"dense_{i}",
            "type": "Dense",
            "output_shape": str((None, units)),
            "params": fan_in * units + units,
        }
        for i, (fan_in, units) in enumerate(zip(widths, widths[1:]))
    ]
