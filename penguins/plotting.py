"""Figures for the chapters, drawn with plain matplotlib and seaborn in the page's language.

Every function takes ``language`` ("ko" or "en") and takes its axis labels, legend titles and
species names from that language's string table (:mod:`penguins.strings`), so the Korean and
English pages draw the same figure with their own words. Korean text needs a Korean font:
:func:`use_korean_font` registers the NanumGothic files that ship with the ``koreanize-matplotlib``
package (matplotlib's default font draws Hangul as empty boxes), and the functions here call it
themselves for ``"ko"``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from cycler import cycler
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

# The reader's words for columns, units and species live in penguins.strings (no figure needs to be
# drawn to name a column); they stay importable from here, where the figures use them.
from penguins.strings import UNITS, check_language, label, species_name, term, words  # noqa: F401

KOREAN_FONT = "NanumGothic"
# The widest a figure may be, in inches at the pages' 96 dpi: the text column of a page is about
# 780 pixels wide at a 1280-pixel window, and a wider picture is cut off at its right edge.
COLUMN_WIDTH = 7.5

SPECIES_ORDER = ("Adelie", "Chinstrap", "Gentoo")
# The palmerpenguins figures' colours (R's darkorange, purple and cyan4), used by every figure.
SPECIES_COLORS = {"Adelie": "#FF8C00", "Chinstrap": "#A020F0", "Gentoo": "#008B8B"}
MEASUREMENTS = ("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g")
PAIR_POINT_AREA = 14  # the pair plot's points (points²) and their opacity
PAIR_POINT_ALPHA = 0.7

_registered_fonts: set[Path] = set()

# seaborn's look, ``sns.set_theme(style="whitegrid")`` (seaborn 0.13: the "notebook" context at font
# scale 1, the "deep" palette), as the matplotlib settings it makes, so that a page that draws no
# seaborn plot need not import seaborn (about 1.5 s per page, per language). seaborn also sets
# ``image.cmap`` to its own "rocket", which only exists once seaborn is imported; no figure here
# uses the default colour map. tests/test_plotting.py checks these against seaborn's own.
DEEP = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c", "#ccb974", "#64b5cd")
THEME: dict[str, Any] = {
    "axes.axisbelow": True, "axes.edgecolor": ".8", "axes.grid": True, "axes.labelcolor": ".15",
    "axes.labelsize": 12.0, "axes.linewidth": 1.25, "axes.titlesize": 12.0,
    "font.family": ["sans-serif"],
    "font.sans-serif": ["Arial", "DejaVu Sans", "Liberation Sans", "Bitstream Vera Sans", "sans-serif"],
    "font.size": 12.0, "grid.color": ".8", "grid.linewidth": 1.0,
    "legend.fontsize": 11.0, "legend.title_fontsize": 12.0,
    "lines.solid_capstyle": "round", "patch.edgecolor": "w", "patch.force_edgecolor": True, "text.color": ".15",
    "xtick.bottom": False, "xtick.color": ".15", "xtick.labelsize": 11.0,
    "xtick.major.size": 6.0, "xtick.major.width": 1.25, "xtick.minor.size": 4.0, "xtick.minor.width": 1.0,
    "ytick.color": ".15", "ytick.labelsize": 11.0, "ytick.left": False,
    "ytick.major.size": 6.0, "ytick.major.width": 1.25, "ytick.minor.size": 4.0, "ytick.minor.width": 1.0,
}


def korean_font_files() -> list[Path]:
    """The NanumGothic files shipped inside the koreanize-matplotlib package.

    The package is located without importing it: its import-time code uses ``distutils``
    (gone in Python 3.12) and prints deprecation warnings, and all we need is its fonts.
    """
    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("Korean figures need the koreanize-matplotlib package (pip install koreanize-matplotlib)")
    files = sorted((Path(next(iter(spec.submodule_search_locations))) / "fonts").glob("*.ttf"))
    if not files:
        raise RuntimeError("koreanize-matplotlib is installed but ships no .ttf font files")
    return files


def use_korean_font() -> str:
    """Register NanumGothic with matplotlib and make it the default font; returns its name."""
    for path in korean_font_files():
        if path not in _registered_fonts:
            font_manager.fontManager.addfont(str(path))
            _registered_fonts.add(path)
    mpl.rcParams["font.family"] = KOREAN_FONT
    mpl.rcParams["axes.unicode_minus"] = False  # NanumGothic has no U+2212 minus sign
    return KOREAN_FONT


def set_style(language: str) -> None:
    """The chapters' look: seaborn's white grid, with a Korean font on Korean pages."""
    check_language(language)
    mpl.style.use(THEME)  # a dict of rcParams is a style
    mpl.rcParams["axes.prop_cycle"] = cycler(color=DEEP)
    if language == "ko":
        use_korean_font()  # after the theme, which resets the font settings


def _ensure_font(language: str) -> None:
    if check_language(language) == "ko" and mpl.rcParams["font.family"] != [KOREAN_FONT]:
        use_korean_font()


def _palette(language: str) -> dict[str, str]:
    return {species_name(species, language): SPECIES_COLORS[species] for species in SPECIES_ORDER}


def _species_in(penguins: pd.DataFrame, language: str) -> pd.DataFrame:
    return penguins.assign(species=penguins["species"].map(words(language, "species")))


def bill_scatter(penguins: pd.DataFrame, language: str) -> Figure:
    """Bill length against bill depth by species, with a least-squares line per species.

    The figure the post borrowed from the palmerpenguins documentation, drawn from our data.
    """
    import seaborn as sns  # only the figures that are seaborn's load it
    _ensure_font(language)
    data = _species_in(penguins, language)
    order = [species_name(species, language) for species in SPECIES_ORDER]
    palette = _palette(language)
    fig, ax = plt.subplots(figsize=(7, 5))
    sns.scatterplot(
        data=data,
        x="bill_length_mm",
        y="bill_depth_mm",
        hue="species",
        style="species",
        hue_order=order,
        style_order=order,
        palette=palette,
        s=40,
        alpha=0.8,
        ax=ax,
    )
    for name in order:
        sns.regplot(
            data=data[data["species"] == name],
            x="bill_length_mm",
            y="bill_depth_mm",
            scatter=False,
            ci=None,  # no bootstrap: the same data always draws the same figure
            color=palette[name],
            ax=ax,
        )
    ax.set_xlabel(label("bill_length_mm", language))
    ax.set_ylabel(label("bill_depth_mm", language))
    ax.legend(title=label("species", language))
    fig.tight_layout()
    return fig


def pair_plot(penguins: pd.DataFrame, language: str) -> Figure:
    """Every pair of the four measurements, coloured by species: seaborn's ``pairplot``.

    The post showed seaborn's introduction figure, ``sns.pairplot(penguins, hue="species")``. This
    draws the same figure on the grid ``pairplot`` builds on (``PairGrid``: densities on the
    diagonal, scatter plots off it) with the legend made once, above the grid: ``pairplot``'s own
    legend goes to the right of the grid, outside the width a page gives a figure, and placing it
    draws the whole figure twice more (5.5 s instead of 2 s on this machine).
    """
    import seaborn as sns  # only the figures that are seaborn's load it
    _ensure_font(language)
    columns = {name: label(name, language) for name in ("species", *MEASUREMENTS)}
    data = _species_in(penguins, language)[list(columns)].rename(columns=columns)
    order = [species_name(species, language) for species in SPECIES_ORDER]
    palette = _palette(language)
    size = COLUMN_WIDTH / len(MEASUREMENTS)
    # each density on its own scale, as pairplot draws them (its diag_sharey is for histograms only)
    grid = sns.PairGrid(data, hue=columns["species"], hue_order=order, palette=palette, height=size, diag_sharey=False)
    grid.map_diag(sns.kdeplot, fill=True, warn_singular=False, legend=False)  # pairplot's diagonal with a hue
    grid.map_offdiag(sns.scatterplot, s=PAIR_POINT_AREA, alpha=PAIR_POINT_ALPHA, legend=False)
    marker_size = np.sqrt(PAIR_POINT_AREA)  # a scatter's s is an area in points², a marker's size a width
    handles = [
        Line2D(
            [], [], marker="o", linestyle="", markersize=marker_size, alpha=PAIR_POINT_ALPHA, color=palette[name],
            label=name,
        )
        for name in order
    ]
    grid.figure.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncol=len(order),
        title=columns["species"],
        frameon=False,
    )
    grid.figure.tight_layout()
    return grid.figure


# --------------------------------------------------------------------------- training results

# Species in the order of the model's classes (penguins.preprocessing.CLASS_NAMES): Adelie 0,
# Gentoo 1, Chinstrap 2. Kept here as data so this module does not import the preprocessing.
CLASS_ORDER = ("Adelie", "Gentoo", "Chinstrap")
LINE_COLOR = "#1f4e79"
REFERENCE_COLOR = "#b22222"
# One colour per curve in plot_history / plot_learning_rate, in order.
CURVE_COLORS = ("#1f4e79", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e")


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        fig = ax.get_figure(root=True)
        if fig is None:
            raise ValueError("the axes to draw on belong to no figure")
        return fig, ax
    fig, ax = plt.subplots(figsize=figsize)
    return fig, ax


def plot_confusion_matrix(matrix, language: str, ax: Axes | None = None, title: str | None = None) -> Figure:
    """A confusion matrix as a heat map: rows are the true species, columns the predicted ones.

    ``matrix`` is a 3 x 3 table of counts (``RunRecord.confusion_matrix``) in the model's class
    order, Adelie, Gentoo, Chinstrap; the species are labelled in the page's language.
    """
    import seaborn as sns  # only the figures that are seaborn's load it
    _ensure_font(language)
    counts = np.asarray(matrix, dtype=int)
    if counts.shape != (len(CLASS_ORDER), len(CLASS_ORDER)):
        raise ValueError(f"expected a {len(CLASS_ORDER)} x {len(CLASS_ORDER)} matrix, got shape {counts.shape}")
    names = [species_name(species, language) for species in CLASS_ORDER]
    fig, ax = _axes(ax, (4.2, 3.6))
    sns.heatmap(
        pd.DataFrame(counts, index=names, columns=names),
        annot=True,
        fmt="d",
        cmap="Blues",
        cbar=False,
        square=True,
        linewidths=0.5,
        linecolor="white",
        annot_kws={"fontsize": 12},
        ax=ax,
    )
    ax.set_xlabel(term("predicted", language))
    ax.set_ylabel(term("true", language))
    ax.tick_params(axis="y", rotation=0)
    if title is not None:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_confusion_matrices(matrices: Mapping[str, Sequence[Sequence[int]]], language: str) -> Figure:
    """Several confusion matrices side by side, one per ``{title: matrix}``, within the page's width."""
    _ensure_font(language)
    fig, axes = plt.subplots(1, len(matrices), figsize=(COLUMN_WIDTH, 0.45 * COLUMN_WIDTH), squeeze=False)
    for ax, (title, matrix) in zip(axes[0], matrices.items(), strict=True):
        plot_confusion_matrix(matrix, language, ax=ax, title=title)
    for ax in axes[0][1:]:
        ax.set_ylabel("")
    fig.tight_layout()
    return fig


