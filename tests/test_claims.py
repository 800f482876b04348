"""The claims ledger (penguins.claims): one real smoke ledger, the post's statements as data, and the
checks on synthetic evidence, so that every check can fail.

The rules themselves (their levels and power) are validated by simulation in test_claims_rules.py.
"""

from __future__ import annotations

import re
from pathlib import Path
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
)
from penguins.claims import post as P
from penguins.store import ResultStore

POST_FILE = Path(__file__).resolve().parents[2] / "shared" / "original-post" / "penguins-neural-network.ko.md"
EXACT = ("data-shape", "split-train-shape", "split-test-shape", "output-classes", "params-hidden-0", "params-hidden-1",
         "params-hidden-2", "params-tuning-model", "step-decay-rates")


# --------------------------------------------------------------------------- the smoke ledger


@pytest.fixture(scope="module")
def smoke(reproduced_store: str) -> pd.DataFrame:
    """The ledger at the smoke preset, on the session's store filled by ``penguins reproduce``."""
    return ledger("smoke", store=ResultStore(reproduced_store)).set_index("id", drop=False)


def test_one_row_per_claim_with_allowed_verdicts_and_tests(smoke: pd.DataFrame) -> None:
    assert list(smoke.columns) == list(COLUMNS)
    assert list(smoke["id"]) == [claim.id for claim in CLAIMS] and smoke["id"].is_unique
    assert set(smoke["verdict"]) <= set(VERDICTS)
    assert smoke["reason"].str.len().min() > 0 and smoke["rule"].str.len().min() > 20
    judged = smoke[smoke["verdict"] != NOT_CHECKABLE]
    assert (judged["test"].str.len() > 0).all()  # every judged claim names its procedure
    tested = judged[~judged["test"].str.startswith("measurement")]
    assert (tested["level"] == C.ALPHA).all()  # ... and a test has a level
    assert smoke.attrs == {"preset": "smoke", "variant": "post", "seeds": [0, 1]}


def test_exact_facts_are_measured_equal(smoke: pd.DataFrame) -> None:
    for claim_id in EXACT:
        assert smoke.loc[claim_id, "verdict"] == REPRODUCED, (claim_id, smoke.loc[claim_id, "reason"])
    assert smoke.loc["params-hidden-2", "ours"] == "(700, 10100, 303) = 11,103"
    assert "on all 2 seeds" in smoke.loc["params-hidden-1", "reason"]


def test_seven_input_features_is_not_reproduced(smoke: pd.DataFrame) -> None:
    row = smoke.loc["input-features"]
    assert (row["verdict"], row["ours"]) == (NOT_REPRODUCED, "6")
    assert "f = 6" in row["reason"]


def test_the_tuners_100_units_are_not_among_the_values_its_space_gives(smoke: pd.DataFrame) -> None:
    row = smoke.loc["tuner-summary-units"]
    assert row["verdict"] == NOT_REPRODUCED and "not 100" in row["reason"]


def test_the_posts_code_is_judged_by_what_was_measured(smoke: pd.DataFrame, reproduced_store: str) -> None:
    from penguins import extras

    unseeded, _ = extras.unseeded_runs(ResultStore(reproduced_store))
    repeats = unseeded["trained_equal_share"] == 1.0
    assert smoke.loc["unseeded-runs", "verdict"] == (REPRODUCED if repeats else NOT_REPRODUCED)
    assert f"{unseeded['trained_equal_share']:.0%} of the trained weights" in smoke.loc["unseeded-runs", "reason"]
    step = smoke.loc["step-decay-learning-rate"]  # LearningRateScheduler sets step_decay(0) = 0.2 over Adam's 0.001
    assert (step["verdict"], step["ours"]) == (NOT_REPRODUCED, "0.2") and "200 times" in step["reason"]
    reach = smoke.loc["searched-values-reach-the-model"]
    reached, fits = (int(count) for count in re.match(r"(\d+) of (\d+) fits", reach["ours"]).groups())
    assert reach["verdict"] == (REPRODUCED if reached == fits else NOT_REPRODUCED)


