"""``make_derived_metric`` and fairlearn's 25 generated metrics.

A derived metric is one number from a disaggregated one: the difference or
ratio between groups, or the worst group's value. It is computed as
fairlearn computes it, with a :class:`~skfairtune.metrics.MetricFrame` and
the method named by ``transform``, so the numbers are the frame's (and
recognised metrics are read off one pass of counts).

Note the one difference from the gap metrics of ``_gaps.py``:
``true_positive_rate_difference`` reads fairlearn's ``true_positive_rate``
in every group, 0 where a group has no positive labels, whereas
``equal_opportunity_difference`` leaves such a group out (with an
``UndefinedGroupWarning``). Where every group has positives they agree.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import sklearn.metrics as skm

from ._base_metrics import (
    false_negative_rate,
    false_positive_rate,
    selection_rate,
    true_negative_rate,
    true_positive_rate,
)
from ._metric_frame import MetricFrame

TRANSFORMS = ["difference", "group_min", "group_max", "ratio"]
# Arguments of a derived metric that go to the transform, not to the metric.
TRANSFORM_PARAMETERS = ["method"]

# fairlearn's messages, word for word: callers match on them.
NOT_CALLABLE = "Supplied metric object must be callable"
METHOD_ARGUMENT = ("Callables which accept a '{0}' argument may not be passed to "
                   "make_derived_metric(). Please use functools.partial()")
BAD_TRANSFORM = f"Transform must be one of {TRANSFORMS}"


class DerivedMetric:
    """A metric aggregated over the groups of ``sensitive_features``.

    Made by :func:`make_derived_metric`; calling it is the same as making a
    :class:`MetricFrame` of ``metric`` and calling its ``transform`` method.

    Parameters
    ----------
    metric : callable
        ``metric(y_true, y_pred, **params)``.
    transform : {"difference", "group_min", "group_max", "ratio"}
        The :class:`MetricFrame` method that makes the number.
    sample_param_names : list of str
        The arguments of ``metric`` that hold one value per sample, split by
        group like ``y_true``; every other argument is passed whole.
    """

    def __init__(self, *, metric: Callable[..., float | int], transform: str,
                 sample_param_names: list[str]) -> None:
        if not callable(metric):
            raise ValueError(NOT_CALLABLE)
        try:
            parameters = inspect.signature(metric).parameters
        except (TypeError, ValueError):  # a builtin without a signature
            parameters = {}
        for name in TRANSFORM_PARAMETERS:
            if name in parameters:
                raise ValueError(METHOD_ARGUMENT.format(name))
        if transform not in TRANSFORMS:
            raise ValueError(BAD_TRANSFORM)
        self._metric_fn = metric
        self._transform = transform
        self._sample_param_names = list(sample_param_names or [])

    @property
    def metric(self) -> Callable[..., float | int]:
        """The metric that is computed in each group."""
        return self._metric_fn

    @property
    def transform(self) -> str:
        """How the groups' values become one number."""
        return self._transform

    @property
    def sample_param_names(self) -> list[str]:
        """The arguments of ``metric`` split by group like ``y_true``."""
        return list(self._sample_param_names)

    def __repr__(self) -> str:
        name = getattr(self._metric_fn, "__name__", repr(self._metric_fn))
        return f"make_derived_metric(metric={name}, transform={self._transform!r})"

    def __call__(self, y_true: Any, y_pred: Any, *, sensitive_features: Any,
                 **other_params: Any) -> float | int:
        """The metric's value, aggregated over the groups.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            Labels (or targets).
        y_pred : array-like of shape (n_samples,)
            Predictions.
        sensitive_features : array-like, Series, DataFrame or dict
            The groups; several columns make intersectional groups.
        **other_params
            ``method`` for the ``difference`` and ``ratio`` transforms; the
            sample parameters (``sample_weight``) split by group; anything
            else is passed to the metric unchanged.

        Returns
        -------
        float or int
        """
        sample_params, params, transform_params = {}, {}, {}
        for key, value in other_params.items():
            if key in self._sample_param_names:
                sample_params[key] = value
            elif key in TRANSFORM_PARAMETERS:
                transform_params[key] = value
            else:
                params[key] = value
        frame = MetricFrame(metrics=self._bound(params), y_true=y_true, y_pred=y_pred,
                            sensitive_features=sensitive_features,
                            sample_params=sample_params)
        if self._transform in ("difference", "ratio"):
            return getattr(frame, self._transform)(**transform_params)
        # group_min and group_max take no method (fairlearn ignores one).
        return getattr(frame, self._transform)()

    def _bound(self, params: dict) -> Callable:
        """The metric with the arguments that are not per sample bound to it."""
        if not params:
            # The metric itself, so that MetricFrame recognises the ones it
            # computes from counts.
            return self._metric_fn
        bound = functools.partial(self._metric_fn, **params)
        # Named as fairlearn names it: the frame's column is named after it.
        name = getattr(self._metric_fn, "__name__", "metric")
        bound.__name__ = name + "".join(f"_{k}_{v}" for k, v in sorted(params.items()))
        return bound


