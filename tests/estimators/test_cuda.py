"""The estimators on a CUDA device: fit, predict, partial_fit, constraint mode,
every penalty, explain_gap and EmbeddingTransformer.

Skipped where torch sees no GPU; run it on one with ``pytest -m cuda``.
"""

import threading

import numpy as np
import pytest
import torch
from sklearn.utils._param_validation import InvalidParameterError

from skfairtune import FairTuneClassifier, FairTuneRegressor
from skfairtune.explain import explain_gap
from skfairtune.notions import penalty_names
from skfairtune.penalties import get_penalty
from skfairtune.pretrained import EmbeddingTransformer

from .conftest import make_biased

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="torch sees no CUDA device"),
]

DEVICE = "cuda"


@pytest.fixture(scope="module")
def data():
    return make_biased(400, 0)


@pytest.fixture(scope="module")
def classifier(data):
    X, y, group = data
    est = FairTuneClassifier(max_epochs=5, batch_size=64, random_state=0, device=DEVICE)
    return est.fit(X, y, sensitive_features=group)


def _torch_proba(est, X):
    with torch.no_grad():
        logits = est.module_.eval()(torch.tensor(X, dtype=torch.float32, device=DEVICE))
    return torch.softmax(logits.double(), 1).cpu().numpy()


def test_fit_trains_on_the_device_and_predicts_cpu_float64(classifier, data):
    X, _, _ = data
    assert next(classifier.module_.parameters()).device.type == torch.device(DEVICE).type
    proba = classifier.predict_proba(X)
    assert isinstance(proba, np.ndarray) and proba.dtype == np.float64
    np.testing.assert_allclose(proba, _torch_proba(classifier, X), rtol=0, atol=1e-5)
    assert classifier.decision_function(X).dtype == np.float64
    assert set(classifier.predict(X)) <= {0, 1}
    assert 0.5 < classifier.score(X, data[1]) <= 1


def test_regressor_on_the_device(data):
    X, y, group = data
    target = X[:, 1] + group
    est = FairTuneRegressor(max_epochs=5, random_state=0, device=DEVICE)
    pred = est.fit(X, target, sensitive_features=group).predict(X)
    assert pred.dtype == np.float64 and pred.shape == (len(X),)
    assert est.score(X, target) > 0


def test_predict_from_threads_on_the_device(classifier, data):
    X, _, _ = data
    expected = classifier.predict_proba(X)
    results, errors = [], []

    def work():
        try:
            results.extend(classifier.predict_proba(X) for _ in range(5))
        except Exception as exc:  # re-raised in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[0]
    for proba in results:
        np.testing.assert_array_equal(proba, expected)


def test_predict_between_partial_fits_changes_nothing_on_the_device(data):
    X, y, group = data
    kwargs = {"batch_size": 32, "random_state": 0, "device": DEVICE}
    plain, probed = FairTuneClassifier(**kwargs), FairTuneClassifier(**kwargs)
    for rows in (slice(0, 200), slice(200, None)):
        for est in (plain, probed):
            est.partial_fit(X[rows], y[rows], classes=[0, 1], sensitive_features=group[rows])
        probed.predict_proba(X)
    np.testing.assert_allclose(probed.predict_proba(X), plain.predict_proba(X),
                               rtol=0, atol=1e-6)


def test_constraint_mode_on_the_device(data):
    X, y, group = data
    est = FairTuneClassifier(max_gap=0.1, max_epochs=10, random_state=0, device=DEVICE)
    est.fit(X, y, sensitive_features=group)
    assert np.isfinite(est.validation_gap_) and est.best_epoch_ >= 1
    assert "valid_gap" in est.history_[-1]


@pytest.mark.parametrize("penalty", penalty_names("classification"))
def test_every_classification_penalty_trains_on_the_device(penalty, data):
    X, y, group = data
    est = FairTuneClassifier(penalty=penalty, max_epochs=2, random_state=0, device=DEVICE)
    proba = est.fit(X, y, sensitive_features=group).predict_proba(X)
    assert np.isfinite(proba).all()
    assert np.isfinite(est.history_[:, "train_penalty"]).all()


@pytest.mark.parametrize("penalty", penalty_names("regression"))
def test_every_regression_penalty_trains_on_the_device(penalty, data):
    X, _, group = data
    est = FairTuneRegressor(penalty=penalty, max_epochs=2, random_state=0, device=DEVICE)
    assert np.isfinite(est.fit(X, X[:, 1], sensitive_features=group).predict(X)).all()


