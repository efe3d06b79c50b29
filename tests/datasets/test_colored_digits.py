"""make_colored_digits: the images, the spurious colour, and a CNN fine-tuned on them."""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from torch import nn

from skfairtune import FairTuneClassifier
from skfairtune.datasets import make_colored_digits
from skfairtune.exceptions import InvalidParameterError


def _agreement(data) -> np.ndarray:
    """Per label, the share of rows whose colour agrees with it (green for 5-9)."""
    agree = (data.sensitive == "green") == (data.target == 1)
    return np.array([agree[data.target == label].mean() for label in (0, 1)])


def test_shapes_dtypes_and_flat_view():
    train = make_colored_digits(random_state=0)
    assert train.images.shape == (1_197, 2, 8, 8)
    assert train.data.shape == (1_197, 128)
    assert train.data.dtype == train.images.dtype == np.float32
    assert train.target.dtype == np.int64
    np.testing.assert_array_equal(train.data, train.images.reshape(1_197, -1))
    assert len(train.feature_names) == 128
    assert train.feature_names[0] == "red_0_0" and train.feature_names[-1] == "green_7_7"
    assert set(train.sensitive) == {"red", "green"}


def test_each_image_is_the_digit_in_its_colour_channel():
    data = make_colored_digits(split="test", random_state=3)
    grey = load_digits().images[data.index] / 16.0
    channel = (data.sensitive == "green").astype(int)
    rows = np.arange(len(channel))
    np.testing.assert_allclose(data.images[rows, channel], grey, rtol=1e-6)
    assert not data.images[rows, 1 - channel].any()
    np.testing.assert_array_equal(data.target, (data.digit >= 5).astype(int))


def test_colour_tracks_the_label_in_train_not_in_test():
    train = make_colored_digits(random_state=0)
    test = make_colored_digits(split="test", random_state=0)
    np.testing.assert_allclose(_agreement(train), 0.9, atol=0.002)
    np.testing.assert_allclose(_agreement(test), 0.5, atol=0.004)
    reversed_test = make_colored_digits(split="test", correlation=0.1, random_state=0)
    np.testing.assert_allclose(_agreement(reversed_test), 0.1, atol=0.004)


def test_label_noise_flips_that_share_before_the_colour_is_drawn():
    noisy = make_colored_digits(label_noise=0.25, random_state=0)
    flipped = noisy.target != (noisy.digit >= 5)
    assert flipped.mean() == pytest.approx(0.25, abs=0.001)
    np.testing.assert_allclose(_agreement(noisy), 0.9, atol=0.002)


def test_random_state_draws_colours_never_the_partition():
    first, again = make_colored_digits(random_state=1), make_colored_digits(random_state=1)
    other = make_colored_digits(random_state=2)
    np.testing.assert_array_equal(first.data, again.data)
    np.testing.assert_array_equal(first.sensitive, again.sensitive)
    assert (first.sensitive != other.sensitive).any()
    np.testing.assert_array_equal(first.index, other.index)
    test = make_colored_digits(split="test", random_state=1)
    assert not np.intersect1d(first.index, test.index).size
    assert len(first.index) + len(test.index) == len(load_digits().target)
    assert np.bincount(test.digit).min() >= 58  # stratified by digit


def test_return_X_y():
    X, y = make_colored_digits(split="test", return_X_y=True, random_state=0)
    assert X.shape == (600, 128) and y.shape == (600,)


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"split": "valid"}, "split"),
    ({"correlation": 1.5}, "correlation"),
    ({"label_noise": 0.5}, "label_noise"),
])
def test_bad_arguments_name_the_argument(kwargs, name):
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
        make_colored_digits(**kwargs)


class TinyCNN(nn.Module):
    """A convolution and a head, reading flat rows as (2, 8, 8) images."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(),
                                      nn.MaxPool2d(2), nn.Flatten())
        self.head = nn.Linear(4 * 4 * 4, 2)

    def forward(self, X):
        return self.head(self.features(X.reshape(len(X), 2, 8, 8)))


@pytest.fixture(scope="module")
def grey_base():
    """A CNN fitted briefly on grey digits (the same image in both channels)."""
    digits = load_digits()
    grey = np.repeat(digits.images[:300, None] / 16.0, 2, axis=1).reshape(300, -1)
    base = FairTuneClassifier(TinyCNN, penalty=None, max_epochs=3, random_state=0)
    return base.fit(grey.astype(np.float32), (digits.target[:300] >= 5).astype(int))


def test_pretrained_cnn_starts_the_fine_tuned_estimator(grey_base):
    colored = make_colored_digits(split="test", random_state=0)
    start = FairTuneClassifier(TinyCNN, pretrained=grey_base, max_epochs=0)
    start.fit(colored.data, colored.target, sensitive_features=colored.sensitive)
    np.testing.assert_allclose(start.predict_proba(colored.data),
                               grey_base.predict_proba(colored.data), rtol=1e-6)


def test_last_layer_retraining_keeps_the_features(grey_base):
    colored = make_colored_digits(random_state=0)
    tuned = FairTuneClassifier(TinyCNN, pretrained=grey_base, freeze="features.*",
                               penalty=None, max_epochs=2, random_state=0)
    tuned.fit(colored.data, colored.target)
    before, after = grey_base.module_.state_dict(), tuned.module_.state_dict()
    for name in ("features.0.weight", "features.0.bias"):
        torch.testing.assert_close(after[name], before[name])
    assert not torch.equal(after["head.weight"], before["head.weight"])
