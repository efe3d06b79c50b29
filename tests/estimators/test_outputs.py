"""Shapes and meaning of the outputs: multiclass, binary and regression."""

import numpy as np
import pandas as pd
import pytest

from skfairtune import FairTuneClassifier, FairTuneRegressor


@pytest.fixture
def multiclass_model(multiclass_data):
    X, y, group = multiclass_data
    est = FairTuneClassifier(max_epochs=20, lr=0.01, random_state=0)
    return est.fit(X, y, sensitive_features=group)


def test_multiclass_string_labels(multiclass_model, multiclass_data):
    X, y, _ = multiclass_data
    est = multiclass_model
    assert est.classes_.tolist() == ["high", "low", "mid"]
    pred = est.predict(X)
    assert pred.shape == (len(y),)
    assert set(pred) <= set(est.classes_)
    assert est.score(X, y) > 0.6


def test_multiclass_proba_and_decision(multiclass_model, multiclass_data):
    X, y, _ = multiclass_data
    est = multiclass_model
    proba = est.predict_proba(X)
    assert proba.shape == (len(y), 3)
    assert np.all(proba >= 0)
    np.testing.assert_allclose(proba.sum(axis=1), 1, atol=1e-9)
    decision = est.decision_function(X)
    assert decision.shape == (len(y), 3)
    # predict is the most probable class, and the largest logit
    assert np.array_equal(est.predict(X), est.classes_[proba.argmax(axis=1)])
    assert np.array_equal(proba.argmax(axis=1), decision.argmax(axis=1))


@pytest.mark.parametrize("penalty", ["demographic_parity", "equalized_odds",
                                     "equal_opportunity", "worst_group_loss"])
def test_multiclass_penalties_train(multiclass_data, penalty):
    X, y, group = multiclass_data
    est = FairTuneClassifier(penalty=penalty, max_epochs=3, random_state=0)
    est.fit(X, y, sensitive_features=group)
    assert np.isfinite(est.history_[:, "train_penalty"]).all()


def test_binary_outputs(binary_data):
    X, y, group = binary_data
    labels = np.array(["neg", "pos"])[y]
    est = FairTuneClassifier(max_epochs=20, lr=0.01, random_state=0)
    est.fit(X, labels, sensitive_features=group)
    proba = est.predict_proba(X)
    assert proba.shape == (len(y), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1, atol=1e-9)
    decision = est.decision_function(X)
    assert decision.shape == (len(y),)
    # a log-odds: positive exactly where the second class is predicted
    assert np.array_equal(decision > 0, est.predict(X) == "pos")
    np.testing.assert_allclose(1 / (1 + np.exp(-decision)), proba[:, 1], atol=1e-6)
    assert 0.8 < est.score(X, labels) <= 1


def test_regression_one_target(regression_data):
    X, y, _, group = regression_data
    est = FairTuneRegressor(max_epochs=30, lr=0.01, random_state=0)
    est.fit(X, y, sensitive_features=group)
    assert est.predict(X).shape == (len(y),)
    assert est.predict(X).dtype == np.float64
    assert est.n_outputs_ == 1
    assert est.score(X, y) > 0.8


def test_regression_two_targets(regression_data):
    X, _, Y, group = regression_data
    est = FairTuneRegressor(max_epochs=30, lr=0.01, random_state=0)
    est.fit(X, Y, sensitive_features=group)
    assert est.predict(X).shape == (len(Y), 2)
    assert est.n_outputs_ == 2
    assert est.score(X, Y) > 0.8
    assert not hasattr(est, "predict_proba")


def test_dataframe_input_keeps_feature_names(binary_data):
    X, y, group = binary_data
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    est = FairTuneClassifier(max_epochs=2, random_state=0)
    est.fit(frame, y, sensitive_features=pd.Series(group, name="sex"))
    assert est.feature_names_in_.tolist() == list(frame.columns)
    with pytest.warns(UserWarning, match="feature names"):
        from_array = est.predict_proba(X)
    np.testing.assert_array_equal(est.predict_proba(frame), from_array)


def test_sample_weight_changes_the_fit(binary_data):
    X, y, group = binary_data
    weight = np.where(y == 1, 5.0, 1.0)
    common = dict(max_epochs=10, lr=0.01, random_state=0)
    plain = FairTuneClassifier(**common).fit(X, y, sensitive_features=group)
    weighted = FairTuneClassifier(**common).fit(X, y, sensitive_features=group,
                                                sample_weight=weight)
    # up-weighting the positives raises the predicted positive rate
    assert weighted.predict(X).mean() > plain.predict(X).mean()


def test_zero_sample_weights_stay_finite(binary_data):
    X, y, group = binary_data
    weight = np.zeros(len(y))
    weight[:40] = 1.0  # the other rows are dropped by weight 0
    est = FairTuneClassifier(max_epochs=3, batch_size=8, random_state=0)
    est.fit(X, y, sensitive_features=group, sample_weight=weight)
    assert np.isfinite(est.predict_proba(X)).all()


def test_sensitive_features_never_reach_the_network(binary_data):
    X, y, group = binary_data
    sensitive = np.column_stack([group, group * 2])
    est = FairTuneClassifier(max_epochs=1).fit(X, y, sensitive_features=sensitive)
    assert est.n_features_in_ == X.shape[1]
    assert est.module_.hidden[0].in_features == X.shape[1]
    # predicting takes X alone
    assert est.predict(X).shape == (len(y),)
