"""Write each chapter's notebook in each language, for readers to take the code home.

``python report/_build/notebooks.py _site`` writes ``_site/<language>/report/<chapter>.ipynb`` for
every ``report/<chapter>.qmd``: that language's prose, every code cell as the page runs it
(the hidden set-up cells included, so the notebook runs on its own), each caption under its
cell, cross-references numbered as the page numbers them. The notebook is not executed: its
reader runs it, and the results store makes that cheap. A value the page writes into a sentence
appears as the expression that computes it (`` `facts.n_seeds` ``). Each page links to its
notebook (``format-links`` in its front matter). Quarto could write the notebook too, but it
would run every page a second time for it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))

from qmd import LANGUAGES, Chapter, CodeCell, parse_chapter, resolve_meta  # noqa: E402

REPORT = Path(__file__).resolve().parents[1]
INLINE_CODE = re.compile(r"`\{python\}[ \t]([^`]+)`")
CROSS_REFERENCE = re.compile(r"@((?:fig|tbl)-[\w-]+)")
TWIN_LINK = re.compile(r"^\[[^\]]+\]\(\.\./\.\./(?:ko|en)/report/[\w-]+\.html\)\{[^}]*\}\s*$")
KINDS = {"ko": {"fig": "그림", "tbl": "표"}, "en": {"fig": "Figure", "tbl": "Table"}}
PREAMBLE = {
    "ko": "이 노트북은 [Penguins 인공신경망, 다시 계산하기]({page}) 사이트의 한 장이다. 셀을 위에서부터 차례로 "
          "실행하면 `penguins` 패키지가 결과 저장소에서 결과를 읽거나 새로 계산한다. 본문에 들어가는 값은 그 값을 "
          "계산하는 식(예: `facts.n_seeds`)으로 적었다.",
    "en": "This notebook is a chapter of the site [The Penguins neural network, recomputed]({page}). Run the cells "
          "from the top: the `penguins` package reads each result from its results store or computes it. A value "
          "the page writes into a sentence appears here as the expression that computes it (e.g. `facts.n_seeds`).",
}
PROFILE_CELL = 'import os\n\nos.environ.setdefault("QUARTO_PROFILE", "{language}")  # the language of this notebook'


def numbering(chapter: Chapter, language: str) -> dict[str, str]:
    """What each figure and table label is called in the page: "Figure 2", "표 1"."""
    counts = {"fig": 0, "tbl": 0}
    names = {}
    for label in chapter.labels:
        kind = label.split("-", 1)[0]
        if kind in counts:
            counts[kind] += 1
            names[label] = f"{KINDS[language][kind]} {counts[kind]}"
    return names


def prose(text: str, language: str, names: dict[str, str]) -> str:
    """A page's markdown for the notebook: meta filled in, references numbered, values as expressions."""
    lines = [line for line in text.split("\n") if not TWIN_LINK.match(line)]
    text = resolve_meta("\n".join(lines), language)
    text = CROSS_REFERENCE.sub(lambda match: names.get(match.group(1), match.group(0)), text)
    return INLINE_CODE.sub(r"`\1`", text)


def caption(cell: CodeCell, language: str, names: dict[str, str]) -> str | None:
    for key in ("fig-cap", "tbl-cap"):
        if key in cell.options and cell.label in names:
            return f"*{names[cell.label]}: {resolve_meta(str(cell.options[key]), language)}*"
    return None


def notebook(chapter: Chapter, language: str) -> nbformat.NotebookNode:
    """The notebook of ``chapter`` in ``language``."""
    names = numbering(chapter, language)
    cells = [
        nbformat.v4.new_markdown_cell(f"# {chapter.title(language)}\n\n" + PREAMBLE[language].format(page=f"{chapter.name}.html")),
        nbformat.v4.new_code_cell(PROFILE_CELL.format(language=language)),
    ]
    for block in chapter.blocks:
        if isinstance(block, CodeCell):
            cells.append(nbformat.v4.new_code_cell(block.code.strip("\n")))
            under = caption(block, language, names)
            if under:
                cells.append(nbformat.v4.new_markdown_cell(under))
        else:
            text = prose(block.text(language), language, names).strip("\n")
            if text.strip():
                cells.append(nbformat.v4.new_markdown_cell(text))
    book = nbformat.v4.new_notebook(cells=cells)
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    book.metadata["language_info"] = {"name": "python"}
    return book


def write_notebooks(site: Path) -> list[Path]:
    """Every chapter's notebook in every language under ``site`` (the rendered ``_site``)."""
    written = []
    for path in sorted(REPORT.glob("*.qmd")):
        chapter = parse_chapter(path)
        for language in LANGUAGES:
            target = site / language / "report" / f"{chapter.name}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook(chapter, language), target)
            written.append(target)
    return written


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python report/_build/notebooks.py SITE_FOLDER")
    written = write_notebooks(Path(sys.argv[1]))
    print(f"wrote {len(written)} notebooks under {sys.argv[1]}")
