"""One skorch net per task, on skorch's public hooks only."""

import numpy as np
import pytest
import torch
from skorch import NeuralNet
from skorch.dataset import ValidSplit

from skfairtune import FairTuneClassifier, FairTuneRegressor
from skfairtune._torch_data import to_tensor_data
from skfairtune.estimators import DivergenceError
from skfairtune.estimators._net import FairClassifierNet, FairNet, FairRegressorNet
from skfairtune.penalties import DemographicParity

NETS = [FairNet, FairClassifierNet, FairRegressorNet]


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    group = rng.integers(0, 2, 100)
    return X, (X[:, 0] + 0.5 * group > 0).astype(int), group


@pytest.mark.parametrize("Estimator, Net, task, dtype", [
    (FairTuneClassifier, FairClassifierNet, "classification", torch.long),
    (FairTuneRegressor, FairRegressorNet, "regression", torch.float32),
])
def test_each_estimator_trains_the_net_of_its_task(data, Estimator, Net, task, dtype):
    X, y, group = data
    est = Estimator(max_epochs=1, random_state=0).fit(X, y, sensitive_features=group)
    assert type(est.net_) is Net
    assert est.net_.task == task
    assert est.net_.target_dtype is dtype
    assert "task" not in vars(est.net_)  # a property of the class, not a setting


class _SpyPenalty(DemographicParity):
    """Demographic parity, remembering the task and scores it was called with."""

    def __call__(self, **kwargs):
        _SpyPenalty.calls.append((kwargs["task"], kwargs["scores"].detach().clone()))
        return super().__call__(**kwargs)


@pytest.mark.parametrize("Estimator, task", [(FairTuneClassifier, "classification"),
                                             (FairTuneRegressor, "regression")])
def test_the_penalty_hears_the_nets_task_and_scores(data, Estimator, task):
    X, y, group = data
    _SpyPenalty.calls = []
    Estimator(penalty=_SpyPenalty(), max_epochs=1, batch_size=100).fit(
        X, y, sensitive_features=group)
    (called_task, scores), = _SpyPenalty.calls
    assert called_task == task
    if task == "classification":  # the softmax of the logits
        assert scores.shape == (100, 2)
        torch.testing.assert_close(scores.sum(dim=1), torch.ones(100))
    else:  # one target: a vector of predictions
        assert scores.shape == (100,)


def test_classifier_net_predicts_class_indices_and_probabilities(data):
    X, y, group = data
    net = FairTuneClassifier(max_epochs=1).fit(X, y, sensitive_features=group).net_
    dataset = to_tensor_data(X, y, group, np.ones(100), y_dtype=net.target_dtype)
    proba = net.predict_proba(dataset)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_array_equal(net.predict(dataset), proba.argmax(axis=1))


def test_regressor_net_predicts_the_outputs(data):
    X, _, group = data
    y = X[:, :2]
    est = FairTuneRegressor(max_epochs=1).fit(X, y, sensitive_features=group)
    dataset = to_tensor_data(X, y, group, np.ones(100), y_dtype=est.net_.target_dtype)
    np.testing.assert_allclose(est.net_.predict(dataset), est.predict(X), atol=1e-6)


def _private_names(cls):
    return {name for name in vars(cls)
            if name.startswith("_") and not (name.startswith("__") and name.endswith("__"))}


@pytest.mark.parametrize("Net", NETS)
def test_no_private_skorch_method_is_overridden(Net):
    """skorch's private methods may change in any release; ours rely on none."""
    skorch_private = set().union(*(_private_names(k) for k in NeuralNet.__mro__))
    assert "_set_training" in skorch_private
    for name in skorch_private:
        owner = next(k for k in Net.__mro__ if name in vars(k))
        assert not issubclass(owner, FairNet), f"{owner.__name__} overrides {name}"


@pytest.mark.parametrize("Net", NETS)
def test_skorch_loops_run_as_they_are(Net):
    for loop in ("fit_loop", "run_single_epoch", "train_step", "partial_fit", "fit"):
        assert getattr(Net, loop) is getattr(NeuralNet, loop), loop


# -- divergence is caught in the batch it happens -------------------------------

class _NaNAt(torch.nn.Module):
    """A linear layer whose outputs turn NaN at the ``at``-th training call,
    or in evaluation mode on batches of ``eval_rows`` rows."""

    def __init__(self, at=None, eval_rows=None):
        super().__init__()
        self.linear = torch.nn.Linear(3, 2)
        self.at, self.eval_rows, self.calls = at, eval_rows, 0

    def forward(self, X):
        out = self.linear(X)
        if self.training:
            self.calls += 1
            return out * float("nan") if self.calls == self.at else out
        return out * float("nan") if len(X) == self.eval_rows else out


@pytest.mark.parametrize("module_params, split, where", [
    # 100 rows in batches of 16: 7 batches an epoch
    ({"at": 3}, None, "the training loss became nan at epoch 1, batch 3"),
    ({"at": 9}, None, "the training loss became nan at epoch 2, batch 2"),
    # 80 training rows (5 batches), then 20 validation rows: 16 and 4
    ({"eval_rows": 4}, ValidSplit(5), "the validation loss became nan at epoch 1, batch 2"),
])
def test_a_nan_loss_is_caught_at_its_epoch_and_batch(data, module_params, split, where):
    X, y, group = data
    params = {f"module__{k}": v for k, v in module_params.items()}
    est = FairTuneClassifier(module=_NaNAt, batch_size=16, max_epochs=3, train_split=split,
                             lr=1e-3, random_state=0, **params)
    with pytest.raises(DivergenceError, match=rf"^Training diverged: {where}\. .*"
                                              r"To fix it: scale X .*; or lower lr \(now "
                                              r"0\.001\); or lower penalty_strength") as info:
        est.fit(X, y, sensitive_features=group)
    assert "scale y" not in str(info.value)  # advice for a regressor only
    assert not hasattr(est, "net_")


def test_the_regressor_net_advises_scaling_y():
    net = FairRegressorNet(module=torch.nn.Linear(1, 1), criterion=torch.nn.MSELoss, lr=0.5)
    message = net._divergence_message("it broke")
    assert message.index("scale X") < message.index("scale y") < message.index("lower lr")
    assert "scale y" not in FairClassifierNet(
        module=torch.nn.Linear(1, 1), criterion=torch.nn.MSELoss)._divergence_message("")
