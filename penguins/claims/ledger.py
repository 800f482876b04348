"""The ledger: every statement of the post with its check, judged against our seeds, as a table.

A :class:`Claim` joins a statement of :mod:`penguins.claims.post` (the post's words, our
translation, the value) with its check of :mod:`penguins.claims.checks`. :func:`collect_evidence`
gathers what every check needs, :func:`judge` gives each claim its :class:`Verdict`,
:func:`evaluate` lays them out one row a claim, and :func:`format_ledger` prints them for a
terminal with each rule's name, test and level.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from penguins.claims.checks import CHECKS, Check
from penguins.claims.evidence import Evidence
from penguins.claims.evidence import collect_evidence as gather
from penguins.claims.post import Statement, statements
from penguins.claims.rules import NOISE, NOT_CHECKABLE, VERDICTS, Verdict, fmt

COLUMNS = (
    "id", "section", "kind", "statement_ko", "statement_en", "post", "ours",
    "verdict", "reason", "rule", "test", "level",
)


@dataclass(frozen=True)
class Claim:
    """One number or conclusion of the post and the check that judges it."""

    statement: Statement
    check: Check

    @property
    def id(self) -> str:
        """The statement's id, e.g. ``"depth-no-gain-beyond-2"``."""
        return self.statement.id

    @property
    def section(self) -> str:
        """The post's section the statement is in."""
        return self.statement.section

    @property
    def kind(self) -> str:
        """``number`` or ``conclusion``."""
        return self.statement.kind

    @property
    def statement_ko(self) -> str:
        """The post's own words (verbatim)."""
        return self.statement.post

    @property
    def statement_en(self) -> str:
        """Our English translation of them."""
        return self.statement.translation

    @property
    def post_value(self) -> Any:
        """What the post reports (a number, a list, a setting), ``None`` for a conclusion in words."""
        return self.statement.value

    @property
    def needs(self) -> tuple[str, ...]:
        """The experiments the check reads."""
        return self.check.needs

    @property
    def searches(self) -> tuple[str, ...]:
        """The searches the check reads."""
        return self.check.methods

    @property
    def rule(self) -> str:
        """The name of the rule that gives the verdict."""
        return self.check.rule

    def evaluate(self, evidence: Evidence) -> Verdict:
        """The claim's verdict on ``evidence``."""
        return self.check(evidence)

    @property
    def has_observed(self) -> bool:
        """Whether the claim is one number checked against per-seed values (:meth:`observed`)."""
        return self.check.observed is not None

    def observed(self, evidence: Evidence) -> pd.Series:
        """The per-seed values a single number of the post is checked against, indexed by seed.

        Raises ``NotCheckable`` when the evidence lacks them, ``TypeError`` for other claims.
        """
        if self.check.observed is None:
            raise TypeError(f"claim {self.id!r} is not checked against per-seed values")
        return self.check.observed(evidence)


def _claims() -> list[Claim]:
    missing = [item.id for item in statements() if item.id not in CHECKS]
    if missing:
        raise RuntimeError(f"statements without a check: {missing}")
    return [Claim(item, CHECKS[item.id]) for item in statements()]


CLAIMS: list[Claim] = _claims()
"""Every number and conclusion of the post, in the post's order."""


def claim(claim_id: str) -> Claim:
    """The claim with id ``claim_id``."""
    for item in CLAIMS:
        if item.id == claim_id:
            return item
    raise KeyError(f"no claim {claim_id!r}")


def collect_evidence(
    preset: str = "full",
    seeds: Sequence[int] | None = None,
    variant: str = "post",
    store: Any = None,
    jobs: int = 1,
    claims: Sequence[Claim] | None = None,
    searches: bool = True,
    extras: bool = True,
) -> Evidence:
    """Run (or read from the store) everything ``claims`` (default: all) need.

    Their experiments, at preset ``full`` the post's searches, and with the post's preprocessing the
    chapters' extra measurements (:mod:`penguins.extras`).
    """
    claims = CLAIMS if claims is None else claims
    experiments = list(dict.fromkeys(name for item in claims for name in item.needs))
    methods = list(dict.fromkeys(method for item in claims for method in item.searches))
    return gather(preset, seeds, variant, store, jobs, experiments, methods, searches=searches, extras=extras)


def judge(evidence: Evidence, claims: Sequence[Claim] | None = None) -> dict[str, Verdict]:
    """Each claim's verdict, by id, in the post's order; each claim judged once per ``evidence``."""
    verdicts = {}
    for item in CLAIMS if claims is None else claims:
        judged = evidence.verdicts.get(id(item))
        if judged is None or judged[0] is not item:  # the claim object itself, not a namesake
            judged = evidence.verdicts[id(item)] = (item, item.evaluate(evidence))
        verdicts[item.id] = judged[1]
    return verdicts


def evaluate(evidence: Evidence, claims: Sequence[Claim] | None = None) -> pd.DataFrame:
    """One row a claim: what the post says, what we get, the verdict, why, by which rule and test."""
    claims = CLAIMS if claims is None else claims
    verdicts = judge(evidence, claims)
    rows = [
        {
            "id": item.id,
            "section": item.section,
            "kind": item.kind,
            "statement_ko": item.statement_ko,
            "statement_en": item.statement_en,
            "post": fmt(item.post_value),
            "ours": verdicts[item.id].ours,
            "verdict": verdicts[item.id].verdict,
            "reason": verdicts[item.id].reason,
            "rule": item.rule,
            "test": verdicts[item.id].test,
            "level": verdicts[item.id].level,
        }
        for item in claims
    ]
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame.attrs.update(preset=evidence.preset, variant=evidence.variant, seeds=list(evidence.seeds))
    return frame


