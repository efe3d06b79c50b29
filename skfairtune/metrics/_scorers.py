"""Scorers that hand the sensitive attribute to a group metric.

They are scikit-learn ``_BaseScorer`` objects, so ``GridSearchCV`` shares one
``predict`` call among them and the accuracy scorer, and metadata routing
sees the metric's ``sensitive_features`` parameter. The attribute comes either
routed (``set_score_request(sensitive_features=True)``) or from named
column(s) of the ``X`` given to the scorer: the raw ``X``, before any step of
a pipeline has transformed it.

Following scikit-learn's ``neg_*`` convention, greater is always better in
``cv_results_``: a gap (lower is better) is stored negated, so a stored
``-0.03`` means a gap of 0.03.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from inspect import signature
from numbers import Real
from typing import Any

from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    precision_score,
    r2_score,
    recall_score,
)

from skfairtune._compat import BaseScorer as _BaseScorer
from skfairtune.exceptions import FairnessWarning

from .._groups import fitted_encoder, other_attribute, unseen_message
from .._labels import positive_label
from .._validation import column_names, num_rows, read_columns
from ._classification import worst_group_accuracy, worst_group_error_rate
from ._gaps import GAP_METRICS
from ._regression import worst_group_mean_absolute_error, worst_group_mean_squared_error

# Each group metric with whether greater is better: every notion's gaps (a
# difference is better lower, a ratio higher) from the registry, and the
# worst-group metrics.
FAIRNESS_METRICS: dict[str, tuple[Callable, bool]] = {
    **{name: (f, name.endswith("_ratio")) for name, f in GAP_METRICS.items()},
    **{f.__name__: (f, better) for f, better in [
        (worst_group_accuracy, True),
        (worst_group_error_rate, False),
        (worst_group_mean_squared_error, False),
        (worst_group_mean_absolute_error, False),
    ]},
}
# Performance metrics a trade-off may start from (no sensitive attribute).
PERFORMANCE_METRICS = {
    "accuracy": accuracy_score,
    "balanced_accuracy": balanced_accuracy_score,
    "f1": f1_score,
    "precision": precision_score,
    "recall": recall_score,
    "r2": r2_score,
}


# Routing is the other way to give a scorer the attribute; the messages say so.
_ROUTED = (", or None (the values routed: scorer.set_score_request("
           "sensitive_features=True) with sklearn.set_config(enable_metadata_routing=True))")
_ROUTE_FIX = ("Pass X as a pandas DataFrame, or route the values (set_score_request("
              "sensitive_features=True) with sklearn.set_config(enable_metadata_routing=True)).")


def _columns(sensitive_features: Any) -> list | None:
    """The column names to read from X, as a list, or None."""
    if sensitive_features is None:
        return None
    return column_names(sensitive_features, kinds=(str, int), otherwise=_ROUTED)


class _FairnessScorer(_BaseScorer):
    """A scorer whose metric takes ``sensitive_features``, routed or read from X."""

    def __init__(self, score_func, sign, kwargs, columns=None):
        super().__init__(score_func, sign, kwargs, response_method="predict")
        self._columns = columns
        if columns is not None:
            # Read from X: a routed attribute meant for the estimator is not ours.
            request = super()._get_metadata_request()
            request.score.add_request(param="sensitive_features", alias=False)
            self._metadata_request = request

    def __repr__(self):
        text = super().__repr__()
        if self._columns is None:
            return text
        shown = self._columns[0] if len(self._columns) == 1 else self._columns
        return f"{text[:-1]}, sensitive_features={shown!r})"

    def _score(self, method_caller, estimator, X, y_true, **kwargs):
        sensitive = kwargs.pop("sensitive_features", None)
        if sensitive is None:
            sensitive = self._from_X(X)
        if _is_ours(self._score_func):
            sensitive = _model_groups(estimator, sensitive, num_rows(y_true))
        y_pred = method_caller(estimator, self._response_method, X)
        scoring_kwargs = {**self._kwargs, **kwargs}
        if self._takes_pos_label() and scoring_kwargs.get("pos_label") is None:
            scoring_kwargs["pos_label"] = _estimator_pos_label(estimator)
        return self._sign * self._score_func(
            y_true, y_pred, sensitive_features=sensitive, **scoring_kwargs
        )

    def _takes_pos_label(self) -> bool:
        return "pos_label" in signature(self._score_func).parameters

    def _from_X(self, X):
        if self._columns is None:
            raise ValueError(
                f"{self!r} got no sensitive features. Either name the column(s) "
                "of X to read, make_fairness_scorer(..., sensitive_features='sex'), "
                "or enable metadata routing, call scorer.set_score_request("
                "sensitive_features=True) and pass sensitive_features= to fit."
            )
        return read_columns(X, self._columns, kinds=(str, int), fix=_ROUTE_FIX)


def _is_ours(func: Callable) -> bool:
    """Whether ``func`` is a skfairtune metric, which takes a ``GroupEncoding``
    for ``sensitive_features``; a user's metric gets the values themselves."""
    return getattr(func, "__module__", "").startswith("skfairtune.")


