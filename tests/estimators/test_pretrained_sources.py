"""Fine-tuning starts from every kind of pre-trained source, exactly.

With ``max_epochs=0`` the estimator is the source: same predictions. Then
``freeze`` keeps the named parameters bit-identical through training.
"""

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler
from skorch import NeuralNetClassifier

from skfairtune import FairTuneClassifier, FairTuneRegressor
from skfairtune._mlp import MLP

# The scikit-learn sources are trained briefly; convergence is not the point.
pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)


@pytest.fixture
def data():
    """Standardized features, binary and 3-class labels, a group."""
    rng = np.random.default_rng(5)
    X = StandardScaler().fit_transform(rng.normal(size=(200, 5)))
    group = rng.integers(0, 2, 200)
    y2 = (X[:, 0] + X[:, 1] + 0.5 * rng.normal(size=200) > 0).astype(int)
    y3 = np.digitize(X[:, 0] + 0.3 * rng.normal(size=200), [-0.5, 0.5])
    return X, y2, y3, group


def _start(source, X, y, group, **kwargs):
    """The estimator at its starting point: loaded, no training step."""
    return FairTuneClassifier(pretrained=source, max_epochs=0, **kwargs).fit(
        X, y, sensitive_features=group
    )


def _assert_same_classifier(est, proba, X, predict=None, atol=1e-6):
    np.testing.assert_allclose(est.predict_proba(X), proba, rtol=0, atol=atol)
    if predict is not None:
        assert np.array_equal(est.predict(X), predict)


# -- torch sources ----------------------------------------------------------

@pytest.fixture
def fitted(data):
    X, y2, _, group = data
    return FairTuneClassifier(hidden_layer_sizes=(6,), max_epochs=5, lr=0.01,
                              random_state=0).fit(X, y2, sensitive_features=group)


def test_from_fitted_estimator(fitted, data):
    X, y2, _, group = data
    est = _start(fitted, X, y2, group)
    assert np.array_equal(est.predict_proba(X), fitted.predict_proba(X))
    # a copy: fine-tuning never moves the source's weights
    assert est.module_ is not fitted.module_


@pytest.mark.parametrize("suffix", [".safetensors", ".pt", ".pth"])
def test_from_weight_file(fitted, data, tmp_path, suffix):
    X, y2, _, group = data
    path = tmp_path / f"weights{suffix}"
    if suffix == ".safetensors":
        assert fitted.save_weights(path) == path
    else:
        torch.save(fitted.module_.state_dict(), path)
    for source in (path, str(path)):
        est = _start(source, X, y2, group, hidden_layer_sizes=(6,))
        assert np.array_equal(est.predict_proba(X), fitted.predict_proba(X))


def test_from_state_dict(fitted, data):
    X, y2, _, group = data
    state = fitted.module_.state_dict()
    est = _start(state, X, y2, group, hidden_layer_sizes=(6,))
    assert np.array_equal(est.predict_proba(X), fitted.predict_proba(X))


def test_from_module_instance(data):
    X, y2, _, group = data
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(),
                                 torch.nn.Linear(8, 2))
    before = {k: v.clone() for k, v in module.state_dict().items()}
    est = _start(module, X, y2, group)
    with torch.no_grad():
        logits = module(torch.tensor(X, dtype=torch.float32)).double()
    expected = torch.softmax(logits, 1).numpy()
    np.testing.assert_allclose(est.predict_proba(X), expected, rtol=0, atol=1e-6)
    # training the estimator leaves the user's module alone
    est.set_params(max_epochs=3).fit(X, y2, sensitive_features=group)
    for name, tensor in module.state_dict().items():
        assert torch.equal(tensor, before[name])


def test_from_skorch_classifier(data):
    X, y2, _, group = data
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(),
                                 torch.nn.Linear(8, 2))
    net = NeuralNetClassifier(module, criterion=torch.nn.CrossEntropyLoss,
                              max_epochs=3, lr=0.05, train_split=None, verbose=0)
    net.fit(X.astype(np.float32), y2.astype(np.int64))
    est = _start(net, X, y2, group)
    _assert_same_classifier(est, net.predict_proba(X.astype(np.float32)), X,
                            predict=net.predict(X.astype(np.float32)))


# -- scikit-learn conversions -------------------------------------------------

