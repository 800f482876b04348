"""The chapter "Hyperparameter tuning" (``report/tuning.qmd``).

The post's three searches, random search and grid search through scikeras and Keras Tuner's
Hyperband, run once per seed by ``penguins reproduce`` (:func:`penguins.sweep.run_search_sweep`),
and the two scikeras searches once more with scikeras training Keras models, whose fits record
what Keras really ran with (:func:`penguins.extras.keras_measured_searches`). This page builds the
chapter's tables and figures from them and picks the words its sentences need from the results:
which candidate wins, whether scores tie, whether candidates in the same position score alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from pandas.io.formats.style import Styler

from penguins import plotting
from penguins.claims import Evidence, claim, post_search_table
from penguins.extras import MEASURED_PRESET, measured_seed
from penguins.models import summary_table
from penguins.pages import Facts, Page, tables
from penguins.pages.format import fmt_count, fmt_int, fmt_lr, fmt_num, fmt_pct, fmt_seeds, with_particle
from penguins.presets import search_size
from penguins.search import METHODS, HyperbandSpec, SearchRecord, effective_fit_settings, search_spec
from penguins.sweep import SearchSweep

TOP_TRIALS = 10  # Hyperband trials the page lists (the full search runs about thirty)
SAME_SCORE = 1e-6  # an objective and a test accuracy this close are the same number (float32 vs float64)
SCORE_DIGITS = 4  # cross-validated accuracies as the post prints them


# --------------------------------------------------------------------------------------------
# Reading the records
# --------------------------------------------------------------------------------------------


def learning_rate_of(params: Mapping[str, Any]) -> float:
    """The searched learning rate of a candidate, under either name scikeras knows."""
    return float(params.get("optimizer__learning_rate", params.get("model__lr")))


def in_position_order(record: SearchRecord) -> list[dict[str, Any]]:
    """A random or grid search's candidates in the order scikit-learn trained them."""
    return sorted(record.rows, key=lambda row: row["candidate"])


def same_position_pairs(random: SearchRecord, grid: SearchRecord) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The i-th candidates of a random and a grid search of one seed, for every position both have."""
    return list(zip(in_position_order(random), in_position_order(grid), strict=False))  # the positions both have


def scores_alike(pair: tuple[dict[str, Any], dict[str, Any]]) -> bool:
    """Whether two candidates scored the same on every fold."""
    first, second = pair
    return first["split_test_scores"] == second["split_test_scores"]


def fits_as_scikeras_says(record: SearchRecord, fit: Mapping[str, Any]) -> bool:
    """Whether one Keras fit of a random or grid search ran with what scikeras' code promises.

    What it promises (:func:`penguins.search.effective_fit_settings`): the learning rate, the epochs
    given and run, a batch size consistent with the steps per epoch.
    """
    expected = effective_fit_settings(record.search_spec, record.rows[fit["candidate"]]["params"])
    largest = fit["batch_size_max"] or fit["n_samples"]
    return (
        round(fit["learning_rate"], 6) == round(expected["learning_rate"], 6)
        and fit["epochs"] == fit["epochs_run"] == expected["epochs"]
        and fit["batch_size_min"] <= expected["batch_size"] <= largest
    )


def top_count(record: SearchRecord) -> int:
    """How many candidates (or Hyperband trials) share the best score of a search."""
    if record.method == "hyperband":
        best = max(row["score"] for row in record.rows)
        return sum(row["score"] == best for row in record.rows)
    return sum(row["rank_test_score"] == 1 for row in record.rows)


def tuner_units_verdict(preset: str) -> str:
    """The ledger's verdict on the post's summary after Keras Tuner (100 units per layer)."""
    evidence = Evidence(preset, "post", ())
    return claim("tuner-summary-units").evaluate(evidence).verdict


def reachable_units() -> list[int]:
    """The units the post's ``hp.Int('units', min, max, step)`` can give."""
    low, high, step = search_spec("hyperband", "full").units
    return list(range(low, high + 1, step))


