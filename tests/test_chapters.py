"""The site's chapters, checked without Quarto.

- every chapter (``report/<chapter>.qmd``, one source for both languages) runs top to bottom in a
  real Jupyter kernel once per language, with ``QUARTO_PROFILE`` set, against a store that
  ``penguins reproduce`` and ``penguins variants`` filled, read-only: a page that would train
  anything fails (tests/chapter_runner.py);
- what it shows would lay out cleanly in the page: figures, tables and prose only, no plain-text
  output, figures within the text column, no header row of index names, no two tables sharing
  a Styler uuid, short formatted inline values;
- the source reads like a book: code outside language blocks, every echoed cell short and narrow,
  no asserts or helper functions in pages; each language has the same sections, its prose in its
  own block, a link to its twin and its notebook;
- every ``{{< meta … >}}`` key exists in both string tables; every figure has a caption and an
  alt text in each language, every table a caption;
- no result is typed into the prose of either language: numbers come from inline expressions;
- the Quarto configuration is consistent: the pages it names exist, the two profiles write to
  different folders, each sets its language and its string table, the links between them land
  on real pages.
"""

from __future__ import annotations

import ast
import posixpath
import re
from pathlib import Path

import pytest
import yaml

from chapter_runner import ChapterError, layout_problems, parse_chapter, run_chapter
from conftest import ROOT
from qmd import META, Chapter, resolve_meta

REPORT = ROOT / "report"
LANGUAGES = ("ko", "en")
CHAPTERS = sorted(REPORT.glob("*.qmd"))
MAX_CELL_LINES = 12  # lines of an echoed cell, blank lines included: one idea per cell
MAX_CODE_WIDTH = 88  # characters: what the code block shows without cutting a line
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def other_language(language: str) -> str:
    return "en" if language == "ko" else "ko"


# --------------------------------------------------------------------------- running


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.stem)
def test_chapter_reads_the_store_and_lays_out_cleanly(path: Path, language: str, reproduced_store: str) -> None:
    env = {"PENGUINS_PRESET": "smoke", "PENGUINS_STORE": reproduced_store, "PENGUINS_STORE_READ_ONLY": "1"}
    run = run_chapter(path, language, env=env, root=ROOT)
    problems = layout_problems(run, f"{path.relative_to(ROOT)} [{language}]")
    assert not problems, "\n".join(problems)


def test_runner_names_the_failing_cell_and_language(tmp_path: Path) -> None:
    chapter = tmp_path / "broken.qmd"
    chapter.write_text(
        "---\ntitle: Broken\n---\n\n```{python}\nx = 1\n```\n\n"
        "```{python}\n#| label: fig-oops\n#| fig-cap: A figure\n"
        "import os\nraise ValueError(os.environ['QUARTO_PROFILE'])\n```\n"
    )
    with pytest.raises(
        ChapterError, match=r"broken\.qmd \[en\]: cell 2 \(fig-oops\), line 9 failed:(.|\n)*ValueError: en"
    ):
        run_chapter(chapter, "en")


def test_runner_evaluates_the_inline_expressions_of_both_languages(tmp_path: Path) -> None:
    # Quarto asks the kernel for every inline expression before it drops the other profile's
    # blocks, so one that fails in the hidden language breaks the render too.
    chapter = tmp_path / "inline.qmd"
    chapter.write_text(
        '```{python}\nvalue = 2\n```\n\n::: {.content-visible when-profile="ko"}\n값은 `{python} value`.\n:::\n\n'
        '::: {.content-visible when-profile="en"}\nIt is `{python} missing`.\n:::\n'
    )
    with pytest.raises(
        ChapterError, match=r"inline\.qmd \[ko\]:10: inline expression `\{python\} missing` failed: NameError"
    ):
        run_chapter(chapter, "ko")


