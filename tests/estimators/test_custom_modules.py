"""A user's own network: a single logit, images, token ids, several inputs."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone

from skfairtune import FairTuneClassifier, FairTuneRegressor
from skfairtune.resampling import GroupResampler

from .conftest import make_biased

# Warnings about tiny fits (degenerate predictions) are not what these test.
pytestmark = pytest.mark.filterwarnings("ignore::skfairtune.exceptions.DegenerateModelWarning")


class CreditNet(torch.nn.Module):
    """One output logit, trained with BCEWithLogitsLoss in plain PyTorch."""

    def __init__(self, n_features=5):
        super().__init__()
        self.hidden = torch.nn.Sequential(torch.nn.Linear(n_features, 8), torch.nn.ReLU())
        self.out = torch.nn.Linear(8, 1)

    def forward(self, x):
        return self.out(self.hidden(x))


class ImageNet(torch.nn.Module):
    """N x 1 x 6 x 6 images to two logits."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 2, 3)
        self.head = torch.nn.Linear(2 * 4 * 4, 2)

    def forward(self, x):
        return self.head(torch.relu(self.conv(x)).flatten(1))


class TokenNet(torch.nn.Module):
    """Token ids and a numeric side input, as keyword arguments."""

    def __init__(self):
        super().__init__()
        self.embedding = torch.nn.Embedding(10, 4)
        self.head = torch.nn.Linear(5, 1)

    def forward(self, ids, amount):
        return self.head(torch.cat([self.embedding(ids).mean(1), amount], dim=1))


def _bce_trained(X, y, seed=0):
    torch.manual_seed(seed)
    net = CreditNet(X.shape[1])
    opt = torch.optim.Adam(net.parameters(), lr=0.05)
    Xt, yt = torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
    for _ in range(50):
        opt.zero_grad()
        torch.nn.functional.binary_cross_entropy_with_logits(net(Xt).squeeze(1), yt).backward()
        opt.step()
    return net


# -- a single logit -----------------------------------------------------------------

@pytest.mark.parametrize("how", ["instance", "state_dict_file"])
def test_single_logit_starts_at_the_torch_models_probabilities(binary_data, tmp_path, how):
    X, y, group = binary_data
    net = _bce_trained(X, y)
    if how == "instance":
        est = FairTuneClassifier(pretrained=net, max_epochs=0)
    else:
        torch.save(net.state_dict(), tmp_path / "creditnet.pt")
        est = FairTuneClassifier(module=CreditNet, pretrained=tmp_path / "creditnet.pt",
                                 max_epochs=0)
    est.fit(X, y, sensitive_features=group)
    with torch.no_grad():
        z = net(torch.tensor(X, dtype=torch.float32)).squeeze(1).double()
    proba = est.predict_proba(X)
    np.testing.assert_allclose(proba[:, 1], torch.sigmoid(z).numpy(), atol=1e-6)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(est.decision_function(X), z.numpy(), atol=1e-5)
    np.testing.assert_array_equal(est.predict(X), (z.numpy() > 0).astype(int))


def test_single_logit_loss_is_binary_cross_entropy(binary_data):
    X, y, group = binary_data
    net = _bce_trained(X, y)
    est = FairTuneClassifier(pretrained=net, penalty=None, max_epochs=1, lr=1e-12,
                             batch_size=len(X), random_state=0)
    est.fit(X, y, sensitive_features=group)
    with torch.no_grad():
        expected = torch.nn.functional.binary_cross_entropy_with_logits(
            net(torch.tensor(X, dtype=torch.float32)).squeeze(1),
            torch.tensor(y, dtype=torch.float32)).item()
    assert est.history_[-1, "train_loss"] == pytest.approx(expected, rel=1e-5)


def test_single_logit_fine_tunes_toward_fairness():
    X, y, group = make_biased(300, 0)
    net = _bce_trained(X, y)
    start = FairTuneClassifier(pretrained=net, max_epochs=0).fit(X, y, sensitive_features=group)
    tuned = FairTuneClassifier(pretrained=net, penalty_strength=5.0, max_epochs=30,
                               random_state=0).fit(X, y, sensitive_features=group)
    assert tuned.module_.out.weight.shape == (1, 8)  # still one logit

    def gap(est):
        p = est.predict_proba(X)[:, 1]
        return abs(p[group == 1].mean() - p[group == 0].mean())

    assert gap(tuned) < 0.5 * gap(start)
    assert tuned.score(X, y) > 0.6