def _same_candidate(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return bool(
        a["batch_size"] == b["batch_size"]
        and a["epochs"] == b["epochs"]
        and np.isclose(learning_rate_of(a), learning_rate_of(b), rtol=1e-9)
    )


def _share(count: int, total: int) -> str:
    """Which of a result's "all / some / none" words fits ``count`` of ``total``."""
    return "all" if count == total else "none" if count == 0 else "some"


# --------------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------------


class TuningPage(Page):
    """The post's three searches over seeds, and what really reached the model in them."""

    chapter = "tuning"

    # ---------------------------------------------------------------- words

    def method(self, method: str) -> str:
        """A search's name in the reader's words ("Random Search", "Random search"...)."""
        return str(self.words("methods", method))

    def candidate(self, params: Mapping[str, Any]) -> str:
        """A candidate in words: batch size, epochs and learning rate."""
        epochs = int(params["epochs"])
        return self.words("candidate").format(
            batch_size=params["batch_size"],
            epochs=fmt_count(epochs, self.words("epoch-noun")) if self.language == "en" else epochs,
            learning_rate=fmt_lr(learning_rate_of(params), digits=2),
        )

    # ---------------------------------------------------------------- tables

    def layers(self, model: Any) -> Styler:
        """A Keras model's layers (or a record's ``summary``) as ``model.summary()`` lists them."""
        summary = summary_table(model) if hasattr(model, "layers") else model
        return self.table(tables.layer_table(summary, self.language))

    def settings_table(self, preset: str) -> Styler:
        """What each search searches and how it trains: the post's settings beside this preset's."""
        columns = self.words("settings-columns")
        frames = {
            self.method(method): pd.DataFrame(
                {
                    columns["post"]: tables.search_settings(search_spec(method, "full"), self.language),
                    columns["page"]: tables.search_settings(search_spec(method, preset), self.language),
                }
            )
            for method in METHODS
        }
        return self.table(pd.concat(frames))

    def search_results(self, search: SearchSweep) -> Styler:
        """The first seed's results table of a search, best first (Hyperband: its best trials)."""
        record = search.records[0]
        table = tables.search_table(record, self.language)
        return self.table(table.head(TOP_TRIALS) if search.method == "hyperband" else table)

    def fit_evidence(self, on_keras: Mapping[str, SearchRecord]) -> Styler:
        """Per search run on Keras, what reached its fits.

        The values the candidates carried, what the post's code passes, and what every Keras fit
        measurably ran with.
        """
        frames = {
            self.method(method): tables.fit_evidence([record], self.language) for method, record in on_keras.items()
        }
        return self.table(pd.concat(frames))

    def same_position(self, on_keras: Mapping[str, SearchRecord]) -> Styler:
        """The candidates in the same position of the two searches run on Keras: values and scores."""
        columns = self.words("pair-columns")
        pairs = same_position_pairs(on_keras["random"], on_keras["grid"])
        frame = pd.DataFrame(index=pd.Index([first["candidate"] for first, _ in pairs], name=columns["position"]))
        for method, side in (("random", 0), ("grid", 1)):
            name = self.method(method)
            frame[columns["candidate"].format(method=name)] = [self.candidate(pair[side]["params"]) for pair in pairs]
            frame[columns["score"].format(method=name)] = [
                fmt_num(pair[side]["mean_test_score"], SCORE_DIGITS) for pair in pairs
            ]
        return self.table(frame)

    def best_by_seed(self, random_search: SearchSweep, grid_search: SearchSweep) -> Styler:
        """Per seed and search: the best candidate, its cross-validated accuracy, the refit's test accuracy."""
        columns = self.words("seed-columns")
        frames = {}
        for search in (random_search, grid_search):
            frames[self.method(search.method)] = pd.DataFrame(
                {
                    columns["candidate"]: [self.candidate(record.best_params) for record in search.records],
                    columns["cv"]: [fmt_num(record.best_score, SCORE_DIGITS) for record in search.records],
                    columns["test"]: [fmt_pct(record.test_accuracy) for record in search.records],
                },
                index=pd.Index(search.seeds, name=columns["seed"]),
            )
        return self.table(pd.concat(frames, axis="columns"))

    def post_table(self, method: str = "random") -> Styler:
        """The post's ``cv_results_`` table of a search, best first."""
        columns = self.words("post-columns")
        frame = post_search_table(method).sort_values("mean_test_score", ascending=False, kind="stable")
        return self.table(
            pd.DataFrame(
                {
                    columns["candidate"]: frame["candidate"].to_numpy(),
                    columns["batch_size"]: frame["batch_size"].to_numpy(),
                    columns["epochs"]: frame["epochs"].to_numpy(),
                    columns["learning_rate"]: [fmt_lr(rate) for rate in frame["optimizer__learning_rate"]],
                    columns["score"]: [fmt_num(score, SCORE_DIGITS + 2) for score in frame["mean_test_score"]],
                }
            ).set_index(columns["candidate"])
        )

    def hyperband_by_seed(self, hyperband: SearchSweep) -> Styler:
        """Per seed: the units and dropout rate Hyperband chose, its objective and its test accuracy."""
        columns = self.words("seed-columns")
        records = hyperband.records
        frame = pd.DataFrame(
            {
                columns["units"]: [record.best_params["units"] for record in records],
                columns["rate"]: [f"{record.best_params['rate']:g}" for record in records],
                columns["objective"]: [fmt_pct(record.best_score) for record in records],
                columns["test"]: [fmt_pct(record.test_accuracy) for record in records],
            },
            index=pd.Index(hyperband.seeds, name=columns["seed"]),
        )
        return self.table(frame)

    # ---------------------------------------------------------------- figures

    def best_scores(self, random_search: SearchSweep, grid_search: SearchSweep) -> Figure:
        """Per seed: each search's best cross-validated accuracy (with the post's) and its refit's test accuracy."""
        labels = self.words("figure")
        rows = []
        for kind in ("cv", "test"):
            for search in (random_search, grid_search):
                name = self.method(search.method)
                if kind == "cv":
                    values = [record.best_score for record in search.records]
                    post = claim(f"{search.method}-search-best-score").post_value
                else:
                    values, post = [record.test_accuracy for record in search.records], np.nan
                rows.append({"label": labels[kind].format(method=name), "values": values, "post": post})
        return plotting.plot_seed_values(pd.DataFrame(rows), self.language, x_label=labels["x"])

    def confusion_matrices(self, *searches: SearchSweep) -> Figure:
        """The first seed's test-set confusion matrices of the models the searches chose."""
        matrices = {self.method(search.method): search.records[0].confusion_matrix for search in searches}
        return plotting.plot_confusion_matrices(matrices, self.language)

    # ---------------------------------------------------------------- facts

    def model_facts(self, model: Any) -> Facts:
        """The tuning model's settings (the post's, from the search spec) and its size."""
        spec = search_spec("random", "full")
        return Facts(
            nodes=str(spec.nodes),
            penalty=f"{spec.kernel_l1:g}",
            dropout=f"{spec.dropout:g}",
            lr=fmt_lr(spec.lr),
            n_params=fmt_int(summary_table(model)["params"].sum()),
        )

    def facts(self, random_search: SearchSweep, grid_search: SearchSweep) -> Facts:
        """What the prose says about the random and grid searches: the post's, per seed, over seeds."""
        preset = random_search.preset
        first = random_search.seeds[0]
        size = search_size(preset)
        return Facts(
            preset=preset,
            n_seeds=str(len(random_search.seeds)),
            seed_text=fmt_seeds(random_search.seeds),
            first_seed=str(first),
            size=self.words("size", size),
            measured_seed=str(measured_seed(preset)),
            measured_preset=MEASURED_PRESET,
            **self._first_seed(random_search, grid_search),
            **self._over_seeds(random_search, grid_search),
        )

    def _first_seed(self, random_search: SearchSweep, grid_search: SearchSweep) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for search in (random_search, grid_search):
            method, record = search.method, search.records[0]
            post_best = claim(f"{method}-search-best-params").post_value
            post_score = claim(f"{method}-search-best-score").post_value
            n_top = top_count(record)
            values.update(
                {
                    f"{method}_best": self.candidate(record.best_params),
                    f"{method}_score": fmt_num(record.best_score, SCORE_DIGITS),
                    f"{method}_score_da": with_particle(fmt_num(record.best_score, SCORE_DIGITS), "이다"),
                    f"{method}_tie": self.words("top-tie", "alone" if n_top == 1 else "shared").format(n=n_top),
                    f"{method}_post_best": self.candidate(post_best),
                    f"{method}_post_score": fmt_num(post_score, SCORE_DIGITS),
                    f"{method}_post_score_da": with_particle(fmt_num(post_score, SCORE_DIGITS), "이다"),
                }
            )
        random_record, grid_record = random_search.records[0], grid_search.records[0]
        post_random = claim("random-search-best-params").post_value
        if _same_candidate(random_record.best_params, post_random):
            random_post = "same"
        elif any(_same_candidate(row["params"], post_random) for row in random_record.rows):
            random_post = "drawn"
        else:
            random_post = "not-drawn"
        grid_same = _same_candidate(grid_record.best_params, claim("grid-search-best-params").post_value)
        values["random_post"] = self.words("random-post", random_post)
        values["grid_post"] = self.words("grid-post", "same" if grid_same else "other")
        return values

    def _over_seeds(self, random_search: SearchSweep, grid_search: SearchSweep) -> dict[str, Any]:
        random_scores = np.array([record.best_score for record in random_search.records])
        grid_scores = np.array([record.best_score for record in grid_search.records])
        n_seeds = len(random_scores)
        n_tied = int(np.sum(random_scores == grid_scores))
        pairs = [
            pair
            for random, grid in zip(random_search.records, grid_search.records, strict=True)
            for pair in same_position_pairs(random, grid)
        ]
        n_alike = sum(scores_alike(pair) for pair in pairs)
        refit = [row["params"] for row in random_search.records[0].summary]
        tuning = list(claim("params-tuning-model").post_value)
        return {
            "random_low": fmt_num(random_scores.min(), SCORE_DIGITS),
            "random_high": fmt_num(random_scores.max(), SCORE_DIGITS),
            "grid_low": fmt_num(grid_scores.min(), SCORE_DIGITS),
            "grid_high": fmt_num(grid_scores.max(), SCORE_DIGITS),
            "n_random_bests": str(len({self.candidate(record.best_params) for record in random_search.records})),
            "n_grid_bests": str(len({self.candidate(record.best_params) for record in grid_search.records})),
            "seed_ties": self.words("seed-ties", _share(n_tied, n_seeds)).format(k=n_tied, n=n_seeds),
            "engine_pairs": self.words("engine-pairs", "all" if n_alike == len(pairs) else "some").format(
                k=n_alike, n=len(pairs)
            ),
            "refit_layers": self.words("refit-layers", "same" if refit == tuning else "other"),
            "post_n": str(len(post_search_table("random"))),
            "post_low": fmt_num(post_search_table("random")["mean_test_score"].min(), SCORE_DIGITS),
            "post_high": fmt_num(post_search_table("random")["mean_test_score"].max(), SCORE_DIGITS),
            "scikeras": random_search.records[0].versions.get("scikeras", "?"),
        }

    def measured_facts(
        self, on_keras: Mapping[str, SearchRecord], random_search: SearchSweep, grid_search: SearchSweep
    ) -> Facts:
        """What the prose says about the searches run on Keras.

        What the fits ran with, and whether the candidates in the same position scored alike (there,
        and in the page's searches).
        """
        records = list(on_keras.values())
        n_fits = sum(len(record.fits) for record in records)
        n_as_said = sum(fits_as_scikeras_says(record, fit) for record in records for fit in record.fits)
        n_early = sum(record.early_stopping_fits or 0 for record in records)
        uniform = n_as_said == n_fits and n_early == 0
        pairs = same_position_pairs(on_keras["random"], on_keras["grid"])
        n_alike = sum(scores_alike(pair) for pair in pairs)
        engine_alike = all(
            scores_alike(pair)
            for random, grid in zip(random_search.records, grid_search.records, strict=True)
            for pair in same_position_pairs(random, grid)
        )
        holds = n_alike == len(pairs) and engine_alike
        lr = fmt_lr(search_spec("random", "full").lr)
        state = "uniform" if uniform else "mixed"
        return Facts(
            n_fits=str(n_fits),
            n_candidates=str(sum(len(record.rows) for record in records)),
            as_said=self.words("as-said", _share(n_as_said, n_fits)).format(k=n_as_said, n=n_fits),
            early_stopping=self.words("early-stopping", "never" if n_early == 0 else "some").format(n=n_early),
            reach=self.words("reach", "never" if uniform else "some"),
            pairs=self.words("keras-pairs", _share(n_alike, len(pairs))).format(k=n_alike, n=len(pairs)),
            decided=self.words("decided", "holds" if n_alike == len(pairs) else "fails"),
            summary_fits=self.words("summary-fits", state).format(lr=lr),
            summary_label=self.words("summary-label", state),
            summary_pairs=self.words("summary-pairs", "holds" if holds else "fails"),
        )

    def hyperband_facts(self, hyperband: SearchSweep) -> Facts:
        """What the prose says about Hyperband.

        Its trials on the first seed, its choices over seeds, and the units of the post's summary.
        """
        record = hyperband.records[0]
        spec = record.search_spec
        if not isinstance(spec, HyperbandSpec):
            raise ValueError(f"hyperband_facts reads a Hyperband search, not a {type(spec).__name__}")
        n_trials = len(record.rows)
        n_top = top_count(record)
        n_seeds = len(hyperband.records)
        n_same = sum(abs(r.best_score - r.test_accuracy) < SAME_SCORE for r in hyperband.records)
        units = reachable_units()
        post_units = claim("tuner-summary-units").post_value
        verdict = "reproduced" if tuner_units_verdict(hyperband.preset) == "reproduced" else "not-reproduced"
        chosen = ", ".join(str(u) for u in sorted({r.best_params["units"] for r in hyperband.records}))
        unit_words = {"units": str(post_units), "units_topic": with_particle(str(post_units), "은")}
        return Facts(
            n_trials=str(n_trials),
            shown=self.words("shown-trials", "all" if n_trials <= TOP_TRIALS else "best").format(n=TOP_TRIALS),
            trial_epochs=", ".join(str(epochs) for epochs in sorted({fit["epochs"] for fit in record.fits})),
            search_epochs=str(spec.search_epochs),
            best_units=str(record.best_params["units"]),
            best_rate=f"{record.best_params['rate']:g}",
            best_score=fmt_pct(record.best_score),
            best_score_da=with_particle(fmt_pct(record.best_score), "이다"),
            trial_tie=self.words("trial-ties", "alone" if n_top == 1 else "shared").format(n=n_top),
            test_choice=self.words("test-choice", _share(n_same, n_seeds)).format(k=n_same, n=n_seeds),
            post_units=str(post_units),
            low=str(units[0]),
            high=str(units[-1]),
            step=str(units[1] - units[0]),
            n_reachable=str(len(units)),
            units_reach=self.words("units-reach", verdict).format(**unit_words),
            units_verdict=self.words("units-verdict", verdict),
            chosen_units=chosen,
            chosen_units_da=with_particle(chosen, "이다"),
        )
