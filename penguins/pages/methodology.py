"""The chapter "Methodology: leak-free preprocessing" (``report/methodology.qmd``).

Where the test set seeps into the post's process (measured on the splits, which is cheap, and
read from the Keras-measured searches ``penguins reproduce`` computed), and how much the results
move when only the preprocessing changes (``compare_variants``, computed by ``penguins variants``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from pandas.io.formats.style import Styler

from penguins import plotting
from penguins.claims import BIG_GAIN, CONFIDENCE
from penguins.data import load_penguins
from penguins.extras import keras_measured_searches
from penguins.pages import Facts, Page, tables
from penguins.pages.format import fmt_count, fmt_int, fmt_num, fmt_pct, fmt_points, fmt_seeds
from penguins.preprocessing import MEASUREMENTS, Split, preprocess
from penguins.search import search_spec


def fill_means(penguins: pd.DataFrame, split: Split) -> pd.DataFrame:
    """The means that fill the gaps: over the whole table (the post) and over the training rows of ``split``."""
    whole = penguins[MEASUREMENTS].mean()
    train = penguins.loc[split.train_rows, MEASUREMENTS].mean()
    return pd.DataFrame({"whole": whole, "train": train, "difference": whole - train})


def scaling_gaps(seeds: Sequence[int]) -> list[float]:
    """Per seed, the largest difference between the two preprocessings on a scaled test value."""
    gaps = []
    for seed in seeds:
        post, leak_free = preprocess("post", seed=seed), preprocess("leak-free", seed=seed)
        gaps.append(float(np.abs(post.x_test - leak_free.x_test).max()))
    return gaps


def decided(comparisons: pd.DataFrame) -> pd.Series:
    """Whether each run's interval of the per-seed difference excludes 0."""
    return (comparisons["ci_low"] > 0) | (comparisons["ci_high"] < 0)


def rises(comparison: pd.DataFrame, column: str) -> bool:
    """Whether ``column`` rises from each point of ``comparison`` to the next."""
    return bool(np.all(np.diff(comparison[column].to_numpy(dtype=float)) > 0))


