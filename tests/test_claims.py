"""The claims ledger (penguins.claims): one real smoke ledger, and every rule on synthetic numbers.

The smoke ledger trains each smoke experiment once for the session (2 seeds, in the session's
temporary store); the rules are tested on small made-up per-seed tables so that every verdict
branch of every rule is reached, i.e. each rule can fail.
"""

from __future__ import annotations

import os
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from penguins import claims as C
from penguins.claims import (
    CLAIMS,
    COLUMNS,
    NOISE,
    NOT_CHECKABLE,
    NOT_REPRODUCED,
    REPRODUCED,
    SEARCH_ABSENT,
    VERDICTS,
    Evidence,
    format_ledger,
    ledger,
    rule_best_candidate,
    rule_effect,
    rule_equivalent,
    rule_exact,
    rule_group_contrast,
    rule_no_big_gain,
    rule_single_run,
    rule_spread_contrast,
    rule_spread_trend,
    rule_trend,
)
from penguins.store import ResultStore

EXACT = (
    "data-shape",
    "split-train-shape",
    "split-test-shape",
    "output-classes",
    "params-hidden-0",
    "params-hidden-1",
    "params-hidden-2",
    "params-tuning-model",
    "step-decay-rates",
)


# ------------------------------------------------------------------------------------------
# The smoke ledger, computed once
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def smoke() -> pd.DataFrame:
    """The ledger at the smoke preset, in the session's temporary store (tests/conftest.py)."""
    root = os.environ["PENGUINS_STORE"]
    assert "pytest" in root or "tmp" in root  # never the project's store
    return ledger("smoke", store=ResultStore(root)).set_index("id", drop=False)


def test_one_row_per_claim_with_allowed_verdicts(smoke):
    assert list(smoke.columns) == list(COLUMNS)
    assert list(smoke["id"]) == [claim.id for claim in CLAIMS]
    assert smoke["id"].is_unique
    assert set(smoke["verdict"]) <= set(VERDICTS)
    assert smoke["reason"].str.len().min() > 0
    assert smoke["rule"].str.len().min() > 20
    assert smoke.attrs == {"preset": "smoke", "variant": "post", "seeds": [0, 1]}


def test_exact_facts_are_reproduced(smoke):
    for claim_id in EXACT:
        assert smoke.loc[claim_id, "verdict"] == REPRODUCED, (claim_id, smoke.loc[claim_id, "reason"])
    assert smoke.loc["params-hidden-2", "ours"] == "(700, 10100, 303) = 11,103"
    assert "on all 2 seeds" in smoke.loc["params-hidden-1", "reason"]


def test_seven_input_features_is_not_reproduced(smoke):
    row = smoke.loc["input-features"]
    assert row["verdict"] == NOT_REPRODUCED
    assert row["ours"] == "6"
    assert "f = 6" in row["reason"] and "24" in row["reason"]


def test_tuner_summary_of_100_units_is_not_reproduced(smoke):
    row = smoke.loc["tuner-summary-units"]
    assert row["verdict"] == NOT_REPRODUCED
    assert "100 is not one of them" in row["reason"]


def test_single_runs_and_checkable_conclusions_get_a_judgement_at_smoke(smoke):
    judged = smoke[smoke["kind"] == "single run"]
    assert len(judged) == 19
    assert set(judged["verdict"]) <= {REPRODUCED, NOISE, NOT_REPRODUCED}
    assert judged["ours"].str.endswith("(n=2)").all()
    for claim_id in ("two-hidden-layers-jump", "network-matches-baseline"):
        assert smoke.loc[claim_id, "verdict"] != NOT_CHECKABLE, smoke.loc[claim_id, "reason"]


def test_conclusions_needing_absent_points_are_not_checkable_at_smoke(smoke):
    missing = {
        "depth-no-gain-beyond-2": "missing: any depth >= 3",
        "width-accuracy-rises": "missing: 3 more widths",
        "width-stability-rises": "missing: 3 more widths",
        "width-plateau-80": "missing: 1 more width >= 80",
        "shape-extremes-worse": "missing: first layer >= 95",
        "shape-extremes-unstable": "missing: first layer >= 95",
        "batch-size-80-fine": "missing: batch size 80",
    }
    for claim_id, text in missing.items():
        row = smoke.loc[claim_id]
        assert row["verdict"] == NOT_CHECKABLE, (claim_id, row["reason"])
        assert text in row["reason"] and "preset smoke has" in row["reason"], (claim_id, row["reason"])


