"""The sensitive attribute reaches fit through scikit-learn, rows aligned."""

import numpy as np
import pytest
import sklearn
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skfairtune import FairTuneClassifier

GRID = {"fairtuneclassifier__penalty_strength": [0, 2]}


def _pipeline(est):
    """StandardScaler then ``est``, under the name make_pipeline gives ours."""
    return Pipeline([("standardscaler", StandardScaler()), ("fairtuneclassifier", est)])


class SpyClassifier(FairTuneClassifier):
    """Records, at each fit, what reached it."""

    calls: list = []

    def fit(self, X, y, sensitive_features=None, sample_weight=None):
        seen = None if sensitive_features is None else np.asarray(sensitive_features)
        SpyClassifier.calls.append((np.asarray(X).copy(), seen))
        return super().fit(X, y, sensitive_features=sensitive_features,
                           sample_weight=sample_weight)


@pytest.fixture
def spy():
    SpyClassifier.calls = []
    yield SpyClassifier
    SpyClassifier.calls = []


@pytest.fixture
def data():
    """The group is also feature 0, so that each row's group can be checked."""
    rng = np.random.default_rng(0)
    n = 150
    code = rng.integers(0, 2, n)
    X = np.column_stack([code, rng.normal(size=(n, 3))])
    y = (X[:, 1] + code + 0.5 * rng.normal(size=n) > 0.5).astype(int)
    return X, y, np.array(["a", "b"])[code]


def _check_calls(calls, n_samples, n_splits=5, n_candidates=2):
    # every fold of every candidate, then the refit on all the rows
    assert len(calls) == n_splits * n_candidates + 1
    for X_fit, sensitive in calls:
        assert sensitive is not None
        assert len(sensitive) == len(X_fit)
        # Standardized feature 0 is above 0 exactly for group "b": the
        # sensitive values are those of the rows fitted, in their order.
        assert np.array_equal(X_fit[:, 0] > 0, sensitive == "b")
    fold_sizes = {len(X_fit) for X_fit, _ in calls[:-1]}
    assert max(fold_sizes) < n_samples
    assert len(calls[-1][0]) == n_samples


def test_metadata_routing_through_pipeline_and_search(spy, data):
    X, y, group = data
    with sklearn.config_context(enable_metadata_routing=True):
        est = spy(max_epochs=2, random_state=0).set_fit_request(sensitive_features=True)
        pipe = _pipeline(est)
        search = GridSearchCV(pipe, param_grid=GRID, cv=5)
        search.fit(X, y, sensitive_features=group)
    _check_calls(spy.calls, len(y))
    assert search.best_estimator_[-1].sensitive_groups_ == ["a", "b"]
    assert search.best_estimator_[-1].n_features_in_ == X.shape[1]


def test_metadata_routing_unrequested_is_an_error(spy, data):
    """Without set_fit_request scikit-learn refuses the unrequested metadata."""
    X, y, group = data
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = _pipeline(spy(max_epochs=1))
        with pytest.raises(ValueError, match="sensitive_features"):
            GridSearchCV(pipe, param_grid=GRID).fit(X, y, sensitive_features=group)


def test_without_routing_step_prefixed_fit_params(spy, data):
    X, y, group = data
    pipe = _pipeline(spy(max_epochs=2, random_state=0))
    search = GridSearchCV(pipe, param_grid=GRID, cv=5)
    search.fit(X, y, fairtuneclassifier__sensitive_features=group)
    _check_calls(spy.calls, len(y))


def test_cross_validate_with_routing(spy, data):
    X, y, group = data
    with sklearn.config_context(enable_metadata_routing=True):
        est = spy(max_epochs=1, random_state=0).set_fit_request(sensitive_features=True)
        result = cross_validate(est, X, y, cv=3, params={"sensitive_features": group})
    assert len(result["test_score"]) == 3
    assert len(spy.calls) == 3
    for X_fit, sensitive in spy.calls:
        assert np.array_equal(X_fit[:, 0] == 1, sensitive == "b")


def test_request_methods_exist():
    est = FairTuneClassifier()
    with sklearn.config_context(enable_metadata_routing=True):
        est.set_fit_request(sensitive_features=True, sample_weight=False)
        est.set_partial_fit_request(sensitive_features=True, classes=True)
        request = est.get_metadata_routing()
    assert request.fit.requests["sensitive_features"] is True
    assert request.partial_fit.requests["classes"] is True