def plot_sweep(
    summary: pd.DataFrame,
    parameter: str,
    language: str,
    table: pd.DataFrame | None = None,
    reference: float | None = None,
    reference_label: str | None = None,
    ax: Axes | None = None,
    log_x: bool = False,
    score: str = "test_accuracy",
) -> Figure:
    """A swept parameter against a score: the mean over seeds, its 95 % interval as a band.

    ``summary`` is ``SweepResult.summary(score)`` (columns ``parameter``, ``mean``, ``ci_low``,
    ``ci_high``); given ``table`` (``SweepResult.table()``), every seed's value is drawn as a faint
    point. ``reference`` draws a dashed vertical line at that value (the post's choice), labelled
    ``reference_label`` in the legend.
    """
    _ensure_font(language)
    data = summary.sort_values(parameter)
    x = data[parameter].to_numpy(dtype=float)
    fig, ax = _axes(ax, (7, 4))
    if table is not None:
        ax.scatter(
            table[parameter].to_numpy(dtype=float),
            table[score].to_numpy(dtype=float),
            s=12,
            color=LINE_COLOR,
            alpha=0.25,
            linewidths=0,
            label=term("seed_points", language),
            zorder=1,
        )
    low, high = data["ci_low"].to_numpy(dtype=float), data["ci_high"].to_numpy(dtype=float)
    if np.isfinite(low).any():
        ax.fill_between(
            x, low, high, color=LINE_COLOR, alpha=0.18, linewidth=0, label=term("interval", language), zorder=2
        )
    ax.plot(
        x,
        data["mean"].to_numpy(dtype=float),
        color=LINE_COLOR,
        marker="o",
        markersize=3.5,
        linewidth=1.6,
        label=term("mean", language),
        zorder=3,
    )
    if reference is not None:
        ax.axvline(reference, color=REFERENCE_COLOR, linestyle="--", linewidth=1.2, label=reference_label, zorder=4)
    if log_x:
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(mpl.ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda value, _: f"{value:g}"))
        ax.xaxis.set_minor_formatter(mpl.ticker.NullFormatter())
    elif np.all(np.mod(x, 1) == 0):
        ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
    ax.set_xlabel(label(parameter, language))
    ax.set_ylabel(label(score, language))
    if score.endswith("accuracy"):
        ax.yaxis.set_major_formatter(mpl.ticker.PercentFormatter(xmax=1.0, decimals=0))
    ax.legend(loc="best", fontsize="small")
    fig.tight_layout()
    return fig


