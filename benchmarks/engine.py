"""Benchmark: the JAX sweep engine against the plain one-Keras-model-per-point loop.

    python benchmarks/engine.py                    # subset comparison, then the full preset (10 seeds, 2 processes)
    python benchmarks/engine.py --full-seeds 1     # the full preset with one seed only
    python benchmarks/engine.py --skip-full        # only the subset comparison

1. Shared subset: the five sweeps' points of ``--subset`` (default the ``quick`` preset), one seed.
   The plain loop (``training.train`` per point) and the engine (``engine.train_batch`` on all
   points at once) each run once in a fresh process; the engine's time includes compiling its
   programs. It then trains the same points again in the same process (programs compiled: the
   steady state of a long sweep). Prints both times, their ratio, and how far the two paths'
   results are apart on every point.
2. Full preset: every point of the five sweeps for ``--full-seeds`` seeds, split over ``--jobs``
   fresh processes (``engine.split_work``), no results store; the wall time from start to the
   last record, compiling included.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

SWEEPS = ("depth", "width", "shape", "epochs", "batch-size")


def points(preset: str) -> list[tuple[str, object, object]]:
    from penguins.experiments import EXPERIMENTS

    return [(name, point.value, point.spec) for name in SWEEPS for point in EXPERIMENTS[name].points(preset)]


def plain_loop(specs, seeds, variant) -> tuple[float, list[dict]]:
    from penguins.training import train

    started = time.perf_counter()
    records = [train(spec, seed, variant).to_dict() for spec, seed in zip(specs, seeds)]
    return time.perf_counter() - started, records


def engine_twice(specs, seeds, variant) -> tuple[float, float, list[dict]]:
    started = time.perf_counter()
    from penguins.engine import train_batch

    records = train_batch(specs, seeds, variant)
    cold = time.perf_counter() - started
    started = time.perf_counter()
    train_batch(specs, seeds, variant)
    warm = time.perf_counter() - started
    return cold, warm, [record.to_dict() for record in records]


def engine_part(specs, seeds, variant) -> tuple[int, float]:
    started = time.perf_counter()
    from penguins.engine import train_batch

    return len(train_batch(specs, seeds, variant)), time.perf_counter() - started


def in_fresh_process(function, *args):
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def compare(plain: list[dict], engine: list[dict], labels: list[str]) -> None:
    import numpy as np

    worst = {"loss": (0.0, ""), "probability": (0.0, ""), "history": (0.0, "")}
    accuracy_differences = []
    for label, mine, theirs in zip(labels, engine, plain):
        for key in ("train_accuracy", "test_accuracy"):
            if mine[key] != theirs[key]:
                accuracy_differences.append(f"{label} {key}: engine {mine[key]:.4f} keras {theirs[key]:.4f}")
        values = {
            "loss": max(abs(mine["train_loss"] - theirs["train_loss"]), abs(mine["test_loss"] - theirs["test_loss"])),
            "probability": float(np.max(np.abs(np.array(mine["test_probabilities"]) - theirs["test_probabilities"]))),
            "history": max(float(np.max(np.abs(np.array(mine["history"][k]) - theirs["history"][k]))) for k in theirs["history"]),
        }
        for key, value in values.items():
            if value >= worst[key][0]:
                worst[key] = (value, label)
    print(f"  points with a different train/test accuracy: {len(accuracy_differences)} of {len(labels)}")
    for line in accuracy_differences:
        print("   ", line)
    for key, (value, label) in worst.items():
        print(f"  largest |engine - keras| {key}: {value:.2e} ({label})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subset", default="quick", choices=("quick", "smoke", "full"))
    parser.add_argument("--seed", type=int, default=0, help="the subset's seed")
    parser.add_argument("--full-seeds", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2, help="processes for the full preset")
    parser.add_argument("--variant", default="post")
    parser.add_argument("--skip-plain", action="store_true")
    parser.add_argument("--skip-full", action="store_true")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start", flush=True)

    subset = points(args.subset)
    labels = [f"{name}={value}" for name, value, _ in subset]
    specs, seeds = [spec for _, _, spec in subset], [args.seed] * len(subset)
    print(f"\nshared subset: the {args.subset} preset's points of {', '.join(SWEEPS)}; seed {args.seed}; {len(specs)} runs", flush=True)
    cold, warm, engine_records = in_fresh_process(engine_twice, specs, seeds, args.variant)
    print(f"  engine, fresh process (compiling included): {cold:8.1f} s", flush=True)
    print(f"  engine, programs compiled:                  {warm:8.1f} s", flush=True)
    if not args.skip_plain:
        plain, plain_records = in_fresh_process(plain_loop, specs, seeds, args.variant)
        print(f"  plain Keras loop, fresh process:            {plain:8.1f} s")
        print(f"  ratio plain / engine: {plain / cold:.0f}x (engine compiling included), {plain / warm:.0f}x (compiled)")
        compare(plain_records, engine_records, labels)

    if not args.skip_full:
        from penguins.engine import split_work

        full = points("full")
        specs = [spec for _, _, spec in full for _ in range(args.full_seeds)]
        seeds = [seed for _ in full for seed in range(args.full_seeds)]
        parts = split_work(specs, seeds, args.jobs)
        print(f"\nfull preset: {len(full)} points of the five sweeps x {args.full_seeds} seeds = {len(specs)} runs, {len(parts)} processes", flush=True)
        started = time.perf_counter()
        with ProcessPoolExecutor(max_workers=len(parts), mp_context=get_context("spawn")) as pool:
            futures = [pool.submit(engine_part, [specs[i] for i in part], [seeds[i] for i in part], args.variant) for part in parts]
            results = [future.result() for future in futures]
        total = time.perf_counter() - started
        for index, (count, seconds) in enumerate(results):
            print(f"  process {index}: {count} runs in {seconds:.1f} s")
        print(f"  engine total for the full preset's five sweeps: {total:.1f} s ({total / 60:.1f} min)")
        if args.full_seeds != 10:
            print(f"  (10 seeds: at most about {total * 10 / args.full_seeds / 60:.1f} min; training grows linearly with seeds, compiling does not)")
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
