"""Set up and run penguins with nothing but Python 3.11: ``python tasks.py test`` or ``python tasks.py site``.

Both commands create ``.venv`` (once), install the pinned requirements and the package into it,
then do their job inside it. Quarto is not a Python package: ``site`` renders with it when it
is on the PATH and otherwise says how to get it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
LANGUAGES = ("ko", "en")


def sh(*command: str | Path, **env: str) -> None:
    print("+", " ".join(map(str, command)), flush=True)
    subprocess.run([str(part) for part in command], cwd=ROOT, check=True, env={**os.environ, **env})


def set_up() -> None:
    if not PYTHON.exists():
        venv.create(VENV, with_pip=True)
    sh(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    sh(PYTHON, "-m", "pip", "install", "--quiet", "-r", "requirements.txt")
    sh(PYTHON, "-m", "pip", "install", "--quiet", "--no-deps", "-e", ".")


def test(pytest_args: list[str]) -> None:
    """The test suite, then (for the whole suite) the reproduce gate on the smoke preset, both in
    one temporary store so the gate reads what the tests computed."""
    set_up()
    with tempfile.TemporaryDirectory(prefix="penguins-test-store-") as store:
        # two pytest workers (pytest-xdist) share the store, so a result is still trained once
        sh(PYTHON, "-m", "pytest", "-n", "2", *pytest_args, PENGUINS_TEST_STORE=store)
        if not pytest_args:
            sh(BIN / "penguins", "check", "--preset", "smoke", PENGUINS_STORE=store)


def site(preset: str) -> None:
    set_up()
    quarto = shutil.which("quarto")
    if quarto is None:
        sys.exit(
            "Quarto is not installed, so the site cannot be rendered here.\n"
            "Install Quarto 1.7.34 from https://quarto.org/docs/get-started/ (the publishing workflow uses the same\n"
            "version), then run this command again. Without Quarto, `python tasks.py test` still runs every chapter."
        )
    env = {"PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "QUARTO_PYTHON": str(PYTHON), "PENGUINS_PRESET": preset}
    # Compute first, with progress bars; the pages then only read the store. The methodology
    # chapter compares the two preprocessings on the sections (`penguins variants`), not the searches.
    jobs = str(os.cpu_count() or 1)
    sh(BIN / "penguins", "reproduce", "--preset", preset, "--jobs", jobs)
    sh(BIN / "penguins", "variants", "--preset", preset, "--jobs", jobs)
    for language in LANGUAGES:
        sh(quarto, "render", "--profile", language, **env)
    assemble()
    print(f"Site written to {ROOT / '_site'} (open _site/index.html).")


def assemble() -> None:
    """Put the language chooser at the site root and make each language's folder open on its
    introduction: without a root index.qmd, Quarto points _site/<lang>/index.html at the
    alphabetically first page instead."""
    site = ROOT / "_site"
    shutil.copyfile(ROOT / "report" / "index.html", site / "index.html")
    for language in LANGUAGES:
        target = f"report/{language}/index.html"
        (site / language / "index.html").write_text(
            f'<!DOCTYPE html>\n<html lang="{language}"><head><meta charset="utf-8">'
            f'<meta http-equiv="refresh" content="0; url={target}"><link rel="canonical" href="{target}">'
            f'</head><body><a href="{target}">{target}</a></body></html>\n',
            encoding="utf-8",
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    test_parser = commands.add_parser("test", help="set up .venv and run the test suite")
    test_parser.add_argument("pytest_args", nargs=argparse.REMAINDER, help="extra arguments for pytest")
    site_parser = commands.add_parser("site", help="set up .venv, compute the results and render both languages")
    site_parser.add_argument("--preset", default="full", help="experiment preset: full (default) or a quicker one for previews")
    commands.add_parser("assemble", help="after rendering both profiles: root language chooser and landing pages")
    args = parser.parse_args()
    try:
        if args.command == "test":
            test(args.pytest_args)
        elif args.command == "assemble":
            assemble()
        else:
            site(args.preset)
    except subprocess.CalledProcessError as error:
        sys.exit(error.returncode)


if __name__ == "__main__":
    main()
