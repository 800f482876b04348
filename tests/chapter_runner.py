"""Run a chapter of the site (``report/<chapter>.qmd``) the way Quarto's Jupyter engine does, without Quarto.

Quarto turns a ``.qmd`` into a notebook (``report/_build/qmd.py`` reads it the same way) and runs
its cells in order in one Jupyter kernel; when it reaches a markdown cell it asks the same kernel
for the value of every inline expression `` `{python} expr` `` in it (an ``execute_request`` with
``user_expressions``), in the blocks of both languages, since the profile's blocks are only
dropped later. The kernel sees the profile as ``QUARTO_PROFILE``. This module does the same with
nbclient and an ipykernel started from the Python that runs the tests (the project's venv), so a
chapter that would break the render fails here first, with the chapter file, the language, the
cell number and label, or the expression, in the message.
"""

from __future__ import annotations

import base64
import os
import re
import struct
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qmd import LANGUAGES, Chapter, ChapterError, CodeCell, InlineExpression, Markdown, parse_chapter

__all__ = ["ChapterError", "ChapterRun", "layout_problems", "parse_chapter", "run_chapter"]

# What Quarto's Python setup cell does before a page runs (fig-width 7, fig-height 5 and
# fig-dpi 96 are its HTML defaults), plus a check that the kernel is the tests' own Python.
ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")  # IPython colours its tracebacks; a test failure reads better without
SETUP_CODE = """
import sys as _sys
assert _sys.prefix == {prefix!r}, f"the kernel runs {{_sys.executable}}, not the tests' Python {executable!r}"
import matplotlib.pyplot as _plt
_plt.rcParams["figure.figsize"] = (7, 5)
_plt.rcParams["figure.dpi"] = 96
_plt.rcParams["savefig.dpi"] = 96
del _sys, _plt
"""


@dataclass
class CellRun:
    cell: CodeCell
    outputs: list[dict[str, Any]]

    @property
    def stderr(self) -> str:
        return "".join(
            output.get("text", "")
            for output in self.outputs
            if output.get("output_type") == "stream" and output.get("name") == "stderr"
        )


@dataclass
class InlineRun:
    expression: InlineExpression
    data: dict[str, Any]  # the result's MIME bundle

    @property
    def text(self) -> str:
        """What Quarto writes into the page: markdown as is, plain text without a string's quotes."""
        if "text/markdown" in self.data:
            return str(self.data["text/markdown"])
        plain = str(self.data.get("text/plain", ""))
        if len(plain) >= 2 and plain[0] == plain[-1] and plain[0] in "'\"":
            return plain[1:-1]
        return plain


@dataclass
class ChapterRun:
    chapter: Chapter
    language: str
    cells: list[CellRun]
    inline: list[InlineRun]
    seconds: float  # from starting the kernel to the last inline expression

    def visible_inline(self) -> list[InlineRun]:
        """The inline expressions this language's reader sees."""
        return [run for run in self.inline if run.expression.language in (None, self.language)]


