"""The ``penguins`` command: list what can be run, run it through the results store.

Every fault ends in one line on stderr saying what went wrong and what to do, never a traceback
(unless ``--debug`` or ``$PENGUINS_DEBUG=1`` asks for it): a bad argument exits with status 2,
anything else (the store, the scheduler, the data, a bug) with 1, and Ctrl-C with 130.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, NoReturn

from penguins.catalog import NAMED_RUNS
from penguins.cluster import Scheduler, check_address
from penguins.preprocessing import VARIANTS
from penguins.presets import PRESETS, SEED_LIMIT
from penguins.spec import DEFAULT_ENGINE, ENGINES, NetworkSpec

if TYPE_CHECKING:
    from penguins.store import ResultStore

DEBUG_VARIABLE = "PENGUINS_DEBUG"
INTERRUPTED = "interrupted: finished runs are kept in the store; run the same command again to continue"
# The most seeds one range of --seeds may hold (a typo such as 0-99999999 would fill the memory).
MAX_SEEDS_PER_RANGE = 10_000


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line, exit status 2, no usage dump."""

    def error(self, message: str) -> NoReturn:
        if message.startswith("unrecognized arguments"):
            message += "; `penguins COMMAND --help` lists what a command takes"
        self.exit(2, f"{self.prog}: error: {message}\n")


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1, got 0")
    return value


def _seed(text: str) -> int:
    """One seed: a whole number the libraries take, 0 <= seed < 2**32."""
    if not re.fullmatch(r"\s*\d+\s*", text) or int(text) >= SEED_LIMIT:
        raise argparse.ArgumentTypeError(f"a seed is a whole number from 0 to {SEED_LIMIT - 1}, got {text!r}")
    return int(text)


def _seeds(text: str) -> tuple[int, ...]:
    """``3`` or ``0,2,5`` or ``0-9`` (inclusive), or a mix (``0-4,9``); nothing else."""
    seeds: list[int] = []
    for part in text.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if match is None:
            where = repr(part.strip()) if part.strip() == text.strip() else f"{part.strip()!r} in {text!r}"
            raise argparse.ArgumentTypeError(
                f"cannot read {where}: write seeds as 3, 0,2,5 or 0-9 (whole numbers from 0 to {SEED_LIMIT - 1})"
            )
        first = _seed(match[1])
        last = _seed(match[2]) if match[2] is not None else first
        if last < first:
            raise argparse.ArgumentTypeError(f"empty seed range {part!r}")
        if last - first >= MAX_SEEDS_PER_RANGE:
            raise argparse.ArgumentTypeError(f"the seed range {part!r} holds more than {MAX_SEEDS_PER_RANGE} seeds")
        seeds.extend(range(first, last + 1))
    if len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"seeds repeat in {text!r}")
    return tuple(seeds)


