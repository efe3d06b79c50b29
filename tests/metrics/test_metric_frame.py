"""MetricFrame against fairlearn's MetricFrame, the oracle."""

import warnings

import fairlearn.metrics as flm
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    precision_score,
    recall_score,
)

from skfairtune.metrics import MetricFrame, _metric_frame

# fairlearn's frame takes ~0.3 s per example with eleven metrics: few here,
# many in the slow run.
SETTINGS = settings(max_examples=8, deadline=None)
MANY = settings(max_examples=80, deadline=None)

# Every metric the fast path knows, and two that it does not.
FAST = {
    "accuracy": accuracy_score, "recall": recall_score, "precision": precision_score,
    "selection_rate": flm.selection_rate, "tpr": flm.true_positive_rate,
    "fpr": flm.false_positive_rate, "tnr": flm.true_negative_rate,
    "fnr": flm.false_negative_rate, "mean_prediction": flm.mean_prediction,
}
SLOW = {"f1": f1_score, "balanced_accuracy": balanced_accuracy_score}


@st.composite
def frame_data(draw):
    """0/1 labels and predictions, 1 to 3 sensitive columns, optional weights.

    Small groups often lack a class or a prediction, so the undefined cases
    (recall without positives, fairlearn's per-group positive label) come up.
    """
    n = draw(st.integers(1, 40))
    ints = st.lists(st.integers(0, 1), min_size=n, max_size=n)
    y, p = np.array(draw(ints)), np.array(draw(ints))
    n_columns = draw(st.integers(1, 3))
    sf = pd.DataFrame({f"s{j}": draw(st.lists(st.sampled_from("abc"[: 2 + j % 2]),
                                              min_size=n, max_size=n))
                       for j in range(n_columns)})
    w = None
    if draw(st.booleans()):
        w = np.array(draw(st.lists(st.floats(0.1, 5.0), min_size=n, max_size=n)))
    return y, p, sf, w


