"""The post's searches with every fit trained by the sweep engine.

Random and grid search.

The protocol is :func:`penguins.search.keras.search`'s, which runs scikit-learn and scikeras:

- the candidates scikit-learn draws (``ParameterSampler`` with ``random_state=seed``) or lists
  (``ParameterGrid``), in the same order;
- the folds of ``check_cv(cv, y, classifier=True)`` (stratified, not shuffled);
- every candidate trained on every fold with what scikeras gives Keras
  (:func:`penguins.search.settings.effective_fit_settings`; ``tests/test_search.py`` checks those rules
  against what Keras ran), the post's ``validation_data`` included;
- the score: accuracy on the held-out rows; ``mean_test_score``, ``std_test_score`` and
  ``rank_test_score`` as ``cv_results_`` computes them; the best candidate (the first of rank 1)
  refitted on every training row.

What differs is where a fit's randomness comes from. Under scikeras every fit draws its initial
weights, dropout seed and batch order from the process's global random state, one fit after
another. Here every fit has a seed of its own, :func:`fit_seed` of (search seed, candidate,
fold), and the engine trains what Keras trains after ``seed_everything(fit_seed)`` with
``build_network(network, seed=fit_seed)`` on that fold (``tests/test_search_engine.py`` checks a
fit against Keras). Both searches are the same experiment with other draws; the tests compare
their scores over seeds. The i-th candidates of a random and a grid search of the same seed get
the same fit seeds, as under scikeras they get the same draws.

Hyperband. Keras Tuner's own ``Hyperband`` tuner and oracle run the search (brackets, rounds,
random draws, promotions, scores); only its ``run_trial`` is replaced, by a fit on the engine of
what the Keras tuner's trial fits (:func:`penguins.search.keras.hyperband_network`, Keras' batch size
32, ``validation_data`` the test split):

- a trial that continues another starts from that trial's weights at its best epoch (Keras
  Tuner's ``SaveBestEpoch`` checkpoint, loaded into a new model), with a fresh Adam and a fresh
  cosine schedule, and trains ``tuner/epochs - tuner/initial_epoch`` epochs (what Keras' ``fit``
  with ``initial_epoch`` trains: its batch order and schedule start from the beginning);
- its score is the first best ``val_accuracy`` of its epochs, as Keras Tuner takes it from the
  History;
- the best model is the best trial's weights at its best epoch (``get_best_models``).

Each trial has its own seed, :func:`fit_seed` of (search seed, trial number, 0); Keras Tuner's
trials draw from the process's global state one after another instead.
"""

from __future__ import annotations

import random
import tempfile
import time
from dataclasses import replace
from typing import Any

import numpy as np

from penguins.engine import FoldRows, fit_batch, predict, summary_rows
from penguins.preprocessing import Split, preprocess
from penguins.search.keras import HYPERBAND_PROJECT, candidate_rows, hyperband_network, hyperband_record
from penguins.search.record import SearchRecord, plain_params, search_record
from penguins.search.settings import batch_sizes_for, effective_fit_settings
from penguins.search.specs import GridSearchSpec, HyperbandSpec, RandomSearchSpec
from penguins.spec import ENGINE_JAX, KERAS_DEFAULT_BATCH_SIZE, NetworkSpec


def fit_seed(seed: int, candidate: int, fold: int) -> int:
    """The seed of one fit of a search on the engine; fold ``cv`` is the refit on every training row.

    Each fit has a seed of its own, so a fit's result depends on (search seed, candidate, fold)
    only, not on which fits ran before it (as it does under scikeras).
    """
    return int(np.random.SeedSequence([seed, candidate, fold]).generate_state(1)[0])


def candidate_network(spec: RandomSearchSpec | GridSearchSpec, settings: dict[str, Any]) -> NetworkSpec:
    """The post's tuning ``get_model`` as the network the engine trains, with what scikeras gives Keras.

    ``settings`` is :func:`penguins.search.settings.effective_fit_settings` of a candidate: the
    engine trains what Keras trains under scikeras, not what the search reports.
    """
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


