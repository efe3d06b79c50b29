"""The validation slice the estimators hold out by default.

Early stopping, restoring the best weights and the constraint mode's budget
all need rows the steps did not train on. The slice is stratified by group
and label, so that a small group (and its positives) is in it in proportion,
not by luck: its gap on the slice is then an estimate of its gap on new data.
"""

from __future__ import annotations

import numpy as np
import torch

# Below this many rows in the slice, its loss and gaps are too noisy to stop
# on or to choose by; the estimators then train on every row.
MIN_VALIDATION_ROWS = 30


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
