"""Set up and run penguins with nothing but Python 3.11: ``python tasks.py test`` or ``python tasks.py site``.

Both commands create ``.venv`` (once), install the pinned requirements and the package into it
(again only when a requirements file changed), then do their job inside it. ``site`` renders with
the Quarto on the PATH; without one it installs ``quarto-cli`` (PyPI's package that downloads
Quarto) into ``.venv``, and if that fails it says how to get Quarto, after computing the results.
``python tasks.py setup`` does the set-up alone (``benchmarks/site.py`` times it as a stage of the site).
"""

from __future__ import annotations

import argparse
import hashlib
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
QUARTO_VERSION = "1.7.34"  # the version the publishing workflow renders with
# What the installed environment depends on: set-up runs pip again only when one of these changed.
SET_UP_INPUTS = ("requirements.txt", "constraints.txt", "pyproject.toml")
SET_UP_STAMP = VENV / ".penguins-set-up"
NOTEBOOKS = ROOT / "report" / "_build" / "notebooks.py"  # writes each chapter's notebook per language


def sh(*command: str | Path, **env: str) -> None:
    print("+", " ".join(map(str, command)), flush=True)
    subprocess.run([str(part) for part in command], cwd=ROOT, check=True, env={**os.environ, **env})


def set_up_fingerprint() -> str:
    digest = hashlib.sha256()
    for name in SET_UP_INPUTS:
        digest.update(name.encode() + b"\0" + (ROOT / name).read_bytes())
    return digest.hexdigest()


