"""The ledger's rules: stated statistical procedures that turn per-seed numbers into a verdict.

Every rule takes plain numbers (per-seed values, or per-seed paired differences) and returns a
:class:`Verdict`: one of :data:`VERDICTS`, the reason with our numbers, the procedure's name and
its level, and for a conclusion the :class:`Effect` it rests on (an estimate, its interval and the
margin it is held against), which the reproduction chapter draws. The seeds are the independent
units: every test below treats one seed as one observation, and comparisons between points of one
experiment are paired by seed (the same seed is the same split). The level of every test is
``ALPHA`` (5 %).

Three families of rules, by what the post states:

- **a single run** (an accuracy, an epoch): the post's number is one draw of its code. H0: it comes
  from the distribution our seeds sample. :func:`single_run` holds it against the predictive
  distribution of one more run; there is no "undecided" outcome.
- **a fact**: :func:`exact` compares measured values with the stated one.
- **a conclusion**, an effect against a margin ``delta`` that the ledger reads into the post's
  words. For "b is better by at least delta" (:func:`at_least`), "no gain beyond delta"
  (:func:`no_gain_beyond`), "about the same within delta" (:func:`within_margin`, equivalence by two
  one-sided tests), trends (:func:`trend`) and contrasts (:func:`contrast`): ``reproduced`` when the
  data reject the opposite of the claim, ``not reproduced`` when they reject the claim itself, and
  ``within seed noise`` when they reject neither. A claim about a family of comparisons (every depth
  against depth 2) is ``reproduced`` only if every comparison rejects its opposite (an
  intersection-union test, valid at ``ALPHA`` without correction), and ``not reproduced`` if at
  least one comparison rejects the claim after Holm's correction over the family. Claims about
  stability work on the variance-stabilised scale of counts (Anscombe's arcsine), so that the
  spread that shrinks as an accuracy nears 1 is not read as stability.

``tests/test_claims_rules.py`` feeds every rule synthetic evidence where the truth is known and
checks its error rates and power by simulation; the rates each docstring states come from there.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from penguins.uncertainty import CONFIDENCE

# Per-seed values as a rule takes them: a list, or the NumPy array a table column gives.
Values = Sequence[float] | np.ndarray

VERDICTS = ("reproduced", "within seed noise", "not reproduced", "not checkable")
REPRODUCED, NOISE, NOT_REPRODUCED, NOT_CHECKABLE = VERDICTS
ALPHA = 1 - CONFIDENCE


class NotCheckable(Exception):
    """Raised inside a check when the evidence lacks what its rule needs; the message says what."""


@dataclass(frozen=True)
class Effect:
    """What a conclusion's verdict rests on.

    An estimate, its ``confidence`` interval and the region ``margin`` = (low, high) the claim
    allows (``-inf`` / ``inf`` for an open side).
    """

    what: str
    estimate: float
    low: float
    high: float
    margin: tuple[float, float]
    confidence: float
    unit: str = "points"  # how to show it: "points" (fractions as percentage points), "tau", "count"


@dataclass(frozen=True)
class Verdict:
    """A rule's outcome.

    One of :data:`VERDICTS`, why (with our numbers), our value in short, the procedure that decided
    it, its level, and the effect behind it (conclusions).
    """

    verdict: str
    reason: str
    ours: str = ""
    test: str = ""
    level: float | None = None
    effect: Effect | None = None
    numbers: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {self.verdict!r}")


def not_checkable(reason: str) -> Verdict:
    """The verdict of a claim the evidence cannot judge, with the ``reason``."""
    return Verdict(NOT_CHECKABLE, reason)


# --------------------------------------------------------------------------- t statistics


@dataclass(frozen=True)
class Mean:
    """The mean of per-seed values with its standard error: what every t-test below starts from.

    ``floor`` is the least standard deviation the values are allowed: a difference measured in
    whole test penguins is not known better than one penguin per seed, even when every seed gives
    the same difference.
    """

    n: int
    mean: float
    sd: float
    floor: float = 0.0

    @classmethod
    def of(cls, values: Values, floor: float = 0.0) -> Mean:
        """The mean of the finite ``values``, its standard error floored at ``floor`` (a count's resolution)."""
        array = np.asarray(values, dtype=float)
        array = array[np.isfinite(array)]
        if len(array) < 2:
            raise NotCheckable(f"needs per-seed values from at least 2 seeds, got {len(array)}")
        return cls(len(array), float(array.mean()), float(array.std(ddof=1)), floor)

    @property
    def se(self) -> float:
        """The standard error of the mean, with the standard deviation floored (never 0 on ties)."""
        return max(self.sd, self.floor) / math.sqrt(self.n)

    def p_greater(self, value: float) -> float:
        """One-sided p-value of H0: mean <= ``value`` against H1: mean > ``value``."""
        if self.se == 0:  # every seed the same, with no floor (a rank statistic): the data are exact
            return 0.0 if self.mean > value else 1.0
        return float(special.stdtr(self.n - 1, -(self.mean - value) / self.se))  # the t law's survival function

    def p_less(self, value: float) -> float:
        """One-sided p-value of H0: mean >= ``value`` against H1: mean < ``value``."""
        if self.se == 0:
            return 0.0 if self.mean < value else 1.0
        return float(special.stdtr(self.n - 1, (self.mean - value) / self.se))

    def interval(self, confidence: float) -> tuple[float, float]:
        """Student's t interval of the mean at ``confidence``."""
        half = float(special.stdtrit(self.n - 1, 1 - (1 - confidence) / 2)) * self.se
        return self.mean - half, self.mean + half


@dataclass(frozen=True)
class Interval:
    """Mean, sample sd and a Student-t interval of the mean of per-seed values (for pages)."""

    n: int
    mean: float
    sd: float
    low: float
    high: float
    min: float
    max: float
    confidence: float
    comparisons: int = 1


def t_interval(values: Values, confidence: float = CONFIDENCE, comparisons: int = 1) -> Interval:
    """The Student-t interval of the mean of per-seed ``values`` (at least two).

    ``comparisons`` > 1 widens it so that that many intervals hold together (Bonferroni), as a page
    needs when it shows a family of them.
    """
    from penguins.uncertainty import mean_interval

    array = np.asarray(list(values), dtype=float)
    if len(array) < 2:
        raise NotCheckable(f"needs per-seed values from at least 2 seeds, got {len(array)}")
    mean, low, high = mean_interval(array, confidence, comparisons)
    return Interval(
        len(array), mean, float(array.std(ddof=1)), low, high, float(array.min()), float(array.max()),
        confidence, comparisons,
    )


def holm_any(pvalues: Values, alpha: float = ALPHA) -> list[bool]:
    """Which hypotheses Holm's step-down procedure rejects at family level ``alpha``.

    Sorted ascending, the i-th smallest p-value (from 0) is rejected while every one up to it is
    below ``alpha / (m - i)``. The same decisions as
    ``statsmodels.stats.multitest.multipletests(..., method="holm")`` (a test checks it), without
    the garbage collection statsmodels runs on every call, which made the rules' simulations a
    hundred times slower.
    """
    p = np.asarray(pvalues, dtype=float)
    order = np.argsort(p, kind="stable")
    below = p[order] <= alpha / np.arange(len(p), 0, -1)
    kept = np.cumprod(below).astype(bool)  # step down: stop at the first p-value not below its bound
    rejected = np.zeros(len(p), dtype=bool)
    rejected[order] = kept
    return rejected.tolist()


# --------------------------------------------------------------------------- facts


def exact(observed: Sequence[Any], stated: Any, what: str, equal: Any) -> Verdict:
    """Exact fact, measured: ``reproduced`` iff every observed value equals the post's, else ``not reproduced``.

    ``equal`` decides equality. A measurement, not a test: no level.
    """
    observed = list(observed)
    if not observed:
        raise NotCheckable(f"no {what} was observed")
    distinct: list[Any] = []
    for value in observed:
        if not any(equal(value, seen) for seen in distinct):
            distinct.append(value)
    ours = " / ".join(fmt(value) for value in distinct)
    where = f" on all {len(observed)} seeds" if len(observed) > 1 else ""
    test = "measurement, equality"
    if len(distinct) == 1 and equal(distinct[0], stated):
        return Verdict(REPRODUCED, f"we measure {what} {ours}{where}, as the post states", ours, test)
    if len(distinct) == 1:
        return Verdict(NOT_REPRODUCED, f"we measure {what} {ours}{where}; the post states {fmt(stated)}", ours, test)
    return Verdict(NOT_REPRODUCED, f"{what} differs between seeds ({ours}); the post states {fmt(stated)}", ours, test)


# --------------------------------------------------------------------------- a single run


def single_run(values: Values, stated: float, what: str, examples: int | None = None) -> Verdict:
    """One run of the post against the predictive distribution of one run of ours.

    H0: the post's run is one more draw from the distribution our seeds sample; H1: it is not.
    An accuracy is a count of right answers out of ``examples`` (the 69 test or 275 training
    penguins); other values (an epoch) are whole numbers. The post's printed number stands for every
    count its rounding allows; the one nearest our mean is tested. The predictive statistic is
    ``t = (|k - mean| - 1/2) / (s * sqrt(1 + 1/n))`` with ``n - 1`` degrees of freedom, the 1/2 a
    continuity correction for whole counts, and ``s`` the seeds' standard deviation but never less
    than the binomial spread of ``examples`` answers at our (Jeffreys-smoothed) mean accuracy, so
    that seeds that all reach 100 % do not make a zero-width interval (for whole numbers, at least
    1/2). ``not reproduced`` if the two-sided p-value is below ``ALPHA``, else ``reproduced``.
    Simulated (tests/test_claims_rules.py): false "not reproduced" at most 5 % at 10 and 30 seeds,
    from middling accuracies to the ceiling; a run 25 points below a mean of 80 % (runs scattered
    by 4 points besides the binomial spread of 69 penguins) is found with at least 80 % power from
    10 seeds. One run is a noisy thing: smaller departures often pass.
    """
    array = np.asarray(values, dtype=float)
    array = array[np.isfinite(array)]
    n = len(array)
    if n < 2:
        raise NotCheckable(f"needs per-seed values from at least 2 seeds, got {n}")
    scale = examples or 1
    counts = array * scale
    mean, sd = float(counts.mean()), float(counts.std(ddof=1))
    low, high = _rounded_range(stated, scale)
    nearest = min(max(mean, low), high)
    if examples:
        smoothed = (counts.sum() + 0.5) / (n * examples + 1)
        floor = math.sqrt(examples * smoothed * (1 - smoothed))
    else:
        floor = 0.5
    spread = max(sd, floor) * math.sqrt(1 + 1 / n)
    t = max(abs(nearest - mean) - 0.5, 0.0) / spread
    p = float(2 * special.stdtr(n - 1, -t))
    unit = f" (of {examples})" if examples else ""
    ours = f"{mean / scale:.3f} ± {sd / scale:.3f} (n={n})"
    test = "prediction of one run, Student t on counts"
    numbers = {"mean": mean / scale, "sd": sd / scale, "t": t, "p": p, "n": n}
    text = (
        f"the post's {what} {fmt(stated)} (a count{unit} of {fmt_count(low)}"
        + (f"–{fmt_count(high)}" if high > low else "")
        + f") against one run of ours: mean {mean / scale:.3f}, sd {sd / scale:.3f} over {n} seeds, "
        f"predictive t = {t:.2f}, two-sided p = {p:.3g}"
    )
    if p < ALPHA:
        return Verdict(
            NOT_REPRODUCED, f"{text}: one of our runs would rarely give it", ours, test, ALPHA, numbers=numbers
        )
    return Verdict(REPRODUCED, f"{text}: one of our runs could give it", ours, test, ALPHA, numbers=numbers)


def _rounded_range(stated: float, scale: int) -> tuple[float, float]:
    """The whole counts (of ``scale``) a number rounded as the post printed it can stand for."""
    half = half_unit(stated)
    low = math.ceil(round((stated - half) * scale, 9))
    high = math.floor(round((stated + half) * scale, 9))
    if low > high:  # the printed number falls between two counts: take both neighbours
        low, high = math.floor(stated * scale), math.ceil(stated * scale)
    return float(low), float(high)


# --------------------------------------------------------------------------- conclusions


def at_least(differences: Values, delta: float, what: str, floor: float = 0.0) -> Verdict:
    """Claimed effect of at least ``delta``, on paired per-seed differences (one-sided t-tests).

    ``reproduced`` if H0: mean <= delta is rejected (the effect is surely at least ``delta``);
    ``not reproduced`` if H0: mean >= delta is rejected (it is surely smaller); else ``within seed
    noise``. Simulated: each wrong verdict at most 5 % when the true effect sits on ``delta``.
    """
    mean = Mean.of(differences, floor)
    p_above, p_below = mean.p_greater(delta), mean.p_less(delta)
    low, high = mean.interval(1 - 2 * ALPHA)
    effect = Effect(what, mean.mean, low, high, (delta, math.inf), 1 - 2 * ALPHA)
    test, ours = f"one-sided paired t against {delta:+.3f}", f"{mean.mean:+.3f} (n={mean.n})"
    text = (
        f"mean {what} {mean.mean:+.3f}, {1 - 2 * ALPHA:.0%} interval [{low:+.3f}, {high:+.3f}]; "
        f"claimed at least {delta:+.3f}"
    )
    numbers = {"mean": mean.mean, "p_above": p_above, "p_below": p_below, "n": mean.n}
    if p_above < ALPHA:
        return Verdict(REPRODUCED, f"{text}: above it (p = {p_above:.3g})", ours, test, ALPHA, effect, numbers)
    if p_below < ALPHA:
        return Verdict(NOT_REPRODUCED, f"{text}: below it (p = {p_below:.3g})", ours, test, ALPHA, effect, numbers)
    return Verdict(NOISE, f"{text}: neither surely above nor surely below", ours, test, ALPHA, effect, numbers)


def no_gain_beyond(
    differences: Mapping[Any, Values], delta: float, what: str, floor: float = 0.0, some: bool = False
) -> Verdict:
    """No gain beyond ``delta`` in a family of paired comparisons ``{name: per-seed gains}``.

    For every comparison (``some=False``): ``reproduced`` if every comparison rejects H0: gain >=
    delta (one-sided t, each at ``ALPHA``: an intersection-union test); ``not reproduced`` if Holm's
    correction over the family keeps at least one rejection of H0: gain <= delta. For some
    comparison (``some=True``, e.g. "a network did about as well as the baseline": logistic
    regression gains less than ``delta`` over some network): ``reproduced`` if Holm's correction
    keeps one rejection of H0: gain >= delta; ``not reproduced`` if every comparison rejects H0:
    gain <= delta. Otherwise ``within seed noise``. Simulated: each wrong verdict at most 5 % with
    every gain on ``delta``; with no gain anywhere, 30 seeds and 20 comparisons reproduce it with
    the power stated in the test.
    """
    if not differences:
        raise NotCheckable("no comparisons to make")
    means = {name: Mean.of(values, floor) for name, values in differences.items()}
    p_below = {name: mean.p_less(delta) for name, mean in means.items()}
    p_above = {name: mean.p_greater(delta) for name, mean in means.items()}
    if some:
        return _some_below(means, p_below, p_above, delta, what)
    above = dict(zip(p_above, holm_any(list(p_above.values())), strict=True))
    worst = max(means, key=lambda name: means[name].mean)
    least_sure = max(p_below, key=lambda name: p_below[name])
    low, high = means[worst].interval(1 - 2 * ALPHA)
    effect = Effect(f"{what}, largest: {fmt(worst)}", means[worst].mean, low, high, (-math.inf, delta), 1 - 2 * ALPHA)
    test = f"intersection-union of one-sided paired t below {delta:+.3f} over {len(means)}; Holm for a gain above it"
    ours = f"{means[worst].mean:+.3f} ({fmt(worst)})"
    numbers = {"largest": means[worst].mean, "max_p_below": p_below[least_sure], "comparisons": len(means)}
    text = (
        f"{len(means)} comparisons of {what}; largest mean gain {means[worst].mean:+.3f} ({fmt(worst)}), "
        f"{1 - 2 * ALPHA:.0%} interval [{low:+.3f}, {high:+.3f}]; margin {delta:+.3f}"
    )
    if all(p < ALPHA for p in p_below.values()):
        return Verdict(
            REPRODUCED,
            f"{text}: every gain is surely below the margin (largest p = {p_below[least_sure]:.3g})",
            ours, test, ALPHA, effect, numbers,
        )
    beyond = [name for name, rejected in above.items() if rejected]
    if beyond:
        names = ", ".join(fmt(name) for name in beyond[:5]) + (" ..." if len(beyond) > 5 else "")
        return Verdict(
            NOT_REPRODUCED,
            f"{text}: {len(beyond)} gain(s) surely beyond it after Holm's correction ({names})",
            ours, test, ALPHA, effect, numbers,
        )
    undecided = sum(p >= ALPHA for p in p_below.values())
    return Verdict(
        NOISE,
        f"{text}: {undecided} of {len(means)} comparisons are not surely below the margin, none surely beyond it",
        ours, test, ALPHA, effect, numbers,
    )


def _some_below(
    means: Mapping[Any, Mean], p_below: Mapping[Any, float], p_above: Mapping[Any, float], delta: float, what: str
) -> Verdict:
    """:func:`no_gain_beyond` for some comparison of the family (a union of alternatives)."""
    best = min(means, key=lambda name: means[name].mean)
    low, high = means[best].interval(1 - 2 * ALPHA)
    effect = Effect(f"{what}, smallest: {fmt(best)}", means[best].mean, low, high, (-math.inf, delta), 1 - 2 * ALPHA)
    test = f"one-sided paired t below {delta:+.3f} for some of {len(means)}, Holm; intersection-union for none"
    ours = f"{means[best].mean:+.3f} ({fmt(best)})"
    numbers = {"smallest": means[best].mean, "p_below": p_below[best], "comparisons": len(means)}
    text = (
        f"{len(means)} comparisons of {what}; smallest mean gain {means[best].mean:+.3f} ({fmt(best)}), "
        f"{1 - 2 * ALPHA:.0%} interval [{low:+.3f}, {high:+.3f}]; margin {delta:+.3f}"
    )
    kept = [name for name, rejected in zip(p_below, holm_any(list(p_below.values())), strict=True) if rejected]
    if kept:
        names = ", ".join(fmt(name) for name in kept)
        return Verdict(
            REPRODUCED,
            f"{text}: surely below the margin after Holm's correction for {names}",
            ours, test, ALPHA, effect, numbers,
        )
    if all(p < ALPHA for p in p_above.values()):
        return Verdict(
            NOT_REPRODUCED, f"{text}: every gain is surely above the margin", ours, test, ALPHA, effect, numbers
        )
    return Verdict(
        NOISE,
        f"{text}: none is surely below the margin, not every one surely above it",
        ours, test, ALPHA, effect, numbers,
    )


def within_margin(
    differences: Mapping[Any, Values], delta: float, what: str, floor: float = 0.0, some: bool = False
) -> Verdict:
    """Equivalence within ±``delta`` of paired per-seed differences, by two one-sided t-tests (TOST).

    For every comparison (``some=False``): ``reproduced`` if each one's TOST p-value is below
    ``ALPHA`` (intersection-union); ``not reproduced`` if Holm over the family's one-sided tests
    finds one difference surely beyond ±``delta``. For some comparison (``some=True``, e.g. "some
    network matches the baseline"): ``reproduced`` if Holm over the TOST p-values keeps one
    equivalence; ``not reproduced`` if every comparison is surely beyond the margin (each at
    ``ALPHA``). Otherwise ``within seed noise``. Simulated: each wrong verdict at most 5 % with the
    true difference on the margin; equal means are found equivalent with the power in the test.
    """
    if not differences:
        raise NotCheckable("no comparisons to make")
    means = {name: Mean.of(values, floor) for name, values in differences.items()}
    tost = {name: max(mean.p_greater(-delta), mean.p_less(delta)) for name, mean in means.items()}
    beyond = {name: min(mean.p_greater(delta), mean.p_less(-delta)) for name, mean in means.items()}
    shown = max(means, key=lambda name: abs(means[name].mean)) if not some else min(tost, key=lambda name: tost[name])
    low, high = means[shown].interval(1 - 2 * ALPHA)
    effect = Effect(f"{what}: {fmt(shown)}", means[shown].mean, low, high, (-delta, delta), 1 - 2 * ALPHA)
    ours = (
        f"{means[shown].mean:+.3f} ({fmt(shown)})"
        if len(means) > 1
        else f"{means[shown].mean:+.3f} (n={means[shown].n})"
    )
    text = (
        f"{what}: mean difference {means[shown].mean:+.3f}" + (f" ({fmt(shown)})" if len(means) > 1 else "")
        + f", {1 - 2 * ALPHA:.0%} interval [{low:+.3f}, {high:+.3f}]; margin ±{delta:.3f}"
    )
    numbers = {"mean": means[shown].mean, "p_tost": tost[shown], "comparisons": len(means)}
    if some:
        test = f"TOST at ±{delta:.3f} for some of {len(means)}, Holm; intersection-union for none"
        kept = [name for name, rejected in zip(tost, holm_any(list(tost.values())), strict=True) if rejected]
        if kept:
            return Verdict(
                REPRODUCED,
                f"{text}: equivalent after Holm's correction over {len(means)}",
                ours, test, ALPHA, effect, numbers,
            )
        if all(p < ALPHA for p in beyond.values()):
            return Verdict(
                NOT_REPRODUCED,
                f"{text}: every comparison is surely beyond the margin",
                ours, test, ALPHA, effect, numbers,
            )
        return Verdict(
            NOISE,
            f"{text}: none is surely within the margin, not every one surely beyond it",
            ours, test, ALPHA, effect, numbers,
        )
    test = f"TOST at ±{delta:.3f}" + (
        f", intersection-union over {len(means)}; Holm for a difference beyond it" if len(means) > 1 else ""
    )
    if all(p < ALPHA for p in tost.values()):
        return Verdict(
            REPRODUCED,
            f"{text}: surely within the margin (TOST p = {max(tost.values()):.3g})",
            ours, test, ALPHA, effect, numbers,
        )
    outside = [name for name, rejected in zip(beyond, holm_any(list(beyond.values())), strict=True) if rejected]
    if outside:
        return Verdict(
            NOT_REPRODUCED,
            f"{text}: {len(outside)} difference(s) surely beyond the margin",
            ours, test, ALPHA, effect, numbers,
        )
    return Verdict(
        NOISE, f"{text}: neither surely within nor surely beyond the margin", ours, test, ALPHA, effect, numbers
    )


def trend(table: pd.DataFrame, direction: int, what: str, min_points: int) -> Verdict:
    """Monotone trend of a score with a swept value.

    Kendall's τ within each seed (scipy), then a one-sample t-test of the seeds' τ: ``reproduced``
    if the mean τ has the claimed sign (one-sided p below ``ALPHA``), ``not reproduced`` if it has
    the other sign, else ``within seed noise``. ``table`` is seeds x values. Needs ``min_points``
    values. Simulated: each wrong verdict at most 5 % with no trend; a trend of a few points over
    the sweep is found from 10 seeds.
    """
    if table.shape[1] < min_points:
        raise NotCheckable(f"needs at least {min_points} values, got {table.shape[1]}")
    mean = Mean.of(direction * kendall_taus(table.columns, table.to_numpy(dtype=float)))
    p_claimed, p_other = mean.p_greater(0.0), mean.p_less(0.0)
    low, high = mean.interval(1 - 2 * ALPHA)
    effect = Effect(what, mean.mean, low, high, (0.0, math.inf), 1 - 2 * ALPHA, unit="tau")
    test, ours = "Kendall τ per seed, one-sided t over seeds", f"τ {direction * mean.mean:+.3f} (n={mean.n})"
    text = (
        f"Kendall τ of {what} over {table.shape[1]} values, mean over {mean.n} seeds {direction * mean.mean:+.3f} "
        f"(claimed sign {'+' if direction > 0 else '-'})"
    )
    numbers = {"tau": direction * mean.mean, "p_claimed": p_claimed, "p_other": p_other}
    if p_claimed < ALPHA:
        return Verdict(REPRODUCED, f"{text}: p = {p_claimed:.3g}", ours, test, ALPHA, effect, numbers)
    if p_other < ALPHA:
        return Verdict(NOT_REPRODUCED, f"{text}: the other way, p = {p_other:.3g}", ours, test, ALPHA, effect, numbers)
    return Verdict(
        NOISE, f"{text}: no sure trend (p = {p_claimed:.3g} / {p_other:.3g})", ours, test, ALPHA, effect, numbers
    )


def contrast(differences: Values, what: str, unit: str = "points", floor: float = 0.0) -> Verdict:
    """A contrast claimed positive, on per-seed values (e.g. balanced minus extreme shapes).

    One-sided t-tests against 0: ``reproduced`` if surely above, ``not reproduced`` if surely below,
    else ``within seed noise``. Simulated: each wrong verdict at most 5 % with no difference.
    """
    mean = Mean.of(differences, floor)
    p_above, p_below = mean.p_greater(0.0), mean.p_less(0.0)
    low, high = mean.interval(1 - 2 * ALPHA)
    effect = Effect(what, mean.mean, low, high, (0.0, math.inf), 1 - 2 * ALPHA, unit=unit)
    test, ours = "one-sided paired t against 0", f"{mean.mean:+.3f} (n={mean.n})"
    text = f"mean {what} {mean.mean:+.3f}, {1 - 2 * ALPHA:.0%} interval [{low:+.3f}, {high:+.3f}]"
    numbers = {"mean": mean.mean, "p_above": p_above, "p_below": p_below}
    if p_above < ALPHA:
        return Verdict(REPRODUCED, f"{text}: surely above 0 (p = {p_above:.3g})", ours, test, ALPHA, effect, numbers)
    if p_below < ALPHA:
        return Verdict(
            NOT_REPRODUCED, f"{text}: surely below 0 (p = {p_below:.3g})", ours, test, ALPHA, effect, numbers
        )
    return Verdict(NOISE, f"{text}: not surely either side of 0", ours, test, ALPHA, effect, numbers)


def spread_deviations(table: pd.DataFrame, examples: int) -> pd.DataFrame:
    """Brown–Forsythe deviations on the variance-stabilised scale.

    For accuracies (seeds x values) out of ``examples`` answers, Anscombe's arcsine
    ``asin(sqrt((k + 3/8) / (N + 3/4)))``, then each seed's absolute distance from that value's
    median over seeds. Their mean is a spread that does not shrink merely because the accuracy nears
    1 (a binomial's spread on this scale is about ``1 / (2 sqrt(N))`` at any accuracy).
    """
    counts = table * examples
    stabilised = np.arcsin(np.sqrt((counts + 3 / 8) / (examples + 3 / 4)))
    return (stabilised - stabilised.median(axis=0)).abs()


def stability_trend(table: pd.DataFrame, direction: int, what: str, examples: int, min_points: int) -> Verdict:
    """Stability that changes with a swept value.

    :func:`trend` of the seeds' Brown–Forsythe deviations (:func:`spread_deviations`) with
    ``direction`` the claimed sign of the spread's trend (-1: it shrinks). Seeds stay the units, so
    points that share a seed's split are not counted as independent. Simulated: each wrong verdict
    at most 5 % when only the accuracy (not the spread) rises towards 1.
    """
    if table.shape[0] < 3:
        raise NotCheckable(f"needs per-seed values from at least 3 seeds, got {table.shape[0]}")
    return trend(spread_deviations(table, examples), direction, f"the spread of {what} (arcsine scale)", min_points)


def stability_contrast(
    table: pd.DataFrame, unstable: Sequence[Any], stable: Sequence[Any], what: str, examples: int
) -> Verdict:
    """One group of points less stable than another.

    Per seed, the mean Brown–Forsythe deviation (:func:`spread_deviations`) of the ``unstable``
    points minus that of the ``stable`` ones, then :func:`contrast`. Simulated: each wrong verdict
    at most 5 % with equal spreads.
    """
    if table.shape[0] < 3:
        raise NotCheckable(f"needs per-seed values from at least 3 seeds, got {table.shape[0]}")
    deviations = spread_deviations(table, examples)
    per_seed = deviations[list(unstable)].mean(axis=1) - deviations[list(stable)].mean(axis=1)
    return contrast(per_seed.to_numpy(), f"excess spread of {what} (arcsine scale)", unit="arcsine")


def beats_chance(wins: int, tries: int, chance: float, what: str) -> Verdict:
    """A candidate that a search should pick more often than chance.

    An exact binomial test of its ``wins`` in ``tries`` searches against the rate ``chance`` (1 /
    candidates when the candidates are interchangeable): ``reproduced`` if more often than chance
    (one-sided p below ``ALPHA``), ``not reproduced`` if less often, else ``within seed noise``.
    Simulated: each wrong verdict at most 5 % when the candidates are interchangeable.
    """
    if tries == 0:
        raise NotCheckable(f"no search tried {what}")
    greater = stats.binomtest(wins, tries, chance, alternative="greater").pvalue
    less = stats.binomtest(wins, tries, chance, alternative="less").pvalue
    test, ours = f"exact binomial against chance {chance:.3g}", f"best in {wins} of {tries}"
    text = f"{what} is the best in {wins} of {tries} searches; chance alone gives {chance * tries:.1f}"
    numbers = {"wins": wins, "tries": tries, "chance": chance, "p_greater": greater, "p_less": less}
    if greater < ALPHA:
        return Verdict(
            REPRODUCED, f"{text}: more often than chance (p = {greater:.3g})", ours, test, ALPHA, numbers=numbers
        )
    if less < ALPHA:
        return Verdict(
            NOT_REPRODUCED, f"{text}: less often than chance (p = {less:.3g})", ours, test, ALPHA, numbers=numbers
        )
    return Verdict(
        NOISE, f"{text}: no different from chance (p = {greater:.3g} / {less:.3g})", ours, test, ALPHA, numbers=numbers
    )


# --------------------------------------------------------------------------- helpers


def kendall_taus(values: Sequence[Any], rows: np.ndarray) -> np.ndarray:
    """Kendall's τ_b of each row of ``rows`` (seeds x values) against distinct ``values``.

    0 where it is undefined (a constant row). Equal to ``scipy.stats.kendalltau`` row by row (a test
    checks it, ties included) but one array operation for all seeds, which the rules' simulations
    need.
    """
    if not np.isfinite(rows).all():  # a missing point: scipy, row by row, on the points there are
        return np.array([_kendall_finite(values, row) for row in rows])
    x = np.sign(np.subtract.outer(np.asarray(values, dtype=float), np.asarray(values, dtype=float)))
    y = np.sign(rows[:, :, None] - rows[:, None, :])
    upper = np.triu(np.ones_like(x, dtype=bool), k=1)
    concordance = (x * y)[:, upper].sum(axis=1)
    pairs = upper.sum()
    untied = (y[:, upper] != 0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        tau = concordance / np.sqrt(pairs * untied)
    return np.where(untied > 0, tau, 0.0)


def _kendall_finite(values: Sequence[Any], row: np.ndarray) -> float:
    keep = np.isfinite(row)
    tau = stats.kendalltau(np.asarray(values, dtype=float)[keep], row[keep]).statistic
    return 0.0 if np.isnan(tau) else float(tau)


def decimals(value: float | int) -> int:
    """How many decimals the post wrote: ``0.971`` -> 3, ``11`` -> 0."""
    from decimal import Decimal

    if isinstance(value, (int, np.integer)):
        return 0
    exponent = Decimal(repr(float(value))).as_tuple().exponent
    return max(0, -int(exponent))


def half_unit(value: float | int) -> float:
    """Half a unit of the post's last written digit: the rounding it hides (0.971 -> 0.0005)."""
    places = decimals(value)
    return 0.0 if places == 0 else 0.5 * 10.0 ** (-places)


def fmt(value: Any) -> str:
    """A post or our value for the ledger: numbers as written, tuples and dicts compact."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return format(float(value), ".7g")
    if isinstance(value, tuple):
        return "(" + ", ".join(fmt(item) for item in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(fmt(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{key}: {fmt(item)}" for key, item in value.items()) + "}"
    return str(value)


def fmt_count(value: float) -> str:
    """A count as written: whole numbers without decimals."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
