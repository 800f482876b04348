"""The claims ledger: every number and conclusion the post states, checked against our seeds.

The post's numbers come from single unseeded runs; ours come from the same computation repeated
over seeds (:mod:`penguins.sweep`). Each :class:`Claim` holds what the post says (in Korean, as it
says it, and in English), the value it states, and a *check*: a stated rule that turns our
per-seed records into one verdict of :data:`VERDICTS` and a reason whose numbers are computed.

Verdicts
--------
- ``reproduced``: our results agree with the claim (exact facts: equal; a single-run number:
  consistent with our mean; a conclusion: our estimate agrees and, for a claimed effect, is
  significant at 95 %).
- ``within seed noise``: our seeds cannot settle it: a single-run number that our mean does not
  match but one of our runs could have given; a conclusion whose estimate and interval disagree.
- ``not reproduced``: our results contradict the claim (for conclusions: with 95 % confidence).
- ``not checkable``: the preset lacks what the rule needs (the reason says what is missing), or
  the search results were not computed.

The rules are plain functions (``rule_*``) on per-seed numbers, so they can be tested on small
synthetic tables; each claim's check adapts the experiment records to one of them, and its
docstring is the rule as stated in the ledger's ``rule`` column. Thresholds are the constants
below.

``ledger(preset, seeds, variant, store, jobs)`` runs (or reads from the store) every experiment a
claim needs and returns one row a claim; ``format_ledger`` prints it for a terminal.
"""

from __future__ import annotations

import inspect
import math
import textwrap
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import combinations
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from penguins.presets import check_preset, default_seeds
from penguins.uncertainty import CONFIDENCE, mean_interval

VERDICTS = ("reproduced", "within seed noise", "not reproduced", "not checkable")
REPRODUCED, NOISE, NOT_REPRODUCED, NOT_CHECKABLE = VERDICTS
KINDS = ("fact", "single run", "conclusion", "search")

BIG_GAIN = 0.02  # "큰 향상 / 큰 차이": two points of accuracy (1.4 of the 69 test penguins)
JUMP = 0.05  # "급 상승": a gain of at least five points
FINE = 0.02  # "적당": within two points of the best batch size
MATCH = 0.02  # "만큼은 나온": within two points of the baseline
MIN_TREND_POINTS = 5  # a trend over fewer points is not checked
EXTREME = 5  # shape i : 100 - i is extreme when the smaller layer has at most 5 nodes (1:99 .. 5:95)
BALANCED = (30, 70)  # ... and balanced when the first layer has 30 to 70 nodes (3:7 .. 7:3)
WIDTH_PLATEAU = 80  # "노드 80 이후"
BATCH_LIMIT = 80  # "80 이하"
SEARCH_ABSENT = "search results not computed at this preset"
SEARCH_PRESET = "full"  # the ledger preset at which the post's searches are run
RANDOM_STATE_SCAN = 1000  # random_state values tried to find the post's random-search candidates


# --------------------------------------------------------------------------------------------
# Verdicts and statistics
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """A rule's outcome: one of :data:`VERDICTS`, why (with our numbers) and our value, short."""

    verdict: str
    reason: str
    ours: str = ""

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {self.verdict!r}")


class NotCheckable(Exception):
    """Raised inside a check when the evidence lacks what its rule needs; the message says what."""


def _rule(function: Callable[..., Verdict]) -> Callable[..., Verdict]:
    """Turn a :class:`NotCheckable` raised inside a rule into a ``not checkable`` verdict."""

    def wrapper(*args: Any, **kwargs: Any) -> Verdict:
        try:
            return function(*args, **kwargs)
        except NotCheckable as missing:
            return Verdict(NOT_CHECKABLE, str(missing), "")

    wrapper.__name__ = function.__name__
    wrapper.__qualname__ = function.__qualname__
    wrapper.__doc__ = function.__doc__
    wrapper.__wrapped__ = function  # type: ignore[attr-defined]
    return wrapper


@dataclass(frozen=True)
class Interval:
    """Mean, sample sd and a Student-t interval of the mean of per-seed values."""

    n: int
    mean: float
    sd: float
    low: float
    high: float
    min: float
    max: float
    confidence: float
    comparisons: int

    def text(self, digits: int = 3, signed: bool = False) -> str:
        sign = "+" if signed else ""
        extra = f", Bonferroni over {self.comparisons}" if self.comparisons > 1 else ""
        return (
            f"{self.mean:{sign}.{digits}f} [{self.low:{sign}.{digits}f}, {self.high:{sign}.{digits}f}]"
            f" ({self.confidence:.0%}{extra}, n={self.n})"
        )

    def prediction(self) -> tuple[float, float]:
        """The interval that holds one more run with probability ``confidence``."""
        half = stats.t.ppf(1 - (1 - self.confidence) / 2, self.n - 1) * self.sd * math.sqrt(1 + 1 / self.n)
        return self.mean - half, self.mean + half


def t_interval(values: Iterable[float], confidence: float = CONFIDENCE, comparisons: int = 1) -> Interval:
    """Student-t interval of the mean; ``comparisons`` > 1 widens it (Bonferroni)."""
    array = np.asarray(list(values), dtype=float)
    n = len(array)
    if n < 2:
        raise NotCheckable(f"needs per-seed values from at least 2 seeds, got {n}")
    mean, low, high = mean_interval(array, confidence, comparisons)
    return Interval(n, mean, float(array.std(ddof=1)), low, high, float(array.min()), float(array.max()), confidence, comparisons)


def decimals(value: float | int) -> int:
    """How many decimals the post wrote: ``0.971`` -> 3, ``11`` -> 0."""
    if isinstance(value, (int, np.integer)):
        return 0
    exponent = Decimal(repr(float(value))).as_tuple().exponent
    return max(0, -int(exponent))


def half_unit(value: float | int) -> float:
    """Half a unit of the post's last written digit: the rounding it hides (0.971 -> 0.0005)."""
    places = decimals(value)
    return 0.0 if places == 0 else 0.5 * 10.0 ** (-places)


def _overlaps(a: tuple[float, float], b: tuple[float, float], eps: float = 1e-12) -> bool:
    return a[0] <= b[1] + eps and b[0] <= a[1] + eps