def test_search_claims_are_not_checkable_without_search_results(smoke):
    for claim_id in ("random-search-best-score", "random-search-best-params", "grid-search-best-score", "grid-search-best-params"):
        assert smoke.loc[claim_id, "verdict"] == NOT_CHECKABLE
        assert SEARCH_ABSENT in smoke.loc[claim_id, "reason"]


def test_format_ledger_is_plain_text_with_every_claim(smoke):
    text = format_ledger(smoke.reset_index(drop=True), width=100)
    assert text.startswith("Claims ledger: preset smoke, variant post, seeds 0, 1\n")
    counts = C.verdict_counts(smoke)
    assert f"{len(CLAIMS)} claims: {counts[REPRODUCED]} reproduced" in text
    for claim in CLAIMS:
        assert f"\n{claim.id} " in text
    assert max(len(line) for line in text.splitlines()) <= 130


# ------------------------------------------------------------------------------------------
# The claims as data
# ------------------------------------------------------------------------------------------


def test_claims_are_complete_data():
    kinds = {claim.kind for claim in CLAIMS}
    assert kinds <= set(C.KINDS)
    for claim in CLAIMS:
        assert claim.statement_ko and claim.statement_en and claim.section in C.SECTIONS and claim.rule
    # listed in the post's order of sections
    assert [C.SECTIONS.index(claim.section) for claim in CLAIMS] == sorted(C.SECTIONS.index(claim.section) for claim in CLAIMS)
    single = {claim.id: claim.post_value for claim in CLAIMS if claim.kind == "single run"}
    assert single["logistic-test-accuracy"] == 0.971 and single["early-stopping-epoch"] == 11
    assert single["cosine-decay-train-accuracy"] == 0.913
    assert C.claim("params-hidden-1").post_value == (700, 303)
    # the conclusions' rules state their thresholds as numbers
    assert "0.05" in C.claim("two-hidden-layers-jump").rule and "0.02" in C.claim("depth-no-gain-beyond-2").rule


def test_post_random_search_candidates_come_from_random_state_83():
    assert C.post_random_state() == 83


def test_rounding_of_the_posts_numbers():
    assert C.decimals(0.971) == 3 and C.decimals(0.9964) == 4 and C.decimals(11) == 0
    assert C.half_unit(0.971) == pytest.approx(0.0005) and C.half_unit(11) == 0


# ------------------------------------------------------------------------------------------
# Every rule, every branch, on synthetic per-seed numbers
# ------------------------------------------------------------------------------------------


def long(columns: dict, score: str = "test_accuracy") -> pd.DataFrame:
    """A per-seed table like SweepResult.table(): ``{value: [score of seed 0, seed 1, ...]}``."""
    return pd.DataFrame(
        [{"value": value, "seed": seed, score: float(x)} for value, xs in columns.items() for seed, x in enumerate(xs)]
    )


def test_rule_exact():
    assert rule_exact([(344, 7)], (344, 7)).verdict == REPRODUCED
    assert rule_exact([0.2, 0.2000000012], 0.2).verdict == REPRODUCED  # float32 precision
    assert rule_exact([6], 7).verdict == NOT_REPRODUCED
    differs = rule_exact([(700, 303), (700, 304)], (700, 303))
    assert differs.verdict == NOT_REPRODUCED and "differs between seeds" in differs.reason
    assert rule_exact([], 3).verdict == NOT_CHECKABLE