def search_on_engine(
    spec: RandomSearchSpec | GridSearchSpec | HyperbandSpec, seed: int = 0, variant: str = "post"
) -> SearchRecord:
    """Run the search ``spec`` for ``seed`` with every fit on the engine, without the store.

    Parameters
    ----------
    spec : SearchSpec
        The search.
    seed : int
        The seed of the split, of the candidates (random search) or the oracle (Hyperband), and,
        through :func:`fit_seed`, of every fit.
    variant : str
        The preprocessing (:func:`penguins.preprocessing.preprocess`).

    Returns
    -------
    SearchRecord
        With ``engine == "jax"``; its fields say what the engine trained each fit with.

    Raises
    ------
    TypeError
        If ``spec`` is not a search spec.
    """
    if isinstance(spec, HyperbandSpec):
        return hyperband_on_engine(spec, seed, variant)
    if not isinstance(spec, (RandomSearchSpec, GridSearchSpec)):
        raise TypeError(f"not a search spec: {type(spec).__name__}")
    return _cross_validated_search(spec, seed, variant)


def _cross_validated_search(spec: RandomSearchSpec | GridSearchSpec, seed: int, variant: str) -> SearchRecord:
    from scipy.stats import rankdata
    from sklearn.model_selection import ParameterGrid, ParameterSampler, check_cv

    started = time.perf_counter()
    split = preprocess(variant, seed)
    if isinstance(spec, RandomSearchSpec):
        state = spec.sampler_state(seed)
        candidates = list(ParameterSampler(spec.param_space(), n_iter=spec.n_iter, random_state=state))
    else:
        candidates = list(ParameterGrid(spec.param_space()))
    candidates = [plain_params(params) for params in candidates]
    folds = list(check_cv(spec.cv, split.y_train, classifier=True).split(split.x_train, split.y_train))
    networks = [candidate_network(spec, effective_fit_settings(spec, params)) for params in candidates]

    plan = [(c, f) for c in range(len(candidates)) for f in range(spec.cv)]  # scikit-learn's order
    planned = [networks[c] for c, _ in plan]  # the networks of the fits, in plan order
    trained = fit_batch(
        planned,
        [fit_seed(seed, c, f) for c, f in plan],
        variant,
        [FoldRows(seed, tuple(folds[f][0])) for _, f in plan],
    )
    scores = np.zeros((len(candidates), spec.cv))
    for (c, f), result in zip(plan, trained, strict=True):
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
    fits = [
        {"candidate": c, "fold": f, **_fit_row(networks[c], len(result.fitted.history["loss"]), len(folds[f][0]))}
        for (c, f), result in zip(plan, trained, strict=True)
    ]
    refit_row = _fit_row(networks[best], len(refit.fitted.history["loss"]), len(split.y_train))
    fits.append({"candidate": best, "fold": "refit", **refit_row})
    record = search_record(
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
        early_stopping_fits=sum(network.early_stopping_patience is not None for network in [*planned, networks[best]]),
        engine=ENGINE_JAX,
    )
    record.wall_time_s = time.perf_counter() - started
    return record


