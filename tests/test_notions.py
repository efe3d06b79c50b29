"""The registry of notions: every part derives from it, and predictive parity,
added through it alone, works end to end."""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from fairlearn.metrics import MetricFrame, demographic_parity_difference
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_score
from sklearn.model_selection import GridSearchCV

import skfairtune.metrics as metrics
from skfairtune import FairTuneClassifier, notions
from skfairtune.metrics._derived import GENERATED_METRICS
from skfairtune.metrics._gaps import GAP_METRICS
from skfairtune.penalties import PENALTIES, NotionPenalty, PredictiveParity, get_penalty

# -- one registry ---------------------------------------------------------------


def test_the_penalties_are_the_registry():
    assert sorted(PENALTIES) == notions.penalty_names()
    for name in notions.NOTIONS:
        penalty = get_penalty(name)
        assert isinstance(penalty, NotionPenalty) and penalty.name == name
        assert penalty.tasks == notions.NOTIONS[name].tasks
    # The common notions have classes of their own, and the names give them.
    assert type(get_penalty("equalized_odds")).__name__ == "EqualizedOdds"
    assert isinstance(get_penalty("predictive_parity"), PredictiveParity)


def test_the_gap_metrics_are_the_registry():
    expected = {n.metric_name(kind, task) for n in notions.NOTIONS.values()
                for task in n.tasks for kind in notions.KINDS}
    assert set(GAP_METRICS) == expected
    # fairlearn's generated metrics (selection_rate_difference, ...) are made
    # by make_derived_metric, not from the registry.
    gaps_exported = {name for name in metrics.__all__
                     if name.endswith(("_difference", "_ratio"))} - set(GENERATED_METRICS)
    assert gaps_exported == expected
    for name, function in GAP_METRICS.items():
        assert getattr(metrics, name) is function
        assert metrics.FAIRNESS_METRICS[name] == (function, name.endswith("_ratio"))


def test_the_command_line_and_the_monitor_read_the_registry():
    from skfairtune.callbacks import _DEFAULT_METRICS
    from skfairtune.cli._common import GAP_NAMES, PENALTY_NAMES

    assert list(PENALTY_NAMES) == notions.penalty_names("classification")
    differences = [n.metric_name() for n in notions.NOTIONS.values()]
    assert set(differences) < set(GAP_NAMES)
    assert GAP_NAMES["predictive_parity_difference"] == "PP gap"
    assert list(_DEFAULT_METRICS["classification"]) == differences
    assert _DEFAULT_METRICS["regression"] == ("mean_prediction_difference",)


def test_the_report_has_a_row_for_every_notion():
    rng = np.random.default_rng(0)
    y, p, g = rng.integers(0, 2, 200), rng.integers(0, 2, 200), rng.integers(0, 3, 200)
    fairness = metrics.group_report(y, p, sensitive_features=g).attrs["fairness"]
    for notion in notions.NOTIONS.values():
        for kind in notions.KINDS:
            name = notion.metric_name(kind)
            assert fairness.loc[name, "value"] == pytest.approx(
                GAP_METRICS[name](y, p, sensitive_features=g))


def test_budget_metric_and_labels():
    assert notions.budget_metric("predictive_parity") == "predictive_parity_difference"
    assert notions.budget_metric("demographic_parity", "regression") == (
        "mean_prediction_difference")
    assert notions.budget_metric("bounded_group_loss", "regression") == (
        "worst_group_mean_squared_error")
    assert notions.metric_label("mean_prediction_difference") == "DP gap"
    assert notions.metric_label("equalized_odds_ratio") == "EO ratio"
    assert notions.metric_label("something_else") == "something_else"
    with pytest.raises(ValueError, match="the notions are"):
        notions.get_notion("demographic-parity")


# -- predictive parity, against a direct computation -------------------------------------

@st.composite
def labelled(draw):
    n_groups = draw(st.integers(2, 4))
    n = draw(st.integers(4 * n_groups, 60))
    ints = st.integers(0, 1)
    groups = np.array(draw(st.lists(st.integers(0, n_groups - 1), min_size=n, max_size=n)))
    y = np.array(draw(st.lists(ints, min_size=n, max_size=n)))
    pred = np.array(draw(st.lists(ints, min_size=n, max_size=n)))
    weight = np.array(draw(st.lists(st.integers(1, 4), min_size=n, max_size=n)), float)
    # Every group predicts a positive at least once, so every precision is defined.
    for k in range(n_groups):
        groups[2 * k], pred[2 * k] = k, 1
    return y, pred, groups, weight


@settings(max_examples=60, deadline=None)
@given(labelled())
def test_predictive_parity_is_the_precision_gap(data):
    y, pred, groups, weight = data
    frame = MetricFrame(metrics=precision_score, y_true=y, y_pred=pred,
                        sensitive_features=groups,
                        sample_params={"sample_weight": weight})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn on a group without positive labels
        difference, ratio = frame.difference(), frame.ratio()
    assert metrics.predictive_parity_difference(
        y, pred, sensitive_features=groups, sample_weight=weight) == pytest.approx(difference)
    assert metrics.predictive_parity_ratio(
        y, pred, sensitive_features=groups, sample_weight=weight) == pytest.approx(
            ratio, nan_ok=True)
    # The penalty on hard predictions is the same number.
    scores = torch.nn.functional.one_hot(torch.as_tensor(pred), 2).double()
    value = PredictiveParity()(scores=scores, y=torch.as_tensor(y),
                               groups=torch.as_tensor(groups),
                               weight=torch.as_tensor(weight), n_groups=len(set(groups)),
                               losses=None, task="classification")
    assert float(value) == pytest.approx(difference)


