"""Defaults that generalize: a stratified validation slice, early stopping that
goes back to the best epoch, training scaled with the data, and a warning
when a fit learned nothing."""

import warnings

import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score

from skfairtune import FairTuneClassifier, FairTuneRegressor
from skfairtune.estimators._base import MIN_STEPS
from skfairtune.estimators._holdout import StratifiedHoldOut
from skfairtune.exceptions import DegenerateModelWarning
from skfairtune.metrics import degenerate_reason


def test_the_slice_is_stratified_by_group_and_label():
    rng = np.random.default_rng(0)
    groups, y = rng.integers(0, 3, 5000), rng.integers(0, 2, 5000)
    groups[:4], y[:4] = 7, 1  # a cell of four rows
    train, valid = StratifiedHoldOut(0.1, seed=0).indices(groups, y)
    assert np.intersect1d(train, valid).size == 0
    assert train.size + valid.size == 5000
    for g in np.unique(groups):
        for label in (0, 1):
            cell = (groups == g) & (y == label)
            if cell.sum() >= 2:
                share = cell[valid].sum() / cell.sum()
                assert share == pytest.approx(0.1, abs=0.26 if cell.sum() < 10 else 0.01)
                assert cell[train].sum() >= 1


@pytest.mark.parametrize("n_train, batch, epochs", [
    (270, 32, 200), (30_000, 128, 20), (900_000, 1024, 20)])
def test_training_scales_with_the_data(n_train, batch, epochs):
    got_batch, got_epochs = FairTuneClassifier()._schedule(n_train)
    assert (got_batch, got_epochs) == (batch, epochs)
    steps = got_epochs * -(-n_train // got_batch)
    assert steps >= min(MIN_STEPS, 200 * -(-n_train // got_batch))


def test_a_small_table_gets_enough_steps():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5))
    y = (X[:, 0] + 0.5 * rng.normal(size=300) > 0.8).astype(int)  # 20% positives
    est = FairTuneClassifier(penalty=None, random_state=0).fit(X, y)
    majority = max(y.mean(), 1 - y.mean())
    assert est.score(X, y) > majority + 0.05


def test_without_a_penalty_the_best_held_out_epoch_is_kept():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(1500, 20))
    y = (X[:, 0] + rng.normal(size=1500) > 0).astype(int)  # noisy: it overfits
    est = FairTuneClassifier(penalty=None, hidden_layer_sizes=(256,), lr=0.01,
                             random_state=0).fit(X, y)
    losses = est.history_[:, "valid_task_loss"]
    assert est.n_iter_ < est.max_epochs_  # stopped on the held-out loss
    best = int(np.argmin(losses))
    assert est.n_iter_ - 1 - best == est.n_iter_no_change
    # Going back: the held-out rows' loss is the best epoch's, not the last's.
    assert losses[-1] > losses[best]


def test_a_soft_penalty_and_partial_fit_train_on_every_row():
    rng = np.random.default_rng(0)
    X, y, group = rng.normal(size=(1000, 3)), rng.integers(0, 2, 1000), rng.integers(0, 2, 1000)
    soft = FairTuneClassifier(max_epochs=2, random_state=0).fit(X, y, sensitive_features=group)
    assert "valid_loss" not in soft.history_[-1]
    partial = FairTuneClassifier(penalty=None, random_state=0).partial_fit(X, y)
    assert "valid_loss" not in partial.history_[-1]
    none = FairTuneClassifier(penalty=None, validation_fraction=None, max_epochs=2).fit(X, y)
    assert "valid_loss" not in none.history_[-1]
    held = FairTuneClassifier(penalty=None, max_epochs=2).fit(X, y)
    assert held.history_[-1, "valid_batch_count"] >= 1


def test_a_fit_that_learned_nothing_warns():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = (rng.uniform(size=400) < 0.2).astype(int)  # labels unrelated to X
    est = FairTuneClassifier(penalty=None, lr=1e-6, max_epochs=1, random_state=0)
    with pytest.warns(DegenerateModelWarning, match="predicts 0 for|no better than"):
        est.fit(X, y)


def test_a_regressor_that_learned_nothing_warns():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = 100 + rng.normal(size=300)
    with pytest.warns(DegenerateModelWarning, match="mean of y"):
        FairTuneRegressor(penalty=None, lr=1e-6, max_epochs=1, random_state=0).fit(X, y)


def test_a_fit_weighted_to_balance_is_judged_against_the_balance():
    # 10% positives and a weak signal: weighted to balance the classes, the
    # network finds positives at the cost of raw accuracy, which falls below
    # "always no" (0.9) although it beats a coin on both classes.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 3))
    y = (X[:, 0] + 1.5 * rng.normal(size=2000) > 2.1).astype(int)
    weight = np.where(y == 1, (y == 0).sum() / (y == 1).sum(), 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DegenerateModelWarning)
        est = FairTuneClassifier(penalty=None, random_state=0).fit(X, y, sample_weight=weight)
    assert est.score(X, y) < np.mean(y == 0)
    # unweighted, the same predictions lose to the majority class
    assert "majority class" in degenerate_reason(y, est.predict(X))


def _separable_imbalanced(seed):
    from sklearn.linear_model import LogisticRegression

    from .conftest import make_imbalanced

    X, y, group = make_imbalanced(1400, seed)
    train, test = slice(0, 1000), slice(1000, None)
    logistic = LogisticRegression(max_iter=1000).fit(X[train], y[train])
    return X, y, group, train, test, balanced_accuracy_score(
        y[test], logistic.predict(X[test]))


