"""Encoding the sensitive attribute into group ids."""

import datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skfairtune._groups import encode_groups, recode


@pytest.mark.parametrize(
    "values, labels, codes",
    [
        (["b", "a", "b", "c"], ["a", "b", "c"], [1, 0, 1, 2]),
        ([3, 1, 3, 2], [1, 2, 3], [2, 0, 2, 1]),
        (np.array([2.5, 1.0, 2.5]), [1.0, 2.5], [1, 0, 1]),
        ([True, False, True], [False, True], [1, 0, 1]),
        (np.array(["m", "f"], dtype=object), ["f", "m"], [1, 0]),
        (pd.Categorical(["b", "a", "b"]), ["a", "b"], [1, 0, 1]),
        (pd.Series([1, 2, 1], dtype="Int64"), [1, 2], [0, 1, 0]),
    ],
    ids=["strings", "ints", "floats", "bools", "object", "categorical", "Int64"],
)
def test_one_column(values, labels, codes):
    enc = encode_groups(values)
    assert enc.labels == labels
    assert enc.codes.tolist() == codes
    assert enc.codes.dtype == np.int64
    assert enc.n_groups == len(labels)
    assert enc.names == ["sensitive_feature_0"]


def test_series_keeps_its_name_and_ignores_its_index():
    series = pd.Series(["x", "y", "x"], index=[10, 3, 7], name="sex")
    enc = encode_groups(series)
    assert enc.names == ["sex"]
    assert enc.codes.tolist() == [0, 1, 0]


def test_dataframe_is_intersectional():
    frame = pd.DataFrame({"sex": ["m", "f", "m", "f"], "race": [1, 2, 1, 1]})
    enc = encode_groups(frame)
    assert enc.names == ["sex", "race"]
    assert enc.labels == [("f", 1), ("f", 2), ("m", 1)]
    assert enc.codes.tolist() == [2, 1, 2, 0]


@pytest.mark.parametrize("make", [
    lambda rows: np.array(rows, dtype=object),
    lambda rows: [list(r) for r in rows],
    lambda rows: rows,  # a list of tuples
    lambda rows: pd.DataFrame(rows),
], ids=["object-array", "lists", "tuples", "frame"])
def test_two_columns_give_sorted_tuples(make):
    rows = [("m", 1), ("f", 2), ("m", 1), ("f", 1), ("m", 2)]
    enc = encode_groups(make(rows))
    assert enc.labels == [("f", 1), ("f", 2), ("m", 1), ("m", 2)]
    assert all(isinstance(label, tuple) for label in enc.labels)
    assert enc.codes.tolist() == [2, 1, 2, 0, 3]


def test_only_combinations_that_occur():
    enc = encode_groups(np.array([["a", "x"], ["b", "y"]], dtype=object))
    assert enc.labels == [("a", "x"), ("b", "y")]


@pytest.mark.parametrize("values", [["a", 1, "b", 2.0, 1], ["1", 1, "a"], [1, "1"]])
def test_mixed_types_keep_values_apart(values):
    enc = encode_groups(values)
    distinct = len({(type(v).__name__ if isinstance(v, str) else "num", v)
                    for v in values})
    assert enc.n_groups == distinct
    # equal values share a group; the string "1" and the number 1 do not
    for i, a in enumerate(values):
        for j, b in enumerate(values):
            same = a == b and isinstance(a, str) == isinstance(b, str)
            assert (enc.codes[i] == enc.codes[j]) == same




@pytest.mark.parametrize("values", [
    ["b", "a", "b"],
    [3, 1, 2],
    ["a", 1, "b", 2.0],
    pytest.param([datetime.date(2020, 1, 1), "x", 3]),
    pytest.param(["a", b"a", 1]),
])
def test_labels_give_back_each_rows_value(values):
    enc = encode_groups(values)
    assert [enc.labels[c] for c in enc.codes] == list(values)
    assert enc.n_groups == len(set(map(repr, values)))


def test_wrong_length():
    with pytest.raises(ValueError, match="has 2 rows but X has 3"):
        encode_groups(["a", "b"], n_samples=3)


@pytest.mark.parametrize("values", [
    ["a", None, "b"],
    [1.0, np.nan, 2.0],
    pd.Series([1, None, 2], dtype="Int64"),
    ["a", pd.NA, "b"],
    pd.DataFrame({"s": ["m", "f", "m"], "r": [1.0, 2.0, np.nan]}),
])
def test_missing_values(values):
    with pytest.raises(ValueError, match=r"missing values .* 1 row\(s\)"):
        encode_groups(values)


@pytest.mark.parametrize("values", [[], np.array([]), pd.Series([], dtype=object)])
def test_empty(values):
    with pytest.raises(ValueError, match="empty"):
        encode_groups(values)


@pytest.mark.parametrize("values, message", [
    (None, "got None"),
    ("sex", "scalar"),
    (np.zeros((2, 2, 2)), "3 dimensions"),
    (pd.DataFrame(index=range(3)), "no columns"),
])
def test_not_an_attribute(values, message):
    with pytest.raises(ValueError, match=message):
        encode_groups(values)


def test_error_names_the_argument():
    with pytest.raises(ValueError, match="groups has 1 rows"):
        encode_groups(["a"], n_samples=2, name="groups")






@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 3)), min_size=1,
                max_size=40))
def test_intersectional_property(rows):
    """Same rows, same group; labels sorted and unique."""
    enc = encode_groups(rows)
    assert enc.labels == sorted(set(rows))
    assert [enc.labels[c] for c in enc.codes] == rows


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=3), st.integers(-5, 5)), min_size=1,
                max_size=30))
def test_one_column_property(values):
    enc = encode_groups(values)
    assert [enc.labels[c] for c in enc.codes] == values
    assert len(set(map(repr, enc.labels))) == enc.n_groups


def test_recode_keeps_each_groups_id_by_label():
    first = encode_groups(["a", "b", "c"])
    later = encode_groups(["c", None, "d", "b"], missing="ignore")
    enc = recode(later, first.labels, first.names)
    # 'c' and 'b' keep their ids, the new 'd' comes after, the missing row stays -1
    assert enc.labels == ["a", "b", "c", "d"]
    assert enc.codes.tolist() == [2, -1, 3, 1]


def test_recode_of_intersectional_groups():
    first = encode_groups(np.array([[0, "x"], [1, "y"]], dtype=object))
    later = encode_groups(np.array([[1, "y"], [1, "x"]], dtype=object))
    enc = recode(later, first.labels, first.names)
    assert enc.labels == [(0, "x"), (1, "y"), (1, "x")]
    assert enc.codes.tolist() == [1, 2]


def test_recode_refuses_another_number_of_columns():
    first = encode_groups(["a", "b"])
    with pytest.raises(ValueError, match=r"2 column\(s\) but had 1"):
        recode(encode_groups(np.array([["a", "x"]])), first.labels, first.names)
