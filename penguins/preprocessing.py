"""Turn the penguins table into train/test arrays, two ways.

``post`` repeats the blog post step by step, including two things a careful reader would
not do: missing measurements are filled with the mean of the *whole* table (test rows
included), and x_train and x_test are min-max scaled *each with its own* min and max, so the
same penguin can map to different numbers depending on which split it lands in. We keep both
on purpose: the point is to reproduce the post.

``leak-free`` makes the same split and the same encodings but fits the imputer and the scaler
on the training rows only (a scikit-learn ``ColumnTransformer``) and applies them to the test
rows. The methodology chapter compares the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from penguins.data import load_penguins

if TYPE_CHECKING:
    from sklearn.compose import ColumnTransformer

# scikit-learn (2 s to import, scipy.stats with it) is imported where a split is made: every page
# imports this module for the class names and codes, and most pages only read the store.

SPECIES_CODES = {"Adelie": 0, "Gentoo": 1, "Chinstrap": 2}
ISLAND_CODES = {"Biscoe": 0, "Dream": 1, "Torgersen": 2}
SEX_CODES = {"Male": 0, "Female": 1}
SEX_MISSING_CODE = 3
FEATURES = ("island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "sex")
MEASUREMENTS = list(FEATURES[1:5])
TARGET = "species"
CLASS_NAMES = tuple(SPECIES_CODES)  # index i is the species coded i
N_CLASSES = len(CLASS_NAMES)
TEST_SIZE = 0.2
VARIANTS = ("post", "leak-free")


@dataclass(frozen=True)
class Split:
    """Model-ready arrays of one preprocessing variant and one split seed."""

    variant: str
    seed: int
    x_train: np.ndarray
    x_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    train_rows: np.ndarray  # row numbers of the loaded table, to trace a prediction back
    test_rows: np.ndarray
    feature_names: tuple[str, ...] = FEATURES

    @property
    def n_features(self) -> int:
        """How many input columns the models see (the post's six)."""
        return self.x_train.shape[1]


def encode(penguins: pd.DataFrame) -> pd.DataFrame:
    """The post's label codes: species, island and sex as integers, missing sex as 3."""
    encoded = penguins.copy()
    encoded["species"] = encoded["species"].map(SPECIES_CODES)
    encoded["island"] = encoded["island"].map(ISLAND_CODES)
    encoded["sex"] = encoded["sex"].map(SEX_CODES).fillna(SEX_MISSING_CODE)
    return encoded


def preprocess(variant: str = "post", seed: int = 0, penguins: pd.DataFrame | None = None) -> Split:
    """Encode, split 80/20 with ``random_state=seed`` and scale, as ``variant`` says."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown preprocessing variant {variant!r}; choose one of {VARIANTS}")
    encoded = encode(load_penguins() if penguins is None else penguins)
    if variant == "post":
        # The post fills every column with its mean over all 344 rows, before splitting.
        encoded[MEASUREMENTS] = encoded[MEASUREMENTS].fillna(encoded[MEASUREMENTS].mean())
    x = encoded[list(FEATURES)]
    y = encoded[TARGET]
    from sklearn.model_selection import train_test_split

    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=TEST_SIZE, random_state=seed)
    if variant == "post":
        x_train_array, x_test_array = _own_min_max(x_train), _own_min_max(x_test)
    else:
        transformer = _leak_free_transformer().fit(x_train)
        x_train_array, x_test_array = transformer.transform(x_train), transformer.transform(x_test)
    return Split(
        variant=variant,
        seed=seed,
        x_train=np.asarray(x_train_array, dtype=np.float64),
        x_test=np.asarray(x_test_array, dtype=np.float64),
        y_train=y_train.to_numpy(dtype=np.int64),
        y_test=y_test.to_numpy(dtype=np.int64),
        train_rows=x_train.index.to_numpy(),
        test_rows=x_test.index.to_numpy(),
    )


def _own_min_max(frame: pd.DataFrame) -> np.ndarray:
    """The post's normalisation: each split scaled by its *own* column min and max."""
    low, high = frame.min(axis="index"), frame.max(axis="index")
    return ((frame - low) / (high - low)).to_numpy()


def _leak_free_transformer() -> ColumnTransformer:
    """Impute and scale with statistics of the training rows only; column order = FEATURES."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler

    return ColumnTransformer(
        [
            ("island", MinMaxScaler(), ["island"]),
            ("measurements", make_pipeline(SimpleImputer(strategy="mean"), MinMaxScaler()), MEASUREMENTS),
            ("sex", MinMaxScaler(), ["sex"]),
        ]
    )