@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_from_mlp_classifier(data, activation, n_classes):
    X, y2, y3, group = data
    y = y2 if n_classes == 2 else y3
    mlp = MLPClassifier(hidden_layer_sizes=(7, 4), activation=activation,
                        max_iter=100, random_state=0)
    mlp.fit(X, y)
    est = _start(mlp, X, y, group)
    _assert_same_classifier(est, mlp.predict_proba(X), X, predict=mlp.predict(X))
    assert np.array_equal(est.classes_, mlp.classes_)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_from_logistic_regression(data, n_classes):
    X, y2, y3, group = data
    y = y2 if n_classes == 2 else y3
    lr = LogisticRegression().fit(X, y)
    est = _start(lr, X, y, group)
    _assert_same_classifier(est, lr.predict_proba(X), X, predict=lr.predict(X))
    np.testing.assert_allclose(est.decision_function(X), lr.decision_function(X),
                               rtol=0, atol=1e-5)


def test_from_logistic_regression_string_classes(data):
    X, y2, _, group = data
    y = np.array(["no", "yes"])[y2]
    lr = LogisticRegression().fit(X, y)
    est = _start(lr, X, y, group)
    _assert_same_classifier(est, lr.predict_proba(X), X, predict=lr.predict(X))


@pytest.mark.parametrize("n_targets", [1, 2])
def test_from_mlp_regressor(data, n_targets):
    X, _, _, group = data
    y = X @ np.array([1.0, -1.0, 0.5, 0.0, 2.0])
    if n_targets == 2:
        y = np.column_stack([y, 1 - y])
    mlp = MLPRegressor(hidden_layer_sizes=(6,), max_iter=200, random_state=0).fit(X, y)
    est = FairTuneRegressor(pretrained=mlp, max_epochs=0)
    est.fit(X, y, sensitive_features=group)
    assert est.predict(X).shape == mlp.predict(X).shape
    np.testing.assert_allclose(est.predict(X), mlp.predict(X), rtol=0, atol=1e-5)


def _classifier_sources(X, y):
    return [MLPClassifier(hidden_layer_sizes=(4,), max_iter=20, random_state=0).fit(X, y),
            LogisticRegression().fit(X, y),
            FairTuneClassifier(hidden_layer_sizes=(4,), max_epochs=1).fit(X, y)]


def _regressor_sources(X, y):
    return [MLPRegressor(hidden_layer_sizes=(4,), max_iter=20, random_state=0).fit(X, y),
            FairTuneRegressor(hidden_layer_sizes=(4,), max_epochs=1).fit(X, y)]


def test_a_regressor_is_no_classifiers_starting_point(data):
    """A regressor's one output would pass for a binary classifier's single logit."""
    X, y2, _, group = data
    for source in _regressor_sources(X, X[:, 0]):
        name = type(source).__name__
        with pytest.raises(ValueError, match=rf"pretrained={name}\(\.\.\.\) is a "
                                             "regressor, but FairTuneClassifier"):
            _start(source, X, y2, group)


def test_a_classifier_is_no_regressors_starting_point(data):
    """A binary classifier's two logits would pass for two targets' predictions."""
    X, y2, _, group = data
    Y = np.column_stack([X[:, 0], X[:, 1]])
    for source in _classifier_sources(X, y2):
        name = type(source).__name__
        with pytest.raises(ValueError, match=rf"pretrained={name}\(\.\.\.\) is a "
                                             "classifier, but FairTuneRegressor"):
            FairTuneRegressor(pretrained=source, max_epochs=0).fit(
                X, Y, sensitive_features=group)


def test_pretrained_source_is_starting_point_of_training(data):
    """Fine-tuning from a good model stays close to it; from scratch it does not."""
    X, _, y3, group = data
    lr = LogisticRegression().fit(X, y3)
    tuned = FairTuneClassifier(pretrained=lr, max_epochs=1, lr=1e-4, penalty=None,
                               random_state=0).fit(X, y3, sensitive_features=group)
    np.testing.assert_allclose(tuned.predict_proba(X), lr.predict_proba(X), atol=0.05)
    assert not np.array_equal(tuned.predict_proba(X), lr.predict_proba(X))