def _fmt(value: Any) -> str:
    """A post or our value for the ledger: numbers as written, tuples and dicts compact."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return format(float(value), ".7g")
    if isinstance(value, tuple):
        return "(" + ", ".join(_fmt(item) for item in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(_fmt(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{key}: {_fmt(item)}" for key, item in value.items()) + "}"
    return str(value)


def _equal(a: Any, b: Any) -> bool:
    """Equality of plain data, floats to float32 precision (Keras keeps numbers as float32)."""
    if isinstance(a, (float, np.floating)) or isinstance(b, (float, np.floating)):
        return isinstance(a, (int, float, np.number)) and isinstance(b, (int, float, np.number)) and math.isclose(
            float(a), float(b), rel_tol=1e-6, abs_tol=1e-12
        )
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return set(a) == set(b) and all(_equal(a[key], b[key]) for key in a)
    return a == b


# --------------------------------------------------------------------------------------------
# Rules, on plain per-seed numbers
# --------------------------------------------------------------------------------------------


@_rule
def rule_exact(observed: Sequence[Any], stated: Any, what: str = "value") -> Verdict:
    """Exact fact: ``reproduced`` iff every observed value (one per seed, or one for facts that
    do not depend on the seed) equals the post's (floats to float32 precision); else ``not
    reproduced``."""
    observed = list(observed)
    if not observed:
        raise NotCheckable(f"no {what} was observed")
    distinct: list[Any] = []
    for value in observed:
        if not any(_equal(value, seen) for seen in distinct):
            distinct.append(value)
    ours = " / ".join(_fmt(value) for value in distinct)
    where = f" on all {len(observed)} seeds" if len(observed) > 1 else ""
    if len(distinct) == 1 and _equal(distinct[0], stated):
        return Verdict(REPRODUCED, f"our {what}: {ours}{where}, as the post states", ours)
    if len(distinct) == 1:
        return Verdict(NOT_REPRODUCED, f"our {what}: {ours}{where}; the post states {_fmt(stated)}", ours)
    return Verdict(NOT_REPRODUCED, f"our {what} differs between seeds ({ours}); the post states {_fmt(stated)}", ours)


@_rule
def rule_single_run(values: Sequence[float], stated: float, what: str = "value") -> Verdict:
    """Single run against our seeds. The post's number, widened by its rounding (0.971 stands
    for [0.9705, 0.9715]), is ``reproduced`` if it meets the 95 % t-interval of our mean (its
    run was typical); ``within seed noise`` if it meets the range [min, max] of our per-seed
    values or the 95 % prediction interval of one run, mean ± t·sd·√(1 + 1/n) (one run of ours
    could have given it); else ``not reproduced``. Needs at least 2 seeds."""
    interval = t_interval(values)
    digits = max(decimals(stated), 1)
    post = (stated - half_unit(stated), stated + half_unit(stated))
    ours = f"{interval.mean:.{digits}f} ± {interval.sd:.{digits}f} (n={interval.n})"
    stated_text = f"the post's {what} {_fmt(stated)}"
    mean_text = f"our mean {interval.text(digits)}"
    if _overlaps(post, (interval.low, interval.high)):
        return Verdict(REPRODUCED, f"{stated_text} lies in the interval of {mean_text}", ours)
    low, high = interval.prediction()
    spread = f"range of our seeds [{interval.min:.{digits}f}, {interval.max:.{digits}f}], 95% prediction interval of one run [{low:.{digits}f}, {high:.{digits}f}]"
    if _overlaps(post, (interval.min, interval.max)) or _overlaps(post, (low, high)):
        return Verdict(NOISE, f"{stated_text} is outside the interval of {mean_text} but inside the spread of single runs ({spread})", ours)
    return Verdict(NOT_REPRODUCED, f"{stated_text} is outside the interval of {mean_text} and outside the spread of single runs ({spread})", ours)


@_rule
def rule_effect(differences: Sequence[float], delta: float = 0.0, what: str = "difference") -> Verdict:
    """Claimed effect of size at least ``delta``, on paired per-seed differences: ``reproduced``
    if the mean difference is at least ``delta`` and its 95 % interval lies above 0; ``not
    reproduced`` if the interval lies below ``delta`` (our effect is surely smaller than claimed;
    with no seed-to-seed variation, whenever the mean falls short); else ``within seed noise``."""
    interval = t_interval(differences)
    ours = f"{interval.mean:+.3f} (n={interval.n})"
    text = f"mean {what} {interval.text(3, signed=True)}; claimed at least {delta:+.3f}"
    if interval.mean >= delta and interval.low > 0:
        return Verdict(REPRODUCED, f"{text}: the effect is there and the interval excludes 0", ours)
    if interval.high < delta or interval.sd == 0:
        return Verdict(NOT_REPRODUCED, f"{text}: the interval lies below the claimed size", ours)
    return Verdict(NOISE, f"{text}: the interval does not decide", ours)


@_rule
def rule_no_big_gain(
    table: pd.DataFrame,
    pairs: Sequence[tuple[Any, Any]],
    delta: float,
    score: str = "test_accuracy",
    name: str = "value",
    two_sided: bool = False,
) -> Verdict:
    """No big gain: for every pair (a, b) the gain of b over a, paired per seed, is small.
    ``reproduced`` if every mean gain is at most ``delta``; ``not reproduced`` if some mean gain
    exceeds ``delta`` and its 95 % interval, Bonferroni-corrected over the pairs, lies above 0;
    else ``within seed noise``. ``two_sided`` orients each pair so its mean gain is
    non-negative (for "no big difference")."""
    if not pairs:
        raise NotCheckable("no pairs to compare")
    wide = _pivot(table, score)
    gains = []
    for a, b in pairs:
        difference = _paired(wide, a, b)
        if two_sided and difference.mean() < 0:
            a, b, difference = b, a, -difference
        gains.append((a, b, t_interval(difference, comparisons=len(pairs))))
    a, b, worst = max(gains, key=lambda item: item[2].mean)
    significant = [(x, y, iv) for x, y, iv in gains if iv.mean > delta and iv.low > 0]
    ours = f"{worst.mean:+.3f} ({name} {_fmt(b)} over {_fmt(a)})"
    text = (
        f"largest mean {score} gain: {name} {_fmt(b)} over {_fmt(a)}, {worst.text(3, signed=True)}; "
        f"{len(significant)} of {len(gains)} gains exceed {delta:.3f} with an interval above 0"
    )
    if worst.mean <= delta:
        return Verdict(REPRODUCED, f"{text}; no mean gain exceeds {delta:.3f}", ours)
    if significant:
        x, y, iv = max(significant, key=lambda item: item[2].low)
        return Verdict(NOT_REPRODUCED, f"{text}, e.g. {name} {_fmt(y)} over {_fmt(x)} {iv.text(3, signed=True)}", ours)
    return Verdict(NOISE, f"{text}: the gain above {delta:.3f} is not significant", ours)


@_rule
def rule_trend(table: pd.DataFrame, direction: int = +1, score: str = "test_accuracy", name: str = "value") -> Verdict:
    """Monotone trend of ``score`` with the swept value (``direction`` +1 rises, -1 falls):
    Kendall's τ_b between value and score within each seed, then the effect rule with size 0
    on direction·τ over seeds: ``reproduced`` if the mean is positive with a 95 % interval above
    0, ``not reproduced`` if the interval lies below 0, else ``within seed noise``. Needs at
    least ``MIN_TREND_POINTS`` values."""
    wide = _pivot(table, score)
    if wide.shape[1] < MIN_TREND_POINTS:
        raise NotCheckable(f"needs at least {MIN_TREND_POINTS} values of {name}, got {wide.shape[1]}")
    taus = []
    for _, row in wide.iterrows():
        row = row.dropna()
        tau = stats.kendalltau(np.asarray(row.index, dtype=float), row.to_numpy(dtype=float)).statistic
        taus.append(0.0 if np.isnan(tau) else direction * float(tau))
    verb = "rises" if direction > 0 else "falls"
    verdict = rule_effect(taus, 0.0, what=f"Kendall τ ({score} {verb} with {name}, per seed, over {wide.shape[1]} values)")
    return Verdict(verdict.verdict, verdict.reason, f"τ {verdict.ours}" if verdict.ours else "")


@_rule
def rule_spread_trend(table: pd.DataFrame, direction: int = -1, score: str = "test_accuracy", name: str = "value") -> Verdict:
    """Stability trend: the per-value standard deviation over seeds falls (``direction`` -1) or
    rises (+1) with the value. Kendall's τ_b between value and sd: ``reproduced`` if τ has the
    claimed sign with one-sided p < 0.05; ``not reproduced`` if it has the other sign with
    one-sided p < 0.05; else ``within seed noise``. Needs ``MIN_TREND_POINTS`` values and 2 seeds."""
    wide = _pivot(table, score)
    if wide.shape[1] < MIN_TREND_POINTS:
        raise NotCheckable(f"needs at least {MIN_TREND_POINTS} values of {name}, got {wide.shape[1]}")
    if wide.shape[0] < 2:
        raise NotCheckable(f"needs per-seed values from at least 2 seeds, got {wide.shape[0]}")
    sd = wide.std(ddof=1)
    x, y = np.asarray(sd.index, dtype=float), sd.to_numpy(dtype=float)
    claimed = "less" if direction < 0 else "greater"
    other = "greater" if direction < 0 else "less"
    tau = stats.kendalltau(x, y).statistic
    p_claimed = stats.kendalltau(x, y, alternative=claimed).pvalue
    p_other = stats.kendalltau(x, y, alternative=other).pvalue
    verb = "falls" if direction < 0 else "rises"
    ours = f"τ {tau:+.3f}"
    text = (
        f"Kendall τ between {name} and the sd of {score} over {wide.shape[0]} seeds is {tau:+.3f} over {len(x)} values "
        f"(one-sided p = {p_claimed:.3g} that the sd {verb}, {p_other:.3g} the other way); "
        f"sd {sd.iloc[0]:.3f} at {name} {_fmt(sd.index[0])}, {sd.iloc[-1]:.3f} at {_fmt(sd.index[-1])}"
    )
    if np.isnan(tau):
        return Verdict(NOT_REPRODUCED, f"the sd of {score} does not change with {name}", "τ undefined")
    if direction * tau > 0 and p_claimed < 1 - CONFIDENCE:
        return Verdict(REPRODUCED, text, ours)
    if direction * tau < 0 and p_other < 1 - CONFIDENCE:
        return Verdict(NOT_REPRODUCED, text, ours)
    return Verdict(NOISE, text, ours)


@_rule
def rule_group_contrast(
    table: pd.DataFrame, better: Sequence[Any], worse: Sequence[Any], score: str = "test_accuracy", what: str = "difference"
) -> Verdict:
    """Group contrast: per seed, the mean score over the ``better`` values minus the mean over
    the ``worse`` values, then the effect rule with size 0: ``reproduced`` if the 95 % interval
    lies above 0, ``not reproduced`` if it lies below 0, else ``within seed noise``."""
    if not better or not worse:
        raise NotCheckable("needs values in both groups")
    wide = _pivot(table, score)
    differences = (wide[list(better)].mean(axis=1) - wide[list(worse)].mean(axis=1)).dropna()
    return rule_effect(differences.to_numpy(), 0.0, what=what)


@_rule
def rule_spread_contrast(
    table: pd.DataFrame, stable: Sequence[Any], unstable: Sequence[Any], score: str = "test_accuracy", what: str = "groups"
) -> Verdict:
    """Stability contrast: the pooled within-value variance over seeds of the ``unstable``
    values against that of the ``stable`` values, F = var_unstable / var_stable with the pooled
    degrees of freedom: ``reproduced`` if F > 1 with one-sided p < 0.05, ``not reproduced`` if
    F < 1 with one-sided p < 0.05 (or no variation at all), else ``within seed noise``."""
    if not stable or not unstable:
        raise NotCheckable("needs values in both groups")
    wide = _pivot(table, score)
    if wide.shape[0] < 2:
        raise NotCheckable(f"needs per-seed values from at least 2 seeds, got {wide.shape[0]}")

    def pooled(values: Sequence[Any]) -> tuple[float, int]:
        columns = wide[list(values)]
        dof = int((columns.notna().sum() - 1).clip(lower=0).sum())
        return float((columns.var(ddof=1) * (columns.notna().sum() - 1)).sum() / dof), dof

    var_u, dof_u = pooled(unstable)
    var_s, dof_s = pooled(stable)
    sd_text = f"pooled sd {math.sqrt(var_u):.4f} ({what[0]}, {dof_u} df) vs {math.sqrt(var_s):.4f} ({what[1]}, {dof_s} df)"
    if var_u == 0 and var_s == 0:
        return Verdict(NOT_REPRODUCED, f"{sd_text}: no variation in either group", "F undefined")
    ratio = math.inf if var_s == 0 else var_u / var_s
    p_greater = 0.0 if math.isinf(ratio) else float(stats.f.sf(ratio, dof_u, dof_s))
    p_less = 1.0 if math.isinf(ratio) else float(stats.f.cdf(ratio, dof_u, dof_s))
    text = f"{sd_text}; F = {ratio:.2f}, one-sided p = {p_greater:.3g} (more variable) / {p_less:.3g} (less variable)"
    ours = f"F {ratio:.2f}"
    if ratio > 1 and p_greater < 1 - CONFIDENCE:
        return Verdict(REPRODUCED, text, ours)
    if ratio < 1 and p_less < 1 - CONFIDENCE:
        return Verdict(NOT_REPRODUCED, text, ours)
    return Verdict(NOISE, text, ours)


@_rule
def rule_equivalent(differences: Sequence[float], delta: float, what: str = "difference") -> Verdict:
    """About equal: on paired per-seed differences, ``reproduced`` if the mean difference is
    within ±``delta``; ``not reproduced`` if it is beyond ±``delta`` and its 95 % interval
    excludes 0 on that side; else ``within seed noise``."""
    interval = t_interval(differences)
    ours = f"{interval.mean:+.3f} (n={interval.n})"
    text = f"mean {what} {interval.text(3, signed=True)}; 'about equal' allows ±{delta:.3f}"
    if abs(interval.mean) <= delta:
        return Verdict(REPRODUCED, text, ours)
    if (interval.mean > delta and interval.low > 0) or (interval.mean < -delta and interval.high < 0):
        return Verdict(NOT_REPRODUCED, f"{text}: the difference is beyond it and the interval excludes 0", ours)
    return Verdict(NOISE, f"{text}: the difference is beyond it but the interval includes 0", ours)


@_rule
def rule_best_candidate(searches: Sequence[tuple[Sequence[Mapping[str, Any]], Mapping[str, Any]]], stated: Mapping[str, Any]) -> Verdict:
    """Best search candidate: each search (one per seed) gives its candidates and its best.
    Only searches that tried the post's best candidate count: ``reproduced`` if it is the best in
    more than half of them, ``within seed noise`` if it is the best in at least one, ``not
    reproduced`` if in none; ``not checkable`` if no search tried it."""
    trying = [(candidates, best) for candidates, best in searches if any(_equal(dict(c), dict(stated)) for c in candidates)]
    if not trying:
        raise NotCheckable(f"none of our {len(searches)} searches tried the post's best candidate {_fmt(dict(stated))}")
    wins = sum(_equal(dict(best), dict(stated)) for _, best in trying)
    bests: dict[str, int] = {}
    for _, best in trying:
        bests[_fmt(dict(best))] = bests.get(_fmt(dict(best)), 0) + 1
    common = max(bests.items(), key=lambda item: item[1])
    ours = f"best in {wins} of {len(trying)}"
    text = (
        f"{len(trying)} of our {len(searches)} searches tried the post's best candidate; it was the best in {wins}; "
        f"most frequent best: {common[0]} ({common[1]} of {len(trying)})"
    )
    if wins * 2 > len(trying):
        return Verdict(REPRODUCED, text, ours)
    if wins:
        return Verdict(NOISE, text, ours)
    return Verdict(NOT_REPRODUCED, text, ours)


def _pivot(table: pd.DataFrame, score: str) -> pd.DataFrame:
    """A long per-seed table (``value``, ``seed``, scores) as seeds x values, in value order."""
    wide = table.pivot_table(index="seed", columns="value", values=score, aggfunc="first", sort=False)
    return wide[[value for value in dict.fromkeys(table["value"]) if value in wide.columns]]


def _paired(wide: pd.DataFrame, a: Any, b: Any) -> np.ndarray:
    """Per-seed ``b - a`` over the seeds that have both."""
    return (wide[b] - wide[a]).dropna().to_numpy(dtype=float)


# --------------------------------------------------------------------------------------------
# Evidence: our per-seed records
# --------------------------------------------------------------------------------------------


@dataclass
class Evidence:
    """Everything the checks read: per-seed tables and records of the experiments, and the
    per-seed search records when they were computed (else ``search_note`` says why not)."""

    preset: str
    variant: str
    seeds: tuple[int, ...]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # long: value, seed, scores
    sweeps: dict[str, Any] = field(default_factory=dict)  # experiment -> SweepResult
    searches: dict[str, list[Any]] = field(default_factory=dict)  # method -> SearchRecord per seed
    search_note: str = SEARCH_ABSENT

    @classmethod
    def from_sweeps(cls, preset: str, variant: str, seeds: Sequence[int], sweeps: Mapping[str, Any], **rest: Any) -> "Evidence":
        tables = {name: sweep.table().rename(columns={sweep.experiment.parameter: "value"}) for name, sweep in sweeps.items()}
        return cls(preset, variant, tuple(seeds), tables, dict(sweeps), **rest)

    def table(self, experiment: str) -> pd.DataFrame:
        if experiment not in self.tables:
            raise NotCheckable(f"experiment {experiment!r} was not run")
        return self.tables[experiment]

    def values(self, experiment: str) -> list[Any]:
        return list(dict.fromkeys(self.table(experiment)["value"]))

    def scores(self, experiment: str, value: Any, score: str = "test_accuracy") -> np.ndarray:
        table = self.table(experiment)
        rows = table[table["value"] == value]
        if rows.empty:
            raise NotCheckable(f"preset {self.preset} has no {experiment} run {_fmt(value)}")
        return rows.sort_values("seed")[score].to_numpy(dtype=float)

    def records(self, experiment: str, value: Any) -> list[Any]:
        if experiment not in self.sweeps:
            raise NotCheckable(f"experiment {experiment!r} was not run")
        sweep = self.sweeps[experiment]
        if value not in sweep.values:
            raise NotCheckable(f"preset {self.preset} has no {experiment} run {_fmt(value)}")
        return list(sweep.records[sweep.values.index(value)])

    def search_records(self, method: str) -> list[Any]:
        if not self.searches.get(method):
            raise NotCheckable(self.search_note)
        return self.searches[method]

    def missing(self, experiment: str, needs: str, missing: str) -> NotCheckable:
        """The reason a conclusion cannot be checked: what it needs, what the preset has."""
        return NotCheckable(
            f"needs {needs}; preset {self.preset} has {experiment} values {_fmt(self.values(experiment))} (missing: {missing})"
        )


# --------------------------------------------------------------------------------------------
# Claims
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """One number or conclusion of the post and the rule that checks it."""

    id: str
    section: str  # the post's heading
    statement_ko: str  # as the post says it
    statement_en: str
    post_value: Any
    kind: str  # one of KINDS
    check: Callable[[Evidence], Verdict]
    needs: tuple[str, ...] = ()  # experiments the check reads
    searches: tuple[str, ...] = ()  # search methods the check reads

    @property
    def rule(self) -> str:
        """The check's docstring, first paragraph, on one line."""
        text = inspect.getdoc(self.check) or ""
        return " ".join(text.split("\n\n")[0].split())

    def evaluate(self, evidence: Evidence) -> Verdict:
        try:
            return self.check(evidence)
        except NotCheckable as missing:
            return Verdict(NOT_CHECKABLE, str(missing), "")

    @property
    def has_observed(self) -> bool:
        """Whether the claim is one number checked against per-seed values (:meth:`observed`)."""
        return callable(getattr(self.check, "observed", None))

    def observed(self, evidence: Evidence) -> pd.Series:
        """The per-seed values a single number of the post is checked against, indexed by seed.

        Raises :class:`NotCheckable` when the evidence lacks them, and ``TypeError`` for a claim
        that is not one number against per-seed values (see :attr:`has_observed`).
        """
        if not self.has_observed:
            raise TypeError(f"claim {self.id!r} is not checked against per-seed values")
        return self.check.observed(evidence)  # type: ignore[attr-defined]


