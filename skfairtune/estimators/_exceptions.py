"""The warnings and errors the estimators raise."""

from __future__ import annotations


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