def test_classes_of_source_cover_y_subset(data):
    """y may lack some of the source's classes: the source's order is kept."""
    X, _, y3, group = data
    lr = LogisticRegression().fit(X, y3)
    keep = y3 != 1
    est = _start(lr, X[keep], y3[keep], group[keep])
    assert np.array_equal(est.classes_, [0, 1, 2])
    _assert_same_classifier(est, lr.predict_proba(X), X)


def test_fine_tuning_on_subset_of_source_classes(data):
    X, _, y3, group = data
    lr = LogisticRegression().fit(X, y3)
    keep = y3 != 1
    est = FairTuneClassifier(pretrained=lr, max_epochs=40, lr=0.01, penalty=None,
                             random_state=0).fit(X[keep], y3[keep],
                                                 sensitive_features=group[keep])
    # Training on rows of classes 0 and 2 must not teach it to say 1.
    assert est.score(X[keep], y3[keep]) >= lr.score(X[keep], y3[keep]) - 0.05


# -- freezing -------------------------------------------------------------------

@pytest.mark.parametrize(
    "freeze, frozen",
    [
        (["hidden.0.*"], {"hidden.0.weight", "hidden.0.bias"}),
        ("output.bias", {"output.bias"}),
        (["hidden.*.weight", "output.bias"],
         {"hidden.0.weight", "hidden.1.weight", "output.bias"}),
    ],
)
@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd"])
def test_freeze_keeps_parameters(data, freeze, frozen, optimizer):
    X, y2, _, group = data
    mlp = MLPClassifier(hidden_layer_sizes=(6, 4), max_iter=50, random_state=0)
    mlp.fit(X, y2)
    start = _start(mlp, X, y2, group)
    before = {k: v.clone() for k, v in start.module_.state_dict().items()}
    est = FairTuneClassifier(pretrained=mlp, freeze=freeze, max_epochs=3, lr=0.05,
                             optimizer=optimizer, optimizer__weight_decay=0.1,
                             random_state=0).fit(X, y2, sensitive_features=group)
    assert set(est.frozen_parameters_) == frozen
    after = est.module_.state_dict()
    for name in before:
        if name in frozen:
            assert torch.equal(after[name], before[name]), name
        else:
            assert not torch.equal(after[name], before[name]), name


def test_freeze_pattern_matching_nothing(data):
    X, y2, _, group = data
    est = FairTuneClassifier(freeze=["hidden.0.*", "encoder.*"], max_epochs=1)
    with pytest.raises(ValueError, match=r"encoder\.\*"):
        est.fit(X, y2, sensitive_features=group)


def test_freeze_on_custom_module(data):
    X, y2, _, group = data
    module = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.ReLU(),
                                 torch.nn.Linear(4, 2))
    est = FairTuneClassifier(module=module, freeze="0.*", max_epochs=2, lr=0.05,
                             random_state=0).fit(X, y2, sensitive_features=group)
    assert torch.equal(est.module_[0].weight, module[0].weight)
    assert not torch.equal(est.module_[2].weight, module[2].weight)


def test_mlp_matches_module_none_architecture():
    """Weights of ``module=None`` networks are named as freeze patterns expect."""
    names = [n for n, _ in MLP(3, 2, (4, 4)).named_parameters()]
    assert names == ["hidden.0.weight", "hidden.0.bias", "hidden.1.weight",
                     "hidden.1.bias", "output.weight", "output.bias"]


def test_pretrained_module_flags_do_not_freeze(data):
    X, y2, _, group = data
    module = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.ReLU(),
                                 torch.nn.Linear(4, 2))
    module[0].weight.requires_grad_(False)
    est = FairTuneClassifier(pretrained=module, max_epochs=2, lr=0.05, random_state=0)
    est.fit(X, y2, sensitive_features=group)
    assert not torch.equal(est.module_[0].weight, module[0].weight)


def test_labels_of_another_type_than_the_pretrained_classes_are_refused():
    import re

    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    y = X[:, 0] > 0
    base = FairTuneClassifier(penalty=None, max_epochs=2, random_state=0).fit(X, y)
    est = FairTuneClassifier(pretrained=base, penalty=None, max_epochs=1)
    with pytest.raises(ValueError, match=re.escape("y.astype('bool')")):
        est.fit(X, y.astype(int))
    assert est.set_params().fit(X, y).classes_.tolist() == [False, True]
