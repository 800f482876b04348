"""Run an experiment or a search over seeds: in parallel, resumable, summarised with uncertainty.

Each (point, seed) pair, or each (search, seed), is one task that goes through the results store, so a finished task is
never computed again: interrupt a sweep and run it again, and it continues from what finished.
Tasks run with joblib (``jobs`` processes) or, given a scheduler address, on a Dask cluster
(:mod:`penguins.cluster`).
Every task seeds itself, so the numbers do not depend on how many workers ran them or where.

Networks the JAX engine supports (:mod:`penguins.engine`: the five sweeps and the plain networks)
are trained by it unless ``engine="keras"``: the missing (point, seed) pairs are split into a few
tasks of whole compiled calls (:func:`penguins.engine.split_work`), each storing its records
call by call. Everything else is one Keras model per task.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import sys
import threading
import warnings
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
from joblib import Parallel, delayed, parallel_config
from joblib.externals.loky import process_executor

from penguins.cluster import Scheduler, on_dask, scheduler_of
from penguins.experiments import EXPERIMENTS, Experiment
from penguins.presets import check_seed, default_seeds
from penguins.runner import check_engine, engine_trains, run, stored_engine_records, train_into_store
from penguins.search import SearchRecord, SearchSpec, run_search, search_spec
from penguins.spec import DEFAULT_ENGINE, ENGINE_KERAS, Spec
from penguins.store import ResultStore, owned_name
from penguins.training import RunRecord
from penguins.uncertainty import mean_interval

SCORES = ("train_accuracy", "test_accuracy", "train_loss", "test_loss", "epochs_run")
# loky's limit on a worker's memory growth before it replaces the worker, and none (see _worker_memory_limit)
_LOKY_MEMORY_LEAK_SIZE = process_executor._MAX_MEMORY_LEAK_SIZE
_UNLIMITED = 2**62


def _checked_seeds(seeds) -> tuple[int, ...]:
    return tuple(check_seed(seed) for seed in seeds)


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
        """The record of ``value`` for ``seed``."""
        return self.records[self.values.index(value)][self.seeds.index(seed)]

    def restricted(self, seeds: Sequence[int]) -> SweepResult:
        """The same sweep on ``seeds`` only (each one of this sweep's), nothing trained or read again."""
        columns = [self.seeds.index(seed) for seed in seeds]
        records = [[records[column] for column in columns] for records in self.records]
        return replace(self, seeds=tuple(seeds), records=records, computed=0)

    def scores(self) -> SweepScores:
        """The scores of every run (:data:`SCORES`), without the rest of the records."""
        scores = [
            [{score: getattr(record, score) for score in SCORES} for record in records] for records in self.records
        ]
        return SweepScores(self.experiment, self.preset, self.variant, self.seeds, self.values, scores)

    def table(self) -> pd.DataFrame:
        """One row per (value, seed) with the scores."""
        return self.scores().table()

    def summary(self, score: str = "test_accuracy") -> pd.DataFrame:
        """Per value: mean, standard deviation and a 95 % interval of the mean over seeds."""
        return self.scores().summary(score)


@dataclass
class SweepScores:
    """The scores (:data:`SCORES`) of every run of one experiment, nothing else of their records.

    What a page that draws means, intervals and seeds needs: :func:`experiment_scores` reads them
    from one store entry instead of one entry a run.
    """

    experiment: Experiment
    preset: str
    variant: str
    seeds: tuple[int, ...]
    values: list  # the swept parameter's values, in grid order
    scores: list[list[dict[str, float]]]  # scores[i][j]: value i, seed j, by score

    def table(self) -> pd.DataFrame:
        """One row per (value, seed) with the scores."""
        rows = [
            {self.experiment.parameter: value, "seed": seed, **{score: point[j][score] for score in SCORES}}
            for value, point in zip(self.values, self.scores, strict=True)
            for j, seed in enumerate(self.seeds)
        ]
        return pd.DataFrame(rows)

    def summary(self, score: str = "test_accuracy") -> pd.DataFrame:
        """Per value: mean, standard deviation and a 95 % interval of the mean over seeds."""
        return summarise(self.table(), self.experiment.parameter, score, order=self.values)


def summarise(table: pd.DataFrame, by: str, score: str, order: list | None = None) -> pd.DataFrame:
    """Mean, sample standard deviation and a Student-t 95 % interval of the mean, per ``by`` value.

    The interval is :func:`penguins.uncertainty.mean_interval`'s; an accuracy's interval is clipped
    to [0, 1].
    """
    rows = []
    for value, group in table.groupby(by, sort=False):
        values = group[score].to_numpy(dtype=float)
        n = len(values)
        std = values.std(ddof=1) if n > 1 else float("nan")
        mean, low, high = mean_interval(values, bounds=(0.0, 1.0) if score.endswith("accuracy") else None)
        rows.append(
            {
                by: value, "n_seeds": n, "mean": mean, "std": std, "ci_low": low, "ci_high": high,
                "min": values.min(), "max": values.max(),
            }
        )
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
    scheduler: str | Scheduler | None = None,
) -> pd.DataFrame:
    """Experiment ``name`` with the post's and the leak-free preprocessing, paired by seed.

    Per point: the mean test accuracy with each preprocessing (``test_accuracy_post``,
    ``test_accuracy_leak_free``), the seed spread of the post's (``seed_sd``) and the mean, sd and
    95 % interval of the per-seed difference, leak-free minus post (``mean``, ``ci_low``, ...).
    Both variants share each seed's split, so the split's noise cancels in the difference.
    """
    post = run_experiment(name, preset, seeds, store=store, jobs=jobs, scheduler=scheduler)
    leak_free = run_experiment(name, preset, seeds, variant="leak-free", store=store, jobs=jobs, scheduler=scheduler)
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
    scheduler: str | Scheduler | None = None,
    store: ResultStore | None = None,
    progress: bool = False,
    engine: str = DEFAULT_ENGINE,
) -> SweepResult:
    """Run (or read) every point of experiment ``name`` for every seed.

    ``engine="jax"`` (the default) trains the networks :mod:`penguins.engine` supports with it and
    the rest with Keras; ``engine="keras"`` trains every point as one Keras model (the reference).
    ``scheduler``: a Dask scheduler's address (or a :class:`Scheduler`) to run on instead of
    ``jobs`` local processes. Seeds must be whole numbers from 0 to 2**32 - 1.
    """
    experiment, seeds = _experiment_request(name, preset, seeds, engine)
    store = store or ResultStore()
    points = experiment.points(preset)
    tasks = [(point.spec, seed) for point in points for seed in seeds]
    on_engine = [engine_trains(spec, engine) for spec, _ in tasks]
    by_engine = [i for i, yes in enumerate(on_engine) if yes]
    by_keras = [i for i, yes in enumerate(on_engine) if not yes]
    records: list[RunRecord | None] = [None] * len(tasks)
    computed = 0
    with stop_requested_on_sigint() as stop:
        if by_engine:
            trained, computed_now = _run_on_engine(
                [tasks[i] for i in by_engine], variant, store, jobs, scheduler, name, progress, stop
            )
            computed += computed_now
            for i, record in zip(by_engine, trained, strict=True):
                records[i] = record
        if by_keras:
            calls = [delayed(_run_task)(*tasks[i], variant, str(store.root)) for i in by_keras]
            outcomes = _execute(calls, jobs, scheduler, name, progress, stop)
            computed += sum(not cached for _, cached in outcomes)
            for i, (record, _) in zip(by_keras, outcomes, strict=True):
                records[i] = record
    finished = all_finished(records)
    by_point = [finished[i * len(seeds) : (i + 1) * len(seeds)] for i in range(len(points))]
    result = SweepResult(
        experiment=experiment,
        preset=preset,
        variant=variant,
        seeds=seeds,
        values=[point.value for point in points],
        records=by_point,
        computed=computed,
    )
    if not store.read_only:
        store.get_or_compute(
            _scores_payload(points, seeds, variant, engine), lambda: {"scores": result.scores().scores}
        )
    return result


