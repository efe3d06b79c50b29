"""The shared input checks: one message for a row count, one for column names."""

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from skfairtune._validation import (
    check_n_rows,
    column_names,
    is_column_names,
    num_rows,
    read_columns,
)
from skfairtune.audit import audit_dataset
from skfairtune.report import model_report
from skfairtune.resampling import GroupResampler

MISSING = (r"sensitive_features names column\(s\) \['race'\] that X does not have; "
           r"the columns of X are \['sex', 'age'\]\.")


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"sex": rng.choice(["f", "m"], 40), "age": rng.normal(size=40)})
    y = np.array([0, 1] * 20)
    return X, y


# -- column names ---------------------------------------------------------------


@pytest.mark.parametrize("spec, names", [
    ("sex", ["sex"]),
    (["sex", "age"], ["sex", "age"]),
    (("sex",), ["sex"]),
])
def test_column_names(spec, names):
    assert is_column_names(spec)
    assert column_names(spec) == names


@pytest.mark.parametrize("spec", [None, [], 3, [0, 1], ["sex", 0], True, np.array(["a"])])
def test_not_column_names(spec):
    assert not is_column_names(spec)


def test_integer_labels_are_names_where_the_caller_says_so():
    assert column_names(0, kinds=(str, int)) == [0]
    assert not is_column_names([True], kinds=(str, int))  # a bool is no column label


@pytest.mark.parametrize("spec", [[], ["sex", 0], ["sex", "sex"], None, 2.5])
def test_bad_spec_has_one_message(spec):
    expected = (r"sensitive_features must be a column name of X or a non-empty list of "
                r"column names without repeats, or a function; got ")
    with pytest.raises(ValueError, match=expected + re.escape(repr(spec))):
        column_names(spec, otherwise=", or a function")


def test_read_columns_keeps_the_shape_asked_for(data):
    X, _ = data
    assert isinstance(read_columns(X, "sex"), pd.Series)
    assert read_columns(X, ["sex"]).columns.tolist() == ["sex"]
    assert read_columns(X, ("age", "sex")).columns.tolist() == ["age", "sex"]


def test_missing_column_has_one_message(data):
    X, _ = data
    with pytest.raises(ValueError, match=MISSING):
        read_columns(X, ["sex", "race"])


def test_names_need_a_frame(data):
    X, _ = data
    with pytest.raises(ValueError, match=r"sensitive_features='sex' names column\(s\) of X, "
                       r"so X must be a pandas DataFrame; got a ndarray without column "
                       r"names\. Pass X as a pandas DataFrame, or pass the values of "
                       r"sensitive_features themselves\."):
        read_columns(X.to_numpy(), "sex")
    with pytest.raises(ValueError, match=r"groups=\['a'\] .* got a list .*\. Use a frame\."):
        read_columns([[1]], ["a"], name="groups", fix="Use a frame.")


def test_every_reader_of_columns_gives_the_same_message(data):
    """The audit, the model report and the resamplers read columns one way."""
    X, y = data
    clf = LogisticRegression().fit(X[["age"]], y)
    readers = [
        lambda: audit_dataset(X, y, sensitive_features="race"),
        lambda: model_report(clf, X, y, sensitive_features="race"),
        lambda: GroupResampler(sensitive_features="race").fit_resample(X, y),
    ]
    for read in readers:
        with pytest.raises(ValueError, match=MISSING):
            read()


# -- row counts -----------------------------------------------------------------


def test_row_count_has_one_message():
    with pytest.raises(ValueError, match=r"^y has 3 rows but X has 4; give y one row per "
                       r"sample\.$"):
        check_n_rows(3, 4, name="y")
    with pytest.raises(ValueError, match="sensitive_features has 3 rows but y_true has 4"):
        check_n_rows(3, 4, name="sensitive_features", reference="y_true")
    check_n_rows(4, 4, name="y")


@pytest.mark.parametrize("values, n", [
    ([1, 2, 3], 3), (np.zeros((4, 2)), 4), (pd.DataFrame({"a": [1, 2]}), 2),
    (pd.Series([1.0]), 1),
])
def test_num_rows(values, n):
    assert num_rows(values) == n


def test_every_row_check_gives_the_same_message(data):
    """The audit, the splitter, the resamplers and the group encoding agree."""
    from skfairtune._groups import encode_groups
    from skfairtune.model_selection import FairStratifiedKFold
    from skfairtune.resampling import resample

    X, y = data
    checks = [
        (lambda: audit_dataset(X, y[:-1], sensitive_features="sex"), "y has 39 rows but X has 40"),
        (lambda: next(FairStratifiedKFold(2).split(X, y[:-1], sensitive_features=X["sex"])),
         "y has 39 rows but X has 40"),
        (lambda: resample(GroupResampler(), X, y, sensitive_features=X["sex"][:-1]),
         "sensitive_features has 39 rows but X has 40"),
        (lambda: encode_groups(X["sex"], n_samples=41), "sensitive_features has 40 rows but "
         "X has 41"),
    ]
    for call, start in checks:
        with pytest.raises(ValueError, match=start + r"; give \w+ one row per sample\."):
            call()
