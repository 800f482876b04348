import numpy as np
import pandas as pd
import pytest

from penguins.data import load_penguins
from penguins.preprocessing import FEATURES, MEASUREMENTS, VARIANTS, encode, preprocess


def test_post_codes_are_the_posts():
    encoded = encode(load_penguins())
    raw = load_penguins()
    assert dict(zip(raw["species"], encoded["species"], strict=True)) == {"Adelie": 0, "Gentoo": 1, "Chinstrap": 2}
    assert dict(zip(raw["island"], encoded["island"], strict=True)) == {"Biscoe": 0, "Dream": 1, "Torgersen": 2}
    assert dict(zip(raw["sex"].fillna("missing"), encoded["sex"], strict=True)) == {
        "Male": 0,
        "Female": 1,
        "missing": 3,
    }


@pytest.mark.parametrize("variant", VARIANTS)
def test_split_is_275_by_69_with_six_features(variant):
    split = preprocess(variant, seed=7)
    assert split.x_train.shape == (275, 6) and split.x_test.shape == (69, 6)
    assert split.y_train.shape == (275,) and split.y_test.shape == (69,)
    assert split.feature_names == FEATURES
    assert not np.isnan(split.x_train).any() and not np.isnan(split.x_test).any()


def test_both_variants_make_the_same_split_and_seed_changes_it():
    post, leak_free = preprocess("post", 3), preprocess("leak-free", 3)
    np.testing.assert_array_equal(post.test_rows, leak_free.test_rows)
    np.testing.assert_array_equal(post.y_test, leak_free.y_test)
    assert not np.array_equal(preprocess("post", 4).test_rows, post.test_rows)


def test_post_fills_with_the_whole_table_mean_and_scales_each_split_by_itself():
    split = preprocess("post", seed=0)
    # each split reaches exactly 0 and 1 in every column: its own min and max
    np.testing.assert_allclose(split.x_test.min(axis=0), 0)
    np.testing.assert_allclose(split.x_test.max(axis=0), 1)
    np.testing.assert_allclose(split.x_train.min(axis=0), 0)
    np.testing.assert_allclose(split.x_train.max(axis=0), 1)
    # a row with no measurements got the mean over all 344 rows, before scaling
    encoded = encode(load_penguins())
    empty_row = int(encoded[MEASUREMENTS].isna().all(axis=1).idxmax())
    side, rows = ("x_train", split.train_rows) if empty_row in split.train_rows else ("x_test", split.test_rows)
    position = int(np.flatnonzero(rows == empty_row)[0])
    means = encoded[MEASUREMENTS].mean()
    split_frame = encoded.loc[rows, MEASUREMENTS].fillna(means)
    expected = (means - split_frame.min()) / (split_frame.max() - split_frame.min())
    np.testing.assert_allclose(getattr(split, side)[position, 1:5], expected.to_numpy())


def test_leak_free_uses_training_statistics_only():
    split = preprocess("leak-free", seed=0)
    encoded = encode(load_penguins())
    train = encoded.loc[split.train_rows, list(FEATURES)]
    test = encoded.loc[split.test_rows, list(FEATURES)]
    filled_test = test.fillna(train.mean())
    filled_train = train.fillna(train.mean())
    expected = (filled_test - filled_train.min()) / (filled_train.max() - filled_train.min())
    np.testing.assert_allclose(split.x_test, expected.to_numpy())
    # the test split is scaled by the training range, so it need not span [0, 1]
    assert not np.allclose(split.x_test.max(axis=0), 1)


def test_unknown_variant_is_refused():
    with pytest.raises(ValueError, match="unknown preprocessing variant 'tidy'"):
        preprocess("tidy")


def test_preprocessing_does_not_change_the_callers_table():
    penguins = load_penguins()
    before = penguins.copy()
    preprocess("post", 0, penguins)
    pd.testing.assert_frame_equal(penguins, before)
