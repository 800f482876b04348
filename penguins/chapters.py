"""Small helpers the chapters call: numbers written out for prose, tables in the page's language.

A chapter computes a value in a code cell and puts it in a sentence with an inline expression
(`` `{python} n_test` ``). Quarto writes a string result without its quotes, so the helpers here
return the text to show: ``fmt_pct(0.9710)`` is ``"97.1%"``, not ``0.9710144927536232``.
Nothing here knows where the chapters live.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from penguins.plotting import SPECIES_NAMES, check_language, label, species_name
from penguins.preprocessing import CLASS_NAMES, Split

SPLIT_NAMES = {"ko": ("훈련", "테스트"), "en": ("train", "test")}


def fmt_int(value: float) -> str:
    """A whole number with thousands separators: ``11103`` -> ``"11,103"``."""
    if float(value) != int(value):
        raise ValueError(f"{value!r} is not a whole number")
    return f"{int(value):,}"


def fmt_num(value: float, digits: int = 3) -> str:
    """A decimal number with ``digits`` places: ``0.36111`` -> ``"0.361"``."""
    return f"{float(value):,.{digits}f}"


def fmt_count(count: int, noun: str, plural: str | None = None) -> str:
    """A count with its English noun, singular or plural: ``(1, "node")`` -> ``"1 node"``,
    ``(100, "node")`` -> ``"100 nodes"``. (Korean nouns do not change with the count.)"""
    return f"{fmt_int(count)} {noun if count == 1 else plural or noun + 's'}"


def fmt_pct(value: float, digits: int = 1) -> str:
    """A fraction as a percentage: ``0.2`` -> ``"20%"`` with ``digits=0``, ``0.971`` -> ``"97.1%"``."""
    return f"{100 * float(value):.{digits}f}%"


def labelled(frame: pd.DataFrame, language: str) -> pd.DataFrame:
    """``frame`` with the penguin columns and species it names, in its index and columns, in the reader's words."""
    check_language(language)

    def word(name: object) -> object:
        if name in SPECIES_NAMES[language]:
            return species_name(str(name), language)
        return label(name, language) if isinstance(name, str) else name

    renamed = frame.rename(index=word, columns=word)
    renamed.index.name = word(frame.index.name)
    renamed.columns.name = word(frame.columns.name)
    return renamed


def species_counts(split: Split, language: str) -> pd.DataFrame:
    """How many penguins of each species the train and test sets of ``split`` hold."""
    check_language(language)
    train, test = SPLIT_NAMES[language]
    counts = pd.DataFrame(
        {
            train: np.bincount(split.y_train, minlength=len(CLASS_NAMES)),
            test: np.bincount(split.y_test, minlength=len(CLASS_NAMES)),
        },
        index=[species_name(name, language) for name in CLASS_NAMES],
    )
    counts.index.name = label("species", language)
    return counts


# --------------------------------------------------------------------------- results in prose and tables

# The claims ledger's verdicts (penguins.claims.VERDICTS) in the reader's words. The Korean
# words all end in a final consonant, so a sentence can follow them with 이다.
VERDICT_WORDS = {
    "ko": {
        "reproduced": "재현됨",
        "within seed noise": "시드 간 변동 안",
        "not reproduced": "재현 안 됨",
        "not checkable": "이 프리셋으로는 판단할 수 없음",
    },
    "en": {
        "reproduced": "reproduced",
        "within seed noise": "within seed noise",
        "not reproduced": "not reproduced",
        "not checkable": "not checkable at this preset",
    },
}
# The post's named runs (penguins.catalog.NAMED_RUNS) as a reader names them.
RUN_NAMES = {
    "ko": {"logistic": "로지스틱 회귀", "hidden-0": "은닉층 0개", "hidden-1": "은닉층 1개", "hidden-2": "은닉층 2개"},
    "en": {"logistic": "Logistic regression", "hidden-0": "No hidden layer", "hidden-1": "One hidden layer", "hidden-2": "Two hidden layers"},
}
SCORE_COLUMNS = {
    "ko": {"post": "원글", "seed": "시드 {seed}", "mean": "평균", "std": "표준편차", "min": "최솟값", "max": "최댓값"},
    "en": {"post": "post", "seed": "seed {seed}", "mean": "mean", "std": "sd", "min": "min", "max": "max"},
}
ACCURACY_NAMES = {
    "ko": {"train_accuracy": "훈련 정확도", "test_accuracy": "테스트 정확도"},
    "en": {"train_accuracy": "train accuracy", "test_accuracy": "test accuracy"},
}


