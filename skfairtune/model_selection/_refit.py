"""Refit the most accurate candidate whose fairness gap is within a budget."""

from __future__ import annotations

import warnings
from numbers import Real

import numpy as np

from .._cv_results import fold_values, gap_upper_bound, metric_and_gap
from ..exceptions import AllDegenerateError, BudgetNotMetWarning, DegenerateModelWarning

# The key under which a search's scoring dict holds make_degeneracy_scorer().
DEGENERATE_KEY = "degenerate"


class BudgetRefit:
    """The refit rule made by :func:`budget_refit`; see there.

    A class rather than a closure so that a search that holds it can be
    pickled and cloned.
    """

    def __init__(self, metric: str, constraint: str, max_value: float,
                 allow_degenerate: bool = False, confidence: float | None = None):
        self.metric = metric
        self.constraint = constraint
        self.max_value = max_value
        self.allow_degenerate = allow_degenerate
        self.confidence = confidence

    def __repr__(self) -> str:
        extra = ", allow_degenerate=True" if self.allow_degenerate else ""
        extra += f", confidence={self.confidence!r}" if self.confidence is not None else ""
        return (f"budget_refit(metric={self.metric!r}, constraint="
                f"{self.constraint!r}, max_value={self.max_value!r}{extra})")

    def __setstate__(self, state):
        # Rules pickled before these options existed.
        self.__dict__.update({"allow_degenerate": False, "confidence": None, **state})

    def gaps(self, cv_results: dict) -> np.ndarray:
        """The gap each candidate is judged by: the mean, or its upper bound.

        Parameters
        ----------
        cv_results : dict
            A search's ``cv_results_``.

        Returns
        -------
        ndarray of shape (n_candidates,)
        """
        if self.confidence is None:
            return metric_and_gap(cv_results, self.metric, self.constraint)[1]
        return gap_upper_bound(cv_results, self.constraint, self.confidence)

    def __call__(self, cv_results: dict) -> int:
        score, _ = metric_and_gap(cv_results, self.metric, self.constraint)
        gap = self.gaps(cv_results)
        usable = np.isfinite(score) & np.isfinite(gap)
        if not usable.any():
            raise ValueError(
                f"No candidate has a finite {self.metric!r} and {self.constraint!r}; "
                "did every fit fail? Set GridSearchCV(error_score='raise') to see why."
            )
        considered = usable
        usable = self._pass_over_degenerate(cv_results, usable)
        within = usable & (gap <= self.max_value)
        # Whether the last choice met the budget, for code that needs to know
        # without catching BudgetNotMetWarning.
        self.budget_met_ = bool(within.any())
        if within.any():
            # argmax takes the first of tied candidates, as GridSearchCV's rank 1.
            index = int(np.argmax(np.where(within, score, -np.inf)))
            self._warn_if_gap_is_exactly_zero(cv_results, index)
            return index
        fairest = np.where(usable, gap, np.inf)
        best_gap = fairest.min()
        # Among equally fair candidates, the best by the metric.
        tied = usable & (fairest == best_gap)
        index = int(np.argmax(np.where(tied, score, -np.inf)))
        bound = "" if self.confidence is None else (
            f" at {self.confidence:.0%} confidence (upper bound over the folds)")
        passed_over = considered & ~usable
        which = "non-degenerate candidate" if passed_over.any() else "candidate"
        warnings.warn(
            f"No {which} has {self.constraint} <= {self.max_value}{bound}; the smallest "
            f"is {best_gap:.4g}. Refitting the fairest candidate (index {index}) "
            "instead; raise max_value or widen the search."
            + self._degenerate_within(passed_over & (gap <= self.max_value)),
            BudgetNotMetWarning,
            stacklevel=2,
        )
        return index

    @staticmethod
    def _degenerate_within(flagged: np.ndarray) -> str:
        """What the degenerate candidates within the budget were, for the warning."""
        if not flagged.any():
            return ""
        count = int(flagged.sum())
        shown = ", ".join(map(str, np.flatnonzero(flagged)[:10]))
        return (f" {count} degenerate candidate{'s' if count > 1 else ''} ({shown}) "
                f"met the budget but {'were' if count > 1 else 'was'} passed over; "
                "budget_refit(allow_degenerate=True) lets the rule choose among them.")

    def _pass_over_degenerate(self, cv_results: dict, usable: np.ndarray) -> np.ndarray:
        """``usable`` without the candidates degenerate on some fold."""
        key = f"mean_test_{DEGENERATE_KEY}"
        if key not in cv_results:
            return usable
        flagged = usable & (np.nan_to_num(np.asarray(cv_results[key], dtype=float),
                                          nan=1.0) > 0)
        if not flagged.any():
            return usable
        shown = ", ".join(map(str, np.flatnonzero(flagged)[:10]))
        if self.allow_degenerate:
            warnings.warn(
                f"Candidates {shown} predict one class overall or within a group, or "
                "do no better than the majority class, on some fold; they stay in the "
                "running because allow_degenerate=True.", DegenerateModelWarning,
                stacklevel=3)
            return usable
        if not (usable & ~flagged).any():
            raise AllDegenerateError(
                "Every candidate is degenerate on some fold: it predicts one class "
                "overall or within a group, or does no better than the majority class "
                "(see mean_test_degenerate). Its gaps are small because it treats "
                "everyone alike, not because it is fair. Lower the penalty strengths, "
                "train longer, or choose on balanced_accuracy; budget_refit("
                "allow_degenerate=True) chooses among them anyway.")
        warnings.warn(
            f"Passing over candidates {shown}: on some fold they predict one class "
            "overall or within a group, or do no better than the majority class, so "
            "their small gaps say nothing about fairness.", DegenerateModelWarning,
            stacklevel=3)
        return usable & ~flagged

    def _warn_if_gap_is_exactly_zero(self, cv_results: dict, index: int) -> None:
        # Without the degeneracy scorer the rule cannot see what the model
        # predicts, but a gap of exactly zero on every fold is the mark a
        # constant predictor leaves.
        if f"mean_test_{DEGENERATE_KEY}" in cv_results:
            return
        folds = fold_values(cv_results, self.constraint)
        if folds.size and (folds[index] == 0).all():
            warnings.warn(
                f"The chosen candidate (index {index}) has {self.constraint} exactly 0 "
                "on every fold, which a model predicting one class for everyone also "
                "has. Add scoring['degenerate'] = skfairtune.metrics."
                "make_degeneracy_scorer() so that budget_refit can tell.",
                DegenerateModelWarning, stacklevel=3)


