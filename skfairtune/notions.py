"""The fairness notions: each declared once, here, and everything derives from it.

A notion compares per-group *rates*: demographic parity compares the share of
positive predictions, equal opportunity the true positive rate, equalized
odds the true and the false positive rates, predictive parity the precision.
A rate is a weighted mean of the predictions or of the labels, among a subset
of the rows. Declared that way, one definition serves both faces of a notion:

* the **metric** (:mod:`skfairtune.metrics`) feeds hard 0/1 predictions and
  gets fairlearn's number, ``<name>_difference`` and ``<name>_ratio``;
* the **penalty** (:mod:`skfairtune.penalties`) feeds predicted
  probabilities (torch tensors) and gets a differentiable surrogate of the
  very same gap, ``penalty="<name>"``.

The scorers, the report's columns, the command line's ``--penalty`` choices
and the names of the budgets are looked up here too. To add a notion, declare
it in :data:`NOTIONS` (its rates, the tasks it applies to, its abbreviation
and an example whose numbers you worked out by hand): the penalty, the
metrics, the scorers, the report and the command line follow. The metric
functions need one line each in ``skfairtune/metrics/_gaps.py`` so that they
are importable by name; a test fails until they are there.

Two penalties are not notions of a gap but of a loss: ``worst_group_loss``
and ``bounded_group_loss`` raise the worst-off group. They are declared in
:data:`GROUP_LOSSES`, with the metric their budget is on.

This module imports neither torch nor pandas: the command line reads it to
build its options before any heavy import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from skfairtune._group_stats import (
    rates_group_means,
    ratio,
    ratio_to,
    spread,
    spread_to,
)
from skfairtune._tasks import TASK_NAMES, get_task

__all__ = [
    "GROUP_LOSSES",
    "budget_metric",
    "gap_metric_names",
    "NOTIONS",
    "GroupLoss",
    "Notion",
    "Rate",
    "get_notion",
    "metric_label",
    "penalty_names",
]

TASKS = TASK_NAMES
KINDS = ("difference", "ratio")
METHODS = ("between_groups", "to_overall")
AGGS = ("worst_case", "mean")


@dataclass(frozen=True)
class Rate:
    """A per-group rate: the weighted mean of ``of`` among the rows ``among``.

    Parameters
    ----------
    name : str
        What the rate is called, in words (``"true positive rate"``).
    key : str
        Its column name in tables (``"tpr"``).
    of : {"prediction", "label"}
        What is averaged: the (soft or hard) prediction, or the label.
    among : {"all", "positives", "negatives", "predicted positives"}
        Which rows count: every row, the rows labelled 1, the rows labelled
        0, or the rows predicted 1 (weighted by the predicted probability
        when predictions are soft, which makes the rate differentiable).
    undefined : str
        Why a group can lack the rate (``"no positive labels"``).
    """

    name: str
    key: str
    of: Literal["prediction", "label"]
    among: Literal["all", "positives", "negatives", "predicted positives"]
    undefined: str

    def terms(self, values, y, weight):
        """The values to average and each row's weight in the average.

        Works on numpy arrays and torch tensors alike: ``values`` are the
        predictions (0/1 or probabilities), ``y`` the 0/1 labels.
        """
        stat = values if self.of == "prediction" else values * 0 + y
        if self.among == "all":
            return stat, weight
        if self.among == "predicted positives":
            return stat, weight * values
        return stat, weight * (y == (1 if self.among == "positives" else 0))

    @property
    def needs_labels(self) -> bool:
        """Whether the rate reads the labels."""
        return self.of == "label" or self.among in ("positives", "negatives")


SELECTION_RATE = Rate("selection rate", "selection_rate", "prediction", "all",
                      "zero total weight")
TRUE_POSITIVE_RATE = Rate("true positive rate", "tpr", "prediction", "positives",
                          "no positive labels")
FALSE_POSITIVE_RATE = Rate("false positive rate", "fpr", "prediction", "negatives",
                           "no negative labels")
PRECISION = Rate("precision", "precision", "label", "predicted positives",
                 "no positive predictions")


@dataclass(frozen=True)
class Notion:
    """A fairness notion: the groups' rates, compared.

    The gap (``difference``) is the largest minus the smallest rate among the
    groups; with several rates (equalized odds) the worst of them. The ratio
    is the smallest over the largest rate. A group without the rows a rate
    needs (no positives) is left out of that rate instead of read as 0.

    Parameters
    ----------
    name : str
        The name users write (``penalty="equalized_odds"``); the metrics are
        ``<name>_difference`` and ``<name>_ratio``.
    title : str
        The name in sentences (``"equalized odds"``).
    abbreviation : str
        The short name in tables (``"EO"``: the column "EO gap").
    rates : tuple of Rate
        The rates compared.
    tasks : tuple of str
        ``"classification"`` and/or ``"regression"``. For regression only the
        rate of the predictions among all rows makes sense (the mean
        prediction), and its metrics are named by ``regression_name``.
    summary : str
        One sentence for documentation.
    example : tuple
        ``(y_true, y_pred, groups, difference, ratio)``, worked out by hand:
        it becomes the metric's docstring example, which the tests run.
    regression_name : str, optional
        The regression metrics' stem (``"mean_prediction"``).
    """

    name: str
    title: str
    abbreviation: str
    rates: tuple
    tasks: tuple
    summary: str
    example: tuple = field(repr=False, default=())
    regression_name: str | None = None

    @property
    def needs_labels(self) -> bool:
        """Whether any rate reads the labels (demographic parity does not)."""
        return any(rate.needs_labels for rate in self.rates)

    def metric_name(self, kind: str = "difference", task: str = "classification") -> str:
        """The name of the metric of this notion, ``<name>_difference``."""
        return f"{get_task(task).metric_stem(self)}_{kind}"

    def rate_values(self, values, y, ids, weight, n_groups: int) -> list:
        """Each rate's per-group means: a list of ``(means, present)``."""
        terms = [rate.terms(values, y, weight) for rate in self.rates]
        return rates_group_means(terms, ids, n_groups)

    def compare(self, rates: list, kind: str = "difference", *,
                overall: list | None = None, agg: str = "worst_case"):
        """Turn per-group rates into the notion's gap or ratio.

        Parameters
        ----------
        rates : list of (means, present)
            As :meth:`rate_values` gives.
        kind : {"difference", "ratio"}
        overall : list of (means, present), optional
            The rates of the whole population (one group): each group is then
            compared with it (fairlearn's ``method="to_overall"``).
        agg : {"worst_case", "mean"}
            How several rates combine: the worst one, or their mean (NaN ones
            skipped, as fairlearn does).
        """
        if overall is None:
            compare = spread if kind == "difference" else ratio
            gaps = [compare(means, present) for means, present in rates]
        else:
            compare = spread_to if kind == "difference" else ratio_to
            gaps = [compare(m, present, whole[0])
                    for (m, present), (whole, _) in zip(rates, overall)]
        if len(gaps) == 1:
            return gaps[0]
        if agg == "mean":
            defined = [g for g in gaps if not np.isnan(g)]
            return float(np.mean(defined)) if defined else float("nan")
        return _worst(gaps, largest=kind == "difference")

    def difference(self, values, y, ids, weight, n_groups: int, *,
                   method: str = "between_groups", agg: str = "worst_case"):
        """The notion's gap on rows (numpy arrays or torch tensors).

        With torch tensors the result is differentiable in ``values``.
        """
        return self._gap("difference", values, y, ids, weight, n_groups, method, agg)

    def ratio(self, values, y, ids, weight, n_groups: int, *,
              method: str = "between_groups", agg: str = "worst_case"):
        """The notion's ratio on rows (numpy arrays)."""
        return self._gap("ratio", values, y, ids, weight, n_groups, method, agg)

    def overall_rates(self, values, y, weight) -> list:
        """The rates of the whole population, as one group: what
        ``method="to_overall"`` compares each group with."""
        ids = np.zeros(len(values), dtype=np.int64)
        return self.rate_values(values, y, ids, weight, 1)

    def _gap(self, kind, values, y, ids, weight, n_groups, method, agg):
        rates = self.rate_values(values, y, ids, weight, n_groups)
        overall = self.overall_rates(values, y, weight) if method == "to_overall" else None
        return self.compare(rates, kind, overall=overall, agg=agg)


