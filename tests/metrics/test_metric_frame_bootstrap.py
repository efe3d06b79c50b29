"""MetricFrame's bootstrap intervals: fairlearn's arguments, results and distribution."""

import warnings

import fairlearn.metrics as flm
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    mean_squared_error,
    precision_score,
    recall_score,
)

from skfairtune.metrics import MetricFrame, _frame_bootstrap, _frame_evaluate

LEVELS = [0.1, 0.5, 0.9]
NOT_INITIALIZED = ("Could not compute confidence intervals: Bootstrapping parameters "
                   "n_boot and ci_quantiles were not specified in the MetricFrame "
                   "constructor.")
CI_RESULTS = ["overall_ci", "by_group_ci", "group_min_ci", "group_max_ci",
              "difference_ci", "ratio_ci"]


def data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    p = (rng.random(n) < 0.3 + 0.4 * y).astype(int)
    return y, p, rng.choice(["a", "b", "c"], n), rng.choice(["x", "y"], n), rng.random(n)


def ci(frame, name, *args):
    value = getattr(frame, name)
    return value(*args) if callable(value) else value


def point(frame, name, *args):
    value = getattr(frame, name.removesuffix("_ci"))
    return value(*args) if callable(value) else value


@pytest.mark.parametrize("n_boot, levels, message", [
    (None, [0.1, 0.9], "Must specify both n_boot and ci_quantiles"),
    (10, None, "Must specify both n_boot and ci_quantiles"),
    (10, [], "Must specify both n_boot and ci_quantiles"),
    (0.5, [0.5], "Must have n_boot be a positive integer"),
    (0, [0.5], "Must have n_boot be a positive integer"),
    (True, [0.5], "Must have n_boot be a positive integer"),
    (10, ["a"], r"Must have all ci_quantiles be floats in \(0, 1\)"),
    (10, [1.0], r"Must have all ci_quantiles be floats in \(0, 1\)"),
    (10, [0], r"Must have all ci_quantiles be floats in \(0, 1\)"),
])
def test_bootstrap_arguments_are_checked_in_fairlearns_words(n_boot, levels, message):
    y, p, sf, _, _ = data(20)
    with pytest.raises(ValueError, match=f"^{message}$"):
        MetricFrame(metrics=accuracy_score, y_true=y, y_pred=p, sensitive_features=sf,
                    n_boot=n_boot, ci_quantiles=levels)


def test_unsupported_random_state_is_refused():
    y, p, sf, _, _ = data(20)
    with pytest.raises(ValueError, match="^Unsupported random_state: abd$"):
        MetricFrame(metrics=accuracy_score, y_true=y, y_pred=p, sensitive_features=sf,
                    n_boot=5, ci_quantiles=[0.5], random_state="abd")


@pytest.mark.parametrize("name", CI_RESULTS)
def test_intervals_without_bootstrap_say_why(name):
    y, p, sf, _, _ = data(20)
    frame = MetricFrame(metrics=accuracy_score, y_true=y, y_pred=p, sensitive_features=sf)
    assert frame.n_boot is None and frame.ci_quantiles is None
    with pytest.raises(ValueError, match="^" + NOT_INITIALIZED):
        ci(frame, name)


@pytest.mark.parametrize("metrics", [accuracy_score, {"acc": accuracy_score, "f1": f1_score}])
@pytest.mark.parametrize("controls", [False, True])
@pytest.mark.parametrize("name", CI_RESULTS)
def test_each_interval_is_a_list_of_results_typed_as_the_estimate(metrics, controls, name):
    y, p, sf, cf, _ = data(200)
    frame = MetricFrame(metrics=metrics, y_true=y, y_pred=p, sensitive_features=sf,
                        control_features=cf if controls else None, n_boot=50,
                        ci_quantiles=LEVELS, random_state=0)
    result, estimate = ci(frame, name), point(frame, name)
    assert isinstance(result, list) and len(result) == len(LEVELS)
    for value in result:
        assert type(value) is type(estimate)
        if isinstance(estimate, (pd.Series, pd.DataFrame)):
            assert value.index.equals(estimate.index)
    low, mid, high = (np.asarray(v, dtype=float) for v in result)
    assert (low <= mid).all() and (mid <= high).all()
    assert np.all(np.abs(mid - np.asarray(estimate, dtype=float)) < 0.15)