def verdict_word(verdict: str, language: str) -> str:
    """A claims-ledger verdict in the reader's words ("within seed noise" -> "시드 간 변동 안")."""
    return VERDICT_WORDS[check_language(language)][verdict]


def run_name(name: str, language: str) -> str:
    """A named run of the post as the reader calls it ("hidden-2" -> "은닉층 2개"); others unchanged."""
    return RUN_NAMES[check_language(language)].get(name, name)


def fmt_seeds(seeds) -> str:
    """Seeds for prose: ``(0, 1)`` -> ``"0, 1"``, ``range(10)`` -> ``"0–9"``."""
    seeds = [int(seed) for seed in seeds]
    if len(seeds) > 2 and seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]}–{seeds[-1]}"
    return ", ".join(str(seed) for seed in seeds)


def accuracy_table(result, language: str, post: dict | None = None) -> pd.DataFrame:
    """Train and test accuracy of each value of a sweep: the post's, the first seed's, and over seeds.

    ``result`` is a :class:`penguins.sweep.SweepResult`; ``post`` maps a value to the post's
    ``(train, test)`` accuracies. One row per value and score, percentages as text.
    """
    check_language(language)
    words, scores = SCORE_COLUMNS[language], ACCURACY_NAMES[language]
    first = result.seeds[0]
    rows = []
    for value in result.values:
        for index, score in enumerate(scores):
            values = np.array([getattr(record, score) for record in result.records[result.values.index(value)]])
            row = {"": run_name(str(value), language), " ": scores[score]}
            if post is not None:
                row[words["post"]] = fmt_pct(post[value][index]) if value in post else ""
            row[words["seed"].format(seed=first)] = fmt_pct(getattr(result.record(value, first), score))
            row[words["mean"]] = fmt_pct(values.mean())
            row[words["std"]] = fmt_pct(values.std(ddof=1)) if len(values) > 1 else ""
            row[words["min"]] = fmt_pct(values.min())
            row[words["max"]] = fmt_pct(values.max())
            rows.append(row)
    return pd.DataFrame(rows).set_index(["", " "])


LAYER_COLUMNS = {
    "ko": {"layer": "층", "type": "종류", "output_shape": "출력 모양", "params": "파라미터 수"},
    "en": {"layer": "layer", "type": "type", "output_shape": "output shape", "params": "parameters"},
}


def layer_table(summary, language: str) -> pd.DataFrame:
    """A model summary (``summary_table(model)``, or ``RunRecord.summary``) with the reader's column
    names and a last row with the total number of parameters, as Keras' ``model.summary()`` ends."""
    check_language(language)
    frame = pd.DataFrame(summary)[["layer", "type", "output_shape", "params"]]
    total = {"layer": "합계" if language == "ko" else "total", "type": "", "output_shape": "", "params": int(frame["params"].sum())}
    frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
    frame["params"] = frame["params"].map(fmt_int)
    return frame.rename(columns=LAYER_COLUMNS[language]).set_index(LAYER_COLUMNS[language]["layer"])


# --- tuning / reproduction ---

VERDICT_COLORS = {
    "reproduced": "#d9f0d3",
    "within seed noise": "#fff2cc",
    "not reproduced": "#f8d7da",
    "not checkable": "#eeeeee",
}
LEDGER_COLUMNS = {
    "ko": {"section": "원글의 절", "id": "주장", "statement": "원글의 문장", "post": "원글의 값", "ours": "우리 값", "verdict": "판정"},
    "en": {"section": "section of the post", "id": "claim", "statement": "what the post says", "post": "post", "ours": "ours", "verdict": "verdict"},
}


