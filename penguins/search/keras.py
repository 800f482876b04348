"""The searches on Keras: scikit-learn and scikeras, or Keras Tuner, training Keras models.

:func:`search` runs a spec as the post does: ``RandomizedSearchCV`` or ``GridSearchCV`` over
scikeras' ``KerasClassifier(model=get_model)`` called with the post's ``fit`` keywords, or Keras
Tuner's ``Hyperband`` on the post's ``kt_model``. An observing callback inside every Keras fit
measures what the fit ran with (``SearchRecord.fits``), so a record shows which setting won
(:mod:`penguins.search.settings`). This is the reference the engine's searches
(:mod:`penguins.search.engine`) are compared with.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from penguins.preprocessing import Split, preprocess
from penguins.search.record import SearchRecord, plain_params, search_record
from penguins.search.settings import batch_sizes_for, effective_fit_settings
from penguins.search.specs import GridSearchSpec, HyperbandSpec, RandomSearchSpec, SearchSpec
from penguins.spec import NetworkSpec

HYPERBAND_PROJECT = "hyperband"  # Keras Tuner's project folder, inside the search's working folder


def search(spec: SearchSpec, seed: int = 0, variant: str = "post", workdir: str | Path | None = None) -> SearchRecord:
    """Run the search ``spec`` for ``seed`` on Keras now, without the store.

    The search runs under the process's seed lock, after ``seed_everything(seed)``, as the post's
    notebook runs it: every fit draws from the global random state, one after another.

    Parameters
    ----------
    spec : SearchSpec
        The search.
    seed : int
        The seed of the split and of the global random state.
    variant : str
        The preprocessing (:func:`penguins.preprocessing.preprocess`).
    workdir : str or Path, optional
        Keras Tuner's folder, required for Hyperband (it insists on writing files);
        :func:`penguins.search.run_search` gives it one in the store.

    Returns
    -------
    SearchRecord
        With ``engine == "keras"`` and the fits as the probe measured them.
    """
    import keras

    from penguins.runtime import GLOBAL_SEED_LOCK, seed_everything

    run: Callable[[Split, int], SearchRecord]
    if isinstance(spec, HyperbandSpec):
        if workdir is None:
            raise ValueError("Hyperband needs a working folder (run_search gives it one in the store)")
        run = partial(_run_hyperband, spec, workdir=Path(workdir))
    else:
        run = partial(_run_sklearn_search, spec)
    started = time.perf_counter()
    split = preprocess(variant, seed)
    with GLOBAL_SEED_LOCK, _quiet_tensorflow_logger():  # one seeded search at a time per process
        keras.backend.clear_session()  # fresh layer names and no leftover graphs, as training.py does
        seed_everything(seed)
        record = run(split, seed)
    record.wall_time_s = time.perf_counter() - started
    return record


@contextmanager
def _quiet_tensorflow_logger() -> Iterator[None]:
    """Let TensorFlow's Python logger report errors only, for the time of a search.

    Every candidate is a new model whose predict function TensorFlow traces anew, and the logger
    warns about "retracing" after a few; harmless here.
    """
    logger = logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _fit_probe():
    """A Keras callback that only observes: what each ``fit`` ran with, appended to ``.fits``.

    scikit-learn clones the estimator's callbacks and Keras Tuner deep-copies the search's; both
    copy with ``copy.deepcopy``, which here returns the same probe, so one probe sees every fit.
    """
    import keras

    class FitProbe(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.fits: list[dict[str, Any]] = []
            self._current: dict[str, Any] = {}

        def __deepcopy__(self, memo: dict) -> FitProbe:
            return self

        def on_train_begin(self, logs=None) -> None:
            self._current = {
                "epochs": int(self.params["epochs"]),
                "steps": int(self.params["steps"]),
                "initial_epoch": None,
                "epochs_run": 0,
                **describe_model(self.model),
            }

        def on_epoch_begin(self, epoch, logs=None) -> None:
            if self._current["initial_epoch"] is None:
                self._current["initial_epoch"] = int(epoch)
            self._current["epochs_run"] += 1

        def on_train_end(self, logs=None) -> None:
            self.fits.append(self._current)

    return FitProbe()


def _observed_early_stopping(patience: int):
    """The post's ``EarlyStopping(monitor='val_accuracy', min_delta=0, patience=...)``, counting its fits.

    It counts the Keras fits it takes part in (``.fits_seen``), which shows whether scikeras passed
    it on. Like the probe it is not copied by ``copy.deepcopy`` (EarlyStopping resets its state at
    the start of every fit anyway).
    """
    import keras

    class ObservedEarlyStopping(keras.callbacks.EarlyStopping):
        def __init__(self) -> None:
            super().__init__(monitor="val_accuracy", min_delta=0, patience=patience)
            self.fits_seen = 0

        def __deepcopy__(self, memo: dict) -> ObservedEarlyStopping:
            return self

        def on_train_begin(self, logs=None) -> None:
            self.fits_seen += 1
            super().on_train_begin(logs)

    return ObservedEarlyStopping()


def describe_model(model) -> dict[str, Any]:
    """What a compiled Keras model was built and compiled with, as a fit's probe records it.

    Returns
    -------
    dict
        ``learning_rate`` (the optimizer's: a float, or a schedule's class and config), ``units``
        (the Dense widths) and ``dropout`` (the Dropout rates), in layer order.
    """
    import keras

    learning_rate = model.optimizer.get_config()["learning_rate"]
    if isinstance(learning_rate, dict):  # a serialised LearningRateSchedule
        learning_rate = {"class": learning_rate["class_name"], **learning_rate["config"]}
        learning_rate.pop("name", None)
    else:
        learning_rate = float(learning_rate)
    return {
        "learning_rate": learning_rate,
        "units": [int(layer.units) for layer in model.layers if isinstance(layer, keras.layers.Dense)],
        "dropout": [float(layer.rate) for layer in model.layers if isinstance(layer, keras.layers.Dropout)],
    }


def candidate_rows(
    spec: RandomSearchSpec | GridSearchSpec, candidates: list[dict[str, Any]], results: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """``SearchRecord.rows`` of a random or grid search, one a candidate, from its scores.

    ``results`` is ``cv_results_`` or scores computed as it computes them (``mean_test_score``,
    ``std_test_score``, ``rank_test_score``, ``split<k>_test_score``), so the Keras and the engine
    searches give rows of the same form; each row also says what Keras trains the candidate with
    (:func:`penguins.search.settings.effective_fit_settings`).
    """
    return [
        {
            "candidate": index,
            "params": params,
            "mean_test_score": float(results["mean_test_score"][index]),
            "std_test_score": float(results["std_test_score"][index]),
            "rank_test_score": int(results["rank_test_score"][index]),
            "split_test_scores": [float(results[f"split{fold}_test_score"][index]) for fold in range(spec.cv)],
            "effective": effective_fit_settings(spec, params),
        }
        for index, params in enumerate(candidates)
    ]


def _run_sklearn_search(spec: RandomSearchSpec | GridSearchSpec, split: Split, seed: int) -> SearchRecord:
    from penguins.models import summary_table

    x_train, x_test = split.x_train.astype("float32"), split.x_test.astype("float32")
    probe = _fit_probe()
    early_stop = _observed_early_stopping(spec.patience)
    searcher, fit_kwargs = _sklearn_searcher(spec, split, seed, probe, early_stop)
    searcher.fit(x_train, split.y_train, **fit_kwargs)

    results = searcher.cv_results_
    candidates = [plain_params(params) for params in results["params"]]
    rows = candidate_rows(spec, candidates, results)
    fits = _sklearn_fits(spec, split, probe.fits, len(candidates), int(searcher.best_index_))

    best = searcher.best_estimator_
    train_predictions = np.asarray(best.predict(x_train))
    test_predictions = np.asarray(best.predict(x_test))
    return search_record(
        spec,
        split,
        seed,
        param_names=sorted(spec.param_space()),
        rows=rows,
        fits=fits,
        best_params=plain_params(searcher.best_params_),
        best_score=float(searcher.best_score_),
        summary=summary_table(best.model_).to_dict(orient="records"),
        train_predictions=train_predictions,
        test_predictions=test_predictions,
        early_stopping_fits=early_stop.fits_seen,
    )


def _sklearn_searcher(
    spec: RandomSearchSpec | GridSearchSpec, split: Split, seed: int, probe: Any, early_stop: Any
) -> tuple[Any, dict[str, Any]]:
    """The post's ``RandomizedSearchCV`` or ``GridSearchCV`` and the keywords of its ``fit``."""
    from scikeras.wrappers import KerasClassifier
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV

    from penguins.models import get_model

    estimator_params: dict[str, Any] = dict(
        model=get_model,
        model__nodes=spec.nodes,
        model__lr=spec.lr,
        model__kernel_l1=spec.kernel_l1,
        model__kernel_l2=spec.kernel_l2,
        model__activity_l1=spec.activity_l1,
        model__activity_l2=spec.activity_l2,
        model__dropout=spec.dropout,
        model__n_features=split.n_features,
        verbose=0,
    )
    x_test = split.x_test.astype("float32")
    fit_kwargs: dict[str, Any] = dict(validation_data=(x_test, split.y_test), verbose=0)
    if spec.wiring == "post":
        # The post's call. The probe goes in the estimator's callbacks, the only ones scikeras uses.
        estimator_params["callbacks"] = [probe]
        fit_kwargs.update(epochs=spec.fit_epochs, batch_size=spec.fit_batch_size, callbacks=[early_stop])
    else:
        estimator_params["callbacks"] = [early_stop, probe]
    estimator = KerasClassifier(**estimator_params)
    common: dict[str, Any] = dict(scoring=spec.scoring, cv=spec.cv, verbose=0, error_score="raise")
    if isinstance(spec, RandomSearchSpec):
        space, state = spec.param_space(), spec.sampler_state(seed)
        searcher = RandomizedSearchCV(
            estimator, param_distributions=space, n_iter=spec.n_iter, random_state=state, **common
        )
    else:
        searcher = GridSearchCV(estimator, param_grid=spec.param_space(), **common)
    return searcher, fit_kwargs


