"""partial_fit and warm_start continue from the current weights."""

import numpy as np
import pytest
import torch

from skfairtune import FairTuneClassifier, FairTuneRegressor

from .conftest import dp_gap, make_biased


def _weights(est):
    return {k: v.clone() for k, v in est.module_.state_dict().items()}


def _max_change(before, after):
    return max(float((after[k] - before[k]).abs().max()) for k in before)


@pytest.mark.parametrize("Estimator", [FairTuneClassifier, FairTuneRegressor])
def test_partial_fit_continues_from_current_weights(binary_data, Estimator):
    X, y, group = binary_data
    lr, batch_size = 1e-3, 50
    est = Estimator(max_epochs=3, lr=lr, batch_size=batch_size, random_state=0)
    est.fit(X, y, sensitive_features=group)
    before, n_iter = _weights(est), est.n_iter_
    assert est.partial_fit(X, y, sensitive_features=group) is est
    after = _weights(est)
    assert est.n_iter_ == n_iter + 1
    change = _max_change(before, after)
    assert change > 0
    # Adam moves a weight by about lr per step: one epoch of 4 steps stays
    # within a few lr of where it started, far from a fresh initialisation.
    assert change < 3 * lr * len(y) / batch_size
    fresh = Estimator(max_epochs=0, random_state=1).fit(X, y, sensitive_features=group)
    assert _max_change(before, _weights(fresh)) > 10 * change


def test_partial_fit_improves_over_calls(binary_data):
    X, y, group = binary_data
    est = FairTuneClassifier(lr=0.01, batch_size=32, random_state=0, penalty=None)
    losses = []
    for _ in range(8):
        est.partial_fit(X, y, classes=[0, 1], sensitive_features=group)
        losses.append(est.history_[-1, "train_loss"])
    assert est.n_iter_ == 8
    assert losses[-1] < losses[0]
    assert est.score(X, y) > 0.8


def test_partial_fit_on_chunks(binary_data):
    """Streaming: chunks of the data, each with its own sensitive features."""
    X, y, group = binary_data
    est = FairTuneClassifier(lr=0.01, batch_size=16, random_state=0)
    for _ in range(5):
        for chunk in np.array_split(np.arange(len(y)), 4):
            est.partial_fit(X[chunk], y[chunk], classes=[0, 1],
                            sensitive_features=group[chunk])
    assert est.n_iter_ == 20
    assert est.score(X, y) > 0.75


def test_first_partial_fit_takes_classes(multiclass_data):
    X, y, group = multiclass_data
    first = y != "high"
    est = FairTuneClassifier(random_state=0)
    est.partial_fit(X[first], y[first], classes=["high", "low", "mid"],
                    sensitive_features=group[first])
    assert est.classes_.tolist() == ["high", "low", "mid"]
    assert est.predict_proba(X).shape == (len(y), 3)
    est.partial_fit(X, y, sensitive_features=group)  # now every class is fine
    assert est.n_iter_ == 2


def test_partial_fit_unseen_label_raises(multiclass_data):
    X, y, group = multiclass_data
    first = y != "high"
    est = FairTuneClassifier(random_state=0)
    est.partial_fit(X[first], y[first], sensitive_features=group[first])
    assert est.classes_.tolist() == ["low", "mid"]
    with pytest.raises(ValueError, match="high"):
        est.partial_fit(X, y, sensitive_features=group)


def test_partial_fit_label_unseen_in_fit_raises(binary_data):
    X, y, group = binary_data
    est = FairTuneClassifier(max_epochs=1, random_state=0)
    est.fit(X, y, sensitive_features=group)
    with pytest.raises(ValueError, match=r"\[7\]"):
        est.partial_fit(X, np.where(y == 1, 7, 0), sensitive_features=group)


def test_partial_fit_with_other_classes_raises(binary_data):
    X, y, group = binary_data
    est = FairTuneClassifier(max_epochs=1).fit(X, y, sensitive_features=group)
    with pytest.raises(ValueError, match="classes"):
        est.partial_fit(X, y, classes=[0, 1, 2], sensitive_features=group)


def test_partial_fit_keeps_n_features(binary_data):
    X, y, group = binary_data
    est = FairTuneClassifier(max_epochs=1).fit(X, y, sensitive_features=group)
    with pytest.raises(ValueError, match="features"):
        est.partial_fit(X[:, :3], y, sensitive_features=group)


def test_regressor_partial_fit_keeps_n_targets(regression_data):
    X, y, Y, group = regression_data
    est = FairTuneRegressor(max_epochs=1).fit(X, Y, sensitive_features=group)
    with pytest.raises(ValueError, match="targets"):
        est.partial_fit(X, y, sensitive_features=group)


@pytest.mark.parametrize("Estimator", [FairTuneClassifier, FairTuneRegressor])
def test_warm_start_second_fit_starts_from_first(binary_data, Estimator):
    X, y, group = binary_data
    method = "predict_proba" if Estimator is FairTuneClassifier else "predict"
    est = Estimator(max_epochs=5, lr=0.01, warm_start=True, random_state=0)
    first = getattr(est.fit(X, y, sensitive_features=group), method)(X)
    est.set_params(max_epochs=0)
    second = getattr(est.fit(X, y, sensitive_features=group), method)(X)
    assert np.array_equal(first, second)
    # without warm_start a new fit starts afresh
    est.set_params(warm_start=False)
    fresh = getattr(est.fit(X, y, sensitive_features=group), method)(X)
    assert not np.array_equal(first, fresh)


