"""Bad input gives a clear error, in scikit-learn's words, early."""

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.utils._param_validation import InvalidParameterError

from skfairtune import FairTuneClassifier, FairTuneRegressor
from skfairtune.estimators import FairnessWarning
from skfairtune.penalties import PENALTIES

ESTIMATORS = [FairTuneClassifier, FairTuneRegressor]


@pytest.fixture
def small():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    return X, (X[:, 0] > 0).astype(int), rng.choice(["f", "m"], 40)


def _fit(est, X, y, group, **kwargs):
    """Fit; one epoch where the test left max_epochs at its default."""
    if est.max_epochs == FairTuneClassifier().max_epochs:
        est.set_params(max_epochs=1)
    return est.fit(X, y, sensitive_features=group, **kwargs)


# -- sensitive features --------------------------------------------------------

@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("length", [39, 41])
def test_sensitive_features_wrong_length(small, Estimator, length):
    X, y, group = small
    group = np.resize(group, length)
    with pytest.raises(ValueError, match=f"has {length} rows but X has 40"):
        _fit(Estimator(), X, y, group)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("missing", [None, np.nan])
def test_sensitive_features_with_missing_values(small, Estimator, missing):
    X, y, group = small
    group = group.astype(object)
    group[[3, 7]] = missing
    with pytest.raises(ValueError, match=r"missing values .* 2 row\(s\): 3, 7"):
        _fit(Estimator(), X, y, group)


@pytest.mark.parametrize("bad, message", [
    ("sex", "scalar"),
    (np.zeros((40, 2, 2)), "3 dimensions"),
])
def test_sensitive_features_wrong_shape(small, bad, message):
    X, y, _ = small
    with pytest.raises(ValueError, match=message):
        _fit(FairTuneClassifier(), X, y, bad)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_one_group_warns_penalty_inactive(small, Estimator):
    X, y, _ = small
    with pytest.warns(FairnessWarning, match="one group only.*inactive"):
        _fit(Estimator(), X, y, np.full(40, "f"))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_no_sensitive_features_warns(small, Estimator):
    X, y, _ = small
    with pytest.warns(FairnessWarning, match="No sensitive_features.*inactive"):
        Estimator(max_epochs=1).fit(X, y)


@pytest.mark.parametrize("params", [
    {"penalty": None}, {"penalty_strength": 0.0},
])
def test_no_warning_without_active_penalty(small, params, no_fairness_warning):
    X, y, _ = small
    FairTuneClassifier(max_epochs=1, **params).fit(X, y)
    FairTuneClassifier(max_epochs=1, **params).fit(X, y, sensitive_features=np.ones(40))


def test_no_warning_with_groups(small, no_fairness_warning):
    X, y, group = small
    _fit(FairTuneClassifier(), X, y, group)


# -- X and y -------------------------------------------------------------------------

@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("value, message", [(np.nan, "NaN"), (np.inf, "infinity")])
def test_non_finite_X(small, Estimator, value, message):
    X, y, group = small
    X = X.copy()
    X[5, 1] = value
    with pytest.raises(ValueError, match=message):
        _fit(Estimator(), X, y, group)
    fitted = _fit(Estimator(), small[0], y, group)
    with pytest.raises(ValueError, match=message):
        fitted.predict(X)


def test_single_class(small):
    X, _, group = small
    with pytest.raises(ValueError, match="only one class"):
        _fit(FairTuneClassifier(), X, np.ones(40), group)


def test_predict_with_other_width(small):
    X, y, group = small
    est = _fit(FairTuneClassifier(), X, y, group)
    with pytest.raises(ValueError, match="X has 2 features.*expecting 3"):
        est.predict(X[:, :2])


def test_negative_sample_weight(small):
    X, y, group = small
    with pytest.raises(ValueError, match="Negative"):
        _fit(FairTuneClassifier(), X, y, group, sample_weight=-np.ones(40))


# -- parameters ----------------------------------------------------------------------

