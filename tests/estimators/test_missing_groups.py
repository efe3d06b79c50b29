"""Partial group labels: missing_groups="ignore" trains every row, penalises the known."""

import numpy as np
import pytest
import torch

from skfairtune import FairTuneClassifier, FairTuneRegressor
from skfairtune._groups import encode_groups
from skfairtune._torch_data import to_tensor_data
from skfairtune.callbacks import FairnessMonitor
from skfairtune.resampling import GroupResampler

from .conftest import dp_gap, make_biased

pytestmark = pytest.mark.filterwarnings("ignore::skfairtune.exceptions.DegenerateModelWarning")


def _hide(group, share_known, seed=0):
    """The group as objects, None where it is hidden."""
    rng = np.random.default_rng(seed)
    hidden = group.astype(object)
    hidden[rng.random(len(group)) >= share_known] = None
    return hidden


def test_missing_values_are_refused_by_default(binary_data):
    X, y, group = binary_data
    with pytest.raises(ValueError, match=r"sensitive_features contains missing values"):
        FairTuneClassifier(max_epochs=1).fit(X, y, sensitive_features=_hide(group, 0.5))


def test_penalty_reads_only_the_known_rows(binary_data):
    X, y, group = binary_data
    hidden = _hide(group, 0.5)
    est = FairTuneClassifier(missing_groups="ignore", penalty_strength=2.0, max_epochs=0,
                             random_state=0).fit(X, y, sensitive_features=hidden)
    net = est.net_
    codes = encode_groups(hidden, missing="ignore").codes
    batch, target = to_tensor_data(X, y, codes, np.ones(len(y)), y_dtype=torch.long).batch()
    net.history.new_epoch()  # where get_loss records the batch's penalty
    net.history.new_batch()
    with torch.no_grad():
        y_pred = net.infer(batch)
        loss = net.get_loss(y_pred, target, X=batch, training=True)
        known = torch.as_tensor(codes >= 0)
        task = net.criterion_(y_pred, target).mean()  # every row
        penalty = net.penalty(scores=torch.softmax(y_pred, 1)[known], y=target[known],
                              groups=torch.as_tensor(codes)[known],
                              weight=torch.ones(int(known.sum())), n_groups=2, losses=None,
                              task="classification")
    assert penalty > 0
    assert loss.item() == pytest.approx((task + 2.0 * penalty).item(), rel=1e-5)


def test_the_loss_reads_every_row(binary_data):
    # Without a penalty, hiding groups changes nothing: no row is dropped.
    X, y, group = binary_data
    kwargs = dict(penalty_strength=0.0, max_epochs=3, validation_fraction=None,
                  random_state=0)
    full = FairTuneClassifier(**kwargs).fit(X, y, sensitive_features=group)
    part = FairTuneClassifier(missing_groups="ignore", **kwargs).fit(
        X, y, sensitive_features=_hide(group, 0.3))
    np.testing.assert_array_equal(full.predict_proba(X), part.predict_proba(X))
    assert part.n_missing_groups_ == int(np.sum(_hide(group, 0.3) == None))  # noqa: E711
    assert full.n_missing_groups_ == 0


def test_a_fifth_of_the_groups_still_narrows_the_gap():
    X, y, group = make_biased(800, 0)
    Xt, yt, gt = make_biased(800, 1)
    kwargs = dict(max_epochs=20, lr=0.02, validation_fraction=None, random_state=0)
    plain = FairTuneClassifier(penalty=None, **kwargs).fit(X, y)
    fair = FairTuneClassifier(missing_groups="ignore", penalty_strength=5.0, **kwargs).fit(
        X, y, sensitive_features=_hide(group, 0.2))
    assert dp_gap(fair.predict(Xt), gt) < 0.5 * dp_gap(plain.predict(Xt), gt)


def test_constraint_mode_measures_the_gap_on_known_rows():
    X, y, group = make_biased(600, 0)
    est = FairTuneClassifier(missing_groups="ignore", max_gap=0.1, max_epochs=10,
                             batch_sampling="stratified", random_state=0)
    est.fit(X, y, sensitive_features=_hide(group, 0.5))
    assert np.isfinite(est.validation_gap_)
    assert np.isfinite(est.history_[:, "valid_gap"]).all()


def test_fairness_monitor_skips_unknown_rows(binary_data):
    X, y, group = binary_data
    est = FairTuneClassifier(missing_groups="ignore", max_epochs=2, random_state=0,
                             callbacks=[FairnessMonitor()])
    est.fit(X, y, sensitive_features=_hide(group, 0.5))
    gaps = est.history_[:, "train_demographic_parity_difference"]
    assert len(gaps) == 2 and np.isfinite(gaps).all()


def test_regressor_and_several_columns(regression_data):
    X, y, _, group = regression_data
    frame_like = np.column_stack([_hide(group, 0.6), _hide(group % 2, 0.8, seed=1)])
    reg = FairTuneRegressor(missing_groups="ignore", max_epochs=2, random_state=0)
    reg.fit(X, y, sensitive_features=frame_like)
    assert reg.n_missing_groups_ == int(np.sum((frame_like == None).any(axis=1)))  # noqa: E711


def test_all_missing_is_an_error(binary_data):
    X, y, _ = binary_data
    with pytest.raises(ValueError, match="sensitive_features is missing .* in all 200 rows"):
        FairTuneClassifier(missing_groups="ignore", max_epochs=1).fit(
            X, y, sensitive_features=np.full(len(y), np.nan))


def test_one_known_group_is_an_error(binary_data):
    X, y, group = binary_data
    one = np.where(group == 0, "a", None).astype(object)
    with pytest.raises(ValueError, match=r"sensitive_features is known for \d+ of 200 rows.*"
                                         r"one group only \('a'\)"):
        FairTuneClassifier(missing_groups="ignore", max_epochs=1).fit(
            X, y, sensitive_features=one)


def test_resampling_needs_every_group(binary_data):
    X, y, group = binary_data
    for sampler in (GroupResampler(), "reweighing"):
        est = FairTuneClassifier(missing_groups="ignore", max_epochs=1, sampler=sampler)
        with pytest.raises(ValueError, match=r"sampler needs the group of every row, but "
                                             r"sensitive_features is missing in \d+ row"):
            est.fit(X, y, sensitive_features=_hide(group, 0.5))


def test_batches_without_a_known_group_add_no_penalty(binary_data):
    X, y, group = binary_data
    hidden = _hide(group, 0.05)
    est = FairTuneClassifier(missing_groups="ignore", batch_size=8, max_epochs=2,
                             penalty_strength=5.0, random_state=0)
    est.fit(X, y, sensitive_features=hidden)
    penalties = [b["train_penalty"] for epoch in est.history_ for b in epoch["batches"]]
    assert np.isfinite(penalties).all() and 0.0 in penalties  # some batches had none
    assert np.isfinite(est.history_[:, "train_loss"]).all()


def test_bad_value(binary_data):
    X, y, group = binary_data
    with pytest.raises(ValueError, match="'missing_groups' parameter"):
        FairTuneClassifier(missing_groups="drop").fit(X, y, sensitive_features=group)
