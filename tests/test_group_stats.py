"""The group statistics that the notions are written with.

The cells of ``confusion_counts`` are a summary of the rows that every notion
reads alike: the gaps on the cells are the gaps on the rows.
"""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from skfairtune._group_stats import (
    cells_as_rows,
    confusion_counts,
    group_means,
    ratio,
    ratio_interval,
    ratio_to,
    smallest_interval,
    spread,
    spread_interval,
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


@st.composite
def replicated_rates(draw):
    """Rates (n_rates, n_groups), NaN or 0 for some, and replicates around them."""
    k, g, b = draw(st.integers(1, 2)), draw(st.integers(1, 5)), draw(st.integers(1, 30))
    values = st.sampled_from([np.nan, 0.0, 0.1, 0.25, 0.5, 0.9, 1.0])
    point = np.array(draw(st.lists(values, min_size=k * g, max_size=k * g))).reshape(k, g)
    seed = draw(st.integers(0, 2**32 - 1))
    noise = np.random.default_rng(seed).normal(0, 0.1, (k, g, b))
    # A replicate keeps a zero rate at zero and may lose a rate (NaN).
    samples = np.clip(point[..., None] + noise * (point[..., None] > 0), 0, 1)
    samples[np.random.default_rng(seed + 1).random(samples.shape) < 0.1] = np.nan
    return point, samples


def _estimate(compare, point):
    """A notion's worst column: the largest gap, the smallest ratio."""
    values = [float(compare(np.nan_to_num(row), ~np.isnan(row))) for row in point]
    return max(values) if compare is spread else min(values)


@settings(max_examples=150, deadline=None)
@given(replicated_rates(), st.sampled_from([0.5, 0.9, 0.99]))
# No false positive in any group: equalized odds' ratio is the true positive rates'.
@example((np.array([[0.5, 0.25], [0.0, 0.0]]), np.full((2, 2, 3), 0.3)), 0.9)
def test_comparison_intervals_hold_their_estimates(data, confidence):
    point, samples = data
    low, high = spread_interval(point, samples, confidence)
    assert 0.0 <= low <= _estimate(spread, point) <= high <= 1.0
    estimate = _estimate(ratio, point)
    low, high = ratio_interval(point, samples, confidence)
    if np.isnan(estimate):  # every rate of a column is zero
        return
    assert 0.0 <= low <= estimate + 1e-12 and estimate - 1e-12 <= high <= 1.0
    if not np.isnan(point[0]).all():
        low, high = smallest_interval(point[0], samples[0], confidence)
        assert low <= np.nanmin(point[0]) <= high


def test_a_ratio_with_a_zero_rate_is_zero_and_one_group_compares_nothing():
    samples = np.array([[[0.0, 0.0], [0.5, 0.4]]])
    assert ratio_interval(np.array([[0.0, 0.45]]), samples, 0.9) == (0.0, 0.0)
    alone = np.array([[0.3, np.nan]]), np.array([[[0.2, 0.4], [np.nan, np.nan]]])
    assert ratio_interval(*alone, 0.9) == (1.0, 1.0)
    assert spread_interval(*alone, 0.9) == (0.0, 0.0)
