"""The fine-tuning estimators."""

from skfairtune.estimators._classifier import FairTuneClassifier
from skfairtune.estimators._regressor import FairTuneRegressor
from skfairtune.exceptions import BudgetUncertainWarning, DivergenceError, FairnessWarning

__all__ = [
    "BudgetUncertainWarning",
    "DivergenceError",
    "FairTuneClassifier",
    "FairTuneRegressor",
    "FairnessWarning",
]