def test_single_logit_refused_for_three_classes(multiclass_data):
    X, y, group = multiclass_data
    with pytest.raises(ValueError, match="1 outputs per row but this task needs 3"):
        FairTuneClassifier(module=CreditNet(4), max_epochs=1).fit(
            X, y, sensitive_features=group)


def test_vector_output_of_a_regressor(regression_data):
    X, y, _, group = regression_data

    class Vector(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(4, 1)

        def forward(self, x):
            return self.linear(x).squeeze(1)  # shape (n,), not (n, 1)

    reg = FairTuneRegressor(module=Vector, max_epochs=20, lr=0.05, penalty=None,
                            random_state=0).fit(X, y, sensitive_features=group)
    assert reg.predict(X).shape == (len(X),)
    assert reg.score(X, y) > 0.5


def test_wrong_output_shape_says_the_contract(binary_data):
    X, y, group = binary_data

    class ThreeD(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(5, 2)

        def forward(self, x):
            return self.linear(x)[:, :, None]

    with pytest.raises(ValueError, match=r"shape \(2, 2, 1\).*\(n_rows, n_outputs\)"):
        FairTuneClassifier(module=ThreeD, max_epochs=1).fit(X, y, sensitive_features=group)


class NormedNet(torch.nn.Module):
    """A BatchNorm1d layer, which takes no batch of one row in training."""

    def __init__(self, n_features=5):
        super().__init__()
        self.linear = torch.nn.Linear(n_features, 8)
        self.norm = torch.nn.BatchNorm1d(8)
        self.head = torch.nn.Linear(8, 2)

    def forward(self, x):
        return self.head(torch.relu(self.norm(self.linear(x))))


def test_batch_norm_network_with_a_last_batch_of_one_row(binary_data):
    X, y, group = binary_data
    rows = slice(0, 65)  # two batches of 32, and one row left over
    est = FairTuneClassifier(module=NormedNet, max_epochs=2, batch_size=32, random_state=0)
    est.fit(X[rows], y[rows], sensitive_features=group[rows])
    assert est.n_iter_ == 2
    assert np.isfinite(est.predict_proba(X[:1])).all()  # evaluation takes one row


def test_batch_norm_network_with_batches_of_one_row_says_what_to_change(binary_data):
    X, y, group = binary_data
    with pytest.raises(ValueError, match=r"batch_size=1 .* BatchNorm1d layer 'norm'.* "
                                         r"Use batch_size=2 or more"):
        FairTuneClassifier(module=NormedNet, max_epochs=1, batch_size=1).fit(
            X[:20], y[:20], sensitive_features=group[:20])
    est = FairTuneClassifier(module=NormedNet, max_epochs=1).fit(
        X, y, sensitive_features=group)
    with pytest.raises(ValueError, match=r"X has one row, but .* 'norm'.* two rows or more"):
        est.partial_fit(X[:1], y[:1], sensitive_features=group[:1])


# -- inputs beyond a 2-D table --------------------------------------------------------

@pytest.fixture
def images(binary_data):
    _, y, group = binary_data
    rng = np.random.default_rng(3)
    X = rng.normal(size=(len(y), 1, 6, 6)).astype(np.float32)
    X[:, 0, :3] += y[:, None, None]  # the label shows in the image's top half
    return X, y, group


def test_image_network_fits_predicts_clones_and_pickles(images):
    X, y, group = images
    est = FairTuneClassifier(module=ImageNet, max_epochs=15, lr=0.01, random_state=0)
    est.fit(X, y, sensitive_features=group)
    assert est.predict(X).shape == (len(X),)
    assert est.score(X, y) > 0.8
    assert not hasattr(est, "n_features_in_")
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.predict_proba(X), est.predict_proba(X))
    assert clone(est).get_params()["module"] is ImageNet
    # a torch tensor is read like the array
    np.testing.assert_allclose(est.predict_proba(torch.tensor(X)), est.predict_proba(X))


def test_image_network_same_seed_same_predictions(images):
    X, y, group = images
    fits = [FairTuneClassifier(module=ImageNet, max_epochs=2, random_state=0)
            .fit(X, y, sensitive_features=group).predict_proba(X) for _ in range(2)]
    np.testing.assert_array_equal(*fits)


@pytest.fixture
def tokens(binary_data):
    _, y, group = binary_data
    rng = np.random.default_rng(4)
    ids = rng.integers(0, 9, size=(len(y), 7))
    ids[y == 1, :3] = 9  # a token that marks the positives
    return {"ids": ids, "amount": rng.normal(size=(len(y), 1))}, y, group


def test_dict_input_fits_predicts_clones_and_pickles(tokens):
    X, y, group = tokens
    est = FairTuneClassifier(module=TokenNet, max_epochs=20, lr=0.02, random_state=0)
    est.fit(X, y, sensitive_features=group)
    assert est.score(X, y) > 0.8
    assert est.predict_proba(X).shape == (len(y), 2)
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.predict(X), est.predict(X))
    clone(est).fit(X, y, sensitive_features=group)


