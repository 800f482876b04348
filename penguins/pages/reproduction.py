"""The chapter "Reproduction: the claims ledger" (``report/reproduction.qmd``).

The ledger (:func:`penguins.claims.evaluate`) with its counts, the post's single numbers against
our seeds, how the post's seed is found from its random-search candidates and what that seed
gives (:mod:`penguins.extras`), and what the post gets wrong or leaves unsupported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from pandas.io.formats.style import Styler
from sklearn.model_selection import ParameterSampler

from penguins import plotting
from penguins.catalog import NAMED_RUNS
from penguins.claims import (
    CLAIMS,
    CONFIDENCE,
    KINDS,
    POST_RANDOM_CANDIDATES,
    POST_SOFTMAX_PARAMS,
    RANDOM_STATE_SCAN,
    VERDICTS,
    Claim,
    Evidence,
    NotCheckable,
    claim,
    verdict_counts,
)
from penguins.extras import SPLIT_SCAN
from penguins.pages import Facts, Page, tables
from penguins.pages.ledger import post_accuracy
from penguins.pages.format import fmt_int, fmt_lr, fmt_num, fmt_pct, fmt_seeds, with_particle
from penguins.preprocessing import FEATURES, preprocess
from penguins.search import SearchRecord, preset as search_preset
from penguins.training import RunRecord

SPLITS = ("train", "test")
# The runs of the post whose accuracies the ledger holds, in the post's order.
POST_RUNS = tuple(name for name, run in NAMED_RUNS.items() if run.in_post)
ACCURACY_ROW = 0.36  # inches of figure height per quantity of the single-numbers figure


def draws(state: int, n_iter: int = len(POST_RANDOM_CANDIDATES)) -> list[dict[str, Any]]:
    """The candidates ``RandomizedSearchCV`` draws from the post's distributions with ``random_state=state``,
    as plain Python numbers (only sampling, no training)."""
    space = search_preset("random", "full").param_space()
    return [plain(candidate) for candidate in ParameterSampler(space, n_iter=n_iter, random_state=state)]


def plain(candidate: Mapping[str, Any]) -> dict[str, Any]:
    """A candidate with NumPy scalars turned into Python numbers."""
    return {name: value.item() if isinstance(value, np.generic) else value for name, value in candidate.items()}


def matching_states(candidates: Sequence[Mapping[str, Any]] = POST_RANDOM_CANDIDATES, limit: int = RANDOM_STATE_SCAN) -> list[int]:
    """Every ``random_state`` below ``limit`` that draws exactly ``candidates``, in order."""
    wanted = [dict(candidate) for candidate in candidates]
    return [state for state in range(limit) if draws(state, len(wanted)) == wanted]


def rounded(record: RunRecord) -> tuple[float, float]:
    """A run's (train, test) accuracy to 3 places, as the post prints them."""
    return round(record.train_accuracy, 3), round(record.test_accuracy, 3)


def searched_values_never_reach(records: Sequence[SearchRecord]) -> bool:
    """Whether no value a random or grid search searched reached Keras: every fit of ``records``
    (Keras-measured searches) ran with the learning rate and epochs the post's call gives, none with
    a searched number of epochs, and early stopping never ran."""
    fits = [fit for record in records for fit in record.fits]
    specs = [record.search_spec for record in records]
    learning_rates = {round(fit["learning_rate"], 6) for fit in fits}
    epochs_run = {fit["epochs_run"] for fit in fits}
    searched_epochs = {row["params"]["epochs"] for record in records for row in record.rows}
    return (
        bool(fits)
        and learning_rates == {round(spec.lr, 6) for spec in specs}
        and epochs_run == {spec.fit_epochs for spec in specs}
        and not epochs_run & searched_epochs
        and all(not record.early_stopping_fits for record in records)
    )