def test_layout_problems_are_reported(tmp_path: Path) -> None:
    chapter = tmp_path / "layout.qmd"
    chapter.write_text(
        "```{python}\n#| label: fig-twice\n#| fig-cap: Two outputs\n"
        "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.title('no semicolon')\n```\n\n"
        "```{python}\n#| label: fig-wide\n#| fig-cap: Too wide\nplt.figure(figsize=(11, 3)); plt.plot([1, 2]);\n```\n\n"
        "```{python}\nimport warnings\nwarnings.warn('careful')\nratio = 2 / 3\nratio\n```\n\n"
        "```{python}\n#| label: tbl-named\n#| tbl-cap: A named index\nimport pandas as pd\n"
        "pd.DataFrame({'a': [1]}, index=pd.Index(['x'], name='row'))\n```\n\n"
        "```{python}\n#| label: tbl-numbered\n#| tbl-cap: Row numbers\npd.DataFrame({'a': [1, 2]})\n```\n\n"
        "```{python}\nfrom penguins.pages.tables import show\n"
        "first = pd.DataFrame({'a': [1]}).style.set_uuid('same')\nfirst\n```\n\n"
        "```{python}\nsecond = pd.DataFrame({'b': [2]}).style.set_uuid('same')\nsecond\n```\n\n"
        '::: {.content-visible when-profile="en"}\nThe ratio is `{python} ratio`.\n:::\n'
    )
    problems = "\n".join(layout_problems(run_chapter(chapter, "en"), "layout.qmd"))
    assert "cell 1 (fig-twice), line 1 should show exactly one figure" in problems
    assert "cell 2 (fig-wide), line 9 draws a figure" in problems  # about 866 pixels after tight cropping
    assert "cell 3, line 15 writes to stderr" in problems
    assert "cell 3, line 15 shows plain text" in problems
    assert "cell 4 (tbl-named), line 22 shows a header row holding only index names" in problems
    assert "cell 5 (tbl-numbered), line 29 shows row numbers 0, 1, ..." in problems
    assert "style tables with the same uuid 'same'" in problems
    assert "would write '0.6666666666666666'" in problems


def test_show_keeps_tables_apart_and_drops_index_name_rows() -> None:
    import pandas as pd

    from penguins.pages.tables import show

    def table(verdict: str, claim: str) -> pd.DataFrame:
        return pd.DataFrame({"verdict": [verdict]}, index=pd.Index([claim], name="claim"))

    assert show(table("reproduced", "a")).to_html() == show(table("reproduced", "a")).to_html()  # deterministic
    first_html = show(table("reproduced", "a")).map(lambda _: "background-color: red").to_html()
    second_html = show(table("not reproduced", "b")).map(lambda _: "background-color: green").to_html()
    first_ids = set(re.findall(r"#T_(\w+?)_", first_html))
    assert first_ids and first_ids.isdisjoint(re.findall(r"#T_(\w+?)_", second_html)), "two tables restyle each other"
    assert "index_name" not in first_html and first_html.count("<tr") == 2  # one header row, one body row
    assert ">claim</th>" in first_html  # the index name heads its column instead
    numbered = show(pd.DataFrame({"layer": ["dense", "total"]})).to_html()
    assert ">0</th>" not in numbered and "row_heading" not in numbered  # no 0, 1 ... column


def test_a_code_cell_inside_a_language_block_is_refused(tmp_path: Path) -> None:
    chapter = tmp_path / "nested.qmd"
    chapter.write_text('::: {.content-visible when-profile="en"}\nText.\n\n```{python}\nx = 1\n```\n:::\n')
    with pytest.raises(ChapterError, match=r"nested\.qmd:4: a code cell inside the 'en' block"):
        parse_chapter(chapter)


# --------------------------------------------------------------------------- the source


def chapter(path: Path) -> Chapter:
    return parse_chapter(path)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.stem)
def test_prose_sits_in_its_language_block(path: Path) -> None:
    # Outside the language blocks only code is allowed: cells, and shown code both languages share.
    stray = [
        f"{path.name}:{line.number}: {line.text!r}"
        for block in chapter(path).markdown
        for line in block.lines
        if line.language is None and not line.in_fence and line.text.strip()
    ]
    assert not stray, "prose outside a language block:\n" + "\n".join(stray)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.stem)
def test_both_languages_have_the_same_sections(path: Path) -> None:
    source = chapter(path)
    levels = {language: [level for level, _ in source.headings(language)] for language in LANGUAGES}
    assert levels["ko"] == levels["en"], (
        f"{path.name}: section levels differ\n ko: {source.headings('ko')}\n en: {source.headings('en')}"
    )
    for language in LANGUAGES:
        prose = [text for _, text in source.prose(language) if text.strip()]
        assert prose, f"{path.name} has no {language} prose"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.stem)