def test_same_seed_same_intervals_and_a_random_state_is_accepted():
    y, p, sf, cf, w = data(200)
    args = dict(metrics={"acc": accuracy_score, "rec": recall_score}, y_true=y, y_pred=p,
                sensitive_features=sf, control_features=cf, n_boot=30, ci_quantiles=LEVELS,
                sample_params={"acc": {"sample_weight": w}})
    first = MetricFrame(**args, random_state=7).by_group_ci
    again = MetricFrame(**args, random_state=7).by_group_ci
    other = MetricFrame(**args, random_state=8).by_group_ci
    pd.testing.assert_frame_equal(first[0], again[0])
    assert not first[0].equals(other[0])
    state = np.random.RandomState(3)
    one = MetricFrame(**args, random_state=state).overall_ci[0]
    two = MetricFrame(**args, random_state=state).overall_ci[0]
    assert not one.equals(two)  # the RandomState moves on, as in fairlearn


def test_recognised_metrics_are_resampled_as_counts_not_called(monkeypatch):
    y, p, sf, cf, w = data(500)

    def refuse(*args):
        raise AssertionError("a recognised metric was called on a resample")

    monkeypatch.setattr(_frame_evaluate.Metric, "call", refuse)
    frame = MetricFrame(metrics={"acc": accuracy_score, "sel": flm.selection_rate,
                                 "count": flm.count},
                        y_true=y, y_pred=p, sensitive_features=sf, control_features=cf,
                        n_boot=300, ci_quantiles=LEVELS, random_state=0)
    assert np.isfinite(frame.difference_ci()[1]["acc"]).all()


def test_counts_drawn_as_a_multinomial_have_the_distribution_of_resampled_rows():
    # Unweighted counts are drawn as one multinomial; weights (here all 1)
    # send the same metric through resampled row indices. Same distribution.
    y, p, sf, cf, _ = data(300)
    args = dict(metrics={"acc": accuracy_score, "prec": precision_score}, y_true=y,
                y_pred=p, sensitive_features=sf, control_features=cf, n_boot=3000,
                ci_quantiles=[0.16, 0.5, 0.84])
    counts = MetricFrame(**args, random_state=0)
    rows = MetricFrame(**args, random_state=1,
                       sample_params={m: {"sample_weight": np.ones(300)} for m in args["metrics"]})
    for name in ("by_group_ci", "difference_ci", "overall_ci"):
        low, mid, high = (np.asarray(v, dtype=float) for v in ci(counts, name))
        other = [np.asarray(v, dtype=float) for v in ci(rows, name)]
        sd = (high - low) / 2
        # The Monte-Carlo error of a quantile of 3000 replicates is under
        # 0.05 sd, plus a step of the discrete rates of groups of ~50 rows.
        step = 0.02
        assert np.all(np.abs(mid - other[1]) <= 0.2 * sd + step)
        assert np.all(np.abs(high - low - (other[2] - other[0])) <= 0.3 * sd + step)


@settings(max_examples=60, deadline=None)
@given(y=st.lists(st.integers(0, 1), min_size=1, max_size=12), data=st.data())
def test_a_cell_the_counts_leave_open_gets_the_metrics_value_on_its_rows(y, data):
    # Where a resampled cell's counts do not settle a metric (a division by
    # zero, a missing label), it is called on the four weighted (label,
    # prediction) rows of the counts: the value it gives the cell's rows.
    n = len(y)
    p = data.draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    w = np.array(data.draw(st.lists(st.floats(0.1, 3.0), min_size=n, max_size=n)))
    y, p = np.array(y), np.array(p)
    plain = np.zeros((2, 2))
    weighted = np.zeros((2, 2))
    np.add.at(plain, (y, p), 1)
    np.add.at(weighted, (y, p), w)
    for func in (recall_score, precision_score, flm.true_positive_rate,
                 flm.false_positive_rate, flm.true_negative_rate, accuracy_score):
        metric = _frame_evaluate.Metric("m", func, {})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = func(y, p, sample_weight=w)
            got = _frame_bootstrap._from_counts(metric, plain, weighted,
                                                (y.dtype, p.dtype), {})
        assert got == pytest.approx(expected, abs=1e-12)