def ledger(
    preset: str = "full",
    seeds: Sequence[int] | None = None,
    variant: str = "post",
    store: Any = None,
    jobs: int = 1,
    *,
    searches: bool = True,
) -> pd.DataFrame:
    """The claims ledger at ``preset``: every claim checked against our per-seed results.

    The results are computed through the results ``store``. Columns: :data:`COLUMNS`; ``.attrs``
    holds preset, variant and seeds.
    """
    return evaluate(collect_evidence(preset, seeds, variant, store, jobs, searches=searches))


SEED_COUNTS = (10, 20, 30)  # the seed counts the ledger is compared at (those a preset has)


def ledgers_by_seeds(evidence: Evidence, counts: Sequence[int] = SEED_COUNTS) -> dict[int, pd.DataFrame]:
    """The ledger on the first ``n`` seeds of ``evidence``: whether a verdict depends on how many seeds we ran.

    One for each ``n`` of ``counts`` below its number of seeds, and one on all of them.

    The smaller ledgers judge subsets of the same records (:meth:`Evidence.restricted`), so nothing
    is trained or read again.
    """
    seeds = evidence.seeds
    wanted = sorted({n for n in counts if 2 <= n < len(seeds)})
    return {**{n: evaluate(evidence.restricted(seeds[:n])) for n in wanted}, len(seeds): evaluate(evidence)}


CHANGES = ("decided", "undecided", "reversed", "checkable", "uncheckable")


def verdict_changes(ledgers: Mapping[int, pd.DataFrame]) -> pd.DataFrame:
    """The claims whose verdict differs between ``ledgers`` (:func:`ledgers_by_seeds`).

    One row a claim with its verdict at each seed count and how it changed from the fewest seeds to
    the most, one of :data:`CHANGES`: ``decided`` (within seed noise, then reproduced or not),
    ``undecided`` (the other way), ``reversed`` (reproduced one way, not reproduced the other),
    ``checkable`` / ``uncheckable`` (the preset's points allow the check at one count only).
    """
    counts = sorted(ledgers)
    verdicts = pd.DataFrame({n: ledgers[n].set_index("id")["verdict"] for n in counts})
    changed = verdicts[verdicts.nunique(axis=1) > 1].copy()
    first, last = changed[counts[0]], changed[counts[-1]]
    changed["change"] = [_change(a, b) for a, b in zip(first, last, strict=True)]
    changed.insert(0, "kind", ledgers[counts[-1]].set_index("id").loc[changed.index, "kind"])
    return changed.rename_axis("id").reset_index()


def _change(first: str, last: str) -> str:
    if first == NOT_CHECKABLE or last == NOT_CHECKABLE:
        return "checkable" if first == NOT_CHECKABLE else "uncheckable"
    if first == NOISE:
        return "decided"
    if last == NOISE:
        return "undecided"
    return "reversed"  # (a verdict that changes back and forth between counts also ends here or above)


def verdict_counts(frame: pd.DataFrame) -> dict[str, int]:
    """How many claims got each verdict, in :data:`VERDICTS` order."""
    counts = frame["verdict"].value_counts()
    return {verdict: int(counts.get(verdict, 0)) for verdict in VERDICTS}


def format_ledger(frame: pd.DataFrame, width: int = 120) -> str:
    """The ledger as plain text for a terminal.

    A heading with the verdict counts, then per section of the post one block a claim: id, the
    post's value, ours and the verdict on one line; below it the English statement (ours), the rule,
    the test with its level, and the reason with the numbers behind the verdict.
    """
    attrs = frame.attrs
    details = [
        f"preset {attrs['preset']}" if "preset" in attrs else "",
        f"variant {attrs['variant']}" if "variant" in attrs else "",
    ]
    if attrs.get("seeds") is not None:
        details.append(f"seeds {_seed_text(attrs['seeds'])}")
    heading = "Claims ledger" + (": " + ", ".join(detail for detail in details if detail) if any(details) else "")
    counts = verdict_counts(frame)
    lines = [heading, f"{len(frame)} claims: " + ", ".join(f"{count} {verdict}" for verdict, count in counts.items())]
    id_width = max([len("claim")] + [len(text) for text in frame["id"]])
    value_width = 26
    header = f"{'claim':<{id_width}}  {'post':<{value_width}}  {'ours':<{value_width}}  verdict"
    indent = " " * 4
    section = None
    for row in frame.itertuples(index=False):
        if row.section != section:
            section = row.section
            lines += ["", f"== {section} ==", header]
        post, ours = _clip(row.post, value_width), _clip(row.ours or "-", value_width)
        lines.append(f"{row.id:<{id_width}}  {post:<{value_width}}  {ours:<{value_width}}  {row.verdict}")
        level = f", level {row.level:.0%}" if isinstance(row.level, float) and row.level == row.level else ""
        for label, text in (
            ("claim", row.statement_en),
            ("rule", row.rule),
            ("test", f"{row.test}{level}" if row.test else ""),
            ("why", row.reason),
        ):
            if text:
                lines += textwrap.wrap(
                    f"{label}: {text}", width=width, initial_indent=indent, subsequent_indent=indent + "  "
                )
    return "\n".join(lines) + "\n"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _seed_text(seeds: Sequence[int]) -> str:
    seeds = list(seeds)
    if len(seeds) > 2 and seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]}-{seeds[-1]}"
    return ", ".join(str(seed) for seed in seeds)