def make_derived_metric(*, metric: Callable[..., float | int], transform: str,
                        sample_param_names: list[str] | None = None) -> DerivedMetric:
    """Make a scalar metric from a disaggregated one, as fairlearn does.

    The result is called like ``metric`` with ``sensitive_features=`` added
    (and ``method=`` for the ``difference`` and ``ratio`` transforms), and
    returns the same number as ``MetricFrame(metrics=metric, ...)``'s method
    ``transform``. Use it where one number is needed: a scorer, a model
    comparison, a search.

    Parameters
    ----------
    metric : callable
        ``metric(y_true, y_pred, **params)``. It may not take a ``method``
        argument (bind one with :func:`functools.partial`).
    transform : {"difference", "group_min", "group_max", "ratio"}
        The :class:`MetricFrame` method that aggregates the groups' values.
    sample_param_names : list of str, default=None
        The arguments of ``metric`` that hold one value per sample, to be
        split by group. None means ``["sample_weight"]``; an empty list means
        none.

    Returns
    -------
    callable
        ``derived(y_true, y_pred, *, sensitive_features, **params)``.

    Raises
    ------
    ValueError
        If ``metric`` is not callable ("Supplied metric object must be
        callable"), takes a ``method`` argument, or ``transform`` is not one
        of the four ("Transform must be one of ...").

    Examples
    --------
    >>> from sklearn.metrics import recall_score
    >>> from skfairtune.metrics import make_derived_metric
    >>> recall_gap = make_derived_metric(metric=recall_score, transform="difference")
    >>> float(recall_gap([1, 1, 0, 1, 1, 0], [1, 0, 0, 1, 1, 1],
    ...                  sensitive_features=["a", "a", "a", "b", "b", "b"]))
    0.5
    """
    if sample_param_names is None:
        sample_param_names = ["sample_weight"]
    return DerivedMetric(metric=metric, transform=transform,
                         sample_param_names=sample_param_names)


_TRANSFORM_TEXT = {
    "difference": ("The largest difference of {metric} between groups.",
                   'largest minus smallest value among the groups; with\n'
                   '        ``method="to_overall"`` the largest distance of a group from\n'
                   '        the value on all samples.'),
    "ratio": ("The smallest ratio of {metric} between groups.",
              'smallest over largest value among the groups; with\n'
              '        ``method="to_overall"`` the smallest ratio of a group to the\n'
              '        value on all samples (inverted where above 1).'),
    "group_min": ("The smallest value of {metric} among the groups.",
                  "value of the worst group, for a metric where higher is better."),
    "group_max": ("The largest value of {metric} among the groups.",
                  "value of the worst group, for a metric where lower is better."),
}
_METHOD = """    method : {"between_groups", "to_overall"}, default="between_groups"
        Compare the groups with one another, or each with all samples.
"""


def _generated_doc(metric: Callable, transform: str) -> str:
    first, returns = _TRANSFORM_TEXT[transform]
    source = "skfairtune.metrics" if metric.__module__.startswith("skfairtune") else (
        "sklearn.metrics")
    method = _METHOD if transform in ("difference", "ratio") else ""
    return f"""{first.format(metric=f"``{metric.__name__}``")}

    ``make_derived_metric(metric={source}.{metric.__name__}, transform="{transform}")``:
    fairlearn's function of the same name, with its signature and numbers.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Labels (or targets).
    y_pred : array-like of shape (n_samples,)
        Predictions (scores for ``roc_auc_score`` and ``log_loss``).
    sensitive_features : array-like, Series, DataFrame or dict
        The groups; several columns make intersectional groups.
{method}    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights, split by group.
    **params
        Other arguments of ``{metric.__name__}`` (``pos_label``, ...).

    Returns
    -------
    float
        The {returns}
    """


