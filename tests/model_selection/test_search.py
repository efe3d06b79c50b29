"""A whole search: pipeline, fairness scorers, fair folds and the budget rule.

The same search runs with metadata routing and with the named-column route,
and the refit choice is checked against cv_results_ by hand.
"""

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import get_scorer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skfairtune.exceptions import BudgetUncertainWarning
from skfairtune.metrics import make_fairness_scorer
from skfairtune.model_selection import (
    BudgetNotMetWarning,
    FairStratifiedKFold,
    budget_refit,
    pareto_front,
    plot_pareto_front,
)

matplotlib.use("Agg")
MAX_GAP = 0.05


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    n = 400
    sex = rng.choice(["f", "m"], n, p=[0.4, 0.6])
    skill = rng.normal(size=n)
    y = (skill + (sex == "m") + rng.normal(scale=0.5, size=n) > 0.6).astype(int)
    proxy = (sex == "m") + rng.normal(scale=0.3, size=n)  # sex, nearly
    X = pd.DataFrame({"skill": skill, "proxy": proxy, "sex": sex})
    return X, y, sex


def _search(scorers, weighted=False, max_value=MAX_GAP):
    # With the proxy the model is more accurate and less fair; tiny C is fairer.
    scaler, clf = StandardScaler(), LogisticRegression()
    if weighted:  # under routing, say who takes the weights
        scaler.set_fit_request(sample_weight=False)
        clf.set_fit_request(sample_weight=True)
    both = ColumnTransformer([("num", scaler, ["skill", "proxy"])])
    blind = ColumnTransformer([("num", scaler, ["skill"])])
    pipe = Pipeline([("pre", both), ("clf", clf)])
    grid = {"pre": [both, blind], "clf__C": [1e-3, 0.01, 1.0]}
    scoring = {"accuracy": "accuracy", **scorers}
    rule = budget_refit(metric="accuracy", constraint="dp", max_value=max_value)
    return GridSearchCV(pipe, grid, scoring=scoring, refit=rule,
                        cv=FairStratifiedKFold(3))


def _by_hand(cv_results, max_value):
    gap = -cv_results["mean_test_dp"]
    accuracy = np.where(gap <= max_value, cv_results["mean_test_accuracy"], -np.inf)
    return int(np.argmax(accuracy))


def _named_column_search(data):
    X, y, sex = data
    scorers = {
        "dp": make_fairness_scorer("demographic_parity_difference",
                                   sensitive_features="sex"),
        "eo": make_fairness_scorer("equalized_odds_difference",
                                   sensitive_features="sex"),
    }
    return _search(scorers).fit(X, y, groups=sex)


@pytest.fixture(scope="module")
def named(data):
    return _named_column_search(data)


def test_named_column_route_picks_what_the_rule_says(named):
    results = named.cv_results_
    assert named.best_index_ == _by_hand(results, MAX_GAP)
    # The budget binds: the most accurate candidate is not the one chosen.
    assert named.best_index_ != int(np.argmax(results["mean_test_accuracy"]))
    assert -results["mean_test_dp"][named.best_index_] <= MAX_GAP
    assert named.best_params_ == results["params"][named.best_index_]
    assert (results["mean_test_eo"] <= 0).all()


def test_routing_route_gives_the_same_search(data, named):
    X, y, sex = data
    with sklearn.config_context(enable_metadata_routing=True):
        scorers = {
            "dp": make_fairness_scorer("demographic_parity_difference")
            .set_score_request(sensitive_features=True),
            "eo": make_fairness_scorer("equalized_odds_difference")
            .set_score_request(sensitive_features=True),
        }
        routed = _search(scorers).fit(X, y, sensitive_features=sex)
    for key in ("mean_test_accuracy", "mean_test_dp", "mean_test_eo"):
        np.testing.assert_allclose(routed.cv_results_[key], named.cv_results_[key])
    assert routed.best_index_ == named.best_index_ == _by_hand(routed.cv_results_,
                                                                MAX_GAP)


def test_routing_with_sample_weights(data):
    X, y, sex = data
    weight = np.where(sex == "f", 1.5, 1.0)
    with sklearn.config_context(enable_metadata_routing=True):
        scorers = {
            "accuracy": get_scorer("accuracy").set_score_request(sample_weight=True),
            "dp": make_fairness_scorer("demographic_parity_difference")
            .set_score_request(sensitive_features=True, sample_weight=True),
        }
        search = _search(scorers, weighted=True, max_value=0.1)
        search.fit(X, y, sensitive_features=sex, sample_weight=weight)
    assert search.best_index_ == _by_hand(search.cv_results_, 0.1)


def test_an_unmeetable_budget_refits_the_fairest(data):
    X, y, sex = data
    scorers = {"dp": make_fairness_scorer("demographic_parity_difference",
                                          sensitive_features="sex")}
    search = _search(scorers)
    search.set_params(refit=budget_refit(constraint="dp", max_value=1e-6))
    with pytest.warns(BudgetNotMetWarning):
        search.fit(X, y, groups=sex)
    assert search.best_index_ == int(np.argmax(search.cv_results_["mean_test_dp"]))


def test_front_and_plot_of_the_search(named):
    front = pareto_front(named.cv_results_, metric="accuracy", constraint="dp")
    assert named.best_index_ in front.index
    assert front["dp"].is_monotonic_increasing
    assert front["accuracy"].is_monotonic_increasing
    ax = plot_pareto_front(named.cv_results_, constraint="dp",
                           chosen=named.best_index_, max_value=MAX_GAP)
    assert ax.get_legend_handles_labels()[1][-1] == f"chosen ({named.best_index_})"


@pytest.mark.slow
def test_a_search_over_budgets_in_constraint_mode(data):
    """GridSearchCV sweeps max_gap, and budget_refit picks among the budgets."""
    from skfairtune import FairTuneClassifier

    X, y, sex = data
    X = StandardScaler().fit_transform(X[["skill", "proxy"]])
    with sklearn.config_context(enable_metadata_routing=True):
        est = FairTuneClassifier(random_state=0, max_epochs=40).set_fit_request(
            sensitive_features=True)
        scoring = {"accuracy": "accuracy",
                   "dp": make_fairness_scorer("demographic_parity_difference")
                   .set_score_request(sensitive_features=True)}
        rule = budget_refit(metric="accuracy", constraint="dp", max_value=0.15)
        search = GridSearchCV(est, {"max_gap": [0.05, 0.15, 0.6]}, scoring=scoring,
                              refit=rule, cv=FairStratifiedKFold(3))
        with warnings.catch_warnings():
            # 400 rows: the folds' slices are too small to certify a budget
            warnings.simplefilter("ignore", BudgetUncertainWarning)
            search.fit(X, y, sensitive_features=sex)
    gaps = -search.cv_results_["mean_test_dp"]
    # a tighter budget gives a smaller gap on the folds' held-out rows
    assert gaps[0] < gaps[2]
    assert search.best_index_ == _by_hand(search.cv_results_, 0.15)
    assert search.best_estimator_.max_gap == search.best_params_["max_gap"]
