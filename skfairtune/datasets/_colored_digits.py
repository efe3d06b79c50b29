"""Coloured handwritten digits: a spurious colour, in the spirit of Colored MNIST."""

from __future__ import annotations

from numbers import Real
from typing import Any

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.utils import Bunch, check_random_state

from skfairtune._compat import Interval, StrOptions, validate_params

COLORS = ("red", "green")
# The share of scikit-learn's 1,797 digits kept for the test split, and the
# seed of that partition: fixed, so that no random_state ever moves a test
# image into a training split (or into a network pre-trained on the others).
TEST_SIZE = 600
PARTITION_SEED = 0
# The colour's default agreement with the label, by split: strong in
# training, none at test.
DEFAULT_CORRELATION = {"train": 0.9, "test": 0.5}

DESCR = """\
.. _colored_digits_dataset:

Coloured digits (a small Colored MNIST)
---------------------------------------

Built from scikit-learn's bundled handwritten digits
(:func:`sklearn.datasets.load_digits`: 1,797 images of 8x8 pixels, values
0-16, from the UCI "Optical Recognition of Handwritten Digits" data); nothing
is downloaded.

:Label: 1 if the digit is 5-9, 0 if it is 0-4 (``digit`` keeps the digit).
:Colour: each grey image is drawn in the red or the green channel (the other
    channel is 0): ``images`` has shape (n, 2, 8, 8), ``data`` is the same
    flattened to (n, 128), channel first. Pixels are scaled to [0, 1].
:Group: the colour (``sensitive``, "red" or "green").
:Spurious correlation: the colour agrees with the label (red for 0-4, green
    for 5-9) in a share ``correlation`` of each label's rows: 0.9 by default in the
    training split, 0.5 (no information) at test. A model that reads the
    colour does well in training and badly on the rare colour-label cells
    (green 0-4, red 5-9), which are common at test.
:Splits: a fixed partition of the 1,797 images, stratified by digit: 1,197
    for ``split="train"``, 600 for ``split="test"``. ``random_state`` draws
    the colours (and the label noise), never the partition; ``index`` gives
    each row's position in ``load_digits()``.

After Arjovsky, Bottou, Gulrajani and Lopez-Paz, "Invariant Risk
Minimization" (2019), whose Colored MNIST uses MNIST, 28x28 images and 25%
label noise.
"""


