"""Fairness scorers: sign, the attribute from X or from routing, errors."""

import pickle

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_validate

from skfairtune.metrics import (
    demographic_parity_difference,
    equalized_odds_difference,
    make_fairness_scorer,
    make_tradeoff_scorer,
    worst_group_accuracy,
)


@pytest.fixture
def fitted():
    rng = np.random.default_rng(0)
    n = 300
    X = pd.DataFrame({"x": rng.normal(size=n), "sex": rng.choice(["f", "m"], n),
                      "race": rng.choice(["a", "b"], n)})
    y = (X["x"] + (X["sex"] == "m") + rng.normal(size=n) > 0.5).astype(int)
    clf = LogisticRegression().fit(X[["x"]].assign(m=(X["sex"] == "m") * 1.0), y)
    model = _Columns(clf)
    return model, X, y


class _Columns:
    """A fitted model that builds its own features from the raw frame."""

    _estimator_type = "classifier"

    def __init__(self, clf):
        self.clf = clf
        self.classes_ = clf.classes_

    def predict(self, X):
        return self.clf.predict(X[["x"]].assign(m=(X["sex"] == "m") * 1.0))

    def __sklearn_tags__(self):
        return self.clf.__sklearn_tags__()


def test_gap_scorer_stores_the_negated_gap(fitted):
    model, X, y = fitted
    gap = demographic_parity_difference(y, model.predict(X),
                                        sensitive_features=X["sex"])
    scorer = make_fairness_scorer("demographic_parity_difference",
                                  sensitive_features="sex")
    assert scorer(model, X, y) == pytest.approx(-gap) and gap > 0


def test_greater_is_better_metrics_keep_their_sign(fitted):
    model, X, y = fitted
    scorer = make_fairness_scorer("worst_group_accuracy", sensitive_features="sex")
    assert scorer(model, X, y) == pytest.approx(
        worst_group_accuracy(y, model.predict(X), sensitive_features=X["sex"]))


def test_several_columns_make_intersectional_groups(fitted):
    model, X, y = fitted
    scorer = make_fairness_scorer("equalized_odds_difference",
                                  sensitive_features=["sex", "race"], agg="mean")
    expected = equalized_odds_difference(y, model.predict(X), agg="mean",
                                         sensitive_features=X[["sex", "race"]])
    assert scorer(model, X, y) == pytest.approx(-expected)


def test_missing_column_is_named_with_the_available_ones(fitted):
    model, X, y = fitted
    scorer = make_fairness_scorer("demographic_parity_difference",
                                  sensitive_features="gender")
    available = r"column\(s\) \['gender'\] that X does not have.*\['x', 'sex', 'race'\]"
    with pytest.raises(ValueError, match=available):
        scorer(model, X, y)


def test_array_X_cannot_name_a_column(fitted):
    model, X, y = fitted
    scorer = make_fairness_scorer("demographic_parity_difference",
                                  sensitive_features="sex")
    with pytest.raises(ValueError, match="got a ndarray without column names"):
        scorer(DummyClassifier().fit(X[["x"]], y), X[["x"]].to_numpy(), y)


def test_no_attribute_at_all_says_how_to_give_one(fitted):
    model, X, y = fitted
    scorer = make_fairness_scorer("demographic_parity_difference")
    message = "got no sensitive features.*set_score_request"
    with pytest.raises(ValueError, match=message):
        scorer(model, X, y)


def test_routed_attribute_reaches_the_scorer(fitted):
    _, X, y = fitted
    clf = LogisticRegression()
    with sklearn.config_context(enable_metadata_routing=True):
        scorer = make_fairness_scorer("demographic_parity_difference")
        scorer.set_score_request(sensitive_features=True)
        result = cross_validate(clf, X[["x"]], y, cv=3, params={
            "sensitive_features": X["sex"].to_numpy()},
            scoring={"accuracy": "accuracy", "dp": scorer})
    assert (result["test_dp"] <= 0).all() and (result["test_dp"] < 0).any()


def test_custom_metric_needs_its_direction(fitted):
    model, X, y = fitted

    def gap(y_true, y_pred, *, sensitive_features, sample_weight=None):
        return 0.25

    with pytest.raises(ValueError, match="greater_is_better must be given"):
        make_fairness_scorer(gap, sensitive_features="sex")
    scorer = make_fairness_scorer(gap, greater_is_better=False,
                                  sensitive_features="sex")
    assert scorer(model, X, y) == -0.25


@pytest.mark.parametrize("call, error, message", [
    (lambda: make_fairness_scorer("fairness"), ValueError, "Unknown fairness metric"),
    (lambda: make_fairness_scorer("demographic_parity_difference", agg="mean"),
     TypeError, r"does not take \['agg'\]"),
    (lambda: make_fairness_scorer("demographic_parity_difference",
                                  sensitive_features=np.zeros(3)),
     ValueError, "sensitive_features must be a column name of X.*or None"),
    (lambda: make_tradeoff_scorer(constraint="demographic_parity_ratio"),
     ValueError, "constraint must be a gap"),
    (lambda: make_tradeoff_scorer(metric="log_loss"), ValueError, "metric must be"),
    (lambda: make_tradeoff_scorer(weight=-1), ValueError, "weight must be"),
])
def test_scorer_factories_check_their_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_tradeoff_is_accuracy_less_the_priced_gap(fitted):
    model, X, y = fitted
    pred = model.predict(X)
    gap = demographic_parity_difference(y, pred, sensitive_features=X["sex"])
    scorer = make_tradeoff_scorer(weight=2.0, sensitive_features="sex")
    assert scorer(model, X, y) == pytest.approx(np.mean(pred == y) - 2.0 * gap)


def test_scorers_pickle_and_print(fitted):
    model, X, y = fitted
    scorer = make_fairness_scorer("demographic_parity_difference",
                                  sensitive_features="sex")
    again = pickle.loads(pickle.dumps(scorer))
    assert again(model, X, y) == scorer(model, X, y)
    assert "sensitive_features='sex'" in repr(scorer)
    assert "greater_is_better=False" in repr(scorer)


@pytest.mark.parametrize("labels", [("No", "Yes"), (1, 2)])
def test_scorers_take_the_positive_class_from_the_estimator(labels):
    """String (or {1, 2}) labels score like 0/1 labels, with the last class positive."""
    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(1)
    n = 300
    X = pd.DataFrame({"x": rng.normal(size=n), "sex": rng.choice(["f", "m"], n)})
    hit = X["x"] + (X["sex"] == "m") + rng.normal(size=n) > 0.5
    y = np.where(hit, labels[1], labels[0])
    model = make_pipeline(make_column_transformer((OneHotEncoder(), ["sex"]),
                                                  remainder="passthrough"),
                          LogisticRegression()).fit(X, y)
    hard = (model.predict(X) == labels[1]).astype(int)
    expected = {
        "demographic_parity_difference": demographic_parity_difference(
            hit.astype(int), hard, sensitive_features=X["sex"]),
        "equalized_odds_difference": equalized_odds_difference(
            hit.astype(int), hard, sensitive_features=X["sex"]),
    }
    for name, gap in expected.items():
        score = make_fairness_scorer(name, sensitive_features="sex")(model, X, y)
        assert score == pytest.approx(-gap) and gap > 0.01
    tradeoff = make_tradeoff_scorer(metric="f1", sensitive_features="sex")(model, X, y)
    assert np.isfinite(tradeoff)
