"""When a classifier's predictions are degenerate, whatever the groups.

The rule lives below the metrics and the tasks: the metric
(:func:`skfairtune.metrics.degenerate_reason`) adds the groups' check to it,
and the binary and multiclass tasks judge held-out predictions by it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from skfairtune._labels import plain

# The performance metrics a degenerate model is compared on, against the
# constant prediction of the majority class (scikit-learn's names; imported
# when a model is judged, so that the command line's help stays light).
METRICS = ("accuracy", "balanced_accuracy")

# A model that predicts one class for all but this share of the rows is
# treated as constant: one stray prediction does not make a model useful.
NEAR_CONSTANT = 0.01


def constant_class(pred: np.ndarray) -> tuple[Any, float] | None:
    """The class ``pred`` (nearly) always takes and its share, or None."""
    values, counts = np.unique(pred, return_counts=True)
    top = int(np.argmax(counts))
    share = counts[top] / pred.size
    return (values[top], share) if share >= 1 - NEAR_CONSTANT else None


def constant_reason(pred: np.ndarray, named: Callable = plain) -> str | None:
    """"predicts X for every row" when ``pred`` is (near-)constant, or None."""
    constant = constant_class(pred)
    if constant is None:
        return None
    value, share = constant
    where = "every row" if share == 1 else f"{share:.1%} of the rows"
    return f"predicts {named(value)!r} for {where}"


def majority_reason(true: np.ndarray, pred: np.ndarray, weight: np.ndarray | None,
                    metric: str = "accuracy", named: Callable = plain) -> str | None:
    """Why ``pred`` is no better on ``metric`` than the (heaviest) majority class, or None."""
    score_of = _accuracy if metric == "accuracy" else _sklearn_score(metric)
    values, codes = np.unique(true, return_inverse=True)
    counts = np.bincount(codes, weights=weight, minlength=values.size)
    majority = np.full(true.shape, values[np.argmax(counts)], dtype=true.dtype)
    score = score_of(true, pred, sample_weight=weight)
    baseline = score_of(true, majority, sample_weight=weight)
    if score <= baseline:
        return (f"is no better than always predicting the majority class "
                f"{named(majority[0])!r} ({metric} {score:.3f} against {baseline:.3f})")
    return None


def _accuracy(true: np.ndarray, pred: np.ndarray, sample_weight=None) -> float:
    """``sklearn.metrics.accuracy_score`` of arrays already checked: the same
    weighted mean, without its seven input checks (each a pass over the rows,
    twice per epoch in constraint mode, on every training row)."""
    return float(np.average(true == pred, weights=sample_weight))


def _sklearn_score(metric: str) -> Callable:
    from sklearn import metrics

    return getattr(metrics, f"{metric}_score")