class MethodologyPage(Page):
    """The leaks of the post's process, and the post's runs again with the leak-free preprocessing."""

    chapter = "methodology"

    # ------------------------------------------------------------------ what leaks

    def fill_means(self, split: Split) -> Styler:
        """The means that fill the gaps, over the whole table and over the training set of ``split``."""
        names = self.words("mean-columns")
        frame = fill_means(load_penguins(), split).map(lambda value: fmt_num(value, 2))
        frame = frame.rename(columns=names)
        frame.index.name = "column"
        labelled = tables.labelled(frame, self.language)
        labelled.index.name = self.words("column")
        return self.table(labelled)

    def leak_facts(self, preset: str, seeds: Sequence[int]) -> Facts:
        """The numbers of the section on what leaks."""
        penguins = load_penguins()
        unmeasured = penguins[MEASUREMENTS].isna().all(axis="columns")
        split = preprocess("post", seed=seeds[0])
        means = fill_means(penguins, split)
        gaps = scaling_gaps(seeds)
        searches, _ = keras_measured_searches(preset)
        n_fits = sum(len(record.fits) for record in searches.values())
        n_early = sum(record.early_stopping_fits or 0 for record in searches.values())
        callback = "dropped" if n_early == 0 else "kept"
        return Facts(
            confidence=fmt_pct(CONFIDENCE, digits=0),
            preset=preset,
            n_seeds=str(len(seeds)),
            seed_text=fmt_seeds(seeds),
            first_seed=str(seeds[0]),
            n_rows=fmt_int(len(penguins)),
            n_unmeasured=str(int(unmeasured.sum())),
            unmeasured_in_train=str(int(unmeasured.loc[split.train_rows].sum())),
            relative_gap=fmt_pct((means["difference"].abs() / means["train"]).max(), digits=2),
            gap_mean=fmt_num(np.mean(gaps), 3),
            gap_max=fmt_num(np.max(gaps), 3),
            gap_share=fmt_pct(np.mean(gaps), digits=0),
            objective=search_spec("hyperband", "full").objective,
            callback=self.words("callback", callback, "what"),
            search_choice=self.words("callback", callback, "choice"),
            n_fits=str(n_fits),
            n_early_fits=str(n_early),
        )

    # ------------------------------------------------------------------ the comparison

    def _named(self, comparison: pd.DataFrame) -> pd.DataFrame:
        parameter = comparison.columns[0]  # compare_variants puts the swept parameter first
        return comparison.assign(run=[self.run_name(str(value)) for value in comparison[parameter]]).set_index("run")

    def variant_table(self, comparison: pd.DataFrame) -> Styler:
        """Per run, the mean test accuracy with each preprocessing, and their per-seed difference.

        The difference (leak-free minus post) as its mean and interval, in percentage points.
        """
        names = self.words("variant-columns")
        named = self._named(comparison)
        interval = [
            f"[{fmt_points(low, sign=True)}, {fmt_points(high, sign=True)}]" if np.isfinite(low) else "–"
            for low, high in zip(named["ci_low"], named["ci_high"], strict=True)
        ]
        frame = pd.DataFrame(
            {
                names["post"]: named["test_accuracy_post"].map(fmt_pct),
                names["leak_free"]: named["test_accuracy_leak_free"].map(fmt_pct),
                names["difference"]: named["mean"].map(lambda value: fmt_points(value, sign=True)),
                names["interval"].format(confidence=fmt_pct(CONFIDENCE, digits=0)): interval,
            },
            index=pd.Index(named.index, name=self.term("model")),
        )
        return self.table(frame)

    def variant_differences(self, comparisons: Sequence[pd.DataFrame]) -> Figure:
        """Every run's mean per-seed difference (leak-free minus post) and its interval, in one figure."""
        frame = pd.concat([self._named(comparison) for comparison in comparisons]).reset_index()
        return plotting.plot_variant_differences(frame, self.language)

    def facts(self, comparisons: Sequence[pd.DataFrame], networks: pd.DataFrame) -> Facts:
        """The numbers and result-dependent words of the comparison's summary.

        ``comparisons`` are every compared experiment's ``compare_variants`` table, ``networks``
        the one of the networks with 0, 1 and 2 hidden layers.
        """
        every = pd.concat([self._named(comparison) for comparison in comparisons])
        n_test = len(preprocess("post", seed=0).y_test)
        n_decided = int(decided(every).sum())
        largest = every["mean"].abs().idxmax()
        largest_mean = float(every.loc[largest, "mean"])
        n_big = int((every["mean"].abs() > BIG_GAIN).sum())
        typical_difference = float(every["mean"].abs().mean())
        typical_sd = float(every["seed_sd"].mean())
        noise = self.words("noise", "seed" if typical_difference < typical_sd else "preprocessing")
        rising = rises(networks, "test_accuracy_post") + rises(networks, "test_accuracy_leak_free")
        return Facts(
            confidence=fmt_pct(CONFIDENCE, digits=0),
            n_runs=str(len(every)),
            n_decided=str(n_decided),
            decided=self.words("decided", "none" if n_decided == 0 else "some").format(n=n_decided, total=len(every)),
            largest=largest,
            largest_gap=fmt_points(largest_mean, sign=True),
            largest_penguins=fmt_num(abs(largest_mean) * n_test, 1),
            n_test=str(n_test),
            big_gap=fmt_points(BIG_GAIN, digits=0),
            n_big=str(n_big) if self.language == "ko" else fmt_count(n_big, "run"),
            typical_difference=fmt_points(typical_difference),
            typical_sd=fmt_points(typical_sd),
            noise_relation=noise["relation"],
            noise_meaning=noise["meaning"],
            depth_holds=self.words("depth-holds", ("neither", "one", "both")[rising]),
        )
