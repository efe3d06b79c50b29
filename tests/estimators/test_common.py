"""scikit-learn's common checks on both estimators."""

import warnings

from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import parametrize_with_checks

from skfairtune import FairTuneClassifier, FairTuneRegressor
from skfairtune.estimators import FairnessWarning

# Small, fast settings: the checks fit hundreds of times.
ESTIMATORS = [
    FairTuneClassifier(max_epochs=30, lr=0.01, random_state=0),
    FairTuneRegressor(max_epochs=30, lr=0.01, random_state=0),
]


def _expected_failures(estimator):
    return get_tags(estimator).expected_failed_checks


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failures)
def test_sklearn_compatible_estimator(estimator, check):
    with warnings.catch_warnings():
        # The checks fit without a sensitive attribute, which we warn about.
        warnings.simplefilter("ignore", FairnessWarning)
        check(estimator)