def test_unknown_penalty_name_lists_valid_ones(small):
    X, y, group = small
    with pytest.raises(InvalidParameterError, match="'penalty' parameter") as info:
        _fit(FairTuneClassifier(penalty="demographic-parity"), X, y, group)
    for name in PENALTIES:
        assert name in str(info.value)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("name, value", [
    ("penalty_strength", -1.0),
    ("max_gap", -0.1),
    ("max_epochs", -1),
    ("batch_size", 0),
    ("lr", 0.0),
    ("dropout", 1.0),
    ("activation", "softsign"),
    ("batch_sampling", "balanced"),
    ("optimizer", "rmsprop"),
    ("freeze", 3),
])
def test_invalid_parameter(small, Estimator, name, value):
    X, y, group = small
    est = Estimator(**{name: value})  # construction never fails
    expected = f"'{name}' parameter of {Estimator.__name__}"
    with pytest.raises(InvalidParameterError, match=expected):
        _fit(est, X, y, group)
    assert issubclass(InvalidParameterError, ValueError)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("kwarg", ["foo__bar", "foo", "modul__hidden"])
def test_unknown_keyword_argument(small, Estimator, kwarg):
    X, y, group = small
    est = Estimator(**{kwarg: 1})
    with pytest.raises(TypeError, match=kwarg):
        _fit(est, X, y, group)


def test_module_params_without_module(small):
    X, y, group = small
    with pytest.raises(ValueError, match="module__.*hidden_layer_sizes"):
        _fit(FairTuneClassifier(module__n_hidden=8), X, y, group)


@pytest.mark.parametrize("source", ["instance", "pretrained"])
def test_module_params_are_never_silently_ignored(small, source):
    X, y, group = small
    network = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    if source == "instance":
        est = FairTuneClassifier(module=network, module__n_hidden=8)
    else:
        est = FairTuneClassifier(pretrained=LogisticRegression().fit(X, y),
                                 module__n_hidden=8)
    with pytest.raises(ValueError, match="module__n_hidden"):
        _fit(est, X, y, group)


@pytest.mark.parametrize("module, message", [
    (torch.nn.Linear(3, 3), "3 outputs per row but this task needs 2"),
    (torch.nn.Linear(4, 2), "does not accept X with 3 features"),
])
def test_module_that_does_not_fit_the_data(small, module, message):
    X, y, group = small
    with pytest.raises(ValueError, match=message):
        _fit(FairTuneClassifier(module=module), X, y, group)


def test_pretrained_classes_unseen(small):
    X, y, group = small
    lr = LogisticRegression().fit(X, y)
    y3 = y.copy()
    y3[:3] = 2
    with pytest.raises(ValueError, match=r"classes \[0, 1\] but y holds \[2\]"):
        _fit(FairTuneClassifier(pretrained=lr), X, y3, group)


def test_pretrained_classifier_for_regressor(small):
    X, y, group = small
    lr = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match=r"LogisticRegression\(\.\.\.\) is a classifier"):
        _fit(FairTuneRegressor(pretrained=lr), X, X[:, 0], group)


NOT_FITTED = [
    (Estimator, method)
    for Estimator in ESTIMATORS
    for method in ("predict", "predict_proba", "decision_function", "score",
                   "save_weights", "module_", "history_")
    if hasattr(Estimator, method)
]


@pytest.mark.parametrize("Estimator, method", NOT_FITTED)
def test_not_fitted(small, Estimator, method, tmp_path):
    X, y, _ = small
    args = {"score": (X, y), "save_weights": (tmp_path / "w.safetensors",)}.get(
        method, (X,))
    with pytest.raises(NotFittedError):
        getattr(Estimator(), method)(*args)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
@pytest.mark.parametrize("device", ["cuda", "cuda:0", torch.device("cuda")])
def test_cuda_without_cuda(small, device):
    X, y, group = small
    with pytest.raises(ValueError, match="CUDA"):
        _fit(FairTuneClassifier(device=device), X, y, group)


def test_unknown_device(small):
    X, y, group = small
    with pytest.raises(ValueError, match="device"):
        _fit(FairTuneClassifier(device="tpu"), X, y, group)


def test_errors_leave_estimator_unfitted(small):
    X, y, group = small
    est = FairTuneClassifier(max_epochs=1)
    with pytest.raises(ValueError):
        est.fit(X, y, sensitive_features=group[:10])
    with pytest.raises(NotFittedError):
        est.predict(X)
