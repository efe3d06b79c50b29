"""scikit-learn's checks run as a user runs them, on the default parameters.

``test_common.py`` runs them on fast settings; this runs ``check_estimator``
on ``FairTuneClassifier()`` and ``FairTuneRegressor()`` themselves, the way
the estimators' docs tell users to.
"""

import warnings

import pytest
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import check_estimator, estimator_checks_generator

from skfairtune import FairTuneClassifier, FairTuneRegressor
from skfairtune.estimators import FairnessWarning

ESTIMATORS = [FairTuneClassifier, FairTuneRegressor]


def _check_name(check):
    return getattr(check, "func", check).__name__


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_declared_expected_failures_are_real_checks(Estimator):
    """A check renamed by scikit-learn would leave its declaration dead."""
    est = Estimator()
    names = {_check_name(check) for _, check in estimator_checks_generator(est)}
    assert set(get_tags(est).expected_failed_checks) <= names


@pytest.mark.slow  # about a minute and a half per estimator on one core
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_check_estimator_with_default_parameters(Estimator):
    est = Estimator()
    with warnings.catch_warnings():
        # The checks fit without a sensitive attribute, which we warn about.
        warnings.simplefilter("ignore", FairnessWarning)
        check_estimator(est, expected_failed_checks=get_tags(est).expected_failed_checks)
