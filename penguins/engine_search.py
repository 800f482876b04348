"""The post's random and grid searches with every fit trained by the sweep engine.

The protocol is :func:`penguins.search.search`'s, which runs scikit-learn and scikeras:

- the candidates scikit-learn draws (``ParameterSampler`` with ``random_state=seed``) or lists
  (``ParameterGrid``), in the same order;
- the folds of ``check_cv(cv, y, classifier=True)`` (stratified, not shuffled);
- every candidate trained on every fold with what scikeras gives Keras
  (:func:`penguins.search.effective_fit_settings`; ``tests/test_search.py`` checks those rules
  against what Keras ran), the post's ``validation_data`` included;
- the score: accuracy on the held-out rows; ``mean_test_score``, ``std_test_score`` and
  ``rank_test_score`` as ``cv_results_`` computes them; the best candidate (the first of rank 1)
  refitted on every training row.

What differs is where a fit's randomness comes from. Under scikeras every fit draws its initial
weights, dropout seed and batch order from the process's global random state, one fit after
another. Here every fit has a seed of its own, :func:`fit_seed` of (search seed, candidate,
fold), and the engine trains what Keras trains after ``seed_everything(fit_seed)`` with
``build_network(network, seed=fit_seed)`` on that fold (``tests/test_engine_search.py`` checks a
fit against Keras). Both searches are the same experiment with other draws; the tests compare
their scores over seeds. The i-th candidates of a random and a grid search of the same seed get
the same fit seeds, as under scikeras they get the same draws.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from penguins.engine import FoldRows, fit_batch, summary_rows
from penguins.preprocessing import preprocess
from penguins.search import (
    GridSearchSpec,
    RandomSearchSpec,
    SearchRecord,
    _plain_params,
    _record,
    batch_sizes_for,
    candidate_rows,
    effective_fit_settings,
)
from penguins.spec import NetworkSpec

ENGINE_NAME = "jax"


def fit_seed(seed: int, candidate: int, fold: int) -> int:
    """The seed of one fit: fold ``cv`` is the refit on every training row."""
    return int(np.random.SeedSequence([seed, candidate, fold]).generate_state(1)[0])


def candidate_network(spec: RandomSearchSpec | GridSearchSpec, settings: dict[str, Any]) -> NetworkSpec:
    """The post's tuning ``get_model`` trained as scikeras trains it (``effective_fit_settings``)."""
    return NetworkSpec(
        hidden=(spec.nodes, spec.nodes),
        kernel_l1=spec.kernel_l1,
        kernel_l2=spec.kernel_l2,
        activity_l1=spec.activity_l1,
        activity_l2=spec.activity_l2,
        dropout=spec.dropout,
        learning_rate=settings["learning_rate"],
        epochs=settings["epochs"],
        batch_size=settings["batch_size"],
        validate_on_test=True,  # the post's validation_data=(x_test, y_test)
        early_stopping_patience=spec.patience if settings["early_stopping"] else None,
    )


def search_on_engine(spec: RandomSearchSpec | GridSearchSpec, seed: int = 0, variant: str = "post") -> SearchRecord:
    """Run the random or grid search ``spec`` for ``seed`` with the engine (no store)."""
    from scipy.stats import rankdata
    from sklearn.model_selection import ParameterGrid, ParameterSampler, check_cv

    if not isinstance(spec, (RandomSearchSpec, GridSearchSpec)):
        raise TypeError(f"the engine runs random and grid searches, not {type(spec).__name__}")
    started = time.perf_counter()
    split = preprocess(variant, seed)
    if isinstance(spec, RandomSearchSpec):
        candidates = list(ParameterSampler(spec.param_space(), n_iter=spec.n_iter, random_state=seed))
    else:
        candidates = list(ParameterGrid(spec.param_space()))
    candidates = [_plain_params(params) for params in candidates]
    folds = list(check_cv(spec.cv, split.y_train, classifier=True).split(split.x_train, split.y_train))
    networks = [candidate_network(spec, effective_fit_settings(spec, params)) for params in candidates]

    plan = [(c, f) for c in range(len(candidates)) for f in range(spec.cv)]  # scikit-learn's order
    trained = fit_batch(
        [networks[c] for c, _ in plan],
        [fit_seed(seed, c, f) for c, f in plan],
        variant,
        [FoldRows(seed, tuple(folds[f][0])) for _, f in plan],
    )
    scores = np.zeros((len(candidates), spec.cv))
    for (c, f), result in zip(plan, trained):
        held_out = folds[f][1]
        predicted = result.fitted.train_probabilities[held_out].argmax(axis=1)
        scores[c, f] = np.mean(predicted == split.y_train[held_out])
    means, stds = scores.mean(axis=1), scores.std(axis=1)
    ranks = rankdata(-means, method="min").astype(int)
    best = int(np.argmin(ranks))
    every_row = FoldRows(seed, tuple(range(len(split.y_train))))
    (refit,) = fit_batch([networks[best]], [fit_seed(seed, best, spec.cv)], variant, [every_row])

    results = {"mean_test_score": means, "std_test_score": stds, "rank_test_score": ranks}
    results.update({f"split{f}_test_score": scores[:, f] for f in range(spec.cv)})
    rows = candidate_rows(spec, candidates, results)
    fits = [_fit_row(networks[c], result, {"candidate": c, "fold": f}, len(folds[f][0])) for (c, f), result in zip(plan, trained)]
    fits.append(_fit_row(networks[best], refit, {"candidate": best, "fold": "refit"}, len(split.y_train)))
    record = _record(
        spec,
        split,
        seed,
        param_names=sorted(spec.param_space()),
        rows=rows,
        fits=fits,
        best_params=candidates[best],
        best_score=float(means[best]),
        summary=summary_rows(networks[best].hidden, split.n_features, spec.dropout),
        train_predictions=refit.fitted.train_probabilities.argmax(axis=1),
        test_predictions=refit.fitted.test_probabilities.argmax(axis=1),
        early_stopping_fits=sum(network.early_stopping_patience is not None for network in [*(networks[c] for c, _ in plan), networks[best]]),
        engine=ENGINE_NAME,
    )
    record.wall_time_s = time.perf_counter() - started
    return record


def _fit_row(network: NetworkSpec, result, tag: dict[str, Any], n_samples: int) -> dict[str, Any]:
    """What a fit trained with, in the fields the Keras search's probe records."""
    steps = -(-n_samples // network.batch_size)
    low, high = batch_sizes_for(n_samples, steps)
    return {
        **tag,
        "epochs": network.epochs,
        "steps": steps,
        "initial_epoch": 0,
        "epochs_run": len(result.fitted.history["loss"]),
        "learning_rate": network.learning_rate,
        "units": [*network.hidden, 3],
        "dropout": [network.dropout] if network.dropout else [],
        "n_samples": n_samples,
        "batch_size_min": low,
        "batch_size_max": high,
    }
