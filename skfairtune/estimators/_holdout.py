"""The validation slice the estimators hold out by default.

Early stopping, restoring the best weights and the constraint mode's budget
all need rows the steps did not train on. The slice is stratified by group
and label, so that a small group (and its positives) is in it in proportion,
not by luck: its gap on the slice is then an estimate of its gap on new data.
"""

from __future__ import annotations

import math

import numpy as np
import torch

# Below this many rows in the slice, its loss and gaps are too noisy to stop
# on or to choose by; the estimators then train on every row.
MIN_VALIDATION_ROWS = 30
# validation_fraction="auto": the share held out without a budget, and the
# largest share a budget may take (benchmarks/gap_estimate.py: past 0.3 the
# rows lost to training cost more accuracy than the better estimate gains).
BASE_FRACTION = 0.1
LARGEST_FRACTION = 0.3
# A slice of this many rows tells two epochs' accuracies apart to about a
# point: a large table need hold out no more for choosing and stopping, so
# its budget alone decides how many more it gives up.
ACCURACY_ROWS = 5000


def rows_per_group(max_gap: float) -> float:
    """The rows a group needs on the slice for its rate's standard error to
    be at most ``max_gap / 2`` (the guide's ``2 / B**2``: a rate near one
    half, two groups)."""
    return math.inf if max_gap <= 0 else 2.0 / max_gap**2


def auto_fraction(groups: np.ndarray, max_gap: float | None) -> float:
    """The share of the rows that ``validation_fraction="auto"`` holds out.

    Without a budget, :data:`BASE_FRACTION`. With one, the share that gives
    the smallest group :func:`rows_per_group` rows on the slice, within
    :data:`LARGEST_FRACTION`, and at least the base share, or on a table of
    more than ``ACCURACY_ROWS / BASE_FRACTION`` rows at least
    :data:`ACCURACY_ROWS` rows: a large table gives up no more rows than its
    budget and the choice of epoch need.

    Parameters
    ----------
    groups : ndarray of shape (n_rows,)
        The group ids; negative for a row whose group is missing.
    max_gap : float or None
        The budget (constraint mode), or None.

    Returns
    -------
    float
        The share, in (0, :data:`LARGEST_FRACTION`].
    """
    n_rows = max(len(groups), 1)
    if max_gap is None:
        return BASE_FRACTION
    floor = min(BASE_FRACTION, ACCURACY_ROWS / n_rows)
    known = np.asarray(groups)[np.asarray(groups) >= 0]
    sizes = np.bincount(known) if known.size else np.zeros(0, dtype=np.int64)
    sizes = sizes[sizes > 0]
    if sizes.size < 2:  # no gap to estimate
        return floor
    return float(min(LARGEST_FRACTION, max(floor, rows_per_group(max_gap) / sizes.min())))


class StratifiedHoldOut:
    """A skorch ``train_split``: a fraction of the rows, stratified by group and label.

    Parameters
    ----------
    fraction : float
        The share of the rows held out, in (0, 1).
    seed : int
        The seed of the draw.
    stratify_labels : bool
        Stratify by label as well as by group (classification).

    Notes
    -----
    Every (group, label) cell with at least two rows gives at least one row
    to the slice and keeps at least one for training; a cell of one row
    stays in training.
    """

    def __init__(self, fraction: float, seed: int, *, stratify_labels: bool = True):
        self.fraction = fraction
        self.seed = seed
        self.stratify_labels = stratify_labels

    def indices(self, groups: np.ndarray, y: np.ndarray | None) -> tuple:
        """The training and the validation row indices."""
        strata = np.asarray(groups, dtype=np.int64)
        if self.stratify_labels and y is not None:
            _, labels = np.unique(np.asarray(y), return_inverse=True)
            strata = strata * (labels.max() + 1) + labels
        rng = np.random.default_rng(self.seed)
        valid = []
        for cell in np.unique(strata):
            rows = np.flatnonzero(strata == cell)
            if rows.size < 2:
                continue
            take = min(max(1, round(self.fraction * rows.size)), rows.size - 1)
            valid.append(rng.choice(rows, size=take, replace=False))
        valid = np.sort(np.concatenate(valid)) if valid else np.empty(0, dtype=np.int64)
        train = np.setdiff1d(np.arange(strata.size), valid, assume_unique=True)
        return train, valid

    def __call__(self, dataset, y=None, **fit_params):
        groups = (dataset.groups.cpu().numpy() if dataset.groups is not None
                  else np.zeros(len(dataset), dtype=np.int64))
        labels = None if dataset.y is None else dataset.y.cpu().numpy()
        if labels is not None and labels.ndim > 1:  # several regression targets
            labels = None
        train, valid = self.indices(groups, labels)
        return dataset.take(torch.as_tensor(train)), dataset.take(torch.as_tensor(valid))


def validation_rows(n_rows: int, fraction: float | None) -> int:
    """How many rows a slice of ``fraction`` holds (0 when none is held out)."""
    return 0 if fraction is None else int(round(fraction * n_rows))
