"""The report's explanation of the gap: which features carry it, before and after.

:func:`explain_report` runs :func:`~skfairtune.explain.explain_gap` on a
sample of the held-out rows, for the chosen model and (on the same groups and
rows) the base model, and sets the two side by side with
:func:`~skfairtune.explain.compare_gaps`. Where the gap cannot be explained
(a notion whose rows depend on the predictions, a model without
probabilities, fewer than two groups) the result says why instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd

from .._labels import label_text
from .._proxies import feature_frame, proxy_table
from ._document import Section, Table, left_out

# The rows explained when ``model_report(explain=True)``: half from each group.
EXPLAIN_ROWS = 500
# A gap in mean score below this is called small: its features' shares say little.
SMALL_GAP = 0.02
# The features the section's table shows; report.explanation keeps them all.
SHOWN_FEATURES = 10
# The columns the model does not read that the text names; it counts the rest.
NAMED_COLUMNS = 5


@dataclass
class GapExplained:
    """The explanation of a report's gap (``report.explanation``).

    Attributes
    ----------
    notion : str
        The notion whose gap is explained.
    chosen : GapExplanation or None
        :func:`~skfairtune.explain.explain_gap` of the reported model.
    base : GapExplanation or None
        The same for the base model, on the same groups and rows.
    comparison : GapComparison or None
        :func:`~skfairtune.explain.compare_gaps` of the two.
    reason : str or None
        Why the gap (or the comparison) could not be explained.
    sensitive : str
        The sensitive feature's name in words.
    n_dropped : int
        Held-out rows left out for missing values.
    n_rows : int
        Held-out rows the proxy AUCs are measured on: all of them, missing
        values included, as the data-set audit measures its rows.
    """

    notion: str
    chosen: Any = None
    base: Any = None
    comparison: Any = None
    reason: str | None = None
    sensitive: str = "the group"
    n_dropped: int = 0
    n_rows: int = 0

    def sentence(self) -> str | None:
        """The top feature of the gap, its share and whether it is a proxy, in words."""
        return headline(self)

    def change_sentence(self) -> str | None:
        """What fine-tuning changed (the gap and its largest change), in words."""
        return change_sentence(self)

    def top(self, k: int) -> pd.DataFrame:
        """The ``k`` features with the largest parts of the chosen model's gap:
        ``base``, ``chosen`` and ``change`` (with a base), ``share``,
        ``proxy AUC`` and ``proxy``. The share is NaN when the gap is under
        :data:`SMALL_GAP`: a part over a gap near zero is noise."""
        return top_features(self, k)


def explain_report(estimator, base, X, y, sensitive, encoding, *, notion, pos_label,
                   max_rows, random_state, name) -> GapExplained:
    """Explain the chosen model's gap and, given one, the base's, on the same rows.

    ``encoding`` is the report's coding of ``sensitive`` on all the rows.
    """
    from skfairtune.explain import compare_gaps, explain_gap

    notion = notion or "demographic_parity"
    found = GapExplained(notion, sensitive=name, n_rows=len(y))
    complete = _complete_rows(X)
    found.n_dropped = int((~complete).sum())
    rows = _rows(X, complete), np.asarray(y)[complete], _rows(sensitive, complete)
    seed = random_state if isinstance(random_state, Integral) else 0
    settings = {"sensitive_features": rows[2], "notion": notion, "y": rows[1],
                "pos_label": pos_label, "max_rows": max_rows, "random_state": seed}
    try:
        # On every held-out row, as the audit measures a data set's rows: the
        # rows left out of the explanation for a missing value count here.
        settings["proxies"] = proxy_table(
            feature_frame(X), encoding.codes,
            random_state=seed)
        if base is not None:
            found.base = explain_gap(base, rows[0], **settings)
            settings["groups"] = found.base.groups
        found.chosen = explain_gap(estimator, rows[0], **settings)
    except (ValueError, TypeError) as exc:  # explain_gap's refusals name the cause
        found.base = found.chosen = None
        found.reason = str(exc)
        return found
    if found.base is not None:
        try:
            found.comparison = compare_gaps(found.base, found.chosen)
        except ValueError as exc:  # equalized odds: the two explained different rates
            found.reason = str(exc)
    return found


def _complete_rows(X) -> np.ndarray:
    """The rows without a missing value: explain_gap needs complete rows."""
    if isinstance(X, pd.DataFrame):
        return X.notna().all(axis=1).to_numpy()
    array = np.asarray(X)
    if array.ndim != 2:
        return np.ones(len(array), dtype=bool)  # explain_gap says what is wrong
    return pd.DataFrame(array).notna().all(axis=1).to_numpy()


def _rows(values, mask: np.ndarray):
    if mask.all():
        return values
    if isinstance(values, (pd.DataFrame, pd.Series)):
        return values[mask].reset_index(drop=True)
    return np.asarray(values)[mask]


def sensitive_name(X, sensitive_features) -> str:
    """How the sentences name the sensitive feature: its column name(s), if any."""
    if isinstance(sensitive_features, str):
        return sensitive_features
    if isinstance(sensitive_features, list) and all(isinstance(s, str) for s in
                                                    sensitive_features):
        return " and ".join(sensitive_features)
    name = getattr(sensitive_features, "name", None)
    if isinstance(name, str):
        return name
    if isinstance(sensitive_features, pd.DataFrame):
        return " and ".join(str(c) for c in sensitive_features.columns)
    return "the group"


def headline(found: GapExplained) -> str | None:
    """The explanation in one sentence: the top feature, its share, whether a proxy.

    A gap in mean score under :data:`SMALL_GAP` is split into parts that
    offset each other, whose shares say little: the sentence then says so,
    and, with a base model whose gap was larger, what carried that one.
    """
    result = found.chosen
    if result is None or not (len(result.contributions) or result.direct):
        return None
    if abs(result.gap) >= SMALL_GAP:
        return _split(result, found.sensitive, "the") + "."
    a, b = _ordered(result)
    text = f"The model's gap in mean score between {a} and {b} is small ({abs(result.gap):.3f})"
    if found.base is not None and abs(found.base.gap) >= SMALL_GAP:
        split = _split(found.base, found.sensitive, "the base model's")
        return f"{text}: {split[0].lower()}{split[1:]}."
    name, part, words = _largest_part(result, found.sensitive)
    return (f"{text}: its features' parts offset each other, the largest being {name} "
            f"({abs(part):.3f}){words}.")


def _ordered(result) -> tuple:
    """The two groups, the one with the higher mean score first."""
    a, b = (label_text(g) for g in result.groups)
    return (b, a) if result.gap < 0 else (a, b)


def _split(result, sensitive: str, whose: str) -> str:
    """Which feature carries most of ``result``'s gap, as a sentence without its stop."""
    a, b = _ordered(result)
    gap_words = f"{whose} gap in mean score between {a} and {b} ({abs(result.gap):.3f})"
    feature, part, proxy = _largest_part(result, sensitive)
    share = part / result.gap
    if share > 1:
        return (f"More than the whole of {gap_words} runs through {feature} ({share:.0%})"
                f"{proxy}; the other features together narrow it")
    if share >= 0.5:
        return f"Most of {gap_words} runs through {feature} ({share:.0%}){proxy}"
    if share > 0:
        return f"The largest part of {gap_words} runs through {feature} ({share:.0%}){proxy}"
    return (f"The largest single part of {gap_words} comes from {feature} "
            f"({abs(part):.3f}){proxy}, and it works against the gap: "
            "the other features make it")


