"""Worst-group errors of regressors.

The error of the group served worst. A regressor's demographic parity (the
mean-prediction gap) is made from the registry in ``_gaps.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._group_stats import worst_group
from ._base import as_1d, check_finite, check_lengths, check_weight, encode


def _prepare(y_true, y_pred, sensitive_features, sample_weight):
    n = check_lengths(y_true=y_true, y_pred=y_pred, sample_weight=sample_weight)
    true = check_finite(as_1d(y_true, "y_true"), "y_true").astype(np.float64)
    pred = check_finite(as_1d(y_pred, "y_pred"), "y_pred").astype(np.float64)
    encoding = encode(sensitive_features, n)
    return true, pred, encoding, check_weight(sample_weight, n)


def _worst_error(loss, y_true, y_pred, sensitive_features, sample_weight) -> float:
    true, pred, enc, w = _prepare(y_true, y_pred, sensitive_features, sample_weight)
    return float(worst_group(loss(true - pred), enc.codes, w, enc.n_groups))


def worst_group_mean_squared_error(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    sample_weight: Any = None,
) -> float:
    """The mean squared error of the group with the largest one.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Targets.
    y_pred : array-like of shape (n_samples,)
        Predicted values.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_features)
        The groups; several columns make intersectional groups.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    float

    Examples
    --------
    >>> from skfairtune.metrics import worst_group_mean_squared_error
    >>> worst_group_mean_squared_error([0, 0, 0, 0], [1.0, 1.0, 0.0, 2.0],
    ...                                sensitive_features=["a", "a", "b", "b"])
    2.0
    """
    return _worst_error(np.square, y_true, y_pred, sensitive_features, sample_weight)


def worst_group_mean_absolute_error(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    sample_weight: Any = None,
) -> float:
    """The mean absolute error of the group with the largest one.

    Parameters are those of :func:`worst_group_mean_squared_error`.

    Returns
    -------
    float

    Examples
    --------
    >>> from skfairtune.metrics import worst_group_mean_absolute_error
    >>> worst_group_mean_absolute_error([0, 0, 0, 0], [1.0, 1.0, 0.0, 3.0],
    ...                                 sensitive_features=["a", "a", "b", "b"])
    1.5
    """
    return _worst_error(np.abs, y_true, y_pred, sensitive_features, sample_weight)