def both(metrics, y, p, sf, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = MetricFrame(metrics=metrics, y_true=y, y_pred=p, sensitive_features=sf, **kw)
        theirs = flm.MetricFrame(metrics=metrics, y_true=y, y_pred=p,
                                 sensitive_features=sf, **kw)
    return ours, theirs


def assert_same(ours, theirs):
    """Every result of the two frames agrees (values, index, names)."""
    check = (pd.testing.assert_frame_equal if isinstance(theirs.by_group, pd.DataFrame)
             else pd.testing.assert_series_equal)
    check(ours.by_group, theirs.by_group, check_dtype=False, rtol=1e-12, atol=1e-12)
    for method in ("between_groups", "to_overall"):
        for name in ("difference", "ratio"):
            np.testing.assert_allclose(getattr(ours, name)(method),
                                       getattr(theirs, name)(method), atol=1e-12)
    for name in ("group_min", "group_max"):
        np.testing.assert_allclose(getattr(ours, name)(), getattr(theirs, name)(),
                                   atol=1e-12)
    np.testing.assert_allclose(ours.overall, theirs.overall, atol=1e-12)


def check_dict_of_metrics(data):
    y, p, sf, w = data
    metrics = {**FAST, **SLOW}
    params = None if w is None else {name: {"sample_weight": w} for name in metrics}
    ours, theirs = both(metrics, y, p, sf, sample_params=params)
    assert_same(ours, theirs)


@SETTINGS
@given(data=frame_data())
def test_dict_of_metrics_equals_fairlearn(data):
    check_dict_of_metrics(data)


@pytest.mark.slow
@MANY
@given(data=frame_data())
def test_dict_of_metrics_equals_fairlearn_many_cases(data):
    check_dict_of_metrics(data)


@settings(max_examples=20, deadline=None)
@given(data=frame_data(), name=st.sampled_from(sorted(FAST)))
def test_single_callable_equals_fairlearn(data, name):
    y, p, sf, w = data
    params = None if w is None else {"sample_weight": w}
    ours, theirs = both(FAST[name], y, p, sf.iloc[:, 0], sample_params=params)
    assert isinstance(ours.by_group, pd.Series)
    assert ours.by_group.name == theirs.by_group.name
    assert_same(ours, theirs)


def test_several_sensitive_columns_index_every_combination():
    y = np.array([1, 0, 1, 1, 0, 0])
    p = np.array([1, 1, 1, 0, 0, 1])
    sf = pd.DataFrame({"sex": list("ffmmmm"), "race": list("xyxxxx")})
    ours, theirs = both({"acc": accuracy_score}, y, p, sf)
    assert ours.by_group.index.names == ["sex", "race"]
    assert np.isnan(ours.by_group.loc[("m", "y"), "acc"])  # a combination that never occurs
    assert_same(ours, theirs)


def test_group_missing_a_class_gets_the_metrics_own_value_and_warning():
    # Group "b" has no positive label: recall is ill-defined there.
    y = np.array([1, 0, 1, 0, 0, 0])
    p = np.array([1, 0, 0, 1, 1, 0])
    sf = np.array(list("aaabbb"))
    with pytest.warns(Warning, match="Recall is ill-defined"):
        ours = MetricFrame(metrics=recall_score, y_true=y, y_pred=p, sensitive_features=sf)
    assert ours.by_group["b"] == 0.0
    assert_same(*both(flm.true_positive_rate, y, p, sf))


def test_non_binary_labels_and_multiclass_fall_back_to_the_metric():
    rng = np.random.default_rng(0)
    y, p = rng.integers(0, 3, 60), rng.integers(0, 3, 60)
    sf = rng.choice(["u", "v"], 60)
    assert_same(*both({"acc": accuracy_score,
                       "f1": lambda t, q: f1_score(t, q, average="macro")}, y, p, sf))
    labels = np.array(["no", "yes"])
    assert_same(*both(accuracy_score, labels[y % 2], labels[p % 2], sf))


def test_non_scalar_metric_is_kept_and_coerced_like_fairlearn():
    y = np.array([1, 0, 1, 0])
    p = np.array([1, 1, 1, 0])
    sf = ["a", "a", "b", "b"]
    ours, theirs = both({"cm": confusion_matrix, "acc": accuracy_score}, y, p, sf)
    np.testing.assert_array_equal(ours.by_group.loc["a", "cm"], theirs.by_group.loc["a", "cm"])
    assert np.isnan(ours.difference()["cm"]) and np.isnan(theirs.difference()["cm"])
    assert ours.difference()["acc"] == theirs.difference()["acc"]
    with pytest.raises(ValueError, match="non-scalar"):
        ours.group_min()


def test_fast_path_settles_the_recognised_metrics_without_calling_them(monkeypatch):
    rng = np.random.default_rng(1)
    y, p = rng.integers(0, 2, 1000), rng.integers(0, 2, 1000)
    sf = rng.choice(["u", "v", "w"], 1000)
    calls = []
    monkeypatch.setattr(_metric_frame, "_call", lambda *a: calls.append(a))
    MetricFrame(metrics=FAST, y_true=y, y_pred=p, sensitive_features=sf)
    assert calls == []


def test_sample_weight_routes_to_the_named_metric_only():
    rng = np.random.default_rng(2)
    y, p = rng.integers(0, 2, 200), rng.integers(0, 2, 200)
    sf, w = rng.choice(["u", "v"], 200), rng.random(200)
    params = {"weighted": {"sample_weight": w}}
    ours, theirs = both({"weighted": accuracy_score, "plain": accuracy_score}, y, p, sf,
                        sample_params=params)
    assert_same(ours, theirs)
    assert ours.overall["weighted"] != ours.overall["plain"]


@pytest.mark.parametrize("kwargs, match", [
    ({"control_features": ["a"] * 4}, "control_features is not supported"),
    ({"sample_params": [1, 2]}, "sample_params must be a dict"),
    ({"sample_params": {"nope": {}}}, "not metrics"),
    ({"sample_params": {"acc": {"sample_weight": [1, 2]}}}, "one row per sample"),
    ({"metrics": "accuracy"}, "callable or a dict"),
    ({"y_pred": [1, 0]}, "y_pred has 2 rows"),
    ({"sensitive_features": ["a", None, "b", "b"]}, "missing values"),
])
def test_bad_input_gets_a_clear_error(kwargs, match):
    args = {"metrics": {"acc": accuracy_score}, "y_true": [1, 0, 1, 0],
            "y_pred": [1, 1, 1, 0], "sensitive_features": ["a", "a", "b", "b"], **kwargs}
    with pytest.raises(ValueError, match=match):
        MetricFrame(**args)


def test_bad_method_or_errors_argument():
    mf = MetricFrame(metrics=accuracy_score, y_true=[1, 0], y_pred=[1, 1],
                     sensitive_features=["a", "b"])
    with pytest.raises(ValueError, match="method must be one of"):
        mf.difference(method="pairwise")
    with pytest.raises(ValueError, match="errors must be one of"):
        mf.ratio(errors="ignore")
