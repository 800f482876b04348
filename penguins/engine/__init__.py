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

The package, by concept: :mod:`~penguins.engine.plan` (which requests run together, in which
program), :mod:`~penguins.engine.keras_random` (Keras' draws, reproduced),
:mod:`~penguins.engine.keras_steps` (learning rates and penalties per step),
:mod:`~penguins.engine.program` (the compiled trainer), :mod:`~penguins.engine.fit` (inputs laid
out, calls run) and :mod:`~penguins.engine.report` (what Keras would report, as a ``RunRecord``).
Importing the package does not import JAX; the first call that trains does.

It reproduces, replica by replica, what :func:`penguins.training.train` does with Keras:

- the same initial weights, bit for bit: Keras' He-uniform / Glorot-uniform draws, with the layer
  seeds of :func:`penguins.models.layer_seeds` (TensorFlow's stateless Philox stream, read through
  TensorFlow), zero biases;
- the same batches in the same order: the permutation Keras' ``fit(shuffle=True)`` draws after
  ``seed_everything(seed)``, computed as TensorFlow's ``RandomShuffle`` kernel computes it
  (:func:`~penguins.engine.keras_random.keras_permutation`; on Keras 3.15 / TensorFlow 2.21 it
  is the *same* permutation every epoch: the seeded shuffle restarts with every new epoch
  iterator), cut into batches of ``batch_size`` with a smaller last batch;
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
  TensorFlow exactly as Keras' ``Dropout`` draws them
  (:func:`~penguins.engine.keras_random.dropout_masks`); validation on the test split evaluated
  with the fit's batch size, and ``EarlyStopping`` on ``val_accuracy``
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

from penguins.engine.fit import enable_compile_cache, fit_batch, fit_in_calls, train_batch, train_in_calls
from penguins.engine.keras_random import dropout_masks, initial_weights, keras_batch_order, keras_permutation
from penguins.engine.keras_steps import learning_rates_of
from penguins.engine.plan import FoldRows, call_groups, estimated_cost, split_work, supports, unsupported_reason
from penguins.engine.report import Trained, predict, summary_rows

__all__ = [
    "FoldRows",
    "Trained",
    "call_groups",
    "dropout_masks",
    "enable_compile_cache",
    "estimated_cost",
    "fit_batch",
    "fit_in_calls",
    "initial_weights",
    "keras_batch_order",
    "keras_permutation",
    "learning_rates_of",
    "predict",
    "split_work",
    "summary_rows",
    "supports",
    "train_batch",
    "train_in_calls",
    "unsupported_reason",
]