def _largest_part(result, sensitive: str) -> tuple:
    """What carries the largest part of the gap: the top feature, or the
    sensitive column itself where the model reads it and its part is larger;
    with the words that say whether it is a proxy."""
    table = result.contributions
    if result.direct and (not len(table) or
                          abs(result.direct) >= abs(table["contribution"].iloc[0])):
        return (f"{_names(_sensitive_read(result))} itself", result.direct,
                ", the sensitive attribute, which the model reads directly")
    row = table.iloc[0]
    return table.index[0], float(row["contribution"]), _proxy_words(row, sensitive)


def _names(columns) -> str:
    return " and ".join(str(c) for c in columns)


def _sensitive_read(result) -> list:
    """The columns holding the sensitive attribute that the model reads."""
    return [c for c in result.sensitive_columns if c not in result.no_effect]


def _proxy_words(row, sensitive: str) -> str:
    auc = float(row["proxy_auc"])
    if np.isnan(auc):
        return ""
    if row["proxy"]:
        return f", a proxy of {sensitive} (alone it tells the groups apart with AUC {auc:.2f})"
    return f", not a proxy of {sensitive} (AUC {auc:.2f} alone)"


def change_sentence(found: GapExplained) -> str | None:
    """What fine-tuning changed, feature by feature: the gap and the largest change."""
    if found.comparison is None:
        return None
    gap = found.comparison.totals.loc["gap"]
    features = found.comparison.contributions
    text = f"Fine-tuning moved this gap from {gap['base']:.3f} to {gap['tuned']:.3f}"
    if len(features):
        name, row = features.index[0], features.iloc[0]
        text += (f"; the largest change is through {name}, whose part went from "
                 f"{row['base']:.3f} to {row['tuned']:.3f}")
    return text + "."


