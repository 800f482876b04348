"""tests/conftest.py's tiers: what it names as slow exists, and what it names is left out of --fast."""

from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace

import pytest

import conftest
from conftest import ROOT


def definitions(path: Path) -> tuple[set[str], set[str]]:
    """The test functions and the fixtures a test module defines, by name."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    fixtures = {
        node.name for node in functions
        if any("fixture" in ast.unparse(decorator) for decorator in node.decorator_list)
    }
    return {node.name for node in functions if node.name.startswith("test_")}, fixtures


def test_every_slow_name_is_a_test_fixture_or_module_that_exists() -> None:
    # a renamed test or fixture would otherwise join the fast tier without anyone noticing
    modules = {path.name: definitions(path) for path in (ROOT / "tests").glob("*.py")}
    fixtures = set().union(*(defined for _, defined in modules.values()))
    assert conftest.SLOW_FIXTURES <= fixtures, conftest.SLOW_FIXTURES - fixtures
    assert conftest.SLOW_MODULES <= modules.keys(), conftest.SLOW_MODULES - modules.keys()
    missing = [entry for entry in conftest.SLOW_TESTS
               if entry.split("::")[1] not in modules.get(entry.split("::")[0], (set(),))[0]]
    assert not missing, missing


def item(file: str, name: str, fixtures: tuple[str, ...] = ()) -> SimpleNamespace:
    marks: list[str] = []
    return SimpleNamespace(path=Path("tests") / file, name=f"{name}[x]", originalname=name, fixturenames=list(fixtures),
                           marks=marks, add_marker=lambda mark: marks.append(mark.name))


@pytest.mark.parametrize(
    ("file", "name", "fixtures", "slow"),
    [
        ("test_pages_tuning.py", "test_anything", ("reproduced_store",), True),  # by the fixture it uses
        ("test_faults.py", "test_anything", (), True),  # by its module
        ("test_training.py", "test_logistic_baseline_record", ("tmp_path",), True),  # by name, any parameters
        ("test_training.py", "test_bad_seed_is_refused", ("seed",), False),
        ("test_store.py", "test_anything", ("tmp_path",), False),
    ],
)
def test_the_slow_marker_follows_fixtures_modules_and_names(
    file: str, name: str, fixtures: tuple[str, ...], slow: bool
) -> None:
    collected = item(file, name, fixtures)
    conftest.pytest_collection_modifyitems([collected])
    assert collected.marks == (["slow"] if slow else [])