def _model_groups(estimator: Any, sensitive: Any, n_samples: int) -> Any:
    """The rows' groups coded by a fitted skfairtune model's encoder, or as given.

    A group the model never saw in fit is named in a ``FairnessWarning`` here,
    where it first meets the model, and measured as any other. A model that
    keeps no groups (any other estimator) gets the values as they are.
    """
    encoder = fitted_encoder(estimator)
    if encoder is None:
        return sensitive
    encoding = encoder.encode(sensitive, unseen="flag", n_samples=n_samples,
                              reference="y_true")
    # Groups of another attribute than the fit's were not missed by the fit.
    if encoding.unseen and other_attribute(estimator, encoding) is None:
        warnings.warn(unseen_message(list(encoding.unseen), encoder)
                      + " They are scored like the other groups.", FairnessWarning,
                      stacklevel=3)
    return encoding


def _estimator_pos_label(estimator: Any) -> Any:
    """The positive class of a binary classifier, as scikit-learn's scorers take it.

    With labels such as {"No", "Yes"} the metrics cannot guess which is
    positive; the estimator's ``classes_`` tell, by the one rule of
    :mod:`skfairtune._labels`. None (the metric's own default) otherwise.
    """
    classes = getattr(estimator, "classes_", None)
    if classes is None or len(classes) != 2:
        return None
    return positive_label(classes, name="the estimator's classes_")


def _check_kwargs(func: Callable, kwargs: dict) -> None:
    accepted = set(signature(func).parameters) - {"y_true", "y_pred"}
    unknown = sorted(set(kwargs) - accepted)
    if unknown:
        raise TypeError(
            f"{func.__name__} does not take {unknown}; it takes {sorted(accepted)}."
        )


def _resolve(metric: str | Callable, greater_is_better: bool | None):
    """The metric function and whether greater is better."""
    if callable(metric):
        known = FAIRNESS_METRICS.get(getattr(metric, "__name__", None))
        if greater_is_better is None and (known is None or known[0] is not metric):
            raise ValueError(
                "greater_is_better must be given for a custom metric: False for a "
                "gap (lower is fairer), True otherwise."
            )
        return metric, known[1] if greater_is_better is None else greater_is_better
    if metric not in FAIRNESS_METRICS:
        raise ValueError(
            f"Unknown fairness metric {metric!r}; use one of "
            f"{sorted(FAIRNESS_METRICS)} or a callable."
        )
    func, better = FAIRNESS_METRICS[metric]
    return func, better if greater_is_better is None else greater_is_better


def make_fairness_scorer(
    metric: str | Callable,
    *,
    sensitive_features: str | list | None = None,
    greater_is_better: bool | None = None,
    **kwargs: Any,
) -> _BaseScorer:
    """Make a scorer from a group fairness metric.

    Parameters
    ----------
    metric : str or callable
        A metric's name (``"demographic_parity_difference"``,
        ``"equalized_odds_difference"``, ``"worst_group_accuracy"``, ...) or a
        function ``metric(y_true, y_pred, *, sensitive_features,
        sample_weight=None)``.
    sensitive_features : str or list of str, default=None
        Column(s) of the raw ``X`` (a DataFrame) that hold the attribute.
        None means the attribute is routed: enable metadata routing and call
        ``scorer.set_score_request(sensitive_features=True)``. Routed values
        take precedence over named columns.
    greater_is_better : bool, default=None
        Whether a larger value is better. Known metrics know it (False for a
        difference or an error); a custom metric must say.
    **kwargs
        Passed to the metric (``pos_label``, ``method``, ``agg``).

    Returns
    -------
    scorer
        ``scorer(estimator, X, y)``. Where lower is better the score is
        negated, like scikit-learn's ``neg_*`` scorers, so that
        ``cv_results_`` stores ``-gap``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skfairtune.metrics import make_fairness_scorer
    >>> X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "sex": [0, 0, 1, 1]})
    >>> y = [0, 0, 1, 1]
    >>> clf = LogisticRegression().fit(X, y)
    >>> scorer = make_fairness_scorer("demographic_parity_difference",
    ...                               sensitive_features="sex")
    >>> float(scorer(clf, X, y))
    -1.0
    """
    func, better = _resolve(metric, greater_is_better)
    _check_kwargs(func, kwargs)
    return _FairnessScorer(func, 1 if better else -1, kwargs,
                           _columns(sensitive_features))


