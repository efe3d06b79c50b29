"""A network that diverges is refused, never accepted with NaN outputs.

NaN probabilities predict one class everywhere, which looks perfectly fair:
the worst kind of silent failure for this toolkit.
"""

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from skfairtune import FairTuneClassifier, FairTuneRegressor
from skfairtune.estimators import DivergenceError
from skfairtune.pretrained import save_weights

FIXES = r"StandardScaler.*lower lr"


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    group = rng.integers(0, 2, 100)
    y = (X[:, 0] + 0.5 * group > 0).astype(int)
    return X, y, group


def test_divergence_error_is_a_value_error():
    assert issubclass(DivergenceError, ValueError)


@pytest.mark.parametrize(
    "params, scale, blame",
    [
        # unscaled X, plain SGD on single rows
        (dict(optimizer="sgd", lr=1e-3, batch_size=1), 1e6, "training loss became nan"),
        (dict(optimizer="sgd", lr=1e6, batch_size=16), 1, "Training diverged"),
        (dict(optimizer="adamw", lr=1e6, batch_size=16), 1, "Training diverged"),
        (dict(penalty_strength=1e300), 1, "penalty term.*overflowed"),
        (dict(max_gap=0.0, multiplier_lr=1e308), 1, "penalty term.*overflowed"),
    ],
    ids=["unscaled-X", "huge-lr-sgd", "huge-lr-adamw", "huge-penalty", "huge-multiplier-lr"],
)
def test_diverged_fit_raises(data, params, scale, blame):
    X, y, group = data
    est = FairTuneClassifier(max_epochs=2, random_state=0, **params)
    with pytest.raises(DivergenceError, match=blame) as info:
        est.fit(X * scale, y, sensitive_features=group)
    message = str(info.value)
    assert "StandardScaler" in message and "lower lr" in message
    # the fix names the value in use
    assert f"now {params.get('lr', 1e-3):g}" in message
    if "penalty_strength" in params or "multiplier_lr" in params:
        assert "lower penalty_strength" in message
    # the NaN network is not kept as a fitted model
    with pytest.raises(NotFittedError):
        est.predict(X)


def test_multiplier_lr_named_in_constraint_mode(data):
    X, y, group = data
    est = FairTuneClassifier(max_epochs=2, max_gap=0.0, multiplier_lr=1e308, random_state=0)
    with pytest.raises(DivergenceError, match=r"lower multiplier_lr \(now 1e\+308\)"):
        est.fit(X, y, sensitive_features=group)


def test_partial_fit_divergence_drops_the_network(data):
    X, y, group = data
    est = FairTuneClassifier(optimizer="sgd", lr=1e-3, batch_size=1, random_state=0)
    est.partial_fit(X, y, sensitive_features=group)
    with pytest.raises(DivergenceError):
        est.partial_fit(X * 1e6, y, sensitive_features=group)
    with pytest.raises(NotFittedError):
        est.predict_proba(X)
    # the next call starts afresh, and works
    est.partial_fit(X, y, sensitive_features=group)
    assert np.isfinite(est.predict_proba(X)).all()


def test_last_step_divergence_is_caught_by_the_weights(data, monkeypatch):
    """A step that makes the weights NaN has no loss after it to show it."""
    X, y, group = data
    est = FairTuneClassifier(max_epochs=1, batch_size=200, random_state=0)
    original = torch.optim.Adam.step

    def poisoned_step(self, *args, **kwargs):
        out = original(self, *args, **kwargs)
        with torch.no_grad():
            self.param_groups[0]["params"][0].fill_(float("nan"))
        return out

    monkeypatch.setattr(torch.optim.Adam, "step", poisoned_step)
    with pytest.raises(DivergenceError, match=r"'hidden\.0\.weight' holds NaN.*after epoch 1"):
        est.fit(X, y, sensitive_features=group)


def test_regressor_divergence_suggests_scaling_y(data):
    X, _, group = data
    est = FairTuneRegressor(max_epochs=2, optimizer="sgd", lr=1e6, batch_size=16,
                            random_state=0)
    with pytest.raises(DivergenceError, match="scale y.*TransformedTargetRegressor"):
        est.fit(X, X[:, 0], sensitive_features=group)


# -- inputs too large for float32 ------------------------------------------------