def test_a_group_missing_from_a_resample_is_left_out_not_an_error():
    y = np.ones(100)
    groups = ["a"] * 99 + ["b"]
    frame = MetricFrame(metrics={"count": flm.count, "rec": recall_score}, y_true=y,
                        y_pred=y, sensitive_features=groups, n_boot=50,
                        ci_quantiles=LEVELS, random_state=np.random.RandomState(1234))
    assert frame.by_group_ci[1].loc["b", "count"] == 1.0  # over the resamples that have b
    assert np.isfinite(frame.group_min_ci()[0]["rec"])


def test_a_non_scalar_metric_cannot_be_bootstrapped():
    y, p, sf, _, _ = data(40)
    with pytest.raises(ValueError, match="^Error calling numpy.quantiles") as error:
        MetricFrame(metrics=confusion_matrix, y_true=y, y_pred=p, sensitive_features=sf,
                    n_boot=5, ci_quantiles=[0.5], random_state=0)
    assert "truth value of an array" in str(error.value.__cause__)


def _ends(frame, names=("by_group_ci", "overall_ci", "difference_ci", "group_min_ci")):
    return {name: [np.asarray(v, dtype=float) for v in ci(frame, name)] for name in names}


def assert_within_monte_carlo_error(ours, theirs, n_boot_theirs):
    """Medians and widths of fairlearn's intervals, within their Monte-Carlo error.

    A quantile ``q`` of ``B`` replicates strays by about
    ``sd * sqrt(q (1 - q) / B) / phi(z_q)``; ours use many more replicates.
    """
    for name, (low, mid, high) in _ends(ours).items():
        f_low, f_mid, f_high = _ends(theirs)[name]
        sd = (high - low) / (2 * norm.ppf(0.9))
        error = sd * np.sqrt(0.25 / n_boot_theirs) / norm.pdf(0)
        assert np.all(np.abs(mid - f_mid) <= 4 * error + 1e-12), name
        widths, f_widths = high - low, f_high - f_low
        kept = widths > 0
        assert 0.8 < np.mean(f_widths[kept]) / np.mean(widths[kept]) < 1.25, name


@pytest.mark.parametrize("weighted", [False, True])
def test_intervals_agree_with_fairlearns(weighted):
    y, p, sf, _, w = data(150)
    params = {"sample_weight": w} if weighted else None
    args = dict(metrics=accuracy_score, y_true=y, y_pred=p, sensitive_features=sf,
                sample_params=params, ci_quantiles=LEVELS)
    ours = MetricFrame(**args, n_boot=2000, random_state=0)
    theirs = flm.MetricFrame(**args, n_boot=60, random_state=0)
    assert_within_monte_carlo_error(ours, theirs, 60)


@pytest.mark.slow
def test_intervals_agree_with_fairlearns_with_control_features_and_called_metrics():
    y, p, sf, cf, w = data(300)
    metrics = {"acc": accuracy_score, "rec": recall_score, "f1": f1_score,
               "mse": mean_squared_error}
    args = dict(metrics=metrics, y_true=y, y_pred=p, sensitive_features=sf,
                control_features=cf, ci_quantiles=LEVELS,
                sample_params={"acc": {"sample_weight": w}})
    ours = MetricFrame(**args, n_boot=1000, random_state=0)
    theirs = flm.MetricFrame(**args, n_boot=150, random_state=0)
    assert_within_monte_carlo_error(ours, theirs, 150)
