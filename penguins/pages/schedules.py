"""The chapter "Learning-rate schedules" (``report/schedules.qmd``).

Computing the rate a schedule gives at an epoch or a step is not training: the chapter's figures
call :func:`penguins.schedules.step_decay` and Keras' ``CosineDecayRestarts`` directly, and read
what the trained runs logged from the store.
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from pandas.io.formats.style import Styler

from penguins import plotting
from penguins.catalog import network_spec
from penguins.claims import CONFIDENCE, Evidence, claim, t_interval
from penguins.models import get_model
from penguins.pages import Facts, Page, tables
from penguins.pages.format import fmt_int, fmt_lr, fmt_num, fmt_pct, fmt_points, fmt_seeds, with_particle
from penguins.pages.ledger import post_accuracies, verdict_frame
from penguins.preprocessing import preprocess
from penguins.schedules import step_decay
from penguins.spec import KERAS_DEFAULT_BATCH_SIZE, NetworkSpec
from penguins.sweep import SweepResult

SPLITS = ("train", "test")
# How far past its first cycle the per-step figure draws cosine decay: a quarter of a cycle more,
# so that the first restart shows.
RESTART_MARGIN = 0.25
# Cosine decay "keeps" its learning rate when the last step trained still has over half of the first.
NEARLY_KEPT = 0.5


def run_facts(result: SweepResult, spec: NetworkSpec) -> dict[str, str]:
    """What a chapter says of an experiment's seeds and of the network its runs share."""
    return {
        "preset": result.preset,
        "n_seeds": str(len(result.seeds)),
        "seed_text": fmt_seeds(result.seeds),
        "n_layers": str(len(spec.hidden)),
        "nodes": str(spec.hidden[0]),
        "batch_size": str(spec.batch_size),
        "epochs": str(spec.epochs),
    }


def step_decay_defaults() -> dict[str, Any]:
    """The constants of the post's ``step_decay``: its keyword defaults (``start``, ``drop``, ``epochs_drop``).

    As :func:`penguins.schedules.step_decay` keeps them.
    """
    parameters = inspect.signature(step_decay).parameters
    return {name: parameters[name].default for name in ("start", "drop", "epochs_drop")}


def default_learning_rate() -> float:
    """The learning rate the post's ``get_model`` uses when it is given none."""
    return float(inspect.signature(get_model).parameters["lr"].default)


def cosine_schedule(spec: NetworkSpec) -> keras.optimizers.schedules.CosineDecayRestarts:
    """Keras' ``CosineDecayRestarts`` as the post makes it: the spec's rate and first cycle."""
    return keras.optimizers.schedules.CosineDecayRestarts(spec.learning_rate, spec.first_decay_steps)


def steps_per_epoch(spec: NetworkSpec, seed: int) -> int:
    """Optimizer steps in one epoch: the training set of ``seed``'s split in batches of the spec's size."""
    return math.ceil(len(preprocess("post", seed=seed).y_train) / (spec.batch_size or KERAS_DEFAULT_BATCH_SIZE))


