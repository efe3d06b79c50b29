"""The classification metrics against fairlearn and scikit-learn, as oracles."""

import warnings

import fairlearn.metrics as flm
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, precision_score, recall_score

import skfairtune.metrics as sfm
from skfairtune.metrics import UndefinedGroupWarning

SETTINGS = settings(max_examples=40, deadline=None)


@st.composite
def binary_data(draw, both_labels=False, weighted=None, columns=None):
    """Labels, predictions, sensitive features (1 or 2 columns) and weights."""
    n_groups = draw(st.integers(2, 5))
    n = draw(st.integers(0, 50))
    # Every group occurs (a single group is tested on its own).
    groups = np.concatenate([np.arange(n_groups), np.array(draw(st.lists(
        st.integers(0, n_groups - 1), min_size=n, max_size=n)), dtype=int)])
    y = np.array(draw(st.lists(st.integers(0, 1), min_size=groups.shape[0],
                               max_size=groups.shape[0])))
    if both_labels:  # every group gets a positive and a negative row
        present = np.arange(n_groups)
        groups = np.concatenate([groups, present, present])
        y = np.concatenate([y, np.ones_like(present), np.zeros_like(present)])
    m = groups.shape[0]
    p = np.array(draw(st.lists(st.integers(0, 1), min_size=m, max_size=m)))
    if weighted is None:
        weighted = draw(st.booleans())
    w = None
    if weighted:
        w = np.array(draw(st.lists(st.floats(0.05, 10.0), min_size=m, max_size=m)))
    n_columns = columns if columns is not None else draw(st.integers(1, 2))
    if n_columns == 1:
        sf = np.array([f"g{g}" for g in groups], dtype=object)
    else:  # intersectional: a code split over two columns
        sf = pd.DataFrame({"race": groups % 2, "sex": np.where(groups < 2, "f", "m")})
    return y, p, sf, w


def close(ours, theirs):
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12, equal_nan=True)


GAPS = [
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
]


@pytest.mark.parametrize("name", GAPS)
@SETTINGS
@given(data=binary_data(both_labels=True),
       method=st.sampled_from(["between_groups", "to_overall"]),
       agg=st.sampled_from(["worst_case", "mean"]))
def test_gaps_equal_fairlearn(name, data, method, agg):
    y, p, sf, w = data
    kw = {"sensitive_features": sf, "sample_weight": w, "method": method}
    if name.startswith("equalized_odds"):
        kw["agg"] = agg
    close(getattr(sfm, name)(y, p, **kw), getattr(flm, name)(y, p, **kw))


@SETTINGS
@given(data=binary_data())
def test_demographic_parity_needs_no_labels_in_groups(data):
    y, p, sf, w = data
    for name in ("demographic_parity_difference", "demographic_parity_ratio"):
        close(getattr(sfm, name)(y, p, sensitive_features=sf, sample_weight=w),
              getattr(flm, name)(y, p, sensitive_features=sf, sample_weight=w))


@SETTINGS
@given(data=binary_data())
def test_worst_group_accuracy_equals_fairlearn_group_min(data):
    y, p, sf, w = data
    frame = flm.MetricFrame(metrics=accuracy_score, y_true=y, y_pred=p,
                            sensitive_features=sf,
                            sample_params={"sample_weight": w})
    close(sfm.worst_group_accuracy(y, p, sensitive_features=sf, sample_weight=w),
          frame.group_min())


def _subsets(sf):
    """Row masks of each group, in the order of the encoded groups."""
    if isinstance(sf, pd.DataFrame):
        keys = list(sf.itertuples(index=False, name=None))
    else:
        keys = list(sf)
    for key in sorted(set(keys)):
        yield key, np.array([k == key for k in keys])


@SETTINGS
@given(data=binary_data(both_labels=True))
def test_rates_by_group_equal_scikit_learn_on_each_subset(data):
    y, p, sf, w = data
    kw = {"sensitive_features": sf, "sample_weight": w}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedGroupWarning)
        tables = {
            "accuracy": sfm.accuracy_by_group(y, p, **kw).to_numpy(),
            "tpr": sfm.true_positive_rate_by_group(y, p, **kw).to_numpy(),
            "fpr": sfm.false_positive_rate_by_group(y, p, **kw).to_numpy(),
            "selection": sfm.selection_rate_by_group(y, p, **kw).to_numpy(),
            "precision": sfm.precision_by_group(y, p, **kw).to_numpy(),
        }
    for k, (_, rows) in enumerate(_subsets(sf)):
        ws = None if w is None else w[rows]
        yt, yp = y[rows], p[rows]
        close(tables["accuracy"][k], accuracy_score(yt, yp, sample_weight=ws))
        close(tables["tpr"][k], recall_score(yt, yp, sample_weight=ws))
        # The false positive rate is one less the negatives' recall.
        close(tables["fpr"][k], 1 - recall_score(1 - yt, 1 - yp, sample_weight=ws))
        close(tables["selection"][k], np.average(yp, weights=ws))
        close(tables["precision"][k], precision_score(
            yt, yp, sample_weight=ws, zero_division=np.nan))


def test_by_group_series_are_indexed_by_the_groups():
    sf = pd.DataFrame({"race": ["a", "a", "b", "b"], "sex": ["f", "m", "f", "f"]})
    rates = sfm.selection_rate_by_group([0, 1, 1, 0], [1, 1, 0, 0],
                                        sensitive_features=sf)
    assert rates.index.names == ["race", "sex"]
    assert rates.to_dict() == {("a", "f"): 1.0, ("a", "m"): 1.0, ("b", "f"): 0.0}


