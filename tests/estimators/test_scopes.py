"""Fine-tuning scopes: the head alone, the last k layers, a lower lr for the body."""

import pytest
import torch
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError

from skfairtune import FairTuneClassifier
from skfairtune.pretrained import freeze_parameters, parameterised_layers

pytestmark = pytest.mark.filterwarnings("ignore::skfairtune.exceptions.DegenerateModelWarning")


def _moved(before: dict, module: torch.nn.Module) -> set:
    return {name for name, p in module.named_parameters() if not torch.equal(p, before[name])}


def _start(X, y, group, hidden=(8, 8)):
    return FairTuneClassifier(hidden_layer_sizes=hidden, max_epochs=0, random_state=0).fit(
        X, y, sensitive_features=group)


def test_head_only_moves_only_the_head(binary_data):
    X, y, group = binary_data
    start = _start(X, y, group)
    before = {k: v.clone() for k, v in start.module_.state_dict().items()}
    tuned = FairTuneClassifier(pretrained=start, train_last=1, max_epochs=3,
                               random_state=0).fit(X, y, sensitive_features=group)
    assert _moved(before, tuned.module_) == {"output.weight", "output.bias"}
    assert set(tuned.frozen_parameters_) == {"hidden.0.weight", "hidden.0.bias",
                                             "hidden.1.weight", "hidden.1.bias"}


def test_last_two_layers(binary_data):
    X, y, group = binary_data
    start = _start(X, y, group)
    before = {k: v.clone() for k, v in start.module_.state_dict().items()}
    tuned = FairTuneClassifier(pretrained=start, train_last=2, max_epochs=3,
                               random_state=0).fit(X, y, sensitive_features=group)
    assert _moved(before, tuned.module_) == {"hidden.1.weight", "hidden.1.bias",
                                             "output.weight", "output.bias"}


def test_train_last_with_freeze(binary_data):
    X, y, group = binary_data
    start = _start(X, y, group)
    before = {k: v.clone() for k, v in start.module_.state_dict().items()}
    tuned = FairTuneClassifier(pretrained=start, train_last=1, freeze="output.bias",
                               max_epochs=3, random_state=0).fit(X, y, sensitive_features=group)
    assert _moved(before, tuned.module_) == {"output.weight"}


def test_train_last_beyond_the_layers(binary_data):
    X, y, group = binary_data
    with pytest.raises(ValueError, match=r"train_last=4 .* 3 layer\(s\) with parameters"):
        FairTuneClassifier(hidden_layer_sizes=(8, 8), train_last=4, max_epochs=1).fit(
            X, y, sensitive_features=group)


@pytest.mark.parametrize("bad", [0, -1, 1.5, "head"])
def test_train_last_must_be_a_positive_int(binary_data, bad):
    X, y, group = binary_data
    with pytest.raises(InvalidParameterError, match="'train_last' parameter"):
        FairTuneClassifier(train_last=bad).fit(X, y, sensitive_features=group)


def test_train_last_is_a_parameter():
    est = FairTuneClassifier(train_last=1)
    assert est.get_params()["train_last"] == 1
    assert clone(est.set_params(train_last=2)).train_last == 2


def test_layers_of_a_users_network():
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(),
                                            torch.nn.LayerNorm(4))
            self.head = torch.nn.Linear(4, 2)
            self.scale = torch.nn.Parameter(torch.ones(1))  # the network's own

        def forward(self, x):
            return self.head(self.body(x)) * self.scale

    net = Net()
    assert parameterised_layers(net) == ["", "body.0", "body.2", "head"]
    frozen = freeze_parameters(net, None, train_last=2)
    assert frozen == ["scale", "body.0.weight", "body.0.bias"]
    assert [n for n, p in net.named_parameters() if p.requires_grad] == [
        "body.2.weight", "body.2.bias", "head.weight", "head.bias"]


def test_lower_lr_for_the_body_through_param_groups(binary_data):
    X, y, group = binary_data
    start = _start(X, y, group)
    before = {k: v.clone() for k, v in start.module_.state_dict().items()}
    tuned = FairTuneClassifier(
        pretrained=start, lr=1e-2, optimizer__param_groups=[("hidden.*", {"lr": 1e-4})],
        max_epochs=2, random_state=0).fit(X, y, sensitive_features=group)
    groups = tuned.net_.optimizer_.param_groups
    assert [g["lr"] for g in groups] == [1e-4, 1e-2]
    assert len(groups[0]["params"]) == 4  # hidden.{0,1}.{weight,bias}
    body = max((tuned.module_.state_dict()[k] - before[k]).abs().max().item()
               for k in before if k.startswith("hidden"))
    head = max((tuned.module_.state_dict()[k] - before[k]).abs().max().item()
               for k in before if k.startswith("output"))
    assert 0 < body < head / 10
    assert clone(tuned).get_params()["optimizer__param_groups"] == [("hidden.*", {"lr": 1e-4})]


def test_a_param_group_that_reaches_no_trainable_parameter_is_refused(binary_data):
    X, y, group = binary_data
    typo = FairTuneClassifier(optimizer__param_groups=[("hiden.*", {"lr": 1e-4})],
                              max_epochs=1)
    with pytest.raises(ValueError, match=r"'hiden\.\*' matches no parameter.*hidden\.0"):
        typo.fit(X, y, sensitive_features=group)
    frozen = FairTuneClassifier(optimizer__param_groups=[("hidden.*", {"lr": 1e-4})],
                                train_last=1, max_epochs=1)
    with pytest.raises(ValueError, match="matches only frozen parameters"):
        frozen.fit(X, y, sensitive_features=group)


@pytest.mark.parametrize("groups", ["hidden.*", ("hidden.*", {"lr": 1e-4}),
                                    [("hidden.*", 1e-4)], [("hidden.*",)]],
                         ids=["a pattern", "one pair", "no dict", "no options"])
def test_param_groups_of_another_form_say_the_form(binary_data, groups):
    X, y, group = binary_data
    est = FairTuneClassifier(optimizer__param_groups=groups, max_epochs=1)
    with pytest.raises(ValueError, match=r"optimizer__param_groups must be a list of "
                                         r"\(pattern, options\) pairs.*"
                                         r"\[\('body\.\*', \{'lr': 1e-4\}\)\]"):
        est.fit(X, y, sensitive_features=group)
