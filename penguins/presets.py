"""Presets: how much of the post to run. ``full`` is the post's ranges; the others are smaller.

A chapter learns its preset from ``$PENGUINS_PRESET`` (default ``full``), so one switch picks a
quicker site for previews and the tests run the ``smoke`` preset.
"""

from __future__ import annotations

import os

PRESETS = ("full", "quick", "smoke")
ENV_VARIABLE = "PENGUINS_PRESET"
# Seeds each result stands on, per preset.
DEFAULT_SEEDS = {"full": tuple(range(10)), "quick": tuple(range(3)), "smoke": (0, 1)}
# The searches (penguins.search) come in two sizes: the post's, and a tiny one. A preview
# (quick) cannot afford the post's searches, which take minutes per seed.
SEARCH_SIZES = {"full": "full", "quick": "smoke", "smoke": "smoke"}


def check_preset(preset: str) -> str:
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose one of {PRESETS}")
    return preset


def current_preset() -> str:
    """The preset named by ``$PENGUINS_PRESET``, else ``full``."""
    return check_preset(os.environ.get(ENV_VARIABLE, "full"))


def default_seeds(preset: str) -> tuple[int, ...]:
    return DEFAULT_SEEDS[check_preset(preset)]


def search_size(preset: str) -> str:
    """Which size of the searches a preset runs."""
    return SEARCH_SIZES[check_preset(preset)]
