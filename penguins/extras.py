"""Measurements the chapters show beyond the post's sections, computed by ``penguins reproduce``.

The post's sections are the experiments (:mod:`penguins.experiments`) and the searches
(:mod:`penguins.search`). The chapters and the claims ledger measure more, and ``reproduce``
computes it too, so that rendering a page only reads the store:

- the post's runs again with **the post's seed**, the ``random_state`` its random-search
  candidates give away (:func:`penguins.claims.post.post_random_state`), on Keras as the post ran them
  (their logs are Keras' own: the learning rate the optimizer held in each epoch, for one);
- logistic regression on the first :data:`SPLIT_SCAN` splits: how many seeds give the post's
  baseline scores;
- the post's random and grid searches at the smoke size with **scikeras training Keras models**,
  whose fits record what Keras measurably ran with (the engine's fits only know what they were told);
- the post's random search with **the post's candidates** (its ``random_state``) on each seed's
  split and fits: how often the post's best candidate wins;
- the early-stopping network **validated on training rows** instead of the test set, for each seed
  (Keras' ``validation_split``): the clean score beside the post's;
- whether the post's ``random.seed(rand_seed)`` makes its runs repeatable (its own code, run twice);
- the unit counts Keras Tuner's ``hp.Int`` of the post's Hyperband space can give (Keras Tuner's own
  enumeration: importing it imports TensorFlow, seconds a page that only reads the ledger should not pay).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

from penguins.catalog import NAMED_RUNS
from penguins.cluster import Scheduler
from penguins.presets import default_seeds
from penguins.search import SearchRecord, run_search, search_spec
from penguins.spec import LogisticSpec
from penguins.store import ResultStore
from penguins.sweep import run_runs
from penguins.training import RunRecord

SPLIT_SCAN = 200  # splits on which logistic regression is compared with the post's baseline
MEASURED_METHODS = ("random", "grid")
MEASURED_PRESET = "smoke"  # its searched epochs and batch sizes differ from what the post's call passes to fit
# The measurements, in the order compute_parts makes them.
PARTS = (
    "post-seed", "logistic-splits", "keras-measured-searches", "post-candidates", "clean-early-stopping",
    "unseeded-runs", "tuner-units",
)


@cache
def post_seed() -> int:
    """The ``random_state`` that draws the post's random-search candidates (scanned once per process)."""
    from penguins.claims.post import post_random_state

    seed = post_random_state()
    if seed is None:
        raise RuntimeError("no random_state in the scanned range draws the post's random-search candidates")
    return seed


def post_seed_runs(
    store: ResultStore | None = None, jobs: int = 1, progress: bool = False, scheduler: str | Scheduler | None = None
) -> tuple[dict[str, RunRecord], int]:
    """Every run of the post with :func:`post_seed`, and how many were trained now.

    One Keras model (or logistic regression) each.
    """
    runs = [run for run in NAMED_RUNS.values() if run.in_post]
    pairs = [(run.spec, post_seed()) for run in runs]
    records, computed = run_runs(
        pairs, jobs=jobs, scheduler=scheduler, store=store, progress=progress, label="post's seed"
    )
    return {run.name: record for run, record in zip(runs, records, strict=True)}, computed


def logistic_split_scan(
    store: ResultStore | None = None, jobs: int = 1, progress: bool = False, scheduler: str | Scheduler | None = None
) -> tuple[list[RunRecord], int]:
    """Logistic regression (the post's baseline) on the splits of seeds ``0 .. SPLIT_SCAN - 1``."""
    pairs = [(LogisticSpec(), seed) for seed in range(SPLIT_SCAN)]
    return run_runs(pairs, jobs=jobs, scheduler=scheduler, store=store, progress=progress, label="logistic splits")


def measured_seed(preset: str) -> int:
    """The seed of the Keras-measured searches: the preset's first."""
    return default_seeds(preset)[0]


def keras_measured_searches(preset: str, store: ResultStore | None = None) -> tuple[dict[str, SearchRecord], int]:
    """The post's random and grid searches at the smoke size, with scikeras training Keras models.

    They run on the preset's first seed: their ``fits`` are what Keras' fits measurably ran with.
    Returns the records by method and how many were computed now.
    """
    store = store or ResultStore()
    found = {
        method: run_search(search_spec(method, MEASURED_PRESET), measured_seed(preset), store=store, engine="keras")
        for method in MEASURED_METHODS
    }
    return {method: record for method, (record, _) in found.items()}, sum(not cached for _, cached in found.values())


def post_candidate_searches(
    preset: str,
    store: ResultStore | None = None,
    jobs: int = 1,
    progress: bool = False,
    scheduler: str | Scheduler | None = None,
) -> tuple[list[SearchRecord], int]:
    """The post's random search on the split and fits of each seed of ``preset``, on the engine.

    It has the post's size and candidates: ``random_state`` = :func:`post_seed`.
    """
    from dataclasses import replace

    from penguins.sweep import run_search_specs

    spec = replace(search_spec("random", "full"), random_state=post_seed())
    return run_search_specs(
        [(spec, seed) for seed in default_seeds(preset)],
        store=store,
        jobs=jobs,
        progress=progress,
        scheduler=scheduler,
        label="post's candidates",
    )


def clean_early_stopping(
    preset: str,
    store: ResultStore | None = None,
    jobs: int = 1,
    progress: bool = False,
    scheduler: str | Scheduler | None = None,
) -> tuple[list[RunRecord], int]:
    """The early-stopping network validated on the last fifth of the training rows (not the test set).

    One Keras model per seed of ``preset``.
    """
    pairs = [(NAMED_RUNS["early-stopping-clean"].spec, seed) for seed in default_seeds(preset)]
    return run_runs(pairs, jobs=jobs, scheduler=scheduler, store=store, progress=progress, label="clean early stopping")