def test_conclusions_needing_absent_points_say_what_is_missing(smoke: pd.DataFrame) -> None:
    missing = {
        "depth-no-gain-beyond-2": "missing: a depth >= 3",
        "width-accuracy-rises": "missing: 3 more",
        "width-plateau-80": "missing: 1 more",
        "shape-extremes-worse": "missing: first layer >= 95",
        "batch-size-80-fine": "batch size 80",
    }
    for claim_id, text in missing.items():
        row = smoke.loc[claim_id]
        assert row["verdict"] == NOT_CHECKABLE and text in row["reason"] and "preset smoke has" in row["reason"], (
            row["reason"]
        )
    for claim_id in ("grid-search-best-score", "grid-search-best-params", "tuner-summary-params", "tuner-held-out"):
        assert smoke.loc[claim_id, "verdict"] == NOT_CHECKABLE and SEARCH_ABSENT in smoke.loc[claim_id, "reason"]


def test_format_ledger_prints_each_rule_its_test_and_level(smoke: pd.DataFrame) -> None:
    text = format_ledger(smoke.reset_index(drop=True), width=100)
    assert text.startswith("Claims ledger: preset smoke, variant post, seeds 0, 1\n")
    counts = C.verdict_counts(smoke)
    assert f"{len(CLAIMS)} claims: {counts[REPRODUCED]} reproduced" in text
    for claim in CLAIMS:
        assert f"\n{claim.id} " in text
    assert "    test: prediction of one run, Student t on counts, level 5%" in text
    assert max(len(line) for line in text.splitlines()) <= 130


def test_the_smoke_ledger_by_seeds_is_the_ledger(smoke: pd.DataFrame, reproduced_store: str) -> None:
    evidence = C.collect_evidence("smoke", store=ResultStore(reproduced_store))
    ledgers = C.ledgers_by_seeds(evidence)
    assert list(ledgers) == [2]  # two seeds: nothing smaller to compare with
    assert list(ledgers[2]["verdict"]) == list(smoke["verdict"])
    assert list(C.ledgers_by_seeds(evidence, counts=(1,))) == [2]  # one seed is no ledger to compare


def test_evidence_on_fewer_seeds_is_what_collecting_them_gives(reproduced_store: str) -> None:
    store = ResultStore(reproduced_store)
    evidence = C.collect_evidence("smoke", store=store)
    first = evidence.seeds[:1]
    restricted, collected = evidence.restricted(first), C.collect_evidence("smoke", first, store=store)
    assert restricted.seeds == collected.seeds == first
    for name, table in collected.tables.items():
        pd.testing.assert_frame_equal(restricted.tables[name], table)
    assert restricted.searches == collected.searches and restricted.extras == collected.extras
    pd.testing.assert_frame_equal(C.evaluate(restricted), C.evaluate(collected))
    with pytest.raises(ValueError, match="not a non-empty subset"):
        evidence.restricted((12345,))


# --------------------------------------------------------------------------- the post as data


@pytest.mark.skipif(not POST_FILE.exists(), reason="the original post is kept beside the repository, not in it")
def test_every_statement_quotes_the_post_verbatim_at_its_line() -> None:
    assert P.misquoted(POST_FILE.read_text(encoding="utf-8")) == []


def test_statements_are_complete_data() -> None:
    for claim in CLAIMS:
        assert claim.kind in C.KINDS and claim.section in C.SECTIONS and claim.rule
        assert claim.statement_ko and claim.statement_en and claim.statement_ko != claim.statement_en
    assert [C.SECTIONS.index(claim.section) for claim in CLAIMS] == sorted(
        C.SECTIONS.index(claim.section) for claim in CLAIMS
    )
    single = {claim.id: claim.post_value for claim in CLAIMS if claim.kind == "single run"}
    assert single["logistic-test-accuracy"] == 0.971 and single["early-stopping-epoch"] == 11
    assert C.claim("params-hidden-1").post_value == (700, 303)
    assert "0.05" in C.claim("two-hidden-layers-jump").rule and "0.02" in C.claim("depth-no-gain-beyond-2").rule
    assert set(C.SECTIONS_EN) == set(C.SECTIONS)


