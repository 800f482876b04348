"""The chapter "Five experiments and the chosen model" (``report/experiments.qmd``).

Each of the post's five experiments is a sweep (:func:`penguins.sweep.run_experiment`) drawn by
:func:`penguins.plotting.plot_sweep`. The post's conclusions about them are claims of the ledger
(:mod:`penguins.claims`); every sentence of the chapter that states one takes its words from the
claim's verdict, so it stays true at every preset, including the small ones where the ledger
cannot judge.
"""

from __future__ import annotations

import math
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from pandas.io.formats.style import Styler

from penguins import plotting
from penguins.claims import (
    BALANCED,
    BATCH_LIMIT,
    BIG_GAIN,
    EXTREME,
    FINE,
    MIN_TREND_POINTS,
    NOT_CHECKABLE,
    NOT_REPRODUCED,
    REPRODUCED,
    VERDICTS,
    WIDTH_PLATEAU,
    Evidence,
    claim,
    t_interval,
)
from penguins.experiments import EXPERIMENTS, POST_MODEL
from penguins.models import summary_table
from penguins.pages import Facts, Page, tables
from penguins.pages.format import fmt_count, fmt_int, fmt_pct, fmt_points, fmt_seeds
from penguins.pages.ledger import evidence
from penguins.preprocessing import preprocess
from penguins.presets import default_seeds
from penguins.reference import CHAOTIC_DEPTH
from penguins.spec import NetworkSpec
from penguins.sweep import SweepResult
from penguins.uncertainty import CONFIDENCE, mean_interval

SWEEPS = ("depth", "width", "shape", "epochs", "batch-size")
ARCHITECTURE_SWEEPS = ("depth", "width", "shape")
POST_DEPTH = len(POST_MODEL.hidden)  # the post fixes two hidden layers after experiment 1
POST_NODES = POST_MODEL.hidden[0]  # ... of 100 nodes after experiment 2
SHAPE_NODES = 100  # experiment 3 splits 100 nodes between the two layers
EQUAL_SHAPE = SHAPE_NODES // 2
# The claims of the chapter, in the post's order, with the experiment each belongs to.
CLAIMS = {
    "depth-no-gain-beyond-2": "depth",
    "width-accuracy-rises": "width",
    "width-stability-rises": "width",
    "width-plateau-80": "width",
    "shape-extremes-worse": "shape",
    "shape-extremes-unstable": "shape",
    "batch-size-80-fine": "batch-size",
}
# Shown on a log scale: the post's grids of depths, widths and batch sizes span two decades.
LOG_X = {"depth", "width", "batch-size"}
REFERENCES = {
    "depth": POST_DEPTH,
    "width": WIDTH_PLATEAU,
    "shape": EQUAL_SHAPE,
    "epochs": POST_MODEL.epochs,
    "batch-size": BATCH_LIMIT,
}
BALANCED_COLOR, EXTREME_COLOR = "tab:green", "grey"
MAX_LISTED = 12  # a grid of at most this many values is listed in full in the grid table


def shape_groups(values: list[int]) -> tuple[list[int], list[int]]:
    """The shapes the ledger counts as similar sizes and as lopsided, among ``values``."""
    balanced = [first for first in values if BALANCED[0] <= first <= BALANCED[1]]
    extreme = [first for first in values if min(first, SHAPE_NODES - first) <= EXTREME]
    return balanced, extreme


def largest_gain(
    wide: pd.DataFrame, pairs: list[tuple[Any, Any]], delta: float, significant: bool
) -> tuple[Any, Any, float]:
    """The pair (a, b) and mean per-seed gain of b over a that the ledger's no-big-gain rule points at.

    With ``significant``, the gain above ``delta`` whose Bonferroni interval lies highest above 0
    (what makes a conclusion "not reproduced"); else the largest mean gain.
    """
    gains = []
    for a, b in pairs:
        interval = t_interval((wide[b] - wide[a]).dropna(), comparisons=len(pairs))
        gains.append((a, b, interval))
    if significant:
        candidates = [item for item in gains if item[2].mean > delta and item[2].low > 0]
        a, b, interval = max(candidates, key=lambda item: item[2].low)
    else:
        a, b, interval = max(gains, key=lambda item: item[2].mean)
    return a, b, interval.mean