def _doc(**values: Any) -> Callable[[Callable], Callable]:
    """Fill a check's docstring with the constants it uses, so the stated rule shows numbers."""

    def decorate(function: Callable) -> Callable:
        function.__doc__ = (function.__doc__ or "").format(**values)
        return function

    return decorate


# --- data ---------------------------------------------------------------------------------------


def _check_data_shape(evidence: Evidence) -> Verdict:
    """Exact: the shape of the loaded penguins table equals the post's."""
    from penguins.data import load_penguins

    return rule_exact([tuple(load_penguins().shape)], (344, 7), "table shape")


def _split_shape(part: str, stated: tuple) -> Callable[[Evidence], Verdict]:
    def check(evidence: Evidence) -> Verdict:
        from penguins.preprocessing import preprocess

        observed = []
        for seed in evidence.seeds:
            split = preprocess(evidence.variant, seed)
            x, y = (split.x_train, split.y_train) if part == "train" else (split.x_test, split.y_test)
            observed.append((tuple(x.shape), (len(y), 1)))
        return rule_exact(observed, stated, f"{part} shapes (x, y as one column)")

    check.__doc__ = f"""Exact: x_{part} and y_{part} of our split (y as the post's one-column frame) have the post's shapes, for every seed."""
    return check


# --- models -------------------------------------------------------------------------------------

