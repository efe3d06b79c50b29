"""fit draws its randomness from generators of its own, not the process's.

The process's torch random state is as it was after a fit, and fits of the
built-in MLP running in threads at once give the weights one fit gives.
"""


import numpy as np
import pytest
import torch
from sklearn.neural_network import MLPClassifier

from skfairtune import FairTuneClassifier, FairTuneRegressor

from .conftest import in_threads, make_biased


class _Dropping(torch.nn.Module):
    """A user's network that draws from torch's global generator: its default
    initialisation, and dropout in training."""

    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(),
                                        torch.nn.Dropout(0.3), torch.nn.Linear(8, 2))

    def forward(self, X):
        return self.body(X)


@pytest.mark.parametrize("kwargs", [
    {},
    {"batch_sampling": "stratified", "max_gap": 0.1},
    {"dropout": 0.2},
    {"module": _Dropping},
    {"pretrained": "sklearn"},
], ids=["mlp", "stratified-constraint", "dropout", "user-module", "from-sklearn"])
def test_fit_leaves_the_process_random_state_as_it_was(kwargs):
    X, y, group = make_biased(120, 0)
    if kwargs.get("pretrained") == "sklearn":
        kwargs = {"pretrained": MLPClassifier((6,), max_iter=20, random_state=0).fit(X, y)}
    torch.manual_seed(123)
    before = torch.get_rng_state()
    est = FairTuneClassifier(max_epochs=2, batch_size=32, random_state=0, **kwargs)
    est.fit(X, y, sensitive_features=group)
    est.partial_fit(X, y, sensitive_features=group)
    est.predict_proba(X)
    assert torch.equal(torch.get_rng_state(), before)


def test_a_users_module_is_still_reproducible_from_random_state():
    X, y, group = make_biased(120, 0)

    def fitted_weights():
        est = FairTuneClassifier(module=_Dropping, max_epochs=2, batch_size=32,
                                 random_state=3)
        return est.fit(X, y, sensitive_features=group).module_.state_dict()

    first, second = fitted_weights(), fitted_weights()
    assert all(torch.equal(first[k], second[k]) for k in first)


def test_the_mlp_starts_where_torch_manual_seed_would_start_it():
    """The seeded generator gives the built-in MLP the weights a seeded
    process gave it before, so that fits keep their results."""
    from skfairtune._mlp import MLP, build_mlp

    torch.manual_seed(7)
    expected = MLP(5, 3, (8, 4)).state_dict()
    built = build_mlp(5, 3, (8, 4), generator=torch.Generator().manual_seed(7)).state_dict()
    assert all(torch.equal(expected[k], built[k]) for k in expected)


@pytest.mark.parametrize("Estimator", [FairTuneClassifier, FairTuneRegressor])
def test_fits_in_threads_give_the_weights_of_one_fit(Estimator):
    X, y, group = make_biased(200, 2)
    kwargs = {"max_epochs": 3, "batch_size": 32, "random_state": 5,
              "batch_sampling": "stratified"}
    expected = Estimator(**kwargs).fit(X, y, sensitive_features=group).module_.state_dict()
    results = in_threads(
        lambda: Estimator(**kwargs).fit(X, y, sensitive_features=group).module_.state_dict(), 6)
    for weights in results:
        for name, value in expected.items():
            assert torch.equal(weights[name], value), name


def test_random_state_none_still_varies_between_fits():
    X, y, group = make_biased(60, 0)
    one, two = (FairTuneClassifier(max_epochs=0).fit(X, y, sensitive_features=group)
                for _ in range(2))
    assert not np.allclose(one.predict_proba(X), two.predict_proba(X))