class ReproductionPage(Page):
    """The ledger, the single numbers against the seeds, the post's seed and what the post gets wrong."""

    chapter = "reproduction"

    # ------------------------------------------------------------------ the ledger

    def facts(self, ledger: pd.DataFrame) -> Facts:
        """The preset, the seeds and how many claims got each verdict."""
        counts = verdict_counts(ledger)
        unchecked = counts["not checkable"]
        return Facts(
            preset=ledger.attrs["preset"],
            n_seeds=str(len(ledger.attrs["seeds"])),
            seed_text=fmt_seeds(ledger.attrs["seeds"]),
            n_claims=str(len(ledger)),
            counts={verdict: str(count) for verdict, count in counts.items()},
            verdicts={verdict: self.verdict(verdict) for verdict in VERDICTS},
            # Korean: the quoted verdict and 이다 in the form its ending asks for ("'재현됨'이다")
            verdicts_ida={verdict: with_particle(f"'{self.verdict(verdict)}'", "이다") for verdict in VERDICTS},
            unchecked=self.words("unchecked", "some" if unchecked else "none").format(n=unchecked),
            confidence=fmt_pct(CONFIDENCE, digits=0),
        )

    def kinds_table(self, ledger: pd.DataFrame) -> Styler:
        """How many claims of each kind got each verdict."""
        kinds = [kind for kind in KINDS if kind in set(ledger["kind"])]
        verdicts = [verdict for verdict in VERDICTS if verdict in set(ledger["verdict"])]
        counts = pd.crosstab(ledger["kind"], ledger["verdict"]).reindex(index=kinds, columns=verdicts, fill_value=0)
        counts.index = pd.Index([self.vocabulary("kinds", kind) for kind in kinds], name=self.words("kind-column"))
        counts.columns = [self.verdict(verdict) for verdict in verdicts]
        return self.table(counts)

    def ledger_table(self, ledger: pd.DataFrame, verdict: str | None = None) -> Styler:
        """The ledger (or its claims with ``verdict``) in the post's order, each verdict cell coloured."""
        shown = ledger if verdict is None else ledger[ledger["verdict"] == verdict]
        return tables.ledger_table(shown, self.language)

    # ------------------------------------------------------------------ single numbers

    def label(self, stated: Claim) -> str:
        """A single number of the post: its run (or the post's section) and, for an accuracy, the set."""
        run = next((run for run in POST_RUNS if stated.id.startswith(f"{run}-")), None)
        name = self.run_name(run) if run else tables.section_name(stated.section, self.language)
        split = next((split for split in SPLITS if f"-{split}-accuracy" in stated.id), None)
        return f"{name} · {self.vocabulary('splits', split)}" if split else name

    def single_numbers(self, evidence: Evidence) -> pd.DataFrame:
        """Every number the post got from one run that our seeds can check: its label, our per-seed
        values, the post's value, our mean and sd, and how many sds the post's value lies from our mean."""
        rows = []
        for stated in CLAIMS:
            if not stated.has_observed:
                continue
            try:
                values = stated.observed(evidence).to_numpy(dtype=float)
            except NotCheckable:
                continue
            sd = float(np.std(values, ddof=1)) if len(values) > 1 else float("nan")
            mean = float(np.mean(values))
            rows.append(
                {
                    "id": stated.id,
                    "label": self.label(stated),
                    "values": values,
                    "post": float(stated.post_value),
                    "mean": mean,
                    "sd": sd,
                    "z": (float(stated.post_value) - mean) / sd if sd > 0 else float("nan"),
                    "accuracy": stated.id.endswith("accuracy") or stated.id.endswith("score"),
                }
            )
        return pd.DataFrame(rows)

    def single_numbers_figure(self, evidence: Evidence) -> Figure:
        """The post's single numbers as red diamonds over our per-seed values, mean and interval:
        accuracies above, the epoch early stopping stopped at below."""
        rows = self.single_numbers(evidence)
        accuracy, other = rows[rows["accuracy"]], rows[~rows["accuracy"]]
        panels = [(accuracy, True)] + ([(other, False)] if len(other) else [])
        fig, axes = plt.subplots(
            len(panels),
            1,
            figsize=(plotting.COLUMN_WIDTH, ACCURACY_ROW * len(rows) + 1.6 * len(panels)),
            height_ratios=[len(accuracy) + 0.6] + ([len(other) + 1.2] if len(other) else []),
            squeeze=False,
        )
        for ax, (panel, is_accuracy) in zip(axes[:, 0], panels):
            if is_accuracy:
                plotting.plot_seed_values(panel, self.language, x_label=self.term("accuracy_axis"), ax=ax)
            else:
                plotting.plot_seed_values(
                    panel,
                    self.language,
                    x_label=self.term("epochs_run"),
                    ax=ax,
                    percent=False,
                    legend=False,
                    limits=(1, NAMED_RUNS["early-stopping"].spec.epochs),
                )
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        fig.tight_layout()
        return fig

    def spread_facts(self, evidence: Evidence) -> Facts:
        """The post's accuracy farthest from our mean, and the one that moves most with the seed."""
        rows = self.single_numbers(evidence)
        accuracy = rows[rows["accuracy"]]
        finite = accuracy[np.isfinite(accuracy["z"])]
        farthest = finite.loc[finite["z"].abs().idxmax()]
        widest = accuracy.loc[accuracy["sd"].idxmax()]
        return Facts(
            n_single=str(len(rows)),
            farthest=farthest["label"],
            farthest_ida=with_particle(f"'{farthest['label']}'", "이다"),  # Korean: "'… · 테스트'다"
            farthest_post=fmt_pct(farthest["post"]),
            farthest_mean=fmt_pct(farthest["mean"]),
            farthest_sd=fmt_pct(farthest["sd"]),
            farthest_z=fmt_num(abs(farthest["z"]), digits=1),
            farthest_side=self.words("side", "below" if farthest["z"] < 0 else "above"),
            widest=widest["label"],
            widest_ro=with_particle(f"'{widest['label']}'", "으로"),  # Korean: "'… · 테스트'로"
            widest_sd=fmt_pct(widest["sd"]),
            widest_low=fmt_pct(widest["values"].min()),
            widest_high=fmt_pct(widest["values"].max()),
        )

    # ------------------------------------------------------------------ the post's seed

    def candidate_table(self, drawn: Sequence[Mapping[str, Any]]) -> Styler:
        """The post's random-search candidates beside the ones drawn again, all digits of the learning rate."""
        columns = self.words("candidate-columns")
        parts = {}
        for source, candidates in (("post", POST_RANDOM_CANDIDATES), ("drawn", [plain(c) for c in drawn])):
            parts[(columns[source], columns["batch_size"])] = [c["batch_size"] for c in candidates]
            parts[(columns[source], columns["epochs"])] = [c["epochs"] for c in candidates]
            parts[(columns[source], columns["learning_rate"])] = [repr(c["optimizer__learning_rate"]) for c in candidates]
        frame = pd.DataFrame(parts, index=pd.Index(range(len(POST_RANDOM_CANDIDATES)), name=columns["candidate"]))
        frame.columns = pd.MultiIndex.from_tuples(frame.columns)
        return self.table(frame)

    def seed_facts(self, seed: int) -> Facts:
        """How the post's seed was found: how many seeds were tried and which one it is."""
        return Facts(
            n_scanned=fmt_int(RANDOM_STATE_SCAN),
            n_candidates=str(len(POST_RANDOM_CANDIDATES)),
            n_split_scan=str(SPLIT_SCAN),
            seed=str(seed),
        )

    def logistic_facts(self, scan: Sequence[RunRecord], seed: int) -> Facts:
        """The post's logistic-regression scores and how many of the scanned splits give them too.
        (That the post's seed gives them is a fixed fact: ``tests/test_pages_reproduction.py``.)"""
        post = post_accuracy("logistic")
        return Facts(
            seed=str(seed),
            seed_ida=with_particle(str(seed), "이다"),  # Korean: "83이다"
            post_train=fmt_num(post[0], digits=3),
            post_test=fmt_num(post[1], digits=3),
            post_test_eul=with_particle(fmt_num(post[1], digits=3), "을"),  # Korean: "0.971을"
            n_scan=str(len(scan)),
            n_matches=str(sum(rounded(record) == post for record in scan)),
        )

    def post_seed_table(self, runs: Mapping[str, RunRecord]) -> Styler:
        """Each of the post's runs with the post's seed: the post's accuracies, ours, and whether they agree."""
        columns = self.words("seed-columns")
        rows, index = [], []
        for run in POST_RUNS:
            ours = rounded(runs[run])
            for split, post, mine in zip(SPLITS, post_accuracy(run), ours):
                rows.append(
                    {columns["post"]: fmt_num(post, 3), columns["ours"]: fmt_num(mine, 3), columns["same"]: "✓" if mine == post else ""}
                )
                index.append((self.run_name(run), self.vocabulary("splits", split)))
        return self.table(pd.DataFrame(rows, index=pd.MultiIndex.from_tuples(index)))

    def post_seed_facts(self, runs: Mapping[str, RunRecord], seed: int) -> Facts:
        """How many of the post's numbers its seed gives again, for logistic regression and the networks."""
        same = {
            (run, split): mine == post
            for run in POST_RUNS
            for split, post, mine in zip(SPLITS, post_accuracy(run), rounded(runs[run]))
        }
        networks = {key: value for key, value in same.items() if key[0] != "logistic"}
        matched = [post_accuracy(run)[SPLITS.index(split)] for (run, split), value in same.items() if value]
        n_test = len(preprocess("post", seed).y_test)
        n_network_same = sum(networks.values())
        return Facts(
            seed=str(seed),
            n_compared=str(len(same)),
            n_same=str(sum(same.values())),
            n_network=str(len(networks)),
            network_same=self.words("network-same", "none" if n_network_same == 0 else "some").format(n=n_network_same),
            high=self.words("high-matches", "some" if n_network_same else "none").format(
                low=fmt_pct(min(matched)) if matched else ""
            ),
            n_test=str(n_test),
            one_penguin=fmt_num(100 / n_test, digits=1),
        )

    # ------------------------------------------------------------------ what the post gets wrong

    def wrong_facts(self, ledger: pd.DataFrame) -> Facts:
        """The facts the ledger finds wrong, and the numbers that show why."""
        wrong = ledger[(ledger["verdict"] == "not reproduced") & (ledger["kind"] == "fact")]
        post_features = claim("input-features").post_value
        n_classes = claim("output-classes").post_value
        low, high, step = search_preset("hyperband", "full").units
        return Facts(
            n_wrong=str(int((ledger["verdict"] == "not reproduced").sum())),
            n_wrong_facts=str(len(wrong)),
            post_features=str(post_features),
            n_features=str(len(FEATURES)),
            post_params=str(POST_SOFTMAX_PARAMS),
            post_features_params=str((post_features + 1) * n_classes),
            post_units=str(claim("tuner-summary-units").post_value),
            units_low=str(low),
            units_high=str(high),
            units_step=str(step),
        )

    def search_facts(self, searches: Mapping[str, SearchRecord]) -> Facts:
        """What the Keras fits of the post's random and grid searches measurably ran with."""
        records = list(searches.values())
        fits = [fit for record in records for fit in record.fits]
        learning_rates = sorted({round(fit["learning_rate"], 6) for fit in fits})
        epochs_run = sorted({fit["epochs_run"] for fit in fits})
        searched_epochs = sorted({row["params"]["epochs"] for record in records for row in record.rows})
        specs = [record.search_spec for record in records]
        given = (sorted({spec.lr for spec in specs}), sorted({spec.fit_epochs for spec in specs}))
        early = sum(record.early_stopping_fits or 0 for record in records)
        never = searched_values_never_reach(records)
        epochs_text = ", ".join(str(epochs) for epochs in epochs_run)
        return Facts(
            n_fits=fmt_int(len(fits)),
            searched_epochs=self.either([str(epochs) for epochs in searched_epochs]),
            learning_rates=", ".join(fmt_lr(rate) for rate in learning_rates),
            epochs_run=epochs_text,
            epochs_run_ro=with_particle(epochs_text, "으로"),  # Korean: "2로"
            given_lr=", ".join(fmt_lr(rate) for rate in given[0]),
            given_epochs=", ".join(str(epochs) for epochs in given[1]),
            given_epochs_ida=with_particle(", ".join(str(epochs) for epochs in given[1]), "이다"),  # Korean: "2다"
            heading=self.words("reached-heading", "never" if never else "some"),
            early=self.words("early-stopping", "never" if early == 0 else "ran").format(n=early),
            label=self.words("search-label", "never" if never else "some"),
        )

    def either(self, values: Sequence[str]) -> str:
        """Alternatives for a sentence: "3, 4" in Korean (read with 가운데 하나), "3 or 4" in English."""
        if self.language == "ko" or len(values) < 2:
            return ", ".join(values)
        return f"{', '.join(values[:-1])} {self.words('or')} {values[-1]}"

    # ------------------------------------------------------------------ summary

    def summary_facts(self, ledger: pd.DataFrame) -> Facts:
        """How many single numbers were judged and held, and the verdict on the post's final lesson."""
        single = ledger[ledger["kind"] == "single run"]["verdict"]
        final = ledger.set_index("id").loc["network-matches-baseline", "verdict"]
        return Facts(
            n_checked=str(int((single != "not checkable").sum())),
            n_ok=str(int(single.isin(["reproduced", "within seed noise"]).sum())),
            final=self.verdict(final),
            final_ida=with_particle(f"'{self.verdict(final)}'", "이다"),  # Korean: "'재현됨'이다"
        )