POST_SOFTMAX_PARAMS = 21


def _layer_params(evidence: Evidence, experiment: str, run: str) -> list[tuple[int, ...]]:
    return [tuple(int(row["params"]) for row in record.summary) for record in evidence.records(experiment, run)]


def _params(experiment: str, run: str, stated: tuple[int, ...]) -> Callable[[Evidence], Verdict]:
    def check(evidence: Evidence) -> Verdict:
        observed = _layer_params(evidence, experiment, run)
        verdict = rule_exact(observed, stated, f"parameters per layer of the {run} model")
        totals = sorted({sum(layers) for layers in observed})
        return Verdict(
            verdict.verdict,
            f"{verdict.reason}; total {' / '.join(f'{total:,}' for total in totals)} (post: {sum(stated):,})",
            f"{verdict.ours} = {' / '.join(f'{total:,}' for total in totals)}",
        )

    check.__doc__ = f"""Exact: the parameters of each layer of our trained {run} model (``model.summary()``), on every seed, equal the post's."""
    return check


def _check_input_features(evidence: Evidence) -> Verdict:
    """Exact: the number of input features our networks get equals the post's 7 (it does not:
    the post's own 21 parameters of a softmax layer on f inputs, (f + 1) x 3, imply f = 6)."""
    from penguins.preprocessing import preprocess

    split = preprocess(evidence.variant, evidence.seeds[0])
    verdict = rule_exact([split.n_features], 7, "number of input features")
    implied = POST_SOFTMAX_PARAMS // 3 - 1
    return Verdict(
        verdict.verdict,
        f"{verdict.reason}: {', '.join(split.feature_names)} (species is the target); a softmax layer on f inputs has "
        f"(f + 1) x 3 parameters, so the post's own {POST_SOFTMAX_PARAMS} means f = {implied}, while 7 inputs would give {(7 + 1) * 3}",
        verdict.ours,
    )


def _check_output_classes(evidence: Evidence) -> Verdict:
    """Exact: the output layer of our 0-hidden-layer network has as many units as the post's 3
    classes (its confusion matrix is 3 x 3), on every seed."""
    observed = [len(record.confusion_matrix) for record in evidence.records("basic-networks", "hidden-0")]
    return rule_exact(observed, 3, "number of classes")


def _check_tuner_units(evidence: Evidence) -> Verdict:
    """Exact: the post's summary after Keras Tuner shows 100 units per hidden layer; that is
    checked against the values its own ``hp.Int('units', min, max, step)`` can take (our
    Hyperband spec of the post): ``reproduced`` iff 100 is one of them."""
    try:
        from penguins.search import preset as search_preset

        low, high, step = search_preset("hyperband", "full").units
    except (ImportError, AttributeError, ValueError) as error:
        raise NotCheckable(f"penguins.search is not available ({error})")
    reachable = list(range(low, high + 1, step))
    ours = f"{reachable[0]}, {reachable[1]}, ..., {reachable[-1]}"
    if 100 in reachable:
        return Verdict(REPRODUCED, f"hp.Int('units', {low}, {high}, step={step}) can give 100", ours)
    return Verdict(
        NOT_REPRODUCED,
        f"hp.Int('units', {low}, {high}, step={step}) gives only {ours} ({len(reachable)} values); 100 is not one of them, "
        "so the printed summary is not of a model the tuner built",
        ours,
    )


# --- single runs --------------------------------------------------------------------------------


def _single(experiment: str, run: str, score: str, stated: float) -> Callable[[Evidence], Verdict]:
    what = score.replace("_", " ")

    def observed(evidence: Evidence) -> pd.Series:
        table = evidence.table(experiment)
        rows = table[table["value"] == run].sort_values("seed")
        if rows.empty:
            raise NotCheckable(f"preset {evidence.preset} has no {experiment} run {_fmt(run)}")
        return pd.Series(rows[score].to_numpy(dtype=float), index=rows["seed"].to_numpy(), name=score)

    def check(evidence: Evidence) -> Verdict:
        return rule_single_run(observed(evidence).to_numpy(), stated, f"{run} {what}")

    check.observed = observed  # type: ignore[attr-defined]
    check.__doc__ = (
        f"""Single run vs our seeds (rule_single_run) on the {what} of {run}: reproduced if the post's value (± its rounding) """
        """meets the 95 % interval of our mean, within seed noise if it meets our [min, max] or the 95 % prediction interval of one run."""
    )
    return check


STEP_DECAY_RATES = (0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025)


def _check_step_decay_rates(evidence: Evidence) -> Verdict:
    """Exact: the learning rate Keras logged in each of the 10 epochs of the step-decay run
    equals the post's step_decay(epoch) = 0.2 x 0.5^floor(epoch / 3), on every seed."""
    observed = [tuple(record.history.get("learning_rate", [])) for record in evidence.records("lr-schedules", "step-decay")]
    return rule_exact(observed, STEP_DECAY_RATES, "learning rate per epoch")


# --- conclusions --------------------------------------------------------------------------------


@_doc(JUMP=JUMP)
def _check_jump(evidence: Evidence) -> Verdict:
    """Effect (rule_effect, size {JUMP}) on the paired per-seed test accuracy of hidden-2 minus
    hidden-1: reproduced if the mean gain is at least {JUMP} with a 95 % interval above 0; not
    reproduced if the interval lies below {JUMP}; else within seed noise."""
    wide = _pivot(evidence.table("basic-networks"), "test_accuracy")
    for run in ("hidden-1", "hidden-2"):
        if run not in wide:
            raise evidence.missing("basic-networks", "hidden-1 and hidden-2", run)
    return rule_effect(_paired(wide, "hidden-1", "hidden-2"), JUMP, what="test-accuracy gain of 2 hidden layers over 1")


@_doc(BIG_GAIN=BIG_GAIN)
def _check_depth(evidence: Evidence) -> Verdict:
    """No big gain (rule_no_big_gain, {BIG_GAIN}) of any depth >= 3 over depth 2 in paired
    per-seed test accuracy: reproduced if no mean gain exceeds {BIG_GAIN}; not reproduced if one
    does with a Bonferroni-corrected 95 % interval above 0; else within seed noise."""
    values = evidence.values("depth")
    deeper = [depth for depth in values if depth >= 3]
    if 2 not in values or not deeper:
        missing = ", ".join(part for part, absent in (("depth 2", 2 not in values), ("any depth >= 3", not deeper)) if absent)
        raise evidence.missing("depth", "depth 2 and at least one depth >= 3", missing)
    return rule_no_big_gain(evidence.table("depth"), [(2, depth) for depth in deeper], BIG_GAIN, name="depth")


