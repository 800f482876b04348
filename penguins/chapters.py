"""Small helpers the chapters call: numbers written out for prose, tables in the page's language.

A chapter computes a value in a code cell and puts it in a sentence with an inline expression
(`` `{python} n_test` ``). Quarto writes a string result without its quotes, so the helpers here
return the text to show: ``fmt_pct(0.9710)`` is ``"97.1%"``, not ``0.9710144927536232``.
Nothing here knows where the chapters live.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from penguins.plotting import SPECIES_NAMES, check_language, label, species_name
from penguins.preprocessing import CLASS_NAMES, Split

SPLIT_NAMES = {"ko": ("훈련", "테스트"), "en": ("train", "test")}


def fmt_int(value: float) -> str:
    """A whole number with thousands separators: ``11103`` -> ``"11,103"``."""
    if float(value) != int(value):
        raise ValueError(f"{value!r} is not a whole number")
    return f"{int(value):,}"


def fmt_num(value: float, digits: int = 3) -> str:
    """A decimal number with ``digits`` places: ``0.36111`` -> ``"0.361"``."""
    return f"{float(value):,.{digits}f}"


def fmt_pct(value: float, digits: int = 1) -> str:
    """A fraction as a percentage: ``0.2`` -> ``"20%"`` with ``digits=0``, ``0.971`` -> ``"97.1%"``."""
    return f"{100 * float(value):.{digits}f}%"


def labelled(frame: pd.DataFrame, language: str) -> pd.DataFrame:
    """``frame`` with the penguin columns and species it names, in its index and columns, in the reader's words."""
    check_language(language)

    def word(name: object) -> object:
        if name in SPECIES_NAMES[language]:
            return species_name(str(name), language)
        return label(name, language) if isinstance(name, str) else name

    renamed = frame.rename(index=word, columns=word)
    renamed.index.name = word(frame.index.name)
    renamed.columns.name = word(frame.columns.name)
    return renamed


def species_counts(split: Split, language: str) -> pd.DataFrame:
    """How many penguins of each species the train and test sets of ``split`` hold."""
    check_language(language)
    train, test = SPLIT_NAMES[language]
    counts = pd.DataFrame(
        {
            train: np.bincount(split.y_train, minlength=len(CLASS_NAMES)),
            test: np.bincount(split.y_test, minlength=len(CLASS_NAMES)),
        },
        index=[species_name(name, language) for name in CLASS_NAMES],
    )
    counts.index.name = label("species", language)
    return counts
