"""How long the site takes to build, stage by stage, cold and warm: ``python benchmarks/site.py``.

    python benchmarks/site.py --preset full     # a fresh clone of HEAD, an empty store, then again warm
    python benchmarks/site.py --preset smoke --in-place --runs warm --store DIR   # a quick look

It builds what ``python3 tasks.py site`` builds, each stage in a fresh process as a user runs it,
first from a fresh clone of this checkout's commit with an empty results store (**cold**), then
again with nothing changed (**warm**):

- **set-up**: ``python3 tasks.py setup`` in the clone (it creates ``.venv`` and installs the pinned
  requirements; warm, it finds them installed);
- **compute**: ``penguins reproduce --preset P --jobs N``, then ``penguins variants``, the commands
  ``tasks.py site`` runs; each times its own sections (``--timings``): every experiment and search,
  the chapters' extra measurements, every experiment's leak-free twin;
- **pages**: every chapter executed once per language as Quarto's Jupyter engine executes it, one
  kernel per page per language (``tests/chapter_runner.py``), against the filled store, read-only;
  both languages at once, as ``tasks.py render`` renders them (each language's own wall time is
  kept too); a page's time runs from starting its kernel to its last inline expression.

Quarto's own share of a render (pandoc, the HTML, the search index) is **not measured**: Quarto
cannot run on the machine this was written on; the render review measures the real thing.
``--in-place`` uses this checkout and the Python running the script instead of a clone (then the
set-up is not timed, and the checkout's ``benchmarks/site.json`` is left alone unless
``--output-dir`` names that folder: its timing chapter then reads the committed figures).

Writes ``benchmarks/site.json`` (what the timing chapter reads) and its own section of
``benchmarks/RESULTS.md``, with the date, the commit, the machine, the preset and its seeds.
A benchmark, not a test: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("ko", "en")  # tasks.py renders them at once
RUNS = ("cold", "warm")
FORMAT = 2  # of site.json (2: the pages of both languages are one stage, run at once)
SECTION_START = "<!-- benchmarks/site.py: start (written by the script, do not edit) -->"
SECTION_END = "<!-- benchmarks/site.py: end -->"
RESULTS_TITLE = (
    "# Benchmark results\n\n"
    "Each section below is written by the script it names; run the script again instead of editing it.\n"
)


@dataclass
class Build:
    """Where a build runs: the checkout, its Python, its ``penguins`` command and its store."""

    root: Path
    python: Path
    store: Path
    env: dict[str, str]
    set_up: bool  # whether the set-up stage runs (a clone's own .venv) or not (--in-place)

    @property
    def penguins(self) -> Path:
        return self.python.parent / "penguins"


@dataclass
class Run:
    """One build's figures: stage wall times, compute sections and page executions."""

    name: str
    stages: dict[str, float | None] = field(default_factory=dict)  # one after the other: they add up
    languages: dict[str, float] = field(default_factory=dict)  # each language's pages, both at once
    sections: list[dict[str, Any]] = field(default_factory=list)
    pages: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        measured = [seconds for seconds in self.stages.values() if seconds is not None]
        return {
            "stages": self.stages,
            "languages": self.languages,
            "sections": self.sections,
            "pages": self.pages,
            "total": round(sum(measured), 1),
        }


# --------------------------------------------------------------------------- running the stages


def timed(command: list[str | Path], build: Build, **extra_env: str) -> float:
    """Run ``command`` in ``build``'s checkout; its wall time in seconds. Its output goes to ours."""
    print("+", " ".join(map(str, command)), flush=True)
    started = time.perf_counter()
    subprocess.run([str(part) for part in command], cwd=build.root, env={**build.env, **extra_env}, check=True)
    return round(time.perf_counter() - started, 2)


def compute(build: Build, preset: str, jobs: int, run: Run) -> None:
    """``penguins reproduce`` then ``penguins variants``, as tasks.py runs them, each timing its sections."""
    for command in ("reproduce", "variants"):
        with tempfile.NamedTemporaryFile("r", suffix=".jsonl", encoding="utf-8") as timings:
            arguments = [build.penguins, command, "--preset", preset, "--jobs", str(jobs), "--timings", timings.name]
            run.stages[command] = timed(arguments, build, PENGUINS_STORE=str(build.store))
            run.sections += [json.loads(line) for line in timings.read().splitlines()]