@_doc(MIN=MIN_TREND_POINTS)
def _check_width_rises(evidence: Evidence) -> Verdict:
    """Trend (rule_trend): Kendall τ between nodes and test accuracy within each seed; reproduced
    if the mean τ over seeds is positive with a 95 % interval above 0, not reproduced if the
    interval lies below 0, else within seed noise. Needs {MIN} widths."""
    values = evidence.values("width")
    if len(values) < MIN_TREND_POINTS:
        raise evidence.missing("width", f"at least {MIN_TREND_POINTS} widths", _more(MIN_TREND_POINTS - len(values), "width"))
    return rule_trend(evidence.table("width"), +1, name="nodes")


@_doc(MIN=MIN_TREND_POINTS)
def _check_width_stability(evidence: Evidence) -> Verdict:
    """Stability trend (rule_spread_trend): Kendall τ between nodes and the sd of test accuracy
    over seeds; reproduced if τ < 0 with one-sided p < 0.05, not reproduced if τ > 0 with
    one-sided p < 0.05, else within seed noise. Needs {MIN} widths."""
    values = evidence.values("width")
    if len(values) < MIN_TREND_POINTS:
        raise evidence.missing("width", f"at least {MIN_TREND_POINTS} widths", _more(MIN_TREND_POINTS - len(values), "width"))
    return rule_spread_trend(evidence.table("width"), -1, name="nodes")


@_doc(BIG_GAIN=BIG_GAIN, FROM=WIDTH_PLATEAU)
def _check_width_plateau(evidence: Evidence) -> Verdict:
    """No big difference (rule_no_big_gain, two-sided, {BIG_GAIN}) between any two widths >= {FROM}
    in paired per-seed test accuracy: reproduced if no mean difference exceeds {BIG_GAIN}; not
    reproduced if one does with a Bonferroni-corrected 95 % interval excluding 0; else within
    seed noise. Needs two widths >= {FROM}."""
    values = evidence.values("width")
    wide = [nodes for nodes in values if nodes >= WIDTH_PLATEAU]
    if len(wide) < 2:
        raise evidence.missing("width", f"at least two widths >= {WIDTH_PLATEAU}", _more(2 - len(wide), "width", f" >= {WIDTH_PLATEAU}"))
    return rule_no_big_gain(evidence.table("width"), list(combinations(wide, 2)), BIG_GAIN, name="nodes", two_sided=True)


def _more(count: int, noun: str, suffix: str = "") -> str:
    return f"{count} more {noun}{'' if count == 1 else 's'}{suffix}"


def _shape_groups(evidence: Evidence) -> tuple[list[int], list[int]]:
    values = evidence.values("shape")
    extreme = [first for first in values if min(first, 100 - first) <= EXTREME]
    balanced = [first for first in values if BALANCED[0] <= first <= BALANCED[1]]
    absent = []
    if not any(first <= EXTREME for first in extreme):
        absent.append(f"first layer <= {EXTREME}")
    if not any(first >= 100 - EXTREME for first in extreme):
        absent.append(f"first layer >= {100 - EXTREME}")
    if not balanced:
        absent.append(f"first layer {BALANCED[0]}-{BALANCED[1]}")
    if absent:
        raise evidence.missing(
            "shape",
            f"extreme shapes at both ends (first layer <= {EXTREME} and >= {100 - EXTREME}) and a balanced one ({BALANCED[0]}-{BALANCED[1]})",
            ", ".join(absent),
        )
    return balanced, extreme


@_doc(E=EXTREME, E2=100 - EXTREME, B0=BALANCED[0], B1=BALANCED[1])
def _check_shape_accuracy(evidence: Evidence) -> Verdict:
    """Group contrast (rule_group_contrast): per seed, mean test accuracy of the balanced shapes
    (first layer {B0}-{B1} of 100) minus that of the extreme ones (first layer <= {E} or >= {E2});
    reproduced if the 95 % interval lies above 0, not reproduced if below 0, else within seed noise."""
    balanced, extreme = _shape_groups(evidence)
    verdict = rule_group_contrast(
        evidence.table("shape"), balanced, extreme, what=f"test accuracy of balanced {_fmt(balanced)} minus extreme {_fmt(extreme)} shapes"
    )
    return verdict


@_doc(E=EXTREME, E2=100 - EXTREME, B0=BALANCED[0], B1=BALANCED[1])
def _check_shape_stability(evidence: Evidence) -> Verdict:
    """Stability contrast (rule_spread_contrast): pooled variance over seeds of the test accuracy
    of extreme shapes (first layer <= {E} or >= {E2}) against balanced ones ({B0}-{B1}); reproduced
    if F > 1 with one-sided p < 0.05, not reproduced if F < 1 with p < 0.05, else within seed noise."""
    balanced, extreme = _shape_groups(evidence)
    return rule_spread_contrast(evidence.table("shape"), balanced, extreme, what=(f"extreme {_fmt(extreme)}", f"balanced {_fmt(balanced)}"))


@_doc(FINE=FINE, LIMIT=BATCH_LIMIT)
def _check_batch_size(evidence: Evidence) -> Verdict:
    """No big loss (rule_no_big_gain, {FINE}) for every batch size <= {LIMIT} against the best
    batch size (highest mean test accuracy), paired per seed: reproduced if the best beats none of
    them by more than {FINE} on average; not reproduced if it beats one by more with a
    Bonferroni-corrected 95 % interval above 0; else within seed noise. Needs batch size {LIMIT}
    and a smaller one."""
    values = evidence.values("batch-size")
    small = [size for size in values if size <= BATCH_LIMIT]
    if BATCH_LIMIT not in values or len(small) < 2:
        absent = [f"batch size {BATCH_LIMIT}"] if BATCH_LIMIT not in values else []
        if len([size for size in small if size != BATCH_LIMIT]) < 1:
            absent.append(f"a batch size below {BATCH_LIMIT}")
        raise evidence.missing("batch-size", f"batch size {BATCH_LIMIT} (the claimed limit) and a smaller one", ", ".join(absent))
    table = evidence.table("batch-size")
    means = _pivot(table, "test_accuracy").mean()
    best = means.idxmax()
    pairs = [(size, best) for size in small if size != best]
    return rule_no_big_gain(table, pairs, FINE, name="batch size")


NETWORK_RUNS = {
    "basic-networks": ("hidden-2",),
    "lr-schedules": ("step-decay", "cosine-decay"),
    "overfitting": ("weight-decay", "dropout", "early-stopping"),
}


@_doc(MATCH=MATCH)
def _check_matches_baseline(evidence: Evidence) -> Verdict:
    """About equal (rule_equivalent, ±{MATCH}): the best of the post's trained networks (hidden-2,
    step decay, cosine decay, weight decay, dropout, early stopping; by mean test accuracy) minus
    logistic regression, paired per seed (same split): reproduced if the mean difference is
    within ±{MATCH}; not reproduced if beyond with a 95 % interval excluding 0; else within seed noise."""
    frames = [evidence.table("baseline")]
    for experiment, runs in NETWORK_RUNS.items():
        table = evidence.table(experiment)
        frames.append(table[table["value"].isin(runs)])
    wide = _pivot(pd.concat(frames, ignore_index=True), "test_accuracy")
    networks = [run for runs in NETWORK_RUNS.values() for run in runs if run in wide]
    if "logistic" not in wide or not networks:
        raise NotCheckable("needs the logistic baseline and the post's networks")
    means = wide[networks].mean()
    best = means.idxmax()
    return rule_equivalent(
        _paired(wide, "logistic", best),
        MATCH,
        what=f"test accuracy of the best network ({best}, mean {means[best]:.3f}) minus logistic regression (mean {wide['logistic'].mean():.3f})",
    )


# --- searches -----------------------------------------------------------------------------------

