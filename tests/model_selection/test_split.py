"""FairStratifiedKFold: every cell in every fold, through routing and groups=."""

import numpy as np
import pandas as pd
import pytest
import sklearn
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_validate

from skfairtune.model_selection import FairStratifiedKFold


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_each_cell_is_within_one_row_of_its_share_in_every_fold(data):
    n_splits = data.draw(st.integers(2, 6))
    n = data.draw(st.integers(n_splits * 2, 120))
    groups = np.array(data.draw(st.lists(st.sampled_from(["a", "b", "c"]),
                                         min_size=n, max_size=n)))
    y = np.array(data.draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)))
    shuffle = data.draw(st.booleans())
    cv = FairStratifiedKFold(n_splits, shuffle=shuffle,
                             random_state=0 if shuffle else None)
    cells = pd.Series(list(zip(groups, y)))
    whole = cells.value_counts()
    tested = []
    if (whole < n_splits).all():
        with pytest.raises(ValueError, match="greater than the number of rows"):
            cv.split(np.zeros((n, 1)), y, groups=groups)
        return
    with pytest.warns(UserWarning) if (whole < n_splits).any() else _nothing():
        folds = list(cv.split(np.zeros((n, 1)), y, groups=groups))
    assert len(folds) == cv.get_n_splits()
    for train, test in folds:
        assert len(np.intersect1d(train, test)) == 0 and len(train) + len(test) == n
        counts = cells[test].value_counts().reindex(whole.index, fill_value=0)
        assert (np.abs(counts - whole / n_splits) < 1).all()
        tested.append(test)
    assert np.array_equal(np.sort(np.concatenate(tested)), np.arange(n))


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _frame(n=240, seed=0):
    rng = np.random.default_rng(seed)
    sex = rng.choice(["f", "m"], n, p=[0.3, 0.7])
    X = pd.DataFrame({"x": rng.normal(size=n) + (sex == "m")})
    y = (X["x"] + rng.normal(size=n) > 0.5).astype(int).to_numpy()
    return X, y, sex


def test_requests_sensitive_features_and_groups_by_default():
    routing = FairStratifiedKFold().get_metadata_routing()
    assert routing.split.requests == {"groups": True, "sensitive_features": True}


def test_grid_search_routes_the_attribute_to_the_splitter():
    X, y, sex = _frame()
    seen = []

    class Spy(FairStratifiedKFold):
        def split(self, X, y, groups=None, sensitive_features=None):
            seen.append(sensitive_features)
            return super().split(X, y, groups, sensitive_features)

    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]},
                              cv=Spy(n_splits=3)).fit(X, y, sensitive_features=sex)
    assert search.n_splits_ == 3 and seen and seen[0] is not None


def test_without_routing_groups_do():
    X, y, sex = _frame()
    result = cross_validate(LogisticRegression(), X, y, groups=sex,
                            cv=FairStratifiedKFold(4))
    assert len(result["test_score"]) == 4


def test_intersectional_attribute():
    X, y, sex = _frame()
    two = pd.DataFrame({"sex": sex, "old": np.arange(len(sex)) % 2})
    folds = list(FairStratifiedKFold(3).split(X, y, sensitive_features=two))
    assert len(folds) == 3


@pytest.mark.parametrize("kwargs, message", [
    ({}, "needs the sensitive attribute"),
    ({"groups": ["a"] * 6, "sensitive_features": ["a"] * 6}, "got both groups"),
    ({"groups": ["a", None, "a", "b", "b", "b"]}, "groups contains missing values"),
    ({"groups": ["a"] * 5}, "groups has 5 rows but X has 6"),
])
def test_split_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        FairStratifiedKFold(2).split(np.zeros((6, 1)), [0, 1] * 3, **kwargs)


def test_small_cells_warn_and_name_the_cell():
    groups = ["a"] * 10 + ["b"] * 2
    y = [0, 1] * 5 + [1, 1]
    with pytest.warns(UserWarning, match="group 'b' with label 1 has 2"):
        list(FairStratifiedKFold(3).split(np.zeros((12, 1)), y, groups=groups))


def test_every_cell_too_small_is_an_error():
    with pytest.raises(ValueError, match="n_splits=5 is greater than the number"):
        FairStratifiedKFold(5).split(np.zeros((4, 1)), [0, 1, 0, 1],
                                     groups=[0, 0, 1, 1])


def test_continuous_target_is_refused():
    with pytest.raises(ValueError, match="got 'continuous'"):
        FairStratifiedKFold(2).split(np.zeros((4, 1)), [0.1, 0.7, 0.3, 0.2],
                                     groups=[0, 0, 1, 1])
