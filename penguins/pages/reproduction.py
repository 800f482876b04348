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
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from pandas.io.formats.style import Styler

from penguins import plotting
from penguins.catalog import NAMED_RUNS, network_spec
from penguins.claims import (
    ALPHA,
    BIG_GAIN,
    CLAIMS,
    CONFIDENCE,
    JUMP,
    KINDS,
    POST_RANDOM_CANDIDATES,
    POST_SOFTMAX_PARAMS,
    RANDOM_STATE_SCAN,
    SEED_COUNTS,
    VERDICTS,
    Claim,
    Evidence,
    NotCheckable,
    Verdict,
    claim,
    judge,
    verdict_changes,
    verdict_counts,
)
from penguins.extras import SPLIT_SCAN
from penguins.pages import Facts, Page, tables
from penguins.pages.format import fmt_int, fmt_lr, fmt_num, fmt_pct, fmt_points, fmt_seeds, with_particle
from penguins.pages.ledger import post_accuracy
from penguins.preprocessing import FEATURES, preprocess
from penguins.search import GridSearchSpec, RandomSearchSpec, SearchRecord, search_spec
from penguins.training import RunRecord

SPLITS = ("train", "test")
# The runs of the post whose accuracies the ledger holds, in the post's order.
POST_RUNS = tuple(name for name, run in NAMED_RUNS.items() if run.in_post)
ACCURACY_ROW = 0.36  # inches of figure height per quantity of the single-numbers figure
# The effects figure: one panel per unit an effect is measured in, in this order.
EFFECT_UNITS = ("points", "tau", "arcsine")
VERDICT_MARKERS = {"reproduced": "#1b7837", "within seed noise": "#8c8c8c", "not reproduced": "#b22222"}
FINAL_LESSON = "logistic-is-enough"  # the post's last lesson: logistic regression is enough


def draws(state: int, n_iter: int = len(POST_RANDOM_CANDIDATES)) -> list[dict[str, Any]]:
    """The candidates ``RandomizedSearchCV`` draws from the post's distributions with ``random_state=state``.

    As plain Python numbers (only sampling, no training).
    """
    from sklearn.model_selection import ParameterSampler  # 2 s to import: only where the seed is searched

    space = search_spec("random", "full").param_space()
    return [plain(candidate) for candidate in ParameterSampler(space, n_iter=n_iter, random_state=state)]


def plain(candidate: Mapping[str, Any]) -> dict[str, Any]:
    """A candidate with NumPy scalars turned into Python numbers."""
    return {name: value.item() if isinstance(value, np.generic) else value for name, value in candidate.items()}


def matching_states(
    candidates: Sequence[Mapping[str, Any]] = POST_RANDOM_CANDIDATES, limit: int = RANDOM_STATE_SCAN
) -> list[int]:
    """Every ``random_state`` below ``limit`` that draws exactly ``candidates``, in order."""
    wanted = [dict(candidate) for candidate in candidates]
    return [state for state in range(limit) if draws(state, len(wanted)) == wanted]


def rounded(record: RunRecord) -> tuple[float, float]:
    """A run's (train, test) accuracy to 3 places, as the post prints them."""
    return round(record.train_accuracy, 3), round(record.test_accuracy, 3)


def scikeras_specs(records: Sequence[SearchRecord]) -> list[RandomSearchSpec | GridSearchSpec]:
    """The specs of random or grid searches, which go through scikeras (Hyperband's does not)."""
    specs = [record.search_spec for record in records]
    searches = [spec for spec in specs if isinstance(spec, (RandomSearchSpec, GridSearchSpec))]
    if len(searches) != len(specs):
        raise ValueError("not a random or grid search: Hyperband's fits do not go through scikeras")
    return searches


