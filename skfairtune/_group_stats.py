"""Per-group weighted means and how far apart they are, for numpy and torch.

The fairness notions (:mod:`skfairtune.notions`) are statements about
per-group rates; these few operations compute them. Each is written once and
runs on numpy arrays (the metrics, on hard predictions) and on torch tensors
(the penalties, on probabilities, where autograd differentiates them) alike,
so there is no second copy of a definition to drift apart.

A group that has no rows under a condition (a batch without women, a group
without positives) is *absent*: it is left out of the gap instead of being
read as a rate of zero, and never divides by zero.
"""

from __future__ import annotations

import warnings
from contextvars import ContextVar

import numpy as np

# During a training step with several processes (skfairtune.distributed), a
# function that sums the torch per-group sums and totals over the processes,
# so that group means are the whole batch's; None otherwise.
GROUP_SUMS_REDUCER: ContextVar = ContextVar("group_sums_reducer", default=None)


def _is_torch(values) -> bool:
    return not isinstance(values, np.ndarray) and type(values).__module__.startswith(
        "torch"
    )


def segment_sum(values, ids, n_groups: int):
    """Sum ``values`` (1-D or 2-D, rows first) per group id, in one pass."""
    if _is_torch(values):
        return _torch_segment_sum(values, ids, n_groups)
    if values.ndim == 1:
        return np.bincount(ids, weights=values, minlength=n_groups)
    return np.stack(
        [np.bincount(ids, weights=col, minlength=n_groups) for col in values.T], axis=1
    )


def _torch_segment_sum(values, ids, n_groups: int, onehot=None):
    """``segment_sum`` of tensors, the same sums on every run, on a GPU too.

    ``index_add_`` and a weighted ``bincount`` add with atomics on a GPU, in
    whatever order its threads come (and ``torch.use_deterministic_algorithms``
    refuses the latter). A one-hot mask (:func:`_one_hot`, given or made)
    times the values, summed over the rows, adds in a fixed order, without
    cuBLAS (whose TF32 mode would round the values); a batch's rows by its
    few groups stay small.
    """
    if onehot is None:
        onehot = _one_hot(ids, n_groups)
    onehot = onehot.to(values.dtype)
    if values.ndim == 1:
        return (onehot * values[:, None]).sum(0)
    # (rows, groups, columns) summed over the rows: (groups, columns).
    flat = values.reshape(len(values), 1, -1)
    return (onehot[:, :, None] * flat).sum(0).reshape((n_groups, *values.shape[1:]))


def _one_hot(ids, n_groups: int):
    """``onehot[i, g]``: whether row ``i`` is in group ``g``; a negative id
    (a row of unknown group) is in none."""
    import torch

    return ids[:, None] == torch.arange(n_groups, device=ids.device)


def _broadcast_rows(weight, values):
    """Shape per-row weights so that they multiply 1-D or 2-D ``values``; weights
    of the same shape as ``values`` (one per row and column) stay as they are."""
    return weight if weight.ndim == values.ndim else weight[:, None]


def group_means(values, ids, weight, n_groups: int):
    """Weighted mean of ``values`` in each group.

    Returns
    -------
    means : array of shape (n_groups,) or (n_groups, n_outputs)
        Zero where a group has no weight (see ``present``).
    present : bool array of shape (n_groups,)
        Whether the group has positive total weight.
    """
    sums, totals = _group_sums(values, ids, weight, n_groups)
    present = totals > 0
    # An absent group has a zero sum: dividing by a stand-in of 1 leaves its
    # mean at 0 without a 0/0.
    safe = _namespace(totals).where(present, totals, 1.0)
    return sums / _broadcast_rows(safe, sums), present


def rates_group_means(terms: list, ids, n_groups: int) -> list:
    """:func:`group_means` of several ``(values, weight)`` pairs of the same rows.

    Each pair is one rate of a notion (equalized odds has two). Torch
    vectors are stacked as the columns of one matrix, so the group sums of
    all rates take one pass over the rows and one set of kernels instead of
    one per rate (on a training batch, whose few rows make every kernel's
    fixed cost count); numpy arrays, and values of several columns, are
    averaged one rate at a time.

    Returns
    -------
    list of (means, present)
        One per pair, as :func:`group_means` gives.
    """
    stackable = (len(terms) > 1 and _is_torch(terms[0][0])
                 and all(v.ndim == 1 and v.shape == w.shape
                         and v.dtype == w.dtype == terms[0][0].dtype for v, w in terms))
    if not stackable:
        return [group_means(values, ids, weight, n_groups) for values, weight in terms]
    import torch

    means, present = group_means(torch.stack([v for v, _ in terms], 1), ids,
                                 torch.stack([w for _, w in terms], 1), n_groups)
    return [(means[:, k], present[:, k]) for k in range(len(terms))]