def experiment_scores(
    name: str,
    preset: str = "full",
    seeds: tuple[int, ...] | list[int] | None = None,
    variant: str = "post",
    store: ResultStore | None = None,
    engine: str = DEFAULT_ENGINE,
    jobs: int = 1,
) -> SweepScores:
    """The scores of every run of experiment ``name`` (what :meth:`SweepResult.scores` holds).

    :func:`run_experiment` stores them as one entry beside its runs' records; this reads that entry,
    or, where it is missing (a store filled before there were such entries), runs the experiment
    (on ``jobs`` processes where runs are missing).
    The entry's key holds every point's spec, the seeds, the preprocessing and the engine, as well
    as the code and library versions: it changes whenever one of its runs' keys would.
    """
    experiment, seeds = _experiment_request(name, preset, seeds, engine)
    store = store or ResultStore()
    points = experiment.points(preset)
    stored = store.load(store.key(_scores_payload(points, seeds, variant, engine)))
    if stored is None:
        return run_experiment(name, preset, seeds, variant, jobs=jobs, store=store, engine=engine).scores()
    return SweepScores(experiment, preset, variant, seeds, [point.value for point in points], stored["scores"])


def _scores_payload(points, seeds: tuple[int, ...], variant: str, engine: str) -> dict:
    specs = [point.spec.to_dict() for point in points]
    return {
        "task": "sweep-scores", "specs": specs, "seeds": list(seeds), "variant": variant, "engine": engine,
        "scores": list(SCORES),
    }


