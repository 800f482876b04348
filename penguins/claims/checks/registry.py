"""The checks' register and what they share: the margins read from the post's words, and helpers.

:func:`check` registers a function as the check of one or more statements of ``post.yml`` in
:data:`CHECKS`; the modules beside this one hold the checks themselves, by kind of statement.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from penguins.claims import rules
from penguins.claims.evidence import Evidence
from penguins.claims.post import statement
from penguins.claims.rules import NotCheckable, Verdict
from penguins.preprocessing import Split, preprocess

BIG_GAIN = 0.02  # "큰 향상 / 큰 차이": two points of accuracy (1.4 of the 69 test penguins)
JUMP = 0.05  # "급 상승": a gain of at least five points
FINE = 0.02  # "적당": within two points
MATCH = 0.02  # "만큼은 나온", "충분하다": within two points of the baseline
MIN_TREND_POINTS = 5  # a trend over fewer points is not checked
EXTREME = 5  # shape i : 100 - i is extreme when the smaller layer has at most 5 nodes (1:99 .. 5:95)
BALANCED = (30, 70)  # ... and balanced when the first layer has 30 to 70 nodes (3:7 .. 7:3)
WIDTH_PLATEAU = 80  # "노드 80 이후"
BATCH_LIMIT = 80  # "80 이하"
# The post's networks the conclusion compares with logistic regression, by experiment.
NETWORK_RUNS = {
    "basic-networks": ("hidden-2",),
    "lr-schedules": ("step-decay", "cosine-decay"),
    "overfitting": ("weight-decay", "dropout", "early-stopping"),
}


@dataclass(frozen=True)
class Check:
    """How one statement is judged: the function, what it needs, and (for single numbers) its per-seed values."""

    function: Callable[[Evidence], Verdict]
    needs: tuple[str, ...] = ()  # experiments it reads
    methods: tuple[str, ...] = ()  # searches it reads (at preset full)
    observed: Callable[[Evidence], pd.Series] | None = None

    @property
    def rule(self) -> str:
        """The check's docstring, first paragraph, on one line, with the margins filled in."""
        text = inspect.getdoc(self.function) or ""
        return " ".join(text.split("\n\n")[0].split())

    def __call__(self, evidence: Evidence) -> Verdict:
        """The verdict on ``evidence``; a claim whose evidence is missing is not checkable."""
        try:
            return self.function(evidence)
        except NotCheckable as missing:
            return rules.not_checkable(str(missing))


CHECKS: dict[str, Check] = {}


def check(
    *ids: str,
    needs: Sequence[str] = (),
    methods: Sequence[str] = (),
    observed: Callable[[Evidence], pd.Series] | None = None,
    **margins: Any,
):
    """Register the decorated function as the check of the statements ``ids``.

    ``margins`` fill the ``{NAME}`` fields of its docstring, so the stated rule shows the numbers it
    uses.
    """

    def register(function: Callable[[Evidence], Verdict]) -> Callable[[Evidence], Verdict]:
        function.__doc__ = (function.__doc__ or "").format(**margins)
        for statement_id in ids:
            statement(statement_id)  # fails for an id post.yml does not have
            CHECKS[statement_id] = Check(function, tuple(needs), tuple(methods), observed)
        return function

    return register


@cache
def seed_split(variant: str, seed: int) -> Split:
    """The ``variant`` split of ``seed``, made once per process.

    Checks read the shapes of every seed's split, in every ledger a page judges (making one takes
    tens of milliseconds). Every caller gets the same arrays: the checks read them and change nothing.
    """
    return preprocess(variant, seed)


def examples(evidence: Evidence, part: str) -> int:
    """How many penguins an accuracy of ``part`` ("train" or "test") counts over."""
    split = seed_split(evidence.variant, evidence.seeds[0])
    return len(split.y_train if part == "train" else split.y_test)


def one_penguin(evidence: Evidence) -> float:
    """The floor of a paired accuracy difference's spread: one test penguin."""
    return 1 / examples(evidence, "test")


def paired(wide: pd.DataFrame, base: Any, other: Any) -> np.ndarray:
    """Per seed, ``other`` minus ``base`` (seeds that have both)."""
    return (wide[other] - wide[base]).dropna().to_numpy(dtype=float)


def equal(a: Any, b: Any) -> bool:
    """Equality of plain data, floats to float32 precision (Keras keeps numbers as float32)."""
    if isinstance(a, (float, np.floating)) or isinstance(b, (float, np.floating)):
        return isinstance(a, (int, float, np.number)) and isinstance(b, (int, float, np.number)) and math.isclose(
            float(a), float(b), rel_tol=1e-6, abs_tol=1e-12
        )
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return set(a) == set(b) and all(equal(a[key], b[key]) for key in a)
    return a == b
