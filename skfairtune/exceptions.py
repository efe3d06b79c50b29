"""Every warning and error class of skfairtune, in one place.

Each subclasses the scikit-learn (or Python) class that user code already
catches: an error in an input or a parameter is a ``ValueError``, a metric
that is undefined somewhere is scikit-learn's ``UndefinedMetricWarning``. The
modules that raise them import them from here, so that
``from skfairtune.exceptions import ...`` works without loading torch.
"""

from __future__ import annotations

from sklearn.exceptions import UndefinedMetricWarning

from skfairtune._compat import InvalidParameterError

__all__ = [
    "AllDegenerateError",
    "BudgetNotMetWarning",
    "BudgetUncertainWarning",
    "DegenerateModelWarning",
    "DivergenceError",
    "FairnessWarning",
    "InvalidParameterError",
    "UndefinedGroupWarning",
]


class FairnessWarning(UserWarning):
    """The fairness penalty cannot act as asked (no groups, one group)."""


class DivergenceError(ValueError):
    """Training diverged: the loss or the weights stopped being finite.

    Raised by ``fit`` and ``partial_fit`` instead of returning a network
    whose outputs are NaN (which would predict one class everywhere and look
    perfectly fair). A :class:`ValueError`, like scikit-learn's
    ``MLPClassifier`` error "Solver produced non-finite parameter weights",
    because the cure is a different parameter or input: scale ``X``, lower
    ``lr``, ``penalty_strength`` or ``multiplier_lr``.
    """


class UndefinedGroupWarning(UndefinedMetricWarning):
    """A rate is undefined in some group and is left out of a gap.

    Raised, for instance, when a group has no positive labels, so that its true
    positive rate is undefined: skfairtune reports NaN for that group and
    compares the other groups (fairlearn reports 0 there).
    """


class BudgetNotMetWarning(UserWarning):
    """No candidate meets the fairness budget; the fairest one is chosen."""


class BudgetUncertainWarning(UserWarning):
    """A budget met on the validation slice may be broken on new data.

    Constraint mode steers its multipliers by the slice's rates, so the
    slice's gap is what they were driven to. The warning fires when the kept
    model's gap on every row it was fitted on (slice and training rows), plus
    one standard error, is over ``max_gap``. On the benchmark
    (``benchmarks/gap_estimate.py``) it warned every fit whose test gap broke
    the budget by more than two standard errors. More rows,
    ``budget_confidence`` or a larger budget help.
    """


class AllDegenerateError(ValueError):
    """Every candidate of a search is degenerate: none can be handed over as fair.

    Raised by :func:`~skfairtune.model_selection.budget_refit` rather than
    choosing a model that treats everyone alike.
    """


class DegenerateModelWarning(UserWarning):
    """A candidate predicts (nearly) one class, overall or within a group.

    Its fairness gaps are zero or near it because it does not discriminate
    between anyone, not because it is fair.
    """