def _experiment_request(name: str, preset: str, seeds, engine: str) -> tuple[Experiment, tuple[int, ...]]:
    """Experiment ``name`` and the seeds to run it on (the preset's by default), or a one-line ValueError."""
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; choose one of {list(EXPERIMENTS)}")
    check_engine(engine)
    return EXPERIMENTS[name], _checked_seeds(default_seeds(preset) if seeds is None else seeds)


def run_runs(
    pairs: Sequence[tuple[Spec, int]],
    variant: str = "post",
    jobs: int = 1,
    scheduler: str | Scheduler | None = None,
    store: ResultStore | None = None,
    progress: bool = False,
    label: str = "runs",
) -> tuple[list[RunRecord], int]:
    """Each (spec, seed) of ``pairs`` as its own run through the store.

    One Keras model per network (the reference path, :func:`penguins.runner.run`), scikit-learn for
    logistic regression. Returns the records in order and how many were trained now.
    """
    store = store or ResultStore()
    calls = [delayed(_run_task)(spec, check_seed(seed), variant, str(store.root)) for spec, seed in pairs]
    with stop_requested_on_sigint() as stop:
        outcomes = _execute(calls, jobs, scheduler, label, progress, stop)
    return [record for record, _ in outcomes], sum(not cached for _, cached in outcomes)


# Tasks per worker process for the engine: more than one so that the progress bar moves and a
# Ctrl-C is answered sooner; few, so that each compiled program is loaded by few processes.
ENGINE_TASKS_PER_JOB = 4


def _run_on_engine(tasks, variant, store, jobs, scheduler, label, progress, stop) -> tuple[list[RunRecord], int]:
    """Records of (spec, seed) ``tasks`` trained by the JAX engine, and how many were trained now.

    Read what is stored, train the rest in whole compiled calls spread over the workers (which store
    them as they go). A run another process trained meanwhile is read, not counted.
    """
    records = stored_engine_records([spec for spec, _ in tasks], [seed for _, seed in tasks], variant, store)
    missing = [i for i, record in enumerate(records) if record is None]
    if not missing:
        return all_finished(records), 0
    store.require_writable(f"{label}: {len(missing)} of {len(tasks)} engine runs")
    from penguins.engine import split_work

    specs, seeds = [tasks[i][0] for i in missing], [tasks[i][1] for i in missing]
    parts = split_work(specs, seeds, max(1, jobs) * ENGINE_TASKS_PER_JOB)
    store.create()
    stop_file = store.root / owned_name(".stop-")  # created on Ctrl-C only; the workers stop between calls
    calls = [
        delayed(_engine_task)(
            [specs[i] for i in part], [seeds[i] for i in part], variant, str(store.root), str(stop_file)
        )
        for part in parts
    ]
    try:
        with stop.signalling(stop_file):
            # after a Ctrl-C every engine task ends with its call under way: wait for them, lose nothing
            outcomes = _execute(
                calls,
                jobs,
                scheduler,
                f"{label} (jax)",
                progress,
                stop,
                sizes=[len(part) for part in parts],
                drain=True,
            )
    finally:
        with contextlib.suppress(OSError):
            stop_file.unlink(missing_ok=True)
    trained = 0
    for part, finished in zip(parts, outcomes, strict=True):
        for index, record, trained_here in finished:
            records[missing[part[index]]] = record
            trained += trained_here
    return all_finished(records), trained


def all_finished(records: Sequence[RunRecord | None]) -> list[RunRecord]:
    """``records`` once every slot holds one; a slot still empty is a bug of the sweep, said so."""
    finished = [record for record in records if record is not None]
    if len(finished) != len(records):
        raise RuntimeError(f"{len(records) - len(finished)} of {len(records)} runs have no record")
    return finished


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
        """The search record of ``seed``."""
        return self.records[self.seeds.index(seed)]

    def table(self) -> pd.DataFrame:
        """One row per seed: the best parameters and score, and the refit model's accuracies."""
        return pd.DataFrame(
            [
                {"seed": seed, **record.best_params, "best_score": record.best_score,
                 "train_accuracy": record.train_accuracy, "test_accuracy": record.test_accuracy}
                for seed, record in zip(self.seeds, self.records, strict=True)
            ]
        )


