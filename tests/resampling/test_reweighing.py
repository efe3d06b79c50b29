"""reweighing_weights against a hand computation and the properties that define it.

AIF360 is not installed here; its ``Reweighing`` computes, for each cell,
``W = (W_g * W_y) / (W * W_gy)`` from (weighted) counts and multiplies the
instance weights by it. The hand-worked table below follows that formula.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skfairtune.resampling import reweighing_weights


def test_hand_computed_table():
    # group a: 3 positives, 1 negative; group b: 1 positive, 5 negatives (n = 10)
    y = np.array([1, 1, 1, 0, 1, 0, 0, 0, 0, 0])
    group = np.array(["a"] * 4 + ["b"] * 6)
    # P(a)=.4, P(b)=.6, P(y=1)=.4, P(y=0)=.6
    # w(a,1) = .4*.4/.3 = 8/15    w(a,0) = .4*.6/.1 = 12/5
    # w(b,1) = .6*.4/.1 = 12/5    w(b,0) = .6*.6/.5 = 18/25
    raw = np.array([8 / 15] * 3 + [12 / 5] + [12 / 5] + [18 / 25] * 5)
    assert raw.mean() == pytest.approx(1.0)  # already mean 1: no empty cell
    np.testing.assert_allclose(reweighing_weights(y, sensitive_features=group), raw)


def test_hand_computed_with_sample_weight():
    y = np.array([1, 0, 1, 0])
    group = np.array(["a", "a", "b", "b"])
    sample_weight = np.array([3.0, 1.0, 1.0, 1.0])
    # Weighted: W=6, W_a=4, W_b=2, W_1=4, W_0=2; cells a1=3, a0=1, b1=1, b0=1.
    # factors: a1 = 4*4/(6*3) = 8/9, a0 = 4*2/6 = 4/3, b1 = 2*4/6 = 4/3,
    # b0 = 2*2/6 = 2/3; times the weights, then scaled to mean 1.
    raw = sample_weight * np.array([8 / 9, 4 / 3, 4 / 3, 2 / 3])
    expected = raw / raw.mean()
    np.testing.assert_allclose(
        reweighing_weights(y, sensitive_features=group, sample_weight=sample_weight), expected
    )


data = st.integers(20, 80).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 2), min_size=n, max_size=n),
        st.lists(st.integers(0, 3), min_size=n, max_size=n),
    )
)


def no_empty_cell(data):
    y, group = map(np.asarray, data)
    return all(set(y[group == g]) == set(y) for g in set(group))


@settings(max_examples=40, deadline=None)
@given(data=data.filter(no_empty_cell))
def test_weighted_label_rate_is_the_same_in_every_group(data):
    # Independence needs every cell: an empty one has no row to weigh up.
    y, group = map(np.asarray, data)
    w = reweighing_weights(y, sensitive_features=group)
    assert w.mean() == pytest.approx(1.0)
    overall = np.bincount(y, weights=w, minlength=3) / w.sum()
    for g in np.unique(group):
        in_g = group == g
        rate = np.bincount(y[in_g], weights=w[in_g], minlength=3) / w[in_g].sum()
        np.testing.assert_allclose(rate, overall, atol=1e-12)
        # Each group keeps its (weighted) size.
        assert w[in_g].sum() == pytest.approx(in_g.sum() * w.sum() / len(y))


@settings(max_examples=20, deadline=None)
@given(data=data, seed=st.integers(0, 100))
def test_integer_weights_equal_repeated_rows(data, seed):
    y, group = map(np.asarray, data)
    repeats = np.random.RandomState(seed).randint(1, 4, size=len(y))
    weighted = reweighing_weights(y, sensitive_features=group, sample_weight=repeats)
    repeated = reweighing_weights(np.repeat(y, repeats),
                                  sensitive_features=np.repeat(group, repeats))
    first_copy = np.cumsum(repeats) - repeats
    # Same factor per cell; the scale differs only by the mean's normalisation.
    ratio = weighted / (repeats * repeated[first_copy])
    np.testing.assert_allclose(ratio, ratio[0])


def test_intersectional_groups_and_errors():
    y = [0, 1, 0, 1, 0, 1, 1, 1]
    two_columns = np.array([["a", 0], ["a", 0], ["a", 1], ["a", 1]] * 2, dtype=object)
    assert reweighing_weights(y, sensitive_features=two_columns).shape == (8,)
    with pytest.raises(ValueError, match="sensitive_features has 3 rows but y has 8"):
        reweighing_weights(y, sensitive_features=["a", "b", "a"])
    with pytest.raises(ValueError, match="Unknown label type"):
        reweighing_weights([0.5, 1.5, 2.5, 3.1], sensitive_features=["a", "b", "a", "b"])
    with pytest.raises(ValueError, match="non-zero"):
        reweighing_weights([0, 1], sensitive_features=["a", "b"], sample_weight=[0.0, 0.0])


def test_sensitive_features_by_position_still_works_with_a_warning():
    y, group, weight = [1, 1, 0, 1, 0, 0], ["a", "a", "a", "b", "b", "b"], [1, 2, 1, 1, 1, 3]
    with pytest.warns(FutureWarning, match=r"Passing sensitive_features to reweighing_weights "
                      r"by position is deprecated.*pass sensitive_features=\.\.\. by keyword"):
        old = reweighing_weights(y, group, sample_weight=weight)
    np.testing.assert_array_equal(
        old, reweighing_weights(y, sensitive_features=group, sample_weight=weight))
