"""The estimators' sampler= parameter: resampling inside fit, groups aligned."""

import numpy as np
import pytest
from imblearn.over_sampling import RandomOverSampler
from imblearn.under_sampling import RandomUnderSampler
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfairtune import FairTuneClassifier
from skfairtune.resampling import GroupResampler, GroupSMOTE, reweighing_weights


class Spy(FairTuneClassifier):
    """Records what reaches training (after resampling) and prediction."""

    seen = []

    def _groups(self, sensitive_features, n_samples, first):
        codes, n_groups = super()._groups(sensitive_features, n_samples, first)
        Spy.seen.append(("groups", codes.copy()))
        return codes, n_groups

    def _validate_xy(self, X, y, *, reset):
        X, y = super()._validate_xy(X, y, reset=reset)
        Spy.seen.append(("fit_X", X.copy()))
        return X, y

    def predict(self, X):
        Spy.seen.append(("predict", len(X)))
        return super().predict(X)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    n = 300
    group = rng.choice([0, 1], n, p=[0.8, 0.2])
    y = (rng.random(n) < np.where(group == 1, 0.2, 0.5)).astype(int)
    # Column 0 *is* the group: any misalignment of rows and groups shows.
    X = np.column_stack([group, rng.normal(size=(n, 2))]).astype(float)
    return X, y, group


@pytest.mark.parametrize("sampler", [
    GroupResampler(random_state=0),
    GroupResampler(strategy="undersample", random_state=0),
    GroupResampler(target="equal_label_rates", strategy="mixed", random_state=0),
    GroupSMOTE(k_neighbors=3, random_state=0),
    RandomOverSampler(random_state=0),
    RandomUnderSampler(random_state=0),
], ids=lambda s: type(s).__name__ + getattr(s, "strategy", ""))
def test_groups_stay_aligned_with_rows(data, sampler):
    X, y, group = data
    Spy.seen = []
    Spy(sampler=sampler, max_epochs=1, random_state=0).fit(X, y, sensitive_features=group)
    seen = dict(Spy.seen)
    assert len(seen["fit_X"]) == len(seen["groups"])
    # group 1 has code 1: the feature that equals the group must equal the code
    np.testing.assert_array_equal(seen["fit_X"][:, 0], seen["groups"])


def test_resampler_reaches_the_target_inside_fit(data):
    X, y, group = data
    clf = FairTuneClassifier(sampler=GroupResampler(random_state=0), max_epochs=1,
                             random_state=0).fit(X, y, sensitive_features=group)
    counts = clf.sampler_.cell_counts_
    assert (counts["after"] == counts["before"].max()).all()
    assert clf.sampler is not clf.sampler_  # the parameter stays unfitted
    assert not hasattr(clf.sampler, "cell_counts_")


def test_plain_pipeline_resamples_at_fit_only(data):
    X, y, group = data
    Spy.seen = []
    pipe = make_pipeline(StandardScaler(), Spy(sampler=GroupResampler(random_state=0),
                                               max_epochs=1, random_state=0))
    search = GridSearchCV(pipe, {"spy__penalty_strength": [0.0, 1.0]},
                          cv=StratifiedKFold(3), refit=False)
    search.fit(X, y, spy__sensitive_features=group)
    fits = [len(v) for k, v in Spy.seen if k == "groups"]
    predictions = [v for k, v in Spy.seen if k == "predict"]
    assert min(fits) > len(X) * 2 / 3  # training folds grew by oversampling
    assert sorted(set(predictions)) == [100]  # test folds scored as they are


def test_reweighing_multiplies_the_weights(data, monkeypatch):
    X, y, group = data
    seen = {}
    import skfairtune.estimators._base as base

    original = base.to_tensor_data

    def spy(X, y, groups, weight, **kwargs):
        seen["weight"] = np.asarray(weight)
        return original(X, y, groups, weight, **kwargs)

    monkeypatch.setattr(base, "to_tensor_data", spy)
    FairTuneClassifier(sampler="reweighing", max_epochs=1).fit(X, y, sensitive_features=group)
    np.testing.assert_allclose(seen["weight"], reweighing_weights(y, sensitive_features=group),
                               rtol=1e-6)
