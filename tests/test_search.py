"""The post's three searches (penguins.search), on the smoke presets, in temporary stores.

Every search here really trains Keras models through scikeras / Keras Tuner; nothing is mocked.
What a candidate "really" trained with is measured by a callback on the Keras model
(``SearchRecord.fits``): the optimizer's learning rate after compile, the epochs Keras ran and the
steps per epoch (hence the batch size).
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from penguins.presets import PRESETS, search_size
from penguins.search import (
    METHODS,
    SPECS_BY_PRESET,
    GridSearchSpec,
    HyperbandSpec,
    RandomSearchSpec,
    SearchRecord,
    batch_size_matches,
    batch_sizes_for,
    effective_fit_settings,
    run_search,
    search,
    search_spec,
    search_spec_from_dict,
)
from penguins.store import PACKAGE, ResultStore, is_presentation

N_TRAIN, N_TEST = 275, 69
FLOAT32 = 1e-6  # Keras keeps the learning rate as float32


# ------------------------------------------------------------------------------------------
# Fixtures: each search once per module, in its own temporary store
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("search-stores")


def _run(stores: Path, name: str, spec, seed: int = 0):
    store = ResultStore(stores / name)
    record, cached = run_search(spec, seed=seed, store=store, engine="keras")  # the probe measures Keras
    return record, cached, store


@pytest.fixture(scope="module")
def random_post(stores):
    return _run(stores, "random-post", search_spec("random", "smoke"))


@pytest.fixture(scope="module")
def grid_post(stores):
    return _run(stores, "grid-post", search_spec("grid", "smoke"))


@pytest.fixture(scope="module")
def random_estimator(stores):
    return _run(stores, "random-estimator", replace(search_spec("random", "smoke"), wiring="estimator"))


@pytest.fixture(scope="module")
def hyperband(stores, tmp_path_factory):
    """The smoke Hyperband, run from an empty current folder that must stay empty."""
    cwd = tmp_path_factory.mktemp("cwd")
    before = os.getcwd()
    os.chdir(cwd)
    try:
        record, cached, store = _run(stores, "hyperband", search_spec("hyperband", "smoke"))
    finally:
        os.chdir(before)
    return record, cached, store, cwd


# ------------------------------------------------------------------------------------------
# Specs
# ------------------------------------------------------------------------------------------


def test_full_presets_are_the_posts_searches():
    random, grid, band = (SPECS_BY_PRESET["full"][method] for method in ("random", "grid", "hyperband"))
    space = random.param_space()
    assert sorted(space) == ["batch_size", "epochs", "optimizer__learning_rate"]
    assert space["optimizer__learning_rate"].kwds == {"loc": 0.001, "scale": 0.01}
    assert space["batch_size"] == range(2, 16) and space["epochs"] == range(6, 15)
    assert (random.n_iter, random.cv, random.scoring) == (10, 3, "accuracy")
    assert grid.param_space() == {
        "optimizer__learning_rate": [0.001, 0.005],
        "batch_size": [10, 16],
        "epochs": [10, 12],
    }
    assert (grid.cv, grid.scoring) == (3, "accuracy")
    for spec in (random, grid):  # KerasClassifier(get_model) with the tuning defaults, and the fit call
        assert (spec.nodes, spec.lr, spec.dropout) == (100, 0.001, 0.5)
        assert (spec.kernel_l1, spec.kernel_l2, spec.activity_l1, spec.activity_l2) == (0.01,) * 4
        assert (spec.fit_epochs, spec.fit_batch_size, spec.patience, spec.wiring) == (10, 4, 3, "post")
    assert band.units == (16, 256, 16) and band.dropout_choices == (0.2, 0.4, 0.6)
    assert (band.initial_learning_rate, band.first_decay_steps) == (0.2, 1000)
    assert (band.max_epochs, band.factor, band.objective, band.search_epochs) == (10, 3, "val_accuracy", 10)
    assert band.batch_size is None


def test_smoke_presets_search_other_epochs_and_batch_sizes_than_fit_gets():
    # Otherwise a smoke record could not tell which of the two Keras used.
    random, grid = search_spec("random", "smoke"), search_spec("grid", "smoke")
    assert random.fit_epochs not in range(*random.epochs_range)
    assert random.fit_batch_size not in range(*random.batch_size_range)
    assert random.lr <= random.learning_rate_uniform[0]  # get_model's lr is the bottom of the range
    assert grid.fit_epochs not in grid.epochs and grid.fit_batch_size not in grid.batch_sizes
    assert grid.lr not in grid.learning_rates
    assert search_spec("hyperband", "smoke").search_epochs > search_spec("hyperband", "smoke").max_epochs


def test_specs_round_trip_through_json_and_reject_bad_values():
    for preset in SPECS_BY_PRESET:
        for spec in SPECS_BY_PRESET[preset].values():
            data = json.loads(json.dumps(spec.to_dict()))
            assert data["kind"] == "search" and data["method"] == spec.method
            assert search_spec_from_dict(data) == spec
    with pytest.raises(ValueError, match="cv"):
        RandomSearchSpec(cv=1)
    with pytest.raises(ValueError, match="wiring"):
        GridSearchSpec(wiring="sideways")
    with pytest.raises(ValueError, match="units"):
        HyperbandSpec(units=(32, 16, 16))
    with pytest.raises(ValueError, match="unknown"):
        search_spec("bayesian")
    with pytest.raises(ValueError, match="seed"):
        run_search(search_spec("random", "smoke"), seed=-1)


def test_every_preset_has_its_three_searches_at_its_size():
    assert tuple(SPECS_BY_PRESET) == PRESETS
    for preset in PRESETS:
        assert tuple(SPECS_BY_PRESET[preset]) == METHODS
        assert SPECS_BY_PRESET[preset] == SPECS_BY_PRESET[search_size(preset)]  # quick runs the smoke searches
        assert all(search_spec(method, preset) is SPECS_BY_PRESET[preset][method] for method in METHODS)
    assert search_spec("random") == search_spec("random", "full") == RandomSearchSpec()
    with pytest.raises(ValueError, match=r"unknown preset 'tiny'; choose one of \('full', 'quick', 'smoke'\)"):
        search_spec("random", "tiny")


def test_the_search_modules_are_computing_code_in_the_fingerprint():
    # Editing a search module changes what a stored search computes: it must change the store's keys.
    modules = sorted(path.name for path in (PACKAGE / "search").glob("*.py"))
    assert {"specs.py", "settings.py", "record.py", "keras.py", "engine.py", "run.py"} <= set(modules)
    assert not any(is_presentation(f"search/{name}") for name in modules)


def test_batch_sizes_from_steps_per_epoch():
    assert batch_sizes_for(183, 46) == (4, 4)  # a cv=3 training fold of the post, batch 4
    assert batch_sizes_for(N_TRAIN, 9) == (31, 34)  # Keras' default 32 on the whole training set
    assert batch_sizes_for(10, 1) == (10, None)
    assert batch_size_matches(32, 137, 5) and not batch_size_matches(12, 137, 5)


# ------------------------------------------------------------------------------------------
# Well-formed records
# ------------------------------------------------------------------------------------------


def _check_common(record: SearchRecord, spec) -> None:
    assert record.spec == spec.to_dict() and record.method == spec.method
    assert (record.seed, record.variant) == (0, "post")
    assert SearchRecord.from_dict(json.loads(json.dumps(record.to_dict()))) == record
    assert 0.0 <= record.best_score <= 1.0
    assert 0.0 <= record.train_accuracy <= 1.0 and 0.0 <= record.test_accuracy <= 1.0
    matrix = record.confusion_matrix
    assert len(matrix) == 3 and all(len(row) == 3 for row in matrix)
    assert sum(map(sum, matrix)) == N_TEST
    assert sum(matrix[i][i] for i in range(3)) / N_TEST == pytest.approx(record.test_accuracy)
    assert [row["type"] for row in record.summary] == ["Dense", "Dense", "Dropout", "Dense"]
    assert record.wall_time_s > 0
    assert {"tensorflow", "keras", "scikit-learn", "scikeras", "keras-tuner"} <= set(record.versions)


def _check_cv_record(record: SearchRecord, spec, n_candidates: int) -> None:
    _check_common(record, spec)
    assert record.param_names == ["batch_size", "epochs", spec.learning_rate_param]
    assert len(record.rows) == n_candidates
    assert sorted(row["rank_test_score"] for row in record.rows)[0] == 1
    for row in record.rows:
        assert set(row["params"]) == set(record.param_names)
        assert len(row["split_test_scores"]) == spec.cv
        assert row["mean_test_score"] == pytest.approx(sum(row["split_test_scores"]) / spec.cv)
        assert row["std_test_score"] >= 0
    best = min(record.rows, key=lambda row: (row["rank_test_score"], row["candidate"]))
    assert record.best_params == best["params"] and record.best_score == pytest.approx(best["mean_test_score"])
    assert len(record.fits) == n_candidates * spec.cv + 1 and record.fits[-1]["fold"] == "refit"
    assert record.fits[-1]["n_samples"] == N_TRAIN
    nodes = spec.nodes
    assert [row["params"] for row in record.summary] == [6 * nodes + nodes, nodes * nodes + nodes, 0, 3 * nodes + 3]


def test_random_search_record(random_post):
    record, cached, _ = random_post
    spec = search_spec("random", "smoke")
    assert not cached
    _check_cv_record(record, spec, spec.n_iter)
    for row in record.rows:
        params = row["params"]
        assert params["batch_size"] in range(*spec.batch_size_range)
        assert params["epochs"] in range(*spec.epochs_range)
        loc, scale = spec.learning_rate_uniform
        assert loc <= params["optimizer__learning_rate"] <= loc + scale
    assert record.table().iloc[0]["rank_test_score"] == 1


def test_grid_search_record(grid_post):
    record, cached, _ = grid_post
    spec = search_spec("grid", "smoke")
    assert not cached
    _check_cv_record(record, spec, len(spec.learning_rates) * len(spec.batch_sizes) * len(spec.epochs))
    searched = {
        (row["params"]["optimizer__learning_rate"], row["params"]["batch_size"], row["params"]["epochs"])
        for row in record.rows
    }
    assert searched == {(lr, b, e) for lr in spec.learning_rates for b in spec.batch_sizes for e in spec.epochs}


def test_hyperband_record(hyperband):
    record, cached, _, _ = hyperband
    spec = search_spec("hyperband", "smoke")
    assert not cached
    _check_common(record, spec)
    # max_epochs 3, factor 3: bracket 1 runs 3 trials for 1 epoch and continues the best to 3;
    # bracket 0 runs 2 trials for 3 epochs.
    assert [(row["bracket"], row["round"], row["epochs"], row["initial_epoch"]) for row in record.rows] == [
        (1, 0, 1, 0),
        (1, 0, 1, 0),
        (1, 0, 1, 0),
        (1, 1, 3, 1),
        (0, 0, 3, 0),
        (0, 0, 3, 0),
    ]
    continued = record.rows[3]
    parent = next(row for row in record.rows if row["trial_id"] == continued["from_trial"])
    assert (continued["units"], continued["rate"]) == (parent["units"], parent["rate"])
    assert parent["score"] == max(row["score"] for row in record.rows[:3])  # successive halving kept the best
    low, high, step = spec.units
    for row in record.rows:
        assert row["status"] == "COMPLETED" and 0.0 <= row["score"] <= 1.0
        assert row["units"] in range(low, high + 1, step) and row["rate"] in spec.dropout_choices
    best = max(record.rows, key=lambda row: row["score"])
    assert record.best_score == pytest.approx(best["score"])
    assert record.best_params["units"] == best["units"] and record.best_params["rate"] == best["rate"]
    units = record.best_params["units"]
    assert [row["output_shape"] for row in record.summary][:2] == [f"(None, {units})"] * 2
    assert record.early_stopping_fits is None


# ------------------------------------------------------------------------------------------
# Determinism and the store
# ------------------------------------------------------------------------------------------


def _numbers(record: SearchRecord) -> dict:
    data = record.to_dict()
    data.pop("wall_time_s")
    return data


def test_same_seed_same_random_search_and_second_call_is_cached(random_post, stores):
    record, _, store = random_post
    again, cached = run_search(search_spec("random", "smoke"), seed=0, store=store, engine="keras")
    assert cached and again == record
    fresh, cached = run_search(
        search_spec("random", "smoke"), seed=0, store=ResultStore(stores / "random-post-again"), engine="keras"
    )
    assert not cached
    assert _numbers(fresh) == _numbers(record)  # every score, parameter, prediction and layer name


def test_same_seed_same_hyperband_and_overwrite_gives_a_clean_rerun(hyperband):
    record, _, store, _ = hyperband
    spec = search_spec("hyperband", "smoke")
    again, cached = run_search(spec, seed=0, store=store, engine="keras")
    assert cached and again == record
    # Rerun in the very same Keras Tuner folder: with overwrite=True the tuner starts over
    # (without it, it would reload the finished oracle and train nothing).
    payload = {"task": "search", "spec": spec.to_dict(), "seed": 0, "variant": "post"}
    rerun = search(spec, seed=0, variant="post", workdir=store.workdir(store.key(payload)))
    assert _numbers(rerun) == _numbers(record)


def test_hyperband_works_in_the_store_not_in_the_current_folder(hyperband):
    record, _, store, cwd = hyperband
    assert list(cwd.iterdir()) == []
    payload = {"task": "search", "spec": search_spec("hyperband", "smoke").to_dict(), "seed": 0, "variant": "post"}
    project = store.workdir(store.key(payload)) / "hyperband"
    assert (project / "oracle.json").is_file()
    assert sorted(path.name for path in project.glob("trial_*")) == [f"trial_{row['trial_id']}" for row in record.rows]


# ------------------------------------------------------------------------------------------
# Does each searched parameter reach the model? Which wins in the post's call?
# ------------------------------------------------------------------------------------------


def _check_fits_follow_effective_settings(record: SearchRecord, spec) -> None:
    """Every measured Keras fit trained with what effective_fit_settings says."""
    rows = {row["candidate"]: row for row in record.rows}
    for fit in record.fits:
        effective = effective_fit_settings(spec, rows[fit["candidate"]]["params"])
        assert effective == rows[fit["candidate"]]["effective"]
        assert fit["learning_rate"] == pytest.approx(effective["learning_rate"], rel=FLOAT32)
        assert fit["epochs"] == effective["epochs"] and fit["initial_epoch"] == 0
        assert 1 <= fit["epochs_run"] <= effective["epochs"]
        if not effective["early_stopping"]:
            assert fit["epochs_run"] == effective["epochs"]
        assert batch_size_matches(effective["batch_size"], fit["n_samples"], fit["steps"])
        assert fit["units"] == [spec.nodes, spec.nodes, 3] and fit["dropout"] == [spec.dropout]


@pytest.mark.parametrize("which", ["random_post", "grid_post"])
def test_in_the_posts_call_fit_keywords_win_and_searched_values_never_reach_keras(which, request):
    """The post's ``search.fit(..., epochs=10, batch_size=4, callbacks=[early_stop])``.

    scikeras 0.13 (scikeras/wrappers.py): ``BaseWrapper.fit`` takes ``epochs`` from the fit
    keywords before the estimator's (its comment: "epochs via kwargs > fit__epochs > epochs");
    ``_fit_keras_model`` does ``fit_args.update(kwargs)``, so the fit keyword ``batch_size`` replaces
    the searched one, and drops every fit keyword starting with ``callbacks``; and a model that
    comes compiled (get_model compiles Adam(lr)) is never recompiled with
    ``optimizer__learning_rate``. So each candidate trains with lr 0.001, the fit epochs and batch
    size, and no early stopping, whatever the search reports.
    """
    record, _, _ = request.getfixturevalue(which)
    spec = search_spec(record.method, "smoke")
    _check_fits_follow_effective_settings(record, spec)
    rows = {row["candidate"]: row for row in record.rows}
    for fit in record.fits:
        searched = rows[fit["candidate"]]["params"]
        assert fit["learning_rate"] == pytest.approx(spec.lr, rel=FLOAT32)
        assert fit["learning_rate"] != pytest.approx(searched["optimizer__learning_rate"], rel=1e-3)
        assert fit["epochs"] == fit["epochs_run"] == spec.fit_epochs != searched["epochs"]
        assert batch_size_matches(spec.fit_batch_size, fit["n_samples"], fit["steps"])
        assert not batch_size_matches(searched["batch_size"], fit["n_samples"], fit["steps"])
    assert record.early_stopping_fits == 0  # the EarlyStopping given to fit never ran


def test_with_estimator_wiring_every_searched_value_reaches_keras(random_estimator, random_post):
    """The same search with ``model__lr``, estimator ``epochs`` / ``batch_size`` and the
    EarlyStopping in the estimator's callbacks: now the measurements follow the search."""
    record, _, _ = random_estimator
    spec = replace(search_spec("random", "smoke"), wiring="estimator")
    assert record.param_names == ["batch_size", "epochs", "model__lr"]
    _check_fits_follow_effective_settings(record, spec)
    rows = {row["candidate"]: row for row in record.rows}
    for fit in record.fits:
        searched = rows[fit["candidate"]]["params"]
        assert fit["learning_rate"] == pytest.approx(searched["model__lr"], rel=FLOAT32)
        assert fit["epochs"] == searched["epochs"] != spec.fit_epochs
        assert batch_size_matches(searched["batch_size"], fit["n_samples"], fit["steps"])
        assert not batch_size_matches(spec.fit_batch_size, fit["n_samples"], fit["steps"])
    assert record.early_stopping_fits == len(record.fits)
    # The same seed samples the same candidates in both wirings (only the names differ).
    post = random_post[0]
    assert [row["params"]["model__lr"] for row in record.rows] == pytest.approx(
        [row["params"]["optimizer__learning_rate"] for row in post.rows]
    )
    assert [row["params"]["epochs"] for row in record.rows] == [row["params"]["epochs"] for row in post.rows]