# fairlearn's table of generated metrics: the base metric and its transforms.
_SPEC = [
    (true_positive_rate, ["difference", "ratio"]),
    (true_negative_rate, ["difference", "ratio"]),
    (false_positive_rate, ["difference", "ratio"]),
    (false_negative_rate, ["difference", "ratio"]),
    (selection_rate, ["difference", "ratio"]),
    (skm.accuracy_score, ["difference", "ratio", "group_min"]),
    (skm.zero_one_loss, ["difference", "ratio", "group_max"]),
    (skm.balanced_accuracy_score, ["group_min"]),
    (skm.precision_score, ["group_min"]),
    (skm.recall_score, ["group_min"]),
    (skm.roc_auc_score, ["group_min"]),
    (skm.mean_absolute_error, ["group_max"]),
    (skm.mean_squared_error, ["group_max"]),
    (skm.r2_score, ["group_min"]),
    (skm.f1_score, ["group_min"]),
    (skm.log_loss, ["group_max"]),
]


def _generated(metric: Callable, transform: str) -> DerivedMetric:
    derived = make_derived_metric(metric=metric, transform=transform,
                                  sample_param_names=["sample_weight"])
    derived.__name__ = f"{metric.__name__}_{transform}"
    derived.__doc__ = _generated_doc(metric, transform)
    return derived


GENERATED_METRICS = {f"{metric.__name__}_{transform}": _generated(metric, transform)
                     for metric, transforms in _SPEC for transform in transforms}

# The public names, one line each so that editors and type checkers know
# them; a test checks that they are exactly GENERATED_METRICS.
true_positive_rate_difference = GENERATED_METRICS["true_positive_rate_difference"]
true_positive_rate_ratio = GENERATED_METRICS["true_positive_rate_ratio"]
true_negative_rate_difference = GENERATED_METRICS["true_negative_rate_difference"]
true_negative_rate_ratio = GENERATED_METRICS["true_negative_rate_ratio"]
false_positive_rate_difference = GENERATED_METRICS["false_positive_rate_difference"]
false_positive_rate_ratio = GENERATED_METRICS["false_positive_rate_ratio"]
false_negative_rate_difference = GENERATED_METRICS["false_negative_rate_difference"]
false_negative_rate_ratio = GENERATED_METRICS["false_negative_rate_ratio"]
selection_rate_difference = GENERATED_METRICS["selection_rate_difference"]
selection_rate_ratio = GENERATED_METRICS["selection_rate_ratio"]
accuracy_score_difference = GENERATED_METRICS["accuracy_score_difference"]
accuracy_score_ratio = GENERATED_METRICS["accuracy_score_ratio"]
accuracy_score_group_min = GENERATED_METRICS["accuracy_score_group_min"]
zero_one_loss_difference = GENERATED_METRICS["zero_one_loss_difference"]
zero_one_loss_ratio = GENERATED_METRICS["zero_one_loss_ratio"]
zero_one_loss_group_max = GENERATED_METRICS["zero_one_loss_group_max"]
balanced_accuracy_score_group_min = GENERATED_METRICS["balanced_accuracy_score_group_min"]
precision_score_group_min = GENERATED_METRICS["precision_score_group_min"]
recall_score_group_min = GENERATED_METRICS["recall_score_group_min"]
roc_auc_score_group_min = GENERATED_METRICS["roc_auc_score_group_min"]
mean_absolute_error_group_max = GENERATED_METRICS["mean_absolute_error_group_max"]
mean_squared_error_group_max = GENERATED_METRICS["mean_squared_error_group_max"]
r2_score_group_min = GENERATED_METRICS["r2_score_group_min"]
f1_score_group_min = GENERATED_METRICS["f1_score_group_min"]
log_loss_group_max = GENERATED_METRICS["log_loss_group_max"]
