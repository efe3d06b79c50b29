"""Shared data for the resampling tests."""

import numpy as np
import pandas as pd
import pytest


def _cells_data(counts, *, seed=0):
    """Rows with exactly ``counts[g][c]`` rows of group ``g`` and label ``c``.

    Column 0 of X is the group code, column 1 the label, column 2 the row's
    own number, so any misaligned row shows itself.
    """
    counts = np.asarray(counts)
    groups = np.repeat(np.arange(counts.shape[0]), counts.sum(axis=1))
    labels = np.concatenate(
        [np.repeat(np.arange(counts.shape[1]), row) for row in counts]
    )
    order = np.random.RandomState(seed).permutation(groups.size)
    groups, labels = groups[order], labels[order]
    X = np.column_stack([groups, labels, np.arange(groups.size)]).astype(float)
    return X, labels, groups


@pytest.fixture(scope="session")
def cells_data():
    """The maker of data with given cell counts (session scope: hypothesis-safe)."""
    return _cells_data


@pytest.fixture
def frame():
    """A small DataFrame with a string sensitive column and a numeric one."""
    rng = np.random.RandomState(0)
    n = 60
    sex = np.array(["female", "male"])[rng.permutation(np.arange(n) % 2)]
    X = pd.DataFrame(
        {
            "age": rng.randint(18, 70, n).astype(float),
            "income": rng.normal(size=n),
            "sex": sex,
        }
    )
    y = pd.Series((rng.uniform(size=n) < np.where(sex == "male", 0.7, 0.3)).astype(int))
    return X, y
