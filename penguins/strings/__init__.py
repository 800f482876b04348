"""Every word the site shows, one table per language: ``ko.yml`` and ``en.yml`` beside this file.

The package's figures and tables (:mod:`penguins.plotting`, :mod:`penguins.pages`) take their
labels, species names, verdict words and column headers from here, and the chapters take their
titles, captions, alt texts and the words they choose from a result. Both tables hold the same
keys (``tests/test_strings.py``). Everything sits under one top-level key, ``text``, so that a
table can also be read as document metadata without clashing with other settings.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("ko", "en")
FOLDER = Path(__file__).resolve().parent
ROOT_KEY = "text"


def check_language(language: str) -> str:
    """``language`` if it is one the site is written in, else a ``ValueError`` naming them."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; choose one of {LANGUAGES}")
    return language


def table_path(language: str) -> Path:
    """The string table of ``language``."""
    return FOLDER / f"{check_language(language)}.yml"


@cache
def table(language: str) -> dict[str, Any]:
    """The whole string table of ``language`` (what sits under ``text:``), read once per process."""
    with table_path(language).open(encoding="utf-8") as file:
        loaded = yaml.load(file, Loader=yaml.CSafeLoader) or {}  # libyaml: ten times PyYAML's speed
    if not isinstance(loaded.get(ROOT_KEY), dict):
        raise ValueError(f"{table_path(language)}: expected a mapping under {ROOT_KEY!r}")
    return loaded[ROOT_KEY]


def words(language: str, *path: str) -> Any:
    """The entry at ``path`` in ``language``'s table: ``words("ko", "species", "Gentoo")`` is "젠투".

    A missing key raises a ``KeyError`` that names the whole path and the file, so a typo in a
    chapter fails with the place to fix it.
    """
    entry: Any = table(language)
    for depth, key in enumerate(path):
        if not isinstance(entry, dict) or key not in entry:
            where = ".".join(path[: depth + 1])
            raise KeyError(f"{table_path(language).name} has no entry {ROOT_KEY}.{where}")
        entry = entry[key]
    return entry


# Units of the measurements, for axis labels and prose.
UNITS = {"bill_length_mm": "mm", "bill_depth_mm": "mm", "flipper_length_mm": "mm", "body_mass_g": "g"}


def term(name: str, language: str) -> str:
    """The reader's word for a column name (``bill_length_mm`` -> "부리 길이"); other names unchanged."""
    return words(language, "terms").get(name, name)


def label(name: str, language: str) -> str:
    """An axis label: the reader's word and the unit (``bill_length_mm`` -> "부리 길이 (mm)")."""
    unit = UNITS.get(name)
    return f"{term(name, language)} ({unit})" if unit else term(name, language)


def species_name(name: str, language: str) -> str:
    """A species in the page's language ("Chinstrap" -> "턱끈")."""
    return words(language, "species", name)
