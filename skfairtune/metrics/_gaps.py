"""The gap metrics of every notion, made from its declaration in the registry.

Each notion of :mod:`skfairtune.notions` gives ``<name>_difference`` and
``<name>_ratio`` (for a regressor, ``mean_prediction_difference`` and
``_ratio``), with fairlearn's signature. They read the notion's rates on the
confusion cells (four weighted rows per group, one ``bincount`` away from the
data), which a notion reads exactly as it reads the rows they summarise.

Where a rate is undefined in a group (a true positive rate without positive
labels), the group is reported as NaN, left out of the gap, and named in an
``UndefinedGroupWarning``. fairlearn reports 0 there, which can make a fair
model look unfair or the reverse; this is the one place where the numbers of
the two libraries differ on purpose.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .._group_stats import cells_as_rows, confusion_counts
from .._labels import plain, sorted_labels
from .._tasks import MULTICLASS as MULTICLASS_TASK
from ..exceptions import UndefinedGroupWarning
from ..notions import AGGS, METHODS, NOTIONS, TASKS, Notion
from ._base import (
    as_1d,
    as_labels,
    check_finite,
    check_lengths,
    check_weight,
    encode,
    warn_undefined,
)
from ._classification import _prepare

MULTICLASS = (None, "one_vs_rest")


def _check_option(name: str, value: Any, allowed: tuple) -> None:
    if value not in allowed:
        # fairlearn's words ("agg must be one of 'worst_case' or 'mean', got
        # median"), which callers of fairlearn's functions match on.
        choices = ", ".join(map(repr, allowed[:-1])) + f" or {allowed[-1]!r}"
        raise ValueError(f"{name} must be one of {choices}, got {value}.")


def _warn_single_group(enc) -> None:
    if enc.n_groups < 2:
        # fairlearn returns the same 0 (or 1 for a ratio); it says nothing.
        warnings.warn(
            f"sensitive_features holds one group only ({plain(enc.labels[0])!r}): "
            "there is no other group to compare it with, so the gap is 0 (the ratio 1) "
            "by definition, not a sign of fairness.", UndefinedGroupWarning, stacklevel=4)


def _binary_gap(notion: Notion, kind, y, p, enc, weight, method, agg, about=""):
    """A notion's gap on 0/1 labels ``y`` (None when unread) and predictions ``p``."""
    counts = confusion_counts(0 if y is None else y, p, enc.codes, weight, enc.n_groups)
    cells = cells_as_rows(counts)
    rates = notion.rate_values(*cells, enc.n_groups)
    for rate, (_, present) in zip(notion.rates, rates):
        warn_undefined(present, enc, rate.name + about, rate.undefined)
    values, cy, _, w = cells
    overall = notion.overall_rates(values, cy, w) if method == "to_overall" else None
    return float(notion.compare(rates, kind, overall=overall, agg=agg))


def classification_gap(notion: Notion, kind: str, y_true, y_pred, *, sensitive_features,
                       method="between_groups", sample_weight=None, agg="worst_case",
                       pos_label=None, multiclass=None) -> float:
    """A notion's difference or ratio on hard predictions, as fairlearn computes it."""
    _check_option("method", method, METHODS)
    _check_option("agg", agg, AGGS)
    _check_option("multiclass", multiclass, MULTICLASS)
    if multiclass is None:
        y, p, enc, w = _prepare(y_true, y_pred, sensitive_features, sample_weight,
                                pos_label, notion.needs_labels)
        _warn_single_group(enc)
        return _binary_gap(notion, kind, y, p, enc, None if sample_weight is None else w,
                           method, agg)
    n = check_lengths(y_true=y_true, y_pred=y_pred, sample_weight=sample_weight)
    pred = as_labels(y_pred, "y_pred")
    true = as_labels(y_true, "y_true") if notion.needs_labels else None
    enc = encode(sensitive_features, n)
    w = None if sample_weight is None else check_weight(sample_weight, n)
    _warn_single_group(enc)
    classes = sorted_labels(np.concatenate([pred, true]) if true is not None else pred)

    def gap_of(share, labels, c):
        return _binary_gap(notion, kind, labels, share, enc, w, method, agg,
                           about=f" of class {plain(c)!r}")

    # Each class against the rest, as the penalty trains: the worst class's gap.
    return MULTICLASS_TASK.notion_gap(gap_of, pred, true, classes=classes,
                                      worst=max if kind == "difference" else min)


