"""The fine-tuning estimators."""

from skfairtune.estimators._classifier import FairTuneClassifier
from skfairtune.estimators._exceptions import DivergenceError, FairnessWarning
from skfairtune.estimators._regressor import FairTuneRegressor

__all__ = ["DivergenceError", "FairTuneClassifier", "FairTuneRegressor", "FairnessWarning"]
