"""The chapter "Explorer" (``report/explorer.qmd``): every experiment, both preprocessings, every seed.

:func:`explorer_data` gathers, from the results store, what the explorer shows, in no language:
per experiment, preprocessing and metric, the mean over seeds and its 95 % interval at each point
of the grid (:meth:`penguins.sweep.SweepResult.summary`) and every seed's value. The page turns
it into an interactive figure (:class:`Explorer`): three menus in the reader's language and a
plotly.js chart drawn in the browser. The page needs no server and no network: the data, plotly.js
(the copy the pinned ``plotly`` package ships) and the small script that draws the chart
(``explorer.js`` beside this file) are all written into the page.
"""

from __future__ import annotations

import html
import importlib.util
import json
import math
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from penguins.experiments import EXPERIMENTS
from penguins.pages import Facts, Page
from penguins.pages.format import fmt_int, fmt_pct, fmt_seeds
from penguins.preprocessing import VARIANTS
from penguins.store import ResultStore
from penguins.sweep import SweepScores, experiment_scores
from penguins.uncertainty import CONFIDENCE

METRICS = ("test_accuracy", "train_accuracy", "test_loss", "train_loss")
# Accuracies are multiples of 1/275 (train) or 1/69 (test): three decimals tell every two apart.
# Losses keep three significant digits. Fewer digits keep the page's data small.
ACCURACY_DECIMALS = 3
LOSS_DIGITS = 3
# Experiments drawn on a log scale, as in the experiments chapter: their grids span two decades.
LOG_X = ("depth", "width", "batch-size")
SCRIPT = Path(__file__).with_name("explorer.js")
PLOTLY_FILE = Path("package_data") / "plotly.min.js"


def explorer_data(
    preset: str, seeds: tuple[int, ...] | None = None, store: ResultStore | None = None
) -> dict[str, Any]:
    """What the explorer shows, read through the store (:func:`penguins.sweep.experiment_scores`).

    Returns a JSON-ready mapping: ``preset``, ``seeds``, ``variants``, ``metrics`` and
    ``experiments``, a list with, per experiment, its ``name``, swept ``parameter``, grid
    ``values``, whether they are ``categorical`` (named runs) or drawn on a ``log_x`` scale, and
    ``series[variant][metric]``: ``mean``, ``low`` and ``high`` per point (``None`` where a single
    seed gives no interval) and ``seeds``, one list of per-seed values per point.
    """
    experiments = []
    found_seeds: tuple[int, ...] = ()
    for name, experiment in EXPERIMENTS.items():
        results = {variant: experiment_scores(name, preset, seeds, variant, store) for variant in VARIANTS}
        first = results[VARIANTS[0]]
        found_seeds = first.seeds
        experiments.append(
            {
                "name": name,
                "parameter": experiment.parameter,
                "values": list(first.values),
                "categorical": any(isinstance(value, str) for value in first.values),
                "log_x": name in LOG_X,
                "series": {
                    variant: {metric: _series(result, metric) for metric in METRICS}
                    for variant, result in results.items()
                },
            }
        )
    return {
        "preset": preset,
        "seeds": list(found_seeds),
        "variants": list(VARIANTS),
        "metrics": list(METRICS),
        "experiments": experiments,
    }


def _series(result: SweepScores, metric: str) -> dict[str, list]:
    """One metric of one sweep: the summary per point and every seed's value."""
    summary = result.summary(metric)
    return {
        "mean": [rounded(value, metric) for value in summary["mean"]],
        "low": [rounded(value, metric) for value in summary["ci_low"]],
        "high": [rounded(value, metric) for value in summary["ci_high"]],
        "seeds": [[rounded(scores[metric], metric) for scores in point] for point in result.scores],
    }


def rounded(value: float, metric: str) -> float | None:
    """``value`` with the digits the explorer keeps for ``metric``; ``None`` for NaN or infinity."""
    value = float(value)
    if not math.isfinite(value):
        return None
    if metric.endswith("accuracy"):
        return round(value, ACCURACY_DECIMALS)
    return float(f"{value:.{LOSS_DIGITS}g}")


def data_json(data: Mapping[str, Any]) -> str:
    """``data`` as compact JSON that is safe inside a ``<script>`` element."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False).replace("</", "<\\/")


@cache
def plotly_js() -> str:
    """plotly.js as the installed ``plotly`` package ships it (located without importing the package)."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the explorer needs the plotly package, which ships plotly.js (pip install plotly)")
    path = Path(next(iter(spec.submodule_search_locations))) / PLOTLY_FILE
    if not path.is_file():
        raise RuntimeError(f"plotly is installed but {path} is missing")
    return path.read_text(encoding="utf-8")


