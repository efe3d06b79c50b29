"""skfairtune: scikit-learn-compatible fine-tuning of neural networks for bias reduction."""

__version__ = "0.1.0.dev0"

from skfairtune.estimators import FairTuneClassifier, FairTuneRegressor  # noqa: E402

__all__ = ["FairTuneClassifier", "FairTuneRegressor", "__version__"]
