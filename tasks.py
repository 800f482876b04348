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
import threading
import time
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
# Not copied for a render (render()): the environment, outputs, stores and caches.
NOT_RENDERED = (".git", ".venv", "_site", "_freeze", ".quarto", ".penguins-store", "build", "*.egg-info",
                "__pycache__", ".*_cache")


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
    render(quarto, preset)
    print(f"Site written to {ROOT / '_site'} (open _site/index.html).")


def render(quarto: str, preset: str | None = None) -> None:
    """Render both languages at once, then :func:`assemble` the site.

    Each render executes its pages one kernel at a time, so two at once keep two cores busy and
    take about half as long. Two Quarto renders of one project collide (they share ``.quarto/``,
    the ``<chapter>.quarto_ipynb`` written beside each chapter and the ``<chapter>_files/`` its
    figures pass through), so each language renders from its own copy of the project, and its
    ``_site/<language>`` is moved into this one's ``_site/`` when both have finished. The pages read
    the store of this checkout (``penguins.store.default_root()`` here, named to the kernels,
    which start in the copies) and only read it: a missing result fails the render.
    """
    python = Path(os.environ.get("QUARTO_PYTHON") or (PYTHON if PYTHON.exists() else sys.executable))
    env = {
        **os.environ,
        "PATH": f"{python.parent}{os.pathsep}{os.environ['PATH']}",
        "QUARTO_PYTHON": str(python),
        "PENGUINS_STORE": store_root(python),
        "PENGUINS_STORE_READ_ONLY": "1",
        **({"PENGUINS_PRESET": preset} if preset else {}),
    }
    with tempfile.TemporaryDirectory(prefix="penguins-render-") as scratch:
        copies = {language: Path(scratch) / language for language in LANGUAGES}
        for copy in copies.values():
            shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(*NOT_RENDERED), symlinks=True)
        commands = {language: [quarto, "render", "--profile", language] for language in LANGUAGES}
        failed = run_together(commands, cwd=copies, env=env)
        if failed:
            sys.exit(f"Quarto could not render {' and '.join(failed)}: its output is above, after [{failed[0]}].")
        for language, copy in copies.items():
            target = ROOT / "_site" / language
            shutil.rmtree(target, ignore_errors=True)
            target.parent.mkdir(exist_ok=True)
            shutil.move(copy / "_site" / language, target)
    assemble()


def store_root(python: Path) -> str:
    """The results store ``penguins`` uses from this checkout (``$PENGUINS_STORE`` or the project's)."""
    code = "from penguins.store import default_root; print(default_root().resolve())"
    done = subprocess.run([str(python), "-c", code], cwd=ROOT, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def run_together(commands: dict[str, list[str]], cwd: dict[str, Path], env: dict[str, str]) -> list[str]:
    """Run each named command at once, their output line by line behind ``[name]``; the names of
    those that failed. The first failure stops the others (one broken page fails the site anyway),
    which are not counted as failed."""
    processes = {}
    for name, command in commands.items():
        print(f"+ [{name}]", " ".join(command), flush=True)
        processes[name] = subprocess.Popen(
            command, cwd=cwd[name], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
        )
    printers = [threading.Thread(target=_echo, args=(name, process)) for name, process in processes.items()]
    for printer in printers:
        printer.start()
    stopped = set()
    try:
        while any(process.poll() is None for process in processes.values()):
            if any(process.poll() not in (None, 0) for process in processes.values()):
                break
            time.sleep(0.2)
    finally:
        for name, process in processes.items():
            if process.poll() is None:  # another one failed, or Ctrl-C
                process.terminate()
                stopped.add(name)
            process.wait()
        for printer in printers:
            printer.join()
    return [name for name, process in processes.items() if process.returncode != 0 and name not in stopped]


def _echo(name: str, process: subprocess.Popen[str]) -> None:
    for line in process.stdout or ():
        print(f"[{name}] {line}", end="", flush=True)


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
    site_parser.add_argument(
        "--preset", default="full", help="experiment preset: full (default) or a quicker one for previews"
    )
    commands.add_parser("setup", help="only create .venv, or bring it up to date with the requirements")
    commands.add_parser("render", help="render both languages at once from the computed results, then assemble")
    commands.add_parser(
        "assemble", help="after rendering both profiles: root language chooser, landing pages, notebooks"
    )
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
        elif args.command == "render":
            quarto = quarto_command()
            if quarto is None:
                sys.exit(f"Quarto is not on the PATH: install {QUARTO_VERSION} from https://quarto.org/docs/get-started/")
            render(quarto)
        elif args.command == "assemble":
            assemble()
        else:
            site(args.preset)
    except subprocess.CalledProcessError as error:
        sys.exit(error.returncode)


if __name__ == "__main__":
    main()
