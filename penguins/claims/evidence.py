"""The evidence the ledger's checks read: our per-seed records, gathered through the store.

:func:`collect_evidence` runs (or reads) every experiment the claims need, the post's searches at
the preset they are computed for, and, with the post's preprocessing, the measurements of
:mod:`penguins.extras` (the post's seed on Keras, the Keras-measured searches, the post's candidates
on every seed, the clean early stopping, the unseeded runs). An :class:`Evidence` hands the checks
per-seed tables (``value``, ``seed``, scores) and records, and raises :class:`NotCheckable` with a
reason when something a check needs is absent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from penguins.claims.rules import NotCheckable, fmt
from penguins.presets import check_preset, default_seeds

SEARCH_ABSENT = "search results not computed at this preset"
SEARCH_PRESET = "full"  # the preset at which the ledger reads the post's searches
EXTRAS_ABSENT = "the chapters' extra measurements (penguins.extras) are taken with the post's preprocessing only"


@dataclass
class Evidence:
    """Everything the checks read.

    Per-seed tables and records of the experiments, the per-seed search records when they were
    computed (else ``search_note`` says why not), and the extra measurements (``extras``, by name)
    when they were gathered.
    """

    preset: str
    variant: str
    seeds: tuple[int, ...]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # long: value, seed, scores
    sweeps: dict[str, Any] = field(default_factory=dict)  # experiment -> SweepResult
    searches: dict[str, list[Any]] = field(default_factory=dict)  # method -> SearchRecord per seed
    search_note: str = SEARCH_ABSENT
    extras: dict[str, Any] = field(default_factory=dict)
    store: Any = None  # where extra measurements are read on first use (None: the default store)
    # claim -> (claim, verdict): each claim judged once per evidence (a verdict at 30 seeds takes
    # up to a second, and a page reads the same verdicts for its ledger, figure and sentences)
    verdicts: dict[int, tuple[Any, Any]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_sweeps(
        cls, preset: str, variant: str, seeds: Sequence[int], sweeps: Mapping[str, Any], **rest: Any
    ) -> Evidence:
        """Evidence from finished sweeps, each sweep's table in long form with its parameter as ``value``."""
        tables = {
            name: sweep.table().rename(columns={sweep.experiment.parameter: "value"}) for name, sweep in sweeps.items()
        }
        return cls(preset, variant, tuple(seeds), tables, dict(sweeps), **rest)

    def restricted(self, seeds: Sequence[int]) -> Evidence:
        """The evidence of those of this evidence's seeds that are in ``seeds``, in its order.

        What :func:`collect_evidence` would gather for them, without reading the store again; its
        claims are judged afresh.
        """
        wanted = set(seeds)
        if not wanted or not wanted <= set(self.seeds):
            raise ValueError(f"seeds {list(seeds)} are not a non-empty subset of the evidence's {list(self.seeds)}")
        kept = tuple(seed for seed in self.seeds if seed in wanted)
        tables = {name: table[table["seed"].isin(wanted)].reset_index(drop=True) for name, table in self.tables.items()}
        sweeps = {name: sweep.restricted(kept) for name, sweep in self.sweeps.items()}
        searches = {
            method: [record for record in records if record.seed in wanted] for method, records in self.searches.items()
        }
        extras = {name: _on_seeds(name, measured, wanted) for name, measured in self.extras.items()}
        return Evidence(
            self.preset, self.variant, kept, tables, sweeps, searches, self.search_note, extras, self.store
        )

    def table(self, experiment: str) -> pd.DataFrame:
        """The long table (value, seed, scores) of ``experiment``; not checkable if it was not run."""
        if experiment not in self.tables:
            raise NotCheckable(f"experiment {experiment!r} was not run")
        return self.tables[experiment]

    def wide(self, experiment: str, score: str = "test_accuracy") -> pd.DataFrame:
        """Seeds x values of one score of ``experiment``, values in the experiment's order."""
        table = self.table(experiment)
        wide = table.pivot_table(index="seed", columns="value", values=score, aggfunc="first", sort=False)
        return wide[[value for value in dict.fromkeys(table["value"]) if value in wide.columns]]

    def values(self, experiment: str) -> list[Any]:
        """The values ``experiment`` swept, in its order."""
        return list(dict.fromkeys(self.table(experiment)["value"]))

    def scores(self, experiment: str, value: Any, score: str = "test_accuracy") -> pd.Series:
        """One value's per-seed ``score``, indexed by seed."""
        table = self.table(experiment)
        rows = table[table["value"] == value].sort_values("seed")
        if rows.empty:
            raise NotCheckable(f"preset {self.preset} has no {experiment} run {fmt(value)}")
        return pd.Series(rows[score].to_numpy(dtype=float), index=rows["seed"].to_numpy(), name=score)

    def records(self, experiment: str, value: Any) -> list[Any]:
        """The run records of one value of ``experiment``, one per seed."""
        if experiment not in self.sweeps and experiment in self.tables and self.store is not None:
            # read on first use: most checks need only the scores, which the tables hold
            from penguins.sweep import run_experiment

            self.sweeps[experiment] = run_experiment(
                experiment, self.preset, self.seeds, self.variant, store=self.store
            )
        if experiment not in self.sweeps:
            raise NotCheckable(f"experiment {experiment!r} was not run")
        sweep = self.sweeps[experiment]
        if value not in sweep.values:
            raise NotCheckable(f"preset {self.preset} has no {experiment} run {fmt(value)}")
        return list(sweep.records[sweep.values.index(value)])

    def search_records(self, method: str) -> list[Any]:
        """The per-seed records of the ``method`` search; not checkable when the searches were not run."""
        if not self.searches.get(method):
            raise NotCheckable(self.search_note)
        return self.searches[method]

    def extra(self, name: str) -> Any:
        """One measurement of :mod:`penguins.extras` (read from the store on first use)."""
        if name not in self.extras:
            if self.variant != "post":
                raise NotCheckable(f"{name}: {EXTRAS_ABSENT}")
            self.extras[name] = _on_seeds(name, EXTRAS[name](self.preset, self.store), set(self.seeds))
        return self.extras[name]

    def missing(self, experiment: str, needs: str, missing: str) -> NotCheckable:
        """The reason a conclusion cannot be checked: what it needs, what the preset has."""
        return NotCheckable(
            f"needs {needs}; preset {self.preset} has {experiment} values {fmt(self.values(experiment))} "
            f"(missing: {missing})"
        )


