"""Run a chapter of the site (a Quarto ``.qmd`` file) the way Quarto's Jupyter engine does, without Quarto.

Quarto turns a ``.qmd`` into a notebook: the YAML front matter, then markdown cells and
```` ```{python} ```` code cells in file order, each code cell opened by ``#| key: value`` option
lines. It runs the cells in order in one Jupyter kernel and, when it reaches a markdown cell, asks
the same kernel for the value of every inline expression `` `{python} expr` `` in it (an
``execute_request`` with ``user_expressions``). This module does the same with nbclient and an
ipykernel started from the Python that runs the tests (the project's venv), so a chapter that
would break the render fails here first, with the chapter file, the cell number and label, or
the expression, in the message.

Parsing is kept apart from running: the parity and no-typed-numbers tests read the same
:class:`Chapter` without starting a kernel.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

FRONT_MATTER_FENCE = "---"
EXECUTABLE_FENCE = re.compile(r"^(?P<fence>`{3,})\{python\}\s*$")
OTHER_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})")
OPTION_LINE = re.compile(r"^#\s*\| ?")
# Quarto's own pattern (src/resources/jupyter/notebook.py): one backtick, {python}, a space or tab.
INLINE_EXPRESSION = re.compile(r"(?:^|[^`])`\{python\}[ \t]([^`]+)`", re.MULTILINE)
HEADING = re.compile(r"^(#{1,6})\s+\S")

# What Quarto's Python setup cell does before a page runs (fig-width 7, fig-height 5 and
# fig-dpi 96 are its HTML defaults), plus a check that the kernel is the tests' own Python.
SETUP_CODE = """
import sys as _sys
assert _sys.prefix == {prefix!r}, f"the kernel runs {{_sys.executable}}, not the tests' Python {executable!r}"
import matplotlib.pyplot as _plt
_plt.rcParams["figure.figsize"] = (7, 5)
_plt.rcParams["figure.dpi"] = 96
_plt.rcParams["savefig.dpi"] = 96
del _sys, _plt
"""


class ChapterError(AssertionError):
    """A chapter failed to run; the message names the file and the cell or expression."""


@dataclass
class CodeCell:
    number: int  # 1-based, counting code cells only, as Quarto's progress output does
    line: int  # line of the opening fence in the .qmd
    options: dict[str, Any]
    code: str  # the source without its option lines (what the kernel runs)

    @property
    def label(self) -> str | None:
        return self.options.get("label")

    def describe(self) -> str:
        return f"cell {self.number}" + (f" ({self.label})" if self.label else "") + f", line {self.line}"


@dataclass
class InlineExpression:
    expression: str
    line: int


@dataclass
class Markdown:
    line: int  # first line in the .qmd
    text: str
    # (first line, text) of the fenced code blocks that are shown but not run
    fenced_blocks: list[tuple[int, str]] = field(default_factory=list)

    @property
    def inline_expressions(self) -> list[InlineExpression]:
        return [
            InlineExpression(match.group(1).strip(), self.line + self.text.count("\n", 0, match.start(1)))
            for match in INLINE_EXPRESSION.finditer(self.text)
        ]


@dataclass
class Chapter:
    path: Path
    front_matter: dict[str, Any]
    blocks: list[CodeCell | Markdown]

    @property
    def code_cells(self) -> list[CodeCell]:
        return [block for block in self.blocks if isinstance(block, CodeCell)]

    @property
    def markdown(self) -> list[Markdown]:
        return [block for block in self.blocks if isinstance(block, Markdown)]

    @property
    def labels(self) -> list[str]:
        return [cell.label for cell in self.code_cells if cell.label]

    @property
    def headings(self) -> list[tuple[int, str]]:
        """(level, text) of each section heading, outside code."""
        found = []
        for block in self.markdown:
            for line in _outside_fences(block):
                match = HEADING.match(line)
                if match:
                    found.append((len(match.group(1)), line[len(match.group(1)) :].strip()))
        return found

    def prose(self) -> list[tuple[int, str]]:
        """(line number, text) of what a reader reads as prose.

        The title, subtitle and description, each line of markdown outside fenced code blocks and
        the figure and table captions of the code cells. Inline expressions are left in: callers
        remove what they do not want to look at.
        """
        lines = [
            (1, f"{key}: {self.front_matter[key]}")
            for key in ("title", "subtitle", "description")
            if key in self.front_matter
        ]
        for block in self.blocks:
            if isinstance(block, Markdown):
                lines.extend(
                    (block.line + offset, text)
                    for offset, text in enumerate(block.text.split("\n"))
                    if not _in_fence(block, offset)
                )
            else:
                lines.extend((block.line, str(block.options[key])) for key in ("fig-cap", "tbl-cap") if key in block.options)
        return lines

    def relative(self, root: Path) -> str:
        try:
            return str(self.path.relative_to(root))
        except ValueError:
            return str(self.path)


def parse_chapter(path: Path) -> Chapter:
    """Split a .qmd into its front matter, markdown and ```{python} cells (with their #| options)."""
    path = Path(path)
    lines = path.read_text(encoding="utf-8").split("\n")
    front_matter: dict[str, Any] = {}
    index = 0
    if lines and lines[0].strip() == FRONT_MATTER_FENCE:
        for end in range(1, len(lines)):
            if lines[end].strip() in (FRONT_MATTER_FENCE, "..."):
                front_matter = yaml.safe_load("\n".join(lines[1:end])) or {}
                index = end + 1
                break
        else:
            raise ChapterError(f"{path}: the YAML front matter is never closed with ---")
        if not isinstance(front_matter, dict):
            raise ChapterError(f"{path}: the front matter is not a YAML mapping")

    blocks: list[CodeCell | Markdown] = []
    markdown_start, markdown_lines, fenced = index, [], []
    n_cells = 0

    def flush_markdown() -> None:
        if any(line.strip() for line in markdown_lines):
            blocks.append(Markdown(markdown_start + 1, "\n".join(markdown_lines), list(fenced)))

    while index < len(lines):
        line = lines[index]
        executable = EXECUTABLE_FENCE.match(line)
        other = None if executable else OTHER_FENCE.match(line)
        if executable:
            end = _closing_fence(lines, index, executable.group("fence"), path)
            flush_markdown()
            n_cells += 1
            blocks.append(_code_cell(path, n_cells, index + 1, lines[index + 1 : end]))
            index = end + 1
            markdown_start, markdown_lines, fenced = index, [], []
        elif other:
            end = _closing_fence(lines, index, other.group("fence"), path)
            fenced.append((len(markdown_lines), "\n".join(lines[index : end + 1])))
            markdown_lines.extend(lines[index : end + 1])
            index = end + 1
        else:
            markdown_lines.append(line)
            index += 1
    flush_markdown()
    return Chapter(path, front_matter, blocks)


def _closing_fence(lines: list[str], start: int, fence: str, path: Path) -> int:
    for end in range(start + 1, len(lines)):
        stripped = lines[end].strip()
        if stripped.startswith(fence[0] * len(fence)) and set(stripped) == {fence[0]}:
            return end
    raise ChapterError(f"{path}:{start + 1}: the code block opened here is never closed")


def _code_cell(path: Path, number: int, line: int, body: list[str]) -> CodeCell:
    n_options = 0
    while n_options < len(body) and OPTION_LINE.match(body[n_options]):
        n_options += 1
    option_text = "\n".join(OPTION_LINE.sub("", option, count=1) for option in body[:n_options])
    try:
        options = yaml.safe_load(option_text) or {}
    except yaml.YAMLError as error:
        raise ChapterError(f"{path}: cell {number}, line {line}: its #| options are not valid YAML ({error})") from error
    if not isinstance(options, dict):
        raise ChapterError(f"{path}: cell {number}, line {line}: its #| options are not key: value pairs")
    return CodeCell(number, line, options, "\n".join(body[n_options:]))


def _fence_spans(block: Markdown) -> list[range]:
    return [range(start, start + text.count("\n") + 1) for start, text in block.fenced_blocks]


def _in_fence(block: Markdown, offset: int) -> bool:
    return any(offset in span for span in _fence_spans(block))


def _outside_fences(block: Markdown) -> list[str]:
    return [text for offset, text in enumerate(block.text.split("\n")) if not _in_fence(block, offset)]


# --------------------------------------------------------------------------- running


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
    cells: list[CellRun]
    inline: list[InlineRun]


def run_chapter(
    chapter: Chapter | Path,
    *,
    env: dict[str, str] | None = None,
    root: Path | None = None,
    timeout: int = 900,
) -> ChapterRun:
    """Execute every cell of ``chapter`` in order in a fresh kernel, then its inline expressions.

    ``env`` is added to this process's environment for the kernel (``PENGUINS_PRESET``,
    ``PENGUINS_STORE``...). The kernel starts in the chapter's folder, as Quarto's does.
    Raises :class:`ChapterError` naming the file and the cell or expression that failed.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    if not isinstance(chapter, Chapter):
        chapter = parse_chapter(chapter)
    where = chapter.relative(root) if root else str(chapter.path)

    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for block in chapter.blocks:
        if isinstance(block, CodeCell):
            notebook.cells.append(nbformat.v4.new_code_cell(block.code, metadata={"label": block.label}))
        else:
            notebook.cells.append(nbformat.v4.new_markdown_cell(block.text))

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
    with client.setup_kernel(env={**os.environ, **(env or {})}):
        setup = nbformat.v4.new_code_cell(SETUP_CODE.format(prefix=sys.prefix, executable=sys.executable))
        notebook.cells.insert(0, setup)
        try:
            client.execute_cell(setup, 0, store_history=False)
        except CellExecutionError as error:
            raise ChapterError(f"{where}: the kernel could not be set up like Quarto's:\n{error}") from error
        finally:
            notebook.cells.pop(0)

        for index, (block, cell) in enumerate(zip(chapter.blocks, notebook.cells)):
            if isinstance(block, CodeCell):
                if block.options.get("eval", True) is False:
                    continue
                try:
                    client.execute_cell(cell, index)
                except CellExecutionError as error:
                    if block.options.get("error") is not True:
                        raise ChapterError(f"{where}: {block.describe()} failed:\n{error}") from error
                cell_runs.append(CellRun(block, [dict(output) for output in cell.outputs]))
            else:
                inline_runs.extend(_evaluate_inline(client, block, where))
    return ChapterRun(chapter, cell_runs, inline_runs)


def _evaluate_inline(client: Any, block: Markdown, where: str) -> list[InlineRun]:
    """Ask the kernel for the inline expressions of one markdown cell, as Quarto does."""
    expressions = block.inline_expressions
    if not expressions:
        return []
    requested = {str(index): item.expression for index, item in enumerate(expressions)}
    message_id = client.kc.execute("", user_expressions=requested)
    reply = client.wait_for_reply(message_id)
    content = reply["content"]
    if content.get("status") != "ok":
        raise ChapterError(f"{where}: the inline expressions from line {block.line} could not run: {content.get('ename')}: {content.get('evalue')}")
    runs = []
    for key, item in zip(requested, expressions):
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
LONG_DECIMAL = re.compile(r"\d\.\d{5,}")


def layout_problems(run: ChapterRun, where: str) -> list[str]:
    """What would look wrong in the rendered page, one sentence each.

    - a cell writes to stderr (a warning, a log line): Quarto would print it, paths and all;
    - a ``fig-`` cell shows anything but exactly one image (a returned ``Text`` or ``Figure``
      doubles it, and Quarto then lays the figure out as sub-figures "(a)", "(b)");
    - a ``tbl-`` cell shows anything but exactly one table;
    - an inline expression writes something that is not a short plain value (a long float,
      ``np.int64(3)``, an object's repr, several lines).
    """
    problems = []
    for cell_run in run.cells:
        cell = cell_run.cell
        if cell_run.stderr and cell.options.get("warning") is not False:
            first = cell_run.stderr.strip().splitlines()[0] if cell_run.stderr.strip() else ""
            problems.append(
                f"{where}: {cell.describe()} writes to stderr ({first!r}); silence the cause, "
                "or add `#| warning: false` to the cell if it is harmless"
            )
        label = cell.label or ""
        shown = [output for output in cell_run.outputs if not _is_stderr(output)]
        if label.startswith("fig-"):
            images = [output for output in shown if FIGURE_MIME in output.get("data", {})]
            if len(images) != 1 or len(shown) != 1:
                kinds = [_describe_output(output) for output in shown]
                problems.append(
                    f"{where}: {cell.describe()} should show exactly one figure, shows {kinds}; "
                    "end the plotting line with `;`"
                )
        if label.startswith("tbl-"):
            tables = [output for output in shown if "text/html" in output.get("data", {}) or "text/markdown" in output.get("data", {})]
            if len(tables) != 1 or len(shown) != 1:
                kinds = [_describe_output(output) for output in shown]
                problems.append(f"{where}: {cell.describe()} should show exactly one table, shows {kinds}")
    for inline in run.inline:
        text = inline.text
        if (
            "\n" in text
            or len(text) > 60
            or LONG_DECIMAL.search(text)
            or re.match(r"^(np|numpy)\.", text)
            or text.startswith("<")
            or not text.strip()
        ):
            problems.append(
                f"{where}:{inline.expression.line}: inline expression `{{python}} {inline.expression.expression}` "
                f"would write {text!r} into the prose; give it a short formatted value (penguins.chapters.fmt_*)"
            )
    return problems


def _is_stderr(output: dict[str, Any]) -> bool:
    return output.get("output_type") == "stream" and output.get("name") == "stderr"


def _describe_output(output: dict[str, Any]) -> str:
    if output.get("output_type") == "stream":
        return f"{output.get('name')} text"
    return f"{output.get('output_type')} {sorted(output.get('data', {}))}"
