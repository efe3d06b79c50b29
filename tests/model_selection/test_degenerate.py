"""The degenerate-model guard: the metric, the scorer, budget_refit and pareto_front."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from skfairtune.metrics import (
    degenerate_reason,
    make_degeneracy_scorer,
    make_fairness_scorer,
)
from skfairtune.model_selection import (
    BudgetNotMetWarning,
    DegenerateModelWarning,
    budget_refit,
    pareto_front,
)

Y = np.array([0, 1] * 20)
GROUP = np.array(["a"] * 20 + ["b"] * 20)


def test_a_constant_model_is_degenerate():
    assert degenerate_reason(Y, np.ones(40, int)) == "predicts 1 for every row"
    assert degenerate_reason(np.array(["No", "Yes"] * 10), np.array(["Yes"] * 20)) == (
        "predicts 'Yes' for every row")


def test_a_model_constant_within_one_group_is_degenerate():
    pred = np.where(GROUP == "a", 1, Y)  # every row of group a approved
    assert degenerate_reason(Y, pred) is None  # overall it is no constant model
    assert degenerate_reason(Y, pred, sensitive_features=GROUP) == (
        "predicts 1 for every row of the group 'a'")


def test_a_model_no_better_than_the_majority_class_is_degenerate():
    y = np.array([1] * 30 + [0] * 10)
    pred = np.array([1] * 25 + [0] * 5 + [1] * 5 + [0] * 5)  # accuracy 0.75 = majority
    assert degenerate_reason(y, pred) == (
        "is no better than always predicting the majority class 1 "
        "(accuracy 0.750 against 0.750)")
    assert degenerate_reason(y, pred, metric="balanced_accuracy") is None


def test_a_useful_model_is_not_degenerate():
    pred = Y.copy()
    pred[:3] = 1 - pred[:3]
    assert degenerate_reason(Y, pred, sensitive_features=GROUP) is None


RESULTS = {
    "params": [{"s": s} for s in (0, 1, 4)],
    "mean_test_accuracy": np.array([0.85, 0.83, 0.70]),
    "mean_test_dp": np.array([-0.10, -0.04, 0.0]),
    "split0_test_dp": np.array([-0.10, -0.04, 0.0]),
    "split1_test_dp": np.array([-0.10, -0.05, 0.0]),
}


def test_budget_refit_passes_over_degenerate_candidates():
    flagged = {**RESULTS, "mean_test_degenerate": np.array([0.0, 0.0, 1.0])}
    rule = budget_refit(constraint="dp", max_value=0.02)
    # Without the flag the constant model (index 2) is the only one in budget.
    with pytest.warns(DegenerateModelWarning, match="exactly 0 on every fold"):
        assert rule(RESULTS) == 2
    with pytest.warns(DegenerateModelWarning, match="Passing over candidates 2"), \
            pytest.warns(BudgetNotMetWarning):
        index = rule(flagged)
    assert index == 1  # no candidate left within budget: the fairest useful one
    with pytest.warns(DegenerateModelWarning, match="allow_degenerate=True"):
        assert budget_refit(constraint="dp", max_value=0.02,
                            allow_degenerate=True)(flagged) == 2


def test_budget_not_met_names_the_degenerate_candidates_that_met_it():
    # Two candidates within the budget, both passed over as degenerate: the
    # warning must not say that no candidate met it, and must say how to allow them.
    results = {**RESULTS, "mean_test_accuracy": np.array([0.85, 0.60, 0.55]),
               "mean_test_dp": np.array([-0.1423, -0.02, -0.002]),
               "mean_test_degenerate": np.array([0.0, 1.0, 1.0])}
    rule = budget_refit(constraint="dp", max_value=0.05)
    with pytest.warns(DegenerateModelWarning), \
            pytest.warns(BudgetNotMetWarning) as caught:
        assert rule(results) == 0
    message = str(next(w.message for w in caught
                       if issubclass(w.category, BudgetNotMetWarning)))
    assert "No non-degenerate candidate has dp <= 0.05" in message
    assert "2 degenerate candidates (1, 2) met the budget but were passed over" in message
    assert "allow_degenerate=True" in message


def test_budget_not_met_without_degenerate_candidates_says_no_candidate():
    with pytest.warns(BudgetNotMetWarning, match="No candidate has dp <= 0.01; the "
                      "smallest is 0.04. Refitting the fairest candidate .index 1. "
                      "instead; raise max_value or widen the search.$"):
        budget_refit(constraint="dp", max_value=0.01)(RESULTS | {
            "mean_test_degenerate": np.zeros(3), "mean_test_dp": np.array([-0.1, -0.04, -0.05])})


def test_budget_refit_refuses_when_every_candidate_is_degenerate():
    flagged = {**RESULTS, "mean_test_degenerate": np.ones(3)}
    with pytest.raises(ValueError, match="Every candidate is degenerate on some fold"):
        budget_refit(constraint="dp", max_value=0.02)(flagged)


def test_pareto_front_marks_degenerate_candidates():
    flagged = {**RESULTS, "mean_test_degenerate": np.array([0.0, 0.0, 1.0])}
    front = pareto_front(flagged, constraint="dp")
    assert front["degenerate"].to_dict() == {2: True, 1: False, 0: False}


class _ApproveGroup(BaseEstimator, ClassifierMixin):
    """Logistic regression, except that it approves everyone when approve=True."""

    def __init__(self, approve=False):
        self.approve = approve

    def fit(self, X, y):
        self.model_ = LogisticRegression().fit(X[["x"]], y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        pred = self.model_.predict(X[["x"]])
        return np.full_like(pred, self.classes_[-1]) if self.approve else pred


def test_in_a_search_the_constant_candidate_is_flagged_and_passed_over():
    rng = np.random.default_rng(0)
    n = 400
    X = pd.DataFrame({"x": rng.normal(size=n), "sex": rng.choice(["f", "m"], n)})
    y = np.where(X["x"] + (X["sex"] == "m") + rng.normal(size=n) > 0.5, "Yes", "No")
    scoring = {
        "accuracy": "accuracy",
        "dp": make_fairness_scorer("demographic_parity_difference", sensitive_features="sex"),
        "degenerate": make_degeneracy_scorer(sensitive_features="sex"),
    }
    search = GridSearchCV(_ApproveGroup(), {"approve": [False, True]}, scoring=scoring,
                          refit=budget_refit(constraint="dp", max_value=0.5), cv=3)
    with pytest.warns(DegenerateModelWarning, match="Passing over candidates 1"):
        search.fit(X, y)
    assert search.cv_results_["mean_test_degenerate"].tolist() == [0.0, 1.0]
    assert search.best_index_ == 0  # the constant one has the smaller gap
    dummy = DummyClassifier(strategy="most_frequent").fit(X, y)
    assert make_degeneracy_scorer(sensitive_features="sex")(dummy, X, y) == 1.0


def test_the_confidence_rule_is_more_conservative_than_the_mean():
    # Candidate 0: mean gap 0.03 but it swings between folds; candidate 1:
    # a steady 0.04, less accurate. Within a budget of 0.05 the mean picks 0,
    # a 90% upper bound only 1.
    results = {
        "mean_test_accuracy": np.array([0.85, 0.83]),
        "mean_test_dp": np.array([-0.03, -0.04]),
        "split0_test_dp": np.array([-0.00, -0.039]),
        "split1_test_dp": np.array([-0.03, -0.040]),
        "split2_test_dp": np.array([-0.06, -0.041]),
    }
    assert budget_refit(constraint="dp", max_value=0.05)(results) == 0
    rule = budget_refit(constraint="dp", max_value=0.05, confidence=0.9)
    assert rule(results) == 1
    # 0.03 + t(0.9, 2) * 0.03 / sqrt(3) with t(0.9, 2) = 1.8856
    np.testing.assert_allclose(rule.gaps(results), [0.03 + 1.8856 * 0.03 / np.sqrt(3),
                                                    0.04 + 1.8856 * 0.001 / np.sqrt(3)],
                               rtol=1e-4)


@pytest.mark.parametrize("confidence", [0, 1, 1.5, "high", True])
def test_confidence_must_be_a_probability(confidence):
    with pytest.raises(ValueError, match="confidence must be None or a number strictly"):
        budget_refit(confidence=confidence)


def test_confidence_needs_the_folds():
    results = {"mean_test_accuracy": np.array([0.8]), "mean_test_dp": np.array([-0.01])}
    with pytest.raises(ValueError, match="per-fold scores of 'dp'"):
        budget_refit(constraint="dp", confidence=0.9)(results)


def test_the_rule_says_whether_its_last_choice_met_the_budget():
    rule = budget_refit(constraint="dp", max_value=0.05)
    assert rule(RESULTS) == 1 and rule.budget_met_ is True
    strict = budget_refit(constraint="dp", max_value=0.001)
    with pytest.warns(BudgetNotMetWarning):
        strict({**RESULTS, "mean_test_dp": np.array([-0.1, -0.04, -0.01])})
    assert strict.budget_met_ is False


def test_weights_decide_the_majority_class():
    from skfairtune.metrics import degenerate_reason

    # 90% negatives: unweighted, "always 0" is the bar; with the classes
    # weighted to balance, a model that finds most positives clears it.
    y = np.array([0] * 90 + [1] * 10)
    pred = np.array([0] * 70 + [1] * 20 + [1] * 8 + [0] * 2)
    assert "majority class" in degenerate_reason(y, pred)
    balanced = np.where(y == 1, 9.0, 1.0)
    assert degenerate_reason(y, pred, sample_weight=balanced) is None
    with pytest.raises(ValueError, match="sample_weight"):
        degenerate_reason(y, pred, sample_weight=balanced[:5])