def _scheduler_address(text: str) -> str:
    try:
        return check_address(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, got {text!r}")
    return value


def _experiment_name(text: str) -> str:
    from penguins.experiments import EXPERIMENTS

    if text not in EXPERIMENTS:
        raise argparse.ArgumentTypeError(f"unknown experiment {text!r}; `penguins list` shows the names")
    return text


def _add_sweep_options(parser: argparse.ArgumentParser, variant: bool = True, scheduler: bool = True) -> None:
    """The options of the commands that run sweeps.

    A command that cannot use ``--variant`` or ``--scheduler`` does not take it (argparse then
    refuses it) rather than ignore it.
    """
    parser.add_argument(
        "--preset", choices=PRESETS, default="full",
        help="grid size: full (the post's ranges), quick or smoke (default: full)",
    )
    parser.add_argument(
        "--seeds", type=_seeds, help=f"seeds as 0-9 or 0,3,7, from 0 to {SEED_LIMIT - 1} (default: the preset's)"
    )
    if variant:
        parser.add_argument("--variant", choices=VARIANTS, default="post", help="preprocessing (default: post)")
    parser.add_argument("--jobs", type=_positive_int, default=1, help="parallel worker processes (default 1)")
    if scheduler:
        parser.add_argument(
            "--scheduler", metavar="ADDRESS", type=_scheduler_address,
            help=(
                "run on a Dask distributed scheduler (e.g. tcp://host:8786); "
                f"fails after {Scheduler.connect_timeout_s:g} s if it cannot be reached"
            ),
        )
        parser.add_argument(
            "--worker-timeout", metavar="SECONDS", type=_positive_seconds,
            help=(
                "with --scheduler: stop with an error once the cluster has had no worker for this long "
                f"(default {Scheduler.worker_timeout_s:g})"
            ),
        )


def _run_name(text: str) -> str:
    if text not in NAMED_RUNS:
        raise argparse.ArgumentTypeError(f"unknown run {text!r}; `penguins list` shows the names")
    return text


def build_parser() -> argparse.ArgumentParser:
    """The ``penguins`` command's parser, every subcommand with its options."""
    parser = _Parser(prog="penguins", description="Reproduce the Penguins neural-network post.")
    parser.add_argument(
        "--store", metavar="DIR", help="results store folder (default: $PENGUINS_STORE or ./.penguins-store)"
    )
    parser.add_argument(
        "--debug", action="store_true", help=f"show the Python traceback of an error (also: ${DEBUG_VARIABLE}=1)"
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    commands.add_parser("list", help="show what can be run", description="Show the named runs.")

    run = commands.add_parser(
        "run", help="run one named run through the store",
        description="Train a named run (or read it from the store) and print its scores.",
    )
    run.add_argument("name", type=_run_name, help="a name from `penguins list`")
    run.add_argument(
        "--seed", type=_seed, default=0,
        help=f"seed for the split, initial weights and batch order, 0 to {SEED_LIMIT - 1} (default 0)",
    )
    run.add_argument("--variant", choices=VARIANTS, default="post", help="preprocessing (default: post)")
    run.add_argument("--epochs", type=_positive_int, help="override the number of epochs (networks only)")
    run.add_argument(
        "--engine", choices=ENGINES, default=DEFAULT_ENGINE,
        help=(
            "jax: the sweep engine, where it can train the network; keras: one Keras model, epoch by epoch "
            "(default: jax)"
        ),
    )

    sweep = commands.add_parser(
        "sweep", help="run one experiment over its grid and seeds",
        description="Run every point of an experiment for every seed, through the store, and print its summary.",
    )
    sweep.add_argument("name", type=_experiment_name, help="an experiment from `penguins list`")
    _add_sweep_options(sweep)

    reproduce = commands.add_parser(
        "reproduce", help="run every section of the post",
        description=(
            "Run every experiment and search of the post through the store and print a summary table, then what the "
            "chapters measure beyond the post (the post's seed, logistic splits, Keras-measured searches)."
        ),
    )
    _add_sweep_options(reproduce)
    for parser_with_engine in (sweep, reproduce):
        parser_with_engine.add_argument(
            "--engine", choices=ENGINES, default=DEFAULT_ENGINE,
            help=(
                "jax: the sweep engine trains the networks and the searches' fits, Keras the rest; keras: one Keras "
                "model per run and scikeras / Keras Tuner searches, the reference (default: jax)"
            ),
        )

    claims = commands.add_parser(
        "claims", help="check the post's numbers and conclusions",
        description=(
            "Compare every number and conclusion of the post with the reproduced results (through the store) "
            "and print the ledger."
        ),
    )
    _add_sweep_options(claims, scheduler=False)

    variants = commands.add_parser(
        "variants", help="post vs leak-free preprocessing, per section",
        description=(
            "Run every experiment with both preprocessings (through the store) and print, per point, the mean test "
            "accuracy of each and the per-seed difference."
        ),
    )
    _add_sweep_options(variants, variant=False)
    for timed in (sweep, reproduce, variants):
        timed.add_argument(
            "--timings", metavar="FILE",
            help=(
                "append one JSON line per section to FILE: its name, wall time in seconds and results "
                "(benchmarks/site.py reads it)"
            ),
        )

    check = commands.add_parser(
        "check", help="the reproduce gate: compare with the committed reference",
        description=(
            "Recompute a preset through the store and compare it with reference/<preset>.json: exact where the value "
            "is deterministic, within a tolerance from the seed spread elsewhere. Exits 1 when anything moved."
        ),
    )
    check.add_argument("--preset", choices=PRESETS, default="smoke", help="which reference (default: smoke)")
    check.add_argument("--jobs", type=_positive_int, default=1, help="parallel worker processes (default 1)")
    check.add_argument(
        "--reference", metavar="DIR", help="folder of the reference files (default: reference/ in the project)"
    )
    check.add_argument(
        "--update", action="store_true", help="write the reference from the current results instead of comparing"
    )
    check.add_argument("--all", action="store_true", help="list every compared value, not only those that moved")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``penguins`` command; its exit status (a fault is one line on stderr, not a traceback)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "worker_timeout", None) is not None and args.scheduler is None:
        parser.error("--worker-timeout applies to --scheduler")
    debug = args.debug or os.environ.get(DEBUG_VARIABLE) == "1"
    _report_warnings_on_stderr()
    if not debug:
        sys.unraisablehook = _exit_on_a_lost_interrupt
    try:
        return _dispatch(args)
    except KeyboardInterrupt:
        _ignore_further_interrupts()
        _say(INTERRUPTED)
        return 130
    except Exception as error:
        if debug:
            raise
        _say(f"penguins: error: {describe(error)}")
        return 1
    finally:
        _ignore_further_interrupts()


def _ignore_further_interrupts() -> None:
    """Ignore Ctrl-C from now on, when called in the main thread.

    Once the command ends, a late Ctrl-C (the second of two pressed quickly) must neither print a
    second line nor change the exit status while Python shuts down.
    """
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "list":
        return _list()
    if args.command == "run":
        return _run(args)
    from penguins.experiments import EXPERIMENTS
    from penguins.search import METHODS

    if args.command == "claims":
        return _claims(args)
    if args.command == "check":
        return _check(args)
    if args.command == "variants":
        return _variants(args)
    if args.command == "sweep":
        return _sweep([args.name], [], args)
    status = _sweep(list(EXPERIMENTS), list(METHODS), args)
    return status or _extras(args)


def describe(error: BaseException) -> str:
    """``error`` as one line for the user: what went wrong and what to do.

    penguins' own errors (the store's, the scheduler's, the data file's) carry such a message; an
    OS error gets its reason, its file and advice; anything else is unexpected (a bug) and says how
    to see its traceback.
    """
    if type(error).__module__.startswith("penguins."):
        message = str(error)
    elif isinstance(error, OSError) and error.errno is None:  # raised with a message of its own
        message = str(error) or type(error).__name__
    elif isinstance(error, OSError):
        from penguins.store import advice, describe_os_error

        message = f"{describe_os_error(error)}; {advice(error.errno)}"
    else:
        message = (
            f"{type(error).__name__}: {error} "
            f"(unexpected: run again with --debug, or {DEBUG_VARIABLE}=1, for the traceback)"
        )
    return " ".join(message.split())


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _exit_on_a_lost_interrupt(unraisable) -> None:
    """``sys.unraisablehook``: end the command at once on a Ctrl-C that Python could not raise.

    Such a Ctrl-C landed in a garbage-collector callback or a ``__del__``, where Python prints
    "Exception ignored" and drops it; the command ends with the usual line. Entries are written
    atomically, so stopping here loses only the run under way; what a stop leaves behind is removed
    by the next command.
    """
    if unraisable.exc_type is not None and issubclass(unraisable.exc_type, KeyboardInterrupt):
        sys.stdout.flush()
        _say(INTERRUPTED)
        os._exit(130)
    sys.__unraisablehook__(unraisable)


class _AboveProgressBars(logging.Handler):
    """Writes a record as one line on stderr through tqdm, so that no progress bar overwrites it."""

    def emit(self, record: logging.LogRecord) -> None:
        from tqdm import tqdm

        tqdm.write(" ".join(self.format(record).split()), file=sys.stderr)


def _report_warnings_on_stderr() -> None:
    """Penguins' warnings (such as a damaged store entry it ignores) as 'penguins: ...' lines."""
    logger = logging.getLogger("penguins")
    if not any(isinstance(handler, _AboveProgressBars) for handler in logger.handlers):
        handler = _AboveProgressBars(logging.WARNING)
        handler.setFormatter(logging.Formatter("penguins: %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False


def _open_store(args: argparse.Namespace) -> ResultStore:
    """The store the command names, checked: a folder, not a file.

    It is cleared of what killed processes left behind (never an entry).
    """
    from penguins.store import ResultStore

    store = ResultStore(args.store)
    store.check()
    if not store.read_only:
        store.clean_leftovers()
    return store


def _scheduler(args: argparse.Namespace) -> Scheduler | None:
    if args.scheduler is None:
        return None
    if args.worker_timeout is None:
        return Scheduler(args.scheduler)
    return Scheduler(args.scheduler, worker_timeout_s=args.worker_timeout)


def _list() -> int:
    from penguins.experiments import EXPERIMENTS

    print("Runs (penguins run NAME):")
    width = max(len(name) for name in [*NAMED_RUNS, *EXPERIMENTS])
    for run in NAMED_RUNS.values():
        print(f"  {run.name:<{width}}  {run.description}")
    print("Experiments (penguins sweep NAME; penguins reproduce runs them all):")
    for experiment in EXPERIMENTS.values():
        print(f"  {experiment.name:<{width}}  {experiment.title}")
    return 0


class _SectionTimes:
    """``--timings FILE``: one JSON line per section a command computes, appended as the section ends.

    The line holds the command, the section, its wall time in seconds, how many results it holds and
    how many of them were trained now (``null`` where the command does not count them).
    """

    def __init__(self, args: argparse.Namespace) -> None:
        self.path = getattr(args, "timings", None)
        self.command = args.command
        self.started = time.perf_counter()

    def restart(self) -> None:
        """Start the clock of the next section."""
        self.started = time.perf_counter()

    def record(self, section: str, results: int | None = None, trained: int | None = None) -> None:
        """The section that ends now, timed since the last :meth:`restart`; then restart."""
        seconds = time.perf_counter() - self.started
        if self.path is not None:
            line = {
                "command": self.command, "section": section, "seconds": round(seconds, 3), "results": results,
                "trained": trained,
            }
            with open(self.path, "a", encoding="utf-8") as file:
                file.write(json.dumps(line) + "\n")
        self.restart()


def _sweep(names: list[str], methods: list[str], args: argparse.Namespace) -> int:
    from penguins.sweep import run_experiment, run_search_sweep, summarise

    store = _open_store(args)
    options = dict(
        preset=args.preset, seeds=args.seeds, variant=args.variant, jobs=args.jobs, scheduler=_scheduler(args),
        store=store, progress=True,
    )
    rows = []
    computed = total = 0
    times = _SectionTimes(args)
    for name in names:
        result = run_experiment(name, **options, engine=args.engine)
        times.record(name, len(result.values) * len(result.seeds), result.computed)
        computed += result.computed
        total += len(result.values) * len(result.seeds)
        for row in result.summary().itertuples(index=False):
            rows.append((name, str(row[0]), row.n_seeds, row.mean, row.std, row.ci_low, row.ci_high))
    for method in methods:
        searched = run_search_sweep(method, **options, engine=args.engine)
        times.record(f"{method}-search", len(searched.seeds), searched.computed)
        computed += searched.computed
        total += len(searched.seeds)
        table = searched.table().assign(search=f"{method} (refit)")
        row = next(summarise(table, "search", "test_accuracy").itertuples(index=False))
        rows.append((f"{method} search", "best model", row.n_seeds, row.mean, row.std, row.ci_low, row.ci_high))
    width = max([len("experiment"), *(len(row[0]) for row in rows)])  # "hyperband search" is the longest
    print(f"{'experiment':<{width}} {'point':<15} {'seeds':>5} {'test acc':>9} {'sd':>7}  95% interval")
    for name, point, n, mean, std, low, high in rows:
        print(f"{name:<{width}} {point:<15} {n:>5} {mean:>9.3f} {std:>7.3f}  [{low:.3f}, {high:.3f}]")
    print(
        f"{total} runs ({args.preset} preset, {args.variant} preprocessing): {computed} trained now, "
        f"{total - computed} from the store"
    )
    return 0


def _extras(args: argparse.Namespace) -> int:
    """What the chapters measure beyond the post's sections (penguins.extras), for the post's preprocessing."""
    if args.variant != "post":
        return 0
    from penguins.extras import compute_parts

    total = computed = 0
    times = _SectionTimes(args)
    for part, results, trained in compute_parts(
        args.preset, _open_store(args), jobs=args.jobs, progress=True, scheduler=_scheduler(args)
    ):
        times.record(part, results, trained)
        total, computed = total + results, computed + trained
    print(f"{total} more results for the chapters (the post's seed, logistic splits, Keras-measured searches, "
          f"the post's candidates, clean early stopping, unseeded runs, Keras Tuner's unit counts): "
          f"{computed} trained now, {total - computed} from the store")
    return 0


def _check(args: argparse.Namespace) -> int:
    from penguins.reference import (
        compare,
        compute_reference,
        format_movements,
        load_reference,
        reference_path,
        save_reference,
    )

    path = reference_path(args.preset, args.reference)
    if args.update:
        current = compute_reference(args.preset, store=_open_store(args), jobs=args.jobs)
        save_reference(current, path)
        print(f"wrote {path} ({len(current['summaries'])} summaries, {len(current['exact'])} exact values)")
        return 0
    reference = load_reference(path)
    current = compute_reference(args.preset, seeds=reference["seeds"], store=_open_store(args), jobs=args.jobs)
    movements = compare(reference, current)
    print(format_movements(movements, show_all=args.all))
    moved = sum(movement.moved for movement in movements)
    print(f"reproduce gate ({args.preset}): {'FAILED, ' + str(moved) + ' moved' if moved else 'passed'} against {path}")
    return 1 if moved else 0


def _variants(args: argparse.Namespace) -> int:
    from penguins.experiments import EXPERIMENTS
    from penguins.sweep import compare_variants

    store = _open_store(args)
    print(f"{'experiment':<15} {'point':<15} {'post':>7} {'leak-free':>9} {'difference':>10}  95% interval")
    times = _SectionTimes(args)
    for name in EXPERIMENTS:
        comparison = compare_variants(
            name, args.preset, args.seeds, store=store, jobs=args.jobs, scheduler=_scheduler(args)
        )
        times.record(name)
        for row in comparison.itertuples(index=False):
            print(
                f"{name:<15} {str(row[0]):<15} {row.test_accuracy_post:>7.3f} {row.test_accuracy_leak_free:>9.3f} "
                f"{row.mean:>+10.3f}  [{row.ci_low:+.3f}, {row.ci_high:+.3f}]"
            )
    return 0


def _claims(args: argparse.Namespace) -> int:
    from penguins.claims import format_ledger, ledger

    print(
        format_ledger(
            ledger(preset=args.preset, seeds=args.seeds, variant=args.variant, jobs=args.jobs, store=_open_store(args))
        )
    )
    return 0


def _run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from penguins.runner import engine_trains, run
    from penguins.sweep import stop_requested_on_sigint

    spec = NAMED_RUNS[args.name].spec
    if args.epochs is not None:
        if not isinstance(spec, NetworkSpec):
            build_parser().error(f"--epochs applies to networks; {args.name!r} is not one")
        spec = replace(spec, epochs=args.epochs)
    epochs = getattr(spec, "epochs", 0)
    store = _open_store(args)
    on_keras = not engine_trains(spec, args.engine)  # the engine trains every epoch in one call: no progress
    bar_options = {
        "desc": args.name, "unit": "epoch", "file": sys.stderr, "disable": epochs == 0 or not on_keras, "leave": False
    }
    with stop_requested_on_sigint() as stop, tqdm(total=epochs, **bar_options) as bar:

        def after_epoch(*_) -> None:  # a first Ctrl-C stops at the end of the epoch under way
            bar.update()
            if stop.is_set():
                raise KeyboardInterrupt

        progress = after_epoch if on_keras else None
        record, cached = run(
            spec, seed=args.seed, variant=args.variant, store=store, on_epoch_end=progress, engine=args.engine
        )
    source = "from the store" if cached else f"trained in {record.wall_time_s:.1f} s"
    print(f"{args.name} (seed {record.seed}, {record.variant} preprocessing, {source})")
    print(f"  train accuracy {record.train_accuracy:.3f}   loss {record.train_loss:.4f}")
    print(f"  test accuracy  {record.test_accuracy:.3f}   loss {record.test_loss:.4f}")
    if record.epochs_run:
        print(f"  epochs run     {record.epochs_run}")
    print("  confusion matrix (rows: true Adelie, Gentoo, Chinstrap)")
    for row in record.confusion_matrix:
        print("   " + " ".join(f"{count:4d}" for count in row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
