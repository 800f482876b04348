"""tasks.py: the site's landing pages and notebooks after Quarto, and the path for a machine without Quarto."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT


def load_tasks():
    spec = importlib.util.spec_from_file_location("tasks", ROOT / "tasks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CHAPTERS = sorted(path.stem for path in (ROOT / "report").glob("*.qmd"))


def test_assemble_lands_each_language_on_its_introduction_and_writes_the_notebooks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tasks = load_tasks()
    (tmp_path / "report").mkdir()
    shutil.copyfile(ROOT / "report" / "_root.html", tmp_path / "report" / "_root.html")
    for language in tasks.LANGUAGES:
        (tmp_path / "_site" / language).mkdir(parents=True)
        # what Quarto leaves there: a redirect to the alphabetically first page
        (tmp_path / "_site" / language / "index.html").write_text(
            '<meta http-equiv="refresh" content="0; url=report/baseline.html">'
        )
    monkeypatch.setattr(tasks, "ROOT", tmp_path)
    monkeypatch.setattr(tasks, "NOTEBOOKS", ROOT / "report" / "_build" / "notebooks.py")
    tasks.assemble()
    assert (tmp_path / "_site" / "index.html").read_text() == (ROOT / "report" / "_root.html").read_text()
    for language in tasks.LANGUAGES:
        page = (tmp_path / "_site" / language / "index.html").read_text()
        assert re.search(r'url=([^"]+)"', page).group(1) == "report/index.html"
        written = sorted(path.stem for path in (tmp_path / "_site" / language / "report").glob("*.ipynb"))
        assert written == CHAPTERS, f"{language}: notebooks for {written}"


def test_without_quarto_site_computes_then_tries_quarto_cli_and_says_how_to_get_quarto(
    tmp_path: Path, reproduced_store: str
) -> None:
    # A real `python3 tasks.py site`: set-up finds .venv up to date, the results are computed (here
    # read from the session's store), Quarto is not on the PATH, and the real pip fails to install
    # quarto-cli because it is given no package index.
    no_quarto = os.pathsep.join(
        folder for folder in os.environ["PATH"].split(os.pathsep) if not (Path(folder) / "quarto").exists()
    )
    empty = tmp_path / "no-packages"
    empty.mkdir()
    env = {
        **os.environ,
        "PATH": no_quarto,
        "PENGUINS_STORE": reproduced_store,
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(empty),
    }
    env.pop("PENGUINS_STORE_READ_ONLY", None)
    done = subprocess.run(
        [shutil.which("python3") or "python3", "tasks.py", "site", "--preset", "smoke"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "penguins reproduce --preset smoke" in done.stdout and "penguins variants --preset smoke" in done.stdout
    assert "installing quarto-cli==1.7.34 into .venv" in done.stdout
    last = done.stderr.strip().splitlines()[-1]  # above it: the computing's progress bars
    assert last.startswith("The results are computed, but Quarto 1.7.34 could not be installed (")
    assert (
        "(No matching distribution found for quarto-cli==1.7.34)" in last
        and "https://quarto.org/docs/get-started/" in last
    )
    assert "Traceback" not in out


def test_set_up_runs_pip_only_when_the_requirements_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tasks = load_tasks()
    for name in tasks.SET_UP_INPUTS:
        shutil.copyfile(ROOT / name, tmp_path / name)
    not_python = tmp_path / "venv" / "bin" / "python"  # exists, but running it fails
    not_python.parent.mkdir(parents=True)
    not_python.write_text("not a program")
    monkeypatch.setattr(tasks, "ROOT", tmp_path)
    monkeypatch.setattr(tasks, "PYTHON", not_python)
    monkeypatch.setattr(tasks, "SET_UP_STAMP", tmp_path / "venv" / ".penguins-set-up")
    tasks.SET_UP_STAMP.write_text(tasks.set_up_fingerprint())
    tasks.set_up()  # up to date: pip is not run
    (tmp_path / "constraints.txt").write_text((tmp_path / "constraints.txt").read_text() + "\n# a change\n")
    with pytest.raises(PermissionError):  # out of date: set-up runs "python -m pip" again
        tasks.set_up()


@pytest.mark.parametrize("language", ("ko", "en"))
def test_a_notebook_holds_its_language_and_every_code_cell(language: str) -> None:
    import sys

    sys.path.insert(0, str(ROOT / "report" / "_build"))
    from notebooks import notebook

    from qmd import parse_chapter

    chapter = parse_chapter(ROOT / "report" / "networks.qmd")
    book = notebook(chapter, language)
    nbformat.validate(book)
    code = [cell.source for cell in book.cells if cell.cell_type == "code"]
    assert f'os.environ.setdefault("QUARTO_PROFILE", "{language}")' in code[0]
    assert code[1:] == [cell.code.strip("\n") for cell in chapter.code_cells]
    prose = "\n".join(cell.source for cell in book.cells if cell.cell_type == "markdown")
    other = "ko" if language == "en" else "en"
    other_text = next(
        line.text
        for block in chapter.markdown
        for line in block.lines
        if line.language == other and len(line.text) > 40
    )
    assert other_text not in prose, "the other language's prose leaked into the notebook"
    assert "{python}" not in prose and "{{<" not in prose and "@tbl-" not in prose and "@fig-" not in prose
    assert ("표 1" if language == "ko" else "Table 1") in prose
    assert "../../" not in prose  # the link to the other language's page stays on the page


@pytest.mark.parametrize(
    ("argv", "pytest_args", "fast"),
    [
        (["test"], [], False),
        (["test", "--fast"], [], True),
        (["test", "-k", "store", "-x"], ["-k", "store", "-x"], False),
        (["test", "--fast", "-k", "store"], ["-k", "store"], True),
        (["test", "tests/test_store.py", "-x", "--fast"], ["tests/test_store.py", "-x"], True),
    ],
)
def test_the_test_command_passes_what_is_not_its_own_to_pytest(
    argv: list[str], pytest_args: list[str], fast: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    tasks = load_tasks()
    calls = []
    monkeypatch.setattr(tasks, "test", lambda args, fast=False: calls.append((args, fast)))
    monkeypatch.setattr("sys.argv", ["tasks.py", *argv])
    tasks.main()
    assert calls == [(pytest_args, fast)]


@pytest.mark.parametrize("fast", [False, True], ids=["whole", "fast"])
def test_lint_and_types_run_before_the_tests_and_the_gate_only_after_the_whole_suite(
    fast: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    tasks = load_tasks()
    commands = []
    monkeypatch.setattr(tasks, "set_up", lambda: None)
    monkeypatch.setattr(tasks, "sh", lambda *command, **env: commands.append([str(part) for part in command]))
    tasks.test([], fast=fast)
    ran = [command[2] if command[1] == "-m" else Path(command[0]).name for command in commands]
    assert ran == ["ruff", "mypy", "pytest", *([] if fast else ["penguins"])]
    assert commands[0][3:] == ["check", "."]
    pytest_command = commands[2]
    assert (["-m", "not slow"] == pytest_command[5:7]) is fast


# Quarto cannot be installed on the machines this suite runs on, so the render tests give tasks.py a
# stand-in with Quarto's habits that matter here: it renders the project in its working folder,
# writes a scratch file beside a chapter while it runs (as Quarto writes <chapter>.quarto_ipynb) and
# fails if another render holds it, and writes _site/<profile>/. The real renders are the review's.
STAND_IN_QUARTO = '''\
import json, os, sys, time
from pathlib import Path
profile = sys.argv[sys.argv.index("--profile") + 1]
here = Path.cwd()
log = Path(os.environ["STAND_IN_LOG"])
with log.open("a") as file:
    file.write(json.dumps({"profile": profile, "event": "start", "at": time.time(), "cwd": str(here),
                           "store": os.environ.get("PENGUINS_STORE"),
                           "read_only": os.environ.get("PENGUINS_STORE_READ_ONLY")}) + "\\n")
if profile == os.environ.get("STAND_IN_FAILS"):
    print("ERROR: a page failed")
    sys.exit(3)
scratch = here / "report" / "index.quarto_ipynb"
if scratch.exists():
    sys.exit("another render is writing " + str(scratch))
scratch.write_text(profile)
time.sleep(float(os.environ.get("STAND_IN_SECONDS", "1")))
scratch.unlink()
(here / "_site" / profile / "report").mkdir(parents=True)
(here / "_site" / profile / "report" / "index.html").write_text(profile)
with log.open("a") as file:
    file.write(json.dumps({"profile": profile, "event": "end", "at": time.time()}) + "\\n")
'''


def render_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **stand_in: str):
    """tasks.py pointed at a small project in ``tmp_path`` and a stand-in ``quarto``; its log."""
    import json
    import sys

    tasks = load_tasks()
    project = tmp_path / "project"
    (project / "report").mkdir(parents=True)
    shutil.copyfile(ROOT / "report" / "_root.html", project / "report" / "_root.html")
    (project / "report" / "index.qmd").write_text("---\ntitle: x\n---\n")
    (project / ".venv").mkdir()  # not copied for a render
    (project / "_site" / "ko").mkdir(parents=True)
    (project / "_site" / "ko" / "old.html").write_text("from the last render")
    quarto = tmp_path / "quarto"
    quarto.write_text(f"#!{sys.executable}\n{STAND_IN_QUARTO}")
    quarto.chmod(0o755)
    log = tmp_path / "log.jsonl"
    for name, value in {"STAND_IN_LOG": str(log), "PENGUINS_STORE": str(tmp_path / "store"), **stand_in}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("QUARTO_PYTHON", sys.executable)
    monkeypatch.setattr(tasks, "ROOT", project)
    monkeypatch.setattr(tasks, "NOTEBOOKS", ROOT / "report" / "_build" / "notebooks.py")

    def events() -> list[dict]:
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    return tasks, project, str(quarto), events


def test_render_renders_both_languages_at_once_each_in_its_own_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tasks, project, quarto, events = render_project(tmp_path, monkeypatch)
    tasks.render(quarto, "smoke")
    starts = {event["profile"]: event for event in events() if event["event"] == "start"}
    ends = {event["profile"]: event["at"] for event in events() if event["event"] == "end"}
    assert set(starts) == set(ends) == set(tasks.LANGUAGES)
    assert max(event["at"] for event in starts.values()) < min(ends.values()), "the renders ran one after the other"
    folders = {Path(event["cwd"]) for event in starts.values()}
    assert len(folders) == 2 and project not in folders  # a copy each: a shared one would have collided
    assert all(not (folder / ".venv").exists() for folder in folders)
    assert {event["store"] for event in starts.values()} == {str((tmp_path / "store").resolve())}
    assert {event["read_only"] for event in starts.values()} == {"1"}
    for language in tasks.LANGUAGES:
        assert (project / "_site" / language / "report" / "index.html").read_text() == language
    assert not (project / "_site" / "ko" / "old.html").exists()  # replaced, not merged
    assert (project / "_site" / "index.html").exists()  # then assembled


def test_a_failing_render_stops_the_other_and_names_its_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import time

    tasks, project, quarto, events = render_project(tmp_path, monkeypatch, STAND_IN_FAILS="en", STAND_IN_SECONDS="60")
    started = time.perf_counter()
    with pytest.raises(SystemExit) as failure:
        tasks.render(quarto, "smoke")
    assert time.perf_counter() - started < 30, "the Korean render was left running"
    assert str(failure.value) == "Quarto could not render en: its output is above, after [en]."
    assert "[en] ERROR: a page failed" in capsys.readouterr().out
    assert not any(event["event"] == "end" for event in events())
    assert (project / "_site" / "ko" / "old.html").exists()  # a failed render leaves the last site alone


def test_render_without_quarto_is_one_line() -> None:
    no_quarto = os.pathsep.join(
        folder for folder in os.environ["PATH"].split(os.pathsep) if not (Path(folder) / "quarto").exists()
    )
    done = subprocess.run(
        [shutil.which("python3") or "python3", "tasks.py", "render"],
        cwd=ROOT,
        env={**os.environ, "PATH": no_quarto},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == "Quarto is not on the PATH: install 1.7.34 from https://quarto.org/docs/get-started/\n"