def test_rule_single_run():
    assert rule_single_run([0.96, 0.97, 0.98], 0.971).verdict == REPRODUCED
    # all seeds 67/69 = 0.97101...: the post's rounded 0.971 is the same number
    assert rule_single_run([67 / 69] * 3, 0.971).verdict == REPRODUCED
    assert rule_single_run([67 / 69] * 3, 0.957).verdict == NOT_REPRODUCED
    tight = [0.90, 0.91] * 4 + [0.90, 0.95]
    in_range = rule_single_run(tight, 0.95)
    assert in_range.verdict == NOISE and "range of our seeds" in in_range.reason
    assert rule_single_run([0.90, 0.92, 0.94], 0.99).verdict == NOISE  # beyond the range, inside the prediction interval
    assert rule_single_run(tight, 0.99).verdict == NOT_REPRODUCED
    assert rule_single_run([11, 12, 11], 11).verdict == REPRODUCED
    assert rule_single_run([20, 20, 20], 11).verdict == NOT_REPRODUCED
    one = rule_single_run([0.97], 0.971)
    assert one.verdict == NOT_CHECKABLE and "at least 2 seeds" in one.reason


def test_rule_effect():
    assert rule_effect([0.20, 0.18, 0.22], 0.05).verdict == REPRODUCED
    assert rule_effect([0.00, 0.01, -0.01], 0.05).verdict == NOT_REPRODUCED
    assert rule_effect([0.30, -0.10, 0.20], 0.05).verdict == NOISE
    assert rule_effect([0.0, 0.0, 0.0], 0.0).verdict == NOT_REPRODUCED
    assert rule_effect([0.1], 0.0).verdict == NOT_CHECKABLE


def test_rule_no_big_gain():
    base = [0.95, 0.96, 0.97]
    small = long({2: base, 3: [x + 0.005 for x in base], 4: [x - 0.1 for x in base]})
    assert rule_no_big_gain(small, [(2, 3), (2, 4)], 0.02).verdict == REPRODUCED
    big = long({2: base, 3: [x + g for x, g in zip(base, (0.10, 0.11, 0.09))]})
    verdict = rule_no_big_gain(big, [(2, 3)], 0.02, name="depth")
    assert verdict.verdict == NOT_REPRODUCED and "depth 3 over 2" in verdict.reason
    noisy = long({2: base, 3: [x + g for x, g in zip(base, (0.20, -0.10, 0.0))]})
    assert rule_no_big_gain(noisy, [(2, 3)], 0.02).verdict == NOISE
    # the same big gain, Bonferroni-corrected over many comparisons, no longer counts as certain
    many = long({2: base, 3: [x + g for x, g in zip(base, (0.05, 0.10, 0.07))], **{k: base for k in range(4, 40)}})
    assert rule_no_big_gain(many, [(2, k) for k in range(3, 40)], 0.02).verdict == NOISE
    assert rule_no_big_gain(many.iloc[:0].assign(value=[]), [], 0.02).verdict == NOT_CHECKABLE
    # two-sided: a width that is much *worse* also breaks "no big difference"
    plateau = long({80: base, 100: [x - g for x, g in zip(base, (0.10, 0.11, 0.09))]})
    assert rule_no_big_gain(plateau, [(80, 100)], 0.02).verdict == REPRODUCED
    assert rule_no_big_gain(plateau, [(80, 100)], 0.02, two_sided=True).verdict == NOT_REPRODUCED


def test_rule_trend():
    values = [1, 2, 4, 8, 16]
    rising = long({v: [0.5 + 0.08 * i + 0.01 * s for s in range(3)] for i, v in enumerate(values)})
    assert rule_trend(rising, +1).verdict == REPRODUCED
    assert rule_trend(rising, -1).verdict == NOT_REPRODUCED
    rng = np.random.default_rng(0)
    mixed = long({v: [0.9 + 0.01 * x for x in rng.permutation(3)] for v in values})
    mixed.loc[mixed["seed"] == 1, "test_accuracy"] = [0.95, 0.91, 0.93, 0.92, 0.94]
    mixed.loc[mixed["seed"] == 0, "test_accuracy"] = [0.91, 0.95, 0.92, 0.94, 0.93]
    mixed.loc[mixed["seed"] == 2, "test_accuracy"] = [0.93, 0.92, 0.95, 0.91, 0.94]
    assert rule_trend(mixed, +1).verdict == NOISE
    assert rule_trend(long({1: [0.5, 0.6], 2: [0.7, 0.8]}), +1).verdict == NOT_CHECKABLE


