"""Presets: how much of the post to run. ``full`` is the post's ranges; the others are smaller.

A chapter learns its preset from ``$PENGUINS_PRESET`` (default ``full``), so one switch picks a
quicker site for previews and the tests run the ``smoke`` preset.
"""

from __future__ import annotations

import operator
import os
from typing import SupportsIndex, cast

PRESETS = ("full", "quick", "smoke")
ENV_VARIABLE = "PENGUINS_PRESET"
# Seeds each result stands on, per preset.
DEFAULT_SEEDS = {"full": tuple(range(30)), "quick": tuple(range(3)), "smoke": (0, 1)}
# The searches (penguins.search) come in two sizes: the post's, and a tiny one. A preview
# (quick) cannot afford the post's searches, which take minutes per seed.
SEARCH_SIZES = {"full": "full", "quick": "smoke", "smoke": "smoke"}
# Seeds are 0 <= seed < SEED_LIMIT: NumPy's and scikit-learn's random_state take 32-bit seeds.
SEED_LIMIT = 2**32


def check_preset(preset: str) -> str:
    """``preset`` itself when it is one of :data:`PRESETS`, else a ValueError naming the choices.

    Every entry point checks its preset here, so a typo fails in one line before anything trains.
    """
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose one of {PRESETS}")
    return preset


def current_preset() -> str:
    """The preset named by ``$PENGUINS_PRESET``, else ``full``."""
    return check_preset(os.environ.get(ENV_VARIABLE, "full"))


def default_seeds(preset: str) -> tuple[int, ...]:
    """The seeds every result of ``preset`` is computed over (:data:`DEFAULT_SEEDS`).

    Parameters
    ----------
    preset : str
        One of :data:`PRESETS`.

    Returns
    -------
    tuple of int
        The seeds, in order; the book's means, spreads and intervals are taken over them.
    """
    return DEFAULT_SEEDS[check_preset(preset)]


def search_size(preset: str) -> str:
    """Which size of the searches a preset runs."""
    return SEARCH_SIZES[check_preset(preset)]


def check_seed(seed: object) -> int:
    """``seed`` as an int, if it is a whole number the libraries take as a seed.

    Raises
    ------
    ValueError
        In one line, unless ``0 <= seed < 2**32`` (an int or a NumPy integer, not a bool): an
        out-of-range seed would otherwise fail deep in scikit-learn, after other work was done.
    """
    message = f"a seed must be a whole number from 0 to {SEED_LIMIT - 1}, got {seed!r}"
    # int and NumPy integers have __index__; floats and strings do not. (What isinstance(seed,
    # SupportsIndex) asks, without typing's protocol check: a sweep checks every seed of every run.)
    if isinstance(seed, bool) or not hasattr(type(seed), "__index__"):
        raise ValueError(message)
    value = operator.index(cast(SupportsIndex, seed))  # it has __index__, checked above
    if not 0 <= value < SEED_LIMIT:
        raise ValueError(message)
    return value
