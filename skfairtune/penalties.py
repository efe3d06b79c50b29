"""Differentiable fairness penalties, computed on every mini-batch.

Each gap penalty is the torch face of a notion declared once in
:mod:`skfairtune.notions`: :class:`DemographicParity` is the same gap as
:func:`skfairtune.metrics.demographic_parity_difference`, computed on
predicted probabilities instead of hard predictions so that it has a
gradient (torch's autograd differentiates the shared definition itself). The
estimators add ``penalty_strength * penalty(batch)`` to the batch's loss.

Every notion of the registry is a penalty by its name, ``penalty="<name>"``
(:class:`NotionPenalty`); the classes below give the common ones a name of
their own. The names mirror fairlearn's reductions (``DemographicParity``,
``EqualizedOdds``, ``BoundedGroupLoss``) but these are *penalties* added to a
network's loss, not fairlearn's ``Moment`` constraints: they take no
``difference_bound``, and the gap they narrow is measured on the batch.

A penalty is called with keyword arguments only::

    penalty(scores=..., y=..., groups=..., weight=..., n_groups=..., losses=...,
            task=...)

where ``scores`` are the predicted class probabilities of shape
``(n, n_classes)`` for classification and the predictions for regression,
``losses`` the per-sample losses, and ``groups`` integer group ids. A group
that a batch lacks is left out rather than counted as a rate of zero, so a
batch never yields NaN.
"""

from __future__ import annotations

from numbers import Real

import torch
from sklearn.base import BaseEstimator

from skfairtune import notions
from skfairtune._compat import Interval, StrOptions
from skfairtune._group_stats import group_means, worst_group
from skfairtune._tasks import get_task

__all__ = [
    "Penalty",
    "NotionPenalty",
    "DemographicParity",
    "EqualizedOdds",
    "EqualOpportunity",
    "PredictiveParity",
    "WorstGroupLoss",
    "BoundedGroupLoss",
    "PENALTIES",
    "get_penalty",
]


class Penalty(BaseEstimator):
    """Base class of the fairness penalties.

    Subclasses implement :meth:`__call__`; ``tasks`` lists the tasks
    (``"classification"``, ``"regression"``) that a penalty supports.
    Penalties are scikit-learn estimators in the sense of ``get_params`` and
    ``set_params``, so their options can be grid-searched as
    ``penalty__<option>``.
    """

    tasks: tuple = notions.TASKS
    name: str = ""
    _parameter_constraints: dict = {}

    def check_task(self, task: str) -> None:
        """Check the penalty's options, and that it applies to ``task``.

        The estimators call this once when they fit, so a bad option is an
        error before training rather than on every batch.
        """
        self._validate_params()
        if task not in self.tasks:
            raise ValueError(
                f"The penalty {self.name!r} applies to {' and '.join(self.tasks)} "
                f"only, not to {task}. For {task}, use one of "
                f"{notions.penalty_names(task)}."
            )

    def __call__(self, *, scores, y, groups, weight, n_groups, losses, task):
        raise NotImplementedError


class NotionPenalty(Penalty):
    """The gap of a fairness notion, on predicted probabilities.

    Any notion of :data:`skfairtune.notions.NOTIONS` by its name; the
    classes below fix the notion for the common ones. For several classes
    the gap is the worst class's, each class against the rest (what
    ``multiclass="one_vs_rest"`` measures on hard predictions). For
    regression the notion reads the predictions themselves.

    Parameters
    ----------
    notion : str, default="demographic_parity"
        The notion's name.

    Examples
    --------
    >>> import torch
    >>> from skfairtune.penalties import NotionPenalty
    >>> scores = torch.tensor([[0.2, 0.8], [0.4, 0.6], [0.9, 0.1], [0.7, 0.3]])
    >>> gap = NotionPenalty("predictive_parity")(
    ...     scores=scores, y=torch.tensor([1, 0, 1, 1]), groups=torch.tensor([0, 0, 1, 1]),
    ...     weight=torch.ones(4), n_groups=2, losses=None, task="classification")
    >>> round(float(gap), 3)
    0.429
    """

    _parameter_constraints: dict = {"notion": [StrOptions(set(notions.NOTIONS))]}

    def __init__(self, notion: str = "demographic_parity"):
        self.notion = notion

    @property
    def name(self) -> str:
        return self.notion

    @property
    def tasks(self) -> tuple:
        return notions.get_notion(self.notion).tasks

    def __call__(self, *, scores, y, groups, weight, n_groups, losses, task):
        notion = notions.get_notion(self.notion)

        def gap_of(values, labels, _):
            return notion.difference(values, labels, groups, weight, n_groups)

        task = get_task(task, scores.shape[1] if scores.ndim == 2 else None)
        return task.notion_gap(gap_of, scores, y, worst=_largest)


def _largest(gaps) -> torch.Tensor:
    return torch.stack(list(gaps)).max()


class _NamedNotionPenalty(NotionPenalty):
    """A notion penalty whose notion is fixed by its class (no parameters)."""

    _parameter_constraints: dict = {}

    def __init__(self):
        pass


