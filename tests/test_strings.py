"""The string tables: one per language, the same keys in both, each language in its own words."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from penguins import strings

HANGUL = re.compile(r"[\uac00-\ud7a3]")


def flatten(entry: Any, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    if isinstance(entry, dict):
        return {key: value for name, item in entry.items() for key, value in flatten(item, (*path, str(name))).items()}
    return {path: entry}


def test_both_tables_have_the_same_keys() -> None:
    ko, en = (flatten(strings.table(language)) for language in strings.LANGUAGES)
    assert sorted(set(ko) ^ set(en)) == [], "keys in one table only"


def test_every_entry_is_text() -> None:
    for language in strings.LANGUAGES:
        odd = [
            ".".join(key)
            for key, value in flatten(strings.table(language)).items()
            if not isinstance(value, str) or not value.strip()
        ]
        assert not odd, f"{language}: entries that are not text: {odd}"


def test_english_is_written_in_english() -> None:
    korean = [".".join(key) for key, value in flatten(strings.table("en")).items() if HANGUL.search(value)]
    assert not korean, f"Hangul in en.yml: {korean}"


def test_the_files_keep_everything_under_one_key() -> None:
    # Quarto reads each file as document metadata: one top-level key cannot clash with its options.
    for language in strings.LANGUAGES:
        loaded = yaml.safe_load(strings.table_path(language).read_text(encoding="utf-8"))
        assert list(loaded) == [strings.ROOT_KEY]


def test_a_missing_entry_names_its_path_and_file() -> None:
    with pytest.raises(KeyError, match=r"ko\.yml has no entry text\.species\.Emperor"):
        strings.words("ko", "species", "Emperor")
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        strings.words("fr", "species")


def test_every_data_file_of_the_package_is_installed_with_it() -> None:
    # An editable install reads the source tree; a wheel carries only what package-data names.
    import fnmatch
    import tomllib

    from conftest import ROOT

    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"
    ]["penguins"]
    package = ROOT / "penguins"
    files = [
        path.relative_to(package).as_posix()
        for path in package.rglob("*")
        if path.is_file() and path.suffix not in {".py", ".pyc"}
    ]
    missing = [name for name in files if not any(fnmatch.fnmatch(name, pattern) for pattern in patterns)]
    assert not missing, f"package files a wheel would leave out (add them to package-data in pyproject.toml): {missing}"
