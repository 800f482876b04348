"""A search through the results store, on the engine or on Keras: :func:`run_search`."""

from __future__ import annotations

from typing import Any

from penguins.runner import check_engine
from penguins.search.keras import search
from penguins.search.record import SearchRecord
from penguins.search.specs import GridSearchSpec, HyperbandSpec, RandomSearchSpec, SearchSpec
from penguins.spec import DEFAULT_ENGINE, ENGINE_JAX
from penguins.store import ResultStore


def run_search(
    spec: SearchSpec,
    seed: int = 0,
    variant: str = "post",
    store: ResultStore | None = None,
    engine: str = DEFAULT_ENGINE,
) -> tuple[SearchRecord, bool]:
    """The record of search ``spec`` for ``seed`` on ``variant`` data, and whether it was stored.

    A search is computed once per payload (spec, seed, variant, engine) and code, then read from
    the store: the post's searches take minutes per seed.

    Parameters
    ----------
    spec : SearchSpec
        The search, e.g. :func:`penguins.search.search_spec` ``("random", preset)``.
    seed : int
        A non-negative integer: the seed of the split and of the search's draws.
    variant : str
        The preprocessing (:func:`penguins.preprocessing.preprocess`).
    store : ResultStore, optional
        The results store; the default one if None.
    engine : str
        ``"jax"`` runs the search with every fit on the sweep engine
        (:mod:`penguins.search.engine`); ``"keras"`` runs scikeras / Keras Tuner
        (:func:`penguins.search.keras.search`), the reference.

    Returns
    -------
    tuple of (SearchRecord, bool)
        The record, and True when it was read from the store rather than computed now.

    Raises
    ------
    ValueError
        For a negative or non-integer seed or an unknown engine.
    TypeError
        If ``spec`` is not a search spec.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if not isinstance(spec, (RandomSearchSpec, GridSearchSpec, HyperbandSpec)):
        raise TypeError(f"not a search spec: {type(spec).__name__}")
    check_engine(engine)
    store = store or ResultStore()
    payload = {"task": "search", "spec": spec.to_dict(), "seed": seed, "variant": variant, "engine": engine}
    key = store.key(payload)

    def compute() -> dict[str, Any]:
        if engine == ENGINE_JAX:
            # imported here, where a search runs on the engine: reading a stored record needs neither
            from penguins.engine import enable_compile_cache
            from penguins.search.engine import search_on_engine

            enable_compile_cache(store.root / "xla-cache")
            return search_on_engine(spec, seed, variant).to_dict()
        # Keras Tuner insists on writing files: they go to the store's folder for this key.
        workdir = store.workdir(key) if isinstance(spec, HyperbandSpec) else None
        return search(spec, seed, variant, workdir).to_dict()

    result, cached = store.get_or_compute(payload, compute)
    return SearchRecord.from_dict(result), cached
