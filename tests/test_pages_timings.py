"""The timing chapter's page and the benchmark that writes what it reads (benchmarks/site.py)."""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from pathlib import Path

import pytest

from penguins.pages.timings import PAGE_TARGET_S, Timings, TimingsPage
from penguins.strings import words

from conftest import ROOT

CHAPTERS = sorted(path.stem for path in (ROOT / "report").glob("*.qmd"))
COMMITTED = ROOT / "benchmarks" / "site.json"


def load_benchmark():
    spec = importlib.util.spec_from_file_location("site_benchmark", ROOT / "benchmarks" / "site.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def run(seconds: dict[str, float], pages: dict[tuple[str, str], float], languages: dict[str, float]) -> dict:
    sections = [
        {"command": "reproduce", "section": "depth", "seconds": 80.0, "results": 990, "trained": 990},
        {"command": "reproduce", "section": "random-search", "seconds": 20.0, "results": 10, "trained": 10},
        {"command": "reproduce", "section": "logistic-splits", "seconds": 5.0, "results": 200, "trained": 200},
        {"command": "variants", "section": "depth", "seconds": 40.0, "results": None, "trained": None},
    ]
    listed = [
        {"chapter": chapter, "language": language, "seconds": value} for (chapter, language), value in pages.items()
    ]
    return {
        "stages": seconds,
        "languages": languages,
        "sections": sections,
        "pages": listed,
        "total": round(sum(v for v in seconds.values() if v is not None), 1),
    }


def report(page_seconds: float = 5.0) -> dict:
    pages = {(chapter, language): page_seconds for chapter in ("index", "networks") for language in ("ko", "en")}
    stages = {"set-up": 60.0, "reproduce": 200.0, "variants": 100.0, "pages": 20.0}
    warm = {"set-up": 0.5, "reproduce": 20.0, "variants": 10.0, "pages": 12.0}
    return {
        "format": 2,
        "command": "python benchmarks/site.py",
        "date": "2026-12-01 12:00 UTC",
        "commit": "abc1234",
        "machine": {"cpu": "AMD EPYC", "cores": 2, "memory_gb": 7.8, "system": "Linux", "python": "3.11.7"},
        "preset": "full",
        "seeds": list(range(10)),
        "jobs": 2,
        "clone": "from a fresh clone of the commit",
        "fresh_clone": True,
        "quarto": None,
        "runs": {
            "cold": run(stages, pages, {"ko": 20.0, "en": 18.0}),
            "warm": run(warm, pages, {"ko": 11.0, "en": 12.0}),
        },
    }


def timings_of(content: dict, tmp_path: Path) -> Timings:
    path = tmp_path / "site.json"
    path.write_text(json.dumps(content))
    return TimingsPage("en").timings(path)


def test_the_committed_results_name_every_chapter_in_both_languages() -> None:
    timings = Timings.load(COMMITTED)
    for run in timings.runs:
        assert sorted(timings.pages(run).index) == CHAPTERS, (
            "run benchmarks/site.py again: a chapter was added or removed"
        )
        # a page that failed (the timing chapter, the first time, had no site.json to read) says why
        assert all(page.get("error") for page in timings.report["runs"][run]["pages"] if page["seconds"] is None)
    assert not timings.pages(timings.runs[-1]).isna().to_numpy().any(), "the last build executed every page"
    assert timings.report["quarto"] is None and timings.report["seeds"]


@pytest.mark.parametrize("language", ("ko", "en"))
def test_every_chapter_and_section_has_a_name(language: str) -> None:
    page = TimingsPage(language)
    assert sorted(words(language, "timings", "chapters")) == CHAPTERS
    for section in Timings.load(COMMITTED).sections("cold").itertuples():
        assert page.section_name(section.command, section.section, section.results)


def test_durations_read_as_seconds_or_minutes() -> None:
    assert [TimingsPage("en").duration(seconds) for seconds in (4.04, 59.94, 65.2, 600.0, None)] == [
        "4.0 s",
        "59.9 s",
        "1 min 05 s",
        "10 min 00 s",
        "not measured",
    ]
    assert TimingsPage("ko").duration(125) == "2분 05초"


def test_the_stage_table_shows_both_builds_and_quarto_as_not_measured(tmp_path: Path) -> None:
    table = TimingsPage("en").stage_table(timings_of(report(), tmp_path)).data
    assert list(table.columns) == ["Stage", "Cold build", "Warm build"]
    rows = table.set_index("Stage")
    assert rows.loc["Compute: penguins reproduce", "Cold build"] == "3 min 20 s"
    assert rows.loc["Quarto's own work"].tolist() == ["not measured", "not measured"]
    assert rows.loc["Executing the pages (both languages at once)"].tolist() == ["20.0 s", "12.0 s"]
    assert rows.loc["Total measured"].tolist() == ["6 min 20 s", "42.5 s"]


def test_the_section_table_names_each_section_and_what_it_trained(tmp_path: Path) -> None:
    table = TimingsPage("en").section_table(timings_of(report(), tmp_path)).data
    assert list(table.index) == [
        ("penguins reproduce", "Experiment 1: hidden layers"),
        ("penguins reproduce", "Random search"),
        ("penguins reproduce", "Logistic regression on 200 splits"),
        ("penguins variants (leak-free)", "Experiment 1: hidden layers"),
    ]
    assert table["Trained in the cold build"].tolist() == ["990 of 990", "10 of 10", "200 of 200", "–"]


@pytest.mark.parametrize(("page_seconds", "count"), [(5.0, "all"), (PAGE_TARGET_S + 1, "none")])
def test_the_wording_follows_the_figures(tmp_path: Path, page_seconds: float, count: str) -> None:
    facts = TimingsPage("en").facts(timings_of(report(page_seconds), tmp_path))
    assert facts.within_target == words("en", "timings", "within", count).format(n=0, total=4, target="10.0 s")
    assert facts.cold_bulk == words("en", "timings", "bulk", "compute")  # 300 of 380 s computing
    assert facts.slowest_section == "Experiment 1: hidden layers" and facts.compute_share == "79%"
    assert facts.warm_pages == "12.0 s" and facts.warm_pages_share == "28%"  # of 42.5 s: not ko + en
    assert (facts.warm_pages_ko, facts.warm_pages_en) == ("11.0 s", "12.0 s")  # each language's own, side by side
    mixed = report()
    mixed["runs"]["warm"]["pages"][0]["seconds"] = 30.0
    facts = TimingsPage("en").facts(timings_of(mixed, tmp_path))
    assert facts.within_target.startswith("3 of the 4") and facts.slowest_page == "Introduction"


def test_another_format_is_refused(tmp_path: Path) -> None:
    content = report()
    content["format"] = 1  # before the two languages' pages ran at once
    with pytest.raises(ValueError, match="format 1, this page reads format 2"):
        timings_of(content, tmp_path)


def test_the_benchmark_writes_its_own_section_and_keeps_the_others(tmp_path: Path) -> None:
    benchmark = load_benchmark()
    other = "## The engine (benchmarks/engine.py)\n\nfigures of another benchmark\n"
    (tmp_path / "RESULTS.md").write_text(f"# Benchmark results\n\n{other}")
    content = report()
    benchmark.write_results(content, tmp_path)
    slower = copy.deepcopy(content)
    slower["runs"]["cold"]["stages"]["reproduce"] = 400.0
    benchmark.write_results(slower, tmp_path)
    text = (tmp_path / "RESULTS.md").read_text()
    assert other in text and text.count(benchmark.SECTION_START) == 1 and text.count(benchmark.SECTION_END) == 1
    assert (
        "| reproduce | 400.0 s (6 min 40 s) | 20.0 s |" in text
        and "200.0 s" not in text.split("| reproduce |")[1].split("\n")[0]
    )
    assert "| Quarto's own work | not measured | not measured |" in text
    assert json.loads((tmp_path / "site.json").read_text()) == slower