def _worst(gaps: list, *, largest: bool):
    if not isinstance(gaps[0], (np.ndarray, np.generic, float)):  # torch
        import torch

        stacked = torch.stack(gaps)
        return stacked.max() if largest else stacked.min()
    return max(gaps) if largest else min(gaps)


_CLASSIFICATION = ("classification",)
DEMOGRAPHIC_PARITY = Notion(
    "demographic_parity", "demographic parity", "DP", (SELECTION_RATE,), TASKS,
    "Every group is selected at the same rate (for a regressor: has the same "
    "mean prediction).",
    example=([0, 1, 1, 0], [1, 1, 1, 0], ["a", "a", "b", "b"], 0.5, 0.5),
    regression_name="mean_prediction",
)
EQUAL_OPPORTUNITY = Notion(
    "equal_opportunity", "equal opportunity", "EOpp", (TRUE_POSITIVE_RATE,),
    _CLASSIFICATION,
    "The rows that deserve the positive outcome get it at the same rate in "
    "every group (equal true positive rates).",
    example=([1, 1, 1, 1], [1, 1, 1, 0], ["a", "a", "b", "b"], 0.5, 0.5),
)
EQUALIZED_ODDS = Notion(
    "equalized_odds", "equalized odds", "EO", (TRUE_POSITIVE_RATE, FALSE_POSITIVE_RATE),
    _CLASSIFICATION,
    "Equal true positive rates and equal false positive rates: errors of "
    "both kinds fall on every group alike.",
    example=([1, 0, 1, 0], [1, 0, 1, 1], ["a", "a", "b", "b"], 1.0, 0.0),
)
PREDICTIVE_PARITY = Notion(
    "predictive_parity", "predictive parity", "PP", (PRECISION,), _CLASSIFICATION,
    "A positive prediction is right as often in every group (equal "
    "precision): a score means the same whoever it is about.",
    example=([1, 0, 1, 1], [1, 1, 1, 1], ["a", "a", "b", "b"], 0.5, 0.5),
)
# Every notion, by name: the one list that the penalties, metrics, scorers,
# reports and command line read.
NOTIONS: dict[str, Notion] = {n.name: n for n in (
    DEMOGRAPHIC_PARITY, EQUAL_OPPORTUNITY, EQUALIZED_ODDS, PREDICTIVE_PARITY)}