def execute_pages(build: Build, preset: str, run: Run) -> None:
    """Every chapter in each language, both languages at once as ``tasks.py render`` renders them,
    each in a worker process of the build's own Python; the stage is the wall time of both, and
    each language's own wall time is kept beside it."""
    env = {**build.env, "PENGUINS_PRESET": preset, "PENGUINS_STORE": str(build.store), "PENGUINS_STORE_READ_ONLY": "1"}
    with tempfile.TemporaryDirectory(prefix="penguins-pages-") as scratch:
        outputs = {language: Path(scratch) / f"{language}.jsonl" for language in LANGUAGES}
        started = time.perf_counter()
        workers = {}
        for language, output in outputs.items():
            script = build.root / "benchmarks" / "site.py"
            worker = [build.python, script, "--pages-worker", language, "--output", output]
            print("+", " ".join(map(str, worker)), flush=True)
            workers[language] = subprocess.Popen([str(part) for part in worker], cwd=build.root, env=env)
        while len(run.languages) < len(workers):
            for language, worker in workers.items():
                if language not in run.languages and worker.poll() is not None:
                    run.languages[language] = round(time.perf_counter() - started, 2)
            time.sleep(0.1)
        run.stages["pages"] = max(run.languages.values())
        for language, worker in workers.items():
            if worker.returncode != 0:
                raise subprocess.CalledProcessError(worker.returncode, f"the {language} pages' worker")
            run.pages += [json.loads(line) for line in outputs[language].read_text(encoding="utf-8").splitlines()]


def build_once(build: Build, preset: str, jobs: int, name: str) -> Run:
    run = Run(name)
    print(f"=== {name} build", flush=True)
    run.stages["set-up"] = timed([python3(), "tasks.py", "setup"], build) if build.set_up else None
    compute(build, preset, jobs, run)
    execute_pages(build, preset, run)
    return run


def pages_worker(language: str, output: Path) -> None:
    """(In the build's Python.) Execute every chapter in ``language`` with the chapter runner; one
    JSON line per page: chapter, language, seconds. The environment names preset and store."""
    sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "report" / "_build")]
    from chapter_runner import ChapterError, run_chapter

    for chapter in sorted((ROOT / "report").glob("*.qmd")):
        line: dict[str, Any] = {"chapter": chapter.stem, "language": language}
        try:
            line["seconds"] = round(run_chapter(chapter, language, root=ROOT).seconds, 2)
            print(f"  {chapter.stem} [{language}]: {line['seconds']:.1f} s", flush=True)
        except ChapterError as error:  # e.g. the timing chapter before any site.json exists
            line.update(seconds=None, error=str(error).splitlines()[0])
            print(f"  {chapter.stem} [{language}]: failed, not timed: {line['error']}", flush=True)
        with output.open("a", encoding="utf-8") as file:
            file.write(json.dumps(line) + "\n")


# --------------------------------------------------------------------------- what was measured on


def python3() -> str:
    """The ``python3`` a user runs tasks.py with."""
    return shutil.which("python3") or sys.executable


