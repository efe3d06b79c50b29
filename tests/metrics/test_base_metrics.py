"""fairlearn's base metrics: same signatures, numbers and exception types.

fairlearn is the oracle: random labels, predictions and weights (missing
classes, one label, string labels, a pos_label that is absent) give the
same value to 1e-12, or an error of the same type in both.
"""


import fairlearn.metrics as flm
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import UndefinedMetricWarning

import skfairtune.metrics as sfm

from .conftest import assert_same, outcome, parameters

RATES = ["true_positive_rate", "true_negative_rate", "false_positive_rate",
         "false_negative_rate"]
BASE = RATES + ["count", "selection_rate", "mean_prediction"]


@pytest.mark.parametrize("name", BASE)
def test_signature_is_fairlearns(name):
    assert parameters(getattr(sfm, name)) == parameters(getattr(flm, name))


LABEL_SETS = [[0, 1], [-1, 1], [0], [1], [-1], [0, 2], [0, 1, 2], ["a", "b"], ["b"],
              [True, False], [0.0, 1.0]]


@st.composite
def binary_rows(draw):
    labels = draw(st.sampled_from(LABEL_SETS))
    n = draw(st.integers(1, 25))
    y_true = draw(st.lists(st.sampled_from(labels), min_size=n, max_size=n))
    y_pred = draw(st.lists(st.sampled_from(labels), min_size=n, max_size=n))
    # An absent pos_label of another type than the labels is left out: with
    # it, fairlearn's confusion matrix turns the labels to text and counts
    # nothing (a true negative rate of 0 where every row is a true negative).
    absent = "zz" if isinstance(labels[0], str) else 5
    pos_label = draw(st.sampled_from([None, labels[0], labels[-1], absent]))
    weight = draw(st.one_of(
        st.none(),
        st.lists(st.floats(0, 5), min_size=n, max_size=n),
        st.lists(st.integers(0, 4), min_size=n, max_size=n)))
    return np.array(y_true), np.array(y_pred), pos_label, weight


@settings(max_examples=300, deadline=None)
@given(rows=binary_rows(), name=st.sampled_from(RATES))
def test_confusion_rates_match_fairlearn(rows, name):
    y_true, y_pred, pos_label, weight = rows
    ours = outcome(getattr(sfm, name), y_true, y_pred, sample_weight=weight,
                   pos_label=pos_label)
    theirs = outcome(getattr(flm, name), y_true, y_pred, sample_weight=weight,
                     pos_label=pos_label)
    assert_same(ours, theirs)


@settings(max_examples=200, deadline=None)
@given(rows=binary_rows())
def test_selection_rate_matches_fairlearn(rows):
    y_true, y_pred, pos_label, weight = rows
    pos = 1 if pos_label is None else pos_label
    ours = outcome(sfm.selection_rate, y_true, y_pred, pos_label=pos, sample_weight=weight)
    theirs = outcome(flm.selection_rate, y_true, y_pred, pos_label=pos,
                     sample_weight=weight)
    assert_same(ours, theirs)


@settings(max_examples=150, deadline=None)
@given(pred=st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=30), data=st.data())
def test_mean_prediction_matches_fairlearn(pred, data):
    weight = data.draw(st.one_of(st.none(), st.lists(st.floats(0.01, 5), min_size=len(pred),
                                                     max_size=len(pred))))
    ours = sfm.mean_prediction(None, pred, weight)
    theirs = flm.mean_prediction(None, pred, weight)
    assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-12)


def test_rates_are_fairlearns_to_the_last_bit():
    # fairlearn's own tests compare with ``tn / (tn + fp)`` exactly.
    rng = np.random.default_rng(3)
    y, p, w = rng.integers(0, 2, 500), rng.integers(0, 2, 500), rng.random(500)
    for name in RATES:
        for pos_label in (None, 0):
            assert getattr(sfm, name)(y, p, w, pos_label) == getattr(flm, name)(
                y, p, w, pos_label)


def test_an_empty_condition_gives_zero_as_in_fairlearn():
    zeros = np.zeros(6)
    assert sfm.true_positive_rate(zeros, zeros) == 0.0
    assert sfm.true_negative_rate(zeros, zeros) == 1.0
    assert sfm.true_positive_rate(zeros, zeros, pos_label=0) == 1.0


@pytest.mark.parametrize("kwargs, words", [
    ({"y_true": [0, 1, 2], "y_pred": [0, 1, 1]}, "If pos_label is not specified"),
    ({"y_true": ["a", "b", "c"], "y_pred": ["a", "a", "b"], "pos_label": "a"},
     "Must have no more than two unique y values"),
    ({"y_true": [0, 2], "y_pred": [2, 0], "pos_label": 1}, "Must have pos_label in y values"),
    ({"y_true": [0, 0.5], "y_pred": [1, 1], "pos_label": 1}, "continuous"),
    ({"y_true": [0, 1, 1], "y_pred": [0, 1]}, "y_pred has 2 rows but y_true has 3"),
    ({"y_true": [0, 1], "y_pred": [0, 1], "sample_weight": [0, 0]}, "sample_weight sums"),
    ({"y_true": [0, np.nan], "y_pred": [0, 1]}, "y_true contains NaN"),
])
def test_bad_input_keeps_fairlearns_words(kwargs, words):
    with pytest.raises(ValueError, match=words):
        sfm.true_positive_rate(**kwargs)


def test_selection_rate_of_nothing_is_fairlearns_error():
    with pytest.raises(ValueError, match="^Empty y_pred passed to selection_rate function.$"):
        sfm.selection_rate([], [])


def test_scalars_are_one_sample_as_in_fairlearn():
    assert sfm.selection_rate(True, True) == 1.0
    assert sfm.selection_rate(0, 0) == 0.0
    assert sfm.mean_prediction(None, 42) == 42.0


def test_all_zero_weights_give_nan_with_a_warning():
    with pytest.warns(UndefinedMetricWarning, match="every sample_weight is 0"):
        assert np.isnan(sfm.selection_rate([0, 1], [1, 1], sample_weight=[0, 0]))


@pytest.mark.parametrize("call, words", [
    (lambda: sfm.selection_rate([0, 1], [1, 0], sample_weight=[1, -1]), "non-negative"),
    (lambda: sfm.selection_rate([0, 1], [1, 0], sample_weight=[1]),
     "sample_weight has 1 rows but y_pred has 2"),
    (lambda: sfm.selection_rate([0, 1, 1], [1, 0]), "y_true has 3 rows but y_pred has 2"),
    (lambda: sfm.selection_rate([0, 1], [[1, 0], [0, 1]]), "y_pred must be 1-D"),
    (lambda: sfm.mean_prediction(None, ["a", "b"]), "y_pred must be numeric"),
    (lambda: sfm.mean_prediction(None, [np.nan, 1.0]), "y_pred contains NaN"),
    (lambda: sfm.mean_prediction(None, []), "y_pred is empty"),
])
def test_bad_input_where_fairlearn_computes_nonsense_is_refused(call, words):
    # fairlearn returns -1.0, a per-column array or NaN here; these are errors.
    with pytest.raises(ValueError, match=words):
        call()


def test_count_is_the_number_of_rows():
    assert sfm.count([], []) == 0
    assert sfm.count(np.zeros((5, 2)), np.zeros(5)) == 5
    with pytest.raises(ValueError, match=r"inconsistent numbers of samples: \[3, 2\]"):
        sfm.count([0, 1, 0], [0, 1])
    with pytest.raises(TypeError, match="count needs y_true"):
        sfm.count(None, [1])
