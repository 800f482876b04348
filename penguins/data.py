"""The Palmer Penguins data, shipped with the package so nothing touches the network.

The bundled ``data/penguins.csv`` is seaborn's ``penguins`` set (344 rows x 7 columns, rows
ordered Adelie, Chinstrap, Gentoo, ``sex`` as ``Male``/``Female``/missing), rebuilt from the
``palmerpenguins`` package's copy of the data of Horst, Hill & Gorman (CC0). The post loads it
with ``seaborn.load_dataset('penguins')``, which downloads from GitHub; we read the same rows
from disk and check them on the way in.
"""

from __future__ import annotations

import csv
import hashlib
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

COLUMNS = (
    "species",
    "island",
    "bill_length_mm",
    "bill_depth_mm",
    "flipper_length_mm",
    "body_mass_g",
    "sex",
)
NUMERIC_COLUMNS = COLUMNS[2:6]
CATEGORIES = {
    "species": {"Adelie", "Chinstrap", "Gentoo"},
    "island": {"Biscoe", "Dream", "Torgersen"},
    "sex": {"Male", "Female"},
}
N_ROWS = 344
BUNDLED_SHA256 = "ced42ea2a83fbcef453250a752963f6a1f4c2fa8afdfdec26bfef9d5b24243aa"


class DataFileError(ValueError):
    """The data file is missing, truncated or malformed; the message names the file and the fault."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def bundled_path() -> Path:
    """Where the package keeps its copy of the data."""
    return Path(str(resources.files("penguins") / "data" / "penguins.csv"))


def sha256_of(path: Path) -> str:
    """The SHA-256 of the file at ``path``, in hexadecimal: how the bundled data file is checked."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_penguins(path: str | Path | None = None) -> pd.DataFrame:
    """Load the penguins table, equal to ``seaborn.load_dataset('penguins')``.

    ``path`` defaults to the bundled file. Every file is checked for its header, its row
    count, the number of fields on each line, numbers where numbers belong and known category
    labels, so a damaged file fails here with a :class:`DataFileError` instead of training a
    model on garbage.
    """
    if path is None:
        return _bundled_table(bundled_path()).copy()  # a copy: the caller may change its own
    return _checked_table(Path(path))


@cache
def _bundled_table(path: Path) -> pd.DataFrame:
    """The bundled table, checked and parsed once per process (every split of every seed starts from it)."""
    return _checked_table(path)


def _checked_table(path: Path) -> pd.DataFrame:
    if path.is_dir():
        raise DataFileError(path, "is a folder, not a data file")
    if not path.is_file():
        raise DataFileError(path, "file not found")
    if path == bundled_path() and sha256_of(path) != BUNDLED_SHA256:
        raise DataFileError(
            path,
            "the bundled data file has been modified (SHA-256 differs from the release); "
            "restore it (git checkout, or reinstall penguins)",
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DataFileError(path, f"cannot be read as UTF-8 text ({error})") from error
    rows = list(csv.reader(text.splitlines()))
    _check_layout(path, rows)
    frame = pd.DataFrame(rows[1:], columns=list(COLUMNS)).replace("", None)
    for column in NUMERIC_COLUMNS:
        frame[column] = _measurements(path, frame[column])
    for column, allowed in CATEGORIES.items():
        unknown = set(frame[column].dropna()) - allowed
        if unknown:
            raise DataFileError(path, f"column {column!r} holds unknown labels {sorted(unknown)}")
    for column in ("species", "island"):
        if frame[column].isna().any():
            raise DataFileError(path, f"column {column!r} has missing values")
    return frame


def _measurements(path: Path, texts: pd.Series) -> pd.Series:
    """A numeric column as float64, an empty field as missing.

    Raises
    ------
    DataFileError
        Naming the line and column of a written field that is not a finite number (``thirty``,
        ``nan``, ``inf``): pandas would read some of those as missing or infinite without a word.
    """
    values = pd.to_numeric(texts, errors="coerce").astype("float64")
    written_but_not_finite = texts.notna() & ~np.isfinite(values)
    if written_but_not_finite.any():
        row = int(np.flatnonzero(written_but_not_finite)[0])
        problem = "is not a finite number" if np.isinf(values.iloc[row]) else "is not a number"
        raise DataFileError(path, f"line {row + 2}, column {texts.name!r}: {texts.iloc[row]!r} {problem}")
    return values


def _check_layout(path: Path, rows: list[list[str]]) -> None:
    if not rows:
        raise DataFileError(path, "file is empty")
    if tuple(rows[0]) != COLUMNS:
        raise DataFileError(path, f"header is {rows[0]}, expected {list(COLUMNS)}")
    for line_number, row in enumerate(rows[1:], start=2):
        if len(row) != len(COLUMNS):
            raise DataFileError(path, f"line {line_number} has {len(row)} fields, expected {len(COLUMNS)} (truncated?)")
    if len(rows) - 1 != N_ROWS:
        raise DataFileError(path, f"has {len(rows) - 1} data rows, expected {N_ROWS} (truncated?)")