class DemographicParity(_NamedNotionPenalty):
    """Gap in mean predicted positive probability between groups.

    Not fairlearn's ``DemographicParity`` moment: that is a constraint for its
    reductions; this is a penalty on a network's loss, measured per batch.

    The differentiable counterpart of the demographic-parity difference: the
    largest minus the smallest group mean of ``P(y=1 | x)`` in the batch (for
    several classes, the worst class; for regression, the mean prediction).

    Examples
    --------
    >>> import torch
    >>> from skfairtune.penalties import DemographicParity
    >>> scores = torch.tensor([[0.2, 0.8], [0.4, 0.6], [0.9, 0.1], [0.7, 0.3]])
    >>> groups = torch.tensor([0, 0, 1, 1])
    >>> gap = DemographicParity()(scores=scores, y=torch.tensor([1, 0, 1, 0]),
    ...     groups=groups, weight=torch.ones(4), n_groups=2, losses=None,
    ...     task="classification")
    >>> round(float(gap), 3)
    0.5
    """

    notion = notions.DEMOGRAPHIC_PARITY.name


class EqualOpportunity(_NamedNotionPenalty):
    """Gap in mean predicted positive probability among the positives.

    The differentiable counterpart of the equal-opportunity difference (the
    gap in true-positive rate). Classification only.
    """

    notion = notions.EQUAL_OPPORTUNITY.name


class EqualizedOdds(_NamedNotionPenalty):
    """The larger of the true-positive-rate and false-positive-rate gaps.

    Not fairlearn's ``EqualizedOdds`` moment: that is a constraint for its
    reductions; this is a penalty on a network's loss, measured per batch.

    The differentiable counterpart of the equalized-odds difference, on
    predicted probabilities. Classification only.
    """

    notion = notions.EQUALIZED_ODDS.name


class PredictiveParity(_NamedNotionPenalty):
    """Gap in precision between groups, on predicted probabilities.

    The differentiable counterpart of the predictive-parity difference: each
    group's soft precision is ``sum(p * y) / sum(p)``, the share of its
    expected positive predictions that are right. Classification only.
    """

    notion = notions.PREDICTIVE_PARITY.name


class WorstGroupLoss(Penalty):
    """The mean loss of the worst-off group in the batch.

    With a large ``penalty_strength`` the training objective approaches group
    distributionally robust optimisation (group DRO): the loss of the worst
    group, rather than the average, is what is minimised.
    """

    name = notions.GROUP_LOSSES["worst_group_loss"].name

    def __call__(self, *, scores, y, groups, weight, n_groups, losses, task):
        return worst_group(losses, groups, weight, n_groups, largest=True)


class BoundedGroupLoss(Penalty):
    """How far each group's mean loss exceeds a bound, summed over groups.

    Not fairlearn's ``BoundedGroupLoss`` moment: that is a constraint for its
    reductions; this is a penalty on a network's loss, measured per batch.

    Parameters
    ----------
    bound : float or None, default=None
        The loss a group may reach before it is penalised. ``None`` uses the
        batch's overall mean loss, so that no group does worse than average.
    """

    name = notions.GROUP_LOSSES["bounded_group_loss"].name
    _parameter_constraints: dict = {"bound": [None, Interval(Real, 0, None, closed="left")]}

    def __init__(self, bound: float | None = None):
        self.bound = bound

    def __call__(self, *, scores, y, groups, weight, n_groups, losses, task):
        means, present = group_means(losses, groups, weight, n_groups)
        if self.bound is None:
            bound = (losses * weight).sum() / weight.sum().clamp_min(1e-12)
        else:
            bound = self.bound
        # Masked, not indexed: a boolean index waits for the device every batch.
        return (torch.relu(means - bound) * present).sum()


_NAMED = {
    **{cls.notion: cls for cls in (DemographicParity, EqualizedOdds, EqualOpportunity,
                                   PredictiveParity)},
    **{cls.name: cls for cls in (WorstGroupLoss, BoundedGroupLoss)},
}


def _by_name(name: str) -> type:
    if name in _NAMED:
        return _NAMED[name]
    # A notion without a class of its own is still a penalty by its name.
    return lambda: NotionPenalty(name)


# Every penalty name (from the registry) to what makes its penalty.
PENALTIES = {name: _by_name(name) for name in notions.penalty_names()}


def get_penalty(penalty: str | Penalty | None) -> Penalty | None:
    """Return the penalty object that a name or an object stands for.

    Parameters
    ----------
    penalty : str, Penalty or None
        A name from ``PENALTIES``, a penalty object (returned as is), or None.

    Returns
    -------
    Penalty or None

    Examples
    --------
    >>> from skfairtune.penalties import get_penalty
    >>> get_penalty("equalized_odds")
    EqualizedOdds()
    """
    if penalty is None or isinstance(penalty, Penalty):
        return penalty
    if isinstance(penalty, str) and penalty in PENALTIES:
        return PENALTIES[penalty]()
    raise ValueError(
        f"Unknown penalty {penalty!r}. Valid names are {sorted(PENALTIES)}; "
        "a Penalty object or None are accepted too."
    )
