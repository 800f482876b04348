"""Reference results and the reproduce gate: whether a result moved, and by how much.

``compute_reference(preset)`` runs (or reads from the store) every experiment and search of a
preset and reduces it to a small JSON document:

- ``exact``: what is deterministic, compared for equality: the data's shape and a hash of its
  values, the split's row numbers for each seed, every model's parameter counts, and the
  logistic baseline's scores for each seed (scikit-learn's lbfgs gives the same numbers on any
  machine that has the same libraries).
- ``summaries``: for each point of each network experiment and each search, the mean and
  standard deviation over seeds of the train and test accuracy.

``check`` recomputes and compares. A summary moved when its mean differs from the reference by
more than ``tolerance``: the standard error of the reference mean, ``sd / sqrt(n)``, and never
less than one example (1/69 of the test set, 1/275 of the training set). The comparison is
paired: the gate reruns the *same* seeds, so seed-to-seed noise does not enter the difference
at all; on the machine that wrote the reference every per-seed number repeats exactly. What the
tolerance absorbs is float rounding on another CPU or BLAS, which can flip a borderline
prediction or two but does not move a mean by a whole standard error of the seed spread. A
full 95 % interval for two independent means would be far too loose here (with the smoke
preset's two seeds, t(0.975, 1) = 12.7). One exception: experiment 1's deepest networks (from
about 20 layers) and the schedules chapter's runs at a learning rate of 0.2 are chaotic under
round-off, so on another CPU their per-seed results are effectively redrawn (the cosine-decay mean
of the smoke gate moved by 1.5 examples on an AMD EPYC against a reference written on another CPU).
For those points (:func:`chaotic`) the tolerance is that of a redraw: two standard errors of a
difference of independent means.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from penguins.data import load_penguins
from penguins.experiments import EXPERIMENTS
from penguins.preprocessing import preprocess
from penguins.presets import check_preset, default_seeds
from penguins.search import METHODS
from penguins.store import ResultStore, project_root

SCORES = ("train_accuracy", "test_accuracy")
SMALLEST_STEP = {"train_accuracy": 1 / 275, "test_accuracy": 1 / 69}
FORMAT = 1


def reference_path(preset: str, folder: str | Path | None = None) -> Path:
    """``reference/<preset>.json`` in the project (or in ``folder``)."""
    if folder is None:
        root = project_root()
        if root is None:
            raise FileNotFoundError(
                "no project folder (with a pyproject.toml) above the current folder; pass --reference DIR"
            )
        folder = root / "reference"
    return Path(folder) / f"{check_preset(preset)}.json"


def compute_reference(preset: str, seeds=None, store: ResultStore | None = None, jobs: int = 1) -> dict[str, Any]:
    """What ``preset`` computes, reduced to exact facts and per-point summaries."""
    from penguins.sweep import run_experiment, run_search_sweep

    seeds = tuple(default_seeds(preset) if seeds is None else seeds)
    store = store or ResultStore()
    sweeps = {name: run_experiment(name, preset, seeds, store=store, jobs=jobs) for name in EXPERIMENTS}
    searches = {method: run_search_sweep(method, preset, seeds, store=store, jobs=jobs) for method in METHODS}
    penguins = load_penguins()
    exact: dict[str, Any] = {
        "data_shape": list(penguins.shape),
        "data_sha256": hashlib.sha256(
            pd.util.hash_pandas_object(penguins, index=True).to_numpy().tobytes()
        ).hexdigest(),
        "test_rows": {str(seed): preprocess("post", seed).test_rows.tolist() for seed in seeds},
        "baseline": {
            str(seed): {score: getattr(sweeps["baseline"].record("logistic", seed), score) for score in SCORES}
            for seed in seeds
        },
        "parameters": {
            f"{name} {value}": [row["params"] for row in sweep.record(value, seeds[0]).summary]
            for name, sweep in sweeps.items()
            if name != "baseline"
            for value in sweep.values
        },
    }
    summaries: dict[str, dict[str, Any]] = {}
    for name, sweep in sweeps.items():
        if name == "baseline":
            continue
        table = sweep.table()
        for value in sweep.values:
            rows = table[table[sweep.experiment.parameter] == value]
            summaries[f"{name} {value}"] = _summary(rows)
    for method, searched in searches.items():
        summaries[f"{method} search"] = _summary(searched.table())
    return {
        "format": FORMAT,
        "preset": preset,
        "variant": "post",
        "seeds": list(seeds),
        "exact": exact,
        "summaries": summaries,
    }


def _summary(rows: pd.DataFrame) -> dict[str, Any]:
    summary: dict[str, Any] = {"n": len(rows)}
    for score in SCORES:
        values = rows[score].to_numpy(dtype=float)
        summary[score] = {"mean": float(values.mean()), "sd": float(values.std(ddof=1)) if len(values) > 1 else 0.0}
    return summary


# Points whose runs round-off alone redraws: the schedules chapter's runs at a learning rate of 0.2
# and experiment 1 from about 20 layers (tests/test_engine.py compares them over seeds; on the whole
# depth sweep, seed 0 of the engine and of Keras part from 23 layers: benchmarks/engine.py). On another
# CPU (XLA emits other vector instructions) their per-seed results are new draws, so their mean may
# move like a difference of two independent means: two standard errors of it, 2 * sd * sqrt(2 / n).
CHAOTIC_DEPTH = 20


def chaotic(key: str) -> bool:
    """Whether the summary ``key`` (e.g. ``"depth 40"``) is of runs that round-off redraws."""
    section, _, point = key.partition(" ")
    return section == "lr-schedules" or (section == "depth" and point.isdigit() and int(point) >= CHAOTIC_DEPTH)


def tolerance(score: str, sd: float, n: int, redrawn: bool = False) -> float:
    """How far a mean over ``n`` seeds may move before the gate calls it moved (see module doc)."""
    spread = 2 * sd * math.sqrt(2 / n) if redrawn else sd / math.sqrt(n)
    return max(spread, SMALLEST_STEP[score])


@dataclass(frozen=True)
class Movement:
    """One compared value: where it is, the reference, now, and whether it moved."""

    name: str
    reference: Any
    now: Any
    allowed: str
    moved: bool


def compare(reference: dict[str, Any], current: dict[str, Any]) -> list[Movement]:
    """Every value of ``reference`` against ``current``: exact ones for equality, summaries by tolerance."""
    if (reference["preset"], reference["seeds"]) != (current["preset"], current["seeds"]):
        raise ValueError("reference and current results are of different presets or seeds")
    movements = [
        Movement(f"exact: {key}", value, current["exact"].get(key), "equal", value != current["exact"].get(key))
        for key, value in reference["exact"].items()
    ]
    for key, summary in reference["summaries"].items():
        now = current["summaries"].get(key)
        for score in SCORES:
            expected = summary[score]["mean"]
            if now is None:
                movements.append(Movement(f"{key}: {score}", expected, None, "present", True))
                continue
            allowed = tolerance(score, summary[score]["sd"], summary["n"], redrawn=chaotic(key))
            value = now[score]["mean"]
            movements.append(
                Movement(f"{key}: mean {score}", expected, value, f"± {allowed:.4f}", abs(value - expected) > allowed)
            )
    movements += [
        Movement(f"{key}: present", None, "new", "in reference", True)
        for key in current["summaries"].keys() - reference["summaries"].keys()
    ]
    return movements


def format_movements(movements: list[Movement], show_all: bool = False) -> str:
    """A readable table of what moved (or of everything) and by how much."""
    moved = [movement for movement in movements if movement.moved]
    lines = [f"{len(movements)} values compared, {len(moved)} moved"]
    shown = movements if show_all else moved
    if shown:
        width = max(len(movement.name) for movement in shown)
        lines.append(f"{'value':<{width}}  {'reference':>12}  {'now':>12}  {'change':>9}  allowed")
        for movement in shown:
            lines.append(
                f"{movement.name:<{width}}  {_short(movement.reference):>12}  {_short(movement.now):>12}  "
                f"{_change(movement):>9}  {movement.allowed}{'   MOVED' if movement.moved else ''}"
            )
    return "\n".join(lines)


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= 12 else text[:9] + "..."


def _change(movement: Movement) -> str:
    if isinstance(movement.reference, float) and isinstance(movement.now, float):
        return f"{movement.now - movement.reference:+.4f}"
    return "" if not movement.moved else "differs"


def load_reference(path: Path) -> dict[str, Any]:
    """The committed reference at ``path``, checked for its format.

    Raises
    ------
    FileNotFoundError
        When there is no reference for the preset; the message says how to write one.
    ValueError
        When the file was written in another format than :data:`FORMAT`, so its values would be
        compared with the wrong meaning.
    """
    try:
        reference = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{path}: no reference for this preset; write one with `penguins check --update`"
        ) from None
    if reference.get("format") != FORMAT:
        raise ValueError(f"{path}: reference format {reference.get('format')!r}, expected {FORMAT}")
    return reference


def save_reference(reference: dict[str, Any], path: Path) -> None:
    """Write ``reference`` to ``path`` as sorted, indented JSON.

    Sorted and one value a line, so that a new reference's diff shows only the values that moved.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(reference, indent=1, sort_keys=True) + "\n", encoding="utf-8")
