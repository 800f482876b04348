"""The introduction (``report/index.qmd``)."""

from __future__ import annotations

import pandas as pd

from penguins.pages import Facts, Page
from penguins.pages.format import fmt_num
from penguins.preprocessing import Split


class IndexPage(Page):
    """The size of the test set, and the data's size for the credits."""

    chapter = "index"
    draws_figures = False

    def facts(self, penguins: pd.DataFrame, split: Split) -> Facts:
        """The numbers the front page quotes: the table's size and the split's."""
        n_test = len(split.y_test)
        return Facts(
            n_test=str(n_test),
            one_penguin=fmt_num(100 / n_test, digits=2),  # percentage points one test penguin is worth
            n_rows=str(len(penguins)),
        )
