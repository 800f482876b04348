"""What each chapter of the site shows, one module per chapter, in either language.

A chapter (``report/<chapter>.qmd``) keeps its teaching code in view: the post's models, the call
that runs an experiment, the call that draws a figure. The bookkeeping behind its tables, figures
and sentences lives here, as a :class:`Page` subclass per chapter bound to one language. Its
methods take results (a :class:`penguins.sweep.SweepResult`, a claims ledger...) and return a table
ready to show, a figure, or :class:`Facts` for the prose: numbers already written out, and the
words a sentence needs chosen from the result, from the language's string table
(:mod:`penguins.strings`). Nothing here knows how the pages are rendered; a chapter tells its
page which language it is in.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, ClassVar

import pandas as pd
from pandas.io.formats.style import Styler

from penguins.pages import tables
from penguins.strings import check_language, term, words


class Facts(SimpleNamespace):
    """The values a chapter's prose shows, each already text: ``facts.n_seeds`` is ``"10"``.

    Inline expressions read them as attributes; a missing one fails with its name.
    """


class Page:
    """A chapter's helpers in one language: its words, tables shown the page's way, the figures' style.

    Subclasses set :attr:`chapter`, the key of the chapter's section of the string table.
    Creating a page that :attr:`draws_figures` sets the figures' look for its language (a Korean
    font on Korean pages); a page that draws none never loads matplotlib.
    """

    chapter: ClassVar[str] = ""
    draws_figures: ClassVar[bool] = True

    def __init__(self, language: str) -> None:
        self.language = check_language(language)
        if self.draws_figures:
            from penguins import plotting

            plotting.set_style(self.language)

    def words(self, *path: str) -> Any:
        """An entry of this chapter's section of the string table."""
        return words(self.language, self.chapter, *path)

    def vocabulary(self, *path: str) -> Any:
        """An entry of the string table's shared vocabulary (terms, species, verdicts...)."""
        return words(self.language, *path)

    def table(self, frame: pd.DataFrame) -> Styler:
        """``frame`` as the page shows it (:func:`penguins.pages.tables.show`)."""
        return tables.show(frame)

    def run_name(self, name: str) -> str:
        """A named run of the post in the reader's words."""
        return tables.run_name(name, self.language)

    def verdict(self, verdict: str) -> str:
        """A ledger verdict in the reader's words."""
        return tables.verdict_word(verdict, self.language)

    def term(self, name: str) -> str:
        """A column name in the reader's words."""
        return term(name, self.language)