def _group_sums(values, ids, weight, n_groups: int):
    """Per-group weighted sums of ``values`` and per-group total weights."""
    weighted = values * _broadcast_rows(weight, values)
    if _is_torch(values):
        onehot = _one_hot(ids, n_groups)  # one mask for both sums
        sums = (_torch_segment_sum(weighted, ids, n_groups, onehot),
                _torch_segment_sum(weight, ids, n_groups, onehot))
        reduce = GROUP_SUMS_REDUCER.get()
        return sums if reduce is None else reduce(*sums)
    return segment_sum(weighted, ids, n_groups), segment_sum(weight, ids, n_groups)


def _namespace(values):
    """``numpy`` or ``torch``, whichever ``values`` belongs to."""
    if _is_torch(values):
        import torch

        return torch
    return np


def spread(means, present):
    """Largest minus smallest mean among present groups (the worst column).

    Zero when fewer than two groups are present: there is nothing to compare.
    Absent groups are moved out of reach (to -inf for the largest, +inf for
    the smallest) by adding a constant rather than by boolean indexing or a
    branch: on a training batch every step stays on the device (a GPU never
    waits for the host), and autograd differentiates it.
    """
    xp = _namespace(means)
    off = xp.where(present, 0.0, np.inf)
    if means.ndim == 2:
        off = off[:, None]
    gap = xp.amax(means - off, 0) - xp.amin(means + off, 0)
    # With one group present the gap is 0; with none, -inf, clipped to 0.
    gap = gap.clip(0.0) if xp is np else gap.clamp_min(0.0)
    return gap if gap.ndim == 0 else xp.amax(gap)


def ratio(means, present):
    """Smallest over largest mean among present groups (the worst column).

    For the metrics (numpy arrays): one when fewer than two groups are
    present, NaN when the largest mean is zero (as fairlearn gives).
    """
    if int(present.sum()) < 2:
        return means.sum() * 0.0 + 1.0
    kept = means[present]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.min(kept.min(0) / kept.max(0))


def worst_group(values, ids, weight, n_groups: int, *, largest: bool = True):
    """The mean of ``values`` in the worst present group.

    With ``largest=True`` (a loss, an error) the worst group is the one with
    the largest mean; with ``largest=False`` (an accuracy) the smallest.
    """
    means, present = group_means(values, ids, weight, n_groups)
    if _is_torch(means):
        return _torch_worst_group(means, present, largest)
    if not bool(present.any()):  # every row weighs 0: no group to speak of
        return means.sum() * 0.0
    kept = means[present]
    return kept.max() if largest else kept.min()


def _torch_worst_group(means, present, largest: bool):
    """:func:`worst_group` of tensors, without reading them on the host.

    Absent groups are moved out of reach instead of indexed away: a boolean
    index, and a test of ``present.any()``, each wait for the device on every
    training batch. With no group present the result is 0.
    """
    import torch

    out_of_reach = -torch.inf if largest else torch.inf
    reachable = torch.where(present, means, out_of_reach)
    worst = reachable.amax() if largest else reachable.amin()
    return torch.where(present.any(), worst, means.sum() * 0.0)


def confusion_counts(y_true, y_pred, ids, weight, n_groups: int):
    """Weighted confusion counts of binary labels and predictions per group.

    Every row of one (group, label, prediction) cell is alike for the binary
    notions, so these ``4 * n_groups`` numbers are all that the rates, the
    gaps and the per-group table need, and one ``bincount`` makes them.

    Parameters
    ----------
    y_true, y_pred : array of shape (n_samples,)
        Labels and predictions coded 0/1 (or False/True). A scalar label puts
        every row under that label (for notions that ignore labels).
    ids : int array of shape (n_samples,)
        Group ids in ``[0, n_groups)``.
    weight : array of shape (n_samples,) or (n_samples, k), or None
        Row weights; None counts rows. Several columns (bootstrap replicates)
        give several tables at once.
    n_groups : int
        The number of groups.

    Returns
    -------
    counts : array of shape (n_groups, 2, 2) or (n_groups, 2, 2, k)
        ``counts[g, label, prediction]``.
    """
    return count_cells(confusion_cells(y_true, y_pred, ids), weight, n_groups)