def test_a_misquote_is_found() -> None:
    quoted = "\n" * 2000  # a post with none of the statements in it
    assert len(P.misquoted(quoted)) == len(CLAIMS)


def test_the_posts_random_search_candidates_come_from_its_seed() -> None:
    assert C.post_random_state() == 83


def test_post_search_tables_agree_with_the_posts_best() -> None:
    for method, best, score in (
        ("random", C.RANDOM_BEST, "random-search-best-score"),
        ("grid", C.GRID_BEST, "grid-search-best-score"),
    ):
        table = C.post_search_table(method)
        top = table.loc[table["mean_test_score"].idxmax()]
        assert {name: top[name] for name in best} == best
        assert round(top["mean_test_score"], 4) == C.claim(score).post_value


# --------------------------------------------------------------------------- checks on synthetic evidence


def long(columns: dict) -> pd.DataFrame:
    """A per-seed table like SweepResult.table(): ``{value: [test accuracy of seed 0, seed 1, ...]}``."""
    return pd.DataFrame(
        [
            {"value": value, "seed": seed, "test_accuracy": float(x)}
            for value, xs in columns.items()
            for seed, x in enumerate(xs)
        ]
    )


def noisy(mean: float, seeds: int = 10, sd: float = 0.01, seed: int = 0) -> list[float]:
    return list(np.round((mean + np.random.default_rng(seed).normal(0, sd, seeds)) * 69) / 69)


def evidence(seeds: int = 10, **tables: pd.DataFrame) -> Evidence:
    return Evidence(
        "full", "post", tuple(range(seeds)), tables={name.replace("_", "-"): table for name, table in tables.items()}
    )


def test_depth_claim_both_ways() -> None:
    level = long({1: noisy(0.7, seed=1), 2: noisy(0.95, seed=2), 3: noisy(0.95, seed=3), 10: noisy(0.44, seed=4)})
    assert C.claim("depth-no-gain-beyond-2").evaluate(evidence(depth=level)).verdict == REPRODUCED
    gain = long({2: noisy(0.80, seed=2), 3: noisy(0.90, seed=3), 4: noisy(0.91, seed=4)})
    verdict = C.claim("depth-no-gain-beyond-2").evaluate(evidence(depth=gain))
    assert verdict.verdict == NOT_REPRODUCED and verdict.effect is not None and verdict.effect.estimate > 0.05


def test_batch_size_claims_both_ways() -> None:
    behind = long({16: noisy(0.96, seed=1), 32: noisy(0.96, seed=2), 80: noisy(0.80, seed=3), 275: noisy(0.45, seed=4)})
    assert C.claim("batch-size-80-fine").evaluate(evidence(batch_size=behind)).verdict == NOT_REPRODUCED
    fine = long({16: noisy(0.96, seed=1), 32: noisy(0.96, seed=2), 80: noisy(0.96, seed=3), 275: noisy(0.45, seed=4)})
    assert C.claim("batch-size-80-fine").evaluate(evidence(batch_size=fine)).verdict == REPRODUCED
    assert C.claim("batch-size-above-80-worse").evaluate(evidence(batch_size=fine)).verdict == REPRODUCED
    flat = long({16: noisy(0.96, seed=1), 80: noisy(0.96, seed=3), 275: noisy(0.96, seed=4)})
    assert C.claim("batch-size-above-80-worse").evaluate(evidence(batch_size=flat)).verdict == NOT_REPRODUCED