def budget_refit(
    *,
    metric: str = "accuracy",
    constraint: str = "demographic_parity_difference",
    max_value: float = 0.02,
    allow_degenerate: bool = False,
    confidence: float | None = None,
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
    allow_degenerate : bool, default=False
        When the ``scoring`` dict has the key ``"degenerate"``
        (:func:`~skfairtune.metrics.make_degeneracy_scorer`), candidates
        flagged on any fold (constant predictions overall or within a group,
        or no better than the majority class) are passed over with a
        :class:`DegenerateModelWarning`, and :class:`~skfairtune.exceptions.AllDegenerateError`
        (a ``ValueError``) is raised when every
        candidate is flagged. True keeps them in the running (with the
        warning).
    confidence : float in (0, 1), default=None
        When given (0.9, say), a candidate is within budget only when a
        one-sided upper confidence bound on its gap is: the mean over folds
        plus Student's t quantile times the standard error of the per-fold
        gaps (``split*_test_<constraint>``). A candidate whose gap swings
        from fold to fold then needs a smaller mean to qualify, which is what
        makes a budget hold on new data more often. The folds share training
        rows, so the bound is approximate (if anything optimistic). The rule's
        ``gaps(cv_results)`` gives the bounds, for a report.

    Returns
    -------
    callable
        ``rule(cv_results) -> int``, the index of the candidate to refit.
        After a call, ``rule.budget_met_`` says whether that candidate met
        the budget (False when the fairest was chosen instead).

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
    if confidence is not None and not (
        isinstance(confidence, Real) and not isinstance(confidence, bool)
        and 0 < confidence < 1
    ):
        raise ValueError(
            f"confidence must be None or a number strictly between 0 and 1 (0.9, "
            f"say); got {confidence!r}."
        )
    for name, value in (("metric", metric), ("constraint", constraint)):
        if not isinstance(value, str):
            raise ValueError(
                f"{name} must be a key of the scoring dict (a str); got {value!r}."
            )
    return BudgetRefit(metric, constraint, float(max_value), bool(allow_degenerate),
                       None if confidence is None else float(confidence))