@pytest.mark.parametrize("params", [{}, {"penalty": None}], ids=["defaults", "no-penalty"])
def test_defaults_do_not_collapse_on_a_small_imbalanced_table(params):
    # 1,000 rows, 10% positives, where logistic regression separates the
    # classes: at full strength the default penalty collapsed the network
    # toward the majority class (balanced accuracy 0.64 against 0.70).
    ours, logistic = [], []
    for seed in range(3):
        X, y, group, train, test, reference = _separable_imbalanced(seed)
        assert reference >= 0.6
        with warnings.catch_warnings():
            warnings.simplefilter("error", DegenerateModelWarning)
            est = FairTuneClassifier(random_state=seed, **params).fit(
                X[train], y[train], sensitive_features=group[train])
        pred = est.predict(X[test])
        assert max(pred.mean(), 1 - pred.mean()) < 0.99
        ours.append(balanced_accuracy_score(y[test], pred))
        logistic.append(reference)
    assert min(ours) > 0.52
    assert np.mean(ours) >= np.mean(logistic) - 0.04


def test_the_penalty_is_weighed_down_by_a_rare_class_only():
    from .conftest import make_imbalanced

    X, y, group = make_imbalanced(400, 0)
    fit = dict(max_epochs=1, random_state=0)
    rare = FairTuneClassifier(**fit).fit(X, y, sensitive_features=group)
    assert rare.penalty_scale_ == pytest.approx((2 * y.mean() / 0.5) ** 2)
    assert rare.multiplier_ == pytest.approx(rare.penalty_scale_)
    even = FairTuneClassifier(**fit).fit(X, y, sensitive_features=group,
                                         sample_weight=np.where(y == 1, 9.0, 1.0))
    assert even.penalty_scale_ == 1.0
    weighted = FairTuneClassifier(class_weight="balanced", **fit).fit(
        X, y, sensitive_features=group)
    assert weighted.penalty_scale_ == 1.0 and weighted.multiplier_ == 1.0
    budget = FairTuneClassifier(max_gap=0.05, **fit).fit(X, y, sensitive_features=group)
    assert budget.multiplier_ != pytest.approx(rare.penalty_scale_)  # its own multipliers


def _stop_on(stopper, losses, constant, monkeypatch):
    """Run ``stopper`` over epochs of these held-out losses and constant flags;
    the epochs it trained."""
    from types import SimpleNamespace

    import torch
    from skorch.history import History

    from skfairtune.estimators import _budget

    flags = iter(constant)
    monkeypatch.setattr(_budget, "predicts_one_class", lambda net, data: next(flags))
    net = SimpleNamespace(history=History(), module_=torch.nn.Linear(1, 1), verbose=0)
    stopper.on_train_begin(net)
    for epoch, loss in enumerate(losses, 1):
        net.history.new_epoch()
        net.history.record("epoch", epoch)
        net.history.record("valid_task_loss", loss)
        try:
            stopper.on_epoch_end(net, dataset_valid=None)
        except KeyboardInterrupt:
            return epoch
    return len(losses)


def test_early_stopping_never_goes_back_to_a_constant_epoch(monkeypatch):
    from skfairtune.estimators._budget import UsefulEarlyStopping

    # The majority class for everyone at epoch 1 has the lowest held-out loss.
    losses, constant = [0.30, 0.32, 0.31, 0.33, 0.34], [True, False, False, False, False]
    stopper = UsefulEarlyStopping(monitor="valid_task_loss", patience=2, threshold=0,
                                  threshold_mode="abs", load_best=True)
    trained = _stop_on(stopper, losses, constant, monkeypatch)
    assert (stopper.best_epoch_, stopper.kept_constant_, trained) == (3, False, 5)


def test_constant_epochs_do_not_use_up_the_patience(monkeypatch):
    from skfairtune.estimators._budget import UsefulEarlyStopping

    losses = [0.30, 0.31, 0.32, 0.33, 0.34, 0.35]
    stopper = UsefulEarlyStopping(monitor="valid_task_loss", patience=2, threshold=0,
                                  threshold_mode="abs", load_best=True)
    trained = _stop_on(stopper, losses, [True] * 5 + [False], monkeypatch)
    assert (stopper.best_epoch_, trained) == (6, 6)


def test_an_untrained_epoch_that_splits_the_slice_by_chance_is_not_kept(monkeypatch):
    from skfairtune.estimators._budget import UsefulEarlyStopping

    # Seen on an 11%-positive table: epoch 1 (near its random start) predicts both
    # classes on the slice; the network then learns, its loss falling, while it
    # still says "no" to every row of the small slice.
    losses = [0.55, 0.47, 0.40, 0.35, 0.32]
    stopper = UsefulEarlyStopping(monitor="valid_task_loss", patience=2, threshold=0,
                                  threshold_mode="abs", load_best=True)
    trained = _stop_on(stopper, losses, [False] + [True] * 4, monkeypatch)
    assert (stopper.best_epoch_, stopper.kept_constant_, trained) == (5, True, 5)


@pytest.mark.filterwarnings("ignore::skfairtune.exceptions.DegenerateModelWarning")
def test_the_held_out_route_records_constant_epochs():
    from .conftest import make_imbalanced

    X, y, group = make_imbalanced(600, 0)
    est = FairTuneClassifier(penalty=None, max_epochs=3, random_state=0).fit(X, y)
    assert len(est.history_[:, "valid_constant"]) == est.n_iter_