POST_RANDOM_CANDIDATES = (
    {"batch_size": 4, "epochs": 13, "optimizer__learning_rate": 0.007837875830710724},
    {"batch_size": 2, "epochs": 6, "optimizer__learning_rate": 0.008771304344664},
    {"batch_size": 14, "epochs": 10, "optimizer__learning_rate": 0.0048673606674801756},
    {"batch_size": 2, "epochs": 11, "optimizer__learning_rate": 0.0038254051509577884},
    {"batch_size": 8, "epochs": 8, "optimizer__learning_rate": 0.005731505218679044},
    {"batch_size": 7, "epochs": 6, "optimizer__learning_rate": 0.0045319254935582785},
    {"batch_size": 11, "epochs": 11, "optimizer__learning_rate": 0.004820023120561529},
    {"batch_size": 6, "epochs": 12, "optimizer__learning_rate": 0.003425228681016678},
    {"batch_size": 4, "epochs": 12, "optimizer__learning_rate": 0.007947590052146253},
    {"batch_size": 10, "epochs": 8, "optimizer__learning_rate": 0.007231445127707466},
)
RANDOM_BEST = POST_RANDOM_CANDIDATES[4]
GRID_BEST = {"batch_size": 16, "epochs": 12, "optimizer__learning_rate": 0.001}
# The mean cross-validated accuracy of each candidate in the post's cv_results_ tables, in
# candidate order (the post prints them sorted by score, with the candidate index).
POST_RANDOM_MEAN_SCORES = (0.974439, 0.989051, 0.970815, 0.981725, 0.996377, 0.978102, 0.985428, 0.981725, 0.978141, 0.992714)
POST_GRID_CANDIDATES = (
    {"batch_size": 10, "epochs": 10, "optimizer__learning_rate": 0.001},
    {"batch_size": 10, "epochs": 10, "optimizer__learning_rate": 0.005},
    {"batch_size": 10, "epochs": 12, "optimizer__learning_rate": 0.001},
    {"batch_size": 10, "epochs": 12, "optimizer__learning_rate": 0.005},
    {"batch_size": 16, "epochs": 10, "optimizer__learning_rate": 0.001},
    {"batch_size": 16, "epochs": 10, "optimizer__learning_rate": 0.005},
    {"batch_size": 16, "epochs": 12, "optimizer__learning_rate": 0.001},
    {"batch_size": 16, "epochs": 12, "optimizer__learning_rate": 0.005},
)
POST_GRID_MEAN_SCORES = (0.978102, 0.978062, 0.978102, 0.985467, 0.985428, 0.981725, 0.992714, 0.974478)


def post_search_table(method: str) -> pd.DataFrame:
    """The post's ``cv_results_`` table of the ``method`` ("random" or "grid") search as data: one
    row a candidate in candidate order, with its parameters and mean cross-validated accuracy."""
    candidates, scores = {
        "random": (POST_RANDOM_CANDIDATES, POST_RANDOM_MEAN_SCORES),
        "grid": (POST_GRID_CANDIDATES, POST_GRID_MEAN_SCORES),
    }[method]
    frame = pd.DataFrame([dict(candidate) for candidate in candidates])
    frame.insert(0, "candidate", range(len(frame)))
    frame["mean_test_score"] = scores
    return frame


def post_random_state(candidates: Sequence[Mapping[str, Any]] = POST_RANDOM_CANDIDATES, limit: int = RANDOM_STATE_SCAN) -> int | None:
    """The ``random_state`` (0 to ``limit`` - 1) for which ``RandomizedSearchCV``'s sampler draws
    exactly the post's candidates from the post's distributions, or None. Only sampling, no
    training: it tells which of our seeds would search the post's candidates."""
    from sklearn.model_selection import ParameterSampler

    from penguins.search import preset as search_preset

    space = search_preset("random", "full").param_space()
    wanted = [dict(candidate) for candidate in candidates]
    for state in range(limit):
        drawn = [dict(c) for c in ParameterSampler(space, n_iter=len(wanted), random_state=state)]
        if _equal([{k: float(v) if isinstance(v, np.floating) else v for k, v in c.items()} for c in drawn], wanted):
            return state
    return None


def _search_score(method: str, stated: float) -> Callable[[Evidence], Verdict]:
    def observed(evidence: Evidence) -> pd.Series:
        records = evidence.search_records(method)  # one per seed, in seed order
        seeds = [getattr(record, "seed", seed) for record, seed in zip(records, evidence.seeds)]
        return pd.Series([record.best_score for record in records][: len(seeds)], index=seeds, name="best_score")

    def check(evidence: Evidence) -> Verdict:
        return rule_single_run(observed(evidence).to_numpy(), stated, f"best cross-validated accuracy of the {method} search")

    check.observed = observed  # type: ignore[attr-defined]
    check.__doc__ = (
        f"""Single run vs our seeds (rule_single_run) on the best mean cross-validated accuracy of the post's {method} search, """
        """one search per seed; needs the search results (preset full)."""
    )
    return check


def _effective_note(records: Sequence[Any]) -> str:
    """What every candidate really trained with, when that is the same for all of them."""
    settings = {_fmt(row.get("effective", {})) for record in records for row in record.rows}
    if len(settings) == 1:
        return f"; every candidate of every search trained with the same settings {settings.pop()}, so the searched values never reached Keras"
    return ""


def _search_params(method: str, stated: Mapping[str, Any]) -> Callable[[Evidence], Verdict]:
    def check(evidence: Evidence) -> Verdict:
        records = evidence.search_records(method)
        searches = [([row["params"] for row in record.rows], record.best_params) for record in records]
        verdict = rule_best_candidate(searches, stated)
        note = _effective_note(records)
        if verdict.verdict == NOT_CHECKABLE and method == "random":
            state = post_random_state()
            if state is not None:
                note += f"; the post's 10 candidates are exactly those drawn with random_state={state} (our searches use random_state = seed; seeds {_fmt(list(evidence.seeds))})"
        return Verdict(verdict.verdict, verdict.reason + note, verdict.ours)

    check.__doc__ = (
        f"""Best candidate (rule_best_candidate) of the post's {method} search, one search per seed, counting only searches """
        """that tried the post's best candidate: reproduced if it wins more than half of them, within seed noise if it wins one, """
        """not reproduced if none; needs the search results (preset full)."""
    )
    return check


# --- the list -----------------------------------------------------------------------------------

_ACCURACY_CLAIMS = (
    # id, section, statement, English run name, experiment, run, train, test
    ("logistic", "기준모델 : Logistic Regression", "# Train Accuracy : 0.978, Test Accuracy : 0.971", "Logistic regression baseline", "baseline", "logistic", 0.978, 0.971),
    ("hidden-0", "기본 인공신경망 : 은닉층 0개", "# Train Accuracy : 0.436, Test Accuracy : 0.536", "Network without hidden layer", "basic-networks", "hidden-0", 0.436, 0.536),
    ("hidden-1", "기본 인공신경망 : 은닉층 1개", "# Train Accuracy : 0.807, Test Accuracy : 0.768", "Network with 1 hidden layer of 100", "basic-networks", "hidden-1", 0.807, 0.768),
    ("hidden-2", "기본 인공신경망 : 은닉층 2개", "# Train Accuracy : 0.971, Test Accuracy : 0.957", "Network with 2 hidden layers of 100", "basic-networks", "hidden-2", 0.971, 0.957),
    ("step-decay", "학습률 Step Decay", "Train Accuracy : 0.996, Test Accuracy : 0.986", "Step decay of the learning rate", "lr-schedules", "step-decay", 0.996, 0.986),
    ("cosine-decay", "학습률 Cosine Decay", "Train Accuracy : 0.913, Test Accuracy : 0.971", "Cosine decay with restarts", "lr-schedules", "cosine-decay", 0.913, 0.971),
    ("weight-decay", "가중치 감소(Weight Decay)", "Train Accuracy : 0.993, Test Accuracy : 0.957", "L1/L2 weight and activity penalties", "overfitting", "weight-decay", 0.993, 0.957),
    ("dropout", "Dropout", "Train Accuracy : 0.975, Test Accuracy : 0.957", "Penalties plus Dropout(0.5)", "overfitting", "dropout", 0.975, 0.957),
    ("early-stopping", "Early Stopping", "Train Accuracy : 0.982, Test Accuracy : 0.957", "Dropout network with early stopping", "overfitting", "early-stopping", 0.982, 0.957),
)


def _accuracy_claims() -> list[Claim]:
    claims = []
    for key, section, statement, english, experiment, run, train, test in _ACCURACY_CLAIMS:
        for score, value in (("train_accuracy", train), ("test_accuracy", test)):
            split = score.split("_")[0]
            claims.append(
                Claim(
                    f"{key}-{split}-accuracy",
                    section,
                    statement,
                    f"{english}: {split} accuracy {value}",
                    value,
                    "single run",
                    _single(experiment, run, score, value),
                    needs=(experiment,),
                )
            )
    return claims


SECTIONS = (
    "데이터 읽어오기",
    "데이터 분할",
    "기준모델 : Logistic Regression",
    "기본 인공신경망 : 은닉층 0개",
    "기본 인공신경망 : 은닉층 1개",
    "기본 인공신경망 : 은닉층 2개",
    "실험1 : 은닉층의 수를 늘리면 성능이 오늘까?",
    "실험2 : 은닉층의 노드를 늘리면 성능이 오를까?",
    "실험3 : 은닉층의 모양은 성능과 어떤 상관이 있을까?",
    "실험5 : batch_size",
    "학습률 Step Decay",
    "학습률 Cosine Decay",
    "가중치 감소(Weight Decay)",
    "Dropout",
    "Early Stopping",
    "하이퍼파라미터 튜닝",
    "Random Search",
    "Grid Search",
    "Keras Tuner",
    "결론",
)
"""The post's headings, in its order; the ledger lists the claims in this order."""

