"""penalty_path: the warm-started path of penalty strengths and its results."""

import doctest
import warnings

import matplotlib
import numpy as np
import pytest
import sklearn
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skfairtune import FairTuneClassifier
from skfairtune.datasets import load_compas
from skfairtune.metrics import demographic_parity_difference
from skfairtune.model_selection import BudgetNotMetWarning, PenaltyPath, penalty_path

matplotlib.use("Agg")


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    # Small networks: a second thread only contends with other processes.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def compas():
    """COMPAS (race) without the race column: train and validation parts."""
    data = load_compas(race_binary=True, as_frame=True, drop_sensitive=True)
    numeric = data.data.select_dtypes("number").to_numpy(float)
    categories = OneHotEncoder(sparse_output=False).fit_transform(
        data.data.select_dtypes("category"))
    X = StandardScaler().fit_transform(np.hstack([numeric, categories])).astype(np.float32)
    return train_test_split(X, data.target.to_numpy(), data.sensitive.to_numpy(),
                            test_size=0.3, random_state=0,
                            stratify=data.target.astype(str) + data.sensitive.astype(str))


@pytest.fixture(scope="module")
def base(compas):
    X, _, y, _, _, _ = compas
    return FairTuneClassifier(penalty=None, max_epochs=10, random_state=0).fit(X, y)


def _val(compas):
    _, X_val, _, y_val, _, a_val = compas
    return {"X_val": X_val, "y_val": y_val, "sensitive_features_val": a_val}


def _fit_args(compas):
    X, _, y, _, a, _ = compas
    return X, y, a


def test_results_hold_one_row_per_step_with_the_metrics_of_each_model(compas, base):
    X, y, a = _fit_args(compas)
    path = penalty_path(FairTuneClassifier(pretrained=base, random_state=0), [0.0, 1.0, 3.0],
                        X, y, sensitive_features=a, epochs_first=4, epochs_step=2,
                        **_val(compas))
    assert isinstance(path, PenaltyPath) and len(path) == 3
    assert path.results["penalty_strength"].tolist() == [0.0, 1.0, 3.0]
    assert path.results["epochs"].tolist() == [4, 2, 2]
    assert (path.results["fit_time"] > 0).all()
    _, X_val, _, y_val, _, a_val = compas
    for model, (_, row) in zip(path.estimators, path.results.iterrows()):
        pred = model.predict(X_val)
        assert row["accuracy"] == pytest.approx(np.mean(pred == y_val))
        assert row["demographic_parity_difference"] == pytest.approx(
            demographic_parity_difference(y_val, pred, sensitive_features=a_val))
        assert model.penalty_strength == row["penalty_strength"]


def test_the_penalty_narrows_the_validation_gap_along_the_path(compas, base):
    X, y, a = _fit_args(compas)
    path = penalty_path(FairTuneClassifier(pretrained=base, random_state=0), [0.0, 2.0, 8.0],
                        X, y, sensitive_features=a, epochs_first=3, epochs_step=3,
                        **_val(compas))
    gaps = path.results["demographic_parity_difference"].to_numpy()
    assert gaps[0] > 0.15  # COMPAS's gap between races, unpenalised
    assert gaps[-1] < gaps[0] / 2


def test_each_step_starts_from_the_previous_steps_weights(compas, base):
    X, y, a = _fit_args(compas)
    # Zero epochs per later step: each model is exactly where the last ended.
    path = penalty_path(FairTuneClassifier(pretrained=base, random_state=0), [0.5, 1.0, 2.0],
                        X, y, sensitive_features=a, epochs_first=3, epochs_step=0)
    first = path.estimators[0].decision_function(X)
    for model in path.estimators[1:]:
        np.testing.assert_array_equal(model.decision_function(X), first)
    assert not np.array_equal(first, base.decision_function(X))


