"""One inference path: CPU float64 out, no effect on training, safe from threads.

``predict``, ``predict_proba``, ``decision_function``, constraint mode's
held-out gap, the fairness monitor, the degeneracy check and ``explain_gap``
all read the network through ``FairNet.forward_float64``.
"""


import numpy as np
import pytest
import torch

from skfairtune import FairTuneClassifier, FairTuneRegressor

from .conftest import in_threads, make_biased


@pytest.fixture(scope="module")
def fitted():
    X, y, group = make_biased(2000, 0, n_features=20)
    est = FairTuneClassifier(hidden_layer_sizes=(32,), max_epochs=2, random_state=0)
    return est.fit(X, y, sensitive_features=group), X


def test_predict_proba_from_threads_equals_one_thread(fitted):
    est, X = fitted
    expected = est.predict_proba(X)

    def twenty_calls():
        return [est.predict_proba(X) for _ in range(20)]

    for calls in in_threads(twenty_calls, 8):
        for proba in calls:
            np.testing.assert_array_equal(proba, expected)


def test_predict_leaves_the_module_as_it_was(fitted):
    """Inference neither switches the fitted module's mode nor swaps its weights."""
    est, X = fitted
    module = est.module_
    module.train()
    params = {name: p for name, p in module.named_parameters()}
    est.predict(X[:5])
    assert module.training
    assert all(p is params[name] for name, p in module.named_parameters())
    module.eval()
    est.predict(X[:5])
    assert not module.training


@pytest.mark.parametrize("Estimator", [FairTuneClassifier, FairTuneRegressor])
def test_predict_between_partial_fits_changes_nothing(Estimator):
    X, y, group = make_biased(300, 1)
    kwargs = {"batch_size": 32, "random_state": 0, "lr": 0.01}
    calls = [(X[:150], y[:150], group[:150]), (X[150:], y[150:], group[150:])]
    plain, probed = Estimator(**kwargs), Estimator(**kwargs)
    extra = {"classes": [0, 1]} if Estimator is FairTuneClassifier else {}
    for Xc, yc, gc in calls:
        plain.partial_fit(Xc, yc, sensitive_features=gc, **extra)
        probed.partial_fit(Xc, yc, sensitive_features=gc, **extra)
        probed.predict(X)  # between two calls: must not move the next shuffle
        if hasattr(probed, "predict_proba"):
            probed.predict_proba(X[:7])
    for name, value in plain.module_.state_dict().items():
        assert torch.equal(value, probed.module_.state_dict()[name]), name


def test_outputs_are_cpu_float64_numpy(fitted):
    est, X = fitted
    for method in (est.predict_proba, est.decision_function):
        out = method(X[:4])
        assert isinstance(out, np.ndarray) and out.dtype == np.float64


class _FlakyOnce(torch.nn.Module):
    """Fails once with an error that has nothing to do with dtypes (as an
    out-of-memory error would), then works."""

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(3, 2)
        self.error = RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        self.armed = False

    def forward(self, X):
        if self.armed:
            self.armed = False
            raise self.error
        return self.linear(X)


def _fit_flaky():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    est = FairTuneClassifier(module=_FlakyOnce, max_epochs=1, penalty=None, random_state=0)
    return est.fit(X, y), X


def test_out_of_memory_is_raised_as_is_and_float64_is_kept():
    est, X = _fit_flaky()
    cached = est.net_.inference_module()
    cached.armed = True
    with pytest.raises(RuntimeError, match="out of memory"):
        est.predict(X)
    # A failure that is not about dtypes says nothing of float64: the next
    # call still computes in float64.
    assert est.net_.float64_ok_
    assert next(est.net_.inference_module().parameters()).dtype == torch.float64
    est.predict(X)


def test_another_runtime_error_is_refused_without_giving_up_float64():
    est, X = _fit_flaky()
    est.net_.inference_module().error = RuntimeError("shape '[-1, 7]' is invalid")
    est.net_.inference_module().armed = True
    with pytest.raises(ValueError, match="does not accept X"):
        est.predict(X)
    assert est.net_.float64_ok_


def test_a_network_that_cannot_run_in_float64_falls_back_once():
    class Float32Only(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(3, 2)

        def forward(self, X):
            return self.linear(X) @ torch.eye(2)

    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    y = (X[:, 0] > 0).astype(int)
    est = FairTuneClassifier(module=Float32Only, max_epochs=1, penalty=None).fit(X, y)
    est.predict(X)
    assert not est.net_.float64_ok_
    assert next(est.net_.inference_module().parameters()).dtype == torch.float32


def test_inference_copy_follows_the_weights(fitted):
    """A change to the fitted module's weights is what predict sees next."""
    est, X = fitted
    before = est.predict_proba(X[:5])
    module = est.module_
    saved = {k: v.clone() for k, v in module.state_dict().items()}
    try:
        with torch.no_grad():
            module.output.bias.add_(torch.tensor([5.0, -5.0]))
        assert not np.allclose(est.predict_proba(X[:5]), before)
    finally:
        module.load_state_dict(saved)
    np.testing.assert_array_equal(est.predict_proba(X[:5]), before)


def test_pickled_net_leaves_the_inference_copy_behind(fitted):
    import pickle

    est, X = fitted
    est.predict(X[:3])
    state = est.net_.__getstate__()
    assert not any("inference" in key for key in state)
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.predict_proba(X), est.predict_proba(X))
