"""Tables as a page shows them, in the reader's language.

Every table a chapter shows passes through :func:`show`, which fixes two things a plain
``DataFrame`` gets wrong in a rendered page:

- a named index adds a second header row holding only the index name; ``show`` turns a named
  index into an ordinary first column instead (and drops the names of a grouped index);
- pandas' ``Styler`` writes CSS rules keyed by its ``uuid``, so two styled tables that share one
  recolour each other; ``show`` derives the uuid from the table's content, so different tables
  never share it and the same table always renders the same HTML.

The other functions build the tables several chapters share, with words from
:mod:`penguins.strings`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from penguins.pages.format import fmt_int, fmt_lr, fmt_num, fmt_pct
from penguins.preprocessing import CLASS_NAMES, Split
from penguins.strings import check_language, label, species_name, term, words

VERDICT_COLORS = {
    "reproduced": "#d9f0d3",
    "within seed noise": "#fff2cc",
    "not reproduced": "#f8d7da",
    "not checkable": "#eeeeee",
}


def show(frame: pd.DataFrame) -> Styler:
    """``frame`` ready for a page: no header row for index names, and a uuid of its own.

    A single named index becomes the first column (its name the column's header) and the index
    is hidden; a default ``RangeIndex`` is hidden; a grouped index keeps its groups and loses its
    names. The uuid is a hash of the
    table's HTML, so two different tables on one page never share CSS ids.
    """
    shown = frame.copy()
    named = shown.index.nlevels == 1 and shown.index.name is not None
    # a default 0, 1, 2 ... index numbers rows nobody asked to number: it is hidden too
    hide_index = named or (isinstance(shown.index, pd.RangeIndex) and shown.index.name is None)
    if named:
        shown = shown.reset_index()
    elif shown.index.nlevels > 1:
        shown.index = shown.index.set_names([None] * shown.index.nlevels)
    if shown.columns.nlevels == 1:
        shown.columns.name = None
    styler = shown.style.set_uuid(table_uuid(shown))
    return styler.hide(axis="index") if hide_index else styler


def table_uuid(frame: pd.DataFrame) -> str:
    """A short id for ``frame`` from its content: equal tables get equal ids, different ones different."""
    return "t" + hashlib.sha256(frame.to_html().encode("utf-8")).hexdigest()[:12]


def labelled(frame: pd.DataFrame, language: str) -> pd.DataFrame:
    """``frame`` with the penguin columns and species it names, in its index and columns, in the reader's words."""
    names = words(language, "species")

    def word(name: object) -> object:
        if name in names:
            return species_name(str(name), language)
        return label(name, language) if isinstance(name, str) else name

    renamed = frame.rename(index=word, columns=word)
    renamed.index.name = word(frame.index.name)
    renamed.columns.name = word(frame.columns.name)
    return renamed


def species_counts(split: Split, language: str) -> pd.DataFrame:
    """How many penguins of each species the train and test sets of ``split`` hold."""
    splits = words(language, "splits")
    counts = pd.DataFrame(
        {
            splits["train"]: np.bincount(split.y_train, minlength=len(CLASS_NAMES)),
            splits["test"]: np.bincount(split.y_test, minlength=len(CLASS_NAMES)),
        },
        index=pd.Index([species_name(name, language) for name in CLASS_NAMES], name=term("species", language)),
    )
    return counts


def verdict_word(verdict: str, language: str) -> str:
    """A claims-ledger verdict in the reader's words ("within seed noise" -> "시드 간 변동 안")."""
    return str(words(language, "verdicts", verdict))


def run_name(name: str, language: str) -> str:
    """A named run of the post as the reader calls it ("hidden-2" -> "은닉층 2개"); others unchanged."""
    return str(words(language, "runs").get(name, name))


def accuracy_table(result: Any, language: str, post: Mapping[Any, tuple[float, float]] | None = None) -> pd.DataFrame:
    """Train and test accuracy of each value of a sweep: the post's, the first seed's, and over seeds.

    ``result`` is a :class:`penguins.sweep.SweepResult`; ``post`` maps a value to the post's
    ``(train, test)`` accuracies. One row per value and score, grouped by value; percentages as text.
    """
    check_language(language)
    columns = words(language, "score-columns")
    scores = {"train_accuracy": term("train_accuracy", language), "test_accuracy": term("test_accuracy", language)}
    first = result.seeds[0]
    rows, index = [], []
    for value, records in zip(result.values, result.records, strict=True):
        for position, (score, score_name) in enumerate(scores.items()):
            values = np.array([getattr(record, score) for record in records])
            row = {}
            if post is not None:
                row[columns["post"]] = fmt_pct(post[value][position]) if value in post else ""
            row[columns["seed"].format(seed=first)] = fmt_pct(getattr(result.record(value, first), score))
            row[columns["mean"]] = fmt_pct(values.mean())
            row[columns["std"]] = fmt_pct(values.std(ddof=1)) if len(values) > 1 else ""
            row[columns["min"]] = fmt_pct(values.min())
            row[columns["max"]] = fmt_pct(values.max())
            rows.append(row)
            index.append((run_name(str(value), language), score_name))
    return pd.DataFrame(rows, index=pd.MultiIndex.from_tuples(index))


def layer_table(summary: Sequence[Mapping[str, Any]] | pd.DataFrame, language: str) -> pd.DataFrame:
    """A model summary (``summary_table(model)``, or ``RunRecord.summary``) with the reader's column names.

    A last row holds the total number of parameters, as Keras' ``model.summary()`` ends.
    """
    names = words(language, "layer-columns")
    frame = pd.DataFrame(summary)[["layer", "type", "output_shape", "params"]]
    total = {"layer": names["total"], "type": "", "output_shape": "", "params": int(frame["params"].sum())}
    frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
    frame["params"] = frame["params"].map(fmt_int)
    return frame.rename(columns={key: names[key] for key in ("layer", "type", "output_shape", "params")})


def ledger_table(frame: pd.DataFrame, language: str) -> Styler:
    """The claims ledger (``penguins.claims.evaluate``) as a page shows it, in the post's order.

    The section, the claim, the post's sentence (Korean as the post writes it; our English on
    English pages), the post's value, ours and the verdict, its cell coloured by verdict.
    """
    from penguins.claims import SECTIONS_EN

    names = words(language, "ledger-columns")
    statement = "statement_ko" if language == "ko" else "statement_en"
    sections = list(frame["section"]) if language == "ko" else [SECTIONS_EN[section] for section in frame["section"]]
    table = pd.DataFrame(
        {
            names["section"]: sections,
            names["id"]: frame["id"].to_numpy(),
            names["statement"]: frame[statement].to_numpy(),
            names["post"]: frame["post"].to_numpy(),
            names["ours"]: frame["ours"].replace("", "–").to_numpy(),
            names["verdict"]: [verdict_word(verdict, language) for verdict in frame["verdict"]],
        }
    ).set_index([names["section"], names["id"]])
    colors = {verdict_word(verdict, language): color for verdict, color in VERDICT_COLORS.items()}
    return (
        show(table)
        .map(lambda word: f"background-color: {colors.get(word, '')}", subset=[names["verdict"]])
        .set_properties(**{"text-align": "left", "vertical-align": "top"})
        .set_table_styles([{"selector": "th", "props": [("text-align", "left"), ("vertical-align", "top")]}])
    )


def section_name(section: str, language: str) -> str:
    """A heading of the post (``penguins.claims.SECTIONS``) in the reader's language."""
    from penguins.claims import SECTIONS_EN

    return section if check_language(language) == "ko" else SECTIONS_EN[section]


def search_table(record: Any, language: str) -> pd.DataFrame:
    """A search's results as the post prints them, best first, with the reader's column names.

    Random and grid search (:class:`penguins.search.SearchRecord`): one row a candidate with its
    rank, mean and sd of the cross-validated accuracy and the searched values. Hyperband: one row a
    trial with its units, dropout rate, Hyperband's epochs, bracket and round, and its best
    ``val_accuracy``.
    """
    names = words(language, "search-columns")
    if record.method == "hyperband":
        rows = sorted(record.rows, key=lambda row: (-row["score"], row["trial_id"]))
        return pd.DataFrame(
            {
                names["trial"]: [row["trial_id"] for row in rows],
                names["units"]: [row["units"] for row in rows],
                names["rate"]: [row["rate"] for row in rows],
                names["epochs"]: [row["epochs"] for row in rows],
                names["initial_epoch"]: [row["initial_epoch"] for row in rows],
                names["bracket"]: [row["bracket"] for row in rows],
                names["round"]: [row["round"] for row in rows],
                names["from_trial"]: [row["from_trial"] or "" for row in rows],
                names["score"]: [fmt_num(row["score"], digits=4) for row in rows],
            }
        )
    rows = sorted(record.rows, key=lambda row: (row["rank_test_score"], row["candidate"]))
    table = pd.DataFrame(
        {
            names["candidate"]: [row["candidate"] for row in rows],
            names["rank"]: [row["rank_test_score"] for row in rows],
            names["mean"]: [fmt_num(row["mean_test_score"], digits=4) for row in rows],
            names["std"]: [fmt_num(row["std_test_score"], digits=4) for row in rows],
        }
    )
    for name in record.param_names:
        values = [row["params"][name] for row in rows]
        column = "learning_rate" if name.endswith("learning_rate") or name == "model__lr" else name
        table[term(column, language)] = [fmt_lr(value) for value in values] if column == "learning_rate" else values
    return table


def search_settings(spec: Any, language: str) -> dict[str, str]:
    """What a search spec (:mod:`penguins.search`) searches and how it trains, as table cells."""
    names = words(language, "settings")
    if spec.method == "hyperband":
        low, high, step = spec.units
        return {
            names["units"]: f"{low}–{high}, step {step}",
            names["dropout"]: ", ".join(f"{rate:g}" for rate in spec.dropout_choices),
            names["max_epochs"]: str(spec.max_epochs),
            names["factor"]: str(spec.factor),
            names["schedule"]: f"CosineDecayRestarts({spec.initial_learning_rate:g}, {spec.first_decay_steps})",
            names["objective"]: names["on_test"].format(objective=spec.objective),
        }
    if spec.method == "random":
        loc, scale = spec.learning_rate_uniform
        searched = {
            names["learning_rate"]: f"uniform: {fmt_lr(loc)}–{fmt_lr(loc + scale)}",
            names["batch_size"]: f"{spec.batch_size_range[0]}–{spec.batch_size_range[1] - 1}",
            names["epochs"]: f"{spec.epochs_range[0]}–{spec.epochs_range[1] - 1}",
            names["n_candidates"]: str(spec.n_iter),
        }
    else:
        searched = {
            names["learning_rate"]: ", ".join(fmt_lr(rate) for rate in spec.learning_rates),
            names["batch_size"]: ", ".join(str(size) for size in spec.batch_sizes),
            names["epochs"]: ", ".join(str(epochs) for epochs in spec.epochs),
            names["n_candidates"]: str(len(spec.learning_rates) * len(spec.batch_sizes) * len(spec.epochs)),
        }
    return {
        **searched,
        names["cv"]: str(spec.cv),
        names["fit_epochs"]: str(spec.fit_epochs),
        names["fit_batch_size"]: str(spec.fit_batch_size),
        names["callbacks"]: f"EarlyStopping(patience={spec.patience})",
    }


def _values_text(values: Sequence[Any], language: str, formatter: Any = str) -> str:
    """Distinct values for a table cell: all of them when few, else the range and how many."""
    distinct = sorted(set(values))
    if len(distinct) <= 4:
        return ", ".join(formatter(value) for value in distinct)
    count = words(language, "settings", "distinct").format(n=len(distinct))
    return f"{formatter(distinct[0])}–{formatter(distinct[-1])} ({count})"


def fit_evidence(records: Sequence[Any], language: str) -> pd.DataFrame:
    """Which values reached Keras in a random or grid search, over every fit of ``records``.

    ``records``: :class:`penguins.search.SearchRecord`, one per seed. Per setting, the values the
    candidates carried, what the post's code passes to ``fit`` (or ``get_model``), and what each
    Keras fit measurably ran with (``SearchRecord.fits``; the batch size from the steps per epoch).
    """
    if any(record.engine != "keras" for record in records):
        raise ValueError("fit_evidence shows what Keras' fits ran with; pass searches run with engine='keras'")
    names = words(language, "settings")
    spec = records[0].search_spec
    rows = [row for record in records for row in record.rows]
    fits = [fit for record in records for fit in record.fits]

    def measured(values: Sequence[Any], formatter: Any = str) -> str:
        text = _values_text(values, language, formatter)
        return f"{text} ({names['all_fits'].format(n=len(fits))})" if len(set(values)) == 1 else text

    batch_low = max(fit["batch_size_min"] for fit in fits)
    batch_high = min(fit["batch_size_max"] or fit["n_samples"] for fit in fits)
    batch_text = str(batch_low) if batch_low == batch_high else f"{batch_low}–{batch_high}"
    early_runs = sum(record.early_stopping_fits or 0 for record in records)
    return pd.DataFrame(
        {
            names["searched"]: [
                _values_text([row["params"][spec.learning_rate_param] for row in rows], language, fmt_lr),
                _values_text([row["params"]["epochs"] for row in rows], language),
                _values_text([row["params"]["batch_size"] for row in rows], language),
                "–",
            ],
            names["given"]: [
                names["get_model"].format(lr=fmt_lr(spec.lr)),
                str(spec.fit_epochs),
                str(spec.fit_batch_size),
                f"EarlyStopping(patience={spec.patience})",
            ],
            names["measured"]: [
                measured([round(fit["learning_rate"], 6) for fit in fits], fmt_lr),
                measured([fit["epochs_run"] for fit in fits]),
                names["from_steps"].format(sizes=batch_text),
                names["ran"].format(n=early_runs),
            ],
        },
        index=[names["learning_rate"], names["epochs"], names["batch_size"], names["early_stopping"]],
    )