def regression_gap(notion: Notion, kind: str, y_true, y_pred, *, sensitive_features,
                   method="between_groups", sample_weight=None) -> float:
    """A notion's difference or ratio on predicted values (the mean prediction)."""
    _check_option("method", method, METHODS)
    n = check_lengths(y_true=y_true, y_pred=y_pred, sample_weight=sample_weight)
    check_finite(as_1d(y_true, "y_true"), "y_true")
    pred = check_finite(as_1d(y_pred, "y_pred"), "y_pred").astype(np.float64)
    enc = encode(sensitive_features, n)
    w = check_weight(sample_weight, n)
    if kind == "ratio" and pred.size and pred.min() < 0:
        # A ratio of means of mixed sign (-0.5, say) reads as a fairness
        # figure but measures nothing.
        raise ValueError(
            f"{notion.metric_name('ratio', 'regression')} needs non-negative predictions "
            f"(amounts, scores); y_pred has {int((pred < 0).sum())} negative value(s), the "
            f"smallest {float(pred.min()):.4g}. Use "
            f"{notion.metric_name('difference', 'regression')}, or shift the predictions "
            "to a non-negative scale first."
        )
    _warn_single_group(enc)
    gap = notion.difference if kind == "difference" else notion.ratio
    return float(gap(pred, None, enc.codes, w, enc.n_groups, method=method))


_PARAMETERS = """    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        {y_true}
    y_pred : array-like of shape (n_samples,)
        {y_pred}
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_features)
        The groups; several columns make intersectional groups.
    method : {{"between_groups", "to_overall"}}, default="between_groups"
        Compare the groups with one another, or each with the whole population.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.
"""
_AGG = """    agg : {"worst_case", "mean"}, default="worst_case"
        Take the worst of the rates' differences (ratios), or their mean.
"""
_CLASSIFICATION_TAIL = """    pos_label : scalar, default=None
        The positive label; None means 1 for {0, 1} or {-1, 1} labels.
    multiclass : {None, "one_vs_rest"}, default=None
        With ``"one_vs_rest"``, predictions of several classes are compared
        each class against the rest and the worst class's value is returned:
        the gap that a multiclass estimator's penalty narrows.
"""


def _rates_text(notion: Notion) -> str:
    names = [rate.name for rate in notion.rates]
    return names[0] if len(names) == 1 else " and ".join(names)


def _classification_words(notion: Notion, kind: str) -> tuple:
    """A classification metric's rates, its summary, its parameters and its example."""
    reads = "Binary labels." if notion.needs_labels else (
        "Ground truth; only its length is used (as in fairlearn).")
    args = _PARAMETERS.format(y_true=reads, y_pred="Binary predictions.")
    args += (_AGG if len(notion.rates) > 1 else "") + _CLASSIFICATION_TAIL
    undefined = [r for r in notion.rates if r.needs_labels or r.among != "all"]
    summary = f"{notion.summary} ({notion.title}, :mod:`skfairtune.notions`)"
    if undefined:
        summary += (" A group without " + " or ".join(r.undefined[3:] for r in undefined)
                    + " has no such rate: it is left out, with an "
                    ":class:`UndefinedGroupWarning` (fairlearn counts it as 0).")
    y_true, y_pred = notion.example[:2]
    return _rates_text(notion), "rates", summary, args, y_true, y_pred


def _regression_words(notion: Notion, kind: str) -> tuple:
    """A regression metric's rates, its summary, its parameters and its example."""
    args = _PARAMETERS.format(y_true="Targets; only checked (the gap compares "
                              "predictions).", y_pred="Predicted values.")
    summary = (f"{notion.title.capitalize()} for a regressor (or for scores)."
               + (" Meaningful for non-negative predictions only." if kind == "ratio"
                  else ""))
    y_pred = [float(v) for v in notion.example[1]]
    return "mean prediction", "mean prediction", summary, args, [0] * len(y_pred), y_pred


