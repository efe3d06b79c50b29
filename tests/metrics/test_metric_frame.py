"""MetricFrame against fairlearn's MetricFrame, the oracle: values, index, dtypes."""

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

from skfairtune.metrics import MetricFrame, _frame_evaluate

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
METHODS = ("between_groups", "to_overall")


def _columns(draw, n, prefix, count):
    return pd.DataFrame({f"{prefix}{j}": draw(st.lists(st.sampled_from("abc"[: 2 + j % 2]),
                                                       min_size=n, max_size=n))
                         for j in range(count)})


@st.composite
def frame_data(draw, controls=True):
    """0/1 labels and predictions (ints, booleans or floats), 1 to 3 sensitive
    columns, 0 to 2 control columns, optional weights.

    Small groups often lack a class or a prediction, so the undefined cases
    (recall without positives, fairlearn's per-group positive label) come up,
    and combinations of values that never occur (NaN rows of ``by_group``).
    """
    n = draw(st.integers(1, 40))
    dtype = draw(st.sampled_from([np.int64, bool, np.float64]))
    ints = st.lists(st.integers(0, 1), min_size=n, max_size=n)
    y, p = np.array(draw(ints)).astype(dtype), np.array(draw(ints)).astype(dtype)
    sf = _columns(draw, n, "s", draw(st.integers(1, 3)))
    cf = _columns(draw, n, "c", draw(st.integers(0, 2))) if controls else None
    w = None
    if draw(st.booleans()):
        w = np.array(draw(st.lists(st.floats(0.1, 5.0), min_size=n, max_size=n)))
    return y, p, sf, None if cf is None or cf.shape[1] == 0 else cf, w


