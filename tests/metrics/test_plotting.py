"""plot_model_comparison and plot_roc_curve_by_group draw what fairlearn draws."""

import fairlearn.metrics as flm
import matplotlib
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, balanced_accuracy_score

import skfairtune.metrics as sfm

from .conftest import parameters

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

RNG = np.random.default_rng(0)
N = 60
Y = RNG.integers(0, 2, N)
SCORE = np.clip(Y * 0.3 + RNG.random(N) * 0.7, 0, 1)
PREDS = {"first": RNG.integers(0, 2, N), "second": (SCORE > 0.5).astype(int)}
SEX = RNG.choice(["f", "m"], N)
AGE = RNG.choice([30, 5, 40], N)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _drawn(ax):
    """What a reader sees: labels, texts, points and lines with their labels."""
    return {
        "labels": (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()),
        "texts": [(t.get_position(), t.get_text()) for t in ax.texts],
        "points": [c.get_offsets().tolist() for c in ax.collections],
        "lines": [(line.get_label(), np.asarray(line.get_xydata()).round(12).tolist())
                  for line in ax.get_lines()],
        "legend": ax.get_legend_handles_labels()[1],
    }


def _both(name, **kwargs):
    ours = getattr(sfm, name)(ax=plt.figure().subplots(), **kwargs)
    theirs = getattr(flm, name)(ax=plt.figure().subplots(), **kwargs)
    return _drawn(ours), _drawn(theirs)


@pytest.mark.parametrize("name", ["plot_model_comparison", "plot_roc_curve_by_group"])
def test_signature_is_fairlearns(name):
    assert parameters(getattr(sfm, name)) == parameters(getattr(flm, name))


@pytest.mark.parametrize("kwargs", [
    {"y_preds": PREDS, "point_labels": True, "legend": True, "label": "models"},
    {"y_preds": list(PREDS.values()), "point_labels": ["a", "b"],
     "point_labels_position": (0.01, -0.02), "axis_labels": ("acc", "gap")},
    {"y_preds": PREDS["first"]},
])
def test_model_comparison_draws_fairlearns_points_and_labels(kwargs):
    common = {"y_true": Y, "sensitive_features": SEX, "x_axis_metric": accuracy_score,
              "y_axis_metric": "selection_rate_difference"}
    ours = sfm.plot_model_comparison(ax=plt.figure().subplots(), **{
        **common, **kwargs, "y_axis_metric": sfm.selection_rate_difference})
    theirs = flm.plot_model_comparison(ax=plt.figure().subplots(), **{
        **common, **kwargs, "y_axis_metric": flm.selection_rate_difference})
    assert _drawn(ours) == _drawn(theirs)


def test_model_comparison_names_a_derived_metric_as_fairlearn_does():
    kwargs = {"y_true": Y, "y_preds": PREDS,
              "sensitive_features": pd.DataFrame({"sex": SEX, "age": AGE}),
              "x_axis_metric": balanced_accuracy_score}
    ours = sfm.plot_model_comparison(y_axis_metric=sfm.make_derived_metric(
        metric=sfm.false_negative_rate, transform="ratio"), **kwargs)
    theirs = flm.plot_model_comparison(ax=plt.figure().subplots(), y_axis_metric=(
        flm.make_derived_metric(metric=flm.false_negative_rate, transform="ratio")), **kwargs)
    assert _drawn(ours) == _drawn(theirs)
    assert ours.get_ylabel() == "false negative rate, ratio"


@pytest.mark.parametrize("kwargs, error, words", [
    ({"axis_labels": "yes"}, ValueError, "axis_labels must be True, False or two strings"),
    ({"axis_labels": ("a", "b", "c")}, ValueError, "got 3 items"),
    ({"show_plot": "true"}, ValueError, "show_plot must be True or False"),
    ({"point_labels": "label"}, ValueError, "point_labels must be True, False or a list"),
    ({"point_labels": ["a"]}, ValueError, "point_labels has 1 labels but y_preds has 2"),
    ({"point_labels_position": (1, "okay")}, ValueError, "point_labels_position must be"),
    ({"y_preds": [PREDS["first"], PREDS["second"][:-1]]}, ValueError,
     "y_preds\\[1\\] has 59 rows but y_true has 60"),
    ({"sensitive_features": SEX[:-1]}, ValueError, "sensitive_features has 59 rows"),
    ({"y_true": None}, ValueError, "y_true is required"),
    ({"y_preds": PREDS["first"], "point_labels": True}, IndexError,
     "y_preds is 1-D: one model's predictions"),
])
def test_model_comparison_refuses_bad_options_naming_them(kwargs, error, words):
    args = {"y_true": Y, "y_preds": list(PREDS.values()), "sensitive_features": SEX,
            "x_axis_metric": accuracy_score, "y_axis_metric": sfm.selection_rate_difference,
            **kwargs}
    with pytest.raises(error, match=words):
        sfm.plot_model_comparison(**args)


@pytest.mark.parametrize("groups", [
    SEX,
    pd.DataFrame({"sex": SEX, "age": AGE}),
    {"sex": list(SEX), "age": list(AGE)},
    np.column_stack([SEX, ["a,b" if a == 5 else "c\\d" for a in AGE]]),
])
def test_roc_curves_are_fairlearns(groups):
    ours, theirs = _both("plot_roc_curve_by_group", y_true=Y, y_score=SCORE,
                         sensitive_features=groups, title="ROC")
    assert ours == theirs


def test_roc_curves_with_string_labels_and_without_extras_are_fairlearns():
    labels = np.where(Y == 1, "yes", "no")
    ours, theirs = _both("plot_roc_curve_by_group", y_true=labels, y_score=SCORE,
                         sensitive_features=AGE, pos_label="yes", plot_overall=False,
                         plot_chance_level=False)
    assert ours == theirs
    assert len(ours["lines"]) == 3


def test_roc_rows_of_an_unknown_group_count_in_the_overall_curve_only():
    groups = pd.Series(SEX, dtype=object)
    groups[:5] = None
    ours, theirs = _both("plot_roc_curve_by_group", y_true=Y, y_score=SCORE,
                         sensitive_features=groups)
    assert ours == theirs


@pytest.mark.parametrize("kwargs, words", [
    ({"y_score": SCORE[:-1]}, "y_score has 59 rows but y_true has 60"),
    ({"sensitive_features": SEX[:-2]}, "sensitive_features has 58 rows but y_true has 60"),
])
def test_roc_refuses_misaligned_rows(kwargs, words):
    with pytest.raises(ValueError, match=words):
        sfm.plot_roc_curve_by_group(**{"y_true": Y, "y_score": SCORE,
                                       "sensitive_features": SEX, **kwargs})


def test_roc_draws_on_new_axes_when_none_are_given():
    ax = sfm.plot_roc_curve_by_group(Y, SCORE, sensitive_features=SEX)
    assert isinstance(ax, matplotlib.axes.Axes) and len(ax.get_lines()) == 4