def test_rule_spread_trend():
    values = [1, 2, 4, 8, 16]
    spreads = [0.10, 0.06, 0.03, 0.02, 0.01]
    calming = long({v: [0.9 - s, 0.9, 0.9 + s] for v, s in zip(values, spreads)})
    assert rule_spread_trend(calming, -1).verdict == REPRODUCED
    assert rule_spread_trend(calming, +1).verdict == NOT_REPRODUCED
    uneven = long({v: [0.9 - s, 0.9, 0.9 + s] for v, s in zip(values, [0.02, 0.01, 0.03, 0.015, 0.025])})
    assert rule_spread_trend(uneven, -1).verdict == NOISE
    assert rule_spread_trend(long({v: [0.9, 0.95] for v in values[:3]}), -1).verdict == NOT_CHECKABLE
    assert rule_spread_trend(long({v: [0.9] for v in values}), -1).verdict == NOT_CHECKABLE


def test_rule_group_contrast():
    table = long({1: [0.80, 0.85, 0.70], 99: [0.75, 0.80, 0.78], 50: [0.95, 0.97, 0.96]})
    assert rule_group_contrast(table, [50], [1, 99]).verdict == REPRODUCED
    assert rule_group_contrast(table, [1, 99], [50]).verdict == NOT_REPRODUCED
    close = long({1: [0.95, 0.90, 0.97], 50: [0.96, 0.94, 0.93]})
    assert rule_group_contrast(close, [50], [1]).verdict == NOISE
    assert rule_group_contrast(close, [], [1]).verdict == NOT_CHECKABLE


def test_rule_spread_contrast():
    wild = [0.5, 0.9, 0.6, 0.95]
    calm = [0.95, 0.96, 0.95, 0.96]
    table = long({1: wild, 99: wild[::-1], 40: calm, 60: calm[::-1]})
    assert rule_spread_contrast(table, [40, 60], [1, 99]).verdict == REPRODUCED
    assert rule_spread_contrast(table, [1, 99], [40, 60]).verdict == NOT_REPRODUCED
    alike = long({1: [0.90, 0.92, 0.91, 0.93], 50: [0.93, 0.90, 0.92, 0.91]})
    assert rule_spread_contrast(alike, [50], [1]).verdict == NOISE
    flat = long({1: [0.9] * 3, 50: [0.9] * 3})
    assert rule_spread_contrast(flat, [50], [1]).verdict == NOT_REPRODUCED
    assert rule_spread_contrast(long({1: [0.9], 50: [0.95]}), [50], [1]).verdict == NOT_CHECKABLE


def test_rule_equivalent():
    assert rule_equivalent([0.0, 0.01, -0.01], 0.02).verdict == REPRODUCED
    assert rule_equivalent([0.10, 0.12, 0.11], 0.02).verdict == NOT_REPRODUCED
    assert rule_equivalent([-0.10, -0.12, -0.11], 0.02).verdict == NOT_REPRODUCED
    assert rule_equivalent([0.20, -0.10, 0.05], 0.02).verdict == NOISE
    assert rule_equivalent([0.0], 0.02).verdict == NOT_CHECKABLE


def test_rule_best_candidate():
    a, b, c = {"batch_size": 8, "lr": 0.005}, {"batch_size": 16, "lr": 0.001}, {"batch_size": 2, "lr": 0.009}
    grid = [a, b, c]
    assert rule_best_candidate([(grid, a), (grid, a), (grid, b)], a).verdict == REPRODUCED
    assert rule_best_candidate([(grid, a), (grid, b), (grid, c)], a).verdict == NOISE
    assert rule_best_candidate([(grid, b), (grid, b), (grid, c)], a).verdict == NOT_REPRODUCED
    assert rule_best_candidate([(grid, a), (grid, a)], {"batch_size": 8, "lr": 0.0050000001}).verdict == REPRODUCED
    untried = rule_best_candidate([([b, c], b)], a)
    assert untried.verdict == NOT_CHECKABLE and "none of our 1 searches" in untried.reason


