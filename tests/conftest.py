"""Shared test set-up: every test works in a temporary results store, never the project's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from filelock import FileLock

ROOT = Path(__file__).resolve().parents[1]
# the site's own tooling: report/_build/qmd.py reads a chapter (tests/chapter_runner.py runs it)
sys.path.insert(0, str(ROOT / "report" / "_build"))


@pytest.fixture(autouse=True, scope="session")
def _isolated_store(tmp_path_factory: pytest.TempPathFactory) -> None:
    # tasks.py names the folder (PENGUINS_TEST_STORE) so that the reproduce gate it runs after the
    # tests reads the smoke results the tests computed instead of training them again.
    os.environ["PENGUINS_STORE"] = os.environ.get("PENGUINS_TEST_STORE") or str(tmp_path_factory.mktemp("store"))


def run_python(code: str, *, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh Python process (new interpreter, new TensorFlow)."""
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(scope="session")
def reproduced_store() -> str:
    """The session's store, filled once by ``penguins reproduce`` and ``penguins variants`` at the
    smoke preset, as ``tasks.py site`` fills it before rendering (one pytest worker fills it, the
    other waits for it)."""
    store = Path(os.environ["PENGUINS_STORE"])
    store.mkdir(parents=True, exist_ok=True)
    penguins = Path(sys.executable).parent / "penguins"  # the tests' own environment's command
    with FileLock(store / ".reproduce-smoke.lock"):
        marker = store / ".reproduced-smoke"
        if not marker.exists():
            for command in ("reproduce", "variants"):
                subprocess.run(
                    [str(penguins), "--store", str(store), command, "--preset", "smoke", "--jobs", "2"],
                    check=True, capture_output=True, text=True, cwd=ROOT,
                )
            marker.touch()
    return str(store)