@validate_params(
    {
        "split": [StrOptions({"train", "test"})],
        "correlation": [None, Interval(Real, 0, 1, closed="both")],
        "label_noise": [Interval(Real, 0, 0.5, closed="left")],
        "return_X_y": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_colored_digits(
    *,
    split: str = "train",
    correlation: float | None = None,
    label_noise: float = 0.0,
    return_X_y: bool = False,
    random_state: Any = None,
) -> Bunch | tuple[np.ndarray, np.ndarray]:
    """Make coloured 8x8 digits whose colour is spuriously tied to the label.

    A binary task (is the digit 5-9?) on scikit-learn's bundled handwritten
    digits, each drawn in red or green; the colour agrees with the label in
    ``correlation`` of the rows. In the spirit of Colored MNIST: a model
    can do well in training by reading the colour, and then fails on test
    rows whose colour disagrees. The colour is the group, to pass as
    ``sensitive_features``. Nothing is downloaded.

    Read more in the guide :doc:`/guide/transfer_examples`.

    Parameters
    ----------
    split : {"train", "test"}, default="train"
        Which images: 1,197 for training, 600 for testing, a partition fixed
        once (stratified by digit), whatever ``random_state``.
    correlation : float in [0, 1] or None, default=None
        The share of each label's rows whose colour agrees with the label
        (red for 0-4, green for 5-9), drawn at random but exact up to
        rounding. None takes 0.9 for ``"train"`` and 0.5 (colour
        independent of the label) for ``"test"``; 0.1 at test reverses the
        training correlation.
    label_noise : float in [0, 0.5), default=0.0
        The share of rows whose label is flipped (at random, exact up to
        rounding), before the colour is
        drawn from it, as Colored MNIST does (0.25) to make the colour more
        predictive than the shape in training.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.
    random_state : int, RandomState instance or None, default=None
        Draws the colours and the label noise.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        data : ndarray of shape (n_samples, 128), float32
            The images flattened, red channel first, in [0, 1].
        images : ndarray of shape (n_samples, 2, 8, 8), float32
            The same, as (channel, row, column) images.
        target : ndarray of shape (n_samples,), int64
            1 if the digit is 5-9 (after any label noise).
        sensitive : ndarray of shape (n_samples,), object
            The colour, ``"red"`` or ``"green"``.
        digit : ndarray of shape (n_samples,), int64
            The digit drawn, 0-9.
        index : ndarray of shape (n_samples,), int64
            Each row's position in :func:`sklearn.datasets.load_digits`.
        feature_names : list of str
            ``"red_0_0"`` ... ``"green_7_7"``: channel, row, column.
        target_names : list of str
            ``["0-4", "5-9"]``.
        DESCR : str
            The description of the data set.

    (data, target) : tuple if ``return_X_y`` is True

    See Also
    --------
    sklearn.datasets.load_digits : The grey digits it is built from.

    Notes
    -----
    ``data`` is flat so that the estimators, which take 2-D ``X`` today, can
    fit a convolutional module that reshapes its input to (2, 8, 8) in
    ``forward``; ``images`` is the same for modules that take images.

    Examples
    --------
    >>> import numpy as np
    >>> from skfairtune.datasets import make_colored_digits
    >>> train = make_colored_digits(random_state=0)
    >>> train.data.shape, train.images.shape, train.data.dtype
    ((1197, 128), (1197, 2, 8, 8), dtype('float32'))
    >>> agree = (train.sensitive == "green") == (train.target == 1)
    >>> round(float(agree.mean()), 2)
    0.9
    >>> test = make_colored_digits(split="test", random_state=0)
    >>> len(test.target), round(float(((test.sensitive == "green") == test.target).mean()), 2)
    (600, 0.5)
    """
    digits = load_digits()
    index = _split_index(digits.target, split)
    rng = check_random_state(random_state)
    if correlation is None:
        correlation = DEFAULT_CORRELATION[split]
    digit = digits.target[index].astype(np.int64)
    target = (digit >= 5).astype(np.int64)
    target ^= _exact_share(np.zeros_like(target), label_noise, rng)
    agrees = _exact_share(target, correlation, rng).astype(bool)
    green = np.where(agrees, target == 1, target == 0)
    images = _paint(digits.images[index] / 16.0, green)
    data = images.reshape(len(images), -1)
    if return_X_y:
        return data, target
    return Bunch(
        data=data, images=images, target=target,
        sensitive=np.where(green, "green", "red").astype(object),
        digit=digit, index=index.astype(np.int64),
        feature_names=[f"{c}_{r}_{k}" for c in COLORS for r in range(8) for k in range(8)],
        target_names=["0-4", "5-9"], DESCR=DESCR,
    )


def _split_index(digit: np.ndarray, split: str) -> np.ndarray:
    """The rows of ``load_digits()`` in ``split``, in their original order."""
    train, test = train_test_split(np.arange(len(digit)), test_size=TEST_SIZE,
                                   stratify=digit, random_state=PARTITION_SEED)
    return np.sort(train if split == "train" else test)


def _exact_share(strata: np.ndarray, share: float, rng) -> np.ndarray:
    """1 for a random ``share`` of the rows of each stratum (rounded), else 0.

    Exact rather than a coin per row, so that the colour-label cells have
    the sizes ``correlation`` says, at every seed.
    """
    chosen = np.zeros(len(strata), dtype=np.int64)
    for value in np.unique(strata):
        rows = rng.permutation(np.flatnonzero(strata == value))
        chosen[rows[:round(share * len(rows))]] = 1
    return chosen


def _paint(grey: np.ndarray, green: np.ndarray) -> np.ndarray:
    """Draw each grey image in the red channel (0) or the green one (1)."""
    images = np.zeros((len(grey), len(COLORS), *grey.shape[1:]), dtype=np.float32)
    images[np.arange(len(grey)), green.astype(int)] = grey
    return images
