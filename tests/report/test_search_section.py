"""The report's model-selection section: the bound the budget was applied to, the flags."""

import warnings

import numpy as np
import pandas as pd
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from skfairtune.metrics import make_degeneracy_scorer, make_fairness_scorer
from skfairtune.model_selection import FairStratifiedKFold, budget_refit
from skfairtune.report import model_report


def test_the_report_shows_the_confidence_bound_and_the_degenerate_flag():
    rng = np.random.default_rng(0)
    n = 400
    sex = rng.choice(["f", "m"], n)
    X = pd.DataFrame({"x": rng.normal(size=n), "m": (sex == "m") * 1.0})
    y = (X["x"] + X["m"] + rng.normal(size=n) > 0.6).astype(int)
    scoring = {"accuracy": "accuracy",
               "dp": make_fairness_scorer("demographic_parity_difference"),
               "degenerate": make_degeneracy_scorer()}
    rule = budget_refit(constraint="dp", max_value=0.5, confidence=0.9)
    with sklearn.config_context(enable_metadata_routing=True), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for scorer in ("dp", "degenerate"):
            scoring[scorer].set_score_request(sensitive_features=True)
        search = GridSearchCV(LogisticRegression(), {"C": [1e-6, 1.0]}, scoring=scoring,
                              refit=rule, cv=FairStratifiedKFold(3)).fit(
            X, y, sensitive_features=sex)
    report = model_report(search, X, y, sensitive_features=sex)
    text = report.to_markdown()
    assert "dp 90% bound" in text
    assert "the budget was applied to it, not to the mean" in text
    assert "degenerate" in text and "the rule passed it over" in text
    bounds = rule.gaps(search.cv_results_)
    assert search.cv_results_["mean_test_degenerate"].tolist() == [1.0, 0.0]
    assert search.best_index_ == 1 and bounds[1] >= -search.cv_results_["mean_test_dp"][1]


def test_the_report_says_when_no_candidate_met_the_budget():
    rng = np.random.default_rng(1)
    n = 300
    sex = rng.choice(["f", "m"], n)
    X = pd.DataFrame({"x": rng.normal(size=n) + (sex == "m")})
    y = (X["x"] + rng.normal(size=n) > 0.6).astype(int)
    scoring = {"accuracy": "accuracy",
               "dp": make_fairness_scorer("demographic_parity_difference")}
    with sklearn.config_context(enable_metadata_routing=True), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scoring["dp"].set_score_request(sensitive_features=True)
        search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, scoring=scoring,
                              refit=budget_refit(constraint="dp", max_value=0.0),
                              cv=FairStratifiedKFold(3)).fit(X, y, sensitive_features=sex)
    text = model_report(search, X, y, sensitive_features=sex).to_markdown()
    assert "No candidate has dp at most 0" in text
    assert "among those with dp at most" not in text


def _searched(scoring: dict, constraint: str, max_value: float = 0.3):
    """A routed search of a logistic regression, chosen by budget_refit."""
    rng = np.random.default_rng(2)
    sex = rng.choice(["f", "m"], 300)
    X = pd.DataFrame({"x": rng.normal(size=300) + (sex == "m")})
    y = (X["x"] + rng.normal(size=300) > 0.6).astype(int)
    with sklearn.config_context(enable_metadata_routing=True), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for scorer in scoring.values():
            if not isinstance(scorer, str):
                scorer.set_score_request(sensitive_features=True)
        search = GridSearchCV(LogisticRegression(), {"C": [0.001, 1.0]},
                              scoring={"accuracy": "accuracy", **scoring},
                              refit=budget_refit(metric="accuracy", constraint=constraint,
                                                 max_value=max_value),
                              cv=FairStratifiedKFold(3)).fit(X, y, sensitive_features=sex)
    return search, X, y, sex


def test_the_budget_is_read_from_the_refit_rule_whatever_the_scorers_key():
    # The guide's recipe: scoring={"accuracy": ..., "dp": make_fairness_scorer(...)}.
    search, X, y, sex = _searched(
        {"dp": make_fairness_scorer("demographic_parity_difference"),
         "eo": make_fairness_scorer("equalized_odds_difference")}, "dp")
    report = model_report(search, X, y, sensitive_features=sex)
    assert (report.notion, report.budget) == ("demographic_parity", 0.3)
    assert report.verdict in ("within", "over", "uncertain")
    assert report.card["Budget"].startswith("0.3 on the demographic parity gap")
    # The notion given must be the constraint's: a budget on DP says nothing of EO.
    other = model_report(search, X, y, sensitive_features=sex, notion="equalized_odds")
    assert other.budget is None and other.verdict is None


