"""Which setting wins: what Keras really trains a search's candidate with.

The post searches ``optimizer__learning_rate``, ``batch_size`` and ``epochs`` on
``KerasClassifier(model=get_model)`` and calls ``search.fit(x_train, y_train,
validation_data=(x_test, y_test), epochs=10, batch_size=4, callbacks=[early_stop])``.
scikeras 0.13 (``scikeras/wrappers.py``) decides as follows, and every fit of a search on Keras
measures it (``SearchRecord.fits``):

- **epochs**: ``BaseWrapper.fit`` takes ``kwargs.get("epochs", getattr(self, "fit__epochs",
  self.epochs))`` ("epochs via kwargs > fit__epochs > epochs"): the ``epochs=10`` given to ``fit``
  wins, the searched ``epochs`` is never used.
- **batch_size**: ``_fit_keras_model`` builds the Keras arguments from the estimator's parameters
  and then ``fit_args.update(kwargs)``: the ``batch_size=4`` given to ``fit`` wins.
- **learning rate**: ``optimizer__learning_rate`` only goes into ``compile`` arguments, which
  scikeras uses when the model it gets is *not* compiled (``_ensure_compiled_model``) or when the
  builder accepts ``compile_kwargs``. ``get_model`` compiles its own ``Adam(learning_rate=lr)``,
  so every candidate trains with ``get_model``'s default ``lr=0.001``.
- **callbacks**: ``_fit_keras_model`` drops every ``fit`` keyword that starts with
  ``callbacks`` and uses only the estimator's ``callbacks`` parameter, so the post's
  ``EarlyStopping`` never runs.

So every candidate of the post's random and grid searches trains the same network the same way
(Adam 0.001, 10 epochs, batch 4, no early stopping); their scores differ only by initial weights
and batch order. :func:`effective_fit_settings` states these rules per candidate; the tests check
them against what Keras ran. ``wiring="estimator"`` is the same search with the parameters put
where scikeras does use them (``model__lr``, estimator ``epochs`` / ``batch_size``, estimator
``callbacks``), for comparison. In Keras Tuner's Hyperband the ``epochs=10`` given to
``tuner.search`` is overridden per trial by ``tuner/epochs`` (``Hyperband.run_trial``).

A fit's batch size is measured through its steps per epoch: :func:`batch_sizes_for` and
:func:`batch_size_matches` turn one into the other.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from penguins.search.specs import HyperbandSpec, SearchSpec
from penguins.spec import KERAS_DEFAULT_BATCH_SIZE


def effective_fit_settings(spec: SearchSpec, params: Mapping[str, Any]) -> dict[str, Any]:
    """What Keras actually trains a candidate with, given the parameters the search reports.

    With the post's wiring scikeras ignores the searched values (see the module docstring): the
    learning rate is get_model's ``lr``, epochs and batch size are the ``fit`` keywords, and the
    EarlyStopping passed to ``fit`` is dropped. With ``wiring="estimator"`` the searched values
    are used. For Hyperband, ``tuner/epochs`` and ``tuner/initial_epoch`` replace the ``epochs``
    given to ``tuner.search``.

    Parameters
    ----------
    spec : SearchSpec
        The search.
    params : mapping
        A candidate's parameters as the search reports them (``cv_results_["params"]``, or a
        Keras Tuner trial's hyperparameter values).

    Returns
    -------
    dict
        ``learning_rate`` (a float, or for Hyperband the schedule's config), ``epochs`` (the
        ``epochs`` Keras' ``fit`` gets), ``initial_epoch``, ``batch_size`` and ``early_stopping``
        (whether an EarlyStopping callback is in the Keras fit, so fewer epochs may run).
    """
    if isinstance(spec, HyperbandSpec):
        return {
            "learning_rate": {
                "class": "CosineDecayRestarts",
                "initial_learning_rate": spec.initial_learning_rate,
                "first_decay_steps": spec.first_decay_steps,
            },
            "epochs": int(params["tuner/epochs"]),
            "initial_epoch": int(params["tuner/initial_epoch"]),
            "batch_size": spec.batch_size or KERAS_DEFAULT_BATCH_SIZE,
            "early_stopping": False,
        }
    if spec.wiring == "post":
        # scikeras: fit kwargs win for epochs (BaseWrapper.fit) and batch_size
        # (fit_args.update(kwargs)); the compiled model keeps its own Adam(lr); callbacks passed
        # to fit are filtered out (k.startswith("callbacks")).
        return {
            "learning_rate": float(spec.lr),
            "epochs": spec.fit_epochs,
            "initial_epoch": 0,
            "batch_size": spec.fit_batch_size,
            "early_stopping": False,
        }
    return {
        "learning_rate": float(params[spec.learning_rate_param]),
        "epochs": int(params["epochs"]),
        "initial_epoch": 0,
        "batch_size": int(params["batch_size"]),
        "early_stopping": True,
    }


def batch_sizes_for(n_samples: int, steps: int) -> tuple[int, int | None]:
    """The batch sizes that split ``n_samples`` into ``steps`` batches per epoch.

    Keras reports a fit's steps per epoch, not its batch size; this is what a measured fit's batch
    size can have been.

    Returns
    -------
    tuple of (int, int or None)
        The smallest and largest such batch size (inclusive); largest is None when ``steps == 1``
        (any batch of ``n_samples`` or more).

    Raises
    ------
    ValueError
        If no batch size gives ``steps`` steps.
    """
    sizes = [size for size in range(1, n_samples + 1) if math.ceil(n_samples / size) == steps]
    if not sizes:
        raise ValueError(f"no batch size splits {n_samples} samples into {steps} steps")
    return sizes[0], (None if steps == 1 else sizes[-1])


def batch_size_matches(size: int, n_samples: int, steps: int) -> bool:
    """Whether a batch of ``size`` gives ``steps`` steps per epoch over ``n_samples`` rows."""
    return math.ceil(n_samples / size) == steps
