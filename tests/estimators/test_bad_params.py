"""Parameters that torch or skorch would choke on are refused in our words."""

import numpy as np
import pytest
import torch
from sklearn.utils._param_validation import InvalidParameterError
from skorch.callbacks import Callback, EpochScoring

from skfairtune import FairTuneClassifier, FairTuneRegressor

ESTIMATORS = [FairTuneClassifier, FairTuneRegressor]


@pytest.fixture
def small():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    return X, (X[:, 0] > 0).astype(int), rng.integers(0, 2, 40)


# -- hidden_layer_sizes ----------------------------------------------------------

@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("sizes", [(-3,), (0,), (8, 0), (2.5,), ("8",), (True,), (None,)])
def test_hidden_layer_sizes_must_be_positive_ints(small, Estimator, sizes):
    X, y, group = small
    est = Estimator(hidden_layer_sizes=sizes, max_epochs=1)
    with pytest.raises(InvalidParameterError, match=r"'hidden_layer_sizes'.*positive integers.*"
                       + repr(tuple(sizes)).replace("(", r"\(").replace(")", r"\)")):
        est.fit(X, y, sensitive_features=group)


@pytest.mark.parametrize("sizes", [(), [5], (np.int64(3), 2)])
def test_hidden_layer_sizes_accepted(small, sizes):
    X, y, group = small
    est = FairTuneClassifier(hidden_layer_sizes=sizes, max_epochs=1).fit(
        X, y, sensitive_features=group)
    assert np.isfinite(est.predict_proba(X)).all()


# -- freeze -------------------------------------------------------------------------

@pytest.mark.parametrize("freeze", ["*", ["hidden.*", "output.*"]])
def test_freezing_everything_leaves_nothing_to_fine_tune(small, freeze):
    X, y, group = small
    est = FairTuneClassifier(freeze=freeze, max_epochs=2)
    with pytest.raises(ValueError, match=r"freezes every parameter.*nothing is left to "
                                         r"fine-tune.*max_epochs=0"):
        est.fit(X, y, sensitive_features=group)
    with pytest.raises(ValueError, match="freezes every parameter"):
        FairTuneClassifier(freeze=freeze).partial_fit(X, y, sensitive_features=group)


def test_freezing_everything_with_no_training_evaluates_the_start(small):
    X, y, group = small
    start = FairTuneClassifier(max_epochs=0, random_state=0).fit(X, y, sensitive_features=group)
    est = FairTuneClassifier(pretrained=start, freeze="*", max_epochs=0)
    est.fit(X, y, sensitive_features=group)
    np.testing.assert_array_equal(est.predict_proba(X), start.predict_proba(X))
    assert len(est.frozen_parameters_) == 4
    # but not partial_fit from there: it would train
    with pytest.raises(ValueError, match="freezes every parameter"):
        est.partial_fit(X, y, sensitive_features=group)


class _NoParameters(torch.nn.Module):
    def forward(self, X):
        return torch.stack([X[:, 0], -X[:, 0]], dim=1)


def test_module_without_parameters(small):
    X, y, group = small
    est = FairTuneClassifier(module=_NoParameters, max_epochs=1)
    with pytest.raises(ValueError, match="no parameters, so there is nothing to fine-tune"):
        est.fit(X, y, sensitive_features=group)
    est.set_params(max_epochs=0).fit(X, y, sensitive_features=group)
    assert np.array_equal(est.predict(X), np.where(X[:, 0] > 0, 0, 1))


# -- callbacks -----------------------------------------------------------------------

class _Counter(Callback):
    def initialize(self):
        self.epochs_ = 0
        return self

    def on_epoch_end(self, net, **kwargs):
        self.epochs_ += 1


@pytest.mark.parametrize(
    "callbacks",
    [[1], ["print"], [_Counter(), None], [("named", 3)], [(_Counter(), "name")],
     [("a", "b", _Counter())], [lambda net: None], [int]],
    ids=["int", "str", "None", "named-int", "reversed-tuple", "triple", "function", "class"],
)
def test_callbacks_must_be_skorch_callbacks(small, callbacks):
    X, y, group = small
    est = FairTuneClassifier(callbacks=callbacks, max_epochs=1)
    with pytest.raises(InvalidParameterError, match=r"'callbacks'.*skorch callbacks.*"
                                                   r"Callback instances or classes.*\(name, "
                                                   r"callback\) tuples"):
        est.fit(X, y, sensitive_features=group)


@pytest.mark.parametrize(
    "callbacks",
    [[_Counter()], [_Counter], [("count", _Counter())], [["count", _Counter]],
     [EpochScoring("accuracy", on_train=True, name="acc")]],
    ids=["instance", "class", "named", "named-list-class", "scoring"],
)
def test_callbacks_accepted(small, callbacks):
    X, y, group = small
    est = FairTuneClassifier(callbacks=callbacks, max_epochs=2, n_iter_no_change=None)
    est.fit(X, y, sensitive_features=group)
    assert len(est.history_) == 2


# -- one validation path -------------------------------------------------------------

@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_parameters_are_validated_once_as_fit_starts(small, Estimator, monkeypatch):
    X, y, group = small
    calls = []
    original = Estimator._validate_params
    monkeypatch.setattr(Estimator, "_validate_params",
                        lambda self: calls.append(1) or original(self))
    est = Estimator(max_epochs=1)
    est.fit(X, y, sensitive_features=group)
    assert len(calls) == 1
    est = Estimator()
    for _ in range(3):  # a partial_fit that continues checks nothing again
        est.partial_fit(X, y, sensitive_features=group)
    assert len(calls) == 2


@pytest.mark.parametrize("Estimator, params, message", [
    (FairTuneClassifier, {"foo": 1}, r"Unexpected keyword argument\(s\) \['foo'\]"),
    (FairTuneClassifier, {"module": torch.nn.Linear(3, 2), "module__n_hidden": 8},
     r"\['module__n_hidden'\] need module to be a class"),
    (FairTuneClassifier, {"device": "nonsense"}, "device='nonsense' is not a torch device"),
    (FairTuneRegressor, {"penalty": "equalized_odds"},
     "'equalized_odds' applies to classification only"),
    (FairTuneClassifier, {"freeze": "*"}, "freezes every parameter"),
])
def test_parameter_errors_are_invalid_parameter_errors(small, Estimator, params, message):
    X, y, group = small
    with pytest.raises(InvalidParameterError, match=message):
        Estimator(max_epochs=1, **params).fit(X, y, sensitive_features=group)


def test_a_samplers_parameters_are_validated_too(small):
    # fit does not ask scikit-learn to skip the validation of what it fits inside
    from skfairtune.resampling import GroupResampler

    X, y, group = small
    est = FairTuneClassifier(sampler=GroupResampler(target="bogus"), max_epochs=1)
    with pytest.raises(InvalidParameterError, match="'target' parameter of GroupResampler"):
        est.fit(X, y, sensitive_features=group)
