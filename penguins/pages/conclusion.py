"""The chapter "Conclusion" (``report/conclusion.qmd``).

The post's conclusion as it writes it, the ledger's verdicts on the conclusions the post drew from
its experiments, and logistic regression against the post's networks seed by seed: accuracy,
per-seed differences, parameters, and the ledger's verdict on "a network only matches the baseline".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from IPython.display import Markdown
from matplotlib.figure import Figure
from pandas.io.formats.style import Styler

from penguins import plotting
from penguins.claims import (
    CONFIDENCE,
    MATCH,
    NETWORK_RUNS,
    POST_CONCLUSIONS,
    VERDICTS,
    Evidence,
    claim,
    t_interval,
    verdict_counts,
)
from penguins.pages import Facts, Page, tables
from penguins.pages.format import fmt_count, fmt_int, fmt_pct, fmt_points, fmt_seeds, with_particle
from penguins.pages.reproduction import searched_values_never_reach
from penguins.search import SearchRecord

NETWORKS = tuple(run for runs in NETWORK_RUNS.values() for run in runs)  # the post's trained networks
MODELS = ("logistic", *NETWORKS)


def accuracies(evidence: Evidence) -> pd.DataFrame:
    """Test accuracy per seed (rows) of logistic regression and each of the post's networks (columns)."""
    frames = [evidence.table("baseline")]
    for experiment, runs in NETWORK_RUNS.items():
        table = evidence.table(experiment)
        frames.append(table[table["value"].isin(runs)])
    wide = pd.concat(frames).pivot_table(index="seed", columns="value", values="test_accuracy", sort=False)
    return wide[list(MODELS)]


def differences(evidence: Evidence) -> pd.DataFrame:
    """Per seed, each network's test accuracy minus logistic regression's on the same split."""
    accuracy = accuracies(evidence)
    return accuracy[list(NETWORKS)].sub(accuracy["logistic"], axis="index")


def parameters(evidence: Evidence) -> dict[str, int]:
    """The number of parameters of each model, from its first record's summary (logistic: one row)."""
    experiments = {
        "logistic": "baseline", **{run: experiment for experiment, runs in NETWORK_RUNS.items() for run in runs}
    }
    return {
        model: int(sum(row["params"] for row in evidence.records(experiments[model], model)[0].summary))
        for model in MODELS
    }


