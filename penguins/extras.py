"""Measurements the chapters show beyond the post's sections, computed by ``penguins reproduce``.

The post's sections are the experiments (:mod:`penguins.experiments`) and the searches
(:mod:`penguins.search`). Three chapters measure more, and ``reproduce`` computes it too, so that
rendering a page only reads the store:

- the post's runs again with **the post's seed**, the ``random_state`` its random-search
  candidates give away (:func:`penguins.claims.post_random_state`), on Keras as the post ran them;
- logistic regression on the first :data:`SPLIT_SCAN` splits: how many seeds give the post's
  baseline scores;
- the post's random and grid searches at the smoke size with **scikeras training Keras models**,
  whose fits record what Keras measurably ran with (the engine's fits only know what they were told).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

from penguins.catalog import NAMED_RUNS
from penguins.presets import default_seeds
from penguins.search import SearchRecord, preset as search_preset, run_search
from penguins.spec import LogisticSpec
from penguins.store import ResultStore
from penguins.cluster import Scheduler
from penguins.sweep import run_runs
from penguins.training import RunRecord

SPLIT_SCAN = 200  # splits on which logistic regression is compared with the post's baseline
MEASURED_METHODS = ("random", "grid")
MEASURED_SIZE = "smoke"  # its searched epochs and batch sizes differ from what the post's call passes to fit
# The measurements, in the order compute_parts makes them.
PARTS = ("post-seed", "logistic-splits", "keras-measured-searches")


@cache
def post_seed() -> int:
    """The ``random_state`` that draws the post's random-search candidates (scanned once per process)."""
    from penguins.claims import post_random_state

    seed = post_random_state()
    if seed is None:
        raise RuntimeError("no random_state in the scanned range draws the post's random-search candidates")
    return seed


def post_seed_runs(
    store: ResultStore | None = None, jobs: int = 1, progress: bool = False, scheduler: str | Scheduler | None = None
) -> tuple[dict[str, RunRecord], int]:
    """Every run of the post with :func:`post_seed`, one Keras model (or logistic regression) each,
    and how many were trained now."""
    runs = [run for run in NAMED_RUNS.values() if run.in_post]
    pairs = [(run.spec, post_seed()) for run in runs]
    records, computed = run_runs(pairs, jobs=jobs, scheduler=scheduler, store=store, progress=progress, label="post's seed")
    return {run.name: record for run, record in zip(runs, records)}, computed


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
    """The post's random and grid searches at the smoke size with scikeras training Keras models, for
    the preset's first seed: their ``fits`` are what Keras' fits measurably ran with. Returns the
    records by method and how many were computed now."""
    store = store or ResultStore()
    found = {
        method: run_search(search_preset(method, MEASURED_SIZE), measured_seed(preset), store=store, engine="keras")
        for method in MEASURED_METHODS
    }
    return {method: record for method, (record, _) in found.items()}, sum(not cached for _, cached in found.values())


def compute_parts(
    preset: str, store: ResultStore | None = None, jobs: int = 1, progress: bool = False, scheduler: str | Scheduler | None = None
) -> Iterator[tuple[str, int, int]]:
    """Each measurement of this module for ``preset`` in turn: once it is done, its name (one of
    :data:`PARTS`), how many results it holds and how many were trained now. With ``scheduler``
    the runs go to that Dask cluster; the two Keras-measured searches run here."""
    store = store or ResultStore()
    post_runs, trained = post_seed_runs(store, jobs, progress, scheduler)
    yield PARTS[0], len(post_runs), trained
    scan, trained = logistic_split_scan(store, jobs, progress, scheduler)
    yield PARTS[1], len(scan), trained
    searches, trained = keras_measured_searches(preset, store)
    yield PARTS[2], len(searches), trained


def compute_all(
    preset: str, store: ResultStore | None = None, jobs: int = 1, progress: bool = False, scheduler: str | Scheduler | None = None
) -> tuple[int, int]:
    """Every measurement of this module for ``preset``: (how many results, how many trained now)."""
    parts = list(compute_parts(preset, store, jobs, progress, scheduler))
    return sum(total for _, total, _ in parts), sum(trained for _, _, trained in parts)