def test_hyperband_trials_train_what_the_tuner_reports(hyperband):
    """units and rate reach the layers; each trial runs tuner/epochs (from tuner/initial_epoch), not
    the epochs=10 given to tuner.search; batch size is Keras' 32; Adam has the cosine schedule."""
    record, _, _, _ = hyperband
    spec = search_spec("hyperband", "smoke")
    assert [fit["trial_id"] for fit in record.fits] == [row["trial_id"] for row in record.rows]
    for row, fit in zip(record.rows, record.fits, strict=True):
        effective = effective_fit_settings(
            spec, {"tuner/epochs": row["epochs"], "tuner/initial_epoch": row["initial_epoch"]}
        )
        assert effective == row["effective"]
        assert fit["units"] == [row["units"], row["units"], 3] and fit["dropout"] == [row["rate"]]
        assert fit["epochs"] == row["epochs"] != spec.search_epochs
        assert fit["initial_epoch"] == row["initial_epoch"]
        assert fit["epochs_run"] == row["epochs"] - row["initial_epoch"]
        assert batch_size_matches(32, fit["n_samples"], fit["steps"]) and fit["n_samples"] == N_TRAIN
        schedule = fit["learning_rate"]
        assert {key: schedule[key] for key in effective["learning_rate"]} == effective["learning_rate"]
