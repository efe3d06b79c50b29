"""Telling a degenerate classifier from a fair one.

A model that predicts the same class for every row has every gap equal to
zero: by the numbers it is perfectly fair, and it is useless. The same holds,
less visibly, for a model that is constant within one group, or no better
than always predicting the majority class. This module says when a model is
one of those, in words a report can print, so that the parts that choose or
report a model (``budget_refit``, ``pareto_front``, the reports and the
command line) can refuse to call it fair.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._degeneracy import METRICS as _METRICS
from .._degeneracy import constant_reason, majority_reason
from .._groups import encode_groups
from .._labels import label_text, plain
from .._validation import check_n_rows
from ._base import as_1d
from ._scorers import _columns, _FairnessScorer


def degenerate_reason(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any = None,
    metric: str = "accuracy",
    min_group_size: int = 10,
    sample_weight: Any = None,
    class_names: dict | None = None,
) -> str | None:
    """Why a classifier's predictions are degenerate, or None when they are not.

    Predictions are degenerate when they are (near-)constant overall (one
    class for at least 99% of the rows), constant within a group of at least
    ``min_group_size`` rows whose labels are not all the same, or no better on
    ``metric`` than always predicting the majority class of ``y_true``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        The labels.
    y_pred : array-like of shape (n_samples,)
        The hard predictions.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, k), default=None
        The groups; without them only the overall checks run.
    metric : {"accuracy", "balanced_accuracy"}, default="accuracy"
        The metric the model must beat the majority class on.
    min_group_size : int, default=10
        Smaller groups are not checked for constant predictions: a handful of
        rows can all deserve the same prediction.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights: the majority class is then the heaviest one, and the
        metric is weighted. With classes weighted to balance, a model that
        beats the balance is not degenerate although a rare class makes
        "always no" more accurate unweighted.
    class_names : dict, default=None
        The name to say for each class, where the labels are codes (a model
        trained on 0/1 from a file's "no"/"yes"): the sentence names the
        class as the user knows it.

    Returns
    -------
    str or None
        A sentence such as ``"predicts 1 for every row"``, or None.

    Examples
    --------
    >>> from skfairtune.metrics import degenerate_reason
    >>> y = [0, 1, 1, 1, 0, 1]
    >>> degenerate_reason(y, [1, 1, 1, 1, 1, 1])
    'predicts 1 for every row'
    >>> degenerate_reason(y, [0, 1, 1, 1, 0, 1]) is None
    True

    Weighted, the majority class is the heaviest:

    >>> degenerate_reason([0, 0, 0, 1], [0, 0, 1, 1], sample_weight=[1, 1, 1, 3]) is None
    True
    >>> degenerate_reason([0, 0, 0, 1], [1, 1, 1, 1], sample_weight=[1, 1, 1, 3])
    'predicts 1 for every row'

    A model trained on codes is spoken of in the user's labels:

    >>> degenerate_reason(y, [1, 1, 1, 1, 1, 1], class_names={0: "no", 1: "yes"})
    "predicts 'yes' for every row"
    """
    if metric not in _METRICS:
        raise ValueError(f"metric must be one of {sorted(_METRICS)}; got {metric!r}.")
    true, pred = as_1d(y_true, "y_true"), as_1d(y_pred, "y_pred")
    named = _namer(class_names)
    if true.shape != pred.shape:
        check_n_rows(pred.size, true.size, name="y_pred", reference="y_true")
    reason = constant_reason(pred, named)
    if reason:
        return reason
    if sensitive_features is not None:
        reason = _constant_in_a_group(true, pred, sensitive_features, min_group_size, named)
        if reason:
            return reason
    weight = None if sample_weight is None else as_1d(sample_weight, "sample_weight")
    if weight is not None and weight.size != true.size:
        check_n_rows(weight.size, true.size, name="sample_weight", reference="y_true")
    return majority_reason(true, pred, weight, metric, named)


def _namer(class_names: dict | None):
    names = class_names or {}
    return lambda value: plain(names.get(plain(value), value))


def _constant_in_a_group(true, pred, sensitive_features, min_group_size,
                         named) -> str | None:
    encoding = encode_groups(sensitive_features, n_samples=true.size)
    for group in range(encoding.n_groups):
        rows = encoding.codes == group
        if rows.sum() < min_group_size or np.unique(true[rows]).size < 2:
            continue
        values = np.unique(pred[rows])
        if values.size == 1:
            return (f"predicts {named(values[0])!r} for every row of the group "
                    f"{label_text(encoding.labels[group])!r}")
    return None


def is_degenerate(y_true: Any, y_pred: Any, *, sensitive_features: Any = None,
                  metric: str = "accuracy", min_group_size: int = 10) -> float:
    """1.0 when :func:`degenerate_reason` finds a reason, else 0.0.

    The metric behind :func:`make_degeneracy_scorer`; its mean over folds is
    the share of folds on which a candidate was degenerate.

    Parameters
    ----------
    y_true, y_pred, sensitive_features, metric, min_group_size
        As in :func:`degenerate_reason`.

    Returns
    -------
    float
    """
    reason = degenerate_reason(y_true, y_pred, sensitive_features=sensitive_features,
                               metric=metric, min_group_size=min_group_size)
    return float(reason is not None)


def make_degeneracy_scorer(
    *,
    metric: str = "accuracy",
    sensitive_features: str | list | None = None,
    min_group_size: int = 10,
):
    """A scorer that flags degenerate predictions, for a search's ``scoring`` dict.

    Put it under the key ``"degenerate"``: :func:`~skfairtune.model_selection.budget_refit`
    and :func:`~skfairtune.model_selection.pareto_front` read
    ``mean_test_degenerate`` and pass over (or mark) candidates that were
    degenerate on any fold.

    Parameters
    ----------
    metric : {"accuracy", "balanced_accuracy"}, default="accuracy"
        The metric a model must beat the majority class on (the search's
        selection metric).
    sensitive_features : str or list of str, default=None
        Column(s) of the raw ``X`` that hold the groups, or None to have them
        routed, as in :func:`make_fairness_scorer`.
    min_group_size : int, default=10
        As in :func:`degenerate_reason`.

    Returns
    -------
    scorer
        ``scorer(estimator, X, y)``: 1.0 on a degenerate fold, 0.0 otherwise.
    """
    if metric not in _METRICS:
        raise ValueError(f"metric must be one of {sorted(_METRICS)}; got {metric!r}.")
    kwargs = {"metric": metric, "min_group_size": min_group_size}
    return _FairnessScorer(is_degenerate, 1, kwargs, _columns(sensitive_features))
