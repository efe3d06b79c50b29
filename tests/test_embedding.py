"""EmbeddingTransformer: a frozen network's layer as features, and DFR in a Pipeline."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from skfairtune import FairTuneClassifier
from skfairtune.pretrained import EmbeddingTransformer, save_weights

torch.set_num_threads(1)


class Squash(torch.nn.Module):
    """No parameters: the same output for any number of features."""

    def forward(self, x):
        return torch.tanh(x)


def _net(seed=0):
    torch.manual_seed(seed)
    net = torch.nn.Sequential()
    net.add_module("body", torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU()))
    net.add_module("head", torch.nn.Linear(8, 1))
    return net


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    group = rng.integers(0, 2, 300)
    y = (X[:, 0] + X[:, 1] + group > 0.5).astype(int)
    return X, y, group


@parametrize_with_checks([EmbeddingTransformer(Squash())])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_transform_is_the_layers_output(data):
    X, _, _ = data
    net = _net()
    emb = EmbeddingTransformer(net, layer="body").fit(X)
    with torch.no_grad():
        expected = net.body(torch.tensor(X, dtype=torch.float32)).numpy()
    Z = emb.transform(X)
    assert Z.dtype == np.float32 and Z.shape == (300, 8)
    np.testing.assert_allclose(Z, expected, atol=1e-6)
    # None: the network's output; batches do not change it
    out = EmbeddingTransformer(net, batch_size=7).fit_transform(X)
    with torch.no_grad():
        np.testing.assert_allclose(out, net(torch.tensor(X, dtype=torch.float32)).numpy(),
                                   atol=1e-6)
    assert list(emb.get_feature_names_out()) == [f"embeddingtransformer{i}" for i in range(8)]


def test_pretrained_weights_are_loaded_and_never_trained(data, tmp_path):
    X, y, group = data
    source = _net(seed=1)
    save_weights(source, tmp_path / "w.safetensors")
    pipe = make_pipeline(
        EmbeddingTransformer(_net(seed=2), pretrained=tmp_path / "w.safetensors",
                             layer="body"),
        FairTuneClassifier(hidden_layer_sizes=(), max_epochs=3, random_state=0))
    pipe.fit(X, y, fairtuneclassifier__sensitive_features=group)
    body = pipe[0].module_
    for name, tensor in source.state_dict().items():
        assert torch.equal(body.state_dict()[name], tensor)
    assert not any(p.requires_grad for p in body.parameters())


def test_dfr_pipeline_fits_a_fair_head(data):
    X, y, group = data
    pipe = make_pipeline(
        EmbeddingTransformer(_net(), layer="body"),
        FairTuneClassifier(hidden_layer_sizes=(), penalty="worst_group_loss",
                           max_epochs=10, lr=0.05, random_state=0))
    pipe.fit(X, y, fairtuneclassifier__sensitive_features=group)
    assert pipe.predict_proba(X).shape == (300, 2)
    assert pipe.score(X, y) > 0.6
    assert pipe[-1].n_features_in_ == 8
    restored = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(restored.predict(X), pipe.predict(X))
    clone(pipe).fit(X, y, fairtuneclassifier__sensitive_features=group)


def test_images_and_dicts():
    rng = np.random.default_rng(0)

    class Conv(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(1, 2, 3)
            self.head = torch.nn.Linear(8, 1)

        def forward(self, x):
            return self.head(self.conv(x).flatten(1))

    images = rng.normal(size=(5, 1, 4, 4)).astype(np.float32)
    assert EmbeddingTransformer(Conv, layer="conv").fit_transform(images).shape == (5, 8)

    class Tokens(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = torch.nn.Embedding(10, 3)

        def forward(self, ids, mask):
            return (self.embedding(ids) * mask[..., None]).sum(1)

    X = {"ids": rng.integers(0, 10, (5, 6)), "mask": np.ones((5, 6), dtype=np.float32)}
    emb = EmbeddingTransformer(Tokens()).fit(X)
    assert emb.transform(X).shape == (5, 3)
    with pytest.raises(ValueError, match=r"entries \['ids'\] but was fitted on"):
        emb.transform({"ids": X["ids"]})


def test_unknown_layer_lists_the_submodules(data):
    X, _, _ = data
    with pytest.raises(ValueError, match=r"layer='neck' .* \['body', 'body.0', 'body.1', "
                                         r"'head'\]"):
        EmbeddingTransformer(_net(), layer="neck").fit(X)


def test_a_layer_that_runs_twice_is_refused():
    class Twice(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.shared = torch.nn.Linear(2, 2)

        def forward(self, x):
            return self.shared(self.shared(x))

    with pytest.raises(ValueError, match="ran 2 times in one forward pass"):
        EmbeddingTransformer(Twice(), layer="shared").fit(np.ones((3, 2)))


def test_weights_that_do_not_fit(data):
    X, _, _ = data
    with pytest.raises(ValueError, match="do not fit the network"):
        EmbeddingTransformer(_net(), pretrained=torch.nn.Linear(4, 2).state_dict()).fit(X)


class Sized(torch.nn.Module):
    """A network whose class takes its sizes as arguments."""

    def __init__(self, d_in=4, d_hidden=8):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(d_in, d_hidden), torch.nn.ReLU())
        self.head = torch.nn.Linear(d_hidden, 1)

    def forward(self, x):
        return self.head(self.body(x))


def test_module_parameters_build_the_network(data):
    X, _, _ = data
    X15 = np.hstack([X] * 4)[:, :15]
    emb = EmbeddingTransformer(Sized, module__d_in=15, layer="body")
    assert emb.get_params()["module__d_in"] == 15
    assert emb.fit_transform(X15).shape == (300, 8)
    emb.set_params(module__d_hidden=3)
    assert emb.fit_transform(X15).shape == (300, 3)
    copy = clone(emb)
    assert copy.get_params()["module__d_hidden"] == 3
    assert copy.fit(X15).module_.body[0].in_features == 15
    assert pickle.loads(pickle.dumps(emb)).transform(X15).shape == (300, 3)


def test_module_parameters_need_a_class(data):
    X, _, _ = data
    with pytest.raises(ValueError, match=r"\['module__d_in'\] need module to be a class"):
        EmbeddingTransformer(Sized(), module__d_in=4).fit(X)
    with pytest.raises(ValueError, match=r"Unexpected keyword argument\(s\) \['d_in'\]"):
        EmbeddingTransformer(Sized, d_in=4).fit(X)


def test_a_fitted_classifier_is_the_network(data):
    X, y, group = data
    clf = FairTuneClassifier(hidden_layer_sizes=(6,), max_epochs=2, random_state=0).fit(
        X, y, sensitive_features=group)
    emb = EmbeddingTransformer(clf, layer="hidden.0")
    Z = emb.fit_transform(X)
    with torch.no_grad():
        expected = clf.module_.hidden[0](torch.tensor(X, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(Z, expected, atol=1e-6)
    assert emb.module_ is not clf.module_  # a copy: the classifier stays as it is
    # clone keeps the fitted network, as a Pipeline in a search clones it
    np.testing.assert_array_equal(clone(emb).fit_transform(X), Z)
    with pytest.raises(NotFittedError, match=r"module=FairTuneClassifier\(\.\.\.\) is not "
                                             "fitted"):
        EmbeddingTransformer(FairTuneClassifier()).fit(X)


def test_token_ids_out_of_the_embeddings_range_are_named():
    net = torch.nn.Sequential(torch.nn.Embedding(10, 3), torch.nn.Flatten())
    ids = np.arange(24).reshape(12, 2) % 10
    emb = EmbeddingTransformer(net).fit(ids)
    ids[7, 1] = 10
    with pytest.raises(ValueError, match=r"X holds ids from 0 to 10, but the network's "
                                         r"embedding '0' \(num_embeddings=10\)"):
        emb.transform(ids)