def test_the_kept_models_do_not_change_as_the_path_goes_on(compas, base):
    X, y, a = _fit_args(compas)
    estimator = FairTuneClassifier(pretrained=base, random_state=0, max_epochs=3)
    path = penalty_path(estimator, [0.5, 4.0], X, y, sensitive_features=a)
    alone = FairTuneClassifier(pretrained=base, random_state=0, max_epochs=3,
                               penalty_strength=0.5).fit(X, y, sensitive_features=a)
    np.testing.assert_array_equal(path.estimators[0].decision_function(X),
                                  alone.decision_function(X))
    assert not np.array_equal(path.estimators[1].decision_function(X),
                              alone.decision_function(X))
    assert estimator.warm_start is False and not hasattr(estimator, "net_")


def test_without_warm_start_every_step_is_an_independent_fit(compas, base):
    X, y, a = _fit_args(compas)
    path = penalty_path(FairTuneClassifier(pretrained=base, random_state=0), [0.5, 2.0],
                        X, y, sensitive_features=a, epochs_first=3, epochs_step=1,
                        warm_start=False)
    assert path.results["epochs"].tolist() == [3, 3]
    alone = FairTuneClassifier(pretrained=base, random_state=0, max_epochs=3,
                               penalty_strength=2.0).fit(X, y, sensitive_features=a)
    np.testing.assert_array_equal(path.estimators[1].decision_function(X),
                                  alone.decision_function(X))


@pytest.mark.parametrize("routing", [False, True])
def test_a_pipeline_ending_in_the_estimator(compas, routing):
    X, y, a = _fit_args(compas)
    clf = FairTuneClassifier(random_state=0)
    with sklearn.config_context(enable_metadata_routing=routing):
        if routing:
            clf.set_fit_request(sensitive_features=True)
        pipe = make_pipeline(StandardScaler(), clf)
        path = penalty_path(pipe, [0.0, 3.0], X, y, sensitive_features=a,
                            epochs_first=3, epochs_step=2, **_val(compas))
    assert path.results["epochs"].tolist() == [3, 2]
    assert path.estimators[1][-1].penalty_strength == 3.0
    gaps = path.results["demographic_parity_difference"]
    assert gaps[1] < gaps[0]


def test_a_path_of_budgets_in_constraint_mode(compas, base):
    X, y, a = _fit_args(compas)
    path = penalty_path(FairTuneClassifier(pretrained=base, random_state=0, multiplier_lr=0.5),
                        [0.2, 0.1, 0.05], X, y, sensitive_features=a, param="max_gap",
                        epochs_first=3, epochs_step=2, **_val(compas))
    assert path.results["max_gap"].tolist() == [0.2, 0.1, 0.05]
    assert [m.max_gap for m in path.estimators] == [0.2, 0.1, 0.05]


def test_front_best_and_plot_read_the_results(compas, base):
    X, y, a = _fit_args(compas)
    path = penalty_path(FairTuneClassifier(pretrained=base, random_state=0),
                        [0.0, 1.0, 4.0, 16.0], X, y, sensitive_features=a, epochs_first=2,
                        **_val(compas))
    res = path.results
    front = path.front()
    assert front["demographic_parity_difference"].is_monotonic_increasing
    assert res.loc[front.index[-1], "accuracy"] == res["accuracy"].max()
    budget = float(res["demographic_parity_difference"].median())
    within = res[res["demographic_parity_difference"] <= budget]
    assert path.best(budget) is path.estimators[within["accuracy"].idxmax()]
    assert path.best(0.5, constraint="equalized_odds_difference") is path.estimators[
        res["accuracy"].idxmax()]
    with pytest.warns(BudgetNotMetWarning):
        path.best(0.0)
    assert path.plot().get_xlabel().startswith("demographic_parity_difference")


def test_custom_metrics(compas, base):
    X, y, a = _fit_args(compas)
    path = penalty_path(FairTuneClassifier(pretrained=base, random_state=0), [1.0], X, y,
                        sensitive_features=a, epochs_first=1,
                        metrics={"positive_rate": lambda t, p, *, sensitive_features: p.mean()})
    assert path.results.columns.tolist() == [
        "penalty_strength", "epochs", "fit_time", "positive_rate"]
    path = penalty_path(FairTuneClassifier(pretrained=base, random_state=0), [1.0], X, y,
                        sensitive_features=a, epochs_first=1,
                        metrics=["balanced_accuracy", "worst_group_accuracy"])
    assert 0.5 < path.results["worst_group_accuracy"][0] <= path.results[
        "balanced_accuracy"][0] + 0.1