def _fit_row(network: NetworkSpec, epochs_run: int, n_samples: int) -> dict[str, Any]:
    """What a fit trained with, in the fields the Keras search's probe records."""
    batch_size = network.batch_size or KERAS_DEFAULT_BATCH_SIZE
    steps = -(-n_samples // batch_size)
    low, high = batch_sizes_for(n_samples, steps)
    return {
        "epochs": network.epochs,
        "steps": steps,
        "initial_epoch": 0,
        "epochs_run": epochs_run,
        "learning_rate": network.learning_rate,
        "units": [*network.hidden, 3],
        "dropout": [network.dropout] if network.dropout else [],
        "n_samples": n_samples,
        "batch_size_min": low,
        "batch_size_max": high,
    }


def oracle_seed(seed: int) -> int:
    """The seed Keras Tuner's oracle gets in the Keras search of ``seed``.

    The Oracle takes ``seed or random.randint(1, 10000)``, and the Keras search seeds Python's
    ``random`` with ``seed`` first (``seed_everything``), so seed 0 becomes that first draw. Computed
    here without touching the global ``random``; with it the engine's Hyperband draws the Keras
    search's first-round trials.
    """
    return seed or random.Random(seed).randint(1, 10000)


class _TrialTrainer:
    """Keras Tuner's trials trained on the engine, one a call, each from its parent's best weights."""

    def __init__(self, spec: HyperbandSpec, seed: int, variant: str, split: Split) -> None:
        self.spec, self.seed, self.variant, self.split = spec, seed, variant, split
        self.every_row = FoldRows(seed, tuple(range(len(split.y_train))))
        self.best_weights: dict[str, list[np.ndarray]] = {}  # per trial: its weights at its best epoch
        self.fits: list[dict[str, Any]] = []

    def __call__(self, trial: Any) -> dict[str, float]:
        """Train ``trial`` and give its metrics at its best epoch, as Keras Tuner scores it."""
        spec, values = self.spec, trial.hyperparameters.values
        settings = effective_fit_settings(spec, values)
        epochs = settings["epochs"] - settings["initial_epoch"]
        # Every trial is trained for max_epochs and read after its own number of epochs (the
        # first k epochs of a longer run are the k-epoch run): one compiled program per width.
        network = replace(
            hyperband_network(spec, trial.hyperparameters),
            epochs=spec.max_epochs,
            batch_size=settings["batch_size"],
            validate_on_test=True,  # the post's validation_data=(x_test, y_test)
        )
        parent = values.get("tuner/trial_id")
        (trained,) = fit_batch(
            [network],
            [fit_seed(self.seed, int(trial.trial_id), 0)],
            self.variant,
            [self.every_row],
            [None if parent is None else self.best_weights[parent]],
            epoch_weights=True,
        )
        history = {name: logged[:epochs] for name, logged in trained.fitted.history.items()}
        best = int(np.argmax(history[spec.objective]))  # the first best epoch (SaveBestEpoch, Keras Tuner's score)
        self.best_weights[trial.trial_id] = trained.epoch_weights[best]
        self.fits.append(
            {
                "trial_id": trial.trial_id,
                **_fit_row(replace(network, epochs=settings["epochs"]), epochs, len(self.split.y_train)),
                "initial_epoch": settings["initial_epoch"],
                "learning_rate": settings["learning_rate"],
            }
        )
        return {name: float(logged[best]) for name, logged in history.items()}


def hyperband_on_engine(spec: HyperbandSpec, seed: int = 0, variant: str = "post") -> SearchRecord:
    """Keras Tuner's Hyperband search ``spec`` for ``seed``, every trial trained by the engine.

    Keras Tuner's own tuner and oracle choose the trials (brackets, rounds, draws, promotions); only
    ``run_trial`` is the engine's (see the module docstring). Keras Tuner's files go to a temporary
    folder, removed afterwards.

    Raises
    ------
    RuntimeError
        If a trial did not complete.
    """
    import keras_tuner as kt

    started = time.perf_counter()
    split = preprocess(variant, seed)
    train_trial = _TrialTrainer(spec, seed, variant, split)

    class EngineHyperband(kt.Hyperband):
        """Keras Tuner's Hyperband whose trials the engine trains."""

        def run_trial(self, trial, *args, **kwargs) -> dict[str, float]:
            return train_trial(trial)

    with tempfile.TemporaryDirectory(prefix="penguins-hyperband-") as workdir:  # Keras Tuner writes its state
        tuner = EngineHyperband(
            lambda hp: hyperband_network(spec, hp),
            objective=spec.objective,
            max_epochs=spec.max_epochs,
            factor=spec.factor,
            seed=oracle_seed(seed),
            directory=workdir,
            project_name=HYPERBAND_PROJECT,
            overwrite=True,
        )
        tuner.search(verbose=0)
        trials = sorted(tuner.oracle.trials.values(), key=lambda trial: trial.trial_id)
        best_trial = tuner.oracle.get_best_trials(1)[0]
    if any(trial.status != "COMPLETED" for trial in trials):
        statuses = [(trial.trial_id, trial.status, trial.message) for trial in trials]
        raise RuntimeError(f"Hyperband trials did not all complete: {statuses}")
    fits = sorted(train_trial.fits, key=lambda fit: fit["trial_id"])
    units, rate = best_trial.hyperparameters.get("units"), best_trial.hyperparameters.get("rate")
    weights = train_trial.best_weights[best_trial.trial_id]
    record = hyperband_record(
        spec,
        split,
        seed,
        trials,
        best_trial,
        fits=fits,
        summary=summary_rows((units, units), split.n_features, rate),
        train_predictions=predict(weights, split.x_train).argmax(axis=1),
        test_predictions=predict(weights, split.x_test).argmax(axis=1),
        engine=ENGINE_JAX,
    )
    record.wall_time_s = time.perf_counter() - started
    return record