def git(*arguments: str, cwd: Path = ROOT) -> str:
    return subprocess.run(["git", *arguments], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def machine() -> dict[str, Any]:
    """CPU model (lscpu), cores (nproc), memory, system and Python of this machine."""
    cpu = next(
        (line.split(":", 1)[1].strip() for line in _output("lscpu").splitlines() if line.startswith("Model name")),
        platform.processor(),
    )
    memory = (
        re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
        if Path("/proc/meminfo").exists()
        else None
    )
    return {
        "cpu": cpu,
        "cores": int(_output("nproc") or os.cpu_count() or 0),
        "memory_gb": round(int(memory.group(1)) / 2**20, 1) if memory else None,
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


def _output(command: str) -> str:
    try:
        return subprocess.run([command], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def preset_seeds(build: Build, preset: str) -> list[int]:
    """The seeds ``preset`` runs, read from the build's code with this Python (a fresh clone's own
    environment does not exist before its set-up, which is timed)."""
    code = f"from penguins.presets import default_seeds; print(list(default_seeds({preset!r})))"
    env = {**build.env, "PYTHONPATH": str(build.root)}
    command = [sys.executable, "-c", code]
    done = subprocess.run(command, cwd=build.root, env=env, check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


# --------------------------------------------------------------------------- writing it down


def fmt_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "not measured"
    if seconds >= 60:
        minutes, rest = divmod(round(seconds), 60)  # rounded first: 239.7 s is 4 min 0 s, not 3 min 60 s
        return f"{seconds:,.1f} s ({minutes} min {rest} s)"
    return f"{seconds:.1f} s"


def results_section(report: dict[str, Any]) -> str:
    """This benchmark's section of RESULTS.md, from ``report`` (what site.json holds)."""
    runs = report["runs"]
    names = list(runs)
    head = " | ".join(names)
    machine = report["machine"]
    machine_text = (
        f"{machine['cpu']}, {machine['cores']} cores, {machine['memory_gb']} GB, {machine['system']}, "
        f"Python {machine['python']}"
    )
    lines = [
        "## The site's build, stage by stage (`benchmarks/site.py`)",
        "",
        f"`{report['command']}` on {report['date']}, commit `{report['commit']}`"
        f"{' with uncommitted changes' if report.get('uncommitted') else ''}, {machine_text}; "
        f"preset `{report['preset']}`, {len(report['seeds'])} seeds, {report['jobs']} worker processes; "
        f"{report['clone']}. Quarto's own share of the render is not measured (Quarto cannot run on this machine).",
        "",
        f"| stage | {head} |",
        "| --- |" + " ---: |" * len(names),
    ]
    for stage in runs[names[0]]["stages"]:
        lines.append(
            f"| {stage} | " + " | ".join(fmt_seconds(runs[name]["stages"].get(stage)) for name in names) + " |"
        )
    for language in LANGUAGES:
        lines.append(
            f"| of the pages, {language} (alongside the other) | "
            + " | ".join(fmt_seconds(runs[name]["languages"].get(language)) for name in names)
            + " |"
        )
    lines.append("| Quarto's own work | " + " | ".join("not measured" for _ in names) + " |")
    lines.append(
        "| **total measured** | " + " | ".join(f"**{fmt_seconds(runs[name]['total'])}**" for name in names) + " |"
    )
    lines += [
        "",
        f"| compute section, seconds (timed by the command itself) | {head} |",
        "| --- |" + " ---: |" * len(names),
    ]
    for section in runs[names[0]]["sections"]:
        key = (section["command"], section["section"])
        label = f"`{section['command']}` {section['section']}"
        lines.append(f"| {label} | " + " | ".join(_section_cell(runs[name]["sections"], key) for name in names) + " |")
    lines += [
        "",
        "| page execution (seconds) | "
        + " | ".join(f"{language}, {name}" for name in names for language in LANGUAGES)
        + " |",
    ]
    lines.append("| --- |" + " ---: |" * (len(names) * len(LANGUAGES)))
    for chapter in sorted({page["chapter"] for page in runs[names[0]]["pages"]}):
        cells = [_page_seconds(runs[name]["pages"], chapter, language) for name in names for language in LANGUAGES]
        lines.append(f"| {chapter} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _section_cell(sections: list[dict[str, Any]], key: tuple[str, str]) -> str:
    section = next((item for item in sections if (item["command"], item["section"]) == key), None)
    if section is None:
        return ""
    trained = "" if section.get("trained") is None else f" ({section['trained']} of {section['results']} trained)"
    return f"{section['seconds']:.1f}{trained}"


def _page_seconds(pages: list[dict[str, Any]], chapter: str, language: str) -> str:
    page = next((page for page in pages if page["chapter"] == chapter and page["language"] == language), None)
    if page is None:
        return ""
    return "failed" if page["seconds"] is None else f"{page['seconds']:.1f}"


def write_results(report: dict[str, Any], folder: Path, *also: Path) -> None:
    """site.json whole into ``folder`` (and each of ``also``: a clone's own benchmarks/, which its
    timing chapter reads), and this benchmark's section of ``folder``'s RESULTS.md (other sections
    are kept)."""
    for where in dict.fromkeys([folder, *also]):
        (where / "site.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    path = folder / "RESULTS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else RESULTS_TITLE
    section = f"{SECTION_START}\n{results_section(report)}{SECTION_END}"
    if SECTION_START in text and SECTION_END in text:
        before, rest = text.split(SECTION_START, 1)
        text = before + section + rest.split(SECTION_END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------- the command


def fresh_clone(folder: Path) -> tuple[Path, dict[str, str]]:
    """A clone of this checkout's commit in ``folder``, and an environment that imports nothing of ours."""
    if git("status", "--porcelain", "--untracked-files=no"):
        print("note: this checkout has uncommitted changes; the clone benchmarks the commit without them", flush=True)
    clone = folder / "penguins"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)], check=True)
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"PYTHONPATH", "VIRTUAL_ENV"} and not name.startswith("PENGUINS_")
    }
    return clone, env


def in_place_env() -> dict[str, str]:
    """This process's environment with this checkout first on ``PYTHONPATH``, as an absolute path:
    the kernels start in ``report/``, where a relative entry (``PYTHONPATH=.``) would name the wrong
    folder and let them import whichever ``penguins`` the environment has installed."""
    entries = [
        str(ROOT),
        *(str(Path(entry).resolve()) for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep) if entry),
    ]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(dict.fromkeys(entries))}


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="full", help="the preset to build (default: full, the published site's)")
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="worker processes for the compute, as tasks.py (default: one per core)",
    )
    parser.add_argument(
        "--runs", nargs="+", choices=RUNS, default=list(RUNS), help="cold (an empty store), then warm (default: both)"
    )
    parser.add_argument(
        "--in-place",
        action="store_true",
        help="this checkout and this Python instead of a fresh clone (the set-up is not timed)",
    )
    parser.add_argument(
        "--store", type=Path, help="the results store (default: an empty temporary one); a cold run needs it empty"
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=ROOT / "benchmarks",
        help="where site.json and RESULTS.md go (default: benchmarks/)",
    )
    parser.add_argument("--pages-worker", metavar="LANGUAGE", help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = parse_arguments()
    if args.pages_worker:
        pages_worker(args.pages_worker, args.output)
        return
    with tempfile.TemporaryDirectory(prefix="penguins-site-bench-") as folder:
        store = args.store or Path(folder) / "store"
        if "cold" in args.runs and store.exists() and any(store.iterdir()):
            sys.exit(f"a cold run needs an empty store; {store} holds results")
        if args.in_place:
            build = Build(ROOT, Path(sys.executable), store, in_place_env(), set_up=False)
            clone = "in place: this checkout and its environment, set-up not timed"
        else:
            root, env = fresh_clone(Path(folder))
            build = Build(root, root / ".venv" / "bin" / "python", store, env, set_up=True)
            clone = "from a fresh clone of the commit"
        started = datetime.now(UTC)
        report = {
            "format": FORMAT,
            "command": " ".join(["python benchmarks/site.py", *sys.argv[1:]]),
            "date": started.strftime("%Y-%m-%d %H:%M UTC"),
            "commit": git("rev-parse", "--short", "HEAD", cwd=build.root),
            # in place, the checkout may differ from its commit (a clone never does)
            "uncommitted": bool(git("status", "--porcelain", "--untracked-files=no", cwd=build.root)),
            "machine": machine(),
            "preset": args.preset,
            "seeds": preset_seeds(build, args.preset),
            "jobs": args.jobs,
            "clone": clone,
            "fresh_clone": not args.in_place,
            "quarto": None,  # Quarto's own share: not measured here
            "runs": {},
        }
        for name in args.runs:
            report["runs"][name] = build_once(build, args.preset, args.jobs, name).as_json()
            # written after each build: the timing chapter of the next build reads it (in a clone;
            # in place, the checkout's own site.json is written only when it is the output)
            write_results(report, args.output_dir, *([] if args.in_place else [build.root / "benchmarks"]))
    runs = report["runs"]
    for name, run in runs.items():
        print(f"{name} build: {fmt_seconds(run['total'])} measured (Quarto's own work not measured)")
    print(f"wrote {args.output_dir / 'site.json'} and its section of {args.output_dir / 'RESULTS.md'}")


if __name__ == "__main__":
    main()
