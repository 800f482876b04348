"""The chapter "Data and preprocessing" (``report/data.qmd``).

Nothing here trains a model: the chapter loads the table, looks at it, and measures what the
post's preprocessing does to it. Splitting the table is cheap, so the facts split it on several
seeds themselves.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from pandas.io.formats.style import Styler

from penguins import plotting
from penguins.claims import POST_SOFTMAX_PARAMS, claim
from penguins.pages import Facts, Page, tables
from penguins.pages.format import fmt_int, fmt_num, fmt_pct, with_particle
from penguins.preprocessing import (
    CLASS_NAMES,
    FEATURES,
    ISLAND_CODES,
    MEASUREMENTS,
    SEX_CODES,
    SEX_MISSING_CODE,
    SPECIES_CODES,
    TARGET,
    TEST_SIZE,
    Split,
    encode,
    preprocess,
)

# The seeds over which the chapter counts the Chinstrap penguins of the test set.
SPLIT_SEEDS = range(20)


def correlations(penguins: pd.DataFrame) -> tuple[pd.Series, float]:
    """The correlation of bill length and bill depth within each species, and over all penguins."""
    bills = ["bill_length_mm", "bill_depth_mm"]
    within = penguins.groupby(TARGET)[bills].corr().xs("bill_depth_mm", level=1)["bill_length_mm"]
    return within, float(penguins["bill_length_mm"].corr(penguins["bill_depth_mm"]))


def species_means(penguins: pd.DataFrame) -> pd.DataFrame:
    """The mean of each measurement per species."""
    return penguins.groupby(TARGET)[MEASUREMENTS].mean()


def separation(penguins: pd.DataFrame, first: str, second: str) -> pd.Series:
    """How far apart two species' means lie on each measurement, in standard deviations of all penguins."""
    means = species_means(penguins)
    return (means.loc[second] - means.loc[first]).abs() / penguins[MEASUREMENTS].std()


def unmeasured(penguins: pd.DataFrame) -> pd.Series:
    """Whether each penguin has none of the four measurements."""
    return penguins[MEASUREMENTS].isna().all(axis="columns")


def largest_gap(split: Split, leak_free: Split) -> tuple[int, int]:
    """The test penguin (its position) and feature (its column) where the two preprocessings differ most."""
    gap = np.abs(split.x_test - leak_free.x_test)
    feature = int(gap.max(axis=0).argmax())
    return int(gap[:, feature].argmax()), feature


def chinstraps_in_test(seeds: range = SPLIT_SEEDS) -> list[int]:
    """How many Chinstrap penguins the post's split puts in the test set, seed by seed."""
    chinstrap = CLASS_NAMES.index("Chinstrap")
    return [int((preprocess("post", seed=seed).y_test == chinstrap).sum()) for seed in seeds]


def scaled_sex_codes(penguins: pd.DataFrame, split: Split) -> dict[str, float]:
    """What the post's scaling turns each sex code into ("male", "female", "missing").

    On the training set of ``split``.
    """
    codes = encode(penguins).loc[split.train_rows, "sex"]
    low, high = codes.min(), codes.max()
    named = {"male": SEX_CODES["Male"], "female": SEX_CODES["Female"], "missing": SEX_MISSING_CODE}
    return {name: float((code - low) / (high - low)) for name, code in named.items()}