@dataclass(frozen=True)
class GroupLoss:
    """A penalty on the worst-off group's loss rather than on a gap.

    Parameters
    ----------
    name : str
        The name users write (``penalty="worst_group_loss"``).
    title : str
        The name in sentences.
    budget_metrics : dict
        Per task, the metric a budget on this penalty is measured by (lower is
        better): the error the worst-off group gets.
    """

    name: str
    title: str
    budget_metrics: dict

    @property
    def tasks(self) -> tuple:
        """The tasks the penalty applies to."""
        return tuple(self.budget_metrics)


_WORST_ERRORS = {"classification": "worst_group_error_rate",
                 "regression": "worst_group_mean_squared_error"}
GROUP_LOSSES: dict[str, GroupLoss] = {g.name: g for g in (
    GroupLoss("worst_group_loss", "worst-group loss", _WORST_ERRORS),
    GroupLoss("bounded_group_loss", "bounded group loss", _WORST_ERRORS),
)}

# How tables name the metrics that are not a notion's (a notion's are
# "<abbreviation> gap" and "<abbreviation> ratio").
_LABELS = {"worst_group_error_rate": "WG error", "worst_group_accuracy": "WG accuracy",
           "worst_group_mean_squared_error": "WG MSE",
           "worst_group_mean_absolute_error": "WG MAE"}


def get_notion(name: str) -> Notion:
    """The notion called ``name``, with an error that lists the known ones.

    Parameters
    ----------
    name : str
        A key of :data:`NOTIONS`.

    Returns
    -------
    Notion

    Examples
    --------
    >>> from skfairtune.notions import get_notion
    >>> get_notion("equalized_odds").abbreviation
    'EO'
    """
    if isinstance(name, str) and name in NOTIONS:
        return NOTIONS[name]
    raise ValueError(f"Unknown fairness notion {name!r}; the notions are {sorted(NOTIONS)}.")


def penalty_names(task: str | None = None) -> list:
    """The names ``penalty=`` accepts (for ``task``, or for any task), sorted.

    Parameters
    ----------
    task : {"classification", "regression"}, optional

    Returns
    -------
    list of str
    """
    every = [*NOTIONS.values(), *GROUP_LOSSES.values()]
    return sorted(p.name for p in every if task is None or task in p.tasks)


def budget_metric(penalty: str, task: str = "classification") -> str:
    """The metric a budget on ``penalty`` is measured by: what the penalty narrows.

    A notion's budget is on its difference; a group loss's on the worst-off
    group's error.

    Parameters
    ----------
    penalty : str
        A name from :func:`penalty_names`.
    task : {"classification", "regression"}, default="classification"

    Returns
    -------
    str

    Examples
    --------
    >>> from skfairtune.notions import budget_metric
    >>> budget_metric("equal_opportunity")
    'equal_opportunity_difference'
    >>> budget_metric("worst_group_loss")
    'worst_group_error_rate'
    """
    if penalty in GROUP_LOSSES:
        return GROUP_LOSSES[penalty].budget_metrics[task]
    return get_notion(penalty).metric_name("difference", task)


def gap_metric_names(task: str = "classification") -> list:
    """Every notion's metric names for ``task``: differences, then ratios."""
    notions = [n for n in NOTIONS.values() if task in n.tasks]
    return [n.metric_name(kind, task) for kind in KINDS for n in notions]


def metric_label(metric: str) -> str:
    """How a table names a group metric: ``"DP gap"``, ``"EO ratio"``, ``"WG error"``.

    Parameters
    ----------
    metric : str
        A metric's name; an unknown one is returned as it is.

    Returns
    -------
    str

    Examples
    --------
    >>> from skfairtune.notions import metric_label
    >>> metric_label("equal_opportunity_difference")
    'EOpp gap'
    """
    for notion in NOTIONS.values():
        for task in notion.tasks:
            if metric == notion.metric_name("difference", task):
                return f"{notion.abbreviation} gap"
            if metric == notion.metric_name("ratio", task):
                return f"{notion.abbreviation} ratio"
    return _LABELS.get(metric, metric)
