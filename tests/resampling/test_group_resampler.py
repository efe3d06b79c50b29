"""GroupResampler: where the sensitive attribute comes from, the report, errors."""

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from skfairtune.resampling import GroupResampler


def test_column_name_and_values_give_the_same_result(frame):
    X, y = frame
    by_name = GroupResampler(sensitive_features="sex", random_state=0)
    X_a, y_a = by_name.fit_resample(X, y)
    by_value = GroupResampler(random_state=0)
    X_b, y_b = by_value.fit_resample(X, y, sensitive_features=X["sex"])
    pd.testing.assert_frame_equal(X_a, X_b)
    pd.testing.assert_series_equal(y_a, y_b)
    pd.testing.assert_series_equal(by_name.sensitive_features_, X_a["sex"])


def test_dataframe_types_and_fresh_index_are_kept(frame):
    X, y = frame
    X.index = X.index + 1000
    y.index = X.index
    X_res, y_res = GroupResampler(sensitive_features="sex").fit_resample(X, y)
    assert list(X_res.dtypes) == list(X.dtypes)
    assert X_res.index.equals(pd.RangeIndex(len(X_res)))
    assert y_res.index.equals(X_res.index)


def test_intersectional_groups_from_two_columns(frame):
    X, y = frame
    X["old"] = X["age"] > 40
    sampler = GroupResampler(sensitive_features=["sex", "old"], random_state=0)
    sampler.fit_resample(X, y)
    table = sampler.cell_counts_
    assert len(table) == 8  # 2 sexes x 2 ages x 2 labels
    assert ("female", False) in set(table["group"])
    assert isinstance(sampler.sensitive_features_, pd.DataFrame)


def test_column_positions_on_numpy_and_sparse():
    rng = np.random.RandomState(0)
    X = np.column_stack([rng.randint(0, 2, 40), rng.normal(size=40)])
    y = rng.randint(0, 2, 40)
    dense = GroupResampler(sensitive_features=0, random_state=0)
    X_dense, _ = dense.fit_resample(X, y)
    sparse_sampler = GroupResampler(sensitive_features=[0], random_state=0)
    X_sparse, _ = sparse_sampler.fit_resample(sparse.csr_matrix(X), y)
    np.testing.assert_array_equal(X_sparse.toarray(), X_dense)
    np.testing.assert_array_equal(dense.sensitive_features_, X_dense[:, 0])


def test_a_function_of_X_gives_the_groups(frame):
    X, y = frame
    sampler = GroupResampler(sensitive_features=lambda X: X["age"] >= 40)
    X_res, _ = sampler.fit_resample(X, y)
    np.testing.assert_array_equal(sampler.sensitive_features_, X_res["age"] >= 40)


def test_same_seed_same_rows_and_report(frame):
    X, y = frame
    first = GroupResampler(strategy="mixed", sensitive_features="sex", random_state=3)
    second = GroupResampler(strategy="mixed", sensitive_features="sex", random_state=3)
    first.fit_resample(X, y)
    second.fit_resample(X, y)
    np.testing.assert_array_equal(first.sample_indices_, second.sample_indices_)
    assert list(first.cell_counts_.columns) == ["group", "label", "before", "after"]


def test_fit_keeps_the_report(frame):
    X, y = frame
    sampler = GroupResampler(sensitive_features="sex").fit(X, y)
    assert sampler.cell_counts_["before"].sum() == len(X)


# -- bad input: a ValueError that names the argument --------------------------


def test_missing_column_is_named_with_the_available_ones(frame):
    X, y = frame
    with pytest.raises(ValueError, match=r"\['race'\].*columns of X are \['age'"):
        GroupResampler(sensitive_features="race").fit_resample(X, y)


def test_column_name_needs_a_dataframe(frame):
    X, y = frame
    with pytest.raises(ValueError, match="X must be a pandas DataFrame"):
        GroupResampler(sensitive_features="sex").fit_resample(X.to_numpy(), y)


def test_column_position_out_of_range():
    X, y = np.zeros((6, 2)), np.array([0, 1] * 3)
    with pytest.raises(ValueError, match="position.*\\[5\\].*only 2 columns"):
        GroupResampler(sensitive_features=5).fit_resample(X, y)


def test_mixed_names_and_positions_are_refused(frame):
    X, y = frame
    with pytest.raises(ValueError, match="not mixed"):
        GroupResampler(sensitive_features=["sex", 0]).fit_resample(X, y)


def test_sensitive_features_of_the_wrong_length(frame):
    X, y = frame
    with pytest.raises(ValueError, match="sensitive_features has 59 rows but X has 60"):
        GroupResampler().fit_resample(X, y, sensitive_features=X["sex"][:-1])


def test_neither_nor_both(frame):
    X, y = frame
    with pytest.raises(ValueError, match="needs the sensitive features"):
        GroupResampler().fit_resample(X, y)
    with pytest.raises(ValueError, match="got sensitive_features twice"):
        GroupResampler(sensitive_features="sex").fit_resample(
            X, y, sensitive_features=X["sex"]
        )


def test_empty_cell_is_named_with_what_to_do():
    X = np.zeros((6, 1))
    y = np.array([0, 0, 1, 1, 0, 0])
    group = np.array(["a", "a", "a", "a", "b", "b"])  # group b has no label 1
    for target in ("equal_cells", "equal_label_rates"):
        with pytest.raises(ValueError, match=r"\(group='b', label=1\) has no rows"):
            GroupResampler(target=target).fit_resample(X, y, sensitive_features=group)
    sampler = GroupResampler(target="equal_groups", random_state=0)
    sampler.fit_resample(X, y, sensitive_features=group)
    assert sampler.sampling_strategy_[("b", 0)] == 4


def test_a_target_undersampling_cannot_meet():
    X, y = np.zeros((8, 1)), np.array([0, 1] * 4)
    group = np.array(["a"] * 4 + ["b"] * 4)
    sampler = GroupResampler(strategy="undersample", target={("a", 0): 5})
    with pytest.raises(
        ValueError, match=r"strategy='undersample'.*has 2 rows.*asks for 5"
    ):
        sampler.fit_resample(X, y, sensitive_features=group)
    sampler = GroupResampler(target={("a", 0): 1})
    with pytest.raises(ValueError, match=r"strategy='oversample'.*remove rows"):
        sampler.fit_resample(X, y, sensitive_features=group)


def test_one_class_is_refused():
    with pytest.raises(ValueError, match="at least two classes"):
        GroupResampler().fit_resample(
            np.zeros((4, 1)), [1] * 4, sensitive_features=[0, 1] * 2
        )


def test_bad_parameters_name_themselves():
    X, y = np.zeros((4, 1)), [0, 1] * 2
    with pytest.raises(ValueError, match="'strategy' parameter of GroupResampler"):
        GroupResampler(strategy="smote").fit_resample(X, y, sensitive_features=y)
    with pytest.raises(ValueError, match="'target' parameter of GroupResampler"):
        GroupResampler(target="balanced").fit_resample(X, y, sensitive_features=y)