@pytest.mark.parametrize("scale", [1e39, 1e20])
def test_regressor_target_beyond_float32(data, scale):
    X, _, group = data
    with pytest.raises(ValueError, match=r"y holds values as large as .*float32.*Scale y"):
        FairTuneRegressor(max_epochs=1).fit(X, X[:, 0] * scale, sensitive_features=group)


def test_regressor_large_but_representable_target_fits(data):
    X, _, group = data
    est = FairTuneRegressor(max_epochs=1).fit(X, X[:, 0] * 1e6, sensitive_features=group)
    assert np.isfinite(est.predict(X)).all()


@pytest.mark.parametrize("Estimator", [FairTuneClassifier, FairTuneRegressor])
def test_X_beyond_float32(data, Estimator):
    X, y, group = data
    with pytest.raises(ValueError, match=r"X holds values as large as [\d.]+e\+39.*float32"):
        Estimator(max_epochs=1).fit(X * 1e39, y, sensitive_features=group)
    est = Estimator(max_epochs=1).fit(X, y, sensitive_features=group)
    with pytest.raises(ValueError, match=r"X holds values .*float32"):
        est.predict(X * 1e39)


def test_outputs_that_overflow_at_predict_are_refused(data):
    X, y, group = data
    module = torch.nn.Sequential(torch.nn.Linear(3, 2))
    est = FairTuneClassifier(module=module, max_epochs=0).fit(X, y, sensitive_features=group)
    with torch.no_grad():
        est.module_[0].weight.fill_(float("inf"))
    with pytest.raises(ValueError, match=r"outputs are NaN or infinite for 100 of the 100 rows"):
        est.predict_proba(X)


# -- non-finite parameters are refused by the constraints --------------------------

@pytest.mark.parametrize("param", ["lr", "penalty_strength", "multiplier_lr", "max_gap"])
@pytest.mark.parametrize("value", [np.inf, np.nan])
def test_non_finite_parameters_refused(data, param, value):
    X, y, group = data
    with pytest.raises(InvalidParameterError, match=f"'{param}' parameter"):
        FairTuneClassifier(**{param: value}).fit(X, y, sensitive_features=group)


# -- weights that are NaN before any training ----------------------------------------

def _nan_state(X, y):
    state = FairTuneClassifier(max_epochs=0, penalty=None).fit(X, y).module_.state_dict()
    state = {k: v.clone() for k, v in state.items()}
    state["output.bias"][1] = float("nan")
    return state


@pytest.mark.parametrize("how", ["state_dict", "safetensors"])
@pytest.mark.parametrize("max_epochs", [0, 2])
def test_pretrained_with_nan_is_refused(data, tmp_path, how, max_epochs):
    X, y, group = data
    source = _nan_state(X, y)
    if how == "safetensors":
        module = FairTuneClassifier(max_epochs=0, penalty=None).fit(X, y).module_
        module.load_state_dict(source)
        source = save_weights(module, tmp_path / "nan.safetensors")
    est = FairTuneClassifier(pretrained=source, max_epochs=max_epochs)
    with pytest.raises(ValueError, match=r"NaN or infinite values in 'output\.bias'"):
        est.fit(X, y, sensitive_features=group)


def test_module_with_nan_is_refused(data):
    X, y, group = data
    module = torch.nn.Sequential(torch.nn.Linear(3, 2))
    with torch.no_grad():
        module[0].bias[0] = float("nan")
    with pytest.raises(ValueError, match=r"'0\.bias' holds NaN.*before any training step"):
        FairTuneClassifier(module=module, max_epochs=0).fit(X, y, sensitive_features=group)


@pytest.mark.parametrize("Estimator", [FairTuneClassifier, FairTuneRegressor])
def test_a_loss_that_blows_up_without_nan_is_divergence(data, Estimator):
    # adam at lr=1e6 keeps every number finite: the weights reach millions and
    # the network answers with full confidence. No NaN reveals it; the loss does.
    X, y, group = data
    target = y if Estimator is FairTuneClassifier else X[:, 0]
    with pytest.raises(DivergenceError, match=r"training loss grew from .* at the first "
                                              r"batch to .* at epoch \d.*lower lr \(now 1e\+06\)"):
        Estimator(lr=1e6, max_epochs=5, random_state=0).fit(X, target, sensitive_features=group)


def test_an_ordinary_fit_is_not_taken_for_divergence(data):
    X, y, group = data
    model = FairTuneClassifier(max_epochs=30, lr=0.01, random_state=0)
    assert model.fit(X, y, sensitive_features=group).score(X, y) > 0.7
