"""Group fairness metrics for binary classifiers.

The gaps and the per-group rates read the notions of ``skfairtune._notions``,
the definitions the torch penalties use on a batch, so a metric and a
penalty cannot disagree about what a gap is. They read them on the confusion
cells (four weighted rows per group, one ``bincount`` away from the data),
which every notion reads exactly as it reads the rows they summarise.

Where a rate is undefined in a group (a true positive rate without positive
labels), the group is reported as NaN, left out of the gap, and named in an
``UndefinedGroupWarning``. fairlearn reports 0 there, which can make a fair
model look unfair or the reverse; this is the one place where the numbers of
the two libraries differ on purpose.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._labels import plain
from .._notions import (
    DEMOGRAPHIC_PARITY,
    EQUAL_OPPORTUNITY,
    EQUALIZED_ODDS,
    cells_as_rows,
    confusion_counts,
    group_means,
    ratio,
    ratio_to,
    spread,
    spread_to,
    worst_group,
)
from ..exceptions import UndefinedGroupWarning
from ._base import (
    as_labels,
    binarize,
    check_lengths,
    check_weight,
    encode,
    group_index,
    warn_undefined,
)

_METHODS = ("between_groups", "to_overall")

_AGGS = ("worst_case", "mean")
# What each condition of a notion means, for the warnings.
_CONDITION_TEXT = {
    None: ("selection rate", "zero total weight"),
    1: ("true positive rate", "no positive labels"),
    0: ("false positive rate", "no negative labels"),
}


def _prepare(y_true, y_pred, sensitive_features, sample_weight, pos_label, labels=True):
    """Validated 0/1 labels and predictions, group encoding and weights."""
    n = check_lengths(y_true=y_true, y_pred=y_pred, sample_weight=sample_weight)
    pred = binarize(y_pred, pos_label=pos_label, name="y_pred")
    true = binarize(y_true, pos_label=pos_label, name="y_true") if labels else None
    encoding = encode(sensitive_features, n)
    return true, pred, encoding, check_weight(sample_weight, n)


def _check_option(name: str, value: Any, allowed: tuple) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {list(allowed)}; got {value!r}.")


def _notion_gap(notion, kind, y_true, y_pred, sensitive_features, sample_weight,
                pos_label, method, agg="worst_case"):
    """A notion's difference or ratio, with fairlearn's ``method`` and ``agg``."""
    _check_option("method", method, _METHODS)
    _check_option("agg", agg, _AGGS)
    labels = notion is not DEMOGRAPHIC_PARITY
    y, p, enc, w = _prepare(y_true, y_pred, sensitive_features, sample_weight,
                            pos_label, labels)
    if enc.n_groups < 2:
        # fairlearn returns the same 0 (or 1 for a ratio); it says nothing.
        warnings.warn(
            f"sensitive_features holds one group only ({plain(enc.labels[0])!r}): "
            "there is no other group to compare it with, so the gap is 0 (the ratio 1) "
            "by definition, not a sign of fairness.", UndefinedGroupWarning, stacklevel=3)
    # One pass makes the cells; the notion then reads 4 rows per group. Parity
    # ignores labels, so its rows all go to the label-0 cells.
    counts = confusion_counts(0 if y is None else y, p, enc.codes,
                              None if sample_weight is None else w, enc.n_groups)
    cells = cells_as_rows(counts)
    rates = notion.rates(*cells, enc.n_groups)
    for label, (_, present) in zip(notion.conditions, rates):
        warn_undefined(present, enc, *_CONDITION_TEXT[label])
    if method == "between_groups":
        compare = spread if kind == "difference" else ratio
        gaps = [compare(means, present) for means, present in rates]
    else:
        compare = spread_to if kind == "difference" else ratio_to
        values, cy, _, weight = cells
        whole = notion.rates(values, cy, np.zeros_like(cells[2]), weight, 1)
        gaps = [compare(m, present, ref[0])
                for (m, present), (ref, _) in zip(rates, whole)]
    if agg == "mean":  # as pandas (and so fairlearn) does, skip an undefined one
        defined = [g for g in gaps if not np.isnan(g)]
        return float(np.mean(defined)) if defined else float("nan")
    return float(max(gaps) if kind == "difference" else min(gaps))


def demographic_parity_difference(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    method: Literal["between_groups", "to_overall"] = "between_groups",
    sample_weight: Any = None,
    pos_label: Any = None,
) -> float:
    """Largest minus smallest selection rate among the groups.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Ground truth; only its length is used (as in fairlearn).
    y_pred : array-like of shape (n_samples,)
        Binary predictions.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_features)
        The groups; several columns make intersectional groups.
    method : {"between_groups", "to_overall"}, default="between_groups"
        Compare the groups with one another, or each with the whole population.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.
    pos_label : scalar, default=None
        The positive prediction; None means 1 for {0, 1} or {-1, 1} labels.

    Returns
    -------
    float
        0 when every group is selected at the same rate.

    Examples
    --------
    >>> from skfairtune.metrics import demographic_parity_difference
    >>> demographic_parity_difference([0, 1, 1, 0], [1, 1, 0, 0],
    ...                               sensitive_features=["a", "a", "b", "b"])
    1.0
    """
    return _notion_gap(DEMOGRAPHIC_PARITY, "difference", y_true, y_pred,
                       sensitive_features, sample_weight, pos_label, method)


def demographic_parity_ratio(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    method: Literal["between_groups", "to_overall"] = "between_groups",
    sample_weight: Any = None,
    pos_label: Any = None,
) -> float:
    """Smallest over largest selection rate among the groups.

    Parameters are those of :func:`demographic_parity_difference`.

    Returns
    -------
    float
        1 when every group is selected at the same rate; NaN when no group is
        selected at all.

    Examples
    --------
    >>> from skfairtune.metrics import demographic_parity_ratio
    >>> demographic_parity_ratio([0, 1, 1, 0], [1, 1, 1, 0],
    ...                          sensitive_features=["a", "a", "b", "b"])
    0.5
    """
    return _notion_gap(DEMOGRAPHIC_PARITY, "ratio", y_true, y_pred,
                       sensitive_features, sample_weight, pos_label, method)


def equal_opportunity_difference(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    method: Literal["between_groups", "to_overall"] = "between_groups",
    sample_weight: Any = None,
    pos_label: Any = None,
) -> float:
    """Largest minus smallest true positive rate among the groups.

    A group without positive labels has no true positive rate: it is left
    out, with an :class:`UndefinedGroupWarning` (fairlearn counts it as 0).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels.
    y_pred : array-like of shape (n_samples,)
        Binary predictions.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_features)
        The groups; several columns make intersectional groups.
    method : {"between_groups", "to_overall"}, default="between_groups"
        Compare the groups with one another, or each with the whole population.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.
    pos_label : scalar, default=None
        The positive label; None means 1 for {0, 1} or {-1, 1} labels.

    Returns
    -------
    float

    Examples
    --------
    >>> from skfairtune.metrics import equal_opportunity_difference
    >>> equal_opportunity_difference([1, 1, 1, 1], [1, 1, 1, 0],
    ...                              sensitive_features=["a", "a", "b", "b"])
    0.5
    """
    return _notion_gap(EQUAL_OPPORTUNITY, "difference", y_true, y_pred,
                       sensitive_features, sample_weight, pos_label, method)


def equal_opportunity_ratio(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    method: Literal["between_groups", "to_overall"] = "between_groups",
    sample_weight: Any = None,
    pos_label: Any = None,
) -> float:
    """Smallest over largest true positive rate among the groups.

    Parameters are those of :func:`equal_opportunity_difference`.

    Returns
    -------
    float

    Examples
    --------
    >>> from skfairtune.metrics import equal_opportunity_ratio
    >>> equal_opportunity_ratio([1, 1, 1, 1], [1, 1, 1, 0],
    ...                         sensitive_features=["a", "a", "b", "b"])
    0.5
    """
    return _notion_gap(EQUAL_OPPORTUNITY, "ratio", y_true, y_pred,
                       sensitive_features, sample_weight, pos_label, method)


def equalized_odds_difference(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    method: Literal["between_groups", "to_overall"] = "between_groups",
    sample_weight: Any = None,
    agg: Literal["worst_case", "mean"] = "worst_case",
    pos_label: Any = None,
) -> float:
    """The larger of the true and the false positive rate differences.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels.
    y_pred : array-like of shape (n_samples,)
        Binary predictions.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_features)
        The groups; several columns make intersectional groups.
    method : {"between_groups", "to_overall"}, default="between_groups"
        Compare the groups with one another, or each with the whole population.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.
    agg : {"worst_case", "mean"}, default="worst_case"
        Take the larger of the two differences, or their mean.
    pos_label : scalar, default=None
        The positive label; None means 1 for {0, 1} or {-1, 1} labels.

    Returns
    -------
    float

    Examples
    --------
    >>> from skfairtune.metrics import equalized_odds_difference
    >>> equalized_odds_difference([1, 0, 1, 0], [1, 0, 1, 1],
    ...                           sensitive_features=["a", "a", "b", "b"])
    1.0
    """
    return _notion_gap(EQUALIZED_ODDS, "difference", y_true, y_pred,
                       sensitive_features, sample_weight, pos_label, method, agg)


def equalized_odds_ratio(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    method: Literal["between_groups", "to_overall"] = "between_groups",
    sample_weight: Any = None,
    agg: Literal["worst_case", "mean"] = "worst_case",
    pos_label: Any = None,
) -> float:
    """The smaller of the true and the false positive rate ratios.

    Parameters are those of :func:`equalized_odds_difference`.

    Returns
    -------
    float

    Examples
    --------
    >>> from skfairtune.metrics import equalized_odds_ratio
    >>> equalized_odds_ratio([1, 0, 1, 0], [1, 1, 1, 1],
    ...                      sensitive_features=["a", "a", "b", "b"])
    1.0
    """
    return _notion_gap(EQUALIZED_ODDS, "ratio", y_true, y_pred,
                       sensitive_features, sample_weight, pos_label, method, agg)


def worst_group_accuracy(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    sample_weight: Any = None,
) -> float:
    """The accuracy of the group where the classifier is least accurate.

    Works for any number of classes: a prediction is right when it equals the
    label.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Labels.
    y_pred : array-like of shape (n_samples,)
        Predictions.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_features)
        The groups; several columns make intersectional groups.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    float

    Examples
    --------
    >>> from skfairtune.metrics import worst_group_accuracy
    >>> worst_group_accuracy([1, 0, 1, 0], [1, 0, 1, 1],
    ...                      sensitive_features=["a", "a", "b", "b"])
    0.5
    """
    n = check_lengths(y_true=y_true, y_pred=y_pred, sample_weight=sample_weight)
    right = as_labels(y_true, "y_true") == as_labels(y_pred, "y_pred")
    enc = encode(sensitive_features, n)
    w = check_weight(sample_weight, n)
    return float(worst_group(right, enc.codes, w, enc.n_groups, largest=False))


def worst_group_error_rate(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    sample_weight: Any = None,
) -> float:
    """The error rate of the group where the classifier errs most.

    ``1 - worst_group_accuracy``: lower is better, so it can be the budgeted
    quantity of :func:`~skfairtune.model_selection.budget_refit` (the
    objective of the ``worst_group_loss`` and ``bounded_group_loss``
    penalties, measured on hard predictions).

    Parameters
    ----------
    y_true, y_pred, sensitive_features, sample_weight
        As in :func:`worst_group_accuracy`.

    Returns
    -------
    float

    Examples
    --------
    >>> from skfairtune.metrics import worst_group_error_rate
    >>> worst_group_error_rate([1, 0, 1, 0], [1, 0, 1, 1],
    ...                        sensitive_features=["a", "a", "b", "b"])
    0.5
    """
    return 1.0 - worst_group_accuracy(y_true, y_pred, sensitive_features=sensitive_features,
                                      sample_weight=sample_weight)


def rate_table(counts: np.ndarray) -> dict:
    """Per-group rates from confusion counts of shape (n_groups, 2, 2[, k]).

    Selection, true and false positive rates are the notions' own rates; the
    others are weighted means over the same cells. Each value has shape
    (n_groups,) or (n_groups, k), NaN where a rate is undefined.
    """
    n_groups = counts.shape[0]
    k = counts.shape[3] if counts.ndim == 4 else 1
    # Stack the k tables as k * n_groups groups, so one call reads all of them.
    stacked = np.moveaxis(counts.reshape(n_groups, 2, 2, k), 3, 0).reshape(-1, 2, 2)
    values, y, ids, weight = cells_as_rows(stacked)
    m = stacked.shape[0]
    (selection, _), = DEMOGRAPHIC_PARITY.rates(values, y, ids, weight, m)
    (tpr, has_pos), (fpr, has_neg) = EQUALIZED_ODDS.rates(values, y, ids, weight, m)
    base, has_rows = group_means(y.astype(float), ids, weight, m)
    accuracy, _ = group_means((y == values).astype(float), ids, weight, m)
    precision, has_sel = group_means(y.astype(float), ids, weight * values, m)
    table = {
        "count": stacked.sum(axis=(1, 2)),
        "base_rate": np.where(has_rows, base, np.nan),
        "selection_rate": np.where(has_rows, selection, np.nan),
        "accuracy": np.where(has_rows, accuracy, np.nan),
        "precision": np.where(has_sel, precision, np.nan),
        "tpr": np.where(has_pos, tpr, np.nan),
        "fpr": np.where(has_neg, fpr, np.nan),
    }
    shape = (n_groups,) if counts.ndim == 3 else (n_groups, k)
    return {name: v.reshape(k, n_groups).T.reshape(shape) for name, v in table.items()}


_UNDEFINED_BECAUSE = {
    "precision": "no positive predictions",
    "tpr": "no positive labels",
    "fpr": "no negative labels",
}


def _rate_by_group(rate, y_true, y_pred, sensitive_features, sample_weight, pos_label):
    y, p, enc, w = _prepare(y_true, y_pred, sensitive_features, sample_weight,
                            pos_label, labels=rate != "selection_rate")
    counts = confusion_counts(0 if y is None else y, p, enc.codes,
                              None if sample_weight is None else w, enc.n_groups)
    values = rate_table(counts)[rate]
    if rate in _UNDEFINED_BECAUSE:
        warn_undefined(~np.isnan(values), enc, rate, _UNDEFINED_BECAUSE[rate])
    return pd.Series(values, index=group_index(enc), name=rate)


def _by_group_doc(rate: str, what: str) -> str:
    return f"""{what} of each group.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels.
    y_pred : array-like of shape (n_samples,)
        Binary predictions.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_features)
        The groups; several columns make intersectional groups.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.
    pos_label : scalar, default=None
        The positive label; None means 1 for {{0, 1}} or {{-1, 1}} labels.

    Returns
    -------
    pandas.Series
        One value per group, indexed by the group; NaN where undefined.

    Examples
    --------
    >>> from skfairtune.metrics import {rate}_by_group
    >>> {rate}_by_group([1, 0, 1, 0], [1, 1, 1, 0],
    ...     sensitive_features=["a", "a", "b", "b"]).to_dict()
    """


def _make_by_group(rate: str, public: str, what: str, example: str):
    def by_group(
        y_true: Any,
        y_pred: Any,
        *,
        sensitive_features: Any,
        sample_weight: Any = None,
        pos_label: Any = None,
    ) -> pd.Series:
        return _rate_by_group(rate, y_true, y_pred, sensitive_features,
                              sample_weight, pos_label)

    by_group.__name__ = by_group.__qualname__ = f"{public}_by_group"
    by_group.__doc__ = _by_group_doc(public, what) + f"    {example}\n    "
    by_group.__module__ = __name__
    return by_group


selection_rate_by_group = _make_by_group(
    "selection_rate", "selection_rate", "The share of positive predictions",
    "{'a': 1.0, 'b': 0.5}")
accuracy_by_group = _make_by_group(
    "accuracy", "accuracy", "The accuracy", "{'a': 0.5, 'b': 1.0}")
precision_by_group = _make_by_group(
    "precision", "precision", "The precision (share of positive predictions "
    "that are right)", "{'a': 0.5, 'b': 1.0}")
true_positive_rate_by_group = _make_by_group(
    "tpr", "true_positive_rate", "The true positive rate (recall)",
    "{'a': 1.0, 'b': 1.0}")
false_positive_rate_by_group = _make_by_group(
    "fpr", "false_positive_rate", "The false positive rate",
    "{'a': 1.0, 'b': 0.0}")