class ConclusionPage(Page):
    """The post's conclusion, the verdicts on its conclusions, and the baseline against its networks."""

    chapter = "conclusion"

    def post_conclusions(self) -> Markdown:
        """The post's conclusion lines as a quote (in English with our translation below each)."""
        if self.language == "ko":
            lines = [f"> - {korean}" for korean, _ in POST_CONCLUSIONS]
        else:
            lines = [f"> - {korean}<br>*{english}*" for korean, english in POST_CONCLUSIONS]
        return Markdown("\n".join(lines))

    def facts(self, ledger: pd.DataFrame) -> Facts:
        """The preset, the seeds, and how many of the post's conclusions got each verdict."""
        conclusions = ledger[ledger["kind"] == "conclusion"]
        counts = verdict_counts(conclusions)
        return Facts(
            preset=ledger.attrs["preset"],
            n_seeds=str(len(ledger.attrs["seeds"])),
            seed_text=fmt_seeds(ledger.attrs["seeds"]),
            n_conclusions=str(len(conclusions)),
            n_checked=str(len(conclusions) - counts["not checkable"]),
            counts={verdict: str(count) for verdict, count in counts.items()},
            verdicts={verdict: self.verdict(verdict) for verdict in VERDICTS},
            match=fmt_points(MATCH, digits=0),
        )

    def conclusions_table(self, ledger: pd.DataFrame) -> Styler:
        """The ledger's rows for the post's conclusions, each verdict cell coloured."""
        return tables.ledger_table(ledger[ledger["kind"] == "conclusion"], self.language)

    def differences_figure(self, evidence: Evidence) -> Figure:
        """Per network, its per-seed test-accuracy difference from logistic regression, in points.

        With the mean and interval, around zero and the band the ledger counts as equal.
        """
        gaps = differences(evidence)
        rows = pd.DataFrame(
            {
                "label": [self.run_name(run) for run in NETWORKS],
                "values": [100 * gaps[run].to_numpy(dtype=float) for run in NETWORKS],
            }
        )
        fig = plotting.plot_seed_values(
            rows,
            self.language,
            x_label=self.words("difference-axis"),
            percent=False,
            reference=0,
            band=(-100 * MATCH, 100 * MATCH),
            limits=(-100.0, 100.0),
        )
        fig.set_size_inches(plotting.COLUMN_WIDTH, 0.42 * len(rows) + 1.5)
        fig.tight_layout()
        return fig

    def comparison_table(self, evidence: Evidence) -> Styler:
        """Logistic regression and each network: accuracy, difference from logistic regression and size.

        Mean test accuracy, the mean per-seed difference from logistic regression with its interval,
        and the number of parameters.
        """
        accuracy, gaps, params = accuracies(evidence), differences(evidence), parameters(evidence)
        names = self.words("comparison-columns")
        confidence = fmt_pct(CONFIDENCE, digits=0)

        def interval(run: str) -> str:
            if len(gaps) < 2:
                return ""
            found = t_interval(gaps[run])
            return names["range"].format(low=fmt_points(found.low, sign=True), high=fmt_points(found.high, sign=True))

        frame = pd.DataFrame(
            {
                names["mean"]: [fmt_pct(accuracy[model].mean()) for model in MODELS],
                names["difference"]: [""] + [fmt_points(gaps[run].mean(), sign=True) for run in NETWORKS],
                names["interval"].format(confidence=confidence): [""] + [interval(run) for run in NETWORKS],
                names["params"]: [fmt_int(params[model]) for model in MODELS],
            },
            index=pd.Index([self.run_name(model) for model in MODELS], name=names["model"]),
        )
        return self.table(frame)

    def comparison_facts(self, evidence: Evidence, searches: Mapping[str, SearchRecord]) -> Facts:
        """The best network against logistic regression, the ledger's verdict, and the sizes of the knives."""
        accuracy, gaps, params = accuracies(evidence), differences(evidence), parameters(evidence)
        best = str(accuracy[list(NETWORKS)].mean().idxmax())
        gap = float(gaps[best].mean())
        side = "equal" if fmt_points(abs(gap)) == fmt_points(0) else "higher" if gap > 0 else "lower"
        # The lesson, logistic regression is enough: no network gains much over it; and further than
        # the post if every network is surely behind it (network-matches-baseline not reproduced).
        verdict = claim("logistic-is-enough").evaluate(evidence).verdict
        behind = claim("network-matches-baseline").evaluate(evidence).verdict == "not reproduced"
        lesson = (
            "not reproduced-below" if behind else "not reproduced-above" if verdict == "not reproduced" else verdict
        )
        logistic_mean = fmt_pct(accuracy["logistic"].mean())
        values: dict[str, Any] = {
            "best": self.run_name(best),
            "best_mean": fmt_pct(accuracy[best].mean()),
            "best_mean_ro": with_particle(fmt_pct(accuracy[best].mean()), "으로"),  # Korean: "97.5%로"
            "logistic_mean": logistic_mean,
            "gap": self.words("gap", side).format(gap=fmt_points(abs(gap)), logistic=logistic_mean,
                                                  logistic_wa=with_particle(logistic_mean, "와")),
            "effort": self.words("effort", side).format(gap=fmt_points(abs(gap))),
            "verdict": self.verdict(verdict),
            "verdict_ida": with_particle(f"'{self.verdict(verdict)}'", "이다"),  # Korean: "'재현됨'이다"
            "n_better": self._seeds(int((gaps[best] > 0).sum())),
            "n_tied": str(int((gaps[best] == 0).sum())),
            "n_worse": str(int((gaps[best] < 0).sum())),
            "n_networks": str(len(NETWORKS)),
            "n_below": str(int((gaps.mean() < 0).sum())),
            "logistic_params": fmt_int(params["logistic"]),
            "best_params": fmt_int(params[best]),
            "params_ratio": fmt_int(round(params[best] / params["logistic"])),
        }
        reached = "never" if searched_values_never_reach(list(searches.values())) else "some"
        values.update({key: self.words("searched", reached, key) for key in ("searched", "meaning")})
        values.update({key: self.words("lesson", lesson, key) for key in ("says", "so", "need")})
        return Facts(**values)

    def _seeds(self, count: int) -> str:
        """A count of seeds for a sentence ("3 seeds"; Korean counts with 개 in the sentence)."""
        return fmt_count(count, "seed") if self.language == "en" else str(count)