def searched_values_never_reach(records: Sequence[SearchRecord]) -> bool:
    """Whether no value a random or grid search searched reached Keras.

    Every fit of ``records`` (Keras-measured searches) ran with the learning rate and epochs the
    post's call gives, none with a searched number of epochs, and early stopping never ran.
    """
    fits = [fit for record in records for fit in record.fits]
    specs = scikeras_specs(records)
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
            level=fmt_pct(ALPHA, digits=0),
            margin=fmt_points(BIG_GAIN, digits=0),
            jump=fmt_points(JUMP, digits=0),
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
        """Every number the post got from one run that our seeds can check.

        Its label, our per-seed values, the post's value, our mean and sd, and how many sds the
        post's value lies from our mean.
        """
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
        """The post's single numbers as red diamonds over our per-seed values, mean and interval.

        Accuracies above, the epoch early stopping stopped at below.
        """
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
        for ax, (panel, is_accuracy) in zip(axes[:, 0], panels, strict=True):
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
                    limits=(1, network_spec("early-stopping").epochs),
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

    # ------------------------------------------------------------------ conclusions against their margins

    def effects(self, evidence: Evidence) -> pd.DataFrame:
        """Every conclusion whose verdict rests on an effect, in the post's order.

        Its label, unit, estimate, interval, the region the claim allows (its margin) and the
        verdict.
        """
        verdicts: dict[str, Verdict] = judge(evidence)
        rows = []
        for stated in CLAIMS:
            effect = verdicts[stated.id].effect
            if effect is None:
                continue
            scale = 100.0 if effect.unit == "points" else 1.0  # accuracy differences in percentage points
            rows.append(
                {
                    "id": stated.id,
                    "label": self.words("effect-labels", stated.id),
                    "unit": effect.unit,
                    "estimate": effect.estimate * scale,
                    "low": effect.low * scale,
                    "high": effect.high * scale,
                    "margin_low": effect.margin[0] * scale,
                    "margin_high": effect.margin[1] * scale,
                    "confidence": effect.confidence,
                    "verdict": verdicts[stated.id].verdict,
                }
            )
        return pd.DataFrame(rows)

    def effects_figure(self, evidence: Evidence) -> Figure:
        """Each conclusion's effect (dot) with its interval (bar) against the region its claim allows.

        The region is shaded (the margin), the effect coloured by the verdict; one panel per unit.
        """
        rows = self.effects(evidence)
        units = [unit for unit in EFFECT_UNITS if unit in set(rows["unit"])]
        counts = [int((rows["unit"] == unit).sum()) for unit in units]
        if self.language == "ko":
            plotting.use_korean_font()
        fig, axes = plt.subplots(
            # a little narrower than the column: the legend above and the labels at the left widen the saved picture
            len(units), 1, figsize=(plotting.COLUMN_WIDTH - 0.5, 0.42 * len(rows) + 1.3 * len(units)),
            height_ratios=[count + 1.2 for count in counts], squeeze=False,
        )
        for ax, unit in zip(axes[:, 0], units, strict=True):
            self._effects_panel(ax, rows[rows["unit"] == unit].reset_index(drop=True), unit)
        handles: list[Artist] = [
            plt.Line2D([], [], marker="o", linestyle="", color=color, label=self.verdict(verdict))
            for verdict, color in VERDICT_MARKERS.items() if verdict in set(rows["verdict"])
        ]
        handles.append(
            plt.Rectangle((0, 0), 1, 1, color="#4c72b0", alpha=0.15, label=self.words("effect-axes", "margin"))
        )
        axes[0, 0].legend(
            handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(handles), frameon=False, fontsize=8
        )
        fig.tight_layout()
        return fig

    def _effects_panel(self, ax: Any, rows: pd.DataFrame, unit: str) -> None:
        y = np.arange(len(rows))[::-1]
        finite = np.concatenate([rows[["low", "high"]].to_numpy().ravel(), [0.0]])
        left, right = float(finite.min()), float(finite.max())
        pad = 0.08 * (right - left or 1.0)
        left, right = left - pad, right + pad
        for position, row in zip(y, rows.itertuples(index=False), strict=True):
            allowed = (max(row.margin_low, left), min(row.margin_high, right))
            if allowed[0] < allowed[1]:
                ax.fill_betweenx([position - 0.4, position + 0.4], *allowed, color="#4c72b0", alpha=0.15, linewidth=0)
            color = VERDICT_MARKERS.get(row.verdict, "#8c8c8c")
            ax.plot([row.low, row.high], [position, position], color=color, linewidth=2)
            ax.plot(row.estimate, position, "o", color=color, markersize=6)
        ax.axvline(0, color="#555555", linewidth=0.8)
        ax.set_xlim(left, right)
        ax.set_yticks(y, rows["label"])
        ax.set_ylim(-0.7, len(rows) - 0.3)
        ax.set_xlabel(self.words("effect-axes", unit))
        ax.grid(axis="x", alpha=0.3)

    def effect_facts(self, evidence: Evidence) -> Facts:
        """How many conclusions rest on an effect, and how many of them are decided."""
        rows = self.effects(evidence)
        decided = rows["verdict"].isin(["reproduced", "not reproduced"])
        return Facts(
            n_effects=str(len(rows)),
            n_decided=str(int(decided.sum())),
            n_noise=str(int((rows["verdict"] == "within seed noise").sum())),
            confidence=fmt_pct(float(rows["confidence"].iloc[0]), digits=0) if len(rows) else "",
        )

    # ------------------------------------------------------------------ how many seeds

    def seed_counts_table(self, ledgers: Mapping[int, pd.DataFrame]) -> Styler:
        """How many claims get each verdict on the first ``n`` seeds, for each ``n`` of ``ledgers``."""
        names = self.words("seed-changes")
        counts = sorted(ledgers)
        frame = pd.DataFrame(
            {names["seeds"].format(n=n): [int(k) for k in verdict_counts(ledgers[n]).values()] for n in counts},
            index=pd.Index([self.verdict(verdict) for verdict in VERDICTS], name=names["verdict"]),
        )
        return self.table(frame)

    def seed_changes_table(self, ledgers: Mapping[int, pd.DataFrame]) -> Styler:
        """The claims whose verdict changes with the number of seeds.

        The verdict at each count and how it changed (one row saying so when none does).
        """
        names = self.words("seed-changes")
        counts = sorted(ledgers)
        columns = [names["seeds"].format(n=n) for n in counts] + [names["change"]]
        changes = verdict_changes(ledgers) if len(counts) > 1 else pd.DataFrame(columns=["id", "change", *counts])
        if changes.empty:
            frame = pd.DataFrame(
                [["–"] * len(columns)], columns=columns, index=pd.Index([names["none"]], name=names["claim"])
            )
            return self.table(frame)
        rows = [
            [self.verdict(row[n]) for n in counts] + [names["changes"][row["change"]]] for _, row in changes.iterrows()
        ]
        return self.table(
            pd.DataFrame(rows, columns=columns, index=pd.Index(changes["id"].to_numpy(), name=names["claim"]))
        )

    def seed_facts_by_count(self, ledgers: Mapping[int, pd.DataFrame]) -> Facts:
        """How many verdicts change between the fewest and the most seeds, and how many turn round."""
        counts = sorted(ledgers)
        changes = verdict_changes(ledgers) if len(counts) > 1 else pd.DataFrame(columns=["change"])
        reversed_ = int((changes["change"] == "reversed").sum())
        if len(counts) < 2:
            changed = self.words("seed-summary", "one").format(counts=self.together([str(n) for n in SEED_COUNTS]))
        else:
            changed = self.words("seed-summary", "some" if len(changes) else "none").format(
                n=len(changes), total=len(ledgers[counts[-1]])
            )
            changed += " " + self.words("seed-reversed", "some" if reversed_ else "none").format(n=reversed_)
        return Facts(
            counts=self.together([str(n) for n in counts]),
            changed=changed,
            n_changed=str(len(changes)),
            n_reversed=str(reversed_),
        )

    # ------------------------------------------------------------------ the post's seed

    def candidate_table(self, drawn: Sequence[Mapping[str, Any]]) -> Styler:
        """The post's random-search candidates beside the ones drawn again, all digits of the learning rate."""
        columns = self.words("candidate-columns")
        parts = {}
        for source, candidates in (("post", POST_RANDOM_CANDIDATES), ("drawn", [plain(c) for c in drawn])):
            parts[(columns[source], columns["batch_size"])] = [c["batch_size"] for c in candidates]
            parts[(columns[source], columns["epochs"])] = [c["epochs"] for c in candidates]
            parts[(columns[source], columns["learning_rate"])] = [
                repr(c["optimizer__learning_rate"]) for c in candidates
            ]
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

        (That the post's seed gives them is a fixed fact: ``tests/test_pages_reproduction.py``.)
        """
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
            for split, post, mine in zip(SPLITS, post_accuracy(run), ours, strict=True):
                rows.append(
                    {
                        columns["post"]: fmt_num(post, 3),
                        columns["ours"]: fmt_num(mine, 3),
                        columns["same"]: "✓" if mine == post else "",
                    }
                )
                index.append((self.run_name(run), self.vocabulary("splits", split)))
        return self.table(pd.DataFrame(rows, index=pd.MultiIndex.from_tuples(index)))

    def post_seed_facts(self, runs: Mapping[str, RunRecord], seed: int) -> Facts:
        """How many of the post's numbers its seed gives again, for logistic regression and the networks."""
        same = {
            (run, split): mine == post
            for run in POST_RUNS
            for split, post, mine in zip(SPLITS, post_accuracy(run), rounded(runs[run]), strict=True)
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
        low, high, step = search_spec("hyperband", "full").units
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

    def code_facts(self, evidence: Evidence) -> Facts:
        """What the post's code does, measured.

        The unseeded runs, the step-decay run's learning rate, and early stopping validated on the
        test set against a clean validation split.
        """
        unseeded = evidence.extra("unseeded-runs")
        trained = float(unseeded["trained_equal_share"])
        rates = evidence.extra("post-seed-runs")["step-decay"].history.get("learning_rate", [])
        adam = float(claim("step-decay-learning-rate").post_value)
        post = evidence.scores("overfitting", "early-stopping")
        clean = pd.Series({record.seed: record.test_accuracy for record in evidence.extra("clean-early-stopping")})
        held_out = claim("early-stopping-held-out").evaluate(evidence)
        return Facts(
            keras=str(unseeded["keras"]),
            initial_equal=fmt_pct(float(unseeded["initial_equal_share"]), digits=0),
            trained_equal=fmt_pct(trained, digits=0),
            repeats=self.words("unseeded", "repeats" if trained == 1.0 else "differs"),
            why=self.words(
                "unseeded-why", "initial-same" if float(unseeded["initial_equal_share"]) == 1.0 else "initial-differs"
            ),
            first_lr=fmt_lr(float(rates[0])) if rates else "",
            adam_lr=fmt_lr(adam),
            lr_ratio=fmt_int(round(float(rates[0]) / adam)) if rates else "",
            post_protocol=fmt_pct(float(post.mean())),
            clean=fmt_pct(float(clean.mean())),
            held_out=self.verdict(held_out.verdict),
            validation_share=fmt_pct(network_spec("early-stopping-clean").validation_split, digits=0),
            held_out_ida=with_particle(f"'{self.verdict(held_out.verdict)}'", "이다"),
        )

    def search_facts(self, searches: Mapping[str, SearchRecord]) -> Facts:
        """What the Keras fits of the post's random and grid searches measurably ran with."""
        records = list(searches.values())
        fits = [fit for record in records for fit in record.fits]
        learning_rates = sorted({round(fit["learning_rate"], 6) for fit in fits})
        epochs_run = sorted({fit["epochs_run"] for fit in fits})
        searched_epochs = sorted({row["params"]["epochs"] for record in records for row in record.rows})
        specs = scikeras_specs(records)
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

    def together(self, values: Sequence[str]) -> str:
        """Several values for a sentence: "10, 20, 30" in Korean, "10, 20 and 30" in English."""
        if self.language == "ko" or len(values) < 2:
            return ", ".join(values)
        return f"{', '.join(values[:-1])} {self.words('and')} {values[-1]}"

    def either(self, values: Sequence[str]) -> str:
        """Alternatives for a sentence: "3, 4" in Korean (read with 가운데 하나), "3 or 4" in English."""
        if self.language == "ko" or len(values) < 2:
            return ", ".join(values)
        return f"{', '.join(values[:-1])} {self.words('or')} {values[-1]}"

    # ------------------------------------------------------------------ summary

    def summary_facts(self, ledger: pd.DataFrame) -> Facts:
        """How many single numbers were judged and held, and the verdict on the post's final lesson."""
        single = ledger[ledger["kind"] == "single run"]["verdict"]
        final = ledger.set_index("id").loc[FINAL_LESSON, "verdict"]
        return Facts(
            n_checked=str(int((single != "not checkable").sum())),
            n_ok=str(int(single.isin(["reproduced", "within seed noise"]).sum())),
            final=self.verdict(final),
            final_ida=with_particle(f"'{self.verdict(final)}'", "이다"),  # Korean: "'재현됨'이다"
        )
