"""The ``penguins`` command: list what can be run, run it through the results store."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import NoReturn, Sequence

from penguins.catalog import NAMED_RUNS
from penguins.preprocessing import VARIANTS
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "list":
        return _list()
    return _run(args)


def _list() -> int:
    width = max(len(name) for name in NAMED_RUNS)
    for run in NAMED_RUNS.values():
        print(f"{run.name:<{width}}  {run.description}")
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
