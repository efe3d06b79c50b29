"""MetricFrame where fairlearn's code meets it: isinstance, plotting, pickling, errors."""

import pickle

import fairlearn.metrics as flm
import matplotlib
import numpy as np
import pandas as pd
import pytest
from fairlearn.experimental.enable_metric_frame_plotting import plot_metric_frame
from sklearn.metrics import accuracy_score, recall_score

from skfairtune.metrics import MetricFrame, equalized_odds_difference

matplotlib.use("Agg")


def frame(**kwargs):
    rng = np.random.default_rng(0)
    y, p = rng.integers(0, 2, 120), rng.integers(0, 2, 120)
    return MetricFrame(metrics={"acc": accuracy_score, "rec": recall_score}, y_true=y,
                       y_pred=p, sensitive_features=rng.choice(["a", "b", "c"], 120),
                       **kwargs)


def test_is_an_instance_of_fairleans_frame_and_inherits_none_of_its_public_api():
    assert isinstance(frame(), flm.MetricFrame)
    public = [name for name in dir(flm.MetricFrame) if not name.startswith("_")]
    assert public and all(name in MetricFrame.__dict__ for name in public), [
        name for name in public if name not in MetricFrame.__dict__]


def test_fairlearns_plot_takes_the_frame_with_and_without_bootstrap_intervals():
    axes = plot_metric_frame(frame(), kind="bar")
    assert len(axes.flatten()) == 2
    booted = frame(n_boot=20, ci_quantiles=[0.05, 0.95], random_state=0)
    axes = plot_metric_frame(booted, kind="point", metrics="acc")
    # the auto-detected intervals are drawn as error bars around each group
    assert axes.flatten()[0].lines or axes.flatten()[0].collections
    matplotlib.pyplot.close("all")


def test_a_frame_pickles_with_its_intervals():
    original = frame(n_boot=10, ci_quantiles=[0.1, 0.9], random_state=0,
                     control_features=["x", "y"] * 60)
    copy = pickle.loads(pickle.dumps(original))
    pd.testing.assert_frame_equal(copy.by_group, original.by_group)
    pd.testing.assert_frame_equal(copy.difference_ci()[0], original.difference_ci()[0])


def test_bad_agg_is_refused_in_fairlearns_words():
    with pytest.raises(ValueError, match="agg must be one of 'worst_case' or 'mean', "
                                         "got median"):
        equalized_odds_difference([1, 0], [1, 0], sensitive_features=["a", "b"],
                                  agg="median")
