"""resample(): sensitive features and weights stay aligned with the returned rows.

Every test makes a feature column equal to the group code (and one equal to
the row's weight), so that any misalignment of the returned groups or weights
with the returned rows shows itself row by row.
"""

import numpy as np
import pandas as pd
import pytest
from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.under_sampling import ClusterCentroids, RandomUnderSampler

from skfairtune.resampling import GroupResampler, GroupSMOTE, resample


@pytest.fixture
def tagged():
    """X = [group code, weight, noise...]; the group is also passed beside X."""
    rng = np.random.RandomState(0)
    n = 90
    group = rng.choice(3, size=n, p=[0.5, 0.3, 0.2])
    y = (rng.uniform(size=n) < 0.2 + 0.3 * group).astype(int)
    weight = rng.randint(1, 5, size=n).astype(float)
    X = np.column_stack([group, weight, rng.normal(size=(n, 2))])
    return X, y, group, weight


SAMPLERS = [
    GroupResampler(random_state=0),
    GroupResampler(strategy="undersample", random_state=0),
    GroupResampler(strategy="mixed", target="equal_label_rates", random_state=0),
    GroupSMOTE(k_neighbors=3, random_state=0),
    RandomOverSampler(random_state=0),
    RandomUnderSampler(random_state=0),
]


@pytest.mark.parametrize("sampler", SAMPLERS, ids=lambda s: repr(s))
def test_groups_and_weights_follow_the_rows(sampler, tagged):
    X, y, group, weight = tagged
    X_res, y_res, group_res, weight_res = resample(
        sampler, X, y, sensitive_features=group, sample_weight=weight
    )
    assert len(group_res) == len(weight_res) == len(y_res) == X_res.shape[0]
    np.testing.assert_array_equal(group_res, X_res[:, 0])
    original = np.asarray(getattr(sampler, "sample_indices_", np.arange(len(y))))
    kept = original >= 0
    np.testing.assert_array_equal(weight_res[kept], X_res[kept, 1])
    np.testing.assert_array_equal(y_res[kept], y[original[kept]])


def test_pandas_sensitive_features_keep_their_type(tagged):
    X, y, group, _ = tagged
    frame = pd.DataFrame({"g": group, "h": group % 2}, index=np.arange(len(y)) + 100)
    X_res, _, frame_res, weight_res = resample(
        GroupResampler(random_state=0), X, y, sensitive_features=frame
    )
    assert isinstance(frame_res, pd.DataFrame) and weight_res is None
    assert frame_res.index.equals(pd.RangeIndex(len(X_res)))
    np.testing.assert_array_equal(frame_res["g"], X_res[:, 0])


def test_synthetic_rows_get_the_mean_weight_of_their_cell(tagged):
    X, y, group, weight = tagged
    sampler = GroupSMOTE(k_neighbors=3, random_state=0)
    _, y_res, group_res, weight_res = resample(
        sampler, X, y, sensitive_features=group, sample_weight=weight
    )
    for i in np.flatnonzero(sampler.sample_indices_ == -1):
        cell = (group == group_res[i]) & (y == y_res[i])
        assert weight_res[i] == pytest.approx(weight[cell].mean())


def test_sampler_reading_its_own_column_with_other_groups_passed(tagged):
    X, y, group, weight = tagged
    other = np.where(np.arange(len(y)) % 2 == 0, "even", "odd")
    # Copies only: any other attribute can follow the rows.
    X_res, _, other_res, _ = resample(
        GroupResampler(sensitive_features=0, random_state=0),
        X,
        y,
        sensitive_features=other,
    )
    assert X_res.shape[0] == len(other_res)
    # Synthetic rows of group cells have no single value of another attribute.
    with pytest.raises(ValueError, match="differ within one of its cells"):
        resample(
            GroupSMOTE(k_neighbors=3, sensitive_features=0),
            X,
            y,
            sensitive_features=other,
        )
    # The same attribute, read from X by the sampler, is fine.
    _, _, group_res, _ = resample(
        GroupSMOTE(k_neighbors=3, sensitive_features=0), X, y, sensitive_features=group
    )
    assert len(group_res) > len(group)


def test_reweighing_passthrough_and_none(tagged):
    X, y, group, weight = tagged
    X_res, y_res, group_res, w = resample("reweighing", X, y, sensitive_features=group)
    assert X_res is X and y_res is y and group_res is group
    assert w.mean() == pytest.approx(1.0)
    for sampler in (None, "passthrough"):
        out = resample(sampler, X, y, sensitive_features=group, sample_weight=weight)
        assert all(a is b for a, b in zip(out, (X, y, group, weight)))


def test_samplers_that_make_rows_without_indices_are_refused(tagged):
    X, y, group, _ = tagged
    for sampler in (SMOTE(random_state=0), ClusterCentroids(random_state=0)):
        with pytest.raises(ValueError, match="without a sample_indices_"):
            resample(sampler, X, y, sensitive_features=group)
    # Nothing to carry: nothing to refuse.
    X_res, _, none, _ = resample(SMOTE(random_state=0), X, y)
    assert none is None and X_res.shape[0] > X.shape[0]


def test_bad_input_names_the_argument(tagged):
    X, y, group, weight = tagged
    with pytest.raises(ValueError, match="sensitive_features has 89 rows but X has 90"):
        resample(GroupResampler(), X, y, sensitive_features=group[:-1])
    with pytest.raises(ValueError, match="sample_weight has 89 rows"):
        resample(RandomOverSampler(), X, y, sample_weight=weight[:-1])
    with pytest.raises(ValueError, match="sampler must be"):
        resample("smote", X, y)
    with pytest.raises(ValueError, match="'reweighing' needs the sensitive_features"):
        resample("reweighing", X, y)