def run_chapter(
    chapter: Chapter | Path,
    language: str = "ko",
    *,
    env: dict[str, str] | None = None,
    root: Path | None = None,
    timeout: int = 900,
) -> ChapterRun:
    """Execute every cell of ``chapter`` in order in a fresh kernel for ``language``'s profile,
    then, cell by cell, its inline expressions.

    ``env`` is added to this process's environment for the kernel (``PENGUINS_PRESET``,
    ``PENGUINS_STORE``...), with ``QUARTO_PROFILE`` set to ``language``. The kernel starts in the
    chapter's folder, as Quarto's does. Raises :class:`ChapterError` naming the file, the
    language and the cell or expression that failed.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    if not isinstance(chapter, Chapter):
        chapter = parse_chapter(chapter)
    where = f"{chapter.path.relative_to(root) if root else chapter.path} [{language}]"

    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for block in chapter.blocks:
        if isinstance(block, CodeCell):
            notebook.cells.append(nbformat.v4.new_code_cell(block.code, metadata={"label": block.label}))
        else:
            notebook.cells.append(nbformat.v4.new_markdown_cell("\n".join(line.text for line in block.lines)))

    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=timeout,
        allow_errors=False,
        record_timing=False,
        resources={"metadata": {"path": str(chapter.path.parent)}},
    )
    cell_runs: list[CellRun] = []
    inline_runs: list[InlineRun] = []
    started = time.perf_counter()
    with client.setup_kernel(env={**os.environ, **(env or {}), "QUARTO_PROFILE": language}):
        setup = nbformat.v4.new_code_cell(SETUP_CODE.format(prefix=sys.prefix, executable=sys.executable))
        notebook.cells.insert(0, setup)
        try:
            client.execute_cell(setup, 0, store_history=False)
        except CellExecutionError as error:
            raise ChapterError(f"{where}: the kernel could not be set up like Quarto's:\n{error}") from error
        finally:
            notebook.cells.pop(0)

        for index, (block, cell) in enumerate(zip(chapter.blocks, notebook.cells, strict=True)):
            if isinstance(block, CodeCell):
                if block.options.get("eval", True) is False:
                    continue
                try:
                    client.execute_cell(cell, index)
                except CellExecutionError as error:
                    if block.options.get("error") is not True:
                        output = ANSI_COLOUR.sub("", str(error))
                        raise ChapterError(f"{where}: {block.describe()} failed:\n{output}") from error
                cell_runs.append(CellRun(block, [dict(output) for output in cell.outputs]))
            else:
                inline_runs.extend(_evaluate_inline(client, block, where))
    return ChapterRun(chapter, language, cell_runs, inline_runs, time.perf_counter() - started)


def _evaluate_inline(client: Any, block: Markdown, where: str) -> list[InlineRun]:
    """Ask the kernel for the inline expressions of one markdown cell (both languages), as Quarto does."""
    expressions = block.inline_expressions()
    if not expressions:
        return []
    requested = {str(index): item.expression for index, item in enumerate(expressions)}
    message_id = client.kc.execute("", user_expressions=requested)
    reply = client.wait_for_reply(message_id)
    content = reply["content"]
    if content.get("status") != "ok":
        raise ChapterError(
            f"{where}: the inline expressions from line {block.line} could not run: "
            f"{content.get('ename')}: {content.get('evalue')}"
        )
    runs = []
    for key, item in zip(requested, expressions, strict=True):
        result = content["user_expressions"][key]
        if result.get("status") != "ok":
            raise ChapterError(
                f"{where}:{item.line}: inline expression `{{python}} {item.expression}` failed: "
                f"{result.get('ename')}: {result.get('evalue')}"
            )
        runs.append(InlineRun(item, result.get("data", {})))
    return runs


# --------------------------------------------------------------------------- what a page would show

FIGURE_MIME = "image/png"
SHOWN_MIMES = (FIGURE_MIME, "text/html", "text/markdown")
LONG_DECIMAL = re.compile(r"\d\.\d{5,}")
# The widest picture the text column shows whole at a 1280-pixel window (penguins.plotting.COLUMN_WIDTH
# at the pages' 96 dpi), with a little room for bbox_inches="tight".
MAX_FIGURE_PIXELS = 760
INLINE_LIMIT = 80  # characters: a number, a name, a short phrase chosen from a result
STYLER_ID = re.compile(r'id="T_(\w+?)_')
THEAD = re.compile(r"<thead>(.*?)</thead>", re.DOTALL)


def layout_problems(run: ChapterRun, where: str) -> list[str]:
    """What would look wrong in the rendered page, one sentence each.

    - a cell writes to stderr (a warning, a log line): Quarto would print it, paths and all;
    - a cell shows plain text (a printed value, a repr such as ``Name: mean, dtype: float64``):
      every output is a figure, a table or markdown;
    - a ``fig-`` cell shows anything but exactly one image (a returned ``Text`` or ``Figure``
      doubles it, and Quarto then lays the figure out as sub-figures "(a)", "(b)"), or an image
      wider than the text column (it is cut off at the column's edge);
    - a ``tbl-`` cell shows anything but exactly one table, or a table with a header row that
      holds only index names;
    - two styled tables share a Styler uuid (the later one's CSS recolours the earlier);
    - an inline expression the reader sees writes something that is not a short plain value (a
      long float, ``np.int64(3)``, an object's repr, several lines).
    """
    problems = []
    owners: dict[str, str] = {}
    for cell_run in run.cells:
        cell = cell_run.cell
        problems += _cell_problems(cell_run, where)
        for uuid in {match for output in cell_run.outputs for match in STYLER_ID.findall(_html(output))}:
            if uuid in owners and owners[uuid] != cell.describe():
                problems.append(
                    f"{where}: {cell.describe()} and {owners[uuid]} style tables with the same uuid {uuid!r}"
                )
            owners.setdefault(uuid, cell.describe())
    for inline in run.visible_inline():
        text = inline.text
        if (
            "\n" in text
            or len(text) > INLINE_LIMIT
            or LONG_DECIMAL.search(text)
            or re.match(r"^(np|numpy)\.", text)
            or text.startswith("<")
            or not text.strip()
        ):
            problems.append(
                f"{where}:{inline.expression.line}: inline expression `{{python}} {inline.expression.expression}` "
                f"would write {text!r} into the prose; give it a short formatted value (penguins.pages.format)"
            )
    return problems


def _cell_problems(cell_run: CellRun, where: str) -> list[str]:
    cell, problems = cell_run.cell, []
    if cell_run.stderr and cell.options.get("warning") is not False:
        first = cell_run.stderr.strip().splitlines()[0] if cell_run.stderr.strip() else ""
        problems.append(
            f"{where}: {cell.describe()} writes to stderr ({first!r}); silence the cause, "
            "or add `#| warning: false` to the cell if it is harmless"
        )
    shown = [output for output in cell_run.outputs if not _is_stderr(output)]
    plain = [output for output in shown if not any(mime in output.get("data", {}) for mime in SHOWN_MIMES)]
    if plain:
        problems.append(
            f"{where}: {cell.describe()} shows plain text {[_describe_output(output) for output in plain]}; "
            "show a table, a figure or prose"
        )
    label = cell.label or ""
    if label.startswith("fig-"):
        images = [output for output in shown if FIGURE_MIME in output.get("data", {})]
        if len(images) != 1 or len(shown) != 1:
            problems.append(
                f"{where}: {cell.describe()} should show exactly one figure, "
                f"shows {[_describe_output(o) for o in shown]}; end the plotting line with `;`"
            )
        for image in images:
            width = png_width(image["data"][FIGURE_MIME])
            if width > MAX_FIGURE_PIXELS:
                problems.append(
                    f"{where}: {cell.describe()} draws a figure {width} pixels wide; "
                    f"the text column shows {MAX_FIGURE_PIXELS}"
                )
    if label.startswith("tbl-"):
        tables = [
            output
            for output in shown
            if "text/html" in output.get("data", {}) or "text/markdown" in output.get("data", {})
        ]
        if len(tables) != 1 or len(shown) != 1:
            problems.append(
                f"{where}: {cell.describe()} should show exactly one table, "
                f"shows {[_describe_output(o) for o in shown]}"
            )
        for output in tables:
            if 'class="index_name' in _html(output) or _header_rows(_html(output)) > 1 and "<th></th>" in _html(output):
                problems.append(
                    f"{where}: {cell.describe()} shows a header row holding only index names; "
                    "show the table with penguins.pages.tables.show"
                )
            if _numbered_rows(_html(output)):
                problems.append(
                    f"{where}: {cell.describe()} shows row numbers 0, 1, ... as the first column; "
                    "show the table with penguins.pages.tables.show"
                )
    return problems


def png_width(encoded: str) -> int:
    """The width in pixels of a base64 PNG, from its IHDR chunk."""
    header = base64.b64decode(encoded[:64])
    return struct.unpack(">I", header[16:20])[0]


def _html(output: dict[str, Any]) -> str:
    return str(output.get("data", {}).get("text/html", ""))


ROW_HEADING = re.compile(r"<tbody>.*?</tbody>", re.DOTALL)


def _numbered_rows(html: str) -> bool:
    """Whether the body's row headings are just 0, 1, 2 ... (a default index shown)."""
    body = ROW_HEADING.search(html)
    if not body:
        return False
    headings = [
        re.sub(r"<.*?>", "", cell).strip()
        for cell in re.findall(r"<tr[^>]*>\s*(<th.*?</th>)", body.group(0), re.DOTALL)
    ]
    return len(headings) > 1 and headings == [str(number) for number in range(len(headings))]


def _header_rows(html: str) -> int:
    match = THEAD.search(html)
    return match.group(1).count("<tr") if match else 0


def _is_stderr(output: dict[str, Any]) -> bool:
    return output.get("output_type") == "stream" and output.get("name") == "stderr"


def _describe_output(output: dict[str, Any]) -> str:
    if output.get("output_type") == "stream":
        return f"{output.get('name')} text"
    return f"{output.get('output_type')} {sorted(output.get('data', {}))}"