def _on_seeds(name: str, measured: Any, seeds: set[int]) -> Any:
    """Extra ``name``'s records of ``seeds`` if it has one a seed (``PER_SEED_EXTRAS``), else all of it."""
    return [record for record in measured if record.seed in seeds] if name in PER_SEED_EXTRAS else measured


def collect_evidence(
    preset: str = "full",
    seeds: Sequence[int] | None = None,
    variant: str = "post",
    store: Any = None,
    jobs: int = 1,
    experiments: Sequence[str] = (),
    methods: Sequence[str] = (),
    searches: bool = True,
    extras: bool = True,
) -> Evidence:
    """Run (or read from the store) the experiments, searches and extra measurements the checks read.

    Every experiment in ``experiments``; at preset ``full`` the searches in ``methods`` (one per
    seed) unless ``searches`` is False; and with the post's preprocessing the extra measurements
    unless ``extras`` is False.
    """
    from penguins.store import ResultStore
    from penguins.sweep import experiment_scores

    check_preset(preset)
    seeds = tuple(default_seeds(preset) if seeds is None else seeds)
    if not seeds:
        raise ValueError("the ledger needs at least one seed")
    store = store if isinstance(store, ResultStore) else ResultStore(store)
    # the scores of every run (one store entry a sweep); a check that needs the records reads them
    scores = {name: experiment_scores(name, preset, seeds, variant, store, jobs=jobs) for name in experiments}
    tables = {
        name: score.table().rename(columns={score.experiment.parameter: "value"}) for name, score in scores.items()
    }
    records, note = _run_searches(list(methods), preset, seeds, variant, store, jobs, searches)
    evidence = Evidence(preset, variant, seeds, tables, searches=records, search_note=note, store=store)
    if extras and variant == "post":
        for name in EXTRAS:
            evidence.extra(name)
    return evidence


def _run_searches(methods, preset, seeds, variant, store, jobs, wanted) -> tuple[dict[str, list[Any]], str]:
    if not methods:
        return {}, SEARCH_ABSENT
    if not wanted:
        return {}, f"{SEARCH_ABSENT} (searches were turned off)"
    if preset != SEARCH_PRESET:
        return {}, f"{SEARCH_ABSENT} (preset {preset}; the post's searches run at preset {SEARCH_PRESET})"
    from penguins.sweep import run_search_sweep

    sweeps = {method: run_search_sweep(method, preset, seeds, variant, jobs=jobs, store=store) for method in methods}
    return {method: sweep.records for method, sweep in sweeps.items()}, SEARCH_ABSENT


# The measurements of penguins.extras the checks read, by name: each a function (preset, store) -> value.
# (penguins.extras imports the sweeps; importing it here, at first use, keeps this package light.)


def _post_seed_runs(preset: str, store: Any) -> Any:
    from penguins import extras

    return extras.post_seed_runs(store)[0]


def _keras_searches(preset: str, store: Any) -> Any:
    from penguins import extras

    return extras.keras_measured_searches(preset, store)[0]


def _post_candidate_searches(preset: str, store: Any) -> Any:
    from penguins import extras

    return extras.post_candidate_searches(preset, store)[0]


def _clean_early_stopping(preset: str, store: Any) -> Any:
    from penguins import extras

    return extras.clean_early_stopping(preset, store)[0]


def _unseeded_runs(preset: str, store: Any) -> Any:
    from penguins import extras

    return extras.unseeded_runs(store)[0]


EXTRAS = {
    "post-seed-runs": _post_seed_runs,
    "keras-searches": _keras_searches,
    "post-candidate-searches": _post_candidate_searches,
    "clean-early-stopping": _clean_early_stopping,
    "unseeded-runs": _unseeded_runs,
}
PER_SEED_EXTRAS = {"post-candidate-searches", "clean-early-stopping"}  # lists of records, one a seed