def confusion_cells(y_true, y_pred, ids):
    """The confusion cell of each row, ``ids * 4 + y_true * 2 + y_pred``.

    Computed once, it serves several counts of the same rows (weighted and
    plain, or the rows of bootstrap replicates) through :func:`count_cells`.
    """
    return ids * 4 + y_true * 2 + y_pred


def count_cells(cells, weight, n_groups: int):
    """:func:`confusion_counts` of rows whose :func:`confusion_cells` are ``cells``."""
    if weight is None:
        if _is_torch(cells):
            import torch

            weight = torch.ones(cells.shape[0], dtype=torch.float64, device=cells.device)
        else:
            totals = np.bincount(cells, minlength=4 * n_groups).astype(np.float64)
            return totals.reshape(n_groups, 2, 2)
    totals = segment_sum(weight, cells, 4 * n_groups)
    return totals.reshape((n_groups, 2, 2) + tuple(totals.shape[1:]))


def cells_as_rows(counts):
    """The confusion cells of ``confusion_counts`` as weighted rows.

    The notions read the very same numbers from these ``4 * n_groups`` rows as
    from the rows they summarise, so a table of counts (for instance a
    bootstrap replicate) needs no second definition of any gap.

    Parameters
    ----------
    counts : array of shape (n_groups, 2, 2)
        Weighted confusion counts per group.

    Returns
    -------
    values, y, ids, weight : arrays of shape (4 * n_groups,)
        The prediction, the label, the group id and the weight of each cell,
        ready for ``Notion.difference(values, y, ids, weight, n_groups)``.
    """
    n_groups = counts.shape[0]
    ids = np.repeat(np.arange(n_groups), 4)
    y = np.tile(np.array([0, 0, 1, 1]), n_groups)
    values = np.tile(np.array([0.0, 1.0, 0.0, 1.0]), n_groups)
    return values, y, ids, np.asarray(counts, dtype=np.float64).reshape(-1)


def spread_to(means, present, reference):
    """Largest distance of a present group's mean from ``reference``.

    fairlearn's ``method="to_overall"``: each group is compared with the whole
    population instead of with the other groups. Zero when no group is present.
    """
    if int(present.sum()) < 1:
        return means.sum() * 0.0
    return abs(means[present] - reference).max()


def ratio_to(means, present, reference):
    """Smallest of ``mean / reference`` and its inverse among present groups.

    fairlearn's ``method="to_overall"`` ratio; NaN when the reference is zero.
    """
    if int(present.sum()) < 1:
        return means.sum() * 0.0 + 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = means[present] / reference
        return np.min(np.where(ratios > 1, 1 / ratios, ratios))


# Bootstrap intervals of the between-group comparisons.
#
# A gap is a largest-minus-smallest: a maximum over pairs of groups, not a
# smooth function of the rates. Where groups are close its bootstrap
# distribution sits above the estimate (every replicate's noise widens the
# spread), so percentile intervals of a gap near zero exclude their own
# estimate and miss a true gap of zero nearly always. The intervals below are
# built from the rates instead, as projections of a simultaneous band: the
# bootstrap tells how far the rates may stray from their estimates, all
# together, and a comparison's bounds are its extremes over that band. They
# hold the estimate by construction, and cover the true comparison at least
# as often as the band covers the rates, ties or no ties.