def test_token_ids_stay_integer(tokens):
    X, y, group = tokens
    seen = []

    class Recording(TokenNet):
        def forward(self, ids, amount):
            seen.append((ids.dtype, amount.dtype))
            return super().forward(ids, amount)

    FairTuneClassifier(module=Recording, max_epochs=1).fit(X, y, sensitive_features=group)
    # Training steps run in float32; the check of the fitted network's
    # predictions runs in float64, as predict does. Ids are never cast.
    assert set(seen) == {(torch.int64, torch.float32), (torch.int64, torch.float64)}


def test_integer_table_keeps_n_features_in(tokens):
    X, y, group = tokens
    est = FairTuneClassifier(module=IdsOnly, max_epochs=1).fit(
        X["ids"], y, sensitive_features=group)
    assert est.n_features_in_ == 7
    with pytest.raises(ValueError, match="X has 6 features, but FairTuneClassifier is "
                                         "expecting 7"):
        est.predict(X["ids"][:, :6])


class IdsOnly(torch.nn.Module):
    """A table of token ids (10 of them) to two logits."""

    def __init__(self):
        super().__init__()
        self.embedding = torch.nn.Embedding(10, 2)

    def forward(self, ids):
        return self.embedding(ids).mean(1)


@pytest.mark.parametrize("row", [0, 150], ids=["in the probe", "after the probe"])
@pytest.mark.parametrize("bad, shown", [(12, "from 0 to 12"), (-1, "from -1 to 9")])
def test_token_ids_out_of_the_embeddings_range_are_named(tokens, row, bad, shown):
    X, y, group = tokens
    ids = X["ids"].copy()
    ids[row, 2] = bad
    message = (rf"X\['ids'\] holds ids {shown}, but the network's embedding 'embedding' "
               r"\(num_embeddings=10\) takes ids from 0 to 9")
    with pytest.raises(ValueError, match=message) as info:
        FairTuneClassifier(module=TokenNet, max_epochs=1, batch_size=16).fit(
            {**X, "ids": ids}, y, sensitive_features=group)
    assert isinstance(info.value.__cause__, (IndexError, RuntimeError))  # torch's own
    est = FairTuneClassifier(module=IdsOnly, max_epochs=1).fit(
        X["ids"], y, sensitive_features=group)
    with pytest.raises(ValueError, match=rf"X holds ids {shown}"):
        est.predict(ids)


def test_integer_dataframe_stays_integer(tokens):
    import pandas as pd

    X, y, group = tokens
    frame = pd.DataFrame(X["ids"], columns=[f"token_{i}" for i in range(7)])
    est = FairTuneClassifier(module=IdsOnly, max_epochs=1).fit(
        frame, y, sensitive_features=group)
    assert est.feature_names_in_.tolist() == frame.columns.tolist()
    np.testing.assert_array_equal(est.predict_proba(frame), est.predict_proba(X["ids"]))
    with pytest.raises(ValueError, match="token_0"):  # scikit-learn's check of names
        est.predict(frame.rename(columns={"token_0": "other"}))


def test_integer_table_into_a_linear_layer_says_to_cast(binary_data):
    X, y, group = binary_data
    with pytest.raises(ValueError, match=r"X.astype\(np.float32\)"):
        FairTuneClassifier(module=torch.nn.Linear(5, 2), max_epochs=1).fit(
            (X * 10).astype(int), y, sensitive_features=group)


