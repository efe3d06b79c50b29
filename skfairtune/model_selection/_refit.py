"""Refit the most accurate candidate whose fairness gap is within a budget."""

from __future__ import annotations

import warnings
from numbers import Real

import numpy as np

from ._cv_results import metric_and_gap


class BudgetNotMetWarning(UserWarning):
    """No candidate meets the fairness budget; the fairest one is chosen."""


class BudgetRefit:
    """The refit rule made by :func:`budget_refit`; see there.

    A class rather than a closure so that a search that holds it can be
    pickled and cloned.
    """

    def __init__(self, metric: str, constraint: str, max_value: float):
        self.metric = metric
        self.constraint = constraint
        self.max_value = max_value

    def __repr__(self) -> str:
        return (f"budget_refit(metric={self.metric!r}, constraint="
                f"{self.constraint!r}, max_value={self.max_value!r})")

    def __call__(self, cv_results: dict) -> int:
        score, gap = metric_and_gap(cv_results, self.metric, self.constraint)
        usable = np.isfinite(score) & np.isfinite(gap)
        if not usable.any():
            raise ValueError(
                f"No candidate has a finite {self.metric!r} and {self.constraint!r}; "
                "did every fit fail?"
            )
        within = usable & (gap <= self.max_value)
        if within.any():
            # argmax takes the first of tied candidates, as GridSearchCV's rank 1.
            return int(np.argmax(np.where(within, score, -np.inf)))
        fairest = np.where(usable, gap, np.inf)
        best_gap = fairest.min()
        # Among equally fair candidates, the best by the metric.
        tied = usable & (fairest == best_gap)
        index = int(np.argmax(np.where(tied, score, -np.inf)))
        warnings.warn(
            f"No candidate has {self.constraint} <= {self.max_value}; the smallest "
            f"is {best_gap:.4g}. Refitting the fairest candidate (index {index}) "
            "instead; raise max_value or widen the search.",
            BudgetNotMetWarning,
            stacklevel=2,
        )
        return index


def budget_refit(
    *,
    metric: str = "accuracy",
    constraint: str = "demographic_parity_difference",
    max_value: float = 0.02,
) -> BudgetRefit:
    """A ``refit`` rule: the best candidate whose fairness gap is within budget.

    Give the result as ``GridSearchCV(..., refit=budget_refit(...))`` with a
    multi-metric ``scoring`` dict. Among the candidates whose mean test
    ``constraint`` is at most ``max_value``, it refits the one with the
    highest mean test ``metric`` (the first one of ties). When no candidate
    meets the budget, it refits the fairest one (the best by ``metric``
    among equally fair ones) and warns with :class:`BudgetNotMetWarning`.

    Parameters
    ----------
    metric : str, default="accuracy"
        Key of the ``scoring`` dict to maximise (as stored, greater is better).
    constraint : str, default="demographic_parity_difference"
        Key of the ``scoring`` dict of a gap: a fairness difference or an
        error, where lower is fairer.
    max_value : float, default=0.02
        The budget, on the gap's own scale (a gap of 0.02), whatever sign the
        scorer stores. skfairtune's gap scorers store ``-gap``; a rule that
        only sees ``cv_results_`` tells the two apart because a gap is never
        negative: stored values all <= 0 are read as negated gaps, all >= 0 as
        gaps, and both signs are an error.

    Returns
    -------
    callable
        ``rule(cv_results) -> int``, the index of the candidate to refit.

    Examples
    --------
    >>> from skfairtune.model_selection import budget_refit
    >>> rule = budget_refit(metric="accuracy",
    ...                     constraint="demographic_parity_difference",
    ...                     max_value=0.05)
    >>> cv_results = {"mean_test_accuracy": [0.90, 0.85, 0.80],
    ...               "mean_test_demographic_parity_difference": [-0.10, -0.04, -0.01]}
    >>> rule(cv_results)
    1
    """
    if not isinstance(max_value, Real) or isinstance(max_value, bool) or not (
        max_value >= 0
    ):
        raise ValueError(
            f"max_value must be a non-negative number (a gap); got {max_value!r}."
        )
    for name, value in (("metric", metric), ("constraint", constraint)):
        if not isinstance(value, str):
            raise ValueError(
                f"{name} must be a key of the scoring dict (a str); got {value!r}."
            )
    return BudgetRefit(metric, constraint, float(max_value))