def test_echoed_cells_are_short_and_narrow(path: Path) -> None:
    source, problems = chapter(path), []
    for cell in source.code_cells:
        lines = cell.code.strip("\n").split("\n")
        if cell.echoed and len(lines) > MAX_CELL_LINES:
            problems.append(f"{cell.describe()} shows {len(lines)} lines (at most {MAX_CELL_LINES})")
        problems += [
            f"{cell.describe()}: a line of {len(line)} characters"
            for line in lines
            if cell.echoed and len(line) > MAX_CODE_WIDTH
        ]
    for block in source.markdown:
        problems += [
            f"line {line.number}: shown code of {len(line.text)} characters"
            for line in block.lines
            if line.in_fence and len(line.text) > MAX_CODE_WIDTH
        ]
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.stem)
def test_pages_define_nothing_and_assert_nothing(path: Path) -> None:
    # Checks of results belong in tests, helpers in penguins.pages: a page's cells only call.
    problems = []
    for cell in chapter(path).code_cells:
        for node in ast.walk(ast.parse(cell.code)):
            if isinstance(node, (ast.Assert, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                problems.append(f"{cell.describe()}: {type(node).__name__} at line {node.lineno} of the cell")
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.stem)
def test_every_meta_key_is_in_both_string_tables(path: Path) -> None:
    source, missing = chapter(path), []
    for line, key in source.meta_keys():
        for language in LANGUAGES:
            try:
                resolve_meta(f"{{{{< meta {key} >}}}}", language)
            except KeyError as error:
                missing.append(f"{path.name}:{line}: {error}")
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.stem)
def test_figures_have_captions_and_alt_texts_in_each_language(path: Path) -> None:
    problems = []
    for cell in chapter(path).code_cells:
        label = cell.label or ""
        needed = (
            ("fig-cap", "fig-alt") if label.startswith("fig-") else ("tbl-cap",) if label.startswith("tbl-") else ()
        )
        for key in needed:
            value = str(cell.options.get(key, ""))
            if not META.fullmatch(value.strip()):
                problems.append(
                    f"{cell.describe()}: {key} should come from the string table ({{{{< meta text.… >}}}}), "
                    f"is {value!r}"
                )
                continue
            for language in LANGUAGES:
                text = resolve_meta(value, language)
                in_korean = bool(HANGUL.search(text))
                if not text.strip() or in_korean != (language == "ko"):
                    problems.append(f"{cell.describe()}: the {language} {key} does not read as {language}: {text!r}")
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.stem)
def test_page_links_to_its_twin_and_offers_its_notebook(path: Path) -> None:
    source = chapter(path)
    for language in LANGUAGES:
        other = other_language(language)
        text = "\n".join(block.text(language) for block in source.markdown)
        twin = f"../../{other}/report/{path.stem}.html"
        assert f"]({twin})" in text, f"{path.name}: the {language} page has no link to its {other} twin ({twin})"
        assert source_of_output(output_path(language, f"report/{path.stem}.html", twin)) == path
    links = source.front_matter["format"]["html"]["format-links"]
    assert [link["href"] for link in links] == [f"{path.stem}.ipynb"], (
        f"{path.name}: format-links should offer the notebook"
    )


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.stem)
def test_links_to_project_files_are_copied_into_the_site(path: Path) -> None:
    # A link to a file that is not a page (the engine's equivalence test) only works in the site
    # if the file exists and `project: resources` copies it to the same place in the output.
    resources = load_config("_quarto.yml")["project"].get("resources", [])
    for target in re.findall(r"\]\((\.\./[^)#\s]+)\)", path.read_text(encoding="utf-8")):
        if target.endswith((".html", ".qmd")) or target.endswith("/"):
            continue
        relative = posixpath.normpath(posixpath.join("report", target))
        assert (ROOT / relative).is_file(), f"{path.name} links to {target}, which does not exist"
        assert relative in resources, f"{path.name} links to {relative}, which `project: resources` does not copy"


# --------------------------------------------------------------------------- no typed numbers