def both(metrics, y, p, sf, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = MetricFrame(metrics=metrics, y_true=y, y_pred=p, sensitive_features=sf, **kw)
        theirs = flm.MetricFrame(metrics=metrics, y_true=y, y_pred=p,
                                 sensitive_features=sf, **kw)
    return ours, theirs


def assert_equal(ours, theirs, **kw):
    """Same type, values, index, names and dtypes (pandas' own comparison)."""
    assert type(ours) is type(theirs) or (np.isscalar(ours) and np.isscalar(theirs))
    if isinstance(theirs, pd.DataFrame):
        pd.testing.assert_frame_equal(ours, theirs, **kw)
    elif isinstance(theirs, pd.Series):
        pd.testing.assert_series_equal(ours, theirs, **kw)
    else:
        np.testing.assert_allclose(ours, theirs, rtol=kw.get("rtol", 0), atol=1e-12)


def assert_same(ours, theirs):
    """Every result of the two frames agrees, to 1e-12."""
    tol = {"rtol": 1e-12, "atol": 1e-12}
    assert_equal(ours.by_group, theirs.by_group, **tol)
    assert_equal(ours.overall, theirs.overall, **tol)
    assert ours.sensitive_levels == theirs.sensitive_levels
    assert ours.control_levels == theirs.control_levels
    for method in METHODS:
        for name in ("difference", "ratio"):
            assert_equal(getattr(ours, name)(method), getattr(theirs, name)(method), **tol)
    for name in ("group_min", "group_max"):
        assert_equal(getattr(ours, name)(), getattr(theirs, name)(), **tol)


def check_dict_of_metrics(data):
    y, p, sf, cf, w = data
    metrics = {**FAST, **SLOW}
    params = None if w is None else {name: {"sample_weight": w} for name in metrics}
    assert_same(*both(metrics, y, p, sf, control_features=cf, sample_params=params))


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
    y, p, sf, cf, w = data
    params = None if w is None else {"sample_weight": w}
    ours, theirs = both(FAST[name], y, p, sf.iloc[:, 0], control_features=cf,
                        sample_params=params)
    assert isinstance(ours.by_group, pd.Series)
    assert ours.by_group.name == theirs.by_group.name
    assert_same(ours, theirs)


def test_control_features_split_overall_and_compare_within_each_control_group():
    y = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    p = np.array([1, 1, 1, 0, 0, 1, 1, 0])
    sf = np.array(list("abababab"))
    cf = {"site": np.array(list("xxxxyyyy"))}
    ours, theirs = both({"acc": accuracy_score, "n": flm.count}, y, p, sf,
                        control_features=cf)
    assert ours.control_levels == ["site"]
    assert ours.by_group.index.names == ["site", "sensitive_feature_0"]
    # Within site x, a is always right and b never; within y, 1 and 0.5.
    assert ours.difference()["acc"].to_dict() == {"x": 1.0, "y": 0.5}
    assert ours.overall.loc["y", "acc"] == 0.75
    # A row of an int count and a float accuracy is floats, as in fairlearn.
    assert ours.by_group["n"].dtype == np.float64
    assert_same(ours, theirs)


def test_several_sensitive_columns_index_every_combination():
    y = np.array([1, 0, 1, 1, 0, 0])
    p = np.array([1, 1, 1, 0, 0, 1])
    sf = pd.DataFrame({"sex": list("ffmmmm"), "race": list("xyxxxx")})
    ours, theirs = both({"acc": accuracy_score}, y, p, sf)
    assert ours.by_group.index.names == ["sex", "race"]
    assert np.isnan(ours.by_group.loc[("m", "y"), "acc"])  # a combination that never occurs
    assert_same(ours, theirs)


def test_tuple_valued_sensitive_feature_is_one_column_of_tuples():
    # pandas reads a list of tuples as the levels of a MultiIndex; fairlearn
    # (and so this frame) keeps each tuple one group of one feature.
    y = np.array([1, 0, 1, 1, 0, 1])
    p = np.array([1, 1, 1, 0, 0, 1])
    groups = pd.Series([("a", 1), ("a", 1), ("b", 2), ("b", 2), ("c", 1), ("c", 1)],
                       name="pair")
    ours, theirs = both(accuracy_score, y, p, groups)
    assert list(ours.by_group.index) == [("a", 1), ("b", 2), ("c", 1)]
    assert ours.by_group.index.name == "pair"
    assert_same(ours, theirs)
    array = np.empty(6, dtype=object)
    array[:] = list(groups)
    assert_same(*both(accuracy_score, y, p, array))


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


@pytest.mark.parametrize("controls", [None, {"c": list("xyxy")}])
def test_non_scalar_metric_is_kept_and_coerced_like_fairlearn(controls):
    y = np.array([1, 0, 1, 0])
    p = np.array([1, 1, 1, 0])
    sf = ["a", "a", "b", "b"]
    ours, theirs = both({"cm": confusion_matrix, "acc": accuracy_score}, y, p, sf,
                        control_features=controls)
    np.testing.assert_array_equal(ours.by_group["cm"].iloc[0], theirs.by_group["cm"].iloc[0])
    assert ours.by_group.dtypes.to_dict() == theirs.by_group.dtypes.to_dict()
    for name in ("group_min", "group_max"):
        assert_equal(getattr(ours, name)(errors="coerce"), getattr(theirs, name)(errors="coerce"))
        with pytest.raises(ValueError, match="non-scalar cells"):
            getattr(ours, name)()
    for name in ("difference", "ratio"):
        assert_equal(getattr(ours, name)(), getattr(theirs, name)())
        with pytest.raises(ValueError, match="non-scalar cells"):
            getattr(ours, name)(errors="raise")
        # fairlearn fails here with numpy's "truth value of an array is
        # ambiguous"; the frame reads the non-scalar metric as NaN.
        assert np.isnan(getattr(ours, name)("to_overall")["cm"]).all()


def test_recognised_metrics_are_not_called_for_groups_or_overall(monkeypatch):
    rng = np.random.default_rng(1)
    y, p = rng.integers(0, 2, 1000), rng.integers(0, 2, 1000)
    sf, cf, w = rng.choice(["u", "v", "w"], 1000), rng.choice(["x", "y"], 1000), rng.random(1000)
    calls = []
    monkeypatch.setattr(_frame_evaluate.Metric, "call", lambda *a: calls.append(a))
    params = {name: {"sample_weight": w} for name in FAST}
    frame = MetricFrame(metrics={**FAST, "count": flm.count}, y_true=y, y_pred=p,
                        sensitive_features=sf, control_features=cf, sample_params=params)
    assert calls == []
    # overall comes from the groups' counts, and agrees with the metric on all rows
    for site in ("x", "y"):
        rows = cf == site
        assert frame.overall.loc[site, "recall"] == pytest.approx(
            recall_score(y[rows], p[rows], sample_weight=w[rows]), abs=1e-12)


def test_sample_weight_routes_to_the_named_metric_only():
    rng = np.random.default_rng(2)
    y, p = rng.integers(0, 2, 200), rng.integers(0, 2, 200)
    sf, w = rng.choice(["u", "v"], 200), rng.random(200)
    params = {"weighted": {"sample_weight": w}}
    ours, theirs = both({"weighted": accuracy_score, "plain": accuracy_score}, y, p, sf,
                        sample_params=params)
    assert_same(ours, theirs)
    assert ours.overall["weighted"] != ours.overall["plain"]


def test_an_empty_dict_of_metrics_gives_empty_results_as_fairlearn():
    ours, theirs = both({}, [1, 0, 1], [1, 1, 0], ["a", "b", "b"],
                        control_features=["x", "x", "y"])
    assert_equal(ours.by_group, theirs.by_group)
    assert_equal(ours.group_min(), theirs.group_min())
    assert list(ours.overall.index) == ["x", "y"]


@pytest.mark.parametrize("kwargs, match", [
    ({"sample_params": [1, 2]}, "Sample parameters must be a dictionary"),
    ({"sample_params": {"nope": {}}}, "Keys in 'sample_params' do not match"),
    ({"sample_params": {"acc": {"sample_weight": [1, 2]}}}, "one row per sample"),
    ({"metrics": "accuracy"}, "not callable: metrics must be a callable"),
    ({"metrics": {"acc": None}}, "Found 'None' instead of metric function"),
    ({"y_pred": [1, 0]}, "y_pred has 2 rows"),
    ({"sensitive_features": ["a", None, "b", "b"]}, "contains missing values.*position 1"),
    ({"control_features": ["x", "y"]}, "control_features 'control_feature_0' has 2 rows"),
    ({"sensitive_features": [["a", 1]] * 4}, "Feature lists must be of scalar types"),
    ({"sensitive_features": np.zeros((4, 1, 2))}, "too many dimensions"),
    ({"sensitive_features": pd.DataFrame({0: list("abab")})}, "must be strings"),
    ({"sensitive_features": pd.Series(list("abab"), name=3)}, "must be a string"),
    ({"sensitive_features": {"A": list("abab")}, "control_features": {"A": list("xyxy")}},
     "Detected duplicate feature name: 'A'"),
])
def test_bad_input_gets_a_clear_error(kwargs, match):
    args = {"metrics": {"acc": accuracy_score}, "y_true": [1, 0, 1, 0],
            "y_pred": [1, 1, 1, 0], "sensitive_features": ["a", "a", "b", "b"], **kwargs}
    with pytest.raises(ValueError, match=match):
        MetricFrame(**args)


def test_bad_method_or_errors_argument_in_fairlearns_words():
    mf = MetricFrame(metrics=accuracy_score, y_true=[1, 0], y_pred=[1, 1],
                     sensitive_features=["a", "b"])
    with pytest.raises(ValueError, match="^Unrecognised comparison method: pairwise$"):
        mf.difference(method="pairwise")
    with pytest.raises(ValueError, match=r"^Invalid error value specified. Valid values "
                                         r"are \['raise', 'coerce'\]$"):
        mf.ratio(errors="ignore")


@pytest.mark.parametrize("name", ["count", "selection_rate", "mean_prediction",
                                  "true_positive_rate", "false_positive_rate",
                                  "true_negative_rate", "false_negative_rate"])
def test_skfairtunes_own_base_metrics_are_read_off_counts_as_they_compute(name):
    # Where skfairtune.metrics defines fairlearn's base metrics, the frame
    # recognises them by name: its values must be theirs, group by group.
    import skfairtune.metrics as sfm

    func = getattr(sfm, name, None)
    if func is None:
        pytest.skip(f"skfairtune.metrics has no {name}")
    rng = np.random.default_rng(3)
    y, p = rng.integers(0, 2, 300), rng.integers(0, 2, 300)
    sf, w = rng.choice(["u", "v", "w"], 300), rng.random(300)
    params = {} if name == "count" else {"sample_weight": w}
    frame = MetricFrame(metrics=func, y_true=y, y_pred=p, sensitive_features=sf,
                        sample_params=params)
    for group in ("u", "v", "w"):
        rows = sf == group
        expected = func(y[rows], p[rows], **{k: v[rows] for k, v in params.items()})
        assert frame.by_group[group] == pytest.approx(expected, abs=1e-12)