def run_search_sweep(
    method: str,
    preset: str = "full",
    seeds: tuple[int, ...] | list[int] | None = None,
    variant: str = "post",
    jobs: int = 1,
    scheduler: str | Scheduler | None = None,
    store: ResultStore | None = None,
    progress: bool = False,
    engine: str = DEFAULT_ENGINE,
) -> SearchSweep:
    """Run (or read) the post's ``method`` search at the preset's size for every seed.

    ``engine``: ``"jax"`` (the default: Keras Tuner's oracle or scikit-learn's candidates and
    folds, every fit on the sweep engine, :mod:`penguins.search.engine`) or ``"keras"`` (scikeras
    and Keras Tuner training Keras models, the reference).
    """
    spec = search_spec(method, preset)
    seeds = _checked_seeds(default_seeds(preset) if seeds is None else seeds)
    records, computed = run_search_specs(
        [(spec, seed) for seed in seeds], variant, jobs, scheduler, store, progress, engine, f"{method} search"
    )
    return SearchSweep(method=method, preset=preset, variant=variant, seeds=seeds, records=records, computed=computed)


def run_search_specs(
    pairs: list[tuple[SearchSpec, int]],
    variant: str = "post",
    jobs: int = 1,
    scheduler: str | Scheduler | None = None,
    store: ResultStore | None = None,
    progress: bool = False,
    engine: str = DEFAULT_ENGINE,
    label: str = "searches",
) -> tuple[list[SearchRecord], int]:
    """Each (search spec, seed) of ``pairs`` through the store, in parallel.

    Returns the records in order and how many were computed now.
    """
    store = store or ResultStore()
    calls = [delayed(_search_task)(spec, seed, variant, str(store.root), engine) for spec, seed in pairs]
    with stop_requested_on_sigint() as stop:
        outcomes = _execute(calls, jobs, scheduler, label, progress, stop)
    return [record for record, _ in outcomes], sum(not cached for _, cached in outcomes)


def _worker_memory_limit(engine: str) -> None:
    """Let loky replace this worker for memory growth in Keras tasks only (call it in every task).

    loky ends a worker whose memory grew 300 MB past what it held after its first task (a leak
    heuristic) and starts a new one, warning "A worker stopped while some jobs were given to the
    executor". An engine worker grows on purpose: it holds JAX's compiled programs and the engine's
    caches, which a new worker would import, load and build again (seconds each time). A Keras
    worker really leaks (TensorFlow keeps every traced function; keras-team/tf-keras#286), and
    there the restart helps. loky reads the limit from its module after every task and offers no
    option for it; a worker may run both kinds of task, so every task sets it.
    """
    process_executor._MAX_MEMORY_LEAK_SIZE = _UNLIMITED if engine == "jax" else _LOKY_MEMORY_LEAK_SIZE


def _leave_interrupts_to_the_sweep() -> None:
    """In a worker process, ignore SIGINT (call it in every task).

    A Ctrl-C at a terminal reaches every process of its group, workers included. The sweep's own
    process turns it into a stop between runs (:class:`StopRequest`) and stops the workers; a
    KeyboardInterrupt in a worker would land anywhere, e.g. in JAX's garbage-collector callback,
    where Python prints it ("Exception ignored in _xla_gc_callback") and drops it. Tasks that run
    in the sweep's own process (one job) or in a Dask worker's threads are left alone.
    """
    if multiprocessing.parent_process() is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _worker_setup(engine: str) -> None:
    _worker_memory_limit(engine)
    _leave_interrupts_to_the_sweep()


def _run_task(spec, seed: int, variant: str, store_root: str) -> tuple[RunRecord, bool]:
    _worker_setup("keras")  # Keras models and scikit-learn's logistic regression
    record, cached = run(spec, seed=seed, variant=variant, store=ResultStore(store_root), engine=ENGINE_KERAS)
    return record, cached  # the record itself: a to_dict() round trip deep-copies it (dataclasses.asdict)


def _engine_task(specs, seeds, variant: str, store_root: str, stop_file: str) -> list[tuple[int, RunRecord, bool]]:
    """(index in ``specs``, record, whether trained here) of every request finished before the end or a stop.

    A request another process stored meanwhile is read: not trained here.
    """
    _worker_setup("jax")
    return [
        (index, record, trained)
        for indices, records, trained in train_into_store(specs, seeds, variant, ResultStore(store_root), stop_file)
        for index, record in zip(indices, records, strict=True)
    ]


