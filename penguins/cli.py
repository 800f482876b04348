"""The ``penguins`` command: list what can be run, run it through the results store."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import NoReturn, Sequence

from penguins.catalog import NAMED_RUNS
from penguins.preprocessing import VARIANTS
from penguins.presets import PRESETS
from penguins.runner import DEFAULT_ENGINE, ENGINES
from penguins.spec import NetworkSpec


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line, exit status 2, no usage dump."""

    def error(self, message: str) -> NoReturn:
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


def _seeds(text: str) -> tuple[int, ...]:
    """``3`` or ``0,2,5`` or ``0-9`` (inclusive)."""
    seeds: list[int] = []
    for part in text.split(","):
        low, _, high = part.strip().partition("-")
        first, last = _non_negative_int(low), _non_negative_int(high) if high else None
        if last is not None and last < first:
            raise argparse.ArgumentTypeError(f"empty seed range {part!r}")
        seeds.extend(range(first, (last if last is not None else first) + 1))
    if len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"seeds repeat in {text!r}")
    return tuple(seeds)


def _experiment_name(text: str) -> str:
    from penguins.experiments import EXPERIMENTS

    if text not in EXPERIMENTS:
        raise argparse.ArgumentTypeError(f"unknown experiment {text!r}; `penguins list` shows the names")
    return text


def _add_sweep_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", choices=PRESETS, default="full", help="grid size: full (the post's ranges), quick or smoke (default: full)")
    parser.add_argument("--seeds", type=_seeds, help="seeds as 0-9 or 0,3,7 (default: the preset's)")
    parser.add_argument("--variant", choices=VARIANTS, default="post", help="preprocessing (default: post)")
    parser.add_argument("--jobs", type=_positive_int, default=1, help="parallel worker processes (default 1)")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="run on a Dask distributed scheduler (e.g. tcp://host:8786)")


def _run_name(text: str) -> str:
    if text not in NAMED_RUNS:
        raise argparse.ArgumentTypeError(f"unknown run {text!r}; `penguins list` shows the names")
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="penguins", description="Reproduce the Penguins neural-network post.")
    parser.add_argument("--store", metavar="DIR", help="results store folder (default: $PENGUINS_STORE or ./.penguins-store)")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    commands.add_parser("list", help="show what can be run", description="Show the named runs.")

    run = commands.add_parser("run", help="run one named run through the store", description="Train a named run (or read it from the store) and print its scores.")
    run.add_argument("name", type=_run_name, help="a name from `penguins list`")
    run.add_argument("--seed", type=_non_negative_int, default=0, help="seed for the split, initial weights and batch order (default 0)")
    run.add_argument("--variant", choices=VARIANTS, default="post", help="preprocessing (default: post)")
    run.add_argument("--epochs", type=_positive_int, help="override the number of epochs (networks only)")

    sweep = commands.add_parser("sweep", help="run one experiment over its grid and seeds", description="Run every point of an experiment for every seed, through the store, and print its summary.")
    sweep.add_argument("name", type=_experiment_name, help="an experiment from `penguins list`")
    _add_sweep_options(sweep)

    reproduce = commands.add_parser("reproduce", help="run every section of the post", description="Run every experiment and search of the post through the store and print a summary table, then what the chapters measure beyond the post (the post's seed, logistic splits, Keras-measured searches).")
    _add_sweep_options(reproduce)
    for parser_with_engine in (sweep, reproduce):
        parser_with_engine.add_argument(
            "--engine", choices=ENGINES, default=DEFAULT_ENGINE,
            help="jax: the sweep engine trains the networks and the searches' fits, Keras the rest; keras: one Keras model per run and scikeras / Keras Tuner searches, the reference (default: jax)",
        )

    claims = commands.add_parser("claims", help="check the post's numbers and conclusions", description="Compare every number and conclusion of the post with the reproduced results (through the store) and print the ledger.")
    _add_sweep_options(claims)

    variants = commands.add_parser("variants", help="post vs leak-free preprocessing, per section", description="Run every experiment with both preprocessings (through the store) and print, per point, the mean test accuracy of each and the per-seed difference.")
    _add_sweep_options(variants)

    check = commands.add_parser("check", help="the reproduce gate: compare with the committed reference", description="Recompute a preset through the store and compare it with reference/<preset>.json: exact where the value is deterministic, within a tolerance from the seed spread elsewhere. Exits 1 when anything moved.")
    check.add_argument("--preset", choices=PRESETS, default="smoke", help="which reference (default: smoke)")
    check.add_argument("--jobs", type=_positive_int, default=1, help="parallel worker processes (default 1)")
    check.add_argument("--reference", metavar="DIR", help="folder of the reference files (default: reference/ in the project)")
    check.add_argument("--update", action="store_true", help="write the reference from the current results instead of comparing")
    check.add_argument("--all", action="store_true", help="list every compared value, not only those that moved")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "list":
        return _list()
    if args.command == "run":
        return _run(args)
    from penguins.experiments import EXPERIMENTS
    from penguins.search import METHODS

    try:
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
    except KeyboardInterrupt:
        print("interrupted: finished runs are kept in the store; run the same command again to continue", file=sys.stderr)
        return 130


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