def test_shape_claims_on_the_stabilised_scale() -> None:
    firsts = [1, 3, 10, 40, 50, 60, 90, 97, 99]
    extreme = {f: min(f, 100 - f) <= 5 for f in firsts}
    table = long({f: noisy(0.66 if extreme[f] else 0.96, sd=0.08 if extreme[f] else 0.01, seed=f) for f in firsts})
    assert C.claim("shape-extremes-worse").evaluate(evidence(shape=table)).verdict == REPRODUCED
    assert C.claim("shape-extremes-unstable").evaluate(evidence(shape=table)).verdict == REPRODUCED
    same = long({f: noisy(0.9, sd=0.03, seed=f) for f in firsts})
    assert C.claim("shape-extremes-worse").evaluate(evidence(shape=same)).verdict != REPRODUCED


def test_width_claims() -> None:
    widths = [1, 2, 4, 8, 16, 30, 50, 80, 100]
    rising = long({w: noisy(0.4 + 0.06 * i, seed=i) for i, w in enumerate(widths)})
    ev = evidence(width=rising)
    assert C.claim("width-accuracy-rises").evaluate(ev).verdict == REPRODUCED
    plateau = C.claim("width-plateau-80").evaluate(ev)  # 80 -> 100 still gains 6 points on every seed
    assert plateau.verdict == NOT_REPRODUCED
    flat_top = long(
        {
            **{w: noisy(0.4 + 0.06 * i, seed=i) for i, w in enumerate(widths[:7])},
            80: noisy(0.96, seed=7),
            100: noisy(0.96, seed=8),
        }
    )
    assert C.claim("width-plateau-80").evaluate(evidence(width=flat_top)).verdict == REPRODUCED


def networks(hidden_2: float, logistic: float = 0.95) -> Evidence:
    return evidence(
        baseline=long({"logistic": noisy(logistic, seed=1)}),
        basic_networks=long(
            {"hidden-0": noisy(0.4, seed=2), "hidden-1": noisy(0.7, seed=3), "hidden-2": noisy(hidden_2, seed=4)}
        ),
        lr_schedules=long({"step-decay": noisy(0.85, seed=5), "cosine-decay": noisy(0.85, seed=6)}),
        overfitting=long(
            {"weight-decay": noisy(0.85, seed=7), "dropout": noisy(0.85, seed=8), "early-stopping": noisy(0.85, seed=9)}
        ),
    )


def test_the_baseline_claims_follow_the_best_network() -> None:
    # one network a point ahead: surely not 2 points behind, even after Holm's correction over six
    assert C.claim("network-matches-baseline").evaluate(networks(0.96)).verdict == REPRODUCED
    assert C.claim("logistic-is-enough").evaluate(networks(0.95)).verdict == REPRODUCED
    far_better = networks(1.0, logistic=0.90)
    assert C.claim("logistic-is-enough").evaluate(far_better).verdict == NOT_REPRODUCED
    # every network far behind
    assert C.claim("network-matches-baseline").evaluate(networks(0.80)).verdict == NOT_REPRODUCED
    assert C.claim("two-hidden-layers-jump").evaluate(networks(0.95)).verdict == REPRODUCED


def search_record(seed: int, candidates: list[dict], best: dict, score: float) -> SimpleNamespace:
    return SimpleNamespace(seed=seed, rows=[{"params": c} for c in candidates], best_params=best, best_score=score)


def test_search_claims_hold_a_candidate_against_chance() -> None:
    grid = [
        {"batch_size": b, "epochs": e, "optimizer__learning_rate": lr}
        for lr in (0.001, 0.005)
        for b in (10, 16)
        for e in (10, 12)
    ]
    ev = Evidence("full", "post", tuple(range(10)), extras={"keras-searches": {}})
    ev.searches = {
        "grid": [search_record(seed, grid, C.GRID_BEST if seed < 6 else grid[0], 0.99) for seed in range(10)]
    }
    params = C.claim("grid-search-best-params").evaluate(ev)
    assert params.verdict == REPRODUCED and params.ours == "best in 6 of 10"  # 6 of 10 against chance 1/8
    ev.searches = {"grid": [search_record(seed, grid, grid[seed % 8], 0.99) for seed in range(10)]}
    assert C.claim("grid-search-best-params").evaluate(ev).verdict == NOISE
    scores = [0.9927] * 5 + [0.99] * 5
    ev.searches = {"grid": [search_record(seed, grid, grid[0], score) for seed, score in enumerate(scores)]}
    assert C.claim("grid-search-best-score").evaluate(ev).verdict == REPRODUCED