def step_rates(spec: NetworkSpec, n_steps: int, per_epoch: int) -> list[float]:
    """The step-decay rate at each of ``n_steps`` optimizer steps: Keras sets it once an epoch."""
    return [
        step_decay(step // per_epoch, spec.learning_rate, spec.step_drop, spec.step_every) for step in range(n_steps)
    ]


def cosine_rates(schedule: Any, n_steps: int) -> list[float]:
    """A Keras learning-rate schedule's rate at each of ``n_steps`` optimizer steps."""
    return [float(rate) for rate in np.asarray(schedule(np.arange(n_steps)))]


def logged_rates(result: SweepResult) -> list[list[float]]:
    """The learning rate each seed's step-decay run logged, epoch by epoch."""
    return [list(result.record("step-decay", seed).history["learning_rate"]) for seed in result.seeds]


def expected_rates(spec: NetworkSpec) -> list[float]:
    """What ``step_decay`` gives for each epoch of ``spec`` (Keras counts epochs from 0)."""
    return [step_decay(epoch, spec.learning_rate, spec.step_drop, spec.step_every) for epoch in range(spec.epochs)]


class SchedulesPage(Page):
    """Step decay and cosine decay with restarts: their rates, the runs' curves and the post's scores."""

    chapter = "schedules"

    def step_decay_settings(self, spec: NetworkSpec) -> Styler:
        """The post's constants (``step_decay``'s defaults) beside what the step-decay run passes it."""
        names = self.words("settings-columns")
        rows = self.words("settings-rows")
        defaults = step_decay_defaults()
        passed = {"start": spec.learning_rate, "drop": spec.step_drop, "epochs_drop": spec.step_every}
        frame = pd.DataFrame(
            {
                names["setting"]: [rows[name] for name in defaults],
                names["argument"]: list(defaults),
                names["default"]: [f"{value:g}" for value in defaults.values()],
                names["spec"]: [f"{passed[name]:g}" for name in defaults],
            }
        )
        return self.table(frame)

    def logged_rates(self, schedules: SweepResult) -> Figure:
        """The learning rate the first seed's step-decay run logged in each epoch."""
        return plotting.plot_learning_rate(logged_rates(schedules)[0], self.language)

    def rates_by_step(self, schedules: SweepResult, cosine: Any) -> Figure:
        """Both schedules' rates at every optimizer step, a little past cosine decay's first cycle.

        The steps the runs trained are shaded.
        """
        step_spec = network_spec("step-decay")
        per_epoch = steps_per_epoch(step_spec, schedules.seeds[0])
        first_cycle = cosine.get_config()["first_decay_steps"]
        horizon = first_cycle + int(RESTART_MARGIN * first_cycle)
        curves = {
            self.run_name("step-decay"): step_rates(step_spec, horizon, per_epoch),
            self.run_name("cosine-decay"): cosine_rates(cosine, horizon),
        }
        trained = self.words("trained-band").format(epochs=step_spec.epochs)
        return plotting.plot_schedules_by_step(curves, per_epoch * step_spec.epochs, trained, self.language)

    def training_curves(self, schedules: SweepResult) -> Figure:
        """Training accuracy per epoch for each schedule, side by side: mean over seeds and range."""
        fig, axes = plt.subplots(1, len(schedules.values), figsize=(plotting.COLUMN_WIDTH, 3.4), sharey=True)
        for ax, run in zip(axes, schedules.values, strict=True):
            histories = [schedules.record(run, seed).history for seed in schedules.seeds]
            plotting.plot_history(histories, ["accuracy"], self.language, ax=ax)
            ax.set_title(self.run_name(run))
        axes[-1].set_ylabel("")
        fig.tight_layout()
        return fig

    def accuracy_table(self, schedules: SweepResult) -> Styler:
        """Train and test accuracy per schedule: the post's run, the first seed, and over seeds."""
        return self.table(tables.accuracy_table(schedules, self.language, post=post_accuracies(schedules.values)))

    def verdict_table(self, schedules: SweepResult) -> Styler:
        """The ledger's verdicts on the post's accuracies of the two schedules."""
        return self.table(verdict_frame(schedules, self))

    def facts(self, schedules: SweepResult) -> Facts:
        """Every number and result-dependent word the chapter's prose shows."""
        step_spec = network_spec("step-decay")
        return Facts(
            **run_facts(schedules, step_spec),
            start_lr=f"{step_spec.learning_rate:g}",
            default_lr=fmt_lr(default_learning_rate()),
            lr_ratio=fmt_int(round(step_spec.learning_rate / default_learning_rate())),
            keras_version=schedules.record("step-decay", schedules.seeds[0]).versions["keras"],
            **self._step_decay(schedules, step_spec),
            **self._cosine(schedules),
            **self._losses(schedules),
            **self._scores(schedules),
        )

    def _step_decay(self, schedules: SweepResult, spec: NetworkSpec) -> dict[str, str]:
        expected = expected_rates(spec)
        same = all(np.allclose(rates, expected) for rates in logged_rates(schedules))
        evidence = Evidence.from_sweeps(
            schedules.preset, schedules.variant, schedules.seeds, {"lr-schedules": schedules}
        )
        return {
            "drop": f"{spec.step_drop:g}",
            "every": str(spec.step_every),
            "last_step_lr": fmt_num(expected[-1], 3),
            "logged": self.words("logged", "same" if same else "different"),
            "rates_verdict": self.verdict(claim("step-decay-rates").evaluate(evidence).verdict),
        }

    def _cosine(self, schedules: SweepResult) -> dict[str, str]:
        spec = network_spec("cosine-decay")
        per_epoch = steps_per_epoch(spec, schedules.seeds[0])
        trained = per_epoch * spec.epochs
        cosine = cosine_schedule(spec)
        restarts = trained > spec.first_decay_steps
        restart_epoch = spec.first_decay_steps // per_epoch + 1  # counted from 1: the epoch holding that step
        last = float(cosine(trained - 1))
        by_step = {
            "step": float(np.mean(step_rates(network_spec("step-decay"), trained, per_epoch))),
            "cosine": float(np.mean(cosine_rates(cosine, trained))),
        }
        return {
            "n_train": str(len(preprocess("post", seed=schedules.seeds[0]).y_train)),
            "steps_per_epoch": str(per_epoch),
            "trained_steps": fmt_int(trained),
            "first_decay_steps": fmt_int(spec.first_decay_steps),
            "cycle_share": fmt_pct(trained / spec.first_decay_steps, digits=0),
            "restart": self.words("restart", "some" if restarts else "none").format(epoch=restart_epoch),
            "t_mul": f"{cosine.get_config()['t_mul']:g}",
            "last_cosine_lr": fmt_num(last, 3),
            "last_cosine_share": fmt_pct(last / spec.learning_rate, digits=0),
            "decay_story": self.words("decay-story", "fine" if last / spec.learning_rate > NEARLY_KEPT else "large"),
            "mean_step": fmt_num(by_step["step"], 3),
            "mean_cosine": fmt_num(by_step["cosine"], 3),
            "mean_cosine_ro": with_particle(fmt_num(by_step["cosine"], 3), "으로"),
            "mean_story": self._mean_story(by_step["cosine"], by_step["step"]),
            "keeps_story": self.words("keeps-story", "higher" if by_step["cosine"] >= by_step["step"] else "lower"),
        }

    def _mean_story(self, cosine: float, step: float) -> str:
        if cosine >= step:
            return self.words("mean-story", "higher").format(ratio=fmt_num(cosine / step, 1))
        return self.words("mean-story", "lower").format(ratio=fmt_num(step / cosine, 1))

    def _losses(self, schedules: SweepResult) -> dict[str, str]:
        last = {
            run: float(np.mean([schedules.record(run, seed).history["loss"][-1] for seed in schedules.seeds]))
            for run in schedules.values
        }
        larger = last["cosine-decay"] > last["step-decay"]
        return {
            "last_step_loss": fmt_num(last["step-decay"], 3),
            "last_cosine_loss": fmt_num(last["cosine-decay"], 3),
            "last_cosine_loss_ro": with_particle(fmt_num(last["cosine-decay"], 3), "으로"),
            "loss_comparison": self.words("loss-comparison", "larger" if larger else "smaller"),
        }

    def _scores(self, schedules: SweepResult) -> dict[str, Any]:
        summary = schedules.summary("test_accuracy").set_index(schedules.experiment.parameter)
        post = post_accuracies(schedules.values)
        tests = {
            run: [record.test_accuracy for record in schedules.records[index]]
            for index, run in enumerate(schedules.values)
        }
        difference = t_interval(np.subtract(tests["cosine-decay"], tests["step-decay"]))
        meaning = "cosine" if difference.low > 0 else "step" if difference.high < 0 else "neither"
        dash = self.words("range-dash")
        return {
            "confidence": fmt_pct(CONFIDENCE, digits=0),
            "post_test": {run: fmt_pct(post[run][1]) for run in schedules.values},
            "test_mean": {run: fmt_pct(summary.loc[run, "mean"]) for run in schedules.values},
            "test_ci": {
                run: f"{fmt_pct(summary.loc[run, 'ci_low'])}{dash}{fmt_pct(summary.loc[run, 'ci_high'])}"
                for run in schedules.values
            },
            "gap": fmt_points(difference.mean, sign=True),
            "gap_ci": self.words("interval").format(
                low=fmt_points(difference.low, sign=True), high=fmt_points(difference.high, sign=True)
            ),
            "gap_meaning": self.words("gap-meaning", meaning),
        }
