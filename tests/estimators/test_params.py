"""Parameters, clone, pickle and reproducibility of the estimators."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone

from skfairtune import FairTuneClassifier, FairTuneRegressor
from skfairtune.penalties import BoundedGroupLoss, DemographicParity
from skfairtune.pretrained import EmbeddingTransformer


class TwoLayer(torch.nn.Module):
    """A user's own network, with a constructor argument."""

    def __init__(self, n_in=5, n_hidden=8, n_out=2):
        super().__init__()
        self.first = torch.nn.Linear(n_in, n_hidden)
        self.last = torch.nn.Linear(n_hidden, n_out)

    def forward(self, X):
        return self.last(torch.relu(self.first(X)))


def _configured():
    return FairTuneClassifier(
        TwoLayer, penalty=BoundedGroupLoss(bound=0.3), penalty_strength=2.0,
        max_epochs=3, lr=0.01, random_state=0,
        module__n_hidden=7, optimizer__weight_decay=0.01,
    )


def test_get_params_lists_forwarded_and_nested():
    params = _configured().get_params()
    assert params["module__n_hidden"] == 7
    assert params["optimizer__weight_decay"] == 0.01
    assert params["penalty__bound"] == 0.3
    assert params["penalty_strength"] == 2.0
    shallow = _configured().get_params(deep=False)
    # clone builds from the shallow parameters, so they hold the forwarded ones
    assert shallow["module__n_hidden"] == 7
    assert "penalty__bound" not in shallow


def test_set_params_round_trip():
    est = _configured()
    out = est.set_params(module__n_hidden=3, optimizer__weight_decay=0.5,
                         penalty__bound=0.1, penalty_strength=4.0)
    assert out is est
    params = est.get_params()
    assert params["module__n_hidden"] == 3
    assert params["optimizer__weight_decay"] == 0.5
    assert params["penalty__bound"] == 0.1
    assert est.penalty.bound == 0.1
    assert params["penalty_strength"] == 4.0
    # A second estimator built from these parameters has the same ones.
    rebuilt = FairTuneClassifier(**est.get_params(deep=False))
    assert rebuilt.get_params()["module__n_hidden"] == 3


def test_set_params_unknown_name_raises():
    with pytest.raises(ValueError, match="not_a_param"):
        FairTuneClassifier().set_params(not_a_param=1)


def test_clone_keeps_every_parameter():
    est = _configured()
    copy = clone(est)
    assert copy is not est
    assert copy.penalty is not est.penalty
    original, cloned = est.get_params(), copy.get_params()
    assert original.keys() == cloned.keys()
    for key, value in original.items():
        if key == "penalty":
            assert cloned[key].get_params() == value.get_params()
        else:
            assert cloned[key] == value, key


def test_forwarded_params_reach_skorch(binary_data):
    X, y, group = binary_data
    est = _configured().fit(X, y, sensitive_features=group)
    assert est.module_.first.out_features == 7
    assert est.net_.optimizer_.param_groups[0]["weight_decay"] == 0.01


def test_clone_of_fitted_is_unfitted(binary_data):
    X, y, group = binary_data
    est = _fit(FairTuneClassifier(max_epochs=1, random_state=0), X, y, group)
    copy = clone(est)
    assert not hasattr(copy, "net_")
    assert copy.get_params() == est.get_params()


def _fit(est, X, y, group):
    return est.fit(X, y, sensitive_features=group)


@pytest.mark.parametrize("penalty", ["demographic_parity", "equalized_odds",
                                     "worst_group_loss", BoundedGroupLoss(0.2)])
def test_same_random_state_gives_identical_predictions(binary_data, penalty):
    X, y, group = binary_data
    make = lambda: FairTuneClassifier(penalty=penalty, max_epochs=4, lr=0.01,  # noqa: E731
                                      batch_size=32, random_state=3)
    first = _fit(make(), X, y, group).predict_proba(X)
    second = _fit(make(), X, y, group).predict_proba(X)
    assert np.array_equal(first, second)
    # and a different seed gives a different network
    other = _fit(make().set_params(random_state=4), X, y, group).predict_proba(X)
    assert not np.array_equal(first, other)


def test_same_random_state_regressor(regression_data):
    X, y, _, group = regression_data
    make = lambda: FairTuneRegressor(max_epochs=4, lr=0.01, random_state=0)  # noqa: E731
    assert np.array_equal(_fit(make(), X, y, group).predict(X),
                          _fit(make(), X, y, group).predict(X))


def test_pickle_round_trip_of_fitted(binary_data):
    X, y, group = binary_data
    est = _fit(_configured(), X, y, group)
    loaded = pickle.loads(pickle.dumps(est))
    assert np.array_equal(loaded.predict_proba(X), est.predict_proba(X))
    assert np.array_equal(loaded.classes_, est.classes_)
    assert loaded.get_params()["penalty__bound"] == 0.3
    assert loaded.n_iter_ == est.n_iter_


def test_pickled_unfitted_fits_the_same(binary_data):
    X, y, group = binary_data
    est = FairTuneClassifier(max_epochs=3, lr=0.01, random_state=0)
    loaded = pickle.loads(pickle.dumps(est))
    assert np.array_equal(_fit(est, X, y, group).predict_proba(X),
                          _fit(loaded, X, y, group).predict_proba(X))


def test_pickled_fitted_resumes_identically(binary_data):
    """A checkpoint (pickle) continues training exactly as the original."""
    X, y, group = binary_data
    est = FairTuneClassifier(max_epochs=3, lr=0.01, random_state=0)
    _fit(est, X, y, group)
    loaded = pickle.loads(pickle.dumps(est))
    est.partial_fit(X, y, sensitive_features=group)
    loaded.partial_fit(X, y, sensitive_features=group)
    assert np.array_equal(est.predict_proba(X), loaded.predict_proba(X))