@pytest.mark.parametrize("change, message", [
    (lambda X: {**X, "amount": X["amount"][:-1]}, r"X\['amount'\] has 199 rows but "
                                                   r"X\['ids'\] has 200"),
    (lambda X: {"ids": X["ids"]}, "missing"),
    (lambda X: {**X, 3: X["ids"]}, "keys must be strings"),
    (lambda X: {**X, "amount": X["amount"].astype(str)}, "must hold numbers"),
    (lambda X: {**X, "amount": np.full_like(X["amount"], np.nan)}, "NaN"),
    (lambda X: {}, "empty dict"),
])
def test_bad_dict_input(tokens, change, message):
    X, y, group = tokens
    with pytest.raises((ValueError, TypeError), match=message):
        FairTuneClassifier(module=TokenNet, max_epochs=1).fit(
            change(X), y, sensitive_features=group)


@pytest.mark.parametrize("name", ["y", "sensitive_features", "sample_weight"])
def test_rows_of_everything_else_must_match(tokens, name):
    X, y, group = tokens
    args = {"y": y, "sensitive_features": group, "sample_weight": np.ones(len(y))}
    args[name] = args[name][:-3]
    with pytest.raises(ValueError, match=name):
        FairTuneClassifier(module=TokenNet, max_epochs=1).fit(X, **args)


def test_predict_refuses_another_layout(tokens, images):
    X, y, group = tokens
    est = FairTuneClassifier(module=TokenNet, max_epochs=1).fit(X, y, sensitive_features=group)
    with pytest.raises(ValueError, match=r"entries \['ids'\] but was fitted on"):
        est.predict({"ids": X["ids"]})
    with pytest.raises(ValueError, match="was a dict of arrays in fit"):
        est.predict(X["ids"][:, :, None])
    with pytest.raises(ValueError, match=r"X\['ids'\] holds floats but held integers"):
        est.predict({**X, "ids": X["ids"].astype(np.float32)})
    Xi, yi, gi = images
    est = FairTuneClassifier(module=ImageNet, max_epochs=1).fit(Xi, yi, sensitive_features=gi)
    with pytest.raises(ValueError, match=r"shape \(6, 6\) but had shape \(1, 6, 6\)"):
        est.predict(Xi[:, 0])
    # images of another size reach the network, which refuses them
    with pytest.raises(ValueError, match=r"does not accept X of shape \(200, 1, 4, 4\)"):
        est.predict(Xi[:, :, :4, :4])


def test_the_mlp_refuses_images_and_dicts(images, tokens):
    X, y, group = images
    with pytest.raises(ValueError, match="4-D, but module=None builds an MLP"):
        FairTuneClassifier(max_epochs=1).fit(X, y, sensitive_features=group)
    with pytest.raises(ValueError, match="a dict of arrays, but module=None"):
        FairTuneClassifier(max_epochs=1).fit(tokens[0], y, sensitive_features=group)


def test_network_that_refuses_the_images_names_their_shape(images):
    X, y, group = images
    with pytest.raises(ValueError, match=r"does not accept X of shape \(200, 1, 6, 6\)"):
        FairTuneClassifier(module=CreditNet, max_epochs=1).fit(X, y, sensitive_features=group)


def test_partial_fit_on_images(images):
    X, y, group = images
    est = FairTuneClassifier(module=ImageNet, random_state=0)
    est.partial_fit(X[:100], y[:100], classes=[0, 1], sensitive_features=group[:100])
    est.partial_fit(X[100:], y[100:], sensitive_features=group[100:])
    assert est.n_iter_ == 2


def test_sampler_with_images_says_what_to_do(images):
    X, y, group = images
    with pytest.raises(ValueError, match=r"sampler resamples the rows of a 2-D table.*"
                                         r"sampler='reweighing'"):
        FairTuneClassifier(module=ImageNet, sampler=GroupResampler(), max_epochs=1).fit(
            X, y, sensitive_features=group)
    # reweighing keeps the rows: any X will do
    FairTuneClassifier(module=ImageNet, sampler="reweighing", max_epochs=1).fit(
        X, y, sensitive_features=group)


def test_regressor_on_images(images):
    X, y, group = images
    target = X[:, 0, :3].mean(axis=(1, 2)).astype(np.float64)

    class ImageRegressor(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(36, 1)

        def forward(self, x):
            return self.linear(x.flatten(1))

    reg = FairTuneRegressor(module=ImageRegressor, max_epochs=30, lr=0.02, penalty=None,
                            random_state=0).fit(X, target, sensitive_features=group)
    assert reg.predict(X).shape == (len(X),)
    assert reg.score(X, target) > 0.8
