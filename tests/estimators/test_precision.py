"""Mixed precision (``precision``): autocast of the forward pass and the task
loss, with the penalty and constraint mode's multipliers in float32, and
float16's loss scaling."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError
from skorch.callbacks import Callback, EpochScoring
from skorch.dataset import ValidSplit

from skfairtune import FairTuneClassifier, FairTuneRegressor
from skfairtune.estimators._budget import GroupMultipliers
from skfairtune.penalties import DemographicParity

from .conftest import make_biased

SEEN = []


class RecordingParity(DemographicParity):
    """Demographic parity that records what each call receives."""

    def __call__(self, *, scores, losses, **kwargs):
        SEEN.append((scores.dtype, losses.dtype, torch.is_autocast_enabled("cpu")))
        return super().__call__(scores=scores, losses=losses, **kwargs)


class GradNorms(Callback):
    """The norm of the gradients that callbacks see, per step."""

    def initialize(self):
        self.norms_ = []
        return self

    def on_grad_computed(self, net, named_parameters, **kwargs):
        grads = [p.grad.norm() for _, p in named_parameters if p.grad is not None]
        self.norms_.append(float(torch.stack(grads).norm()))


@pytest.fixture(scope="module")
def easy():
    return make_biased(800, 0)


def _fit(data, **params):
    X, y, group = data
    params = {"max_epochs": 15, "batch_size": 64, "random_state": 0, **params}
    est = FairTuneClassifier(**params)
    return est.fit(X, y, sensitive_features=group)


@pytest.mark.parametrize("precision", ["bfloat16", "float16"])
def test_half_precision_fits_as_well_as_float32(easy, precision):
    X, y, _ = easy
    reference = _fit(easy).score(X, y)
    est = _fit(easy, precision=precision)
    assert abs(est.score(X, y) - reference) <= 0.02
    # Prediction stays on the float64 path, from float32 weights.
    assert est.predict_proba(X).dtype == np.float64
    assert {p.dtype for p in est.module_.parameters()} == {torch.float32}


def test_the_forward_pass_runs_in_the_precision(easy):
    est = FairTuneClassifier(max_epochs=1, batch_size=64, random_state=0,
                             precision="bfloat16", penalty=None)
    X, y, group = easy
    est.fit(X, y, sensitive_features=group)
    dtypes = []
    # The inference copy (evaluation mode, float64) carries the hook too.
    est.module_.register_forward_hook(
        lambda m, i, out: dtypes.append(out.dtype) if m.training else None)
    est.partial_fit(X, y, sensitive_features=group)
    assert set(dtypes) == {torch.bfloat16}


def test_the_penalty_reads_float32_outside_autocast(easy):
    SEEN.clear()
    _fit(easy, precision="bfloat16", penalty=RecordingParity(), max_epochs=1)
    assert SEEN and set(SEEN) == {(torch.float32, torch.float32, False)}


@pytest.mark.filterwarnings("ignore::skfairtune.exceptions.BudgetNotMetWarning")
def test_constraint_mode_multipliers_stay_float32(easy, monkeypatch):
    seen, term = [], GroupMultipliers.term

    def recording(self, scores, *args):
        out = term(self, scores, *args)
        if out is not None:
            seen.append((scores.dtype, out[1].dtype, torch.is_autocast_enabled("cpu")))
        return out

    monkeypatch.setattr(GroupMultipliers, "term", recording)
    est = _fit(easy, precision="bfloat16", max_gap=0.05, max_epochs=4)
    assert seen and set(seen) == {(torch.float32, torch.float32, False)}
    assert np.isfinite(est.validation_gap_)


def test_regressor_in_bfloat16(easy):
    X, _, group = easy
    target = X[:, 1] + group
    scores = [FairTuneRegressor(max_epochs=10, random_state=0, precision=precision)
              .fit(X, target, sensitive_features=group).score(X, target)
              for precision in ("float32", "bfloat16")]
    assert scores[1] == pytest.approx(scores[0], abs=0.02)


def test_float16_scales_the_loss_and_callbacks_see_true_gradients(easy):
    X, y, _ = easy
    half = _fit(easy, precision="float16", max_epochs=1, callbacks=[("norms", GradNorms())])
    full = _fit(easy, max_epochs=1, callbacks=[("norms", GradNorms())])
    scaler = half.net_.grad_scaler_
    assert isinstance(scaler, torch.amp.GradScaler) and scaler.get_scale() > 1
    assert full.net_.grad_scaler_ is None
    # Unscaled before the callbacks: the first step's gradients are float32's,
    # not 65,536 times them.
    first_half = dict(half.net_.callbacks_)["norms"].norms_[0]
    first_full = dict(full.net_.callbacks_)["norms"].norms_[0]
    assert first_half == pytest.approx(first_full, rel=0.05)


def test_float16_skips_a_step_whose_gradients_overflow(easy):
    est = _fit(easy, precision="float16", max_epochs=1)
    before = {k: v.clone() for k, v in est.module_.state_dict().items()}
    scaler = est.net_.grad_scaler_
    # A scale that overflows the float16 gradients: the step is skipped, the
    # weights are untouched and the scale is lowered, instead of a NaN fit.
    scaler.update(new_scale=torch.tensor(3e38))
    X, y, group = easy
    est.set_params(batch_size=len(X)).net_.batch_size = len(X)
    est.partial_fit(X, y, sensitive_features=group)
    assert scaler.get_scale() < 3e38
    for key, value in est.module_.state_dict().items():
        assert torch.equal(value, before[key]), key


@pytest.mark.parametrize("Estimator, metric", [(FairTuneClassifier, "accuracy"),
                                               (FairTuneRegressor, "r2")])
def test_skorch_scoring_reads_half_precision_outputs(easy, Estimator, metric):
    # skorch's EpochScoring replays the validation steps' bfloat16 outputs.
    X, y, group = easy
    est = Estimator(precision="bfloat16", max_epochs=2, random_state=0,
                    train_split=ValidSplit(5),
                    callbacks=[("score", EpochScoring(metric, lower_is_better=False))])
    est.fit(X, y if metric == "accuracy" else X[:, 1], sensitive_features=group)
    assert np.isfinite(est.history_[-1][metric])


def test_invalid_precision_is_a_parameter_error(easy):
    with pytest.raises(InvalidParameterError,
                       match="'precision' parameter of FairTuneClassifier must be"):
        _fit(easy, precision="float64")


def test_a_device_without_autocast_is_refused_naming_both(easy):
    with pytest.raises(InvalidParameterError,
                       match=r"precision='bfloat16' cannot run on device='meta'"):
        _fit(easy, precision="bfloat16", device="meta")


def test_clone_and_pickle_keep_the_precision(easy):
    X, y, group = easy
    est = _fit(easy, precision="float16", max_epochs=2)
    assert clone(est).precision == "float16"
    again = pickle.loads(pickle.dumps(est))
    assert again.precision == "float16"
    np.testing.assert_array_equal(again.predict_proba(X), est.predict_proba(X))
    scale = est.net_.grad_scaler_.get_scale()
    assert again.net_.grad_scaler_.get_scale() == scale
    # A partial_fit after unpickling goes on with the scaler it had.
    again.partial_fit(X, y, sensitive_features=group)
    assert again.net_.grad_scaler_.get_scale() > 1