UNSEEDED_RAND_SEED = 0  # the value given to random.seed before each model; any value shows the same
# The post's own code, run twice in a fresh Python with TensorFlow's determinism off and no seed of
# ours: get_model calls random.seed(rand_seed), then fit trains 5 epochs with Keras' defaults. The backslash
# in its compile call joins two lines of this file into one line of the program.
_UNSEEDED_PROGRAM = """
import json, os, random
os.environ["TF_DETERMINISTIC_OPS"] = "0"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
from penguins.preprocessing import preprocess
import keras
import tensorflow as tf
from tensorflow.keras.layers import Dense

split = preprocess("post", {split_seed})
rand_seed = {rand_seed}

def get_model(nodes=100, lr=0.001):
    random.seed(rand_seed)
    model = tf.keras.Sequential([
        tf.keras.Input((split.n_features,)),
        Dense(nodes, activation="relu", kernel_initializer="he_uniform"),
        Dense(nodes, activation="relu", kernel_initializer="he_uniform"),
        Dense(3, activation="softmax"),
    ])
    model.compile(metrics=["accuracy"], optimizer=tf.keras.optimizers.Adam(learning_rate=lr), \
loss="sparse_categorical_crossentropy")
    return model

def flat(model):
    return np.concatenate([np.ravel(array) for array in model.get_weights()])

runs = []
for _ in range(2):
    model = get_model()
    initial = flat(model)
    model.fit(split.x_train.astype("float32"), split.y_train, epochs=5, verbose=0)
    runs.append((initial, flat(model), model.evaluate(split.x_test.astype("float32"), split.y_test, verbose=0)[1]))
print(json.dumps({{
    "initial_equal_share": float(np.mean(runs[0][0] == runs[1][0])),
    "trained_equal_share": float(np.mean(runs[0][1] == runs[1][1])),
    "test_accuracies": [float(runs[0][2]), float(runs[1][2])],
    "n_weights": int(runs[0][0].size),
    "keras": keras.__version__,
}}))
"""


def unseeded_runs(store: ResultStore | None = None) -> tuple[dict[str, object], bool]:
    """Whether the post's ``random.seed(rand_seed)`` makes its runs repeatable.

    The post's ``get_model`` built and trained twice in a fresh process, as the post's code does it,
    and the share of the weights that came out equal before and after training (1 if the run
    repeated). Returns the measurement and whether it came from the store.
    """
    store = store or ResultStore()
    payload = {"task": "unseeded-get-model", "rand_seed": UNSEEDED_RAND_SEED, "split_seed": 0}
    return store.get_or_compute(payload, _measure_unseeded_runs)


def _measure_unseeded_runs() -> dict[str, object]:
    import json
    import subprocess
    import sys

    program = _UNSEEDED_PROGRAM.format(split_seed=0, rand_seed=UNSEEDED_RAND_SEED)
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=600)
    return json.loads(done.stdout.strip().splitlines()[-1])


def tuner_unit_values(store: ResultStore | None = None) -> tuple[list[int], bool]:
    """The unit counts ``hp.Int('units', min, max, step)`` of the post's Hyperband space can give.

    Keras Tuner's own enumeration of the space, measured once and kept in the store. Returns the
    values in Keras Tuner's order and whether they came from the store.
    """
    store = store or ResultStore()
    low, high, step = search_spec("hyperband", "full").units
    payload = {"task": "keras-tuner-int-values", "min_value": low, "max_value": high, "step": step}
    result, cached = store.get_or_compute(payload, lambda: {"values": _keras_tuner_int_values(low, high, step)})
    return [int(value) for value in result["values"]], cached


def _keras_tuner_int_values(low: int, high: int, step: int) -> list[int]:
    import keras_tuner

    space = keras_tuner.HyperParameters()
    space.Int("units", min_value=low, max_value=high, step=step)
    return [int(value) for value in space.space[0].values]


def compute_parts(
    preset: str,
    store: ResultStore | None = None,
    jobs: int = 1,
    progress: bool = False,
    scheduler: str | Scheduler | None = None,
) -> Iterator[tuple[str, int, int]]:
    """Each measurement of this module for ``preset`` in turn.

    Once it is done, its name (one of :data:`PARTS`), how many results it holds and how many were
    trained now. With ``scheduler`` the runs go to that Dask cluster; the two Keras-measured
    searches run here.
    """
    store = store or ResultStore()
    post_runs, trained = post_seed_runs(store, jobs, progress, scheduler)
    yield PARTS[0], len(post_runs), trained
    scan, trained = logistic_split_scan(store, jobs, progress, scheduler)
    yield PARTS[1], len(scan), trained
    searches, trained = keras_measured_searches(preset, store)
    yield PARTS[2], len(searches), trained
    candidates, trained = post_candidate_searches(preset, store, jobs, progress, scheduler)
    yield PARTS[3], len(candidates), trained
    clean, trained = clean_early_stopping(preset, store, jobs, progress, scheduler)
    yield PARTS[4], len(clean), trained
    _, cached = unseeded_runs(store)
    yield PARTS[5], 1, int(not cached)
    _, cached = tuner_unit_values(store)
    yield PARTS[6], 1, int(not cached)


def compute_all(
    preset: str,
    store: ResultStore | None = None,
    jobs: int = 1,
    progress: bool = False,
    scheduler: str | Scheduler | None = None,
) -> tuple[int, int]:
    """Every measurement of this module for ``preset``: (how many results, how many trained now)."""
    parts = list(compute_parts(preset, store, jobs, progress, scheduler))
    return sum(total for _, total, _ in parts), sum(trained for _, _, trained in parts)
