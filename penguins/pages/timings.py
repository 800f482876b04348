"""The chapter "Timings" (``report/timings.qmd``): what building the site costs, from the benchmark.

``benchmarks/site.py`` builds the site's results twice, from an empty store (cold) and again with
nothing changed (warm), and writes every stage's wall time, every compute section's time and every
page's execution time per language to ``benchmarks/site.json``. This page reads that file (the
chapter gives its path) and shows it; it computes nothing itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from pandas.io.formats.style import Styler

from penguins import plotting
from penguins.pages import Facts, Page
from penguins.pages.format import fmt_int, fmt_num, fmt_pct

FORMAT = 2  # the version of site.json this page reads
RUNS = ("cold", "warm")
LANGUAGES = ("ko", "en")
STAGES = ("set-up", "reproduce", "variants", "pages")  # one after the other
COMPUTE_STAGES = ("reproduce", "variants")
PAGE_TARGET_S = 10.0  # what a page that only reads the store should take (issue 18)


@dataclass(frozen=True)
class Timings:
    """What one run of ``benchmarks/site.py`` measured (the contents of ``site.json``)."""

    report: dict[str, Any]

    @classmethod
    def load(cls, path: str | Path) -> Timings:
        """The benchmark's figures from ``path`` (``benchmarks/site.json``); a format it cannot read raises."""
        report = json.loads(Path(path).read_text(encoding="utf-8"))
        if report.get("format") != FORMAT:
            raise ValueError(f"{path}: site.json format {report.get('format')!r}, this page reads format {FORMAT}")
        return cls(report)

    @property
    def runs(self) -> list[str]:
        """The builds measured, in order: ``cold``, ``warm`` or both."""
        return [name for name in RUNS if name in self.report["runs"]]

    def stage(self, run: str, stage: str) -> float | None:
        """Seconds of one ``stage`` of build ``run`` (None: not measured)."""
        return self.report["runs"][run]["stages"].get(stage)

    def language(self, run: str, language: str) -> float | None:
        """Seconds of ``language``'s pages in build ``run``: both languages' pages run at once."""
        return self.report["runs"][run]["languages"].get(language)

    def total(self, run: str) -> float:
        """Seconds of every measured stage of build ``run``."""
        return float(self.report["runs"][run]["total"])

    def compute(self, run: str) -> float:
        """The compute stages' wall time in ``run``."""
        return sum(self.stage(run, stage) or 0.0 for stage in COMPUTE_STAGES)

    def sections(self, run: str) -> pd.DataFrame:
        """One row per compute section: command, section, seconds, results, trained."""
        return pd.DataFrame(self.report["runs"][run]["sections"])

    def pages(self, run: str) -> pd.DataFrame:
        """Page execution seconds, one row per chapter, one column per language."""
        frame = pd.DataFrame(self.report["runs"][run]["pages"])
        return frame.pivot(index="chapter", columns="language", values="seconds")[list(LANGUAGES)]


