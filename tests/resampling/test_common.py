"""imbalanced-learn's and scikit-learn's common checks on the samplers.

The checks make their own data and never pass a sensitive attribute, so the
samplers under check read it from X with a function: the parity of the row's
position. That splits every data set the checks build into two groups that
have nothing to do with the labels, so that no group-and-label cell is empty.
"""

import numpy as np
import pytest
from imblearn.utils.estimator_checks import (
    check_param_validation,
    estimator_checks_generator,
)
from sklearn.base import clone
from sklearn.utils.estimator_checks import (
    parametrize_with_checks as parametrize_with_sklearn_checks,
)
from sklearn.utils.validation import _num_samples

from skfairtune.resampling import GroupResampler, GroupSMOTE


def parity_group(X):
    """Group of each row: the parity of its position."""
    return np.arange(_num_samples(X)) % 2


SAMPLERS = [
    GroupResampler(sensitive_features=parity_group, random_state=0),
    GroupResampler(
        strategy="undersample", sensitive_features=parity_group, random_state=0
    ),
    GroupResampler(
        strategy="mixed",
        target="equal_label_rates",
        sensitive_features=parity_group,
        random_state=0,
    ),
    GroupSMOTE(k_neighbors=1, sensitive_features=parity_group, random_state=0),
]


def one_group(X):
    """A single group: the sampler then balances the labels alone."""
    return np.zeros(_num_samples(X), dtype=int)


# scikit-learn's checks test the estimator API on tiny data sets (a class of
# one or two rows, labels made from the features), where two groups leave
# cells empty or too small for SMOTE: the samplers would rightly refuse. With
# one group the API is checked all the same.
SKLEARN_SAMPLERS = [clone(s).set_params(sensitive_features=one_group) for s in SAMPLERS]


def expected_failures(sampler):
    # Every check that applies passes: none is expected to fail.
    return {}


def check_id(value):
    if hasattr(value, "func"):  # a check: a partial of the check function
        return value.func.__name__
    return f"{type(value).__name__}-{getattr(value, 'strategy', 'smote')}"


# A list, not imbalanced-learn's generator, which pytest is deprecating.
IMBLEARN_CHECKS = [
    case
    for sampler in SAMPLERS
    for case in estimator_checks_generator(
        sampler, expected_failed_checks=expected_failures(sampler), mark="xfail"
    )
]


@pytest.mark.parametrize("estimator, check", IMBLEARN_CHECKS, ids=check_id)
def test_imblearn_checks(estimator, check):
    check(estimator)


@parametrize_with_sklearn_checks(
    SKLEARN_SAMPLERS, expected_failed_checks=expected_failures
)
def test_sklearn_checks(estimator, check):
    check(estimator)


def test_param_validation():
    for sampler in SAMPLERS:
        check_param_validation(type(sampler).__name__, sampler)