def _mean_band(curves: Sequence[Sequence[float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per epoch: the mean, the lowest and highest value over the runs still going, and how many."""
    length = max(len(curve) for curve in curves)
    padded = np.full((len(curves), length), np.nan)
    for row, curve in enumerate(curves):
        padded[row, : len(curve)] = curve
    counts = np.sum(~np.isnan(padded), axis=0)
    return np.nanmean(padded, axis=0), np.nanmin(padded, axis=0), np.nanmax(padded, axis=0), counts


def plot_history(
    histories: Sequence[Mapping[str, Sequence[float]]],
    metrics: Sequence[str] | str,
    language: str,
    ax: Axes | None = None,
) -> Figure:
    """Per-epoch training curves: for each metric, the mean over runs and a band from lowest to highest.

    ``histories`` are ``RunRecord.history`` dicts, one per seed; runs stopped early have shorter
    curves, and each epoch is averaged over the runs that reached it. ``metrics`` are history keys
    ("accuracy", "val_accuracy", "loss", ...), labelled in the page's language; epochs count from 1.
    """
    _ensure_font(language)
    if isinstance(metrics, str):
        metrics = [metrics]
    if not histories:
        raise ValueError("plot_history needs at least one history")
    fig, ax = _axes(ax, (7, 4))
    for metric, color in zip(metrics, CURVE_COLORS, strict=False):  # a colour each, as many curves as the palette has
        curves = [history[metric] for history in histories if history.get(metric)]
        if not curves:
            raise KeyError(f"no history has the metric {metric!r}")
        mean, low, high, _ = _mean_band(curves)
        epochs = np.arange(1, len(mean) + 1)
        if len(curves) > 1:
            ax.fill_between(epochs, low, high, color=color, alpha=0.15, linewidth=0)
        ax.plot(epochs, mean, color=color, marker="o", markersize=3, linewidth=1.6, label=term(metric, language))
    ax.set_xlabel(term("epoch", language))
    ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
    if all(metric.endswith("accuracy") for metric in metrics):
        ax.set_ylabel(term("accuracy_axis", language))
        ax.yaxis.set_major_formatter(mpl.ticker.PercentFormatter(xmax=1.0, decimals=0))
    elif all(metric.endswith("loss") for metric in metrics):
        ax.set_ylabel(term("loss_axis", language))
    ax.legend(loc="best", fontsize="small")
    fig.tight_layout()
    return fig


def plot_learning_rate(
    learning_rates: Sequence[float] | Mapping[str, Sequence[float]],
    language: str,
    ax: Axes | None = None,
    x_label: str = "epoch",
) -> Figure:
    """A learning rate over training: one curve, or several given as ``{name: rates}``.

    The rates are per epoch by default (``x_label="epoch"``, counted from 1); pass another term,
    e.g. ``"step"``, for per-step rates (counted from 0).
    """
    _ensure_font(language)
    curves = dict(learning_rates) if isinstance(learning_rates, Mapping) else {None: learning_rates}
    fig, ax = _axes(ax, (7, 3.5))
    start = 1 if x_label == "epoch" else 0
    for (name, values), color in zip(curves.items(), CURVE_COLORS, strict=False):  # as many curves as colours
        rates = np.asarray(values, dtype=float)
        steps = np.arange(start, start + len(rates))
        ax.plot(
            steps,
            rates,
            color=color,
            marker="o" if len(rates) <= 40 else None,
            markersize=3,
            linewidth=1.6,
            label=name,
            drawstyle="default",
        )
    ax.set_xlabel(term(x_label, language))
    ax.set_ylabel(term("learning_rate", language))
    ax.set_ylim(bottom=0)
    if start == 1:
        ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
    if any(name is not None for name in curves):
        ax.legend(loc="best", fontsize="small")
    fig.tight_layout()
    return fig


# --- schedules / overfitting / methodology ---

def plot_schedules_by_step(
    curves: Mapping[str, Sequence[float]],
    trained_steps: int,
    trained_label: str,
    language: str,
    ax: Axes | None = None,
) -> Figure:
    """Learning rates per optimizer step (counted from 0), with the steps a run really trained shaded.

    ``curves`` maps a schedule's name, in the page's language, to its rate at each step; they may
    run past ``trained_steps`` to show what the schedule would do next (a restart, say).
    """
    _ensure_font(language)
    fig, ax = _axes(ax, (7, 3.8))
    ax.axvspan(0, trained_steps, color="#888888", alpha=0.15, linewidth=0, label=trained_label)
    longest = 0
    for (name, values), color in zip(curves.items(), CURVE_COLORS, strict=False):  # as many curves as colours
        rates = np.asarray(values, dtype=float)
        longest = max(longest, len(rates))
        ax.plot(np.arange(len(rates)), rates, color=color, linewidth=1.6, label=name)
    ax.set_xlim(0, longest - 1)
    ax.set_ylim(bottom=0)
    ax.set_xlabel(term("step", language))
    ax.set_ylabel(term("learning_rate", language))
    ax.legend(loc="upper center", fontsize="small")
    fig.tight_layout()
    return fig


def plot_variant_differences(differences: pd.DataFrame, language: str, ax: Axes | None = None) -> Figure:
    """Per run, the mean per-seed difference of test accuracy (leak-free minus post) and its 95 % interval.

    ``differences`` has one row per run, top to bottom, with columns ``run`` (its name in the
    page's language), ``mean``, ``ci_low`` and ``ci_high`` as fractions; they are drawn in
    percentage points around a line at zero.
    """
    _ensure_font(language)
    fig, ax = _axes(ax, (7, 0.45 * len(differences) + 1.4))
    y = np.arange(len(differences))[::-1]
    mean = 100 * differences["mean"].to_numpy(dtype=float)
    low = 100 * differences["ci_low"].to_numpy(dtype=float)
    high = 100 * differences["ci_high"].to_numpy(dtype=float)
    has_interval = np.isfinite(low) & np.isfinite(high)
    ax.axvline(0, color="#555555", linewidth=1.0)
    ax.errorbar(
        mean[has_interval],
        y[has_interval],
        xerr=[mean[has_interval] - low[has_interval], high[has_interval] - mean[has_interval]],
        fmt="none",
        ecolor=LINE_COLOR,
        elinewidth=1.4,
        capsize=3,
    )
    ax.plot(mean, y, "o", color=LINE_COLOR, markersize=5)
    ax.set_yticks(y, differences["run"].tolist())
    ax.set_ylim(-0.7, len(differences) - 0.3)
    ax.set_xlabel(words(language, "figures", "variant-difference"))
    ax.grid(axis="y", visible=False)
    fig.tight_layout()
    return fig


# --- tuning / reproduction ---

POST_COLOR = REFERENCE_COLOR


def plot_seed_values(
    rows: pd.DataFrame,
    language: str,
    x_label: str,
    ax: Axes | None = None,
    percent: bool = True,
    reference: float | None = None,
    band: tuple[float, float] | None = None,
    legend: bool = True,
    limits: tuple[float, float] | None = None,
) -> Figure:
    """One line a quantity: its per-seed values as points and their mean with a 95 % t-interval.

    The post's single value shows as a red diamond.

    ``rows`` has, top to bottom, a ``label`` (in the page's language), ``values`` (a sequence of
    per-seed numbers) and optionally ``post`` (the post's number, NaN for none). ``percent`` shows
    fractions as percentages; ``reference`` draws a vertical line (0 for differences) and ``band``
    shades an interval of the x axis (a tolerance). The intervals are clipped to ``limits``, by
    default [0, 1] for percentages: with few seeds a t-interval can leave the possible values.
    """
    _ensure_font(language)
    legend_words = {
        key: words(language, "figures", name)
        for key, name in (("seeds", "seeds"), ("mean", "mean-interval"), ("post", "post-value"))
    }
    if limits is None and percent:
        limits = (0.0, 1.0)
    fig, ax = _axes(ax, (7, 0.42 * len(rows) + 1.5))
    y = np.arange(len(rows))[::-1]
    if band is not None:
        ax.axvspan(*band, color="#888888", alpha=0.15, linewidth=0)
    if reference is not None:
        ax.axvline(reference, color="#555555", linewidth=1.0)
    labelled = {"seeds": False, "mean": False, "post": False}
    for position, row in zip(y, rows.itertuples(index=False), strict=True):
        values = np.asarray(row.values, dtype=float)
        _seed_row(
            ax, position, values[np.isfinite(values)], getattr(row, "post", float("nan")), limits, legend_words,
            labelled,
        )
    ax.set_yticks(y, rows["label"].tolist())
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(x_label)
    if percent:
        ax.xaxis.set_major_formatter(mpl.ticker.PercentFormatter(xmax=1.0, decimals=0))
    if legend and any(labelled.values()):
        # above the rows, never over a point (with few rows "best" still covers some)
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, fontsize="small", frameon=False)
    fig.tight_layout()
    return fig


def _seed_row(
    ax: Axes,
    position: float,
    values: np.ndarray,
    post: float | None,
    limits: tuple[float, float] | None,
    legend_words: dict[str, str],
    labelled: dict[str, bool],
) -> None:
    """One row of :func:`plot_seed_values`: the seeds' points, their mean and interval, the post's diamond.

    ``labelled`` says which of the three have their legend entry already (each is labelled once).
    """
    from penguins.uncertainty import mean_interval

    if len(values):
        label = None if labelled["seeds"] else legend_words["seeds"]
        ax.scatter(
            values, np.full(len(values), position), s=16, color=LINE_COLOR, alpha=0.35, linewidths=0, zorder=2,
            label=label,
        )
        labelled["seeds"] = True
        mean, low, high = mean_interval(values, bounds=limits)
        if len(values) > 1:
            ax.errorbar(
                mean,
                position + 0.22,
                xerr=[[mean - low], [high - mean]],
                fmt="none",
                ecolor=LINE_COLOR,
                elinewidth=1.4,
                capsize=3,
                zorder=3,
            )
        label = None if labelled["mean"] else legend_words["mean"]
        ax.plot(mean, position + 0.22, "o", color=LINE_COLOR, markersize=5, zorder=4, label=label)
        labelled["mean"] = True
    if post is not None and np.isfinite(post):
        label = None if labelled["post"] else legend_words["post"]
        ax.plot(post, position - 0.22, "D", color=POST_COLOR, markersize=5.5, zorder=5, label=label)
        labelled["post"] = True


# --- timings ---

LANGUAGE_COLORS = ("#1f4e79", "#d95f02")  # the Korean and the English page


def plot_page_times(
    seconds: pd.DataFrame, language: str, target: float | None = None, target_label: str | None = None
) -> Figure:
    """Each page's execution time per language, as horizontal bars, top to bottom in row order.

    ``seconds`` has one row per page (its index: the page's name in the reader's words) and one
    column per language (named in the reader's words). ``target`` draws a dashed vertical line at
    that many seconds, labelled ``target_label`` in the legend.
    """
    _ensure_font(language)
    fig, ax = _axes(None, (7, 0.42 * len(seconds) + 1.3))
    y = np.arange(len(seconds))[::-1]
    height = 0.8 / max(1, len(seconds.columns))
    # one colour per language: a column beyond the two languages would not be drawn
    for index, (column, color) in enumerate(zip(seconds.columns, LANGUAGE_COLORS, strict=False)):
        ax.barh(
            y + 0.4 - height * (index + 0.5), seconds[column].to_numpy(dtype=float), height=height, color=color,
            label=column,
        )
    if target is not None:
        ax.axvline(target, color=REFERENCE_COLOR, linestyle="--", linewidth=1.2, label=target_label)
    ax.set_yticks(y, seconds.index.tolist())
    ax.set_ylim(-0.6, len(seconds) - 0.4)
    ax.set_xlabel(term("execution_seconds", language))
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, fontsize="small", frameon=False)
    fig.tight_layout()
    return fig
