"""The chapter "Data and preprocessing" (report/data.qmd): the fixed facts its prose states.

The chapter reads these facts off the data and writes them as sentences ("a penguin missing one
measurement is missing all four", "the post's 21 parameters are what 6 features give"); the data
ship with the package and never change, so they are checked here rather than by the page.
"""

from __future__ import annotations

import numpy as np
import pytest

from penguins.claims import POST_SOFTMAX_PARAMS, claim
from penguins.data import load_penguins
from penguins.pages.data import (
    SPLIT_SEEDS,
    DataPage,
    chinstraps_in_test,
    correlations,
    largest_gap,
    scaled_sex_codes,
    separation,
    species_means,
    unmeasured,
)
from penguins.preprocessing import (
    CLASS_NAMES,
    FEATURES,
    ISLAND_CODES,
    MEASUREMENTS,
    SEX_CODES,
    SEX_MISSING_CODE,
    SPECIES_CODES,
    preprocess,
)

SEED = 0  # the split every example of the chapter uses


@pytest.fixture(scope="module")
def penguins():
    return load_penguins()


@pytest.fixture(scope="module")
def split():
    return preprocess("post", seed=SEED)


@pytest.fixture(scope="module")
def leak_free():
    return preprocess("leak-free", seed=SEED)


def test_the_table_has_the_shape_the_post_prints(penguins) -> None:
    assert penguins.shape == claim("data-shape").post_value == (344, 7)


def test_a_penguin_missing_one_measurement_misses_all_four(penguins) -> None:
    some = penguins[MEASUREMENTS].isna().any(axis="columns")
    assert (some == unmeasured(penguins)).all()
    assert int(unmeasured(penguins).sum()) == 2
    assert int(penguins["sex"].isna().sum()) == 11
    assert penguins.loc[unmeasured(penguins), "sex"].isna().all(), (
        "the unmeasured penguins are among those without a sex"
    )
    assert penguins.drop(columns=[*MEASUREMENTS, "sex"]).notna().all().all(), "only measurements and sex are missing"


def test_bill_length_and_depth_show_simpsons_paradox(penguins) -> None:
    within, pooled = correlations(penguins)
    assert set(within.index) == set(CLASS_NAMES)
    assert pooled < 0 < within.min()


def test_gentoo_stands_apart_and_bill_length_tells_adelie_from_chinstrap(penguins) -> None:
    means = species_means(penguins)
    assert means["bill_depth_mm"].idxmin() == "Gentoo"
    assert means["flipper_length_mm"].idxmax() == "Gentoo"
    assert means["body_mass_g"].idxmax() == "Gentoo"
    assert separation(penguins, "Adelie", "Chinstrap").idxmax() == "bill_length_mm"


def test_the_codes_are_the_posts() -> None:
    assert SPECIES_CODES == {"Adelie": 0, "Gentoo": 1, "Chinstrap": 2}
    assert ISLAND_CODES == {"Biscoe": 0, "Dream": 1, "Torgersen": 2}
    assert SEX_CODES == {"Male": 0, "Female": 1}
    assert SEX_MISSING_CODE == 3


def test_the_posts_seven_features_are_the_tables_columns_and_its_21_parameters_six_features(penguins) -> None:
    post_features = claim("input-features").post_value
    assert post_features == penguins.shape[1] != len(FEATURES)
    assert "species" not in FEATURES
    assert POST_SOFTMAX_PARAMS == len(FEATURES) * len(CLASS_NAMES) + len(CLASS_NAMES)  # weights and biases


def test_the_split_has_the_shapes_the_post_prints(split) -> None:
    (train_x, _), (test_x, _) = claim("split-train-shape").post_value, claim("split-test-shape").post_value
    assert split.x_train.shape == train_x == (275, 6)
    assert split.x_test.shape == test_x == (69, 6)


def test_the_chinstrap_count_of_the_test_set_moves_with_the_seed() -> None:
    counts = chinstraps_in_test()
    assert len(counts) == len(SPLIT_SEEDS)
    assert min(counts) < max(counts)


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_the_posts_scaling_maps_every_column_of_either_set_to_exactly_0_and_1(seed: int) -> None:
    split = preprocess("post", seed=seed)
    for x in (split.x_train, split.x_test):
        assert (x.min(axis=0) == 0).all() and (x.max(axis=0) == 1).all()


def test_the_largest_gap_is_the_test_penguin_with_the_largest_value(penguins, split, leak_free) -> None:
    assert (leak_free.test_rows == split.test_rows).all(), "same seed, same split"
    penguin, column = largest_gap(split, leak_free)
    feature = split.feature_names[column]
    assert feature in MEASUREMENTS
    test_values = penguins.loc[split.test_rows, feature]
    assert penguins.loc[split.test_rows[penguin], feature] == test_values.max()
    assert split.x_test[penguin, column] == 1.0  # the test set's own maximum
    outside = (leak_free.x_test < 0) | (leak_free.x_test > 1)
    assert outside.any(), "the prose says some test values fall outside 0 to 1 on the training set's ruler"


def test_a_missing_sex_lands_beyond_female(penguins, split) -> None:
    scaled = scaled_sex_codes(penguins, split)
    sex = split.x_train[:, split.feature_names.index("sex")]
    assert np.allclose(np.unique(sex), sorted(scaled.values()))
    assert scaled["male"] < scaled["female"] < scaled["missing"]
    assert scaled == pytest.approx({"male": 0.0, "female": 1 / 3, "missing": 1.0})


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_facts_are_short_text(language: str, penguins, split, leak_free) -> None:
    facts = DataPage(language).facts(penguins, split, leak_free)
    values = [value for value in vars(facts).values()]
    flat = [item for value in values for item in (value.values() if isinstance(value, dict) else [value])]
    assert all(isinstance(value, str) and value and len(value) <= 80 for value in flat)
    assert facts.n_rows == "344" and facts.n_features == "6" and facts.post_features == "7"
    assert facts.train_shape == "275 × 6"


def test_korean_particles_follow_the_computed_words(penguins, split, leak_free) -> None:
    facts = DataPage("ko").facts(penguins, split, leak_free)
    assert facts.feature_is in {"부리 길이다", "부리 깊이다", "날개 길이다", "몸무게다"}
    assert facts.leak_free_value_is.startswith(facts.leak_free_value) and facts.leak_free_value_is.endswith("다")


def test_the_tables_speak_the_readers_language(penguins, split) -> None:
    ko, en = DataPage("ko"), DataPage("en")
    assert "젠투" in ko.species_means(penguins).to_html() and "Gentoo" in en.species_means(penguins).to_html()
    codes = en.codes_table().data
    assert list(codes.iloc[:, 0]) == [0, 1, 2, 0, 1, 2, 0, 1, SEX_MISSING_CODE]
    assert "부리 길이 (mm)" in ko.raw_ranges(penguins, split).to_html()
