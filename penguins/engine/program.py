"""The compiled trainer: Keras' training of a dense ReLU network, written out in JAX.

:func:`compiled_trainer` is the jitted program; XLA compiles one executable per distinct set of
static shapes (:mod:`penguins.engine.plan` chooses them). Layout, per replica: the first and the
output layer as (kernel, bias) pairs; the middle layers stacked, ``[capacity, H, H]`` kernels and
``[capacity, H]`` biases, walked by loops that stop at the replica's own depth, so one executable
serves every depth up to the capacity and a layer costs the same whatever the capacity.

The replicas of a call are trained one after the other by an outer loop (``lax.map``), each with
plain 2-D matrix products: one replica's weights and moments stay in the CPU cache for its whole
training. Two details keep XLA updating the stacked arrays in place instead of copying them at
every layer: a middle layer's kernel, m and v are one slice ``[3, H, H]`` written by one update,
and the backward pass reads each kernel from a (transposed) copy the forward pass saved, not from
the array being updated.

Per replica and step come a learning rate (schedules are evaluated outside, as Keras evaluates
them) and, with dropout, the mask Keras' Dropout draws. Penalties are four coefficients per
regularised layer: kernel L1, kernel L2, activity L1, activity L2 (what :mod:`penguins.models`
attaches to the first and the second hidden layer).
"""

from __future__ import annotations

from functools import cache
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from penguins.engine.plan import Features

# Adam's defaults in Keras (keras/src/optimizers/adam.py), as the float32 values Keras computes with.
BETA_1, BETA_2, EPSILON = 0.9, 0.999, 1e-7
_ONE_MINUS_BETA_1, _ONE_MINUS_BETA_2 = np.float32(1 - BETA_1), np.float32(1 - BETA_2)
_BETA_1, _BETA_2, _EPSILON = np.float32(BETA_1), np.float32(BETA_2), np.float32(EPSILON)
_F32 = jnp.float32


class Replica(NamedTuple):
    """One replica's inputs that stay fixed through its training (traced arrays)."""

    n_mid: Any  # how many middle layers of the stack this replica uses
    penalties: Any  # [2, 4]: the first and the middle layer's coefficients
    x_train: Any
    y_train: Any
    x_test: Any
    y_test: Any
    valid: Any  # [steps, batch]: 1 for a real row of a step, 0 for padding
    counts: Any  # [steps]: real rows per step, 0 for a step past the epoch's end (skipped)


def _get(array, index):
    return lax.dynamic_index_in_dim(array, index, 0, keepdims=False)


def _put(array, value, index):
    return lax.dynamic_update_index_in_dim(array, value, index, 0)


def _with_moments(weight):
    """``[3, ...]``: the weight, Adam's first moment (0) and second moment (0)."""
    return jnp.stack([weight, jnp.zeros_like(weight), jnp.zeros_like(weight)])


def forward(weights, x, n_mid, features: Features, saved=None, mask=None):
    """Logits, the first and the last hidden output (before dropout), and the saved buffers.

    Given ``saved`` = (outputs, kernels) buffers, also keeps every hidden output (``outputs[0]``:
    the first layer's) and every middle kernel, transposed, for the backward pass. ``mask``: the
    dropout multiplier of the last hidden output. ``weights``: (w0, b0), middle kernels, middle
    biases, (wo, bo); the middle ones either plain ([capacity, H, H], [capacity, H]) or stacked
    with their moments ([capacity, 3, ...]).
    """
    (w0, b0), mid_w, mid_b, (wo, bo) = weights
    if not features.hidden:  # the output kernel's first rows are the real [features, classes]
        return x @ wo[: x.shape[1]] + bo, x, x, saved
    if mid_w.ndim == 3:
        mid_w, mid_b = mid_w[:, None], mid_b[:, None]
    h = jnp.maximum(x @ w0 + b0, 0)
    h_first = h
    if saved is not None:
        saved = (_put(saved[0], h, 0), saved[1])

    def middle_layer(layer, state):
        h, saved = state
        kernel = _get(mid_w, layer)[0]
        h = jnp.maximum(h @ kernel + _get(mid_b, layer)[0], 0)
        if saved is not None:
            saved = (_put(saved[0], h, layer + 1), _put(saved[1], kernel.T, layer))
        return h, saved

    h, saved = lax.fori_loop(0, n_mid, middle_layer, (h, saved))
    dropped = h if mask is None else h * mask
    return dropped @ wo + bo, h_first, h, saved


