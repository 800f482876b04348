"""Versions of what computes a result, read from package metadata (no heavy imports)."""

from __future__ import annotations

import platform
from functools import cache
from importlib import metadata

# Distributions whose version can change a number. TensorFlow ships as tensorflow or tensorflow-cpu.
DISTRIBUTIONS = (
    ("tensorflow", ("tensorflow", "tensorflow-cpu")),
    ("keras", ("keras",)),
    ("numpy", ("numpy",)),
    ("pandas", ("pandas",)),
    ("scikit-learn", ("scikit-learn",)),
    ("scikeras", ("scikeras",)),
    ("keras-tuner", ("keras-tuner",)),
    ("jax", ("jax",)),
    ("jaxlib", ("jaxlib",)),
)


@cache
def library_versions() -> dict[str, str]:
    """The version of Python and of every library in :data:`DISTRIBUTIONS`, by name.

    These versions are part of every store key and every stored entry: a result computed with
    other libraries is never read back as this one. A library that is not installed is
    ``"not installed"``.
    """
    versions = {"python": platform.python_version()}
    for name, candidates in DISTRIBUTIONS:
        versions[name] = _first_installed(candidates)
    return versions


def _first_installed(candidates: tuple[str, ...]) -> str:
    for candidate in candidates:
        try:
            return metadata.version(candidate)
        except metadata.PackageNotFoundError:
            continue
    return "not installed"