def tradeoff_score(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    sample_weight: Any = None,
    metric: str = "accuracy",
    constraint: str = "demographic_parity_difference",
    weight: float = 1.0,
    pos_label: Any = None,
) -> float:
    """``metric - weight * constraint``: performance less a priced gap.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        Labels and predictions.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_features)
        The groups.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.
    metric : str, default="accuracy"
        A performance metric (see :func:`make_tradeoff_scorer`).
    constraint : str, default="demographic_parity_difference"
        A gap: a fairness metric where lower is better.
    weight : float, default=1.0
        The price of one unit of gap, in units of the metric.
    pos_label : object, default=None
        The positive class, for the metrics that need one; the scorer fills
        it in from the estimator's ``classes_``.

    Returns
    -------
    float

    Examples
    --------
    >>> from skfairtune.metrics import tradeoff_score
    >>> tradeoff_score([1, 0, 1, 0], [1, 0, 1, 1],
    ...                sensitive_features=["a", "a", "b", "b"], weight=0.5)
    0.5
    """
    def call(func):
        extra = {"pos_label": pos_label} if pos_label is not None and (
            "pos_label" in signature(func).parameters) else {}
        return func(y_true, y_pred, sample_weight=sample_weight, **extra)

    if metric in FAIRNESS_METRICS:
        performance = call(functools.partial(FAIRNESS_METRICS[metric][0],
                                             sensitive_features=sensitive_features))
    else:
        performance = call(PERFORMANCE_METRICS[metric])
    gap = call(functools.partial(FAIRNESS_METRICS[constraint][0],
                                 sensitive_features=sensitive_features))
    return float(performance - weight * gap)


def _check_tradeoff(metric: str, constraint: str, weight: Any) -> None:
    performance = sorted(PERFORMANCE_METRICS) + sorted(
        name for name, (_, better) in FAIRNESS_METRICS.items() if better
        and not name.endswith("_ratio")
    )
    if metric not in performance:
        raise ValueError(f"metric must be one of {performance}; got {metric!r}.")
    gaps = sorted(name for name, (_, better) in FAIRNESS_METRICS.items() if not better)
    if constraint not in gaps:
        raise ValueError(
            f"constraint must be a gap (lower is fairer), one of {gaps}; "
            f"got {constraint!r}."
        )
    if not isinstance(weight, Real) or isinstance(weight, bool) or weight < 0:
        raise ValueError(f"weight must be a non-negative number; got {weight!r}.")


def make_tradeoff_scorer(
    metric: str = "accuracy",
    constraint: str = "demographic_parity_difference",
    weight: float = 1.0,
    *,
    sensitive_features: str | list | None = None,
) -> _BaseScorer:
    """Make a scorer of performance less a weighted fairness gap.

    Parameters
    ----------
    metric : str, default="accuracy"
        ``"accuracy"``, ``"balanced_accuracy"``, ``"f1"``, ``"precision"``,
        ``"recall"``, ``"r2"`` or ``"worst_group_accuracy"``.
    constraint : str, default="demographic_parity_difference"
        A gap where lower is fairer, such as ``"equalized_odds_difference"``
        or ``"worst_group_mean_squared_error"``.
    weight : float, default=1.0
        How much of the metric one unit of gap costs.
    sensitive_features : str or list of str, default=None
        Column(s) of the raw ``X`` to read, or None to have the attribute
        routed, as in :func:`make_fairness_scorer`.

    Returns
    -------
    scorer
        Greater is better: ``metric - weight * constraint``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skfairtune.metrics import make_tradeoff_scorer
    >>> X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "sex": [0, 0, 1, 1]})
    >>> y = [0, 0, 1, 1]
    >>> clf = LogisticRegression().fit(X, y)
    >>> scorer = make_tradeoff_scorer(weight=0.5, sensitive_features="sex")
    >>> float(scorer(clf, X, y))
    0.5
    """
    _check_tradeoff(metric, constraint, weight)
    kwargs = {"metric": metric, "constraint": constraint, "weight": float(weight)}
    return _FairnessScorer(tradeoff_score, 1, kwargs, _columns(sensitive_features))