def softmax_cross_entropy(logits, labels):
    """TensorFlow's ``sparse_softmax_cross_entropy_with_logits``: loss and softmax, per row."""
    shifted = logits - jnp.max(logits, axis=-1, keepdims=True)
    exp = jnp.exp(shifted)
    total = jnp.sum(exp, axis=-1, keepdims=True)
    picked = jnp.take_along_axis(shifted, labels[..., None], axis=-1)[..., 0]
    return jnp.log(total[..., 0]) - picked, exp / total


def adam_update(weight_and_moments, grad, alpha):
    """Keras' ``Adam.update_step`` on a stacked (weight, m, v), in Keras' order of operations."""
    weight, m, v = weight_and_moments[0], weight_and_moments[1], weight_and_moments[2]
    m = m + (grad - m) * _ONE_MINUS_BETA_1
    v = v + (jnp.square(grad) - v) * _ONE_MINUS_BETA_2
    return jnp.stack([weight - (m * alpha) / (jnp.sqrt(v) + _EPSILON), m, v])


def adam_step_size(learning_rate, iteration):
    """Keras' Adam ``alpha``: the learning rate with both bias corrections of step ``iteration + 1``."""
    local_step = (iteration + 1).astype(_F32)
    return learning_rate * jnp.sqrt(1 - _BETA_2**local_step) / (1 - _BETA_1**local_step)


def abs_and_square_sums(values, axes=None):
    """(sum |x|, sum x^2): what L1 and L2 regularisers add up."""
    return jnp.stack([jnp.sum(jnp.abs(values), axis=axes), jnp.sum(jnp.square(values), axis=axes)], axis=-1)


def kernel_penalty(kernel, coefficients):
    """Keras' ``L1(c)(w) + L2(c)(w)`` of a kernel."""
    return jnp.sum(coefficients[:2] * abs_and_square_sums(kernel))


def kernel_penalty_gradient(kernel, coefficients):
    """TensorFlow's gradient of the kernel penalties: ``c1 * sign(w) + c2 * (2 w)``."""
    return coefficients[0] * jnp.sign(kernel) + coefficients[1] * (kernel * np.float32(2))


def activity_penalty_gradient(h, coefficients, inverse_count, row_valid):
    """Gradient of Keras' activity penalty ``(c * sum(...)) / batch`` of a layer's output."""
    scaled = coefficients[2:] * inverse_count
    return (scaled[0] * jnp.sign(h) + scaled[1] * (h * np.float32(2))) * row_valid[:, None]


def evaluate(weights, replica: Replica, features: Features):
    """What Keras' ``evaluate`` averages, per row (training rows, then test rows).

    The loss, the probabilities and the |h| and h^2 sums of the first two hidden outputs; and the
    kernels' |w| and w^2 sums. :func:`penguins.engine.report.keras_loss` averages them per batch.
    """
    x = jnp.concatenate([replica.x_train, replica.x_test])
    logits, h_first, h_last, _ = forward(weights, x, replica.n_mid, features)
    loss, probabilities = softmax_cross_entropy(logits, jnp.concatenate([replica.y_train, replica.y_test]))
    n_rows = loss.shape[0]
    if not features.regularised:
        return loss, probabilities, jnp.zeros((n_rows, 2, 2), _F32), jnp.zeros((2, 2), _F32)
    (w0, _), mid_w, _, _ = weights
    activity = jnp.stack([abs_and_square_sums(h_first, 1), abs_and_square_sums(h_last, 1)], axis=1)  # two layers
    return loss, probabilities, activity, jnp.stack([abs_and_square_sums(w0), abs_and_square_sums(mid_w[0])])


def initial_state(params):
    """Every weight stacked with zero Adam moments; the middle ones as ``[capacity, 3, ...]``."""
    w0, b0, mid_w, mid_b, wo, bo = params
    return (
        (_with_moments(w0), _with_moments(b0)),
        jnp.stack([mid_w, jnp.zeros_like(mid_w), jnp.zeros_like(mid_w)], axis=1),
        jnp.stack([mid_b, jnp.zeros_like(mid_b), jnp.zeros_like(mid_b)], axis=1),
        (_with_moments(wo), _with_moments(bo)),
    )


def current_weights(state):
    """The weights of a training state, without their moments."""
    (w0, b0), mid_w, mid_b, (wo, bo) = state
    return (w0[0], b0[0]), mid_w[:, 0], mid_b[:, 0], (wo[0], bo[0])