# ------------------------------------------------------------------------------------------
# The claims' checks on synthetic evidence: the adapters can fail too
# ------------------------------------------------------------------------------------------


def evidence(**tables: pd.DataFrame) -> Evidence:
    return Evidence("full", "post", (0, 1, 2), tables={name.replace("_", "-"): table for name, table in tables.items()})


def test_depth_claim_both_ways():
    base = [0.95, 0.96, 0.97]
    flat = long({1: [0.7, 0.72, 0.71], 2: base, 3: base, 10: [0.44, 0.44, 0.44]})
    assert C.claim("depth-no-gain-beyond-2").evaluate(evidence(depth=flat)).verdict == REPRODUCED
    low = [0.80, 0.81, 0.82]
    gain = long({2: low, 3: [x + 0.1 for x in low], 4: [x + 0.11 for x in low]})
    assert C.claim("depth-no-gain-beyond-2").evaluate(evidence(depth=gain)).verdict == NOT_REPRODUCED


def test_batch_size_claim_fails_when_80_is_far_behind_the_best():
    table = long({16: [0.96, 0.97, 0.95], 32: [0.95, 0.96, 0.95], 80: [0.80, 0.82, 0.79], 275: [0.44, 0.50, 0.45]})
    verdict = C.claim("batch-size-80-fine").evaluate(evidence(batch_size=table))
    assert verdict.verdict == NOT_REPRODUCED and "batch size 16 over 80" in verdict.reason
    fine = long({16: [0.96, 0.97, 0.95], 32: [0.96, 0.96, 0.95], 80: [0.95, 0.96, 0.95], 275: [0.44, 0.50, 0.45]})
    assert C.claim("batch-size-80-fine").evaluate(evidence(batch_size=fine)).verdict == REPRODUCED


def test_shape_and_width_claims_on_full_like_grids():
    firsts = [1, 3, 10, 40, 50, 60, 90, 97, 99]
    accuracy = {f: 0.96 - 0.3 * (min(f, 100 - f) <= 5) for f in firsts}
    spread = {f: 0.1 if min(f, 100 - f) <= 5 else 0.005 for f in firsts}
    table = long({f: [accuracy[f] - spread[f], accuracy[f], accuracy[f] + spread[f]] for f in firsts})
    assert C.claim("shape-extremes-worse").evaluate(evidence(shape=table)).verdict == REPRODUCED
    assert C.claim("shape-extremes-unstable").evaluate(evidence(shape=table)).verdict == REPRODUCED
    widths = [1, 2, 4, 8, 16, 30, 50, 80, 100]
    rising = long({w: [0.4 + 0.06 * i + 0.005 * s for s in range(3)] for i, w in enumerate(widths)})
    ev = evidence(width=rising)
    assert C.claim("width-accuracy-rises").evaluate(ev).verdict == REPRODUCED
    plateau = C.claim("width-plateau-80").evaluate(ev)  # 80 -> 100 still gains 0.06 on every seed
    assert plateau.verdict == NOT_REPRODUCED and "nodes 100 over 80" in plateau.reason


def test_matches_baseline_claim_fails_when_a_network_is_far_better():
    ev = evidence(
        baseline=long({"logistic": [0.90, 0.91, 0.89]}),
        basic_networks=long({"hidden-0": [0.4] * 3, "hidden-1": [0.7] * 3, "hidden-2": [0.99, 0.985, 0.995]}),
        lr_schedules=long({"step-decay": [0.9] * 3, "cosine-decay": [0.9] * 3}),
        overfitting=long({"weight-decay": [0.9] * 3, "dropout": [0.9] * 3, "early-stopping": [0.9] * 3}),
    )
    verdict = C.claim("network-matches-baseline").evaluate(ev)
    assert verdict.verdict == NOT_REPRODUCED and "hidden-2" in verdict.reason
    jump = C.claim("two-hidden-layers-jump").evaluate(ev)
    assert jump.verdict == REPRODUCED


def fake_search(candidates: list[dict], best: dict, score: float, effective: dict | None = None) -> SimpleNamespace:
    rows = [{"params": c, "effective": effective or {"epochs": 10}} for c in candidates]
    return SimpleNamespace(rows=rows, best_params=best, best_score=score)