def section_name(section: str, language: str) -> str:
    """A heading of the post (``penguins.claims.SECTIONS``) in the reader's language."""
    from penguins.claims import SECTIONS_EN

    return section if check_language(language) == "ko" else SECTIONS_EN[section]


def ledger_table(frame: pd.DataFrame, language: str):
    """The claims ledger (``penguins.claims.ledger``) as a styled table grouped by the post's
    sections: the post's sentence (Korean as the post writes it; our English on English pages),
    the post's value, ours and the verdict, its cell coloured by verdict."""
    check_language(language)
    words = LEDGER_COLUMNS[language]
    statement = "statement_ko" if language == "ko" else "statement_en"
    table = pd.DataFrame(
        {
            words["section"]: [section_name(section, language) for section in frame["section"]],
            words["id"]: frame["id"].to_numpy(),
            words["statement"]: frame[statement].to_numpy(),
            words["post"]: frame["post"].to_numpy(),
            words["ours"]: frame["ours"].replace("", "–").to_numpy(),
            words["verdict"]: [verdict_word(verdict, language) for verdict in frame["verdict"]],
        }
    ).set_index([words["section"], words["id"]])
    colors = {verdict_word(verdict, language): color for verdict, color in VERDICT_COLORS.items()}
    return (
        table.style.set_uuid("ledger")
        .map(lambda word: f"background-color: {colors.get(word, '')}", subset=[words["verdict"]])
        .set_properties(**{"text-align": "left", "vertical-align": "top"})
        .set_table_styles([{"selector": "th", "props": [("text-align", "left"), ("vertical-align", "top")]}])
    )


SEARCH_COLUMNS = {
    "ko": {
        "candidate": "후보",
        "rank": "순위",
        "mean": "평균 정확도",
        "std": "표준편차",
        "trial": "시행",
        "units": "유닛 수",
        "rate": "드롭아웃 비율",
        "epochs": "에포크",
        "initial_epoch": "시작 에포크",
        "bracket": "브래킷",
        "round": "라운드",
        "from_trial": "이어받은 시행",
        "score": "최고 val_accuracy",
    },
    "en": {
        "candidate": "candidate",
        "rank": "rank",
        "mean": "mean accuracy",
        "std": "sd",
        "trial": "trial",
        "units": "units",
        "rate": "dropout rate",
        "epochs": "epochs",
        "initial_epoch": "initial epoch",
        "bracket": "bracket",
        "round": "round",
        "from_trial": "continues trial",
        "score": "best val_accuracy",
    },
}


def fmt_lr(value: float, digits: int = 3) -> str:
    """A learning rate to ``digits`` significant digits: ``0.005731505`` -> ``"0.00573"``
    (``digits=2``: ``"0.0057"``, short enough for prose)."""
    return f"{float(value):.{digits}g}"


