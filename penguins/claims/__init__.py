"""The claims ledger: every number and conclusion the post states, judged against our seeds.

The post's statements are data (``post.yml``, read by :mod:`penguins.claims.post`): its words
verbatim, our English translation, the value. Each has a check (:mod:`penguins.claims.checks`)
that reads our per-seed evidence (:mod:`penguins.claims.evidence`) and hands it to a stated
statistical procedure (:mod:`penguins.claims.rules`); :mod:`penguins.claims.ledger` lays the
verdicts out. A verdict is one of:

- ``reproduced``: our results agree with the claim (a fact: measured equal; a single run: one of
  our runs could give it; a conclusion: the data reject its opposite at 5 %);
- ``within seed noise``: a conclusion our seeds cannot settle either way;
- ``not reproduced``: our results contradict the claim (a fact: measured otherwise; a single run:
  one of our runs would rarely give it; a conclusion: the data reject it at 5 %);
- ``not checkable``: the preset lacks what the check needs (the reason says what).

``ledger(preset, seeds, variant, store, jobs)`` gathers the evidence and returns one row a claim;
``format_ledger`` prints it for a terminal.
"""

from penguins.claims.checks import (
    BALANCED,
    BATCH_LIMIT,
    BIG_GAIN,
    EXTREME,
    FINE,
    JUMP,
    MATCH,
    MIN_TREND_POINTS,
    NETWORK_RUNS,
    WIDTH_PLATEAU,
    shape_groups,
)
from penguins.claims.evidence import SEARCH_ABSENT, SEARCH_PRESET, Evidence
from penguins.claims.ledger import (
    CHANGES,
    CLAIMS,
    COLUMNS,
    SEED_COUNTS,
    Claim,
    claim,
    collect_evidence,
    evaluate,
    format_ledger,
    judge,
    ledger,
    ledgers_by_seeds,
    verdict_changes,
    verdict_counts,
)
from penguins.claims.post import (
    GRID_BEST,
    KINDS,
    POST_CONCLUSIONS,
    POST_GRID_CANDIDATES,
    POST_GRID_MEAN_SCORES,
    POST_RANDOM_CANDIDATES,
    POST_RANDOM_MEAN_SCORES,
    POST_SOFTMAX_PARAMS,
    RANDOM_BEST,
    RANDOM_STATE_SCAN,
    SECTIONS,
    SECTIONS_EN,
    post_random_state,
    post_search_table,
)
from penguins.claims.rules import (
    ALPHA,
    NOISE,
    NOT_CHECKABLE,
    NOT_REPRODUCED,
    REPRODUCED,
    VERDICTS,
    Effect,
    Interval,
    NotCheckable,
    Verdict,
    t_interval,
)
from penguins.uncertainty import CONFIDENCE

__all__ = [
    "ALPHA", "BALANCED", "CHANGES", "SEED_COUNTS", "ledgers_by_seeds", "verdict_changes", "BATCH_LIMIT", "BIG_GAIN",
    "CLAIMS", "COLUMNS", "CONFIDENCE", "Claim", "Effect", "Evidence", "EXTREME", "FINE", "GRID_BEST", "Interval",
    "JUMP", "KINDS", "MATCH", "MIN_TREND_POINTS", "NETWORK_RUNS", "NOISE", "NOT_CHECKABLE", "NOT_REPRODUCED",
    "NotCheckable", "POST_CONCLUSIONS", "POST_GRID_CANDIDATES", "POST_GRID_MEAN_SCORES", "POST_RANDOM_CANDIDATES",
    "POST_RANDOM_MEAN_SCORES", "POST_SOFTMAX_PARAMS", "RANDOM_BEST", "RANDOM_STATE_SCAN", "REPRODUCED", "SEARCH_ABSENT",
    "SEARCH_PRESET", "SECTIONS", "SECTIONS_EN", "VERDICTS", "Verdict", "WIDTH_PLATEAU", "claim", "collect_evidence",
    "evaluate", "format_ledger", "judge", "ledger", "post_random_state", "post_search_table", "shape_groups",
    "t_interval", "verdict_counts",
]
