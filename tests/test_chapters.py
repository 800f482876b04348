"""The site's chapters, checked without Quarto.

- every chapter of both languages runs top to bottom in a real Jupyter kernel, inline
  expressions included, with the quick ``smoke`` preset (tests/chapter_runner.py);
- what it shows would lay out cleanly in the page (one figure per figure cell, no stderr...);
- the Korean and English chapters match: same files, same sections, same figure and table
  labels in the same order, and each page links to its twin;
- no result is typed into the prose: numbers come from inline expressions;
- the Quarto configuration is consistent: the pages it names exist, the two profiles write to
  different folders, each sets its language, the cross-language links land on real pages.
"""

from __future__ import annotations

import os
import posixpath
import re
from pathlib import Path

import pytest
import yaml

from chapter_runner import Chapter, ChapterError, layout_problems, parse_chapter, run_chapter

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "report"
LANGUAGES = ("ko", "en")
CHAPTERS = sorted(REPORT.glob("*/*.qmd"))


def chapter_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def other_language(language: str) -> str:
    return "en" if language == "ko" else "ko"


# --------------------------------------------------------------------------- running


@pytest.fixture(scope="session")
def kernel_env() -> dict[str, str]:
    # conftest.py has already pointed PENGUINS_STORE at a temporary folder for the whole session,
    # so the chapters of both languages share one store, as they do in a real render.
    assert os.environ.get("PENGUINS_STORE"), "conftest.py should set a temporary PENGUINS_STORE"
    return {"PENGUINS_PRESET": "smoke", "PENGUINS_STORE": os.environ["PENGUINS_STORE"]}


@pytest.mark.parametrize("path", CHAPTERS, ids=chapter_id)
def test_chapter_runs_and_would_lay_out_cleanly(path: Path, kernel_env: dict[str, str]) -> None:
    run = run_chapter(path, env=kernel_env, root=ROOT)
    problems = layout_problems(run, str(path.relative_to(ROOT)))
    assert not problems, "\n".join(problems)


def test_there_are_chapters_in_both_languages() -> None:
    for language in LANGUAGES:
        assert (REPORT / language / "index.qmd").is_file(), f"report/{language}/index.qmd is missing"


def test_runner_names_the_failing_cell(tmp_path: Path, kernel_env: dict[str, str]) -> None:
    chapter = tmp_path / "broken.qmd"
    chapter.write_text(
        "---\ntitle: Broken\n---\n\n```{python}\nx = 1\n```\n\n"
        "```{python}\n#| label: fig-oops\n#| fig-cap: A figure\nraise ValueError('boom')\n```\n"
    )
    with pytest.raises(ChapterError, match=r"broken\.qmd: cell 2 \(fig-oops\), line 9 failed:(.|\n)*boom"):
        run_chapter(chapter, env=kernel_env)


def test_runner_names_the_failing_inline_expression(tmp_path: Path, kernel_env: dict[str, str]) -> None:
    chapter = tmp_path / "inline.qmd"
    # Quarto evaluates inline expressions when it reaches their paragraph, so a name defined in
    # a later cell is an error even though the cell exists.
    chapter.write_text("Early: `{python} later`.\n\n```{python}\nlater = 2\n```\n")
    with pytest.raises(ChapterError, match=r"inline\.qmd:1: inline expression `\{python\} later` failed: NameError"):
        run_chapter(chapter, env=kernel_env)


def test_layout_problems_are_reported(tmp_path: Path, kernel_env: dict[str, str]) -> None:
    chapter = tmp_path / "layout.qmd"
    chapter.write_text(
        "```{python}\n#| label: fig-twice\n#| fig-cap: Two outputs\n"
        "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.title('no semicolon')\n```\n\n"
        "```{python}\nimport warnings\nwarnings.warn('careful')\nratio = 2 / 3\n```\n\n"
        "The ratio is `{python} ratio`.\n"
    )
    problems = "\n".join(layout_problems(run_chapter(chapter, env=kernel_env), "layout.qmd"))
    assert "cell 1 (fig-twice), line 1 should show exactly one figure" in problems
    assert "cell 2, line 9 writes to stderr" in problems
    assert "would write '0.6666666666666666'" in problems


# --------------------------------------------------------------------------- parity


def test_both_languages_have_the_same_chapters() -> None:
    names = {language: sorted(path.name for path in (REPORT / language).glob("*.qmd")) for language in LANGUAGES}
    assert names["ko"] == names["en"], f"chapters differ between languages: {names}"


