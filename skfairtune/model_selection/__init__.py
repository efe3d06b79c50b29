"""Group-aware model selection: splitting, refitting within a budget, Pareto fronts.

A package rather than one module so that each concern (how folds are made,
how a candidate is chosen, how the trade-off is shown) sits in one file.
"""

from ..exceptions import AllDegenerateError
from ._pareto import pareto_front, plot_pareto_front
from ._path import PenaltyPath, penalty_path
from ._refit import BudgetNotMetWarning, BudgetRefit, DegenerateModelWarning, budget_refit
from ._split import FairStratifiedKFold

__all__ = [
    "AllDegenerateError",
    "BudgetNotMetWarning",
    "BudgetRefit",
    "DegenerateModelWarning",
    "FairStratifiedKFold",
    "PenaltyPath",
    "budget_refit",
    "pareto_front",
    "penalty_path",
    "plot_pareto_front",
]
