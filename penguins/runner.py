"""Run specs through the results store: compute once, then read."""

from __future__ import annotations

from penguins.spec import Spec
from penguins.store import ResultStore
from penguins.training import EpochCallback, RunRecord, train


def run(
    spec: Spec,
    seed: int = 0,
    variant: str = "post",
    store: ResultStore | None = None,
    on_epoch_end: EpochCallback | None = None,
) -> tuple[RunRecord, bool]:
    """The record of ``spec`` for ``seed`` on ``variant`` data, and whether it was already stored."""
    store = store or ResultStore()
    payload = {"task": "train", "spec": spec.to_dict(), "seed": seed, "variant": variant}
    result, cached = store.get_or_compute(payload, lambda: train(spec, seed, variant, on_epoch_end).to_dict())
    return RunRecord.from_dict(result), cached
