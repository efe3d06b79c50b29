"""Group fairness metrics for regressors.

A regressor's demographic parity compares the groups' mean predictions: it is
the very notion the penalty applies to predicted values, read on the rows.
The worst-group errors are the error of the group served worst.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from .._notions import DEMOGRAPHIC_PARITY, ratio_to, spread_to, worst_group
from ._base import as_1d, check_finite, check_lengths, check_weight, encode

_METHODS = ("between_groups", "to_overall")


def _prepare(y_true, y_pred, sensitive_features, sample_weight):
    n = check_lengths(y_true=y_true, y_pred=y_pred, sample_weight=sample_weight)
    true = check_finite(as_1d(y_true, "y_true"), "y_true").astype(np.float64)
    pred = check_finite(as_1d(y_pred, "y_pred"), "y_pred").astype(np.float64)
    encoding = encode(sensitive_features, n)
    return true, pred, encoding, check_weight(sample_weight, n)


def _mean_prediction_gap(kind, y_true, y_pred, sensitive_features, sample_weight,
                         method):
    if method not in _METHODS:
        raise ValueError(f"method must be one of {list(_METHODS)}; got {method!r}.")
    _, pred, enc, w = _prepare(y_true, y_pred, sensitive_features, sample_weight)
    if kind == "ratio" and pred.size and pred.min() < 0:
        # A ratio of means of mixed sign (-0.5, say) reads as a fairness
        # figure but measures nothing.
        raise ValueError(
            "mean_prediction_ratio needs non-negative predictions (amounts, "
            f"scores); y_pred has {int((pred < 0).sum())} negative value(s), the "
            f"smallest {float(pred.min()):.4g}. Use mean_prediction_difference, or "
            "shift the predictions to a non-negative scale first."
        )
    if method == "between_groups":
        gap = DEMOGRAPHIC_PARITY.difference if kind == "difference" else (
            DEMOGRAPHIC_PARITY.ratio)
        return float(gap(pred, None, enc.codes, w, enc.n_groups))
    ((means, present),) = DEMOGRAPHIC_PARITY.rates(pred, None, enc.codes, w,
                                                   enc.n_groups)
    ((whole, _),) = DEMOGRAPHIC_PARITY.rates(pred, None, np.zeros_like(enc.codes),
                                             w, 1)
    compare = spread_to if kind == "difference" else ratio_to
    return float(compare(means, present, whole[0]))


def mean_prediction_difference(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    method: Literal["between_groups", "to_overall"] = "between_groups",
    sample_weight: Any = None,
) -> float:
    """Largest minus smallest mean prediction among the groups.

    Demographic parity for a regressor (or for scores).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Targets; only checked (the gap compares predictions).
    y_pred : array-like of shape (n_samples,)
        Predicted values.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_features)
        The groups; several columns make intersectional groups.
    method : {"between_groups", "to_overall"}, default="between_groups"
        Compare the groups with one another, or each with the whole population.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    float

    Examples
    --------
    >>> from skfairtune.metrics import mean_prediction_difference
    >>> mean_prediction_difference([0, 0, 0, 0], [1.0, 3.0, 2.0, 2.0],
    ...                            sensitive_features=["a", "a", "b", "b"])
    0.0
    """
    return _mean_prediction_gap("difference", y_true, y_pred, sensitive_features,
                                sample_weight, method)


def mean_prediction_ratio(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    method: Literal["between_groups", "to_overall"] = "between_groups",
    sample_weight: Any = None,
) -> float:
    """Smallest over largest mean prediction among the groups.

    Meaningful for non-negative predictions only (amounts, scores): negative
    predictions raise a ValueError.

    Parameters are those of :func:`mean_prediction_difference`.

    Returns
    -------
    float

    Examples
    --------
    >>> from skfairtune.metrics import mean_prediction_ratio
    >>> mean_prediction_ratio([0, 0, 0, 0], [1.0, 1.0, 2.0, 2.0],
    ...                       sensitive_features=["a", "a", "b", "b"])
    0.5
    """
    return _mean_prediction_gap("ratio", y_true, y_pred, sensitive_features,
                                sample_weight, method)


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