def _quantile(values, level: float):
    """Upper ``level`` quantile over the last axis, ignoring undefined replicates.

    ``method="higher"`` takes a replicate's own value: between two infinite
    ones an interpolation would give NaN.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices
        return np.nanquantile(values, level, axis=-1, method="higher")


def _spreads_and_margins(point, samples, confidence: float):
    """Each rate's largest-minus-smallest estimate, and how far it may stray.

    Every pairwise difference of one rate, ``r_i - r_j``, strays from its
    estimate by ``e_i - e_j`` (``e`` each group's deviation in a replicate),
    and all of them stay within ``m`` exactly when ``max(e) - min(e) <= m``:
    one range per replicate bounds every pair at once, at a cost linear in
    the groups, and the spread then lies within ``m`` of its estimate.
    Several rates (equalized odds) each get a margin at a Bonferroni level,
    so that all hold together at ``confidence``. A group without the rate in
    the estimate or in a replicate (NaN) is left out of that comparison.
    """
    deviation = samples - point[..., None]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices, inf - inf
        ranges = np.nanmax(deviation, axis=1) - np.nanmin(deviation, axis=1)
        spreads = np.nanmax(point, axis=1) - np.nanmin(point, axis=1)
    level = 1.0 - (1.0 - confidence) / point.shape[0]
    return spreads, np.nan_to_num(_quantile(ranges, level), nan=0.0)


def spread_interval(point, samples, confidence: float) -> tuple[float, float]:
    """Bounds on the largest between-group gap among rates (``spread``'s worst column).

    Parameters
    ----------
    point : ndarray of shape (n_rates, n_groups)
        The rates, NaN where a group lacks one.
    samples : ndarray of shape (n_rates, n_groups, n_boot)
        The bootstrap replicates' rates.
    confidence : float
        The coverage, in (0, 1).

    Returns
    -------
    low, high : float
        Within [0, 1]; the gap's estimate lies between them.
    """
    spreads, margins = _spreads_and_margins(point, samples, confidence)
    spreads = np.nan_to_num(spreads, nan=0.0)  # no group has the rate: no gap
    return (float(np.clip(np.max(spreads - margins), 0.0, 1.0)),
            float(np.clip(np.max(spreads + margins), 0.0, 1.0)))


def ratio_interval(point, samples, confidence: float) -> tuple[float, float]:
    """Bounds on the smallest over the largest rate (``ratio``'s worst column).

    A ratio is the exponential of minus the spread of the rates' logarithms,
    so its bounds are the spread's, on that scale (see
    :func:`spread_interval`). A group whose rate is zero makes the ratio
    zero in every replicate too: its bounds are zero.

    Parameters and returns as :func:`spread_interval`; NaN where the ratio
    is (every rate zero).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        spreads, margins = _spreads_and_margins(np.log(point), np.log(samples),
                                                confidence)
    margins = np.where(np.isinf(spreads), 0.0, margins)
    # Fewer than two groups: nothing to compare, a ratio of 1 (as ``ratio``).
    few = (~np.isnan(point)).sum(axis=1) < 2
    low = np.where(few, 1.0, np.exp(-(spreads + margins)))
    high = np.where(few, 1.0, np.exp(-np.maximum(spreads - margins, 0.0)))
    with warnings.catch_warnings():
        # A column whose rates are all zero has no ratio; the others still do.
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(np.nanmin(low)), float(np.nanmin(high))


def smallest_interval(point, samples, confidence: float) -> tuple[float, float]:
    """Bounds on the smallest group's rate (worst-group accuracy).

    Each group's rate strays from its estimate by at most ``c`` of its
    bootstrap standard deviations, ``c`` the ``confidence`` quantile of a
    replicate's largest such straying: scaled so, a small group's wide swings
    do not widen a large group's bounds. The smallest rate lies between the
    smallest lower and the smallest upper bound.

    Parameters
    ----------
    point : ndarray of shape (n_groups,)
        The rates, NaN where a group lacks one.
    samples : ndarray of shape (n_groups, n_boot)
        The bootstrap replicates' rates.
    confidence : float
        The coverage, in (0, 1).

    Returns
    -------
    low, high : float
        Within [0, 1]; NaN where no group has the rate.
    """
    deviation = np.abs(samples - point[:, None])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices
        scale = np.nanstd(samples, axis=-1)
        # A rate that never moves (scale 0) says nothing about the others'.
        scaled = np.where(scale[:, None] > 0, deviation / scale[:, None],
                          np.where(np.isnan(deviation), np.nan, 0.0))
        straying = np.nanmax(scaled, axis=0)
        half = np.nan_to_num(scale * _quantile(straying, confidence), nan=0.0)
        return (float(np.clip(np.nanmin(point - half), 0.0, 1.0)),
                float(np.clip(np.nanmin(point + half), 0.0, 1.0)))
