"""The fairness notions, each defined once for numpy and torch alike.

A notion is a statement about per-group weighted means: demographic parity
compares the mean prediction of each group; equal opportunity compares it
among the rows whose label is positive; equalized odds among the positives and
among the negatives. The numpy metrics (``skfairtune.metrics``) feed hard
predictions in and get fairlearn's numbers; the torch penalties
(``skfairtune.penalties``) feed predicted probabilities in and get a
differentiable surrogate of the very same gap. Only the operations below touch
the data, and each works on both array types, so there is no second copy of a
definition to drift apart.

A group that has no rows under a condition (a batch without women, a group
without positives) is *absent*: it is left out of the gap instead of being
read as a rate of zero, and never divides by zero.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np


def _is_torch(values) -> bool:
    return not isinstance(values, np.ndarray) and type(values).__module__.startswith(
        "torch"
    )


def segment_sum(values, ids, n_groups: int):
    """Sum ``values`` (1-D or 2-D, rows first) per group id, in one pass."""
    if _is_torch(values):
        import torch

        if values.ndim == 1 and not (values.requires_grad and torch.is_grad_enabled()):
            # One kernel where no gradient is needed (bincount has none).
            return torch.bincount(ids, weights=values, minlength=n_groups)
        out = torch.zeros(
            (n_groups,) + tuple(values.shape[1:]), dtype=values.dtype, device=values.device
        )
        return out.index_add_(0, ids, values)
    if values.ndim == 1:
        return np.bincount(ids, weights=values, minlength=n_groups)
    return np.stack(
        [np.bincount(ids, weights=col, minlength=n_groups) for col in values.T], axis=1
    )


def _broadcast_rows(weight, values):
    """Shape per-row weights so that they multiply 1-D or 2-D ``values``."""
    return weight if values.ndim == 1 else weight[:, None]


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
    # An absent group has a zero sum: dividing by a stand-in of 1 (numpy) or
    # a tiny total (torch) leaves its mean at 0 without a 0/0.
    safe = totals.clamp_min(1e-30) if _is_torch(totals) else np.where(present, totals, 1.0)
    return sums / _broadcast_rows(safe, sums), present


def _group_sums(values, ids, weight, n_groups: int):
    """Per-group weighted sums of ``values`` and per-group total weights."""
    totals = segment_sum(weight, ids, n_groups)
    return segment_sum(values * _broadcast_rows(weight, values), ids, n_groups), totals


def _extremes(kept):
    """Column-wise smallest and largest values of a 1-D or 2-D array."""
    if _is_torch(kept):
        return kept.min(0)[0], kept.max(0)[0]
    return kept.min(0), kept.max(0)


def spread(means, present):
    """Largest minus smallest mean among present groups (the worst column).

    Zero when fewer than two groups are present: there is nothing to compare.
    """
    if _is_torch(means):
        return _torch_spread(means, present)
    if int(present.sum()) < 2:
        return means.sum() * 0.0
    low, high = _extremes(means[present])
    return (high - low).max()


def _torch_spread(means, present):
    # The same spread as above, written with masks instead of boolean
    # indexing and Python branches: it runs on every training batch, where
    # each host synchronisation and small tensor costs more than the maths.
    import torch

    mask = present if means.ndim == 1 else present[:, None]
    high = torch.where(mask, means, float("-inf")).max(0).values
    low = torch.where(mask, means, float("inf")).min(0).values
    enough = present.sum() >= 2
    return torch.where(enough, high - low, torch.zeros_like(high)).max()


def ratio(means, present):
    """Smallest over largest mean among present groups (the worst column).

    One when fewer than two groups are present. In numpy, NaN when the largest
    mean is zero (as fairlearn gives); in torch the division is guarded so
    that no NaN reaches a gradient.
    """
    if int(present.sum()) < 2:
        return means.sum() * 0.0 + 1.0
    low, high = _extremes(means[present])
    if _is_torch(high):
        return (low / high.clamp_min(1e-12)).min()
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.min(low / high)


@dataclass(frozen=True)
class Notion:
    """A fairness notion: group means compared within label conditions.

    Parameters
    ----------
    name : str
        The notion's name, as users write it (``"demographic_parity"``).
    conditions : tuple
        The label values that rows are conditioned on; ``None`` means all rows.
        Equalized odds conditions on the positive and the negative label.
    """

    name: str
    conditions: tuple

    def rates(self, values, y, ids, weight, n_groups: int):
        """Per-group means under each condition: a list of (means, present)."""
        return [group_means(values, ids, w, n_groups)
                for w in self._condition_weights(y, weight)]

    def difference(self, values, y, ids, weight, n_groups: int):
        """The notion's gap: the worst spread over its conditions."""
        if _is_torch(values) and values.requires_grad:
            gaps = [
                _spread_of_group_means(values, ids, w, n_groups)
                for w in self._condition_weights(y, weight)
            ]
        else:
            gaps = [spread(m, p) for m, p in self.rates(values, y, ids, weight, n_groups)]
        return gaps[0] if len(gaps) == 1 else _worst(gaps, max)

    def _condition_weights(self, y, weight):
        return [weight if label is None else weight * (y == label) for label in self.conditions]

    def ratio(self, values, y, ids, weight, n_groups: int):
        """The notion's ratio: the worst (smallest) ratio over its conditions."""
        ratios = [ratio(m, p) for m, p in self.rates(values, y, ids, weight, n_groups)]
        return ratios[0] if len(ratios) == 1 else _worst(ratios, min)