def search_table(record, language: str) -> pd.DataFrame:
    """A search's results as the post prints them, best first, with the reader's column names.

    Random and grid search (:class:`penguins.search.SearchRecord`): one row a candidate with its
    rank, mean and sd of the cross-validated accuracy and the searched values. Hyperband: one row a
    trial with its units, dropout rate, Hyperband's epochs, bracket and round, and its best
    ``val_accuracy``.
    """
    from penguins.plotting import term

    check_language(language)
    words = SEARCH_COLUMNS[language]
    if record.method == "hyperband":
        rows = sorted(record.rows, key=lambda row: (-row["score"], row["trial_id"]))
        table = pd.DataFrame(
            {
                words["trial"]: [row["trial_id"] for row in rows],
                words["units"]: [row["units"] for row in rows],
                words["rate"]: [row["rate"] for row in rows],
                words["epochs"]: [row["epochs"] for row in rows],
                words["initial_epoch"]: [row["initial_epoch"] for row in rows],
                words["bracket"]: [row["bracket"] for row in rows],
                words["round"]: [row["round"] for row in rows],
                words["from_trial"]: [row["from_trial"] or "" for row in rows],
                words["score"]: [fmt_num(row["score"], digits=4) for row in rows],
            }
        )
        return table.set_index(words["trial"])
    rows = sorted(record.rows, key=lambda row: (row["rank_test_score"], row["candidate"]))
    table = pd.DataFrame(
        {
            words["candidate"]: [row["candidate"] for row in rows],
            words["rank"]: [row["rank_test_score"] for row in rows],
            words["mean"]: [fmt_num(row["mean_test_score"], digits=4) for row in rows],
            words["std"]: [fmt_num(row["std_test_score"], digits=4) for row in rows],
        }
    )
    for name in record.param_names:
        values = [row["params"][name] for row in rows]
        column = "learning_rate" if name.endswith("learning_rate") or name == "model__lr" else name
        table[term(column, language)] = [fmt_lr(value) for value in values] if column == "learning_rate" else values
    return table.set_index(words["candidate"])


def _values_text(values, language: str, formatter=str) -> str:
    """Distinct values for a table cell: all of them when few, else the range and how many."""
    distinct = sorted(set(values))
    if len(distinct) <= 4:
        return ", ".join(formatter(value) for value in distinct)
    count = f"서로 다른 값 {len(distinct)}개" if language == "ko" else f"{len(distinct)} distinct values"
    return f"{formatter(distinct[0])}–{formatter(distinct[-1])} ({count})"


SETTING_WORDS = {
    "ko": {
        "learning_rate": "학습률",
        "batch_size": "배치 크기",
        "epochs": "에포크",
        "n_candidates": "후보 수",
        "cv": "교차 검증 폴드",
        "fit_epochs": "fit에 넘긴 에포크",
        "fit_batch_size": "fit에 넘긴 배치 크기",
        "callbacks": "fit에 넘긴 콜백",
        "units": "유닛 수",
        "dropout": "드롭아웃 비율",
        "max_epochs": "max_epochs",
        "factor": "factor",
        "schedule": "학습률 스케줄",
        "objective": "목표(objective)",
        "searched": "후보가 받은 값",
        "given": "코드가 넘긴 값",
        "measured": "Keras가 실제로 쓴 값",
        "early_stopping": "조기 종료",
        "all_fits": "적합 {n}번 모두",
        "ran": "{n}번 실행됨",
        "get_model": "get_model의 lr={lr}",
        "from_steps": "{sizes} (에포크당 스텝 수에서 역산)",
        "on_test": "{objective}, 테스트 세트로 계산",
    },
    "en": {
        "learning_rate": "learning rate",
        "batch_size": "batch size",
        "epochs": "epochs",
        "n_candidates": "candidates",
        "cv": "cross-validation folds",
        "fit_epochs": "epochs given to fit",
        "fit_batch_size": "batch size given to fit",
        "callbacks": "callbacks given to fit",
        "units": "units",
        "dropout": "dropout rate",
        "max_epochs": "max_epochs",
        "factor": "factor",
        "schedule": "learning-rate schedule",
        "objective": "objective",
        "searched": "searched values",
        "given": "what the code passes",
        "measured": "what Keras ran with",
        "early_stopping": "early stopping",
        "all_fits": "all {n} fits",
        "ran": "ran {n} times",
        "get_model": "get_model's lr={lr}",
        "from_steps": "{sizes} (from the steps per epoch)",
        "on_test": "{objective}, computed on the test set",
    },
}


