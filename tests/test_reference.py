"""The reproduce gate: passes on an unchanged tree, fails and says what moved when a result moves."""

import json
import os
import subprocess
import sys

import pytest

from penguins import catalog
from penguins.reference import (
    chaotic,
    compare,
    compute_reference,
    format_movements,
    load_reference,
    reference_path,
    tolerance,
)
from penguins.spec import with_changes
from penguins.store import ResultStore

from conftest import ROOT


@pytest.fixture(scope="module")
def store():
    return ResultStore(os.environ["PENGUINS_STORE"])


@pytest.fixture(scope="module")
def committed():
    return load_reference(reference_path("smoke", ROOT / "reference"))


def test_unchanged_tree_passes_the_gate(store, committed):
    movements = compare(committed, compute_reference("smoke", store=store))
    assert not [movement for movement in movements if movement.moved], format_movements(movements)
    assert len(movements) > 40


def test_changing_one_hyperparameter_fails_the_gate(store, committed, monkeypatch):
    slower = with_changes(catalog.NAMED_RUNS["hidden-2"].spec, learning_rate=1e-5)
    monkeypatch.setitem(catalog.NAMED_RUNS, "hidden-2", catalog.NamedRun("hidden-2", "changed", slower))
    movements = compare(committed, compute_reference("smoke", store=store))
    moved = {movement.name for movement in movements if movement.moved}
    assert "basic-networks hidden-2: mean test_accuracy" in moved
    report = format_movements(movements)
    assert "basic-networks hidden-2: mean test_accuracy" in report and "MOVED" in report


def test_gate_command_exits_1_and_prints_what_moved(tmp_path, committed):
    tampered = json.loads(json.dumps(committed))
    tampered["summaries"]["width 100"]["test_accuracy"]["mean"] -= 0.1
    tampered["exact"]["data_shape"] = [343, 7]
    (tmp_path / "smoke.json").write_text(json.dumps(tampered))
    command = [sys.executable, "-m", "penguins", "check", "--preset", "smoke", "--reference", str(tmp_path)]
    failed = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert failed.returncode == 1, failed.stderr
    assert "2 moved" in failed.stdout and "width 100: mean test_accuracy" in failed.stdout
    assert "exact: data_shape" in failed.stdout and "FAILED" in failed.stdout
    (tmp_path / "smoke.json").write_text(json.dumps(committed))
    passed = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert passed.returncode == 0 and "passed" in passed.stdout


def test_tolerance_rule():
    assert tolerance("test_accuracy", 0.0, 10) == pytest.approx(1 / 69)  # never below one test penguin
    assert tolerance("train_accuracy", 0.0, 10) == pytest.approx(1 / 275)
    assert tolerance("test_accuracy", 0.05, 4) == pytest.approx(0.025)  # the standard error sd / sqrt(n)
    assert tolerance("test_accuracy", 0.05, 4, redrawn=True) == pytest.approx(2 * 0.05 * (2 / 4) ** 0.5)
    assert [chaotic(key) for key in ("depth 2", "depth 19", "depth 20", "lr-schedules cosine-decay", "width 100")] == [
        False, False, True, True, False,
    ]


@pytest.mark.parametrize("preset", ["full", "quick", "smoke"])
def test_every_preset_has_a_reference_covering_its_points(preset):
    # Checked without computing anything: a grid or seed change that was not followed by
    # `penguins check --preset ... --update` leaves the committed file describing other points.
    from penguins.experiments import EXPERIMENTS
    from penguins.presets import default_seeds
    from penguins.search import METHODS

    reference = load_reference(reference_path(preset, ROOT / "reference"))
    assert reference["preset"] == preset and reference["seeds"] == list(default_seeds(preset))
    points = {
        f"{name} {point.value}"
        for name, experiment in EXPERIMENTS.items()
        if name != "baseline"
        for point in experiment.points(preset)
    }
    assert set(reference["summaries"]) == points | {f"{method} search" for method in METHODS}
    assert set(reference["exact"]["parameters"]) == points
    assert all(summary["n"] == len(reference["seeds"]) for summary in reference["summaries"].values())
