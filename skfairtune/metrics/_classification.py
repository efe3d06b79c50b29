"""Per-group rates and worst-group metrics of classifiers.

The per-group rates are the rates the notions of :mod:`skfairtune.notions`
compare (selection rate, true and false positive rates, precision), read on
the confusion cells. The gap metrics themselves are made from the registry in
``_gaps.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._group_stats import cells_as_rows, confusion_counts, group_means, worst_group
from .._groups import group_index
from ..notions import NOTIONS
from ._base import (
    as_labels,
    binarize,
    check_lengths,
    check_weight,
    encode,
    warn_undefined,
)

# Every rate some notion compares, once each, by its table key.
RATES = {rate.key: rate for notion in NOTIONS.values() for rate in notion.rates}


def _prepare(y_true, y_pred, sensitive_features, sample_weight, pos_label, labels=True):
    """Validated 0/1 labels and predictions, group encoding and weights."""
    n = check_lengths(y_true=y_true, y_pred=y_pred, sample_weight=sample_weight)
    pred = binarize(y_pred, pos_label=pos_label, name="y_pred")
    true = binarize(y_true, pos_label=pos_label, name="y_true") if labels else None
    encoding = encode(sensitive_features, n)
    return true, pred, encoding, check_weight(sample_weight, n)


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
    base, has_rows = group_means(y.astype(float), ids, weight, m)
    accuracy, _ = group_means((y == values).astype(float), ids, weight, m)
    table = {
        "count": stacked.sum(axis=(1, 2)),
        "base_rate": np.where(has_rows, base, np.nan),
        "accuracy": np.where(has_rows, accuracy, np.nan),
    }
    for key, rate in RATES.items():
        stat, w = rate.terms(values, y, weight)
        means, present = group_means(stat, ids, w, m)
        # A group without rows lacks every rate, whatever its condition.
        table[key] = np.where(present & has_rows, means, np.nan)
    shape = (n_groups,) if counts.ndim == 3 else (n_groups, k)
    return {name: v.reshape(k, n_groups).T.reshape(shape) for name, v in table.items()}


def _rate_by_group(rate, y_true, y_pred, sensitive_features, sample_weight, pos_label):
    y, p, enc, w = _prepare(y_true, y_pred, sensitive_features, sample_weight,
                            pos_label, labels=rate not in RATES or RATES[rate].needs_labels)
    counts = confusion_counts(0 if y is None else y, p, enc.codes,
                              None if sample_weight is None else w, enc.n_groups)
    values = rate_table(counts)[rate]
    if rate in RATES and RATES[rate].among != "all":
        warn_undefined(~np.isnan(values), enc, rate, RATES[rate].undefined)
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