@pytest.mark.parametrize("Estimator", [FairTuneClassifier, FairTuneRegressor])
def test_zero_strength_is_no_penalty(binary_data, Estimator):
    X, y, group = binary_data
    common = dict(max_epochs=4, lr=0.01, batch_size=32, random_state=0)
    zero = _fit(Estimator(penalty_strength=0.0, **common), X, y, group)
    none = _fit(Estimator(penalty=None, **common), X, y, group)
    method = "predict_proba" if Estimator is FairTuneClassifier else "predict"
    assert np.array_equal(getattr(zero, method)(X), getattr(none, method)(X))
    # and a positive strength does change the model
    some = _fit(Estimator(penalty_strength=5.0, **common), X, y, group)
    assert not np.array_equal(getattr(some, method)(X), getattr(none, method)(X))


def test_penalty_object_equals_its_name(binary_data):
    X, y, group = binary_data
    common = dict(max_epochs=3, lr=0.01, random_state=0)
    by_name = FairTuneClassifier(penalty="demographic_parity", **common)
    by_object = FairTuneClassifier(penalty=DemographicParity(), **common)
    _fit(by_name, X, y, group)
    _fit(by_object, X, y, group)
    assert np.array_equal(by_name.predict_proba(X), by_object.predict_proba(X))


def test_callbacks_and_their_forwarded_params(binary_data):
    from skorch.callbacks import LRScheduler

    X, y, group = binary_data

    def final_lr(**params):
        schedule = LRScheduler(policy="StepLR", step_size=1, gamma=0.5)
        est = FairTuneClassifier(max_epochs=3, lr=0.08, random_state=0,
                                 callbacks=[("schedule", schedule)], **params)
        est.fit(X, y, sensitive_features=group)
        return est.net_.optimizer_.param_groups[0]["lr"]

    assert final_lr() < 0.08 / 2
    # callbacks__<name>__<param> reaches the callback: no decay within 3 epochs
    assert final_lr(callbacks__schedule__step_size=100) == pytest.approx(0.08)


def test_fit_does_not_change_the_callbacks_parameter(binary_data):
    from skorch.callbacks import LRScheduler

    X, y, group = binary_data
    schedule = LRScheduler(policy="StepLR", step_size=1, gamma=0.5)
    est = FairTuneClassifier(max_epochs=1, callbacks=[("schedule", schedule)],
                             callbacks__schedule__step_size=100)
    est.fit(X, y, sensitive_features=group)
    assert est.callbacks[0][1].kwargs == {"step_size": 1, "gamma": 0.5}
    assert not hasattr(schedule, "lr_scheduler_")


def test_skorch_scoring_callback(binary_data):
    from skorch.callbacks import EpochScoring

    X, y, group = binary_data
    est = FairTuneClassifier(
        max_epochs=2, random_state=0,
        callbacks=[("acc", EpochScoring("accuracy", on_train=True,
                                        lower_is_better=False))],
    )
    est.fit(X, y, sensitive_features=group)
    assert 0 <= est.history_[-1, "accuracy"] <= 1


def test_grid_search_over_nested_and_forwarded_params(binary_data):
    from sklearn.model_selection import GridSearchCV

    X, y, group = binary_data
    grid = {"penalty__bound": [0.1, 0.5], "module__n_hidden": [3, 5]}
    search = GridSearchCV(_configured().set_params(max_epochs=1), grid, cv=2)
    search.fit(X, y, sensitive_features=group)
    assert list(search.cv_results_["params"]) == [
        {"module__n_hidden": h, "penalty__bound": b} for h in (3, 5) for b in (0.1, 0.5)
    ]
    best = search.best_estimator_
    assert best.penalty.bound == search.best_params_["penalty__bound"]
    assert best.module_.first.out_features == search.best_params_["module__n_hidden"]


def test_verbose_2_shows_a_progress_bar_over_the_epochs(binary_data, capsys):
    X, y, group = binary_data
    FairTuneClassifier(max_epochs=3, verbose=2, random_state=0).fit(
        X, y, sensitive_features=group)
    err = capsys.readouterr().err
    assert "3/3" in err and "epoch" in err


def test_clone_keeps_a_fitted_pretrained_source(binary_data):
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV

    X, y, group = binary_data
    base = FairTuneClassifier(penalty=None, max_epochs=2, random_state=0).fit(X, y)
    est = FairTuneClassifier(pretrained=base, penalty=None, max_epochs=0)
    assert clone(est).pretrained is base
    np.testing.assert_array_equal(clone(est).fit(X, y).predict_proba(X),
                                  base.predict_proba(X))
    search = GridSearchCV(est.set_params(max_epochs=1, penalty="demographic_parity"),
                          {"penalty_strength": [0.0, 1.0]},
                          cv=2).fit(X, y, sensitive_features=group)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


@pytest.mark.parametrize("make", [
    lambda weights: FairTuneClassifier(pretrained=weights, max_epochs=3),
    lambda weights: EmbeddingTransformer(TwoLayer, pretrained=weights),
], ids=["FairTuneClassifier", "EmbeddingTransformer"])
def test_repr_summarises_a_pretrained_state_dict(make):
    weights = TwoLayer(n_hidden=300).state_dict()
    est = make(weights)
    shown = repr(est)
    assert "pretrained=<state dict: 4 tensors>" in shown
    assert "tensor(" not in shown and len(shown) < 200
    assert est.get_params()["pretrained"] is weights  # the weights themselves
    assert clone(est).get_params()["pretrained"] is weights
