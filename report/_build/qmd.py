"""Read a chapter of the site: one ``report/<chapter>.qmd`` holding its code once and its prose in
both languages.

A chapter is what Quarto's Jupyter engine reads: YAML front matter, then markdown and
```` ```{python} ```` code cells in file order, each code cell opened by ``#| key: value`` option
lines. The prose of each language sits in ``::: {.content-visible when-profile="ko"}`` (or ``"en"``)
blocks; code cells stay outside them, so the code is written once and runs in both languages.
Captions, alt texts and titles are ``{{< meta text.… >}}`` shortcodes that each profile's
string table fills in (``penguins/strings/<language>.yml``).

This module only reads; ``tests/chapter_runner.py`` runs a chapter in a kernel and
``report/_build/notebooks.py`` writes each language's notebook from the same reading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("ko", "en")
FRONT_MATTER_FENCE = "---"
EXECUTABLE_FENCE = re.compile(r"^(?P<fence>`{3,})\{python\}\s*$")
OTHER_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})")
OPTION_LINE = re.compile(r"^#\s*\| ?")
# Quarto's own pattern (src/resources/jupyter/notebook.py): one backtick, {python}, a space or tab.
INLINE_EXPRESSION = re.compile(r"(?:^|[^`])`\{python\}[ \t]([^`]+)`", re.MULTILINE)
HEADING = re.compile(r"^(#{1,6})\s+\S")
LANGUAGE_DIV = re.compile(r'^:{3,}\s*\{[^}]*\.content-visible\b[^}]*\bwhen-profile="(?P<language>[^"]+)"[^}]*\}\s*$')
OTHER_DIV = re.compile(r"^:{3,}\s*\S")
DIV_CLOSE = re.compile(r"^:{3,}\s*$")
META = re.compile(r"\{\{<\s*meta\s+(?P<key>[^\s>]+)\s*>\}\}")
META_ROOT = "text"


class ChapterError(AssertionError):
    """A chapter cannot be read or run; the message names the file and the place."""


@dataclass
class CodeCell:
    number: int  # 1-based, counting code cells only, as Quarto's progress output does
    line: int  # line of the opening fence in the .qmd
    options: dict[str, Any]
    code: str  # the source without its option lines (what the kernel runs)

    @property
    def label(self) -> str | None:
        return self.options.get("label")

    @property
    def echoed(self) -> bool:
        """Whether a reader sees the code (``echo`` defaults to true for the site)."""
        return self.options.get("echo", True) is not False

    def describe(self) -> str:
        return f"cell {self.number}" + (f" ({self.label})" if self.label else "") + f", line {self.line}"


@dataclass(frozen=True)
class Line:
    number: int  # in the .qmd, from 1
    text: str
    language: str | None  # the language block it sits in, None for lines of both languages
    in_fence: bool = False  # inside a fenced code block that is shown, not run
    structural: bool = False  # the opening or closing line of a language block


@dataclass
class InlineExpression:
    expression: str
    line: int
    language: str | None


@dataclass
class Markdown:
    lines: list[Line]

    @property
    def line(self) -> int:
        return self.lines[0].number

    def visible(self, language: str) -> list[Line]:
        """The lines a reader of ``language`` sees (language blocks' own fences left out)."""
        return [line for line in self.lines if not line.structural and line.language in (None, language)]

    def text(self, language: str) -> str:
        return "\n".join(line.text for line in self.visible(language))

    def inline_expressions(self, language: str | None = None) -> list[InlineExpression]:
        """Inline expressions in ``language``'s lines, or in every line when ``language`` is None."""
        lines = self.lines if language is None else self.visible(language)
        return [
            InlineExpression(match.group(1).strip(), line.number, line.language)
            for line in lines
            if not line.in_fence
            for match in INLINE_EXPRESSION.finditer(line.text)
        ]


@dataclass
class Chapter:
    path: Path
    front_matter: dict[str, Any]
    blocks: list[CodeCell | Markdown] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def code_cells(self) -> list[CodeCell]:
        return [block for block in self.blocks if isinstance(block, CodeCell)]

    @property
    def markdown(self) -> list[Markdown]:
        return [block for block in self.blocks if isinstance(block, Markdown)]

    @property
    def labels(self) -> list[str]:
        return [cell.label for cell in self.code_cells if cell.label]

    def headings(self, language: str) -> list[tuple[int, str]]:
        """(level, text) of each section heading ``language``'s reader sees, outside code."""
        found = []
        for block in self.markdown:
            for line in block.visible(language):
                match = HEADING.match(line.text)
                if match and not line.in_fence:
                    found.append((len(match.group(1)), line.text[len(match.group(1)) :].strip()))
        return found

    def prose(self, language: str) -> list[tuple[int, str]]:
        """(line number, text) of what ``language``'s reader reads as prose: every markdown line
        outside fenced code, and the captions and alt texts of the code cells, resolved from
        the string table. Inline expressions are left in: callers remove what they do not want."""
        lines = [(line.number, line.text) for block in self.markdown for line in block.visible(language) if not line.in_fence]
        for cell in self.code_cells:
            for key in ("fig-cap", "fig-alt", "tbl-cap"):
                if key in cell.options:
                    lines.append((cell.line, resolve_meta(str(cell.options[key]), language)))
        return sorted(lines)

    def meta_keys(self) -> list[tuple[int, str]]:
        """(line, key) of every ``{{< meta … >}}`` in the chapter: front matter, options, prose."""
        found = [(1, match.group("key")) for match in META.finditer(yaml.safe_dump(self.front_matter, allow_unicode=True))]
        for cell in self.code_cells:
            for value in cell.options.values():
                found += [(cell.line, match.group("key")) for match in META.finditer(str(value))]
        for block in self.markdown:
            for line in block.lines:
                found += [(line.number, match.group("key")) for match in META.finditer(line.text)]
        return found

    def title(self, language: str) -> str:
        return resolve_meta(str(self.front_matter.get("title", self.name)), language)


def resolve_meta(text: str, language: str) -> str:
    """``text`` with each ``{{< meta text.… >}}`` replaced by that entry of ``language``'s string table."""
    from penguins.strings import words

    def entry(match: re.Match[str]) -> str:
        root, *path = match.group("key").split(".")
        if root != META_ROOT:
            raise KeyError(f"meta key {match.group('key')!r} is not in the string table (it starts with {root!r}, not {META_ROOT!r})")
        value = words(language, *path)
        if not isinstance(value, str):
            raise KeyError(f"meta key {match.group('key')!r} is a {type(value).__name__}, not text")
        return value

    return META.sub(entry, text)


def parse_chapter(path: Path) -> Chapter:
    """Split a .qmd into its front matter, markdown (each line tagged with its language) and
    ```{python} cells with their #| options. A code cell inside a language block is an error:
    Quarto would run it in both languages anyway, and the code is meant to be written once."""
    path = Path(path)
    lines = path.read_text(encoding="utf-8").split("\n")
    front_matter, index = _front_matter(lines, path)
    blocks: list[CodeCell | Markdown] = []
    pending: list[Line] = []
    divs: list[str | None] = []  # open divs, innermost last: a language, or None for another div
    n_cells = 0

    def flush() -> None:
        if any(line.text.strip() for line in pending):
            blocks.append(Markdown(list(pending)))
        pending.clear()

    while index < len(lines):
        text, number = lines[index], index + 1
        language = next((div for div in reversed(divs) if div is not None), None)
        executable = EXECUTABLE_FENCE.match(text)
        if executable:
            if language is not None:
                raise ChapterError(f"{path}:{number}: a code cell inside the {language!r} block; keep code outside language blocks")
            end = _closing_fence(lines, index, executable.group("fence"), path)
            flush()
            n_cells += 1
            blocks.append(_code_cell(path, n_cells, number, lines[index + 1 : end]))
            index = end + 1
            continue
        other = OTHER_FENCE.match(text)
        if other:
            end = _closing_fence(lines, index, other.group("fence"), path)
            pending += [Line(index + 1 + offset, lines[index + offset], language, in_fence=True) for offset in range(end - index + 1)]
            index = end + 1
            continue
        opened = LANGUAGE_DIV.match(text)
        if opened:
            if opened.group("language") not in LANGUAGES:
                raise ChapterError(f"{path}:{number}: unknown profile {opened.group('language')!r}; the site has {LANGUAGES}")
            if language is not None:
                raise ChapterError(f"{path}:{number}: a language block inside the {language!r} block")
            divs.append(opened.group("language"))
            pending.append(Line(number, text, opened.group("language"), structural=True))
        elif DIV_CLOSE.match(text) and divs:
            closed = divs.pop()
            pending.append(Line(number, text, closed if closed is not None else language, structural=closed is not None))
        elif OTHER_DIV.match(text) and not DIV_CLOSE.match(text):
            divs.append(None)
            pending.append(Line(number, text, language))
        else:
            pending.append(Line(number, text, language))
        index += 1
    if divs:
        raise ChapterError(f"{path}: a ::: block is never closed")
    flush()
    return Chapter(path, front_matter, blocks)


def _front_matter(lines: list[str], path: Path) -> tuple[dict[str, Any], int]:
    if not lines or lines[0].strip() != FRONT_MATTER_FENCE:
        return {}, 0
    for end in range(1, len(lines)):
        if lines[end].strip() in (FRONT_MATTER_FENCE, "..."):
            front_matter = yaml.safe_load("\n".join(lines[1:end])) or {}
            if not isinstance(front_matter, dict):
                raise ChapterError(f"{path}: the front matter is not a YAML mapping")
            return front_matter, end + 1
    raise ChapterError(f"{path}: the YAML front matter is never closed with ---")


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
