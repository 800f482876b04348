"""The post's statements as data: ``post.yml`` beside this file, read once.

The file holds what the post says (its own words or printed output, verbatim, with the line it
stands on), our English translation of it (marked as ours), the value it states and how it is
judged; its section headings and conclusion lines; and its two search-results tables. Nothing here
judges anything: :mod:`penguins.claims.checks` does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

POST_FILE = Path(__file__).resolve().parent / "post.yml"
KINDS = ("fact", "single run", "conclusion", "decision", "search", "code")
POST_SOFTMAX_PARAMS = 21  # the post's "Total params: 21" of the network without a hidden layer
RANDOM_STATE_SCAN = 1000  # random_state values tried to find the post's random-search candidates


@dataclass(frozen=True)
class Statement:
    """One thing the post states: where, in its words, in ours (a translation), and the value."""

    id: str
    section: str  # the post's heading (Korean)
    kind: str
    line: int  # in the post
    post: str  # the post's words or printed output, verbatim
    translation: str  # ours, in English
    value: Any


def _tupled(value: Any) -> Any:
    """YAML lists as tuples (a shape, per-layer parameters), recursively; mappings stay dicts."""
    if isinstance(value, list):
        return tuple(_tupled(item) for item in value)
    if isinstance(value, dict):
        return {key: _tupled(item) for key, item in value.items()}
    return value


@cache
def _data() -> dict[str, Any]:
    with POST_FILE.open(encoding="utf-8") as file:
        return yaml.load(file, Loader=yaml.CSafeLoader)  # libyaml: ten times PyYAML's speed


@cache
def statements() -> tuple[Statement, ...]:
    """Every statement of the post, in the post's order of sections (stable within one)."""
    found = tuple(Statement(**{**entry, "value": _tupled(entry["value"])}) for entry in _data()["statements"])
    ids = [statement.id for statement in found]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{POST_FILE.name}: statement ids repeat")
    for statement in found:
        if statement.kind not in KINDS:
            raise ValueError(f"{POST_FILE.name}: {statement.id} has the unknown kind {statement.kind!r}")
        if statement.section not in SECTIONS:
            raise ValueError(f"{POST_FILE.name}: {statement.id} is in the unknown section {statement.section!r}")
    return tuple(sorted(found, key=lambda statement: SECTIONS.index(statement.section)))


SECTIONS: tuple[str, ...] = tuple(entry["ko"] for entry in _data()["sections"])
"""The post's headings, in its order; the ledger lists the claims in this order."""
SECTIONS_EN: dict[str, str] = {entry["ko"]: entry["en"] for entry in _data()["sections"]}
"""The post's headings in English (our translation), for the English pages."""
POST_CONCLUSIONS: tuple[tuple[str, str], ...] = tuple((entry["ko"], entry["en"]) for entry in _data()["conclusions"])
"""The post's conclusion, line by line as it writes it (Korean), with our English translation."""


def _search(method: str) -> Mapping[str, Any]:
    return _data()["searches"][method]


POST_RANDOM_CANDIDATES: tuple[dict[str, Any], ...] = tuple(_search("random")["candidates"])
POST_RANDOM_MEAN_SCORES: tuple[float, ...] = tuple(_search("random")["mean_scores"])
POST_GRID_CANDIDATES: tuple[dict[str, Any], ...] = tuple(_search("grid")["candidates"])
POST_GRID_MEAN_SCORES: tuple[float, ...] = tuple(_search("grid")["mean_scores"])


def statement(statement_id: str) -> Statement:
    """The post's statement with id ``statement_id``."""
    for item in statements():
        if item.id == statement_id:
            return item
    raise KeyError(f"the post has no statement {statement_id!r} in {POST_FILE.name}")


RANDOM_BEST: dict[str, Any] = dict(statement("random-search-best-params").value)
GRID_BEST: dict[str, Any] = dict(statement("grid-search-best-params").value)


def post_search_table(method: str) -> pd.DataFrame:
    """The post's ``cv_results_`` table of the ``method`` ("random" or "grid") search as data.

    One row a candidate in candidate order, with its parameters and mean cross-validated accuracy.
    """
    frame = pd.DataFrame([dict(candidate) for candidate in _search(method)["candidates"]])
    frame.insert(0, "candidate", range(len(frame)))
    frame["mean_test_score"] = list(_search(method)["mean_scores"])
    return frame


def post_random_state(
    candidates: Sequence[Mapping[str, Any]] = POST_RANDOM_CANDIDATES, limit: int = RANDOM_STATE_SCAN
) -> int | None:
    """The ``random_state`` for which ``RandomizedSearchCV``'s sampler draws exactly the post's candidates, or None.

    It draws them from the post's distributions; the states scanned are 0 to ``limit`` - 1. Only
    sampling, no training: it tells which seed searches the post's candidates.
    """
    import numpy as np
    from sklearn.model_selection import ParameterSampler

    from penguins.search import search_spec

    space = search_spec("random", "full").param_space()
    wanted = [dict(candidate) for candidate in candidates]
    for state in range(limit):
        drawn = [
            {key: float(value) if isinstance(value, np.floating) else value for key, value in candidate.items()}
            for candidate in ParameterSampler(space, n_iter=len(wanted), random_state=state)
        ]
        if drawn == wanted:
            return state
    return None


def misquoted(post_text: str) -> list[str]:
    """The statements whose words do not stand in ``post_text`` (the post's markdown) at their line.

    A check that ``post.yml`` quotes the post verbatim (white space aside; " / " joins lines).
    """

    def normal(text: str) -> str:
        return " ".join(text.split())

    lines = post_text.split("\n")
    wrong = []
    for item in statements():
        parts = [normal(part) for part in item.post.split(" / ")]
        at_line = 0 < item.line <= len(lines) and parts[0] in normal(lines[item.line - 1])
        everywhere = all(any(part in normal(line) for line in lines) for part in parts)
        if not (at_line and everywhere):
            wrong.append(f"{item.id} (line {item.line})")
    return wrong