def search_settings(spec, language: str) -> dict[str, str]:
    """What a search spec (:mod:`penguins.search`) searches and how it trains, as table cells."""
    check_language(language)
    words = SETTING_WORDS[language]
    if spec.method == "hyperband":
        low, high, step = spec.units
        return {
            words["units"]: f"{low}–{high}, step {step}",
            words["dropout"]: ", ".join(f"{rate:g}" for rate in spec.dropout_choices),
            words["max_epochs"]: str(spec.max_epochs),
            words["factor"]: str(spec.factor),
            words["schedule"]: f"CosineDecayRestarts({spec.initial_learning_rate:g}, {spec.first_decay_steps})",
            words["objective"]: words["on_test"].format(objective=spec.objective),
        }
    if spec.method == "random":
        loc, scale = spec.learning_rate_uniform
        searched = {
            words["learning_rate"]: f"uniform: {fmt_lr(loc)}–{fmt_lr(loc + scale)}",
            words["batch_size"]: f"{spec.batch_size_range[0]}–{spec.batch_size_range[1] - 1}",
            words["epochs"]: f"{spec.epochs_range[0]}–{spec.epochs_range[1] - 1}",
            words["n_candidates"]: str(spec.n_iter),
        }
    else:
        searched = {
            words["learning_rate"]: ", ".join(fmt_lr(rate) for rate in spec.learning_rates),
            words["batch_size"]: ", ".join(str(size) for size in spec.batch_sizes),
            words["epochs"]: ", ".join(str(epochs) for epochs in spec.epochs),
            words["n_candidates"]: str(len(spec.learning_rates) * len(spec.batch_sizes) * len(spec.epochs)),
        }
    return {
        **searched,
        words["cv"]: str(spec.cv),
        words["fit_epochs"]: str(spec.fit_epochs),
        words["fit_batch_size"]: str(spec.fit_batch_size),
        words["callbacks"]: f"EarlyStopping(patience={spec.patience})",
    }


def fit_evidence(records, language: str) -> pd.DataFrame:
    """Which values reached Keras in a random or grid search, over every fit of ``records``
    (:class:`penguins.search.SearchRecord`, one per seed): per setting, the values the candidates
    carried, what the post's code passes to ``fit`` (or ``get_model``), and what each Keras fit
    measurably ran with (``SearchRecord.fits``; the batch size from the steps per epoch)."""
    check_language(language)
    if any(record.engine != "keras" for record in records):
        raise ValueError("fit_evidence shows what Keras' fits ran with; pass searches run with engine='keras'")
    words = SETTING_WORDS[language]
    spec = records[0].search_spec
    rows = [row for record in records for row in record.rows]
    fits = [fit for record in records for fit in record.fits]
    n_fits = len(fits)

    def measured(values, formatter=str) -> str:
        text = _values_text(values, language, formatter)
        return f"{text} ({words['all_fits'].format(n=n_fits)})" if len(set(values)) == 1 else text

    batch_low = max(fit["batch_size_min"] for fit in fits)
    batch_high = min(fit["batch_size_max"] or fit["n_samples"] for fit in fits)
    batch_text = str(batch_low) if batch_low == batch_high else f"{batch_low}–{batch_high}"
    early_runs = sum(record.early_stopping_fits or 0 for record in records)
    table = pd.DataFrame(
        {
            words["searched"]: [
                _values_text([row["params"][spec.learning_rate_param] for row in rows], language, fmt_lr),
                _values_text([row["params"]["epochs"] for row in rows], language),
                _values_text([row["params"]["batch_size"] for row in rows], language),
                "–",
            ],
            words["given"]: [
                words["get_model"].format(lr=fmt_lr(spec.lr)),
                str(spec.fit_epochs),
                str(spec.fit_batch_size),
                f"EarlyStopping(patience={spec.patience})",
            ],
            words["measured"]: [
                measured([round(fit["learning_rate"], 6) for fit in fits], fmt_lr),
                measured([fit["epochs_run"] for fit in fits]),
                words["from_steps"].format(sizes=batch_text),
                words["ran"].format(n=early_runs),
            ],
        },
        index=[words["learning_rate"], words["epochs"], words["batch_size"], words["early_stopping"]],
    )
    return table
