"""GroupSMOTE: synthetic rows lie between two rows of their own cell."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from skfairtune.resampling import GroupSMOTE


def mixed_data(counts, *, seed=0, n_features=3):
    """Numeric rows whose cells overlap in space, so SMOTE could cross them."""
    rng = np.random.RandomState(seed)
    group = np.concatenate([np.full(sum(row), g) for g, row in enumerate(counts)])
    y = np.concatenate([np.repeat(np.arange(len(row)), row) for row in counts])
    X = rng.normal(size=(group.size, n_features))
    return X, y, group


def on_a_segment_of(point, rows, tol=1e-9):
    """Whether ``point`` = a + t (b - a) for two rows a, b and t in [0, 1]."""
    for a in rows:
        direction = rows - a
        length = (direction**2).sum(axis=1)
        ok = length > 0
        t = (direction[ok] @ (point - a)) / length[ok]
        gap = np.linalg.norm(a + t[:, None] * direction[ok] - point, axis=1)
        if np.any((gap < tol) & (t >= -tol) & (t <= 1 + tol)):
            return True
    return False


def assert_synthetic_rows_stay_in_their_cell(sampler, X, y, group, X_res, y_res):
    n = len(y)
    np.testing.assert_array_equal(X_res[:n], X)  # the input rows come first
    synthetic = np.flatnonzero(sampler.sample_indices_ == -1)
    assert synthetic.size == len(y_res) - n and np.all(synthetic >= n)
    new_groups = np.asarray(sampler.sensitive_features_)[synthetic]
    for row, label, g in zip(X_res[synthetic], y_res[synthetic], new_groups):
        cell = X[(group == g) & (y == label)]
        assert on_a_segment_of(row, cell)


@settings(max_examples=15, deadline=None)
@given(
    counts=st.lists(
        st.lists(st.integers(3, 12), min_size=2, max_size=3), min_size=2, max_size=3
    ).filter(lambda c: len({len(r) for r in c}) == 1),
    seed=st.integers(0, 20),
)
def test_synthetic_rows_lie_between_two_rows_of_the_same_cell(counts, seed):
    X, y, group = mixed_data(counts, seed=seed)
    sampler = GroupSMOTE(k_neighbors=2, random_state=seed)
    X_res, y_res = sampler.fit_resample(X, y, sensitive_features=group)
    expected = max(max(row) for row in counts)
    assert set(sampler.cell_counts_["after"]) == {expected}
    assert_synthetic_rows_stay_in_their_cell(sampler, X, y, group, X_res, y_res)


def test_a_group_column_inside_X_is_kept_by_synthetic_rows():
    X, y, group = mixed_data([[10, 4], [3, 9]])
    X = np.column_stack([group, X])
    sampler = GroupSMOTE(k_neighbors=2, sensitive_features=0, random_state=0)
    X_res, _ = sampler.fit_resample(X, y)
    np.testing.assert_array_equal(X_res[:, 0], sampler.sensitive_features_)


def test_sparse_gives_what_dense_gives():
    X, y, group = mixed_data([[10, 4], [3, 9]])
    X[X < 0] = 0
    dense = GroupSMOTE(k_neighbors=2, random_state=0)
    X_dense, y_dense = dense.fit_resample(X, y, sensitive_features=group)
    X_sparse, y_sparse = GroupSMOTE(k_neighbors=2, random_state=0).fit_resample(
        sparse.csr_matrix(X), y, sensitive_features=group
    )
    np.testing.assert_allclose(X_sparse.toarray(), X_dense)
    np.testing.assert_array_equal(y_sparse, y_dense)


def test_categorical_features_through_smotenc():
    X, y, group = mixed_data([[12, 5], [4, 10]], n_features=2)
    rng = np.random.RandomState(1)
    colours = np.where(group == 0, rng.choice(["red", "blue"], len(y)), "green")
    frame = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "colour": colours})
    sampler = GroupSMOTE(k_neighbors=3, categorical_features=["colour"], random_state=0)
    X_res, y_res = sampler.fit_resample(frame, y, sensitive_features=group)
    assert isinstance(X_res, pd.DataFrame) and list(X_res.columns) == [
        "a",
        "b",
        "colour",
    ]
    synthetic = np.flatnonzero(sampler.sample_indices_ == -1)
    assert synthetic.size == 4 * 12 - len(y)
    for i in synthetic:
        g, label = sampler.sensitive_features_[i], y_res[i]
        cell = frame[(group == g) & (y == label)]
        assert X_res["colour"].iloc[i] in set(cell["colour"])
        point = X_res[["a", "b"]].iloc[i].to_numpy(dtype=float)
        assert on_a_segment_of(point, cell[["a", "b"]].to_numpy())


def test_all_categorical_features_through_smoten():
    rng = np.random.RandomState(0)
    X = rng.choice(["x", "y", "z"], size=(40, 2)).astype(object)
    y = np.array([0] * 14 + [1] * 6 + [0] * 5 + [1] * 15)
    group = np.repeat(["a", "b"], 20)
    sampler = GroupSMOTE(k_neighbors=3, categorical_features=[0, 1], random_state=0)
    X_res, y_res = sampler.fit_resample(X, y, sensitive_features=group)
    assert set(sampler.cell_counts_["after"]) == {15}
    for i in np.flatnonzero(sampler.sample_indices_ == -1):
        cell = X[(group == sampler.sensitive_features_[i]) & (y == y_res[i])]
        assert all(X_res[i, j] in set(cell[:, j]) for j in range(2))


def test_no_cell_to_grow_returns_the_input():
    X, y, group = mixed_data([[5, 5], [5, 5]])
    sampler = GroupSMOTE(k_neighbors=2)
    X_res, _ = sampler.fit_resample(X, y, sensitive_features=group)
    np.testing.assert_array_equal(X_res, X)
    np.testing.assert_array_equal(sampler.sample_indices_, np.arange(20))


def test_k_neighbors_larger_than_a_cell_is_named():
    X, y, group = mixed_data([[10, 3], [8, 9]])
    with pytest.raises(
        ValueError,
        match=r"k_neighbors=5 .*\(group=0, label=1\), which has 3 row\(s\).*2 or less",
    ):
        GroupSMOTE(k_neighbors=5).fit_resample(X, y, sensitive_features=group)


def test_target_and_empty_cells_as_for_group_resampler():
    X, y, group = mixed_data([[10, 6], [8, 0]])
    with pytest.raises(ValueError, match=r"\(group=1, label=1\) has no rows"):
        GroupSMOTE(k_neighbors=2).fit_resample(X, y, sensitive_features=group)
    sampler = GroupSMOTE(k_neighbors=2, target="equal_groups", random_state=0)
    sampler.fit_resample(X, y, sensitive_features=group)
    assert sampler.cell_counts_["after"].tolist() == [10, 6, 16, 0]


def test_integer_continuous_columns_keep_categories_in_their_cell():
    # imbalanced-learn's SMOTENC alone draws these categories at random when
    # all continuous columns are integers (its one-hot block is truncated).
    rng = np.random.RandomState(0)
    n = 200
    group = rng.choice(["a", "b"], n)
    y = rng.randint(0, 2, n)
    y[:20] = 1
    frame = pd.DataFrame(
        {
            "age": rng.randint(18, 70, n),
            "count": rng.randint(0, 5, n),
            "group": pd.Categorical(group),
            "other": pd.Categorical(rng.choice(["x", "y"], n)),
        }
    )
    sampler = GroupSMOTE(categorical_features="auto", random_state=0)
    X_res, _ = sampler.fit_resample(frame, y, sensitive_features=group)
    assert X_res["age"].dtype == np.int64
    np.testing.assert_array_equal(
        X_res["group"].astype(str), sampler.sensitive_features_
    )


def test_a_one_row_cell_points_to_group_resampler():
    X, y, group = mixed_data([[10, 1], [8, 9]])
    with pytest.raises(ValueError, match=r"has 1 row\(s\).* Use GroupResampler"):
        GroupSMOTE(k_neighbors=1).fit_resample(X, y, sensitive_features=group)
