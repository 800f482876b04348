"""Run an experiment or a search over seeds: in parallel, resumable, summarised with uncertainty.

Each (point, seed) pair, or each (search, seed), is one task that goes through the results store, so a finished task is
never computed again: interrupt a sweep and run it again, and it continues from what finished.
Tasks run with joblib (``jobs`` processes) or, given a scheduler address, on a Dask cluster.
Every task seeds itself, so the numbers do not depend on how many workers ran them or where.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, parallel_config
from scipy import stats

from penguins.experiments import EXPERIMENTS, Experiment
from penguins.presets import default_seeds, search_size
from penguins.runner import run
from penguins.search import SearchRecord, preset as search_preset, run_search
from penguins.store import ResultStore
from penguins.training import RunRecord

SCORES = ("train_accuracy", "test_accuracy", "train_loss", "test_loss", "epochs_run")


@dataclass
class SweepResult:
    """Every per-seed record of one experiment, with tables for the chapters."""

    experiment: Experiment
    preset: str
    variant: str
    seeds: tuple[int, ...]
    values: list  # the swept parameter's values, in grid order
    records: list[list[RunRecord]]  # records[i][j]: value i, seed j
    computed: int  # how many tasks were trained now (the rest came from the store)

    def record(self, value, seed: int) -> RunRecord:
        return self.records[self.values.index(value)][self.seeds.index(seed)]

    def table(self) -> pd.DataFrame:
        """One row per (value, seed) with the scores."""
        rows = [
            {self.experiment.parameter: value, "seed": record.seed, **{score: getattr(record, score) for score in SCORES}}
            for value, records in zip(self.values, self.records)
            for record in records
        ]
        return pd.DataFrame(rows)

    def summary(self, score: str = "test_accuracy") -> pd.DataFrame:
        """Per value: mean, standard deviation and a 95 % interval of the mean over seeds."""
        return summarise(self.table(), self.experiment.parameter, score, order=self.values)


def summarise(table: pd.DataFrame, by: str, score: str, order: list | None = None) -> pd.DataFrame:
    """Mean, sample standard deviation and a Student-t 95 % interval of the mean, per ``by`` value.

    An accuracy cannot leave [0, 1], so its interval is clipped there; with few seeds the
    t-interval is wide and would otherwise claim impossible values.
    """
    rows = []
    for value, group in table.groupby(by, sort=False):
        values = group[score].to_numpy(dtype=float)
        mean, n = values.mean(), len(values)
        std = values.std(ddof=1) if n > 1 else float("nan")
        half = stats.t.ppf(0.975, n - 1) * std / np.sqrt(n) if n > 1 else float("nan")
        low, high = mean - half, mean + half
        if score.endswith("accuracy"):
            low, high = max(low, 0.0), min(high, 1.0)
        rows.append({by: value, "n_seeds": n, "mean": mean, "std": std, "ci_low": low, "ci_high": high, "min": values.min(), "max": values.max()})
    summary = pd.DataFrame(rows)
    if order is not None:
        summary = summary.set_index(by).loc[order].reset_index()
    return summary


def compare_variants(
    name: str,
    preset: str = "full",
    seeds: tuple[int, ...] | list[int] | None = None,
    store: ResultStore | None = None,
    jobs: int = 1,
) -> pd.DataFrame:
    """Experiment ``name`` with the post's and the leak-free preprocessing, paired by seed.

    Per point: the mean test accuracy with each preprocessing (``test_accuracy_post``,
    ``test_accuracy_leak_free``), the seed spread of the post's (``seed_sd``) and the mean, sd and
    95 % interval of the per-seed difference, leak-free minus post (``mean``, ``ci_low``, ...).
    Both variants share each seed's split, so the split's noise cancels in the difference.
    """
    post = run_experiment(name, preset, seeds, store=store, jobs=jobs)
    leak_free = run_experiment(name, preset, seeds, variant="leak-free", store=store, jobs=jobs)
    parameter = post.experiment.parameter
    paired = post.table().merge(leak_free.table(), on=[parameter, "seed"], suffixes=("_post", "_leak_free"))
    paired["difference"] = paired["test_accuracy_leak_free"] - paired["test_accuracy_post"]
    means = paired.groupby(parameter, sort=False)[["test_accuracy_post", "test_accuracy_leak_free"]].mean()
    means["seed_sd"] = paired.groupby(parameter, sort=False)["test_accuracy_post"].std()
    return summarise(paired, parameter, "difference", order=post.values).join(means, on=parameter)


def run_experiment(
    name: str,
    preset: str = "full",
    seeds: tuple[int, ...] | list[int] | None = None,
    variant: str = "post",
    jobs: int = 1,
    scheduler: str | None = None,
    store: ResultStore | None = None,
    progress: bool = False,
) -> SweepResult:
    """Run (or read) every point of experiment ``name`` for every seed."""
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; choose one of {list(EXPERIMENTS)}")
    experiment = EXPERIMENTS[name]
    seeds = tuple(default_seeds(preset) if seeds is None else seeds)
    store = store or ResultStore()
    points = experiment.points(preset)
    calls = [delayed(_run_task)(point.spec, seed, variant, str(store.root)) for point in points for seed in seeds]
    outcomes = _execute(calls, jobs, scheduler, name, progress)
    records = [RunRecord.from_dict(record) for record, _ in outcomes]
    by_point = [records[i * len(seeds) : (i + 1) * len(seeds)] for i in range(len(points))]
    return SweepResult(
        experiment=experiment,
        preset=preset,
        variant=variant,
        seeds=seeds,
        values=[point.value for point in points],
        records=by_point,
        computed=sum(not cached for _, cached in outcomes),
    )


@dataclass
class SearchSweep:
    """One search of the post (random, grid or Hyperband) repeated for each seed."""

    method: str
    preset: str
    variant: str
    seeds: tuple[int, ...]
    records: list[SearchRecord]  # one per seed, in seed order
    computed: int

    def record(self, seed: int) -> SearchRecord:
        return self.records[self.seeds.index(seed)]

    def table(self) -> pd.DataFrame:
        """One row per seed: the best parameters and score, and the refit model's accuracies."""
        return pd.DataFrame(
            [
                {"seed": seed, **record.best_params, "best_score": record.best_score,
                 "train_accuracy": record.train_accuracy, "test_accuracy": record.test_accuracy}
                for seed, record in zip(self.seeds, self.records)
            ]
        )


