from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from penguins import data
from penguins.data import COLUMNS, DataFileError, load_penguins


def seaborn_equivalent_from_palmerpenguins() -> pd.DataFrame:
    """seaborn's penguins set, rebuilt independently from the dataset authors' Python package."""
    from palmerpenguins import load_penguins as authors_copy

    frame = authors_copy().drop(columns="year")
    order = frame["species"].map({"Adelie": 0, "Chinstrap": 1, "Gentoo": 2})
    frame = frame.iloc[order.argsort(kind="stable")].reset_index(drop=True)
    frame["sex"] = frame["sex"].str.capitalize()
    return frame


def test_loads_seaborns_penguins_shape_and_columns():
    penguins = load_penguins()
    assert penguins.shape == (344, 7)
    assert tuple(penguins.columns) == COLUMNS
    assert penguins["sex"].value_counts().to_dict() == {"Male": 168, "Female": 165}
    assert penguins["sex"].isna().sum() == 11
    assert list(penguins["species"].unique()) == ["Adelie", "Chinstrap", "Gentoo"]


def test_values_equal_the_data_authors_copy():
    ours, theirs = load_penguins(), seaborn_equivalent_from_palmerpenguins()
    for column in data.NUMERIC_COLUMNS:
        np.testing.assert_array_equal(ours[column].to_numpy(), theirs[column].to_numpy())
    for column in ("species", "island", "sex"):
        assert ours[column].fillna("missing").tolist() == theirs[column].fillna("missing").tolist()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "penguins.csv"
    path.write_text(text, encoding="utf-8")
    return path


def bundled_lines() -> list[str]:
    return data.bundled_path().read_text(encoding="utf-8").splitlines()


def test_missing_file_names_the_file(tmp_path):
    missing = tmp_path / "nowhere.csv"
    with pytest.raises(DataFileError, match="nowhere.csv: file not found"):
        load_penguins(missing)


def test_a_folder_is_not_called_a_missing_file(tmp_path):
    with pytest.raises(DataFileError, match=f"{tmp_path}: is a folder, not a data file"):
        load_penguins(tmp_path)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda lines: lines[:100], "has 99 data rows, expected 344"),
        (lambda lines: lines[:-1] + [lines[-1][:15]], "line 345 has 3 fields"),
        (lambda lines: ["species,island"] + lines[1:], "header is"),
        (
            lambda lines: lines[:5] + [lines[5].replace("36.7", "thirty")] + lines[6:],
            "line 6, column 'bill_length_mm': 'thirty' is not a number",
        ),
        (
            lambda lines: lines[:5] + [lines[5].replace("Torgersen", "Atlantis")] + lines[6:],
            "unknown labels \\['Atlantis'\\]",
        ),
        (lambda lines: [], "file is empty"),
        (
            lambda lines: lines[:5] + [lines[5].replace("36.7", "inf")] + lines[6:],
            "line 6, column 'bill_length_mm': 'inf' is not a finite number",
        ),
        (
            lambda lines: lines[:9] + [lines[9].replace("3475.0", "-Infinity")] + lines[10:],
            "line 10, column 'body_mass_g': '-Infinity' is not a finite number",
        ),
        (
            lambda lines: lines[:5] + [lines[5].replace("36.7", "nan")] + lines[6:],
            "line 6, column 'bill_length_mm': 'nan' is not a number",
        ),
    ],
    ids=[
        "too-few-rows",
        "cut-mid-line",
        "bad-header",
        "not-a-number",
        "unknown-label",
        "empty",
        "infinite",
        "minus-infinity",
        "written-nan",
    ],
)
def test_damaged_file_gives_a_clear_error(tmp_path, damage, message):
    lines = damage(bundled_lines())
    path = write(tmp_path, "\n".join(lines) + "\n" if lines else "")
    with pytest.raises(DataFileError, match=message) as caught:
        load_penguins(path)
    assert str(path) in str(caught.value)


def test_an_intact_copy_loads(tmp_path):
    path = write(tmp_path, "\n".join(bundled_lines()) + "\n")
    pd.testing.assert_frame_equal(load_penguins(path), load_penguins())


def test_modified_bundled_file_is_refused(tmp_path, monkeypatch):
    lines = bundled_lines()
    lines[1] = lines[1].replace("39.1", "39.2")
    path = write(tmp_path, "\n".join(lines) + "\n")
    monkeypatch.setattr(data, "bundled_path", lambda: path)
    with pytest.raises(DataFileError, match="bundled data file has been modified"):
        load_penguins()
