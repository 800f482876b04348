"""The chapter "Reproduction: the claims ledger" (report/reproduction.qmd): the fixed facts its prose
states, the words it picks from the results, and its two ledger tables, which must keep their colours.

The prose says, without a choice of words, that exactly one seed draws the post's random-search
candidates (to the last digit), that logistic regression on that seed's split gives the post's
scores, and which of the post's facts are wrong and why; those are checked here. Tests that read
the ledger use the session's smoke store (``reproduced_store``).
"""

from __future__ import annotations

import dataclasses
import re
from types import SimpleNamespace

import pandas as pd
import pytest

from penguins.claims import (
    CLAIMS,
    KINDS,
    POST_RANDOM_CANDIDATES,
    POST_SOFTMAX_PARAMS,
    RANDOM_STATE_SCAN,
    VERDICTS,
    claim,
    collect_evidence,
    evaluate,
)
from penguins.extras import post_seed, post_seed_runs
from penguins.pages.ledger import post_accuracy
from penguins.pages.reproduction import (
    ReproductionPage,
    draws,
    matching_states,
    rounded,
    searched_values_never_reach,
)
from penguins.pages.tables import VERDICT_COLORS, verdict_word
from penguins.preprocessing import CLASS_NAMES, FEATURES
from penguins.search import search_spec
from penguins.spec import LogisticSpec
from penguins.training import train

LANGUAGES = ("ko", "en")


# --------------------------------------------------------------------------- the post's seed


def test_exactly_one_seed_draws_the_posts_candidates() -> None:
    # "시드 1,000개를 차례로 넣어 보면 ... 뽑는 시드는 83 하나뿐이다"
    assert matching_states() == [post_seed()]
    assert post_seed() < RANDOM_STATE_SCAN


def test_the_drawn_candidates_agree_to_the_last_digit() -> None:
    drawn = draws(post_seed())
    assert [repr(candidate) for candidate in drawn] == [repr(dict(candidate)) for candidate in POST_RANDOM_CANDIDATES]
    assert draws(post_seed() + 1) != [dict(candidate) for candidate in POST_RANDOM_CANDIDATES]


def test_logistic_regression_on_the_posts_seed_gives_the_posts_scores() -> None:
    assert rounded(train(LogisticSpec(), post_seed())) == post_accuracy("logistic") == (0.978, 0.971)


def test_the_posts_seed_runs_give_logistic_regressions_numbers_again(reproduced_store: str, monkeypatch) -> None:
    monkeypatch.setenv("PENGUINS_STORE_READ_ONLY", "1")
    runs, trained = post_seed_runs()
    assert trained == 0
    assert rounded(runs["logistic"]) == post_accuracy("logistic")


# --------------------------------------------------------------------------- the post's wrong facts


def test_the_posts_parameter_count_means_six_features_not_seven() -> None:
    post_features, n_classes = claim("input-features").post_value, claim("output-classes").post_value
    assert (post_features, n_classes, len(CLASS_NAMES)) == (7, 3, 3)
    assert POST_SOFTMAX_PARAMS == (len(FEATURES) + 1) * n_classes != (post_features + 1) * n_classes


def test_the_tuner_cannot_build_layers_of_the_posts_width() -> None:
    low, high, step = search_spec("hyperband", "full").units
    assert claim("tuner-summary-units").post_value not in range(low, high + 1, step)


def test_the_ledger_has_six_kinds_of_claim_each_named_in_both_languages() -> None:
    assert len(KINDS) == 6  # "장부의 주장은 여섯 종류다"
    for language in LANGUAGES:
        assert all(ReproductionPage(language).vocabulary("kinds", kind) for kind in KINDS)


def test_every_conclusion_resting_on_an_effect_has_a_label_in_both_languages(
    ledger: pd.DataFrame, reproduced_store: str
) -> None:
    evidence = collect_evidence("smoke", store=reproduced_store)
    for language in LANGUAGES:
        page = ReproductionPage(language)
        effects = page.effects(evidence)
        judged = ledger[ledger["id"].isin(effects["id"])]
        assert set(judged["verdict"]) <= {"reproduced", "within seed noise", "not reproduced"}
        assert effects["label"].str.len().min() > 0
        assert (effects["low"] <= effects["estimate"]).all() and (effects["estimate"] <= effects["high"]).all()
        labels = page.words("effect-labels")
        assert {claim.id for claim in CLAIMS if claim.kind in ("conclusion", "decision")} <= set(labels)


def frame(verdicts: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"id": [f"c{i}" for i in range(len(verdicts))], "kind": "conclusion", "verdict": verdicts})


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_seed_count_sentence_follows_the_changes(language: str) -> None:
    page = ReproductionPage(language)
    one = page.seed_facts_by_count({2: frame(["reproduced"])})
    assert one.changed == page.words("seed-summary", "one").format(counts=page.together(["10", "20", "30"]))
    same = page.seed_facts_by_count(
        {10: frame(["reproduced", "not reproduced"]), 20: frame(["reproduced", "not reproduced"])}
    )
    assert same.changed.startswith(page.words("seed-summary", "none").format(total=2)) and same.n_changed == "0"
    turned = page.seed_facts_by_count(
        {10: frame(["reproduced", "within seed noise"]), 20: frame(["not reproduced", "reproduced"])}
    )
    assert (turned.n_changed, turned.n_reversed) == ("2", "1")
    assert turned.changed.endswith(page.words("seed-reversed", "some").format(n=1))
    table = page.seed_changes_table(
        {10: frame(["reproduced", "within seed noise"]), 20: frame(["not reproduced", "reproduced"])}
    ).data
    assert list(table.iloc[:, 0]) == ["c0", "c1"]  # (the page shows the index as its first column)
    assert list(table.iloc[:, -1]) == [page.words("seed-changes", "changes", name) for name in ("reversed", "decided")]