def test_per_seed_extras_are_read_for_the_evidences_seeds_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from penguins.claims import evidence as E

    records = [SimpleNamespace(seed=seed, test_accuracy=0.9) for seed in range(30)]
    monkeypatch.setitem(E.EXTRAS, "clean-early-stopping", lambda preset, store: records)
    ev = Evidence("full", "post", tuple(range(10)))
    assert [record.seed for record in ev.extra("clean-early-stopping")] == list(range(10))


def test_early_stopping_on_the_test_set_against_a_clean_split() -> None:
    post = long({"early-stopping": noisy(0.97, seed=1)})
    clean = [SimpleNamespace(seed=seed, test_accuracy=accuracy) for seed, accuracy in enumerate(noisy(0.97, seed=1))]
    ev = Evidence(
        "full", "post", tuple(range(10)), tables={"overfitting": post}, extras={"clean-early-stopping": clean}
    )
    assert C.claim("early-stopping-held-out").evaluate(ev).verdict == REPRODUCED  # the same scores: no leak shows
    leaky = [SimpleNamespace(seed=record.seed, test_accuracy=record.test_accuracy - 0.08) for record in clean]
    ev = Evidence(
        "full", "post", tuple(range(10)), tables={"overfitting": post}, extras={"clean-early-stopping": leaky}
    )
    assert C.claim("early-stopping-held-out").evaluate(ev).verdict == NOT_REPRODUCED


# --------------------------------------------------------------------------- verdicts by number of seeds


def frame(verdicts: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"id": [f"c{i}" for i in range(len(verdicts))], "kind": "conclusion", "verdict": verdicts})


def test_verdict_changes_name_how_each_changed() -> None:
    ledgers = {
        10: frame([NOISE, REPRODUCED, REPRODUCED, NOT_CHECKABLE, NOT_REPRODUCED]),
        20: frame([REPRODUCED, REPRODUCED, NOISE, REPRODUCED, NOT_REPRODUCED]),
        30: frame([REPRODUCED, REPRODUCED, NOT_REPRODUCED, REPRODUCED, NOT_REPRODUCED]),
    }
    changes = C.verdict_changes(ledgers).set_index("id")
    assert list(changes.index) == ["c0", "c2", "c3"]
    assert list(changes["change"]) == ["decided", "reversed", "checkable"]
    assert list(changes.loc["c2", [10, 20, 30]]) == [REPRODUCED, NOISE, NOT_REPRODUCED]
    assert C.verdict_changes({10: frame([REPRODUCED]), 20: frame([REPRODUCED])}).empty


def test_each_claim_is_judged_once_per_evidence() -> None:
    from penguins.claims.ledger import judge

    calls: list[str] = []

    def counted(name: str) -> SimpleNamespace:
        return SimpleNamespace(id=name, evaluate=lambda evidence: calls.append(name) or f"verdict of {name}")

    first, second = counted("a"), counted("b")
    ev = Evidence("smoke", "post", (0,))
    assert judge(ev, [first, second]) == {"a": "verdict of a", "b": "verdict of b"}
    assert judge(ev, [second]) == {"b": "verdict of b"} and calls == ["a", "b"]  # read again, not judged again
    namesake = counted("a")  # another claim of the same id is judged on its own
    judge(ev, [namesake])
    assert calls == ["a", "b", "a"]
    judge(Evidence("smoke", "post", (0,)), [first])  # other evidence: judged again
    assert calls == ["a", "b", "a", "a"]