def plotly_version(script: str) -> str:
    """The version plotly.js names in its first lines (``* plotly.js v4.1.1``)."""
    head = script[:200]
    marker = "plotly.js v"
    return head.split(marker, 1)[1].split()[0] if marker in head else "?"


class Explorer:
    """The interactive figure: menus, chart, data and scripts, as HTML for a Jupyter cell."""

    def __init__(self, data: Mapping[str, Any], words: Mapping[str, Any], element_id: str) -> None:
        self.data = data
        self.words = words
        self.element_id = element_id

    def controls(self) -> str:
        """The three menus, their options in the reader's words."""
        menus = {
            "experiment": [
                (item["name"], self.words["experiments"][item["name"]]) for item in self.data["experiments"]
            ],
            "variant": [(variant, self.words["variants"][variant]) for variant in self.data["variants"]],
            "metric": [(metric, self.words["metrics"][metric]) for metric in self.data["metrics"]],
        }
        fields = []
        for choice, options in menus.items():
            items = "".join(
                f'<option value="{html.escape(value)}">{html.escape(text)}</option>' for value, text in options
            )
            fields.append(
                f'<label class="penguins-explorer-menu">{html.escape(self.words["menus"][choice])} '
                f'<select class="form-select form-select-sm" data-choice="{choice}">{items}</select></label>'
            )
        return f'<form class="penguins-explorer-controls" onsubmit="return false">{"".join(fields)}</form>'

    def _repr_html_(self) -> str:
        element = html.escape(self.element_id)
        return (
            f'<div class="penguins-explorer" id="{element}">'
            f"{self.controls()}"
            f'<div class="penguins-explorer-plot" role="img" aria-label="{html.escape(self.words["alt"])}" '
            'style="width:100%;height:480px"></div>'
            f"<noscript>{html.escape(self.words['noscript'])}</noscript>"
            f'<script type="application/json" class="penguins-explorer-data">{data_json(self.data)}</script>'
            f'<script type="application/json" class="penguins-explorer-words">{data_json(self.words)}</script>'
            "</div>"
            f"<script>{plotly_js()}</script>"
            f"<script>{SCRIPT.read_text(encoding='utf-8')}\npenguinsExplorer(document.getElementById({json.dumps(self.element_id)}));</script>"
        )


class ExplorerPage(Page):
    """The explorer and the few numbers its prose gives."""

    chapter = "explorer"
    draws_figures = False  # the chart is drawn by plotly.js in the browser, not matplotlib

    def explorer(self, data: Mapping[str, Any]) -> Explorer:
        """The interactive figure of ``data`` (:func:`explorer_data`) in the page's language."""
        return Explorer(data, self.chart_words(), element_id=f"penguins-explorer-{self.language}")

    def chart_words(self) -> dict[str, Any]:
        """Every word the chart and its menus show, in the page's language."""
        words = dict(self.words("chart"))
        words.update({name: self.term(name) for name in ("mean", "interval", "seed_points")})
        words["experiments"] = {name: self.vocabulary("experiment-titles", name) for name in EXPERIMENTS}
        words["metrics"] = {metric: self.term(metric) for metric in METRICS}
        words["parameters"] = {
            experiment.parameter: self.term(experiment.parameter) for experiment in EXPERIMENTS.values()
        }
        words["runs"] = self.vocabulary("runs")
        return words

    def facts(self, data: Mapping[str, Any]) -> Facts:
        """Counts for the prose: experiments, points, seeds, runs, and the size of the embedded data."""
        points = sum(len(item["values"]) for item in data["experiments"])
        runs = points * len(data["seeds"]) * len(data["variants"])
        return Facts(
            preset=data["preset"],
            n_experiments=str(len(data["experiments"])),
            n_points=fmt_int(points),
            n_seeds=str(len(data["seeds"])),
            seed_text=fmt_seeds(data["seeds"]),
            n_runs=fmt_int(runs),
            confidence=fmt_pct(CONFIDENCE, digits=0),
            data_kb=fmt_int(round(len(data_json(data).encode("utf-8")) / 1024)),
            plotly_version=plotly_version(plotly_js()),
            plotly_mb=f"{len(plotly_js().encode('utf-8')) / 2**20:.1f}",
        )