class TimingsPage(Page):
    """The benchmark's figures as tables, a figure and sentences, in the page's language."""

    chapter = "timings"

    def timings(self, path: str | Path) -> Timings:
        """The benchmark's results, read from ``path`` (``benchmarks/site.json`` in the project)."""
        return Timings.load(path)

    def duration(self, seconds: float | None) -> str:
        """``seconds`` for a reader: "12.3 s", "4 min 05 s" (or the words for not measured)."""
        if seconds is None:
            return self.words("not-measured")
        if seconds < 60:
            return self.words("duration", "seconds").format(s=fmt_num(seconds, 1))
        minutes, rest = divmod(round(seconds), 60)
        return self.words("duration", "minutes").format(m=minutes, s=f"{rest:02d}")

    def stage_table(self, timings: Timings) -> Styler:
        """Every stage's wall time per build, Quarto's share (not measured) and the measured total."""
        columns = self.words("columns")
        rows = {
            self.words("stages", stage): [self.duration(timings.stage(run, stage)) for run in timings.runs]
            for stage in STAGES
        }
        rows[self.words("stages", "quarto")] = [self.duration(None)] * len(timings.runs)
        rows[self.words("stages", "total")] = [self.duration(timings.total(run)) for run in timings.runs]
        frame = pd.DataFrame.from_dict(rows, orient="index", columns=[columns[run] for run in timings.runs])
        return self.table(frame.rename_axis(columns["stage"]))

    def section_table(self, timings: Timings) -> Styler:
        """Each compute section's time per build, and how many results the cold build trained."""
        columns = self.words("columns")
        first = timings.sections(timings.runs[0])
        frame = pd.DataFrame(index=pd.MultiIndex.from_arrays([first["command"], first["section"]]))
        for run in timings.runs:
            seconds = timings.sections(run).set_index(["command", "section"])["seconds"]
            frame[columns[run]] = [self.duration(seconds.get(key)) for key in frame.index]
        frame[columns["trained"]] = [self._trained(row) for row in first.itertuples()]
        frame.index = pd.MultiIndex.from_tuples(
            [
                (self.words("commands", command), self.section_name(command, section, results))
                for (command, section), results in zip(frame.index, first["results"], strict=True)
            ]
        )
        return self.table(frame)

    def _trained(self, row: Any) -> str:
        if pd.isna(row.trained):
            return "–"
        return self.words("trained").format(trained=fmt_int(row.trained), results=fmt_int(row.results))

    def section_name(self, command: str, section: str, results: Any) -> str:
        """A compute section in the reader's words."""
        if command == "variants" or section in self.vocabulary("experiment-titles"):
            return self.vocabulary("experiment-titles", section)
        return self.words("sections", section).format(n=fmt_int(results) if pd.notna(results) else "")

    def page_times(self, timings: Timings, run: str = "warm") -> Figure:
        """Each page's execution time per language in ``run`` (the warm build by default), as bars."""
        run = run if run in timings.runs else timings.runs[-1]
        seconds = timings.pages(run)
        seconds.index = [self.words("chapters", chapter) for chapter in seconds.index]
        seconds.columns = [self.words("languages", language) for language in seconds.columns]
        target = self.words("target").format(s=fmt_num(PAGE_TARGET_S, 0))
        return plotting.plot_page_times(seconds, self.language, target=PAGE_TARGET_S, target_label=target)

    def facts(self, timings: Timings) -> Facts:
        """The figures the prose gives, and the words it picks from them."""
        report, machine = timings.report, timings.report["machine"]
        return Facts(
            date=report["date"].split()[0],
            commit=report["commit"],
            cpu=machine["cpu"],
            cores=str(machine["cores"]),
            memory=fmt_num(machine["memory_gb"], 0) if machine.get("memory_gb") else "?",
            preset=report["preset"],
            n_seeds=str(len(report["seeds"])),
            jobs=str(report["jobs"]),
            build_from=self.words("build-from", "clone" if report.get("fresh_clone") else "in-place"),
            **self._totals(timings),
            **self._slowest(timings),
            **self._pages(timings),
        )

    def _totals(self, timings: Timings) -> dict[str, str]:
        cold, warm = (run if run in timings.runs else timings.runs[-1] for run in RUNS)
        share = timings.compute(cold) / timings.total(cold)
        warm_pages = timings.stage(warm, "pages") or 0.0
        return {
            "cold_total": self.duration(timings.total(cold)),
            "warm_total": self.duration(timings.total(warm)),
            "cold_compute": self.duration(timings.compute(cold)),
            "compute_share": fmt_pct(share, 0),
            "warm_compute": self.duration(timings.compute(warm)),
            "warm_pages": self.duration(warm_pages),
            "warm_pages_share": fmt_pct(warm_pages / timings.total(warm), 0),
            # both languages' pages run at once: each one's own wall time
            **{f"warm_pages_{language}": self.duration(timings.language(warm, language)) for language in LANGUAGES},
            "cold_bulk": self.words("bulk", "compute" if share >= 0.5 else "pages"),
        }

    def _slowest(self, timings: Timings) -> dict[str, str]:
        sections = timings.sections(timings.runs[0])
        slowest = sections.loc[sections["seconds"].idxmax()]
        return {
            "slowest_section": self.section_name(slowest["command"], slowest["section"], slowest["results"]),
            "slowest_section_time": self.duration(float(slowest["seconds"])),
            "slowest_section_share": fmt_pct(slowest["seconds"] / timings.compute(timings.runs[0]), 0),
        }

    def _pages(self, timings: Timings) -> dict[str, str]:
        seconds = timings.pages(timings.runs[-1])
        timed = seconds.stack().dropna()  # a page that failed has no time
        chapter, language = timed.idxmax()
        within = int((timed <= PAGE_TARGET_S).sum())
        count = "all" if within == timed.size else "none" if within == 0 else "some"
        return {
            "n_pages": str(len(seconds)),
            "n_executions": str(timed.size),
            "page_median": self.duration(float(timed.median())),
            "slowest_page": self.words("chapters", chapter),
            "slowest_page_language": self.words("languages", language),
            "slowest_page_time": self.duration(float(timed[(chapter, language)])),
            "within_target": self.words("within", count).format(
                n=within, total=timed.size, target=self.duration(PAGE_TARGET_S)
            ),
        }
