"""``benchmarks/RESULTS.md``: every benchmark script writes its own section there from its last run.

A benchmark's figures are never typed into prose: the script that measured them writes them,
with the date, the commit and the machine, between two markers of its own::

    <!-- benchmarks/engine.py: start -->
    ...
    <!-- benchmarks/engine.py: end -->

so several scripts share the file and a run replaces only its own section (a script that has not
run yet has none). The docs link to the file instead of quoting it, so no two figures can disagree.
"""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("RESULTS.md")
HEADER = """# Benchmark results

Each section below is written by the benchmark script it names, from that script's last run (date,
commit, machine and figures): do not edit it by hand, run the script again. How to run each one is
in its docstring; the project's documentation links here instead of quoting these figures.
"""


def script_label(script: str | Path) -> str:
    """The name a section is filed under: the script's path from the project root.

    Parameters
    ----------
    script : str or Path
        ``__file__`` of the script, or its path from the root (``"benchmarks/engine.py"``), or its
        file name alone (``"engine.py"``, taken to be in ``benchmarks/``).

    Returns
    -------
    str
        A path with forward slashes, such as ``"benchmarks/engine.py"``, the same on every OS so
        that the markers one machine wrote are found on another.
    """
    path = Path(script)
    if path.is_absolute():
        path = path.resolve().relative_to(ROOT)
    elif len(path.parts) == 1:
        path = Path("benchmarks") / path
    return path.as_posix()


def markers(script: str | Path) -> tuple[str, str]:
    """The start and end markers (HTML comments, invisible when rendered) of a script's section."""
    label = script_label(script)
    return f"<!-- {label}: start -->", f"<!-- {label}: end -->"


def run_context() -> dict[str, str]:
    """Where and when a run happened: the date (UTC), the commit and the machine.

    The commit is ``git describe``'s short hash with ``-dirty`` when the work tree had changes
    (figures from uncommitted code say so); ``unknown`` outside a git checkout.
    """
    try:
        commit = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=10"],
            cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    machine = f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit,
        "machine": machine,
    }


def section(script: str | Path, markdown: str, context: dict[str, str] | None = None) -> str:
    """A script's whole section, markers included: a heading, the run's context, then ``markdown``."""
    start, end = markers(script)
    context = run_context() if context is None else context
    facts = "; ".join(f"{name}: {value}" for name, value in context.items())
    return f"{start}\n## `{script_label(script)}`\n\nLast run: {facts}.\n\n{markdown.strip()}\n{end}\n"


def write_section(
    script: str | Path, markdown: str, *, path: Path = RESULTS, context: dict[str, str] | None = None
) -> Path:
    """Put ``markdown`` into ``script``'s section of ``path``, leaving every other section as it is.

    Parameters
    ----------
    script : str or Path
        The script that measured the figures (see :func:`script_label`).
    markdown : str
        The figures, as Markdown (tables, lists).
    path : Path
        The results file; created with its header when missing.
    context : dict, optional
        The run's date, commit and machine; :func:`run_context` when not given (tests pass one).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ValueError
        When the file has the section's start marker without its end marker (or the reverse, or
        either twice): the file was edited by hand, and guessing where the section ends could
        delete another script's figures.
    """
    start, end = markers(script)
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    new = section(script, markdown, context)
    counts = text.count(start), text.count(end)
    if counts == (0, 0):
        text = text.rstrip("\n") + "\n\n" + new
    elif counts == (1, 1) and text.index(start) < text.index(end):
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1].removeprefix("\n")
        text = before + new + after
    else:
        raise ValueError(
            f"{path}: the markers of {script_label(script)} are broken ({start} x{counts[0]}, {end} x{counts[1]})"
        )
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
    return path
