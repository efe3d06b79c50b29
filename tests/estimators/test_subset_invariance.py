"""A row's prediction does not depend on the rows predicted beside it.

float32 matrix kernels round differently with the number of rows and a row's
place among them, by about 1e-7: enough for scikit-learn's
``check_methods_subset_invariance``, which compares float64 results at
rtol=1e-7, to fail on some machines and pass on others. Predictions are
computed in float64 from the float32 weights, where the differences are
some 1e-16.
"""

import numpy as np
import pytest
import torch

from skfairtune import FairTuneClassifier, FairTuneRegressor

# float64 rounding, far below the 1e-7 that scikit-learn's checks allow
RTOL, ATOL = 1e-12, 1e-13


def _methods(est):
    names = ["predict", "predict_proba", "decision_function"]
    return [getattr(est, n) for n in names if hasattr(est, n)]


@pytest.mark.parametrize("Estimator", [FairTuneClassifier, FairTuneRegressor])
@pytest.mark.parametrize("hidden", [(64,), (17, 33), ()])
@pytest.mark.parametrize("batch_size", [7, 128])
def test_row_by_row_equals_all_at_once(Estimator, hidden, batch_size):
    rng = np.random.default_rng(0)
    X = 3 * rng.uniform(size=(60, 3))
    y = X[:, 0].astype(int) if Estimator is FairTuneClassifier else X @ [1.0, -1.0, 0.5]
    est = Estimator(hidden_layer_sizes=hidden, batch_size=batch_size, max_epochs=5,
                    lr=0.01, penalty=None, random_state=1).fit(X, y)
    for method in _methods(est):
        full = method(X)
        assert full.dtype in (np.float64, np.int64)
        rows = np.concatenate([method(X[i:i + 1]) for i in range(len(X))])
        np.testing.assert_allclose(rows, full, rtol=RTOL, atol=ATOL)
        subset = rng.permutation(len(X))[:23]
        np.testing.assert_allclose(method(X[subset]), full[subset], rtol=RTOL, atol=ATOL)


def test_sklearn_subset_check_at_the_common_settings():
    """The check that failed on another machine, on the regressor it failed for."""
    from sklearn.utils.estimator_checks import check_methods_subset_invariance

    est = FairTuneRegressor(max_epochs=30, lr=0.01, penalty=None, random_state=0)
    check_methods_subset_invariance("FairTuneRegressor", est)


class _Float32Only(torch.nn.Module):
    """Makes a float32 tensor of its own, so it cannot run in float64."""

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(3, 2)

    def forward(self, X):
        return self.linear(X) @ torch.eye(2)


def test_network_that_cannot_run_in_float64_still_predicts():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    y = (X[:, 0] > 0).astype(int)
    est = FairTuneClassifier(module=_Float32Only, max_epochs=2, penalty=None).fit(X, y)
    with torch.no_grad():
        expected = torch.softmax(est.module_(torch.tensor(X, dtype=torch.float32)).double(), 1)
    np.testing.assert_allclose(est.predict_proba(X), expected.numpy(), rtol=0, atol=1e-7)
