"""The post's searches with every fit on the sweep engine (penguins.search.engine).

Random and grid search: the scikeras search's protocol: the candidates, the folds, the settings
each fit trains with (compared with what Keras' fits ran with, as the search's probe measured
them), the scores and the refit. Each fit is a Keras fit with its own seed (checked against Keras
on a fold). The Keras search draws its fits' randomness from the process's global state instead,
so the two are the same experiment with other draws: compared over seeds.

Hyperband: Keras Tuner's own tuner and oracle, each trial trained by the engine. Compared with
the Keras Tuner search (same draws of the oracle, same trial plan, what each Keras fit ran with),
and, trial by trial, with Keras Tuner training Keras models seeded as the engine's trials are.
"""

from dataclasses import replace

import keras  # noqa: E402
import numpy as np
import pytest

from penguins import engine  # first: the package sets TensorFlow's environment before Keras loads it
from penguins.models import build_network
from penguins.preprocessing import preprocess
from penguins.runtime import seed_everything
from penguins.search import effective_fit_settings, hyperband_network, run_search, search, search_spec
from penguins.search.engine import candidate_network, fit_seed, oracle_seed, search_on_engine
from penguins.store import ResultStore


@pytest.fixture(scope="module")
def random_pair(tmp_path_factory):
    """The smoke random search of seed 0 on Keras (scikeras) and on the engine."""
    spec = search_spec("random", "smoke")
    workdir = tmp_path_factory.mktemp("keras-search")
    return search(spec, 0, "post", workdir), search_on_engine(spec, 0)


def test_the_protocol_is_the_keras_searchs(random_pair):
    on_keras, on_engine = random_pair
    assert (on_engine.engine, on_keras.engine) == ("jax", "keras")
    assert on_engine.param_names == on_keras.param_names
    assert [row["params"] for row in on_engine.rows] == [row["params"] for row in on_keras.rows]
    assert [row["effective"] for row in on_engine.rows] == [row["effective"] for row in on_keras.rows]
    # every fit trains with what Keras' fit ran with (the Keras search's probe measured it)
    compared = ("candidate", "fold", "epochs", "steps", "initial_epoch", "epochs_run", "n_samples", "units", "dropout")
    assert [{k: fit[k] for k in compared} for fit in on_engine.fits[:-1]] == [
        {k: fit[k] for k in compared} for fit in on_keras.fits[:-1]
    ]
    for mine, theirs in zip(on_engine.fits, on_keras.fits, strict=True):
        assert mine["learning_rate"] == pytest.approx(theirs["learning_rate"], rel=1e-6)
    assert on_engine.fits[-1]["fold"] == "refit" and on_engine.fits[-1]["n_samples"] == on_keras.fits[-1]["n_samples"]
    assert (
        on_engine.fits[-1]["candidate"]
        == on_engine.rows[np.argmin([row["rank_test_score"] for row in on_engine.rows])]["candidate"]
    )
    unnamed = [
        [{k: v for k, v in row.items() if k != "layer"} for row in record.summary] for record in (on_engine, on_keras)
    ]
    assert unnamed[0] == unnamed[1]  # Keras numbers its layers across the search's models
    assert on_engine.early_stopping_fits == on_keras.early_stopping_fits == 0


def test_a_fit_is_the_keras_fit_with_its_seed(random_pair):
    """Candidate 1 on fold 0: Keras trained from seed_everything(fit_seed) and
    build_network(seed=fit_seed) on the fold's rows gives the engine's held-out score."""
    from sklearn.model_selection import check_cv

    spec, (_, on_engine) = search_spec("random", "smoke"), random_pair
    candidate, fold = 1, 0
    split = preprocess("post", 0)
    train_rows, held_out = list(check_cv(spec.cv, split.y_train, classifier=True).split(split.x_train, split.y_train))[
        fold
    ]
    network = candidate_network(spec, effective_fit_settings(spec, on_engine.rows[candidate]["params"]))
    seed = fit_seed(0, candidate, fold)
    keras.backend.clear_session()
    seed_everything(seed)
    model = build_network(network, split.n_features, seed=seed)
    x = split.x_train.astype("float32")
    model.fit(
        x[train_rows],
        split.y_train[train_rows],
        epochs=network.epochs,
        batch_size=network.batch_size,
        validation_data=(split.x_test.astype("float32"), split.y_test),
        verbose=0,
    )
    probabilities = model.predict(x[held_out], verbose=0)
    (trained,) = engine.fit_batch([network], [seed], "post", [engine.FoldRows(0, tuple(train_rows))])
    np.testing.assert_allclose(trained.fitted.train_probabilities[held_out], probabilities, rtol=0, atol=1e-6)
    keras_score = float(np.mean(probabilities.argmax(axis=1) == split.y_train[held_out]))
    assert on_engine.rows[candidate]["split_test_scores"][fold] == keras_score


