"""Benchmark: the JAX sweep engine against the plain one-Keras-model-per-point loop.

    python benchmarks/engine.py                    # subset comparison, then the full preset (10 seeds, 2 processes)
    python benchmarks/engine.py --full-seeds 1     # the full preset with one seed only
    python benchmarks/engine.py --skip-full        # only the subset comparison (about 5 minutes)
    python benchmarks/engine.py --subset full --skip-full   # the post's whole sweeps, one seed (over an hour)

1. Shared subset: the five sweeps' points of ``--subset`` (default the ``quick`` preset), one seed.
   ``--subset full`` is every point of the post's five sweeps (345 runs, up to 99 layers): the
   workload one seed of the site costs. The plain loop runs ``--plain-chunk`` points per fresh
   process (libraries imported before each clock) and adds up the times: TensorFlow keeps every
   traced function (keras-team/tf-keras#286), so one process for all 345 points grows to 10 GB and
   Keras' ``clear_session`` (its ``gc.collect``) ends up taking most of each run's time; that run
   had not finished after 112 minutes.
   The plain loop (``training.train`` per point) and the engine (``engine.train_batch`` on all
   points at once) each run in a fresh process, libraries imported before the clock starts. The
   engine runs three ways: compiling every program (an empty XLA compile cache), loading them
   from the compile cache a first process filled (what a sweep does, which keeps that cache in
   the results store), and again in the same process (the steady state of a long sweep). Prints
   the times, the ratios, and how far the two paths' results are apart on every point (the
   deepest networks differ per seed: round-off alone changes them, see tests/test_engine.py).
2. Full preset: every section of the post as ``penguins reproduce`` runs them (every network and
   every fit of the three searches on the engine, logistic regression on scikit-learn) for
   ``--full-seeds`` seeds with ``--jobs`` worker processes, into an empty results store in a
   temporary folder; the wall time per section and in all, compiling and storing included.

Prints as it goes, then writes the run's figures to its section of benchmarks/RESULTS.md
(benchmarks/results_file.py): the documentation quotes none of them.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # run as a script: its sibling results_file.py
from results_file import write_section  # noqa: E402

SWEEPS = ("depth", "width", "shape", "epochs", "batch-size")


def points(preset: str) -> list[tuple[str, object, object]]:
    from penguins.experiments import EXPERIMENTS

    return [(name, point.value, point.spec) for name in SWEEPS for point in EXPERIMENTS[name].points(preset)]


def import_libraries() -> None:
    """TensorFlow, Keras and JAX, imported before any clock starts (both paths pay the same ~7 s)."""
    import penguins  # noqa: F401, I001  (first: the package's process settings, penguins.runtime)

    import jax  # noqa: F401
    import keras  # noqa: F401


def plain_loop(specs, seeds, variant) -> tuple[float, list[dict]]:
    import_libraries()
    from penguins.training import train

    started = time.perf_counter()
    records = [train(spec, seed, variant).to_dict() for spec, seed in zip(specs, seeds, strict=True)]
    return time.perf_counter() - started, records


def engine_twice(specs, seeds, variant, compile_cache: str) -> tuple[float, float, list[dict]]:
    """The engine's first call in a fresh process (with XLA's compile cache in ``compile_cache``:
    empty, it compiles every program; filled by an earlier process, it loads them), then the
    same call again with every program compiled."""
    import_libraries()
    from penguins.engine import enable_compile_cache, train_batch

    enable_compile_cache(compile_cache)
    started = time.perf_counter()
    records = train_batch(specs, seeds, variant)
    first = time.perf_counter() - started
    started = time.perf_counter()
    train_batch(specs, seeds, variant)
    again = time.perf_counter() - started
    return first, again, [record.to_dict() for record in records]


def full_preset(n_seeds: int, jobs: int, variant: str) -> list[str]:
    """Every section of the full preset into an empty store; returns the Markdown rows it measured."""
    from penguins.experiments import EXPERIMENTS
    from penguins.search import METHODS
    from penguins.store import ResultStore
    from penguins.sweep import run_experiment, run_search_sweep

    seeds = list(range(n_seeds))
    print(f"\nfull preset, {n_seeds} seeds, {jobs} processes, empty store (networks and searches on the engine)",
          flush=True)
    with tempfile.TemporaryDirectory(prefix="penguins-benchmark-") as folder:
        store = ResultStore(folder)
        started = time.perf_counter()
        rows = []
        for name in EXPERIMENTS:
            section_started = time.perf_counter()
            result = run_experiment(name, "full", seeds, variant, jobs=jobs, store=store)
            engines = "+".join(sorted({record.engine for records in result.records for record in records}))
            runs, seconds = len(result.values) * len(seeds), time.perf_counter() - section_started
            rows.append(f"| {name} | {runs} | {engines} | {seconds:.1f} |")
            print(f"  {name:<15} {runs:5d} runs ({engines:9s}) {seconds:7.1f} s", flush=True)
        experiments = time.perf_counter() - started
        print(f"  the experiments: {experiments:.1f} s ({experiments / 60:.1f} min)", flush=True)
        for method in METHODS:
            search_started = time.perf_counter()
            searched = run_search_sweep(method, "full", seeds, variant, jobs=jobs, store=store)
            engines = "+".join(sorted({record.engine for record in searched.records}))
            seconds = time.perf_counter() - search_started
            rows.append(f"| {method} search | {n_seeds} | {engines} | {seconds:.1f} |")
            print(f"  {method + ' search':<15} {n_seeds:5d} runs ({engines:9s}) {seconds:7.1f} s", flush=True)
        total = time.perf_counter() - started
        print(f"  every section, the three searches included: {total:.1f} s ({total / 60:.1f} min)")
    return [
        f"Full preset, {n_seeds} seeds, {jobs} processes, empty store (`--full-seeds {n_seeds} --jobs {jobs}`):",
        "",
        "| section | runs | engine | seconds |",
        "| --- | ---: | --- | ---: |",
        *rows,
        f"| **every section** | | | **{total:.1f}** |",
    ]


def in_fresh_process(function, *args):
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def compare(plain: list[dict], engine: list[dict], labels: list[str]) -> list[str]:
    """Print how far the engine's results are from plain Keras' per point; returns the same as Markdown."""
    import numpy as np

    # from this depth round-off alone changes a run (tests/test_engine.py compares those over seeds)
    from penguins.reference import CHAOTIC_DEPTH

    points = list(zip(labels, engine, plain, strict=True))
    shallow = [(label, mine, theirs) for label, mine, theirs in points if len(theirs["spec"]["hidden"]) < CHAOTIC_DEPTH]
    deep = [label for label, _, theirs in points if len(theirs["spec"]["hidden"]) >= CHAOTIC_DEPTH]
    worst = {"loss": (0.0, ""), "probability": (0.0, ""), "history": (0.0, "")}
    accuracy_differences = []
    for label, mine, theirs in shallow:
        for key in ("train_accuracy", "test_accuracy"):
            if mine[key] != theirs[key]:
                accuracy_differences.append(f"{label} {key}: engine {mine[key]:.4f} keras {theirs[key]:.4f}")
        values = {
            "loss": max(abs(mine["train_loss"] - theirs["train_loss"]), abs(mine["test_loss"] - theirs["test_loss"])),
            "probability": float(np.max(np.abs(np.array(mine["test_probabilities"]) - theirs["test_probabilities"]))),
            "history": max(
                float(np.max(np.abs(np.array(mine["history"][k]) - theirs["history"][k]))) for k in theirs["history"]
            ),
        }
        for key, value in values.items():
            if value >= worst[key][0]:
                worst[key] = (value, label)
    print(f"  points with fewer than {CHAOTIC_DEPTH} hidden layers: {len(shallow)}; "
          f"a different train/test accuracy on {len(accuracy_differences)}")
    for line in accuracy_differences:
        print("   ", line)
    for key, (value, label) in worst.items():
        print(f"  largest |engine - keras| {key}: {value:.2e} ({label})")
    if deep:
        print(f"  not compared per point (chaotic, compared over seeds in tests/test_engine.py): {', '.join(deep)}")
    return [
        f"Equivalence on the {len(shallow)} points with fewer than {CHAOTIC_DEPTH} hidden layers: a different "
        f"train or test accuracy on {len({line.split()[0] for line in accuracy_differences})}; largest differences "
        + ", ".join(f"{key} {value:.1e} ({label})" for key, (value, label) in worst.items())
        + (f"; {len(deep)} deeper points compared over seeds instead (tests/test_engine.py)." if deep else "."),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subset", default="quick", choices=("quick", "smoke", "full"))
    parser.add_argument("--seed", type=int, default=0, help="the subset's seed")
    parser.add_argument("--full-seeds", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2, help="processes for the full preset")
    parser.add_argument("--variant", default="post")
    parser.add_argument("--plain-chunk", type=int, default=25,
                        help="plain-loop points per fresh process (TensorFlow leaks)")
    parser.add_argument("--skip-plain", action="store_true")
    parser.add_argument("--skip-full", action="store_true")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start", flush=True)
    load_at_start = os.getloadavg()[0]

    subset = points(args.subset)
    labels = [f"{name}={value}" for name, value, _ in subset]
    specs, seeds = [spec for _, _, spec in subset], [args.seed] * len(subset)
    print(f"\nshared subset: the {args.subset} preset's points of {', '.join(SWEEPS)}; seed {args.seed}; "
          f"{len(specs)} runs", flush=True)
    print("  (libraries imported before timing in every process)")
    with tempfile.TemporaryDirectory(prefix="penguins-xla-cache-") as cache:
        cold, warm, engine_records = in_fresh_process(engine_twice, specs, seeds, args.variant, cache)
        cached, _, _ = in_fresh_process(engine_twice, specs, seeds, args.variant, cache)
    timings = {
        "engine, fresh process, compiling every program": cold,
        "engine, fresh process, programs from XLA's compile cache": cached,
        "engine, programs compiled (same process, again)": warm,
    }
    for label, seconds in timings.items():
        print(f"  {label + ':':<58}{seconds:8.1f} s", flush=True)
    rows = {label: f"{seconds:.1f}" for label, seconds in timings.items()}
    notes: list[str] = []
    if not args.skip_plain:
        plain, plain_records = 0.0, []
        for start in range(0, len(specs), args.plain_chunk):
            chunk = slice(start, start + args.plain_chunk)
            seconds, records = in_fresh_process(plain_loop, specs[chunk], seeds[chunk], args.variant)
            plain, plain_records = plain + seconds, plain_records + records
        print(f"  {f'plain Keras loop, {args.plain_chunk} points per fresh process:':<58}{plain:8.1f} s")
        rows[f"plain Keras loop, {args.plain_chunk} points per fresh process"] = f"{plain:.1f}"
        for label, seconds in timings.items():
            rows[label] += f" ({plain / seconds:.0f}x faster than plain Keras)"
        print(
            f"  ratio plain / engine: {plain / cold:.0f}x compiling, {plain / cached:.0f}x with the compile cache, "
            f"{plain / warm:.0f}x compiled"
        )
        notes = compare(plain_records, engine_records, labels)

    full = [] if args.skip_full else full_preset(args.full_seeds, args.jobs, args.variant)
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")
    command = " ".join(["python benchmarks/engine.py", *sys.argv[1:]])
    write_section(__file__, "\n".join([
        f"`{command}`; load average {load_at_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end.",
        "",
        f"Shared subset: the `{args.subset}` preset's points of {', '.join(SWEEPS)}, seed {args.seed}, "
        f"{len(specs)} runs (libraries imported before every clock):",
        "",
        "| what | seconds |",
        "| --- | ---: |",
        *(f"| {label} | {value} |" for label, value in rows.items()),
        "",
        *notes,
        "",
        *full,
    ]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