def flat_weights(weights):
    """``(w0, b0, mid_w, mid_b, wo, bo)``: the program's output layout."""
    (w0, b0), mid_w, mid_b, (wo, bo) = weights
    return w0, b0, mid_w, mid_b, wo, bo


def batch_loss(logits, h_first, h_last, state, y, row_valid, count, replica: Replica, features: Features):
    """Keras' reported loss of one batch and its softmax: data loss plus the penalties."""
    loss, probabilities = softmax_cross_entropy(logits, y)
    total = jnp.sum(loss * row_valid) / count
    if features.regularised:  # Keras' total: data loss, activity penalties, kernel penalties
        (w0, _), mid_w, _, _ = state
        first, middle = replica.penalties[0], replica.penalties[1]
        activity = [
            jnp.sum(coefficients[2:] * abs_and_square_sums(h * row_valid[:, None])) / count
            for h, coefficients in ((h_first, first), (h_last, middle))
        ]
        kernels = [kernel_penalty(w0[0], first), kernel_penalty(_get(mid_w, 0)[0], middle)]
        total = jnp.sum(jnp.stack([total, *activity, *kernels]))
    return total, probabilities


def update_softmax_only(state, x, d_logits, alpha):
    """Adam's step for a network without hidden layers (the output kernel's first rows)."""
    (w0, b0), mid_w, mid_b, (wo, bo) = state
    kernel_grad = jnp.zeros_like(wo[0]).at[: x.shape[1]].set(x.T @ d_logits)
    return (
        (w0, b0),
        mid_w,
        mid_b,
        (adam_update(wo, kernel_grad, alpha), adam_update(bo, jnp.sum(d_logits, axis=0), alpha)),
    )


def backward_and_update(
    state, saved, x, d_logits, h_last, mask, row_valid, inverse_count, alpha, replica: Replica, features: Features
):
    """Backpropagate one batch and take Adam's step, layer by layer from the output.

    Each layer's gradients come from its weights before the step, then Adam updates it (Keras
    takes every gradient first, then applies them all: the same values).
    """
    (w0, b0), mid_w, mid_b, (wo, bo) = state
    outputs, kernels_t = saved
    first_penalties, middle_penalties = replica.penalties[0], replica.penalties[1]
    d_h = d_logits @ wo[0].T
    dropped = h_last if mask is None else h_last * mask
    wo = adam_update(wo, dropped.T @ d_logits, alpha)
    bo = adam_update(bo, jnp.sum(d_logits, axis=0), alpha)
    if mask is not None:
        d_h = d_h * mask

    def middle_layer_back(i, carry):
        d_h, mid_w, mid_b = carry
        layer = replica.n_mid - 1 - i
        kernel = _get(mid_w, layer)
        if features.regularised:  # regularised networks have one middle layer: the second
            d_h = d_h + activity_penalty_gradient(_get(outputs, layer + 1), middle_penalties, inverse_count, row_valid)
        d_z = d_h * (_get(outputs, layer + 1) > 0)  # TensorFlow's ReluGrad: where the output is > 0
        grad = _get(outputs, layer).T @ d_z
        if features.regularised:
            grad = grad + kernel_penalty_gradient(kernel[0], middle_penalties)
        mid_w = _put(mid_w, adam_update(kernel, grad, alpha), layer)
        mid_b = _put(mid_b, adam_update(_get(mid_b, layer), jnp.sum(d_z, axis=0), alpha), layer)
        return d_z @ _get(kernels_t, layer), mid_w, mid_b

    d_h, mid_w, mid_b = lax.fori_loop(0, replica.n_mid, middle_layer_back, (d_h, mid_w, mid_b))
    if features.regularised:
        d_h = d_h + activity_penalty_gradient(_get(outputs, 0), first_penalties, inverse_count, row_valid)
    d_z = d_h * (_get(outputs, 0) > 0)
    grad = x.T @ d_z
    if features.regularised:
        grad = grad + kernel_penalty_gradient(w0[0], first_penalties)
    w0 = adam_update(w0, grad, alpha)
    b0 = adam_update(b0, jnp.sum(d_z, axis=0), alpha)
    return (w0, b0), mid_w, mid_b, (wo, bo)