def test_the_constraints_notion_is_its_scorers_not_the_estimators_penalty():
    search, X, y, sex = _searched(
        {"fair": make_fairness_scorer("equalized_odds_difference")}, "fair", 0.4)
    report = model_report(search, X, y, sensitive_features=sex)
    assert (report.notion, report.budget) == ("equalized_odds", 0.4)
    # A scorer of no notion's gap (the key names none either): no budget to hold to.
    search, X, y, sex = _searched({"wga": make_fairness_scorer("worst_group_accuracy")},
                                  "wga", 0.4)
    report = model_report(search, X, y, sensitive_features=sex)
    assert report.budget is None and report.verdict is None


def test_the_pareto_plot_draws_degenerate_candidates_apart_and_off_the_front():
    rng = np.random.default_rng(0)
    sex = rng.choice(["f", "m"], 400)
    X = pd.DataFrame({"x": rng.normal(size=400), "m": (sex == "m") * 1.0})
    y = (X["x"] + X["m"] + rng.normal(size=400) > 0.6).astype(int)
    scoring = {"accuracy": "accuracy",
               "dp": make_fairness_scorer("demographic_parity_difference"),
               "degenerate": make_degeneracy_scorer()}
    with sklearn.config_context(enable_metadata_routing=True), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for scorer in ("dp", "degenerate"):
            scoring[scorer].set_score_request(sensitive_features=True)
        # C=1e-6 predicts the majority class for everyone: a gap of 0, degenerate.
        search = GridSearchCV(LogisticRegression(), {"C": [1e-6, 0.01, 1.0]},
                              scoring=scoring, cv=FairStratifiedKFold(3),
                              refit=budget_refit(constraint="dp", max_value=0.5)).fit(
            X, y, sensitive_features=sex)
    assert search.cv_results_["mean_test_degenerate"].tolist()[0] > 0
    section = next(s for s in model_report(search, X, y, sensitive_features=sex)
                   .document().sections if s.heading == "Model selection")
    ax = section.plots[0].figure.axes[0]
    dp = -search.cv_results_["mean_test_dp"]
    handles, labels = ax.get_legend_handles_labels()
    hollow = handles[labels.index("degenerate (not on the front)")]
    np.testing.assert_allclose(hollow.get_offsets()[:, 0], dp[:1])
    assert (hollow.get_facecolors()[:, 3] == 0).all()  # no fill
    front = handles[labels.index("Pareto front")]
    assert dp[0] not in front.get_xdata() and len(front.get_xdata()) >= 1
    ordinary = handles[labels.index("candidates")]
    assert dp[0] not in ordinary.get_offsets()[:, 0]


def test_the_report_names_the_degenerate_candidates_that_met_the_budget():
    # C=1e-6 predicts one class (gap 0, within any budget) and is passed over;
    # C=1 is over the budget: no candidate *that is not degenerate* met it.
    rng = np.random.default_rng(0)
    sex = rng.choice(["f", "m"], 400)
    X = pd.DataFrame({"x": rng.normal(size=400), "m": (sex == "m") * 1.0})
    y = (X["x"] + X["m"] + rng.normal(size=400) > 0.6).astype(int)
    scoring = {"accuracy": "accuracy",
               "dp": make_fairness_scorer("demographic_parity_difference"),
               "degenerate": make_degeneracy_scorer()}
    with sklearn.config_context(enable_metadata_routing=True), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for scorer in ("dp", "degenerate"):
            scoring[scorer].set_score_request(sensitive_features=True)
        search = GridSearchCV(LogisticRegression(), {"C": [1e-6, 1.0]}, scoring=scoring,
                              refit=budget_refit(constraint="dp", max_value=0.01),
                              cv=FairStratifiedKFold(3)).fit(X, y, sensitive_features=sex)
    assert search.best_index_ == 1
    text = " ".join(model_report(search, X, y, sensitive_features=sex,
                                 n_boot=None).to_markdown().split())
    assert "No candidate that is not degenerate has dp at most 0.01" in text
    assert ("1 degenerate candidate (0) met it and was passed over; "
            "budget_refit(allow_degenerate=True)") in text