def run_search_sweep(
    method: str,
    preset: str = "full",
    seeds: tuple[int, ...] | list[int] | None = None,
    variant: str = "post",
    jobs: int = 1,
    scheduler: str | None = None,
    store: ResultStore | None = None,
    progress: bool = False,
) -> SearchSweep:
    """Run (or read) the post's ``method`` search at the preset's size for every seed."""
    spec = search_preset(method, search_size(preset))
    seeds = tuple(default_seeds(preset) if seeds is None else seeds)
    store = store or ResultStore()
    calls = [delayed(_search_task)(spec, seed, variant, str(store.root)) for seed in seeds]
    outcomes = _execute(calls, jobs, scheduler, f"{method} search", progress)
    return SearchSweep(
        method=method,
        preset=preset,
        variant=variant,
        seeds=seeds,
        records=[SearchRecord.from_dict(record) for record, _ in outcomes],
        computed=sum(not cached for _, cached in outcomes),
    )


def _run_task(spec, seed: int, variant: str, store_root: str) -> tuple[dict, bool]:
    record, cached = run(spec, seed=seed, variant=variant, store=ResultStore(store_root))
    return record.to_dict(), cached


def _search_task(spec, seed: int, variant: str, store_root: str) -> tuple[dict, bool]:
    record, cached = run_search(spec, seed=seed, variant=variant, store=ResultStore(store_root))
    return record.to_dict(), cached


def _execute(calls: list, jobs: int, scheduler: str | None, label: str, progress: bool) -> list:
    """Run joblib ``calls`` in order on the chosen backend, stoppable between tasks by Ctrl-C."""
    with _backend(jobs, scheduler), _stop_requested_on_sigint() as stop_requested:
        outcomes = Parallel(return_as="generator")(calls)
        return list(_until(stop_requested, _with_progress(outcomes, len(calls), label, progress)))


@contextlib.contextmanager
def _backend(jobs: int, scheduler: str | None) -> Iterator[None]:
    if scheduler is None:
        with parallel_config(backend="loky", n_jobs=jobs):
            yield
        return
    from distributed import Client

    # The workers import penguins from their own environment, as any Dask user's would.
    with Client(scheduler), parallel_config(backend="dask", n_jobs=-1, wait_for_workers_timeout=60):
        yield


@contextlib.contextmanager
def _stop_requested_on_sigint() -> Iterator[threading.Event]:
    """Turn a first Ctrl-C into a request to stop after the run under way, which is then stored.

    Python delivers SIGINT as a KeyboardInterrupt wherever the main thread happens to be, and one
    that lands in a garbage-collector callback is printed and swallowed, so the sweep would run on.
    A flag checked between runs cannot be lost; a second Ctrl-C interrupts at once.
    """
    requested = threading.Event()
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        yield requested
        return

    def request_stop(signum, frame) -> None:
        requested.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = signal.signal(signal.SIGINT, request_stop)
    try:
        yield requested
    finally:
        signal.signal(signal.SIGINT, previous)


def _until(stop_requested: threading.Event, outcomes):
    for outcome in outcomes:
        yield outcome
        if stop_requested.is_set():
            raise KeyboardInterrupt


def _with_progress(outcomes, total: int, name: str, show: bool):
    if not show:
        yield from outcomes
        return
    from tqdm import tqdm

    yield from tqdm(outcomes, total=total, desc=name, unit="run", file=sys.stderr)
