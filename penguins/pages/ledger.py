"""What several chapters read from the claims ledger.

The post's accuracies, evidence from a chapter's sweeps, and the verdicts on the post's accuracies
as a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from penguins.catalog import NAMED_RUNS
from penguins.claims import Evidence, claim
from penguins.sweep import SweepResult

if TYPE_CHECKING:
    from penguins.pages import Page

SPLITS = ("train", "test")


def post_accuracy(run: str) -> tuple[float, float]:
    """The post's (train, test) accuracy of one of its runs, from the ledger."""
    return claim(f"{run}-train-accuracy").post_value, claim(f"{run}-test-accuracy").post_value


def post_accuracies(runs: Sequence[str]) -> dict[str, tuple[float, float]]:
    """The post's (train, test) accuracy of each of ``runs`` the post has (controls of ours are left out)."""
    return {run: post_accuracy(run) for run in runs if run not in NAMED_RUNS or NAMED_RUNS[run].in_post}


def evidence(*results: SweepResult) -> Evidence:
    """The ledger's evidence from a chapter's sweeps (one preset, variant and seed set)."""
    first = results[0]
    return Evidence.from_sweeps(
        first.preset, first.variant, first.seeds, {result.experiment.name: result for result in results}
    )


def verdict_frame(result: SweepResult, page: Page) -> pd.DataFrame:
    """The ledger's verdict on the post's train and test accuracy of every run of ``result`` the post reports.

    One row a run, one column a split, in ``page``'s words.
    """
    found = evidence(result)
    runs = list(post_accuracies(result.values))
    return pd.DataFrame(
        {
            page.term(f"{split}_accuracy"): [
                page.verdict(claim(f"{run}-{split}-accuracy").evaluate(found).verdict) for run in runs
            ]
            for split in SPLITS
        },
        index=pd.Index([page.run_name(run) for run in runs], name=page.term(result.experiment.parameter)),
    )
