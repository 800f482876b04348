"""Pages are cheap: a chapter's helpers load the heavy libraries only where the page needs them.

Each page runs in a kernel of its own, once per language, so every import a page does not need
is paid twice per build. Each check imports a page module in a fresh interpreter and looks at
what it loaded.
"""

from __future__ import annotations

import json

import pytest

from conftest import run_python

HEAVY = ("tensorflow", "keras", "jax", "seaborn", "matplotlib", "plotly", "sklearn", "scipy.stats")
# Pages that draw no matplotlib figure: none of the heavy libraries.
DRAWS_NOTHING = {"index": "IndexPage", "explorer": "ExplorerPage"}
# Pages that draw figures but build no Keras model: no TensorFlow, Keras or JAX.
NO_KERAS = ("baseline", "conclusion", "data", "methodology", "reproduction", "timings")


# Every page module but those that build Keras models (Keras loads scikit-learn for its wrappers):
# scikit-learn (2 s) loads where a split is made or candidates are drawn, not with the module.
NO_SKLEARN = ("baseline", "conclusion", "data", "explorer", "index", "methodology", "reproduction", "timings")


# Pages whose figures are plain matplotlib: no seaborn (its white-grid look is plotting.THEME).
NO_SEABORN = ("conclusion", "experiments", "methodology", "overfitting", "reproduction", "schedules", "timings")


def page_class(chapter: str) -> str:
    """``penguins.pages.<chapter>``'s page: ``ExperimentsPage`` for ``experiments``."""
    return f"{chapter.capitalize()}Page"


def loaded_after(code: str) -> set[str]:
    """The heavy libraries in ``sys.modules`` after ``code`` ran in a fresh interpreter."""
    listing = f"import sys, json\nprint(json.dumps([name for name in {HEAVY!r} if name in sys.modules]))"
    done = run_python(f"{code}\n{listing}")
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


@pytest.mark.parametrize("chapter", sorted(DRAWS_NOTHING))
def test_a_page_that_draws_nothing_loads_no_heavy_library(chapter: str) -> None:
    page = DRAWS_NOTHING[chapter]
    assert loaded_after(f"from penguins.pages.{chapter} import {page}\n{page}('ko'); {page}('en')") == set()


@pytest.mark.parametrize("chapter", NO_KERAS)
def test_a_page_without_a_keras_model_loads_no_tensorflow(chapter: str) -> None:
    assert not loaded_after(f"import penguins.pages.{chapter}") & {"tensorflow", "keras", "jax"}


@pytest.mark.parametrize("chapter", NO_SEABORN)
def test_a_page_of_matplotlib_figures_loads_no_seaborn(chapter: str) -> None:
    page = page_class(chapter)
    assert "seaborn" not in loaded_after(f"from penguins.pages.{chapter} import {page}\n{page}('ko'); {page}('en')")


@pytest.mark.parametrize("chapter", NO_SKLEARN)
def test_a_page_module_loads_scikit_learn_only_where_it_is_used(chapter: str) -> None:
    assert "sklearn" not in loaded_after(f"import penguins.pages.{chapter}")
