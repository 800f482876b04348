"""Random and grid search with every fit on the sweep engine (penguins.engine_search).

Same protocol as the scikeras search: the candidates, the folds, the settings each fit trains with
(compared with what Keras' fits ran with, as the search's probe measured them), the scores and
the refit. Each fit is a Keras fit with its own seed (checked against Keras on a fold). The
Keras search draws its fits' randomness from the process's global state instead, so the two are
the same experiment with other draws: compared over seeds.
"""

import numpy as np
import pytest

from penguins import engine  # first: the package sets TensorFlow's environment before Keras loads it

import keras  # noqa: E402
from penguins.engine_search import candidate_network, fit_seed, search_on_engine
from penguins.models import build_network
from penguins.preprocessing import preprocess
from penguins.runtime import seed_everything
from penguins.search import effective_fit_settings, preset, run_search, search
from penguins.store import ResultStore


@pytest.fixture(scope="module")
def random_pair(tmp_path_factory):
    """The smoke random search of seed 0 on Keras (scikeras) and on the engine."""
    spec = preset("random", "smoke")
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
    assert [{k: fit[k] for k in compared} for fit in on_engine.fits[:-1]] == [{k: fit[k] for k in compared} for fit in on_keras.fits[:-1]]
    for mine, theirs in zip(on_engine.fits, on_keras.fits):
        assert mine["learning_rate"] == pytest.approx(theirs["learning_rate"], rel=1e-6)
    assert on_engine.fits[-1]["fold"] == "refit" and on_engine.fits[-1]["n_samples"] == on_keras.fits[-1]["n_samples"]
    assert on_engine.fits[-1]["candidate"] == on_engine.rows[np.argmin([row["rank_test_score"] for row in on_engine.rows])]["candidate"]
    unnamed = [[{k: v for k, v in row.items() if k != "layer"} for row in record.summary] for record in (on_engine, on_keras)]
    assert unnamed[0] == unnamed[1]  # Keras numbers its layers across the search's models
    assert on_engine.early_stopping_fits == on_keras.early_stopping_fits == 0


def test_a_fit_is_the_keras_fit_with_its_seed(random_pair):
    """Candidate 1 on fold 0: Keras trained from seed_everything(fit_seed) and
    build_network(seed=fit_seed) on the fold's rows gives the engine's held-out score."""
    from sklearn.model_selection import check_cv

    spec, (_, on_engine) = preset("random", "smoke"), random_pair
    candidate, fold = 1, 0
    split = preprocess("post", 0)
    train_rows, held_out = list(check_cv(spec.cv, split.y_train, classifier=True).split(split.x_train, split.y_train))[fold]
    network = candidate_network(spec, effective_fit_settings(spec, on_engine.rows[candidate]["params"]))
    seed = fit_seed(0, candidate, fold)
    keras.backend.clear_session()
    seed_everything(seed)
    model = build_network(network, split.n_features, seed=seed)
    x = split.x_train.astype("float32")
    model.fit(x[train_rows], split.y_train[train_rows], epochs=network.epochs, batch_size=network.batch_size, validation_data=(split.x_test.astype("float32"), split.y_test), verbose=0)
    probabilities = model.predict(x[held_out], verbose=0)
    (trained,) = engine.fit_batch([network], [seed], "post", [engine.FoldRows(0, tuple(train_rows))])
    np.testing.assert_allclose(trained.fitted.train_probabilities[held_out], probabilities, rtol=0, atol=1e-6)
    keras_score = float(np.mean(probabilities.argmax(axis=1) == split.y_train[held_out]))
    assert on_engine.rows[candidate]["split_test_scores"][fold] == keras_score


def test_engine_and_keras_searches_agree_over_seeds(tmp_path):
    """Held-out scores of every fit, seeds 0-5: neither test tells the two searches apart."""
    from scipy import stats

    spec, seeds = preset("random", "smoke"), range(6)
    on_keras = [search(spec, seed, "post", tmp_path / str(seed)) for seed in seeds]
    on_engine = [search_on_engine(spec, seed) for seed in seeds]

    def scores(records):
        return np.array([score for record in records for row in record.rows for score in row["split_test_scores"]])

    assert stats.ks_2samp(scores(on_engine), scores(on_keras)).pvalue > 0.01
    assert stats.ttest_ind(scores(on_engine), scores(on_keras), equal_var=False).pvalue > 0.01
    assert not np.array_equal(scores(on_engine), scores(on_keras))  # other draws, not a copy


def test_the_store_keeps_engine_searches_apart(tmp_path):
    store, spec = ResultStore(tmp_path), preset("grid", "smoke")
    on_engine, cached = run_search(spec, 0, store=store, engine="jax")
    assert not cached and on_engine.engine == "jax"
    again, cached = run_search(spec, 0, store=store, engine="jax")
    assert cached and again == on_engine
    with pytest.raises(ValueError, match="unknown engine"):
        run_search(spec, 0, store=store, engine="torch")
    with pytest.raises(ValueError, match="Hyperband runs on keras"):
        run_search(preset("hyperband", "smoke"), 0, store=store, engine="jax")


def test_fold_rows_are_checked():
    with pytest.raises(ValueError, match="distinct"):
        engine.FoldRows(0, (1, 1))
    with pytest.raises(ValueError, match="index the 275 training rows"):
        engine.fit_batch([candidate_network(preset("grid", "smoke"), effective_fit_settings(preset("grid", "smoke"), {}))], [0], "post", [engine.FoldRows(0, (0, 275))])