def test_engine_and_keras_searches_agree_over_seeds(tmp_path):
    """Held-out scores of every fit, seeds 0-5: neither test tells the two searches apart."""
    from scipy import stats

    spec, seeds = search_spec("random", "smoke"), range(6)
    on_keras = [search(spec, seed, "post", tmp_path / str(seed)) for seed in seeds]
    on_engine = [search_on_engine(spec, seed) for seed in seeds]

    def scores(records):
        return np.array([score for record in records for row in record.rows for score in row["split_test_scores"]])

    assert stats.ks_2samp(scores(on_engine), scores(on_keras)).pvalue > 0.01
    assert stats.ttest_ind(scores(on_engine), scores(on_keras), equal_var=False).pvalue > 0.01
    assert not np.array_equal(scores(on_engine), scores(on_keras))  # other draws, not a copy


def test_the_store_keeps_engine_searches_apart(tmp_path):
    store, spec = ResultStore(tmp_path), search_spec("grid", "smoke")
    on_engine, cached = run_search(spec, 0, store=store, engine="jax")
    assert not cached and on_engine.engine == "jax"
    again, cached = run_search(spec, 0, store=store, engine="jax")
    assert cached and again == on_engine
    with pytest.raises(ValueError, match="unknown engine"):
        run_search(spec, 0, store=store, engine="torch")
    on_keras, cached = run_search(spec, 0, store=store, engine="keras")
    assert not cached and on_keras.engine == "keras"
    default, cached = run_search(spec, 0, store=store)
    assert cached and default == on_engine  # the engine is the default


def test_fold_rows_are_checked():
    with pytest.raises(ValueError, match="distinct"):
        engine.FoldRows(0, (1, 1))
    with pytest.raises(ValueError, match="index the 275 training rows"):
        engine.fit_batch(
            [candidate_network(search_spec("grid", "smoke"), effective_fit_settings(search_spec("grid", "smoke"), {}))],
            [0],
            "post",
            [engine.FoldRows(0, (0, 275))],
        )


@pytest.fixture(scope="module")
def hyperband_pair(tmp_path_factory):
    """The smoke Hyperband of seed 0 with Keras Tuner training Keras models, and on the engine."""
    spec = search_spec("hyperband", "smoke")
    return search(spec, 0, "post", tmp_path_factory.mktemp("keras-hyperband")), search_on_engine(spec, 0)