def test_a_group_without_positive_predictions_is_left_out_with_a_warning():
    y, pred = [1, 0, 1, 1, 1, 1], [1, 1, 0, 0, 1, 1]
    groups = ["a", "a", "b", "b", "c", "c"]
    with pytest.warns(metrics.UndefinedGroupWarning, match=r"precision .*\['b'\]"):
        gap = metrics.predictive_parity_difference(y, pred, sensitive_features=groups)
    assert gap == pytest.approx(0.5)  # a: 1/2, c: 2/2, and b left out
    by_group = metrics.precision_by_group(y, pred, sensitive_features=groups)
    assert np.isnan(by_group["b"])


def test_predictive_parity_scorer_in_grid_search():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=300), "sex": rng.integers(0, 2, 300)})
    y = ((X["x"] + X["sex"] + rng.normal(size=300)) > 0.5).astype(int)
    scorer = metrics.make_fairness_scorer("predictive_parity_difference",
                                          sensitive_features="sex")
    search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=3,
                          scoring={"accuracy": "accuracy", "pp": scorer}, refit="accuracy")
    search.fit(X, y)
    scores = search.cv_results_["mean_test_pp"]
    assert np.all(scores <= 0) and np.all(np.isfinite(scores))
    fitted = search.best_estimator_
    assert scorer(fitted, X, y) == pytest.approx(
        -metrics.predictive_parity_difference(y, fitted.predict(X),
                                              sensitive_features=X["sex"]))


def test_predictive_parity_penalty_narrows_the_precision_gap():
    # Group 1 has fewer positives and the network does not see the group:
    # with one threshold for both, its positive predictions are right less
    # often. The penalty closes that precision gap.
    rng = np.random.default_rng(0)
    n = 2000
    group = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 2))
    y = ((X[:, 0] + 0.8 * rng.normal(size=n)) > group).astype(int)
    gaps = {}
    for strength in (0.0, 5.0):
        est = FairTuneClassifier(penalty="predictive_parity", penalty_strength=strength,
                                 max_epochs=30, random_state=0)
        est.fit(X, y, sensitive_features=group)
        gaps[strength] = metrics.predictive_parity_difference(
            y, est.predict(X), sensitive_features=group)
    assert gaps[0.0] > 0.2
    assert gaps[5.0] < gaps[0.0] / 2


# -- multiclass: the one-vs-rest gap that the penalty narrows -------------------------------

def test_one_vs_rest_gap_is_the_worst_class():
    rng = np.random.default_rng(1)
    y, pred, groups = rng.integers(0, 3, 300), rng.integers(0, 3, 300), rng.integers(0, 2, 300)
    expected = max(demographic_parity_difference(y == k, pred == k, sensitive_features=groups)
                   for k in range(3))
    assert metrics.demographic_parity_difference(
        y, pred, sensitive_features=groups, multiclass="one_vs_rest") == pytest.approx(expected)
    with pytest.raises(ValueError, match="must be binary"):
        metrics.demographic_parity_difference(y, pred, sensitive_features=groups)
    with pytest.raises(ValueError, match="multiclass must be one of"):
        metrics.demographic_parity_difference(y, pred, sensitive_features=groups,
                                              multiclass="ovr")


def test_one_vs_rest_metric_equals_the_penalty_on_hard_predictions():
    rng = np.random.default_rng(2)
    y, pred, groups = rng.integers(0, 3, 200), rng.integers(0, 3, 200), rng.integers(0, 3, 200)
    scores = torch.nn.functional.one_hot(torch.as_tensor(pred), 3).double()
    for name in ("demographic_parity", "equalized_odds", "predictive_parity"):
        value = get_penalty(name)(scores=scores, y=torch.as_tensor(y),
                                  groups=torch.as_tensor(groups),
                                  weight=torch.ones(200, dtype=torch.float64), n_groups=3,
                                  losses=None, task="classification")
        metric = GAP_METRICS[f"{name}_difference"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", metrics.UndefinedGroupWarning)
            assert float(value) == pytest.approx(
                metric(y, pred, sensitive_features=groups, multiclass="one_vs_rest"))


# -- the command line --------------------------------------------------------------------------

def test_tune_with_the_predictive_parity_penalty(tmp_path, capsys):
    from skfairtune.cli import main
    from tests.cli.conftest import QUICK, make_frame

    data = tmp_path / "hiring.csv"
    make_frame().to_csv(data, index=False)
    code = main(["tune", str(data), "--target", "hired", "--sensitive", "sex",
                 "--pos-label", "yes", "--penalty", "predictive_parity", "--budget", "1",
                 "--out", str(tmp_path / "out"), "--no-progress", *QUICK])
    out = capsys.readouterr().out
    assert code == 0
    assert "PP gap" in out
    results = pd.read_csv(tmp_path / "out" / "results.csv")
    assert {"cv_pp_gap", "test_pp_gap"} <= set(results.columns)