SECTIONS_EN = {
    "데이터 읽어오기": "Loading the data",
    "데이터 분할": "Splitting the data",
    "기준모델 : Logistic Regression": "Baseline: logistic regression",
    "기본 인공신경망 : 은닉층 0개": "Basic network: no hidden layer",
    "기본 인공신경망 : 은닉층 1개": "Basic network: one hidden layer",
    "기본 인공신경망 : 은닉층 2개": "Basic network: two hidden layers",
    "실험1 : 은닉층의 수를 늘리면 성능이 오늘까?": "Experiment 1: do more hidden layers help?",
    "실험2 : 은닉층의 노드를 늘리면 성능이 오를까?": "Experiment 2: do more nodes help?",
    "실험3 : 은닉층의 모양은 성능과 어떤 상관이 있을까?": "Experiment 3: does the shape of the hidden layers matter?",
    "실험5 : batch_size": "Experiment 5: batch size",
    "학습률 Step Decay": "Learning rate: step decay",
    "학습률 Cosine Decay": "Learning rate: cosine decay",
    "가중치 감소(Weight Decay)": "Weight decay",
    "Dropout": "Dropout",
    "Early Stopping": "Early stopping",
    "하이퍼파라미터 튜닝": "Hyperparameter tuning",
    "Random Search": "Random search",
    "Grid Search": "Grid search",
    "Keras Tuner": "Keras Tuner",
    "결론": "Conclusion",
}
"""The post's headings in English, for the English pages."""

POST_CONCLUSIONS = (
    ("인공신경망으로 기준모델인 로지스틱 회귀모델 만큼은 나온것 같다.", "The neural network seems to have done at least as well as the logistic-regression baseline."),
    ("데이터가 작고, 단순하면 그냥 로지스틱 회귀모델로도 충분하다.", "When the data are small and simple, plain logistic regression is enough."),
    ("복잡한 데이터로 인공신경망을 구성하면 효과가 클 것 같다.", "A neural network would likely pay off more on complex data."),
    ("닭잡는데 소잡는 칼 쓰지말자", "Don't use an ox-butchering knife to kill a chicken."),
)
"""The post's conclusion, line by line as it writes it (Korean), with our English translation."""


def _build_claims() -> list[Claim]:
    claims = [
        Claim("data-shape", "데이터 읽어오기", "🎬 Rows, Columns : (344, 7)", "The penguins table has 344 rows and 7 columns.", (344, 7), "fact", _check_data_shape),
        Claim(
            "split-train-shape", "데이터 분할", "✨Train Shape : (275, 6) / (275, 1)",
            "The training split has 275 rows of 6 features (and 275 targets).", ((275, 6), (275, 1)), "fact", _split_shape("train", ((275, 6), (275, 1))),
        ),
        Claim(
            "split-test-shape", "데이터 분할", "🎉 Test Shape : (69, 6) / (69, 1)",
            "The test split has 69 rows of 6 features (and 69 targets).", ((69, 6), (69, 1)), "fact", _split_shape("test", ((69, 6), (69, 1))),
        ),
        Claim(
            "input-features", "기본 인공신경망 : 은닉층 0개", "입력 특성 7개, 출력 타겟클래스 3개, Total 파라미터 21개",
            "The network has 7 input features.", 7, "fact", _check_input_features,
        ),
        Claim(
            "output-classes", "기본 인공신경망 : 은닉층 0개", "입력 특성 7개, 출력 타겟클래스 3개, Total 파라미터 21개",
            "The network has 3 output classes.", 3, "fact", _check_output_classes, needs=("basic-networks",),
        ),
        Claim(
            "params-hidden-0", "기본 인공신경망 : 은닉층 0개", "Total params: 21",
            "Softmax layer only: 21 parameters.", (POST_SOFTMAX_PARAMS,), "fact", _params("basic-networks", "hidden-0", (POST_SOFTMAX_PARAMS,)), needs=("basic-networks",),
        ),
        Claim(
            "params-hidden-1", "기본 인공신경망 : 은닉층 1개", "은닉층이 생기면서 추정해야 할 파라미터가 1,003개로 늘었다. (700 + 303)",
            "One hidden layer of 100: 700 + 303 = 1,003 parameters.", (700, 303), "fact", _params("basic-networks", "hidden-1", (700, 303)), needs=("basic-networks",),
        ),
        Claim(
            "params-hidden-2", "기본 인공신경망 : 은닉층 2개", "Total params: 11,103 (700 + 10100 + 303)",
            "Two hidden layers of 100: 700 + 10,100 + 303 = 11,103 parameters.", (700, 10100, 303), "fact", _params("basic-networks", "hidden-2", (700, 10100, 303)),
            needs=("basic-networks",),
        ),
        Claim(
            "params-tuning-model", "하이퍼파라미터 튜닝", "Total params: 11,103 (700 + 10100 + 0 + 303, Dropout 포함)",
            "The tuning model (two layers of 100 and Dropout): 700 + 10,100 + 0 + 303 = 11,103 parameters.", (700, 10100, 0, 303), "fact",
            _params("overfitting", "dropout", (700, 10100, 0, 303)), needs=("overfitting",),
        ),
        *_accuracy_claims(),
        Claim(
            "step-decay-rates", "학습률 Step Decay", "학습률이 epoch가 진행됨에 따라 만든 함수에 따라서 감소하는 것을 볼 수 있다.",
            "The learning rate falls with the epochs as step_decay says: 0.2 for 3 epochs, then halved every 3.", STEP_DECAY_RATES, "fact",
            _check_step_decay_rates, needs=("lr-schedules",),
        ),
        Claim(
            "early-stopping-epoch", "Early Stopping", "다음과 같이 11번째 epoch에서 과적합이 발생해 학습이 중단되었다",
            "Early stopping ended training at epoch 11.", 11, "single run", _single("overfitting", "early-stopping", "epochs_run", 11), needs=("overfitting",),
        ),
        Claim(
            "two-hidden-layers-jump", "기본 인공신경망 : 은닉층 2개", "인공신경망의 은닉층이 2개 이상으로 늘어나지깐 정확도가 급 상승했다",
            "With two hidden layers the accuracy jumps (over one hidden layer).", "hidden-2 >> hidden-1", "conclusion", _check_jump, needs=("basic-networks",),
        ),
        Claim(
            "depth-no-gain-beyond-2", "실험1 : 은닉층의 수를 늘리면 성능이 오늘까?", "2개 이후로는 성능의 향상이 크게 없는 것 같다",
            "Beyond 2 hidden layers there is no big gain.", "depth >= 3 ≈ depth 2", "conclusion", _check_depth, needs=("depth",),
        ),
        Claim(
            "width-accuracy-rises", "실험2 : 은닉층의 노드를 늘리면 성능이 오를까?", "은닉층이 오르면서 성능도 오르고, 성능의 안정감도 오르는 것 같다.",
            "As the nodes increase, accuracy rises.", "rises with nodes", "conclusion", _check_width_rises, needs=("width",),
        ),
        Claim(
            "width-stability-rises", "실험2 : 은닉층의 노드를 늘리면 성능이 오를까?", "은닉층이 오르면서 성능도 오르고, 성능의 안정감도 오르는 것 같다.",
            "As the nodes increase, results get more stable across runs.", "sd falls with nodes", "conclusion", _check_width_stability, needs=("width",),
        ),
        Claim(
            "width-plateau-80", "실험2 : 은닉층의 노드를 늘리면 성능이 오를까?", "노드 80 이후로는 큰 차이가 없어보인다.",
            "Beyond about 80 nodes there is little difference.", "nodes >= 80 all alike", "conclusion", _check_width_plateau, needs=("width",),
        ),
        Claim(
            "shape-extremes-worse", "실험3 : 은닉층의 모양은 성능과 어떤 상관이 있을까?",
            "2개 은닉층의 비율이 크게 차이나는 1:99, 2:98 ... 98:2, 99:1 은 성능 점수도 낮고, 안정감도 떨어지는 것 같다. 은닉층의 비율은 비슷한 것이 좋겠다.",
            "Layers of similar size beat extreme ratios (1:99 ... 99:1) in accuracy.", "balanced > extreme", "conclusion", _check_shape_accuracy, needs=("shape",),
        ),
        Claim(
            "shape-extremes-unstable", "실험3 : 은닉층의 모양은 성능과 어떤 상관이 있을까?",
            "2개 은닉층의 비율이 크게 차이나는 1:99, 2:98 ... 98:2, 99:1 은 성능 점수도 낮고, 안정감도 떨어지는 것 같다.",
            "Extreme ratios are less stable across runs.", "extreme sd > balanced sd", "conclusion", _check_shape_stability, needs=("shape",),
        ),
        Claim(
            "batch-size-80-fine", "실험5 : batch_size", "실험 결과 80 이하가 적당한 것 같다.",
            "A batch size of 80 or less is fine.", "batch <= 80 ≈ best", "conclusion", _check_batch_size, needs=("batch-size",),
        ),
        Claim(
            "network-matches-baseline", "결론", "인공신경망으로 기준모델인 로지스틱 회귀모델 만큼은 나온것 같다. 데이터가 작고, 단순하면 그냥 로지스틱 회귀모델로도 충분하다.",
            "The network only matches the logistic-regression baseline; for small simple data logistic regression is enough.", "best network ≈ logistic",
            "conclusion", _check_matches_baseline, needs=("baseline", *NETWORK_RUNS),
        ),
        Claim(
            "random-search-best-score", "Random Search", "최적 정확도         : 0.9964",
            "Random search: best cross-validated accuracy 0.9964.", 0.9964, "search", _search_score("random", 0.9964), searches=("random",),
        ),
        Claim(
            "random-search-best-params", "Random Search",
            "최적 하이퍼파라미터 : {'batch_size': 8, 'epochs': 8, 'optimizer__learning_rate': 0.005731505218679044}",
            "Random search: the best candidate is batch size 8, 8 epochs, learning rate 0.00573.", RANDOM_BEST, "search",
            _search_params("random", RANDOM_BEST), searches=("random",),
        ),
        Claim(
            "grid-search-best-score", "Grid Search", "최적 정확도         : 0.9927",
            "Grid search: best cross-validated accuracy 0.9927.", 0.9927, "search", _search_score("grid", 0.9927), searches=("grid",),
        ),
        Claim(
            "grid-search-best-params", "Grid Search", "최적 하이퍼파라미터 : {'batch_size': 16, 'epochs': 12, 'optimizer__learning_rate': 0.001}",
            "Grid search: the best candidate is batch size 16, 12 epochs, learning rate 0.001.", GRID_BEST, "search",
            _search_params("grid", GRID_BEST), searches=("grid",),
        ),
        Claim(
            "tuner-summary-units", "Keras Tuner", "dense_6 (Dense) (None, 100) 700 / dense_7 (Dense) (None, 100) 10100 / Total params: 11,103",
            "The model after Keras Tuner has two hidden layers of 100 units.", 100, "fact", _check_tuner_units,
        ),
    ]
    ids = [claim.id for claim in claims]
    if len(set(ids)) != len(ids):
        raise RuntimeError("claim ids repeat")
    unknown = {claim.section for claim in claims} - set(SECTIONS)
    if unknown:
        raise RuntimeError(f"sections not in SECTIONS: {sorted(unknown)}")
    return sorted(claims, key=lambda claim: SECTIONS.index(claim.section))  # stable: the post's order within a section