class DataPage(Page):
    """The penguin table, its figures, the post's codes, the split and what the post's scaling does."""

    chapter = "data"

    def head(self, penguins: pd.DataFrame) -> Styler:
        """The first five rows, as pandas shows them (one decimal, missing values as NaN)."""
        return self.table(penguins.head()).format(precision=1, na_rep="NaN")

    def missing_table(self, penguins: pd.DataFrame) -> Styler:
        """How many values each column misses, for the columns that miss any."""
        missing = penguins.isna().sum()
        frame = missing[missing > 0].to_frame(self.words("columns", "missing"))
        frame.index.name = "column"
        return self.table(self._labelled(frame))

    def pair_plot(self, penguins: pd.DataFrame) -> Figure:
        """Every pair of the four measurements by species (``plotting.pair_plot``)."""
        return plotting.pair_plot(penguins, self.language)

    def correlation_table(self, penguins: pd.DataFrame) -> Styler:
        """The correlation of bill length and bill depth within each species and over all penguins."""
        within, pooled = correlations(penguins)
        names = [plotting.species_name(species, self.language) for species in within.index]
        column = self.words("columns", "correlation")
        frame = pd.DataFrame(
            {column: [fmt_num(value, 2) for value in [*within, pooled]]},
            index=pd.Index([*names, self.words("all-species")], name=self.term("species")),
        )
        return self.table(frame)

    def species_means(self, penguins: pd.DataFrame) -> Styler:
        """The mean measurements per species."""
        means = species_means(penguins).map(lambda value: fmt_num(value, 1))
        return self.table(self._labelled(means))

    def codes_table(self) -> Styler:
        """The post's numeric codes for species, island and sex (missing sex included)."""
        names = self.words("columns")
        rows = [
            *[("species", value, code) for value, code in SPECIES_CODES.items()],
            *[("island", value, code) for value, code in ISLAND_CODES.items()],
            *[("sex", value, code) for value, code in SEX_CODES.items()],
            ("sex", self.words("missing-value"), SEX_MISSING_CODE),
        ]
        frame = pd.DataFrame(
            {
                names["column"]: [self.term(column) for column, _, _ in rows],
                names["value"]: [value for _, value, _ in rows],
                names["code"]: [code for _, _, code in rows],
            }
        )
        return self.table(frame.set_index([names["column"], names["value"]]))

    def species_counts(self, split: Split) -> Styler:
        """Penguins per species in the training and test sets of ``split``."""
        return self.table(tables.species_counts(split, self.language))

    def scaled_ranges(self, split: Split) -> Styler:
        """The smallest and largest value of each feature after scaling, in each set."""
        frame = self._ranges(
            pd.DataFrame(split.x_train, columns=list(split.feature_names)),
            pd.DataFrame(split.x_test, columns=list(split.feature_names)),
            digits=3,
        )
        return self.table(frame)

    def raw_ranges(self, penguins: pd.DataFrame, split: Split) -> Styler:
        """The smallest and largest measurement in each set, before scaling."""
        train = penguins.loc[split.train_rows, MEASUREMENTS]
        test = penguins.loc[split.test_rows, MEASUREMENTS]
        return self.table(self._ranges(train, test, digits=1))

    def gap_table(self, split: Split, leak_free: Split) -> Styler:
        """Per feature, the largest difference between the two preprocessings in each set."""
        splits = self.vocabulary("splits")
        frame = pd.DataFrame(
            {
                splits["train"]: np.abs(split.x_train - leak_free.x_train).max(axis=0),
                splits["test"]: np.abs(split.x_test - leak_free.x_test).max(axis=0),
            },
            index=pd.Index(split.feature_names, name="column"),
        ).map(lambda value: fmt_num(value, 3))
        return self.table(self._labelled(frame))

    def _labelled(self, frame: pd.DataFrame) -> pd.DataFrame:
        labelled = tables.labelled(frame, self.language)
        if frame.index.name == "column":
            labelled.index.name = self.words("columns", "column")
        return labelled

    def _ranges(self, train: pd.DataFrame, test: pd.DataFrame, digits: int) -> pd.DataFrame:
        names = self.words("columns")
        frame = pd.DataFrame(
            {
                names["train_min"]: train.min(),
                names["train_max"]: train.max(),
                names["test_min"]: test.min(),
                names["test_max"]: test.max(),
            }
        ).map(lambda value: fmt_num(value, digits))
        frame.index.name = "column"
        return self._labelled(frame)

    # ------------------------------------------------------------------ prose

    def facts(self, penguins: pd.DataFrame, split: Split, leak_free: Split) -> Facts:
        """Every number the chapter's prose shows."""
        n_rows, n_columns = penguins.shape
        missing = penguins.isna().sum()
        within, pooled = correlations(penguins)
        chinstraps = chinstraps_in_test()
        features = [self.term(feature) for feature in FEATURES]
        if self.language == "en":
            features = [feature.lower() for feature in features]
        return Facts(
            n_rows=fmt_int(n_rows),
            n_columns=str(n_columns),
            n_unmeasured=str(int(unmeasured(penguins).sum())),
            n_missing_sex=str(int(missing["sex"])),
            r_low=fmt_num(within.min(), 2),
            r_high=fmt_num(within.max(), 2),
            r_pooled=fmt_num(pooled, 2),
            post_features=str(claim("input-features").post_value),
            post_params=str(POST_SOFTMAX_PARAMS),
            n_features=str(len(FEATURES)),
            n_classes=str(len(CLASS_NAMES)),
            feature_list=", ".join(features),
            seed=str(split.seed),
            test_share=fmt_pct(TEST_SIZE, digits=0),
            n_train=str(len(split.y_train)),
            n_test=str(len(split.y_test)),
            train_shape=" × ".join(str(size) for size in split.x_train.shape),
            test_shape=" × ".join(str(size) for size in split.x_test.shape),
            n_split_seeds=str(len(SPLIT_SEEDS)),
            fewest_chinstraps=str(min(chinstraps)),
            most_chinstraps=str(max(chinstraps)),
            **self._gap(penguins, split, leak_free),
            **self._sex(penguins, split),
        )

    def _gap(self, penguins: pd.DataFrame, split: Split, leak_free: Split) -> dict[str, str]:
        penguin, column = largest_gap(split, leak_free)
        feature = split.feature_names[column]
        example = penguins.loc[split.test_rows[penguin]]
        name = self.term(feature)
        post_value = fmt_num(split.x_test[penguin, column], 3)
        train_gap = fmt_num(np.abs(split.x_train - leak_free.x_train).max(), 3)
        outside = (leak_free.x_test < 0) | (leak_free.x_test > 1)
        return {
            "feature": name if self.language == "ko" else name.lower(),
            "feature_is": with_particle(name, "이다"),  # Korean: "몸무게다", "부리 길이다"
            "example_species": plotting.species_name(example[TARGET], self.language),
            "example_value": f"{example[feature]:g} {plotting.UNITS[feature]}",
            "post_value": post_value,
            "leak_free_value": fmt_num(leak_free.x_test[penguin, column], 3),
            "leak_free_value_is": with_particle(fmt_num(leak_free.x_test[penguin, column], 3), "이다"),
            "n_outside": str(int(outside.sum())),
            "train_gap": train_gap,
            "train_gap_is": with_particle(train_gap, "이다"),
        }

    def _sex(self, penguins: pd.DataFrame, split: Split) -> dict[str, dict[str, str]]:
        return {"sex_scaled": {name: fmt_num(value, 3) for name, value in scaled_sex_codes(penguins, split).items()}}