@pytest.mark.parametrize("name", penalty_names("classification"))
def test_group_sums_are_deterministic_on_the_device(name):
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(512, 2, generator=gen).to(DEVICE)
    y = torch.randint(0, 2, (512,), generator=gen).to(DEVICE)
    groups = torch.randint(0, 5, (512,), generator=gen).to(DEVICE)
    weight = torch.rand(512, generator=gen).to(DEVICE)

    def value_and_gradient():
        scores = logits.clone().requires_grad_(True)
        losses = torch.nn.functional.cross_entropy(scores, y, reduction="none")
        value = get_penalty(name)(scores=torch.softmax(scores, 1), y=y, groups=groups,
                                  weight=weight, n_groups=5, losses=losses,
                                  task="classification")
        value.backward()
        return value.detach(), scores.grad

    torch.use_deterministic_algorithms(True)
    try:
        first, again = value_and_gradient(), value_and_gradient()
    finally:
        torch.use_deterministic_algorithms(False)
    assert torch.equal(first[0], again[0]) and torch.equal(first[1], again[1])


def test_explain_gap_with_integrated_gradients_on_the_device(classifier, data):
    X, _, group = data
    result = explain_gap(classifier, X, sensitive_features=group,
                         method="integrated_gradients", max_rows=None)
    assert result.method == "integrated_gradients"
    assert result.contributions["contribution"].sum() == pytest.approx(result.gap, abs=1e-3)


def test_embedding_transformer_on_the_device(classifier, data):
    X, _, _ = data
    emb = EmbeddingTransformer(classifier, layer="hidden.0", device=DEVICE).fit(X)
    out = emb.transform(X[:10])
    assert isinstance(out, np.ndarray) and out.shape == (10, 64)


class _Dropping(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(),
                                        torch.nn.Dropout(0.3), torch.nn.Linear(8, 2))

    def forward(self, X):
        return self.body(X)


@pytest.mark.parametrize("kwargs", [{"device": "cpu"}, {"device": DEVICE},
                                    {"device": DEVICE, "module": _Dropping}],
                         ids=["cpu-fit", "cuda-fit", "cuda-user-module"])
def test_fit_leaves_the_cuda_random_state_as_it_was(kwargs, data):
    X, y, group = data
    torch.cuda.manual_seed(11)
    cpu, cuda = torch.get_rng_state(), torch.cuda.get_rng_state()
    FairTuneClassifier(max_epochs=2, random_state=0, **kwargs).fit(
        X, y, sensitive_features=group).predict(X)
    assert torch.equal(torch.get_rng_state(), cpu)
    assert torch.equal(torch.cuda.get_rng_state(), cuda)


def test_a_users_module_given_on_the_device(data):
    X, y, group = data
    module = _Dropping().to(DEVICE)
    est = FairTuneClassifier(module=module, max_epochs=2, random_state=0, device=DEVICE)
    assert est.fit(X, y, sensitive_features=group).predict_proba(X).shape == (len(X), 2)


# -- mixed precision ------------------------------------------------------------

def _half_fit(data, precision, **params):
    X, y, group = data
    params = {"max_epochs": 10, "batch_size": 64, "random_state": 0, "device": DEVICE,
              **params}
    return FairTuneClassifier(precision=precision, **params).fit(
        X, y, sensitive_features=group)


def test_float16_on_the_device_scales_the_loss(data):
    X, y, _ = data
    reference = _half_fit(data, "float32").score(X, y)
    est = _half_fit(data, "float16")
    scaler = est.net_.grad_scaler_
    assert scaler is not None and scaler.is_enabled() and scaler.get_scale() > 1
    assert abs(est.score(X, y) - reference) <= 0.02
    proba = est.predict_proba(X)
    assert isinstance(proba, np.ndarray) and proba.dtype == np.float64
    assert {p.dtype for p in est.module_.parameters()} == {torch.float32}


def test_float16_on_the_device_skips_an_overflowed_step(data):
    X, y, group = data
    est = _half_fit(data, "float16", max_epochs=1)
    before = {k: v.clone() for k, v in est.module_.state_dict().items()}
    est.net_.grad_scaler_.update(new_scale=torch.tensor(3e38, device=DEVICE))
    est.net_.batch_size = len(X)
    est.partial_fit(X, y, sensitive_features=group)
    assert est.net_.grad_scaler_.get_scale() < 3e38
    for key, value in est.module_.state_dict().items():
        assert torch.equal(value, before[key]), key


@pytest.mark.parametrize("penalty", ["demographic_parity", "equalized_odds"])
def test_float16_constraint_mode_on_the_device(penalty, data):
    est = _half_fit(data, "float16", penalty=penalty, max_gap=0.1, max_epochs=5)
    assert np.isfinite(est.validation_gap_)


def test_bfloat16_on_the_device_or_refused_naming_it(data):
    X, y, _ = data
    if not torch.cuda.is_bf16_supported():
        with pytest.raises(InvalidParameterError, match="precision='bfloat16' cannot run"):
            _half_fit(data, "bfloat16")
        return
    reference = _half_fit(data, "float32").score(X, y)
    est = _half_fit(data, "bfloat16")
    assert est.net_.grad_scaler_ is None
    assert abs(est.score(X, y) - reference) <= 0.02
