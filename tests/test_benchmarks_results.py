"""benchmarks/results_file.py: each benchmark script rewrites only its own section of RESULTS.md."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from conftest import ROOT

CONTEXT = {"date": "2026-01-02 03:04 UTC", "commit": "abc123", "machine": "Linux x86_64, 2 CPUs"}


def load_results_file():
    spec = importlib.util.spec_from_file_location("results_file", ROOT / "benchmarks" / "results_file.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_section_is_added_then_replaced_and_the_other_scripts_sections_are_kept(tmp_path: Path) -> None:
    results = load_results_file()
    path = tmp_path / "RESULTS.md"
    results.write_section("engine.py", "| what | s |\n| --- | ---: |\n| old | 1.0 |", path=path, context=CONTEXT)
    assert path.read_text().startswith(results.HEADER)
    results.write_section("benchmarks/site.py", "site figures", path=path, context=CONTEXT)
    results.write_section(ROOT / "benchmarks" / "engine.py", "| what | s |\n| --- | ---: |\n| new | 2.0 |",
                          path=path, context={**CONTEXT, "commit": "def456"})
    text = path.read_text()
    assert "| old |" not in text and "abc123" in text  # the site section's context stays
    assert text.count("| new | 2.0 |") == 1 and "commit: def456" in text
    assert text.count("<!-- benchmarks/engine.py: start -->") == text.count("<!-- benchmarks/engine.py: end -->") == 1
    # the engine's section keeps its place, before the site's
    assert text.index("benchmarks/engine.py: end") < text.index("benchmarks/site.py: start")
    assert "site figures\n<!-- benchmarks/site.py: end -->" in text
    assert text.startswith(results.HEADER)
    # running a script again with the same figures changes nothing (no blank lines pile up)
    results.write_section("site.py", "site figures", path=path, context=CONTEXT)
    assert path.read_text() == text


def test_broken_markers_are_an_error_not_a_guess(tmp_path: Path) -> None:
    results = load_results_file()
    path = tmp_path / "RESULTS.md"
    start, _ = results.markers("engine.py")
    path.write_text(f"# Benchmark results\n\n{start}\nhalf a section\n")
    with pytest.raises(ValueError, match="markers of benchmarks/engine.py are broken"):
        results.write_section("engine.py", "figures", path=path, context=CONTEXT)
    assert path.read_text().endswith("half a section\n")  # left as it was


def test_the_run_context_names_date_commit_and_machine() -> None:
    results = load_results_file()
    context = results.run_context()
    assert set(context) == {"date", "commit", "machine"}
    assert context["commit"] != "unknown" and f"{__import__('os').cpu_count()} CPUs" in context["machine"]
    assert results.script_label(ROOT / "benchmarks" / "sections.py") == "benchmarks/sections.py"


def load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_sections_benchmark_reports_what_it_timed() -> None:
    sections = load_script("sections")
    markdown = sections.results_markdown("smoke", 3, {"width": 1.25, "epochs": 2.5})
    assert "--preset smoke --seed 3 --sections width epochs" in markdown
    assert "| width | 1.2 |" in markdown and "| epochs | 2.5 |" in markdown and "| **total** | **3.8** |" in markdown


def test_the_engine_benchmark_reports_how_far_the_two_paths_are_apart() -> None:
    engine = load_script("engine")

    def record(hidden: int, accuracy: float, loss: float) -> dict:
        return {"spec": {"hidden": [4] * hidden}, "train_accuracy": accuracy, "test_accuracy": accuracy,
                "train_loss": loss, "test_loss": loss, "test_probabilities": [[loss, 1 - loss]],
                "history": {"loss": [loss]}}

    plain = [record(1, 0.5, 0.25), record(99, 0.5, 0.25)]
    ours = [record(1, 0.75, 0.5), record(99, 0.5, 0.25)]
    (line,) = engine.compare(plain, ours, ["width=4", "depth=99"])
    assert "a different train or test accuracy on 1" in line and "loss 2.5e-01 (width=4)" in line
    assert "1 deeper points compared over seeds instead" in line


def test_the_site_benchmark_writes_minutes_and_seconds_that_add_up() -> None:
    spec = importlib.util.spec_from_file_location("site_benchmark", ROOT / "benchmarks" / "site.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    assert module.fmt_seconds(239.7) == "239.7 s (4 min 0 s)"
    assert module.fmt_seconds(2096.6) == "2,096.6 s (34 min 57 s)"
    assert module.fmt_seconds(59.96) == "60.0 s" and module.fmt_seconds(None) == "not measured"