# What a gap metric's docstring says, by task.
_WORDS = {"classification": _classification_words, "regression": _regression_words}


def _docstring(notion: Notion, kind: str, task: str, name: str) -> str:
    rates, same, summary, args, y_true, y_pred = _WORDS[task](notion, kind)
    if kind == "difference":
        first = (f"Largest minus smallest {rates} among the groups." if len(notion.rates) == 1
                 else f"The larger of the {rates} differences between the groups.")
        returns = "0 when every group has the same " + same
    else:
        first = (f"Smallest over largest {rates} among the groups." if len(notion.rates) == 1
                 else f"The smaller of the {rates} ratios between the groups.")
        returns = "1 when every group has the same rates; NaN when the largest is 0"
    _, _, groups, difference, ratio = notion.example
    value = difference if kind == "difference" else ratio
    return f"""{first}

    {summary}

{args}
    Returns
    -------
    float
        {returns}.

    Examples
    --------
    >>> from skfairtune.metrics import {name}
    >>> {name}({y_true}, {y_pred},
    ...     sensitive_features={groups})
    {float(value)!r}
    """


def _classification_metric(notion: Notion, kind: str) -> Callable:
    def metric(y_true: Any, y_pred: Any, *, sensitive_features: Any,
               method: str = "between_groups", sample_weight: Any = None,
               agg: str = "worst_case", pos_label: Any = None,
               multiclass: str | None = None) -> float:
        return classification_gap(notion, kind, y_true, y_pred,
                                  sensitive_features=sensitive_features, method=method,
                                  sample_weight=sample_weight, agg=agg,
                                  pos_label=pos_label, multiclass=multiclass)
    if len(notion.rates) == 1:
        # One rate has nothing to aggregate: no agg in the signature, as in fairlearn.
        params = [p for p in inspect.signature(metric).parameters.values()
                  if p.name != "agg"]
        metric.__signature__ = inspect.signature(metric).replace(parameters=params)
    return metric


def _regression_metric(notion: Notion, kind: str) -> Callable:
    def metric(y_true: Any, y_pred: Any, *, sensitive_features: Any,
               method: str = "between_groups", sample_weight: Any = None) -> float:
        return regression_gap(notion, kind, y_true, y_pred,
                              sensitive_features=sensitive_features, method=method,
                              sample_weight=sample_weight)
    return metric


# The gap metric's function, by task.
_METRICS = {"classification": _classification_metric, "regression": _regression_metric}


def make_gap_metric(notion: Notion, kind: str, task: str = "classification"):
    """The metric function of ``notion``'s difference or ratio for ``task``."""
    name = notion.metric_name(kind, task)
    metric = _METRICS[task](notion, kind)
    metric.__name__ = metric.__qualname__ = name
    metric.__module__ = __name__
    metric.__doc__ = _docstring(notion, kind, task, name)
    metric.notion = notion
    return metric


# Every gap metric, by name, in the registry's order.
GAP_METRICS = {
    notion.metric_name(kind, task): make_gap_metric(notion, kind, task)
    for task in TASKS
    for notion in NOTIONS.values() if task in notion.tasks
    for kind in ("difference", "ratio")
}

# The public names, one line each so that editors and type checkers know
# them; a test checks that they are exactly GAP_METRICS.
demographic_parity_difference = GAP_METRICS["demographic_parity_difference"]
demographic_parity_ratio = GAP_METRICS["demographic_parity_ratio"]
equal_opportunity_difference = GAP_METRICS["equal_opportunity_difference"]
equal_opportunity_ratio = GAP_METRICS["equal_opportunity_ratio"]
equalized_odds_difference = GAP_METRICS["equalized_odds_difference"]
equalized_odds_ratio = GAP_METRICS["equalized_odds_ratio"]
predictive_parity_difference = GAP_METRICS["predictive_parity_difference"]
predictive_parity_ratio = GAP_METRICS["predictive_parity_ratio"]
mean_prediction_difference = GAP_METRICS["mean_prediction_difference"]
mean_prediction_ratio = GAP_METRICS["mean_prediction_ratio"]