CLAIMS: list[Claim] = _build_claims()
"""Every number and conclusion of the post, in the post's order."""


# --------------------------------------------------------------------------------------------
# The ledger
# --------------------------------------------------------------------------------------------

COLUMNS = ("id", "section", "kind", "statement_ko", "statement_en", "post", "ours", "verdict", "reason", "rule")


def collect_evidence(
    preset: str = "full",
    seeds: Sequence[int] | None = None,
    variant: str = "post",
    store: Any = None,
    jobs: int = 1,
    claims: Sequence[Claim] | None = None,
    searches: bool = True,
) -> Evidence:
    """Run (or read from the store) every experiment the claims need, and at preset ``full``
    the post's random and grid searches (one per seed) unless ``searches`` is False."""
    from penguins.store import ResultStore
    from penguins.sweep import run_experiment

    check_preset(preset)
    claims = CLAIMS if claims is None else claims
    seeds = tuple(default_seeds(preset) if seeds is None else seeds)
    if not seeds:
        raise ValueError("the ledger needs at least one seed")
    store = store if isinstance(store, ResultStore) else ResultStore(store)
    experiments = list(dict.fromkeys(name for claim in claims for name in claim.needs))
    sweeps = {name: run_experiment(name, preset, seeds, variant, jobs=jobs, store=store) for name in experiments}
    methods = list(dict.fromkeys(method for claim in claims for method in claim.searches))
    records, note = _run_searches(methods, preset, seeds, variant, store, jobs, searches)
    return Evidence.from_sweeps(preset, variant, seeds, sweeps, searches=records, search_note=note)


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


def evaluate(evidence: Evidence, claims: Sequence[Claim] | None = None) -> pd.DataFrame:
    """One row a claim: what the post says, what we get, the verdict, why and by which rule."""
    claims = CLAIMS if claims is None else claims
    rows = []
    for claim in claims:
        verdict = claim.evaluate(evidence)
        rows.append(
            {
                "id": claim.id,
                "section": claim.section,
                "kind": claim.kind,
                "statement_ko": claim.statement_ko,
                "statement_en": claim.statement_en,
                "post": _fmt(claim.post_value),
                "ours": verdict.ours,
                "verdict": verdict.verdict,
                "reason": verdict.reason,
                "rule": claim.rule,
            }
        )
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame.attrs.update(preset=evidence.preset, variant=evidence.variant, seeds=list(evidence.seeds))
    return frame


def ledger(
    preset: str = "full",
    seeds: Sequence[int] | None = None,
    variant: str = "post",
    store: Any = None,
    jobs: int = 1,
    *,
    searches: bool = True,
) -> pd.DataFrame:
    """The claims ledger at ``preset``: every claim of :data:`CLAIMS` checked against our
    per-seed results (computed through the results ``store``, a :class:`ResultStore`, a folder
    or None for the default). Columns: :data:`COLUMNS`; ``.attrs`` holds preset, variant and
    seeds. At preset ``full`` the post's random and grid searches run too (``searches=False``
    skips them; their claims are then not checkable)."""
    return evaluate(collect_evidence(preset, seeds, variant, store, jobs, searches=searches))


def verdict_counts(frame: pd.DataFrame) -> dict[str, int]:
    """How many claims got each verdict, in :data:`VERDICTS` order."""
    counts = frame["verdict"].value_counts()
    return {verdict: int(counts.get(verdict, 0)) for verdict in VERDICTS}


def format_ledger(frame: pd.DataFrame, width: int = 120) -> str:
    """The ledger as plain text for a terminal: a heading with the verdict counts, then per
    section of the post one block a claim: id, the post's value, ours and the verdict on one
    line, the English statement and the reason wrapped below."""
    attrs = frame.attrs
    seeds = attrs.get("seeds")
    heading = "Claims ledger"
    details = [f"preset {attrs['preset']}" if "preset" in attrs else "", f"variant {attrs['variant']}" if "variant" in attrs else ""]
    if seeds is not None:
        details.append(f"seeds {_seed_text(seeds)}")
    details = [detail for detail in details if detail]
    if details:
        heading += ": " + ", ".join(details)
    counts = verdict_counts(frame)
    lines = [heading, f"{len(frame)} claims: " + ", ".join(f"{count} {verdict}" for verdict, count in counts.items())]
    id_width = max([len("claim")] + [len(text) for text in frame["id"]])
    value_width = 26
    header = f"{'claim':<{id_width}}  {'post':<{value_width}}  {'ours':<{value_width}}  verdict"
    indent = " " * 4
    section = None
    for row in frame.itertuples(index=False):
        if row.section != section:
            section = row.section
            lines += ["", f"== {section} ==", header]
        post, ours = _clip(row.post, value_width), _clip(row.ours or "-", value_width)
        lines.append(f"{row.id:<{id_width}}  {post:<{value_width}}  {ours:<{value_width}}  {row.verdict}")
        for text in (row.statement_en, row.reason):
            lines += textwrap.wrap(text, width=width, initial_indent=indent, subsequent_indent=indent + "  ")
    return "\n".join(lines) + "\n"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _seed_text(seeds: Sequence[int]) -> str:
    seeds = list(seeds)
    if len(seeds) > 2 and seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]}-{seeds[-1]}"
    return ", ".join(str(seed) for seed in seeds)


def claim(claim_id: str) -> Claim:
    """The claim with id ``claim_id``."""
    for item in CLAIMS:
        if item.id == claim_id:
            return item
    raise KeyError(f"no claim {claim_id!r}")
