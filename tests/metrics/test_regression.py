"""The regression metrics against fairlearn's MetricFrame and scikit-learn."""

import fairlearn.metrics as flm
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import mean_absolute_error, mean_squared_error

import skfairtune.metrics as sfm


@st.composite
def regression_data(draw):
    n_groups = draw(st.integers(2, 5))
    n = draw(st.integers(0, 40)) + n_groups
    groups = np.concatenate([np.arange(n_groups), np.array(draw(st.lists(
        st.integers(0, n_groups - 1), min_size=n - n_groups, max_size=n - n_groups)),
        dtype=int)])
    values = st.floats(-100, 100, allow_nan=False)
    y = np.array(draw(st.lists(values, min_size=n, max_size=n)))
    p = np.array(draw(st.lists(st.floats(0.01, 100), min_size=n, max_size=n)))
    w = None
    if draw(st.booleans()):
        w = np.array(draw(st.lists(st.floats(0.05, 10.0), min_size=n, max_size=n)))
    if draw(st.booleans()):
        sf = pd.DataFrame({"a": groups % 2, "b": groups // 2})
    else:
        sf = groups
    return y, p, sf, w


def close(ours, theirs):
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(data=regression_data(), method=st.sampled_from(["between_groups",
                                                       "to_overall"]))
def test_regression_metrics_equal_fairlearn(data, method):
    y, p, sf, w = data
    kw = {"sensitive_features": sf, "sample_weight": w}
    frame = flm.MetricFrame(
        metrics={"mean": flm.mean_prediction, "mse": mean_squared_error,
                 "mae": mean_absolute_error},
        y_true=y, y_pred=p, sensitive_features=sf,
        sample_params={k: {"sample_weight": w} for k in ("mean", "mse", "mae")},
    )
    close(sfm.mean_prediction_difference(y, p, method=method, **kw),
          frame.difference(method=method)["mean"])
    close(sfm.mean_prediction_ratio(y, p, method=method, **kw),
          frame.ratio(method=method)["mean"])
    close(sfm.worst_group_mean_squared_error(y, p, **kw), frame.group_max()["mse"])
    close(sfm.worst_group_mean_absolute_error(y, p, **kw), frame.group_max()["mae"])


def test_worst_group_error_equals_scikit_learn_on_the_worst_subset():
    y = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    p = np.array([0.0, 1.0, 2.0, 0.0, 4.0, 9.0])
    sf = np.array(["a", "a", "b", "b", "c", "c"])
    worst = max(mean_squared_error(y[sf == g], p[sf == g]) for g in "abc")
    assert sfm.worst_group_mean_squared_error(y, p, sensitive_features=sf) == worst


@pytest.mark.parametrize(
    "y_pred, message",
    [([1.0, np.nan, 2.0, 3.0], "y_pred contains NaN or infinity"),
     ([1.0, 2.0, 3.0], "y_pred has 3 rows but y_true has 4"),
     (["a", "b", "c", "d"], "y_pred must be numeric")],
)
def test_regression_bad_input(y_pred, message):
    with pytest.raises(ValueError, match=message):
        sfm.mean_prediction_difference([1.0, 2.0, 3.0, 4.0], y_pred,
                                       sensitive_features=[0, 0, 1, 1])


def test_mean_prediction_ratio_refuses_negative_predictions():
    from skfairtune.metrics import mean_prediction_ratio

    message = (r"needs non-negative predictions .* 1 negative value\(s\), the smallest "
               r"-1\. Use mean_prediction_difference")
    with pytest.raises(ValueError, match=message):
        mean_prediction_ratio([0, 0, 0, 0], [-1.0, 1.0, 2.0, 2.0],
                              sensitive_features=["a", "a", "b", "b"])