def wide_table(result: SweepResult, score: str = "test_accuracy") -> pd.DataFrame:
    """Seeds x swept values of ``score``."""
    return result.table().pivot(index="seed", columns=result.experiment.parameter, values=score)


class ExperimentsPage(Page):
    """The five sweeps' figures, the chosen model, and the ledger's verdicts on the post's conclusions."""

    chapter = "experiments"

    # ------------------------------------------------------------------ tables and figures

    def grid_table(self, preset: str) -> Styler:
        """What each experiment varies and which values it tries at ``preset`` (and at ``full``)."""
        columns = self.words("grid-columns")
        rows = []
        for name in SWEEPS:
            row = {
                columns["experiment"]: self.words("experiment-names", name),
                columns["values"].format(preset=preset): self._values_text(name, preset),
            }
            if preset != "full":
                row[columns["full"]] = self._values_text(name, "full")
            rows.append(row)
        return self.table(pd.DataFrame(rows).set_index(columns["experiment"]))

    def _values_text(self, name: str, preset: str) -> str:
        values = [point.value for point in EXPERIMENTS[name].points(preset)]
        shown = [self._value_text(name, value) for value in values]
        if len(values) <= MAX_LISTED:
            return ", ".join(shown)
        count = self.words("n-values").format(n=len(values))
        return f"{shown[0]}–{shown[-1]} ({count})"

    @staticmethod
    def _value_text(name: str, value: int) -> str:
        return f"{value}:{SHAPE_NODES - value}" if name == "shape" else str(value)

    def sweep_figure(self, result: SweepResult) -> Figure:
        """The experiment's test accuracy over its swept values: every seed, the mean and its interval.

        And a dashed line where the post drew its conclusion (for the shapes, the ledger's groups
        too).
        """
        name = result.experiment.name
        fig, ax = plt.subplots(figsize=(7, 4))
        if name == "shape":
            labels = self.words("shape-bands")
            ax.axvspan(*BALANCED, color=BALANCED_COLOR, alpha=0.08, label=labels["balanced"])
            ax.axvspan(0, EXTREME, color=EXTREME_COLOR, alpha=0.12, label=labels["extreme"])
            ax.axvspan(SHAPE_NODES - EXTREME, SHAPE_NODES, color=EXTREME_COLOR, alpha=0.12)
        plotting.plot_sweep(
            result.summary(),
            result.experiment.parameter,
            self.language,
            table=result.table(),
            reference=REFERENCES[name],
            reference_label=self.words("references", name).format(
                n=REFERENCES[name], a=EQUAL_SHAPE, b=SHAPE_NODES - EQUAL_SHAPE
            ),
            ax=ax,
            log_x=name in LOG_X,
        )
        if name == "shape":
            ax.set_xlim(0, SHAPE_NODES)
            ax.set_xticks(range(0, SHAPE_NODES + 1, 10))
            ax.legend(loc="lower center", ncols=2, fontsize="small")
        fig.tight_layout()
        return fig

    def layers(self, model: Any) -> Styler:
        """A Keras model's layers as the post's ``model.summary()`` lists them, with the total."""
        return self.table(tables.layer_table(summary_table(model), self.language))

    def verdict_table(self, *results: SweepResult) -> Styler:
        """The post's conclusions from the five experiments, each with the ledger's verdict."""
        columns = self.words("verdict-columns")
        found = evidence(*results)
        rows = [
            {
                columns["experiment"]: self.words("experiment-short", experiment),
                columns["conclusion"]: self.words("conclusions", claim_id).format(
                    plateau=WIDTH_PLATEAU, limit=BATCH_LIMIT, depth=POST_DEPTH
                ),
                columns["verdict"]: self.verdict(claim(claim_id).evaluate(found).verdict),
            }
            for claim_id, experiment in CLAIMS.items()
        ]
        colors = {self.verdict(verdict): color for verdict, color in tables.VERDICT_COLORS.items()}
        frame = pd.DataFrame(rows).set_index(columns["experiment"])
        return (
            self.table(frame)
            .map(lambda word: f"background-color: {colors.get(word, '')}", subset=[columns["verdict"]])
            .set_properties(**{"text-align": "left"})
        )

    # ------------------------------------------------------------------ facts for the prose

    def facts(self, preset: str) -> Facts:
        """The chapter's set-up: seeds, how many networks the five sweeps train, the figures' interval."""
        seeds = default_seeds(preset)
        n_points = sum(len(EXPERIMENTS[name].points(preset)) for name in SWEEPS)
        return Facts(
            preset=preset,
            n_seeds=str(len(seeds)),
            seed_text=fmt_seeds(seeds),
            n_runs=fmt_int(n_points * len(seeds)),
            confidence=fmt_pct(CONFIDENCE, digits=0),
            chaotic_depth=str(CHAOTIC_DEPTH),
        )

    def post_settings(self) -> Facts:
        """The post's settings the prose quotes.

        The depth it fixes, the width and batch size it names, its range of epochs and the epochs of
        experiments 1 to 3.
        """
        return Facts(
            depth=str(POST_DEPTH),
            plateau=str(WIDTH_PLATEAU),
            limit=str(BATCH_LIMIT),
            most_epochs=str(max(point.value for point in EXPERIMENTS["epochs"].points("full"))),
            epochs=str(POST_MODEL.epochs),
        )

    def _verdict_facts(self, claim_id: str, found: Evidence, **values: Any) -> dict[str, str]:
        """The ledger's verdict on a claim in the reader's words, and the sentence that says what it means."""
        verdict = claim(claim_id).evaluate(found)
        note = self.words("verdict-notes", claim_id, verdict.verdict)
        return {"verdict": self.verdict(verdict.verdict), "note": note.format(**values)}

    def depth_facts(self, depth: SweepResult) -> Facts:
        """Experiment 1: the means at one and two hidden layers, the best and the deepest, the verdict."""
        means = depth.summary().set_index("hidden_layers")["mean"]
        best, deepest = int(means.idxmax()), int(means.index.max())
        found = evidence(depth)
        verdict = claim("depth-no-gain-beyond-2").evaluate(found)
        at, gain = POST_DEPTH, 0.0
        if verdict.verdict not in (NOT_CHECKABLE, REPRODUCED):
            pairs = [(POST_DEPTH, value) for value in depth.values if value > POST_DEPTH]
            _, at, gain = largest_gain(wide_table(depth), pairs, BIG_GAIN, verdict.verdict == NOT_REPRODUCED)
        if best == POST_DEPTH:
            best_text = self.words("depth-best", "post").format(depth=POST_DEPTH)
        else:
            layers = fmt_count(best, "hidden layer") if self.language == "en" else f"은닉층 {best}개"
            best_text = self.words("depth-best", "other").format(layers=layers, mean=fmt_pct(means[best]))
        deepest_text = (
            self.words("depth-deepest", "tried").format(depth=deepest, mean=fmt_pct(means[deepest]))
            if deepest > POST_DEPTH
            else self.words("depth-deepest", "none")
        )
        big = fmt_points(BIG_GAIN, digits=0)
        return Facts(
            one_layer=fmt_pct(means[1]),
            two_layers=fmt_pct(means[POST_DEPTH]),
            best=best_text,
            deepest=deepest_text,
            big_gain=big,
            **self._verdict_facts(
                "depth-no-gain-beyond-2", found, big=big, depth=POST_DEPTH, at=at, gain=fmt_points(gain)
            ),
        )

    def width_facts(self, width: SweepResult) -> Facts:
        """Experiment 2: the narrowest and widest networks, and the verdicts on the post's three observations."""
        summary = width.summary().set_index("nodes")
        narrowest, widest = int(summary.index.min()), int(summary.index.max())
        found = evidence(width)
        values = dict(
            min=MIN_TREND_POINTS,
            n=len(width.values),
            plateau=WIDTH_PLATEAU,
            big=fmt_points(BIG_GAIN, digits=0),
        )
        verdicts = {
            claim_id: self._verdict_facts(claim_id, found, **values)
            for claim_id in CLAIMS
            if CLAIMS[claim_id] == "width"
        }
        return Facts(
            narrowest=self._nodes(narrowest),
            widest=self._nodes(widest),
            narrow_mean=fmt_pct(summary.loc[narrowest, "mean"]),
            narrow_sd=fmt_pct(summary.loc[narrowest, "std"]),
            wide_mean=fmt_pct(summary.loc[widest, "mean"]),
            wide_sd=fmt_pct(summary.loc[widest, "std"]),
            verdict={claim_id: item["verdict"] for claim_id, item in verdicts.items()},
            note={claim_id: item["note"] for claim_id, item in verdicts.items()},
        )

    def _nodes(self, count: int) -> str:
        return fmt_count(count, "node") if self.language == "en" else f"{count}개"

    def shape_facts(self, shape: SweepResult) -> Facts:
        """Experiment 3: the ledger's two groups of shapes, their means and spreads, and the verdicts."""
        table = shape.table()
        balanced, extreme = shape_groups(shape.values)
        groups = {"balanced": balanced, "extreme": extreme}
        found = evidence(shape)
        verdicts = {
            claim_id: self._verdict_facts(claim_id, found) for claim_id in CLAIMS if CLAIMS[claim_id] == "shape"
        }
        first = table["first_layer_nodes"]
        facts = {
            "low_ratio": f"{BALANCED[0]}:{SHAPE_NODES - BALANCED[0]}",
            "high_ratio": f"{BALANCED[1]}:{SHAPE_NODES - BALANCED[1]}",
            "extreme": str(EXTREME),
            "edge": f"{EXTREME}:{SHAPE_NODES - EXTREME}",
        }
        for group, values in groups.items():
            rows = table[first.isin(values)]
            facts[f"{group}_mean"] = fmt_pct(rows["test_accuracy"].mean())
            facts[f"{group}_sd"] = fmt_pct(rows.groupby("first_layer_nodes")["test_accuracy"].std().mean())
        return Facts(
            **facts,
            verdict={claim_id: item["verdict"] for claim_id, item in verdicts.items()},
            note={claim_id: item["note"] for claim_id, item in verdicts.items()},
        )

    def model_facts(self, model: Any) -> Facts:
        """The chosen model's size."""
        return Facts(n_params=fmt_int(model.count_params()))

    def epochs_facts(self, epochs: SweepResult, baseline: SweepResult) -> Facts:
        """What the prose says about experiment 4.

        The fewest and most epochs, the best, the baseline, and whether more epochs than the earlier
        experiments' still raise the accuracy beyond seed noise.
        """
        summary = epochs.summary().set_index("epochs")
        fewest, most = int(summary.index.min()), int(summary.index.max())
        best = int(summary["mean"].idxmax())
        if best == most:
            best_text = self.words("epochs-best", "longest")
        else:
            best_text = self.words("epochs-best", "other").format(
                epochs=self._epochs(best), mean=fmt_pct(summary.loc[best, "mean"])
            )
        return Facts(
            fewest=self._epochs(fewest),
            most=self._epochs(most),
            fewest_mean=fmt_pct(summary.loc[fewest, "mean"]),
            most_mean=fmt_pct(summary.loc[most, "mean"]),
            best=best_text,
            logistic=fmt_pct(baseline.table()["test_accuracy"].mean()),
            later=self.words("epochs-later", later_epochs(epochs)),
        )

    def _epochs(self, count: int) -> str:
        return fmt_count(count, "epoch") if self.language == "en" else f"{count} 에포크"

    def batch_facts(self, batch: SweepResult) -> Facts:
        """What the prose says about experiment 5.

        The best batch size, the one nearest the post's limit, the number of updates a fixed number
        of epochs gives, and the verdict.
        """
        summary = batch.summary().set_index("batch_size")
        means = summary["mean"]
        best, largest, smallest = int(means.idxmax()), int(means.index.max()), int(means.index.min())
        near = int(min(means.index, key=lambda size: (abs(size - BATCH_LIMIT), size)))
        n_train = len(preprocess(batch.variant, seed=batch.seeds[0]).y_train)
        values = dict(limit=BATCH_LIMIT, near=near, mean=fmt_pct(means[near]))
        near_key = ("same" if near == best else "other") + ("-limit" if near == BATCH_LIMIT else "")
        found = evidence(batch)
        verdict = claim("batch-size-80-fine").evaluate(found)
        at, gap = best, 0.0
        if verdict.verdict not in (NOT_CHECKABLE, REPRODUCED):
            pairs = [(size, best) for size in batch.values if size <= BATCH_LIMIT and size != best]
            at, _, gap = largest_gain(wide_table(batch), pairs, FINE, verdict.verdict == NOT_REPRODUCED)
        fine = fmt_points(FINE, digits=0)
        return Facts(
            best=self.words("batch-best").format(size=best, mean=fmt_pct(means[best])),
            near=self.words("batch-near", near_key).format(**values),
            largest=str(largest),
            largest_mean=fmt_pct(means[largest]),
            smallest=str(smallest),
            n_train=str(n_train),
            updates_smallest=fmt_int(math.ceil(n_train / smallest) * POST_MODEL.epochs),
            updates_largest=fmt_int(math.ceil(n_train / largest) * POST_MODEL.epochs),
            fine=fine,
            **self._verdict_facts(
                "batch-size-80-fine", found, limit=BATCH_LIMIT, fine=fine, at=at, gap=fmt_points(gap)
            ),
        )

    def summary_facts(
        self, depth: SweepResult, width: SweepResult, shape: SweepResult, epochs: SweepResult, batch: SweepResult
    ) -> Facts:
        """What the prose says in the summary.

        The verdicts counted, the post's architecture against the best one tried, and how much the
        same architecture's accuracy moves with its training.
        """
        found = evidence(depth, width, shape, batch)
        counts = pd.Series([claim(claim_id).evaluate(found).verdict for claim_id in CLAIMS]).value_counts()
        tally = [
            self.words("tally").format(n=int(counts[verdict]), verdict=self.verdict(verdict))
            for verdict in VERDICTS
            if verdict in counts
        ]
        joined = tally[0] if len(tally) == 1 else ", ".join(tally[:-1]) + self.words("tally-and") + tally[-1]
        chosen, best, best_mean = self._architectures(depth, width, shape)
        trained = pd.concat([result.summary()["mean"] for result in (epochs, batch)])
        return Facts(
            n_conclusions=str(len(CLAIMS)),
            tally=joined,
            unchecked=self.words("unchecked", "some" if NOT_CHECKABLE in counts else "none"),
            chosen=self.architecture(POST_MODEL.hidden),
            chosen_mean=fmt_pct(chosen),
            best=self._best_architecture(best, best_mean, chosen),
            trained_low=fmt_pct(trained.min()),
            trained_high=fmt_pct(trained.max()),
        )

    @staticmethod
    def _architectures(*results: SweepResult) -> tuple[float, tuple[int, ...], float]:
        """The post's architecture's mean test accuracy, and the best architecture tried with its mean."""
        means: dict[tuple[int, ...], list[float]] = {}
        for result in results:
            points = result.experiment.points(result.preset)  # architectures: networks only
            specs = {point.value: point.spec.hidden for point in points if isinstance(point.spec, NetworkSpec)}
            for value, mean in result.summary().set_index(result.experiment.parameter)["mean"].items():
                means.setdefault(specs[value], []).append(float(mean))
        averaged = {hidden: float(np.mean(values)) for hidden, values in means.items()}
        best = max(averaged, key=lambda hidden: averaged[hidden])
        return averaged[POST_MODEL.hidden], best, averaged[best]

    def architecture(self, hidden: tuple[int, ...]) -> str:
        """Hidden layers in the reader's words: "two hidden layers of 100 nodes"."""
        if len(set(hidden)) == 1:
            key = "one" if len(hidden) == 1 else "equal"
            return self.words("architecture", key).format(n=len(hidden), nodes=hidden[0])
        return self.words("architecture", "unequal").format(first=hidden[0], second=hidden[1])

    def _best_architecture(self, best: tuple[int, ...], mean: float, chosen: float) -> str:
        if best == POST_MODEL.hidden:
            return self.words("best-architecture", "post")
        return self.words("best-architecture", "other").format(
            architecture=self.architecture(best), mean=fmt_pct(mean), gap=fmt_points(mean - chosen)
        )


def later_epochs(epochs: SweepResult) -> str:
    """Whether training longer than the earlier experiments' epochs raises the mean test accuracy.

    "rises" if the best longer training beats it per seed with a 95 % interval (Bonferroni over the
    longer trainings) above 0, "flat" if not, "untested" when the preset tries no longer training.
    """
    longer = [value for value in epochs.values if value > POST_MODEL.epochs]
    if POST_MODEL.epochs not in epochs.values or not longer:
        return "untested"
    wide = wide_table(epochs)
    gains = [mean_interval(wide[value] - wide[POST_MODEL.epochs], comparisons=len(longer)) for value in longer]
    mean, low, _ = max(gains, key=lambda interval: interval[0])
    return "rises" if mean > 0 and low > 0 else "flat"
