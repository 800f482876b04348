"""Run specs through the results store: compute once, then read.

Two engines train networks. ``keras`` builds one Keras model per run (:func:`penguins.training.train`):
the reference. ``jax`` (:mod:`penguins.engine`) trains many runs in one compiled program and
reproduces the Keras path to float round-off (``tests/test_engine.py``). Logistic regression is
always scikit-learn's (its records say ``engine="sklearn"``). A stored result names the engine that
computed it, so the two never stand in for each other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator, Sequence

from penguins.spec import Spec
from penguins.store import ResultStore
from penguins.training import EpochCallback, RunRecord, train

ENGINES = ("jax", "keras")
DEFAULT_ENGINE = "jax"


def check_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {ENGINES}")
    return engine


def payload(spec: Spec, seed: int, variant: str, engine: str = "keras") -> dict[str, Any]:
    """What determines a training result (the store adds the code and library versions)."""
    return {"task": "train", "spec": spec.to_dict(), "seed": seed, "variant": variant, "engine": check_engine(engine)}


def run(
    spec: Spec,
    seed: int = 0,
    variant: str = "post",
    store: ResultStore | None = None,
    on_epoch_end: EpochCallback | None = None,
) -> tuple[RunRecord, bool]:
    """The Keras record of ``spec`` for ``seed`` on ``variant`` data, and whether it was already stored."""
    store = store or ResultStore()
    result, cached = store.get_or_compute(payload(spec, seed, variant), lambda: train(spec, seed, variant, on_epoch_end).to_dict())
    return RunRecord.from_dict(result), cached


def engine_trains(spec: Spec, engine: str) -> bool:
    """Whether ``engine`` trains ``spec`` (what the JAX engine cannot train goes to Keras)."""
    if check_engine(engine) == "keras":
        return False
    from penguins.engine import supports

    return supports(spec)


def stored_engine_records(specs: Sequence[Spec], seeds: Sequence[int], variant: str, store: ResultStore) -> list[RunRecord | None]:
    """The JAX engine's stored record of each (spec, seed), or ``None`` where there is none yet."""
    found = (store.load(store.key(payload(spec, seed, variant, "jax"))) for spec, seed in zip(specs, seeds))
    return [None if result is None else RunRecord.from_dict(result) for result in found]


def train_into_store(
    specs: Sequence[Spec], seeds: Sequence[int], variant: str, store: ResultStore, stop_file: str | Path | None = None
) -> Iterator[tuple[list[int], list[RunRecord]]]:
    """Train (spec, seed) requests with the JAX engine and store each record as soon as its
    compiled call finishes; yield the indices of the requests each call finished and their
    records. Stops between calls once ``stop_file`` exists (how a sweep's Ctrl-C reaches worker
    processes).

    Unlike :func:`run`, this takes no per-key lock: two processes given the same missing
    requests would both train them and write equal entries (the engine is deterministic and a
    result does not depend on what else shares its call), the last write replacing the first.
    """
    from penguins import engine

    engine.enable_compile_cache(store.root / "xla-cache")
    for indices, records in engine.train_in_calls(specs, seeds, variant):
        for index, record in zip(indices, records):
            entry = payload(specs[index], seeds[index], variant, "jax")
            store.save(store.key(entry), entry, record.to_dict())
        yield indices, records
        if stop_file is not None and Path(stop_file).exists():
            return
