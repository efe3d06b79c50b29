"""One rule for the positive label: audit, command line, report and metrics agree."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from skfairtune._labels import positive_label
from skfairtune.audit import audit_dataset
from skfairtune.cli._common import UsageError
from skfairtune.cli._inputs import binary_target
from skfairtune.report import model_report


@pytest.mark.parametrize(("labels", "expected"), [
    ([0, 1], 1), ([-1, 1], 1), ([1, 2], 2), (["No", "Yes"], "Yes"),
    ([False, True], True), ([">50K", "<=50K"], ">50K"),
])
def test_the_positive_label_is_the_last_class(labels, expected):
    assert positive_label(labels * 3) == expected
    np.testing.assert_array_equal(np.unique(labels)[-1], expected)  # as classes_ sorts


def test_pos_label_given_as_text_matches_a_label_of_another_type():
    assert positive_label(np.array([1, 2, 2]), "1") == 1
    with pytest.raises(ValueError, match=r"pos_label=3 is not a label of y; its labels are: 1, 2"):
        positive_label(np.array([1, 2]), 3)


@pytest.fixture
def coded_1_2():
    rng = np.random.default_rng(0)
    group = rng.choice(["a", "b"], 200)
    X = pd.DataFrame({"x": rng.normal(size=200) + (group == "b"), "group": group})
    y = pd.Series(np.where(X["x"] + rng.normal(size=200) > 0.5, 2, 1), name="y")
    return X, y


def test_audit_command_line_and_report_take_the_same_positive_class(coded_1_2):
    X, y = coded_1_2
    audit = audit_dataset(X, y, sensitive_features="group")
    assert audit.positive_label == 2
    np.testing.assert_array_equal(binary_target(y, None, "y"), (y == 2).astype(int))
    clf = LogisticRegression().fit(X[["x"]], y)
    report = model_report(clf, X[["x"]], y, sensitive_features=X["group"])
    rates = (y == 2).groupby(X["group"]).mean()
    np.testing.assert_allclose(report.groups["base_rate"].iloc[:2], rates.to_numpy())


def test_the_command_line_names_the_labels_when_pos_label_is_wrong(coded_1_2):
    _, y = coded_1_2
    message = r"--pos-label '3' is not a label of 'y'; its labels include: 1, 2"
    with pytest.raises(UsageError, match=message):
        binary_target(y, "3", "y")
