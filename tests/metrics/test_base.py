"""The fast group encoding of the metrics is encode_groups' encoding."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skfairtune._groups import encode_groups
from skfairtune.metrics._base import encode

values = st.one_of(
    st.lists(st.integers(-3, 3), min_size=1, max_size=30),
    st.lists(st.sampled_from(["a", "b", "c", "zz"]), min_size=1, max_size=30),
    st.lists(st.sampled_from([0.5, 1.5, -2.0]), min_size=1, max_size=30),
    st.lists(st.sampled_from([True, False]), min_size=1, max_size=30),
)


def _same(ours, theirs):
    np.testing.assert_array_equal(ours.codes, theirs.codes)
    assert ours.labels == theirs.labels
    assert ours.names == theirs.names


@settings(max_examples=60, deadline=None)
@given(column=values, form=st.sampled_from(["list", "array", "objects", "series",
                                            "category"]))
def test_one_column_encodes_like_encode_groups(column, form):
    data = {"list": column, "array": np.array(column),
            "objects": np.array(column, dtype=object),
            "series": pd.Series(column, name="sex"),
            "category": pd.Series(column, name="sex", dtype="category")}[form]
    _same(encode(data, len(column)), encode_groups(data))


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_several_columns_encode_like_encode_groups(data):
    n = data.draw(st.integers(1, 30))
    first = data.draw(st.lists(st.sampled_from(["x", "y", "z"]), min_size=n,
                               max_size=n))
    second = data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    frame = pd.DataFrame({"race": first, "age": second})
    _same(encode(frame, n), encode_groups(frame))
    array = np.column_stack([np.arange(n) % 3, np.array(second)])
    _same(encode(array, n), encode_groups(array))


def test_equal_strings_in_distinct_objects_are_one_group():
    # Rows are first told apart by object; equal values must still merge.
    words = np.array(["".join(["a", "b"]), "ab", "c", "".join(["c"])], dtype=object)
    assert words[0] is not words[1]
    encoding = encode(words, 4)
    assert encoding.labels == ["ab", "c"]
    np.testing.assert_array_equal(encoding.codes, [0, 0, 1, 1])


def test_missing_values_get_encode_groups_message():
    with pytest.raises(ValueError, match="missing values"):
        encode(np.array([1.0, np.nan, 2.0]), 3)
    with pytest.raises(ValueError, match="missing values"):
        encode(pd.DataFrame({"a": ["x", None], "b": [1, 2]}), 2)
    with pytest.raises(ValueError, match="missing values"):
        encode(np.array(["x", np.nan], dtype=object), 2)


def test_length_mismatch_is_named():
    with pytest.raises(ValueError, match="sensitive_features has 2 rows but y_true"):
        encode(["a", "b"], 3)
