"""group_report with missing_groups="ignore": the known rows, and how many were not."""

import numpy as np
import pytest

from skfairtune.metrics import group_report


def test_unknown_rows_are_left_out_and_counted():
    rng = np.random.default_rng(0)
    y, p = rng.integers(0, 2, 50), rng.integers(0, 2, 50)
    groups = rng.choice(["a", "b"], 50).astype(object)
    hidden = groups.copy()
    hidden[::4] = None
    known = np.array([g is not None for g in hidden])
    partial = group_report(y, p, sensitive_features=hidden, y_score=p * 0.5,
                           missing_groups="ignore")
    expected = group_report(y[known], p[known], sensitive_features=groups[known],
                            y_score=p[known] * 0.5)
    assert partial.equals(expected)
    assert partial.attrs["fairness"].equals(expected.attrs["fairness"])
    assert partial.attrs["n_missing_groups"] == 13
    assert expected.attrs["n_missing_groups"] == 0


def test_missing_values_refused_by_default():
    with pytest.raises(ValueError, match="sensitive_features contains missing values"):
        group_report([1, 0, 1], [1, 1, 0], sensitive_features=["a", None, "b"])
    with pytest.raises(ValueError, match="missing_groups must be 'error' or 'ignore'"):
        group_report([1, 0], [1, 1], sensitive_features=["a", "b"], missing_groups="drop")