def _sklearn_fits(
    spec: RandomSearchSpec | GridSearchSpec,
    split: Split,
    observed_fits: list[dict[str, Any]],
    n_candidates: int,
    best: int,
) -> list[dict[str, Any]]:
    """The probe's fits tagged with their candidate and fold, and the batch sizes they can have had."""
    from sklearn.model_selection import check_cv

    # scikit-learn fits candidate by candidate, fold by fold (sequentially: n_jobs=None), then refits.
    x_train = split.x_train.astype("float32")
    folds = [train for train, _ in check_cv(spec.cv, split.y_train, classifier=True).split(x_train, split.y_train)]
    expected = n_candidates * spec.cv + 1
    if len(observed_fits) != expected:
        raise RuntimeError(f"expected {expected} Keras fits, observed {len(observed_fits)}")
    fits = []
    tag: dict[str, Any]
    for index, observed in enumerate(observed_fits):
        if index < expected - 1:
            tag = {"candidate": index // spec.cv, "fold": index % spec.cv}
            n_samples = len(folds[index % spec.cv])
        else:
            tag = {"candidate": best, "fold": "refit"}
            n_samples = len(x_train)
        low, high = batch_sizes_for(n_samples, observed["steps"])
        fits.append({**tag, **observed, "n_samples": n_samples, "batch_size_min": low, "batch_size_max": high})
    return fits


def hyperband_network(spec: HyperbandSpec, hp) -> NetworkSpec:
    """The network of the post's ``kt_model`` for Keras Tuner's hyperparameters ``hp``.

    It declares ``units`` and ``rate`` in ``hp`` as the post does, so Keras Tuner's oracle draws
    the same trials whether the network is built by Keras or trained by the engine.
    """
    low, high, step = spec.units
    units = hp.Int("units", min_value=low, max_value=high, step=step)
    rate = hp.Choice("rate", values=list(spec.dropout_choices))
    return NetworkSpec(
        hidden=(units, units),
        kernel_l1=spec.kernel_l1,
        kernel_l2=spec.kernel_l2,
        activity_l1=spec.activity_l1,
        activity_l2=spec.activity_l2,
        dropout=rate,
        learning_rate=spec.initial_learning_rate,
        schedule="cosine_restarts",
        first_decay_steps=spec.first_decay_steps,
    )


def hyperband_rows(spec: HyperbandSpec, trials: list) -> list[dict[str, Any]]:
    """``SearchRecord.rows`` of a Hyperband search: one per Keras Tuner trial, in trial order.

    Read from Keras Tuner's trials, whoever trained them (Keras here, the engine in
    :mod:`penguins.search.engine`), so both searches' rows say the same things the same way.
    """
    rows = []
    for trial in trials:
        values = plain_params(trial.hyperparameters.values)
        rows.append(
            {
                "trial_id": trial.trial_id,
                "units": values["units"],
                "rate": values["rate"],
                "epochs": values["tuner/epochs"],
                "initial_epoch": values["tuner/initial_epoch"],
                "bracket": values["tuner/bracket"],
                "round": values["tuner/round"],
                "from_trial": values.get("tuner/trial_id"),
                "score": float(trial.score),
                "status": trial.status,
                "effective": effective_fit_settings(spec, values),
            }
        )
    return rows


def _run_hyperband(spec: HyperbandSpec, split: Split, seed: int, workdir: Path) -> SearchRecord:
    import keras_tuner as kt

    from penguins.models import build_network, summary_table

    x_train, x_test = split.x_train.astype("float32"), split.x_test.astype("float32")

    def kt_model(hp):
        """The post's kt_model, built by penguins.models.build_network."""
        return build_network(hyperband_network(spec, hp), split.n_features)

    tuner = kt.Hyperband(
        kt_model,
        objective=spec.objective,
        max_epochs=spec.max_epochs,
        factor=spec.factor,
        seed=seed,
        directory=str(workdir),
        project_name=HYPERBAND_PROJECT,
        overwrite=True,
    )
    probe = _fit_probe()
    with warnings.catch_warnings():
        # A trial that continues another (and get_best_models) loads weights into a model whose
        # optimizer is not built yet; Keras says it skips the optimizer's variables. So it does:
        # the continued trial starts a fresh Adam and a fresh cosine schedule.
        warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
        tuner.search(
            x_train,
            split.y_train,
            validation_data=(x_test, split.y_test),
            epochs=spec.search_epochs,
            batch_size=spec.batch_size,
            callbacks=[probe],
            verbose=0,
        )
        best_model = tuner.get_best_models(1)[0]

    trials = sorted(tuner.oracle.trials.values(), key=lambda trial: trial.trial_id)
    if len(trials) != len(probe.fits) or any(trial.status != "COMPLETED" for trial in trials):
        statuses = [trial.status for trial in trials]
        raise RuntimeError(f"{len(probe.fits)} Keras fits for {len(trials)} trials with statuses {statuses}")
    fits = []
    for trial, observed in zip(trials, probe.fits, strict=True):
        n_samples = len(x_train)
        low_size, high_size = batch_sizes_for(n_samples, observed["steps"])
        fits.append(
            {
                "trial_id": trial.trial_id,
                **observed,
                "n_samples": n_samples,
                "batch_size_min": low_size,
                "batch_size_max": high_size,
            }
        )

    return hyperband_record(
        spec,
        split,
        seed,
        trials,
        tuner.oracle.get_best_trials(1)[0],
        fits=fits,
        summary=summary_table(best_model).to_dict(orient="records"),
        train_predictions=best_model.predict(x_train, verbose=0).argmax(axis=1),
        test_predictions=best_model.predict(x_test, verbose=0).argmax(axis=1),
    )


def hyperband_record(
    spec: HyperbandSpec, split: Split, seed: int, trials: list, best_trial: Any, **parts: Any
) -> SearchRecord:
    """The record of a finished Hyperband search, from Keras Tuner's trials and its best trial.

    One builder for the Keras and the engine Hyperband searches, so both read Keras Tuner's trials
    the same way.

    Parameters
    ----------
    spec, split, seed
        The search, its data and its seed.
    trials : list
        Keras Tuner's trials, in trial order.
    best_trial
        The oracle's best trial.
    **parts
        The fits, the best model's summary and predictions (and the engine), as
        :func:`penguins.search.record.search_record` takes them.
    """
    best_values = plain_params(best_trial.hyperparameters.values)
    return search_record(
        spec,
        split,
        seed,
        param_names=["rate", "units"],
        rows=hyperband_rows(spec, trials),
        best_params={"trial_id": best_trial.trial_id, "units": best_values["units"], "rate": best_values["rate"]},
        best_score=float(best_trial.score),
        early_stopping_fits=None,
        **parts,
    )


