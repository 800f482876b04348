"""The chapter "Preventing overfitting" (``report/overfitting.qmd``).

The overfitting experiment's four points are the network without penalties (``"no-penalty"``, a
control of ours) and the post's three methods: weight decay, dropout and early stopping. The
chapter reads their records from the store; building a Keras model to show its layers is not
training.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from pandas.io.formats.style import Styler

from penguins import plotting
from penguins.catalog import network_spec
from penguins.claims import BIG_GAIN, CONFIDENCE, Evidence, claim, t_interval
from penguins.models import summary_table
from penguins.pages import Facts, Page, tables
from penguins.pages.format import fmt_int, fmt_lr, fmt_num, fmt_pct, fmt_points, with_particle
from penguins.pages.ledger import post_accuracies, verdict_frame
from penguins.pages.schedules import run_facts
from penguins.preprocessing import preprocess
from penguins.spec import NetworkSpec
from penguins.sweep import SweepResult
from penguins.training import RunRecord

CONTROL = "no-penalty"  # the network without penalties: what the post's three methods are compared with
METHODS = ("weight-decay", "dropout", "early-stopping")  # the post's, in its order
PROBABILITY_FLOOR = 1e-7  # Keras clips predicted probabilities to [1e-7, 1 - 1e-7] in its cross-entropy
SAME = 1e-6  # two accuracies of the same test penguins are "the same" within float rounding
# The post's early-stopping code: EarlyStopping(monitor='val_accuracy', min_delta=0, patience=3) and
# fit(..., validation_data=(x_test, y_test), batch_size=16, epochs=20); restore_best_weights is left out.
POST_EARLY_STOPPING = {
    "monitor": "val_accuracy",
    "min_delta": 0,
    "patience": 3,
    "restore_best_weights": False,
    "validation": True,
    "epochs": 20,
    "batch_size": 16,
}


def early_stopping_callback(spec: NetworkSpec) -> keras.callbacks.EarlyStopping:
    """The callback ``penguins.training`` gives ``fit`` for ``spec``, with the same arguments."""
    return keras.callbacks.EarlyStopping(monitor="val_accuracy", min_delta=0, patience=spec.early_stopping_patience)


def early_stopping_settings(spec: NetworkSpec) -> dict[str, Any]:
    """What early stopping runs with for ``spec``, keyed as :data:`POST_EARLY_STOPPING`."""
    callback = early_stopping_callback(spec)
    return {
        "monitor": callback.monitor,
        "min_delta": abs(callback.min_delta),  # Keras stores it signed by the direction it watches
        "patience": callback.patience,
        "restore_best_weights": callback.restore_best_weights,
        "validation": spec.validate_on_test,
        "epochs": spec.epochs,
        "batch_size": spec.batch_size,
    }


def regulariser_name(penalty: keras.regularizers.Regularizer | None) -> str | None:
    """A Keras regulariser as the post writes it, ``L1(0.01)``; ``None`` for none."""
    if penalty is None:
        return None
    ((kind, strength),) = penalty.get_config().items()
    return f"{kind.upper()}({strength:.3g})"


def cross_entropy(record: RunRecord) -> float:
    """The test set's cross-entropy from the predicted probabilities alone, without the penalties."""
    y_test = preprocess(record.variant, record.seed).y_test
    probability = np.asarray(record.test_probabilities)[np.arange(len(y_test)), y_test]
    return float(-np.mean(np.log(np.clip(probability, PROBABILITY_FLOOR, 1.0))))


def best_epoch(record: RunRecord) -> int:
    """The first epoch (counted from 1) at which the validation accuracy was at its highest."""
    return int(np.argmax(record.history["val_accuracy"])) + 1


def stopped_as_keras_does(record: RunRecord, patience: int, max_epochs: int) -> bool:
    """Whether a run stopped where Keras' rule says: ``patience`` epochs after its last improvement."""
    return record.epochs_run == min(best_epoch(record) + patience, max_epochs)