def _worst(items, how):
    if _is_torch(items[0]):
        import torch

        stacked = torch.stack(items)
        return stacked.max() if how is max else stacked.min()
    return how(items)


DEMOGRAPHIC_PARITY = Notion("demographic_parity", conditions=(None,))
EQUAL_OPPORTUNITY = Notion("equal_opportunity", conditions=(1,))
EQUALIZED_ODDS = Notion("equalized_odds", conditions=(1, 0))

NOTIONS = {n.name: n for n in (DEMOGRAPHIC_PARITY, EQUAL_OPPORTUNITY, EQUALIZED_ODDS)}


def worst_group(values, ids, weight, n_groups: int, *, largest: bool = True):
    """The mean of ``values`` in the worst present group.

    With ``largest=True`` (a loss, an error) the worst group is the one with
    the largest mean; with ``largest=False`` (an accuracy) the smallest.
    """
    means, present = group_means(values, ids, weight, n_groups)
    if not bool(present.any()):  # every row weighs 0: no group to speak of
        return means.sum() * 0.0
    kept = means[present]
    return kept.max() if largest else kept.min()


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
    cell = ids * 4 + y_true * 2 + y_pred
    if weight is None:
        if _is_torch(cell):
            import torch

            weight = torch.ones(cell.shape[0], dtype=torch.float64, device=cell.device)
        else:
            totals = np.bincount(cell, minlength=4 * n_groups).astype(np.float64)
            return totals.reshape(n_groups, 2, 2)
    totals = segment_sum(weight, cell, 4 * n_groups)
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


def _spread_of_group_means(values, ids, weight, n_groups):
    """``spread(*group_means(...))`` of torch values, as one autograd node.

    The forward pass is the shared numpy definition itself, run on the
    batch's few numbers (a numpy call on a batch costs a microsecond where a
    torch call costs several); the backward pass is its derivative, written
    out: the gap moves with the rows of the highest and the lowest group (of
    the worst column), each by its share of its group's weight. This keeps the
    penalty cheap beside a mini-batch's own forward and backward passes.
    """
    return _spread_function().apply(values, ids, weight, n_groups)


def _extreme_groups(means, present):
    """The highest and the lowest present group of the worst column, and that column."""
    table = means if means.ndim == 2 else means[:, None]
    high = np.where(present[:, None], table, -np.inf)
    low = np.where(present[:, None], table, np.inf)
    column = int(np.argmax(high.max(0) - low.min(0)))
    return int(high[:, column].argmax()), int(low[:, column].argmin()), column


def _make_spread_function():
    import torch

    class SpreadFunction(torch.autograd.Function):
        @staticmethod
        def forward(ctx, values, ids, weight, n_groups):
            v = values.detach().cpu().numpy().astype(np.float64)
            g = ids.cpu().numpy()
            w = weight.detach().cpu().numpy().astype(np.float64)
            means, present = group_means(v, g, w, n_groups)
            ctx.enough = int(present.sum()) >= 2
            if ctx.enough:
                ctx.hi, ctx.lo, ctx.column = _extreme_groups(means, present)
            ctx.g, ctx.w, ctx.totals = g, w, segment_sum(w, g, n_groups)
            ctx.shape, ctx.dtype, ctx.device = values.shape, values.dtype, values.device
            return values.new_tensor(float(spread(means, present)))

        @staticmethod
        def backward(ctx, grad):
            out = torch.zeros(ctx.shape, dtype=ctx.dtype, device=ctx.device)
            if not ctx.enough:
                return out, None, None, None
            g = ctx.g
            sign = (g == ctx.hi).astype(np.float64) - (g == ctx.lo)
            row = float(grad) * ctx.w * sign / np.maximum(ctx.totals[g], 1e-30)
            row = torch.from_numpy(row).to(dtype=ctx.dtype, device=ctx.device)
            if len(ctx.shape) == 1:
                return row, None, None, None
            out[:, ctx.column] = row
            return out, None, None, None

    return SpreadFunction


@functools.cache
def _spread_function():
    """The autograd Function, built on first use so numpy users never import torch."""
    return _make_spread_function()