def _sweep(names: list[str], methods: list[str], args: argparse.Namespace) -> int:
    from penguins.store import ResultStore
    from penguins.sweep import run_experiment, run_search_sweep, summarise

    store = ResultStore(args.store)
    options = dict(preset=args.preset, seeds=args.seeds, variant=args.variant, jobs=args.jobs, scheduler=args.scheduler, store=store, progress=True)
    rows = []
    computed = total = 0
    for name in names:
        result = run_experiment(name, **options, engine=args.engine)
        computed += result.computed
        total += len(result.values) * len(result.seeds)
        for row in result.summary().itertuples(index=False):
            rows.append((name, str(row[0]), row.n_seeds, row.mean, row.std, row.ci_low, row.ci_high))
    for method in methods:
        searched = run_search_sweep(method, **options, engine=args.engine)
        computed += searched.computed
        total += len(searched.seeds)
        table = searched.table().assign(search=f"{method} (refit)")
        row = next(summarise(table, "search", "test_accuracy").itertuples(index=False))
        rows.append((f"{method} search", "best model", row.n_seeds, row.mean, row.std, row.ci_low, row.ci_high))
    width = max([len("experiment"), *(len(row[0]) for row in rows)])  # "hyperband search" is the longest
    print(f"{'experiment':<{width}} {'point':<15} {'seeds':>5} {'test acc':>9} {'sd':>7}  95% interval")
    for name, point, n, mean, std, low, high in rows:
        print(f"{name:<{width}} {point:<15} {n:>5} {mean:>9.3f} {std:>7.3f}  [{low:.3f}, {high:.3f}]")
    print(f"{total} runs ({args.preset} preset, {args.variant} preprocessing): {computed} trained now, {total - computed} from the store")
    return 0


def _extras(args: argparse.Namespace) -> int:
    """What the chapters measure beyond the post's sections (penguins.extras), for the post's preprocessing."""
    if args.variant != "post":
        return 0
    from penguins.extras import compute_all
    from penguins.store import ResultStore

    total, computed = compute_all(args.preset, ResultStore(args.store), jobs=args.jobs, progress=True)
    print(f"{total} more results for the chapters (the post's seed, logistic splits, Keras-measured searches): "
          f"{computed} trained now, {total - computed} from the store")
    return 0


def _check(args: argparse.Namespace) -> int:
    from penguins.reference import compare, compute_reference, format_movements, load_reference, reference_path, save_reference
    from penguins.store import ResultStore

    path = reference_path(args.preset, args.reference)
    reference = None if args.update else load_reference(path)
    current = compute_reference(args.preset, seeds=reference["seeds"] if reference else None, store=ResultStore(args.store), jobs=args.jobs)
    if args.update:
        save_reference(current, path)
        print(f"wrote {path} ({len(current['summaries'])} summaries, {len(current['exact'])} exact values)")
        return 0
    movements = compare(reference, current)
    print(format_movements(movements, show_all=args.all))
    moved = sum(movement.moved for movement in movements)
    print(f"reproduce gate ({args.preset}): {'FAILED, ' + str(moved) + ' moved' if moved else 'passed'} against {path}")
    return 1 if moved else 0


def _variants(args: argparse.Namespace) -> int:
    from penguins.experiments import EXPERIMENTS
    from penguins.store import ResultStore
    from penguins.sweep import compare_variants

    store = ResultStore(args.store)
    print(f"{'experiment':<15} {'point':<15} {'post':>7} {'leak-free':>9} {'difference':>10}  95% interval")
    for name in EXPERIMENTS:
        comparison = compare_variants(name, args.preset, args.seeds, store=store, jobs=args.jobs)
        for row in comparison.itertuples(index=False):
            print(
                f"{name:<15} {str(row[0]):<15} {row.test_accuracy_post:>7.3f} {row.test_accuracy_leak_free:>9.3f} "
                f"{row.mean:>+10.3f}  [{row.ci_low:+.3f}, {row.ci_high:+.3f}]"
            )
    return 0


def _claims(args: argparse.Namespace) -> int:
    from penguins.claims import format_ledger, ledger

    print(format_ledger(ledger(preset=args.preset, seeds=args.seeds, variant=args.variant, jobs=args.jobs, store=args.store)))
    return 0


def _run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from penguins.runner import run
    from penguins.store import ResultStore

    spec = NAMED_RUNS[args.name].spec
    if args.epochs is not None:
        if not isinstance(spec, NetworkSpec):
            build_parser().error(f"--epochs applies to networks; {args.name!r} is not one")
        spec = replace(spec, epochs=args.epochs)
    epochs = getattr(spec, "epochs", 0)
    with tqdm(total=epochs, desc=args.name, unit="epoch", file=sys.stderr, disable=epochs == 0, leave=False) as bar:
        record, cached = run(
            spec, seed=args.seed, variant=args.variant, store=ResultStore(args.store), on_epoch_end=lambda *_: bar.update()
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