def _search_task(spec, seed: int, variant: str, store_root: str, engine: str) -> tuple[SearchRecord, bool]:
    _worker_setup(engine)
    record, cached = run_search(spec, seed=seed, variant=variant, store=ResultStore(store_root), engine=engine)
    return record, cached


def _execute(
    calls: list,
    jobs: int,
    scheduler: str | Scheduler | None,
    label: str,
    progress: bool,
    stop: StopRequest,
    sizes: list[int] | None = None,
    drain: bool = False,
) -> list:
    """Run joblib ``calls`` in order, in ``jobs`` loky processes or on a Dask cluster.

    After each, raise KeyboardInterrupt if ``stop`` was requested, or with ``drain`` (calls that end
    soon by themselves once stopped: engine tasks) after the last. ``sizes``: how many runs each
    call stands for, for the progress bar.
    """
    cluster = scheduler_of(scheduler)
    outcomes = _on_loky(calls, jobs) if cluster is None else on_dask(calls, cluster)
    # drained engine tasks say how many runs they finished: the bar counts those
    shown = _with_progress(outcomes, sizes or [1] * len(calls), label, progress, stop, counted=len if drain else None)
    try:
        return list(_until(stop, shown, drain))
    finally:  # at once, outermost first: clear the bar, then stop the workers or cancel what did not run
        shown.close()
        with warnings.catch_warnings():
            # joblib says how many tasks it cancels; the sweep says why in one line of its own
            warnings.filterwarnings(
                "ignore", message=r".*You could benefit from adjusting the input task iterator", category=UserWarning
            )
            outcomes.close()


def _on_loky(calls: list, jobs: int) -> Generator:
    with parallel_config(backend="loky", n_jobs=jobs):
        yield from Parallel(return_as="generator")(calls)


class StopRequest:
    """A first Ctrl-C, turned into a request to stop between runs.

    A flag for this process and files it creates for worker processes, which look for them between
    compiled calls.
    """

    def __init__(self) -> None:
        self._requested = threading.Event()
        self.files: list[Path] = []

    def request(self) -> None:
        """Ask every worker to stop between two calls (each reads its stop file)."""
        self._requested.set()
        for file in self.files:
            _touch(file)

    def is_set(self) -> bool:
        """Whether a stop was requested."""
        return self._requested.is_set()

    @contextlib.contextmanager
    def signalling(self, file: Path) -> Iterator[None]:
        """Create ``file`` when a stop is requested while inside (or if it already was)."""
        self.files.append(file)
        try:
            if self.is_set():
                _touch(file)
            yield
        finally:
            self.files.remove(file)


def _touch(file: Path) -> None:
    """Create ``file`` if possible (a store that cannot be written trains nothing to stop)."""
    with contextlib.suppress(OSError):
        file.touch()


@contextlib.contextmanager
def stop_requested_on_sigint() -> Iterator[StopRequest]:
    """Turn a first Ctrl-C into a request to stop after the run under way, which is then stored.

    Python delivers SIGINT as a KeyboardInterrupt wherever the main thread happens to be, and one
    that lands in a garbage-collector callback is printed and swallowed, so the sweep would run on.
    A flag checked between runs cannot be lost; a second Ctrl-C interrupts at once.
    """
    stop = StopRequest()
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        yield stop
        return

    def request_stop(signum, frame) -> None:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        stop.request()

    previous = signal.signal(signal.SIGINT, request_stop)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


def _until(stop_requested: StopRequest, outcomes, drain: bool = False):
    for outcome in outcomes:
        yield outcome
        if stop_requested.is_set() and not drain:
            raise KeyboardInterrupt
    if stop_requested.is_set():
        raise KeyboardInterrupt


def _with_progress(outcomes, sizes: list[int], name: str, show: bool, stop: StopRequest | None = None, counted=None):
    """``outcomes`` with a progress bar on stderr.

    ``sizes``: the runs each outcome stands for, or ``counted(outcome)`` of them. A bar that does
    not finish (an error, a stop) is cleared, so that the line saying why stands alone.
    """
    if not show:
        yield from outcomes
        return
    from tqdm import tqdm

    with tqdm(total=sum(sizes), desc=name, unit="run", file=sys.stderr) as bar:
        try:
            for outcome, size in zip(outcomes, sizes, strict=True):
                bar.update(size if counted is None else counted(outcome))
                yield outcome
        except BaseException:
            bar.leave = False
            raise
        if stop is not None and stop.is_set():
            bar.leave = False