def set_up() -> None:
    if not PYTHON.exists():
        venv.create(VENV, with_pip=True)
    if SET_UP_STAMP.exists() and SET_UP_STAMP.read_text() == set_up_fingerprint():
        return
    sh(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    sh(PYTHON, "-m", "pip", "install", "--quiet", "-r", "requirements.txt")
    sh(PYTHON, "-m", "pip", "install", "--quiet", "--no-deps", "-e", ".")
    SET_UP_STAMP.write_text(set_up_fingerprint())


def lint() -> None:
    """ruff and mypy with pyproject.toml's configuration: seconds, so before every test run."""
    sh(PYTHON, "-m", "ruff", "check", ".")
    sh(PYTHON, "-m", "mypy")


def test(pytest_args: list[str], fast: bool = False) -> None:
    """Lint and types, the test suite, then (for the whole suite) the reproduce gate on the smoke
    preset, both in one temporary store so the gate reads what the tests computed. ``fast``: only
    the tests not marked ``slow`` (tests/conftest.py), and no gate."""
    set_up()
    lint()
    with tempfile.TemporaryDirectory(prefix="penguins-test-store-") as store:
        # two pytest workers (pytest-xdist) share the store, so a result is still trained once
        tier = ["-m", "not slow"] if fast else []
        sh(PYTHON, "-m", "pytest", "-n", "2", *tier, *pytest_args, PENGUINS_TEST_STORE=store)
        if not pytest_args and not fast:
            sh(BIN / "penguins", "check", "--preset", "smoke", PENGUINS_STORE=store)


def compute(preset: str) -> None:
    """Every result the pages show, with progress bars: the pages then only read the store. The
    methodology chapter compares the two preprocessings on the sections (`penguins variants`)."""
    jobs = str(os.cpu_count() or 1)
    sh(BIN / "penguins", "reproduce", "--preset", preset, "--jobs", jobs)
    sh(BIN / "penguins", "variants", "--preset", preset, "--jobs", jobs)


def quarto_command() -> str | None:
    """Quarto on the PATH, else the one ``quarto-cli`` installed into ``.venv``, else None."""
    found = shutil.which("quarto")
    if found:
        return found
    local = BIN / ("quarto.exe" if os.name == "nt" else "quarto")
    return str(local) if local.exists() else None


def install_quarto() -> str | None:
    """Install PyPI's ``quarto-cli`` into ``.venv``; it downloads Quarto's binary while it installs,
    so it needs the internet. Returns pip's last error line when it fails, else None."""
    print(f"+ Quarto is not on the PATH: installing quarto-cli=={QUARTO_VERSION} into .venv", flush=True)
    done = subprocess.run(
        [str(PYTHON), "-m", "pip", "install", "--quiet", f"quarto-cli=={QUARTO_VERSION}"],
        cwd=ROOT, capture_output=True, text=True,
    )
    if done.returncode == 0 and quarto_command():
        return None
    lines = [line.strip() for line in (done.stderr + done.stdout).splitlines() if line.strip()]
    errors = [line.removeprefix("ERROR: ") for line in lines if line.startswith("ERROR: ")]
    return (errors or lines or [f"pip exited with status {done.returncode}"])[-1]


def site(preset: str) -> None:
    set_up()
    compute(preset)
    quarto = quarto_command()
    if quarto is None:
        failure = install_quarto()
        quarto = quarto_command()
        if quarto is None:
            sys.exit(
                f"The results are computed, but Quarto {QUARTO_VERSION} could not be installed ({failure}): "
                f"install it from https://quarto.org/docs/get-started/ and run `python3 tasks.py site` again."
            )
    env = {
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "QUARTO_PYTHON": str(PYTHON),
        "PENGUINS_PRESET": preset,
        # the pages only read what compute() stored: a missing result fails the render instead of training
        "PENGUINS_STORE_READ_ONLY": "1",
    }
    for language in LANGUAGES:
        sh(quarto, "render", "--profile", language, **env)
    assemble()
    print(f"Site written to {ROOT / '_site'} (open _site/index.html).")


def assemble() -> None:
    """After both profiles are rendered: the language chooser at the site root, each language's
    folder opening on its introduction (without a root index.qmd, Quarto points
    _site/<lang>/index.html at the alphabetically first page), and each chapter's notebook."""
    site = ROOT / "_site"
    shutil.copyfile(ROOT / "report" / "_root.html", site / "index.html")
    target = "report/index.html"
    for language in LANGUAGES:
        (site / language / "index.html").write_text(
            f'<!DOCTYPE html>\n<html lang="{language}"><head><meta charset="utf-8">'
            f'<meta http-equiv="refresh" content="0; url={target}"><link rel="canonical" href="{target}">'
            f'</head><body><a href="{target}">{target}</a></body></html>\n',
            encoding="utf-8",
        )
    python = PYTHON if PYTHON.exists() else Path(sys.executable)
    sh(python, NOTEBOOKS, site)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    test_parser = commands.add_parser("test", help="set up .venv and run the test suite")
    test_parser.add_argument("--fast", action="store_true", help="only the tests not marked slow (the edit-test loop)")
    test_parser.add_argument("pytest_args", nargs=argparse.REMAINDER, help="extra arguments for pytest")
    site_parser = commands.add_parser("site", help="set up .venv, compute the results and render both languages")
    site_parser.add_argument("--preset", default="full", help="experiment preset: full (default) or a quicker one for previews")
    commands.add_parser("setup", help="only create .venv, or bring it up to date with the requirements")
    commands.add_parser("assemble", help="after rendering both profiles: root language chooser, landing pages, notebooks")
    # what is not ours goes to pytest (argparse's REMAINDER alone refuses a leading "-k")
    args, unknown = parser.parse_known_args()
    if unknown and args.command != "test":
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        if args.command == "test":
            pytest_args = [*unknown, *args.pytest_args]
            fast = args.fast or "--fast" in pytest_args  # "--fast" after a pytest option lands in pytest_args
            test([arg for arg in pytest_args if arg != "--fast"], fast=fast)
        elif args.command == "setup":
            set_up()
        elif args.command == "assemble":
            assemble()
        else:
            site(args.preset)
    except subprocess.CalledProcessError as error:
        sys.exit(error.returncode)


if __name__ == "__main__":
    main()