# A digit in prose is a typed number unless it is listed here for its chapter (both languages),
# with the reason. Results never belong here: compute them in a cell and write `{python} name`.
ALLOWED_NUMBERS: dict[str, dict[str, str]] = {
    "index": {"2020": "year of the palmerpenguins citation"},
    "data": {
        "0": "min-max scaling maps to the range 0 to 1 (a definition, not a result)",
        "1": "min-max scaling maps to the range 0 to 1 (a definition, not a result)",
    },
    "experiments": {
        "0": "the sweep engine pads layers with nodes whose weights are 0 (how padding works, not a result)",
        "1": (
            "the post's experiment numbers (실험1 … 실험5, experiment 1 … 5) and grid start "
            "(1 to 99 layers, 1:99 shapes)"
        ),
        "2": (
            "the post's experiment numbers (실험1 … 실험5) and its chosen depth of 2 hidden layers "
            "(a setting, not a result)"
        ),
        "3": (
            "the post's experiment numbers (실험1 … 실험5) and the depth 3 from which the ledger compares "
            "with depth 2"
        ),
        "4": "the post's experiment numbers (실험1 … 실험5)",
        "5": "the post's experiment numbers (실험1 … 실험5)",
        "99": "the post's grids: 1 to 99 hidden layers, shapes 1:99 to 99:1 (settings, not results)",
        "100": "the post's setting: 100 nodes per hidden layer, 100 nodes in all for the shapes (not a result)",
    },
    "networks": {
        "0": "the post's section titles: networks with 0, 1 and 2 hidden layers; an interval above 0 (a definition)",
        "1": "the post's section titles: networks with 0, 1 and 2 hidden layers (names, not results)",
        "2": "the post's section titles: networks with 0, 1 and 2 hidden layers (names, not results)",
    },
    "overfitting": {
        "0": "zero in definitions: L1 sets weights to exactly 0, dropout outputs to 0; an interval above 0"
    },
    "schedules": {"0": "Keras numbers epochs from 0 (a convention, not a result)"},
    "methodology": {"0": "a confidence interval that excludes 0, i.e. no difference (a definition, not a result)"},
    "explorer": {"1": "the post's experiment number: 실험 1, experiment 1 (a name, not a result)"},
}

NUMBER = re.compile(r"(?<![A-Za-z_\d.])\d+(?:[.,]\d+)*")
NOT_PROSE = [
    re.compile(r"`\{python\}[ \t][^`]+`"),  # inline expressions: computed
    re.compile(r"<!--.*?-->"),  # comments
    re.compile(r"\]\([^)]*\)"),  # link targets
    re.compile(r"<https?://[^>]*>|https?://\S+"),  # bare links
    re.compile(r"\{[^{}]*\}"),  # attributes: {#id .class key="value"}
    re.compile(r"@(?:fig|tbl|sec|eq)-[\w-]+"),  # cross-references
]


def typed_numbers(source: Chapter, language: str, allowed: dict[str, str]) -> list[str]:
    """Each number in ``language``'s prose of ``source`` that is not allowed, as 'file:line: number in «text»'."""
    found = []
    for line, text in [(1, source.title(language)), *source.prose(language)]:
        stripped = text
        for pattern in NOT_PROSE:
            stripped = pattern.sub(" ", stripped)
        for match in NUMBER.finditer(stripped):
            if match.group() not in allowed:
                found.append(
                    f"{source.path.name}:{line} [{language}]: typed number {match.group()!r} in «{text.strip()}»"
                )
    return found


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.stem)
def test_no_typed_numbers_in_prose(path: Path, language: str) -> None:
    found = typed_numbers(chapter(path), language, ALLOWED_NUMBERS.get(path.stem, {}))
    assert not found, (
        "Numbers in prose must come from inline expressions (`{python} facts.name`). For a number that is\n"
        "not a result (a year in a citation, a version), add it to ALLOWED_NUMBERS with the reason.\n"
        + "\n".join(found)
    )


def test_typed_number_check_catches_typed_results(tmp_path: Path) -> None:
    path = tmp_path / "typed.qmd"
    path.write_text(
        '---\ntitle: "Accuracy of 97.1%"\n---\n\n::: {.content-visible when-profile="ko"}\n'
        "기준 모델의 정확도는 97.1%였다. 테스트 세트는 69마리.\n:::\n\n"
        '::: {.content-visible when-profile="en"}\n'
        "Computed: `{python} accuracy`, linked: [post](https://example.org/2023/01/post.html), "
        "L1 and L2 penalties, CC0 data, @fig-seed-3.\n\n"
        "```python\nprint(0.971)  # shown code is not prose\n```\n:::\n\n"
        '```{python}\n#| label: tbl-x\n#| tbl-cap: "Scores of 5 seeds"\naccuracy = 0.971\n```\n'
    )
    source = parse_chapter(path)
    numbers = {
        language: [
            item.split("typed number ")[1].split(" in ")[0]
            for item in typed_numbers(source, language, {"2023": "year"})
        ]
        for language in LANGUAGES
    }
    assert numbers == {"ko": ["'97.1'", "'97.1'", "'69'", "'5'"], "en": ["'97.1'", "'5'"]}, numbers


# --------------------------------------------------------------------------- Quarto configuration


