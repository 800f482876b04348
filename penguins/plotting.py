"""Figures for the chapters, drawn with plain matplotlib and seaborn in the page's language.

Every function takes ``language`` ("ko" or "en") and picks axis labels, legend titles and
species names from the small dictionaries below, so the Korean and English pages draw the same
figure with their own words. Korean text needs a Korean font: :func:`use_korean_font` registers
the NanumGothic files that ship with the ``koreanize-matplotlib`` package (matplotlib's default
font draws Hangul as empty boxes), and the functions here call it themselves for ``"ko"``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib import font_manager
from matplotlib.figure import Figure

LANGUAGES = ("ko", "en")
KOREAN_FONT = "NanumGothic"

TERMS: dict[str, dict[str, str]] = {
    "ko": {
        "species": "종",
        "island": "섬",
        "sex": "성별",
        "bill_length_mm": "부리 길이",
        "bill_depth_mm": "부리 깊이",
        "flipper_length_mm": "날개 길이",
        "body_mass_g": "몸무게",
    },
    "en": {
        "species": "Species",
        "island": "Island",
        "sex": "Sex",
        "bill_length_mm": "Bill length",
        "bill_depth_mm": "Bill depth",
        "flipper_length_mm": "Flipper length",
        "body_mass_g": "Body mass",
    },
}
UNITS = {"bill_length_mm": "mm", "bill_depth_mm": "mm", "flipper_length_mm": "mm", "body_mass_g": "g"}
SPECIES_NAMES: dict[str, dict[str, str]] = {
    "ko": {"Adelie": "아델리", "Chinstrap": "턱끈", "Gentoo": "젠투"},
    "en": {"Adelie": "Adelie", "Chinstrap": "Chinstrap", "Gentoo": "Gentoo"},
}
SPECIES_ORDER = ("Adelie", "Chinstrap", "Gentoo")
# The palmerpenguins figures' colours (R's darkorange, purple and cyan4), used by every figure.
SPECIES_COLORS = {"Adelie": "#FF8C00", "Chinstrap": "#A020F0", "Gentoo": "#008B8B"}
MEASUREMENTS = ("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g")

_registered_fonts: set[Path] = set()


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; choose one of {LANGUAGES}")
    return language


def term(name: str, language: str) -> str:
    """The reader's word for a column name (``bill_length_mm`` -> "부리 길이"); other names unchanged."""
    return TERMS[check_language(language)].get(name, name)


def label(name: str, language: str) -> str:
    """An axis label: the reader's word and the unit (``bill_length_mm`` -> "부리 길이 (mm)")."""
    unit = UNITS.get(name)
    return f"{term(name, language)} ({unit})" if unit else term(name, language)


def species_name(name: str, language: str) -> str:
    """A species in the page's language ("Chinstrap" -> "턱끈")."""
    return SPECIES_NAMES[check_language(language)][name]


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
    sns.set_theme(style="whitegrid")
    if language == "ko":
        use_korean_font()  # after set_theme, which resets the font settings


def _ensure_font(language: str) -> None:
    if check_language(language) == "ko" and mpl.rcParams["font.family"] != [KOREAN_FONT]:
        use_korean_font()


def _palette(language: str) -> dict[str, str]:
    return {species_name(species, language): SPECIES_COLORS[species] for species in SPECIES_ORDER}


def _species_in(penguins: pd.DataFrame, language: str) -> pd.DataFrame:
    return penguins.assign(species=penguins["species"].map(SPECIES_NAMES[language]))


def bill_scatter(penguins: pd.DataFrame, language: str) -> Figure:
    """Bill length against bill depth by species, with a least-squares line per species.

    The figure the post borrowed from the palmerpenguins documentation, drawn from our data.
    """
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
    """Every pair of the four measurements, coloured by species (seaborn's ``pairplot``).

    The post showed seaborn's introduction figure, ``sns.pairplot(penguins, hue="species")``.
    """
    _ensure_font(language)
    columns = {name: label(name, language) for name in ("species", *MEASUREMENTS)}
    data = _species_in(penguins, language)[list(columns)].rename(columns=columns)
    grid = sns.pairplot(
        data,
        hue=columns["species"],
        hue_order=[species_name(species, language) for species in SPECIES_ORDER],
        palette=_palette(language),
        height=1.9,
        plot_kws={"s": 14, "alpha": 0.7},
    )
    return grid.figure
