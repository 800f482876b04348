"""The chapter "Logistic regression baseline" (``report/baseline.qmd``).

The chapter quotes the post's code and reads what it gives from the store: ``run_experiment``
trains the same ``LogisticRegression()`` on every seed's split (``penguins.training``).
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from pandas.io.formats.style import Styler

from penguins import plotting
from penguins.claims import CONFIDENCE, claim
from penguins.pages import Facts, Page, tables
from penguins.pages.format import fmt_count, fmt_int, fmt_num, fmt_pct, fmt_seeds, with_particle
from penguins.pages.ledger import evidence, post_accuracy
from penguins.preprocessing import CLASS_NAMES, preprocess
from penguins.sweep import SweepResult

RUN = "logistic"
# Train and test accuracy "barely differ" when their means lie within 3 percentage points.
SMALL_GAP = 0.03
# The species the data chapter shows to be told apart by bill length alone.
LOOK_ALIKES = {"Adelie", "Chinstrap"}


def pooled_confusion(baseline: SweepResult) -> np.ndarray:
    """The confusion matrices of every seed's test set, added up."""
    return np.sum([baseline.record(RUN, seed).confusion_matrix for seed in baseline.seeds], axis=0)


def most_common_mistake(matrix: np.ndarray) -> tuple[str, str, int]:
    """The (true, predicted) species of the most frequent error in ``matrix``, and how many penguins."""
    errors = np.array(matrix, dtype=int)
    np.fill_diagonal(errors, 0)
    true, predicted = np.unravel_index(errors.argmax(), errors.shape)
    return CLASS_NAMES[int(true)], CLASS_NAMES[int(predicted)], int(errors.max())


def n_wrong(matrix: Any) -> int:
    """How many penguins a confusion matrix counts off its diagonal."""
    counts = np.asarray(matrix, dtype=int)
    return int(counts.sum() - np.trace(counts))


class BaselinePage(Page):
    """Accuracies over seeds, confusion matrices and the ledger's verdicts for logistic regression."""

    chapter = "baseline"

    def accuracy_table(self, baseline: SweepResult) -> Styler:
        """Train and test accuracy: the post's run, the first seed, and over seeds."""
        return self.table(tables.accuracy_table(baseline, self.language, post={RUN: post_accuracy(RUN)}))

    def confusion_matrices(self, baseline: SweepResult) -> Figure:
        """The first seed's confusion matrix beside the one of every seed's test set pooled."""
        first = baseline.seeds[0]
        titles = self.words("confusion-titles")
        fig, (left, right) = plt.subplots(1, 2, figsize=(plotting.COLUMN_WIDTH, 0.5 * plotting.COLUMN_WIDTH))
        plotting.plot_confusion_matrix(
            baseline.record(RUN, first).confusion_matrix,
            self.language,
            ax=left,
            title=titles["seed"].format(seed=first),
        )
        plotting.plot_confusion_matrix(
            pooled_confusion(baseline), self.language, ax=right, title=titles["pooled"].format(n=len(baseline.seeds))
        )
        right.set_ylabel("")
        fig.tight_layout()
        return fig

    def facts(self, baseline: SweepResult) -> Facts:
        """Every number and result-dependent word the chapter's prose shows."""
        post_train, post_test = post_accuracy(RUN)
        first = baseline.record(RUN, baseline.seeds[0])
        n_test = len(first.test_predictions)
        wrong = n_wrong(first.confusion_matrix)
        first_wrong = self.words("first-wrong", "none" if wrong == 0 else "some").format(n=wrong, total=n_test)
        return Facts(
            post_train=fmt_pct(post_train),
            post_test=fmt_pct(post_test),
            preset=baseline.preset,
            n_seeds=str(len(baseline.seeds)),
            seed_text=fmt_seeds(baseline.seeds),
            first_seed=str(first.seed),
            first_train=fmt_pct(first.train_accuracy),
            first_test=fmt_pct(first.test_accuracy),
            n_test=str(n_test),
            first_wrong=first_wrong,
            one_penguin=fmt_num(100 / n_test, digits=1),  # percentage points
            post_wrong=str(round((1 - post_test) * n_test)),
            params=fmt_int(sum(row["params"] for row in first.summary)),
            **self._spread(baseline, n_test),
            **self._mistakes(baseline),
            **self._verdicts(baseline),
        )

    def _spread(self, baseline: SweepResult, n_test: int) -> dict[str, str]:
        scores = baseline.table()
        train, test = scores["train_accuracy"], scores["test_accuracy"]
        gap = train.mean() - test.mean()
        n_train = len(preprocess(baseline.variant, seed=baseline.seeds[0]).y_train)
        steadier = train.std() < test.std()
        return {
            "train_mean": fmt_pct(train.mean()),
            "train_sd": fmt_pct(train.std()),
            "test_mean": fmt_pct(test.mean()),
            "test_sd": fmt_pct(test.std()),
            "test_low": fmt_pct(test.min()),
            "test_high": fmt_pct(test.max()),
            "steadiness": self.words("steadiness", "train" if steadier else "test").format(
                ratio=fmt_num(n_train / n_test, 0)
            ),
            "gap": fmt_num(100 * abs(gap), 1),  # percentage points
            "gap_reading": self.words("gap", "small" if abs(gap) < SMALL_GAP else "large"),
        }

    def _mistakes(self, baseline: SweepResult) -> dict[str, str]:
        pooled = pooled_confusion(baseline)
        errors = n_wrong(pooled)
        true, predicted, count = most_common_mistake(pooled)
        kind = "none" if errors == 0 else "look-alikes" if {true, predicted} == LOOK_ALIKES else "other"
        words = self.words("mistake", kind)
        names = {
            "true": plotting.species_name(true, self.language),
            "predicted": plotting.species_name(predicted, self.language),
        }
        return {
            "n_pooled": fmt_int(pooled.sum()),
            "n_errors": fmt_int(errors),
            "mistake": words["what"].format(n=fmt_int(count), times=fmt_count(count, "time"), **names),
            "mistake_why": words["why"],
        }

    def _verdicts(self, baseline: SweepResult) -> dict[str, str]:
        found = evidence(baseline)
        train = self.verdict(claim("logistic-train-accuracy").evaluate(found).verdict)
        test = self.verdict(claim("logistic-test-accuracy").evaluate(found).verdict)
        return {
            "confidence": fmt_pct(CONFIDENCE, digits=0),
            "train_verdict": train,
            "test_verdict": test,
            "test_verdict_is": with_particle(f"'{test}'", "이다"),  # Korean: "'재현됨'이다"
        }
