"""The post's three hyperparameter searches: RandomizedSearchCV, GridSearchCV and Keras Tuner's Hyperband.

Each search is a frozen spec; :func:`run_search` runs one for one seed and preprocessing variant
through the results store and returns a :class:`SearchRecord`. ``search_spec(method, "full")`` is
exactly the post's search, ``search_spec(method, "smoke")`` the same code paths in seconds.

One module a concept, each importing only the ones before it:

- :mod:`penguins.search.specs`: what a search is, and each preset's (:func:`search_spec`);
- :mod:`penguins.search.settings`: which setting wins, what Keras really trains a candidate with
  (:func:`effective_fit_settings`);
- :mod:`penguins.search.record`: what a search produced (:class:`SearchRecord`);
- :mod:`penguins.search.keras`: the searches on Keras, through scikeras and Keras Tuner (:func:`search`);
- :mod:`penguins.search.engine`: the same searches with every fit on the sweep engine;
- :mod:`penguins.search.run`: either one through the results store (:func:`run_search`).

This module only gathers the names callers use; no module of the package imports it.
"""

from penguins.search.keras import hyperband_network, search
from penguins.search.record import SearchRecord
from penguins.search.run import run_search
from penguins.search.settings import batch_size_matches, batch_sizes_for, effective_fit_settings
from penguins.search.specs import (
    METHODS,
    SEARCH_TYPES,
    SPECS_BY_PRESET,
    WIRINGS,
    GridSearchSpec,
    HyperbandSpec,
    RandomSearchSpec,
    SearchSpec,
    search_spec,
    search_spec_from_dict,
)

__all__ = [
    "METHODS",
    "SEARCH_TYPES",
    "SPECS_BY_PRESET",
    "WIRINGS",
    "GridSearchSpec",
    "HyperbandSpec",
    "RandomSearchSpec",
    "SearchRecord",
    "SearchSpec",
    "batch_size_matches",
    "batch_sizes_for",
    "effective_fit_settings",
    "hyperband_network",
    "run_search",
    "search",
    "search_spec",
    "search_spec_from_dict",
]
