"""The group statistics that the notions are written with.

The cells of ``confusion_counts`` are a summary of the rows that every notion
reads alike: the gaps on the cells are the gaps on the rows.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skfairtune._group_stats import (
    cells_as_rows,
    confusion_counts,
    group_means,
    ratio,
    ratio_to,
    spread,
    spread_to,
    worst_group,
)
from skfairtune.notions import NOTIONS


@st.composite
def rows(draw):
    n_groups = draw(st.integers(1, 5))
    n = draw(st.integers(1, 40))
    ints = st.lists(st.integers(0, 1), min_size=n, max_size=n)
    ids = np.array(draw(st.lists(st.integers(0, n_groups - 1), min_size=n,
                                 max_size=n)))
    w = np.array(draw(st.lists(st.floats(0.0, 5.0), min_size=n, max_size=n)))
    return np.array(draw(ints)), np.array(draw(ints)), ids, w, n_groups


@settings(max_examples=80, deadline=None)
@given(rows())
def test_confusion_counts_count_each_cell(data):
    y, p, ids, w, g = data
    counts = confusion_counts(y, p, ids, w, g)
    for group in range(g):
        for label in (0, 1):
            for pred in (0, 1):
                rows_in = (ids == group) & (y == label) & (p == pred)
                assert counts[group, label, pred] == pytest.approx(w[rows_in].sum())
    unweighted = confusion_counts(y, p, ids, None, g)
    assert unweighted.sum() == len(y)
    stacked = confusion_counts(y, p, ids, np.column_stack([w, 2 * w]), g)
    np.testing.assert_allclose(stacked[..., 1], 2 * counts)


@settings(max_examples=80, deadline=None)
@given(rows())
def test_notions_read_the_same_gap_on_cells_as_on_rows(data):
    y, p, ids, w, g = data
    cells = cells_as_rows(confusion_counts(y, p, ids, w, g))
    for notion in NOTIONS.values():
        on_rows = notion.difference(p.astype(float), y, ids, w, g)
        assert notion.difference(*cells, g) == pytest.approx(on_rows, abs=1e-12)
        on_rows = notion.ratio(p.astype(float), y, ids, w, g)
        assert notion.ratio(*cells, g) == pytest.approx(on_rows, abs=1e-12,
                                                        nan_ok=True)
    if w.sum() > 0:
        right = (y == p).astype(float)
        values, cy, cids, cw = cells
        assert worst_group((values == cy) * 1.0, cids, cw, g, largest=False) == (
            pytest.approx(worst_group(right, ids, w, g, largest=False)))


def test_distance_to_the_reference():
    means = np.array([0.2, 0.5, 0.9])
    present = np.array([True, True, False])
    assert spread_to(means, present, 0.4) == pytest.approx(0.2)
    assert ratio_to(means, present, 0.4) == pytest.approx(0.5)
    assert spread_to(means, ~present | present, 0.4) == pytest.approx(0.5)
    assert ratio_to(means, np.zeros(3, bool), 0.4) == 1.0
    # With the reference a group's mean, the between-group gaps bound them.
    m, pr = group_means(means, np.arange(3), np.ones(3), 3)
    assert spread_to(m, pr, m.min()) == spread(m, pr)
    assert ratio_to(m, pr, m.max()) == ratio(m, pr)


def test_confusion_counts_in_torch():
    torch = pytest.importorskip("torch")
    y = torch.tensor([0, 1, 1, 0])
    p = torch.tensor([1, 1, 0, 0])
    ids = torch.tensor([0, 0, 1, 1])
    counts = confusion_counts(y, p, ids, None, 2)
    np.testing.assert_array_equal(
        counts.numpy(), confusion_counts(y.numpy(), p.numpy(), ids.numpy(), None, 2))
