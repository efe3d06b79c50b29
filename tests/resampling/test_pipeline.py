"""Samplers inside imbalanced-learn's Pipeline, in GridSearchCV, with and without
metadata routing: they resample at fit time, never at predict or score."""

import numpy as np
import pandas as pd
import pytest
import sklearn
from imblearn.pipeline import Pipeline
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.preprocessing import OneHotEncoder

from skfairtune.resampling import GroupResampler, GroupSMOTE

SEEN = []  # (method, rows, cells) for every call the spy gets, across clones


class Spy(LogisticRegression):
    """LogisticRegression that records the rows it is given."""

    def fit(self, X, y, sample_weight=None):
        group = np.asarray(X)[:, 0]
        cells = pd.crosstab(group, np.asarray(y)).to_numpy().ravel()
        SEEN.append(("fit", len(y), tuple(cells)))
        return super().fit(X, y, sample_weight=sample_weight)

    def predict(self, X):
        SEEN.append(("predict", len(X), None))
        return super().predict(X)


@pytest.fixture
def data():
    rng = np.random.RandomState(0)
    n = 150
    group = rng.choice(2, size=n, p=[0.7, 0.3])
    y = (rng.uniform(size=n) < np.where(group == 1, 0.6, 0.25)).astype(int)
    X = np.column_stack([group, rng.normal(size=(n, 2))])
    return X, y, group


CV = KFold(3, shuffle=True, random_state=0)


def expected_fit_sizes(X, y, group, sampler):
    sizes = []
    for train, _ in CV.split(X, y):
        X_res, _ = sampler.fit_resample(
            X[train], y[train], sensitive_features=group[train]
        )
        sizes.append(len(X_res))
    return sizes


def check_calls(X, y, sizes_at_fit):
    fits = [call for call in SEEN if call[0] == "fit"]
    predicts = [call for call in SEEN if call[0] == "predict"]
    test_sizes = {len(test) for _, test in CV.split(X, y)}
    # 2 candidates x 3 folds, then the refit on all the data.
    assert [rows for _, rows, _ in fits[:6]] == sizes_at_fit * 2
    # Every fit saw balanced cells: the groups were aligned with the fold's rows.
    assert all(len(set(cells)) == 1 for _, _, cells in fits)
    # Scoring predicts on the test folds as they are: nothing resampled.
    assert {rows for _, rows, _ in predicts} == test_sizes
    assert len(predicts) == 6


def test_grid_search_with_metadata_routing(data):
    X, y, group = data
    SEEN.clear()
    with sklearn.config_context(enable_metadata_routing=True):
        sampler = GroupResampler(random_state=0).set_fit_resample_request(
            sensitive_features=True
        )
        pipe = Pipeline([("resample", sampler), ("clf", Spy())])
        search = GridSearchCV(pipe, {"clf__C": [0.1, 1.0]}, cv=CV)
        search.fit(X, y, sensitive_features=group)
    check_calls(X, y, expected_fit_sizes(X, y, group, GroupResampler(random_state=0)))
    # The refit resampled all the data; predict afterwards does not.
    assert SEEN[-1][1] == len(
        GroupResampler().fit_resample(X, y, sensitive_features=group)[0]
    )
    SEEN.clear()
    search.predict(X)
    assert SEEN == [("predict", len(X), None)]


def test_grid_search_reading_a_named_column_without_routing(data):
    X, y, group = data
    frame = pd.DataFrame({"group": group, "a": X[:, 1], "b": X[:, 2]})
    SEEN.clear()
    pipe = Pipeline(
        [
            (
                "resample",
                GroupSMOTE(k_neighbors=3, sensitive_features="group", random_state=0),
            ),
            ("clf", Spy()),
        ]
    )
    GridSearchCV(pipe, {"clf__C": [0.1, 1.0]}, cv=CV).fit(frame, y)
    sizes = expected_fit_sizes(X, y, group, GroupSMOTE(k_neighbors=3, random_state=0))
    check_calls(X, y, sizes)


def test_column_transformer_after_the_sampler():
    rng = np.random.RandomState(1)
    n = 120
    frame = pd.DataFrame({"sex": rng.choice(["f", "m"], n), "x": rng.normal(size=n)})
    y = rng.randint(0, 2, n)
    pipe = Pipeline(
        [
            ("resample", GroupResampler(sensitive_features="sex", random_state=0)),
            (
                "encode",
                make_column_transformer(
                    (OneHotEncoder(), ["sex"]), remainder="passthrough"
                ),
            ),
            ("clf", LogisticRegression()),
        ]
    )
    pipe.fit(frame, y)
    assert pipe.predict(frame).shape == (n,)


def test_without_routing_values_do_not_reach_the_sampler(data):
    # imbalanced-learn's Pipeline passes step__param only to fit, not to
    # fit_resample: the sampler then says what it is missing.
    X, y, group = data
    pipe = Pipeline([("resample", GroupResampler()), ("clf", LogisticRegression())])
    with pytest.raises(ValueError, match="needs the sensitive features"):
        pipe.fit(X, y, resample__sensitive_features=group)