def load_config(name: str) -> dict:
    path = ROOT / name
    assert path.is_file(), f"{name} is missing"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(config, dict), f"{name} is not a YAML mapping"
    return config


def sidebar_hrefs(items: list) -> list[str]:
    hrefs = []
    for item in items:
        if isinstance(item, str):
            hrefs.append(item)
        elif isinstance(item, dict):
            if "href" in item:
                hrefs.append(item["href"])
            hrefs.extend(sidebar_hrefs(item.get("contents", [])))
    return hrefs


def output_path(language: str, page: str, href: str) -> str:
    """Where ``href``, written in ``page`` (a path below the output folder), leads from _site/."""
    if href.startswith("/"):  # Quarto makes root-relative links relative to the output folder
        return posixpath.normpath(f"{language}{href}")
    return posixpath.normpath(posixpath.join(language, posixpath.dirname(page), href))


def source_of_output(output: str) -> Path | None:
    """The .qmd that Quarto renders to ``_site/<output>``, or None when there is none."""
    match = re.fullmatch(r"(?:ko|en)/(report/[\w-]+)\.html", output)
    if not match:
        return None
    source = ROOT / f"{match.group(1)}.qmd"
    return source if source.is_file() else None


def test_quarto_config_parses_and_names_the_profiles() -> None:
    config = load_config("_quarto.yml")
    assert config["project"]["type"] == "website"
    profile = config["profile"]
    assert set(profile["group"]) == set(LANGUAGES), profile
    assert profile["default"] in profile["group"]
    assert config["execute"]["echo"] is True
    assert config["website"]["repo-url"].startswith("https://github.com/")
    assert "source" in config["website"]["repo-actions"]


def test_the_old_per_language_trees_are_gone() -> None:
    assert not [path for language in LANGUAGES for path in (REPORT / language).glob("*.qmd")]


@pytest.mark.parametrize("language", LANGUAGES)
def test_profile_config_is_consistent(language: str) -> None:
    name = f"_quarto-{language}.yml"
    config = load_config(name)
    assert config.get("lang") == language, f"{name}: lang should be {language!r}"
    assert config.get("metadata-files") == [f"penguins/strings/{language}.yml"], f"{name}: metadata-files"
    project = config["project"]
    assert project["output-dir"] == f"_site/{language}", f"{name}: output-dir"

    rendered = set()
    for pattern in project["render"]:
        matched = sorted(ROOT.glob(pattern))
        assert matched, f"{name}: render pattern {pattern!r} matches no file"
        rendered.update(matched)
    assert rendered == set(CHAPTERS), f"{name}: renders {sorted(rendered)}"

    website = config["website"]
    assert website.get("title"), f"{name}: website title"
    hrefs = sidebar_hrefs(website["sidebar"]["contents"])
    for href in hrefs:
        assert (ROOT / href).is_file(), f"{name}: sidebar entry {href} does not exist"
    assert sorted(ROOT / href for href in hrefs) == CHAPTERS, (
        f"{name}: every rendered page belongs in the sidebar, once"
    )
    assert hrefs[0] == "report/index.qmd", f"{name}: the sidebar should start with the introduction"

    navbar = website["navbar"]
    links = [item["href"] for item in navbar.get("right", []) + navbar.get("left", []) if isinstance(item, dict)]
    other = other_language(language)
    assert f"../{other}/report/index.html" in links, f"{name}: the navbar should link to the {other} introduction"


def test_profiles_write_to_different_folders_in_the_same_order() -> None:
    configs = {language: load_config(f"_quarto-{language}.yml") for language in LANGUAGES}
    output_dirs = [config["project"]["output-dir"] for config in configs.values()]
    assert len(set(output_dirs)) == len(output_dirs), output_dirs
    orders = {language: sidebar_hrefs(config["website"]["sidebar"]["contents"]) for language, config in configs.items()}
    assert orders["ko"] == orders["en"], f"the sidebars list the chapters in different orders: {orders}"


def test_root_page_links_to_both_introductions() -> None:
    html = (REPORT / "_root.html").read_text(encoding="utf-8")
    targets = set(re.findall(r'href="([^"]+\.html)"', html)) | set(re.findall(r"url=([^\"']+\.html)", html))
    for language in LANGUAGES:
        assert f"{language}/report/index.html" in targets, f"report/_root.html does not link to {language}"
    for target in targets:
        assert source_of_output(target), f"report/_root.html links to {target}, which no chapter renders to"