def test_group_without_positives_is_nan_left_out_and_named():
    y = np.array([1, 0, 1, 0, 0, 0])
    p = np.array([1, 0, 0, 0, 1, 0])
    sf = np.array(["a", "a", "b", "b", "c", "c"])
    with pytest.warns(UndefinedGroupWarning, match=r"\['c'\].*no positive labels"):
        tpr = sfm.true_positive_rate_by_group(y, p, sensitive_features=sf)
    assert np.isnan(tpr["c"]) and tpr["a"] == 1.0 and tpr["b"] == 0.0
    with pytest.warns(UndefinedGroupWarning, match=r"\['c'\]"):
        ours = sfm.equal_opportunity_difference(y, p, sensitive_features=sf)
    assert ours == 1.0  # a and b only
    # fairlearn reads the missing rate as 0: the documented divergence.
    assert flm.true_positive_rate(y[4:], p[4:]) == 0.0


def test_a_single_group_has_no_gap():
    # Nothing to compare: difference 0 and ratio 1. fairlearn agrees except
    # for a single group whose rate is 0, where its ratio is 0/0 = NaN.
    y, p, sf = [0, 1, 0, 1], [0, 1, 1, 1], ["a"] * 4
    assert sfm.demographic_parity_difference(y, p, sensitive_features=sf) == 0.0
    assert sfm.demographic_parity_ratio(y, p, sensitive_features=sf) == 1.0
    assert flm.demographic_parity_ratio(y, p, sensitive_features=sf) == 1.0
    assert sfm.demographic_parity_ratio(y, [0] * 4, sensitive_features=sf) == 1.0


def test_undefined_ratio_is_nan_like_fairlearn():
    y, p, sf = [0, 1, 0, 1], [0, 0, 0, 0], ["a", "a", "b", "b"]
    assert np.isnan(sfm.demographic_parity_ratio(y, p, sensitive_features=sf))
    assert np.isnan(flm.demographic_parity_ratio(y, p, sensitive_features=sf))


@pytest.mark.parametrize("labels, pos_label", [(["no", "yes"], "yes"), ([2, 7], 7),
                                               ([-1, 1], None), ([False, True], None)])
def test_pos_label_and_label_types(labels, pos_label):
    neg, pos = labels
    y = [pos, neg, pos, neg]
    p = [pos, pos, pos, neg]
    gap = sfm.equalized_odds_difference(y, p, sensitive_features=["a", "a", "b", "b"],
                                        pos_label=pos_label)
    assert gap == 1.0


def test_boolean_labels_with_false_positive_match_fairlearn():
    # Boolean labels read with pos_label=False raised a TypeError (booleans
    # do not subtract) instead of being compared.
    y = np.array([True, False, True, False, False, True])
    p = np.array([True, False, False, False, True, True])
    sf = ["a", "a", "a", "b", "b", "b"]
    for name in ("demographic_parity_difference", "equalized_odds_difference"):
        ours = getattr(sfm, name)(y, p, sensitive_features=sf, pos_label=False)
        theirs = getattr(flm, name)(~y, ~p, sensitive_features=sf)
        assert ours == pytest.approx(theirs, abs=1e-12)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"y_pred": [0, 1, 2, 1]}, "y_pred must be binary.*3 distinct"),
        ({"y_pred": [0, 1, np.nan, 1]}, "y_pred contains NaN or infinity"),
        ({"y_pred": [0, 1, np.inf, 1]}, "y_pred contains NaN or infinity"),
        ({"y_true": ["x", "y", "x", "y"]}, "pass pos_label="),
        ({"y_pred": [0, 1, 1]}, "y_pred has 3 rows but y_true has 4"),
        ({"sample_weight": [1, 1]}, "sample_weight has 2 rows but y_true has 4"),
        ({"sample_weight": [1, -1, 1, 1]}, "sample_weight must be non-negative"),
        ({"sensitive_features": ["a", "b"]}, "sensitive_features has 2 rows but"),
        ({"sensitive_features": ["a", None, "b", "b"]}, "missing values"),
        ({"y_pred": [[0, 1], [1, 0], [0, 1], [1, 0]]}, "y_pred must be 1-D"),
        ({"method": "sideways"}, "method must be one of"),
        ({"agg": "median"}, "agg must be one of"),
    ],
)
def test_bad_input_names_the_argument(kwargs, message):
    args = {"y_true": [0, 1, 0, 1], "y_pred": [0, 1, 1, 1],
            "sensitive_features": ["a", "a", "b", "b"], **kwargs}
    y_true, y_pred = args.pop("y_true"), args.pop("y_pred")
    with pytest.raises(ValueError, match=message):
        sfm.equalized_odds_difference(y_true, y_pred, **args)


def test_many_groups_and_integer_codes():
    rng = np.random.default_rng(0)
    y, p = rng.integers(0, 2, 5000), rng.integers(0, 2, 5000)
    sf = rng.integers(0, 40, 5000)
    close(sfm.equalized_odds_difference(y, p, sensitive_features=sf),
          flm.equalized_odds_difference(y, p, sensitive_features=sf))


def test_a_single_group_warns_that_its_gap_means_nothing():
    from skfairtune.metrics import UndefinedGroupWarning, demographic_parity_difference

    with pytest.warns(UndefinedGroupWarning, match=r"one group only \(3\).*not a sign of "
                                                   r"fairness"):
        assert demographic_parity_difference([0, 1, 1], [0, 1, 1],
                                             sensitive_features=np.array([3, 3, 3])) == 0
