"""One check per statement of the post: what it is compared with, and by which rule.

Each check reads the :class:`~penguins.claims.evidence.Evidence` and hands plain numbers to a rule
of :mod:`penguins.claims.rules`; its docstring, first paragraph, is the rule as the ledger states it.
The margins below are readings of the post's words (what "no big gain" or "about as good" means
in accuracy), fixed before looking at results; the rules decide how evidence is weighed against
them. Comparisons between points of an experiment are paired by seed.
"""

from penguins.claims.checks import code, conclusions, facts  # noqa: F401  (importing a module registers its checks)
from penguins.claims.checks.conclusions import shape_groups
from penguins.claims.checks.registry import (
    BALANCED,
    BATCH_LIMIT,
    BIG_GAIN,
    CHECKS,
    EXTREME,
    FINE,
    JUMP,
    MATCH,
    MIN_TREND_POINTS,
    NETWORK_RUNS,
    WIDTH_PLATEAU,
    Check,
    check,
    seed_split,
)

__all__ = [
    "BALANCED", "BATCH_LIMIT", "BIG_GAIN", "CHECKS", "EXTREME", "FINE", "JUMP", "MATCH", "MIN_TREND_POINTS",
    "NETWORK_RUNS", "WIDTH_PLATEAU", "Check", "check", "seed_split", "shape_groups",
]