@pytest.mark.parametrize("name", sorted(path.name for path in (REPORT / "ko").glob("*.qmd")))
def test_language_twins_have_the_same_structure(name: str) -> None:
    ko, en = (parse_chapter(REPORT / language / name) for language in LANGUAGES)
    ko_levels, en_levels = [level for level, _ in ko.headings], [level for level, _ in en.headings]
    assert ko_levels == en_levels, f"{name}: section levels differ\n ko: {ko.headings}\n en: {en.headings}"
    assert ko.labels == en.labels, f"{name}: figure/table labels differ\n ko: {ko.labels}\n en: {en.labels}"
    assert len(ko.code_cells) == len(en.code_cells), f"{name}: ko has {len(ko.code_cells)} code cells, en {len(en.code_cells)}"
    for chapter in (ko, en):
        for cell in chapter.code_cells:
            label = cell.label or ""
            if label.startswith(("fig-", "tbl-")):
                caption = "fig-cap" if label.startswith("fig-") else "tbl-cap"
                assert cell.options.get(caption), f"{chapter.path}: {cell.describe()} has no {caption}"


@pytest.mark.parametrize("path", CHAPTERS, ids=chapter_id)
def test_page_links_to_its_twin(path: Path) -> None:
    language = path.parent.name
    other = other_language(language)
    twin = f"../../../{other}/report/{other}/{path.stem}.html"
    text = path.read_text(encoding="utf-8")
    assert f"]({twin})" in text, f"{path.relative_to(ROOT)} has no link to its {other} twin ({twin})"
    target = output_path(language, f"report/{language}/{path.stem}.html", twin)
    assert source_of_output(target) == REPORT / other / path.name


@pytest.mark.parametrize("path", CHAPTERS, ids=chapter_id)
def test_links_to_project_files_are_copied_into_the_site(path: Path) -> None:
    # A link to a file that is not a page (the engine's equivalence test) only works in the site
    # if the file exists and `project: resources` copies it to the same place in the output.
    resources = load_config("_quarto.yml")["project"].get("resources", [])
    for target in re.findall(r"\]\((\.\./[^)#\s]+)\)", path.read_text(encoding="utf-8")):
        if target.endswith((".html", ".qmd")) or target.endswith("/"):
            continue
        relative = posixpath.normpath(posixpath.join(f"report/{path.parent.name}", target))
        assert (ROOT / relative).is_file(), f"{chapter_id(path)} links to {target}, which does not exist"
        assert relative in resources, f"{chapter_id(path)} links to {relative}, which `project: resources` does not copy"


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
        "1": "the post's experiment numbers (실험1 … 실험5, experiment 1 … 5) and grid start (1 to 99 layers, 1:99 shapes)",
        "2": "the post's experiment numbers (실험1 … 실험5) and its chosen depth of 2 hidden layers (a setting, not a result)",
        "3": "the post's experiment numbers (실험1 … 실험5) and the depth 3 from which the ledger compares with depth 2",
        "4": "the post's experiment numbers (실험1 … 실험5)",
        "5": "the post's experiment numbers (실험1 … 실험5)",
        "99": "the post's grids: 1 to 99 hidden layers, shapes 1:99 to 99:1 (settings, not results)",
        "100": "the post's setting: 100 nodes per hidden layer, 100 nodes in all for the shapes (not a result)",
    },
    "networks": {
        "0": "the post's section titles: networks with 0, 1 and 2 hidden layers (names, not results)",
        "1": "the post's section titles: networks with 0, 1 and 2 hidden layers (names, not results)",
        "2": "the post's section titles: networks with 0, 1 and 2 hidden layers (names, not results)",
    },
    "overfitting": {"0": "zero in definitions: L1 sets weights to exactly 0, dropout outputs to 0; an interval above 0"},
    "schedules": {"0": "Keras numbers epochs from 0 (a convention, not a result)"},
    "methodology": {"0": "a confidence interval that excludes 0, i.e. no difference (a definition, not a result)"},
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


def typed_numbers(chapter: Chapter, allowed: dict[str, str]) -> list[str]:
    """Each number in ``chapter``'s prose that is not allowed, as 'file:line: number in «text»'."""
    found = []
    for line, text in chapter.prose():
        stripped = text
        for pattern in NOT_PROSE:
            stripped = pattern.sub(" ", stripped)
        for match in NUMBER.finditer(stripped):
            if match.group() not in allowed:
                found.append(f"{chapter.path}:{line}: typed number {match.group()!r} in «{text.strip()}»")
    return found


@pytest.mark.parametrize("path", CHAPTERS, ids=chapter_id)
def test_no_typed_numbers_in_prose(path: Path) -> None:
    found = typed_numbers(parse_chapter(path), ALLOWED_NUMBERS.get(path.stem, {}))
    assert not found, (
        "Numbers in prose must come from inline expressions (`{python} name`). For a number that is\n"
        "not a result (a year in a citation, a version), add it to ALLOWED_NUMBERS with the reason.\n"
        + "\n".join(found)
    )


