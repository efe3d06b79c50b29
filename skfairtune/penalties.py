"""Differentiable fairness penalties, computed on every mini-batch.

Each penalty is the torch face of a notion defined once in
``skfairtune._notions``: :class:`DemographicParity` is the same gap as
:func:`skfairtune.metrics.demographic_parity_difference`, computed on
predicted probabilities instead of hard predictions so that it has a
gradient. The estimators add ``penalty_strength * penalty(batch)`` to the
batch's loss.

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

import torch
from sklearn.base import BaseEstimator

from skfairtune import _notions

__all__ = [
    "Penalty",
    "DemographicParity",
    "EqualizedOdds",
    "EqualOpportunity",
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

    tasks: tuple = ("classification", "regression")
    name: str = ""

    def check_task(self, task: str) -> None:
        """Raise a ValueError if the penalty does not apply to ``task``."""
        if task not in self.tasks:
            raise ValueError(
                f"The penalty {self.name!r} applies to {' and '.join(self.tasks)} "
                f"only, not to {task}. For {task}, use one of "
                f"{sorted(n for n, p in PENALTIES.items() if task in p.tasks)}."
            )

    def __call__(self, *, scores, y, groups, weight, n_groups, losses, task):
        raise NotImplementedError


class _NotionPenalty(Penalty):
    """A penalty that is a notion's gap on predicted probabilities."""

    notion: _notions.Notion

    def __call__(self, *, scores, y, groups, weight, n_groups, losses, task):
        if task == "regression":
            return self.notion.difference(scores, y, groups, weight, n_groups)
        if scores.shape[1] == 2:
            return self.notion.difference(scores[:, 1], y, groups, weight, n_groups)
        return self._one_vs_rest(scores, y, groups, weight, n_groups)

    def _one_vs_rest(self, scores, y, groups, weight, n_groups):
        # Each class against the rest: the multiclass gap is the worst class's.
        gaps = [
            self.notion.difference(scores[:, k], (y == k).long(), groups, weight, n_groups)
            for k in range(scores.shape[1])
        ]
        return torch.stack(gaps).max()


class DemographicParity(_NotionPenalty):
    """Gap in mean predicted positive probability between groups.

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

    notion = _notions.DEMOGRAPHIC_PARITY
    name = "demographic_parity"


class EqualOpportunity(_NotionPenalty):
    """Gap in mean predicted positive probability among the positives.

    The differentiable counterpart of the equal-opportunity difference (the
    gap in true-positive rate). Classification only.
    """

    notion = _notions.EQUAL_OPPORTUNITY
    name = "equal_opportunity"
    tasks = ("classification",)


class EqualizedOdds(_NotionPenalty):
    """The larger of the true-positive-rate and false-positive-rate gaps.

    The differentiable counterpart of the equalized-odds difference, on
    predicted probabilities. Classification only.
    """

    notion = _notions.EQUALIZED_ODDS
    name = "equalized_odds"
    tasks = ("classification",)


class WorstGroupLoss(Penalty):
    """The mean loss of the worst-off group in the batch.

    With a large ``penalty_strength`` the training objective approaches group
    distributionally robust optimisation (group DRO): the loss of the worst
    group, rather than the average, is what is minimised.
    """

    name = "worst_group_loss"

    def __call__(self, *, scores, y, groups, weight, n_groups, losses, task):
        return _notions.worst_group(losses, groups, weight, n_groups, largest=True)


class BoundedGroupLoss(Penalty):
    """How far each group's mean loss exceeds a bound, summed over groups.

    Parameters
    ----------
    bound : float or None, default=None
        The loss a group may reach before it is penalised. ``None`` uses the
        batch's overall mean loss, so that no group does worse than average.
    """

    name = "bounded_group_loss"

    def __init__(self, bound: float | None = None):
        self.bound = bound

    def __call__(self, *, scores, y, groups, weight, n_groups, losses, task):
        if self.bound is not None and self.bound < 0:
            raise ValueError(f"BoundedGroupLoss bound must be >= 0; got {self.bound}.")
        means, present = _notions.group_means(losses, groups, weight, n_groups)
        if self.bound is None:
            bound = (losses * weight).sum() / weight.sum().clamp_min(1e-12)
        else:
            bound = self.bound
        return torch.relu(means[present] - bound).sum()


PENALTIES = {
    cls.name: cls
    for cls in (DemographicParity, EqualizedOdds, EqualOpportunity, WorstGroupLoss,
                BoundedGroupLoss)
}


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