@pytest.mark.parametrize("kwargs, message", [
    ({"strengths": []}, "non-empty"),
    ({"strengths": [0.1, -1.0]}, "non-negative"),
    ({"strengths": [0.1, np.nan]}, "non-negative"),
    ({"X_val": np.zeros((2, 13))}, "go together"),
    ({"metrics": ["accurate"]}, "Unknown metric 'accurate'"),
    ({"epochs_first": -1}, "epochs_first"),
    ({"epochs_step": 1.5}, "epochs_step"),
    ({"estimator": LogisticRegression()},
     r"\['penalty_strength', 'pretrained'\].*LogisticRegression"),
    ({"param": "strength"}, r"\['strength'\]"),
    ({"estimator": "junk"}, r"needs an estimator, .*; got str 'junk'"),
])
def test_errors(kwargs, message):
    X, y, a = np.zeros((4, 13)), np.array([0, 1, 0, 1]), np.array([0, 0, 1, 1])
    args = {"estimator": FairTuneClassifier(), "strengths": [1.0], **kwargs}
    with pytest.raises(ValueError, match=message):
        penalty_path(args.pop("estimator"), args.pop("strengths"), X, y,
                     sensitive_features=a, **args)


def test_descending_strengths_warn_but_budgets_do_not(compas, base):
    X, y, a = _fit_args(compas)
    estimator = FairTuneClassifier(pretrained=base, random_state=0)
    with pytest.warns(UserWarning, match="not ascending"):
        penalty_path(estimator, [1.0, 0.5], X, y, sensitive_features=a, epochs_first=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        penalty_path(estimator, [0.1, 0.05], X, y, sensitive_features=a,
                     param="max_gap", epochs_first=0)


def test_user_guide_examples_run():
    from pathlib import Path

    guide = Path(__file__).resolve().parents[2] / "docs" / "guide" / "penalty_path.rst"
    result = doctest.testfile(str(guide), module_relative=False,
                              optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_a_path_of_budgets_in_constraint_mode_keeps_each_budget():
    # Sweeping budgets (not strengths) from one warm-started network: each
    # step keeps its epoch within its budget on its validation slice, and the
    # gap on new rows follows, within the sampling noise of both: two standard
    # errors of the difference between the slice's gap and the new rows' (a
    # gap between two groups of m rows has a standard error of at most
    # sqrt(0.5 / m); the groups hold about 1500 rows each).
    from tests.estimators.conftest import dp_gap, make_biased

    (X, y, group), (X_new, y_new, group_new) = make_biased(3000, 0), make_biased(3000, 1)
    budgets = [0.2, 0.1, 0.05, 0.02]
    path = penalty_path(FairTuneClassifier(penalty_strength=0, lr=0.01, random_state=0),
                        budgets, X, y, sensitive_features=group, X_val=X_new, y_val=y_new,
                        sensitive_features_val=group_new, param="max_gap", epochs_step=10)
    for budget, model in zip(budgets, path.estimators):
        assert model.budget_met_ and model.validation_gap_ <= budget
        slice_rows = 1500 * model.validation_fraction_
        noise = 2 * np.sqrt(0.5 / slice_rows + 0.5 / 1500)
        assert dp_gap(model.predict(X_new), group_new) <= budget + noise
    assert path.results["demographic_parity_difference"].iloc[-1] < (
        path.results["demographic_parity_difference"].iloc[0])
    # With validation_fraction="auto" every step holds out the slice the
    # tightest budget needs: a step's own size would give it a slice holding
    # rows the step before it trained on.
    assert len({model.validation_fraction_ for model in path.estimators}) == 1
    assert {model.validation_fraction for model in path.estimators} == {
        path.estimators[0].validation_fraction_}