def test_hyperband_on_the_engine_runs_keras_tuners_search(hyperband_pair):
    on_keras, on_engine = hyperband_pair
    assert (on_engine.engine, on_keras.engine) == ("jax", "keras")
    plan = ("trial_id", "epochs", "initial_epoch", "bracket", "round")
    assert [{k: row[k] for k in plan} for row in on_engine.rows] == [{k: row[k] for k in plan} for row in on_keras.rows]
    assert [row["from_trial"] is None for row in on_engine.rows] == [row["from_trial"] is None for row in on_keras.rows]
    # the oracle's own draws: every first-round trial has the Keras search's values
    first_round = [i for i, row in enumerate(on_keras.rows) if row["round"] == 0]
    assert len(first_round) >= 4
    for i in first_round:
        assert (on_engine.rows[i]["units"], on_engine.rows[i]["rate"]) == (
            on_keras.rows[i]["units"],
            on_keras.rows[i]["rate"],
        )
    # a promoted trial continues the best trial of its bracket's previous round, on the engine's scores
    rows = {row["trial_id"]: row for row in on_engine.rows}
    for row in on_engine.rows:
        if row["from_trial"] is not None:
            parent = rows[row["from_trial"]]
            rivals = [
                r["score"] for r in on_engine.rows if (r["bracket"], r["round"]) == (row["bracket"], row["round"] - 1)
            ]
            assert parent["score"] == max(rivals) and (row["units"], row["rate"]) == (parent["units"], parent["rate"])
    # every trial trains with what the Keras Tuner trial's fit ran with (its probe measured it)
    compared = (
        "trial_id",
        "epochs",
        "initial_epoch",
        "steps",
        "epochs_run",
        "n_samples",
        "batch_size_min",
        "batch_size_max",
    )
    assert [{k: fit[k] for k in compared} for fit in on_engine.fits] == [
        {k: fit[k] for k in compared} for fit in on_keras.fits
    ]
    for i in first_round:
        assert (on_engine.fits[i]["units"], on_engine.fits[i]["dropout"]) == (
            on_keras.fits[i]["units"],
            on_keras.fits[i]["dropout"],
        )
        schedule = on_keras.fits[i]["learning_rate"]
        assert {k: schedule[k] for k in on_engine.fits[i]["learning_rate"]} == on_engine.fits[i]["learning_rate"]
    best = max(on_engine.rows, key=lambda row: row["score"])
    assert on_engine.best_params["trial_id"] == best["trial_id"] and on_engine.best_score == best["score"]
    assert on_engine.early_stopping_fits is None


def test_engine_hyperband_trials_are_keras_tuner_trials_with_their_seeds(tmp_path):
    """Keras Tuner's Hyperband training Keras models, each trial's after seed_everything(its fit
    seed) and built with that seed, gives every trial the engine's score, and the same best
    model. A continuing trial loads its parent's best-epoch checkpoint, so this also checks that
    the engine starts it from the right weights. At a low learning rate, where one ulp does not
    change a run (at the post's 0.2 some do, see tests/test_engine.py); restarts every 10 steps."""
    import keras_tuner as kt

    spec = replace(search_spec("hyperband", "smoke"), initial_learning_rate=0.003, first_decay_steps=10)
    split = preprocess("post", 0)
    trial_seed = {}

    def kt_model(hp):
        return build_network(hyperband_network(spec, hp), split.n_features, seed=trial_seed.get("seed", 0))

    class SeededHyperband(kt.Hyperband):
        def run_trial(self, trial, *args, **kwargs):
            trial_seed["seed"] = fit_seed(0, int(trial.trial_id), 0)
            seed_everything(trial_seed["seed"])
            return super().run_trial(trial, *args, **kwargs)

    keras.backend.clear_session()
    tuner = SeededHyperband(
        kt_model,
        objective="val_accuracy",
        max_epochs=spec.max_epochs,
        factor=spec.factor,
        seed=oracle_seed(0),
        directory=str(tmp_path),
        project_name="seeded",
        overwrite=True,
    )
    x_train, x_test = split.x_train.astype("float32"), split.x_test.astype("float32")
    tuner.search(x_train, split.y_train, validation_data=(x_test, split.y_test), epochs=spec.search_epochs, verbose=0)
    on_engine = search_on_engine(spec, 0)

    trials = sorted(tuner.oracle.trials.values(), key=lambda trial: trial.trial_id)
    keras_rows = [
        (
            t.trial_id,
            t.hyperparameters.get("units"),
            t.hyperparameters.get("rate"),
            t.hyperparameters.values.get("tuner/trial_id"),
            t.score,
        )
        for t in trials
    ]
    engine_rows = [(r["trial_id"], r["units"], r["rate"], r["from_trial"], r["score"]) for r in on_engine.rows]
    assert engine_rows == keras_rows
    assert any(row[3] is not None for row in keras_rows)  # a continuing trial was compared
    best_model = tuner.get_best_models(1)[0]
    test_predictions = best_model.predict(x_test, verbose=0).argmax(axis=1)
    assert on_engine.test_accuracy == np.mean(test_predictions == split.y_test)
    assert on_engine.train_accuracy == np.mean(best_model.predict(x_train, verbose=0).argmax(axis=1) == split.y_train)