def test_typed_number_check_catches_typed_results(tmp_path: Path) -> None:
    chapter = tmp_path / "typed.qmd"
    chapter.write_text(
        '---\ntitle: "Accuracy of 97.1%"\n---\n\n'
        "기준 모델의 정확도는 97.1%였다. 테스트 세트는 69마리.\n\n"
        "Computed: `{python} accuracy`, linked: [post](https://example.org/2023/01/post.html), "
        "L1 and L2 penalties, CC0 data, @fig-seed-3.\n\n"
        "```python\nprint(0.971)  # shown code is not prose\n```\n\n"
        '```{python}\n#| label: tbl-x\n#| tbl-cap: "Scores of 5 seeds"\naccuracy = 0.971\n```\n'
    )
    found = typed_numbers(parse_chapter(chapter), {"2023": "year"})
    numbers = [item.split("typed number ")[1].split(" in ")[0] for item in found]
    assert numbers == ["'97.1'", "'97.1'", "'69'", "'5'"], found


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
    match = re.fullmatch(r"(ko|en)/(report/\1/[\w-]+)\.html", output)
    if not match:
        return None
    source = ROOT / f"{match.group(2)}.qmd"
    return source if source.is_file() else None


def test_quarto_config_parses_and_names_the_profiles() -> None:
    config = load_config("_quarto.yml")
    assert config["project"]["type"] == "website"
    profile = config["profile"]
    assert set(profile["group"]) == set(LANGUAGES), profile
    assert profile["default"] in profile["group"]
    assert config["execute"]["echo"] is True


@pytest.mark.parametrize("language", LANGUAGES)
def test_profile_config_is_consistent(language: str) -> None:
    name = f"_quarto-{language}.yml"
    config = load_config(name)
    assert config.get("lang") == language, f"{name}: lang should be {language!r}"
    project = config["project"]
    assert project["output-dir"] == f"_site/{language}", f"{name}: output-dir"

    rendered = set()
    for pattern in project["render"]:
        matched = sorted(ROOT.glob(pattern))
        assert matched, f"{name}: render pattern {pattern!r} matches no file"
        rendered.update(matched)
    assert rendered == set((REPORT / language).glob("*.qmd")), f"{name}: renders {sorted(rendered)}"

    website = config["website"]
    assert website.get("title"), f"{name}: website title"
    hrefs = sidebar_hrefs(website["sidebar"]["contents"])
    for href in hrefs:
        assert (ROOT / href).is_file(), f"{name}: sidebar entry {href} does not exist"
    assert {ROOT / href for href in hrefs} == rendered, f"{name}: every rendered page belongs in the sidebar, once"
    assert hrefs[0] == f"report/{language}/index.qmd", f"{name}: the sidebar should start with the introduction"

    navbar = website["navbar"]
    other = other_language(language)
    links = [item["href"] for item in navbar.get("right", []) + navbar.get("left", []) if isinstance(item, dict)]
    targets = [source_of_output(output_path(language, "", href)) for href in links]
    assert REPORT / other / "index.qmd" in targets, f"{name}: the navbar should link to the {other} introduction"


def test_profiles_write_to_different_folders_in_the_same_order() -> None:
    configs = {language: load_config(f"_quarto-{language}.yml") for language in LANGUAGES}
    output_dirs = [config["project"]["output-dir"] for config in configs.values()]
    assert len(set(output_dirs)) == len(output_dirs), output_dirs
    orders = {
        language: [Path(href).name for href in sidebar_hrefs(config["website"]["sidebar"]["contents"])]
        for language, config in configs.items()
    }
    assert orders["ko"] == orders["en"], f"the sidebars list the chapters in different orders: {orders}"


def test_root_page_links_to_both_introductions() -> None:
    html = (REPORT / "index.html").read_text(encoding="utf-8")
    targets = set(re.findall(r'href="([^"]+\.html)"', html)) | set(re.findall(r"url=([^\"']+\.html)", html))
    for language in LANGUAGES:
        assert f"{language}/report/{language}/index.html" in targets, f"report/index.html does not link to {language}"
    for target in targets:
        assert source_of_output(target), f"report/index.html links to {target}, which no chapter renders to"


def test_counts_read_as_english() -> None:
    from penguins.chapters import fmt_count

    assert fmt_count(1, "node") == "1 node"
    assert fmt_count(100, "node") == "100 nodes"
    assert fmt_count(0, "run") == "0 runs"
    assert fmt_count(1, "hidden layer") == "1 hidden layer"
    assert fmt_count(2, "penguin", "penguins") == "2 penguins"
    assert fmt_count(11103, "parameter") == "11,103 parameters"
