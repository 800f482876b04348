"""The chapter "Networks with 0, 1 and 2 hidden layers" (``report/networks.qmd``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from pandas.io.formats.style import Styler

from penguins import plotting
from penguins.catalog import network_spec
from penguins.claims import JUMP, claim
from penguins.models import summary_table
from penguins.pages import Facts, Page, tables
from penguins.pages.format import fmt_count, fmt_int, fmt_num, fmt_pct, fmt_points, fmt_seeds, with_particle
from penguins.pages.ledger import evidence, post_accuracies
from penguins.preprocessing import CLASS_NAMES, FEATURES, preprocess
from penguins.sweep import SweepResult

KERAS_BATCH_SIZE = 32  # what Keras' fit uses when the post gives no batch size
# The model without a hidden layer "does not tell the species apart" when it predicts one species
# for under a tenth of the test penguins.
RARE_SHARE = 0.1
# Its train loss is "far" above the deep network's when it is more than twice as large.
FAR_LARGER = 2.0
# The deep network's mean test accuracy is "comparable" to logistic regression's within 5 points.
COMPARABLE = 0.05


class NetworksPage(Page):
    """Model summaries, accuracies over seeds, confusion matrices and verdicts of the three networks."""

    chapter = "networks"

    def layers(self, model: Any) -> Styler:
        """A Keras model's layers as the post's ``model.summary()`` lists them, with the total."""
        return self.table(tables.layer_table(summary_table(model), self.language))

    def accuracy_table(self, networks: SweepResult) -> Styler:
        """Train and test accuracy per network: the post's run, the first seed, and over seeds."""
        post = post_accuracies(networks.values)
        return self.table(tables.accuracy_table(networks, self.language, post=post))

    def confusion_matrices(self, networks: SweepResult, seed: int) -> Figure:
        """The three networks' confusion matrices on the test set of ``seed``, side by side."""
        matrices = {self.run_name(run): networks.record(run, seed).confusion_matrix for run in networks.values}
        return plotting.plot_confusion_matrices(matrices, self.language)

    def verdict_table(self, networks: SweepResult) -> Styler:
        """The post's six accuracies, our mean over seeds and the ledger's verdict on each."""
        found = evidence(networks)
        columns = self.words("claim-columns")
        rows, index = [], []
        for run in networks.values:
            for split in ("train", "test"):
                stated = claim(f"{run}-{split}-accuracy")
                scores = [
                    getattr(record, f"{split}_accuracy") for record in networks.records[networks.values.index(run)]
                ]
                rows.append(
                    {
                        columns["post"]: fmt_pct(stated.post_value),
                        columns["ours"]: fmt_pct(np.mean(scores)),
                        columns["verdict"]: self.verdict(stated.evaluate(found).verdict),
                    }
                )
                index.append((self.run_name(run), self.vocabulary("splits", split)))
        return self.table(pd.DataFrame(rows, index=pd.MultiIndex.from_tuples(index)))

    def facts(self, networks: SweepResult, baseline: SweepResult) -> Facts:
        """Every number and result-dependent word the chapter's prose shows."""
        table = networks.table()
        means = table.groupby("model", sort=False)[["train_accuracy", "test_accuracy", "train_loss"]].mean()
        sds = table.groupby("model", sort=False)["test_accuracy"].std()
        first = networks.seeds[0]
        spec = network_spec("hidden-0")  # the three networks train alike
        return Facts(
            preset=networks.preset,
            n_seeds=str(len(networks.seeds)),
            seed_text=fmt_seeds(networks.seeds),
            first_seed=str(first),
            epochs=str(spec.epochs),
            n_features=str(len(FEATURES)),
            n_classes=str(len(CLASS_NAMES)),
            **self._per_run(networks, means, sds),
            **self._spread(means, sds),
            **self._confusion(networks, first),
            **self._updates(networks, means, spec),
            **self._verdicts(networks, means, baseline),
        )

    def _per_run(self, networks: SweepResult, means: pd.DataFrame, sds: pd.Series) -> dict[str, Any]:
        first = networks.seeds[0]
        post = post_accuracies(networks.values)
        return {
            "params": {
                run: fmt_int(sum(row["params"] for row in networks.record(run, first).summary))
                for run in networks.values
            },
            "width": str(network_spec("hidden-1").hidden[0]),
            "post_test": {run: fmt_pct(post[run][1]) for run in networks.values},
            "test_mean": {run: fmt_pct(means.loc[run, "test_accuracy"]) for run in networks.values},
            "test_sd": {run: fmt_pct(sds.loc[run]) for run in networks.values},
        }

    def _spread(self, means: pd.DataFrame, sds: pd.Series) -> dict[str, str]:
        rising = bool(means["test_accuracy"].is_monotonic_increasing)
        named = {run: self.run_name(run) for run in sds.index}
        if self.language == "en":
            named = {run: name.lower() for run, name in named.items()}
        return {
            "story": self.words("story", "holds" if rising else "fails"),
            "most_variable": named[sds.idxmax()],
            "least_variable": named[sds.idxmin()],
        }

    def _confusion(self, networks: SweepResult, seed: int) -> dict[str, str]:
        predicted = np.asarray(networks.record("hidden-0", seed).confusion_matrix).sum(axis=0)
        deep = np.asarray(networks.record("hidden-2", seed).confusion_matrix)
        rare = CLASS_NAMES[int(predicted.argmin())]
        n_rare = int(predicted.min())
        uneven = n_rare < RARE_SHARE * predicted.sum()
        return {
            "favourite": plotting.species_name(CLASS_NAMES[int(predicted.argmax())], self.language),
            "favourite_share": fmt_pct(predicted.max() / predicted.sum()),
            "rare": plotting.species_name(rare, self.language),
            "rare_count": self.words("rare-count", "none" if n_rare == 0 else "some").format(n=n_rare),
            "evenness": self.words("evenness", "uneven" if uneven else "even"),
            "deep_mistakes": self._mistakes(int(deep.sum() - np.trace(deep))),
        }

    def _mistakes(self, n_wrong: int) -> str:
        if n_wrong == 0:
            return self.words("mistakes", "none")
        return self.words("mistakes", "some").format(n=n_wrong, penguins=fmt_count(n_wrong, "penguin"))

    def _updates(self, networks: SweepResult, means: pd.DataFrame, spec: Any) -> dict[str, str]:
        n_train = len(preprocess("post", seed=networks.seeds[0]).y_train)
        batch_size = spec.batch_size or KERAS_BATCH_SIZE
        shallow, deep = means.loc["hidden-0", "train_loss"], means.loc["hidden-2", "train_loss"]
        ratio = shallow / deep
        comparison = "far" if ratio > FAR_LARGER else "larger" if ratio > 1 else "not-larger"
        return {
            "n_train": str(n_train),
            "batch_size": str(batch_size),
            "n_updates": str(math.ceil(n_train / batch_size) * spec.epochs),
            "learning_rate": f"{spec.learning_rate:g}",
            "loss_shallow": fmt_num(shallow, 2),
            "loss_shallow_euro": with_particle(fmt_num(shallow, 2), "으로"),  # Korean: "1.16으로"
            "loss_deep": fmt_num(deep, 2),
            "loss_comparison": self.words("loss-comparison", comparison),
        }

    def _verdicts(self, networks: SweepResult, means: pd.DataFrame, baseline: SweepResult) -> dict[str, str]:
        gains = networks.table().pivot(index="seed", columns="model", values="test_accuracy")
        gain = gains["hidden-2"] - gains["hidden-1"]
        logistic = float(baseline.table()["test_accuracy"].mean())
        deep = float(means.loc["hidden-2", "test_accuracy"])
        closeness = "comparable" if abs(deep - logistic) < COMPARABLE else "below" if deep < logistic else "above"
        return {
            "gain_mean": fmt_points(gain.mean()),
            "gain_low": fmt_points(gain.min()),
            "gain_high": fmt_points(gain.max()),
            "jump_size": fmt_points(JUMP, digits=0),
            "jump_verdict": self.verdict(claim("two-hidden-layers-jump").evaluate(evidence(networks)).verdict),
            "deep_mean": fmt_pct(deep),
            "logistic_mean": fmt_pct(logistic),
            "closeness": self.words("closeness", closeness),
        }
