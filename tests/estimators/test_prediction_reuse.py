"""A fit predicts each set of rows at most once per set of weights.

Constraint mode's keeper, early stopping, the fairness monitor and the
end-of-fit degeneracy check read the same rows with the same weights; the
outputs of one forward pass serve them all (``FairNet.outputs_of``).
"""

import pickle
import warnings
from collections import Counter

import numpy as np
import pytest

from skfairtune import FairTuneClassifier
from skfairtune.callbacks import FairnessMonitor
from skfairtune.estimators._net import FairNet

from .conftest import make_biased


@pytest.fixture
def passes(monkeypatch):
    """Each forward pass of inference as (epoch, rows)."""
    seen = []
    original = FairNet._run_inference

    def counted(self, data, dtype, batch_size):
        seen.append((len(self.history), len(data)))
        return original(self, data, dtype, batch_size)

    monkeypatch.setattr(FairNet, "_run_inference", counted)
    return seen


def _fit(est, n_rows=1200):
    X, y, group = make_biased(n_rows, 0, n_features=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y, sensitive_features=group)


def test_constraint_mode_predicts_the_training_rows_once_per_epoch_and_not_after(passes):
    n_rows = 1200
    est = _fit(FairTuneClassifier(hidden_layer_sizes=(8,), max_gap=0.05, max_epochs=4,
                                  validation_fraction=0.2, random_state=0), n_rows)
    n_valid = round(0.2 * n_rows)
    per_epoch = Counter(passes)
    # Before: the keeper predicted the training rows twice for each epoch it
    # kept, and the fit all its rows once more at its end.
    assert per_epoch[(len(est.history_), n_rows)] == 0
    assert all(count == 1 for (epoch, rows), count in per_epoch.items()
               if rows == n_rows - n_valid)
    assert all(count == 1 for (epoch, rows), count in per_epoch.items() if epoch >= 1)


def test_the_monitor_and_early_stopping_share_the_slice_s_outputs(passes):
    est = _fit(FairTuneClassifier(hidden_layer_sizes=(8,), penalty=None, max_epochs=3,
                                  validation_fraction=0.2, n_iter_no_change=5,
                                  callbacks=[FairnessMonitor(on="valid")], random_state=0))
    slice_passes = [epoch for epoch, rows in passes if rows == 240]
    assert slice_passes == [1, 2, 3]
    assert "valid_demographic_parity_difference" in est.history_[-1]


def test_a_fitted_net_keeps_no_outputs_and_no_training_rows():
    est = _fit(FairTuneClassifier(hidden_layer_sizes=(8,), max_gap=0.05, max_epochs=2,
                                  callbacks=[FairnessMonitor()], random_state=0))
    assert "_outputs_cache_" not in est.net_.__dict__
    keeper = dict(est.net_.callbacks_)["budget"]
    assert keeper.take_fitted_predictions() is None
    pickle.loads(pickle.dumps(est))


def test_inference_passes_take_more_small_rows_than_a_training_batch(monkeypatch):
    """A pass costs tens of microseconds of Python whatever its rows: predicting
    5000 rows of 5 features at the training batch of 32 made 157 passes."""
    X, y, group = make_biased(5000, 0, n_features=5)
    est = _fit(FairTuneClassifier(hidden_layer_sizes=(8,), penalty=None, max_epochs=1,
                                  batch_size=32, random_state=0))
    sizes = []
    original = FairNet._run_inference

    def recorded(self, data, dtype, batch_size):
        sizes.append(batch_size)
        return original(self, data, dtype, batch_size)

    expected = est.net_.forward_float64(_rows(est, X), batch_size=32)
    monkeypatch.setattr(FairNet, "_run_inference", recorded)
    proba = est.predict_proba(X)
    assert sizes == [1024]
    np.testing.assert_allclose(proba, expected.softmax(1).numpy(), rtol=0, atol=1e-12)
    est.net_.set_params(batch_size=2048)  # a larger training batch is kept
    est.predict_proba(X)
    assert sizes[-1] == 2048


def _rows(est, X):
    from skfairtune._torch_data import to_tensor_data

    return to_tensor_data(X.astype(np.float32), None, None, None,
                          y_dtype=est.net_.target_dtype)
