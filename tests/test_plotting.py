"""Figures fit the page: within the text column, legends inside the picture, labels in the page's language."""

from __future__ import annotations

import io
import struct

import matplotlib
import pytest

matplotlib.use("Agg")

from penguins import plotting  # noqa: E402
from penguins.data import load_penguins  # noqa: E402

# a Korean label drawn in a font without Hangul shows empty boxes: fail on matplotlib's warning
pytestmark = pytest.mark.filterwarnings("error:Glyph .* missing from font")
MAX_PIXELS = 760  # what the text column shows whole at a 1280-pixel window (tests/chapter_runner.py)


def saved_width(figure) -> int:
    """The width in pixels of ``figure`` saved as the pages save it (96 dpi, tight bounding box)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=96, bbox_inches="tight")
    return struct.unpack(">I", buffer.getvalue()[16:20])[0]


@pytest.mark.parametrize("language", ("ko", "en"))
def test_the_pair_plot_keeps_its_legend_inside_the_column(language: str) -> None:
    plotting.set_style(language)
    figure = plotting.pair_plot(load_penguins(), language)
    assert saved_width(figure) <= MAX_PIXELS
    figure.canvas.draw()
    legend = figure.legends[0].get_window_extent()
    axes = [ax.get_window_extent() for ax in figure.axes]
    assert legend.x0 >= min(box.x0 for box in axes) - 1 and legend.x1 <= max(box.x1 for box in axes) + 1, (
        "the legend sticks out sideways"
    )
    species = {text.get_text() for text in figure.legends[0].get_texts()}
    assert species == {plotting.species_name(name, language) for name in plotting.SPECIES_ORDER}


def test_side_by_side_confusion_matrices_fit_the_column() -> None:
    matrix = [[30, 1, 0], [2, 20, 0], [1, 0, 15]]
    figure = plotting.plot_confusion_matrices({"a": matrix, "b": matrix, "c": matrix}, "ko")
    assert saved_width(figure) <= MAX_PIXELS
    assert figure.axes[0].get_ylabel() == plotting.term("true", "ko") and figure.axes[1].get_ylabel() == ""


def rc_after(style) -> dict:
    """matplotlib's settings after ``style()`` from matplotlib's defaults (restored afterwards)."""
    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        style()
        return dict(matplotlib.rcParams)


def test_the_chapters_look_is_seaborns_white_grid_without_importing_seaborn() -> None:
    import seaborn as sns
    from matplotlib.colors import to_rgb

    theirs = rc_after(lambda: sns.set_theme(style="whitegrid"))
    ours = rc_after(lambda: plotting.set_style("en"))
    # seaborn's own colour map "rocket" exists only where seaborn is imported; no figure uses it
    differ = {name for name in theirs if name != "axes.prop_cycle" and theirs[name] != ours[name]}
    assert differ == {"image.cmap"}
    colors = [[part for entry in rc["axes.prop_cycle"] for part in to_rgb(entry["color"])] for rc in (theirs, ours)]
    assert colors[0] == pytest.approx(colors[1], abs=1 / 255)