def test_search_claims_with_search_records():
    grid = [{"batch_size": b, "epochs": e, "optimizer__learning_rate": lr} for lr in (0.001, 0.005) for b in (10, 16) for e in (10, 12)]
    best = C.GRID_BEST
    ev = Evidence("full", "post", (0, 1, 2, 3, 4))
    scores = (0.98, 0.981, 0.98, 0.981, 0.9928)  # 0.9927 is beyond the interval of the mean, inside the range
    bests = (best, best, best, grid[0], grid[1])
    ev.searches = {
        "grid": [fake_search(grid, b, x) for b, x in zip(bests, scores)],
        "random": [fake_search(grid, grid[1], 0.99)] * 5,  # never tries the post's random candidates
    }
    params = C.claim("grid-search-best-params").evaluate(ev)
    assert params.verdict == REPRODUCED and params.ours == "best in 3 of 5"
    assert "the searched values never reached Keras" in params.reason
    assert C.claim("grid-search-best-score").evaluate(ev).verdict == NOISE
    random_params = C.claim("random-search-best-params").evaluate(ev)
    assert random_params.verdict == NOT_CHECKABLE and "random_state=83" in random_params.reason


# ------------------------------------------------------------------------------------------
# The post's text as data, and the per-seed values behind single numbers (for the chapters)
# ------------------------------------------------------------------------------------------


def test_single_run_claims_expose_their_per_seed_values():
    table = pd.DataFrame(
        {"value": ["logistic"] * 3, "seed": [2, 0, 1], "train_accuracy": [0.98, 0.97, 0.99], "test_accuracy": [0.95, 0.97, 0.96]}
    )
    ev = Evidence("smoke", "post", (0, 1, 2), tables={"baseline": table})
    test_claim = C.claim("logistic-test-accuracy")
    assert test_claim.has_observed
    observed = test_claim.observed(ev)
    assert list(observed.index) == [0, 1, 2] and list(observed) == [0.97, 0.96, 0.95]
    assert test_claim.evaluate(ev) == rule_single_run(observed.to_numpy(), 0.971, "logistic test accuracy")
    with pytest.raises(C.NotCheckable):
        C.claim("hidden-2-test-accuracy").observed(ev)
    assert not C.claim("input-features").has_observed
    with pytest.raises(TypeError):
        C.claim("input-features").observed(ev)
    observed_ids = {claim.id for claim in CLAIMS if claim.has_observed}
    assert observed_ids == {claim.id for claim in CLAIMS if claim.kind == "single run"} | {
        "random-search-best-score",
        "grid-search-best-score",
    }


def test_search_best_scores_expose_their_per_seed_values():
    ev = Evidence("full", "post", (3, 4))
    ev.searches = {"grid": [SimpleNamespace(seed=3, best_score=0.99), SimpleNamespace(seed=4, best_score=0.98)]}
    observed = C.claim("grid-search-best-score").observed(ev)
    assert list(observed.index) == [3, 4] and list(observed) == [0.99, 0.98]


def test_post_search_tables_agree_with_the_posts_best():
    for method, best, score in (("random", C.RANDOM_BEST, "random-search-best-score"), ("grid", C.GRID_BEST, "grid-search-best-score")):
        table = C.post_search_table(method)
        top = table.loc[table["mean_test_score"].idxmax()]
        assert {name: top[name] for name in best} == best
        assert round(top["mean_test_score"], 4) == C.claim(score).post_value
    assert list(C.post_search_table("random")["candidate"]) == list(range(len(C.POST_RANDOM_CANDIDATES)))
    from penguins.search import preset

    grid = preset("grid", "full")
    assert len(C.POST_GRID_CANDIDATES) == len(grid.learning_rates) * len(grid.batch_sizes) * len(grid.epochs)


def test_sections_and_conclusions_are_in_both_languages():
    assert set(C.SECTIONS_EN) == set(C.SECTIONS)
    assert all(korean and english for korean, english in C.POST_CONCLUSIONS)
    assert "소잡는 칼" in C.POST_CONCLUSIONS[-1][0]