@pytest.fixture(scope="module")
def ledger(reproduced_store: str) -> pd.DataFrame:
    return evaluate(collect_evidence("smoke", store=reproduced_store))


def test_the_wrong_facts_are_the_two_the_chapter_explains(ledger: pd.DataFrame) -> None:
    wrong = ledger[(ledger["verdict"] == "not reproduced") & (ledger["kind"] == "fact")]
    assert sorted(wrong["id"]) == ["input-features", "tuner-summary-units"]
    assert ReproductionPage("en").wrong_facts(ledger).n_wrong_facts == "2"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_counts_add_up_to_the_ledger(ledger: pd.DataFrame, language: str) -> None:
    facts = ReproductionPage(language).facts(ledger)
    assert sum(int(count) for count in facts.counts.values()) == len(ledger) == int(facts.n_claims)
    assert facts.verdicts == {verdict: verdict_word(verdict, language) for verdict in VERDICTS}


# --------------------------------------------------------------------------- the ledger's colours


def cell_colours(html: str) -> tuple[dict[str, str], dict[str, str]]:
    """A styled table's background colour per cell id, and the text of each cell id."""
    colours = {}
    for selectors, body in re.findall(r"((?:#T_\w+(?:, )?)+) \{\s*([^}]*)\}", html):
        colour = re.search(r"background-color: (#[0-9a-f]{6})", body)
        if colour:
            for selector in selectors.split(", "):
                colours[selector.lstrip("#")] = colour.group(1)
    texts = dict(re.findall(r'<td id="(T_\w+)" class="[^"]*" >([^<]*)</td>', html))
    return colours, texts


def synthetic_ledger() -> pd.DataFrame:
    rows = []
    for number, verdict in enumerate(
        ["reproduced", "not reproduced", "within seed noise", "reproduced", "not checkable"]
    ):
        rows.append(
            {
                "id": f"claim-{number}",
                "section": "데이터 읽어오기",
                "kind": "fact",
                "statement_ko": "원글",
                "statement_en": "post",
                "post": "1",
                "ours": "1",
                "verdict": verdict,
                "reason": "",
                "rule": "",
            }
        )
    return pd.DataFrame(rows)


@pytest.mark.parametrize("language", LANGUAGES)
def test_both_ledger_tables_keep_their_own_colours(language: str) -> None:
    page, frame = ReproductionPage(language), synthetic_ledger()
    whole, wrong = page.ledger_table(frame).to_html(), page.ledger_table(frame, verdict="not reproduced").to_html()
    ids = [set(re.findall(r'id="(T_\w+?)_', html)) for html in (whole, wrong)]
    assert ids[0] and ids[1] and ids[0].isdisjoint(ids[1]), "the two ledger tables share a Styler uuid"
    # On one page the later table's rules come last: every verdict cell must keep its own colour.
    colours, texts = cell_colours(whole + wrong)
    by_word = {verdict_word(verdict, language): colour for verdict, colour in VERDICT_COLORS.items()}
    verdict_cells = {cell: text for cell, text in texts.items() if text in by_word}
    assert len(verdict_cells) == len(frame) + 1
    assert {cell: colours.get(cell) for cell in verdict_cells} == {
        cell: by_word[text] for cell, text in verdict_cells.items()
    }


# --------------------------------------------------------------------------- words picked from results


def search(fits, epochs_searched=(3, 4), early=0, lr=0.001, fit_epochs=2):
    spec = dataclasses.replace(search_spec("random", "smoke"), lr=lr, fit_epochs=fit_epochs)
    rows = [{"params": {"epochs": epochs}} for epochs in epochs_searched]
    return SimpleNamespace(fits=fits, rows=rows, search_spec=spec, early_stopping_fits=early, method="random")


def fit(learning_rate=0.001, epochs_run=2):
    return {"learning_rate": learning_rate, "epochs_run": epochs_run}


def test_searched_values_never_reach_the_model_only_when_every_fit_ran_as_called() -> None:
    assert searched_values_never_reach([search([fit(), fit()]), search([fit()])])
    assert not searched_values_never_reach([search([fit(), fit(epochs_run=3)])])  # a searched epoch count
    assert not searched_values_never_reach([search([fit(learning_rate=0.005)])])  # a searched learning rate
    assert not searched_values_never_reach([search([fit()], early=4)])  # early stopping ran
    assert not searched_values_never_reach([search([])])
    # when the call's own epochs are among the searched ones, the fits cannot tell them apart
    assert not searched_values_never_reach([search([fit(epochs_run=3)], fit_epochs=3)])


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_search_sentences_follow_the_measurement(language: str) -> None:
    page = ReproductionPage(language)
    never = page.search_facts({"random": search([fit()] * 3)})
    reached = page.search_facts({"random": search([fit(), fit(epochs_run=4)], early=2)})
    assert never.heading == page.words("reached-heading", "never") != reached.heading
    assert never.early == page.words("early-stopping", "never")
    assert reached.early == page.words("early-stopping", "ran").format(n=2)
    assert never.n_fits == "3" and reached.epochs_run == "2, 4"


def test_alternatives_read_as_a_list() -> None:
    assert ReproductionPage("en").either(["3", "4"]) == "3 or 4"
    assert ReproductionPage("en").either(["6", "7", "8"]) == "6, 7 or 8"
    assert ReproductionPage("ko").either(["3", "4"]) == "3, 4"
