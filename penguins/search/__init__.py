"""The post's three hyperparameter searches (being split into modules, one concept each)."""

from penguins.search.keras import *  # noqa: F403