def test_warm_start_path_of_strengths(binary_data):
    """Each fit along a path of strengths moves on from the previous one."""
    X, y, group = binary_data
    est = FairTuneClassifier(max_epochs=5, lr=0.01, warm_start=True, random_state=0)
    est.fit(X, y, sensitive_features=group)
    before = _weights(est)
    est.set_params(penalty_strength=3.0, max_epochs=1, lr=1e-4)
    est.fit(X, y, sensitive_features=group)
    assert 0 < _max_change(before, _weights(est)) < 1e-2


def test_warm_start_keeps_frozen_parameters(binary_data):
    X, y, group = binary_data
    est = FairTuneClassifier(max_epochs=2, lr=0.05, warm_start=True,
                             freeze="output.*", random_state=0)
    est.fit(X, y, sensitive_features=group)
    before = _weights(est)
    est.fit(X, y, sensitive_features=group)
    after = _weights(est)
    assert torch.equal(before["output.weight"], after["output.weight"])
    assert not torch.equal(before["hidden.0.weight"], after["hidden.0.weight"])


def test_warm_start_unfreeze(binary_data):
    X, y, group = binary_data
    est = FairTuneClassifier(max_epochs=2, lr=0.05, warm_start=True,
                             freeze="output.*", random_state=0)
    est.fit(X, y, sensitive_features=group)
    before = _weights(est)
    est.set_params(freeze=None).fit(X, y, sensitive_features=group)
    assert est.frozen_parameters_ == []
    assert not torch.equal(before["output.weight"], _weights(est)["output.weight"])



def test_partial_fit_reads_a_penalty_set_since_the_first_call():
    X, y, group = make_biased(1000, 0)
    est = FairTuneClassifier(penalty_strength=0, random_state=0)
    est.partial_fit(X, y, classes=[0, 1], sensitive_features=group)
    for _ in range(3):
        est.partial_fit(X, y, sensitive_features=group)
    before = dp_gap(est.predict(X), group)
    est.set_params(penalty_strength=5)
    for _ in range(3):
        est.partial_fit(X, y, sensitive_features=group)
    assert est.multiplier_ == 5
    assert dp_gap(est.predict(X), group) < before / 2
    est.set_params(max_gap=0.05)
    with pytest.raises(ValueError, match="cannot switch"):
        est.partial_fit(X, y, sensitive_features=group)


def _group_weights(est):
    """Constraint mode's multipliers ``up - down`` of each group, by its label."""
    signed = est.net_.group_multipliers.signed()[0]
    return dict(zip(est.sensitive_groups_, signed.tolist()))


def test_constraint_partial_fit_keeps_each_groups_multipliers_by_label(binary_data):
    X, y, group = binary_data
    labels = np.array(["a", "b"])[group]
    est = FairTuneClassifier(max_gap=0.05, multiplier_lr=0.01, batch_size=50,
                             random_state=0)
    est.partial_fit(X, y, classes=[0, 1], sensitive_features=labels)
    # A weight for 'a' that no step of multiplier_lr=0.01 reaches, to follow it.
    est.net_.group_multipliers.up = [np.array([5.0, 0.0])]
    est.net_.group_multipliers.down = [np.zeros(2)]
    # The same rows, but 'a' is now called 'c': 'b' is the first group present.
    est.partial_fit(X, y, sensitive_features=np.where(labels == "a", "c", "b"))
    assert est.sensitive_groups_ == ["a", "b", "c"]
    weights = _group_weights(est)
    assert weights["a"] == 5.0  # absent from the call: kept as it was
    assert abs(weights["b"]) < 1 and abs(weights["c"]) < 1  # neither inherits it


def test_constraint_partial_fit_takes_a_group_it_has_not_seen(binary_data):
    X, y, group = binary_data
    est = FairTuneClassifier(max_gap=0.05, batch_size=50, random_state=0)
    est.partial_fit(X, y, classes=[0, 1], sensitive_features=group)
    third = np.where(np.arange(len(y)) % 3 == 0, 2, group)
    est.partial_fit(X, y, sensitive_features=third)
    assert est.sensitive_groups_ == [0, 1, 2]
    assert len(est.net_.group_multipliers.signed()[0]) == 3
    assert np.isfinite(est.predict_proba(X)).all()
    # A chunk that lacks groups 0 and 2 keeps them (and their ids).
    est.partial_fit(X[group == 1], y[group == 1], sensitive_features=group[group == 1])
    assert est.sensitive_groups_ == [0, 1, 2]


def test_partial_fit_with_other_sensitive_columns_raises(binary_data):
    X, y, group = binary_data
    est = FairTuneClassifier(batch_size=50, random_state=0)
    est.partial_fit(X, y, classes=[0, 1], sensitive_features=group)
    with pytest.raises(ValueError, match=r"sensitive_features has 2 column\(s\) but had 1"):
        est.partial_fit(X, y, sensitive_features=np.column_stack([group, group]))
