"""Small synthetic data sets for the estimators' behavioural tests."""

import threading
import warnings

import numpy as np
import pytest
import torch

from skfairtune.estimators import FairnessWarning

# Tiny networks: more threads only add contention on a small CI runner.
torch.set_num_threads(1)


def make_biased(n, seed, *, n_features=4):
    """A feature tied to the group, and a label tied to both.

    ``X[:, 0]`` is a proxy of the group, ``X[:, 1]`` a fair signal; the label
    depends on the fair signal and on the group, so an unconstrained model
    uses the proxy and predicts the groups' positives at different rates.
    """
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 2, n)
    X = rng.normal(size=(n, n_features))
    X[:, 0] += 2 * group
    y = (X[:, 1] + group + 0.5 * rng.normal(size=n) > 0.5).astype(np.int64)
    return X, y, group


def make_imbalanced(n, seed, *, positives=0.1):
    """A small imbalanced table that logistic regression separates.

    About ``positives`` of the rows are positive; 30% of the rows are in
    group 1, which has more positives and a proxy feature (``X[:, 0]``). On
    1,000 rows, ``LogisticRegression(max_iter=1000)`` reaches a balanced
    accuracy of about 0.68 while predicting the majority class would score 0.5:
    the table of a lending or hiring team, where a network that collapses to
    one class looks accurate.
    """
    rng = np.random.default_rng(seed)
    group = (rng.random(n) < 0.3).astype(np.int64)
    X = rng.normal(size=(n, 6))
    X[:, 0] += group
    logit = 2.0 * X[:, 1] + 1.5 * X[:, 2] + group
    noisy = logit + rng.logistic(size=n)
    y = (noisy > np.quantile(noisy, 1 - positives)).astype(np.int64)
    return X, y, group


def dp_gap(pred, groups):
    """Largest minus smallest positive rate of hard 0/1 predictions by group."""
    rates = [np.mean(pred[groups == g]) for g in np.unique(groups)]
    return max(rates) - min(rates)


@pytest.fixture
def binary_data():
    """200 rows, 5 standardized features, 0/1 labels, a 0/1 group."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5))
    group = rng.integers(0, 2, 200)
    y = (X[:, 0] + X[:, 1] + 0.5 * group + 0.5 * rng.normal(size=200) > 0.3).astype(int)
    return X, y, group


@pytest.fixture
def multiclass_data():
    """240 rows, three string classes, a string group."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(240, 4))
    score = X[:, 0] + 0.3 * rng.normal(size=240)
    y = np.array(["low", "mid", "high"])[np.digitize(score, [-0.5, 0.5])]
    group = rng.choice(["a", "b"], 240)
    return X, y, group


@pytest.fixture
def regression_data():
    """200 rows, 4 features, one target and a two-target version."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(200, 4))
    group = rng.integers(0, 2, 200)
    y = X @ np.array([1.0, -2.0, 0.5, 0.0]) + group + 0.1 * rng.normal(size=200)
    Y = np.column_stack([y, X[:, 2] - y])
    return X, y, Y, group


@pytest.fixture
def no_fairness_warning():
    """Turn FairnessWarning into an error within the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", FairnessWarning)
        yield


def in_threads(function, n_threads):
    """Call ``function()`` from ``n_threads`` threads at once; their results, or raise."""
    results, errors = [None] * n_threads, []
    start = threading.Barrier(n_threads)

    def work(i):
        start.wait()
        try:
            results[i] = function()
        except Exception as exc:  # re-raised in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results
