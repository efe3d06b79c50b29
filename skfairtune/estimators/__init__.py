"""The fine-tuning estimators."""

from skfairtune.estimators._base import FairnessWarning
from skfairtune.estimators._classifier import FairTuneClassifier
from skfairtune.estimators._regressor import FairTuneRegressor

__all__ = ["FairTuneClassifier", "FairTuneRegressor", "FairnessWarning"]
