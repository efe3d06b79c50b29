"""fairlearn's base metrics: the rates ``MetricFrame`` users disaggregate.

``count``, ``selection_rate``, ``mean_prediction`` and the four confusion
rates, with fairlearn's signatures and numbers, so that ``from
skfairtune.metrics import true_positive_rate`` is a one-line switch. They
take one set of rows (``MetricFrame`` calls them once per group).

fairlearn's conventions are kept where they decide a number: a confusion
rate whose condition is empty (the true positive rate without positive
labels) is 0, and the positive label is read from the labels of ``y_true``
and ``y_pred`` together (``{0, 1}`` or ``{-1, 1}`` without ``pos_label``).
The confusion rates are read off :func:`~skfairtune._group_stats.confusion_counts`,
the cells every group metric of skfairtune counts, and divided as
scikit-learn's ``confusion_matrix(normalize="true")`` divides them, so the
results are fairlearn's to the last bit.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.utils import check_consistent_length

from .._group_stats import confusion_counts
from .._labels import plain, sorted_labels
from .._validation import check_n_rows, num_rows
from ._base import _distinct, as_1d, as_labels, as_rows, check_finite, check_weight

# fairlearn's messages, kept word for word at the start of ours: callers
# match on them.
EMPTY_PREDICTIONS = "Empty y_pred passed to selection_rate function."
TOO_MANY_LABELS = "Must have no more than two unique y values"
POS_LABEL_NEEDED = "If pos_label is not specified, values must be from {0, 1} or {-1, 1}"
POS_LABEL_ABSENT = "Must have pos_label in y values"

NEGATIVE, POSITIVE = 0, 1


def _samples(values: Any, name: str) -> np.ndarray:
    """``values`` read as fairlearn reads predictions: a scalar is one sample."""
    if values is not None and np.ndim(values) == 0:
        values = np.reshape(values, 1)
    return as_rows(values, name)


def _check_ignored(y_true: Any, n_samples: int) -> None:
    """An ignored ``y_true`` must still describe the same rows, if it has any."""
    if y_true is None or np.ndim(y_true) == 0:
        return
    check_n_rows(num_rows(y_true), n_samples, name="y_true", reference="y_pred")


def _weighted_mean(values: np.ndarray, sample_weight: Any, metric: str) -> float:
    """fairlearn's ``dot(values, weight) / sum(weight)``; NaN, with a warning,
    when every weight is 0."""
    n = values.shape[0]
    weight = check_weight(sample_weight, n, reference="y_pred", allow_zero_sum=True)
    total = weight.sum()
    if total == 0:
        warnings.warn(f"{metric} is undefined: every sample_weight is 0; it is NaN.",
                      UndefinedMetricWarning, stacklevel=3)
        return float("nan")
    return float(np.dot(values, weight) / total)


def count(y_true: Any, y_pred: Any) -> int:
    """The number of samples (in each group, inside a ``MetricFrame``).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        The labels; only their number is read.
    y_pred : array-like of shape (n_samples,)
        The predictions; ignored, but they must have as many rows.

    Returns
    -------
    int
        The number of samples.

    Raises
    ------
    ValueError
        If ``y_true`` and ``y_pred`` have different lengths (scikit-learn's
        "Found input variables with inconsistent numbers of samples").

    Examples
    --------
    >>> from skfairtune.metrics import count
    >>> count([0, 1, 1], [1, 1, 0])
    3
    """
    if y_true is None:
        raise TypeError("count needs y_true (its rows are counted); got None.")
    # scikit-learn's own check: its message is the one fairlearn users match.
    check_consistent_length(y_true, y_pred)
    return num_rows(y_true)


def selection_rate(y_true: Any, y_pred: Any, *, pos_label: Any = 1,
                   sample_weight: Any = None) -> float:
    """The (weighted) share of predictions equal to ``pos_label``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or None
        Ignored (as in fairlearn), but when given with rows it must have as
        many as ``y_pred``.
    y_pred : array-like of shape (n_samples,)
        Predicted labels; a scalar is one sample.
    pos_label : scalar, default=1
        The label of a selection (the "good" outcome).
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights.

    Returns
    -------
    float
        The selection rate; NaN (with an ``UndefinedMetricWarning``) when
        every weight is 0.

    Raises
    ------
    ValueError
        If ``y_pred`` is empty ("Empty y_pred passed to selection_rate
        function."), not one value per sample, or the weights are invalid.

    Examples
    --------
    >>> from skfairtune.metrics import selection_rate
    >>> selection_rate([0, 1, 1, 0], [1, 1, 0, 0])
    0.5
    >>> selection_rate(None, ["yes", "no", "no", "no"], pos_label="yes")
    0.25
    """
    pred = _samples(y_pred, "y_pred")
    if pred.shape[0] == 0:
        raise ValueError(EMPTY_PREDICTIONS)
    pred = as_1d(pred, "y_pred")
    _check_ignored(y_true, pred.shape[0])
    return _weighted_mean(pred == pos_label, sample_weight, "selection_rate")


def mean_prediction(y_true: Any, y_pred: Any, sample_weight: Any = None) -> float:
    """The (weighted) mean of the predictions.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or None
        Ignored (as in fairlearn), but when given with rows it must have as
        many as ``y_pred``.
    y_pred : array-like of shape (n_samples,)
        Numeric predictions (scores, amounts, 0/1 labels); a scalar is one
        sample.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights.

    Returns
    -------
    float
        The mean prediction; NaN (with an ``UndefinedMetricWarning``) when
        every weight is 0.

    Raises
    ------
    ValueError
        If ``y_pred`` is empty, not numeric, holds NaN or infinity, or the
        weights are invalid.

    Examples
    --------
    >>> from skfairtune.metrics import mean_prediction
    >>> mean_prediction(None, [0, 1, 2, 3, 4])
    2.0
    >>> mean_prediction(None, [0, 1, 2, 3, 4], [8, 2, 1, 2, 1])
    1.0
    """
    pred = check_finite(as_1d(_samples(y_pred, "y_pred"), "y_pred"), "y_pred")
    _check_ignored(y_true, pred.shape[0])
    return _weighted_mean(pred, sample_weight, "mean_prediction")


def _labels_of(true: np.ndarray, pred: np.ndarray) -> list:
    """The distinct labels of ``y_true`` and ``y_pred`` together; never scores."""
    for array, name in ((true, "y_true"), (pred, "y_pred")):
        if array.dtype.kind == "f":
            values = _distinct(array)
            fractional = values[values != np.floor(values)]
            if fractional.size:
                raise ValueError(
                    f"{name} holds continuous values ({plain(fractional[0])!r}, ...): "
                    "classification metrics can't handle continuous targets. Give "
                    "hard class labels (predict, not predict_proba).")
    return sorted_labels(np.concatenate([_distinct(true).astype(object),
                                         _distinct(pred).astype(object)]))


def _positive_label(labels: list, pos_label: Any) -> Any:
    """fairlearn's rule for the positive label of binary ``labels``."""
    shown = ", ".join(repr(plain(v)) for v in labels[:5]) + (
        ", ..." if len(labels) > 5 else "")
    if pos_label is None:
        if not (set(labels) <= {0, 1} or set(labels) <= {-1, 1}):
            raise ValueError(f"{POS_LABEL_NEEDED}; y_true and y_pred hold {shown}. "
                             "Pass pos_label= to say which label is positive.")
        pos_label = 1
    if len(labels) > 2:
        raise ValueError(f"{TOO_MANY_LABELS}; y_true and y_pred hold {len(labels)} "
                         f"together: {shown}. These rates are for binary labels.")
    if len(labels) == 2 and not any(label == pos_label for label in labels):
        raise ValueError(f"{POS_LABEL_ABSENT}; pos_label={plain(pos_label)!r} is not "
                         f"one of the labels of y_true and y_pred: {shown}.")
    return pos_label


def _confusion(y_true, y_pred, sample_weight, pos_label) -> np.ndarray:
    """The weighted 2x2 confusion counts ``[label, prediction]`` of binary rows."""
    true, pred = as_labels(y_true, "y_true"), as_labels(y_pred, "y_pred")
    check_n_rows(pred.shape[0], true.shape[0], name="y_pred", reference="y_true")
    n = true.shape[0]
    weight = None if sample_weight is None else check_weight(sample_weight, n)
    labels = _labels_of(true, pred)
    positive = _positive_label(labels, pos_label)
    if not any(label == positive for label in labels):
        # One label, and not the positive one: every row is a negative.
        t = p = np.zeros(n, dtype=np.int64)
    else:
        t = (true == positive).astype(np.int64)
        p = (pred == positive).astype(np.int64)
    return confusion_counts(t, p, np.zeros(n, dtype=np.int64), weight, 1)[0]


def _confusion_rate(label: int, prediction: int, y_true, y_pred, sample_weight,
                    pos_label) -> float:
    """``P(prediction | label)``, 0 where no row has ``label`` (as fairlearn)."""
    row = _confusion(y_true, y_pred, sample_weight, pos_label)[label]
    total = row[0] + row[1]  # confusion_matrix(normalize="true")'s sum
    return float(row[prediction] / total) if total > 0 else 0.0


_RATE_DOC = """Calculate the {title} ({aka}).

    {definition} Labels and predictions must be binary: together they hold
    at most two distinct labels. As in fairlearn, the rate is 0 where no
    sample is {condition}.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        The true labels.
    y_pred : array-like of shape (n_samples,)
        The predicted labels.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights, not all 0.
    pos_label : scalar, default=None
        The positive label. With None the labels must be from {{0, 1}} or
        {{-1, 1}}, and 1 is positive.

    Returns
    -------
    float
        The {title}.

    Raises
    ------
    ValueError
        If there are more than two labels ("Must have no more than two unique
        y values"), ``pos_label`` is None and the labels are not {{0, 1}} or
        {{-1, 1}}, ``pos_label`` is not one of two labels ("Must have pos_label
        in y values"), or the inputs are empty, of different lengths or not
        labels.

    Examples
    --------
    >>> from skfairtune.metrics import {name}
    >>> {name}([0, 0, 0, 1, 1, 1, 1], [0, 1, 1, 1, 1, 1, 0])
    {example}
    """

# name: (label, prediction, title, aka, definition, condition, example)
_RATES = {
    "true_positive_rate": (POSITIVE, POSITIVE, "true positive rate",
                           "sensitivity, recall or hit rate",
                           "The share of positive samples predicted positive.",
                           "positive", "0.75"),
    "true_negative_rate": (NEGATIVE, NEGATIVE, "true negative rate",
                           "specificity or selectivity",
                           "The share of negative samples predicted negative.",
                           "negative", "0.3333333333333333"),
    "false_positive_rate": (NEGATIVE, POSITIVE, "false positive rate", "fall-out",
                            "The share of negative samples predicted positive.",
                            "negative", "0.6666666666666666"),
    "false_negative_rate": (POSITIVE, NEGATIVE, "false negative rate", "miss rate",
                            "The share of positive samples predicted negative.",
                            "positive", "0.25"),
}


def _make_rate(name: str):
    label, prediction, title, aka, definition, condition, example = _RATES[name]

    def rate(y_true: Any, y_pred: Any, sample_weight: Any = None,
             pos_label: Any = None) -> float:
        return _confusion_rate(label, prediction, y_true, y_pred, sample_weight, pos_label)

    rate.__name__ = rate.__qualname__ = name
    rate.__module__ = __name__
    rate.__doc__ = _RATE_DOC.format(title=title, aka=aka, definition=definition,
                                    condition=condition, name=name, example=example)
    return rate


true_positive_rate = _make_rate("true_positive_rate")
true_negative_rate = _make_rate("true_negative_rate")
false_positive_rate = _make_rate("false_positive_rate")
false_negative_rate = _make_rate("false_negative_rate")

__all__ = ["count", "false_negative_rate", "false_positive_rate", "mean_prediction",
           "selection_rate", "true_negative_rate", "true_positive_rate"]