def top_features(found: GapExplained, k: int) -> pd.DataFrame:
    """The ``k`` features with the largest part of the chosen model's gap:
    ``base`` (with a base), ``chosen``, ``share`` and ``proxy``."""
    table = found.chosen.contributions
    share = table["share"] if abs(found.chosen.gap) >= SMALL_GAP else np.nan
    frame = pd.DataFrame({"chosen": table["contribution"], "share": share,
                          "proxy AUC": table["proxy_auc"], "proxy": table["proxy"]})
    if found.comparison is not None:
        frame.insert(0, "base",
                     found.comparison.contributions["base"].reindex(frame.index))
        frame.insert(2, "change", frame["chosen"] - frame["base"])
    frame.index.name = "feature"
    return frame.iloc[:k]


def explanation_section(report) -> Section | None:
    """The "Explaining the gap" section; None when the report was not asked for it."""
    found = report.explanation
    if found is None:
        return None
    heading = "Explaining the gap"
    if found.chosen is None:
        return Section(heading, [f"The {_notion_title(found)} gap cannot be explained "
                                 f"feature by feature here: {found.reason}"])
    text = [headline(found), _method_text(found), *_columns_text(found.chosen)]
    change = change_sentence(found)
    text += [change] if change else []
    if found.reason:
        text.append(f"The base and the chosen model cannot be compared feature by feature: "
                    f"{found.reason}")
    contributions = found.chosen.contributions
    text += left_out(contributions["contribution"].abs().to_numpy(),
                     {"table shows": SHOWN_FEATURES}, holder="report.explanation",
                     noun="features", by="largest parts", unit=None)
    caption = ("Each feature's part of the gap in mean score"
               + (", base and chosen model" if found.comparison is not None else ""))
    if abs(found.chosen.gap) < SMALL_GAP:
        caption += f" (no shares: the gap is under {SMALL_GAP:g}, and parts of it are noise)"
    return Section(heading, text, [Table(caption, top_features(found, SHOWN_FEATURES))])


def _notion_title(found: GapExplained) -> str:
    from skfairtune.notions import get_notion

    return get_notion(found.notion).title


def _method_text(found: GapExplained) -> str:
    result = found.chosen
    a, b = (label_text(g) for g in result.groups)
    among = "" if result.rate == "selection_rate" else " among the rows labelled positive"
    method = result.method.replace("_", " ")
    dropped = (f" ({found.n_dropped:,} rows with missing values left out)"
               if found.n_dropped else "")
    return (f"The {_notion_title(found)} gap is read here on the model's scores, not on its "
            f"hard predictions: the mean predicted probability of the positive class"
            f"{among}, {a} minus {b}, on a sample of {result.n_rows[0]:,} + "
            f"{result.n_rows[1]:,} held-out rows{dropped}. By {method}, each feature gets "
            "its part of that gap, and the parts add up to it (share: the part over the "
            "gap). A feature marked proxy tells the groups apart on its own (a "
            f"cross-validated AUC of at least 0.7 on the {found.n_rows:,} held-out rows, "
            "measured as the data-set audit measures the rows it is given): dropping the "
            "sensitive column does not hide the group from it.")


def _columns_text(result) -> list[str]:
    """What became of the columns that are not features of the gap: the
    sensitive attribute's, and those the model does not read."""
    text = []
    read = _sensitive_read(result)
    if read:
        text.append(f"The model reads the sensitive attribute itself, in {_names(read)}: "
                    f"that part of the gap ({result.direct:.3f}) is direct, not a feature's, "
                    "and the features' parts add up to the rest.")
    unread = [c for c in result.sensitive_columns if c in result.no_effect]
    if unread:
        text.append(f"The sensitive attribute is in the data ({_names(unread)}), but the "
                    "model's scores do not move with it.")
    others = [c for c in result.no_effect if c not in result.sensitive_columns]
    if others:
        shown = ", ".join(others[:NAMED_COLUMNS])
        more = len(others) - NAMED_COLUMNS
        shown += f" and {more} more" if more > 0 else ""
        text.append("Not listed, as the model's scores do not move with them (no part in "
                    f"the gap): {shown}.")
    return text