def records_of(result: SweepResult, run: str) -> list[RunRecord]:
    """Every seed's record of the run named ``run`` in the overfitting experiment."""
    return list(result.records[result.values.index(run)])


def scores(result: SweepResult, run: str, score: str) -> np.ndarray:
    """One score of the run named ``run``, one value per seed."""
    return np.array([getattr(record, score) for record in records_of(result, run)])


class OverfittingPage(Page):
    """Weight decay, dropout and early stopping: what each does, its scores, and the control without them."""

    chapter = "overfitting"

    def regularisers(self, model: keras.Model) -> Styler:
        """The penalties on each layer of a Keras model, as the post's code writes them."""
        names = self.words("regulariser-columns")
        none = self.words("no-regulariser")
        frame = pd.DataFrame(
            {
                names["layer"]: [layer.name for layer in model.layers],
                names["type"]: [type(layer).__name__ for layer in model.layers],
                "kernel_regularizer": [regulariser_name(layer.kernel_regularizer) or none for layer in model.layers],
                "activity_regularizer": [
                    regulariser_name(layer.activity_regularizer) or none for layer in model.layers
                ],
            }
        )
        return self.table(frame)

    def loss_parts(self, overfitting: SweepResult) -> Styler:
        """Per run, the parts of the test loss (means over seeds).

        The test loss Keras reports, the cross-entropy of the predictions alone and the penalties'
        share of the loss.
        """
        names = self.words("loss-columns")
        rows = []
        for run in overfitting.values:
            reported = scores(overfitting, run, "test_loss").mean()
            plain = np.mean([cross_entropy(record) for record in records_of(overfitting, run)])
            rows.append(
                {
                    names["run"]: self.run_name(run),
                    names["reported"]: fmt_num(reported, 3),
                    names["cross_entropy"]: fmt_num(plain, 3),
                    names["share"]: fmt_pct(max(1 - plain / reported, 0.0), digits=0),
                }
            )
        return self.table(pd.DataFrame(rows))

    def layers(self, model: keras.Model) -> Styler:
        """A Keras model's layers as the post's ``model.summary()`` lists them, with the total."""
        return self.table(tables.layer_table(summary_table(model), self.language))

    def callback_settings(self, spec: NetworkSpec) -> Styler:
        """Early stopping as the post's code sets it up, beside what the early-stopping run uses."""
        names = self.words("callback-columns")
        rows = self.words("callback-rows")
        ours = early_stopping_settings(spec)
        frame = pd.DataFrame(
            {
                names["setting"]: [rows[key] for key in POST_EARLY_STOPPING],
                names["post"]: [self._setting(key, value) for key, value in POST_EARLY_STOPPING.items()],
                names["ours"]: [self._setting(key, ours[key]) for key in POST_EARLY_STOPPING],
            }
        )
        return self.table(frame)

    def _setting(self, key: str, value: Any) -> str:
        if key == "validation":
            return self.words("validation", "test" if value else "none")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return f"{value:g}"
        return str(value)

    def early_stopping_curves(self, overfitting: SweepResult) -> Figure:
        """Training and validation accuracy per epoch of the early-stopping runs, over seeds."""
        histories = [record.history for record in records_of(overfitting, "early-stopping")]
        return plotting.plot_history(histories, ["accuracy", "val_accuracy"], self.language)

    def stopping_table(self, overfitting: SweepResult) -> Styler:
        """Per seed: the epoch training stopped after, the best epoch and the accuracies around it."""
        names = self.words("stopping-columns")
        rows = []
        for record in records_of(overfitting, "early-stopping"):
            val_accuracy = record.history["val_accuracy"]
            rows.append(
                {
                    names["stopped"]: record.epochs_run,
                    names["best_epoch"]: best_epoch(record),
                    names["best"]: fmt_pct(max(val_accuracy)),
                    names["last"]: fmt_pct(val_accuracy[-1]),
                    names["test"]: fmt_pct(record.test_accuracy),
                }
            )
        return self.table(pd.DataFrame(rows, index=pd.Index(overfitting.seeds, name=self.term("seed"))))

    def gap_table(self, overfitting: SweepResult) -> Styler:
        """Per run, mean train and test accuracy and their gap.

        Also the paired test-accuracy difference from the network without penalties (mean and
        interval, in points).
        """
        names = self.words("gap-columns")
        control = scores(overfitting, CONTROL, "test_accuracy")
        rows = []
        for run in overfitting.values:
            train, test = scores(overfitting, run, "train_accuracy"), scores(overfitting, run, "test_accuracy")
            versus = ""
            if run != CONTROL:
                interval = t_interval(test - control)
                low, high = (fmt_points(value, sign=True) for value in (interval.low, interval.high))
                versus = f"{fmt_points(interval.mean, sign=True)} [{low}, {high}]"
            rows.append(
                {
                    names["run"]: self.run_name(run),
                    self.term("train_accuracy"): fmt_pct(train.mean()),
                    self.term("test_accuracy"): fmt_pct(test.mean()),
                    names["gap"]: fmt_points((train - test).mean()),
                    names["versus"]: versus,
                }
            )
        return self.table(pd.DataFrame(rows))

    def accuracy_table(self, overfitting: SweepResult) -> Styler:
        """Train and test accuracy per run: the post's (none for the control), the first seed, over seeds."""
        post = post_accuracies(overfitting.values)
        return self.table(tables.accuracy_table(overfitting, self.language, post=post))

    def verdict_table(self, overfitting: SweepResult) -> Styler:
        """The ledger's verdicts on the post's accuracies of the three methods."""
        return self.table(verdict_frame(overfitting, self))

    def facts(self, overfitting: SweepResult) -> Facts:
        """Every number and result-dependent word the chapter's prose shows."""
        base = network_spec("weight-decay")
        return Facts(
            **run_facts(overfitting, base),
            max_epochs=str(network_spec("early-stopping").epochs),
            learning_rate=fmt_lr(base.learning_rate),
            strength=f"{base.kernel_l1:g}",
            strength_ida=with_particle(f"{base.kernel_l1:g}", "이다"),
            confidence=fmt_pct(CONFIDENCE, digits=0),
            **self._losses(overfitting),
            **self._dropout(overfitting),
            **self._stopping(overfitting),
            **self._control(overfitting),
            **self._scores(overfitting),
        )

    def _losses(self, overfitting: SweepResult) -> dict[str, str]:
        records = records_of(overfitting, "weight-decay")
        reported = float(np.mean([record.test_loss for record in records]))
        plain = float(np.mean([cross_entropy(record) for record in records]))
        return {
            "keras_loss": fmt_num(reported, 3),
            "plain_loss": fmt_num(plain, 3),
            "penalty_share": fmt_pct(1 - plain / reported, digits=0),
            "loss_is_penalty": self.words("loss-is-penalty", "most" if plain < reported / 2 else "part"),
            "control_losses": self._control_losses(overfitting),
        }

    def _control_losses(self, overfitting: SweepResult) -> str:
        records = records_of(overfitting, CONTROL)
        reported = np.mean([record.test_loss for record in records])
        plain = np.mean([cross_entropy(record) for record in records])
        return self.words("control-losses", "same" if fmt_num(reported, 3) == fmt_num(plain, 3) else "different")

    def _dropout(self, overfitting: SweepResult) -> dict[str, str]:
        rate = network_spec("dropout").dropout
        logged = float(np.mean([record.history["accuracy"][-1] for record in records_of(overfitting, "dropout")]))
        evaluated = float(scores(overfitting, "dropout", "train_accuracy").mean())
        comparison = "lower" if logged < evaluated else "higher" if logged > evaluated else "equal"
        summary = overfitting.record("dropout", overfitting.seeds[0]).summary
        return {
            "rate": fmt_pct(rate, digits=0),
            "keep_scale": f"{1 / (1 - rate):g}",
            "total_params": fmt_int(sum(row["params"] for row in summary)),
            "logged_accuracy": fmt_pct(logged),
            "evaluated_accuracy": fmt_pct(evaluated),
            "logged_comparison": self.words("logged-comparison", comparison),
        }

    def _stopping(self, overfitting: SweepResult) -> dict[str, str]:
        spec = network_spec("early-stopping")
        records = records_of(overfitting, "early-stopping")
        stops = np.array([record.epochs_run for record in records])
        best = np.array([max(record.history["val_accuracy"]) for record in records])
        last = np.array([record.history["val_accuracy"][-1] for record in records])
        test = np.array([record.test_accuracy for record in records])
        n_test = len(preprocess("post", seed=overfitting.seeds[0]).y_test)
        post_stop = claim("early-stopping-epoch").post_value
        evidence = Evidence.from_sweeps(
            overfitting.preset, overfitting.variant, overfitting.seeds, {"overfitting": overfitting}
        )
        n_final_is_test = int(np.sum(np.abs(last - test) <= SAME))
        below = best - test
        n_below = int(np.sum(below > SAME))
        total = len(records)
        return {
            "patience": str(spec.early_stopping_patience),
            "n_test": str(n_test),
            "one_penguin": fmt_num(100 / n_test, 1),
            "post_stop": str(post_stop),
            "post_best_epoch": str(post_stop - spec.early_stopping_patience),
            "stop_mean": fmt_num(stops.mean(), 1),
            "stop_min": str(int(stops.min())),
            "stop_max": str(int(stops.max())),
            "n_ran_out": str(int(np.sum(stops == spec.epochs))),
            "stop_verdict": self.verdict(claim("early-stopping-epoch").evaluate(evidence).verdict),
            "final_is_test": self.words("final-is-test", "all" if n_final_is_test == total else "some").format(
                n=n_final_is_test, total=total
            ),
            "below_best": self.words("below-best", "some" if n_below else "none").format(
                points=fmt_points(below.mean()), n=n_below, total=total
            ),
            "below_note": self.words("below-note", "some" if n_below else "none"),
        }

    def _control(self, overfitting: SweepResult) -> dict[str, str]:
        train, control = scores(overfitting, CONTROL, "train_accuracy"), scores(overfitting, CONTROL, "test_accuracy")
        gap = float((train - control).mean())
        helped = [
            self.run_name(run)
            for run in METHODS
            if t_interval(scores(overfitting, run, "test_accuracy") - control).low > 0
        ]
        return {
            "control": self.run_name(CONTROL),
            "control_gap": fmt_points(gap),
            "gap_meaning": self.words("gap-meaning", "small" if gap < BIG_GAIN else "large").format(
                big=fmt_points(BIG_GAIN, digits=0)
            ),
            "helped": self._helped_text(helped),
        }

    def _helped_text(self, helped: Sequence[str]) -> str:
        if not helped:
            return self.words("helped", "none")
        if self.language == "en":
            return ", ".join(name.lower() for name in helped)
        return with_particle(", ".join(helped), "이다")

    def _scores(self, overfitting: SweepResult) -> dict[str, str]:
        post_tests = sorted({test for _, test in post_accuracies(METHODS).values()})
        n_test = len(preprocess("post", seed=overfitting.seeds[0]).y_test)
        means = [scores(overfitting, run, "test_accuracy").mean() for run in METHODS]
        low, high = fmt_pct(min(means)), fmt_pct(max(means))
        return {
            "post_test": fmt_pct(post_tests[0]),
            "post_correct": str(round(post_tests[0] * n_test)),
            "our_range": self.words("our-range", "same" if low == high else "range").format(low=low, high=high),
        }
