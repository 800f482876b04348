"""Run specs through the results store: compute once, then read.

Two engines train networks. ``keras`` builds one Keras model per run (:func:`penguins.training.train`):
the reference. ``jax`` (:mod:`penguins.engine`) trains many runs in one compiled program and
reproduces the Keras path to float round-off (``tests/test_engine.py``). Logistic regression is
always scikit-learn's (its records say ``engine="sklearn"``). A stored result names the engine that
computed it, so the two never stand in for each other.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from penguins.presets import check_seed
from penguins.spec import DEFAULT_ENGINE, ENGINE_JAX, ENGINE_KERAS, ENGINES, NetworkSpec, Spec
from penguins.store import KeyLock, ResultStore
from penguins.training import EpochCallback, RunRecord, train


def check_engine(engine: str) -> str:
    """``engine`` if it is one of :data:`~penguins.spec.ENGINES`, else one clear error."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {ENGINES}")
    return engine


@lru_cache(maxsize=4096)
def _spec_data(spec: Spec) -> dict[str, Any]:
    """``spec.to_dict()`` once per spec: a sweep keys every seed of each spec (``dataclasses.asdict`` is slow)."""
    return spec.to_dict()


def payload(spec: Spec, seed: int, variant: str, engine: str = ENGINE_KERAS) -> dict[str, Any]:
    """What determines a training result (the store adds the code and library versions)."""
    spec_data, seed, engine = _spec_data(spec), check_seed(seed), check_engine(engine)
    return {"task": "train", "spec": spec_data, "seed": seed, "variant": variant, "engine": engine}


def run(
    spec: Spec,
    seed: int = 0,
    variant: str = "post",
    store: ResultStore | None = None,
    on_epoch_end: EpochCallback | None = None,
    engine: str = DEFAULT_ENGINE,
) -> tuple[RunRecord, bool]:
    """The record of ``spec`` for ``seed`` on ``variant`` data, and whether it was already stored.

    ``engine`` trains it where it can (:func:`engine_trains`; the default is the sweeps'), else
    Keras does; logistic regression is scikit-learn's. ``on_epoch_end`` is called after each of
    Keras' epochs, so it needs the Keras path: the JAX engine trains every epoch in one call.
    """
    store = store or ResultStore()
    if engine_trains(spec, engine):
        if on_epoch_end is not None:
            raise ValueError("on_epoch_end needs engine='keras': the jax engine trains every epoch in one call")
        for _, records, trained_now in train_into_store([spec], [check_seed(seed)], variant, store):
            return records[0], not trained_now
        raise RuntimeError("the engine returned no record")  # train_into_store yields each request once
    result, cached = store.get_or_compute(
        payload(spec, seed, variant), lambda: train(spec, seed, variant, on_epoch_end).to_dict()
    )
    return RunRecord.from_dict(result), cached


def engine_trains(spec: Spec, engine: str) -> bool:
    """Whether ``engine`` trains ``spec`` (what the JAX engine cannot train goes to Keras)."""
    if check_engine(engine) == ENGINE_KERAS:
        return False
    if getattr(spec, "validation_split", 0.0):
        return False  # the engine validates on the test split only; Keras carves the training rows
    from penguins.engine import supports

    return supports(spec)


def stored_engine_records(
    specs: Sequence[Spec], seeds: Sequence[int], variant: str, store: ResultStore
) -> list[RunRecord | None]:
    """The JAX engine's stored record of each (spec, seed), or ``None`` where there is none yet."""
    keys = (store.key(payload(spec, seed, variant, ENGINE_JAX)) for spec, seed in zip(specs, seeds, strict=True))
    found = (store.load(key) for key in keys)
    return [None if result is None else RunRecord.from_dict(result) for result in found]


def train_into_store(
    specs: Sequence[Spec], seeds: Sequence[int], variant: str, store: ResultStore, stop_file: str | Path | None = None
) -> Iterator[tuple[list[int], list[RunRecord], bool]]:
    """Train (spec, seed) requests with the JAX engine into ``store``, each key once in all processes.

    Each record is stored as soon as its compiled call finishes. Yields the indices of the requests
    each call finished, their records and True; and for a request another process stored meanwhile,
    its index, its record and False. Stops between calls once ``stop_file`` exists (how a sweep's
    Ctrl-C reaches worker processes).

    Before a compiled call the keys of its requests are locked (:meth:`ResultStore.lock`), as
    :func:`run` locks its key. A key whose lock another process holds is left for later: this
    trains what is free first, then waits for the other locks and trains what is still missing (the
    other process may have stopped). The engine is deterministic and a result does not depend on
    what else shares its call, so training a call's free requests alone gives the same records.
    """
    from penguins import engine

    networks = [spec for spec in specs if isinstance(spec, NetworkSpec)]
    if len(networks) != len(specs):
        raise TypeError("the engine trains networks only; logistic regression is scikit-learn's")
    payloads = [payload(spec, seed, variant, ENGINE_JAX) for spec, seed in zip(specs, seeds, strict=True)]
    keys = [store.key(entry) for entry in payloads]
    waiting = list(range(len(specs)))
    while waiting:
        busy: list[int] = []
        for call in engine.call_groups([networks[i] for i in waiting], [seeds[i] for i in waiting]):
            if _stop_requested(stop_file):
                return
            requests = [waiting[j] for j in call]
            yield from _train_free_requests(requests, specs, seeds, variant, store, payloads, keys, busy)
        if busy and not _wait_until_free(store.lock(keys[busy[0]]), stop_file):
            return
        waiting = busy


def _train_free_requests(
    requests, specs, seeds, variant, store, payloads, keys, busy
) -> Iterator[tuple[list[int], list[RunRecord], bool]]:
    """:func:`train_into_store` for the requests of one call.

    Locks each key that is free (the others go to ``busy``), yields those stored meanwhile, trains
    and stores the rest, and lets every lock go.
    """
    from penguins import engine

    held: dict[int, KeyLock] = {}
    try:
        free = []
        for i in requests:
            lock = store.lock(keys[i])
            if not lock.acquire(timeout=0):
                busy.append(i)
                continue
            held[i] = lock
            found = store.load(keys[i])
            if found is None:
                free.append(i)
                continue
            held.pop(i).release(stored=True)
            yield [i], [RunRecord.from_dict(found)], False
        if not free:
            return
        engine.enable_compile_cache(store.root / "xla-cache")
        for indices, records in engine.train_in_calls([specs[i] for i in free], [seeds[i] for i in free], variant):
            done = [free[j] for j in indices]
            for i, record in zip(done, records, strict=True):
                store.save(keys[i], payloads[i], record.to_dict())
                held.pop(i).release(stored=True)
            yield done, records, True
    finally:
        for lock in held.values():
            lock.release(stored=False)


def _wait_until_free(lock: KeyLock, stop_file: str | Path | None, poll_s: float = 1.0) -> bool:
    """Wait until another process lets ``lock`` go; False if a stop was requested first."""
    while not lock.acquire(timeout=poll_s):
        if _stop_requested(stop_file):
            return False
    lock.release(stored=False)
    return True


def _stop_requested(stop_file: str | Path | None) -> bool:
    return stop_file is not None and Path(stop_file).exists()