def train_step(carry, rows, row_valid, count, learning_rate, mask, replica: Replica, features: Features):
    """One batch: forward, Keras' loss and accuracy tallies, backward and Adam's update."""
    state, saved, iteration, loss_total, correct_total = carry
    x, y = replica.x_train[rows], replica.y_train[rows]
    (w0, b0), mid_w, mid_b, (wo, bo) = state
    mask = mask if features.dropout else None
    weights = ((w0[0], b0[0]), mid_w, mid_b, (wo[0], bo[0]))
    logits, h_first, h_last, saved = forward(weights, x, replica.n_mid, features, saved, mask)
    loss, probabilities = batch_loss(logits, h_first, h_last, state, y, row_valid, count, replica, features)
    correct = jnp.sum((jnp.argmax(probabilities, axis=-1) == y) * row_valid)
    # d(mean loss)/d logits: TensorFlow's gradient of the fused op times 1 / batch
    inverse_count = np.float32(1) / count
    one_hot = jax.nn.one_hot(y, wo.shape[-1], dtype=_F32)
    d_logits = (probabilities - one_hot) * inverse_count * row_valid[:, None]
    alpha = adam_step_size(learning_rate, iteration)
    if features.hidden:
        state = backward_and_update(
            state, saved, x, d_logits, h_last, mask, row_valid, inverse_count, alpha, replica, features
        )
    else:
        state = update_softmax_only(state, x, d_logits, alpha)
    # Keras' loss tracker: a Mean weighted by batch size
    return state, saved, iteration + 1, loss_total + loss * count, correct_total + correct


def train_epoch(carry, epoch_inputs, replica: Replica, features: Features):
    """Every step of one epoch (steps past its end skipped), then the epoch's logs."""
    rows, learning_rates, masks = epoch_inputs
    state, saved, iteration = carry

    def step(carry, step_inputs):
        rows, row_valid, count, learning_rate, mask = step_inputs
        taken = lax.cond(
            count > 0,
            lambda: train_step(carry, rows, row_valid, count, learning_rate, mask, replica, features),
            lambda: carry,
        )
        return taken, None

    start = (state, saved, iteration, jnp.zeros((), _F32), jnp.zeros((), _F32))
    (state, saved, iteration, loss_total, correct_total), _ = lax.scan(
        step, start, (rows, replica.valid, replica.counts, learning_rates, masks)
    )
    n_seen = jnp.sum(replica.counts)
    logs = (loss_total / n_seen, correct_total / n_seen)
    if features.eval_each_epoch:
        logs = logs + evaluate(current_weights(state), replica, features)
    if features.epoch_weights:
        logs = logs + flat_weights(current_weights(state))
    return (state, saved, iteration), logs


def train_replica(params, learning_rates, masks, batches, replica: Replica, features: Features):
    """Train one replica for every epoch; its final weights, logs and per-epoch weights.

    ``batches``: [epochs, steps, batch] row indices; ``learning_rates``: [epochs, steps];
    ``masks``: [epochs, steps, batch, H] dropout multipliers.
    """
    mid_w = params[2]
    capacity, width = mid_w.shape[0], mid_w.shape[-1]
    saved = (jnp.zeros((capacity + 1, replica.valid.shape[1], width), _F32), jnp.zeros((capacity, width, width), _F32))
    start = (initial_state(params), saved, jnp.zeros((), jnp.int32))
    (state, _, _), logs = lax.scan(
        lambda carry, inputs: train_epoch(carry, inputs, replica, features), start, (batches, learning_rates, masks)
    )
    final = current_weights(state)
    epoch_params: tuple = ()
    if features.epoch_weights:
        logs, epoch_params = logs[:-6], logs[-6:]
    if not features.eval_each_epoch:
        logs = logs + tuple(value[None] for value in evaluate(final, replica, features))
    return flat_weights(final), logs, epoch_params


def train_replicas(
    params,
    n_mid,
    active,
    learning_rates,
    penalties,
    masks,
    x_train,
    y_train,
    x_test,
    y_test,
    batches,
    valid,
    counts,
    features,
):
    """Train every replica of a call, one after the other; inactive replicas give zeros."""

    def one(inputs):
        active, params, n_mid, learning_rates, penalties, masks, x_train, y_train, x_test, y_test, batches = inputs
        replica = Replica(n_mid, penalties, x_train, y_train, x_test, y_test, valid, counts)

        def run():
            return train_replica(params, learning_rates, masks, batches, replica, features)

        shapes = jax.eval_shape(run)
        return lax.cond(active, run, lambda: jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), shapes))

    return lax.map(
        one, (active, params, n_mid, learning_rates, penalties, masks, x_train, y_train, x_test, y_test, batches)
    )


@cache
def compiled_trainer() -> Any:
    """:func:`train_replicas`, jitted with the :class:`Features` static."""
    return jax.jit(train_replicas, static_argnames=("features",))
